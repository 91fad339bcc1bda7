"""sed: the stream editor (GNU sed 4.9, C locale).

Options -n -e SCRIPT -f FILE -E/-r -i[SUFFIX] -s -z -l N -u --posix.
The script language is compiled by ``sedscript``; this module runs it over
the input lines (one continuous stream, or each file separately with -s
and -i). A last line without a newline is written back without one, as
GNU does. Exit status 0, 1 for a script error, 2 when an input file could
not be read, 4 on an I/O error, or the code given to ``q``/``Q``.
"""

from __future__ import annotations

import stat
from typing import IO, Any

from ..context import Context, ProgramExit
from ..registry import program
from .posixre import PosixRegex, arg_text, from_text, to_text
from .sedscript import Cmd, SedError, compile_script

_USAGE = b"Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n"


class _Out:
    """An output stream that remembers whether its last line lacked a newline."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.missing = False

    def write(self, text: str, newline: bool = True) -> None:
        if self.missing:
            self.f.write(b"\n")
        self.f.write(from_text(text))
        if newline:
            self.f.write(b"\n")
        self.missing = not newline

    def raw(self, data: bytes) -> None:
        if self.missing:
            self.f.write(b"\n")
            self.missing = False
        self.f.write(data)


class _Input:
    """Lines of one or more files, with one line of look-ahead for ``$``."""

    def __init__(self, sed: _Sed, files: list[str]) -> None:
        self.sed = sed
        self.files = list(files)
        self.lines: list[str] = []
        self.pos = 0
        self.last_missing_nl = False
        self.name = "-"
        self.next_name = "-"

    def _fill(self) -> bool:
        while self.pos >= len(self.lines):
            if not self.files:
                return False
            name = self.files.pop(0)
            data = self.sed.read_input(name)
            if data is None:
                continue
            text = to_text(data)
            lines = text.split(self.sed.sep)
            self.last_missing_nl = not text.endswith(self.sed.sep)
            if not self.last_missing_nl or text == "":
                lines.pop()
            self.lines, self.pos = lines, 0
            self.next_name = name
        return True

    def next(self) -> tuple[str, bool] | None:
        """The next line and whether it ends with a newline."""
        if not self._fill():
            return None
        line = self.lines[self.pos]
        self.pos += 1
        self.name = self.next_name
        at_end = self.pos == len(self.lines)
        return line, not (at_end and self.last_missing_nl)

    def is_last(self) -> bool:
        return not self._fill()


class _Quit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class _Sed:
    def __init__(self, ctx: Context, cmds: list[Cmd], quiet: bool, sep: str, wrap: int) -> None:
        self.ctx = ctx
        self.cmds = cmds
        self.quiet = quiet
        self.sep = sep
        self.wrap = wrap
        self.hold = ""
        self.status = 0
        self.last_regex: PosixRegex | None = None
        self.wfiles: dict[str, _Out] = {}
        self.out = _Out(ctx.stdout)

    def read_input(self, name: str) -> bytes | None:
        vos = self.ctx.os
        try:
            if name == "-":
                return self.ctx.stdin.read()
            with vos.open_file(name, "rb") as f:
                data: bytes = f.read()
                return data
        except IsADirectoryError:
            self.ctx.error(f"read error on {name}: Is a directory")
            self.status = 2
        except OSError as e:
            self.ctx.error(f"can't read {name}: {vos.strerror(e.errno)}")
            self.status = 2
        return None

    def open_wfile(self, name: str) -> _Out:
        out = self.wfiles.get(name)
        if out is None:
            if name == "/dev/stdout":
                out = self.out
            elif name == "/dev/stderr":
                out = _Out(self.ctx.stderr)
            else:
                try:
                    out = _Out(self.ctx.os.open_file(name, "wb"))
                except OSError as e:
                    self.ctx.error(f"couldn't open file {name}: {self.ctx.os.strerror(e.errno)}")
                    raise ProgramExit(4) from None
            self.wfiles[name] = out
        return out

    # -- addresses -------------------------------------------------------------------
    def regex(self, rx: PosixRegex | None) -> PosixRegex:
        if rx is None:
            if self.last_regex is None:
                self.ctx.error("no previous regular expression")
                raise ProgramExit(1)
            return self.last_regex
        self.last_regex = rx
        return rx

    def match1(self, a: Any, ps: str) -> bool:
        k = a.kind
        if k == "line":
            return bool(self.lineno == a.n)
        if k == "last":
            return self.inp.is_last()
        if k == "re":
            return self.regex(a.regex).search(ps) is not None
        if k == "step":
            if a.step <= 0:
                return bool(self.lineno == a.n)
            return bool(self.lineno >= a.n and (self.lineno - a.n) % a.step == 0)
        return False

    def selected(self, c: Cmd, ps: str) -> bool:
        if c.a1 is None:
            return True
        if c.a2 is None:
            return self.match1(c.a1, ps)
        a2 = c.a2
        n = self.lineno
        if c.active:
            if a2.kind in ("line", "plus"):
                if n >= c.end:
                    c.active = False
                return n <= c.end
            if a2.kind == "mult":
                if a2.n <= 0 or n % a2.n == 0:
                    c.active = False
                return True
            if self.match1(a2, ps):
                c.active = False
            return True
        if not self.match1(c.a1, ps):
            return False
        if a2.kind == "line":
            if a2.n > n:
                c.active, c.end = True, a2.n
        elif a2.kind == "plus":
            if a2.n > 0:
                c.active, c.end = True, n + a2.n
        elif a2.kind == "mult":
            if a2.n > 0 and n % a2.n != 0:
                c.active = True
        elif a2.kind == "last":
            c.active = not self.inp.is_last()
        else:
            c.active = True
        return True

    # -- running -----------------------------------------------------------------------
    def run(self, inp: _Input, first_line: int = 0) -> None:
        self.inp = inp
        self.lineno = first_line
        self.appends: list[str | bytes] = []
        ps: str | None = None
        nl = True
        while True:
            if ps is None:
                got = inp.next()
                if got is None:
                    return
                ps, nl = got
                self.lineno += 1
                self.tflag = False
            try:
                ps, nl, restart, autoprint = self.cycle(ps, nl)
            except _Quit as q:
                raise ProgramExit(q.code) from None
            if autoprint and not self.quiet:
                self.out.write(ps, nl)
            self.dump_appends()
            if not restart:
                ps = None

    def dump_appends(self) -> None:
        for a in self.appends:
            if isinstance(a, bytes):
                self.out.raw(a)
            else:
                self.out.write(a, False)
                self.out.missing = False
        self.appends = []

    def cycle(self, ps: str, nl: bool) -> tuple[str, bool, bool, bool]:
        """Run the script once; return (ps, nl, restart-without-reading, autoprint)."""
        cmds = self.cmds
        i = 0
        out = self.out
        while i < len(cmds):
            c = cmds[i]
            i += 1
            if self.selected(c, ps) == c.neg:
                if c.name == "{":
                    i = c.target
                continue
            name = c.name
            if name in "{}:":
                continue
            if name == "s":
                ps = self.substitute(c, ps, nl)
            elif name == "p":
                out.write(ps, nl)
            elif name == "d":
                return ps, nl, False, False
            elif name == "D":
                k = ps.find("\n")
                if k < 0:
                    return ps, nl, False, False
                return ps[k + 1 :], nl, True, False
            elif name in "nN":
                if self.inp.is_last():
                    return ps, nl, False, True
                if name == "n" and not self.quiet:
                    out.write(ps, nl)
                self.dump_appends()
                got = self.inp.next()
                assert got is not None
                self.lineno += 1
                ps = got[0] if name == "n" else ps + "\n" + got[0]
                nl = got[1]
            elif name == "P":
                k = ps.find("\n")
                out.write(ps if k < 0 else ps[:k], True)
            elif name == "=":
                out.write(str(self.lineno))
            elif name == "a":
                self.appends.append(c.text)
            elif name == "i":
                out.write(c.text, False)
                out.missing = False
            elif name == "c":
                if c.a2 is None or not c.active:
                    out.write(c.text, False)
                    out.missing = False
                return ps, nl, False, False
            elif name in "btT":
                if name == "b" or (name == "t") == self.tflag:
                    i = c.target
                if name != "b":
                    self.tflag = False
            elif name == "h":
                self.hold = ps
            elif name == "H":
                self.hold += "\n" + ps
            elif name == "g":
                ps = self.hold
            elif name == "G":
                ps += "\n" + self.hold
            elif name == "x":
                ps, self.hold = self.hold, ps
            elif name == "z":
                ps = ""
            elif name == "y":
                ps = "".join(c.ymap.get(ch, ch) for ch in ps)
            elif name == "l":
                self.list_line(ps, c.code if c.code else self.wrap)
            elif name == "F":
                out.write(self.inp.name)
            elif name == "q":
                if not self.quiet:
                    out.write(ps, nl)
                self.dump_appends()
                raise _Quit(c.code)
            elif name == "Q":
                raise _Quit(c.code)
            elif name == "r":
                data = self.read_quiet(c.wfile)
                if data:
                    self.appends.append(data)
            elif name == "w":
                self.open_wfile(c.wfile).write(ps, True)
            elif name == "W":
                k = ps.find("\n")
                self.open_wfile(c.wfile).write(ps if k < 0 else ps[:k], True)
        return ps, nl, False, True

    def read_quiet(self, name: str) -> bytes:
        try:
            with self.ctx.os.open_file(name, "rb") as f:
                data: bytes = f.read()
                return data
        except OSError:
            return b""

    def substitute(self, c: Cmd, ps: str, nl: bool) -> str:
        rx = self.regex(c.regex)
        out: list[str] = []
        pos = 0
        count = 0
        last_end = -1
        done = False
        n = len(ps)
        while pos <= n:
            m = rx.search(ps, pos)
            if m is None:
                break
            st, en = m.span()
            if st == en and st == last_end:
                if st >= n:
                    break
                out.append(ps[pos : st + 1])
                pos = st + 1
                continue
            count += 1
            out.append(ps[pos:st])
            if count >= c.nth:
                out.append(_expand(c.repl, m))
                done = True
            else:
                out.append(ps[st:en])
            last_end = en
            pos = en
            if done and not c.gflag:
                break
            if st == en:
                if st < n:
                    out.append(ps[st])
                pos = en + 1
        if not done:
            return ps
        out.append(ps[pos:])
        ps = "".join(out)
        self.tflag = True
        for _ in range(c.pflag):
            self.out.write(ps, nl)
        if c.wfile:
            self.open_wfile(c.wfile).write(ps, True)
        return ps

    def list_line(self, ps: str, width: int) -> None:
        esc = {
            "\\": "\\\\",
            "\a": "\\a",
            "\b": "\\b",
            "\f": "\\f",
            "\n": "\\n",
            "\r": "\\r",
            "\t": "\\t",
            "\v": "\\v",
        }
        parts: list[str] = []
        for ch in ps:
            if ch in esc:
                parts.append(esc[ch])
            elif " " <= ch <= "~":
                parts.append(ch)
            else:
                parts.append(f"\\{ord(ch):03o}")
        lines: list[str] = []
        cur = ""
        for p in parts:
            if width > 1 and len(cur) + len(p) > width - 1:
                lines.append(cur + "\\")
                cur = ""
            cur += p
        lines.append(cur + "$")
        for ln in lines:
            self.out.write(ln)


def _expand(repl: list[str | int], m: Any) -> str:
    out: list[str] = []
    mode = ""  # "L" or "U"
    one = ""  # "l" or "u"
    for p in repl:
        if isinstance(p, int):
            text = m.group(p) or ""
        elif len(p) == 2 and p[0] == "\\" and p[1] in "LUluE":
            if p[1] in "LU":
                mode, one = p[1], ""
            elif p[1] == "E":
                mode, one = "", ""
            else:
                one = p[1]
            continue
        else:
            text = p
        if mode == "L":
            text = text.lower()
        elif mode == "U":
            text = text.upper()
        if one and text:
            text = (text[0].lower() if one == "l" else text[0].upper()) + text[1:]
            one = ""
        out.append(text)
    return "".join(out)


def _in_place(ctx: Context, sed: _Sed, name: str, suffix: str) -> None:
    vos = ctx.os
    try:
        st = vos.stat(name)
    except OSError as e:
        ctx.error(f"can't read {name}: {vos.strerror(e.errno)}")
        sed.status = 2
        return
    if not stat.S_ISREG(st.st_mode):
        ctx.error(f"couldn't edit {name}: not a regular file")
        sed.status = 4
        return
    d = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    tmp = f"{d}sed{vos.getpid():06d}"
    n = 0
    while vos.path.lexists(tmp):
        n += 1
        tmp = f"{d}sed{vos.getpid():06d}{n}"
    with vos.open_file(tmp, "xb") as f:
        sed.out = _Out(f)
        try:
            sed.run(_Input(sed, [name]))
        finally:
            f.flush()
            vos.chmod(tmp, stat.S_IMODE(st.st_mode))
            if suffix:
                base = name.rsplit("/", 1)[-1]
                bak = suffix.replace("*", base) if "*" in suffix else base + suffix
                if "/" not in bak:
                    bak = d + bak
                vos.rename(name, bak)
            vos.rename(tmp, name)


@program("sed")
def main(ctx: Context) -> int:
    args = ctx.argv[1:]
    chunks: list[tuple[str, str]] = []
    files: list[str] = []
    quiet = extended = separate = False
    in_place: str | None = None
    sep = "\n"
    wrap = 70
    nexpr = 0
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            files.extend(args[i:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a.partition("=")
            if name in ("--quiet", "--silent"):
                quiet = True
            elif name == "--regexp-extended":
                extended = True
            elif name == "--separate":
                separate = True
            elif name == "--null-data":
                sep = "\0"
            elif name == "--in-place":
                in_place = val
            elif name in ("--expression", "--file"):
                if not eq:
                    val = args[i]
                    i += 1
                nexpr += 1
                if name == "--expression":
                    chunks.append((arg_text(val), f"-e expression #{nexpr}"))
                else:
                    chunks.append((_script_file(ctx, val), f"file {val}"))
            elif name in ("--posix", "--unbuffered", "--debug", "--sandbox"):
                pass
            else:
                ctx.error(f"unknown option -- '{a[2:]}'")
                ctx.stderr.write(_USAGE)
                return 1
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c == "n":
                    quiet = True
                elif c in "Er":
                    extended = True
                elif c == "s":
                    separate = True
                elif c == "z":
                    sep = "\0"
                elif c == "u":
                    pass
                elif c == "i":
                    in_place = a[j:]
                    break
                elif c in "efl":
                    val = a[j:]
                    if not val:
                        if i >= len(args):
                            ctx.error(f"option requires an argument -- '{c}'")
                            ctx.stderr.write(_USAGE)
                            return 1
                        val = args[i]
                        i += 1
                    if c == "l":
                        wrap = int(val)
                    elif c == "e":
                        nexpr += 1
                        chunks.append((arg_text(val), f"-e expression #{nexpr}"))
                    else:
                        nexpr += 1
                        chunks.append((_script_file(ctx, val), f"file {val}"))
                    break
                else:
                    ctx.error(f"invalid option -- '{c}'")
                    ctx.stderr.write(_USAGE)
                    return 1
            continue
        files.append(a)
    if not chunks:
        if not files:
            ctx.stderr.write(_USAGE)
            return 1
        chunks.append((arg_text(files.pop(0)), "-e expression #1"))
    if chunks[0][0].startswith("#n") and chunks[0][0][2:3] in ("", "\n"):
        quiet = True
    try:
        cmds, wfiles = compile_script(chunks, extended)
    except SedError as e:
        ctx.error(str(e))
        return e.status
    sed = _Sed(ctx, cmds, quiet, sep, wrap)
    for w in wfiles:
        sed.open_wfile(w)
    if not files:
        files = ["-"]
    try:
        if in_place is not None:
            for f in files:
                _in_place(ctx, sed, f, in_place)
        elif separate:
            for f in files:
                sed.run(_Input(sed, [f]))
        else:
            sed.run(_Input(sed, files))
    except ProgramExit as e:
        _close(sed)
        return e.status
    _close(sed)
    return sed.status


def _close(sed: _Sed) -> None:
    for out in sed.wfiles.values():
        if out is not sed.out and out.f is not sed.ctx.stderr:
            out.f.close()


def _script_file(ctx: Context, name: str) -> str:
    try:
        if name == "-":
            data = ctx.stdin.read()
        else:
            with ctx.os.open_file(name, "rb") as f:
                data = f.read()
    except OSError as e:
        ctx.error(f"couldn't open file {name}: {ctx.os.strerror(e.errno)}")
        raise ProgramExit(1) from None
    text = to_text(data)
    return text[:-1] if text.endswith("\n") else text
