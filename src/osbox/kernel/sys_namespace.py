"""Syscalls on the namespace: mkdirat, mknodat, symlinkat, linkat,
unlinkat, rmdir, renameat2, readlinkat, and reading directories
(getdents64, and ``list_names``: open + getdents + close for listdir).

Each follows Linux ``fs/namei.c``: resolve the parent (``lookup_parent``),
reject ``.``/``..``/``/`` with the errno that syscall gives, look the last
component up, then run ``may_create`` / ``may_delete`` and call the store.
In procfs (``procfs``) a missing name is looked up as ENOENT, removing
fails with ``procfs.may_delete``'s errors, and renaming or linking across
its mount gives EXDEV; those checks run where a store lookup misses.
"""

from __future__ import annotations

import os as _os
from errno import (
    EACCES,
    EBADF,
    EBUSY,
    EEXIST,
    EINVAL,
    EISDIR,
    ENAMETOOLONG,
    ENOENT,
    ENOSPC,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
    EXDEV,
)
from stat import S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, S_ISGID
from typing import Any

from ..stores.base import S_IFMT, Capacity, Inode
from . import procfs, procfs_links
from .cred import MAY_EXEC, MAY_READ, MAY_WRITE, permission
from .errors import KernelError
from .namei import PATH_MAX, fast_parent, lookup, lookup_dir, lookup_parent
from .process import Process
from .procfs import PROC_BASE

__all__ = [
    "create_owner",
    "dentry",
    "getdents",
    "linkat",
    "list_names",
    "may_create",
    "mkdirat",
    "mknodat",
    "readlinkat",
    "renameat",
    "rmdirat",
    "symlinkat",
    "unlinkat",
]

O_NOATIME = _os.O_NOATIME
DAY_NS = 86400 * 10**9  # relatime: atime is also updated once it is a day old


def in_procfs(proc: Process, node: Inode) -> bool:
    """Whether directory ``node`` is procfs's: its mount point or one of its own."""
    return node.ino >= PROC_BASE or node.ino == proc.k.proc_mnt


def dentry(proc: Process, parent: Inode, name: str) -> Inode | None:
    """The inode ``name`` names in directory ``parent``, or None: the
    store's answer, or procfs's in its directories."""
    ino = parent.ino
    if ino >= PROC_BASE or ino == proc.k.proc_mnt:
        return procfs.child(proc, parent, name)
    return proc.k.store.lookup(ino, name)


def may_create(proc: Process, parent: Inode) -> None:
    """Linux ``may_create`` for a negative dentry: ENOENT in a removed
    directory, then EACCES without write and search permission. (Creating
    in procfs fails before: its lookup of a new name gives ENOENT.)"""
    if parent.nlink == 0:
        raise KernelError(ENOENT)
    if proc.cred.euid != 0 and not permission(proc.cred, parent, MAY_WRITE | MAY_EXEC):
        raise KernelError(EACCES)


def create_owner(proc: Process, parent: Inode, mode: int) -> tuple[int, int]:
    """Owner gid and final mode of a new inode (``inode_init_owner``): in a
    setgid directory the group is inherited, and so is the setgid bit by
    subdirectories."""
    gid = proc.cred.egid
    if parent.mode & S_ISGID:
        gid = parent.gid
        if mode & S_IFMT == S_IFDIR:
            mode |= S_ISGID
        elif (
            mode & (S_ISGID | 0o010) == S_ISGID | 0o010
            and proc.cred.euid != 0
            and not proc.cred.in_group(gid)
        ):
            mode &= ~S_ISGID  # mode_strip_sgid
    return gid, mode


def _create_last(proc: Process, dirfd: int | None, path: str) -> tuple[Inode, str]:
    """``filename_create``: the parent and a free last component, or EEXIST
    (also for ``.``/``..``/``/``), or ENOENT for a trailing slash."""
    parent, name, trailing = lookup_parent(proc, dirfd, path)
    if name in ("", ".", ".."):
        raise KernelError(EEXIST)
    if dentry(proc, parent, name) is not None:
        raise KernelError(EEXIST)
    if trailing or in_procfs(proc, parent):
        raise KernelError(ENOENT)
    return parent, name


