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
from ._gnu import UsageError, parse_args, quote, usage_error


def _table(ctx: Context, path: str) -> list[list[str]]:
    try:
        with ctx.os.open_file(path, "rb") as f:
            data: bytes = f.read()
    except OSError:
        return []
    rows = []
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split(":"))
    return rows


class _Db:
    """The passwd and group tables of the machine."""

    def __init__(self, ctx: Context) -> None:
        self.users = [r for r in _table(ctx, "/etc/passwd") if len(r) >= 7 and r[2].isdigit()]
        self.groups = [r for r in _table(ctx, "/etc/group") if len(r) >= 4 and r[2].isdigit()]

    def user_name(self, uid: int) -> str | None:
        return next((r[0] for r in self.users if int(r[2]) == uid), None)

    def group_name(self, gid: int) -> str | None:
        return next((r[0] for r in self.groups if int(r[2]) == gid), None)

    def user(self, name: str) -> list[str] | None:
        found = next((r for r in self.users if r[0] == name), None)
        if found is None and name.isdigit():
            found = next((r for r in self.users if int(r[2]) == int(name)), None)
        return found

    def member_of(self, name: str, gid: int) -> list[int]:
        out = [gid]
        for r in self.groups:
            if name in r[3].split(",") and int(r[2]) not in out:
                out.append(int(r[2]))
        return out


_ID_LONGS = {
    "user": ("u", "none"),
    "group": ("g", "none"),
    "groups": ("G", "none"),
    "name": ("n", "none"),
    "real": ("r", "none"),
    "zero": ("z", "none"),
    "context": ("Z", "none"),
}


@program("id")
def id_main(ctx: Context) -> int:
    """id [OPTION]... [USER]..."""
    try:
        opts, operands = parse_args(ctx.argv[1:], "agGnruzZ", _ID_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    flags = {k for k, _ in opts}
    db = _Db(ctx)
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
            row = db.user(target)
            if row is None:
                ctx.error(f"{quote(target)}: no such user")
                status = 1
                continue
            ruid = euid = int(row[2])
            rgid = egid = int(row[3])
            groups = db.member_of(row[0], rgid)
        status |= _print_id(ctx, db, flags, choices, ruid, euid, rgid, egid, groups)
    return status


def _print_id(
    ctx: Context,
    db: _Db,
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


def _default(db: _Db, ruid: int, euid: int, rgid: int, egid: int, groups: list[int]) -> str:
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
        _opts, operands = parse_args(ctx.argv[1:], "", {})
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if operands:
        raise usage_error(ctx, f"extra operand {quote(operands[0])}", 1)
    uid = ctx.os.geteuid()
    name = _Db(ctx).user_name(uid)
    if name is None:
        ctx.error(f"cannot find name for user ID {uid}")
        return 1
    ctx.stdout.write(name.encode("utf-8", "surrogateescape") + b"\n")
    return 0


@program("hostname")
def hostname_main(ctx: Context) -> int:
    """hostname [-s|-f]: print the machine's node name."""
    try:
        opts, operands = parse_args(
            ctx.argv[1:],
            "sfA",
            {"short": ("s", "none"), "fqdn": ("f", "none"), "long": ("f", "none")},
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
    "all": ("a", "none"),
    "kernel-name": ("s", "none"),
    "nodename": ("n", "none"),
    "kernel-release": ("r", "none"),
    "kernel-version": ("v", "none"),
    "machine": ("m", "none"),
    "processor": ("p", "none"),
    "hardware-platform": ("i", "none"),
    "operating-system": ("o", "none"),
}


@program("uname")
def uname_main(ctx: Context) -> int:
    """uname [OPTION]..."""
    try:
        opts, operands = parse_args(ctx.argv[1:], "asnrvmpio", _UNAME_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if operands:
        raise usage_error(ctx, f"extra operand {quote(operands[0])}", 1)
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
