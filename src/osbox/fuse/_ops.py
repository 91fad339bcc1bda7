"""``MachineOps``: each FUSE operation as the machine's own syscall.

The bridge has one virtual process (the *bridge process*, a child of the
machine's process 1 with umask 0, since the host kernel applies the caller's
umask before it sends a mode) and runs every operation as that process with
the credentials of the host caller (``_creds``), set per call. Paths from
libfuse are absolute from the mount's root, which is the bridge process's
root; file handles are the bridge process's fds, opened with the caller's
credentials, so permission is checked once at open as Linux does. Errors
are the kernel's: ``KernelError(errno)`` becomes ``-errno`` for the host
(``_mount.MachineFUSE._wrapper``), never a guess of our own.

The operations follow libfuse's high-level ``struct fuse_operations``
(``fuse.h``) with mfusepy's calling conventions; where mfusepy drops an
argument the bridge needs (rename flags, a file handle for fchmod, fchown
and futimens, ``UTIME_NOW``/``UTIME_OMIT``), ``_mount`` passes it through.
"""

from __future__ import annotations

import os as _os
from errno import EINVAL
from typing import Any

from ..kernel import sys_attr, sys_file, sys_namespace, sys_xattr
from ..kernel.cred import Cred
from ..kernel.errors import KernelError
from ..kernel.process import Process
from ..kernel.procfs import PROC_BASE
from ..stores.base import Inode
from ._creds import CredCache

__all__ = ["MachineOps", "RENAME_NOREPLACE", "RENAME_EXCHANGE"]

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
UTIME_NOW = sys_attr.UTIME_NOW
UTIME_OMIT = sys_attr.UTIME_OMIT
FMODE_EXEC = 0x20  # __FMODE_EXEC: the host kernel opens a file to execve it
FD_LIMIT = 1 << 20  # the bridge holds one fd per host open file
HIDDEN = ".fuse_hidden"  # libfuse's names for open files it was asked to remove
O_PATH_KEEP = ~(_os.O_CLOEXEC | _os.O_NOCTTY | _os.O_LARGEFILE | FMODE_EXEC)


def attrs(node: Inode) -> dict[str, int]:
    """The ``struct stat`` fields libfuse returns for ``node`` (times in ns)."""
    return {
        "st_ino": node.ino,
        "st_mode": node.mode,
        "st_nlink": node.nlink,
        "st_uid": node.uid,
        "st_gid": node.gid,
        "st_size": node.size,
        "st_blocks": node.blocks,
        "st_blksize": 4096,
        "st_rdev": node.rdev,
        "st_atime": node.atime_ns,
        "st_mtime": node.mtime_ns,
        "st_ctime": node.ctime_ns,
    }


