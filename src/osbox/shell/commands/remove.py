"""``rm`` and ``rmdir`` (GNU coreutils).

``rm``: ``-f``, ``-r``/``-R``, ``-d``, ``-v``, ``--preserve-root`` (the
default) and ``--no-preserve-root``; refuses ``.`` and ``..``. It never
prompts (``-i`` is accepted and ignored: there is no terminal to ask on).
``rmdir``: ``-p``, ``-v``, ``--ignore-fail-on-non-empty``.
"""

from __future__ import annotations

import errno
import stat as st

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import enc, quote

__all__ = ["Remover"]


class Remover:
    """Removes operands as ``rm`` does, reporting errors."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.os = ctx.os
        self.recursive = self.force = self.dirs = self.verbose = False
        self.preserve_root = True
        self.ok = True

    def _err(self, path: str, e: OSError | str) -> None:
        msg = e if isinstance(e, str) else strerror(e)
        self.ctx.error(f"cannot remove {quote(path)}: {msg}")
        self.ok = False

    def _said(self, what: str, path: str) -> None:
        if self.verbose:
            self.ctx.stdout.write(enc(f"removed {what}{quote(path)}\n"))

    def operand(self, path: str) -> None:
        base = path.rstrip("/").rsplit("/", 1)[-1]
        if base in (".", ".."):
            self.ctx.error(f"refusing to remove '.' or '..' directory: skipping {quote(path)}")
            self.ok = False
            return
        if self.recursive and self.preserve_root and path and not path.strip("/"):
            self.ctx.error(f"it is dangerous to operate recursively on {quote('/')}")
            self.ctx.error("use --no-preserve-root to override this failsafe")
            self.ok = False
            return
        self.remove(path)

    def remove(self, path: str) -> bool:
        """Remove ``path``; True when it is gone."""
        try:
            s = self.os.lstat(path)
        except OSError as e:
            if self.force and e.errno in (errno.ENOENT, errno.ENOTDIR):
                return True
            self._err(path, e)
            return False
        if not st.S_ISDIR(s.st_mode):
            try:
                self.os.unlink(path)
            except OSError as e:
                if self.force and e.errno == errno.ENOENT:
                    return True
                self._err(path, e)
                return False
            self._said("", path)
            return True
        if not self.recursive:
            if not self.dirs:
                self._err(path, "Is a directory")
                return False
            return self._rmdir(path)
        try:
            names = self.os.listdir(path)
        except OSError as e:
            self._err(path, e)
            return False
        base = path if path.endswith("/") else path + "/"
        gone = True
        for name in names:
            gone = self.remove(base + name) and gone
        if not gone:
            return False
        return self._rmdir(path)

    def _rmdir(self, path: str) -> bool:
        try:
            self.os.rmdir(path)
        except OSError as e:
            self._err(path, e)
            return False
        self._said("directory ", path)
        return True


_RM_LONGS = {
    "force": ("f", 0),
    "recursive": ("r", 0),
    "dir": ("d", 0),
    "verbose": ("v", 0),
    "interactive": ("interactive", 2),
    "preserve-root": ("preserve-root", 2),
    "no-preserve-root": ("no-preserve-root", 0),
    "one-file-system": ("one-file-system", 0),
}


@program("rm")
def rm_main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "fiIrRdv", _RM_LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    r = Remover(ctx)
    for k, _ in opts:
        if k == "f":
            r.force = True
        elif k in "iI":
            r.force = False
        elif k in "rR":
            r.recursive = True
        elif k == "d":
            r.dirs = True
        elif k == "v":
            r.verbose = True
        elif k == "no-preserve-root":
            r.preserve_root = False
        elif k == "preserve-root":
            r.preserve_root = True
    if not operands:
        if r.force:
            return 0
        return usage(ctx, "missing operand")
    for path in operands:
        r.operand(path)
    return 0 if r.ok else 1


@program("rmdir")
def rmdir_main(ctx: Context) -> int:
    longs = {
        "parents": ("p", 0),
        "verbose": ("v", 0),
        "ignore-fail-on-non-empty": ("ignore", 0),
    }
    try:
        opts, operands = parse_options(ctx.argv[1:], "pv", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = {k for k, _ in opts}
    parents, verbose, ignore = "p" in keys, "v" in keys, "ignore" in keys
    if not operands:
        return usage(ctx, "missing operand")
    status = 0

    def remove_one(path: str, parent: bool = False) -> bool:
        if verbose:
            ctx.stdout.write(enc(f"rmdir: removing directory, {quote(path)}\n"))
        try:
            ctx.os.rmdir(path)
        except OSError as e:
            if ignore and e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                return False
            what = "directory " if parent else ""
            ctx.error(f"failed to remove {what}{quote(path)}: {strerror(e)}")
            raise
        return True

    for path in operands:
        try:
            if not remove_one(path):
                continue
            if parents:
                p = path.rstrip("/")
                while "/" in p:
                    p = p.rsplit("/", 1)[0].rstrip("/")
                    if not p:
                        break
                    if not remove_one(p, True):
                        break
        except OSError:
            status = 1
    return status
