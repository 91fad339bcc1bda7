"""Pieces of find's expression language (GNU findutils 4.9, find(1)).

``Node`` (a compiled primary or operator: ``fn(entry) -> bool``),
``Options`` (the global options -maxdepth, -mindepth, -depth, -L), and
the argument parsers of -name/-path (fnmatch(3) patterns), -size and -perm.
The grammar and the traversal are in ``find.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._quote import cquote
from .posixre import CHAR_CLASSES as _CLASSES

__all__ = ["Node", "Options", "FindError", "glob_regex", "parse_size", "parse_perm"]


class FindError(Exception):
    """A usage error; ``str(e)`` follows ``find: ``."""


@dataclass
class Node:
    fn: Callable[[Any], bool]
    has_action: bool = False


@dataclass
class Options:
    maxdepth: int = -1
    mindepth: int = 0
    depth_first: bool = False
    follow: bool = False
    execs_plus: list[Any] = field(default_factory=list)


def glob_regex(pat: str, icase: bool = False) -> re.Pattern[str]:
    """fnmatch(3) without flags: ``*``/``?`` match any character (``/`` and a
    leading dot too), ``[...]`` with ``!``/``^``, classes, backslash escapes."""
    out: list[str] = []
    i = 0
    n = len(pat)
    while i < n:
        c = pat[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i < n:
            out.append(re.escape(pat[i]))
            i += 1
        elif c == "[":
            j = i
            neg = j < n and pat[j] in "!^"
            if neg:
                j += 1
            items: list[str] = []
            first = True
            ok = False
            while j < n:
                d = pat[j]
                if d == "]" and not first:
                    ok = True
                    j += 1
                    break
                first = False
                if d == "[" and pat.startswith("[:", j):
                    end = pat.find(":]", j + 2)
                    if end > 0 and pat[j + 2 : end] in _CLASSES:
                        items.append(_CLASSES[pat[j + 2 : end]])
                        j = end + 2
                        continue
                if d == "\\" and j + 1 < n:
                    j += 1
                    d = pat[j]
                if j + 2 < n and pat[j + 1] == "-" and pat[j + 2] != "]":
                    items.append(re.escape(d) + "-" + re.escape(pat[j + 2]))
                    j += 3
                    continue
                items.append(re.escape(d))
                j += 1
            if ok:
                out.append("[" + ("^" if neg else "") + "".join(items) + "]")
                i = j
            else:
                out.append("\\[")
        else:
            out.append(re.escape(c))
    flags = re.DOTALL | (re.IGNORECASE if icase else 0)
    return re.compile("".join(out) + "\\Z", flags)


def parse_size(arg: str) -> tuple[str, int, int]:
    """``[+-]N[cwbkMG]`` -> (sign, N, unit bytes)."""
    m = re.fullmatch(r"([+-]?)(\d+)([cwbkMG]?)", arg)
    if m is None:
        raise FindError(
            f"invalid -size type `{arg[-1:]}'"
            if arg and not arg[-1].isdigit()
            else f"Invalid argument `{arg}' to -size"
        )
    unit = {"": 512, "b": 512, "c": 1, "w": 2, "k": 1024, "M": 1 << 20, "G": 1 << 30}
    return m.group(1), int(m.group(2)), unit[m.group(3)]


_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_PERM = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


def parse_perm(arg: str) -> tuple[str, int]:
    """``[-/]MODE`` (octal or symbolic like ``u+x,g=r``) -> (kind, bits)."""
    kind = ""
    if arg[:1] in ("-", "/", "+"):
        kind, arg = arg[0], arg[1:]
    if re.fullmatch(r"[0-7]+", arg):
        return kind, int(arg, 8)
    mode = 0
    for clause in arg.split(","):
        m = re.fullmatch(r"([ugoa]*)([-+=])([rwxst]*)", clause)
        if m is None:
            raise FindError(f"invalid mode {cquote(arg)}")
        who = 0
        for w in m.group(1) or "a":
            who |= _WHO[w]
        bits = 0
        for p in m.group(3):
            bits |= _PERM[p]
        if m.group(2) == "-":
            mode &= ~(bits & who)
        elif m.group(2) == "=":
            mode = (mode & ~who) | (bits & who)
        else:
            mode |= bits & who
    return kind, mode
