"""``osbox.fuse._ops.MachineOps`` without a mount: each operation is the
machine's syscall run with the caller's credentials (no FUSE needed, so
these run everywhere; ``tests/fuse`` runs the same bridge mounted)."""

from __future__ import annotations

import errno
import os

import pytest

from osbox import Machine
from osbox.fuse._creds import CredCache, host_groups
from osbox.fuse._ops import UTIME_NOW, UTIME_OMIT, MachineOps
from osbox.kernel.errors import KernelError


class Caller:
    def __init__(self) -> None:
        self.ids = (0, 0, 0)

    def __call__(self) -> tuple[int, int, int]:
        return self.ids


@pytest.fixture
def ops() -> MachineOps:
    return MachineOps(Machine(), Caller())


def err(fn: object, *args: object) -> int:
    try:
        fn(*args)  # type: ignore[operator]
    except KernelError as e:
        return e.errno
    raise AssertionError("no error")


def test_create_write_read_release(ops: MachineOps) -> None:
    fh = ops.create("/tmp/f", 0o640, os.O_WRONLY)
    assert ops.write("/tmp/f", b"hello", 0, fh) == 5
    ops.release("/tmp/f", fh)
    fh = ops.open("/tmp/f", os.O_RDONLY)
    assert ops.read(None, 100, 1, fh) == b"ello"
    attrs = ops.getattr(None, fh)
    ops.release(None, fh)
    assert attrs["st_size"] == 5 and attrs["st_mode"] & 0o777 == 0o640
    assert ops.by_ino == {}
    assert ops.machine.os.stat("/tmp/f").st_ino == attrs["st_ino"]


def test_the_callers_credentials_decide(ops: MachineOps) -> None:
    caller = ops.caller
    assert isinstance(caller, Caller)
    ops.mkdir("/root/secret", 0o700)
    caller.ids = (1000, 1000, 0)
    assert err(ops.getattr, "/root/secret") == errno.EACCES
    assert err(ops.mkdir, "/etc/x", 0o755) == errno.EACCES
    ops.mkdir("/tmp/mine", 0o755)
    assert ops.getattr("/tmp/mine")["st_uid"] == 1000
    caller.ids = (0, 0, 0)
    assert ops.getattr("/tmp/mine")["st_gid"] == 1000


def test_readdir_gives_inodes_and_types(ops: MachineOps) -> None:
    ops.mkdir("/tmp/d", 0o755)
    ops.symlink("/tmp/d/l", "target")
    fh = ops.opendir("/tmp/d")
    entries = ops.readdir(None, fh)
    assert entries == ops.readdir(None, fh)  # rewinds
    ops.releasedir(None, fh)
    names = {e[0]: e[1] for e in entries}
    assert set(names) == {".", "..", "l"}
    assert names["l"] is not None and names["l"]["st_mode"] == 0o120000
    assert names["l"]["st_ino"] == ops.machine.os.lstat("/tmp/d/l").st_ino


def test_utimens_now_and_omit(ops: MachineOps) -> None:
    ops.release(None, ops.create("/tmp/f", 0o644, os.O_WRONLY))
    ops.utimens("/tmp/f", (1, 5, 2, 6))
    st = ops.machine.os.stat("/tmp/f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_005, 2_000_000_006)
    ops.utimens("/tmp/f", (0, UTIME_OMIT, 9, 0))
    st = ops.machine.os.stat("/tmp/f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_005, 9_000_000_000)
    ops.utimens("/tmp/f", (0, UTIME_NOW, 0, UTIME_OMIT))
    st = ops.machine.os.stat("/tmp/f")
    assert st.st_atime_ns > 9_000_000_000 and st.st_mtime_ns == 9_000_000_000


def test_rename_flags(ops: MachineOps) -> None:
    for name in ("a", "b"):
        ops.release(None, ops.create("/tmp/" + name, 0o644, os.O_WRONLY))
    assert err(ops.rename, "/tmp/a", "/tmp/b", 1) == errno.EEXIST  # RENAME_NOREPLACE
    assert err(ops.rename, "/tmp/a", "/tmp/b", 2) == errno.EINVAL  # RENAME_EXCHANGE
    ops.rename("/tmp/a", "/tmp/c", 1)
    assert sorted(ops.machine.os.listdir("/tmp")) == ["b", "c"]


def test_libfuse_hidden_rename_is_the_real_unlink(ops: MachineOps) -> None:
    fh = ops.create("/tmp/f", 0o644, os.O_RDWR)
    ops.write(None, b"data", 0, fh)
    hidden = "/tmp/.fuse_hidden0000000100000001"
    ops.rename("/tmp/f", hidden)
    assert ops.machine.os.listdir("/tmp") == []
    assert ops.getattr(hidden)["st_nlink"] == 0
    ops.chmod(hidden, 0o600)
    assert ops.getattr(None, fh)["st_mode"] & 0o777 == 0o600
    ops.release(None, fh)
    ops.unlink(hidden)  # libfuse, after the last release
    assert ops.hidden == {} and ops.by_ino == {}
    assert ops.machine.fsck() == []


def test_hidden_rename_keeps_unlink_permission_checks(ops: MachineOps) -> None:
    fh = ops.create("/tmp/f", 0o666, os.O_RDWR)
    caller = ops.caller
    assert isinstance(caller, Caller)
    caller.ids = (1000, 1000, 0)
    assert err(ops.rename, "/tmp/f", "/tmp/.fuse_hidden0000000200000001") == errno.EPERM
    caller.ids = (0, 0, 0)
    ops.release(None, fh)
    assert ops.machine.os.listdir("/tmp") == ["f"]


def test_exec_open_needs_execute_not_read(ops: MachineOps) -> None:
    ops.release(None, ops.create("/tmp/x", 0o711, os.O_WRONLY))
    caller = ops.caller
    assert isinstance(caller, Caller)
    caller.ids = (1000, 1000, 0)
    assert err(ops.open, "/tmp/x", os.O_RDONLY) == errno.EACCES
    ops.release(None, ops.open("/tmp/x", os.O_RDONLY | 0x20))  # __FMODE_EXEC
    assert ops.cred().euid == 1000


def test_credentials_are_cached_and_groups_read_from_proc() -> None:
    cache = CredCache()
    assert cache.get(0, 0, os.getpid()) is cache.get(0, 0, 1)
    mine = host_groups(os.getpid())
    assert mine == tuple(os.getgroups()) or set(mine) == set(os.getgroups())
    assert host_groups(0) == ()
    assert cache.get(5, 5, os.getpid()).groups == mine
