"""The tokenizer of the POSIX shell language, as dash 0.5.12 reads it.

Tokens are words (already split into quoting/expansion parts, see
``nodes.py``), operators, newlines and end of file. ``$(...)`` bodies are
parsed recursively through ``subparse`` (the parser shares this lexer);
here-document bodies are read when the newline after their operator is
consumed. Errors use dash's messages (``Syntax error: Unterminated quoted
string``, ``Missing '}'``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .nodes import DQ, Arith, BadSubst, CmdSub, Command, HereDoc, Lit, Param, Part, Quoted, Word

__all__ = ["RESERVED", "Lexer", "ShSyntaxError", "Token", "word_literal"]

RESERVED = frozenset("! { } case do done elif else esac fi for if in then until while".split())
OPERATORS = (
    "&&",
    "||",
    ";;",
    "<<-",
    "<<",
    ">>",
    "<&",
    ">&",
    "<>",
    ">|",
    ";",
    "&",
    "|",
    "<",
    ">",
    "(",
    ")",
)
_PLAIN = re.compile(r"[^ \t\n;&|<>()\\'\"$`]+")
_DQ_PLAIN = re.compile(r'[^\\"$`]+')
_HD_PLAIN = re.compile(r"[^\\$`]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = "@*#?-$!"


class ShSyntaxError(Exception):
    """A parse error; ``str()`` is dash's message without the ``sh: N:`` prefix."""

    def __init__(self, message: str, lineno: int) -> None:
        super().__init__(message)
        self.lineno = lineno


@dataclass
class Token:
    kind: str  # "word", "io", "op", "newline", "eof"
    text: str
    word: Word | None = None
    lineno: int = 0
    heredoc: HereDoc | None = None

    @property
    def kw(self) -> str | None:
        """The reserved word this token spells, if it is a plain unquoted one."""
        w = self.word
        if self.kind == "word" and w is not None and len(w) == 1 and isinstance(w[0], Lit):
            t = w[0].text
            if t in RESERVED:
                return t
        return None

    def describe(self) -> str:
        """How dash names this token in ``X unexpected``."""
        if self.kind == "eof":
            return "end of file"
        if self.kind == "newline":
            return "newline"
        if self.kind == "word":
            kw = self.kw
            return f'"{kw}"' if kw else "word"
        if self.kind == "io":
            return "redirection"
        if self.text in ("<", ">", ">>", "<<", "<<-", "<&", ">&", "<>", ">|"):
            return "redirection"
        return f'"{self.text}"'


def word_literal(word: Word) -> str:
    """The text of a word after quote removal, ignoring expansions' values."""
    out: list[str] = []
    for p in word:
        if isinstance(p, (Lit, Quoted)):
            out.append(p.text)
        elif isinstance(p, DQ):
            out.append(word_literal(p.parts))
        elif isinstance(p, Param):
            out.append("$" + p.name)
    return "".join(out)


