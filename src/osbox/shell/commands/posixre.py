"""POSIX basic and extended regular expressions (regex(7)) on Python ``re``.

Translates a BRE or ERE, with the GNU extensions grep and sed accept
(``\\|``, ``\\+``, ``\\?``, ``\\<``, ``\\>``, ``\\b``, ``\\w``, ``\\s``,
back-references in EREs), into a Python pattern, reporting errors with
GNU regcomp's messages in the C locale ("Unmatched ( or \\(" ...).

Text is handled as ``str`` holding one character per byte (``latin-1``),
which is what the C locale means: classes such as ``[:alpha:]`` are ASCII.
``PosixRegex.search`` returns the leftmost match and, among top-level
alternatives matching there, the longest one, as POSIX requires.
"""

from __future__ import annotations

import re

__all__ = ["CHAR_CLASSES", "PosixRegex", "RegexError", "to_text", "from_text", "translate"]

# The bracket classes ``[:name:]`` as Python ``re`` set contents (C locale).
CHAR_CLASSES: dict[str, str] = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "0-9a-zA-Z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\v\\f\\r",
    "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
}
_DUP_MAX = 32767


class RegexError(Exception):
    """A pattern regcomp rejects; ``str(e)`` is GNU's message."""


def to_text(b: bytes) -> str:
    """Bytes as one character per byte (the C locale's view)."""
    return b.decode("latin-1")


def from_text(s: str) -> bytes:
    return s.encode("latin-1")


def arg_text(arg: str) -> str:
    """A command-line argument (fsdecoded str) as byte characters."""
    return to_text(arg.encode("utf-8", "surrogateescape"))


