"""procfs: ``/proc`` for a machine's processes, as Linux's ``fs/proc``.

procfs is part of the kernel because it reads the process table; stores
never see it. It is mounted on the root filesystem's ``/proc`` directory
(``Kernel.proc_mnt``, set by ``attach``). Its inodes are synthetic: numbers
at or above ``PROC_BASE`` (1 << 56), never handed out by a store, built
afresh on each lookup from the process they describe, so they are always
current. Layout (``proc(5)``):

* ``/proc``: ``self`` (a symlink to the caller's pid), ``uptime`` and one
  directory per process in the table (zombies included until reaped);
* ``/proc/<pid>`` (dr-xr-xr-x, owned by the process's euid/egid): ``fd/``
  (dr-x------), ``environ`` (0400), ``status``, ``comm``, ``cmdline``
  (0444), and the magic links ``cwd``, ``root``, ``exe`` (lrwxrwxrwx);
* ``/proc/<pid>/fd/<n>``: a magic link per open fd (``lr-x------``,
  ``l-wx------`` or ``lrwx------`` by the access mode).

Following a magic link (``cwd``, ``root``, ``fd/<n>``) jumps to the inode
itself, as Linux's ``nd_jump_link``; reading one gives the path. Both need
``ptrace_may_access`` (root, or the caller's euid and egid equal to all of
the target's ids), else EACCES; a zombie's give ENOENT.

How namei reaches procfs (see ``namei``): a name missing from the mount
point directory is looked up here, and a walk that starts or continues
in a procfs directory resolves names here, so a lookup that never touches
``/proc`` runs no procfs code. Symlinks and magic links are in
``procfs_links``. Syscalls that act on data (open, read, getdents,
readlink, stat) dispatch on the inode number range; those that change the
namespace fail as Linux's procfs does: creating gives ENOENT, removing
EPERM, renaming or linking across the mount EXDEV, chmod EPERM.
"""

from __future__ import annotations

import os as _os
from errno import EACCES, EISDIR, ENOENT, ENOTDIR, EPERM
from stat import S_IFDIR, S_IFLNK, S_IFREG
from typing import TYPE_CHECKING

from ..stores.base import S_IFMT, Inode
from . import procfs_text
from .cred import MAY_EXEC, MAY_WRITE, permission
from .errors import KernelError
from .file import OpenFile

if TYPE_CHECKING:
    from collections.abc import Callable

    from .kernel import Kernel
    from .process import Process

__all__ = [
    "PROC_BASE",
    "attach",
    "child",
    "child_fn",
    "get",
    "immutable",
    "inode",
    "may_delete",
    "may_ptrace",
    "open_data",
    "open_file",
    "parent",
    "readdir",
]

PROC_BASE = 1 << 56
_SHIFT = 16  # ino = PROC_BASE | pid << 16 | entry
_FD = 0x1000  # entry of fd/<n> is _FD + n
_SELF, _UPTIME = 1, 3  # entries of the procfs root (pid 0)
_FDDIR, _ENVIRON, _STATUS, _COMM, _CMDLINE, _CWD, _ROOT, _EXE = range(1, 9)
_LINK = S_IFLNK | 0o777
_FILE = S_IFREG | 0o444
#: The entries of /proc/<pid>, in the order of Linux's ``tgid_base_stuff``.
_PID_ENTRIES: dict[str, tuple[int, int]] = {
    "fd": (_FDDIR, S_IFDIR | 0o500),
    "environ": (_ENVIRON, S_IFREG | 0o400),
    "status": (_STATUS, _FILE),
    "comm": (_COMM, _FILE),
    "cmdline": (_CMDLINE, _FILE),
    "cwd": (_CWD, _LINK),
    "root": (_ROOT, _LINK),
    "exe": (_EXE, _LINK),
}
_OPEN_DROP = _os.O_CREAT | _os.O_EXCL | _os.O_TRUNC | _os.O_CLOEXEC  # not kept by a file
_BY_INDEX = {i: (name, mode) for name, (i, mode) in _PID_ENTRIES.items()}
_ROOT_ENTRIES: dict[str, tuple[int, int]] = {"self": (_SELF, _LINK), "uptime": (_UPTIME, _FILE)}


def attach(k: Kernel, cpus: int) -> None:
    """Mount procfs on the root directory's ``proc`` directory, if there is
    one (a store swap calls this again: only the inode number is kept)."""
    store = k.store
    node = store.lookup(store.root_ino, "proc")
    k.proc_mnt = node.ino if node is not None and node.mode & S_IFMT == S_IFDIR else -1
    k.cpus = cpus