class MachineOps:
    """The operations libfuse calls, each one syscall of the bridge process.

    ``caller`` returns the host caller's ``(uid, gid, pid)``
    (``mfusepy.fuse_get_context`` in a mount; a constant in tests).
    """

    use_ns = True  # mfusepy: times in ns
    flag_nopath = True  # mfusepy: with flag_nullpath_ok, sets libfuse's nullpath_ok
    flag_nullpath_ok = True

    def __init__(self, machine: Any, caller: Any) -> None:
        self.machine = machine
        self.caller = caller
        self.creds = CredCache()
        k = machine.kernel
        with k.lock:
            proc = k.spawn(machine.proc, Cred(0, 0, (0,)), k.root_ino, k.root_ino, {})
        proc.umask = 0
        proc.argv = ["osbox-fuse"]
        proc.fds.limit = FD_LIMIT
        self.proc: Process = proc
        self.by_ino: dict[int, set[int]] = {}  # inode -> the bridge fds open on it
        self.hidden: dict[str, int] = {}  # libfuse's .fuse_hidden names -> an fd
        self.started = False  # libfuse has mounted and called init

    # -- the caller -----------------------------------------------------------------
    def _as_caller(self) -> Process:
        uid, gid, pid = self.caller()
        proc = self.proc
        proc.cred = self.creds.get(uid, gid, pid)
        return proc

    def cred(self) -> Cred:
        """The credentials the last call ran with."""
        return self.proc.cred

    # -- attributes -----------------------------------------------------------------
    def stat_node(self, path: str | None, fh: int | None = None) -> Inode:
        """getattr: the inode (``MachineFUSE.fgetattr`` fills ``struct stat``)."""
        proc = self._as_caller()
        where = self._target(path, fh)
        if isinstance(where, int):
            return sys_attr.fstat(proc, where)
        return sys_attr.stat(proc, None, where, False)

    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, int]:
        return attrs(self.stat_node(path, fh))

    def access(self, path: str, amode: int) -> None:
        sys_attr.access(self._as_caller(), None, path, amode, True, False)

    def chmod(self, path: str | None, mode: int, fh: int | None = None) -> None:
        sys_attr.chmod(self._as_caller(), None, self._target(path, fh), mode, False)

    def chown(self, path: str | None, uid: int, gid: int, fh: int | None = None) -> None:
        sys_attr.chown(self._as_caller(), None, self._target(path, fh), uid, gid, False)

    def utimens(
        self, path: str | None, times: tuple[int, int, int, int] | None, fh: int | None = None
    ) -> None:
        """``times`` is ``(atime_s, atime_ns, mtime_s, mtime_ns)`` as libfuse
        passes ``struct timespec[2]``, with ``UTIME_NOW``/``UTIME_OMIT`` in
        the ns fields; ``None`` is "now" for both."""
        proc = self._as_caller()
        where = self._target(path, fh)
        if times is None:
            sys_attr.utimens(proc, None, where, None, None, False)
            return
        a_s, a_ns, m_s, m_ns = times
        if a_ns == UTIME_NOW and m_ns == UTIME_NOW:  # utimensat(2) treats it as NULL
            sys_attr.utimens(proc, None, where, None, None, False)
            return
        if a_ns == UTIME_OMIT and m_ns == UTIME_OMIT:
            return  # the host kernel sends no setattr for it either
        node = None
        now = proc.k.now()
        if a_ns == UTIME_OMIT or m_ns == UTIME_OMIT:
            node = _stat(proc, where)
        atime = _time(a_s, a_ns, now, node.atime_ns if node is not None else 0)
        mtime = _time(m_s, m_ns, now, node.mtime_ns if node is not None else 0)
        sys_attr.utimens(proc, None, where, atime, mtime, False)

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> None:
        proc = self._as_caller()
        where = self._target(path, fh)
        if isinstance(where, int):
            sys_file.ftruncate(proc, where, length)
        else:
            sys_attr.truncate(proc, None, where, length)

    def statfs(self, path: str) -> dict[str, int]:
        proc = self._as_caller()
        sys_attr.stat(proc, None, path, True)
        v = self.machine.os.statvfs("/")
        return {
            "f_bsize": v.f_bsize,
            "f_frsize": v.f_frsize,
            "f_blocks": v.f_blocks,
            "f_bfree": v.f_bfree,
            "f_bavail": v.f_bavail,
            "f_files": v.f_files,
            "f_ffree": v.f_ffree,
            "f_favail": v.f_favail,
            "f_namemax": v.f_namemax,
        }

    # -- the namespace ----------------------------------------------------------------
    def readlink(self, path: str) -> str:
        return sys_namespace.readlinkat(self._as_caller(), None, path)

    def mknod(self, path: str, mode: int, dev: int) -> None:
        sys_namespace.mknodat(self._as_caller(), None, path, mode, dev)

    def mkdir(self, path: str, mode: int) -> None:
        sys_namespace.mkdirat(self._as_caller(), None, path, mode)

    def unlink(self, path: str) -> None:
        fd = self.hidden.pop(path, None)
        if fd is not None:  # libfuse lets go of a hidden file: see rename
            sys_file.close(self.proc, fd)
            return
        sys_namespace.unlinkat(self._as_caller(), None, path)

    def rmdir(self, path: str) -> None:
        sys_namespace.rmdirat(self._as_caller(), None, path)

    def symlink(self, path: str, target: str) -> None:
        sys_namespace.symlinkat(self._as_caller(), target, None, path)

    def rename(self, old: str, new: str, flags: int = 0) -> None:
        if flags & ~RENAME_NOREPLACE:
            raise KernelError(EINVAL)  # RENAME_EXCHANGE/WHITEOUT: not in the kernel
        if not flags and new.rpartition("/")[2].startswith(HIDDEN):
            self._hide(old, new)
            return
        sys_namespace.renameat(self._as_caller(), None, old, None, new, bool(flags))

    def link(self, path: str, source: str) -> None:
        sys_namespace.linkat(self._as_caller(), None, source, None, path, False)

    def _hide(self, old: str, hidden: str) -> None:
        """libfuse renames a file that is still open to ``.fuse_hidden*``
        instead of unlinking it (or before renaming over it), and unlinks
        that name at the last close, so that path-based calls on the open
        file keep working. Here the unlink happens at once, as the caller's
        unlink(2) with its errors, so no such name ever shows in the
        machine; the hidden name stands for an fd on the orphan, and
        fstat/fchmod/fchown/futimens through it act on the open file."""
        proc = self._as_caller()
        node = sys_attr.stat(proc, None, old, False)
        fds = self.by_ino.get(node.ino)
        sys_namespace.unlinkat(proc, None, old)
        if fds:
            self.hidden[hidden] = sys_file.dup(proc, next(iter(fds)), False)

    def _target(self, path: str | None, fh: int | None) -> str | int:
        """What an attribute call acts on: the open file when libfuse gave a
        handle, or the path names a hidden (unlinked, open) file; else the path."""
        if fh is not None:
            return fh
        assert path is not None
        if self.hidden:
            fd = self.hidden.get(path)
            if fd is not None:
                return fd
        return path

    def _opened(self, fd: int) -> int:
        ino = self.proc.fds.lookup(fd).ino
        fds = self.by_ino.get(ino)
        if fds is None:
            self.by_ino[ino] = {fd}
        else:
            fds.add(fd)
        return fd

    # -- files --------------------------------------------------------------------------
    def open(self, path: str, flags: int) -> int:
        proc = self._as_caller()
        if flags & FMODE_EXEC:
            # execve(2) needs execute permission, not read (do_open_execat)
            sys_attr.access(proc, None, path, 1, True, True)
            saved = proc.cred
            proc.cred = self.creds.get(0, 0, 0)
            try:
                return self._opened(sys_file.openat(proc, None, path, flags & O_PATH_KEEP, 0))
            finally:
                proc.cred = saved
        return self._opened(sys_file.openat(proc, None, path, flags & O_PATH_KEEP, 0))

    def synthetic(self, fh: int) -> bool:
        """Whether open file ``fh`` is a generated one (the machine's /proc),
        whose size says nothing of what a read gives."""
        return self.proc.fds.lookup(fh).ino >= PROC_BASE

    def create(self, path: str, mode: int, flags: int) -> int:
        proc = self._as_caller()
        flags = (flags & O_PATH_KEEP) | _os.O_CREAT
        return self._opened(sys_file.openat(proc, None, path, flags, mode))

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        return sys_file.read(self.proc, fh, size, offset)

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        return sys_file.write(self._as_caller(), fh, data, offset)

    def flush(self, path: str | None, fh: int) -> None:
        return None

    def release(self, path: str | None, fh: int) -> None:
        proc = self.proc
        ino = proc.fds.lookup(fh).ino
        fds = self.by_ino.get(ino)
        if fds is not None:
            fds.discard(fh)
            if not fds:
                del self.by_ino[ino]
        sys_file.close(proc, fh)

    def fsync(self, path: str | None, datasync: int, fh: int) -> None:
        sys_file.fsync(self.proc, fh)

    # -- directories --------------------------------------------------------------------
    def opendir(self, path: str) -> int:
        proc = self._as_caller()
        return sys_file.openat(proc, None, path, _os.O_RDONLY | _os.O_DIRECTORY, 0)

    def readdir(self, path: str | None, fh: int) -> list[Any]:
        proc = self.proc
        sys_file.lseek(proc, fh, 0, 0)
        entries: list[Any] = [(".", None, 0), ("..", None, 0)]
        for name, ino, kind in sys_namespace.getdents(proc, fh):
            entries.append((name, {"st_ino": ino, "st_mode": kind}, 0))
        return entries

    def releasedir(self, path: str | None, fh: int) -> None:
        sys_file.close(self.proc, fh)

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> None:
        sys_file.fsync(self.proc, fh)

    # -- extended attributes ------------------------------------------------------------
    def getxattr(self, path: str, name: str, position: int = 0) -> bytes:
        return sys_xattr.getxattr(self._as_caller(), None, path, name, False)

    def setxattr(self, path: str, name: str, value: bytes, options: int, position: int = 0) -> None:
        sys_xattr.setxattr(self._as_caller(), None, path, name, value, options, False)

    def listxattr(self, path: str) -> list[str]:
        return sys_xattr.listxattr(self._as_caller(), None, path, False)

    def removexattr(self, path: str, name: str) -> None:
        sys_xattr.removexattr(self._as_caller(), None, path, name, False)

    def init(self, path: str) -> None:
        self.started = True

    def destroy(self, path: str) -> None:
        return None


def _stat(proc: Process, where: str | int) -> Inode:
    if isinstance(where, int):
        return sys_attr.fstat(proc, where)
    return sys_attr.stat(proc, None, where, False)


def _time(sec: int, nsec: int, now: int, current: int) -> int:
    if nsec == UTIME_NOW:
        return now
    if nsec == UTIME_OMIT:
        return current
    return sec * 1_000_000_000 + nsec