class _Parser:
    def __init__(self, pat: str, extended: bool) -> None:
        self.p = pat
        self.i = 0
        self.ere = extended
        self.ngroups = 0
        self.closed: set[int] = set()
        self.warnings: list[str] = []

    # -- tokens ----------------------------------------------------------------------
    def peek_op(self) -> str | None:
        """The operator at the cursor, spelled as in an ERE, or None."""
        p, i = self.p, self.i
        if i >= len(p):
            return "END"
        c = p[i]
        if self.ere:
            return c if c in "|()" else None
        if c == "\\" and i + 1 < len(p) and p[i + 1] in "|()":
            return p[i + 1]
        return None

    def op_len(self) -> int:
        return 1 if self.ere else 2

    # -- grammar ---------------------------------------------------------------------
    def parse_alt(self, depth: int) -> list[str]:
        branches = [self.parse_branch(depth)]
        while self.peek_op() == "|":
            self.i += self.op_len()
            branches.append(self.parse_branch(depth))
        return branches

    def parse_branch(self, depth: int) -> str:
        items: list[list[str]] = []  # [text, kind] kind: atom/anchor/quant
        p = self.p
        while True:
            op = self.peek_op()
            if op == "END" or op == "|":
                break
            if op == ")":
                if depth > 0:
                    break
                if not self.ere:
                    raise RegexError("Unmatched ) or \\)")
                self.i += 1
                items.append(["\\)", "atom"])
                continue
            if op == "(":
                self.i += self.op_len()
                self.ngroups += 1
                n = self.ngroups
                inner = self.parse_alt(depth + 1)
                if self.peek_op() != ")":
                    raise RegexError("Unmatched ( or \\(")
                self.i += self.op_len()
                self.closed.add(n)
                items.append(["(" + "|".join(inner) + ")", "atom"])
                continue
            c = p[self.i]
            at_start = not items or items[-1][1] == "anchor"
            # quantifiers
            q = self.quantifier(at_start)
            if q is not None:
                if q == "":
                    continue
                last = items[-1]
                if last[1] in ("quant", "anchor"):
                    last[0] = "(?:" + last[0] + ")"
                last[0] += q
                last[1] = "quant"
                continue
            if c == "^":
                self.i += 1
                if self.ere or not items:
                    items.append(["^", "anchor"])
                else:
                    items.append(["\\^", "atom"])
                continue
            if c == "$":
                self.i += 1
                if self.ere or self.peek_op() in ("END", "|", ")"):
                    items.append(["\\Z", "anchor"])
                else:
                    items.append(["\\$", "atom"])
                continue
            if c == ".":
                self.i += 1
                items.append([".", "atom"])
                continue
            if c == "[":
                items.append([self.bracket(), "atom"])
                continue
            if c == "\\":
                items.append(self.escape())
                continue
            self.i += 1
            items.append([re.escape(c), "atom"])
        return "".join(t for t, _ in items)

    def quantifier(self, at_start: bool) -> str | None:
        """Consume a quantifier at the cursor; "" means 'ignored' (leading ERE
        ``*``); None means there is none (the character is an atom)."""
        p, i = self.p, self.i
        c = p[i]
        if c == "*":
            if at_start:
                if self.ere:
                    self.i += 1
                    if "* at start of expression" not in self.warnings:
                        self.warnings.append("* at start of expression")
                    return ""
                return None
            self.i += 1
            return "*"
        if self.ere:
            if c in "+?":
                if at_start:
                    self.i += 1
                    return ""
                self.i += 1
                return c
            if c == "{":
                if at_start:
                    return None
                m = re.match(r"\{(\d*)(,(\d*))?\}", p[i:])
                if m is None or (m.group(1) == "" and m.group(2) is None):
                    return None
                self.i += m.end()
                return self.interval(m.group(1), m.group(2), m.group(3))
            return None
        if c == "\\" and i + 1 < len(p) and p[i + 1] in "+?{":
            if at_start:
                if p[i + 1] == "{":
                    raise RegexError("Invalid preceding regular expression")
                return None
            if p[i + 1] != "{":
                self.i += 2
                return p[i + 1]
            end = p.find("\\}", i + 2)
            if end < 0:
                raise RegexError("Unmatched \\{")
            body = p[i + 2 : end]
            m = re.fullmatch(r"(\d*)(,(\d*))?", body)
            if m is None or (m.group(1) == "" and m.group(2) is None):
                raise RegexError("Invalid content of \\{\\}")
            self.i = end + 2
            return self.interval(m.group(1), m.group(2), m.group(3))
        return None

    @staticmethod
    def interval(lo: str, comma: str | None, hi: str | None) -> str:
        low = int(lo) if lo else 0
        if comma is None:
            high: int | None = low
        else:
            high = int(hi) if hi else None
        if low > _DUP_MAX or (high is not None and high > _DUP_MAX):
            raise RegexError("Regular expression too big")
        if high is not None and high < low:
            raise RegexError("Invalid content of \\{\\}")
        if comma is None:
            return f"{{{low}}}"
        return f"{{{low},{'' if high is None else high}}}"

    def escape(self) -> list[str]:
        p = self.p
        self.i += 1
        if self.i >= len(p):
            raise RegexError("Trailing backslash")
        c = p[self.i]
        self.i += 1
        if c in "123456789":
            n = int(c)
            if n not in self.closed:
                raise RegexError("Invalid back reference")
            return [f"(?:\\{n})", "atom"]
        simple = {
            "w": "\\w",
            "W": "\\W",
            "s": "\\s",
            "S": "\\S",
            "n": "\\n",
            "t": "\\t",
        }
        if c in simple:
            return [simple[c], "atom"]
        anchors = {
            "b": "\\b",
            "B": "\\B",
            "<": "\\b(?=\\w)",
            ">": "\\b(?<=\\w)",
            "`": "\\A",
            "'": "\\Z",
        }
        if c in anchors:
            return [anchors[c], "anchor"]
        return [re.escape(c), "atom"]

    def bracket(self) -> str:
        p = self.p
        start = self.i
        i = self.i + 1
        if i >= len(p):
            raise RegexError("Invalid regular expression")
        neg = False
        if p[i] == "^":
            neg = True
            i += 1
        parts: list[str] = []
        first = True
        unmatched = RegexError("Unmatched [, [^, [:, [., or [=")
        while True:
            if i >= len(p):
                raise unmatched
            c = p[i]
            if c == "]" and not first:
                i += 1
                break
            first = False
            if c == "[" and i + 1 < len(p) and p[i + 1] in ":=.":
                kind = p[i + 1]
                end = p.find(kind + "]", i + 2)
                if end < 0:
                    raise unmatched
                name = p[i + 2 : end]
                i = end + 2
                if kind == ":":
                    if name not in CHAR_CLASSES:
                        raise RegexError("Invalid character class name")
                    parts.append(CHAR_CLASSES[name])
                    continue
                if len(name) != 1:
                    raise RegexError("Invalid collation character")
                lo = name
            else:
                lo = c
                i += 1
            if i + 1 < len(p) and p[i] == "-" and p[i + 1] != "]":
                i += 1
                if p[i] == "[" and i + 1 < len(p) and p[i + 1] == ".":
                    end = p.find(".]", i + 2)
                    if end < 0:
                        raise unmatched
                    hi = p[i + 2 : end]
                    i = end + 2
                else:
                    hi = p[i]
                    i += 1
                if len(hi) != 1 or ord(hi) < ord(lo):
                    raise RegexError("Invalid range end")
                parts.append(_cls_esc(lo) + "-" + _cls_esc(hi))
            else:
                parts.append(_cls_esc(lo))
        del start
        self.i = i
        return "[" + ("^" if neg else "") + "".join(parts) + "]"


