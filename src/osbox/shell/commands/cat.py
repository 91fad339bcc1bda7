"""``cat``: concatenate files to standard output (GNU coreutils ``cat``).

Options ``-n``, ``-b``, ``-s``, ``-E``, ``-T``, ``-v``, ``-A`` (``-vET``),
``-e`` (``-vE``), ``-t`` (``-vT``), ``-u`` (ignored); ``-`` is standard
input. Line numbering and squeezing continue across files, as GNU's do.
"""

from __future__ import annotations

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import quotef

__all__ = ["main"]

_LONGS = {
    "number": ("n", 0),
    "number-nonblank": ("b", 0),
    "squeeze-blank": ("s", 0),
    "show-ends": ("E", 0),
    "show-tabs": ("T", 0),
    "show-nonprinting": ("v", 0),
    "show-all": ("A", 0),
    "help": ("help", 0),
}

_CHUNK = 65536


def _visible_table(tabs: bool) -> list[bytes]:
    table = []
    for b in range(256):
        prefix = b""
        c = b
        if c >= 128:
            prefix, c = b"M-", c - 128
        if c == 9 and not prefix:
            s = b"^I" if tabs else b"\t"
        elif c == 10 and not prefix:
            s = b"\n"
        elif c < 32:
            s = prefix + b"^" + bytes([c + 64])
        elif c == 127:
            s = prefix + b"^?"
        else:
            s = prefix + bytes([c])
        table.append(s)
    return table


class _Cat:
    def __init__(self, number: bool, nonblank: bool, squeeze: bool, ends: bool) -> None:
        self.number = number or nonblank
        self.nonblank = nonblank
        self.squeeze = squeeze
        self.ends = ends
        self.table: list[bytes] | None = None
        self.tabs = False
        self.line = 0
        self.at_start = True
        self.blanks = 0

    def convert(self, data: bytes) -> bytes:
        out = bytearray()
        pieces = data.split(b"\n")
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            newline = i < last
            if not piece and not newline:
                break
            if self.at_start:
                if not piece and newline:
                    self.blanks += 1
                    if self.squeeze and self.blanks > 1:
                        continue
                    if self.number and not self.nonblank:
                        self.line += 1
                        out += b"%6d\t" % self.line
                    out += b"$\n" if self.ends else b"\n"
                    continue
                self.blanks = 0
                if self.number:
                    self.line += 1
                    out += b"%6d\t" % self.line
            if self.table is not None:
                out += b"".join(self.table[b] for b in piece)
            elif self.tabs:
                out += piece.replace(b"\t", b"^I")
            else:
                out += piece
            if newline:
                out += b"$\n" if self.ends else b"\n"
                self.at_start = True
            else:
                self.at_start = False
        return bytes(out)


@program("cat")
def main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "nbsETvAetu", _LONGS)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = "".join(k for k, _ in opts if len(k) == 1)
    if any(k == "help" for k, _ in opts):
        ctx.stdout.write(b"Usage: cat [OPTION]... [FILE]...\n")
        return 0
    show_np = any(c in keys for c in "vAet")
    ends = any(c in keys for c in "EAe")
    tabs = any(c in keys for c in "TAt")
    cat = _Cat("n" in keys, "b" in keys, "s" in keys, ends)
    cat.tabs = tabs
    if show_np:
        cat.table = _visible_table(tabs)
    plain = not (cat.number or cat.squeeze or ends or tabs or show_np)
    status = 0
    out = ctx.stdout
    vos = ctx.os
    for name in operands or ["-"]:
        try:
            if name == "-":
                ctx.flush()
                fd = 0
            else:
                fd = vos.open(name, vos.O_RDONLY)
            try:
                while True:
                    data = vos.read(fd, _CHUNK)
                    if not data:
                        break
                    out.write(data if plain else cat.convert(data))
            finally:
                if fd != 0:
                    vos.close(fd)
        except OSError as e:
            ctx.error(f"{quotef(name)}: {strerror(e)}")
            status = 1
    return status
