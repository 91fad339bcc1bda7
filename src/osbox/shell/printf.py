"""``printf``: dash 0.5.12's builtin and GNU coreutils' ``printf`` program.

The format is reused while arguments remain; conversions ``%d %i %o %u %x
%X %c %s %b %e %E %f %F %g %G %a %A %%`` with flags, width and precision
(``*`` too); numeric arguments follow ``strtoimax`` (``0x``, leading ``0``,
and ``'c`` for a character's first byte). Bad numbers warn (``expected
numeric value``, ``not completely converted``) and make the status 1.

The two dialects differ where dash and GNU do: GNU adds ``%q`` (quoting for
the shell), length modifiers (``%ld``), ``\\x``/``\\u``/``\\U``/``\\c`` escapes
in the format, per-conversion flag checks, ``%a`` on a ``long double``,
quoted argument names in messages and ``invalid conversion specification``;
dash rejects options (``Illegal option -v``) and says ``missing format
character``. Also dash's ``echo`` (one ``-n`` option, escapes always on).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .context import Context
from .registry import program

__all__ = ["PrintfError", "echo_bytes", "printf_main", "run_printf", "shell_escape"]

_INT = re.compile(r"\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[-+]?(?:inf(?:inity)?|nan|0x[0-9a-f]*\.?[0-9a-f]*(?:p[-+]?[0-9]+)?"
    r"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?)",
    re.I,
)
_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SIMPLE |= {"v": "\v", "\\": "\\"}
_OCT = "01234567"
_HEX = "0123456789abcdefABCDEF"
_DASH_CONV = "diouxXeEfFgGaAcsb"
# GNU printf's accepted flags per conversion ("w" width, "p" precision).
_GNU_OK = dict.fromkeys("di", "-+ 0'wp") | {"u": "-+ 0'wp"} | dict.fromkeys("oxX", "-+ #0wp")
_GNU_OK |= dict.fromkeys("eEaA", "-+ #0wp") | dict.fromkeys("fFgG", "-+ #0'wp")
_GNU_OK |= {"c": "-+ w", "s": "-+ wp", "b": "", "q": ""}
_DBL_MIN = 2.2250738585072014e-308
# Characters GNU's shell quoting style quotes anywhere, and only first.
_SH_SPECIAL = frozenset(" !\"$&'()*;<=>?[\\^`|")
_SH_FIRST = frozenset("#~")
# A string with a quote is double-quoted only when none of these is in it.
_DQ_UNSAFE = frozenset('!"#$&()*;<=>?[\\^`{|}~')


class PrintfError(Exception):
    """A fatal format error: ``str()`` is the message, ``output`` what was
    printed before it."""

    def __init__(self, message: str, output: bytes = b"") -> None:
        super().__init__(message)
        self.output = output
        self.partial = ""


class _Stop(Exception):  # noqa: N818 - \c: no further output
    pass


def _byte(v: int) -> str:
    """One output byte as a str character (bytes >= 0x80 surrogate-escaped)."""
    v &= 0xFF
    return chr(v) if v < 0x80 else chr(0xDC00 + v)


def _escapes(s: str, for_b: bool, gnu: bool = False) -> tuple[str, bool]:
    """Interpret backslash escapes of a format (or ``%b`` argument when
    ``for_b``); (text, stopped at ``\\c``)."""
    if "\\" not in s:
        return s, False
    out: list[str] = []
    try:
        return _escape_into(s, for_b, gnu, out)
    except PrintfError as e:
        e.partial = "".join(out)
        raise


def _escape_into(s: str, for_b: bool, gnu: bool, out: list[str]) -> tuple[str, bool]:
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = s[i + 1]
        if d in _SIMPLE:
            out.append(_SIMPLE[d])
            i += 2
        elif d == "c" and (for_b or gnu):
            return "".join(out), True
        elif d in _OCT:
            j = i + 1
            if for_b and d == "0":
                j += 1
            k = j
            while k < n and k < j + 3 and s[k] in _OCT:
                k += 1
            out.append(_byte(int(s[j:k] or "0", 8)))
            i = k
        elif gnu and d == '"' and not for_b:
            out.append('"')
            i += 2
        elif gnu and d in "xuU":
            i = _gnu_hex(s, i, out)
        else:
            out.append("\\")
            i += 1
    return "".join(out), False


def _gnu_hex(s: str, i: int, out: list[str]) -> int:
    """GNU's ``\\xHH``, ``\\uHHHH`` and ``\\UHHHHHHHH`` at ``s[i]``; the next index."""
    kind = s[i + 1]
    want = {"x": 2, "u": 4, "U": 8}[kind]
    k = i + 2
    while k < len(s) and k < i + 2 + want and s[k] in _HEX:
        k += 1
    if k == i + 2 or (kind != "x" and k - i - 2 < want):
        raise PrintfError("missing hexadecimal number in escape")
    v = int(s[i + 2 : k], 16)
    if kind == "x":
        out.append(_byte(v))
        return k
    if (v < 0xA0 and v not in (0x24, 0x40, 0x60)) or 0xD800 <= v <= 0xDFFF:
        raise PrintfError(f"invalid universal character name \\{kind}{s[i + 2 : k]}")
    # The C locale cannot encode the character: GNU prints its name.
    out.append(chr(v) if v < 0x80 else (f"\\u{v:04X}" if v <= 0xFFFF else f"\\U{v:08X}"))
    return k


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


