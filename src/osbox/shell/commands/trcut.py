"""``tr`` and ``cut``, as GNU coreutils 9.1 behave in the C locale (bytes).

tr: SET syntax with backslash escapes (``\\n``, ``\\NNN``...), ranges
``a-z``, classes ``[:upper:]``..., equivalence classes ``[=c=]`` and repeats
``[c*n]``/``[c*]``; options ``-c``/``-C``, ``-d``, ``-s``, ``-t``.

cut: ``-b``, ``-c`` (bytes in the C locale), ``-f`` with lists of ``N``,
``N-``, ``N-M``, ``-M``; ``-d``, ``-s``, ``--complement``,
``--output-delimiter``, ``-z``; ``-n`` is ignored.
"""

from __future__ import annotations

import re
import string

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._inputs import close_input, iter_lines, open_input, read_chunks
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote

_CLASSES: dict[str, bytes] = {
    "alnum": (string.digits + string.ascii_uppercase + string.ascii_lowercase).encode(),
    "alpha": (string.ascii_uppercase + string.ascii_lowercase).encode(),
    "blank": b"\t ",
    "cntrl": bytes(range(32)) + b"\x7f",
    "digit": string.digits.encode(),
    "graph": bytes(range(33, 127)),
    "lower": string.ascii_lowercase.encode(),
    "print": bytes(range(32, 127)),
    "punct": bytes(b for b in range(33, 127) if not chr(b).isalnum()),
    "space": b"\t\n\v\f\r ",
    "upper": string.ascii_uppercase.encode(),
    "xdigit": b"0123456789ABCDEFabcdef",
}
_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


class _Fill:
    """A ``[c*]`` repeat: as many copies of ``char`` as SET1 needs."""

    def __init__(self, char: int) -> None:
        self.char = char


class _Set:
    """A parsed SET: bytes and ``_Fill`` items, with class positions."""

    def __init__(self) -> None:
        self.items: list[int | _Fill] = []
        self.classes: list[tuple[int, str]] = []  # (offset, class name)
        self.ends_with_class = False


