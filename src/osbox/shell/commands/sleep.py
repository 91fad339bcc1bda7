"""``sleep NUMBER[SUFFIX]...``, as GNU coreutils 9.1: the arguments add up;
each is a floating-point number (``strtod``: decimal, exponent, hex, ``inf``)
with an optional ``s``, ``m``, ``h`` or ``d`` suffix. Sleeps with
``ctx.sleep``.
"""

from __future__ import annotations

import re

from ..context import Context
from ..registry import program
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote

_NUMBER = re.compile(
    r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
    r"(?:[pP][+-]?\d+)?|inf(?:inity)?",
    re.I,
)
_SCALE = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _interval(text: str) -> float | None:
    m = re.fullmatch(r"\s*\+?(" + _NUMBER.pattern + r")([smhd]?)", text, re.I)
    if m is None:
        return None
    num, suffix = m.group(1), m.group(2)
    if suffix.lower() != suffix:
        return None
    value = float.fromhex(num) if num.lower().startswith("0x") else float(num)
    return value * _SCALE[suffix]


@program("sleep")
def main(ctx: Context) -> int:
    """sleep NUMBER[SUFFIX]..."""
    args = ctx.argv[1:]
    try:
        _opts, operands = parse_options(args, "", {})
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if not operands:
        raise usage_error(ctx, "missing operand", 1)
    total = 0.0
    bad = False
    for text in operands:
        value = _interval(text)
        if value is None:
            ctx.error(f"invalid time interval {cquote(text)}")
            bad = True
            continue
        total += value
    if bad:
        raise usage_error(ctx, None, 1)
    ctx.sleep(total)
    return 0
