"""grep, egrep, fgrep: print lines that match patterns (GNU grep 3.8).

Options: -E -F -G -e PAT -f FILE -i -y -v -w -x -c -l -L -n -h -H -o -q -s
-r -R -a -I -m NUM -A/-B/-C NUM, --include/--exclude/--exclude-dir=GLOB.
Patterns are POSIX BREs or EREs (``posixre``). Files holding a NUL byte
are binary: a match prints ``grep: FILE: binary file matches`` (GNU 3.5+).
Exit status 0 if a line was selected, 1 if none, 2 on error (0 with -q
when a line was selected even after an error).
"""

from __future__ import annotations

import fnmatch
import stat
from dataclasses import dataclass, field

from ..context import Context, ProgramExit
from ..registry import program
from .posixre import PosixRegex, RegexError, arg_text, from_text, to_text

_BUFSIZE = 32768


@dataclass
class _Opts:
    mode: str = "G"
    patterns: list[str] = field(default_factory=list)
    have_pattern: bool = False
    icase: bool = False
    invert: bool = False
    word: bool = False
    line: bool = False
    count: bool = False
    list_files: bool = False
    list_nonmatching: bool = False
    number: bool = False
    filename: bool | None = None
    only: bool = False
    quiet: bool = False
    silent: bool = False
    recursive: bool = False
    deref: bool = False
    binary: str = "binary"
    max_count: int = -1
    after: int = 0
    before: int = 0
    byte_offset: bool = False
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    exclude_dir: list[str] = field(default_factory=list)


class _Usage(Exception):
    pass


def _parse(ctx: Context, args: list[str], o: _Opts) -> list[str]:
    files: list[str] = []
    i = 0
    with_arg = "efmABCd"
    longs = {
        "--extended-regexp": "E",
        "--fixed-strings": "F",
        "--basic-regexp": "G",
        "--ignore-case": "i",
        "--invert-match": "v",
        "--word-regexp": "w",
        "--line-regexp": "x",
        "--count": "c",
        "--files-with-matches": "l",
        "--files-without-match": "L",
        "--line-number": "n",
        "--no-filename": "h",
        "--with-filename": "H",
        "--only-matching": "o",
        "--quiet": "q",
        "--silent": "q",
        "--no-messages": "s",
        "--recursive": "r",
        "--dereference-recursive": "R",
        "--text": "a",
        "--byte-offset": "b",
    }
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            files.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            if name in longs:
                _apply(ctx, o, longs[name], "")
                continue
            if name in (
                "--regexp",
                "--file",
                "--max-count",
                "--after-context",
                "--before-context",
                "--context",
                "--include",
                "--exclude",
                "--exclude-dir",
                "--binary-files",
                "--color",
                "--colour",
            ):
                if not eq and name not in ("--color", "--colour"):
                    if i >= len(args):
                        ctx.error(f"option '{name}' requires an argument")
                        raise _Usage
                    val = args[i]
                    i += 1
                key = {
                    "--regexp": "e",
                    "--file": "f",
                    "--max-count": "m",
                    "--after-context": "A",
                    "--before-context": "B",
                    "--context": "C",
                }.get(name)
                if key:
                    _apply(ctx, o, key, val)
                elif name == "--include":
                    o.include.append(val)
                elif name == "--exclude":
                    o.exclude.append(val)
                elif name == "--exclude-dir":
                    o.exclude_dir.append(val)
                elif name == "--binary-files":
                    o.binary = val
                continue
            ctx.error(f"unrecognized option '{a}'")
            raise _Usage
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c in with_arg or c.isdigit():
                    if c.isdigit():
                        k = j
                        while k < len(a) and a[k].isdigit():
                            k += 1
                        _apply(ctx, o, "C", a[j - 1 : k])
                        j = k
                        continue
                    if j < len(a):
                        val = a[j:]
                    elif i < len(args):
                        val = args[i]
                        i += 1
                    else:
                        ctx.error(f"option requires an argument -- '{c}'")
                        raise _Usage
                    _apply(ctx, o, c, val)
                    break
                if c not in "EFGivywxclLnhHoqsrRaIb":
                    ctx.error(f"invalid option -- '{c}'")
                    raise _Usage
                _apply(ctx, o, c, "")
            continue
        files.append(a)
    return files


def _number(ctx: Context, val: str, what: str) -> int:
    try:
        n = int(val)
    except ValueError:
        ctx.error(f"{val}: invalid {what} argument")
        raise ProgramExit(2) from None
    return n


