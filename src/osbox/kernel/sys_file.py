"""Syscalls on open files: openat, close, read, write, pread, pwrite,
ftruncate, fsync, dup, dup3, pipe2 (copies between fds are in ``sys_copy``;
``getdents`` and ``list_names`` live in ``sys_namespace``, ``lseek`` in
``sys_seek``; all three are re-exported here).

``openat`` follows Linux ``path_openat``: ``O_PATH`` handles, the create side
(``open_last_lookups``, following a symlink as the last component and
creating its target), then ``do_open``/``may_open`` and truncation.
"""

from __future__ import annotations

import os as _os
from errno import (
    EACCES,
    EBADF,
    EEXIST,
    EFBIG,
    EINVAL,
    EISDIR,
    ELOOP,
    EMFILE,
    ENOENT,
    ENOSPC,
    ENOTDIR,
    ENXIO,
    EOPNOTSUPP,
    EPERM,
    ESPIPE,
)
from stat import S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID

from ..stores.base import S_IFMT, Capacity, Inode
from . import devices, procfs, procfs_links
from .cred import MAY_READ, MAY_WRITE, permission
from .errors import KernelError
from .file import OpenFile
from .namei import MAXSYMLINKS, _walk, check_path, fast_parent, lookup, start_dir
from .pipe import Pipe
from .process import Process
from .procfs import PROC_BASE
from .signals import wait_event
from .sys_namespace import create_owner, dentry, getdents, list_names, may_create
from .sys_seek import lseek

__all__ = [
    "close",
    "list_names",
    "dup",
    "dup3",
    "fsync",
    "ftruncate",
    "getdents",
    "lseek",
    "openat",
    "pipe2",
    "read",
    "readall",
    "release",
    "write",
    "kill_priv",
]

O_ACCMODE = _os.O_ACCMODE
O_CREAT = _os.O_CREAT
O_EXCL = _os.O_EXCL
O_TRUNC = _os.O_TRUNC
O_APPEND = _os.O_APPEND
O_NONBLOCK = _os.O_NONBLOCK
O_DIRECTORY = _os.O_DIRECTORY
O_NOFOLLOW = _os.O_NOFOLLOW
O_NOATIME = _os.O_NOATIME
O_CLOEXEC = _os.O_CLOEXEC
O_PATH = _os.O_PATH
O_TMPFILE = _os.O_TMPFILE
O_RDONLY_DIR = O_DIRECTORY  # O_RDONLY | O_DIRECTORY, as opendir(3) opens
MAX_FILE = (1 << 63) - 1
_ACC_MASK = (MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE)
# Flags that need _open_file's full treatment (anything but a plain open).
_PLAIN_EXCLUDES = O_CREAT | O_TRUNC | O_PATH | O_TMPFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME
# Flags beside O_CREAT (and O_EXCL, O_TRUNC) that need _open_file's create side.
_CREATE_EXCLUDES = O_PATH | O_TMPFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME
_OPEN_KEEP = ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)  # status flags an OpenFile keeps
DAY_NS = 86400 * 10**9
_SUGID = S_ISUID | S_ISGID


# -- open ---------------------------------------------------------------------
def _open_create(
    proc: Process, dirfd: int | None, path: str, flags: int, mode: int
) -> tuple[Inode, bool]:
    """The create side of open: returns ``(inode, created)``."""
    store = proc.k.store
    check_path(path)
    start = start_dir(proc, dirfd, path)
    links = 0
    while True:
        parent, name, trailing = _walk(proc, start, path, False, True)
        if name in ("", ".", ".."):
            if name == "..":
                up = parent.ino if parent.ino == proc.root else store.parent(parent.ino)
                return store.get(up), False
            return parent, False
        if trailing:
            raise KernelError(EISDIR)
        if parent.ino >= PROC_BASE or parent.ino == proc.k.proc_mnt:
            node = dentry(proc, parent, name)
            if node is None:
                raise KernelError(ENOENT)  # procfs looks a new name up so
        else:
            node = store.lookup(parent.ino, name)
        if node is None:
            may_create(proc, parent)
            gid, fmode = create_owner(proc, parent, S_IFREG | (mode & 0o7777 & ~proc.umask))
            try:
                return store.create(
                    parent.ino, name, fmode, proc.cred.euid, gid, proc.k.now()
                ), True
            except Capacity:
                raise KernelError(ENOSPC) from None
        if flags & O_EXCL:
            raise KernelError(EEXIST)
        if node.mode & S_IFMT != S_IFLNK:
            return node, False
        if flags & O_NOFOLLOW:
            raise KernelError(ELOOP)
        links += 1
        if links > MAXSYMLINKS:
            raise KernelError(ELOOP)
        if node.ino >= PROC_BASE:
            path, jump = procfs_links.follow(proc, node)
            if jump is not None:
                return jump, False  # a magic link names an existing file
        else:
            path = store.readlink(node.ino)
        start = store.get(proc.root) if path[0] == "/" else parent


