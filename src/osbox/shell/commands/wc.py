"""``wc``: newline, word and byte counts, as GNU coreutils 9.1 in the C locale.

Options ``-c``, ``-m`` (bytes in the C locale), ``-l``, ``-w``, ``-L`` and
``--files0-from=F``. A word is a run of bytes starting with a printable
character and ending at white space; other bytes neither start nor end one.
``-L`` counts printable bytes, expands tabs to multiples of 8 and restarts
at newline, carriage return and form feed. Column widths follow GNU: the
digits of the summed sizes of the regular-file inputs, at least 7 when one
is not a regular file, and 1 for a single count of a single input.
"""

from __future__ import annotations

import stat
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._inputs import close_input, open_input, read_chunks
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote, quote

_LONGS = {
    "bytes": ("c", 0),
    "chars": ("m", 0),
    "lines": ("l", 0),
    "words": ("w", 0),
    "max-line-length": ("L", 0),
    "files0-from": ("files0", 1),
}

_SPACES = b" \t\n\v\f\r"
_PRINTABLE = bytes(range(0x21, 0x7F))
# Word classes: white space -> " ", printable -> "a"; every other byte is
# deleted, because it neither starts nor ends a word.
_WORD_TABLE = bytes(0x20 if b in _SPACES else 0x61 if b in _PRINTABLE else b for b in range(256))
_WORD_DELETE = bytes(b for b in range(256) if b not in _SPACES and b not in _PRINTABLE)
_NONPRINT = bytes(b for b in range(256) if not 0x20 <= b < 0x7F)


class _Counts:
    def __init__(self) -> None:
        self.lines = 0
        self.words = 0
        self.bytes = 0
        self.maxlen = 0


def _count(f: Any, want_words: bool, want_len: bool) -> _Counts:
    c = _Counts()
    in_word = False
    col = 0
    for chunk in read_chunks(f):
        c.bytes += len(chunk)
        c.lines += chunk.count(b"\n")
        if want_words:
            s = chunk.translate(_WORD_TABLE, _WORD_DELETE)
            if s:
                c.words += s.count(b" a")
                if s[0] == 0x61 and not in_word:
                    c.words += 1
                in_word = s[-1] == 0x61
        if want_len:
            col = _line_lengths(chunk, col, c)
    return c


def _line_lengths(chunk: bytes, col: int, c: _Counts) -> int:
    """Advance the column over ``chunk``; record maxima at line ends."""
    pieces = chunk.split(b"\n")
    for i, piece in enumerate(pieces):
        if i:
            c.maxlen = max(c.maxlen, col)
            col = 0
        if b"\t" in piece or b"\r" in piece or b"\f" in piece:
            for b in piece:
                if b == 9:
                    col += 8 - col % 8
                elif b in (13, 12):
                    c.maxlen = max(c.maxlen, col)
                    col = 0
                elif 0x20 <= b < 0x7F:
                    col += 1
        else:
            col += len(piece.translate(None, _NONPRINT))
    c.maxlen = max(c.maxlen, col)
    return col


@program("wc")
def main(ctx: Context) -> int:
    """wc [OPTION]... [FILE]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "cmlwL", _LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    flags = {k for k, _ in opts}
    files0 = [v for k, v in opts if k == "files0"]
    if files0:
        if operands:
            ctx.error(f"extra operand {cquote(operands[0])}")
            ctx.stderr.write(b"file operands cannot be combined with --files0-from\n")
            raise usage_error(ctx, None, 1)
        source = files0[-1]
        assert source is not None
        try:
            f = open_input(ctx, source)
            data = f.read()
            close_input(ctx, f)
        except OSError as e:
            ctx.error(f"cannot open {quote(source)} for reading: {strerror(e)}")
            return 1
        operands = [n.decode("utf-8", "surrogateescape") for n in data.split(b"\0") if n]
    if not flags - {"files0"}:
        flags = {"l", "w", "c"}
    files = operands or ["-"]
    names = operands
    want_words = "w" in flags
    want_len = "L" in flags
    status = 0
    # Open everything first: the column width depends on every input's type.
    opened: list[tuple[str, Any, Any]] = []
    for name in files:
        try:
            f = open_input(ctx, name)
            st = ctx.os.fstat(f.fileno()) if hasattr(f, "fileno") else None
        except OSError as e:
            opened.append((name, None, e))
            continue
        opened.append((name, f, st))
    nflags = len(flags - {"files0"})
    width = 1
    if not (nflags == 1 and len(files) == 1) and opened and opened[0][1] is not None:
        minimum = 1
        total_size = 0
        for _name, f, st in opened:
            if f is None:
                continue
            if st is None or not stat.S_ISREG(st.st_mode):
                minimum = 7
            else:
                total_size += st.st_size
        width = max(len(str(total_size)), minimum)
    totals = _Counts()
    out = ctx.stdout
    for name, f, st in opened:
        if f is None:
            ctx.error(f"{name}: {strerror(st)}")
            status = 1
            continue
        try:
            c = _count(f, want_words, want_len)
        except OSError as e:
            ctx.error(f"{name}: {strerror(e)}")
            status = 1
            c = _Counts()
        close_input(ctx, f)
        _print(out, c, flags, width, name if names else None)
        totals.lines += c.lines
        totals.words += c.words
        totals.bytes += c.bytes
        totals.maxlen = max(totals.maxlen, c.maxlen)
    if len(files) > 1:
        _print(out, totals, flags, width, "total")
    return status


def _print(out: Any, c: _Counts, flags: set[str], width: int, name: str | None) -> None:
    fields = []
    if "l" in flags:
        fields.append(c.lines)
    if "w" in flags:
        fields.append(c.words)
    if "m" in flags:
        fields.append(c.bytes)
    if "c" in flags:
        fields.append(c.bytes)
    if "L" in flags:
        fields.append(c.maxlen)
    line = " ".join(str(v).rjust(width) for v in fields)
    if name is not None:
        line += " " + name
    out.write(line.encode("utf-8", "surrogateescape") + b"\n")