def _apply(ctx: Context, o: _Opts, c: str, val: str) -> None:
    if c in "EFG":
        o.mode = c
    elif c == "e":
        o.patterns.extend(arg_text(val).split("\n"))
        o.have_pattern = True
    elif c == "f":
        try:
            with ctx.os.open_file(val if val != "-" else 0, "rb", closefd=val != "-") as f:
                data = to_text(f.read())
        except OSError as e:
            ctx.error(f"{val}: {ctx.os.strerror(e.errno)}")
            raise ProgramExit(2) from None
        if data.endswith("\n"):
            data = data[:-1]
        if data:
            o.patterns.extend(data.split("\n"))
        o.have_pattern = True
    elif c in "iy":
        o.icase = True
    elif c == "v":
        o.invert = True
    elif c == "w":
        o.word = True
    elif c == "x":
        o.line = True
    elif c == "c":
        o.count = True
    elif c == "l":
        o.list_files, o.list_nonmatching = True, False
    elif c == "L":
        o.list_nonmatching, o.list_files = True, False
    elif c == "n":
        o.number = True
    elif c == "h":
        o.filename = False
    elif c == "H":
        o.filename = True
    elif c == "o":
        o.only = True
    elif c == "q":
        o.quiet = True
    elif c == "s":
        o.silent = True
    elif c == "r":
        o.recursive = True
    elif c == "R":
        o.recursive = o.deref = True
    elif c == "a":
        o.binary = "text"
    elif c == "I":
        o.binary = "without-match"
    elif c == "b":
        o.byte_offset = True
    elif c == "m":
        o.max_count = _number(ctx, val, "max count")
    elif c == "A":
        o.after = _number(ctx, val, "context length")
    elif c == "B":
        o.before = _number(ctx, val, "context length")
    elif c == "C":
        o.after = o.before = _number(ctx, val, "context length")