def kill_priv(proc: Process, node: Inode) -> None:
    """Clear setuid (and setgid with group-exec) on write or truncate by a
    caller without CAP_FSETID (``file_remove_privs``)."""
    mode = node.mode
    if proc.cred.euid == 0 or not mode & (S_ISUID | S_ISGID):
        return
    kill = mode & S_ISUID
    if mode & (S_ISGID | 0o010) == S_ISGID | 0o010:
        kill |= S_ISGID
    if kill:
        proc.k.store.setattr(node.ino, mode=mode & ~kill)


def _open_file(proc: Process, dirfd: int | None, path: str, flags: int, mode: int) -> OpenFile:
    k = proc.k
    store = k.store
    if flags & O_PATH:
        node = lookup(proc, dirfd, path, not flags & O_NOFOLLOW)
        if flags & O_DIRECTORY and node.mode & S_IFMT != S_IFDIR:
            raise KernelError(ENOTDIR)
        f = OpenFile(
            node.ino, node.mode & S_IFMT, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), False, False
        )
        f.path_only = True
        k.ref(node.ino)
        return f
    if flags & O_TMPFILE == O_TMPFILE:
        return _open_tmpfile(proc, dirfd, path, flags, mode)
    if flags & O_CREAT and flags & O_DIRECTORY:
        raise KernelError(EINVAL)
    acc = flags & O_ACCMODE
    mask = _ACC_MASK[acc]
    if flags & O_TRUNC:
        mask |= MAY_WRITE
    if flags & O_CREAT:
        node, created = _open_create(proc, dirfd, path, flags, mode)
    else:
        node = lookup(proc, dirfd, path, not flags & O_NOFOLLOW)
        created = False
    kind = node.mode & S_IFMT
    if not created:
        if flags & O_CREAT:
            if flags & O_EXCL:
                raise KernelError(EEXIST)
            if kind == S_IFDIR:
                raise KernelError(EISDIR)
        if flags & O_DIRECTORY and kind != S_IFDIR:
            raise KernelError(ENOTDIR)
        if kind == S_IFLNK:
            raise KernelError(ELOOP)
        if kind == S_IFDIR and mask & MAY_WRITE:
            raise KernelError(EISDIR)
        if kind in (S_IFIFO, S_IFSOCK):
            flags &= ~O_TRUNC
        if proc.cred.euid != 0 and not permission(proc.cred, node, mask):
            raise KernelError(EACCES)
        if flags & O_NOATIME and proc.cred.euid not in (0, node.uid):
            raise KernelError(EPERM)
        if node.ino >= PROC_BASE:
            return procfs.open_file(proc, node, flags, acc)
        if kind == S_IFREG and flags & O_TRUNC:
            kill_priv(proc, node)
            store.truncate(node.ino, 0, k.now())
    f = OpenFile(
        node.ino,
        kind,
        flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC),
        acc != 1 and acc != 3,
        acc in (1, 2),
    )
    if not node.ino and kind in (S_IFIFO, S_IFCHR):
        # A pipe or the console reached through /proc/<pid>/fd/<n>.
        again = procfs_links.reopen(proc, node, flags, acc)
        if again is None:
            raise KernelError(ENXIO)
        return again
    if kind == S_IFCHR:
        devices.check_device(node.rdev)
        f.rdev = node.rdev
    elif kind == S_IFSOCK:
        raise KernelError(ENXIO)
    elif kind == S_IFIFO:
        _open_fifo(proc, f, node.ino, acc, bool(flags & O_NONBLOCK))
    k.ref(node.ino)
    return f


