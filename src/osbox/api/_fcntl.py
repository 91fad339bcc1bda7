"""``fcntl`` for a machine: fcntl(2), flock(2), lockf(3) and ioctl(2) on
virtual fds.

Supported fcntl commands, as Linux: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
F_SETFD (FD_CLOEXEC), F_GETFL (access mode, status flags and O_LARGEFILE
for files and directories), F_SETFL (O_APPEND, O_NONBLOCK, O_NOATIME),
F_GETPIPE_SZ, and the record locks F_GETLK/F_SETLK/F_SETLKW and
F_OFD_*, which always succeed: a machine has one locking owner per file, so
no lock can conflict (F_GETLK answers F_UNLCK). Other commands give EINVAL;
``ioctl`` gives ENOTTY. Every call on a closed fd gives EBADF.
"""

from __future__ import annotations

import fcntl as _fcntl
import struct
import types
from errno import EBADF, EINVAL, ENOTTY
from typing import Any

from ..kernel import sys_file
from ..kernel.errors import KernelError, oserror
from ..kernel.process import Process
from ..kernel.sys_file import O_ACCMODE

__all__ = ["make_fcntl_module"]

O_LARGEFILE = 0o100000
_SETFL_MASK = sys_file.O_APPEND | sys_file.O_NONBLOCK | sys_file.O_NOATIME
_LOCKS = {
    _fcntl.F_GETLK,
    _fcntl.F_SETLK,
    _fcntl.F_SETLKW,
    getattr(_fcntl, "F_OFD_GETLK", 36),
    getattr(_fcntl, "F_OFD_SETLK", 37),
    getattr(_fcntl, "F_OFD_SETLKW", 38),
}
_GETLKS = {_fcntl.F_GETLK, getattr(_fcntl, "F_OFD_GETLK", 36)}


def _fd(fd: Any) -> int:
    if isinstance(fd, int):
        return fd
    fileno = getattr(fd, "fileno", None)
    if fileno is None:
        raise TypeError(
            f"argument must be an int, or have a fileno() method, not {type(fd).__name__}"
        )
    result: int = fileno()
    return result


def make_fcntl_module(proc: Process) -> types.ModuleType:
    """The ``fcntl`` module of ``proc``."""

    def _file(fd: int) -> Any:
        f = proc.fds.get(fd)
        if f is None:
            raise oserror(EBADF)
        return f

    def fcntl(fd: Any, cmd: int, arg: Any = 0, /) -> Any:
        fd = _fd(fd)
        with proc.k.lock:
            f = _file(fd)
            if cmd in (_fcntl.F_DUPFD, _fcntl.F_DUPFD_CLOEXEC):
                try:
                    new = proc.fds.lowest_free(int(arg))
                    return proc.fds.install(f, cmd == _fcntl.F_DUPFD_CLOEXEC, new)
                except KernelError as e:
                    raise oserror(e.errno) from None
            if cmd == _fcntl.F_GETFD:
                return _fcntl.FD_CLOEXEC if fd in proc.fds.cloexec else 0
            if cmd == _fcntl.F_SETFD:
                if int(arg) & _fcntl.FD_CLOEXEC:
                    proc.fds.cloexec.add(fd)
                else:
                    proc.fds.cloexec.discard(fd)
                return 0
            if cmd == _fcntl.F_GETFL:
                flags = f.flags
                if f.path_only:
                    return sys_file.O_PATH
                if f.pipe is None and f.console is None:
                    flags |= O_LARGEFILE
                return flags
            if cmd == _fcntl.F_SETFL:
                if f.path_only:
                    raise oserror(EBADF)
                f.flags = (
                    (f.flags & ~_SETFL_MASK) | (int(arg) & _SETFL_MASK) | (f.flags & O_ACCMODE)
                )
                return 0
            if cmd == getattr(_fcntl, "F_GETPIPE_SZ", 1032):
                if f.pipe is None:
                    raise oserror(EINVAL)
                return 65536
            if cmd in _LOCKS:
                if f.path_only:
                    raise oserror(EBADF)
                if cmd in _GETLKS and isinstance(arg, (bytes, bytearray)):
                    out = bytearray(arg)
                    struct.pack_into("h", out, 0, _fcntl.F_UNLCK)
                    return bytes(out)
                return arg if isinstance(arg, (bytes, bytearray)) else 0
        raise oserror(EINVAL)

    def ioctl(fd: Any, request: int, arg: Any = 0, mutate_flag: bool = True, /) -> Any:
        _file(_fd(fd))
        raise oserror(ENOTTY)

    def flock(fd: Any, operation: int, /) -> None:
        f = _file(_fd(fd))
        if f.path_only:
            raise oserror(EBADF)
        if operation & ~(_fcntl.LOCK_NB) not in (_fcntl.LOCK_SH, _fcntl.LOCK_EX, _fcntl.LOCK_UN):
            raise oserror(EINVAL)

    def lockf(fd: Any, cmd: int, len: int = 0, start: int = 0, whence: int = 0, /) -> Any:  # noqa: A002
        f = _file(_fd(fd))
        if f.path_only:
            raise oserror(EBADF)
        return None

    mod = types.ModuleType("fcntl", _fcntl.__doc__)
    for name, value in vars(_fcntl).items():
        if not callable(value):
            mod.__dict__[name] = value
    mod.__dict__.update(fcntl=fcntl, ioctl=ioctl, flock=flock, lockf=lockf)
    return mod