def _make(
    proc: Process, parent: Inode, name: str, mode: int, rdev: int = 0, target: str | None = None
) -> Inode:
    gid, mode = create_owner(proc, parent, mode)
    try:
        return proc.k.store.create(
            parent.ino, name, mode, proc.cred.euid, gid, proc.k.now(), rdev, target
        )
    except Capacity:
        raise KernelError(ENOSPC) from None


def mkdirat(proc: Process, dirfd: int | None, path: str, mode: int) -> None:
    """mkdir(2). Errors: path errors, EEXIST, ENOENT (removed parent), EACCES, ENOSPC."""
    with proc.k.lock:
        parent, name, _ = lookup_parent(proc, dirfd, path)
        if name in ("", ".", ".."):
            raise KernelError(EEXIST)
        ino = parent.ino
        if ino >= PROC_BASE or ino == proc.k.proc_mnt:
            raise KernelError(EEXIST if procfs.child(proc, parent, name) else ENOENT)
        if proc.k.store.lookup(ino, name) is not None:
            raise KernelError(EEXIST)
        may_create(proc, parent)
        _make(proc, parent, name, S_IFDIR | (mode & 0o1777 & ~proc.umask))


def mknodat(proc: Process, dirfd: int | None, path: str, mode: int, device: int) -> None:
    """mknod(2) for regular files, FIFOs, sockets and (as root) devices.
    Errors: EINVAL (bad type), path errors, EEXIST, ENOENT, EPERM (device as
    non-root), EACCES, ENOSPC."""
    kind = mode & S_IFMT
    if kind == 0:
        kind = S_IFREG
    if kind not in (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK):
        raise KernelError(EPERM if kind == S_IFDIR else EINVAL)
    with proc.k.lock:
        parent, name = _create_last(proc, dirfd, path)
        if kind in (S_IFCHR, S_IFBLK) and proc.cred.euid != 0:
            raise KernelError(EPERM)
        may_create(proc, parent)
        rdev = device if kind in (S_IFCHR, S_IFBLK) else 0
        _make(proc, parent, name, kind | (mode & 0o7777 & ~proc.umask), rdev)


