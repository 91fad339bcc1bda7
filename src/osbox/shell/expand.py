"""Word expansion (POSIX 2.6) as dash 0.5.12 performs it.

Tilde expansion, parameter expansion (``${x:-y}``, ``${#x}``, ``${x%%p}``...),
command substitution, arithmetic expansion, field splitting by ``IFS``,
pathname expansion and quote removal. A word is expanded into *segments*
(text, quoted) grouped into fields; quoted text is never split or globbed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import shglob
from .arith import ArithError, evaluate
from .nodes import DQ, Arith, BadSubst, CmdSub, Lit, Param, Part, Quoted, Word
from .sherrors import ShError

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["Expander"]

Segment = tuple[str, bool]


class _Acc:
    """Fields under construction."""

    __slots__ = ("fields", "cur", "has", "split", "ifs_re", "ifs_ws")

    def __init__(self, split: bool, ifs: str | None) -> None:
        self.fields: list[list[Segment]] = []
        self.cur: list[Segment] = []
        self.has = False
        self.split = split
        if ifs is None:
            ifs = " \t\n"
        self.ifs_ws = "".join(c for c in ifs if c in " \t\n")
        self.ifs_re = re.compile("[" + re.escape(ifs) + "]+") if ifs else None

    def add(self, text: str, quoted: bool) -> None:
        self.cur.append((text, quoted))
        self.has = True

    def end(self) -> None:
        if self.has:
            self.fields.append(self.cur)
            self.cur = []
            self.has = False

    def add_split(self, text: str) -> None:
        if not text:
            return
        if not self.split or self.ifs_re is None:
            self.add(text, False)
            return
        pos = 0
        for m in self.ifs_re.finditer(text):
            if m.start() > pos:
                self.add(text[pos : m.start()], False)
            run = m.group()
            others = sum(1 for c in run if c not in self.ifs_ws)
            if others == 0:
                self.end()
            else:
                self.fields.append(self.cur)
                self.cur = []
                self.has = False
                for _ in range(others - 1):
                    self.fields.append([])
            pos = m.end()
        if pos < len(text):
            self.add(text[pos:], False)


class Expander:
    def __init__(self, sh: Shell) -> None:
        self.sh = sh

    # -- public entry points --------------------------------------------------------
    def fields(self, words: list[Word]) -> list[str]:
        """Expand command words: splitting, globbing and quote removal."""
        sh = self.sh
        out: list[str] = []
        noglob = sh.opts["f"]
        for word in words:
            if len(word) == 1 and isinstance(word[0], Lit) and not word[0].text.startswith("~"):
                text = word[0].text
                if noglob or not shglob.has_magic(text):
                    out.append(text)
                    continue
            acc = _Acc(True, sh.vars.get("IFS"))
            self._word(word, acc)
            acc.end()
            for segs in acc.fields:
                text = "".join(t for t, _ in segs)
                if not noglob and any(not q and shglob.has_magic(t) for t, q in segs):
                    pat = "".join(shglob.escape(t) if q else t for t, q in segs)
                    found = shglob.glob(sh.os, pat)
                    if found:
                        out.extend(found)
                        continue
                    text = "".join(t if q else _unbackslash(t) for t, q in segs)
                out.append(text)
        return out

    def string(self, word: Word, tilde: bool = True) -> str:
        """Expand without field splitting or globbing (assignments, redirections)."""
        if (
            len(word) == 1
            and isinstance(word[0], (Lit, Quoted))
            and not (tilde and word[0].text.startswith("~") and isinstance(word[0], Lit))
        ):
            return word[0].text
        acc = _Acc(False, None)
        self._word(word, acc, tilde=tilde)
        return "".join(t for segs in (*acc.fields, acc.cur) for t, _ in segs)

    def pattern(self, word: Word) -> str:
        """Expand a pattern: quoted characters are escaped for ``shglob``."""
        acc = _Acc(False, None)
        self._word(word, acc)
        return "".join(
            shglob.escape(t) if q else t for segs in (*acc.fields, acc.cur) for t, q in segs
        )

    def heredoc(self, body: Word) -> str:
        acc = _Acc(False, None)
        self._parts(body, acc, True, False)
        return "".join(t for segs in (*acc.fields, acc.cur) for t, _ in segs)

    # -- parts ----------------------------------------------------------------------
    def _word(self, word: Word, acc: _Acc, tilde: bool = True) -> None:
        if tilde and word and isinstance(word[0], Lit) and word[0].text.startswith("~"):
            text = word[0].text
            slash = text.find("/")
            if slash >= 0 or len(word) == 1:
                user = text[1:slash] if slash >= 0 else text[1:]
                home = self._home(user)
                if home is not None:
                    acc.add(home, True)
                    rest = text[slash:] if slash >= 0 else ""
                    if rest:
                        acc.add(rest, False)
                    self._parts(word[1:], acc, False, False)
                    return
        self._parts(word, acc, False, False)

    def _home(self, user: str) -> str | None:
        sh = self.sh
        if not user:
            return sh.vars.get("HOME")
        try:
            with sh.os.open_file("/etc/passwd", "r", errors="surrogateescape") as f:
                for line in f:
                    fields = line.rstrip("\n").split(":")
                    if len(fields) >= 6 and fields[0] == user:
                        return str(fields[5])
        except OSError:
            pass
        return None

    def _parts(self, parts: list[Part], acc: _Acc, quoted: bool, lit_split: bool) -> None:
        for p in parts:
            if isinstance(p, Lit):
                if quoted:
                    acc.add(p.text, True)
                elif lit_split:
                    acc.add_split(p.text)
                else:
                    acc.add(p.text, False)
            elif isinstance(p, Quoted):
                acc.add(p.text, True)
            elif isinstance(p, DQ):
                before = len(acc.fields), len(acc.cur)
                self._parts(p.parts, acc, True, False)
                if (len(acc.fields), len(acc.cur)) == before and not any(
                    isinstance(q, Param) and q.name == "@" for q in p.parts
                ):
                    acc.add("", True)
            elif isinstance(p, Param):
                self._param(p, acc, quoted)
            elif isinstance(p, CmdSub):
                self._emit(self.sh.command_subst(p.body), acc, quoted)
            elif isinstance(p, Arith):
                text = self.heredoc(p.expr)
                try:
                    val = evaluate(text, self.sh.vars.get, self.sh.set_var)
                except ArithError as e:
                    raise ShError(str(e)) from None
                self._emit(str(val), acc, quoted)
            elif isinstance(p, BadSubst):
                raise ShError("Bad substitution")

    def _emit(self, value: str, acc: _Acc, quoted: bool) -> None:
        if quoted:
            acc.add(value, True)
        else:
            acc.add_split(value)

    def _param(self, p: Param, acc: _Acc, quoted: bool) -> None:
        sh = self.sh
        name = p.name
        op = p.op
        if name in "@*" and op == "":
            params = sh.positional
            if quoted and name == "@":
                for i, v in enumerate(params):
                    if i:
                        acc.fields.append(acc.cur)
                        acc.cur = []
                    acc.add(v, True)
                return
            if quoted:
                ifs = sh.vars.get("IFS")
                sep = " " if ifs is None else ifs[:1]
                acc.add(sep.join(params), True)
                return
            for i, v in enumerate(params):
                if i and acc.split:
                    acc.end()
                elif i:
                    acc.add(" ", False)
                acc.add_split(v)
            return
        value = sh.param(name)
        if op in ("", "len", "#", "##", "%", "%%"):
            if value is None and sh.opts["u"] and name not in "@*":
                raise ShError(f"{name}: parameter not set")
            v = value or ""
            if op == "len":
                v = str(len(v))
            elif op:
                v = _strip(v, op, self.pattern(p.arg or []))
            self._emit(v, acc, quoted)
            return
        isset = value is not None and (not p.colon or value != "")
        if op == "-":
            if isset:
                self._emit(value or "", acc, quoted)
            else:
                self._arg(p.arg, acc, quoted)
        elif op == "+":
            if isset:
                self._arg(p.arg, acc, quoted)
        elif op == "=":
            if isset:
                self._emit(value or "", acc, quoted)
            else:
                v = self.string(p.arg or [])
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise ShError(f"{name}: bad variable name")
                sh.set_var(name, v)
                self._emit(v, acc, quoted)
        elif op == "?":
            if isset:
                self._emit(value or "", acc, quoted)
            else:
                msg = self.string(p.arg or [])
                if not msg:
                    msg = "parameter not set or null" if p.colon else "parameter not set"
                raise ShError(f"{name}: {msg}")

    def _arg(self, arg: Word | None, acc: _Acc, quoted: bool) -> None:
        if not arg:
            if quoted:
                acc.add("", True)
            return
        self._parts(arg, acc, quoted, True)


def _unbackslash(text: str) -> str:
    return text


def _strip(value: str, op: str, pat: str) -> str:
    rx = shglob.regex(pat)
    n = len(value)
    if op == "#":
        for i in range(n + 1):
            if rx.fullmatch(value, 0, i):
                return value[i:]
    elif op == "##":
        for i in range(n, -1, -1):
            if rx.fullmatch(value, 0, i):
                return value[i:]
    elif op == "%":
        for i in range(n, -1, -1):
            if rx.fullmatch(value, i, n):
                return value[:i]
    else:
        for i in range(n + 1):
            if rx.fullmatch(value, i, n):
                return value[:i]
    return value
