"""Shell arithmetic ``$(( ))`` as dash 0.5.12 evaluates it.

Signed 64-bit integers with wraparound; decimal, octal (``0``) and hex
(``0x``) constants; variables by name (their value must be a number, an
unset or empty one is 0); C's unary, binary, ternary and assignment
operators (no ``++``/``--``/``,``/``**``). Errors carry dash's messages:
``arithmetic expression: expecting primary: "EXPR"``, ``division by zero``,
``Illegal number: VALUE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ArithError", "evaluate", "parse_number"]

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|"
    r"(<<=|>>=|&&|\|\||<<|>>|<=|>=|==|!=|[-+*/%&^|]=|[-+*/%<>&^|!~?:=()]))"
)
_BINARY: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    "<=": 7,
    ">": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
_ASSIGN = frozenset(("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="))
_NUM = re.compile(r"\s*(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))\s*\Z")


class ArithError(Exception):
    """An arithmetic error; ``str()`` is dash's message (without ``sh: N:``)."""


def _wrap(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >= 1 << 63 else v


def parse_number(text: str) -> int:
    """A variable's value as a number, or ``Illegal number: TEXT``."""
    m = _NUM.match(text)
    if m is None:
        if text.strip() == "":
            return 0
        s = text.strip()
        sign = 1
        if s[:1] in "+-" and _NUM.match(s[1:]):
            sign = -1 if s[0] == "-" else 1
            return _wrap(sign * parse_number(s[1:]))
        raise ArithError(f"Illegal number: {text}")
    if m.group(1):
        return _wrap(int(m.group(1), 16))
    if m.group(2):
        return _wrap(int(m.group(2), 8))
    return _wrap(int(m.group(3)))


def _binop(op: str, a: int, b: int) -> int:
    if op == "+":
        return _wrap(a + b)
    if op == "-":
        return _wrap(a - b)
    if op == "*":
        return _wrap(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise ArithError("division by zero")
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        return _wrap(q) if op == "/" else _wrap(a - q * b)
    if op == "<<":
        return _wrap(a << (b & 63))
    if op == ">>":
        return a >> (b & 63)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "==":
        return int(a == b)
    if op == "!=":
        return int(a != b)
    if op == "<":
        return int(a < b)
    if op == "<=":
        return int(a <= b)
    if op == ">":
        return int(a > b)
    return int(a >= b)


class _Eval:
    def __init__(
        self, text: str, get: Callable[[str], str | None], put: Callable[[str, str], None]
    ) -> None:
        self.text = text
        self.get = get
        self.put = put
        self.toks: list[tuple[str, str]] = []
        pos = 0
        while True:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                break
            pos = m.end()
            if m.group(1):
                self.toks.append(("num", m.group(1)))
            elif m.group(2):
                self.toks.append(("name", m.group(2)))
            else:
                self.toks.append(("op", m.group(3)))
        if text[pos:].strip():
            self.toks.append(("bad", text[pos:]))
        self.i = 0

    def fail(self, what: str) -> ArithError:
        return ArithError(f'arithmetic expression: {what}: "{self.text}"')

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "")

    def run(self) -> int:
        if not self.toks:
            return 0
        v = self.expr(True)
        if self.i < len(self.toks):
            raise self.fail("expecting EOF")
        return v

    def value(self, name: str) -> int:
        v = self.get(name)
        return 0 if v is None or v == "" else parse_number(v)

    def expr(self, ev: bool) -> int:
        kind, tok = self.peek()
        if kind == "name" and self.i + 1 < len(self.toks):
            k2, op = self.toks[self.i + 1]
            if k2 == "op" and op in _ASSIGN:
                self.i += 2
                rhs = self.expr(ev)
                if not ev:
                    return 0
                if op != "=":
                    try:
                        rhs = _binop(op[:-1], self.value(tok), rhs)
                    except ArithError as e:
                        raise self.fail(str(e)) from None
                self.put(tok, str(rhs))
                return rhs
        return self.ternary(ev)

    def ternary(self, ev: bool) -> int:
        cond = self.binary(1, ev)
        if self.peek() != ("op", "?"):
            return cond
        self.i += 1
        a = self.expr(ev and cond != 0)
        if self.peek() != ("op", ":"):
            raise self.fail("expecting ':'")
        self.i += 1
        b = self.ternary(ev and cond == 0)
        return a if cond else b

    def binary(self, minprec: int, ev: bool) -> int:
        left = self.unary(ev)
        while True:
            kind, op = self.peek()
            prec = _BINARY.get(op, 0) if kind == "op" else 0
            if prec < minprec:
                return left
            self.i += 1
            if op == "&&":
                right = self.binary(prec + 1, ev and left != 0)
                left = int(left != 0 and right != 0)
            elif op == "||":
                right = self.binary(prec + 1, ev and left == 0)
                left = int(left != 0 or right != 0)
            else:
                right = self.binary(prec + 1, ev)
                try:
                    left = _binop(op, left, right) if ev else 0
                except ArithError as e:
                    raise self.fail(str(e)) from None

    def unary(self, ev: bool) -> int:
        kind, tok = self.peek()
        if kind == "op" and tok in ("-", "+", "!", "~"):
            self.i += 1
            v = self.unary(ev)
            if tok == "-":
                return _wrap(-v)
            if tok == "!":
                return int(v == 0)
            if tok == "~":
                return ~v
            return v
        if kind == "op" and tok == "(":
            self.i += 1
            v = self.expr(ev)
            if self.peek() != ("op", ")"):
                raise self.fail("expecting ')'")
            self.i += 1
            return v
        if kind == "num":
            self.i += 1
            nxt = self.peek()
            if nxt[0] in ("num", "name"):
                raise self.fail("expecting EOF")
            if tok[:2] in ("0x", "0X"):
                return _wrap(int(tok, 16))
            if tok.startswith("0") and len(tok) > 1:
                if any(c in "89" for c in tok):
                    raise self.fail("expecting EOF")
                return _wrap(int(tok, 8))
            return _wrap(int(tok))
        if kind == "name":
            self.i += 1
            return self.value(tok) if ev else 0
        raise self.fail("expecting primary")


def evaluate(text: str, get: Callable[[str], str | None], put: Callable[[str, str], None]) -> int:
    """Evaluate ``text``; ``get``/``put`` read and assign shell variables."""
    return _Eval(text, get, put).run()