def _open_tmpfile(proc: Process, dirfd: int | None, path: str, flags: int, mode: int) -> OpenFile:
    """O_TMPFILE (``do_tmpfile``): an unnamed regular file in a directory.
    Errors: EINVAL (not opened for writing), path errors, ENOTDIR, EACCES."""
    acc = flags & O_ACCMODE
    if acc not in (1, 2):
        raise KernelError(EINVAL)
    k = proc.k
    store = k.store
    parent = lookup(proc, dirfd, path, True)
    if parent.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    if parent.ino == k.proc_mnt:
        raise KernelError(EOPNOTSUPP)  # procfs has no tmpfile operation
    if parent.ino >= PROC_BASE:
        raise KernelError(EPERM)  # a pid directory is immutable
    may_create(proc, parent)
    # The store links every new inode somewhere: link it under a free name and
    # unlink it at once, restoring the directory's times as if it never was.
    mtime, ctime = parent.mtime_ns, parent.ctime_ns
    n = 0
    while store.lookup(parent.ino, f".osbox-tmpfile-{n}") is not None:
        n += 1
    name = f".osbox-tmpfile-{n}"
    gid, fmode = create_owner(proc, parent, S_IFREG | (mode & 0o7777 & ~proc.umask))
    try:
        node = store.create(parent.ino, name, fmode, proc.cred.euid, gid, k.now())
    except Capacity:
        raise KernelError(ENOSPC) from None
    store.unlink(parent.ino, name, node.ctime_ns)
    store.setattr(parent.ino, mtime_ns=mtime, ctime_ns=ctime)
    f = OpenFile(node.ino, S_IFREG, flags & ~(O_TMPFILE | O_CLOEXEC), acc == 2, True)
    k.ref(node.ino)
    store.orphan(node.ino)
    return f


def _open_fifo(proc: Process, f: OpenFile, ino: int, acc: int, nonblock: bool) -> None:
    """FIFO open (``fifo_open``): a reader or writer waits for the other side
    unless O_NONBLOCK; a non-blocking writer without readers gets ENXIO."""
    k = proc.k
    pipe = k.fifos.get(ino)
    if pipe is None:
        pipe = k.fifos[ino] = Pipe(k.rlock)
    f.pipe = pipe
    if acc == 0:
        pipe.readers += 1
        pipe.cond.notify_all()
        if not nonblock:
            while pipe.writers == 0:
                wait_event(proc, pipe.cond)
    elif acc == 1:
        if nonblock and pipe.readers == 0:
            f.pipe = None
            raise KernelError(ENXIO)
        pipe.writers += 1
        pipe.cond.notify_all()
        while pipe.readers == 0:
            wait_event(proc, pipe.cond)
    else:
        pipe.readers += 1
        pipe.writers += 1
        pipe.cond.notify_all()


def openat(proc: Process, dirfd: int | None, path: str, flags: int, mode: int) -> int:
    """open(2). Errors: path errors, EISDIR, EEXIST, ELOOP (O_NOFOLLOW),
    ENOTDIR, EACCES, EPERM (O_NOATIME), ENXIO, ENOSPC, EMFILE."""
    k = proc.k
    with k.lock:
        fds = proc.fds
        files = fds.files
        fd = 0  # fds.lowest_free(), inline
        while fd in files:
            fd += 1
        if fd >= fds.limit:
            raise KernelError(EMFILE)
        if not flags & _PLAIN_EXCLUDES:
            # The common case, a plain open of an existing regular file:
            # the same checks as _open_file makes for it, without the rest.
            node = lookup(proc, dirfd, path, True)
            if node.mode & S_IFMT == S_IFREG and node.ino < PROC_BASE:
                acc = flags & O_ACCMODE
                if proc.cred.euid != 0 and not permission(proc.cred, node, _ACC_MASK[acc]):
                    raise KernelError(EACCES)
                ino = node.ino
                f = OpenFile(ino, S_IFREG, flags & ~O_CLOEXEC, acc != 1 and acc != 3, acc in (1, 2))
                opens = k.opens
                opens[ino] = opens.get(ino, 0) + 1
                return fds.install(f, bool(flags & O_CLOEXEC), fd)
        elif flags & O_CREAT and not flags & _CREATE_EXCLUDES:
            created = _create_fast(proc, dirfd, path, flags, mode)
            if created is not None:
                return fds.install(created, bool(flags & O_CLOEXEC), fd)
        return fds.install(_open_file(proc, dirfd, path, flags, mode), bool(flags & O_CLOEXEC), fd)


