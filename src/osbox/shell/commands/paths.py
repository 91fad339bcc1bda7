"""Path name programs (GNU coreutils): ``basename``, ``dirname``, ``readlink``,
``realpath`` and ``pwd``.

``readlink -f/-e/-m`` and ``realpath`` canonicalize through the machine's
symlinks as gnulib's ``canonicalize_filename_mode`` does; ``pwd`` defaults
to ``-P`` (the program, not the shell builtin).
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
from ._quote import cquote, enc, quotef

__all__ = ["base_name", "canonicalize", "dir_name"]


def base_name(path: str, suffix: str = "") -> str:
    """POSIX ``basename`` of ``path`` without ``suffix``."""
    if not path:
        return ""
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    name = stripped.rsplit("/", 1)[-1]
    if suffix and name != suffix and name.endswith(suffix):
        name = name[: -len(suffix)]
    return name


def dir_name(path: str) -> str:
    """POSIX ``dirname`` of ``path``."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path else "."
    if "/" not in stripped:
        return "."
    head = stripped.rsplit("/", 1)[0].rstrip("/")
    return head or "/"


def canonicalize(vos: Any, path: str, mode: str) -> str:
    """Resolve ``path`` on the machine; ``mode`` is ``e`` (every component
    must exist), ``f`` (all but the last) or ``m`` (none). Raises OSError."""
    if not path:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")
    resolved = "" if path.startswith("/") else vos.getcwd().rstrip("/")
    rest = [c for c in path.split("/") if c]
    links = 0
    missing = False
    while rest:
        comp = rest.pop(0)
        if comp == ".":
            continue
        if comp == "..":
            resolved = resolved.rsplit("/", 1)[0] if resolved else ""
            continue
        cand = resolved + "/" + comp
        if missing:
            resolved = cand
            continue
        try:
            s = vos.lstat(cand)
        except OSError as e:
            last = not any(c not in (".", "..") for c in rest) and mode == "f"
            if mode == "m" or (last and e.errno == errno.ENOENT):
                missing = mode == "m" or missing
                resolved = cand
                continue
            raise
        if st.S_ISLNK(s.st_mode):
            links += 1
            if links > 40:
                raise OSError(errno.ELOOP, "Too many levels of symbolic links")
            target = vos.readlink(cand)
            if target.startswith("/"):
                resolved = ""
            rest = [c for c in target.split("/") if c] + rest
            continue
        if not st.S_ISDIR(s.st_mode) and rest and mode != "m":
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
        resolved = cand
    if path.endswith("/") and mode != "m" and not missing:
        try:
            if not st.S_ISDIR(vos.stat(resolved or "/").st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
        except FileNotFoundError:
            if mode == "e":
                raise
    return resolved or "/"


def _print(ctx: Context, text: str, end: bytes) -> None:
    ctx.stdout.write(enc(text) + end)


@program("basename")
def basename_main(ctx: Context) -> int:
    longs = {"multiple": ("a", 0), "suffix": ("s", 1), "zero": ("z", 0)}
    try:
        opts, names = parse_options(ctx.argv[1:], "as:z", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    multiple = any(k in "as" for k, _ in opts)
    suffix = next((v for k, v in reversed(opts) if k == "s"), "") or ""
    end = b"\0" if any(k == "z" for k, _ in opts) else b"\n"
    if not names:
        return usage(ctx, "missing operand")
    if not multiple:
        if len(names) > 2:
            return usage(ctx, f"extra operand {cquote(names[2])}")
        suffix = names[1] if len(names) == 2 else ""
        names = names[:1]
    for n in names:
        _print(ctx, base_name(n, suffix), end)
    return 0


@program("dirname")
def dirname_main(ctx: Context) -> int:
    try:
        opts, names = parse_options(ctx.argv[1:], "z", {"zero": ("z", 0)})
    except UsageError as e:
        return usage(ctx, str(e))
    if not names:
        return usage(ctx, "missing operand")
    end = b"\0" if opts else b"\n"
    for n in names:
        _print(ctx, dir_name(n), end)
    return 0


@program("readlink")
def readlink_main(ctx: Context) -> int:
    longs = {
        "canonicalize": ("f", 0),
        "canonicalize-existing": ("e", 0),
        "canonicalize-missing": ("m", 0),
        "no-newline": ("n", 0),
        "quiet": ("q", 0),
        "silent": ("s", 0),
        "verbose": ("v", 0),
        "zero": ("z", 0),
    }
    try:
        opts, names = parse_options(ctx.argv[1:], "femnqsvz", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    mode = ""
    verbose = False
    for k, _ in opts:
        if k in "fem":
            mode = k
        elif k == "v":
            verbose = True
        elif k in "qs":
            verbose = False
    if not names:
        return usage(ctx, "missing operand")
    end = b"\0" if any(k == "z" for k, _ in opts) else b"\n"
    if any(k == "n" for k, _ in opts) and len(names) == 1:
        end = b""
    status = 0
    for n in names:
        try:
            out = canonicalize(ctx.os, n, mode) if mode else ctx.os.readlink(n)
        except OSError as e:
            if verbose:
                ctx.error(f"{quotef(n)}: {strerror(e)}")
            status = 1
            continue
        _print(ctx, out, end)
    return status


@program("realpath")
def realpath_main(ctx: Context) -> int:
    longs = {
        "canonicalize-existing": ("e", 0),
        "canonicalize-missing": ("m", 0),
        "logical": ("L", 0),
        "physical": ("P", 0),
        "quiet": ("q", 0),
        "strip": ("s", 0),
        "no-symlinks": ("s", 0),
        "zero": ("z", 0),
        "relative-to": ("relative-to", 1),
        "relative-base": ("relative-base", 1),
    }
    try:
        opts, names = parse_options(ctx.argv[1:], "emLPqsz", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    mode, strip, quiet, rel_to, rel_base = "f", False, False, None, None
    for k, v in opts:
        if k in "em":
            mode = k
        elif k in "sL":
            strip = True
        elif k == "P":
            strip = False
        elif k == "q":
            quiet = True
        elif k == "relative-to":
            rel_to = v
        elif k == "relative-base":
            rel_base = v
    if not names:
        return usage(ctx, "missing operand")
    end = b"\0" if any(k == "z" for k, _ in opts) else b"\n"

    def resolve(p: str) -> str:
        if strip:
            full = posixpath.normpath(posixpath.join(ctx.os.getcwd(), p))
            full = "/" + full.lstrip("/")
            if mode != "m":
                canonicalize(ctx.os, full, mode)
            return full
        return canonicalize(ctx.os, p, mode)

    try:
        base_to = resolve(rel_to) if rel_to is not None else None
        base_base = resolve(rel_base) if rel_base is not None else None
    except OSError as e:
        ctx.error(f"{quotef(rel_to or rel_base or '')}: {strerror(e)}")
        return 1
    if base_to is None and base_base is not None:
        base_to = base_base
    status = 0
    for n in names:
        try:
            out = resolve(n)
        except OSError as e:
            if not quiet:
                ctx.error(f"{quotef(n)}: {strerror(e)}")
            status = 1
            continue
        if base_to is not None and (base_base is None or _under(out, base_base)):
            out = posixpath.relpath(out, base_to)
        _print(ctx, out, end)
    return status


def _under(path: str, base: str) -> bool:
    return base == "/" or path == base or path.startswith(base + "/")


@program("pwd")
def pwd_main(ctx: Context) -> int:
    try:
        opts, names = parse_options(ctx.argv[1:], "LP", {"logical": ("L", 0), "physical": ("P", 0)})
    except UsageError as e:
        return usage(ctx, str(e))
    logical = bool(opts) and opts[-1][0] == "L"
    if names:
        ctx.error("ignoring non-option arguments")
    if logical:
        pwd = ctx.os.environ.get("PWD", "")
        comps = pwd.split("/")
        if pwd.startswith("/") and "." not in comps and ".." not in comps:
            try:
                a, b = ctx.os.stat(pwd), ctx.os.stat(".")
                if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
                    _print(ctx, pwd, b"\n")
                    return 0
            except OSError:
                pass
    try:
        cwd = ctx.os.getcwd()
    except OSError as e:
        ctx.error(f"cannot determine current directory: {strerror(e)}")
        return 1
    _print(ctx, cwd, b"\n")
    return 0
