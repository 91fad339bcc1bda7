"""``sort`` and ``uniq``, as GNU coreutils 9.1 behave in the C locale.

sort: ``-b -d -f -g -h -i -M -n -r`` (globally and per key), ``-k
POS1[,POS2]`` with ``F[.C][OPTS]`` positions, ``-t SEP``, ``-u``, ``-s``,
``-c``/``-C``, ``-m``, ``-o FILE``, ``-z``; ``-S``, ``-T`` and
``--parallel`` are accepted and ignored. Lines compare bytewise (strcoll
in the C locale); equal keys fall back to the whole line unless ``-s`` or
``-u``.

uniq: ``-c -d -D -u -i -f N -s N -w N -z`` and ``[INPUT [OUTPUT]]``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import total_ordering
from typing import Any

from ..context import Context, ProgramExit
from ..registry import program
from ._errors import strerror
from ._inputs import close_input, iter_lines, open_input, read_chunks
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote
from ._sizes import parse_size

_BLANKS = b" \t"
_ORDER_FLAGS = "bdfgiMhnRrV"
_SORT_LONGS = {
    "ignore-leading-blanks": ("b", 0),
    "dictionary-order": ("d", 0),
    "ignore-case": ("f", 0),
    "general-numeric-sort": ("g", 0),
    "ignore-nonprinting": ("i", 0),
    "month-sort": ("M", 0),
    "human-numeric-sort": ("h", 0),
    "numeric-sort": ("n", 0),
    "random-sort": ("R", 0),
    "reverse": ("r", 0),
    "version-sort": ("V", 0),
    "check": ("check", 2),
    "key": ("k", 1),
    "merge": ("m", 0),
    "output": ("o", 1),
    "stable": ("s", 0),
    "field-separator": ("t", 1),
    "unique": ("u", 0),
    "zero-terminated": ("z", 0),
    "buffer-size": ("S", 1),
    "temporary-directory": ("T", 1),
    "parallel": ("parallel", 1),
    "batch-size": ("batch", 1),
    "random-source": ("random-source", 1),
    "compress-program": ("compress", 1),
    "sort": ("sort", 1),
}
_SORT_WORDS = {
    "general-numeric": "g",
    "human-numeric": "h",
    "month": "M",
    "numeric": "n",
    "random": "R",
    "version": "V",
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            b"JAN",
            b"FEB",
            b"MAR",
            b"APR",
            b"MAY",
            b"JUN",
            b"JUL",
            b"AUG",
            b"SEP",
            b"OCT",
            b"NOV",
            b"DEC",
        ]
    )
}
_NUM_RE = re.compile(rb"[ \t]*(-?)(\d*)(?:\.(\d*))?")
_GNUM_RE = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?(?:inf(?:inity)?|nan|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)"
    rb"(?:p[+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))",
    re.I,
)
_HUM_RE = re.compile(rb"[ \t]*(-?)(\d*(?:\.\d*)?)([KMGTPEZYRQk]?)")
_SUFFIX_ORDER = {
    b"": 0,
    b"k": 1,
    b"K": 1,
    b"M": 2,
    b"G": 3,
    b"T": 4,
    b"P": 5,
    b"E": 6,
    b"Z": 7,
    b"Y": 8,
    b"R": 9,
    b"Q": 10,
}
_DICT_DELETE = bytes(
    b for b in range(256) if not (chr(b).isalnum() and b < 128) and b not in b" \t"
)
_PRINT_DELETE = bytes(b for b in range(256) if not 0x20 <= b < 0x7F)
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _Key:
    def __init__(self) -> None:
        self.sfield = 1
        self.schar = 1
        self.efield = 0  # 0: to the end of the line
        self.echar = 0  # 0: to the end of field efield
        self.sblanks = False
        self.eblanks = False
        self.flags = ""


@total_ordering
class _Rev:
    """Inverts the order of a key component (``r``)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and bool(self.v == other.v)

    def __lt__(self, other: _Rev) -> bool:
        return bool(other.v < self.v)

    def __hash__(self) -> int:
        return hash(self.v)


def _skip_blanks(line: bytes, pos: int) -> int:
    n = len(line)
    while pos < n and line[pos] in _BLANKS:
        pos += 1
    return pos


