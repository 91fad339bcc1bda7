"""The path-taking half of the ``os`` surface: stat, mkdir, rename, link, utime...

Signatures, argument checks and exception messages are CPython's
(``Modules/posixmodule.c``); semantics come from the kernel syscalls each
function names. Every function accepts str, bytes and ``os.PathLike`` paths,
and an fd where ``os.supports_fd`` lists it.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from ..kernel import sys_attr, sys_file, sys_namespace, sys_proc, sys_xattr
from ..kernel.errors import KernelError
from ..kernel.namei import lookup
from ._base import OsBase
from ._convert import dirfd_arg, id_arg, path_arg, raise_os
from ._dirent import DirEntry, ScandirIterator
from ._stat import make_stat, make_statvfs

__all__ = ["PathCalls"]

_index = operator.index
_BILLION = 10**9


def _fsencode(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def _xname(attribute: Any) -> str:
    """An xattr name argument (str, bytes or PathLike, as CPython's path_t)."""
    p = path_arg("xattr", "attribute", attribute)
    assert p.s is not None
    return p.s


def _time_to_ns(t: Any) -> int:
    """A seconds value as CPython's ``_PyTime_ObjectToTimespec`` (ROUND_FLOOR)."""
    if isinstance(t, float):
        if math.isnan(t):
            raise ValueError("Invalid value NaN (not a number)")
        frac, whole = math.modf(t)
        sub = math.floor(frac * 1e9)
        if sub >= _BILLION:
            sub -= _BILLION
            whole += 1.0
        elif sub < 0:
            sub += _BILLION
            whole -= 1.0
        return int(whole) * _BILLION + int(sub)
    return _index(t) * _BILLION


# glibc's pathconf(3) answers on tmpfs, by _PC_* number (-1: no limit).
_PATHCONF = {
    0: 127, 1: 255, 2: 255, 3: 255, 4: 4096, 5: 4096, 6: 1, 7: 1, 8: 0, 9: -1,
    10: -1, 11: -1, 12: -1, 13: 32, 14: -1, 15: -1, 16: 4096, 17: 4096, 18: 4096, 19: -1,
}  # fmt: skip


def pathconf_value(name: Any) -> int:
    """The value of one ``PC_*`` name (str or int) for a machine file."""
    import os as _host_os

    if isinstance(name, str):
        if name not in _host_os.pathconf_names:
            raise ValueError("unrecognized configuration name")
        name = _host_os.pathconf_names[name]
    value = _PATHCONF.get(_index(name))
    if value is None:
        raise OSError(22, "Invalid argument")
    return value


class PathCalls(OsBase):
    """``os`` functions that take a path."""

    # -- stat ------------------------------------------------------------------
    def stat(self, path: Any, *, dir_fd: Any = None, follow_symlinks: bool = True) -> Any:
        """os.stat: fstatat(2) (follows symlinks unless ``follow_symlinks`` is
        false; an int is an fd). Errors: ENOENT, ENOTDIR, EACCES, ELOOP,
        ENAMETOOLONG, EBADF."""
        if type(path) is str and dir_fd is None and "\0" not in path:
            # sys_attr.stat and self._stat, inline: the hottest os call.
            proc = self.proc
            try:
                with proc.k.lock:
                    node = lookup(proc, None, path, follow_symlinks)
            except KernelError as e:
                raise_os(e, path)
            return make_stat(node, self.dev)
        p = path_arg("stat", "path", path, allow_fd=True)
        self._fd_checks("stat", p, dir_fd, follow_symlinks)
        try:
            if p.fd is not None:
                return self._stat(sys_attr.fstat(self.proc, p.fd))
            assert p.s is not None
            return self._stat(sys_attr.stat(self.proc, dirfd_arg(dir_fd), p.s, follow_symlinks))
        except KernelError as e:
            raise_os(e, p.obj)

    def lstat(self, path: Any, *, dir_fd: Any = None) -> Any:
        """os.lstat: stat without following a final symlink."""
        if type(path) is str and dir_fd is None and "\0" not in path:
            proc = self.proc
            try:
                with proc.k.lock:
                    node = lookup(proc, None, path, False)
            except KernelError as e:
                raise_os(e, path)
            return make_stat(node, self.dev)
        p = path_arg("lstat", "path", path)
        assert p.s is not None
        try:
            return self._stat(sys_attr.stat(self.proc, dirfd_arg(dir_fd), p.s, False))
        except KernelError as e:
            raise_os(e, p.obj)

    def access(
        self,
        path: Any,
        mode: int,
        *,
        dir_fd: Any = None,
        effective_ids: bool = False,
        follow_symlinks: bool = True,
    ) -> bool:
        """os.access: faccessat2(2) with the real ids unless ``effective_ids``;
        False on any errno."""
        p = path_arg("access", "path", path)
        mode = _index(mode)
        assert p.s is not None
        try:
            sys_attr.access(self.proc, dirfd_arg(dir_fd), p.s, mode, effective_ids, follow_symlinks)
        except KernelError:
            return False
        return True

    # -- directories ---------------------------------------------------------------
    def mkdir(self, path: Any, mode: int = 0o777, *, dir_fd: Any = None) -> None:
        """os.mkdir: mkdirat(2), mode masked by the umask. Errors: EEXIST,
        ENOENT, ENOTDIR, EACCES, ENOSPC, ENAMETOOLONG, ELOOP."""
        p = path_arg("mkdir", "path", path)
        assert p.s is not None
        try:
            sys_namespace.mkdirat(self.proc, dirfd_arg(dir_fd), p.s, _index(mode))
        except KernelError as e:
            raise_os(e, p.obj)

    def rmdir(self, path: Any, *, dir_fd: Any = None) -> None:
        """os.rmdir: rmdir(2). Errors: ENOENT, ENOTDIR, ENOTEMPTY, EINVAL,
        EBUSY, EACCES, EPERM."""
        p = path_arg("rmdir", "path", path)
        assert p.s is not None
        try:
            sys_namespace.rmdirat(self.proc, dirfd_arg(dir_fd), p.s)
        except KernelError as e:
            raise_os(e, p.obj)

    def _names(self, fd_or_path: Any) -> tuple[list[tuple[str, int, int]], Any]:
        """Directory entries for listdir/scandir, and the converted path."""
        p = path_arg("listdir", "path", fd_or_path, allow_fd=True, nullable=True)
        proc = self.proc
        try:
            if p.fd is not None:
                entries = sys_file.getdents(proc, p.fd)
                sys_file.lseek(proc, p.fd, 0, 0)
                return entries, p
            assert p.s is not None
            fd = sys_file.openat(proc, None, p.s, sys_file.O_RDONLY_DIR, 0)
            try:
                entries = sys_file.getdents(proc, fd)
            finally:
                sys_file.close(proc, fd)
        except KernelError as e:
            raise_os(e, p.obj)
        return entries, p

    def listdir(self, path: Any = None) -> list[Any]:
        """os.listdir: names in arbitrary (tmpfs: newest first) order, bytes
        for a bytes path. Errors: ENOENT, ENOTDIR, EACCES, EBADF."""
        if type(path) is str and "\0" not in path:
            try:
                names: list[Any] = sys_file.list_names(self.proc, path)
            except KernelError as e:
                raise_os(e, path)
            return names
        entries, p = self._names(path)
        if p.is_bytes:
            return [_fsencode(name) for name, _, _ in entries]
        return [name for name, _, _ in entries]

    def scandir(self, path: Any = None) -> ScandirIterator:
        """os.scandir: an iterator of ``DirEntry`` (see ``_dirent``)."""
        if type(path) is str and "\0" not in path:
            try:
                found = sys_file.list_names(self.proc, path, True)
            except KernelError as e:
                raise_os(e, path)
            base = path if path.endswith("/") else path + "/"
            return ScandirIterator([DirEntry(n, base + n, i, t, self, None) for n, i, t in found])
        entries, p = self._names(path)
        if p.fd is not None:
            fd = p.fd
            return ScandirIterator([DirEntry(n, n, i, t, self, fd) for n, i, t in entries])
        prefix = "./" if path is None else p.s
        if p.is_bytes:
            bbase = _fsencode(prefix if prefix.endswith("/") else prefix + "/")
            return ScandirIterator(
                [
                    DirEntry(_fsencode(n), bbase + _fsencode(n), i, t, self, None)
                    for n, i, t in entries
                ]
            )
        base = prefix if prefix.endswith("/") else prefix + "/"
        return ScandirIterator([DirEntry(n, base + n, i, t, self, None) for n, i, t in entries])

    def chdir(self, path: Any) -> None:
        """os.chdir: chdir(2), or fchdir(2) for an fd. Errors: ENOENT,
        ENOTDIR, EACCES, EBADF."""
        p = path_arg("chdir", "path", path, allow_fd=True)
        try:
            if p.fd is not None:
                sys_proc.fchdir(self.proc, p.fd)
            else:
                assert p.s is not None
                sys_proc.chdir(self.proc, p.s)
        except KernelError as e:
            raise_os(e, p.obj)

    def chroot(self, path: Any) -> None:
        """os.chroot: change the process's root directory (root only).
        Errors: ENOENT, ENOTDIR, EACCES, EPERM."""
        p = path_arg("chroot", "path", path)
        assert p.s is not None
        try:
            sys_proc.chroot(self.proc, p.s)
        except KernelError as e:
            raise_os(e, p.obj)

    def getcwd(self) -> str:
        """os.getcwd: the cwd path. Errors: ENOENT (cwd removed)."""
        try:
            return sys_proc.getcwd(self.proc)
        except KernelError as e:
            raise_os(e)

    def getcwdb(self) -> bytes:
        """os.getcwdb: ``getcwd`` as bytes."""
        return _fsencode(self.getcwd())

    # -- names -----------------------------------------------------------------------
    def unlink(self, path: Any, *, dir_fd: Any = None) -> None:
        """os.unlink/os.remove: unlink(2). Errors: ENOENT, EISDIR, ENOTDIR,
        EACCES, EPERM (sticky directory)."""
        if type(path) is str and (dir_fd is None or type(dir_fd) is int) and "\0" not in path:
            try:
                return sys_namespace.unlinkat(self.proc, dir_fd, path)
            except KernelError as e:
                raise_os(e, path)
        self._unlink("unlink", path, dir_fd)

    def remove(self, path: Any, *, dir_fd: Any = None) -> None:
        """os.remove: the same as ``unlink``."""
        self._unlink("remove", path, dir_fd)

    def _unlink(self, func: str, path: Any, dir_fd: Any) -> None:
        p = path_arg(func, "path", path)
        assert p.s is not None
        try:
            sys_namespace.unlinkat(self.proc, dirfd_arg(dir_fd), p.s)
        except KernelError as e:
            raise_os(e, p.obj)

    def _rename(self, func: str, src: Any, dst: Any, src_dir_fd: Any, dst_dir_fd: Any) -> None:
        s = path_arg(func, "src", src)
        d = path_arg(func, "dst", dst)
        assert s.s is not None and d.s is not None
        try:
            sys_namespace.renameat(
                self.proc, dirfd_arg(src_dir_fd), s.s, dirfd_arg(dst_dir_fd), d.s
            )
        except KernelError as e:
            raise_os(e, s.obj, d.obj)

    def rename(self, src: Any, dst: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None) -> None:
        """os.rename: rename(2). Errors: see ``kernel.sys_namespace.renameat``."""
        if (
            type(src) is str
            and type(dst) is str
            and src_dir_fd is None
            and dst_dir_fd is None
            and "\0" not in src
            and "\0" not in dst
        ):
            try:
                return sys_namespace.renameat(self.proc, None, src, None, dst)
            except KernelError as e:
                raise_os(e, src, dst)
        self._rename("rename", src, dst, src_dir_fd, dst_dir_fd)

    def replace(
        self, src: Any, dst: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None
    ) -> None:
        """os.replace: rename(2), which replaces on Linux."""
        self._rename("replace", src, dst, src_dir_fd, dst_dir_fd)

    def link(
        self,
        src: Any,
        dst: Any,
        *,
        src_dir_fd: Any = None,
        dst_dir_fd: Any = None,
        follow_symlinks: bool = True,
    ) -> None:
        """os.link: link(2), or linkat(2) when a dir_fd is given (then
        following a symlink source unless ``follow_symlinks`` is false).
        Errors: ENOENT, EEXIST, EPERM (directory, protected hardlinks), EACCES."""
        s = path_arg("link", "src", src)
        d = path_arg("link", "dst", dst)
        assert s.s is not None and d.s is not None
        # CPython 3.11 calls plain link(2), which never follows a symlink
        # source, unless a dir_fd asks for linkat(2) with AT_SYMLINK_FOLLOW.
        follow = follow_symlinks and (src_dir_fd is not None or dst_dir_fd is not None)
        try:
            sys_namespace.linkat(
                self.proc, dirfd_arg(src_dir_fd), s.s, dirfd_arg(dst_dir_fd), d.s, follow
            )
        except KernelError as e:
            raise_os(e, s.obj, d.obj)

    def symlink(
        self, src: Any, dst: Any, target_is_directory: bool = False, *, dir_fd: Any = None
    ) -> None:
        """os.symlink: symlinkat(2) creating ``dst`` pointing at ``src``.
        Errors: EEXIST, ENOENT, EACCES, ENAMETOOLONG."""
        s = path_arg("symlink", "src", src)
        d = path_arg("symlink", "dst", dst)
        assert s.s is not None and d.s is not None
        try:
            sys_namespace.symlinkat(self.proc, s.s, dirfd_arg(dir_fd), d.s)
        except KernelError as e:
            raise_os(e, s.obj, d.obj)

    def readlink(self, path: Any, *, dir_fd: Any = None) -> Any:
        """os.readlink: readlinkat(2), bytes for a bytes path. Errors:
        EINVAL (not a symlink), ENOENT, ENOTDIR, EACCES."""
        p = path_arg("readlink", "path", path)
        assert p.s is not None
        try:
            target = sys_namespace.readlinkat(self.proc, dirfd_arg(dir_fd), p.s)
        except KernelError as e:
            raise_os(e, p.obj)
        return _fsencode(target) if p.is_bytes else target

    def mkfifo(self, path: Any, mode: int = 0o666, *, dir_fd: Any = None) -> None:
        """os.mkfifo: mknodat(2) with S_IFIFO. Errors: EEXIST, ENOENT, EACCES."""
        p = path_arg("mkfifo", "path", path)
        assert p.s is not None
        try:
            sys_namespace.mknodat(
                self.proc, dirfd_arg(dir_fd), p.s, 0o010000 | (_index(mode) & 0o7777), 0
            )
        except KernelError as e:
            raise_os(e, p.obj)

    def mknod(self, path: Any, mode: int = 0o600, device: int = 0, *, dir_fd: Any = None) -> None:
        """os.mknod: mknodat(2). Errors: EINVAL, EPERM, EEXIST, ENOENT, EACCES."""
        p = path_arg("mknod", "path", path)
        assert p.s is not None
        try:
            sys_namespace.mknodat(self.proc, dirfd_arg(dir_fd), p.s, _index(mode), _index(device))
        except KernelError as e:
            raise_os(e, p.obj)

    # -- attributes ------------------------------------------------------------------
    def chmod(
        self, path: Any, mode: int, *, dir_fd: Any = None, follow_symlinks: bool = True
    ) -> None:
        """os.chmod: fchmodat(2)/fchmod(2). Errors: ENOENT, EPERM (not owner),
        EBADF. ``follow_symlinks=False`` on a symlink raises NotImplementedError,
        as on Linux (fchmodat's AT_SYMLINK_NOFOLLOW gives EOPNOTSUPP)."""
        p = path_arg("chmod", "path", path, allow_fd=True)
        self._fd_checks("chmod", p, dir_fd, follow_symlinks)
        mode = _index(mode)
        target: Any = p.fd if p.fd is not None else p.s
        try:
            if not follow_symlinks:
                node = sys_attr.stat(self.proc, dirfd_arg(dir_fd), p.s or "", False)
                if node.mode & 0o170000 == 0o120000:
                    raise NotImplementedError("chmod: follow_symlinks unavailable on this platform")
            sys_attr.chmod(self.proc, dirfd_arg(dir_fd), target, mode, follow_symlinks)
        except KernelError as e:
            raise_os(e, p.obj)

    def chown(
        self, path: Any, uid: int, gid: int, *, dir_fd: Any = None, follow_symlinks: bool = True
    ) -> None:
        """os.chown: fchownat(2)/fchown(2); -1 keeps an id. Errors: ENOENT,
        EPERM, EBADF."""
        p = path_arg("chown", "path", path, allow_fd=True)
        self._fd_checks("chown", p, dir_fd, follow_symlinks)
        target: Any = p.fd if p.fd is not None else p.s
        try:
            sys_attr.chown(
                self.proc, dirfd_arg(dir_fd), target, _index(uid), _index(gid), follow_symlinks
            )
        except KernelError as e:
            raise_os(e, p.obj)

    def lchown(self, path: Any, uid: int, gid: int) -> None:
        """os.lchown: chown without following a final symlink."""
        p = path_arg("lchown", "path", path)
        try:
            sys_attr.chown(self.proc, None, p.s or "", id_arg(uid), id_arg(gid, "gid"), False)
        except KernelError as e:
            raise_os(e, p.obj)

    def utime(
        self,
        path: Any,
        times: Any = None,
        *,
        ns: Any = None,
        dir_fd: Any = None,
        follow_symlinks: bool = True,
    ) -> None:
        """os.utime: utimensat(2)/futimens(2). ``times`` is (atime, mtime) in
        seconds, ``ns`` the same in nanoseconds, neither means now. Errors:
        ENOENT, EPERM (explicit times, not owner), EACCES (now, no write)."""
        p = path_arg("utime", "path", path, allow_fd=True)
        if times is not None and ns is not None:
            raise ValueError("utime: you may specify either 'times' or 'ns' but not both")
        atime: int | None = None
        mtime: int | None = None
        if times is not None:
            if not isinstance(times, tuple) or len(times) != 2:
                raise TypeError("utime: 'times' must be either a tuple of two ints or None")
            atime, mtime = _time_to_ns(times[0]), _time_to_ns(times[1])
        elif ns is not None:
            if not isinstance(ns, tuple) or len(ns) != 2:
                raise TypeError("utime: 'ns' must be a tuple of two ints")
            atime, mtime = _index(ns[0]), _index(ns[1])
        self._fd_checks("utime", p, dir_fd, follow_symlinks)
        target: Any = p.fd if p.fd is not None else p.s
        try:
            sys_attr.utimens(self.proc, dirfd_arg(dir_fd), target, atime, mtime, follow_symlinks)
        except KernelError as e:
            raise_os(e)  # CPython's utime never names the file in its error

    def truncate(self, path: Any, length: int) -> None:
        """os.truncate: truncate(2), or ftruncate(2) for an fd. Errors:
        EINVAL, ENOENT, EISDIR, EACCES."""
        p = path_arg("truncate", "path", path, allow_fd=True)
        length = _index(length)
        try:
            if p.fd is not None:
                sys_file.ftruncate(self.proc, p.fd, length)
            else:
                assert p.s is not None
                sys_attr.truncate(self.proc, None, p.s, length)
        except KernelError as e:
            raise_os(e, p.obj)

    def pathconf(self, path: Any, name: Any) -> int:
        """os.pathconf: the limits glibc reports for tmpfs. Errors: ValueError
        (unknown name), EINVAL (unknown number), ENOENT/EBADF."""
        p = path_arg("pathconf", "path", path, allow_fd=True)
        try:
            if p.fd is not None:
                sys_attr.fstat(self.proc, p.fd)
            else:
                assert p.s is not None
                sys_attr.stat(self.proc, None, p.s, True)
        except KernelError as e:
            raise_os(e, p.obj)
        return pathconf_value(name)

    # -- extended attributes -------------------------------------------------------
    def _xattr_target(self, func: str, path: Any, follow_symlinks: bool) -> tuple[Any, Any]:
        p = path_arg(func, "path", path, allow_fd=True)
        if p.fd is not None and not follow_symlinks:
            raise ValueError(f"{func}: cannot use fd and follow_symlinks together")
        return p, (p.fd if p.fd is not None else p.s)

    def getxattr(self, path: Any, attribute: Any, *, follow_symlinks: bool = True) -> bytes:
        """os.getxattr. Errors: ERANGE, ENOENT, ENODATA, EACCES, EOPNOTSUPP."""
        p, target = self._xattr_target("getxattr", path, follow_symlinks)
        try:
            return sys_xattr.getxattr(self.proc, None, target, _xname(attribute), follow_symlinks)
        except KernelError as e:
            raise_os(e, p.obj)

    def setxattr(
        self, path: Any, attribute: Any, value: Any, flags: int = 0, *, follow_symlinks: bool = True
    ) -> None:
        """os.setxattr (flags XATTR_CREATE/XATTR_REPLACE). Errors: EINVAL,
        ERANGE, E2BIG, ENOENT, EPERM, EACCES, EOPNOTSUPP, EEXIST, ENODATA."""
        p, target = self._xattr_target("setxattr", path, follow_symlinks)
        data = memoryview(value).tobytes()
        try:
            sys_xattr.setxattr(
                self.proc, None, target, _xname(attribute), data, _index(flags), follow_symlinks
            )
        except KernelError as e:
            raise_os(e, p.obj)

    def listxattr(self, path: Any = None, *, follow_symlinks: bool = True) -> list[str]:
        """os.listxattr: the names set on a file (``.`` by default)."""
        p, target = self._xattr_target(
            "listxattr", path if path is not None else ".", follow_symlinks
        )
        try:
            return sys_xattr.listxattr(self.proc, None, target, follow_symlinks)
        except KernelError as e:
            raise_os(e, p.obj)

    def removexattr(self, path: Any, attribute: Any, *, follow_symlinks: bool = True) -> None:
        """os.removexattr. Errors: ERANGE, ENOENT, EPERM, EACCES, EOPNOTSUPP, ENODATA."""
        p, target = self._xattr_target("removexattr", path, follow_symlinks)
        try:
            sys_xattr.removexattr(self.proc, None, target, _xname(attribute), follow_symlinks)
        except KernelError as e:
            raise_os(e, p.obj)

    def statvfs(self, path: Any) -> Any:
        """os.statvfs: the machine filesystem's usage and limits (fstatvfs for an fd)."""
        p = path_arg("statvfs", "path", path, allow_fd=True)
        try:
            if p.fd is not None:
                sys_attr.fstat(self.proc, p.fd)
            else:
                assert p.s is not None
                sys_attr.stat(self.proc, None, p.s, True)
        except KernelError as e:
            raise_os(e, p.obj)
        return self._statvfs()

    def _statvfs(self) -> Any:
        k = self.proc.k
        with k.lock:
            used_bytes, used_inodes = k.store.usage()
        m = self.machine
        return make_statvfs(used_bytes, used_inodes, m.capacity_bytes, m.capacity_inodes, k.dev)