def shell_escape(s: str) -> str:
    """Quote ``s`` for the shell as GNU's ``%q`` (``ls --quoting-style=shell-escape``)."""
    data = _enc(s)
    if data and all(32 <= b < 127 for b in data):
        plain = not any(c in _SH_SPECIAL for c in s) and s[0] not in _SH_FIRST
        if plain and s not in ("{", "}"):
            return s
        rest = s[1:] if s[0] in _SH_FIRST else s
        if "'" in s and not any(c in _DQ_UNSAFE for c in rest):
            return '"' + s + '"'
    out = ["'"]
    state = "sq"  # inside '...' or inside $'...'
    for b in data:
        if b == 0x27:
            out.append("'\\''")  # close the quote (either kind), \', reopen
            state = "sq"
        elif 32 <= b < 127:
            if state != "sq":
                out.append("''")  # close $'...', open '...'
            out.append(chr(b))
            state = "sq"
        else:
            if state == "sq":
                out.append("'$'")
            state = "dq"
            esc = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r"}.get(b)
            out.append("\\" + esc if esc else f"\\{b:03o}")
    out.append("'")
    return "".join(out)


def _hex_float(neg: bool, lead: int, frac: int, bits: int, exp: int, prec: int | None) -> str:
    """``%a``'s body: ``lead.frac`` (``frac`` has ``bits`` bits) times 2**exp."""
    total = (lead << bits) | frac
    if prec is not None:
        shift = bits - 4 * prec
        if shift > 0:
            q, r = divmod(total, 1 << shift)
            half = 1 << (shift - 1)
            if r > half or (r == half and q & 1):
                q += 1
            total = q
        else:
            total <<= -shift
        bits = 4 * prec
    lead, frac = total >> bits, total & ((1 << bits) - 1)
    digits = f"{frac:0{bits // 4}x}" if bits else ""
    if prec is None:
        digits = digits.rstrip("0")
    body = f"0x{lead:x}" + ("." + digits if digits else "") + f"p{exp:+d}"
    return ("-" if neg else "") + body


def _hex_double(v: float, prec: int | None) -> str:
    """glibc's ``%a`` for a double: ``0x1.8p+1``."""
    neg = math.copysign(1.0, v) < 0
    a = abs(v)
    if a == 0:
        return _hex_float(neg, 0, 0, 52, 0, prec)
    if a < _DBL_MIN:
        return _hex_float(neg, 0, int(a / 2.0**-1074), 52, -1022, prec)
    m, e = math.frexp(a)
    return _hex_float(neg, 1, int((m * 2 - 1) * 2**52), 52, e - 1, prec)


