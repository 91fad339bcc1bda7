"""Overlays (``Machine.overlay``, ``stores/overlay``): a host directory as a
copy-on-write layer. Every test that layers the ``host`` tree checks, when
it ends, that the host tree is exactly as it was (paths, types, modes,
owners, sizes, mtimes, inode numbers, link counts, contents)."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from osbox import Machine
from osbox.cli.main import cli
from osbox.kernel.devices import DEVICES
from osbox.stores.memory import MemoryStore
from osbox.stores.overlay import LOWER_BASE, OverlayMount, OverlayStore, is_whiteout
from osbox.stores.overlay import _host as host_module

AT = "/h"


def host_state(root: Path) -> list[tuple[Any, ...]]:
    """Everything about the tree at ``root`` a write could change (atime
    aside: reading a host file may update it where O_NOATIME is refused)."""
    state: list[tuple[Any, ...]] = []
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            content: Any = path.read_bytes()
        elif stat.S_ISLNK(st.st_mode):
            content = os.readlink(path)
        else:
            content = None
        state.append(
            (
                str(path),
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_ino,
                st.st_nlink,
                content,
            )
        )
    return state


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Path]:
    """A host tree: files, a private file, nested directories, a symlink
    and a hard link pair; unchanged when the test ends."""
    root = tmp_path / "host"
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "ro.txt").write_bytes(b"secret\n")
    os.chmod(root / "ro.txt", 0o600)
    (root / "dir" / "inner.txt").write_bytes(b"inner\n")
    (root / "dir" / "sub" / "deep.txt").write_bytes(b"deep\n")
    (root / "link").symlink_to("a.txt")
    (root / "hard1").write_bytes(b"linked\n")
    os.link(root / "hard1", root / "hard2")
    os.utime(root / "dir", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = host_state(root)
    yield root
    assert host_state(root) == before, "the overlay changed the host"


@pytest.fixture
def m(host: Path) -> Iterator[Machine]:
    machine = Machine()
    machine.overlay(str(host), at=AT)
    yield machine
    machine.close()


def store(machine: Machine) -> OverlayStore:
    s = machine.store
    assert isinstance(s, OverlayStore)
    return s


def upper_of(machine: Machine, path: str) -> int:
    """The upper inode number behind a machine path."""
    s = store(machine)
    vis = machine.os.lstat(path).st_ino
    return s._v2u.get(vis, vis)


def origin(machine: Machine, path: str) -> dict[str, Any]:
    value = store(machine).upper.xattrs(upper_of(machine, path))["trusted.overlay.origin"]
    record: dict[str, Any] = json.loads(value)
    return record


def read(machine: Machine, path: str) -> bytes:
    with machine.open(path, "rb") as f:
        data: bytes = f.read()
        return data


def test_reads_fall_through(m: Machine, host: Path) -> None:
    o = m.os
    assert sorted(o.listdir(AT)) == sorted(os.listdir(host))
    assert read(m, AT + "/a.txt") == b"alpha\n"
    assert read(m, AT + "/dir/sub/deep.txt") == b"deep\n"
    assert o.readlink(AT + "/link") == "a.txt"
    assert read(m, AT + "/link") == b"alpha\n"
    for name in ("a.txt", "ro.txt", "dir", "link"):
        mine, real = o.lstat(AT + "/" + name), os.lstat(host / name)
        assert (mine.st_mode, mine.st_uid, mine.st_gid) == (
            real.st_mode,
            real.st_uid,
            real.st_gid,
        )
        assert mine.st_mtime_ns == real.st_mtime_ns
        assert mine.st_ino >= LOWER_BASE
        if not stat.S_ISDIR(real.st_mode):
            assert mine.st_size == real.st_size
    # Nothing was copied up by reading.
    assert store(m)._v2u == {}


def test_write_copies_up_and_keeps_ino(m: Machine, host: Path) -> None:
    o = m.os
    path = AT + "/a.txt"
    ino = o.stat(path).st_ino
    with m.open(path, "ab") as f:
        f.write(b"beta\n")
    assert read(m, path) == b"alpha\nbeta\n"
    assert o.stat(path).st_ino == ino
    assert o.stat(path).st_size == 11
    record = origin(m, path)
    real = os.lstat(host / "a.txt")
    assert record["path"] == str(host / "a.txt")
    assert record["ino"] == ino
    assert record["type"] == "file"
    assert record["mode"] == real.st_mode and record["size"] == 6
    assert record["mtime_ns"] == real.st_mtime_ns
    assert record["sha256"] == __import__("hashlib").sha256(b"alpha\n").hexdigest()
    assert record["target"] is None


def test_copy_up_of_a_nested_file_copies_its_directories(m: Machine, host: Path) -> None:
    o = m.os
    dir_ino = o.stat(AT + "/dir/sub").st_ino
    dir_mtime = o.stat(AT + "/dir").st_mtime_ns
    with m.open(AT + "/dir/sub/deep.txt", "w") as f:
        f.write("changed\n")
    assert o.stat(AT + "/dir/sub").st_ino == dir_ino
    assert origin(m, AT + "/dir/sub")["type"] == "dir"
    # The copy-up leaves the parents' times alone (ovl_set_timestamps).
    assert o.stat(AT + "/dir").st_mtime_ns == dir_mtime == os.stat(host / "dir").st_mtime_ns
    assert sorted(o.listdir(AT + "/dir")) == ["inner.txt", "sub"]
    assert read(m, AT + "/dir/inner.txt") == b"inner\n"


def test_trusted_overlay_xattrs_are_hidden(m: Machine) -> None:
    o = m.os
    path = AT + "/a.txt"
    o.chmod(path, 0o640)  # copy-up: the upper inode has an origin record
    assert "trusted.overlay.origin" not in o.listxattr(path)
    with pytest.raises(OSError) as e:
        o.getxattr(path, "trusted.overlay.origin")
    assert e.value.errno == errno.ENODATA
    o.setxattr(path, "user.note", b"x")
    assert o.getxattr(path, "user.note") == b"x"
    # One the machine sets is its own (stored escaped, as Linux 6.7+ does),
    # and changes nothing of the overlay's: the directory stays merged.
    o.setxattr(AT + "/dir", "trusted.overlay.opaque", b"y")
    assert o.getxattr(AT + "/dir", "trusted.overlay.opaque") == b"y"
    assert "trusted.overlay.opaque" in o.listxattr(AT + "/dir")
    assert sorted(o.listdir(AT + "/dir")) == ["inner.txt", "sub"]
    stored = store(m).upper.xattrs(upper_of(m, AT + "/dir"))
    assert stored["trusted.overlay.overlay.opaque"] == b"y"
    assert "trusted.overlay.opaque" not in stored
    o.removexattr(AT + "/dir", "trusted.overlay.opaque")
    assert "trusted.overlay.opaque" not in o.listxattr(AT + "/dir")


def test_unlink_leaves_a_whiteout(m: Machine) -> None:
    o = m.os
    o.unlink(AT + "/a.txt")
    assert "a.txt" not in o.listdir(AT)
    with pytest.raises(FileNotFoundError):
        o.stat(AT + "/a.txt")
    s = store(m)
    (mount,) = s.mounts()
    node = s.upper.lookup(mount.upper_ino, "a.txt")
    assert node is not None and is_whiteout(node)
    assert stat.S_ISCHR(node.mode) and node.rdev == 0
    # Creating the name again replaces the whiteout.
    with m.open(AT + "/a.txt", "w") as f:
        f.write("new\n")
    assert read(m, AT + "/a.txt") == b"new\n"
    node = s.upper.lookup(mount.upper_ino, "a.txt")
    assert node is not None and stat.S_ISREG(node.mode)


def test_mknod_of_a_whiteout_is_refused(m: Machine) -> None:
    with pytest.raises(PermissionError):
        m.os.mknod(AT + "/wo", stat.S_IFCHR | 0o600, 0)


def test_merged_listing_and_directory_counts(m: Machine, host: Path) -> None:
    o = m.os
    o.mkdir(AT + "/newdir")
    with m.open(AT + "/new.txt", "w") as f:
        f.write("n")
    names = sorted(os.listdir(host)) + ["new.txt", "newdir"]
    assert sorted(o.listdir(AT)) == sorted(names)
    st = o.stat(AT)
    assert st.st_size == 40 + 20 * len(names)
    assert st.st_nlink == 2 + 2  # dir and newdir
    o.unlink(AT + "/hard1")
    o.rmdir(AT + "/newdir")
    st = o.stat(AT)
    assert st.st_size == 40 + 20 * (len(names) - 2)
    assert st.st_nlink == 3
    assert sorted(e.name for e in o.scandir(AT)) == sorted(set(names) - {"hard1", "newdir"})


def test_rename_host_file_and_directory(m: Machine) -> None:
    o = m.os
    ino = o.stat(AT + "/a.txt").st_ino
    o.rename(AT + "/a.txt", AT + "/b.txt")
    assert read(m, AT + "/b.txt") == b"alpha\n"
    assert o.stat(AT + "/b.txt").st_ino == ino
    assert not o.path.exists(AT + "/a.txt")
    dino = o.stat(AT + "/dir").st_ino
    o.rename(AT + "/dir", AT + "/moved")
    assert not o.path.exists(AT + "/dir")
    assert o.stat(AT + "/moved").st_ino == dino
    assert sorted(o.listdir(AT + "/moved")) == ["inner.txt", "sub"]
    assert read(m, AT + "/moved/sub/deep.txt") == b"deep\n"
    # Into a directory outside the overlay, and back over a host name.
    o.rename(AT + "/moved/inner.txt", "/tmp/inner.txt")
    assert read(m, "/tmp/inner.txt") == b"inner\n"
    o.rename("/tmp/inner.txt", AT + "/ro.txt")
    assert read(m, AT + "/ro.txt") == b"inner\n"
    assert sorted(o.listdir(AT + "/moved")) == ["sub"]


def test_rmdir_then_mkdir_is_opaque(m: Machine) -> None:
    o = m.os
    o.unlink(AT + "/dir/sub/deep.txt")
    o.rmdir(AT + "/dir/sub")
    o.unlink(AT + "/dir/inner.txt")
    o.rmdir(AT + "/dir")
    assert "dir" not in o.listdir(AT)
    o.mkdir(AT + "/dir")
    assert o.listdir(AT + "/dir") == []
    assert o.stat(AT + "/dir").st_nlink == 2
    u = upper_of(m, AT + "/dir")
    assert store(m).upper.xattrs(u).get("trusted.overlay.opaque") == b"y"


def test_rmdir_of_a_non_empty_host_directory(m: Machine) -> None:
    with pytest.raises(OSError) as e:
        m.os.rmdir(AT + "/dir")
    assert e.value.errno == errno.ENOTEMPTY
    m.sh(f"rm -r {AT}/dir")
    assert "dir" not in m.os.listdir(AT)


def test_attribute_changes_copy_up(m: Machine, host: Path) -> None:
    o = m.os
    path = AT + "/a.txt"
    ino = o.stat(path).st_ino
    o.chmod(path, 0o600)
    o.chown(path, 1000, 1000)
    o.utime(path, ns=(5_000_000_000, 6_000_000_000))
    st = o.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert (st.st_atime_ns, st.st_mtime_ns) == (5_000_000_000, 6_000_000_000)
    assert st.st_ino == ino
    assert read(m, path) == b"alpha\n"
    # A directory too, keeping what it holds.
    o.chmod(AT + "/dir", 0o700)
    assert stat.S_IMODE(o.stat(AT + "/dir").st_mode) == 0o700
    assert sorted(o.listdir(AT + "/dir")) == ["inner.txt", "sub"]


def test_read_only_updates_atime_without_copy_up(m: Machine) -> None:
    o = m.os
    path = AT + "/dir/inner.txt"
    o.utime(AT + "/a.txt")  # an explicit change copies up
    before = store(m)._v2u.copy()
    read(m, path)
    o.listdir(AT + "/dir")
    assert store(m)._v2u == before


def test_hard_link_of_a_host_file(m: Machine) -> None:
    o = m.os
    ino = o.stat(AT + "/a.txt").st_ino
    o.link(AT + "/a.txt", AT + "/dir/h")
    a, h = o.stat(AT + "/a.txt"), o.stat(AT + "/dir/h")
    assert a.st_ino == h.st_ino == ino
    assert a.st_nlink == h.st_nlink == 2
    with m.open(AT + "/dir/h", "a") as f:
        f.write("via h\n")
    assert read(m, AT + "/a.txt") == b"alpha\nvia h\n"


def test_host_hard_links_share_an_ino(m: Machine) -> None:
    o = m.os
    assert o.stat(AT + "/hard1").st_ino == o.stat(AT + "/hard2").st_ino
    assert o.stat(AT + "/hard1").st_nlink == 2


def test_symlink_copy_up(m: Machine) -> None:
    o = m.os
    ino = o.lstat(AT + "/link").st_ino
    o.chown(AT + "/link", 7, 7, follow_symlinks=False)
    st = o.lstat(AT + "/link")
    assert (st.st_ino, st.st_uid) == (ino, 7)
    assert o.readlink(AT + "/link") == "a.txt"
    assert origin(m, AT + "/link")["target"] == "a.txt"


def test_unlink_of_an_open_host_file(m: Machine) -> None:
    o = m.os
    fd = o.open(AT + "/a.txt", os.O_RDWR)
    try:
        o.unlink(AT + "/a.txt")
        assert o.fstat(fd).st_nlink == 0
        assert o.read(fd, 5) == b"alpha"
        o.write(fd, b"!")  # copies up an inode in no directory
        o.lseek(fd, 0, os.SEEK_SET)
        assert o.read(fd, 10) == b"alpha!"
    finally:
        o.close(fd)
    assert "a.txt" not in o.listdir(AT)
    assert m.fsck() == []


def test_persistence_across_reopen(tmp_path: Path, host: Path) -> None:
    db = str(tmp_path / "m.db")
    with Machine(db) as machine:
        machine.overlay(str(host), at=AT)
        o = machine.os
        with machine.open(AT + "/a.txt", "a") as f:
            f.write("more\n")
        o.unlink(AT + "/ro.txt")
        o.rename(AT + "/dir", AT + "/moved")
        inos = {p: o.lstat(AT + "/" + p).st_ino for p in ("a.txt", "moved", "link", "hard1")}
        deep = o.stat(AT + "/moved/sub/deep.txt").st_ino
    with Machine(db) as machine:
        assert machine.config["overlays"] == [{"host": str(host), "at": AT}]
        o = machine.os
        assert read(machine, AT + "/a.txt") == b"alpha\nmore\n"
        assert sorted(o.listdir(AT)) == ["a.txt", "hard1", "hard2", "link", "moved"]
        assert sorted(o.listdir(AT + "/moved")) == ["inner.txt", "sub"]
        assert {p: o.lstat(AT + "/" + p).st_ino for p in inos} == inos
        assert o.stat(AT + "/moved/sub/deep.txt").st_ino == deep
        assert machine.fsck() == []


def test_machine_user_gets_host_permissions(m: Machine) -> None:
    o = m.os
    o.setegid(1000)
    o.seteuid(1000)
    try:
        with pytest.raises(PermissionError):
            read(m, AT + "/ro.txt")  # 0600 root on the host
        assert read(m, AT + "/a.txt") == b"alpha\n"
        with pytest.raises(PermissionError):
            m.open(AT + "/a.txt", "a")  # 0644 root
        with pytest.raises(PermissionError):
            m.open(AT + "/dir/new", "w")  # the host directory is 0755 root
        with pytest.raises(PermissionError):
            o.chmod(AT + "/a.txt", 0o777)
    finally:
        o.seteuid(0)
        o.setegid(0)
    assert store(m)._v2u == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_host_file_osbox_cannot_read_is_eacces() -> None:
    """osbox itself running as nobody (a forked child): a host file it
    cannot read gives the machine's root EACCES on read and on copy-up;
    stat still shows the host's attributes."""
    top = Path(tempfile.mkdtemp())
    try:
        os.chmod(top, 0o755)
        (top / "secret").write_bytes(b"s")
        os.chmod(top / "secret", 0o600)
        machine = Machine()  # made by root: the machine is not the point
        machine.overlay(str(top), at="/h")
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            results: list[str] = []
            try:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                results.append(oct(machine.os.stat("/h/secret").st_mode))
                for call in (
                    lambda: read(machine, "/h/secret"),
                    lambda: machine.os.chmod("/h/secret", 0o644),
                ):
                    try:
                        call()
                        results.append("ok")
                    except OSError as e:
                        results.append(errno.errorcode[e.errno])
            except BaseException as e:  # noqa: BLE001
                results.append(repr(e))
            os.write(wfd, " ".join(results).encode())
            os._exit(0)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as f:
            out = f.read().decode()
        os.waitpid(pid, 0)
        machine.close()
        assert out.split() == ["0o100600", "EACCES", "EACCES"], out
        assert (top / "secret").read_bytes() == b"s"
        assert stat.S_IMODE(os.stat(top / "secret").st_mode) == 0o600
    finally:
        (top / "secret").unlink()
        top.rmdir()