def _unescape(ctx: Context, text: bytes) -> list[tuple[int, bool]]:
    """Bytes of ``text`` with escapes resolved; True marks an escaped byte."""
    out: list[tuple[int, bool]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != 0x5C:
            out.append((c, False))
            i += 1
            continue
        if i + 1 >= n:
            ctx.error("warning: an unescaped backslash at end of string is not portable")
            out.append((0x5C, True))
            i += 1
            continue
        e = chr(text[i + 1])
        if e in "01234567":
            j = i + 1
            val = 0
            while j < n and j < i + 4 and chr(text[j]) in "01234567":
                if val * 8 + text[j] - 48 > 255:
                    break
                val = val * 8 + text[j] - 48
                j += 1
            out.append((val, True))
            i = j
            continue
        out.append((_ESCAPES.get(e, text[i + 1]), True))
        i += 2
    return out


def _parse_set(ctx: Context, arg: str, first: bool) -> _Set:
    raw = arg.encode("utf-8", "surrogateescape")
    chars = _unescape(ctx, raw)
    s = _Set()
    i = 0
    n = len(chars)

    def lit(k: int) -> int | None:
        return chars[k][0] if k < n and not chars[k][1] else None

    while i < n:
        c, esc = chars[i]
        if not esc and c == 0x5B and i + 1 < n:  # '['
            nxt = lit(i + 1)
            if nxt in (0x3A, 0x3D):  # [: or [=
                close = bytes([nxt, 0x5D])
                body_end = None
                for j in range(i + 2, n - 1):
                    if lit(j) == close[0] and lit(j + 1) == close[1]:
                        body_end = j
                        break
                if body_end is not None:
                    body = bytes(ch for ch, _ in chars[i + 2 : body_end])
                    if nxt == 0x3A:
                        name = body.decode("latin-1")
                        if name not in _CLASSES:
                            raise UsageError(f"invalid character class {cquote(name)}")
                        s.classes.append((len(s.items), name))
                        s.items.extend(_CLASSES[name])
                        i = body_end + 2
                        s.ends_with_class = i >= n
                        continue
                    if len(body) != 1:
                        raise UsageError(
                            f"{cquote(body.decode('latin-1'))}: equivalence class operand "
                            "must be a single character"
                        )
                    s.items.append(body[0])
                    i = body_end + 2
                    continue
            # [c*n] or [c*]
            if i + 2 < n and lit(i + 2) == 0x2A:
                j = i + 3
                while j < n and lit(j) != 0x5D:
                    j += 1
                if j < n:
                    rep = chars[i + 1][0]
                    count_text = bytes(ch for ch, _ in chars[i + 3 : j]).decode("latin-1")
                    if count_text == "":
                        if first:
                            raise UsageError("the [c*] repeat construct may not appear in string1")
                        s.items.append(_Fill(rep))
                    else:
                        base = 8 if count_text.startswith("0") else 10
                        try:
                            count = int(count_text, base)
                        except ValueError:
                            raise UsageError(
                                f"invalid repeat count {cquote(count_text)} in [c*n] construct"
                            ) from None
                        if count == 0 and not first:
                            s.items.append(_Fill(rep))
                        else:
                            s.items.extend([rep] * count)
                    i = j + 1
                    s.ends_with_class = False
                    continue
        if i + 2 < n and lit(i + 1) == 0x2D:  # a-b
            hi = chars[i + 2][0]
            if hi < c:
                shown = bytes([c, 0x2D, hi]).decode("latin-1")
                raise UsageError(
                    f"range-endpoints of {cquote(shown)} are in reverse collating sequence order"
                )
            s.items.extend(range(c, hi + 1))
            i += 3
            s.ends_with_class = False
            continue
        s.items.append(c)
        i += 1
        s.ends_with_class = False
    return s


def _plain(s: _Set) -> bytes:
    return bytes(x if isinstance(x, int) else x.char for x in s.items)


def _complement(s: _Set) -> bytes:
    present = set(_plain(s))
    return bytes(b for b in range(256) if b not in present)


def _expand2(set1: bytes, s2: _Set, truncate: bool) -> bytes:
    items = s2.items
    fixed = sum(1 for x in items if isinstance(x, int))
    out = bytearray()
    for x in items:
        if isinstance(x, _Fill):
            out.extend([x.char] * max(len(set1) - fixed, 0))
        else:
            out.append(x)
    if not truncate and len(out) < len(set1) and out:
        out.extend([out[-1]] * (len(set1) - len(out)))
    return bytes(out)


def _squeeze(data: bytes, squeeze: frozenset[int], last: int) -> tuple[bytes, int]:
    out = bytearray()
    for b in data:
        if b == last and b in squeeze:
            continue
        out.append(b)
        last = b
    return bytes(out), last


_TR_LONGS = {
    "complement": ("c", 0),
    "delete": ("d", 0),
    "squeeze-repeats": ("s", 0),
    "truncate-set1": ("t", 0),
}


@program("tr")
def tr_main(ctx: Context) -> int:
    """tr [OPTION]... SET1 [SET2]"""
    try:
        opts, operands = parse_options(ctx.argv[1:], "cCdst", _TR_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    flags = {k for k, _ in opts}
    comp = bool(flags & {"c", "C"})
    delete, squeeze, truncate = "d" in flags, "s" in flags, "t" in flags
    need = 2 if delete and squeeze else 1 if delete or squeeze else 2
    if not operands:
        raise usage_error(ctx, "missing operand", 1)
    if len(operands) < need:
        ctx.error(f"missing operand after {cquote(operands[-1])}")
        ctx.stderr.write(
            b"Two strings must be given when "
            + (b"both deleting and squeezing repeats.\n" if delete else b"translating.\n")
        )
        raise usage_error(ctx, None, 1)
    if len(operands) > 2 or (delete and not squeeze and len(operands) > 1):
        ctx.error(f"extra operand {cquote(operands[1 if delete and not squeeze else 2])}")
        if delete and not squeeze and len(operands) == 2:
            ctx.stderr.write(
                b"Only one string may be given when deleting without squeezing repeats.\n"
            )
        raise usage_error(ctx, None, 1)
    translate = len(operands) == 2 and not delete
    try:
        s1 = _parse_set(ctx, operands[0], True)
        s2 = _parse_set(ctx, operands[1], False) if len(operands) == 2 else None
        set1 = _complement(s1) if comp else _plain(s1)
        table: bytes | None = None
        set2 = b""
        if s2 is not None:
            if translate:
                _check_classes(s1, s2, comp, True)
                if s2.ends_with_class and len(_plain(s2)) < len(set1) and not truncate:
                    raise UsageError(
                        "when translating with string1 longer than string2,\n"
                        "the latter string must not end with a character class"
                    )
                _check_classes(s1, s2, comp, False)
                if not s2.items and not truncate:
                    raise UsageError("when not truncating set1, string2 must be non-empty")
                set2 = _expand2(set1, s2, truncate)
                mapping = list(range(256))
                for a, b in zip(set1, set2, strict=False):
                    mapping[a] = b
                table = bytes(mapping)
            else:
                set2 = _plain(s2)
    except UsageError as e:
        ctx.error(str(e))
        return 1
    deleted = set1 if delete else b""
    squeeze_set = frozenset(set2 if (translate or delete) else set1) if squeeze else frozenset()
    out = ctx.stdout
    last = -1
    try:
        for chunk in read_chunks(ctx.stdin):
            if table is not None:
                chunk = chunk.translate(table)
            if deleted:
                chunk = chunk.translate(None, deleted)
            if squeeze_set:
                chunk, last = _squeeze(chunk, squeeze_set, last)
            out.write(chunk)
    except OSError as e:
        ctx.error(f"read error: {strerror(e)}")
        return 1
    return 0


def _check_classes(s1: _Set, s2: _Set, comp: bool, only_names: bool) -> None:
    starts1 = dict(s1.classes)
    for pos, name in s2.classes:
        if name not in ("upper", "lower"):
            raise UsageError(
                "when translating, the only character classes that may appear in\n"
                "string2 are 'upper' and 'lower'"
            )
        if not only_names and (comp or starts1.get(pos) not in ("upper", "lower")):
            raise UsageError("misaligned [:upper:] and/or [:lower:] construct")


_CUT_LONGS = {
    "bytes": ("b", 1),
    "characters": ("c", 1),
    "fields": ("f", 1),
    "delimiter": ("d", 1),
    "only-delimited": ("s", 0),
    "complement": ("complement", 0),
    "output-delimiter": ("output", 1),
    "zero-terminated": ("z", 0),
}


def _parse_list(text: str, fields: bool) -> list[tuple[int, int]]:
    what = "fields" if fields else "byte/character positions"
    ranges: list[tuple[int, int]] = []
    for piece in re.split(r"[,\t ]", text):
        m = re.fullmatch(r"(\d*)(-?)(\d*)", piece)
        if m is None:
            kind = "field" if fields else "byte/character position"
            raise UsageError(f"invalid {kind} value {cquote(piece)}")
        lo_s, dash, hi_s = m.groups()
        if not dash:
            if not lo_s or int(lo_s) == 0:
                raise UsageError(f"{what} are numbered from 1")
            ranges.append((int(lo_s), int(lo_s)))
            continue
        if not lo_s and not hi_s:
            raise UsageError("invalid range with no endpoint: -")
        lo = int(lo_s) if lo_s else 1
        hi = int(hi_s) if hi_s else 2**63
        if lo == 0 or (hi_s and int(hi_s) == 0):
            raise UsageError(f"{what} are numbered from 1")
        if hi < lo:
            raise UsageError("invalid decreasing range")
        ranges.append((lo, hi))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _complement_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 1
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt < 2**63:
        out.append((nxt, 2**63))
    return out


@program("cut")
def cut_main(ctx: Context) -> int:
    """cut OPTION... [FILE]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "b:c:f:d:snz", _CUT_LONGS)
        mode = ""
        spec = ""
        delim: bytes | None = None
        outdelim: bytes | None = None
        only = comp = False
        eol = b"\n"
        for k, v in opts:
            if k in ("b", "c", "f"):
                if mode:
                    raise UsageError("only one list may be specified")
                mode, spec = ("f" if k == "f" else "b"), v or ""
            elif k == "d":
                d = (v or "").encode("utf-8", "surrogateescape")
                if len(d) > 1:
                    raise UsageError("the delimiter must be a single character")
                delim = d or b"\0"
            elif k == "s":
                only = True
            elif k == "complement":
                comp = True
            elif k == "output":
                outdelim = (v or "").encode("utf-8", "surrogateescape")
            elif k == "z":
                eol = b"\0"
        if not mode:
            raise UsageError("you must specify a list of bytes, characters, or fields")
        ranges = _parse_list(spec, mode == "f")
        if mode == "b" and delim is not None:
            raise UsageError("an input delimiter may be specified only when operating on fields")
        if mode == "b" and only:
            raise UsageError(
                "suppressing non-delimited lines makes sense\n\tonly when operating on fields"
            )
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    if comp:
        ranges = _complement_ranges(ranges)
    sep = delim if delim is not None else b"\t"
    joiner = outdelim if outdelim is not None else (sep if mode == "f" else b"")
    status = 0
    out = ctx.stdout
    for name in operands or ["-"]:
        try:
            f = open_input(ctx, name)
        except OSError as e:
            ctx.error(f"{name}: {strerror(e)}")
            status = 1
            continue
        try:
            for line in iter_lines(read_chunks(f), eol):
                body = line[:-1] if line.endswith(eol) else line
                if mode == "b":
                    res = _cut_bytes(body, ranges, joiner)
                else:
                    if sep not in body:
                        if not only:
                            out.write(body + eol)
                        continue
                    res = _cut_fields(body, ranges, sep, joiner)
                out.write(res + eol)
        except OSError as e:
            ctx.error(f"{name}: {strerror(e)}")
            status = 1
        close_input(ctx, f)
    return status


def _cut_bytes(body: bytes, ranges: list[tuple[int, int]], joiner: bytes) -> bytes:
    parts = [body[lo - 1 : hi] for lo, hi in ranges if lo <= len(body)]
    return joiner.join(parts)


def _cut_fields(body: bytes, ranges: list[tuple[int, int]], sep: bytes, joiner: bytes) -> bytes:
    fields = body.split(sep)
    chosen: list[bytes] = []
    for lo, hi in ranges:
        chosen.extend(fields[lo - 1 : hi])
    return joiner.join(chosen)
