"""Path resolution: turning a path string into an inode, as Linux's ``namei``.

This is the only place that interprets ``/``, ``.``, ``..``, trailing slashes
and symlinks. Two entry points:

* ``lookup(proc, dirfd, path, follow)`` walks every component and returns the
  final inode (``path_lookupat``).
* ``lookup_parent(proc, dirfd, path)`` walks all but the last component and
  returns ``(parent, last, trailing_slash)`` (``filename_parentat``); ``last``
  is ``"."``, ``".."`` or ``""`` (the path was ``/``) for the special cases,
  which each syscall maps to its own errno.

Mounts: procfs (``procfs``) is entered where a name is missing from its
mount point directory, the store's empty ``/proc`` (the walk then looks
names up through procfs for its rest), or where a walk starts in a procfs
directory; its symlinks are read, and its magic links followed, through
procfs. A walk that never meets ``/proc`` runs no procfs code.

Errors, in the order Linux checks them: ENOENT (empty path), ENAMETOOLONG
(path of PATH_MAX bytes or more), EBADF / ENOTDIR (``dirfd`` for a relative
path), then per component: EACCES (no search permission on the directory),
ENAMETOOLONG (component over NAME_MAX bytes), ENOENT (missing), ELOOP (more
than 40 symlinks), ENOTDIR (a non-directory followed by more components or a
trailing slash).
"""

from __future__ import annotations

from errno import EACCES, EBADF, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR
from stat import S_IFDIR, S_IFLNK
from typing import TYPE_CHECKING

from ..stores.base import S_IFMT, Inode
from . import procfs, procfs_links
from .cred import MAY_EXEC, permission
from .errors import KernelError
from .procfs import PROC_BASE

if TYPE_CHECKING:
    from collections.abc import Callable

    from .process import Process

__all__ = [
    "AT_FDCWD",
    "MAXSYMLINKS",
    "NAME_MAX",
    "PATH_MAX",
    "fast_parent",
    "lookup",
    "lookup_dir",
    "lookup_parent",
    "start_dir",
]

AT_FDCWD = -100
MAXSYMLINKS = 40
NAME_MAX = 255
PATH_MAX = 4096


def _blen(s: str) -> int:
    return len(s.encode("utf-8", "surrogateescape"))


def check_path(path: str) -> None:
    """ENOENT for an empty path, ENAMETOOLONG for one of PATH_MAX bytes or more."""
    if not path:
        raise KernelError(ENOENT)
    if len(path) >= 1024 and _blen(path) >= PATH_MAX:
        raise KernelError(ENAMETOOLONG)


def start_dir(proc: Process, dirfd: int | None, path: str) -> Inode:
    """The inode a walk of ``path`` starts from (``path_init``)."""
    store = proc.k.store
    if path[0] == "/":
        return store.get(proc.root)
    if dirfd is None or dirfd == AT_FDCWD:
        try:
            return store.get(proc.cwd)
        except KeyError:  # a cwd in procfs
            return _proc_dir(proc, proc.cwd)
    f = proc.fds.get(dirfd)
    if f is None:
        raise KernelError(EBADF)
    try:
        node = store.get(f.ino) if f.ino else None
    except KeyError:  # a procfs directory
        node = _proc_dir(proc, f.ino)
    if node is None or node.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    return node


def _proc_dir(proc: Process, ino: int) -> Inode:
    """The procfs inode a walk starts from; ENOENT once its process is gone."""
    try:
        return procfs.get(proc.k, ino)
    except KeyError:
        raise KernelError(ENOENT) from None


DCACHE_MAX = 65536


def _cached_dir(proc: Process, base: int, dirpath: str) -> Inode | None:
    """The inode ``dirpath`` names relative to the directory ``base``,
    following symlinks, through the dentry cache; ``""`` is ``base`` itself.
    The caller has checked that the cache applies (``_base``). Only
    directories are cached; a non-directory is returned for the caller to
    raise ENOTDIR, so removing or renaming a regular file cannot leave a
    stale entry. None when the walk starts in or enters procfs, whose
    answers depend on the caller, or ends at its mount point (so no cached
    parent is ever procfs's and the create and lookup fast paths need no
    check): the caller then takes the full walk."""
    k = proc.k
    dcache = k.dcache
    assert dcache is not None
    key = (base, dirpath, True)
    node = dcache.get(key)
    if node is None:
        try:
            node = k.store.get(base)
        except KeyError:  # a procfs directory
            return None
        if dirpath:
            walks = k.proc_walks
            node = _walk(proc, node, dirpath, True, False)[0]
            if k.proc_walks != walks:
                return None
            if node.mode & S_IFMT != S_IFDIR:
                return node
        if node.ino == k.proc_mnt:
            return None
        if len(dcache) >= DCACHE_MAX:
            dcache.clear()
        dcache[key] = node
    return node