def _hex_long_double(text: str, prec: int | None) -> str:
    """glibc's ``%La`` on x86-64 (64-bit mantissa, explicit integer bit): ``0x8p-3``."""
    t = text.strip()
    neg = t.startswith("-")
    try:
        value = abs(Fraction(Decimal(t.lstrip("+-"))))
    except (InvalidOperation, ValueError):
        value = abs(Fraction(float.fromhex(t)))
    if value == 0:
        return _hex_float(neg, 0, 0, 60, 0, prec)
    e = value.numerator.bit_length() - value.denominator.bit_length() - 63
    while value / Fraction(2) ** e >= 1 << 64:
        e += 1
    while value / Fraction(2) ** e < 1 << 63:
        e -= 1
    m = round(value / Fraction(2) ** e)
    if m >= 1 << 64:
        m >>= 1
        e += 1
    return _hex_float(neg, m >> 60, m & ((1 << 60) - 1), 60, e + 60, prec)


def _pad(body: str, flags: str, width: str, signed: bool, zeros: bool | None = None) -> str:
    """Apply the sign flags (when ``signed``), width and ``-``/``0`` padding
    (zeros when ``zeros``, by default for a signed number) to a conversion."""
    if signed and not body.startswith("-"):
        body = ("+" if "+" in flags else " " if " " in flags else "") + body
    w = int(width) if width else 0
    if len(body) >= w:
        return body
    if "-" in flags:
        return body.ljust(w)
    if zeros is None:
        zeros = signed and body[-3:].lower() not in ("inf", "nan")
    if zeros and "0" in flags:
        sign = body[:1] if body[:1] in "+- " else ""
        rest = body[len(sign) :]
        prefix = rest[:2] if rest[:2].lower() == "0x" else ""
        return sign + prefix + rest[len(prefix) :].rjust(w - len(sign) - len(prefix), "0")
    return body.rjust(w)


