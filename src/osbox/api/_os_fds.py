"""The fd half of the ``os`` surface: open, read, write, lseek, dup, pipe...

Signatures and argument errors are CPython's; semantics are the kernel's
``sys_file`` syscalls. As CPython does (PEP 446), ``open``, ``dup`` and
``pipe`` make non-inheritable fds.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from errno import EBADF, EINTR
from typing import Any

from ..kernel import sys_attr, sys_copy, sys_file, sys_proc
from ..kernel.devices import console_isatty
from ..kernel.errors import KernelError, oserror
from ._base import OsBase
from ._convert import dirfd_arg, fd_arg, id_arg, path_arg, raise_os
from ._signal import run_handlers

__all__ = ["FdCalls"]

_index = operator.index
O_CLOEXEC = sys_file.O_CLOEXEC
O_NONBLOCK = sys_file.O_NONBLOCK


def _buffer(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None


def _fileno(fd: Any) -> int:
    """CPython's ``fildes`` converter: an int or an object with ``fileno()``."""
    if isinstance(fd, int):
        return fd
    fileno = getattr(fd, "fileno", None)
    if fileno is None:
        raise TypeError(
            "argument must be an int, or have a fileno() method, not " + type(fd).__name__
        )
    return fd_arg(fileno())


class FdCalls(OsBase):
    """``os`` functions on file descriptors."""

    def open(self, path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        """os.open: openat(2) with O_CLOEXEC added. Errors: see
        ``kernel.sys_file.openat``."""
        if type(path) is str and dir_fd is None and "\0" not in path:
            try:
                return sys_file.openat(self.proc, None, path, flags | O_CLOEXEC, mode)
            except KernelError as e:
                raise_os(e, path)
        p = path_arg("open", "path", path)
        assert p.s is not None
        try:
            return sys_file.openat(
                self.proc, dirfd_arg(dir_fd), p.s, _index(flags) | O_CLOEXEC, _index(mode)
            )
        except KernelError as e:
            raise_os(e, p.obj)

    def close(self, fd: int) -> None:
        """os.close. Errors: EBADF."""
        try:
            sys_file.close(self.proc, fd_arg(fd))
        except KernelError as e:
            raise_os(e)

    def closerange(self, fd_low: int, fd_high: int) -> None:
        """os.closerange: close every open fd in ``[fd_low, fd_high)``."""
        lo, hi = fd_arg(fd_low), fd_arg(fd_high)
        for fd in sorted(self.proc.fds.files):
            if lo <= fd < hi:
                try:
                    sys_file.close(self.proc, fd)
                except KernelError:
                    pass

    def dup(self, fd: int) -> int:
        """os.dup: a non-inheritable copy at the lowest free fd. Errors: EBADF, EMFILE."""
        try:
            return sys_file.dup(self.proc, fd_arg(fd), True)
        except KernelError as e:
            raise_os(e)

    def dup2(self, fd: int, fd2: int, inheritable: bool = True) -> int:
        """os.dup2: returns ``fd2``. Errors: EBADF."""
        try:
            return sys_file.dup3(self.proc, fd_arg(fd), fd_arg(fd2), not inheritable)
        except KernelError as e:
            raise_os(e)

    def read(self, fd: int, length: int, /) -> bytes:
        """os.read: at most ``length`` bytes. Errors: EINVAL (negative
        length), EBADF, EISDIR, EAGAIN."""
        length = _index(length)
        if length < 0:
            raise oserror(22)
        try:
            return sys_file.read(self.proc, fd_arg(fd), length)
        except KernelError as e:
            if e.errno != EINTR:
                raise_os(e)
        run_handlers(self.proc)  # PEP 475: the handler runs, the call restarts
        return self.read(fd, length)

    def pread(self, fd: int, length: int, offset: int, /) -> bytes:
        """os.pread: read at ``offset`` without moving the file position."""
        length = _index(length)
        if length < 0:
            raise oserror(22)
        try:
            return sys_file.read(self.proc, fd_arg(fd), length, _index(offset))
        except KernelError as e:
            raise_os(e)

    def write(self, fd: int, data: Any, /) -> int:
        """os.write: the count written. Errors: EBADF, ENOSPC, EPIPE, EFBIG."""
        try:
            return sys_file.write(self.proc, fd_arg(fd), _buffer(data))
        except KernelError as e:
            if e.errno != EINTR:
                raise_os(e)
        run_handlers(self.proc)
        return self.write(fd, data)

    def pwrite(self, fd: int, data: Any, offset: int, /) -> int:
        """os.pwrite: write at ``offset`` (at EOF under O_APPEND, as Linux does)."""
        try:
            return sys_file.write(self.proc, fd_arg(fd), _buffer(data), _index(offset))
        except KernelError as e:
            raise_os(e)

    def _scatter(self, data: bytes, buffers: Sequence[Any]) -> int:
        pos = 0
        for buf in buffers:
            view = memoryview(buf).cast("B")
            n = min(len(view), len(data) - pos)
            view[:n] = data[pos : pos + n]
            pos += n
        return pos

    def readv(self, fd: int, buffers: Sequence[Any], /) -> int:
        """os.readv: one read filling ``buffers`` in order; the count read."""
        total = sum(memoryview(b).nbytes for b in buffers)
        return self._scatter(self.read(fd, total), buffers)

    def preadv(self, fd: int, buffers: Sequence[Any], offset: int, flags: int = 0, /) -> int:
        """os.preadv: ``readv`` at ``offset``."""
        total = sum(memoryview(b).nbytes for b in buffers)
        return self._scatter(self.pread(fd, total, offset), buffers)

    def writev(self, fd: int, buffers: Sequence[Any], /) -> int:
        """os.writev: one write of the buffers joined; the count written."""
        return self.write(fd, b"".join(_buffer(b) for b in buffers))

    def pwritev(self, fd: int, buffers: Sequence[Any], offset: int, flags: int = 0, /) -> int:
        """os.pwritev: ``writev`` at ``offset``."""
        return self.pwrite(fd, b"".join(_buffer(b) for b in buffers), offset)

    def lseek(self, fd: int, position: int, whence: int, /) -> int:
        """os.lseek with SEEK_SET/CUR/END/DATA/HOLE. Errors: EBADF, ESPIPE,
        EINVAL, ENXIO."""
        try:
            return sys_file.lseek(self.proc, fd_arg(fd), _index(position), _index(whence))
        except KernelError as e:
            raise_os(e)

    def fstat(self, fd: int) -> Any:
        """os.fstat. Errors: EBADF."""
        try:
            return self._stat(sys_attr.fstat(self.proc, fd_arg(fd)))
        except KernelError as e:
            raise_os(e)

    def ftruncate(self, fd: int, length: int, /) -> None:
        """os.ftruncate. Errors: EINVAL, EBADF."""
        try:
            sys_file.ftruncate(self.proc, fd_arg(fd), _index(length))
        except KernelError as e:
            raise_os(e)

    def fsync(self, fd: Any) -> None:
        """os.fsync: changes so far are durable on return. Errors: EBADF, EINVAL."""
        try:
            sys_file.fsync(self.proc, _fileno(fd))
        except KernelError as e:
            raise_os(e)

    def fdatasync(self, fd: Any) -> None:
        """os.fdatasync: as ``fsync``."""
        self.fsync(fd)

    def fchmod(self, fd: int, mode: int) -> None:
        """os.fchmod. Errors: EBADF, EPERM."""
        try:
            sys_attr.chmod(self.proc, None, fd_arg(fd), _index(mode))
        except KernelError as e:
            raise_os(e)

    def fchown(self, fd: int, uid: int, gid: int) -> None:
        """os.fchown. Errors: EBADF, EPERM."""
        try:
            sys_attr.chown(self.proc, None, fd_arg(fd), id_arg(uid), id_arg(gid, "gid"))
        except KernelError as e:
            raise_os(e)

    def fchdir(self, fd: Any) -> None:
        """os.fchdir. Errors: EBADF, ENOTDIR, EACCES."""
        try:
            sys_proc.fchdir(self.proc, _fileno(fd))
        except KernelError as e:
            raise_os(e)

    def fstatvfs(self, fd: int, /) -> Any:
        """os.fstatvfs. Errors: EBADF."""
        try:
            sys_attr.fstat(self.proc, fd_arg(fd))
        except KernelError as e:
            raise_os(e)
        return self._statvfs()  # type: ignore[attr-defined]

    def pipe(self) -> tuple[int, int]:
        """os.pipe: (read end, write end), non-inheritable."""
        try:
            return sys_file.pipe2(self.proc, O_CLOEXEC)
        except KernelError as e:
            raise_os(e)

    def pipe2(self, flags: int, /) -> tuple[int, int]:
        """os.pipe2 with O_NONBLOCK and O_CLOEXEC. Errors: EINVAL."""
        try:
            return sys_file.pipe2(self.proc, _index(flags))
        except KernelError as e:
            raise_os(e)

    def sendfile(self, out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        """os.sendfile between virtual fds; ``offset`` None uses and moves the
        input position. Errors: EBADF, EINVAL."""
        try:
            off = None if offset is None else _index(offset)
            return sys_copy.sendfile(self.proc, fd_arg(out_fd), fd_arg(in_fd), off, _index(count))
        except KernelError as e:
            raise_os(e)

    def copy_file_range(
        self,
        src: int,
        dst: int,
        count: int,
        offset_src: int | None = None,
        offset_dst: int | None = None,
    ) -> int:
        """os.copy_file_range between regular files. Errors: EBADF, EISDIR, EINVAL."""
        if _index(count) < 0:
            raise ValueError("negative value for 'count' not allowed")
        try:
            return sys_copy.copy_file_range(
                self.proc,
                fd_arg(src),
                fd_arg(dst),
                _index(count),
                None if offset_src is None else _index(offset_src),
                None if offset_dst is None else _index(offset_dst),
            )
        except KernelError as e:
            raise_os(e)

    def get_inheritable(self, fd: int, /) -> bool:
        """os.get_inheritable. Errors: EBADF."""
        fd = fd_arg(fd)
        if fd not in self.proc.fds.files:
            raise oserror(EBADF)
        return fd not in self.proc.fds.cloexec

    def set_inheritable(self, fd: int, inheritable: bool, /) -> None:
        """os.set_inheritable. Errors: EBADF."""
        fd = fd_arg(fd)
        fds = self.proc.fds
        if fd not in fds.files:
            raise oserror(EBADF)
        if inheritable:
            fds.cloexec.discard(fd)
        else:
            fds.cloexec.add(fd)

    def get_blocking(self, fd: int, /) -> bool:
        """os.get_blocking: whether O_NONBLOCK is clear. Errors: EBADF."""
        f = self.proc.fds.get(fd_arg(fd))
        if f is None:
            raise oserror(EBADF)
        return not f.flags & O_NONBLOCK

    def set_blocking(self, fd: int, blocking: bool, /) -> None:
        """os.set_blocking: set or clear O_NONBLOCK. Errors: EBADF."""
        f = self.proc.fds.get(fd_arg(fd))
        if f is None:
            raise oserror(EBADF)
        if blocking:
            f.flags &= ~O_NONBLOCK
        else:
            f.flags |= O_NONBLOCK

    def isatty(self, fd: int, /) -> bool:
        """os.isatty: true only for a console fd on a host terminal."""
        f = self.proc.fds.get(fd_arg(fd))
        return f is not None and f.console is not None and console_isatty(f.console)

    def device_encoding(self, fd: int) -> str | None:
        """os.device_encoding: None unless ``fd`` is a terminal."""
        return "utf-8" if self.isatty(fd) else None

    def splice(
        self,
        src: int,
        dst: int,
        count: int,
        offset_src: int | None = None,
        offset_dst: int | None = None,
        flags: int = 0,
    ) -> int:
        """os.splice: one end must be a pipe. Errors: ValueError (negative
        count), EBADF, EINVAL, ESPIPE, EAGAIN."""
        if _index(count) < 0:
            raise ValueError("negative value for 'count' not allowed")
        try:
            return sys_copy.splice(
                self.proc,
                fd_arg(src),
                fd_arg(dst),
                _index(count),
                None if offset_src is None else _index(offset_src),
                None if offset_dst is None else _index(offset_dst),
                _index(flags),
            )
        except KernelError as e:
            raise_os(e)

    def fpathconf(self, fd: Any, name: Any, /) -> int:
        """os.fpathconf: ``pathconf`` for an open fd. Errors: EBADF."""
        from ._os_paths import pathconf_value

        if self.proc.fds.get(_fileno(fd)) is None:
            raise oserror(EBADF)
        return pathconf_value(name)

    def _tty(self, fd: Any) -> Any:
        f = self.proc.fds.get(fd_arg(fd))
        if f is None:
            raise oserror(EBADF)
        if f.console is None or not console_isatty(f.console):
            raise oserror(25)
        return f

    def ttyname(self, fd: int, /) -> str:
        """os.ttyname: the console's terminal, else ENOTTY. Errors: EBADF, ENOTTY."""
        self._tty(fd)
        return "/dev/console"

    def tcgetpgrp(self, fd: int, /) -> int:
        """os.tcgetpgrp: the machine's one process group. Errors: EBADF, ENOTTY."""
        self._tty(fd)
        return self.proc.pid

    def tcsetpgrp(self, fd: int, pgid: int, /) -> None:
        """os.tcsetpgrp. Errors: EBADF, ENOTTY."""
        self._tty(fd)

    def posix_fadvise(self, fd: int, offset: int, length: int, advice: int, /) -> None:
        """os.posix_fadvise: advice is accepted and ignored. Errors: EBADF, ESPIPE."""
        f = self.proc.fds.get(fd_arg(fd))
        if f is None:
            raise oserror(EBADF)
        if f.pipe is not None:
            raise oserror(29)
