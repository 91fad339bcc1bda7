"""Syscalls on inode attributes: fstatat, fstat, fchmodat, fchownat,
utimensat, faccessat2, truncate.

Ownership and mode rules follow Linux ``setattr_prepare`` and
``chown_common``: only the owner (or root) changes mode or times explicitly,
only root gives a file away, an owner may change the group to one of its
groups, setgid is dropped from a mode set by a caller outside the file's
group, and ``chown`` clears setuid (and setgid with group-exec) on
non-directories.
"""

from __future__ import annotations

from errno import EACCES, EBADF, EINVAL, EISDIR, EPERM
from stat import S_IFDIR, S_IFREG, S_ISGID, S_ISUID

from ..stores.base import S_IFMT, Inode
from .cred import MAY_EXEC, MAY_READ, MAY_WRITE, permission
from .errors import KernelError
from .namei import lookup
from .process import Process
from .procfs import PROC_BASE, immutable
from .sys_file import MAX_FILE, do_truncate, fd_inode

__all__ = [
    "access",
    "chmod",
    "chown",
    "fstat",
    "stat",
    "truncate",
    "utimens",
    "UTIME_NOW",
    "UTIME_OMIT",
]

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


def stat(proc: Process, dirfd: int | None, path: str, follow: bool) -> Inode:
    """fstatat(2). Errors: path errors."""
    with proc.k.lock:
        return lookup(proc, dirfd, path, follow)


def fstat(proc: Process, fd: int) -> Inode:
    """fstat(2), also on O_PATH handles, pipes and the console. Errors: EBADF."""
    with proc.k.lock:
        return fd_inode(proc, proc.fds.lookup(fd))


def _target(proc: Process, dirfd: int | None, path: str | int, follow: bool) -> Inode:
    if isinstance(path, int):
        f = proc.fds.lookup(path)
        if f.path_only:
            raise KernelError(EBADF)  # fchmod/fchown/futimens use fdget, not fdget_raw
        return fd_inode(proc, f)
    return lookup(proc, dirfd, path, follow)


def _owner_or_root(proc: Process, node: Inode) -> bool:
    euid = proc.cred.euid
    return euid == 0 or euid == node.uid


def chmod(
    proc: Process, dirfd: int | None, path: str | int, mode: int, follow: bool = True
) -> None:
    """fchmodat(2)/fchmod(2) (``path`` an int is an fd). Errors: path errors or
    EBADF, EPERM (not the owner)."""
    k = proc.k
    with k.lock:
        node = _target(proc, dirfd, path, follow)
        if not _owner_or_root(proc, node):
            raise KernelError(EPERM)
        mode &= 0o7777
        if proc.cred.euid != 0 and not proc.cred.in_group(node.gid):
            mode &= ~S_ISGID
        if node.ino >= PROC_BASE:
            raise KernelError(EPERM)  # proc_setattr refuses a mode
        k.store.setattr(node.ino, mode=(node.mode & S_IFMT) | mode, ctime_ns=k.now())


def chown(
    proc: Process, dirfd: int | None, path: str | int, uid: int, gid: int, follow: bool = True
) -> None:
    """fchownat(2)/fchown(2); -1 leaves an id unchanged. Errors: path errors or
    EBADF, EPERM (giving a file away, or a group the caller is not in)."""
    k = proc.k
    with k.lock:
        node = _target(proc, dirfd, path, follow)
        if immutable(node.ino):
            raise KernelError(EPERM)  # notify_change: a /proc/<pid> directory
        cred = proc.cred
        if cred.euid != 0:
            if uid != -1 and not (cred.euid == node.uid and uid == node.uid):
                raise KernelError(EPERM)
            if gid != -1 and not (
                cred.euid == node.uid and (cred.in_group(gid) or gid == node.gid)
            ):
                raise KernelError(EPERM)
        mode = node.mode
        if mode & S_IFMT != S_IFDIR:
            kill = S_ISUID
            if mode & (S_ISGID | 0o010) == S_ISGID | 0o010:
                kill |= S_ISGID
            mode &= ~kill
        if node.ino >= PROC_BASE:
            return  # proc_setattr accepts ids and keeps them nowhere
        k.store.setattr(
            node.ino,
            mode=mode if mode != node.mode else None,
            uid=uid if uid != -1 else None,
            gid=gid if gid != -1 else None,
            ctime_ns=k.now(),
        )


def utimens(
    proc: Process,
    dirfd: int | None,
    path: str | int,
    atime_ns: int | None,
    mtime_ns: int | None,
    follow: bool = True,
) -> None:
    """utimensat(2)/futimens(2). ``None`` for both means "now" (needs write
    permission or ownership: EACCES); explicit times need ownership (EPERM)."""
    k = proc.k
    with k.lock:
        node = _target(proc, dirfd, path, follow)
        if immutable(node.ino):
            raise KernelError(EPERM)
        if not _owner_or_root(proc, node):
            if atime_ns is not None or mtime_ns is not None:
                raise KernelError(EPERM)
            if not permission(proc.cred, node, MAY_WRITE):
                raise KernelError(EACCES)
        if node.ino >= PROC_BASE:
            return  # as for chown: accepted, not kept
        now = k.now()
        k.store.setattr(
            node.ino,
            atime_ns=now if atime_ns is None else atime_ns,
            mtime_ns=now if mtime_ns is None else mtime_ns,
            ctime_ns=now,
        )


def access(
    proc: Process, dirfd: int | None, path: str, mode: int, effective: bool, follow: bool
) -> None:
    """faccessat2(2). Errors: EINVAL (bad mode), path errors (resolved with
    the real ids unless ``effective``), EACCES."""
    if mode & ~7:
        raise KernelError(EINVAL)
    k = proc.k
    with k.lock:
        if effective:
            node = lookup(proc, dirfd, path, follow)
            cred = proc.cred
        else:
            saved = proc.cred
            real = saved.copy()
            real.euid, real.egid = real.uid, real.gid
            proc.cred = real
            try:
                node = lookup(proc, dirfd, path, follow)
            finally:
                proc.cred = saved
            cred = real
        if mode and not permission(cred, node, mode & (MAY_READ | MAY_WRITE | MAY_EXEC)):
            raise KernelError(EACCES)


def truncate(proc: Process, dirfd: int | None, path: str, length: int) -> None:
    """truncate(2). Errors: EINVAL (negative), path errors, EISDIR, EINVAL
    (not a regular file), EACCES, EFBIG."""
    if length < 0:
        raise KernelError(EINVAL)
    with proc.k.lock:
        node = lookup(proc, dirfd, path, True)
        kind = node.mode & S_IFMT
        if kind == S_IFDIR:
            raise KernelError(EISDIR)
        if kind != S_IFREG:
            raise KernelError(EINVAL)
        if proc.cred.euid != 0 and not permission(proc.cred, node, MAY_WRITE):
            raise KernelError(EACCES)
        if length > MAX_FILE:
            raise KernelError(EINVAL)
        if node.ino >= PROC_BASE:
            return  # as ftruncate: accepted, nothing kept
        do_truncate(proc, node, length)