def _cls_esc(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


def translate(pattern: str, extended: bool) -> tuple[list[str], list[str]]:
    """The Python pattern of each top-level alternative of ``pattern``, and
    the warnings GNU prints. Raises ``RegexError``."""
    parser = _Parser(pattern, extended)
    branches = parser.parse_alt(0)
    if parser.peek_op() != "END":  # a stray ")" at top level in a BRE
        raise RegexError("Unmatched ) or \\)")
    return branches, parser.warnings


class PosixRegex:
    """A compiled POSIX regex; ``search`` finds the leftmost(-longest) match."""

    def __init__(
        self,
        pattern: str,
        *,
        extended: bool = False,
        icase: bool = False,
        fixed: bool = False,
        word: bool = False,
        line: bool = False,
    ) -> None:
        if fixed:
            branches, self.warnings = [re.escape(pattern)], list[str]()
        else:
            branches, self.warnings = translate(pattern, extended)
        if line:
            branches = ["^(?:" + b + ")\\Z" for b in branches]
        elif word:
            branches = ["(?<!\\w)(?:" + b + ")(?!\\w)" for b in branches]
        flags = re.ASCII | re.DOTALL | (re.IGNORECASE if icase else 0)
        self.regex = self._compile("|".join(branches), flags)
        self.branches: list[re.Pattern[str]] = []
        if len(branches) > 1:
            for k in range(len(branches)):
                alts = [b if j == k else "(?!)" + b for j, b in enumerate(branches)]
                self.branches.append(self._compile("|".join(alts), flags))

    @staticmethod
    def _compile(src: str, flags: int) -> re.Pattern[str]:
        try:
            return re.compile(src, flags)
        except re.error as e:  # pragma: no cover - translation bug guard
            raise RegexError("Invalid regular expression") from e
        except RecursionError as e:  # pragma: no cover
            raise RegexError("Regular expression too big") from e

    def search(self, s: str, pos: int = 0) -> re.Match[str] | None:
        m = self.regex.search(s, pos)
        if m is None or not self.branches:
            return m
        best = m
        start = m.start()
        for b in self.branches:
            bm = b.match(s, start)
            if bm is not None and bm.end() > best.end():
                best = bm
        return best

    def fullmatch(self, s: str) -> bool:
        return self.regex.fullmatch(s) is not None