def test_lower_device_nodes_use_the_kernel_drivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = host_module._open

    def spy(path: str, flags: int) -> int:
        opened.append(path)
        return real_open(path, flags)

    monkeypatch.setattr(host_module, "_open", spy)
    root = tmp_path / "devs"
    root.mkdir()
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    try:
        with Machine() as machine:
            machine.overlay("/dev", at="/hostdev")
            machine.overlay(str(root), at="/devs")
            o = machine.os
            st = o.stat("/hostdev/null")
            assert stat.S_ISCHR(st.st_mode) and st.st_rdev == DEVICES["null"]
            fd = o.open("/hostdev/null", os.O_RDWR)
            assert o.write(fd, b"gone") == 4
            assert o.read(fd, 10) == b""
            o.close(fd)
            with machine.open("/hostdev/zero", "rb") as f:
                assert f.read(4) == b"\0\0\0\0"
            unknown = [
                n
                for n in ("tty", "console", "ptmx", "kmsg")
                if os.path.exists("/dev/" + n)
                and stat.S_ISCHR(os.stat("/dev/" + n).st_mode)
                and os.stat("/dev/" + n).st_rdev not in DEVICES.values()
            ]
            for name in unknown:
                with pytest.raises(OSError) as e:
                    o.open("/hostdev/" + name, os.O_RDONLY)
                assert e.value.errno == errno.ENXIO
            # A host FIFO is a pipe of the machine: no writer, so EOF.
            fd = o.open("/devs/fifo", os.O_RDONLY | os.O_NONBLOCK)
            assert o.read(fd, 10) == b""
            o.close(fd)
            with pytest.raises(OSError) as e:
                o.open("/devs/fifo", os.O_WRONLY | os.O_NONBLOCK)
            assert e.value.errno == errno.ENXIO
            with pytest.raises(OSError) as e:
                o.open("/devs/sock", os.O_RDONLY)
            assert e.value.errno == errno.ENXIO
            assert "sock" in o.listdir("/devs")
    finally:
        sock.close()
    assert opened == []  # no host device, FIFO or socket was ever opened