def _skip_fields(line: bytes, count: int, tab: int | None) -> int:
    pos = 0
    n = len(line)
    for _ in range(count):
        if pos >= n:
            break
        if tab is not None:
            nxt = line.find(tab, pos)
            pos = n if nxt < 0 else nxt + 1
        else:
            pos = _skip_blanks(line, pos)
            while pos < n and line[pos] not in _BLANKS:
                pos += 1
    return pos


def _field_end(line: bytes, field: int, tab: int | None) -> int:
    if tab is not None:
        pos = _skip_fields(line, field - 1, tab)
        if pos >= len(line):
            return len(line)
        end = line.find(tab, pos)
        return len(line) if end < 0 else end
    return _skip_fields(line, field, None)


def _extract(line: bytes, key: _Key, tab: int | None) -> bytes:
    start = _skip_fields(line, key.sfield - 1, tab)
    if key.sblanks:
        start = _skip_blanks(line, start)
    start = min(start + key.schar - 1, len(line))
    if key.efield == 0:
        end = len(line)
    elif key.echar == 0:
        end = _field_end(line, key.efield, tab)
    else:
        end = _skip_fields(line, key.efield - 1, tab)
        if key.eblanks:
            end = _skip_blanks(line, end)
        end = min(end + key.echar, len(line))
    return line[start:end] if end > start else b""


def _numeric(text: bytes) -> Decimal:
    m = _NUM_RE.match(text)
    assert m is not None
    sign, ip, fp = m.group(1), m.group(2), m.group(3) or b""
    if not ip and not fp:
        return Decimal(0)
    return Decimal((sign + (ip or b"0") + b"." + (fp or b"0")).decode())


def _general(text: bytes) -> tuple[int, float]:
    m = _GNUM_RE.match(text)
    if m is None:
        return (0, 0.0)
    num = m.group(1).decode()
    v = float.fromhex(num) if "x" in num.lower() else float(num)
    if v != v:
        return (1, 0.0)
    return (2, v)


def _human(text: bytes) -> tuple[int, int, Decimal]:
    m = _HUM_RE.match(text)
    assert m is not None
    sign, num, suf = m.group(1), m.group(2), m.group(3)
    try:
        value = Decimal(num.decode()) if num.strip(b".") else Decimal(0)
    except InvalidOperation:
        value = Decimal(0)
    if value == 0:
        return (0, 0, Decimal(0))
    s = -1 if sign else 1
    return (s, s * _SUFFIX_ORDER[suf], s * value)


def _month(text: bytes) -> int:
    t = text.lstrip(b" \t\n\v\f\r")[:3].translate(_UPPER)
    return _MONTHS.get(t, 0)


def _component(text: bytes, flags: str) -> Any:
    if "n" in flags:
        return _numeric(text)
    if "g" in flags:
        return _general(text)
    if "h" in flags:
        return _human(text)
    if "M" in flags:
        return _month(text)
    if "d" in flags:
        text = text.translate(None, _DICT_DELETE)
    elif "i" in flags:
        text = text.translate(None, _PRINT_DELETE)
    if "f" in flags:
        text = text.translate(_UPPER)
    return text


def _parse_pos(spec: str, text: str, end: bool, key: _Key) -> str:
    m = re.match(r"(\d*)(?:\.(\d*))?", text)
    assert m is not None
    if not m.group(1):
        kind = "invalid number after ','" if end else "invalid number at field start"
        raise UsageError(f"{kind}: invalid count at start of {cquote(text)}")
    field = int(m.group(1))
    if field == 0:
        raise UsageError(f"field number is zero: invalid field specification {cquote(spec)}")
    char = 0
    if m.group(2) is not None:
        if not m.group(2):
            raise UsageError(
                f"invalid number after '.': invalid count at start of {cquote(text[m.end() :])}"
            )
        char = int(m.group(2))
        if char == 0 and not end:
            raise UsageError(
                f"character offset is zero: invalid field specification {cquote(spec)}"
            )
    rest = text[m.end() :]
    opts = ""
    for ch in rest:
        if ch == ",":
            break
        if ch not in _ORDER_FLAGS:
            raise UsageError(
                f"stray character in field spec: invalid field specification {cquote(spec)}"
            )
        opts += ch
    if end:
        key.efield, key.echar = field, char
        if "b" in opts:
            key.eblanks = True
    else:
        key.sfield, key.schar = field, char or 1
        if "b" in opts:
            key.sblanks = True
    key.flags += opts.replace("b", "")
    return rest[len(opts) :]


