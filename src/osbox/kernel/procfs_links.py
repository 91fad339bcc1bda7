"""procfs's symlinks: ``/proc/self``, ``exe`` and the magic links.

``self`` and ``exe`` are plain symlinks whose text is made when read (the
caller's pid; the executed file's symlink-free path). ``cwd``, ``root``
and ``fd/<n>`` are magic links, as Linux's ``proc_pid_get_link``: following
one continues the walk from the inode itself (``nd_jump_link``), even an
unlinked file's, and opening one that names a pipe or the console opens
that pipe or console again (``reopen``); reading one gives a path built
from dentry names (``d_path``), ``pipe:[N]`` or ``/dev/pts/0``. Using a
magic link or ``exe`` needs ``ptrace_may_access`` (EACCES); a zombie's,
or a closed fd's, give ENOENT.
"""

from __future__ import annotations

from errno import EACCES, ENOENT
from stat import S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK
from typing import TYPE_CHECKING

from ..stores.base import S_IFMT, Inode
from .devices import TTY
from .errors import KernelError
from .file import OpenFile
from .procfs import (
    _CWD,
    _EXE,
    _FD,
    _FDDIR,
    _OPEN_DROP,
    _SELF,
    _SHIFT,
    PROC_BASE,
    _target,
    get,
    inode,
    may_ptrace,
)

if TYPE_CHECKING:
    from .process import Process

__all__ = ["FdNode", "follow", "path_of", "readlink", "reopen"]


def _magic(proc: Process, node: Inode) -> tuple[Process, int, OpenFile | None]:
    """Checks for using a magic link: EACCES without ptrace access, ENOENT
    for a zombie's links or a closed fd."""
    p, entry = _target(proc, node)
    if not may_ptrace(proc, p):
        raise KernelError(EACCES)
    if p.state == "Z":
        raise KernelError(ENOENT)
    f = None
    if entry >= _FD:
        f = p.fds.files.get(entry - _FD)
        if f is None:
            raise KernelError(ENOENT)
    return p, entry, f


class FdNode(Inode):
    """The inode a ``fd/<n>`` magic link of a pipe or the console leads to:
    what fstat shows for that fd, and the open file (``of``) that opening
    it again shares the pipe or console with (``reopen``)."""

    __slots__ = ("of",)

    of: OpenFile


def _fd_node(f: OpenFile) -> FdNode:
    n = FdNode()
    src = f.pipe.node if f.pipe is not None else None
    if src is not None:
        for name in Inode.__slots__:
            setattr(n, name, getattr(src, name))
    else:  # the console, as sys_file.fd_inode shows it
        n.ino, n.mode, n.nlink, n.uid, n.gid = 0, S_IFCHR | 0o620, 1, 0, 0
        n.size = n.blocks = 0
        n.atime_ns = n.mtime_ns = n.ctime_ns = 0
        n.rdev = TTY
    n.of = f
    return n


def reopen(proc: Process, node: Inode, flags: int, acc: int) -> OpenFile | None:
    """open(2) of a pipe or the console reached through ``/proc/<pid>/fd``:
    a new open file description on the same pipe (one more reader or
    writer, as ``fifo_open``) or host terminal, with its own access mode
    (Linux reopens the inode the same way). None for any other inode."""
    if not isinstance(node, FdNode):
        return None
    src = node.of
    f = OpenFile(0, src.kind, flags & ~_OPEN_DROP, acc != 1 and acc != 3, acc in (1, 2))
    pipe = src.pipe
    if pipe is not None:
        f.pipe = pipe
        if f.readable:
            pipe.readers += 1
        if f.writable:
            pipe.writers += 1
        pipe.cond.notify_all()
    else:
        f.console = src.console
    return f