def test_whole_host_root(tmp_path: Path) -> None:
    marker = "/etc/osbox-overlay-test"
    assert not os.path.exists(marker)
    with Machine() as machine:
        machine.overlay("/")
        o = machine.os
        with open("/etc/os-release", "rb") as f:
            assert read(machine, "/etc/os-release") == f.read()
        assert set(os.listdir("/")) <= set(o.listdir("/"))
        # osbox's own programs stay (links of the multi-call stub).
        stub = o.stat("/usr/lib/osbox/programs").st_ino
        assert o.stat("/usr/bin/ls").st_ino == stub
        done = machine.sh(f"echo hi > {marker} && cat {marker} && cat /etc/hostname")
        assert done.returncode == 0, done.stderr
        with open("/etc/hostname", "rb") as f:
            assert done.stdout == b"hi\n" + f.read()
        fd = o.open("/dev/null", os.O_WRONLY)
        o.write(fd, b"x")
        o.close(fd)
        # /proc stays the kernel's procfs, not the host's.
        assert o.readlink("/proc/self") == "1"
        with Machine() as plain:
            names = set(plain.os.listdir("/proc"))
        assert {n for n in o.listdir("/proc") if not n.isdigit()} == {
            n for n in names if not n.isdigit()
        }
    assert not os.path.exists(marker)