class _Printf:
    def __init__(self, warn: Callable[[str], None], gnu: bool) -> None:
        self.warn = warn
        self.gnu = gnu
        self.status = 0
        self.out: list[str] = []
        self.pending_stop: str | None = None

    def _bad(self, arg: str, what: str) -> None:
        self.status = 1
        if self.gnu:
            gnu = "expected a numeric value" if what[0] == "e" else "value not completely converted"
            self.warn(f"'{arg}': {gnu}")
        else:
            self.warn(f"{arg}: {what}")

    def _range(self, arg: str) -> None:
        self.status = 1
        self.warn(
            f"'{arg}': Numerical result out of range"
            if self.gnu
            else f"{arg}: Numerical result out of range"
        )

    def _char_code(self, arg: str) -> int:
        data = _enc(arg[1:])
        if self.gnu and len(data) > 1:
            rest = data[1:].decode("utf-8", "surrogateescape")
            self.warn(
                f"warning: {rest}: character(s) following character constant have been ignored"
            )
        return data[0] if data else 0

    def integer(self, arg: str, unsigned: bool) -> int:
        if arg[:1] in ("'", '"'):
            return self._char_code(arg)
        m = _INT.match(arg)
        if m is None:
            if arg.strip() or (self.gnu and arg):
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
            self._range(arg)
            v = limit_hi if v > 0 else -(1 << 63)
        if m.end() != len(arg):
            self._bad(arg, "not completely converted")
        if unsigned and v < 0:
            v += 1 << 64
        return v

    def number(self, arg: str) -> tuple[float, str]:
        """The value of a floating-point argument, and the text it was read from."""
        if arg[:1] in ("'", '"'):
            code = self._char_code(arg)
            return float(code), str(code)
        s = arg.lstrip()
        m = _FLOAT.match(s)
        if m is None or m.group().lower() in ("0x", "+0x", "-0x"):
            if s or (self.gnu and arg):
                self._bad(arg, "expected numeric value")
            return 0.0, "0"
        t = m.group()
        hexa = t.lstrip("+-")[:2].lower() == "0x"
        v = float.fromhex(t) if hexa else float(t)
        finite_text = not re.search("[in]", t.lower().replace("0x", ""), re.I) or hexa
        if not self.gnu and finite_text and not hexa:
            if math.isinf(v) or (abs(v) < _DBL_MIN and Fraction(Decimal(t)) != Fraction(v)):
                self._range(arg)
        if m.end() != len(s):
            self._bad(arg, "not completely converted")
        return v, t

    def directive(self, fmt: str, j: int) -> tuple[int, str, str, str | None, str]:
        """Parse the conversion at ``fmt[j]`` (a ``%``): (end, flags, width, prec, conv)."""
        n = len(fmt)
        k = j + 1
        flagset = "-+ #0'" if self.gnu else "-+ #0"
        while k < n and fmt[k] in flagset:
            k += 1
        flags = fmt[j + 1 : k]
        w0 = k
        if fmt[k : k + 1] == "*":
            k += 1
        else:
            while k < n and fmt[k].isdigit():
                k += 1
        width = fmt[w0:k]
        prec: str | None = None
        if fmt[k : k + 1] == ".":
            k += 1
            p0 = k
            if fmt[k : k + 1] == "*":
                k += 1
            else:
                while k < n and fmt[k].isdigit():
                    k += 1
            prec = fmt[p0:k]
        if self.gnu:
            while k < n and fmt[k] in "hlLjzt":
                k += 1
        if k >= n:
            if self.gnu:
                raise PrintfError(f"{fmt[j:]}: invalid conversion specification")
            raise PrintfError("missing format character")
        conv = fmt[k]
        ok = _GNU_OK.get(conv) if self.gnu else ("" if conv in _DASH_CONV else None)
        if ok is not None and self.gnu:
            used = set(flags) | ({"w"} if width else set()) | ({"p"} if prec is not None else set())
            if not used <= set(ok):
                ok = None
        if ok is None:
            what = "invalid conversion specification" if self.gnu else "invalid directive"
            raise PrintfError(f"{fmt[j : k + 1]}: {what}")
        return k + 1, flags.replace("'", ""), width, prec, conv

    def run(self, fmt: str, args: list[str]) -> None:
        out = self.out
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
                    text, stop = _escapes(fmt[i:j], False, self.gnu)
                    out.append(text)
                    if stop:
                        raise _Stop
                if j >= n:
                    break
                if fmt.startswith("%%", j):
                    out.append("%")
                    i = j + 2
                    continue
                i, flags, width, prec, conv = self.directive(fmt, j)
                if width == "*":
                    width = str(self.integer(args[pos], False)) if pos < len(args) else "0"
                    pos += 1
                if prec == "*":
                    prec = str(self.integer(args[pos], False)) if pos < len(args) else "0"
                    pos += 1
                if width.startswith("-"):
                    flags += "-"
                    width = width[1:]
                if prec is not None and prec.startswith("-"):
                    prec = None
                arg = args[pos] if pos < len(args) else None
                pos += 1
                out.append(self.convert(flags, width, prec, conv, arg))
            if pos == 0 and args and self.gnu:
                self.warn(f"warning: ignoring excess arguments, starting with '{args[0]}'")
            if pos <= used_before or pos >= len(args):
                return

    def convert(self, flags: str, width: str, prec: str | None, conv: str, arg: str | None) -> str:
        p = int(prec) if prec else (0 if prec is not None else None)
        if conv in "diouxX":
            return self._integer(flags, width, p, conv, arg)
        if conv in "aA":
            v, text = self.number(arg) if arg is not None else (0.0, "0")
            if math.isinf(v) or math.isnan(v):
                body = ("-" if math.copysign(1.0, v) < 0 else "") + (
                    "inf" if math.isinf(v) else "nan"
                )
            elif self.gnu:
                body = _hex_long_double(text, p)
            else:
                body = _hex_double(v, p)
            if "#" in flags and "." not in body:
                body = body.replace("p", ".p", 1)
            body = body.upper() if conv == "A" else body
            return _pad(body, flags, width, True)
        if conv in "eEfFgG":
            v, text = self.number(arg) if arg is not None else (0.0, "0")
            if math.isnan(v) or math.isinf(v):
                body = ("-" if math.copysign(1.0, v) < 0 else "") + (
                    "nan" if math.isnan(v) else "inf"
                )
                if self.gnu and math.isinf(v) and "n" not in text.lower():
                    # Beyond a double but within GNU's long double.
                    body = format(Decimal(text), f".{6 if p is None else p}{conv.lower()}")
                return _pad(body.upper() if conv in "EFG" else body, flags, width, True)
            spec = "%" + flags + width + ("." + str(p) if p is not None else "")
            return (spec + conv) % v
        if conv == "c":
            data = _enc(arg or "")[:1] or b"\0"
            return _pad(
                data.decode("utf-8", "surrogateescape"), flags.replace("0", ""), width, False
            )
        if conv == "q":
            return shell_escape(arg or "")
        text = arg or ""
        if conv == "b":
            text, stop = _escapes(text, True, self.gnu)
            if stop:
                self.pending_stop = _pad(text[:p] if p is not None else text, flags, width, False)
                raise _Stop
        if p is not None:
            text = text[:p]
        return _pad(text, flags.replace("0", ""), width, False)

    def _integer(self, flags: str, width: str, p: int | None, conv: str, arg: str | None) -> str:
        v = self.integer(arg, conv in "ouxX") if arg is not None else 0
        neg = v < 0
        a = -v if neg else v
        if conv in "oxX":
            flags = flags.replace("+", "").replace(" ", "")
        if conv == "o":
            digits = format(a, "o")
        elif conv in "xX":
            digits = format(a, conv)
        else:
            digits = str(a)
        if p is not None:
            digits = "" if p == 0 and a == 0 else digits.rjust(p, "0")
            flags = flags.replace("0", "")
        if "#" in flags:
            if conv == "o" and not digits.startswith("0"):
                digits = "0" + digits
            elif conv in "xX" and a:
                digits = ("0x" if conv == "x" else "0X") + digits
        body = ("-" if neg else "") + digits
        if not body:
            return " " * int(width or 0)
        return _pad(body, flags, width, conv in "di", True)


