"""Syscalls that copy between two open files: sendfile, copy_file_range,
splice. Each checks both ends in Linux's order, then reads from one and
writes to the other through ``sys_file``'s own read and write paths.
"""

from __future__ import annotations

from errno import EBADF, EINVAL, EISDIR, ESPIPE
from stat import S_IFDIR, S_IFREG

from .errors import KernelError
from .file import OpenFile
from .process import Process
from .sys_file import O_APPEND, O_NONBLOCK, _read_file, _write_file

__all__ = ["copy_file_range", "sendfile", "splice"]


def _copy_range(
    proc: Process, src: OpenFile, dst: OpenFile, pos_in: int, pos_out: int | None, count: int
) -> int:
    """Copy up to ``count`` bytes of ``src`` from ``pos_in`` to ``dst``."""
    size = proc.k.store.get(src.ino).size
    count = max(0, min(count, size - pos_in))
    if count == 0:
        return 0
    data = proc.k.store.read(src.ino, pos_in, count)
    return _write_file(proc, dst, data, pos_out)


def sendfile(proc: Process, out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
    """sendfile(2) between virtual fds. Errors: EBADF (in not readable, out
    not writable), EINVAL (negative offset, non-regular input, O_APPEND
    output), ENOSPC."""
    with proc.k.lock:
        src = proc.fds.files.get(in_fd)
        if src is None or not src.readable:
            raise KernelError(EBADF)
        if offset is not None and offset < 0:
            raise KernelError(EINVAL)
        dst = proc.fds.files.get(out_fd)
        if dst is None or not dst.writable:
            raise KernelError(EBADF)
        if src.kind != S_IFREG or dst.flags & O_APPEND:
            raise KernelError(EINVAL)
        pos = src.pos if offset is None else offset
        n = _copy_range(proc, src, dst, pos, None, count)
        if offset is None:
            src.pos = pos + n
        return n


def copy_file_range(
    proc: Process, src_fd: int, dst_fd: int, count: int, off_in: int | None, off_out: int | None
) -> int:
    """copy_file_range(2) between regular files. Errors: EBADF, EISDIR,
    EINVAL (non-regular, negative offsets, overlapping ranges of one file)."""
    with proc.k.lock:
        src = proc.fds.files.get(src_fd)
        dst = proc.fds.files.get(dst_fd)
        if (
            src is None
            or dst is None
            or not src.readable
            or not dst.writable
            or dst.flags & O_APPEND
        ):
            raise KernelError(EBADF)
        if src.kind == S_IFDIR or dst.kind == S_IFDIR:
            raise KernelError(EISDIR)
        if src.kind != S_IFREG or dst.kind != S_IFREG:
            raise KernelError(EINVAL)
        pin = src.pos if off_in is None else off_in
        pout = dst.pos if off_out is None else off_out
        if pin < 0 or pout < 0:
            raise KernelError(EINVAL)
        if src.ino == dst.ino and pin < pout + count and pout < pin + count:
            raise KernelError(EINVAL)
        n = _copy_range(proc, src, dst, pin, pout, count)
        if off_in is None:
            src.pos = pin + n
        if off_out is None:
            dst.pos = pout + n
        return n


def splice(
    proc: Process,
    src_fd: int,
    dst_fd: int,
    count: int,
    off_in: int | None,
    off_out: int | None,
    flags: int,
) -> int:
    """splice(2): move up to ``count`` bytes where one end is a pipe. Errors:
    EBADF, EINVAL (neither end a pipe, O_APPEND output), ESPIPE (an offset for
    a pipe end), EAGAIN (SPLICE_F_NONBLOCK on an empty pipe)."""
    with proc.k.lock:
        src = proc.fds.files.get(src_fd)
        dst = proc.fds.files.get(dst_fd)
        if src is None or dst is None or not src.readable or not dst.writable:
            raise KernelError(EBADF)
        if src.pipe is None and dst.pipe is None:
            raise KernelError(EINVAL)
        if (src.pipe is not None and off_in is not None) or (
            dst.pipe is not None and off_out is not None
        ):
            raise KernelError(ESPIPE)
        if dst.flags & O_APPEND:
            raise KernelError(EINVAL)
        if count == 0:
            return 0
        if src.pipe is not None:
            data = src.pipe.read(count, bool(flags & 2 or src.flags & O_NONBLOCK), proc)
        else:
            data = _read_file(proc, src, count, off_in)
        if not data:
            return 0
        return _write_file(proc, dst, data, off_out)