def test_a_machine_without_overlays_pays_nothing() -> None:
    with Machine() as machine:
        assert type(machine.kernel.store) is MemoryStore
        assert machine.kernel.dcache is not None


def test_low_level_api(tmp_path: Path) -> None:
    root = tmp_path / "low"
    root.mkdir()
    (root / "f").write_bytes(b"one")
    with Machine() as machine:
        machine.overlay(str(root), at="/low")
        s = store(machine)
        (mount,) = s.mounts()
        assert mount == OverlayMount(str(root), "/low", mount.upper_ino)
        assert s.upper.xattrs(mount.upper_ino)["trusted.overlay.lower"] == os.fsencode(root)
        with machine.open("/low/f", "w") as f:
            f.write("two")
        machine.os.unlink("/low/f")
        with machine.kernel.lock:
            s.revert(mount.upper_ino, "f")
        assert read(machine, "/low/f") == b"one"
        (root / "f").write_bytes(b"three")  # the host changed (a commit)
        with machine.kernel.lock:
            s.forget_host_cache()
        assert read(machine, "/low/f") == b"three"
        assert machine.fsck() == []


def test_overlay_errors(tmp_path: Path, host: Path) -> None:
    with Machine() as machine:
        with pytest.raises(FileNotFoundError):
            machine.overlay(str(tmp_path / "missing"))
        with pytest.raises(NotADirectoryError):
            machine.overlay(str(host / "a.txt"), at="/x")
        with pytest.raises(ValueError):
            machine.overlay(str(host), at="relative")
        machine.overlay(str(host), at="/deep/er/h")
        assert machine.os.listdir("/deep/er/h")
        with pytest.raises(ValueError):
            machine.overlay(str(host), at="/deep/er/h")


