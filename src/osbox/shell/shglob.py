"""Shell pattern matching and pathname expansion (POSIX 2.13), as dash does it.

Patterns use ``*``, ``?`` and bracket expressions (``[abc]``, ``[!a-z]``,
``[[:alpha:]]``); a backslash quotes the next character (the expander
escapes quoted text this way). ``glob`` lists the machine's directories
through the virtual ``os`` only and returns matches sorted bytewise (C
locale); a leading ``.`` must be matched explicitly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["escape", "glob", "has_magic", "match", "regex"]

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f",
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
}
_SPECIAL = frozenset("*?[\\")


def escape(text: str) -> str:
    """Quote every pattern character of ``text``."""
    if not any(c in _SPECIAL or c == "]" for c in text):
        return text
    return "".join("\\" + c if c in _SPECIAL or c == "]" else c for c in text)


def has_magic(pat: str) -> bool:
    """Whether ``pat`` has an unquoted ``*``, ``?`` or ``[``."""
    i = 0
    n = len(pat)
    while i < n:
        c = pat[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?[":
            return True
        i += 1
    return False


def _bracket(pat: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression starting after ``[`` at ``i``."""
    n = len(pat)
    j = i
    neg = False
    if j < n and pat[j] in "!^":
        neg = True
        j += 1
    out: list[str] = []
    first = True
    while j < n:
        c = pat[j]
        if c == "]" and not first:
            body = "".join(out)
            return ("[^" if neg else "[") + body + "]", j + 1
        first = False
        if c == "[" and pat.startswith(":", j + 1):
            end = pat.find(":]", j + 2)
            if end >= 0 and pat[j + 2 : end] in _CLASSES:
                out.append(_CLASSES[pat[j + 2 : end]])
                j = end + 2
                continue
        if c == "\\" and j + 1 < n:
            j += 1
            c = pat[j]
        if c == "/":
            return None
        if j + 2 < n and pat[j + 1] == "-" and pat[j + 2] != "]":
            hi = pat[j + 2]
            k = j + 3
            if hi == "\\" and k < n:
                hi = pat[k]
                k += 1
            if hi >= c:
                out.append(re.escape(c) + "-" + re.escape(hi))
            j = k
            continue
        out.append(re.escape(c))
        j += 1
    return None


@lru_cache(maxsize=512)
def regex(pat: str) -> re.Pattern[str]:
    """Compile a shell pattern for ``fullmatch``."""
    out: list[str] = []
    i = 0
    n = len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            br = _bracket(pat, i + 1)
            if br is None:
                out.append("\\[")
            else:
                out.append(br[0])
                i = br[1]
                continue
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pat[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def match(pat: str, text: str) -> bool:
    return regex(pat).fullmatch(text) is not None


def _unescape(pat: str) -> str:
    return re.sub(r"\\(.)", r"\1", pat, flags=re.DOTALL)


def _split(pat: str) -> list[str]:
    return pat.split("/")


def glob(vos: Any, pat: str) -> list[str]:
    """The sorted pathnames matching ``pat``, or [] when none does."""
    comps = _split(pat)
    if comps[0] == "":
        bases = ["/"]
        comps = comps[1:]
    else:
        bases = [""]
    for idx, comp in enumerate(comps):
        last = idx == len(comps) - 1
        nxt: list[str] = []
        if comp == "":
            nxt = [b if b.endswith("/") or not b else b + "/" for b in bases] if last else bases
            bases = nxt
            continue
        if not has_magic(comp):
            name = _unescape(comp)
            for b in bases:
                path = (b + name) if (not b or b.endswith("/")) else f"{b}/{name}"
                if last:
                    try:
                        vos.lstat(path)
                    except OSError:
                        continue
                nxt.append(path)
            bases = nxt
            continue
        rx = regex(comp)
        dot = comp.startswith(".") or comp.startswith("\\.")
        for b in bases:
            d = b if b else "."
            try:
                names = vos.listdir(d)
            except OSError:
                continue
            if dot:
                names = [".", ".."] + names
            for name in sorted(names):
                if name.startswith(".") and not dot:
                    continue
                if rx.fullmatch(name) is None:
                    continue
                path = (b + name) if (not b or b.endswith("/")) else f"{b}/{name}"
                if not last:
                    if not vos.path.isdir(path):
                        continue
                nxt.append(path)
        bases = nxt
        if not bases:
            return []
    return sorted(bases, key=lambda s: s.encode("utf-8", "surrogateescape"))