def _create_fast(
    proc: Process, dirfd: int | None, path: str, flags: int, mode: int
) -> OpenFile | None:
    """O_CREAT for root on a live store when the last component is absent or
    a regular file (the common ``open(path, "w")``): the checks and effects
    ``_open_file`` has for that case, with the parent from the dentry cache.
    None when the general path is needed (dots, a trailing slash, a symlink
    or other file type as the last component...)."""
    fast = fast_parent(proc, dirfd, path)
    if fast is None:
        return None
    parent, name = fast
    k = proc.k
    store = k.store
    try:
        node: Inode | None = parent.entries.get(name)  # type: ignore[attr-defined]
    except AttributeError:  # a store whose inodes do not hold their dentries (namei.lookup)
        node = store.child(parent, name)
    acc = flags & O_ACCMODE
    if node is None:
        # may_create (root: only the removed-directory check) and create_owner.
        if parent.nlink == 0:
            raise KernelError(ENOENT)
        fmode = S_IFREG | (mode & 0o7777 & ~proc.umask)
        if parent.mode & S_ISGID:
            gid, fmode = create_owner(proc, parent, fmode)
        else:
            gid = proc.cred.egid
        try:
            node = store.create(parent.ino, name, fmode, proc.cred.euid, gid, k.now())
        except Capacity:
            raise KernelError(ENOSPC) from None
    elif node.mode & S_IFMT == S_IFREG:
        if flags & O_EXCL:
            raise KernelError(EEXIST)
        # Root passes may_open's permission check.
        if flags & O_TRUNC:
            kill_priv(proc, node)
            store.truncate(node.ino, 0, k.now())
    else:
        return None
    ino = node.ino
    opens = k.opens
    opens[ino] = opens.get(ino, 0) + 1
    return OpenFile(ino, S_IFREG, flags & _OPEN_KEEP, acc != 1 and acc != 3, acc in (1, 2))


# -- close, dup -------------------------------------------------------------------
def release(proc: Process, f: OpenFile) -> None:
    """Drop one reference to an open file description."""
    f.refs -= 1
    if f.refs:
        return
    pipe = f.pipe
    if pipe is not None:
        if f.readable:
            pipe.close_end(False)
        if f.writable:
            pipe.close_end(True)
    if f.ino:
        proc.k.unref(f.ino)


def close(proc: Process, fd: int) -> None:
    """close(2). Errors: EBADF."""
    with proc.k.lock:
        fds = proc.fds
        f = fds.files.pop(fd, None)
        if f is None:
            raise KernelError(EBADF)
        if fds.cloexec:
            fds.cloexec.discard(fd)
        if f.refs == 1 and f.pipe is None and f.ino:
            f.refs = 0
            proc.k.unref(f.ino)
        else:
            release(proc, f)


def dup(proc: Process, fd: int, cloexec: bool) -> int:
    """dup(2) (``F_DUPFD_CLOEXEC`` when ``cloexec``). Errors: EBADF, EMFILE."""
    with proc.k.lock:
        f = proc.fds.lookup(fd)
        return proc.fds.install(f, cloexec)


def dup3(proc: Process, fd: int, fd2: int, cloexec: bool) -> int:
    """dup2(2)/dup3(2): ``fd2`` becomes a copy of ``fd``. Errors: EBADF."""
    with proc.k.lock:
        fds = proc.fds
        f = fds.lookup(fd)
        if fd2 < 0 or fd2 >= fds.limit:
            raise KernelError(EBADF)
        if fd == fd2:
            if cloexec:
                raise KernelError(EINVAL)  # dup3(2); dup2(2) returns fd2 unchanged
            return fd2
        old = fds.files.pop(fd2, None)
        if old is not None:
            release(proc, old)
        return fds.install(f, cloexec, fd2)


# -- read and write -----------------------------------------------------------------
def _touch_atime(proc: Process, f: OpenFile) -> None:
    """relatime: update atime if it is not newer than mtime/ctime, or a day old."""
    if f.flags & O_NOATIME:
        return
    store = proc.k.store
    node = store.get(f.ino)
    at = node.atime_ns
    if at <= node.mtime_ns or at <= node.ctime_ns:
        store.setattr(f.ino, atime_ns=proc.k.now())
    else:
        now = proc.k.now()
        if now - at >= DAY_NS:
            store.setattr(f.ino, atime_ns=now)


