"""``printf`` as dash 0.5.12's builtin, and the ``printf`` program.

The format is reused while arguments remain; conversions ``%d %i %o %u %x
%X %c %s %b %e %E %f %F %g %G %%`` with flags, width and precision (``*``
too); numeric arguments follow ``strtoimax`` (``0x``, leading ``0``, and
``'c`` for a character code). Also dash's ``echo``: one ``-n`` option and
the ``%b`` escapes always on. Bad numbers warn (``expected numeric value``,
``not completely converted``) and make the status 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .context import Context
from .registry import program

__all__ = ["echo_bytes", "printf_main", "run_printf"]

_SPEC = re.compile(r"%([-+ #0]*)(\*|[0-9]*)(?:\.(\*|[0-9]*))?([diouxXcsbeEfFgG%]?)")
_INT = re.compile(r"\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_SIMPLE = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "e": "\x1b",
}
_OCT = "01234567"


class _Stop(Exception):  # noqa: N818 - \c in %b
    pass


def _escapes(s: str, for_b: bool) -> tuple[str, bool]:
    """Interpret backslash escapes; (text, stopped at \\c)."""
    if "\\" not in s:
        return s, False
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = s[i + 1]
        if d in _SIMPLE and (for_b or d != "e"):
            out.append(_SIMPLE[d])
            i += 2
        elif d == "c" and for_b:
            return "".join(out), True
        elif d in _OCT:
            j = i + 1
            if for_b and d == "0":
                j += 1
            k = j
            while k < n and k < j + 3 and s[k] in _OCT:
                k += 1
            out.append(chr(int(s[j:k] or "0", 8) & 0xFF))
            i = k
        elif not for_b and d in "\"'":
            out.append(d)
            i += 2
        else:
            out.append("\\")
            i += 1
    return "".join(out), False


def echo_bytes(args: list[str]) -> bytes:
    """What dash's ``echo`` prints for ``args`` (without the command name)."""
    nl = True
    if args and args[0] == "-n":
        nl = False
        args = args[1:]
    parts: list[str] = []
    for i, a in enumerate(args):
        text, stop = _escapes(a, True)
        if i:
            parts.append(" ")
        parts.append(text)
        if stop:
            return _enc("".join(parts))
    if nl:
        parts.append("\n")
    return _enc("".join(parts))


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class _Printf:
    def __init__(self, warn: Callable[[str], None], gnu: bool) -> None:
        self.warn = warn
        self.gnu = gnu
        self.status = 0

    def _bad(self, arg: str, what: str) -> None:
        self.status = 1
        if self.gnu:
            gnu = "expected a numeric value" if what[0] == "e" else "value not completely converted"
            self.warn(f"'{arg}': {gnu}")
        else:
            self.warn(f"{arg}: {what}")

    def integer(self, arg: str, unsigned: bool) -> int:
        if arg[:1] in ("'", '"'):
            return ord(arg[1]) if len(arg) > 1 else 0
        m = _INT.match(arg)
        if m is None:
            if arg.strip():
                self._bad(arg, "expected numeric value")
            return 0
        digits = m.group(2)
        v = (
            int(digits, 16)
            if digits[:2] in ("0x", "0X")
            else int(digits, 8 if digits[0] == "0" else 10)
        )
        if m.group(1) == "-":
            v = -v
        limit_hi = (1 << 64) - 1 if unsigned else (1 << 63) - 1
        if v > limit_hi or v < -(1 << 63):
            self.status = 1
            self.warn(f"{arg}: Numerical result out of range")
            v = limit_hi if v > 0 else -(1 << 63)
        if m.end() != len(arg):
            self._bad(arg, "not completely converted")
        if unsigned and v < 0:
            v += 1 << 64
        return v

    def number(self, arg: str) -> float:
        if arg[:1] in ("'", '"'):
            return float(ord(arg[1])) if len(arg) > 1 else 0.0
        s = arg.strip()
        m = re.match(
            r"[-+]?(?:inf(?:inity)?|nan|0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)",
            s,
            re.I,
        )
        if m is None:
            if s:
                self._bad(arg, "expected numeric value")
            return 0.0
        t = m.group()
        v = float(int(t, 16)) if t.lstrip("+-")[:2] in ("0x", "0X") else float(t)
        if m.end() != len(s):
            self._bad(arg, "not completely converted")
        return v

    def run(self, fmt: str, args: list[str], out: list[str]) -> None:
        pos = 0
        while True:
            used_before = pos
            i = 0
            n = len(fmt)
            while i < n:
                j = fmt.find("%", i)
                if j < 0:
                    j = n
                if j > i:
                    text, stop = _escapes(fmt[i:j], False)
                    out.append(text)
                    if stop:
                        raise _Stop
                if j >= n:
                    break
                m = _SPEC.match(fmt, j)
                assert m is not None
                flags, width, prec, conv = m.groups()
                if not conv:
                    bad = fmt[j : m.end() + 1]
                    raise ValueError(f"{bad}: invalid directive")
                i = m.end()
                if conv == "%":
                    out.append("%")
                    continue
                if width == "*":
                    width = str(self.integer(args[pos], False)) if pos < len(args) else "0"
                    pos += 1
                if prec == "*":
                    prec = str(self.integer(args[pos], False)) if pos < len(args) else "0"
                    pos += 1
                arg = args[pos] if pos < len(args) else None
                pos += 1
                out.append(self.convert(flags, width, prec, conv, arg))
            if pos <= used_before or pos >= len(args):
                return

    def convert(self, flags: str, width: str, prec: str | None, conv: str, arg: str | None) -> str:
        spec = "%" + flags + width + ("." + prec if prec is not None else "")
        if conv in "diouxX":
            v = self.integer(arg, conv in "ouxX") if arg is not None else 0
            if conv in "iu":
                conv = "d"
            if conv == "o" and "#" in flags:
                s = format(v, "o")
                if not s.startswith("0"):
                    s = "0" + s
                spec = (
                    "%" + flags.replace("#", "") + width + ("." + prec if prec is not None else "")
                )
                return (spec + "s") % s if prec is None else (spec.split(".")[0] + "s") % s
            return (spec + conv) % v
        if conv in "eEfFgG":
            return (spec + conv) % (self.number(arg) if arg is not None else 0.0)
        if conv == "c":
            return (spec.split(".")[0] + "s") % ((arg or "")[:1])
        if conv == "b":
            text, stop = _escapes(arg or "", True)
            if stop:
                self.pending_stop = (spec + "s") % text
                raise _Stop
            return (spec + "s") % text
        return (spec + "s") % (arg or "")


def run_printf(
    args: list[str], warn: Callable[[str], None], gnu: bool = False
) -> tuple[bytes, int]:
    """Format ``args`` (format first); (output, status). Usage problems raise
    ``ValueError`` with dash's message."""
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        raise ValueError("usage: printf format [arg ...]")
    p = _Printf(warn, gnu)
    out: list[str] = []
    try:
        p.run(args[0], args[1:], out)
    except _Stop:
        extra = getattr(p, "pending_stop", None)
        if extra is not None:
            out.append(extra)
    return _enc("".join(out)), p.status


@program("printf")
def printf_main(ctx: Context) -> int:
    """The ``printf`` program (GNU-style messages, dash's formatting)."""
    try:
        data, status = run_printf(ctx.argv[1:], ctx.error, gnu=True)
    except ValueError as e:
        msg = str(e)
        ctx.error("missing operand" if msg.startswith("usage") else msg)
        return 1
    ctx.stdout.write(data)
    return status