def symlinkat(proc: Process, target: str, dirfd: int | None, path: str) -> None:
    """symlink(2). Errors: ENOENT (empty target), ENAMETOOLONG (target of
    PATH_MAX bytes), path errors, EEXIST, ENOENT, EACCES, ENOSPC."""
    if not target:
        raise KernelError(ENOENT)
    if len(target) >= 1024 and len(target.encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise KernelError(ENAMETOOLONG)
    with proc.k.lock:
        parent, name = _create_last(proc, dirfd, path)
        may_create(proc, parent)
        _make(proc, parent, name, S_IFLNK | 0o777, 0, target)


def readlinkat(proc: Process, dirfd: int | None, path: str) -> str:
    """readlink(2). Errors: path errors, EINVAL (not a symlink)."""
    with proc.k.lock:
        node = lookup(proc, dirfd, path, follow=False)
        if node.mode & S_IFMT != S_IFLNK:
            raise KernelError(EINVAL)
        if node.ino >= PROC_BASE:
            return procfs_links.readlink(proc, node)
        return proc.k.store.readlink(node.ino)


def _may_link(proc: Process, node: Inode) -> bool:
    """``may_linkat`` with fs.protected_hardlinks = 1."""
    cred = proc.cred
    if cred.euid == 0 or cred.euid == node.uid:
        return True
    mode = node.mode
    if mode & S_IFMT != S_IFREG or mode & 0o4000 or mode & 0o2010 == 0o2010:
        return False
    return permission(cred, node, MAY_READ | MAY_WRITE)


def linkat(
    proc: Process, olddirfd: int | None, old: str, newdirfd: int | None, new: str, follow: bool
) -> None:
    """link(2). Errors: old path errors, new path errors, EEXIST, ENOENT,
    EPERM (protected hardlinks), EACCES, EPERM (directory), ENOENT (unlinked
    source), ENOSPC."""
    with proc.k.lock:
        node = lookup(proc, olddirfd, old, follow)
        parent, name = _create_last(proc, newdirfd, new)
        if node.ino >= PROC_BASE:
            raise KernelError(EXDEV)
        if not _may_link(proc, node):
            raise KernelError(EPERM)
        may_create(proc, parent)
        if node.mode & S_IFMT == S_IFDIR:
            raise KernelError(EPERM)
        if node.nlink == 0:
            raise KernelError(ENOENT)
        proc.k.store.link(parent.ino, name, node.ino, proc.k.now())


def may_delete(proc: Process, parent: Inode, victim: Inode, isdir: bool) -> None:
    """Linux ``may_delete``: EACCES, EPERM (sticky directory), ENOTDIR/EISDIR,
    EBUSY (root or a mount point), ENOENT (removed directory). For a store
    victim; a procfs one goes to ``procfs.may_delete``."""
    cred = proc.cred
    if cred.euid != 0:
        if not permission(cred, parent, MAY_WRITE | MAY_EXEC):
            raise KernelError(EACCES)
        if parent.mode & 0o1000 and cred.euid != victim.uid and cred.euid != parent.uid:
            raise KernelError(EPERM)
    victim_dir = victim.mode & S_IFMT == S_IFDIR
    if isdir:
        if not victim_dir:
            raise KernelError(ENOTDIR)
        if victim.ino == proc.k.root_ino or victim.ino == proc.k.proc_mnt:
            raise KernelError(EBUSY)  # the root, or a mount point
    elif victim_dir:
        raise KernelError(EISDIR)
    if parent.nlink == 0:
        raise KernelError(ENOENT)


def unlinkat(proc: Process, dirfd: int | None, path: str) -> None:
    """unlink(2). Errors: path errors, EISDIR (``.``, ``..``, ``/`` or a
    directory), ENOENT, ENOTDIR (trailing slash on a non-directory), then
    ``may_delete``'s."""
    k = proc.k
    with k.lock:
        fast = fast_parent(proc, dirfd, path)
        if fast is None:
            parent, name, trailing = lookup_parent(proc, dirfd, path)
        else:
            (parent, name), trailing = fast, False
        if name in ("", ".", ".."):
            raise KernelError(EISDIR)
        try:
            victim = k.store.lookup(parent.ino, name)
        except KeyError:  # a procfs directory
            victim = None
        if victim is None:
            victim = dentry(proc, parent, name)
            if victim is None:
                raise KernelError(ENOENT)
            if trailing:
                raise KernelError(EISDIR if victim.mode & S_IFMT == S_IFDIR else ENOTDIR)
            procfs.may_delete(proc, parent, victim, False)  # a procfs name: raises
        if trailing:
            raise KernelError(EISDIR if victim.mode & S_IFMT == S_IFDIR else ENOTDIR)
        may_delete(proc, parent, victim, False)
        symlink = victim.mode & S_IFMT == S_IFLNK
        gone = k.store.unlink(parent.ino, name, k.now())
        if symlink:
            # The dentry cache holds only directories, reached through
            # directories and symlinks: only a symlink's going can stale it.
            k.forget()
        if gone.nlink == 0:
            k.dropped(gone.ino)


def rmdirat(proc: Process, dirfd: int | None, path: str) -> None:
    """rmdir(2). Errors: path errors, ENOTEMPTY (``..``), EINVAL (``.``),
    EBUSY (``/``), ENOENT, ``may_delete``'s, ENOTEMPTY."""
    k = proc.k
    with k.lock:
        parent, name, _ = lookup_parent(proc, dirfd, path)
        if name == "..":
            raise KernelError(ENOTEMPTY)
        if name == ".":
            raise KernelError(EINVAL)
        if name == "":
            raise KernelError(EBUSY)
        try:
            victim = k.store.lookup(parent.ino, name)
        except KeyError:  # a procfs directory
            victim = None
        if victim is None:
            victim = dentry(proc, parent, name)
            if victim is None:
                raise KernelError(ENOENT)
            procfs.may_delete(proc, parent, victim, True)  # a procfs name: raises
        may_delete(proc, parent, victim, True)
        if not k.store.is_empty(victim.ino):
            raise KernelError(ENOTEMPTY)
        gone = k.store.unlink(parent.ino, name, k.now())
        k.ns_gen += 1
        k.forget()
        k.dropped(gone.ino)


def _trap(proc: Process, child_side: int, ancestor: int) -> int | None:
    """If ``ancestor`` is an ancestor of ``child_side``, return the entry of
    ``ancestor`` on the way down to it (``lock_rename``'s trap)."""
    store = proc.k.store
    cur = child_side
    root = proc.k.root_ino
    while cur != root:
        up = store.parent(cur)
        if up == ancestor:
            return cur
        cur = up
    return None


def renameat(
    proc: Process,
    olddirfd: int | None,
    old: str,
    newdirfd: int | None,
    new: str,
    noreplace: bool = False,
) -> None:
    """rename(2) (renameat2 with ``RENAME_NOREPLACE`` when ``noreplace``).

    Errors, in Linux's order: old path errors, new path errors, EBUSY (``.``,
    ``..`` or ``/`` on either side), ENOENT (no source), EEXIST (noreplace),
    ENOTDIR (trailing slash on a non-directory source), EINVAL (into its own
    subtree), ENOTEMPTY (over an ancestor), ``may_delete``/``may_create``,
    EACCES (moving a directory needs write on it), ENOTEMPTY, ENOSPC."""
    k = proc.k
    store = k.store
    with k.lock:
        fast = fast_parent(proc, olddirfd, old)
        if fast is None:
            sparent, sname, strail = lookup_parent(proc, olddirfd, old)
        else:
            (sparent, sname), strail = fast, False
        fast = fast_parent(proc, newdirfd, new)
        if fast is None:
            dparent, dname, dtrail = lookup_parent(proc, newdirfd, new)
        else:
            (dparent, dname), dtrail = fast, False
        if sname in ("", ".", "..") or dname in ("", ".", ".."):
            _rename_procfs(proc, sparent, sname, dparent, dname)
            raise KernelError(EBUSY)
        try:
            src = store.lookup(sparent.ino, sname)
            dst = store.lookup(dparent.ino, dname)
        except KeyError:  # a procfs directory
            src = dst = None
        if src is None:  # procfs names are not in the store
            _rename_procfs(proc, sparent, sname, dparent, dname)
            raise KernelError(ENOENT)
        if dst is None and (dparent.ino >= PROC_BASE or dparent.ino == k.proc_mnt):
            raise KernelError(EXDEV)  # into procfs
        if noreplace and dst is not None:
            raise KernelError(EEXIST)
        isdir = src.mode & S_IFMT == S_IFDIR
        if not isdir and (strail or dtrail):
            raise KernelError(ENOTDIR)
        if sparent.ino != dparent.ino:
            trap = _trap(proc, dparent.ino, sparent.ino)
            if trap is not None and trap == src.ino:
                raise KernelError(EINVAL)
            if trap is None:
                trap = _trap(proc, sparent.ino, dparent.ino)
                if trap is not None and dst is not None and trap == dst.ino:
                    raise KernelError(ENOTEMPTY)
        if dst is not None and dst.ino == src.ino:
            return
        may_delete(proc, sparent, src, isdir)
        if dst is None:
            may_create(proc, dparent)
        else:
            may_delete(proc, dparent, dst, isdir)
        if isdir and sparent.ino != dparent.ino and proc.cred.euid != 0:
            if not permission(proc.cred, src, MAY_WRITE):
                raise KernelError(EACCES)
        now = k.now()
        if (
            isdir
            or src.mode & S_IFMT == S_IFLNK
            or (dst is not None and dst.mode & S_IFMT in (S_IFDIR, S_IFLNK))
        ):
            k.forget()  # see unlinkat: only directories and symlinks matter to the dcache
        if dst is not None:
            if isdir and not store.is_empty(dst.ino):
                raise KernelError(ENOTEMPTY)
            gone = store.unlink(dparent.ino, dname, now)
            if gone.nlink == 0:
                k.dropped(gone.ino)
        store.rename(sparent.ino, sname, dparent.ino, dname, now)
        if isdir:
            k.ns_gen += 1


def _rename_procfs(proc: Process, sparent: Inode, sname: str, dparent: Inode, dname: str) -> None:
    """rename(2) where a side is in procfs, checked first as Linux does:
    EXDEV across the mount; with both sides in procfs, EBUSY for dots,
    ENOENT for a missing source or target (procfs looks a new name up as
    ENOENT), else ``procfs.may_delete``'s errors (it has no rename
    operation). Returns when neither side is in procfs."""
    sproc, dproc = in_procfs(proc, sparent), in_procfs(proc, dparent)
    if not sproc and not dproc:
        return
    if sproc != dproc:
        raise KernelError(EXDEV)
    if sname in ("", ".", "..") or dname in ("", ".", ".."):
        raise KernelError(EBUSY)
    src = dentry(proc, sparent, sname)
    if src is None or dentry(proc, dparent, dname) is None:
        raise KernelError(ENOENT)
    procfs.may_delete(proc, sparent, src, src.mode & S_IFMT == S_IFDIR)


# -- reading directories ------------------------------------------------------------
def getdents(proc: Process, fd: int) -> list[tuple[str, int, int]]:
    """getdents64(2), all at once: the entries from the directory position
    to the end (newest first, without ``.``/``..``). Errors: EBADF, ENOTDIR,
    ENOENT (the directory was removed)."""
    k = proc.k
    with k.lock:
        f = proc.fds.lookup(fd)
        if f.path_only:
            raise KernelError(EBADF)
        if f.kind != S_IFDIR:
            raise KernelError(ENOTDIR)
        if f.ino >= PROC_BASE or f.ino == k.proc_mnt:
            if f.dir_snapshot is None or f.pos == 0:
                f.dir_snapshot = procfs.readdir(proc, f.ino)
            start, f.pos = f.pos, len(f.dir_snapshot)
            return f.dir_snapshot[start:]
        node = k.store.get(f.ino)
        if node.nlink == 0:
            return []
        if f.dir_snapshot is None or f.pos == 0:
            f.dir_snapshot = k.store.readdir(f.ino)
        snap = f.dir_snapshot
        start = f.pos
        f.pos = len(snap)
        if not f.flags & O_NOATIME:
            at = node.atime_ns
            if at <= node.mtime_ns or at <= node.ctime_ns or k.now() - at >= DAY_NS:
                k.store.setattr(f.ino, atime_ns=k.now())
        return snap[start:]


def list_names(proc: Process, path: str, with_types: bool = False) -> list[Any]:
    """What ``os.listdir(path)`` does as syscalls, in one: open(2) with
    O_RDONLY | O_DIRECTORY, getdents64(2) to the end and close(2), without
    installing the fd. The names (``readdir`` order), or the ``(name, ino,
    type)`` entries when ``with_types``. Errors: EMFILE (no free fd), path
    errors, ENOTDIR, EACCES."""
    k = proc.k
    with k.lock:
        fds = proc.fds
        if len(fds.files) >= fds.limit:  # else some fd below the limit is free
            fds.lowest_free()  # EMFILE, before any path error, as open(2)
        dcache = k.dcache
        node = None
        if dcache is not None and path[:1] == "/" and proc.cred.euid == 0 and len(path) < 1024:
            node = dcache.get((proc.root, path, True))  # lookup_dir's first step, inline
        if node is None:
            node = lookup_dir(proc, None, path)
        if node.mode & S_IFMT != S_IFDIR:
            raise KernelError(ENOTDIR)
        if proc.cred.euid != 0 and not permission(proc.cred, node, MAY_READ):
            raise KernelError(EACCES)
        if node.nlink == 0:
            return []
        store = k.store
        ino = node.ino
        try:
            entries: list[Any] = store.readdir(ino) if with_types else store.names(ino)
        except KeyError:  # a procfs directory
            entries = []
        if not entries and (ino >= PROC_BASE or ino == k.proc_mnt):
            found = procfs.readdir(proc, ino)
            return found if with_types else [name for name, _, _ in found]
        at = node.atime_ns
        if at <= node.mtime_ns or at <= node.ctime_ns:
            store.setattr(ino, atime_ns=k.now())
        else:
            now = k.now()
            if now - at >= DAY_NS:
                store.setattr(ino, atime_ns=now)
        return entries
