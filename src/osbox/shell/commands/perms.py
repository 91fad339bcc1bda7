"""``chmod``, ``chown`` and ``chgrp`` (GNU coreutils).

``chmod`` takes numeric and symbolic modes (also the ``chmod -w FILE`` form,
which warns when the umask kept a change from happening), ``-R``, ``-v``,
``-c``, ``-f``, ``--reference``. ``chown USER[:GROUP]``/``:GROUP``/``USER:``
and ``chgrp GROUP`` take names from the machine's ``/etc/passwd`` and
``/etc/group`` or numbers, ``-R`` (which acts on symlinks themselves and
does not follow them), ``-h``, ``-v``, ``-c``, ``-f``, ``--reference``.
"""

from __future__ import annotations

import stat as st
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._modes import adjust, compile_mode, mode_string
from ._names import Names
from ._options import UsageError, parse_options, usage
from ._quote import cquote, enc, quote, quotef

__all__ = ["chmod_main", "chown_main"]

_MODE_CHARS = set("rwxXstugoa,+-=01234567")


def _walk(
    ctx: Context,
    path: str,
    recursive: bool,
    visit: Callable[[str, Any, bool], bool],
    follow_top: bool = False,
    missing: Callable[[str], None] | None = None,
) -> bool:
    """Call ``visit(path, lstat, top)`` on ``path`` and, with ``recursive``,
    on everything below it (pre-order, symlinks not followed)."""
    ok = True
    try:
        s = ctx.os.lstat(path)
    except OSError as e:
        ctx.error(f"cannot access {quote(path)}: {strerror(e)}")
        if missing is not None:
            missing(path)
        return False
    ok = visit(path, s, True)
    if recursive and st.S_ISDIR(s.st_mode):
        ok = _descend(ctx, path, visit) and ok
    elif recursive and follow_top and st.S_ISLNK(s.st_mode) and ctx.os.path.isdir(path):
        ok = _descend(ctx, path, visit) and ok
    return ok


def _descend(ctx: Context, path: str, visit: Callable[[str, Any, bool], bool]) -> bool:
    ok = True
    try:
        names = ctx.os.listdir(path)
    except OSError as e:
        ctx.error(f"cannot read directory {quote(path)}: {strerror(e)}")
        return False
    base = path if path.endswith("/") else path + "/"
    for name in names:
        p = base + name
        try:
            s = ctx.os.lstat(p)
        except OSError as e:
            ctx.error(f"cannot access {quote(p)}: {strerror(e)}")
            ok = False
            continue
        ok = visit(p, s, False) and ok
        if st.S_ISDIR(s.st_mode):
            ok = _descend(ctx, p, visit) and ok
    return ok


def _mode_desc(mode: int) -> str:
    return f"{mode & 0o7777:04o} ({mode_string(mode)[1:]})"


