"""``touch`` (GNU coreutils): ``-a``, ``-m``, ``-c``, ``-h``, ``-r FILE``,
``-t [[CC]YY]MMDDhhmm[.ss]`` and ``-d DATE``.

``-d`` understands the common forms of GNU's date parser: ``@SECONDS``,
``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS[.frac]]`` (or ``T``), an optional
``Z``/``UTC``/``+HHMM`` zone, ``now``, ``today``, ``yesterday``,
``tomorrow`` and ``N unit(s) ago``. The machine's time zone is UTC.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import cquote, quote

__all__ = ["parse_date", "parse_stamp"]

_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_UNITS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "fortnight": 1209600,
}


def parse_date(text: str, now: int) -> int | None:
    """Nanoseconds since the epoch for a ``-d`` string, or None."""
    s = text.strip()
    low = s.lower()
    if s.startswith("@"):
        m = re.fullmatch(r"@([+-]?\d+)(?:[.,](\d+))?", s)
        if not m:
            return None
        frac = int((m.group(2) or "0")[:9].ljust(9, "0"))
        sec = int(m.group(1))
        return sec * 10**9 + (-frac if sec < 0 else frac)
    rel = {"now": 0, "today": 0, "yesterday": -86400, "tomorrow": 86400, "": 0}
    if low in rel:
        return now + rel[low] * 10**9
    m = re.fullmatch(r"([+-]?\d+)\s+([a-z]+?)s?(\s+ago)?", low)
    if m and m.group(2) in _UNITS:
        n = int(m.group(1)) * _UNITS[m.group(2)] * (-1 if m.group(3) else 1)
        return now + n * 10**9
    m = _DATE.match(s)
    if not m:
        return None
    g: list[str] = [x or "" for x in m.groups()]
    y, mo, d, hh, mm, ss = (int(x or 0) for x in g[:6])
    frac_s, zone = g[6], g[7]
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]):
        return None
    if hh > 23 or mm > 59 or ss > 60:
        return None
    sec = calendar.timegm((y, mo, d, hh, mm, ss))
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        off = int(digits[:2]) * 3600 + int(digits[2:]) * 60
        sec -= off if zone[0] == "+" else -off
    return sec * 10**9 + int((frac_s or "0")[:9].ljust(9, "0"))


def parse_stamp(text: str, now: int) -> int | None:
    """Nanoseconds for a ``-t [[CC]YY]MMDDhhmm[.ss]`` stamp, or None."""
    m = re.fullmatch(r"(\d{8}|\d{10}|\d{12})(?:\.(\d{2}))?", text)
    if not m:
        return None
    digits, ss = m.group(1), int(m.group(2) or 0)
    if len(digits) == 12:
        year = int(digits[:4])
        digits = digits[4:]
    elif len(digits) == 10:
        yy = int(digits[:2])
        year = (1900 if yy >= 69 else 2000) + yy
        digits = digits[2:]
    else:
        import time

        year = time.gmtime(now // 10**9).tm_year
    mo, d, hh, mm = (int(digits[i : i + 2]) for i in range(0, 8, 2))
    if not (1 <= mo <= 12) or not (1 <= d <= calendar.monthrange(year, mo)[1]):
        return None
    if hh > 23 or mm > 59 or ss > 60:
        return None
    return calendar.timegm((year, mo, d, hh, mm, ss)) * 10**9


_LONGS = {
    "no-create": ("c", 0),
    "date": ("d", 1),
    "reference": ("r", 1),
    "no-dereference": ("h", 0),
    "time": ("time", 1),
}


@program("touch")
def main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "acd:fhmr:t:", _LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    vos = ctx.os
    now = time.time_ns()
    do_a = do_m = False
    no_create = no_deref = False
    times: tuple[int, int] | None = None
    for k, v in opts:
        assert v is not None or k not in "dtr"
        if k == "a":
            do_a = True
        elif k == "m":
            do_m = True
        elif k == "c":
            no_create = True
        elif k == "h":
            no_deref = no_create = True
        elif k == "time":
            if v in ("atime", "access", "use"):
                do_a = True
            elif v in ("mtime", "modify"):
                do_m = True
        elif k == "d":
            t = parse_date(v or "", now)
            if t is None:
                ctx.error(f"invalid date format {cquote(v or '')}")
                return 1
            times = (t, t)
        elif k == "t":
            t = parse_stamp(v or "", now)
            if t is None:
                ctx.error(f"invalid date format {cquote(v or '')}")
                return 1
            times = (t, t)
        elif k == "r":
            try:
                r = vos.stat(v, follow_symlinks=not no_deref)
            except OSError as e:
                ctx.error(f"failed to get attributes of {quote(v or '')}: {strerror(e)}")
                return 1
            times = (r.st_atime_ns, r.st_mtime_ns)
    if not operands:
        return usage(ctx, "missing file operand")
    if not do_a and not do_m:
        do_a = do_m = True
    status = 0
    for path in operands:
        if path == "-":
            continue
        if not _touch(ctx, vos, path, times, do_a, do_m, no_create, no_deref):
            status = 1
    return status


def _touch(
    ctx: Context,
    vos: Any,
    path: str,
    times: tuple[int, int] | None,
    do_a: bool,
    do_m: bool,
    no_create: bool,
    no_deref: bool,
) -> bool:
    created = False
    if not no_create:
        try:
            fd = vos.open(path, vos.O_WRONLY | vos.O_CREAT | vos.O_NONBLOCK | vos.O_NOCTTY, 0o666)
            vos.close(fd)
            created = True
        except OSError as e:
            if not vos.path.isdir(path):
                ctx.error(f"cannot touch {quote(path)}: {strerror(e)}")
                return False
    try:
        if times is None and do_a and do_m:
            vos.utime(path, None, follow_symlinks=not no_deref)
            return True
        cur = vos.stat(path, follow_symlinks=not no_deref)
        new = times or (time.time_ns(), time.time_ns())
        at = new[0] if do_a else cur.st_atime_ns
        mt = new[1] if do_m else cur.st_mtime_ns
        vos.utime(path, ns=(at, mt), follow_symlinks=not no_deref)
    except FileNotFoundError:
        if no_create and not created:
            return True
        ctx.error(f"setting times of {quote(path)}: No such file or directory")
        return False
    except OSError as e:
        ctx.error(f"setting times of {quote(path)}: {strerror(e)}")
        return False
    return True
