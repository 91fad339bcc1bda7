"""Open file descriptions and fd tables.

``OpenFile`` is analogous to Linux's ``struct file``: the inode it refers to,
its status flags, its offset, shared by every fd that ``dup`` made from it.
``FdTable`` maps fd numbers to open files plus the close-on-exec flag, and
hands out the lowest free number as Linux's ``alloc_fd`` does.
"""

from __future__ import annotations

from errno import EBADF, EMFILE
from typing import TYPE_CHECKING, Any

from .errors import KernelError

if TYPE_CHECKING:
    from .pipe import Pipe

__all__ = ["FdTable", "OpenFile", "NOFILE"]

NOFILE = 1024  # RLIMIT_NOFILE soft limit of a new process


class OpenFile:
    """An open file description.

    ``kind`` is the inode's ``S_IFMT`` type at open time; ``readable`` and
    ``writable`` are the access mode (both false for an ``O_PATH`` handle,
    which sets ``path_only``). ``pipe`` is set for FIFOs and pipes, ``console``
    for the host terminal fds 0-2 of a machine's first process, ``proc_data``
    for a procfs file (whose ``kind`` is 0). The rarely
    set fields are class-level defaults, so opening a regular file sets five.
    """

    pos = 0
    refs = 0
    path_only = False
    pipe: Pipe | None = None
    console: int | None = None
    dir_snapshot: list[Any] | None = None
    rdev = 0
    proc_data: bytes | None = None  # a procfs file's contents, made at open

    def __init__(self, ino: int, kind: int, flags: int, readable: bool, writable: bool) -> None:
        self.ino = ino
        self.kind = kind
        self.flags = flags
        self.readable = readable
        self.writable = writable


class FdTable:
    """One process's file descriptor table."""

    __slots__ = ("files", "cloexec", "limit")

    def __init__(self, limit: int = NOFILE) -> None:
        self.files: dict[int, OpenFile] = {}
        self.cloexec: set[int] = set()
        self.limit = limit

    def get(self, fd: int) -> OpenFile | None:
        return self.files.get(fd)

    def lookup(self, fd: int) -> OpenFile:
        """Return the open file for ``fd``; EBADF if there is none."""
        f = self.files.get(fd)
        if f is None:
            raise KernelError(EBADF)
        return f

    def lowest_free(self, minfd: int = 0) -> int:
        fd = minfd
        files = self.files
        while fd in files:
            fd += 1
        if fd >= self.limit:
            raise KernelError(EMFILE)
        return fd

    def install(self, f: OpenFile, cloexec: bool, fd: int | None = None) -> int:
        """Put ``f`` at ``fd`` (or the lowest free number); takes a reference.
        The caller has closed whatever stood at an explicit ``fd``."""
        if fd is None:
            fd = self.lowest_free()
        self.files[fd] = f
        f.refs += 1
        if cloexec:
            self.cloexec.add(fd)
        elif self.cloexec:
            self.cloexec.discard(fd)
        return fd

    def clone(self) -> FdTable:
        """The child's table after fork(2): the same open file descriptions
        (one more reference each) at the same numbers, with close-on-exec."""
        t = FdTable(self.limit)
        t.files = dict(self.files)
        t.cloexec = set(self.cloexec)
        for f in t.files.values():
            f.refs += 1
        return t

    def remove(self, fd: int) -> OpenFile:
        """Take ``fd`` out of the table; EBADF if it is not open. The caller
        drops the reference."""
        f = self.files.pop(fd, None)
        if f is None:
            raise KernelError(EBADF)
        self.cloexec.discard(fd)
        return f