@program("chmod")
def chmod_main(ctx: Context) -> int:
    args = ctx.argv[1:]
    mode_parts: list[str] = []
    rest: list[str] = []
    for i, a in enumerate(args):
        if a == "--":
            rest.extend(args[i:])
            break
        if a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            kept = "-"
            for j, c in enumerate(a[1:], start=1):
                if c in "cfvR":
                    kept += c
                elif c in _MODE_CHARS:
                    mode_parts.append(a)
                    break
                else:
                    kept += a[j:]
                    break
            if len(kept) > 1:
                rest.append(kept)
            continue
        rest.append(a)
    longs = {
        "recursive": ("R", 0),
        "changes": ("c", 0),
        "silent": ("f", 0),
        "quiet": ("f", 0),
        "verbose": ("v", 0),
        "reference": ("reference", 1),
        "preserve-root": ("preserve-root", 0),
        "no-preserve-root": ("no-preserve-root", 0),
    }
    try:
        opts, operands = parse_options(rest, "Rcfv", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = {k for k, _ in opts}
    recursive, quiet = "R" in keys, "f" in keys
    verbose = "v" in keys
    changes_only = "c" in keys and not verbose
    reference = next((v for k, v in reversed(opts) if k == "reference"), None)
    diagnose = bool(mode_parts)
    vos = ctx.os
    ref_mode: int | None = None
    if reference is not None:
        try:
            ref_mode = st.S_IMODE(vos.stat(reference).st_mode)
        except OSError as e:
            ctx.error(f"failed to get attributes of {quote(reference)}: {strerror(e)}")
            return 1
    elif not mode_parts:
        if not operands:
            return usage(ctx, "missing operand")
        mode_parts = [operands.pop(0)]
    if not operands:
        if mode_parts and reference is None:
            return usage(ctx, f"missing operand after {cquote(','.join(mode_parts))}")
        return usage(ctx, "missing operand")
    spec = ",".join(mode_parts)
    changes = compile_mode(spec) if ref_mode is None else compile_mode(f"{ref_mode:o}")
    if changes is None:
        return usage(ctx, f"invalid mode: {cquote(spec)}")
    umask = vos.umask(0)
    vos.umask(umask)
    out = ctx.stdout

    def visit(path: str, s: Any, top: bool) -> bool:
        if st.S_ISLNK(s.st_mode):
            if not top:
                if verbose:
                    out.write(
                        enc(f"neither symbolic link {quote(path)} nor referent has been changed\n")
                    )
                return True
            try:
                s = vos.stat(path)
            except OSError:
                if not quiet:
                    ctx.error(f"cannot operate on dangling symlink {quote(path)}")
                return False
        old = s.st_mode
        is_dir = st.S_ISDIR(old)
        new = adjust(old, is_dir, umask, changes)
        full_new = (old & ~0o7777) | new
        ok = True
        if new != old & 0o7777:
            try:
                vos.chmod(path, new)
            except OSError as e:
                if not quiet:
                    ctx.error(f"changing permissions of {quote(path)}: {strerror(e)}")
                if verbose:
                    out.write(
                        enc(
                            f"failed to change mode of {quote(path)} from {_mode_desc(old)}"
                            f" to {_mode_desc(full_new)}\n"
                        )
                    )
                return False
            if verbose or changes_only:
                out.write(
                    enc(
                        f"mode of {quote(path)} changed from {_mode_desc(old)}"
                        f" to {_mode_desc(full_new)}\n"
                    )
                )
        elif verbose:
            out.write(enc(f"mode of {quote(path)} retained as {_mode_desc(old)}\n"))
        if diagnose:
            naive = adjust(old, is_dir, 0, changes)
            if new & ~naive:
                ctx.error(
                    f"{quotef(path)}: new permissions are {mode_string(full_new)[1:]},"
                    f" not {mode_string((old & ~0o7777) | naive)[1:]}"
                )
                ok = False
        return ok

    def not_found(path: str) -> None:
        if verbose:
            out.write(enc(f"{quote(path)} could not be accessed\n"))

    status = 0
    for path in operands:
        if not _walk(ctx, path, recursive, visit, True, not_found):
            status = 1
    return status


def _owner_spec(names: Names, spec: str) -> tuple[int, int, str | None]:
    """(uid, gid, error message) for ``USER[:GROUP]``; -1 leaves one alone."""
    user, colon, group = spec.partition(":")
    uid = gid = -1
    if user:
        found = names.user(user)
        if found is not None:
            uid = found[0]
            if colon and not group:
                gid = found[1]
        elif user.isdigit():
            uid = int(user)
            if colon and not group:
                return -1, -1, f"invalid spec: {cquote(spec)}"
        else:
            return -1, -1, f"invalid user: {cquote(spec)}"
    if group:
        g = names.group(group)
        if g is not None:
            gid = g
        elif group.isdigit():
            gid = int(group)
        else:
            return -1, -1, f"invalid group: {cquote(spec)}"
    return uid, gid, None


def _owner_main(ctx: Context, is_chgrp: bool) -> int:
    longs = {
        "recursive": ("R", 0),
        "changes": ("c", 0),
        "silent": ("f", 0),
        "quiet": ("f", 0),
        "verbose": ("v", 0),
        "no-dereference": ("h", 0),
        "dereference": ("dereference", 0),
        "reference": ("reference", 1),
        "from": ("from", 1),
        "preserve-root": ("preserve-root", 0),
        "no-preserve-root": ("no-preserve-root", 0),
    }
    try:
        opts, operands = parse_options(ctx.argv[1:], "RcfvhHLP", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = {k for k, _ in opts}
    recursive, quiet, verbose = "R" in keys, "f" in keys, "v" in keys
    changes_only = "c" in keys and not verbose
    no_deref = "h" in keys or (recursive and "dereference" not in keys)
    reference = next((v for k, v in reversed(opts) if k == "reference"), None)
    vos = ctx.os
    names = Names(vos)
    if reference is not None:
        try:
            r = vos.stat(reference)
        except OSError as e:
            ctx.error(f"failed to get attributes of {quote(reference)}: {strerror(e)}")
            return 1
        uid, gid = (-1 if is_chgrp else r.st_uid), r.st_gid
        user_str = "" if is_chgrp else (names.user_name(uid) or str(uid))
        group_str = names.group_name(gid) or str(gid)
    else:
        if not operands:
            return usage(ctx, "missing operand")
        spec = operands.pop(0)
        if not operands:
            return usage(ctx, f"missing operand after {cquote(spec)}")
        if is_chgrp:
            g = names.group(spec)
            if g is None and not spec.isdigit():
                ctx.error(f"invalid group: {cquote(spec)}")
                return 1
            uid, gid = -1, (g if g is not None else int(spec))
            user_str, group_str = "", spec
        else:
            user_str, colon, group_str = spec.partition(":")
            uid, gid, err = _owner_spec(names, spec)
            if err:
                ctx.error(err)
                return 1
            if colon and not group_str and user_str:
                group_str = names.group_name(gid) or str(gid)
    if not operands:
        return usage(ctx, "missing operand")
    out = ctx.stdout

    what = "group" if is_chgrp else "ownership"
    if is_chgrp:
        new_s = group_str
    elif not group_str:
        new_s = user_str
    else:
        new_s = f"{user_str}:{group_str}"

    def show_old(s: Any) -> str:
        gname = names.group_name(s.st_gid) or str(s.st_gid)
        if is_chgrp:
            return gname
        uname = names.user_name(s.st_uid) or str(s.st_uid)
        return uname if not group_str else f"{uname}:{gname}"

    def not_found(path: str) -> None:
        if verbose:
            out.write(enc(f"failed to change {what} of {quote(path)} to {new_s}\n"))

    def visit(path: str, s: Any, top: bool) -> bool:
        follow = not no_deref and st.S_ISLNK(s.st_mode)
        if follow:
            try:
                s = vos.stat(path)
            except OSError as e:
                if not quiet:
                    ctx.error(f"cannot dereference {quote(path)}: {strerror(e)}")
                return False
        nu = s.st_uid if uid == -1 else uid
        ng = s.st_gid if gid == -1 else gid
        old_s = show_old(s)
        try:
            vos.chown(path, uid, gid, follow_symlinks=not no_deref)
        except OSError as e:
            if not quiet:
                verb = "changing group of" if what == "group" else "changing ownership of"
                ctx.error(f"{verb} {quote(path)}: {strerror(e)}")
            if verbose:
                out.write(
                    enc(f"failed to change {what} of {quote(path)} from {old_s} to {new_s}\n")
                )
            return False
        if (nu, ng) != (s.st_uid, s.st_gid):
            if verbose or changes_only:
                out.write(enc(f"changed {what} of {quote(path)} from {old_s} to {new_s}\n"))
        elif verbose:
            out.write(enc(f"{what} of {quote(path)} retained as {new_s}\n"))
        return True

    status = 0
    for path in operands:
        if not _walk(ctx, path, recursive, visit, False, not_found):
            status = 1
    return status


@program("chown")
def chown_main(ctx: Context) -> int:
    return _owner_main(ctx, False)


@program("chgrp")
def chgrp_main(ctx: Context) -> int:
    return _owner_main(ctx, True)
