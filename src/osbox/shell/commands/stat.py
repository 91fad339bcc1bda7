"""``stat`` (GNU coreutils 9): the default report, ``-c FORMAT``,
``--printf FORMAT``, ``-t`` (terse) and ``-L``.

Directives: %n %N %s %a %A %u %g %U %G %F %h %i %Y %X %Z %W %x %y %z %w %b
%B %o %d %D %t %T %Hd %Ld %Hr %Lr %m %f, with printf flags, width and
precision (``%.3Y`` gives fractional seconds). Times are shown in UTC, the
machine's zone; the machine records no birth time (``-``/``0``).
"""

from __future__ import annotations

import re
import stat as st
import time
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._modes import file_type, mode_string
from ._names import Names
from ._options import UsageError, parse_options, usage
from ._quote import enc, quote

__all__ = ["format_stat"]

_DIRECTIVE = re.compile(r"%([-#+ 0']*)(\d*)(?:\.(\d*))?([HL]?)(.)", re.S)

_DEFAULT = (
    "  File: %N\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %h\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n"
)
_DEFAULT_DEV = _DEFAULT.replace("Links: %h\n", "Links: %-5h Device type: %Hr,%Lr\n")
_TERSE = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n"
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "r": "\r",
    "v": "\v",
    '"': '"',
}


