"""The sed script compiler: GNU sed 4.9 syntax into a flat command list.

Addresses (``N``, ``$``, ``/re/I``, ``\\cREc``, ``first~step``, ``0,/re/``,
``addr,+N``, ``addr,~N``, ``!``) and the commands ``{ } = a i c b t T d D
n N p P h H g G x l q Q s y r w : z #``, with GNU's one-line forms of
``a``, ``i`` and ``c``. Errors carry GNU's messages and locations
(``-e expression #1, char 5: unterminated `s' command``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .posixre import PosixRegex, RegexError

__all__ = ["Addr", "Cmd", "SedError", "compile_script"]


class SedError(Exception):
    """A script error; ``str(e)`` is the complete message after ``sed: ``;
    ``status`` the exit status (GNU exits 4 when a label is missing)."""

    status = 1


@dataclass
class Addr:
    kind: str  # line last re step zero plus mult
    n: int = 0
    step: int = 0
    regex: PosixRegex | None = None  # None with kind "re": the last regex used


@dataclass
class Cmd:
    name: str
    a1: Addr | None = None
    a2: Addr | None = None
    neg: bool = False
    text: str = ""
    label: str = ""
    target: int = -1
    regex: PosixRegex | None = None
    repl: list[str | int] = field(default_factory=list)
    gflag: bool = False
    nth: int = 1
    pflag: int = 0
    wfile: str = ""
    ymap: dict[str, str] = field(default_factory=dict)
    code: int = 0
    active: bool = False
    end: int = 0


class _Reader:
    def __init__(self, chunks: list[tuple[str, str]]) -> None:
        # chunks: (text, where) where is "-e expression #N" or "file F"
        self.text = ""
        self.bounds: list[tuple[int, str]] = []
        for text, where in chunks:
            self.bounds.append((len(self.text), where))
            self.text += text + "\n"
        self.i = 0

    def error(self, msg: str) -> SedError:
        pos = min(self.i, len(self.text))
        start, where, end = 0, "", len(self.text) - 1
        for k, (s, w) in enumerate(self.bounds):
            if s <= max(pos - 1, 0):
                start, where = s, w
                nxt = self.bounds[k + 1][0] if k + 1 < len(self.bounds) else len(self.text)
                end = nxt - 1
        pos = min(pos, end)
        if where.startswith("file "):
            line = self.text.count("\n", start, max(pos - 1, start)) + 1
            return SedError(f"{where} line {line}: {msg}")
        return SedError(f"{where}, char {pos - start}: {msg}")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def get(self) -> str:
        c = self.peek()
        self.i += 1
        return c

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def number(self) -> int:
        start = self.i
        while self.peek().isdigit():
            self.i += 1
        return int(self.text[start : self.i])


def _delimited(r: _Reader, delim: str, what: str, regex: bool) -> str:
    """Text up to an unescaped ``delim``; ``\\delim`` becomes the delimiter
    and ``\\n`` a newline (in a regex), other escapes are kept."""
    out: list[str] = []
    while True:
        c = r.get()
        if c == "":
            raise r.error(what)
        if c == delim:
            return "".join(out)
        if c == "\n" and regex:
            raise r.error(what)
        if c == "[" and regex:
            out.append(c + _bracket_rest(r, what))
            continue
        if c == "\\":
            d = r.get()
            if d == "":
                raise r.error(what)
            if d == delim:
                if regex and delim in "|(){}+?":
                    out.append("[" + d + "]")
                elif regex and not delim.isalnum() and delim not in "/,:;%#@!":
                    out.append("\\" + d)
                else:
                    out.append(d)
            elif d == "n" and regex:
                out.append("\\n")
            elif d == "\n":
                out.append("\n")
            else:
                out.append("\\" + d)
            continue
        out.append(c)


def _bracket_rest(r: _Reader, what: str) -> str:
    """The rest of a bracket expression after ``[`` (a delimiter inside one
    does not end the regex)."""
    start = r.i
    if r.peek() == "^":
        r.get()
    if r.peek() == "]":
        r.get()
    while True:
        c = r.get()
        if c == "":
            raise r.error(what)
        if c == "[" and r.peek() in (":", ".", "="):
            kind = r.get()
            end = r.text.find(kind + "]", r.i)
            if end >= 0:
                r.i = end + 2
            continue
        if c == "]":
            return r.text[start : r.i]


class _Compiler:
    def __init__(self, chunks: list[tuple[str, str]], extended: bool) -> None:
        self.r = _Reader(chunks)
        self.ere = extended
        self.cmds: list[Cmd] = []
        self.blocks: list[int] = []
        self.wfiles: list[str] = []

    def regex(self, pat: str, icase: bool) -> PosixRegex | None:
        if pat == "":
            return None
        try:
            return PosixRegex(pat, extended=self.ere, icase=icase)
        except RegexError as e:
            raise self.r.error(str(e)) from None

    def address(self) -> Addr | None:
        r = self.r
        c = r.peek()
        if c.isdigit():
            n = r.number()
            if r.peek() == "~":
                r.get()
                step = r.number() if r.peek().isdigit() else 0
                return Addr("step", n, step)
            return Addr("zero" if n == 0 else "line", n)
        if c == "$":
            r.get()
            return Addr("last")
        if c in ("/", "\\"):
            r.get()
            delim = "/" if c == "/" else r.get()
            pat = _delimited(r, delim, "unterminated address regex", True)
            icase = False
            while r.peek() in ("I", "M"):
                icase = icase or r.get() == "I"
            return Addr("re", regex=self.regex(pat, icase))
        return None

    def compile(self) -> list[Cmd]:
        r = self.r
        while True:
            while r.peek() in (" ", "\t", "\n", ";"):
                r.get()
            if r.peek() == "":
                break
            self.command()
        if self.blocks:
            r.i = 0
            raise r.error("unmatched `{'")
        labels = {c.label: i for i, c in enumerate(self.cmds) if c.name == ":"}
        for c in self.cmds:
            if c.name in "btT":
                if c.label == "":
                    c.target = len(self.cmds)
                elif c.label in labels:
                    c.target = labels[c.label]
                else:
                    err = SedError(f"can't find label for jump to `{c.label}'")
                    err.status = 4
                    raise err
        return self.cmds

    def command(self) -> None:
        r = self.r
        a1 = self.address()
        a2 = None
        if a1 is not None:
            r.skip_ws()
            if r.peek() == ",":
                r.get()
                r.skip_ws()
                if r.peek() in ("+", "~"):
                    kind = "plus" if r.get() == "+" else "mult"
                    if not r.peek().isdigit():
                        raise r.error("expected newer version of sed")
                    a2 = Addr(kind, r.number())
                else:
                    a2 = self.address()
                    if a2 is None:
                        raise r.error("unexpected `,'")
                    if a2.kind == "zero":
                        raise r.error("invalid usage of line address 0")
            if a1.kind == "zero" and (a2 is None or a2.kind != "re"):
                raise r.error("invalid usage of line address 0")
        r.skip_ws()
        neg = False
        while r.peek() == "!":
            r.get()
            neg = True
            r.skip_ws()
        name = r.get()
        if name in ("", "\n", ";"):
            raise r.error("missing command")
        cmd = Cmd(name, a1, a2, neg)
        if a1 is not None and a1.kind == "zero":
            cmd.active = True
        if name in ":#}" and a1 is not None and name != "}":
            raise r.error(
                ": doesn't want any addresses"
                if name == ":"
                else "comments don't accept any addresses"
            )
        if name in "=aiqQrlz" and a2 is not None and name in "qQ":
            raise r.error("command only uses one address")
        if name == "{":
            self.blocks.append(len(self.cmds))
            cmd.end = r.i
            self.cmds.append(cmd)
            return
        if name == "}":
            if not self.blocks:
                raise r.error("unexpected `}'")
            if a1 is not None:
                raise r.error("} doesn't want any addresses")
            self.cmds[self.blocks.pop()].target = len(self.cmds) + 1
            self.cmds.append(cmd)
            self.end_of_command()
            return
        if name == "#":
            while r.peek() not in ("\n", ""):
                r.get()
            return
        if name == ":":
            r.skip_ws()
            cmd.label = self.label()
            if not cmd.label:
                raise r.error('":" lacks a label')
        elif name in "btT":
            r.skip_ws()
            cmd.label = self.label()
        elif name in "aic":
            cmd.text = self.text_arg()
        elif name in "qQlL":
            r.skip_ws()
            if r.peek().isdigit():
                cmd.code = r.number()
            self.end_of_command()
        elif name in "rRwW":
            r.skip_ws()
            cmd.wfile = self.filename()
            if name in "wW":
                self.wfiles.append(cmd.wfile)
        elif name == "s":
            self.substitute(cmd)
        elif name == "y":
            self.transliterate(cmd)
        elif name in "=dDgGhHnNpPxzF":
            self.end_of_command()
        else:
            raise r.error(f"unknown command: `{name}'")
        self.cmds.append(cmd)

    def end_of_command(self) -> None:
        r = self.r
        r.skip_ws()
        c = r.peek()
        if c in ("", "\n", ";", "}", "#"):
            if c == ";" or c == "\n":
                r.get()
            return
        r.get()
        raise r.error("extra characters after command")

    def label(self) -> str:
        r = self.r
        start = r.i
        while r.peek() not in ("", "\n", ";"):
            r.get()
        lab = r.text[start : r.i].rstrip(" \t")
        if r.peek():
            r.get()
        return lab

    def filename(self) -> str:
        r = self.r
        start = r.i
        while r.peek() not in ("", "\n"):
            r.get()
        name = r.text[start : r.i]
        r.get()
        return name

    def text_arg(self) -> str:
        """GNU's ``a text``, ``a\\`` NEWLINE ``text`` and ``a\\text`` forms."""
        r = self.r
        r.skip_ws()
        if r.peek() == "\\":
            r.get()
            if r.peek() == "\n":
                r.get()
        elif r.peek() in ("", "\n"):
            raise r.error("expected \\ after `a', `c' or `i'")
        out: list[str] = []
        while True:
            c = r.get()
            if c in ("", "\n"):
                break
            if c == "\\":
                d = r.get()
                if d == "":
                    break
                out.append(d)
                continue
            out.append(c)
        return "".join(out) + "\n"

    def substitute(self, cmd: Cmd) -> None:
        r = self.r
        delim = r.get()
        if delim in ("", "\n", "\\"):
            raise r.error("unterminated `s' command")
        pat = _delimited(r, delim, "unterminated `s' command", True)
        rep = _delimited(r, delim, "unterminated `s' command", False)
        icase = False
        while True:
            c = r.peek()
            if c == "g":
                r.get()
                cmd.gflag = True
            elif c == "p":
                r.get()
                cmd.pflag += 1
            elif c in ("i", "I"):
                r.get()
                icase = True
            elif c in ("m", "M", "e"):
                r.get()
            elif c.isdigit():
                n = r.number()
                if n == 0:
                    raise r.error("number option to `s' command may not be zero")
                cmd.nth = n
            elif c == "w":
                r.get()
                r.skip_ws()
                cmd.wfile = self.filename()
                self.wfiles.append(cmd.wfile)
                break
            elif c in ("", "\n", ";", "}", "#", " ", "\t"):
                self.end_of_command()
                break
            else:
                r.get()
                raise r.error("unknown option to `s'")
        cmd.regex = self.regex(pat, icase)
        cmd.repl = self.replacement(rep, delim, cmd.regex)

    def replacement(self, rep: str, delim: str, rx: PosixRegex | None) -> list[str | int]:
        """Literal text, group numbers (0 for ``&``) and case operators
        (``"\\L"``, ``"\\U"``, ``"\\l"``, ``"\\u"``, ``"\\E"``)."""
        parts: list[str | int] = []
        lit: list[str] = []
        ngroups = rx.regex.groups if rx is not None else 9
        i = 0
        while i < len(rep):
            c = rep[i]
            i += 1
            if c == "&":
                parts.append("".join(lit))
                lit = []
                parts.append(0)
            elif c == "\\" and i < len(rep):
                d = rep[i]
                i += 1
                if d.isdigit():
                    if int(d) > ngroups:
                        raise self.r.error(f"invalid reference \\{d} on `s' command's RHS")
                    parts.append("".join(lit))
                    lit = []
                    parts.append(int(d))
                elif d in "LUluE":
                    parts.append("".join(lit))
                    lit = []
                    parts.append("\\" + d)
                elif d == "n":
                    lit.append("\n")
                elif d == "t":
                    lit.append("\t")
                else:
                    lit.append(d)
            else:
                lit.append(c)
        parts.append("".join(lit))
        return [p for p in parts if p != ""]

    def transliterate(self, cmd: Cmd) -> None:
        r = self.r
        delim = r.get()
        src = _unescape_y(_delimited(r, delim, "unterminated `y' command", False))
        dst = _unescape_y(_delimited(r, delim, "unterminated `y' command", False))
        if len(src) != len(dst):
            raise r.error("strings for `y' command are different lengths")
        cmd.ymap = dict(zip(src, dst, strict=False))
        self.end_of_command()


def _unescape_y(s: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            d = s[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(d, "\\" + d))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_script(chunks: list[tuple[str, str]], extended: bool) -> tuple[list[Cmd], list[str]]:
    """Compile the script pieces (text, where); return the commands and the
    files ``w`` writes (to be truncated before the run)."""
    c = _Compiler(chunks, extended)
    return c.compile(), c.wfiles
