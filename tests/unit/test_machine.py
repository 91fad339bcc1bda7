"""Machine-level behaviour: the skeleton, process 1, configuration, capacity
and the names osbox does not virtualise. (Semantics shared with Linux are in
tests/conformance, checked against the real OS.)"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from osbox import Machine


@pytest.fixture
def m() -> Iterator[Machine]:
    machine = Machine()
    yield machine
    machine.close()


def test_fresh_machine_skeleton(m: Machine) -> None:
    o = m.os
    assert sorted(o.listdir("/")) == [
        "bin",
        "dev",
        "etc",
        "home",
        "lib",
        "proc",
        "root",
        "sbin",
        "tmp",
        "usr",
    ]
    assert o.readlink("/bin") == "usr/bin"
    assert o.access("/usr/bin/sh", os.X_OK) and o.access("/usr/bin/python3", os.X_OK)
    assert stat.S_IMODE(o.stat("/tmp").st_mode) == 0o1777
    assert stat.S_IMODE(o.stat("/root").st_mode) == 0o700
    with m.open("/etc/passwd") as f:
        assert f.read().startswith("root:x:0:0:")
    with m.open("/etc/group") as f:
        assert f.read().startswith("root:x:0:")
    for name, minor in (("null", 3), ("zero", 5), ("full", 7), ("urandom", 9)):
        st = o.stat("/dev/" + name)
        assert stat.S_ISCHR(st.st_mode)
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, minor)
        assert stat.S_IMODE(st.st_mode) == 0o666


def test_process_one(m: Machine) -> None:
    o = m.os
    assert (o.getpid(), o.getppid()) == (1, 0)
    assert (o.getuid(), o.geteuid(), o.getgid(), o.getegid()) == (0, 0, 0, 0)
    assert o.getgroups() == [0]
    assert o.getcwd() == "/"
    assert o.getlogin() == "root"
    assert o.environ["HOME"] == "/root"
    assert "PATH" in o.environ


def test_environment_is_never_the_hosts(m: Machine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSBOX_HOST_ONLY", "1")
    assert "OSBOX_HOST_ONLY" not in m.os.environ
    m.os.environ["OSBOX_MACHINE_ONLY"] = "1"
    assert "OSBOX_MACHINE_ONLY" not in os.environ
    assert m.os.getenv("OSBOX_MACHINE_ONLY") == "1"


def test_uname_and_cpu_count_are_configurable() -> None:
    with Machine(uname={"nodename": "web1", "release": "5.10.0"}, cpu_count=8) as m:
        u = m.os.uname()
        assert (u.sysname, u.nodename, u.release) == ("Linux", "web1", "5.10.0")
        assert m.os.cpu_count() == 8
        assert m.os.sched_getaffinity(0) == set(range(8))


def test_every_host_name_exists(m: Machine) -> None:
    missing = [n for n in dir(os) if not n.startswith("__") and not hasattr(m.os, n)]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "args"),
    [("fork", ()), ("forkpty", ()), ("openpty", ()), ("nice", (1,))],
)
def test_unvirtualised_names_raise_enosys(m: Machine, name: str, args: tuple[object, ...]) -> None:
    with pytest.raises(OSError) as e:
        getattr(m.os, name)(*args)
    assert e.value.errno == errno.ENOSYS
    assert f"os.{name}" in str(e.value)


def test_processes_never_reach_the_host(m: Machine, tmp_path: Path) -> None:
    marker = tmp_path / "leak"
    code = f"open({str(marker)!r}, 'w').write('x')"
    # the machine has no such directory: the child fails inside the machine
    assert m.os.spawnlp(os.P_WAIT, "python3", "python3", "-c", code) == 1
    m.os.makedirs(str(tmp_path))
    assert m.os.spawnlp(os.P_WAIT, "python3", "python3", "-c", code) == 0
    assert m.os.path.exists(str(marker))
    assert not marker.exists()


def test_supports_sets_hold_the_machines_functions(m: Machine) -> None:
    o = m.os
    assert {o.open, o.stat, o.mkdir, o.unlink, o.rmdir, o.rename} <= o.supports_dir_fd
    assert {o.stat, o.listdir, o.scandir, o.chdir, o.truncate} <= o.supports_fd
    assert o.stat in o.supports_follow_symlinks
    assert o.access in o.supports_effective_ids
    assert os.stat not in o.supports_dir_fd


def test_byte_capacity_gives_enospc_and_writes_nothing() -> None:
    with Machine(capacity_bytes=64 * 4096) as m:
        fd = m.os.open("/tmp/f", os.O_WRONLY | os.O_CREAT)
        try:
            used = m.os.statvfs("/").f_bfree
            m.os.write(fd, b"x" * 4096)
            with pytest.raises(OSError) as e:
                m.os.write(fd, b"y" * (used * 4096))
            assert e.value.errno == errno.ENOSPC
            assert m.os.fstat(fd).st_size == 4096
        finally:
            m.os.close(fd)
        with m.open("/tmp/f", "rb") as f:
            assert f.read() == b"x" * 4096
        assert m.os.statvfs("/").f_blocks == 64


def test_inode_capacity_gives_enospc(m: Machine) -> None:
    with Machine(capacity_inodes=20) as small:
        with pytest.raises(OSError) as e:
            for i in range(30):
                small.os.mkdir(f"/tmp/d{i}")
        assert e.value.errno == errno.ENOSPC
        assert small.fsck() == []
        assert small.os.statvfs("/").f_ffree == 0


def test_console_fds(m: Machine, capfd: pytest.CaptureFixture[str]) -> None:
    assert m.os.write(1, b"to the terminal\n") == 16
    assert "to the terminal" in capfd.readouterr().out
    assert stat.S_ISCHR(m.os.fstat(1).st_mode)


def test_fsck_clean_after_work(m: Machine) -> None:
    o = m.os
    o.makedirs("/a/b/c")
    o.link("/etc/passwd", "/a/pw")
    o.rename("/a/b", "/tmp/b")
    fd = o.open("/a/gone", os.O_CREAT | os.O_RDWR)
    o.unlink("/a/gone")
    assert m.fsck() == []
    o.close(fd)
    assert m.fsck() == []