class _Grep:
    def __init__(self, ctx: Context, o: _Opts, regexes: list[PosixRegex]) -> None:
        self.ctx = ctx
        self.o = o
        self.regexes = regexes
        self.out = ctx.stdout
        self.matched = False
        self.error = False
        self.with_name = False

    def warn(self, msg: str) -> None:
        self.error = True
        if not self.o.silent:
            self.ctx.error(msg)

    def selects(self, line: str) -> bool:
        hit = any(r.search(line) is not None for r in self.regexes)
        return hit != self.o.invert

    def matches(self, line: str) -> list[tuple[int, int]]:
        """Every non-empty (start, end) match, leftmost-longest across patterns."""
        spans: list[tuple[int, int]] = []
        pos = 0
        n = len(line)
        while pos <= n:
            best: tuple[int, int] | None = None
            for r in self.regexes:
                m = r.search(line, pos)
                if m is None:
                    continue
                s = (m.start(), m.end())
                if best is None or s[0] < best[0] or (s[0] == best[0] and s[1] > best[1]):
                    best = s
            if best is None:
                break
            if best[1] == best[0]:
                pos = best[0] + 1
                continue
            spans.append(best)
            pos = best[1]
        return spans

    # -- one input ---------------------------------------------------------------------
    def grep_data(self, data: bytes, name: str) -> None:
        o = self.o
        binary_from = -1
        if o.binary != "text":
            nul = data.find(b"\0")
            if nul >= 0:
                binary_from = (nul // _BUFSIZE) * _BUFSIZE
                if binary_from == 0 and o.binary == "without-match":
                    return
        text = to_text(data)
        lines = text.split("\n")
        if text.endswith("\n") or not text:
            lines.pop()
        prefix = from_text(name) if self.with_name else b""
        count = 0
        last_printed = -1
        pending_after = 0
        offset = 0
        w = self.out.write
        context = (o.after or o.before) and not (
            o.count or o.list_files or o.list_nonmatching or o.quiet
        )
        for idx, line in enumerate(lines):
            line_off = offset
            offset += len(line) + 1
            if not self.selects(line):
                if pending_after and context and binary_from < 0:
                    self.emit(prefix, idx, line_off, line, "-")
                    last_printed = idx
                    pending_after -= 1
                continue
            count += 1
            self.matched = True
            if o.quiet:
                raise ProgramExit(0)
            if o.list_files or o.list_nonmatching:
                break
            if o.count:
                if count == o.max_count:
                    break
                continue
            if 0 <= binary_from <= line_off:
                self.out.flush()
                self.ctx.stdout.flush()
                self.ctx.error(f"{name}: binary file matches")
                break
            if context:
                first = max(idx - o.before, last_printed + 1)
                if self.any_printed and (last_printed < 0 or first > last_printed + 1):
                    w(b"--\n")
                back_off = line_off
                starts: list[int] = []
                for k in range(idx - 1, first - 1, -1):
                    back_off -= len(lines[k]) + 1
                    starts.append(back_off)
                for k, off in zip(range(first, idx), reversed(starts), strict=False):
                    self.emit(prefix, k, off, lines[k], "-")
            if o.only:
                if not o.invert:
                    for s, e in self.matches(line):
                        self.emit(prefix, idx, line_off + s, line[s:e], ":")
            else:
                self.emit(prefix, idx, line_off, line, ":")
            last_printed = idx
            pending_after = o.after
            if count == o.max_count:
                if context:
                    for k in range(idx + 1, min(idx + 1 + o.after, len(lines))):
                        if self.selects(lines[k]):
                            break
                        self.emit(prefix, k, offset, lines[k], "-")
                        offset += len(lines[k]) + 1
                break
        if o.count:
            if self.with_name:
                w(prefix + b":")
            w(b"%d\n" % count)
        if o.list_files and count:
            w(from_text(name) + b"\n")
        if o.list_nonmatching and not count:
            w(from_text(name) + b"\n")

    any_printed = False

    def emit(self, prefix: bytes, idx: int, off: int, text: str, sep: str) -> None:
        self.any_printed = True
        parts = [prefix + sep.encode()] if prefix else []
        if self.o.number:
            parts.append(b"%d" % (idx + 1) + sep.encode())
        if self.o.byte_offset:
            parts.append(b"%d" % off + sep.encode())
        parts.append(from_text(text) + b"\n")
        self.out.write(b"".join(parts))

    # -- files -------------------------------------------------------------------------
    def excluded(self, path: str, cmdline: bool) -> bool:
        base = path.rstrip("/").rsplit("/", 1)[-1] or path
        o = self.o
        names = (base, path) if cmdline else (base,)
        if o.include and not any(fnmatch.fnmatchcase(n, g) for g in o.include for n in names):
            return True
        return any(fnmatch.fnmatchcase(n, g) for g in o.exclude for n in names)

    def grep_path(self, path: str, display: str, cmdline: bool) -> None:
        vos = self.ctx.os
        if path == "-" and cmdline:
            self.grep_data(self.ctx.stdin.read(), "(standard input)")
            return
        try:
            st = vos.stat(path) if (cmdline or self.o.deref) else vos.lstat(path)
        except OSError as e:
            if not cmdline and stat.S_ISLNK(_lmode(vos, path)):
                return
            self.warn(f"{display}: {vos.strerror(e.errno)}")
            return
        if stat.S_ISLNK(st.st_mode):
            return
        if stat.S_ISDIR(st.st_mode):
            if not self.o.recursive:
                self.warn(f"{display}: Is a directory")
                return
            base = display.rstrip("/").rsplit("/", 1)[-1]
            if not cmdline and any(fnmatch.fnmatchcase(base, g) for g in self.o.exclude_dir):
                return
            try:
                entries = [e.name for e in vos.scandir(path)]
            except OSError as e:
                self.warn(f"{display}: {vos.strerror(e.errno)}")
                return
            for name in entries:
                sub = path + name if path.endswith("/") else path + "/" + name
                if display == "":
                    shown = name
                else:
                    shown = display + name if display.endswith("/") else display + "/" + name
                self.grep_path(sub, shown, False)
            return
        if self.excluded(display, cmdline):
            return
        if not cmdline and not stat.S_ISREG(st.st_mode):
            return
        try:
            with vos.open_file(path, "rb") as f:
                data = f.read()
        except OSError as e:
            self.warn(f"{display}: {vos.strerror(e.errno)}")
            return
        self.grep_data(data, display)


def _lmode(vos: object, path: str) -> int:
    try:
        return int(vos.lstat(path).st_mode)  # type: ignore[attr-defined]
    except OSError:
        return 0


def _compile(ctx: Context, o: _Opts) -> list[PosixRegex]:
    pats = o.patterns
    regexes: list[PosixRegex] = []
    for p in pats:
        regexes.append(
            PosixRegex(
                p,
                extended=o.mode == "E",
                icase=o.icase,
                fixed=o.mode == "F",
                word=o.word,
                line=o.line,
            )
        )
    for r in regexes:
        for w in r.warnings:
            ctx.error(f"warning: {w}")
    return regexes


def run(ctx: Context, mode: str) -> int:
    o = _Opts(mode=mode)
    try:
        files = _parse(ctx, ctx.argv[1:], o)
    except _Usage:
        ctx.stderr.write(
            b"Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n"
        )
        return 2
    if not o.have_pattern:
        if not files:
            ctx.stderr.write(
                b"Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                b"Try 'grep --help' for more information.\n"
            )
            return 2
        o.patterns = arg_text(files.pop(0)).split("\n")
    try:
        regexes = _compile(ctx, o)
    except RegexError as e:
        ctx.error(str(e))
        return 2
    g = _Grep(ctx, o, regexes)
    if not files:
        files = ["."] if o.recursive else ["-"]
        implicit = o.recursive
    else:
        implicit = False
    if o.filename is not None:
        g.with_name = o.filename
    elif len(files) > 1:
        g.with_name = True
    elif o.recursive and files[0] != "-":
        g.with_name = implicit or ctx.os.path.isdir(files[0])
    try:
        for f in files:
            g.grep_path(f, "" if implicit else f, True)
    except ProgramExit:
        raise
    except BrokenPipeError:
        return 2
    if g.error and not (o.quiet and g.matched):
        return 2
    return 0 if g.matched else 1


@program("grep")
def grep_main(ctx: Context) -> int:
    return run(ctx, "G")


@program("egrep")
def egrep_main(ctx: Context) -> int:
    return run(ctx, "E")


@program("fgrep")
def fgrep_main(ctx: Context) -> int:
    return run(ctx, "F")