def _base(proc: Process, dirfd: int | None, path: str) -> int:
    """The directory inode a cached lookup of the non-empty ``path`` starts
    from, or -1 when the dentry cache does not apply. It applies for root
    (no search permission checks) on a live store; a relative path (from
    the cwd or a directory fd) only with the machine's root, since ``..``
    and absolute symlinks depend on the process's root."""
    if proc.k.dcache is None or proc.cred.euid != 0:
        return -1
    if path[0] == "/":
        return proc.root
    if proc.root != proc.k.root_ino:
        return -1
    if dirfd is None or dirfd == AT_FDCWD:
        return proc.cwd
    f = proc.fds.files.get(dirfd)
    if f is None or f.kind != S_IFDIR or not f.ino:
        return -1  # the walk raises EBADF or ENOTDIR
    return f.ino


def fast_parent(proc: Process, dirfd: int | None, path: str) -> tuple[Inode, str] | None:
    """For root on a live store: the parent directory of ``dir/name`` from
    the dentry cache, or None when the path needs a full walk or more
    checks (empty or long, dots, trailing slash, a long name, see
    ``_base``). Raises the walk's errors for the directory part, and
    ENOTDIR when it is not a directory."""
    if not path or path[-1] == "/" or len(path) >= 1024:
        return None
    if path[0] == "/" and proc.k.dcache is not None and proc.cred.euid == 0:
        base = proc.root  # _base's first case, inline
    else:
        base = _base(proc, dirfd, path)
        if base < 0:
            return None
    dirpath, _, name = path.rpartition("/")
    if len(name) > 63 or name == "." or name == "..":
        return None
    parent = proc.k.dcache.get((base, dirpath, True))  # type: ignore[union-attr]
    if parent is None:
        parent = _cached_dir(proc, base, dirpath)
        if parent is None:
            return None
    if parent.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    return parent, name


def lookup(proc: Process, dirfd: int | None, path: str, follow: bool = True) -> Inode:
    """Resolve ``path`` to its inode; ``follow`` decides whether a symlink as
    the last component is followed (a trailing slash always follows).

    For root on a store with live inodes, the directory part comes from the
    kernel's dentry cache (Linux's dcache, see ``_cached_dir``), emptied
    whenever a directory or symlink is removed or moved. This is the
    hottest call in the kernel, so that case is written out inline: a last
    component found in its directory is a valid name (never ``.``, ``..``,
    empty or too long), anything else takes the full walk for its errno.
    """
    if not path:
        raise KernelError(ENOENT)
    dcache = proc.k.dcache
    if dcache is not None and proc.cred.euid == 0 and len(path) < 1024:
        if path[0] == "/":
            base = proc.root
        elif (dirfd is None or dirfd == AT_FDCWD) and proc.root == proc.k.root_ino:
            base = proc.cwd
        else:
            base = _base(proc, dirfd, path)
        if base >= 0:
            dirpath, _, name = path.rpartition("/")
            parent = dcache.get((base, dirpath, True))
            if parent is None:
                parent = _cached_dir(proc, base, dirpath)
                if parent is None:  # through procfs: the full walk
                    check_path(path)
                    return _walk(proc, start_dir(proc, dirfd, path), path, follow, False)[0]
            if parent.mode & S_IFMT != S_IFDIR:
                raise KernelError(ENOTDIR)
            try:
                # A live store's directory inode holds its dentries (memory store).
                node: Inode | None = parent.entries.get(name)  # type: ignore[attr-defined]
            except AttributeError:
                node = proc.k.store.child(parent, name) if name else None
            if node is not None:
                if follow and node.mode & S_IFMT == S_IFLNK:
                    return _walk(proc, parent, name, True, False)[0]
                return node
    check_path(path)
    return _walk(proc, start_dir(proc, dirfd, path), path, follow, False)[0]


