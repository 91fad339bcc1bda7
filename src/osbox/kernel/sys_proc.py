"""Syscalls on process state: chdir, fchdir, getcwd, umask and the
set*id family.

The id rules are Linux's (``kernel/sys.c``) for a process whose only
capability source is euid 0: root may set any id; others may only switch
among their real, effective and saved ids. ``setgroups`` needs root.
"""

from __future__ import annotations

from errno import EACCES, EINVAL, ENOENT, ENOTDIR, EPERM
from stat import S_IFDIR

from ..stores.base import S_IFMT
from . import procfs, procfs_links
from .cred import MAY_EXEC, permission
from .errors import KernelError
from .namei import lookup
from .process import Process

__all__ = [
    "chdir",
    "chroot",
    "fchdir",
    "getcwd",
    "setegid",
    "seteuid",
    "setgid",
    "setgroups",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setuid",
]

NGROUPS_MAX = 65536


def _enter(proc: Process, ino: int) -> None:
    try:
        node = procfs.inode(proc.k, ino)
    except KeyError:  # a procfs directory whose process is gone
        raise KernelError(ENOENT) from None
    if node.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    if proc.cred.euid != 0 and not permission(proc.cred, node, MAY_EXEC):
        raise KernelError(EACCES)
    proc.set_cwd(ino)


def chdir(proc: Process, path: str) -> None:
    """chdir(2). Errors: path errors, ENOTDIR, EACCES."""
    with proc.k.lock:
        _enter(proc, lookup(proc, None, path, True).ino)


def fchdir(proc: Process, fd: int) -> None:
    """fchdir(2). Errors: EBADF, ENOTDIR, EACCES."""
    with proc.k.lock:
        f = proc.fds.lookup(fd)
        if not f.ino:
            raise KernelError(ENOTDIR)
        _enter(proc, f.ino)


def chroot(proc: Process, path: str) -> None:
    """chroot(2): the process's root becomes ``path``. Errors: path errors,
    ENOTDIR, EACCES (search), EPERM (not root)."""
    k = proc.k
    with k.lock:
        node = lookup(proc, None, path, True)
        if node.mode & S_IFMT != S_IFDIR:
            raise KernelError(ENOTDIR)
        if proc.cred.euid != 0 and not permission(proc.cred, node, MAY_EXEC):
            raise KernelError(EACCES)
        if proc.cred.euid != 0:
            raise KernelError(EPERM)
        k.ref(node.ino)
        old, proc.root = proc.root, node.ino
        proc.cwd_cache = None
        k.forget()
        k.unref(old)


def getcwd(proc: Process) -> str:
    """getcwd(2): the cwd's path, built from dentry names. Errors: ENOENT
    (the cwd was removed)."""
    k = proc.k
    with k.lock:
        cache = proc.cwd_cache
        if cache is not None and cache[0] == k.ns_gen:
            return cache[1]
        store = k.store
        ino = proc.cwd
        if ino >= procfs.PROC_BASE:
            return procfs_links.path_of(proc, ino)  # not cached: its process may go
        if store.get(ino).nlink == 0:
            raise KernelError(ENOENT)
        parts: list[str] = []
        while ino != proc.root and ino != k.root_ino:
            up = store.parent(ino)
            for name, child, _ in store.readdir(up):
                if child == ino:
                    parts.append(name)
                    break
            else:
                raise KernelError(ENOENT)
            ino = up
        path = "/" + "/".join(reversed(parts))
        proc.cwd_cache = (k.ns_gen, path)
        return path


def setuid(proc: Process, uid: int) -> None:
    """setuid(2): root sets all three ids; others set euid to the real or
    saved uid. Errors: EINVAL (-1), EPERM."""
    if uid < 0:
        raise KernelError(EINVAL)
    c = proc.cred
    if c.euid == 0:
        c.uid = c.euid = c.suid = uid
    elif uid in (c.uid, c.suid):
        c.euid = uid
    else:
        raise KernelError(EPERM)


def seteuid(proc: Process, euid: int) -> None:
    """seteuid(3) (setresuid(-1, euid, -1)). Errors: EINVAL, EPERM."""
    if euid < 0:
        raise KernelError(EINVAL)
    c = proc.cred
    if c.euid != 0 and euid not in (c.uid, c.euid, c.suid):
        raise KernelError(EPERM)
    c.euid = euid


def setgid(proc: Process, gid: int) -> None:
    """setgid(2). Errors: EINVAL, EPERM."""
    if gid < 0:
        raise KernelError(EINVAL)
    c = proc.cred
    if c.euid == 0:
        c.gid = c.egid = c.sgid = gid
    elif gid in (c.gid, c.sgid):
        c.egid = gid
    else:
        raise KernelError(EPERM)


def setegid(proc: Process, egid: int) -> None:
    """setegid(3). Errors: EINVAL, EPERM."""
    if egid < 0:
        raise KernelError(EINVAL)
    c = proc.cred
    if c.euid != 0 and egid not in (c.gid, c.egid, c.sgid):
        raise KernelError(EPERM)
    c.egid = egid


def _setres(cur: list[int], want: tuple[int, int, int], root: bool) -> list[int]:
    """setresuid/setresgid: each id -1 (unchanged) or, without privilege, one
    of the current three. Errors: EPERM."""
    for value in want:
        if value != -1 and not root and value not in cur:
            raise KernelError(EPERM)
    return [cur[i] if want[i] == -1 else want[i] for i in range(3)]


def _setre(cur: list[int], real: int, eff: int, root: bool) -> list[int]:
    """setreuid/setregid: the real id may become the real or effective one,
    the effective any of the three; the saved id follows the new effective id
    when the real id is set or the effective one differs from the old real."""
    if real != -1 and not root and real not in (cur[0], cur[1]):
        raise KernelError(EPERM)
    if eff != -1 and not root and eff not in cur:
        raise KernelError(EPERM)
    new = list(cur)
    if real != -1:
        new[0] = real
    if eff != -1:
        new[1] = eff
    if real != -1 or (eff != -1 and eff != cur[0]):
        new[2] = new[1]
    return new


def setresuid(proc: Process, ruid: int, euid: int, suid: int) -> None:
    """setresuid(2). Errors: EPERM."""
    c = proc.cred
    c.uid, c.euid, c.suid = _setres([c.uid, c.euid, c.suid], (ruid, euid, suid), c.euid == 0)


def setresgid(proc: Process, rgid: int, egid: int, sgid: int) -> None:
    """setresgid(2). Errors: EPERM."""
    c = proc.cred
    c.gid, c.egid, c.sgid = _setres([c.gid, c.egid, c.sgid], (rgid, egid, sgid), c.euid == 0)


def setreuid(proc: Process, ruid: int, euid: int) -> None:
    """setreuid(2). Errors: EPERM."""
    c = proc.cred
    c.uid, c.euid, c.suid = _setre([c.uid, c.euid, c.suid], ruid, euid, c.euid == 0)


def setregid(proc: Process, rgid: int, egid: int) -> None:
    """setregid(2). Errors: EPERM."""
    c = proc.cred
    c.gid, c.egid, c.sgid = _setre([c.gid, c.egid, c.sgid], rgid, egid, c.euid == 0)


def setgroups(proc: Process, groups: list[int]) -> None:
    """setgroups(2). Errors: EINVAL (too many), EPERM (not root)."""
    if len(groups) > NGROUPS_MAX:
        raise KernelError(EINVAL)
    if proc.cred.euid != 0:
        raise KernelError(EPERM)
    proc.cred.groups = tuple(groups)
