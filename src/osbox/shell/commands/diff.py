"""diff: compare files line by line (GNU diffutils 3.8, C locale).

Output formats: normal (default), unified (-u, -U N) and context-free
brief (-q); -r compares directories (``Only in D: NAME``, ``Common
subdirectories: ...`` without -r); -i, -b, -w, -B ignore case / space
changes / all space / blank lines; -N treats absent files as empty;
--label. Files holding a NUL byte are ``Binary files A and B differ``.
Exit status 0 (same), 1 (different), 2 (trouble).
"""

from __future__ import annotations

import re
import stat
import time
from typing import Any

from ..context import Context
from ..registry import program
from .difflcs import hunks

_NO_NL = b"\\ No newline at end of file\n"


class _Opts:
    def __init__(self) -> None:
        self.unified = -1
        self.brief = False
        self.recursive = False
        self.icase = False
        self.space = ""  # "", "b" or "w"
        self.blank = False
        self.new_file = False
        self.labels: list[str] = []
        self.switches = ""


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _stamp(st: Any) -> str:
    ns = st.st_mtime_ns
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sec)) + f".{frac:09d} +0000"


class _Diff:
    def __init__(self, ctx: Context, o: _Opts) -> None:
        self.ctx = ctx
        self.o = o
        self.out = ctx.stdout
        self.trouble = False

    def err(self, msg: str) -> None:
        self.ctx.error(msg)
        self.trouble = True

    def read(self, path: str) -> bytes | None:
        vos = self.ctx.os
        try:
            if path == "-":
                return self.ctx.stdin.read()
            with vos.open_file(path, "rb") as f:
                data: bytes = f.read()
                return data
        except OSError as e:
            self.err(f"{path}: {vos.strerror(e.errno)}")
            return None

    def key(self, line: bytes) -> bytes:
        o = self.o
        if o.space == "w":
            line = re.sub(rb"[ \t\v\f\r]+", b"", line)
        elif o.space == "b":
            line = re.sub(rb"[ \t\v\f\r]+", b" ", line).rstrip(b" ")
        if o.icase:
            line = line.lower()
        return line

    def files(self, p1: str, p2: str, st1: Any, st2: Any, header: str | None) -> int:
        d1 = self.read(p1) if st1 is not None else b""
        d2 = self.read(p2) if st2 is not None else b""
        if d1 is None or d2 is None:
            return 2
        if d1 == d2:
            return 0
        if b"\0" in d1[:32768] or b"\0" in d2[:32768]:
            self.flush_header(None if self.o.brief else header)
            kind = "Files" if self.o.brief else "Binary files"
            self.out.write(_b(f"{kind} {p1} and {p2} differ\n"))
            return 1
        l1 = _lines(d1)
        l2 = _lines(d2)
        ids: dict[bytes, int] = {}
        a = [ids.setdefault(self.key(x.rstrip(b"\n")), len(ids)) for x in l1]
        b = [ids.setdefault(self.key(x.rstrip(b"\n")), len(ids)) for x in l2]
        hs = hunks(a, b)
        if self.o.blank:
            hs = [
                h
                for h in hs
                if not all(self.key(x).strip() == b"" for x in l1[h[0] : h[1]] + l2[h[2] : h[3]])
            ]
        if not hs:
            return 0
        if self.o.brief:
            self.out.write(_b(f"Files {p1} and {p2} differ\n"))
            return 1
        self.flush_header(header)
        if self.o.unified >= 0:
            self.unified(p1, p2, st1, st2, l1, l2, hs)
        else:
            self.normal(l1, l2, hs)
        return 1

    def flush_header(self, header: str | None) -> None:
        if header is not None:
            self.out.write(_b(header + "\n"))

    def normal(self, l1: list[bytes], l2: list[bytes], hs: list[tuple[int, int, int, int]]) -> None:
        w = self.out.write
        for s1, e1, s2, e2 in hs:
            if s1 == e1:
                w(b"%da%s\n" % (s1, _range(s2, e2)))
            elif s2 == e2:
                w(b"%sd%d\n" % (_range(s1, e1), s2))
            else:
                w(b"%sc%s\n" % (_range(s1, e1), _range(s2, e2)))
            for x in l1[s1:e1]:
                _emit(w, b"< ", x)
            if s1 != e1 and s2 != e2:
                w(b"---\n")
            for x in l2[s2:e2]:
                _emit(w, b"> ", x)

    def unified(
        self,
        p1: str,
        p2: str,
        st1: Any,
        st2: Any,
        l1: list[bytes],
        l2: list[bytes],
        hs: list[tuple[int, int, int, int]],
    ) -> None:
        w = self.out.write
        o = self.o
        n1 = o.labels[0] if o.labels else f"{p1}\t{_stamp(st1) if st1 else _epoch()}"
        n2 = o.labels[1] if len(o.labels) > 1 else f"{p2}\t{_stamp(st2) if st2 else _epoch()}"
        w(_b(f"--- {n1}\n+++ {n2}\n"))
        ctxn = o.unified
        groups: list[list[tuple[int, int, int, int]]] = []
        for h in hs:
            if groups and h[0] - groups[-1][-1][1] <= 2 * ctxn:
                groups[-1].append(h)
            else:
                groups.append([h])
        for g in groups:
            a0 = max(g[0][0] - ctxn, 0)
            b0 = max(g[0][2] - ctxn, 0)
            a1 = min(g[-1][1] + ctxn, len(l1))
            b1 = min(g[-1][3] + ctxn, len(l2))
            w(b"@@ -%s +%s @@\n" % (_urange(a0, a1), _urange(b0, b1)))
            i = a0
            for s1, e1, s2, e2 in g:
                for x in l1[i:s1]:
                    _emit(w, b" ", x)
                for x in l1[s1:e1]:
                    _emit(w, b"-", x)
                for x in l2[s2:e2]:
                    _emit(w, b"+", x)
                i = e1
            for x in l1[i:a1]:
                _emit(w, b" ", x)

    # -- directories ---------------------------------------------------------------------
    def paths(self, p1: str, p2: str, top: bool) -> int:
        vos = self.ctx.os
        st1 = self.stat(p1, top)
        st2 = self.stat(p2, top)
        if st1 is False or st2 is False:
            return 2
        if st1 is None and st2 is None:
            return 2
        d1 = st1 is not None and stat.S_ISDIR(st1.st_mode)
        d2 = st2 is not None and stat.S_ISDIR(st2.st_mode)
        if top and d1 != d2 and st1 is not None and st2 is not None:
            if d1:
                p1 = _join(p1, p2.rstrip("/").rsplit("/", 1)[-1])
            else:
                p2 = _join(p2, p1.rstrip("/").rsplit("/", 1)[-1])
            return self.paths(p1, p2, True)
        if d1 and d2:
            return self.dirs(p1, p2, top)
        if d1 or d2:
            kind1 = "directory" if d1 else "regular file"
            kind2 = "directory" if d2 else "regular file"
            self.out.write(_b(f"File {p1} is a {kind1} while file {p2} is a {kind2}\n"))
            return 1
        header = None if top else f"diff{self.o.switches} {p1} {p2}"
        del vos
        return self.files(p1, p2, st1, st2, header)

    def stat(self, p: str, top: bool) -> Any:
        if p == "-":
            return self.ctx.os.fstat(0)
        try:
            return self.ctx.os.stat(p)
        except OSError as e:
            if self.o.new_file and not top:
                return None
            self.err(f"{p}: {self.ctx.os.strerror(e.errno)}")
            return False

    def dirs(self, p1: str, p2: str, top: bool) -> int:
        vos = self.ctx.os
        try:
            n1 = set(vos.listdir(p1))
            n2 = set(vos.listdir(p2))
        except OSError as e:
            self.err(f"{e.filename}: {vos.strerror(e.errno)}")
            return 2
        status = 0
        for name in sorted(n1 | n2, key=_b):
            a, b = _join(p1, name), _join(p2, name)
            if name not in n2 or name not in n1:
                if self.o.new_file:
                    status = max(status, self.paths(a, b, False))
                    continue
                where = p1 if name not in n2 else p2
                self.out.write(_b(f"Only in {where}: {name}\n"))
                status = max(status, 1)
                continue
            if vos.path.isdir(a) and vos.path.isdir(b) and not self.o.recursive:
                self.out.write(_b(f"Common subdirectories: {a} and {b}\n"))
                continue
            status = max(status, self.paths(a, b, False))
        return status