def _parse_key(spec: str) -> _Key:
    key = _Key()
    rest = _parse_pos(spec, spec, False, key)
    if rest.startswith(","):
        rest = _parse_pos(spec, rest[1:], True, key)
    return key


def _read_all(ctx: Context, names: list[str], delim: bytes) -> list[tuple[str, list[bytes]]]:
    result = []
    for name in names:
        try:
            f = open_input(ctx, name)
        except OSError as e:
            ctx.error(f"cannot read: {name}: {strerror(e)}")
            raise ProgramExit(2) from None
        try:
            data = b"".join(read_chunks(f))
        except OSError as e:
            ctx.error(f"read failed: {name}: {strerror(e)}")
            raise ProgramExit(2) from None
        close_input(ctx, f)
        lines = data.split(delim)
        if lines[-1] == b"":
            lines.pop()
        result.append((name, lines))
    return result


@program("sort")
def sort_main(ctx: Context) -> int:
    """sort [OPTION]... [FILE]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "bcCdfghik:mMno:rRsS:t:T:uVz", _SORT_LONGS)
        keys: list[_Key] = []
        gflags = ""
        check: str | None = None
        unique = stable = False
        output: str | None = None
        tab: int | None = None
        delim = b"\n"
        for k, v in opts:
            if k in _ORDER_FLAGS:
                gflags += k
            elif k == "sort":
                assert v is not None
                if v not in _SORT_WORDS:
                    raise UsageError(f"invalid argument {cquote(v)} for '--sort'")
                gflags += _SORT_WORDS[v]
            elif k == "k":
                assert v is not None
                keys.append(_parse_key(v))
            elif k in ("c", "check"):
                check = "c" if v in (None, "diagnose-first") else "C"
            elif k == "C":
                check = "C"
            elif k == "u":
                unique = True
            elif k == "s":
                stable = True
            elif k == "o":
                output = v
            elif k == "z":
                delim = b"\0"
            elif k == "t":
                assert v is not None
                sep = v.encode("utf-8", "surrogateescape")
                if sep == b"\\0":
                    sep = b"\0"
                if not sep:
                    raise UsageError("empty tab")
                if len(sep) > 1:
                    raise UsageError(f"multi-character tab {cquote(v)}")
                tab = sep[0]
    except UsageError as e:
        msg = str(e)
        if msg.startswith(("invalid option", "unrecognized", "option ")):
            raise usage_error(ctx, msg, 2) from None
        ctx.error(msg)
        return 2
    if not keys:
        keys.append(_Key())
    for key in keys:
        if not key.flags and not key.sblanks and not key.eblanks:
            key.flags = gflags.replace("b", "")
            key.sblanks = key.eblanks = "b" in gflags
    global_rev = "r" in gflags
    inputs = _read_all(ctx, operands or ["-"], delim)

    def keyfn(line: bytes) -> tuple[Any, ...]:
        parts: list[Any] = []
        for key in keys:
            c = _component(_extract(line, key, tab), key.flags)
            parts.append(_Rev(c) if "r" in key.flags and not all_rev else c)
        return tuple(parts)

    all_rev = all("r" in k.flags for k in keys) and (global_rev or stable or unique)
    last_resort = not (stable or unique)

    def fullkey(line: bytes) -> tuple[Any, ...]:
        k = keyfn(line)
        if last_resort:
            return (*k, _Rev(line) if global_rev and not all_rev else line)
        return k

    if check is not None:
        return _check(
            ctx, inputs, fullkey if not unique else keyfn, all_rev, unique, check == "c", delim
        )
    lines = [line for _name, ls in inputs for line in ls]
    lines.sort(key=fullkey, reverse=all_rev)
    if unique:
        kept: list[bytes] = []
        prev: Any = None
        for line in lines:
            lk = keyfn(line)
            if not kept or lk != prev:
                kept.append(line)
                prev = lk
        lines = kept
    out = ctx.stdout
    if output is not None:
        try:
            out = ctx.os.open_file(output, "wb")
        except OSError as e:
            ctx.error(f"open failed: {output}: {strerror(e)}")
            return 2
    for line in lines:
        out.write(line + delim)
    if output is not None:
        out.close()
    return 0


def _check(
    ctx: Context,
    inputs: list[tuple[str, list[bytes]]],
    keyfn: Any,
    rev: bool,
    unique: bool,
    verbose: bool,
    delim: bytes,
) -> int:
    for name, lines in inputs:
        prev: Any = None
        for i, line in enumerate(lines):
            k = keyfn(line)
            if i:
                bad = (k > prev if rev else k < prev) or (unique and k == prev)
                if bad:
                    if verbose:
                        text = line.decode("utf-8", "surrogateescape")
                        ctx.error(f"{name}:{i + 1}: disorder: {text}")
                    return 1
            prev = k
    return 0


_UNIQ_LONGS = {
    "count": ("c", 0),
    "repeated": ("d", 0),
    "all-repeated": ("D", 2),
    "skip-fields": ("f", 1),
    "ignore-case": ("i", 0),
    "skip-chars": ("s", 1),
    "unique": ("u", 0),
    "check-chars": ("w", 1),
    "zero-terminated": ("z", 0),
    "group": ("group", 2),
}


def _uniq_number(ctx: Context, value: str, what: str) -> int:
    try:
        n = parse_size(value) if value.strip().isdigit() else None
    except OverflowError:
        return 2**64 - 1
    if n is None:
        ctx.error(f"{value}: invalid number of {what}")
        raise ProgramExit(1)
    return n


@program("uniq")
def uniq_main(ctx: Context) -> int:
    """uniq [OPTION]... [INPUT [OUTPUT]]"""
    try:
        opts, operands = parse_options(ctx.argv[1:], "cdDf:is:uw:z", _UNIQ_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    count = repeated = all_rep = uniq_only = fold = False
    skip_fields = skip_chars = 0
    check: int | None = None
    delim = b"\n"
    for k, v in opts:
        if k == "c":
            count = True
        elif k == "d":
            repeated = True
        elif k == "D":
            all_rep = True
        elif k == "u":
            uniq_only = True
        elif k == "i":
            fold = True
        elif k == "z":
            delim = b"\0"
        elif k == "f":
            skip_fields = _uniq_number(ctx, v or "", "fields to skip")
        elif k == "s":
            skip_chars = _uniq_number(ctx, v or "", "bytes to skip")
        elif k == "w":
            check = _uniq_number(ctx, v or "", "bytes to compare")
    if len(operands) > 2:
        raise usage_error(ctx, f"extra operand {cquote(operands[2])}", 1)
    if count and all_rep:
        ctx.error("printing all duplicated lines and repeat counts is meaningless")
        raise usage_error(ctx, None, 1)
    name = operands[0] if operands else "-"
    try:
        f = open_input(ctx, name)
    except OSError as e:
        ctx.error(f"{name}: {strerror(e)}")
        return 1
    out: Any = ctx.stdout
    if len(operands) == 2 and operands[1] != "-":
        try:
            out = ctx.os.open_file(operands[1], "wb")
        except OSError as e:
            ctx.error(f"{operands[1]}: {strerror(e)}")
            return 1

    def cmpkey(line: bytes) -> bytes:
        body = line[:-1] if line.endswith(delim) else line
        if skip_fields:
            body = body[_skip_fields(body, skip_fields, None) :]
        body = body[skip_chars:]
        if check is not None:
            body = body[:check]
        return body.translate(_UPPER) if fold else body

    def emit(group: list[bytes], n: int) -> None:
        if all_rep:
            if n > 1:
                for line in group:
                    out.write(line if line.endswith(delim) else line + delim)
            return
        if (repeated and n < 2) or (uniq_only and n > 1):
            return
        line = group[0]
        if not line.endswith(delim):
            line += delim
        if count:
            out.write(f"{n:7d} ".encode() + line)
        else:
            out.write(line)

    group: list[bytes] = []
    n = 0
    prev: bytes | None = None
    try:
        for line in iter_lines(read_chunks(f), delim):
            ck = cmpkey(line)
            if n and ck == prev:
                n += 1
                if all_rep:
                    group.append(line)
                continue
            if n:
                emit(group, n)
            group = [line]
            n = 1
            prev = ck
    except OSError as e:
        ctx.error(f"{name}: {strerror(e)}")
        return 1
    if n:
        emit(group, n)
    close_input(ctx, f)
    if out is not ctx.stdout:
        out.close()
    return 0