def _read_file(proc: Process, f: OpenFile, n: int, pos: int | None) -> bytes:
    kind = f.kind
    if kind == S_IFREG:
        if n == 0:
            return b""
        off = f.pos if pos is None else pos
        data = proc.k.store.read(f.ino, off, n)
        if pos is None:
            f.pos = off + len(data)
        _touch_atime(proc, f)
        return data
    if kind == S_IFDIR:
        raise KernelError(EISDIR)
    if f.pipe is not None:
        if pos is not None:
            raise KernelError(ESPIPE)
        return f.pipe.read(n, bool(f.flags & O_NONBLOCK), proc)
    if f.console is not None:
        return devices.console_read(f.console, n)
    text = f.proc_data
    if text is not None:
        off = f.pos if pos is None else pos
        out = text[off : off + n]
        if pos is None:
            f.pos = off + len(out)
        return out
    return devices.dev_read(f.rdev, n)


def read(proc: Process, fd: int, n: int, pos: int | None = None) -> bytes:
    """read(2), or pread(2) when ``pos`` is given. Errors: EBADF (not open
    for reading), EISDIR, ESPIPE (pread on a pipe), EINVAL (negative pos),
    EAGAIN (empty non-blocking pipe)."""
    k = proc.k
    with k.lock:
        f = proc.fds.files.get(fd)
        if f is None or not f.readable:
            raise KernelError(EBADF)
        if pos is not None and pos < 0:
            raise KernelError(EINVAL)
        return _read_file(proc, f, n, pos)


