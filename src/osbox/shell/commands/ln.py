"""``ln`` (GNU coreutils): hard links by default, ``-s`` symbolic links,
``-f`` (replace), ``-n`` (a symlink to a directory is a plain destination),
``-v``, ``-T``, ``-t DIR``, ``-r`` (relative symlink targets).
"""

from __future__ import annotations

import posixpath
import stat as st
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import enc, quote, quotef
from .paths import canonicalize, dir_name

__all__ = ["main"]

_LONGS = {
    "symbolic": ("s", 0),
    "force": ("f", 0),
    "no-dereference": ("n", 0),
    "verbose": ("v", 0),
    "target-directory": ("t", 1),
    "no-target-directory": ("T", 0),
    "relative": ("r", 0),
    "logical": ("L", 0),
    "physical": ("P", 0),
}


@program("ln")
def main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "sfnvt:TrLPi", _LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = {k for k, _ in opts}
    symbolic, force, no_deref = "s" in keys, "f" in keys, "n" in keys
    verbose, relative = "v" in keys, "r" in keys
    target_dir = next((v for k, v in reversed(opts) if k == "t"), None)
    vos = ctx.os
    if not operands:
        return usage(ctx, "missing file operand")
    pairs: list[tuple[str, str]]
    if target_dir is not None:
        pairs = [(s, _into(target_dir, s)) for s in operands]
    elif "T" in keys:
        if len(operands) > 2:
            return usage(ctx, f"extra operand {quote(operands[2])}")
        if len(operands) == 1:
            return usage(ctx, f"missing destination file operand after {quote(operands[0])}")
        pairs = [(operands[0], operands[1])]
    elif len(operands) == 1:
        pairs = [(operands[0], _into(".", operands[0]).removeprefix("./"))]
    else:
        dest = operands[-1]
        if _is_dir(vos, dest, no_deref):
            pairs = [(s, _into(dest, s)) for s in operands[:-1]]
        elif len(operands) > 2:
            try:
                vos.stat(dest)
                ctx.error(f"target {quote(dest)}: Not a directory")
            except OSError as e:
                ctx.error(f"target {quote(dest)}: {strerror(e)}")
            return 1
        else:
            pairs = [(operands[0], dest)]
    status = 0
    for src, dst in pairs:
        if not _link(ctx, src, dst, symbolic, force, relative):
            status = 1
        elif verbose:
            arrow = "->" if symbolic else "=>"
            ctx.stdout.write(enc(f"{quote(dst)} {arrow} {quote(src)}\n"))
    return status


def _into(directory: str, src: str) -> str:
    name = src.rstrip("/").rsplit("/", 1)[-1] or "/"
    return directory + name if directory.endswith("/") else directory + "/" + name


def _is_dir(vos: Any, path: str, no_deref: bool) -> bool:
    try:
        s = vos.lstat(path) if no_deref else vos.stat(path)
    except OSError:
        return False
    return st.S_ISDIR(s.st_mode)


def _link(ctx: Context, src: str, dst: str, symbolic: bool, force: bool, relative: bool) -> bool:
    vos = ctx.os
    kind = "symbolic link" if symbolic else "hard link"
    if not symbolic:
        try:
            s = vos.lstat(src)
        except OSError as e:
            ctx.error(f"failed to access {quote(src)}: {strerror(e)}")
            return False
        if st.S_ISDIR(s.st_mode):
            ctx.error(f"{quotef(src)}: hard link not allowed for directory")
            return False
    target = src
    if symbolic and relative:
        try:
            full = canonicalize(vos, src, "m")
            base = canonicalize(vos, dir_name(dst), "m")
            target = posixpath.relpath(full, base)
        except OSError:
            target = src
    if force:
        try:
            d = vos.lstat(dst)
        except OSError:
            d = None
        if d is not None:
            same = False
            if not symbolic:
                s2 = vos.lstat(src)
                same = (s2.st_dev, s2.st_ino) == (d.st_dev, d.st_ino)
            else:
                try:
                    s3 = vos.stat(
                        posixpath.join(dir_name(dst), src) if not src.startswith("/") else src
                    )
                    same = (s3.st_dev, s3.st_ino) == (d.st_dev, d.st_ino)
                except OSError:
                    same = False
            if same:
                ctx.error(f"{quote(src)} and {quote(dst)} are the same file")
                return False
            if st.S_ISDIR(d.st_mode):
                ctx.error(f"{quote(dst)}: cannot overwrite directory")
                return False
            try:
                vos.unlink(dst)
            except OSError as e:
                ctx.error(f"cannot remove {quote(dst)}: {strerror(e)}")
                return False
    try:
        if symbolic:
            vos.symlink(target, dst)
        else:
            vos.link(src, dst, follow_symlinks=False)
    except OSError as e:
        ctx.error(f"failed to create {kind} {quote(dst)}: {strerror(e)}")
        return False
    return True
