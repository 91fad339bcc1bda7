"""``echo`` as GNU coreutils' /usr/bin/echo: ``-n``, ``-e``, ``-E``.

Leading arguments made only of ``-`` and the letters ``n``, ``e``, ``E``
are options; anything else (``--``, ``-x``) is printed. With ``-e``:
``\\\\ \\a \\b \\c \\e \\f \\n \\r \\t \\v``, ``\\0NNN`` and ``\\NNN`` (octal)
and ``\\xHH``; ``\\c`` ends all output. Other backslashes print as is.
"""

from __future__ import annotations

from ..context import Context
from ..registry import program

_SIMPLE = {"\\": 0x5C, "a": 7, "b": 8, "e": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_OCT = b"01234567"
_HEX = b"0123456789abcdefABCDEF"


def _escape(arg: bytes) -> tuple[bytes, bool]:
    """Interpret ``-e`` escapes; True when ``\\c`` stopped the output."""
    out = bytearray()
    i = 0
    n = len(arg)
    while i < n:
        c = arg[i]
        if c != 0x5C or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = arg[i + 1]
        ch = chr(e)
        if ch == "c":
            return bytes(out), True
        if ch in _SIMPLE:
            out.append(_SIMPLE[ch])
            i += 2
        elif ch == "x" and i + 2 < n and arg[i + 2] in _HEX:
            j = i + 2
            while j < n and j < i + 4 and arg[j] in _HEX:
                j += 1
            out.append(int(arg[i + 2 : j], 16))
            i = j
        elif e in _OCT:
            j = i + 2 if ch == "0" else i + 1
            start = j
            while j < n and j < start + 3 and arg[j] in _OCT:
                j += 1
            out.append(int(arg[start:j] or b"0", 8) & 0xFF)
            i = j
        else:
            out.append(c)
            i += 1
    return bytes(out), False


@program("echo")
def main(ctx: Context) -> int:
    """echo [SHORT-OPTION]... [STRING]..."""
    args = ctx.argv[1:]
    if len(args) == 1 and args[0] == "--version":
        ctx.stdout.write(b"echo (GNU coreutils) 9.1\n")
        return 0
    newline = True
    escapes = False
    while args and len(args[0]) > 1 and args[0][0] == "-" and all(c in "neE" for c in args[0][1:]):
        for c in args[0][1:]:
            if c == "n":
                newline = False
            elif c == "e":
                escapes = True
            else:
                escapes = False
        args = args[1:]
    out = bytearray()
    for i, arg in enumerate(args):
        data = arg.encode("utf-8", "surrogateescape")
        if i:
            out += b" "
        if escapes:
            text, stop = _escape(data)
            out += text
            if stop:
                ctx.stdout.write(bytes(out))
                return 0
        else:
            out += data
    if newline:
        out += b"\n"
    ctx.stdout.write(bytes(out))
    return 0
