"""Recursive-descent parser for the POSIX shell grammar, as dash 0.5.12 parses it.

``Parser(src).next_command()`` returns the next complete command line (a
top-level list ended by a newline), ``None`` at end of input, so the
interpreter can run each line before parsing the next one, as dash does.
Syntax errors raise ``ShSyntaxError`` with dash's wording, e.g.
``Syntax error: "fi" unexpected`` or ``Syntax error: end of file
unexpected (expecting "fi")``.
"""

from __future__ import annotations

import re

from .lexer import Lexer, ShSyntaxError, Token
from .nodes import (
    AndOr,
    Case,
    Command,
    For,
    FuncDef,
    Group,
    If,
    Lit,
    Pipeline,
    Redir,
    Sequence,
    Simple,
    Subshell,
    While,
    Word,
)

__all__ = ["Parser", "incomplete", "parse", "ShSyntaxError"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_END_KW = frozenset(("then", "else", "elif", "fi", "do", "done", "esac", "}"))
_REDIR_OPS = frozenset(("<", ">", ">>", ">|", "<>", "<&", ">&", "<<", "<<-"))


def _make_sub(lexer: Lexer) -> Command | None:
    """Parse a ``$(...)`` body on ``lexer`` (just after the ``(``)."""
    p = Parser.__new__(Parser)
    p.lex = lexer
    p.tok = None
    body = p.compound_list(allow_empty=True)
    p.expect_op(")")
    return body


def _parse_string(src: str, lineno: int) -> Command | None:
    """Parse a whole string (a backquoted command) into one command."""
    p = Parser(src, lineno)
    items: list[tuple[Command, bool]] = []
    while True:
        cmd = p.next_command()
        if cmd is None:
            break
        items.append((cmd, False))
    if not items:
        return None
    return items[0][0] if len(items) == 1 else Sequence(items)


_EOF_ERRORS = ("end of file unexpected", "Unterminated quoted string", "EOF in backquote")


def incomplete(src: str) -> bool:
    """Whether ``src`` stops inside a command an interactive shell would keep
    reading (``> `` prompt): an open ``if``/loop/quote/``$(``, a ``&&`` or
    ``|`` at the end, a here-document without its delimiter line, or a
    trailing backslash-newline."""
    body = src[:-1] if src.endswith("\n") else src
    if (len(body) - len(body.rstrip("\\"))) % 2:
        return True
    p = Parser(src)
    try:
        while p.next_command() is not None:
            pass
    except ShSyntaxError as e:
        msg = str(e)
        if any(m in msg for m in _EOF_ERRORS):
            return True
        return msg.startswith("Syntax error: Missing") and p.lex.pos >= len(src)
    return p.lex.heredoc_eof


class Parser:
    def __init__(self, src: str, lineno: int = 1) -> None:
        self.lex = Lexer(src, lineno)
        self.lex.subparse = _make_sub
        self.lex.parse_string = _parse_string
        self.tok: Token | None = None

    # -- token helpers --------------------------------------------------------------
    def peek(self) -> Token:
        if self.tok is None:
            self.tok = self.lex.token()
        return self.tok

    def take(self) -> Token:
        tok = self.peek()
        self.tok = None
        return tok

    def unexpected(self, tok: Token, expecting: str | None = None) -> ShSyntaxError:
        msg = f"Syntax error: {tok.describe()} unexpected"
        if expecting:
            msg += f" (expecting {expecting})"
        return ShSyntaxError(msg, self.lex.lineno if tok.kind != "newline" else tok.lineno)

    def expect_kw(self, kw: str) -> None:
        tok = self.take()
        if tok.kw != kw:
            raise self.unexpected(tok, f'"{kw}"')

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise self.unexpected(tok, f'"{op}"')

    def is_op(self, tok: Token, *ops: str) -> bool:
        return tok.kind == "op" and tok.text in ops

    def skip_newlines(self) -> None:
        while self.peek().kind == "newline":
            self.take()

    # -- lists ----------------------------------------------------------------------
    def next_command(self) -> Command | None:
        """The next top-level command line, or None at end of input."""
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return None
            if tok.kind != "newline":
                break
            self.take()
        items: list[tuple[Command, bool]] = []
        while True:
            cmd = self.and_or()
            tok = self.peek()
            if self.is_op(tok, ";", "&"):
                self.take()
                items.append((cmd, tok.text == "&"))
                nxt = self.peek()
                if nxt.kind in ("newline", "eof"):
                    if nxt.kind == "newline":
                        self.take()
                    break
                continue
            items.append((cmd, False))
            if tok.kind == "newline":
                self.take()
                break
            if tok.kind == "eof":
                break
            raise self.unexpected(tok)
        if len(items) == 1 and not items[0][1]:
            return items[0][0]
        return Sequence(items)

    def _at_list_end(self, tok: Token) -> bool:
        if tok.kind == "eof":
            return True
        if tok.kind == "op":
            return tok.text in (")", ";;")
        return tok.kw in _END_KW

    def compound_list(self, allow_empty: bool = False) -> Command | None:
        items: list[tuple[Command, bool]] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if self._at_list_end(tok):
                if not items and tok.kind != "eof" and not allow_empty:
                    raise self.unexpected(tok)
                break
            cmd = self.and_or()
            tok = self.peek()
            if self.is_op(tok, ";", "&"):
                self.take()
                items.append((cmd, tok.text == "&"))
            elif tok.kind == "newline":
                self.take()
                items.append((cmd, False))
            else:
                items.append((cmd, False))
                break
        if not items:
            return None
        if len(items) == 1 and not items[0][1]:
            return items[0][0]
        return Sequence(items)

    def body(self) -> Command:
        cmd = self.compound_list()
        return cmd if cmd is not None else Sequence([])

    def and_or(self) -> Command:
        first = self.pipeline()
        rest: list[tuple[str, Command]] = []
        while True:
            tok = self.peek()
            if not self.is_op(tok, "&&", "||"):
                break
            self.take()
            self.skip_newlines()
            rest.append((tok.text, self.pipeline()))
        return AndOr(first, rest) if rest else first

    def pipeline(self) -> Command:
        negate = False
        if self.peek().kw == "!":
            self.take()
            negate = True
        cmds = [self.command()]
        while self.is_op(self.peek(), "|"):
            self.take()
            self.skip_newlines()
            cmds.append(self.command())
        if len(cmds) == 1 and not negate:
            return cmds[0]
        return Pipeline(cmds, negate)

    # -- commands -------------------------------------------------------------------
    def command(self) -> Command:
        tok = self.peek()
        kw = tok.kw
        node: If | While | For | Case | Group | Subshell
        if kw is not None:
            if kw == "if":
                node = self.if_clause()
            elif kw in ("while", "until"):
                self.take()
                cond = self.body()
                self.expect_kw("do")
                body = self.body()
                self.expect_kw("done")
                node = While(cond, body, kw == "until")
            elif kw == "for":
                node = self.for_clause()
            elif kw == "case":
                node = self.case_clause()
            elif kw == "{":
                self.take()
                body = self.body()
                self.expect_kw("}")
                node = Group(body)
            else:
                raise self.unexpected(tok)
        elif self.is_op(tok, "("):
            self.take()
            body = self.body()
            self.expect_op(")")
            node = Subshell(body, lineno=tok.lineno)
        elif tok.kind in ("word", "io") or self.is_op(tok, *_REDIR_OPS):
            return self.simple_command()
        else:
            raise self.unexpected(tok)
        redirs = node.redirs
        while True:
            tok = self.peek()
            if tok.kind == "io" or self.is_op(tok, *_REDIR_OPS):
                redirs.append(self.redirection())
            else:
                break
        return node

    def if_clause(self) -> If:
        self.take()
        branches: list[tuple[Command, Command]] = []
        orelse: Command | None = None
        while True:
            cond = self.body()
            self.expect_kw("then")
            branches.append((cond, self.body()))
            tok = self.take()
            if tok.kw == "elif":
                continue
            if tok.kw == "else":
                orelse = self.body()
                self.expect_kw("fi")
                break
            if tok.kw != "fi":
                raise self.unexpected(tok, '"fi"')
            break
        return If(branches, orelse)

    def for_clause(self) -> For:
        lineno = self.take().lineno
        tok = self.take()
        if tok.kind != "word" or tok.word is None:
            raise self.unexpected(tok)
        name = tok.text
        if not _NAME.match(name):
            raise ShSyntaxError("Syntax error: Bad for loop variable", self.lex.lineno)
        words: list[Word] | None = None
        self.skip_newlines()
        tok = self.peek()
        if tok.kw == "in":
            self.take()
            words = []
            while True:
                tok = self.take()
                if tok.kind == "word" and tok.word is not None:
                    words.append(tok.word)
                elif tok.kind == "newline" or self.is_op(tok, ";"):
                    break
                else:
                    raise self.unexpected(tok)
            self.skip_newlines()
        elif self.is_op(tok, ";"):
            self.take()
            self.skip_newlines()
        self.expect_kw("do")
        body = self.body()
        self.expect_kw("done")
        return For(name, words, body, lineno)

    def case_clause(self) -> Case:
        lineno = self.take().lineno
        tok = self.take()
        if tok.kind != "word" or tok.word is None:
            raise self.unexpected(tok, "word")
        word = tok.word
        self.skip_newlines()
        self.expect_kw("in")
        items: list[tuple[list[Word], Command | None]] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok.kw == "esac":
                self.take()
                break
            if self.is_op(tok, "("):
                self.take()
            patterns: list[Word] = []
            while True:
                tok = self.take()
                if tok.kind != "word" or tok.word is None:
                    raise self.unexpected(tok, '")"' if tok.kind == "eof" else "word")
                patterns.append(tok.word)
                tok = self.take()
                if self.is_op(tok, "|"):
                    continue
                if self.is_op(tok, ")"):
                    break
                raise self.unexpected(tok, '")"')
            body = self.compound_list(allow_empty=True)
            items.append((patterns, body))
            tok = self.take()
            if self.is_op(tok, ";;"):
                continue
            if tok.kw == "esac":
                break
            raise self.unexpected(tok, '";;"')
        return Case(word, items, lineno)

    def redirection(self) -> Redir:
        tok = self.take()
        fd = -1
        if tok.kind == "io":
            fd = int(tok.text)
            tok = self.take()
        op = tok.text
        if fd < 0:
            fd = 0 if op[0] == "<" and op != "<>" or op == "<>" else 1
        target = self.take()
        if target.kind != "word" or target.word is None:
            raise self.unexpected(target)
        return Redir(fd, op, target.word, target.heredoc)

    def simple_command(self) -> Command:
        assigns: list[tuple[str, Word]] = []
        words: list[Word] = []
        redirs: list[Redir] = []
        lineno = self.peek().lineno
        while True:
            tok = self.peek()
            if tok.kind == "io" or self.is_op(tok, *_REDIR_OPS):
                redirs.append(self.redirection())
                continue
            if tok.kind != "word" or tok.word is None:
                break
            self.take()
            w = tok.word
            if not words:
                first = w[0] if w else None
                m = _ASSIGN.match(first.text) if isinstance(first, Lit) else None
                if m is not None and isinstance(first, Lit):
                    rest = first.text[m.end() :]
                    value: Word = ([Lit(rest)] if rest else []) + w[1:]
                    assigns.append((m.group(1), value))
                    continue
            words.append(w)
            if len(words) == 1 and not assigns and not redirs and self.is_op(self.peek(), "("):
                return self.function_def(tok)
        if not words and not assigns and not redirs:
            raise self.unexpected(self.peek())
        return Simple(assigns, words, redirs, lineno)

    def function_def(self, name_tok: Token) -> Command:
        self.take()
        tok = self.take()
        if not self.is_op(tok, ")"):
            raise self.unexpected(tok, '")"')
        if not _NAME.match(name_tok.text):
            raise ShSyntaxError("Syntax error: Bad function name", self.lex.lineno)
        self.skip_newlines()
        body = self.command()
        return FuncDef(name_tok.text, body, name_tok.lineno)


def parse(src: str) -> list[Command]:
    """Parse a whole program into its list of top-level command lines."""
    p = Parser(src)
    out: list[Command] = []
    while True:
        cmd = p.next_command()
        if cmd is None:
            return out
        out.append(cmd)
