"""``date``, as GNU coreutils 9.1 in the C locale.

Prints the time (default format ``%a %b %e %H:%M:%S %Z %Y``) or ``+FORMAT``
through a strftime with GNU's extensions (``%N``, ``%s``, ``%:z``, ``%::z``,
``%P``, the ``-``, ``_``, ``0``, ``^``, ``#`` flags and widths). Time zones:
``TZ`` from the process environment as a fixed POSIX offset (``UTC0``,
``EST5``, ``<+03>-3``, ``JST-9``; daylight rules are ignored), unset means
UTC; ``-u`` forces UTC. ``-d`` takes ``@SECONDS``, ``now``, ``today``,
``yesterday``, ``tomorrow``, ISO dates and times (``2024-01-02``,
``2024-01-02 03:04[:05[.frac]]``, ``T`` and a ``Z`` or ``+hh:mm`` zone), and
``N unit [ago]``; ``-r FILE`` uses its modification time; ``-I[SPEC]`` and
``-R`` print ISO 8601 and RFC 5322 forms. Setting the clock is not supported.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote

_LONGS = {
    "date": ("d", 1),
    "reference": ("r", 1),
    "utc": ("u", 0),
    "universal": ("u", 0),
    "iso-8601": ("I", 2),
    "rfc-email": ("R", 0),
    "rfc-3339": ("rfc3339", 1),
    "set": ("s", 1),
}
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_UNITS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "fortnight": 1209600,
}


class _Zone:
    def __init__(self, name: str, offset: int) -> None:
        self.name = name
        self.offset = offset  # seconds east of UTC


def _zone_from_tz(tz: str | None) -> _Zone:
    """A fixed zone from a POSIX ``TZ`` value (std name and offset only)."""
    if not tz:
        return _Zone("UTC", 0)
    tz = tz.lstrip(":")
    m = re.match(
        r"(?:<([^>]*)>|([A-Za-z]+))(?:([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?)?", tz
    )
    if m is None:
        return _Zone("UTC", 0)
    name = m.group(1) if m.group(1) is not None else m.group(2)
    if m.group(4) is None:
        return _Zone(name, 0)
    west = int(m.group(4)) * 3600 + int(m.group(5) or 0) * 60 + int(m.group(6) or 0)
    return _Zone(name, west if m.group(3) == "-" else -west)


def _pad(value: int, width: int, flag: str, default: str) -> str:
    s = str(abs(value))
    fill = {"-": "", "_": " ", "0": "0"}.get(flag, default)
    if fill:
        s = s.rjust(width, fill)
    if value < 0:
        s = "-" + s
    return s


def _offset(off: int, colons: int) -> str:
    sign = "-" if off < 0 else "+"
    off = abs(off)
    h, m, s = off // 3600, off // 60 % 60, off % 60
    if colons == 0:
        return f"{sign}{h:02d}{m:02d}"
    if colons == 1:
        return f"{sign}{h:02d}:{m:02d}"
    return f"{sign}{h:02d}:{m:02d}:{s:02d}"


_DIRECTIVE = re.compile(r"%([-_0^#]*)(\d*)(:{0,3})([a-zA-Z%+])")


def strftime(fmt: str, secs: int, nsec: int, zone: _Zone) -> str:
    """Format the instant ``secs.nsec`` in ``zone`` as GNU ``date +FMT``."""
    dt = datetime(1970, 1, 1) + timedelta(seconds=secs + zone.offset)
    iso = dt.isocalendar()
    yday = dt.timetuple().tm_yday

    def conv(m: re.Match[str]) -> str:
        flags, width_s, colons, c = m.groups()
        width = int(width_s) if width_s else 0
        flag = next((f for f in flags if f in "-_0"), "")
        upper = "^" in flags
        swap = "#" in flags
        num: tuple[int, int, str] | None = None  # value, natural width, default fill
        text: str | None = None
        if c == "a":
            text = _DAYS[dt.weekday()][:3]
        elif c == "A":
            text = _DAYS[dt.weekday()]
        elif c in "bh":
            text = _MONTHS[dt.month - 1][:3]
        elif c == "B":
            text = _MONTHS[dt.month - 1]
        elif c == "c":
            text = strftime("%a %b %e %H:%M:%S %Y", secs, nsec, zone)
        elif c == "C":
            num = (dt.year // 100, 2, "0")
        elif c == "d":
            num = (dt.day, 2, "0")
        elif c == "D":
            text = strftime("%m/%d/%y", secs, nsec, zone)
        elif c == "e":
            num = (dt.day, 2, " ")
        elif c == "F":
            text = strftime("%Y-%m-%d", secs, nsec, zone)
        elif c == "g":
            num = (iso[0] % 100, 2, "0")
        elif c == "G":
            num = (iso[0], 1, "0")
        elif c == "H":
            num = (dt.hour, 2, "0")
        elif c == "I":
            num = ((dt.hour + 11) % 12 + 1, 2, "0")
        elif c == "j":
            num = (yday, 3, "0")
        elif c == "k":
            num = (dt.hour, 2, " ")
        elif c == "l":
            num = ((dt.hour + 11) % 12 + 1, 2, " ")
        elif c == "m":
            num = (dt.month, 2, "0")
        elif c == "M":
            num = (dt.minute, 2, "0")
        elif c == "n":
            text = "\n"
        elif c == "N":
            digits = f"{nsec:09d}"
            text = digits[:width] if width and width < 9 else digits.rjust(width, "0")
            width = 0
        elif c == "p":
            text = "AM" if dt.hour < 12 else "PM"
            if swap:
                text, swap = text.lower(), False
        elif c == "P":
            text = "am" if dt.hour < 12 else "pm"
        elif c == "q":
            num = ((dt.month - 1) // 3 + 1, 1, "0")
        elif c == "r":
            text = strftime("%I:%M:%S %p", secs, nsec, zone)
        elif c == "R":
            text = strftime("%H:%M", secs, nsec, zone)
        elif c == "s":
            num = (secs, 1, "0")
        elif c == "S":
            num = (dt.second, 2, "0")
        elif c == "t":
            text = "\t"
        elif c == "T":
            text = strftime("%H:%M:%S", secs, nsec, zone)
        elif c == "u":
            num = (dt.isoweekday(), 1, "0")
        elif c == "U":
            num = ((yday - 1 + 7 - (dt.weekday() + 1) % 7) // 7, 2, "0")
        elif c == "V":
            num = (iso[1], 2, "0")
        elif c == "w":
            num = ((dt.weekday() + 1) % 7, 1, "0")
        elif c == "W":
            num = ((yday - 1 + 7 - dt.weekday()) // 7, 2, "0")
        elif c == "x":
            text = strftime("%m/%d/%y", secs, nsec, zone)
        elif c == "X":
            text = strftime("%H:%M:%S", secs, nsec, zone)
        elif c == "y":
            num = (dt.year % 100, 2, "0")
        elif c == "Y":
            num = (dt.year, 1, "0")
        elif c == "z":
            text = _offset(zone.offset, len(colons))
        elif c == "Z":
            text = zone.name
            if swap:
                text, swap = text.lower(), False
        elif c == "%":
            text = "%"
        else:
            return m.group(0)
        if colons and c != "z":
            return m.group(0)
        if num is not None:
            value, natural, fill = num
            return _pad(value, max(width, natural) if flag != "-" else 0, flag, fill)
        assert text is not None
        if upper or (swap and c in "aAbhB"):
            text = text.upper()
        if width > len(text) and flag != "-":
            text = text.rjust(width, "0" if flag == "0" else " ")
        return text

    return _DIRECTIVE.sub(conv, fmt)


def _parse_date(text: str, now: float, zone: _Zone) -> tuple[int, int] | None:
    """(seconds, nanoseconds) for a ``-d`` string, or None."""
    s = text.strip()
    m = re.fullmatch(r"@\s*([+-]?\d+)(?:[.,](\d+))?", s)
    if m:
        secs = int(m.group(1))
        frac = int((m.group(2) or "0")[:9].ljust(9, "0"))
        if secs < 0 and frac:
            return secs - 1, 1_000_000_000 - frac
        return secs, frac
    low = s.lower()
    base_ns = int(now * 1e9)
    base = (base_ns // 1_000_000_000, base_ns % 1_000_000_000)
    words = {"": 0, "now": 0, "today": 0, "yesterday": -86400, "tomorrow": 86400}
    if low in words:
        return base[0] + words[low], base[1]
    m = re.fullmatch(r"([+-]?\d+)?\s*([a-z]+?)s?(\s+ago)?", low)
    if m and m.group(2) in _UNITS:
        n = int(m.group(1) or 1) * _UNITS[m.group(2)]
        return base[0] + (-n if m.group(3) else n), base[1]
    m = re.fullmatch(
        r"(?:(\d{4})-(\d{1,2})-(\d{1,2}))?"
        r"(?:(?:^|[T ]\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
        r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
        s,
        re.I,
    )
    if not m or not (m.group(1) or m.group(4)):
        return None
    if m.group(1):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        local = datetime(1970, 1, 1) + timedelta(seconds=base[0] + zone.offset)
        year, month, day = local.year, local.month, local.day
    hour = int(m.group(4) or 0)
    minute = int(m.group(5) or 0)
    sec = int(m.group(6) or 0)
    frac = int((m.group(7) or "0")[:9].ljust(9, "0"))
    try:
        dt = datetime(year, month, day, hour, minute, sec, tzinfo=UTC)
    except ValueError:
        return None
    tz = m.group(8)
    if tz is None:
        off = zone.offset
    elif tz.upper() in ("Z", "UTC", "GMT"):
        off = 0
    else:
        digits = tz.replace(":", "")
        off = (int(digits[1:3]) * 3600 + int(digits[3:5]) * 60) * (-1 if digits[0] == "-" else 1)
    return int(dt.timestamp()) - off, frac


_ISO = {
    "date": "%Y-%m-%d",
    "hours": "%Y-%m-%dT%H%:z",
    "minutes": "%Y-%m-%dT%H:%M%:z",
    "seconds": "%Y-%m-%dT%H:%M:%S%:z",
    "ns": "%Y-%m-%dT%H:%M:%S,%N%:z",
}


@program("date")
def main(ctx: Context) -> int:
    """date [OPTION]... [+FORMAT]"""
    try:
        opts, operands = parse_options(ctx.argv[1:], "d:r:uI::Rs:", _LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    zone = _zone_from_tz(ctx.os.environ.get("TZ"))
    when: tuple[int, int] | None = None
    fmt: str | None = None
    for k, v in opts:
        assert k != "s" or v is not None
        if k == "u":
            zone = _Zone("UTC", 0)
    for k, v in opts:
        if k == "d":
            when = _parse_date(v or "", time.time(), zone)
            if when is None:
                ctx.error(f"invalid date {cquote(v or '')}")
                return 1
        elif k == "r":
            try:
                st = ctx.os.stat(v)
            except OSError as e:
                ctx.error(f"{v}: {strerror(e)}")
                return 1
            when = (st.st_mtime_ns // 1_000_000_000, st.st_mtime_ns % 1_000_000_000)
        elif k == "I":
            spec = v or "date"
            match = [n for n in _ISO if n.startswith(spec)] if spec else []
            if len(match) != 1 and spec not in _ISO:
                ctx.error(f"invalid argument {cquote(spec)} for '--iso-8601'")
                raise usage_error(ctx, None, 1)
            fmt = _ISO[spec if spec in _ISO else match[0]]
        elif k == "R":
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif k == "s":
            ctx.error("cannot set date: Operation not permitted")
            return 1
    if len(operands) > 1:
        raise usage_error(ctx, f"extra operand {cquote(operands[1])}", 1)
    for op in operands:
        if op.startswith("+"):
            if fmt is not None:
                ctx.error("multiple output formats specified")
                return 1
            fmt = op[1:]
        else:
            ctx.error(f"invalid date {cquote(op)}")
            return 1
    if when is None:
        ns = time.time_ns()
        when = (ns // 1_000_000_000, ns % 1_000_000_000)
    if fmt is None:
        fmt = "%a %b %e %H:%M:%S %Z %Y"
    text = strftime(fmt, when[0], when[1], zone)
    ctx.stdout.write(text.encode("utf-8", "surrogateescape") + b"\n")
    return 0