def test_existing_entries_are_settled(tmp_path: Path, host: Path) -> None:
    with Machine() as machine:
        o = machine.os
        o.makedirs(AT + "/dir")
        o.mkdir(AT + "/mine")
        with machine.open(AT + "/a.txt", "w") as f:
            f.write("machine's own\n")
        with machine.open(AT + "/only.txt", "w") as f:
            f.write("only\n")
        machine.overlay(str(host), at=AT)
        assert read(machine, AT + "/a.txt") == b"alpha\n"  # the host's shows
        assert read(machine, AT + "/only.txt") == b"only\n"
        assert sorted(o.listdir(AT + "/dir")) == ["inner.txt", "sub"]
        assert o.stat(AT + "/dir").st_mtime_ns == os.stat(host / "dir").st_mtime_ns
        upper = store(machine).upper
        assert upper.xattrs(upper_of(machine, AT + "/only.txt"))["trusted.overlay.base"] == b"y"
        assert upper.xattrs(upper_of(machine, AT + "/mine"))["trusted.overlay.base"] == b"y"
        assert "trusted.overlay.origin" in upper.xattrs(upper_of(machine, AT + "/dir"))


def test_cli_run_overlay(tmp_path: Path, host: Path) -> None:
    db = str(tmp_path / "cli.db")
    code = (
        "import os; print(sorted(os.listdir('/data')));"
        "open('/data/a.txt', 'a').write('cli\\n'); print(open('/data/a.txt').read(), end='')"
    )
    for _ in range(2):  # the second run finds the overlay saved with the machine
        result = CliRunner().invoke(
            cli, ["run", "--machine", db, "--overlay", f"{host}:/data", "-c", code]
        )
        assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == str(sorted(os.listdir(host)))
    assert lines[1:] == ["alpha", "cli", "cli"]
    result = CliRunner().invoke(
        cli, ["run", "--memory", "--overlay", str(tmp_path / "no"), "-c", ""]
    )
    assert result.exit_code == 2