def follow(proc: Process, node: Inode) -> tuple[str, Inode | None]:
    """Following the procfs symlink ``node``: ``(text, None)`` for a plain
    symlink (``self``, ``exe``), ``("", inode)`` for a magic link, whose
    walk continues from that inode. Errors: EACCES, ENOENT."""
    if node.ino & 0xFFFF == _SELF and (node.ino - PROC_BASE) >> _SHIFT == 0:
        return str(proc.pid), None
    p, entry, f = _magic(proc, node)
    k = proc.k
    if entry == _EXE:
        if not p.exe:
            raise KernelError(ENOENT)
        return _canonical(p, p.exe), None
    try:
        if f is None:
            return "", inode(k, p.cwd if entry == _CWD else p.root)
        if f.ino:
            return "", inode(k, f.ino)
    except KeyError:
        raise KernelError(ENOENT) from None
    return "", _fd_node(f)


def _canonical(p: Process, path: str) -> str:
    """The symlink-free path of the file ``path`` names for process ``p``
    (the exe link shows the executed file's own path, as Linux's d_path of
    ``mm->exe_file``: ``/usr/bin/sleep`` for ``/bin/sleep``); ``path``
    itself when it no longer resolves."""
    from .namei import MAXSYMLINKS, lookup_parent  # namei imports this module

    store = p.k.store
    try:
        for _ in range(MAXSYMLINKS):
            parent, name, _trailing = lookup_parent(p, None, path)
            node = store.lookup(parent.ino, name) if name not in ("", ".", "..") else None
            if node is None or parent.ino >= PROC_BASE:
                return path
            where = path_of(p, parent.ino).rstrip("/")
            if node.mode & S_IFMT != S_IFLNK:
                return where + "/" + name
            target = store.readlink(node.ino)
            path = target if target.startswith("/") else where + "/" + target
    except KernelError:
        pass
    return path


def readlink(proc: Process, node: Inode) -> str:
    """readlink(2) of a procfs symlink. Errors: EACCES, ENOENT."""
    text, jump = follow(proc, node)
    if jump is None:
        return text
    ino = jump.ino
    kind = jump.mode & S_IFMT
    if kind == S_IFIFO and not ino:
        return f"pipe:[{ino}]"
    if kind == S_IFCHR and jump.rdev == TTY:
        return "/dev/pts/0"
    if ino >= PROC_BASE or kind == S_IFDIR:
        return path_of(proc, ino)
    found = _search(proc, ino)
    return found if found is not None else "/ (deleted)"


def path_of(proc: Process, ino: int) -> str:
    """The path of directory ``ino`` from the caller's root, built from
    dentry names as getcwd(2) does (procfs directories under the mount
    point's path). Errors: ENOENT (removed, or its process is gone)."""
    k = proc.k
    store = k.store
    parts: list[str] = []
    if ino >= PROC_BASE:
        try:
            node = get(k, ino)
        except KeyError:
            raise KernelError(ENOENT) from None
        pid = (ino - PROC_BASE) >> _SHIFT
        if node.ino & 0xFFFF == _FDDIR:
            parts.append("fd")
        parts.append(str(pid))
        ino = k.proc_mnt
    if store.get(ino).nlink == 0:
        raise KernelError(ENOENT)
    while ino != proc.root and ino != k.root_ino:
        up = store.parent(ino)
        for name, entry, _ in store.readdir(up):
            if entry == ino:
                parts.append(name)
                break
        else:
            raise KernelError(ENOENT)
        ino = up
    return "/" + "/".join(reversed(parts))


def _search(proc: Process, ino: int) -> str | None:
    """The path of a non-directory inode: the first dentry naming it, found
    breadth-first from the caller's root (a store keeps no parent of a file;
    only ``/proc/<pid>/fd`` links ask). None for an unlinked inode."""
    store = proc.k.store
    queue = [(proc.root, "")]
    for dir_ino, prefix in queue:
        for name, entry, kind in store.readdir(dir_ino):
            if entry == ino:
                return prefix + "/" + name
            if kind == S_IFDIR and entry != proc.k.proc_mnt:
                queue.append((entry, prefix + "/" + name))
    return None
