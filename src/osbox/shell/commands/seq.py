"""``seq [OPTION]... [FIRST [INCREMENT]] LAST``, as GNU coreutils 9.1.

Numbers are read as ``strtold`` does (decimal, exponent, hex, ``inf``) and
computed exactly as decimals (``FIRST + i*INCREMENT``); they print with
``%.Pf`` where P is the larger number of fraction digits of FIRST and
INCREMENT (an exponent lowers it), or through ``-f FORMAT`` (one
``%[flags][width][.prec]{e,f,g,E,F,G,a,A}`` directive). ``-s SEP`` separates
the numbers; ``-w`` pads them with zeros to equal width.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from ..context import Context
from ..registry import program
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote

_LONGS = {
    "format": ("f", 1),
    "separator": ("s", 1),
    "equal-width": ("w", 0),
}
_NUM = re.compile(
    r"\s*([+-]?)(?:(inf(?:inity)?)|(nan)|0x([0-9a-f]*\.?[0-9a-f]*(?:p[+-]?\d+)?)"
    r"|(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?)",
    re.I,
)
_DIRECTIVE = re.compile(r"%([-+ #0']*)(\d*)(?:\.(\d*))?([a-zA-Z%]?)")


def _parse_number(text: str) -> tuple[Decimal, int] | None:
    """(value, precision) of ``text``, or None if it is not a number."""
    m = _NUM.fullmatch(text)
    if m is None:
        return None
    sign, inf, nan, hexpart, ip, fp, exp = m.groups()
    neg = sign == "-"
    if inf:
        return (Decimal("-Infinity") if neg else Decimal("Infinity"), 0)
    if nan:
        return (Decimal("NaN"), 0)
    if hexpart is not None:
        try:
            v = Decimal(float.fromhex("0x" + hexpart))
        except ValueError:
            return None
        return (-v if neg else v, 0)
    if not ip and not fp:
        return None
    digits = (ip or "0") + "." + (fp or "0")
    with localcontext() as c:
        c.prec = 1000
        v = Decimal(digits)
        if exp:
            v = v.scaleb(int(exp))
    prec = max(len(fp or "") - (int(exp) if exp else 0), 0)
    return (-v if neg else v, prec)


def _check_format(fmt: str) -> str | None:
    """The error for a bad ``-f`` FORMAT, or None."""
    found = 0
    for m in _DIRECTIVE.finditer(fmt):
        conv = m.group(4)
        if conv == "%" and m.group(0) == "%%":
            continue
        if conv not in tuple("efgEFGaA"):
            return f"format {cquote(fmt)} has unknown %{conv} directive"
        found += 1
        if found > 1:
            return f"format {cquote(fmt)} has too many % directives"
    if not found:
        return f"format {cquote(fmt)} has no % directive"
    return None


@program("seq")
def main(ctx: Context) -> int:
    """seq [OPTION]... LAST | FIRST LAST | FIRST INCREMENT LAST"""
    args = list(ctx.argv[1:])
    # A negative number is an operand, not an option.
    split = next(
        (
            i
            for i, a in enumerate(args)
            if len(a) > 1 and a[0] == "-" and (a[1].isdigit() or a[1] == ".")
        ),
        len(args),
    )
    try:
        opts, operands = parse_options(args[:split], "f:s:w", _LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    operands += args[split:]
    fmt: str | None = None
    sep = b"\n"
    width = False
    for k, v in opts:
        if k == "f":
            fmt = v
        elif k == "s":
            sep = (v or "").encode("utf-8", "surrogateescape")
        else:
            width = True
    if not operands:
        raise usage_error(ctx, "missing operand", 1)
    if len(operands) > 3:
        raise usage_error(ctx, f"extra operand {cquote(operands[3])}", 1)
    if fmt is not None and width:
        ctx.error("format string may not be specified when printing equal width strings")
        raise usage_error(ctx, None, 1)
    nums: list[tuple[Decimal, int]] = []
    for text in operands:
        parsed = _parse_number(text)
        if parsed is None or parsed[0].is_nan():
            raise usage_error(ctx, f"invalid floating point argument: {cquote(text)}", 1)
        nums.append(parsed)
    first, step, last = (Decimal(1), 0), (Decimal(1), 0), nums[-1]
    if len(nums) >= 2:
        first = nums[0]
    if len(nums) == 3:
        step = nums[1]
        if step[0] == 0:
            raise usage_error(ctx, f"invalid Zero increment value: {cquote(operands[1])}", 1)
    if fmt is not None:
        err = _check_format(fmt)
        if err is not None:
            ctx.error(err)
            return 1
    prec = max(first[1], step[1])
    pad = 0
    if width:
        pad = max(len(_fixed(first[0], prec)), len(_fixed(last[0], prec)))
    _emit(ctx, first[0], step[0], last[0], prec, fmt, pad, sep)
    return 0


def _fixed(v: Decimal, prec: int) -> str:
    if v.is_infinite():
        return "-inf" if v < 0 else "inf"
    return format(v, f".{prec}f")


def _emit(
    ctx: Context,
    first: Decimal,
    step: Decimal,
    last: Decimal,
    prec: int,
    fmt: str | None,
    pad: int,
    sep: bytes,
) -> None:
    out = ctx.stdout
    if fmt is not None:

        def render(v: Decimal) -> str:
            return fmt % float(v) if "%" in fmt else fmt
    elif pad:

        def render(v: Decimal) -> str:
            s = _fixed(v, prec)
            if s.startswith("-"):
                return "-" + s[1:].rjust(pad - 1, "0")
            return s.rjust(pad, "0")
    else:

        def render(v: Decimal) -> str:
            return _fixed(v, prec)

    ints = (
        fmt is None
        and not pad
        and prec == 0
        and first == first.to_integral_value()
        and step == step.to_integral_value()
        and first.is_finite()
        and step.is_finite()
    )
    batch: list[str] = []
    wrote = False
    with localcontext() as c:
        c.prec = 1000
        if ints:
            x = int(first)
            inc = int(step)
            lim: int | Decimal = int(last) if last.is_finite() else last
            if last.is_finite():
                lim = int(last.to_integral_value("ROUND_FLOOR" if inc > 0 else "ROUND_CEILING"))
            while (x <= lim) if inc > 0 else (x >= lim):
                batch.append(str(x))
                x += inc
                if len(batch) >= 4096:
                    out.write(_join(batch, sep, wrote))
                    wrote = True
                    batch = []
        else:
            i = 0
            while True:
                d = first + i * step if first.is_finite() else first
                if (d > last) if step > 0 else (d < last):
                    break
                batch.append(render(d))
                i += 1
                if len(batch) >= 4096 or not first.is_finite():
                    out.write(_join(batch, sep, wrote))
                    wrote = True
                    batch = []
                    if not first.is_finite():
                        break
    if batch:
        out.write(_join(batch, sep, wrote))
        wrote = True
    if wrote:
        out.write(b"\n")


def _join(items: list[str], sep: bytes, continued: bool) -> bytes:
    body = sep.join(s.encode("utf-8", "surrogateescape") for s in items)
    return sep + body if continued else body