def _join(d: str, name: str) -> str:
    return d + name if d.endswith("/") else d + "/" + name


def _epoch() -> str:
    return "1970-01-01 00:00:00.000000000 +0000"


def _lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _emit(w: Any, prefix: bytes, line: bytes) -> None:
    if line.endswith(b"\n"):
        w(prefix + line)
    else:
        w(prefix + line + b"\n" + _NO_NL)


def _range(s: int, e: int) -> bytes:
    return b"%d" % (s + 1) if e - s == 1 else b"%d,%d" % (s + 1, e)


def _urange(s: int, e: int) -> bytes:
    if e - s == 1:
        return b"%d" % (s + 1)
    if e == s:
        return b"%d,0" % s
    return b"%d,%d" % (s + 1, e - s)


@program("diff")
def main(ctx: Context) -> int:
    o = _Opts()
    args = ctx.argv[1:]
    files: list[str] = []
    switches: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            files.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            if name == "--unified":
                o.unified = int(val) if eq else 3
            elif name == "--brief":
                o.brief = True
            elif name == "--recursive":
                o.recursive = True
            elif name == "--new-file":
                o.new_file = True
            elif name == "--ignore-case":
                o.icase = True
            elif name == "--ignore-space-change":
                o.space = o.space or "b"
            elif name == "--ignore-all-space":
                o.space = "w"
            elif name == "--ignore-blank-lines":
                o.blank = True
            elif name == "--label":
                if not eq:
                    val = args[i]
                    i += 1
                o.labels.append(val)
            elif name == "--normal":
                o.unified = -1
            else:
                ctx.error(f"unrecognized option '{a}'")
                ctx.stderr.write(b"diff: Try 'diff --help' for more information.\n")
                return 2
            switches.append(a)
            continue
        if a.startswith("-") and len(a) > 1:
            switches.append(a)
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c == "u":
                    o.unified = 3
                elif c == "U":
                    val = a[j:] or (args[i] if i < len(args) else "")
                    if not a[j:]:
                        i += 1
                    o.unified = int(val)
                    break
                elif c.isdigit():
                    o.unified = int(a[j - 1 :])
                    break
                elif c == "q":
                    o.brief = True
                elif c == "r":
                    o.recursive = True
                elif c == "N":
                    o.new_file = True
                elif c == "i":
                    o.icase = True
                elif c == "b":
                    o.space = o.space or "b"
                elif c == "w":
                    o.space = "w"
                elif c == "B":
                    o.blank = True
                elif c == "a":
                    pass
                else:
                    ctx.error(f"invalid option -- '{c}'")
                    ctx.stderr.write(b"diff: Try 'diff --help' for more information.\n")
                    return 2
            continue
        files.append(a)
    o.switches = "".join(" " + s for s in switches)
    if len(files) != 2:
        if len(files) < 2:
            ctx.error(f"missing operand after '{files[-1] if files else 'diff'}'")
        else:
            ctx.error(f"extra operand '{files[2]}'")
        ctx.stderr.write(b"diff: Try 'diff --help' for more information.\n")
        return 2
    d = _Diff(ctx, o)
    status = d.paths(files[0], files[1], True)
    if d.trouble:
        return 2
    return status
