"""Snapshots, restore, fork and diff(since=) on memory and SQLite machines.

The oracle here is the machine itself: the whole tree's state (every path's
type, mode, owner, size, mtime, content, symlink target, xattrs and link
count) is captured when a snapshot is taken and must be exactly that again
after ``restore``, whatever happened in between.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from osbox import Machine, NoSuchSnapshot, SnapshotExists

KINDS = ["memory", "sqlite"]


@pytest.fixture(params=KINDS)
def m(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    machine = Machine(None if request.param == "memory" else str(tmp_path / "m.db"))
    yield machine
    machine.close()


def state(m: Machine) -> dict[str, tuple[Any, ...]]:
    """Everything observable about the tree except atime (reads change it)."""
    o = m.os
    found: dict[str, tuple[Any, ...]] = {}
    for root, dirs, files in o.walk("/"):
        if root == "/" and "proc" in dirs:
            dirs.remove("proc")  # the kernel's view of processes, not files
        for name in dirs + files:
            p = o.path.join(root, name)
            st = o.lstat(p)
            extra: Any = None
            if o.path.islink(p):
                extra = o.readlink(p)
            elif o.path.isfile(p):
                with m.open(p, "rb") as f:
                    extra = f.read()
            xattrs = {
                n: o.getxattr(p, n, follow_symlinks=False)
                for n in o.listxattr(p, follow_symlinks=False)
            }
            found[p] = (
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_size,
                st.st_nlink,
                st.st_mtime_ns,
                st.st_ino,
                extra,
                xattrs,
            )
    return found


def write(m: Machine, path: str, data: bytes) -> None:
    with m.open(path, "wb") as f:
        f.write(data)


def populate(m: Machine) -> None:
    o = m.os
    o.makedirs("/srv/app/conf")
    write(m, "/srv/app/conf/app.ini", b"[app]\nport = 80\n")
    write(m, "/srv/app/big.bin", os.urandom(200_000))
    write(m, "/srv/app/gone.txt", b"bye\n")
    o.symlink("conf/app.ini", "/srv/app/link")
    o.link("/srv/app/gone.txt", "/srv/app/hard")
    o.setxattr("/srv/app/conf/app.ini", "user.tag", b"v1")
    o.chown("/srv/app/conf", 1000, 1000)


def churn(m: Machine) -> None:
    """Every kind of change a store records."""
    o = m.os
    with m.open("/srv/app/conf/app.ini", "ab") as f:
        f.write(b"debug = 1\n")
    with m.open("/srv/app/big.bin", "r+b") as f:
        f.seek(70_000)
        f.write(b"X" * 10)
    o.truncate("/srv/app/big.bin", 100_000)
    o.remove("/srv/app/gone.txt")
    o.rename("/srv/app/conf", "/srv/app/etc")
    o.setxattr("/srv/app/etc/app.ini", "user.tag", b"v2")
    o.setxattr("/srv/app/etc/app.ini", "user.more", b"x")
    o.chmod("/srv/app", 0o700)
    o.utime("/srv/app/hard", ns=(1, 2))
    o.makedirs("/srv/new/deep")
    write(m, "/srv/new/deep/f", b"new")
    o.symlink("/nowhere", "/srv/new/dangling")
    o.rmdir("/home")


def test_restore_puts_back_exactly_what_was_there(m: Machine) -> None:
    populate(m)
    before = state(m)
    usage = m.store.usage()
    m.snapshot("s1")
    churn(m)
    assert state(m) != before
    m.restore("s1")
    assert state(m) == before
    assert m.store.usage() == usage
    assert m.fsck() == []
    # the snapshot stays usable: change again and restore again
    churn(m)
    m.restore("s1")
    assert state(m) == before


def test_nested_snapshots_and_linear_history(m: Machine) -> None:
    populate(m)
    s1 = state(m)
    m.snapshot("s1")
    write(m, "/srv/app/conf/app.ini", b"second\n")
    m.os.mkdir("/srv/two")
    s2 = state(m)
    m.snapshot("s2")
    churn(m)
    m.restore("s2")
    assert state(m) == s2
    assert [s.name for s in m.snapshots()] == ["s1", "s2"]
    m.restore("s1")
    assert state(m) == s1
    assert [s.name for s in m.snapshots()] == ["s1"]  # later snapshots go
    with pytest.raises(NoSuchSnapshot):
        m.restore("s2")


def test_delete_snapshot_keeps_the_others_restorable(m: Machine) -> None:
    populate(m)
    s1 = state(m)
    m.snapshot("s1")
    write(m, "/srv/app/conf/app.ini", b"second\n")
    m.snapshot("s2")
    churn(m)
    m.delete_snapshot("s2")  # its records merge into s1's
    m.restore("s1")
    assert state(m) == s1
    m.snapshot("s3")
    churn(m)
    m.delete_snapshot("s1")  # the oldest goes; s3 still restores
    m.restore("s3")
    assert state(m) == s1
    m.delete_snapshot("s3")
    assert m.snapshots() == []
    with pytest.raises(NoSuchSnapshot):
        m.delete_snapshot("s3")


def test_snapshot_names(m: Machine) -> None:
    m.snapshot("a")
    with pytest.raises(SnapshotExists):
        m.snapshot("a")
    for bad in ["", "x\0y"]:
        with pytest.raises(ValueError):
            m.snapshot(bad)


def test_restore_is_refused_while_files_are_open(m: Machine) -> None:
    populate(m)
    m.snapshot("s")
    fd = m.os.open("/srv/app/big.bin", os.O_RDONLY)
    with pytest.raises(OSError) as info:
        m.restore("s")
    assert info.value.errno == errno.EBUSY
    m.os.close(fd)
    m.restore("s")


def test_cwd_that_vanishes_moves_to_root(m: Machine) -> None:
    m.snapshot("s")
    m.os.makedirs("/work/here")
    m.os.chdir("/work/here")
    m.restore("s")
    assert m.os.getcwd() == "/"
    assert not m.os.path.exists("/work")


def test_shell_sees_the_restored_tree(m: Machine) -> None:
    populate(m)
    m.snapshot("s")
    assert m.sh("rm -r /srv/app && ls /srv").stdout == b""
    m.restore("s")
    assert m.sh("cat /srv/app/conf/app.ini").stdout == b"[app]\nport = 80\n"


def test_diff_since(m: Machine) -> None:
    populate(m)
    m.snapshot("s")
    assert m.diff(since="s") == []
    churn(m)
    got = {(c.kind, c.path, c.old_path) for c in m.diff(since="s")}
    assert got == {
        ("modified", "/srv/app/big.bin", None),
        ("metadata", "/srv/app", None),
        ("metadata", "/srv/app/hard", None),
        ("deleted", "/srv/app/gone.txt", None),
        ("deleted", "/home", None),
        ("renamed", "/srv/app/etc", "/srv/app/conf"),
        ("added", "/srv/new", None),
        ("added", "/srv/new/deep", None),
        ("added", "/srv/new/deep/f", None),
        ("added", "/srv/new/dangling", None),
    } | {
        # everything below a renamed directory has a new path
        ("renamed", "/srv/app/etc/app.ini", "/srv/app/conf/app.ini"),
    }
    details = {c.path: c.details for c in m.diff(since="s")}
    assert details["/srv/app"]["mode"] == (0o40755, 0o40700)
    assert details["/srv/app/big.bin"]["size"] == (200_000, 100_000)
    with pytest.raises(NoSuchSnapshot):
        m.diff(since="nope")


def test_fork_is_independent(m: Machine, tmp_path: Path) -> None:
    populate(m)
    m.snapshot("s")
    child = m.fork(None if m.path is None else str(tmp_path / "child.db"))
    try:
        assert state(child) == state(m)
        assert [s.name for s in child.snapshots()] == ["s"]
        write(child, "/srv/app/conf/app.ini", b"child\n")
        m.os.remove("/srv/app/big.bin")
        assert child.os.path.exists("/srv/app/big.bin")
        with m.open("/srv/app/conf/app.ini", "rb") as f:
            assert f.read() == b"[app]\nport = 80\n"
        child.restore("s")
        with child.open("/srv/app/conf/app.ini", "rb") as f:
            assert f.read() == b"[app]\nport = 80\n"
        assert child.fsck() == []
    finally:
        child.close()


def test_fork_arguments(m: Machine, tmp_path: Path) -> None:
    if m.path is None:
        with pytest.raises(ValueError):
            m.fork(str(tmp_path / "x.db"))
    else:
        with pytest.raises(ValueError):
            m.fork(None)
        (tmp_path / "taken.db").write_bytes(b"")
        with pytest.raises(FileExistsError):
            m.fork(str(tmp_path / "taken.db"))


def test_sqlite_snapshots_persist_and_are_shared(tmp_path: Path) -> None:
    path = str(tmp_path / "m.db")
    with Machine(path) as m:
        populate(m)
        before = state(m)
        m.snapshot("s")
        churn(m)
    # another process changes the machine while it has a snapshot
    code = (
        "import osbox\n"
        f"with osbox.Machine({path!r}) as m:\n"
        "    m.os.remove('/srv/app/big.bin')\n"
        "    m.os.mkdir('/from-child')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with Machine(path) as m:
        assert not m.os.path.exists("/srv/app/big.bin")
        assert [s.name for s in m.snapshots()] == ["s"]
        m.restore("s")
        assert state(m) == before
        assert m.fsck() == []
    with Machine(path) as m:
        assert state(m) == before


def test_no_snapshot_no_records(tmp_path: Path) -> None:
    path = str(tmp_path / "m.db")
    with Machine(path) as m:
        m.snapshot("s")
        m.delete_snapshot("s")
        populate(m)
    import sqlite3

    db = sqlite3.connect(path)
    try:
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
    finally:
        db.close()
    assert not {n for n in names if n.startswith(("undo_", "snap"))}


def test_cli_snapshot_commands(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from osbox.cli.main import cli

    db, fork_db = str(tmp_path / "m.db"), str(tmp_path / "fork.db")

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, [args[0], "--machine", db, *args[1:]])

    with Machine(db) as m:
        populate(m)
    assert invoke("snapshot", "base").stdout == "snapshot base taken\n"
    dup = invoke("snapshot", "base")
    assert dup.exit_code == 1 and "snapshot 'base' exists" in dup.stderr
    with Machine(db) as m:
        m.os.remove("/srv/app/gone.txt")
    listing = invoke("snapshots")
    assert listing.exit_code == 0 and listing.stdout.startswith("base\t")
    assert invoke("fork", fork_db).stdout == f"forked into {fork_db}\n"
    assert invoke("fork", fork_db).exit_code == 1  # exists
    assert invoke("restore", "base").stdout == "restored base\n"
    assert invoke("restore", "nope").exit_code == 1
    with Machine(db) as m:
        assert m.os.path.exists("/srv/app/gone.txt")
    with Machine(fork_db) as f:
        assert not f.os.path.exists("/srv/app/gone.txt")
        assert [s.name for s in f.snapshots()] == ["base"]