class Lexer:
    """Reads tokens from ``src``; ``subparse`` parses a ``$(...)`` body."""

    def __init__(self, src: str, lineno: int = 1) -> None:
        self.src = src
        self.pos = 0
        self.lineno = lineno
        self.pending: list[HereDoc] = []
        self.want_delim: str | None = None
        self.heredoc_eof = False  # a here-document ran to the end of the source
        self.subparse: Callable[[Lexer], Command | None] | None = None
        self.parse_string: Callable[[str, int], Command | None] | None = None

    def error(self, message: str) -> ShSyntaxError:
        return ShSyntaxError(message, self.lineno)

    # -- tokens ---------------------------------------------------------------------
    def token(self) -> Token:
        src = self.src
        n = len(src)
        while True:
            while self.pos < n and src[self.pos] in " \t":
                self.pos += 1
            if src.startswith("\\\n", self.pos):
                self.pos += 2
                self.lineno += 1
                continue
            break
        if self.pos < n and src[self.pos] == "#":
            end = src.find("\n", self.pos)
            self.pos = n if end < 0 else end
        if self.pos >= n:
            return Token("eof", "", lineno=self.lineno)
        c = src[self.pos]
        if c == "\n":
            line = self.lineno
            self.pos += 1
            self.lineno += 1
            if self.pending:
                self.read_heredocs()
            return Token("newline", "\n", lineno=line)
        if c in ";&|<>()":
            for op in OPERATORS:
                if src.startswith(op, self.pos):
                    self.pos += len(op)
                    if op in ("<<", "<<-"):
                        self.want_delim = op
                    return Token("op", op, lineno=self.lineno)
        line = self.lineno
        start = self.pos
        word = self.read_word()
        raw = src[start : self.pos]
        tok = Token("word", raw, word, line)
        if raw.isdigit() and self.pos < n and src[self.pos] in "<>":
            tok.kind = "io"
            return tok
        if self.want_delim is not None:
            quoted = any(not isinstance(p, Lit) for p in word)
            hd = HereDoc(word_literal(word), quoted, self.want_delim == "<<-")
            self.want_delim = None
            self.pending.append(hd)
            tok.heredoc = hd
        return tok

    # -- words ----------------------------------------------------------------------
    def read_word(self, stop: str = "", in_dq: bool = False) -> Word:
        """An unquoted word; ``stop`` (``}``) ends a ``${...}`` argument, where
        blanks are literal and, inside double quotes, single quotes too."""
        src = self.src
        n = len(src)
        parts: list[Part] = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                parts.append(Lit("".join(lit)))
                lit.clear()

        while self.pos < n:
            c = src[self.pos]
            if stop:
                if c == stop:
                    break
                if c not in "\\'\"$`" or (c == "'" and in_dq):
                    if c == "\n":
                        self.lineno += 1
                    lit.append(c)
                    self.pos += 1
                    continue
            else:
                m = _PLAIN.match(src, self.pos)
                if m:
                    lit.append(m.group())
                    self.pos = m.end()
                    continue
                if c in " \t\n;&|<>()":
                    break
            if c == "\\":
                if src.startswith("\n", self.pos + 1):
                    self.pos += 2
                    self.lineno += 1
                    continue
                if self.pos + 1 >= n:
                    lit.append("\\")
                    self.pos += 1
                    continue
                flush()
                nxt = src[self.pos + 1]
                if in_dq and nxt not in '$`"\\}':
                    parts.append(Quoted("\\" + nxt))
                else:
                    parts.append(Quoted(nxt))
                self.pos += 2
            elif c == "'":
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise self.error("Syntax error: Unterminated quoted string")
                flush()
                text = src[self.pos + 1 : end]
                self.lineno += text.count("\n")
                parts.append(Quoted(text))
                self.pos = end + 1
            elif c == '"':
                flush()
                self.pos += 1
                parts.append(DQ(self.read_dq()))
            elif c == "$":
                flush()
                parts.append(self.read_dollar(in_dq))
            else:  # backquote
                flush()
                parts.append(self.read_backquote(in_dq))
        flush()
        return parts

    def read_dq(self) -> list[Part]:
        """The inside of "...", the opening quote consumed."""
        return self._read_quoted('"', _DQ_PLAIN, '$`"\\\n')

    def read_heredoc_text(self) -> list[Part]:
        """The whole source as an unquoted here-document body (or arithmetic)."""
        return self._read_quoted("", _HD_PLAIN, "$`\\\n")

    def _read_quoted(self, term: str, plain: re.Pattern[str], escapable: str) -> list[Part]:
        src = self.src
        n = len(src)
        parts: list[Part] = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                parts.append(Quoted("".join(lit)))
                lit.clear()

        while True:
            if self.pos >= n:
                if term:
                    raise self.error("Syntax error: Unterminated quoted string")
                break
            m = plain.match(src, self.pos)
            if m:
                text = m.group()
                self.lineno += text.count("\n")
                lit.append(text)
                self.pos = m.end()
                continue
            c = src[self.pos]
            if c == term:
                self.pos += 1
                break
            if c == "\\":
                nxt = src[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.lineno += 1
                    self.pos += 2
                elif nxt and nxt in escapable:
                    lit.append(nxt)
                    self.pos += 2
                else:
                    lit.append("\\")
                    self.pos += 1
            elif c == "$":
                flush()
                parts.append(self.read_dollar(True))
            else:
                flush()
                parts.append(self.read_backquote(True))
        flush()
        return parts

    def read_dollar(self, in_dq: bool) -> Part:
        src = self.src
        p = self.pos + 1
        c = src[p : p + 1]
        if c == "(":
            if src.startswith("((", p):
                return self.read_arith()
            self.pos = p + 1
            assert self.subparse is not None
            return CmdSub(self.subparse(self))
        if c == "{":
            self.pos = p + 1
            return self.read_braced(in_dq)
        if c and (c in _SPECIAL or c.isdigit()):
            self.pos = p + 1
            return Param(c)
        m = _NAME.match(src, p)
        if m:
            self.pos = m.end()
            return Param(m.group())
        self.pos = p
        return Quoted("$") if in_dq else Lit("$")

    def read_braced(self, in_dq: bool) -> Part:
        src = self.src
        start = self.pos
        name = ""
        op = ""
        if src.startswith("#", self.pos) and not src.startswith("#}", self.pos):
            m = _NAME.match(src, self.pos + 1)
            if m:
                name, self.pos = m.group(), m.end()
            elif src[self.pos + 1 : self.pos + 2] in tuple(_SPECIAL) + tuple("0123456789"):
                name = src[self.pos + 1]
                self.pos += 2
                while name.isdigit() and src[self.pos : self.pos + 1].isdigit():
                    name += src[self.pos]
                    self.pos += 1
            if name:
                op = "len"
        if not name:
            m = _NAME.match(src, self.pos)
            if m:
                name, self.pos = m.group(), m.end()
            elif src[self.pos : self.pos + 1].isdigit():
                while src[self.pos : self.pos + 1].isdigit():
                    name += src[self.pos]
                    self.pos += 1
            elif src[self.pos : self.pos + 1] and src[self.pos] in _SPECIAL:
                name = src[self.pos]
                self.pos += 1
        c = src[self.pos : self.pos + 1]
        if not c:
            raise self.error("Syntax error: Missing '}'")
        if name and c == "}":
            self.pos += 1
            return Param(name, op)
        colon = False
        if name and not op:
            if c == ":":
                colon = True
                self.pos += 1
                c = src[self.pos : self.pos + 1]
                if c not in ("-", "=", "?", "+") or not c:
                    raise self.error("Syntax error: Missing '}'")
            if c in ("-", "=", "?", "+"):
                op = c
                self.pos += 1
            elif c in ("#", "%"):
                op = c
                self.pos += 1
                if src.startswith(c, self.pos):
                    op += c
                    self.pos += 1
        if not name or not op or op == "len":
            return self._bad_subst(start)
        # dash lexes a trimming pattern as an unquoted word even inside "...":
        # ``"${x%\*c}"`` escapes the ``*`` and ``'...'`` quotes there.
        arg = self.read_word("}", in_dq and op[0] not in "#%")
        if self.pos >= len(src):
            raise self.error("Syntax error: Missing '}'")
        self.pos += 1
        return Param(name, op, arg, colon)

    def _bad_subst(self, start: int) -> Part:
        depth = 1
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            self.pos += 1
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return BadSubst(src[start - 2 : self.pos])
        raise self.error("Syntax error: Missing '}'")

    def read_arith(self) -> Part:
        src = self.src
        i = self.pos + 3
        depth = 0
        start = i
        while i < len(src):
            c = src[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    if src.startswith(")", i + 1):
                        break
                    raise self.error("Syntax error: Missing '))'")
                depth -= 1
            i += 1
        else:
            raise self.error("Syntax error: Missing '))'")
        sub = Lexer(src[start:i], self.lineno)
        sub.subparse = self.subparse
        sub.parse_string = self.parse_string
        expr = sub.read_heredoc_text()
        self.lineno += src.count("\n", start, i)
        self.pos = i + 2
        return Arith(expr)

    def read_backquote(self, in_dq: bool) -> Part:
        src = self.src
        i = self.pos + 1
        out: list[str] = []
        line = self.lineno
        while True:
            if i >= len(src):
                raise self.error("Syntax error: EOF in backquote substitution")
            c = src[i]
            if c == "`":
                break
            if c == "\\" and i + 1 < len(src):
                nxt = src[i + 1]
                if nxt in "$`\\" or (in_dq and nxt == '"'):
                    out.append(nxt)
                    i += 2
                    continue
                if nxt == "\n":
                    self.lineno += 1
                    i += 2
                    continue
            if c == "\n":
                self.lineno += 1
            out.append(c)
            i += 1
        self.pos = i + 1
        assert self.parse_string is not None
        return CmdSub(self.parse_string("".join(out), line))

    # -- here-documents -------------------------------------------------------------
    def read_heredocs(self) -> None:
        src = self.src
        for hd in self.pending:
            lines: list[str] = []
            while self.pos < len(src):
                end = src.find("\n", self.pos)
                if end < 0:
                    line, self.pos = src[self.pos :], len(src)
                else:
                    line, self.pos = src[self.pos : end], end + 1
                self.lineno += 1
                if hd.strip_tabs:
                    line = line.lstrip("\t")
                if line == hd.delim:
                    break
                lines.append(line + "\n")
            else:
                self.heredoc_eof = True
            text = "".join(lines)
            if hd.quoted:
                hd.body = [Quoted(text)]
            else:
                sub = Lexer(text, self.lineno)
                sub.subparse = self.subparse
                sub.parse_string = self.parse_string
                hd.body = sub.read_heredoc_text()
        self.pending = []
