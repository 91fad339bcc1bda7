"""The abstract syntax tree of a POSIX shell program (dash 0.5.12's grammar).

A *word* is a list of parts: literal text (unquoted ``Lit`` or quoted
``Quoted``), a double-quoted run ``DQ``, and the expansions ``Param``,
``CmdSub``, ``Arith`` and ``BadSubst`` (a ``${...}`` dash rejects when it is
expanded, not when it is parsed). Commands are the dataclasses below; every
compound command may carry redirections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "AndOr",
    "Arith",
    "BadSubst",
    "Case",
    "CmdSub",
    "Command",
    "DQ",
    "For",
    "FuncDef",
    "Group",
    "HereDoc",
    "If",
    "Lit",
    "Param",
    "Part",
    "Pipeline",
    "Quoted",
    "Redir",
    "Sequence",
    "Simple",
    "Subshell",
    "While",
    "Word",
]


@dataclass
class Lit:
    """Unquoted literal text: subject to tilde expansion and globbing."""

    text: str


@dataclass
class Quoted:
    """Quoted literal text (single quotes, a backslash escape, text inside "")."""

    text: str


@dataclass
class DQ:
    """A double-quoted run: ``Quoted`` text and expansions, never split or globbed."""

    parts: list[Part]


@dataclass
class Param:
    """``$name`` / ``${name OP word}``.

    ``op`` is "" (plain), "-", "=", "?", "+", "#", "##", "%", "%%" or "len"
    (``${#name}``); ``colon`` marks the ``:-`` forms.
    """

    name: str
    op: str = ""
    arg: Word | None = None
    colon: bool = False


@dataclass
class CmdSub:
    """``$(...)`` or a backquoted command."""

    body: Command | None


@dataclass
class Arith:
    """``$((expr))``: ``expr`` is expanded like a double-quoted word, then evaluated."""

    expr: Word


@dataclass
class BadSubst:
    """A ``${...}`` form dash reports as ``Bad substitution`` when expanded."""

    text: str


Part = Union[Lit, Quoted, DQ, Param, CmdSub, Arith, BadSubst]  # noqa: UP007 - runtime alias
Word = list[Part]


@dataclass
class HereDoc:
    """A here-document; ``body`` is filled in when its lines have been read."""

    delim: str
    quoted: bool
    strip_tabs: bool
    body: Word = field(default_factory=list)


@dataclass
class Redir:
    """``[fd]OP target``; op is one of < > >> >| <> <& >& << <<-."""

    fd: int
    op: str
    target: Word
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assigns: list[tuple[str, Word]]
    words: list[Word]
    redirs: list[Redir]
    lineno: int


@dataclass
class Pipeline:
    cmds: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    """``first && a || b``: ``rest`` holds (operator, command) pairs."""

    first: Command
    rest: list[tuple[str, Command]]


@dataclass
class Sequence:
    """Commands run in order; ``background`` marks the ones ended by ``&``."""

    items: list[tuple[Command, bool]]


@dataclass
class Subshell:
    body: Command
    redirs: list[Redir] = field(default_factory=list)
    lineno: int = 0


@dataclass
class Group:
    body: Command
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[Command, Command]]
    orelse: Command | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class While:
    cond: Command
    body: Command
    until: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class For:
    var: str
    words: list[Word] | None
    body: Command
    lineno: int
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Case:
    word: Word
    items: list[tuple[list[Word], Command | None]]
    lineno: int
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class FuncDef:
    name: str
    body: Command
    lineno: int


Command = Union[  # noqa: UP007 - a runtime alias
    Simple, Pipeline, AndOr, Sequence, Subshell, Group, If, While, For, Case, FuncDef
]
