"""Path resolution: turning a path string into an inode, as Linux's ``namei``.

This is the only place that interprets ``/``, ``.``, ``..``, trailing slashes
and symlinks. Two entry points:

* ``lookup(proc, dirfd, path, follow)`` walks every component and returns the
  final inode (``path_lookupat``).
* ``lookup_parent(proc, dirfd, path)`` walks all but the last component and
  returns ``(parent, last, trailing_slash)`` (``filename_parentat``); ``last``
  is ``"."``, ``".."`` or ``""`` (the path was ``/``) for the special cases,
  which each syscall maps to its own errno.

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
from .cred import MAY_EXEC, permission
from .errors import KernelError

if TYPE_CHECKING:
    from .process import Process

__all__ = [
    "AT_FDCWD",
    "MAXSYMLINKS",
    "NAME_MAX",
    "PATH_MAX",
    "lookup",
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
        return store.get(proc.cwd)
    f = proc.fds.get(dirfd)
    if f is None:
        raise KernelError(EBADF)
    node = store.get(f.ino) if f.ino else None
    if node is None or node.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    return node


DCACHE_MAX = 65536


def _cached_dir(proc: Process, dirfd: int | None, dirpath: str) -> Inode:
    """``dirpath`` resolved (following symlinks) through the dentry cache;
    the caller has checked that the cache applies (root, live store)."""
    dcache = proc.k.dcache
    assert dcache is not None
    if dirpath[0] == "/":
        key = (proc.root, dirpath, True)
    elif dirfd is None or dirfd == AT_FDCWD:
        key = (proc.cwd, dirpath, True)
    else:
        return _walk(proc, start_dir(proc, dirfd, dirpath), dirpath, True, False)[0]
    node = dcache.get(key)
    if node is None:
        node = _walk(proc, start_dir(proc, dirfd, dirpath), dirpath, True, False)[0]
        if len(dcache) >= DCACHE_MAX:
            dcache.clear()
        dcache[key] = node
    return node


def _fast_parent(proc: Process, dirfd: int | None, path: str) -> tuple[Inode, str] | None:
    """For root on a live store: the parent of ``dir/name`` from the dentry
    cache, or None when the path needs a full walk (dots, trailing slash)."""
    if proc.k.dcache is None or proc.cred.euid != 0 or path[-1] == "/":
        return None
    cut = path.rfind("/")
    name = path[cut + 1 :]
    if name == "." or name == "..":
        return None
    if cut < 0:
        parent = start_dir(proc, dirfd, path)
    elif cut == 0:
        parent = proc.k.store.get(proc.root)
    else:
        parent = _cached_dir(proc, dirfd, path[:cut])
        if parent.mode & S_IFMT != S_IFDIR:
            raise KernelError(ENOTDIR)
    if len(name) > 63 and _blen(name) > NAME_MAX:
        raise KernelError(ENAMETOOLONG)
    return parent, name


def lookup(proc: Process, dirfd: int | None, path: str, follow: bool = True) -> Inode:
    """Resolve ``path`` to its inode; ``follow`` decides whether a symlink as
    the last component is followed (a trailing slash always follows).

    For root on a store with live inodes, the directory part comes from the
    kernel's dentry cache (Linux's dcache): only directories are cached,
    emptied whenever a dentry is removed or moved.
    """
    # check_path, inlined: this is the hottest call in the kernel.
    if not path:
        raise KernelError(ENOENT)
    if len(path) >= 1024 and _blen(path) >= PATH_MAX:
        raise KernelError(ENAMETOOLONG)
    fast = _fast_parent(proc, dirfd, path)
    if fast is None:
        return _walk(proc, start_dir(proc, dirfd, path), path, follow, False)[0]
    parent, name = fast
    node = proc.k.store.child(parent, name)
    if node is None:
        raise KernelError(ENOENT)
    if follow and node.mode & S_IFMT == S_IFLNK:
        return _walk(proc, parent, name, True, False)[0]
    return node


def lookup_parent(proc: Process, dirfd: int | None, path: str) -> tuple[Inode, str, bool]:
    """Resolve all but the last component of ``path``.

    Returns ``(parent, last, trailing_slash)``. ``last`` is ``"."``/``".."``
    when the path ends so, and ``""`` when it names the root itself.
    """
    check_path(path)
    fast = _fast_parent(proc, dirfd, path)
    if fast is not None:
        return fast[0], fast[1], False
    return _walk(proc, start_dir(proc, dirfd, path), path, False, True)


def _walk(
    proc: Process, cur: Inode, path: str, follow: bool, parent: bool
) -> tuple[Inode, str, bool]:
    """Walk ``path`` from ``cur``. In parent mode stop before the last
    component; otherwise resolve it. Returns ``(inode, last name, trailing)``."""
    store = proc.k.store
    child = store.child
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
            nxt = cur if cur.ino == proc.root else store.get(store.parent(cur.ino))
        else:
            if len(name) > 63 and _blen(name) > NAME_MAX:
                raise KernelError(ENAMETOOLONG)
            found = child(cur, name)
            if found is None:
                raise KernelError(ENOENT)
            nxt = found
            if nxt.mode & S_IFMT == S_IFLNK and (not last or follow or trailing):
                links += 1
                if links > MAXSYMLINKS:
                    raise KernelError(ELOOP)
                target = store.readlink(nxt.ino)
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
