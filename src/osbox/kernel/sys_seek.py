"""lseek(2) on an open file: SEEK_SET/CUR/END on files, directories (a
getdents position), character devices and procfs files, and
SEEK_DATA/SEEK_HOLE per page on regular files (``fs/read_write.c``,
``generic_file_llseek`` and ``seq_lseek``).
"""

from __future__ import annotations

import os as _os
from errno import EBADF, EINVAL, ENXIO, ESPIPE
from stat import S_IFCHR, S_IFDIR

from .errors import KernelError
from .process import Process

__all__ = ["lseek"]

SEEK_SET, SEEK_CUR, SEEK_END = _os.SEEK_SET, _os.SEEK_CUR, _os.SEEK_END
SEEK_DATA = _os.SEEK_DATA
SEEK_HOLE = _os.SEEK_HOLE


def lseek(proc: Process, fd: int, offset: int, whence: int) -> int:
    """lseek(2) with SEEK_SET/CUR/END/DATA/HOLE. Errors: EBADF, ESPIPE
    (pipe), EINVAL (bad whence or negative result), ENXIO (DATA/HOLE at or
    past EOF)."""
    k = proc.k
    with k.lock:
        f = proc.fds.lookup(fd)
        if f.pipe is not None or f.console is not None:
            raise KernelError(ESPIPE)
        if f.path_only:
            raise KernelError(EBADF)
        kind = f.kind
        if kind == S_IFCHR:
            f.pos = 0
            return 0
        if kind == S_IFDIR:
            if whence == SEEK_SET:
                new = offset
            elif whence == SEEK_CUR:
                new = f.pos + offset
            else:
                raise KernelError(EINVAL)
            if new < 0:
                raise KernelError(EINVAL)
            if new == 0:
                f.dir_snapshot = None
            f.pos = new
            return new
        if not kind:  # a procfs file (seq_lseek): SEEK_SET and SEEK_CUR only
            new = offset if whence == SEEK_SET else f.pos + offset
            if whence not in (SEEK_SET, SEEK_CUR) or new < 0:
                raise KernelError(EINVAL)
            f.pos = new
            return new
        if whence == SEEK_SET:
            new = offset
        elif whence == SEEK_CUR:
            new = f.pos + offset
        elif whence == SEEK_END:
            new = k.store.get(f.ino).size + offset
        elif whence in (SEEK_DATA, SEEK_HOLE):
            size = k.store.get(f.ino).size
            if offset < 0 or offset >= size:
                raise KernelError(ENXIO)
            if whence == SEEK_DATA:
                found = k.store.seek_data(f.ino, offset)
                if found is None:
                    raise KernelError(ENXIO)
                new = found
            else:
                new = k.store.seek_hole(f.ino, offset)
        else:
            raise KernelError(EINVAL)
        if new < 0:
            raise KernelError(EINVAL)
        f.pos = new
        return new
