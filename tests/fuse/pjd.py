"""A small pjdfstest-like runner: named operations on paths under one
directory, run as root in this process or as another user in a forked host
child that drops to that user's uid, gid and groups; each ``expect`` is one
check of a return value or an errno name.

The same checks run on a host tmpfs directory (the oracle: if an
expectation is wrong there, the expectation is wrong) and on a directory
inside an ``osbox mount``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import pickle
import stat
from typing import Any

__all__ = ["Target", "U1", "U2", "User"]

User = tuple[int, int, tuple[int, ...]]
U1: User = (65534, 65534, (65534, 100))
U2: User = (65533, 65533, (65533,))

_libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
RENAME_NOREPLACE = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _ts(v: Any) -> _Timespec:
    if v == "NOW":
        return _Timespec(0, UTIME_NOW)
    if v == "OMIT":
        return _Timespec(0, UTIME_OMIT)
    return _Timespec(*divmod(int(v), 10**9))


def _check(ret: int) -> int:
    if ret < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return 0


FLAGS = {
    "O_RDONLY": os.O_RDONLY,
    "O_WRONLY": os.O_WRONLY,
    "O_RDWR": os.O_RDWR,
    "O_CREAT": os.O_CREAT,
    "O_EXCL": os.O_EXCL,
    "O_TRUNC": os.O_TRUNC,
    "O_APPEND": os.O_APPEND,
    "O_DIRECTORY": os.O_DIRECTORY,
    "O_NOFOLLOW": os.O_NOFOLLOW,
}
TYPES = {
    stat.S_IFREG: "regular",
    stat.S_IFDIR: "dir",
    stat.S_IFLNK: "symlink",
    stat.S_IFIFO: "fifo",
}


def _field(st: os.stat_result, name: str) -> Any:
    if name == "mode":
        return oct(stat.S_IMODE(st.st_mode))
    if name == "type":
        return TYPES.get(stat.S_IFMT(st.st_mode), "other")
    if name in ("atime", "mtime", "ctime"):
        return getattr(st, f"st_{name}_ns")
    return getattr(st, "st_" + name)


def _open(path: str, flags: str, mode: int = 0o644) -> int:
    value = 0
    for f in flags.split("|"):
        value |= FLAGS[f]
    os.close(os.open(path, value, mode))
    return 0


def _ops(base: str) -> dict[str, Any]:
    def p(name: str) -> str:
        return os.path.join(base, name)

    def write(path: str, data: str) -> int:
        with open(p(path), "w") as f:
            f.write(data)
        return 0

    def read(path: str) -> str:
        with open(p(path)) as f:
            return f.read()

    def utimensat(path: str, atime: Any, mtime: Any, nofollow: bool = False) -> int:
        times = (_Timespec * 2)(_ts(atime), _ts(mtime))
        flags = AT_SYMLINK_NOFOLLOW if nofollow else 0
        return _check(_libc.utimensat(AT_FDCWD, p(path).encode(), times, flags))

    def rename_noreplace(a: str, b: str) -> int:
        return _check(
            _libc.renameat2(AT_FDCWD, p(a).encode(), AT_FDCWD, p(b).encode(), RENAME_NOREPLACE)
        )

    def ftruncate(path: str, flags: str, length: int) -> int:
        value = 0
        for f in flags.split("|"):
            value |= FLAGS[f]
        fd = os.open(p(path), value)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)
        return 0

    def unlink_open(path: str) -> str:
        fd = os.open(p(path), os.O_RDWR)
        try:
            os.unlink(p(path))
            st = os.fstat(fd)
            os.fchmod(fd, 0o600)
            os.write(fd, b"more")
            data = os.pread(fd, 100, 0)
            return f"nlink={st.st_nlink} mode={oct(os.fstat(fd).st_mode & 0o777)} data={data!r}"
        finally:
            os.close(fd)

    return {
        "open": lambda path, flags, mode=0o644: _open(p(path), flags, mode),
        "create": lambda path, mode=0o644: _open(p(path), "O_CREAT|O_WRONLY", mode),
        "write": write,
        "read": read,
        "mkdir": lambda path, mode=0o755: os.mkdir(p(path), mode) or 0,
        "mkfifo": lambda path, mode=0o644: os.mkfifo(p(path), mode) or 0,
        "rmdir": lambda path: os.rmdir(p(path)) or 0,
        "unlink": lambda path: os.unlink(p(path)) or 0,
        "link": lambda a, b: os.link(p(a), p(b), follow_symlinks=False) or 0,
        "symlink": lambda target, path: os.symlink(target, p(path)) or 0,
        "readlink": lambda path: os.readlink(p(path)),
        "rename": lambda a, b: os.rename(p(a), p(b)) or 0,
        "rename_noreplace": rename_noreplace,
        "chmod": lambda path, mode: os.chmod(p(path), mode) or 0,
        "chown": lambda path, uid, gid: os.chown(p(path), uid, gid) or 0,
        "lchown": lambda path, uid, gid: os.lchown(p(path), uid, gid) or 0,
        "truncate": lambda path, length: os.truncate(p(path), length) or 0,
        "ftruncate": ftruncate,
        "utimensat": utimensat,
        "stat": lambda path, field: _field(os.stat(p(path)), field),
        "lstat": lambda path, field: _field(os.lstat(p(path)), field),
        "listdir": lambda path: sorted(os.listdir(p(path))),
        "unlink_open": unlink_open,
    }


def _run(base: str, op: str, args: tuple[Any, ...]) -> Any:
    try:
        return _ops(base)[op](*args)
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, str(e.errno))


class Target:
    """Checks under ``base`` (an existing, empty, root-owned 0755 dir)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.count = 0
        self.failures: list[str] = []

    def do(self, op: str, *args: Any, user: User | None = None) -> Any:
        """The result of ``op(*args)``: 0, a value, or an errno name."""
        if user is None:
            old = os.umask(0)
            try:
                return _run(self.base, op, args)
            finally:
                os.umask(old)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: become ``user``, run, report, exit
            try:
                os.close(r)
                os.umask(0)
                uid, gid, groups = user
                os.setgroups(list(groups))
                os.setgid(gid)
                os.setuid(uid)
                os.write(w, pickle.dumps(_run(self.base, op, args)))
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            data = f.read()
        os.waitpid(pid, 0)
        return pickle.loads(data)

    def expect(self, want: Any, op: str, *args: Any, user: User | None = None) -> None:
        """One check: ``op(*args)`` as ``user`` gives ``want``."""
        self.count += 1
        got = self.do(op, *args, user=user)
        if got != want:
            who = f" as {user[0]}" if user else ""
            self.failures.append(f"{op}{args}{who}: expected {want!r}, got {got!r}")

    def same(self, a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
        """One check: two operations give the same value."""
        self.count += 1
        x, y = self.do(*a), self.do(*b)
        if x != y:
            self.failures.append(f"{a} = {x!r} but {b} = {y!r}")