def _human_time(ns: int) -> str:
    t = time.gmtime(ns // 10**9)
    return time.strftime("%Y-%m-%d %H:%M:%S", t) + f".{ns % 10**9:09d} +0000"


def _seconds(ns: int, prec: str | None) -> str:
    sec, frac = divmod(ns, 10**9)
    if prec is None:
        return str(sec)
    digits = int(prec) if prec else 9
    if digits == 0:
        return str(sec)
    return f"{sec}.{f'{frac:09d}'[:digits].ljust(digits, '0')}"


def _apply(flags: str, width: str, prec: str | None, value: str | int, base: str = "d") -> str:
    w = int(width) if width else 0
    if isinstance(value, int):
        digits = format(abs(value), base)
        if base == "o" and "#" in flags and digits != "0":
            digits = "0" + digits
        sign = "-" if value < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
        if "-" in flags:
            return (sign + digits).ljust(w)
        if "0" in flags:
            return sign + digits.zfill(w - len(sign))
        return (sign + digits).rjust(w)
    if prec is not None:
        value = value[: int(prec or 0)]
    return value.ljust(w) if "-" in flags else value.rjust(w)


class _Stat:
    def __init__(self, ctx: Context, name: str, s: Any, names: Names) -> None:
        self.ctx = ctx
        self.name = name
        self.s = s
        self.names = names

    def value(self, conv: str, mod: str, flags: str, prec: str | None) -> str | int | None:
        s = self.s
        vos = self.ctx.os
        if conv == "n":
            return self.name
        if conv == "N":
            text = quote(self.name)
            if st.S_ISLNK(s.st_mode):
                try:
                    text += " -> " + quote(vos.readlink(self.name))
                except OSError:
                    pass
            return text
        if conv == "s":
            return int(s.st_size)
        if conv == "a":
            return int(st.S_IMODE(s.st_mode))
        if conv == "A":
            return mode_string(s.st_mode)
        if conv == "f":
            return f"{s.st_mode:x}"
        if conv in "ug":
            return int(s.st_uid if conv == "u" else s.st_gid)
        if conv == "U":
            return self.names.user_name(s.st_uid) or "UNKNOWN"
        if conv == "G":
            return self.names.group_name(s.st_gid) or "UNKNOWN"
        if conv == "F":
            return file_type(s.st_mode, s.st_size)
        if conv == "h":
            return int(s.st_nlink)
        if conv == "i":
            return int(s.st_ino)
        if conv in "XYZ":
            attr = {"X": "st_atime_ns", "Y": "st_mtime_ns", "Z": "st_ctime_ns"}[conv]
            return _seconds(getattr(s, attr), prec)
        if conv in "xyz":
            attr = {"x": "st_atime_ns", "y": "st_mtime_ns", "z": "st_ctime_ns"}[conv]
            return _human_time(getattr(s, attr))
        if conv == "w":
            return "-"
        if conv == "W":
            return "0"
        if conv == "b":
            return int(s.st_blocks)
        if conv == "B":
            return 512
        if conv == "o":
            return int(s.st_blksize)
        if conv == "d":
            if mod:
                return int(vos.major(s.st_dev) if mod == "H" else vos.minor(s.st_dev))
            return int(s.st_dev)
        if conv == "D":
            return f"{s.st_dev:x}"
        if conv == "r" and mod:
            return int(vos.major(s.st_rdev) if mod == "H" else vos.minor(s.st_rdev))
        if conv in "tT":
            dev = vos.major(s.st_rdev) if conv == "t" else vos.minor(s.st_rdev)
            return f"{dev:x}"
        if conv == "m":
            return "/"
        return None

    def render(self, fmt: str) -> str:
        out: list[str] = []
        pos = 0
        while True:
            i = fmt.find("%", pos)
            if i < 0:
                out.append(fmt[pos:])
                break
            out.append(fmt[pos:i])
            m = _DIRECTIVE.match(fmt, i)
            if not m:
                out.append(fmt[i:])
                break
            flags, width, prec, mod, conv = m.groups()
            pos = m.end()
            if conv == "%":
                out.append("%")
                continue
            val = self.value(conv, mod, flags, prec)
            if val is None:
                out.append(m.group(0))
                continue
            if conv in "XYZ":
                out.append(_apply(flags, width, None, val))
            else:
                out.append(_apply(flags, width, prec, val, "o" if conv == "a" else "d"))
        return "".join(out)


def format_stat(ctx: Context, name: str, s: Any, fmt: str) -> str:
    """``fmt`` expanded for file ``name`` with stat result ``s``."""
    return _Stat(ctx, name, s, Names(ctx.os)).render(fmt)


def _unescape(fmt: str) -> str:
    def sub(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in _ESCAPES:
            return _ESCAPES[c]
        if c[0] in "01234567":
            return chr(int(c, 8) & 0xFF)
        if c[0] == "x":
            return chr(int(c[1:], 16))
        return "\\" + c

    return re.sub(r"\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)", sub, fmt)


@program("stat")
def main(ctx: Context) -> int:
    longs = {
        "dereference": ("L", 0),
        "format": ("c", 1),
        "printf": ("printf", 1),
        "terse": ("t", 0),
        "file-system": ("f", 0),
    }
    try:
        opts, operands = parse_options(ctx.argv[1:], "Lc:tf", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    if not operands:
        return usage(ctx, "missing operand")
    follow = any(k == "L" for k, _ in opts)
    fmt: str | None = None
    for k, v in opts:
        if k == "c":
            fmt = (v or "") + "\n"
        elif k == "printf":
            fmt = _unescape(v or "")
        elif k == "t":
            fmt = _TERSE
    names = Names(ctx.os)
    status = 0
    for name in operands:
        try:
            s = ctx.os.stat(name) if follow else ctx.os.lstat(name)
        except OSError as e:
            ctx.error(f"cannot statx {quote(name)}: {strerror(e)}")
            status = 1
            continue
        f = fmt
        if f is None:
            f = _DEFAULT_DEV if (st.S_ISCHR(s.st_mode) or st.S_ISBLK(s.st_mode)) else _DEFAULT
            shown = name
            if st.S_ISLNK(s.st_mode):
                try:
                    shown += " -> " + ctx.os.readlink(name)
                except OSError:
                    pass
            f = f.replace("%N", shown.replace("%", "%%"))
        ctx.stdout.write(enc(_Stat(ctx, name, s, names).render(f)))
    return status