def test_revert_keeps_open_files_of_committed_objects(tmp_path: Path) -> None:
    """After a commit wrote a file in place and reverted its copy, an fd
    holding its visible inode reads the host object."""
    root = tmp_path / "rev"
    root.mkdir()
    (root / "f").write_bytes(b"one")
    with Machine() as machine:
        machine.overlay(str(root), at="/rev")
        o = machine.os
        fd = o.open("/rev/f", os.O_RDWR)
        ino = o.fstat(fd).st_ino
        o.write(fd, b"two")  # copy-up
        (root / "f").write_bytes(b"two")  # what a commit does on the host (same inode)
        s = store(machine)
        with machine.kernel.lock:
            s.forget_host_cache()
            s.revert(s.mounts()[0].upper_ino, "f")
        assert o.fstat(fd).st_ino == ino
        assert o.pread(fd, 10, 0) == b"two"
        o.close(fd)
        assert o.stat("/rev/f").st_ino == ino
        assert machine.fsck() == []


def test_copy_up_beyond_capacity_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    (root / "f").write_bytes(b"x" * 100_000)
    with Machine(capacity_bytes=256 * 1024) as machine:
        used = machine.store.usage()[0]
        machine.config["capacity_bytes"] = used + 8192
        machine.store.set_capacity(used + 8192, None)
        machine.overlay(str(root), at="/big")
        o = machine.os
        with pytest.raises(OSError) as e:
            o.chmod("/big/f", 0o600)
        assert e.value.errno == errno.ENOSPC
        assert stat.S_IMODE(o.stat("/big/f").st_mode) == 0o644
        assert o.stat("/big/f").st_ino >= LOWER_BASE
        assert read(machine, "/big/f") == b"x" * 100_000
        assert machine.fsck() == []