def run_printf(
    args: list[str], warn: Callable[[str], None], gnu: bool = False
) -> tuple[bytes, int]:
    """Format ``args`` (format first); (output, status). Usage problems and
    fatal format errors raise ``PrintfError`` (with what was printed first)."""
    if args and args[0] == "--":
        args = args[1:]
    elif args and not gnu and len(args[0]) > 1 and args[0][0] == "-":
        raise PrintfError(f"Illegal option -{args[0][1]}")
    if not args:
        raise PrintfError("missing operand" if gnu else "usage: printf format [arg ...]")
    p = _Printf(warn, gnu)
    try:
        p.run(args[0], args[1:])
    except _Stop:
        if p.pending_stop is not None:
            p.out.append(p.pending_stop)
    except PrintfError as e:
        e.output = _enc("".join(p.out) + e.partial)
        raise
    return _enc("".join(p.out)), p.status


_HELP = """\
Usage: printf FORMAT [ARGUMENT]...
  or:  printf OPTION
Print ARGUMENT(s) according to FORMAT, or execute according to OPTION:

      --help        display this help and exit
      --version     output version information and exit
"""


@program("printf")
def printf_main(ctx: Context) -> int:
    """The ``printf`` program, GNU coreutils' (``%q``, GNU's messages)."""
    args = ctx.argv[1:]
    if args in (["--help"], ["--version"]):
        text = _HELP if args[0] == "--help" else "printf (GNU coreutils) 9.1\n"
        ctx.stdout.write(text.encode())
        return 0
    try:
        data, status = run_printf(args, ctx.error, gnu=True)
    except PrintfError as e:
        ctx.stdout.write(e.output)
        ctx.stdout.flush()
        ctx.error(str(e))
        if str(e) == "missing operand":
            ctx.stderr.write(f"Try '{ctx.argv[0]} --help' for more information.\n".encode())
        return 1
    ctx.stdout.write(data)
    return status