def readall(proc: Process, fd: int) -> bytes:
    """Read to EOF in one syscall's worth of work (FileIO.readall). Errors:
    those of ``read``."""
    k = proc.k
    with k.lock:
        f = proc.fds.files.get(fd)
        if f is None or not f.readable:
            raise KernelError(EBADF)
        if f.kind == S_IFREG:
            # _read_file and _touch_atime for a whole regular file, inline.
            store = k.store
            ino = f.ino
            node = store.get(ino)
            off = f.pos
            data = store.read(ino, off, max(node.size - off, 0) + 1)
            f.pos = off + len(data)
            if not f.flags & O_NOATIME:
                at = node.atime_ns
                if at <= node.mtime_ns or at <= node.ctime_ns:
                    store.setattr(ino, atime_ns=k.now())
                else:
                    now = k.now()
                    if now - at >= DAY_NS:
                        store.setattr(ino, atime_ns=now)
            return data
    chunks: list[bytes] = []
    while True:
        data = read(proc, fd, 65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _write_file(proc: Process, f: OpenFile, data: bytes, pos: int | None) -> int:
    kind = f.kind
    if kind == S_IFREG:
        k = proc.k
        store = k.store
        node = store.get(f.ino)
        if f.flags & O_APPEND:
            off = node.size
        else:
            off = f.pos if pos is None else pos
        size = len(data)
        if not size:
            return 0
        if off + size > MAX_FILE:
            raise KernelError(EFBIG)
        if node.mode & _SUGID:
            kill_priv(proc, node)
        try:
            store.write(f.ino, off, data, k.now())
        except Capacity:
            raise KernelError(ENOSPC) from None
        if pos is None:
            f.pos = off + size
        return size
    if f.pipe is not None:
        if pos is not None:
            raise KernelError(ESPIPE)
        return f.pipe.write(data, bool(f.flags & O_NONBLOCK), proc)
    if f.console is not None:
        return devices.console_write(f.console, data)
    if f.proc_data is not None:
        raise KernelError(EINVAL)  # procfs files have no write operation
    return devices.dev_write(f.rdev, data)


def write(proc: Process, fd: int, data: bytes, pos: int | None = None) -> int:
    """write(2), or pwrite(2) when ``pos`` is given. Errors: EBADF (not open
    for writing), EINVAL (negative pos), ESPIPE, EFBIG, ENOSPC, EPIPE, EAGAIN."""
    k = proc.k
    with k.lock:
        f = proc.fds.files.get(fd)
        if f is None or not f.writable:
            raise KernelError(EBADF)
        if pos is None:
            if f.kind == S_IFREG and not f.flags & O_APPEND:
                # _write_file's regular-file case at the file position, inline.
                size = len(data)
                if not size:
                    return 0
                off = f.pos
                if off + size > MAX_FILE:
                    raise KernelError(EFBIG)
                store = k.store
                ino = f.ino
                if proc.cred.euid != 0 and store.get(ino).mode & _SUGID:
                    kill_priv(proc, store.get(ino))
                try:
                    store.write(ino, off, data, k.now())
                except Capacity:
                    raise KernelError(ENOSPC) from None
                f.pos = off + size
                return size
        elif pos < 0:
            raise KernelError(EINVAL)
        return _write_file(proc, f, data, pos)


def do_truncate(proc: Process, node: Inode, length: int) -> None:
    """Set a regular file's size, clearing setuid/setgid as a write does."""
    kill_priv(proc, node)
    try:
        proc.k.store.truncate(node.ino, length, proc.k.now())
    except Capacity:
        raise KernelError(ENOSPC) from None


def ftruncate(proc: Process, fd: int, length: int) -> None:
    """ftruncate(2). Errors: EINVAL (negative length), EBADF, EINVAL (not a
    regular file open for writing), EFBIG."""
    if length < 0:
        raise KernelError(EINVAL)
    with proc.k.lock:
        f = proc.fds.lookup(fd)
        if f.path_only:
            raise KernelError(EBADF)
        if f.proc_data is not None and f.writable:
            return  # proc_setattr accepts a size and keeps nothing
        if f.kind != S_IFREG or not f.writable:
            raise KernelError(EINVAL)
        if length > MAX_FILE:
            raise KernelError(EFBIG)
        do_truncate(proc, proc.k.store.get(f.ino), length)


def fsync(proc: Process, fd: int) -> None:
    """fsync(2)/fdatasync(2): make the store durable. Errors: EBADF, EINVAL
    (pipes, FIFOs and the console)."""
    with proc.k.lock:
        f = proc.fds.lookup(fd)
        if f.path_only:
            raise KernelError(EBADF)
        if f.pipe is not None or f.console is not None or f.ino >= PROC_BASE:
            raise KernelError(EINVAL)
        proc.k.store.sync()


def pipe2(proc: Process, flags: int) -> tuple[int, int]:
    """pipe2(2) with O_NONBLOCK and O_CLOEXEC. Errors: EINVAL (other flags), EMFILE."""
    if flags & ~(O_NONBLOCK | O_CLOEXEC):
        raise KernelError(EINVAL)
    k = proc.k
    with k.lock:
        pipe = Pipe(k.rlock)
        pipe.readers = pipe.writers = 1
        node = Inode()
        node.ino = 0
        node.mode = S_IFIFO | 0o600
        node.nlink = 1
        node.uid, node.gid = proc.cred.euid, proc.cred.egid
        node.size = node.rdev = node.blocks = 0
        node.atime_ns = node.mtime_ns = node.ctime_ns = k.now()
        pipe.node = node
        status = flags & O_NONBLOCK
        r = OpenFile(0, S_IFIFO, status, True, False)
        w = OpenFile(0, S_IFIFO, status | 1, False, True)
        r.pipe = w.pipe = pipe
        cloexec = bool(flags & O_CLOEXEC)
        rfd = proc.fds.install(r, cloexec)
        try:
            wfd = proc.fds.install(w, cloexec)
        except KernelError:
            release(proc, proc.fds.remove(rfd))
            raise
        return rfd, wfd


def fd_inode(proc: Process, f: OpenFile) -> Inode:
    """The inode ``fstat`` reports for an open file."""
    if f.ino:
        try:
            return proc.k.store.get(f.ino)
        except KeyError:  # a procfs inode
            try:
                return procfs.get(proc.k, f.ino)
            except KeyError:
                raise KernelError(ENOENT) from None
    if f.pipe is not None:
        node: Inode = f.pipe.node
        return node
    node = Inode()
    node.ino = f.console if f.console is not None else 0
    node.mode = S_IFCHR | 0o620
    node.nlink = 1
    node.uid = node.gid = 0
    node.size = node.blocks = 0
    node.rdev = devices.TTY
    node.atime_ns = node.mtime_ns = node.ctime_ns = proc.k.now()
    return node