def _node(ino: int, mode: int, nlink: int, uid: int, gid: int, size: int, t: int) -> Inode:
    n = Inode()
    n.ino = ino
    n.mode = mode
    n.nlink = nlink
    n.uid = uid
    n.gid = gid
    n.size = size
    n.atime_ns = n.mtime_ns = n.ctime_ns = t
    n.rdev = 0
    n.blocks = 0
    return n


def _fd_mode(f: OpenFile) -> int:
    if f.readable and f.writable:
        return S_IFLNK | 0o700
    return S_IFLNK | (0o300 if f.writable else 0o500)


def get(k: Kernel, ino: int) -> Inode:
    """The procfs inode ``ino``. Errors: ``KeyError`` when it names nothing
    (its process was reaped, its fd closed, or it is not a procfs number)."""
    if ino < PROC_BASE:
        raise KeyError(ino)
    pid = (ino - PROC_BASE) >> _SHIFT
    entry = ino & 0xFFFF
    if pid == 0:
        for i, mode in _ROOT_ENTRIES.values():
            if i == entry:
                return _node(ino, mode, 1, 0, 0, 0, k.boot_ns)
        raise KeyError(ino)
    p = k.processes.get(pid)
    if p is None:
        raise KeyError(ino)
    uid, gid, t = p.cred.euid, p.cred.egid, p.start_ns
    if entry == 0:
        return _node(ino, S_IFDIR | 0o555, 3, uid, gid, 0, t)
    if entry >= _FD:
        f = p.fds.files.get(entry - _FD)
        if f is None:
            raise KeyError(ino)
        return _node(ino, _fd_mode(f), 1, uid, gid, 64, t)
    found = _BY_INDEX.get(entry)
    if found is None:
        raise KeyError(ino)
    if entry == _FDDIR:
        return _node(ino, found[1], 2, uid, gid, len(p.fds.files), t)
    return _node(ino, found[1], 1, uid, gid, 0, t)


def immutable(ino: int) -> bool:
    """Whether procfs inode ``ino`` is a pid directory, which Linux marks
    ``S_IMMUTABLE`` (``proc_pid_instantiate``): no change of its entries or
    attributes, by anyone (EPERM)."""
    return ino >= PROC_BASE + (1 << _SHIFT) and not ino & 0xFFFF


def may_delete(proc: Process, parent: Inode, victim: Inode, isdir: bool) -> None:
    """``may_delete`` then the missing unlink/rmdir/rename operation, for a
    procfs ``victim``: always raises. Errors, in Linux's order: EPERM (an
    immutable parent), EACCES (no write and search permission), EPERM (an
    immutable victim), ENOTDIR/EISDIR, EPERM (procfs removes nothing)."""
    if immutable(parent.ino):
        raise KernelError(EPERM)
    if proc.cred.euid != 0 and not permission(proc.cred, parent, MAY_WRITE | MAY_EXEC):
        raise KernelError(EACCES)
    if immutable(victim.ino):
        raise KernelError(EPERM)
    victim_dir = victim.mode & S_IFMT == S_IFDIR
    if isdir and not victim_dir:
        raise KernelError(ENOTDIR)
    if not isdir and victim_dir:
        raise KernelError(EISDIR)
    raise KernelError(EPERM)


def _ino(pid: int, entry: int) -> int:
    return PROC_BASE | pid << _SHIFT | entry


def inode(k: Kernel, ino: int) -> Inode:
    """The inode ``ino`` names, in the store or in procfs."""
    if ino >= PROC_BASE:
        return get(k, ino)
    return k.store.get(ino)


def _pid(name: str) -> int:
    """``name_to_int``: a decimal without sign or leading zero, else -1."""
    if not name.isdigit() or not name.isascii() or (name[0] == "0" and len(name) > 1):
        return -1
    return int(name)


def child(proc: Process, d: Inode, name: str) -> Inode | None:
    """Look ``name`` up in directory ``d``: the mount point, a procfs
    directory, or any store directory (then the store answers)."""
    k = proc.k
    ino = d.ino
    if ino == k.proc_mnt:
        found = _ROOT_ENTRIES.get(name)
        if found is not None:
            return get(k, _ino(0, found[0]))
        pid = _pid(name)
        return get(k, _ino(pid, 0)) if pid > 0 and pid in k.processes else None
    if ino < PROC_BASE:
        return k.store.child(d, name)
    pid = (ino - PROC_BASE) >> _SHIFT
    entry = ino & 0xFFFF
    if pid not in k.processes:
        return None
    if entry == 0:
        found = _PID_ENTRIES.get(name)
        return get(k, _ino(pid, found[0])) if found is not None else None
    if entry == _FDDIR:
        fd = _pid(name)
        if fd >= 0 and fd in k.processes[pid].fds.files:
            return get(k, _ino(pid, _FD + fd))
    return None


