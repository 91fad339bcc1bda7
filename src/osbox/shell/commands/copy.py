"""``cp`` and ``mv`` (GNU coreutils).

``cp``: ``-r``/``-R``, ``-a`` (``-dR --preserve=all``), ``-p``, ``-d``,
``-P``, ``-L``, ``-H``, ``-f``, ``-n``, ``-v``, ``-T``, ``-t DIR``, ``-l``,
``-s``. Recursive copies do not follow symlinks unless ``-L``; ``-a``/``-p``
preserve mode, owner and nanosecond times, and ``-a`` hard links.
``mv``: rename, or copy and remove across file systems; ``-f``, ``-n``,
``-v``, ``-T``, ``-t DIR``. Messages and statuses are GNU's.
"""

from __future__ import annotations

import errno
import posixpath
import stat as st
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import quote
from .paths import canonicalize

__all__ = ["Copier"]

_CHUNK = 1 << 20


class Copier:
    """Copies one tree as ``cp`` does; errors are reported and counted."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.os = ctx.os
        self.recursive = False
        self.deref = "undefined"  # "always", "never", "cmdline"
        self.p_mode = self.p_owner = self.p_times = self.p_links = False
        self.force = self.no_clobber = self.verbose = False
        self.hard_link = self.sym_link = False
        self.ok = True
        self.links: dict[tuple[int, int], str] = {}
        self.created: set[tuple[int, int]] = set()
        self.top = ("", "")
        self.into_self = False
        self.umask = 0o022

    def err(self, msg: str) -> None:
        self.ctx.error(msg)
        self.ok = False

    def start(self) -> None:
        if self.deref == "undefined":
            self.deref = "never" if self.recursive and not self.hard_link else "always"
        self.umask = self.os.umask(0)
        self.os.umask(self.umask)

    def _src_stat(self, path: str, cmdline: bool) -> Any:
        if self.deref == "always" or (self.deref == "cmdline" and cmdline):
            return self.os.stat(path)
        return self.os.lstat(path)

    def copy(self, src: str, dst: str, cmdline: bool = True) -> None:
        if cmdline:
            self.top = (src, dst)
            self.created.clear()
            self.into_self = False
        try:
            s = self._src_stat(src, cmdline)
        except OSError as e:
            self.err(f"cannot stat {quote(src)}: {strerror(e)}")
            return
        try:
            d: Any = self.os.lstat(dst)
        except OSError:
            d = None
        if d is not None and st.S_ISLNK(d.st_mode) and st.S_ISDIR(s.st_mode):
            try:
                d = self.os.stat(dst)
            except OSError:
                pass
        if st.S_ISDIR(s.st_mode) and not self.recursive:
            self.err(f"-r not specified; omitting directory {quote(src)}")
            return
        if d is not None:
            same = (d.st_dev, d.st_ino) == (s.st_dev, s.st_ino)
            if same and not (st.S_ISLNK(s.st_mode) and not self.sym_link and not self.hard_link):
                self.err(f"{quote(src)} and {quote(dst)} are the same file")
                return
            if st.S_ISDIR(s.st_mode) and not st.S_ISDIR(d.st_mode):
                self.err(f"cannot overwrite non-directory {quote(dst)} with directory {quote(src)}")
                return
            if not st.S_ISDIR(s.st_mode) and st.S_ISDIR(d.st_mode):
                self.err(f"cannot overwrite directory {quote(dst)} with non-directory")
                return
            if self.no_clobber and not st.S_ISDIR(d.st_mode):
                return
        if st.S_ISDIR(s.st_mode) and (s.st_dev, s.st_ino) in self.created:
            top_src, top_dst = self.top
            self.err(f"cannot copy a directory, {quote(top_src)}, into itself, {quote(top_dst)}")
            self.into_self = True
            return
        if self.verbose:
            self.ctx.stdout.write(
                f"{quote(src)} -> {quote(dst)}\n".encode("utf-8", "surrogateescape")
            )
        if st.S_ISDIR(s.st_mode):
            self._copy_dir(src, dst, s, d)
            return
        if self.p_links and s.st_nlink > 1:
            key = (s.st_dev, s.st_ino)
            prev = self.links.get(key)
            if prev is not None:
                self._replace(dst, d, lambda: self.os.link(prev, dst, follow_symlinks=False))
                return
            self.links[key] = dst
        if self.hard_link:
            self._replace(dst, d, lambda: self.os.link(src, dst, follow_symlinks=False), "hard")
        elif self.sym_link:
            self._replace(dst, d, lambda: self.os.symlink(src, dst), "symbolic")
        elif st.S_ISLNK(s.st_mode):
            try:
                target = self.os.readlink(src)
            except OSError as e:
                self.err(f"cannot read symbolic link {quote(src)}: {strerror(e)}")
                return
            if self._replace(dst, d, lambda: self.os.symlink(target, dst), "symbolic"):
                self._preserve(dst, s, link=True)
        elif st.S_ISREG(s.st_mode):
            if self._copy_file(src, dst, s, d is not None):
                self._preserve(dst, s)
        else:
            if self._replace(
                dst, d, lambda: self.os.mknod(dst, s.st_mode & ~self.umask, s.st_rdev)
            ):
                self._preserve(dst, s)

    def _inside(self, src: str, dst: str) -> bool:
        try:
            a = canonicalize(self.os, src, "e")
            b = canonicalize(self.os, dst, "m")
        except OSError:
            return False
        return b == a or b.startswith(a.rstrip("/") + "/")

    def _replace(self, dst: str, d: Any, make: Any, kind: str = "") -> bool:
        try:
            if d is not None:
                self.os.unlink(dst)
            make()
            return True
        except OSError as e:
            what = {"hard": "hard link", "symbolic": "symbolic link"}.get(kind, "special file")
            self.err(f"cannot create {what} {quote(dst)}: {strerror(e)}")
            return False

    def _copy_file(self, src: str, dst: str, s: Any, exists: bool) -> bool:
        vos = self.os
        try:
            fin = vos.open(src, vos.O_RDONLY)
        except OSError as e:
            self.err(f"cannot open {quote(src)} for reading: {strerror(e)}")
            return False
        try:
            flags = vos.O_WRONLY | vos.O_CREAT | vos.O_TRUNC
            try:
                fout = vos.open(dst, flags, s.st_mode & 0o777)
            except OSError as e:
                if not (self.force and exists):
                    self.err(f"cannot create regular file {quote(dst)}: {strerror(e)}")
                    return False
                try:
                    vos.unlink(dst)
                    fout = vos.open(dst, flags, s.st_mode & 0o777)
                except OSError as e2:
                    self.err(f"cannot create regular file {quote(dst)}: {strerror(e2)}")
                    return False
            try:
                while True:
                    data = vos.read(fin, _CHUNK)
                    if not data:
                        break
                    while data:
                        n = vos.write(fout, data)
                        data = data[n:]
            except OSError as e:
                self.err(f"error writing {quote(dst)}: {strerror(e)}")
                return False
            finally:
                vos.close(fout)
        finally:
            vos.close(fin)
        return True

    def _copy_dir(self, src: str, dst: str, s: Any, d: Any) -> None:
        vos = self.os
        created = d is None
        if created:
            try:
                vos.mkdir(dst, s.st_mode & 0o777 | 0o700)
                made = vos.stat(dst)
                self.created.add((made.st_dev, made.st_ino))
            except OSError as e:
                self.err(f"cannot create directory {quote(dst)}: {strerror(e)}")
                return
        try:
            with vos.scandir(src) as it:
                entries = sorted((e.inode(), e.name) for e in it)
        except OSError as e:
            self.err(f"cannot access {quote(src)}: {strerror(e)}")
            entries = []
        for _, name in entries:
            self.copy(posixpath.join(src, name), posixpath.join(dst, name), cmdline=False)
            if self.into_self:
                return
        if created and not self.p_mode:
            try:
                vos.chmod(dst, s.st_mode & 0o777 & ~self.umask)
            except OSError:
                pass
        self._preserve(dst, s)

    def _preserve(self, dst: str, s: Any, link: bool = False) -> None:
        vos = self.os
        follow = not link
        if self.p_owner:
            try:
                vos.chown(dst, s.st_uid, s.st_gid, follow_symlinks=follow)
            except OSError as e:
                if e.errno != errno.EPERM:
                    self.err(f"failed to preserve ownership for {quote(dst)}: {strerror(e)}")
        if self.p_mode and not link:
            try:
                vos.chmod(dst, st.S_IMODE(s.st_mode))
            except OSError as e:
                self.err(f"preserving permissions for {quote(dst)}: {strerror(e)}")
        if self.p_times:
            try:
                vos.utime(dst, ns=(s.st_atime_ns, s.st_mtime_ns), follow_symlinks=follow)
            except OSError as e:
                self.err(f"preserving times for {quote(dst)}: {strerror(e)}")


def _target(
    ctx: Context, operands: list[str], target_dir: str | None, no_target: bool
) -> tuple[list[tuple[str, str]], int] | int:
    """Pair each source with its destination as cp/mv/ln do; an int is an error status."""
    if not operands:
        return usage(ctx, "missing file operand")
    if target_dir is not None:
        try:
            if not st.S_ISDIR(ctx.os.stat(target_dir).st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
        except OSError as e:
            ctx.error(f"target directory {quote(target_dir)}: {strerror(e)}")
            return 1
        return [(s, _join(target_dir, s)) for s in operands], 0
    if len(operands) == 1:
        return usage(ctx, f"missing destination file operand after {quote(operands[0])}")
    dest = operands[-1]
    if no_target:
        if len(operands) > 2:
            return usage(ctx, f"extra operand {quote(operands[2])}")
        return [(operands[0], dest)], 0
    try:
        is_dir = st.S_ISDIR(ctx.os.stat(dest).st_mode)
    except OSError as e:
        if len(operands) > 2:
            ctx.error(f"target {quote(dest)}: {strerror(e)}")
            return 1
        is_dir = False
    if is_dir:
        return [(s, _join(dest, s)) for s in operands[:-1]], 0
    if len(operands) > 2:
        ctx.error(f"target {quote(dest)}: Not a directory")
        return 1
    return [(operands[0], dest)], 0


def _join(directory: str, src: str) -> str:
    name = src.rstrip("/").rsplit("/", 1)[-1] or "/"
    return directory + name if directory.endswith("/") else directory + "/" + name


_CP_LONGS = {
    "recursive": ("r", 0),
    "archive": ("a", 0),
    "force": ("f", 0),
    "no-clobber": ("n", 0),
    "verbose": ("v", 0),
    "no-dereference": ("P", 0),
    "dereference": ("L", 0),
    "link": ("l", 0),
    "symbolic-link": ("s", 0),
    "target-directory": ("t", 1),
    "no-target-directory": ("T", 0),
    "preserve": ("preserve", 2),
    "no-preserve": ("no-preserve", 1),
}


@program("cp")
def cp_main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "aRrpdPLHfnvlst:T", _CP_LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    c = Copier(ctx)
    target_dir: str | None = None
    no_target = False
    for k, v in opts:
        if k in "rR":
            c.recursive = True
        elif k == "a":
            c.recursive = c.p_mode = c.p_owner = c.p_times = c.p_links = True
            c.deref = "never"
        elif k == "p":
            c.p_mode = c.p_owner = c.p_times = True
        elif k == "d":
            c.deref, c.p_links = "never", True
        elif k == "P":
            c.deref = "never"
        elif k == "L":
            c.deref = "always"
        elif k == "H":
            c.deref = "cmdline"
        elif k == "f":
            c.force, c.no_clobber = True, False
        elif k == "n":
            c.no_clobber = True
        elif k == "v":
            c.verbose = True
        elif k == "l":
            c.hard_link = True
        elif k == "s":
            c.sym_link = True
        elif k == "t":
            target_dir = v
        elif k == "T":
            no_target = True
        elif k in ("preserve", "no-preserve"):
            on = k == "preserve"
            for attr in (v or "mode,ownership,timestamps").split(","):
                if attr in ("mode", "all"):
                    c.p_mode = on
                if attr in ("ownership", "all"):
                    c.p_owner = on
                if attr in ("timestamps", "all"):
                    c.p_times = on
                if attr in ("links", "all"):
                    c.p_links = on
    pairs = _target(ctx, operands, target_dir, no_target)
    if isinstance(pairs, int):
        return pairs
    c.start()
    for src, dst in pairs[0]:
        c.copy(src, dst)
    return 0 if c.ok else 1


_MV_LONGS = {
    "force": ("f", 0),
    "no-clobber": ("n", 0),
    "verbose": ("v", 0),
    "target-directory": ("t", 1),
    "no-target-directory": ("T", 0),
}


@program("mv")
def mv_main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "finvt:Tu", _MV_LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = [k for k, _ in opts]
    no_clobber = "n" in keys and keys.index("n") > max(
        (i for i, k in enumerate(keys) if k == "f"), default=-1
    )
    verbose = "v" in keys
    target_dir = next((v for k, v in reversed(opts) if k == "t"), None)
    pairs = _target(ctx, operands, target_dir, "T" in keys)
    if isinstance(pairs, int):
        return pairs
    vos = ctx.os
    status = 0
    for src, dst in pairs[0]:
        try:
            s = vos.lstat(src)
        except OSError as e:
            ctx.error(f"cannot stat {quote(src)}: {strerror(e)}")
            status = 1
            continue
        try:
            d: Any = vos.lstat(dst)
        except OSError:
            d = None
        if d is not None:
            if (d.st_dev, d.st_ino) == (s.st_dev, s.st_ino):
                ctx.error(f"{quote(src)} and {quote(dst)} are the same file")
                status = 1
                continue
            if no_clobber:
                continue
            if st.S_ISDIR(s.st_mode) and not st.S_ISDIR(d.st_mode):
                ctx.error(
                    f"cannot overwrite non-directory {quote(dst)} with directory {quote(src)}"
                )
                status = 1
                continue
            if not st.S_ISDIR(s.st_mode) and st.S_ISDIR(d.st_mode):
                ctx.error(f"cannot overwrite directory {quote(dst)} with non-directory")
                status = 1
                continue
        if st.S_ISDIR(s.st_mode):
            c = Copier(ctx)
            if c._inside(src, dst):
                ctx.error(f"cannot move {quote(src)} to a subdirectory of itself, {quote(dst)}")
                status = 1
                continue
        try:
            vos.rename(src, dst)
        except OSError as e:
            if e.errno != errno.EXDEV:
                ctx.error(f"cannot move {quote(src)} to {quote(dst)}: {strerror(e)}")
                status = 1
                continue
            if not _move_across(ctx, src, dst, s):
                status = 1
                continue
        if verbose:
            ctx.stdout.write(
                f"renamed {quote(src)} -> {quote(dst)}\n".encode("utf-8", "surrogateescape")
            )
    return status


def _move_across(ctx: Context, src: str, dst: str, s: Any) -> bool:
    """``mv`` between file systems: ``cp -a`` then remove the source."""
    from .remove import Remover

    c = Copier(ctx)
    c.recursive = c.p_mode = c.p_owner = c.p_times = c.p_links = True
    c.deref = "never"
    c.force = True
    c.start()
    c.copy(src, dst)
    if not c.ok:
        return False
    r = Remover(ctx)
    r.recursive = r.force = True
    r.remove(src)
    return r.ok