def lookup_dir(proc: Process, dirfd: int | None, path: str) -> Inode:
    """``lookup(proc, dirfd, path, True)`` for a path expected to name a
    directory (listdir, opendir): resolved whole through the dentry cache,
    where a directory result is kept under the same key as the parent part
    of the paths inside it."""
    if path and len(path) < 1024:
        dcache = proc.k.dcache
        if dcache is not None and path[0] == "/" and proc.cred.euid == 0:
            node = dcache.get((proc.root, path, True))
            if node is not None:
                return node
            node = _cached_dir(proc, proc.root, path)
            if node is not None:
                return node
        else:
            base = _base(proc, dirfd, path)
            if base >= 0:
                node = _cached_dir(proc, base, path)
                if node is not None:
                    return node
    return lookup(proc, dirfd, path, True)


def lookup_parent(proc: Process, dirfd: int | None, path: str) -> tuple[Inode, str, bool]:
    """Resolve all but the last component of ``path``.

    Returns ``(parent, last, trailing_slash)``. ``last`` is ``"."``/``".."``
    when the path ends so, and ``""`` when it names the root itself.
    """
    if not path:
        raise KernelError(ENOENT)
    if len(path) >= 1024 and _blen(path) >= PATH_MAX:
        raise KernelError(ENAMETOOLONG)
    fast = fast_parent(proc, dirfd, path)
    if fast is not None:
        return fast[0], fast[1], False
    return _walk(proc, start_dir(proc, dirfd, path), path, False, True)


def _walk(
    proc: Process, cur: Inode, path: str, follow: bool, parent: bool
) -> tuple[Inode, str, bool]:
    """Walk ``path`` from ``cur``. In parent mode stop before the last
    component; otherwise resolve it. Returns ``(inode, last name, trailing)``."""
    store = proc.k.store
    child: Callable[[Inode, str], Inode | None] = store.child
    if cur.ino >= PROC_BASE:  # starting in procfs (a cwd or dir fd there)
        proc.k.proc_walks += 1
        child = procfs.child_fn(proc)
    cred = proc.cred
    check = cred.euid != 0
    trailing = path[-1] == "/"
    comps = path.split("/")
    if "" in comps:
        comps = [c for c in comps if c]
    links = 0
    i = 0
    n = len(comps)
    if n == 0:
        return cur, "", trailing
    while True:
        name = comps[i]
        i += 1
        last = i == n
        # may_lookup: search permission on every directory walked through.
        if check and not permission(cred, cur, MAY_EXEC):
            raise KernelError(EACCES)
        if last and parent:
            if len(name) > 63 and name != ".." and _blen(name) > NAME_MAX:
                raise KernelError(ENAMETOOLONG)
            return cur, name, trailing
        if name == ".":
            nxt = cur
        elif name == "..":
            if cur.ino == proc.root:
                nxt = cur
            elif cur.ino >= PROC_BASE:
                nxt = procfs.parent(proc, cur)
            else:
                nxt = store.get(store.parent(cur.ino))
        else:
            if len(name) > 63 and _blen(name) > NAME_MAX:
                raise KernelError(ENAMETOOLONG)
            found = child(cur, name)
            if found is None:
                # Crossing into procfs: its names are not in the store.
                if cur.ino != proc.k.proc_mnt:
                    raise KernelError(ENOENT)
                found = procfs.child(proc, cur, name)
                if found is None:
                    raise KernelError(ENOENT)
                proc.k.proc_walks += 1
                child = procfs.child_fn(proc)
            nxt = found
            if nxt.mode & S_IFMT == S_IFLNK and (not last or follow or trailing):
                links += 1
                if links > MAXSYMLINKS:
                    raise KernelError(ELOOP)
                jump = None
                if nxt.ino < PROC_BASE:
                    target = store.readlink(nxt.ino)
                else:
                    target, jump = procfs_links.follow(proc, nxt)
                if jump is not None:
                    nxt = jump  # a magic link: on from the inode itself
                else:
                    if not target:
                        raise KernelError(ENOENT)
                    if target[0] == "/":
                        cur = store.get(proc.root)
                    if target[-1] == "/" and last:
                        trailing = True
                    comps = [c for c in target.split("/") if c] + comps[i:]
                    n = len(comps)
                    i = 0
                    if n == 0:
                        # The target was "/" (or only slashes): the root itself.
                        return cur, "", trailing
                    continue
        if last:
            if trailing and nxt.mode & S_IFMT != S_IFDIR:
                raise KernelError(ENOTDIR)
            return nxt, name, trailing
        if nxt.mode & S_IFMT != S_IFDIR:
            raise KernelError(ENOTDIR)
        cur = nxt
