"""procfs (``kernel/procfs.py``): /proc/<pid>/ and /proc/self in a machine.

Where the shape can be compared, Linux is the oracle: a real host child
process (``sleep``) gives the status line names and formats, the cmdline
NUL layout, the modes and link counts, and the errnos of changing /proc.
The rest is the machine's own behaviour: per-process ``self``, children
spawned in the machine, zombies, reaped pids, ``environ`` for another uid,
magic links, the dentry cache, SQLite machines and the shell.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from osbox import Machine

HOST_PROC = sys.platform == "linux" and os.path.isdir("/proc/self")
needs_host = pytest.mark.skipif(not HOST_PROC, reason="needs the host's procfs as the oracle")
needs_root = pytest.mark.skipif(
    not HOST_PROC or os.geteuid() != 0, reason="the errno oracle runs as root, as the machine"
)


@pytest.fixture(params=["memory", "sqlite"])
def m(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Machine]:
    machine = Machine() if request.param == "memory" else Machine(str(tmp_path / "m.db"))
    yield machine
    machine.close()


@pytest.fixture
def host_child() -> Iterator[int]:
    """A real host process, the oracle: ``sleep 30`` with a small environment."""
    p = subprocess.Popen(
        ["sleep", "30"],
        env={"A": "1", "B": "2"},
        cwd="/",
        stdin=subprocess.PIPE,  # fd 0 read-only, 1 and 2 write-only, as in a machine
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until it sleeps in nanosleep
        with open(f"/proc/{p.pid}/status") as f:
            if "\nState:\tS (sleeping)\n" in f.read():
                break
        time.sleep(0.01)
    yield p.pid
    p.kill()
    p.communicate()


def spawn_sleeper(m: Machine, seconds: str = "30", env: dict[str, str] | None = None) -> int:
    """A machine process ``sleep 30``, once it sleeps."""
    pid = int(m.os.posix_spawn("/bin/sleep", ["sleep", seconds], env or {"A": "1", "B": "2"}))
    deadline = time.monotonic() + 10
    while b"\nState:\tS (sleeping)\n" not in read(m, f"/proc/{pid}/status"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return pid


def kill_and_reap(m: Machine, pid: int) -> None:
    m.os.kill(pid, 9)
    m.os.waitpid(pid, 0)


def read(m: Machine, path: str) -> bytes:
    with m.open(path, "rb") as f:
        data: bytes = f.read()
    return data


def errno_of(fn: Callable[[], Any]) -> int:
    try:
        fn()
    except OSError as e:
        assert e.errno is not None
        return e.errno
    return 0


# -- the shape, against the host ---------------------------------------------------------
@needs_host
def test_status_lines_are_linux_lines_in_linux_order(m: Machine, host_child: int) -> None:
    with open(f"/proc/{host_child}/status") as f:
        host = f.read().splitlines()
    pid = spawn_sleeper(m)
    try:
        ours = read(m, f"/proc/{pid}/status").decode().splitlines()
    finally:
        kill_and_reap(m, pid)
    host_names = [line.split(":\t")[0] for line in host]
    names = [line.split(":\t")[0] for line in ours]
    assert all(":\t" in line for line in ours)
    # ours are a subsequence of the host's (no Vm* lines: no memory model)
    it = iter(host_names)
    assert all(name in it for name in names), names
    assert {"Name", "Umask", "State", "Pid", "PPid", "Uid", "Gid", "Groups"} <= set(names)
    fields = dict(line.split(":\t", 1) for line in ours)
    hfields = dict(line.split(":\t", 1) for line in host)
    for key in ("Uid", "Gid"):
        assert len(fields[key].split("\t")) == len(hfields[key].split("\t")) == 4
    for key in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapEff", "CapBnd"):
        assert re.fullmatch(r"[0-9a-f]{16}", fields[key]) and len(hfields[key]) == 16
    assert re.fullmatch(r"[0-7]{4}", fields["Umask"]) and len(hfields["Umask"]) == 4
    assert fields["Groups"].endswith(" ") and hfields["Groups"].endswith(" ")
    assert fields["State"] == hfields["State"] == "S (sleeping)"
    assert fields["Name"] == hfields["Name"] == "sleep"
    assert fields["Pid"] == fields["Tgid"] == str(pid)
    assert fields["PPid"] == "1"


@needs_host
def test_cmdline_and_environ_layout_match_the_host(m: Machine, host_child: int) -> None:
    with open(f"/proc/{host_child}/cmdline", "rb") as f:
        host_cmdline = f.read()
    with open(f"/proc/{host_child}/environ", "rb") as f:
        host_environ = f.read()
    pid = spawn_sleeper(m)
    try:
        assert read(m, f"/proc/{pid}/cmdline") == host_cmdline == b"sleep\x0030\x00"
        assert read(m, f"/proc/{pid}/environ") == host_environ == b"A=1\x00B=2\x00"
        assert read(m, f"/proc/{pid}/comm") == b"sleep\n"
    finally:
        kill_and_reap(m, pid)


SHAPES = ["", "/status", "/cmdline", "/environ", "/cwd", "/fd", "/fd/0", "/fd/1"]


@needs_host
def test_modes_links_and_sizes_match_the_host(m: Machine, host_child: int) -> None:
    pid = spawn_sleeper(m)
    try:
        for suffix in SHAPES:
            h = os.lstat(f"/proc/{host_child}{suffix}")
            o = m.os.lstat(f"/proc/{pid}{suffix}")
            what = f"/proc/<pid>{suffix}"
            assert stat.filemode(o.st_mode) == stat.filemode(h.st_mode), what
            if suffix:  # the pid directory's count depends on Linux's table
                assert o.st_nlink == h.st_nlink, what
            if suffix not in ("/fd",):
                assert o.st_size == h.st_size, what
            assert (o.st_uid, o.st_gid) == (0, 0)
        for path in ("/proc/self", "/proc/uptime"):
            h, o = os.lstat(path), m.os.lstat(path)
            assert stat.filemode(o.st_mode) == stat.filemode(h.st_mode), path
            assert (o.st_nlink, o.st_size) == (h.st_nlink, h.st_size), path
        assert stat.filemode(m.os.stat("/proc").st_mode) == stat.filemode(os.stat("/proc").st_mode)
        # exe names the executed file itself, symlinks (/bin -> usr/bin) resolved
        assert os.readlink(f"/proc/{host_child}/exe").endswith("/sleep")
        assert m.os.readlink(f"/proc/{pid}/exe") == "/usr/bin/sleep"
        assert errno_of(lambda: m.os.readlink("/proc/1/exe")) == errno.ENOENT  # no image
        # the fd directory's size is its number of fds, as in Linux 6.x
        assert m.os.lstat(f"/proc/{pid}/fd").st_size == len(m.os.listdir(f"/proc/{pid}/fd"))
    finally:
        kill_and_reap(m, pid)


def _changes(proc: str, pid: int) -> dict[str, Callable[[Any], Any]]:
    """Attempts to change /proc, each a function of an ``os`` module."""
    d = f"{proc}/{pid}"
    return {
        "mkdir /proc/x": lambda o: o.mkdir(f"{proc}/x"),
        "mkdir /proc/pid/x": lambda o: o.mkdir(f"{d}/x"),
        "mkdir /proc/pid": lambda o: o.mkdir(d),
        "creat /proc/x": lambda o: o.close(o.open(f"{proc}/x", o.O_CREAT | o.O_WRONLY, 0o644)),
        "creat /proc/pid/x": lambda o: o.close(o.open(f"{d}/x", o.O_CREAT | o.O_WRONLY, 0o644)),
        "excl status": lambda o: o.open(f"{d}/status", o.O_CREAT | o.O_EXCL | o.O_WRONLY),
        "symlink /proc/x": lambda o: o.symlink("a", f"{proc}/x"),
        "symlink /proc/pid/x": lambda o: o.symlink("a", f"{d}/x"),
        "mknod /proc/x": lambda o: o.mknod(f"{proc}/x"),
        "link status to /proc/pid/x": lambda o: o.link(f"{d}/status", f"{d}/x"),
        "unlink status": lambda o: o.unlink(f"{d}/status"),
        "unlink pid": lambda o: o.unlink(d),
        "rmdir pid": lambda o: o.rmdir(d),
        "rmdir fd": lambda o: o.rmdir(f"{d}/fd"),
        "rmdir status": lambda o: o.rmdir(f"{d}/status"),
        "unlink self": lambda o: o.unlink(f"{proc}/self"),
        "unlink fd 0": lambda o: o.unlink(f"{d}/fd/0"),
        "rename self": lambda o: o.rename(f"{proc}/self", f"{proc}/uptime"),
        "chown pid": lambda o: o.chown(d, 0, 0),
        "utime pid": lambda o: o.utime(d),
        "unlink missing": lambda o: o.unlink(f"{proc}/nope"),
        "rename inside": lambda o: o.rename(f"{d}/status", f"{d}/s2"),
        "rename onto": lambda o: o.rename(f"{d}/status", f"{d}/cmdline"),
        "chmod status": lambda o: o.chmod(f"{d}/status", 0o600),
        "chmod pid": lambda o: o.chmod(d, 0o700),
        "write status": lambda o: o.write(o.open(f"{d}/status", o.O_WRONLY), b"x"),
        "write cmdline": lambda o: o.write(o.open(f"{d}/cmdline", o.O_RDWR), b"x"),
        "write read-only fd": lambda o: o.write(o.open(f"{d}/status", o.O_RDONLY), b"x"),
        "seek end": lambda o: o.lseek(o.open(f"{d}/status", o.O_RDONLY), 0, 2),
        "seek data": lambda o: o.lseek(o.open(f"{d}/status", o.O_RDONLY), 0, 3),
        "fsync": lambda o: o.fsync(o.open(f"{d}/status", o.O_RDONLY)),
        "getxattr": lambda o: o.getxattr(f"{d}/status", "user.x"),
        "setxattr": lambda o: o.setxattr(f"{d}/status", "user.x", b"1"),
        "removexattr": lambda o: o.removexattr(f"{d}/status", "user.x"),
        "write-open /proc": lambda o: o.open(proc, o.O_WRONLY),
        "stat missing": lambda o: o.stat(f"{d}/nope"),
        "stat leading zero": lambda o: o.stat(f"{proc}/0{pid}"),
        "readlink status": lambda o: o.readlink(f"{d}/status"),
    }


@needs_root
def test_errnos_of_changing_proc_match_the_host(m: Machine, host_child: int) -> None:
    pid = spawn_sleeper(m)
    try:
        host_calls = _changes("/proc", host_child)
        ours_calls = _changes("/proc", pid)
        host = {name: errno_of(lambda fn=fn: fn(os)) for name, fn in host_calls.items()}
        ours = {name: errno_of(lambda fn=fn: fn(m.os)) for name, fn in ours_calls.items()}
        assert all(host.values()), [k for k, v in host.items() if not v]
        assert {k: errno.errorcode[v] for k, v in ours.items()} == {
            k: errno.errorcode[v] for k, v in host.items()
        }
        assert m.os.listxattr(f"/proc/{pid}/status") == os.listxattr(f"/proc/{host_child}/status")
    finally:
        kill_and_reap(m, pid)


@needs_root
def test_errnos_across_the_mount_match_the_host(
    m: Machine, host_child: int, tmp_path: Path
) -> None:
    (tmp_path / "f").write_text("x")
    m.os.mkdir("/work")
    with m.open("/work/f", "w") as f:
        f.write("x")
    pid = spawn_sleeper(m)
    try:
        for here, there, o in ((str(tmp_path), host_child, os), ("/work", pid, m.os)):
            status = f"/proc/{there}/status"
            assert errno_of(lambda: o.rename(status, f"{here}/g")) == errno.EXDEV  # noqa: B023
            assert errno_of(lambda: o.rename(f"{here}/f", "/proc/zz")) == errno.EXDEV  # noqa: B023
            assert errno_of(lambda: o.link(status, f"{here}/g")) == errno.EXDEV  # noqa: B023
        assert not (tmp_path / "g").exists() and not m.os.path.exists("/work/g")
        assert errno_of(lambda: m.os.rmdir("/proc")) == errno.EBUSY  # a mount point
        assert m.os.path.isdir("/proc")
    finally:
        kill_and_reap(m, pid)


@needs_host
def test_self_and_cwd_links_read_as_on_the_host(m: Machine) -> None:
    assert os.readlink("/proc/self") == str(os.getpid())
    assert m.os.readlink("/proc/self") == str(m.os.getpid()) == "1"
    m.os.chdir("/tmp")
    assert m.os.readlink("/proc/self/cwd") == m.os.getcwd() == "/tmp"
    assert m.os.readlink("/proc/self/root") == "/"
    # a magic link is followed to the directory itself
    with m.open("/proc/self/cwd/made", "w") as f:
        f.write("through cwd")
    assert read(m, "/tmp/made") == b"through cwd"
    assert m.os.stat("/proc/self/cwd").st_ino == m.os.stat("/tmp").st_ino
    assert m.os.path.realpath("/proc/self/cwd") == "/tmp"


# -- the machine's own behaviour ---------------------------------------------------------
def test_listing_proc_shows_every_process_and_self(m: Machine) -> None:
    assert m.os.listdir("/proc") == ["self", "uptime", "1"]
    pid = spawn_sleeper(m)
    try:
        names = m.os.listdir("/proc")
        assert names == ["self", "uptime", "1", str(pid)]
        entries = {e.name: e for e in m.os.scandir("/proc")}
        assert entries[str(pid)].is_dir() and entries["self"].is_symlink()
        assert entries["uptime"].is_file()
        assert m.os.stat(f"/proc/{pid}").st_mtime_ns == m.kernel.processes[pid].start_ns
        assert sorted(m.os.listdir(f"/proc/{pid}")) == sorted(
            ["fd", "environ", "status", "comm", "cmdline", "cwd", "root", "exe"]
        )
    finally:
        kill_and_reap(m, pid)
    assert errno_of(lambda: m.os.stat(f"/proc/{pid}")) == errno.ENOENT
    assert str(pid) not in m.os.listdir("/proc")


def test_proc_is_a_read_only_directory_owned_by_root(m: Machine) -> None:
    st = m.os.stat("/proc")
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o555
    assert (st.st_uid, st.st_gid) == (0, 0)
    up, idle = (float(x) for x in read(m, "/proc/uptime").split())
    assert 0 <= up < 60 and idle == pytest.approx(up * (m.cpu_count or 1), abs=0.02)


def test_self_is_per_process(m: Machine) -> None:
    r = m.sh("echo $$; readlink /proc/self; cat /proc/self/status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    shell_pid, readlink_pid = int(lines[0]), int(lines[1])
    assert readlink_pid != shell_pid  # readlink is its own process, as on Linux
    status = dict(line.split(":\t", 1) for line in lines[2:])
    assert status["Name"] == "cat" and status["PPid"] == str(shell_pid)
    assert status["State"] == "R (running)"  # a process reading its own status runs


def test_zombie_shows_state_z_then_vanishes_when_reaped(m: Machine) -> None:
    pid = int(m.os.posix_spawn("/bin/sh", ["sh", "-c", "exit 3"], {}))
    deadline = time.monotonic() + 10
    while m.kernel.processes[pid].state != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    status = read(m, f"/proc/{pid}/status").decode()
    assert "\nState:\tZ (zombie)\n" in status
    assert read(m, f"/proc/{pid}/cmdline") == b"" and read(m, f"/proc/{pid}/environ") == b""
    assert errno_of(lambda: m.os.readlink(f"/proc/{pid}/cwd")) == errno.ENOENT
    assert m.os.listdir(f"/proc/{pid}/fd") == []
    assert m.os.waitpid(pid, 0) == (pid, 3 << 8)
    for path in ("", "/status", "/cmdline"):
        assert errno_of(lambda path=path: m.os.stat(f"/proc/{pid}{path}")) == errno.ENOENT


def test_children_under_patch_appear_in_proc(m: Machine) -> None:
    with m.patch():
        child = subprocess.Popen(["sleep", "30"])
        try:
            assert str(child.pid) in os.listdir("/proc")
            with open(f"/proc/{child.pid}/cmdline", "rb") as f:
                assert f.read() == b"sleep\x0030\x00"
            with open(f"/proc/{child.pid}/status") as f:
                status = f.read()
            assert f"\nPPid:\t{os.getpid()}\n" in status
            assert os.path.realpath("/proc/self") == f"/proc/{os.getpid()}"
        finally:
            child.kill()
            child.wait()
        assert not os.path.exists(f"/proc/{child.pid}")


def test_environ_and_links_need_ptrace_access(m: Machine) -> None:
    pid = spawn_sleeper(m)
    o = m.os
    try:
        o.setegid(100)
        o.seteuid(1000)
        try:
            assert errno_of(lambda: o.open(f"/proc/{pid}/environ", o.O_RDONLY)) == errno.EACCES
            assert errno_of(lambda: o.readlink(f"/proc/{pid}/cwd")) == errno.EACCES
            assert errno_of(lambda: o.stat(f"/proc/{pid}/cwd/")) == errno.EACCES
            assert errno_of(lambda: o.listdir(f"/proc/{pid}/fd")) == errno.EACCES
            assert b"Name:\tsleep\n" in read(m, f"/proc/{pid}/status")  # 0444: readable
            # one's own process stays readable, owned by the effective ids
            assert read(m, "/proc/self/cmdline") == b"init\x00"
            st = o.stat("/proc/self")
            assert (st.st_uid, st.st_gid) == (1000, 100)
            assert read(m, "/proc/self/environ").startswith(b"PATH=")
            status = read(m, "/proc/self/status").decode()
            assert "\nUid:\t0\t1000\t0\t1000\n" in status
            assert "\nCapEff:\t0000000000000000\n" in status
        finally:
            o.seteuid(0)
            o.setegid(0)
        assert read(m, f"/proc/{pid}/environ") == b"A=1\x00B=2\x00"  # root may
    finally:
        kill_and_reap(m, pid)


def test_fd_links(m: Machine) -> None:
    o = m.os
    o.mkdir("/data")
    fd = o.open("/data/file", o.O_CREAT | o.O_WRONLY, 0o644)
    dfd = o.open("/data", o.O_RDONLY | o.O_DIRECTORY)
    r, w = o.pipe()
    try:
        names = o.listdir("/proc/self/fd")
        assert names == sorted(names, key=int) and str(fd) in names
        assert o.readlink(f"/proc/self/fd/{fd}") == "/data/file"
        assert o.readlink(f"/proc/self/fd/{dfd}") == "/data"
        assert o.readlink(f"/proc/self/fd/{r}") == o.readlink(f"/proc/self/fd/{w}")
        assert o.readlink(f"/proc/self/fd/{r}").startswith("pipe:[")
        assert stat.filemode(o.lstat(f"/proc/self/fd/{fd}").st_mode) == "l-wx------"
        assert stat.filemode(o.lstat(f"/proc/self/fd/{r}").st_mode) == "lr-x------"
        # following the link reaches the open file itself, even once unlinked
        o.write(fd, b"data")
        o.unlink("/data/file")
        assert read(m, f"/proc/self/fd/{fd}") == b"data"
        assert o.readlink(f"/proc/self/fd/{fd}").endswith("(deleted)")
    finally:
        for n in (fd, dfd, r, w):
            o.close(n)
    assert errno_of(lambda: o.readlink(f"/proc/self/fd/{fd}")) == errno.ENOENT


def test_reading_and_seeking_a_proc_file(m: Machine) -> None:
    o = m.os
    fd = o.open("/proc/self/cmdline", o.O_RDONLY)
    try:
        assert o.read(fd, 2) == b"in"
        assert o.lseek(fd, 0, os.SEEK_CUR) == 2
        assert o.read(fd, 100) == b"it\x00"
        assert o.read(fd, 100) == b""
        assert o.lseek(fd, 1, os.SEEK_SET) == 1 and o.pread(fd, 3, 0) == b"ini"
        assert o.fstat(fd).st_mode == stat.S_IFREG | 0o444
    finally:
        o.close(fd)
    with m.open("/proc/self/status") as f:  # the text layer over a size-0 file
        assert f.read().startswith("Name:\tinit\n")


def test_cwd_inside_proc(m: Machine) -> None:
    o = m.os
    o.chdir("/proc/self")
    assert o.getcwd() == "/proc/1"
    assert read(m, "cmdline") == b"init\x00"
    assert "status" in o.listdir(".")
    o.chdir("fd")
    assert o.getcwd() == "/proc/1/fd"
    o.chdir("..")
    o.chdir("..")
    assert o.getcwd() == "/proc"
    assert o.readlink("self") == "1"
    o.chdir("..")
    assert o.getcwd() == "/"
    dfd = o.open("/proc/1", o.O_RDONLY | o.O_DIRECTORY)
    try:
        assert o.stat("status", dir_fd=dfd).st_mode == stat.S_IFREG | 0o444
        assert sorted(o.listdir(dfd)) == sorted(o.listdir("/proc/1"))
    finally:
        o.close(dfd)


def test_dentry_cache_keeps_no_answer_through_proc(m: Machine) -> None:
    o = m.os
    o.mkdir("/a")
    o.mkdir("/b")
    with m.open("/a/only-in-a", "w"):
        pass
    o.chdir("/a")
    assert o.path.exists("/proc/self/cwd/only-in-a")
    o.chdir("/b")  # the same path now leads elsewhere
    assert not o.path.exists("/proc/self/cwd/only-in-a")
    assert o.listdir("/proc/self/cwd") == []
    pid = spawn_sleeper(m)
    kill_and_reap(m, pid)
    assert not o.path.exists(f"/proc/{pid}/fd")


def test_ordinary_names_under_proc_stay_out_of_the_store(m: Machine) -> None:
    o = m.os
    assert errno_of(lambda: o.mkdir("/proc/data")) == errno.ENOENT
    assert errno_of(lambda: m.open("/proc/x", "w")) == errno.ENOENT
    assert errno_of(lambda: o.rmdir("/proc")) == errno.EBUSY
    assert errno_of(lambda: o.rename("/proc", "/tmp/p")) == errno.EBUSY
    assert errno_of(lambda: o.unlink("/proc")) == errno.EISDIR
    # root may chown, utime and truncate procfs files: accepted, kept nowhere
    o.chown("/proc/self/status", 5, 5)
    o.utime("/proc/self/status", (1, 1))
    o.truncate("/proc/self/status", 0)
    assert o.stat("/proc/self/status").st_uid == 0
    assert read(m, "/proc/self/status").startswith(b"Name:")


def test_old_sqlite_machine_gets_proc_on_open(tmp_path: Path) -> None:
    db = str(tmp_path / "old.db")
    with Machine(db) as m:
        store = m.store
        with m.kernel.lock:  # the tree of a machine made before /proc existed
            gone = store.unlink(store.root_ino, "proc", 0)
            store.free(gone.ino)
    with Machine(db) as m:
        assert "proc" in m.os.listdir("/")
        assert m.os.listdir("/proc") == ["self", "uptime", "1"]


def test_proc_from_the_shell(m: Machine) -> None:
    script = (
        "ls /proc; cat /proc/$$/cmdline | tr '\\0' ' '; echo; "
        "cd /tmp && readlink /proc/self/cwd; "
        "grep '^State:' /proc/self/status; "
        "ls -l /proc/self/fd | tail -n +2 | cut -c1-10; "
        "cat /proc/self/environ | tr '\\0' '\\n' | grep ^ONLY"
    )
    r = m.run(["sh", "-c", script], env={"ONLY": "me", "PATH": "/bin"})
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert out[:2] == ["1", str(int(out[0]) + 1)] or out[0] == "1"
    assert "self" in out and "uptime" in out
    i = out.index("uptime")
    assert out[i + 1] == f"sh -c {script} "
    assert out[i + 2] == "/tmp"
    assert out[i + 3] == "State:\tR (running)"
    assert out[i + 4 : i + 7] == ["lr-x------", "l-wx------", "l-wx------"]
    assert out[i + 7] == "ONLY=me"


def test_pipes_and_console_reopen_through_fd_links(m: Machine) -> None:
    o = m.os
    r, w = o.pipe()
    try:
        with m.open(f"/proc/self/fd/{w}", "w") as f:  # O_CREAT|O_TRUNC: reopened, not made
            f.write("through the link\n")
        assert o.read(r, 100) == b"through the link\n"
        assert o.stat(f"/proc/self/fd/{r}").st_mode == o.fstat(r).st_mode
    finally:
        o.close(r)
        o.close(w)
    r2 = m.sh(
        "echo out >/proc/self/fd/1; echo err >/proc/self/fd/2; cat /proc/self/fd/0", input=b"in\n"
    )
    assert (r2.returncode, r2.stdout, r2.stderr) == (0, b"out\nin\n", b"err\n")
    assert errno_of(lambda: m.open("/proc/self", "w")) == errno.EISDIR


def test_proc_survives_an_overlay(m: Machine, tmp_path: Path) -> None:
    (tmp_path / "h.txt").write_text("host")
    m.overlay(str(tmp_path), "/mnt/host")
    assert read(m, "/mnt/host/h.txt") == b"host"
    assert m.os.listdir("/proc") == ["self", "uptime", "1"]
    assert read(m, "/proc/self/cmdline") == b"init\x00"
    m.os.chdir("/mnt/host")
    assert m.os.readlink("/proc/self/cwd") == "/mnt/host"