def child_fn(proc: Process) -> Callable[[Inode, str], Inode | None]:
    """``store.child`` for a walk that has entered procfs: answers for
    procfs directories and store directories alike."""
    return lambda d, name: child(proc, d, name)


def parent(proc: Process, node: Inode) -> Inode:
    """The ``..`` of a procfs directory."""
    k = proc.k
    ino = node.ino
    pid = (ino - PROC_BASE) >> _SHIFT
    entry = ino & 0xFFFF
    if pid == 0 or entry == 0:
        return k.store.get(k.proc_mnt)
    try:
        return get(k, _ino(pid, _FDDIR if entry >= _FD else 0))
    except KeyError:
        raise KernelError(ENOENT) from None


def _target(proc: Process, node: Inode) -> tuple[Process, int]:
    """The process a pid entry describes and the entry number; ENOENT once
    it is gone."""
    ino = node.ino
    p = proc.k.processes.get((ino - PROC_BASE) >> _SHIFT)
    if p is None:
        raise KernelError(ENOENT)
    return p, ino & 0xFFFF


def may_ptrace(proc: Process, target: Process) -> bool:
    """``ptrace_may_access(PTRACE_MODE_READ_FSCREDS)``: the same process,
    root, or a caller whose euid and egid equal all of the target's ids."""
    if proc is target:
        return True
    c, t = proc.cred, target.cred
    if c.euid == 0:
        return True
    return c.euid == t.uid == t.euid == t.suid and c.egid == t.gid == t.egid == t.sgid


def readdir(proc: Process, ino: int) -> list[tuple[str, int, int]]:
    """The entries of a procfs directory (or of the mount point) as
    ``(name, ino, S_IFMT bits)``: the root's files, then the pids in
    ascending order; a pid directory's entries in Linux's order; a
    process's open fds in ascending order (none for a zombie). Errors:
    ENOENT (the process is gone)."""
    k = proc.k
    if ino == k.proc_mnt:
        out = [(name, _ino(0, i), mode & S_IFMT) for name, (i, mode) in _ROOT_ENTRIES.items()]
        out += [(str(pid), _ino(pid, 0), S_IFDIR) for pid in sorted(k.processes)]
        return out
    pid = (ino - PROC_BASE) >> _SHIFT
    p = k.processes.get(pid)
    if p is None:
        raise KernelError(ENOENT)
    if ino & 0xFFFF == 0:
        return [(name, _ino(pid, i), mode & S_IFMT) for name, (i, mode) in _PID_ENTRIES.items()]
    return [(str(fd), _ino(pid, _FD + fd), S_IFLNK) for fd in sorted(p.fds.files)]


def open_data(proc: Process, node: Inode) -> bytes | None:
    """What an open of procfs inode ``node`` reads: the file's contents,
    generated now, or None for a directory. Errors: EACCES (``environ``
    without ptrace access), ENOENT (the process was reaped)."""
    ino = node.ino
    k = proc.k
    if (ino - PROC_BASE) >> _SHIFT == 0:
        if ino & 0xFFFF == _UPTIME:
            return procfs_text.uptime(k.boot_ns, k.now(), k.cpus)
        return None
    p, entry = _target(proc, node)
    if entry == _STATUS:
        return procfs_text.status(p, proc)
    if entry == _CMDLINE:
        return procfs_text.cmdline(p)
    if entry == _COMM:
        return (procfs_text.comm(p) + "\n").encode("utf-8", "surrogateescape")
    if entry == _ENVIRON:
        if not may_ptrace(proc, p):
            raise KernelError(EACCES)
        return procfs_text.environ(p)
    return None


def open_file(proc: Process, node: Inode, flags: int, acc: int) -> OpenFile:
    """The open file description for procfs inode ``node``, once open(2)'s
    generic checks (type, access mode against the mode bits) have passed.
    A file's contents are generated now (``open_data``) and its ``kind`` is
    0, so read, write and lseek take procfs's rules (seq_file: EINVAL for a
    write and for SEEK_END); a directory is read with getdents. Errors:
    those of ``open_data``."""
    data = open_data(proc, node)
    kind = S_IFDIR if node.mode & S_IFMT == S_IFDIR else 0
    f = OpenFile(node.ino, kind, flags & ~_OPEN_DROP, acc != 1 and acc != 3, acc in (1, 2))
    if kind == 0:
        f.proc_data = data if data is not None else b""
    proc.k.ref(node.ino)
    return f
