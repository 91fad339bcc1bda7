"""Extended attribute syscalls: getxattr, setxattr, listxattr, removexattr
(and their l* / f* forms through ``follow`` and fds).

Semantics are tmpfs's (kernel 6.6 and later): the ``user.``, ``trusted.``
and ``security.`` namespaces are stored; any other prefix gives EOPNOTSUPP.
Permission follows ``xattr_permission``: ``trusted.`` needs root (EPERM to
write, ENODATA to read otherwise); ``user.`` exists only on regular files
and directories (EPERM/ENODATA elsewhere), and in a sticky directory only
its owner may write them; then the file's own read/write permission.

Argument errors come first, as ``setxattr_copy`` checks them before the
path: EINVAL (unknown flags), ERANGE (empty name or over 255 bytes), E2BIG
(value over 64 KiB).
"""

from __future__ import annotations

from errno import E2BIG, EACCES, EEXIST, EINVAL, ENODATA, ENOSPC, EOPNOTSUPP, EPERM, ERANGE
from stat import S_IFDIR, S_IFREG, S_ISVTX

from ..stores.base import S_IFMT, Capacity, Inode
from .cred import MAY_READ, MAY_WRITE, permission
from .errors import KernelError
from .namei import lookup
from .process import Process
from .procfs import PROC_BASE
from .sys_file import fd_inode

__all__ = ["getxattr", "listxattr", "removexattr", "setxattr", "XATTR_CREATE", "XATTR_REPLACE"]

XATTR_CREATE = 1
XATTR_REPLACE = 2
XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = 65536
_STORED = ("user.", "trusted.", "security.")


def _check_name(name: str) -> None:
    if not name or len(name.encode("utf-8", "surrogateescape")) > XATTR_NAME_MAX:
        raise KernelError(ERANGE)


def _target(proc: Process, dirfd: int | None, path: str | int, follow: bool) -> Inode:
    if isinstance(path, int):
        return fd_inode(proc, proc.fds.lookup(path))
    return lookup(proc, dirfd, path, follow)


def _permission(proc: Process, node: Inode, name: str, mask: int) -> None:
    """``xattr_permission`` followed by the namespace check."""
    euid = proc.cred.euid
    write = bool(mask & MAY_WRITE)
    if name.startswith("trusted."):
        if euid != 0:
            raise KernelError(EPERM if write else ENODATA)
    elif name.startswith("user."):
        kind = node.mode & S_IFMT
        if kind != S_IFREG and kind != S_IFDIR:
            raise KernelError(EPERM if write else ENODATA)
        if kind == S_IFDIR and node.mode & S_ISVTX and write and euid not in (0, node.uid):
            raise KernelError(EPERM)
    elif name.startswith("security."):
        # xattr_permission leaves security.* to the LSM, with no inode
        # permission check; the capability module wants CAP_SYS_ADMIN to set
        if write and euid != 0:
            raise KernelError(EPERM)
        mask = 0
    if euid != 0 and mask and not permission(proc.cred, node, mask):
        raise KernelError(EACCES)
    if not name.startswith(_STORED) or node.ino >= PROC_BASE:  # procfs keeps none
        raise KernelError(EOPNOTSUPP)


def getxattr(proc: Process, dirfd: int | None, path: str | int, name: str, follow: bool) -> bytes:
    """getxattr(2). Errors: ERANGE, path errors, ENODATA, EACCES, EOPNOTSUPP."""
    _check_name(name)
    with proc.k.lock:
        node = _target(proc, dirfd, path, follow)
        _permission(proc, node, name, MAY_READ)
        value = proc.k.store.xattrs(node.ino).get(name) if node.ino else None
        if value is None:
            raise KernelError(ENODATA)
        return value


def setxattr(
    proc: Process,
    dirfd: int | None,
    path: str | int,
    name: str,
    value: bytes,
    flags: int,
    follow: bool,
) -> None:
    """setxattr(2). Errors: EINVAL, ERANGE, E2BIG, path errors, EPERM, EACCES,
    EOPNOTSUPP, EEXIST (XATTR_CREATE), ENODATA (XATTR_REPLACE), ENOSPC."""
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise KernelError(EINVAL)
    _check_name(name)
    if len(value) > XATTR_SIZE_MAX:
        raise KernelError(E2BIG)
    k = proc.k
    with k.lock:
        node = _target(proc, dirfd, path, follow)
        _permission(proc, node, name, MAY_WRITE)
        if not node.ino:
            raise KernelError(EOPNOTSUPP)
        exists = name in k.store.xattrs(node.ino)
        if flags & XATTR_CREATE and exists:
            raise KernelError(EEXIST)
        if flags & XATTR_REPLACE and not exists:
            raise KernelError(ENODATA)
        try:
            k.store.set_xattr(node.ino, name, bytes(value), k.now())
        except Capacity:
            raise KernelError(ENOSPC) from None


def listxattr(proc: Process, dirfd: int | None, path: str | int, follow: bool) -> list[str]:
    """listxattr(2): names in the stored namespaces; ``trusted.`` ones only
    for root. Errors: path errors."""
    with proc.k.lock:
        node = _target(proc, dirfd, path, follow)
        if not node.ino or node.ino >= PROC_BASE:
            return []
        names = list(proc.k.store.xattrs(node.ino))
    if proc.cred.euid != 0:
        names = [n for n in names if not n.startswith("trusted.")]
    return names


def removexattr(proc: Process, dirfd: int | None, path: str | int, name: str, follow: bool) -> None:
    """removexattr(2). Errors: ERANGE, path errors, EPERM, EACCES, EOPNOTSUPP,
    ENODATA."""
    _check_name(name)
    k = proc.k
    with k.lock:
        node = _target(proc, dirfd, path, follow)
        _permission(proc, node, name, MAY_WRITE)
        if not node.ino or name not in k.store.xattrs(node.ino):
            raise KernelError(ENODATA)
        k.store.set_xattr(node.ino, name, None, k.now())
