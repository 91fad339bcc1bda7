"""``id``, ``whoami``, ``hostname`` and ``uname`` (GNU coreutils 9.1; hostname
as net-tools prints it without options).

User and group names come from the machine's /etc/passwd and /etc/group,
read through ``ctx.os``. id: default ``uid=0(root) gid=0(root)
groups=0(root)`` (``euid=``/``egid=`` when they differ), ``-u -g -G`` with
``-n``, ``-r``, ``-z`` and an optional user operand. uname: ``-s -n -r -v -m
-p -i -o -a``; ``-p`` and ``-i`` print ``unknown``, which ``-a`` omits.
"""

from __future__ import annotations

from ..context import Context
from ..registry import program
from ._names import Names
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote


def _lookup(db: Names, target: str) -> tuple[str, int, int] | None:
    """``(name, uid, gid)`` of a user operand: a login name, else a uid."""
    found = db.user(target)
    if found is not None:
        return target, found[0], found[1]
    if target.isdigit():
        return next(((n, u, g) for n, u, g in db.users() if u == int(target)), None)
    return None


_ID_LONGS = {
    "user": ("u", 0),
    "group": ("g", 0),
    "groups": ("G", 0),
    "name": ("n", 0),
    "real": ("r", 0),
    "zero": ("z", 0),
    "context": ("Z", 0),
}


@program("id")
def id_main(ctx: Context) -> int:
    """id [OPTION]... [USER]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "agGnruzZ", _ID_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    flags = {k for k, _ in opts}
    db = Names(ctx.os)
    choices = flags & {"u", "g", "G"}
    if len(choices) > 1:
        ctx.error('cannot print "only" of more than one choice')
        return 1
    if not choices and flags & {"n", "r"}:
        ctx.error("cannot print only names or real IDs in default format")
        return 1
    if not choices and "z" in flags:
        ctx.error("option --zero not permitted in default format")
        return 1
    status = 0
    targets: list[str | None] = [*operands] or [None]
    for target in targets:
        if target is None:
            ruid, euid = ctx.os.getuid(), ctx.os.geteuid()
            rgid, egid = ctx.os.getgid(), ctx.os.getegid()
            groups = [egid] + [g for g in ctx.os.getgroups() if g != egid]
        else:
            row = _lookup(db, target)
            if row is None:
                ctx.error(f"{cquote(target)}: no such user")
                status = 1
                continue
            ruid = euid = row[1]
            rgid = egid = row[2]
            groups = db.group_list(row[0], rgid)
        status |= _print_id(ctx, db, flags, choices, ruid, euid, rgid, egid, groups)
    return status


def _print_id(
    ctx: Context,
    db: Names,
    flags: set[str],
    choices: set[str],
    ruid: int,
    euid: int,
    rgid: int,
    egid: int,
    groups: list[int],
) -> int:
    out = ctx.stdout
    names = "n" in flags
    real = "r" in flags
    status = 0

    def show(num: int, name: str | None, kind: str) -> str:
        nonlocal status
        if not names:
            return str(num)
        if name is None:
            ctx.error(f"cannot find name for {kind} ID {num}")
            status = 1
            return str(num)
        return name

    end = "\0" if "z" in flags else "\n"
    if "u" in choices:
        uid = ruid if real else euid
        text = show(uid, db.user_name(uid), "user") + end
    elif "g" in choices:
        gid = rgid if real else egid
        text = show(gid, db.group_name(gid), "group") + end
    elif "G" in choices:
        gids = groups if not real or rgid == egid else [rgid] + [g for g in groups if g != rgid]
        sep = "\0" if "z" in flags else " "
        text = sep.join(show(g, db.group_name(g), "group") for g in gids) + end
    else:
        text = _default(db, ruid, euid, rgid, egid, groups) + "\n"
    out.write(text.encode("utf-8", "surrogateescape"))
    return status


def _named(num: int, name: str | None) -> str:
    return f"{num}({name})" if name is not None else str(num)


def _default(db: Names, ruid: int, euid: int, rgid: int, egid: int, groups: list[int]) -> str:
    parts = [f"uid={_named(ruid, db.user_name(ruid))}", f"gid={_named(rgid, db.group_name(rgid))}"]
    if euid != ruid:
        parts.append(f"euid={_named(euid, db.user_name(euid))}")
    if egid != rgid:
        parts.append(f"egid={_named(egid, db.group_name(egid))}")
    text = " ".join(parts)
    if groups:
        text += " groups=" + ",".join(_named(g, db.group_name(g)) for g in groups)
    return text


@program("whoami")
def whoami_main(ctx: Context) -> int:
    """whoami"""
    try:
        _opts, operands = parse_options(ctx.argv[1:], "", {})
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if operands:
        raise usage_error(ctx, f"extra operand {cquote(operands[0])}", 1)
    uid = ctx.os.geteuid()
    name = Names(ctx.os).user_name(uid)
    if name is None:
        ctx.error(f"cannot find name for user ID {uid}")
        return 1
    ctx.stdout.write(name.encode("utf-8", "surrogateescape") + b"\n")
    return 0


@program("hostname")
def hostname_main(ctx: Context) -> int:
    """hostname [-s|-f]: print the machine's node name."""
    try:
        opts, operands = parse_options(
            ctx.argv[1:],
            "sfA",
            {"short": ("s", 0), "fqdn": ("f", 0), "long": ("f", 0)},
        )
    except UsageError as e:
        ctx.error(str(e))
        return 64
    if operands:
        ctx.error("you must be root to change the host name")
        return 1
    name: str = ctx.os.uname().nodename
    if any(k == "s" for k, _ in opts):
        name = name.split(".")[0]
    ctx.stdout.write(name.encode("utf-8", "surrogateescape") + b"\n")
    return 0


_UNAME_LONGS = {
    "all": ("a", 0),
    "kernel-name": ("s", 0),
    "nodename": ("n", 0),
    "kernel-release": ("r", 0),
    "kernel-version": ("v", 0),
    "machine": ("m", 0),
    "processor": ("p", 0),
    "hardware-platform": ("i", 0),
    "operating-system": ("o", 0),
}


@program("uname")
def uname_main(ctx: Context) -> int:
    """uname [OPTION]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "asnrvmpio", _UNAME_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if operands:
        raise usage_error(ctx, f"extra operand {cquote(operands[0])}", 1)
    flags = {k for k, _ in opts}
    u = ctx.os.uname()
    everything = "a" in flags
    if not flags:
        flags = {"s"}
    fields = [
        ("s", u.sysname),
        ("n", u.nodename),
        ("r", u.release),
        ("v", u.version),
        ("m", u.machine),
        ("p", "unknown"),
        ("i", "unknown"),
        ("o", "GNU/Linux"),
    ]
    shown = [
        value for key, value in fields if key in flags or (everything and key not in ("p", "i"))
    ]
    ctx.stdout.write(" ".join(shown).encode("utf-8", "surrogateescape") + b"\n")
    return 0
