"""``ls``: list directory contents, as GNU coreutils ``ls`` does (C locale).

Formats: long (``-l``, ``-n``, ``-g``, ``-o``), one per line (``-1``, the
default when stdout is not a terminal), columns (``-C``, ``-x``, the default
on a terminal; GNU's column fitting with tab indentation). Sorting by name
(bytes, C locale), ``-t``, ``-S``, ``-U``, reversed by ``-r``. Dates are the
machine's clock in UTC: ``%b %e %H:%M`` within six months, ``%b %e  %Y``
otherwise. Exit status 2 when a command-line operand cannot be accessed, 1
for minor problems (an unreadable subdirectory).
"""

from __future__ import annotations

import stat as st
import time
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._modes import mode_string
from ._names import Names
from ._options import UsageError, parse_options, usage
from ._quote import enc, quote, quotef
from ._sizes import human

__all__ = ["main"]

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_SIX_MONTHS_NS = 31556952 // 2 * 10**9

_LONGS = {
    "all": ("a", 0),
    "almost-all": ("A", 0),
    "directory": ("d", 0),
    "recursive": ("R", 0),
    "reverse": ("r", 0),
    "human-readable": ("h", 0),
    "inode": ("i", 0),
    "size": ("s", 0),
    "numeric-uid-gid": ("n", 0),
    "classify": ("F", 0),
    "dereference": ("L", 0),
    "help": ("help", 0),
}


class _File:
    __slots__ = ("name", "path", "st", "target", "target_st", "is_dir")

    def __init__(self, name: str, path: str, stat: Any) -> None:
        self.name = name
        self.path = path
        self.st = stat
        self.target: str | None = None
        self.target_st: Any = None
        self.is_dir = stat is not None and st.S_ISDIR(stat.st_mode)


def _fmt_time(ns: int, now_ns: int) -> str:
    import time

    t = time.gmtime(ns // 10**9)
    mon = _MONTHS[t.tm_mon - 1]
    if now_ns - _SIX_MONTHS_NS < ns <= now_ns:
        return f"{mon} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}"
    return f"{mon} {t.tm_mday:2d}  {t.tm_year}"


class _Ls:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.os = ctx.os
        self.out = ctx.stdout
        self.status = 0
        self.names = Names(ctx.os)
        self.all = self.almost = self.dirs = self.recursive = self.reverse = False
        self.human = self.inode = self.numeric = self.classify = self.slash = False
        self.deref_all = False
        self.show_owner = self.show_group = True
        self.fmt = "long"
        self.sort = "name"
        self.time_field = "mtime"
        self.tty = False
        self.width = 80
        self.printed = False
        self.align = False
        self.size_blocks = False
        self._bw: int | None = None
        self.now_ns = 0

    # -- options -----------------------------------------------------------------------
    def configure(self, opts: list[tuple[str, str | None]]) -> None:
        try:
            self.tty = bool(self.os.isatty(1))
        except OSError:
            self.tty = False
        self.fmt = "columns" if self.tty else "one"
        for key, _ in opts:
            if key == "a":
                self.all, self.almost = True, False
            elif key == "A":
                self.almost, self.all = True, False
            elif key == "d":
                self.dirs = True
            elif key == "R":
                self.recursive = True
            elif key == "r":
                self.reverse = True
            elif key == "h":
                self.human = True
            elif key == "s":
                self.size_blocks = True
            elif key == "i":
                self.inode = True
            elif key in "lngo":
                self.fmt = "long"
                if key == "n":
                    self.numeric = True
                elif key == "g":
                    self.show_owner = False
                elif key == "o":
                    self.show_group = False
            elif key == "1":
                self.fmt = "one"
            elif key == "C":
                self.fmt = "columns"
            elif key == "x":
                self.fmt = "across"
            elif key == "F":
                self.classify = True
            elif key == "p":
                self.slash = True
            elif key == "t":
                self.sort = "time"
            elif key == "S":
                self.sort = "size"
            elif key == "U":
                self.sort = "none"
            elif key == "f":
                self.sort, self.all, self.almost = "none", True, False
            elif key in "cu":
                self.time_field = "ctime" if key == "c" else "atime"
            elif key == "L":
                self.deref_all = True
        classify_or_long = self.dirs or self.classify or self.fmt == "long"
        self.deref_cmdline_dirs = not classify_or_long
        if self.fmt in ("columns", "across"):
            cols = self.os.environ.get("COLUMNS", "")
            if cols.isdigit() and int(cols) > 0:
                self.width = int(cols)
            if self.tty:
                try:
                    self.width = self.os.get_terminal_size(1).columns or self.width
                except (OSError, AttributeError, ValueError):
                    pass
        self.now_ns = time.time_ns()

    # -- gathering ---------------------------------------------------------------------
    def _lstat(self, path: str) -> Any:
        if self.deref_all:
            try:
                return self.os.stat(path)
            except OSError:
                pass
        return self.os.lstat(path)

    def _finish(self, f: _File) -> None:
        if f.st is None or not st.S_ISLNK(f.st.st_mode):
            return
        if self.fmt == "long":
            try:
                f.target = self.os.readlink(f.path)
            except OSError as e:
                self.ctx.error(f"cannot read symbolic link {quote(f.path)}: {strerror(e)}")
                self.status = max(self.status, 1)
        if self.classify or self.fmt == "long":
            try:
                f.target_st = self.os.stat(f.path)
            except OSError:
                f.target_st = None

    def _sorted(self, files: list[_File]) -> list[_File]:
        if self.sort == "none":
            out = list(files)
        else:
            if self.sort == "time":

                def key(f: _File) -> tuple[int, bytes]:
                    return (-getattr(f.st, f"st_{self.time_field}_ns"), enc(f.name))
            elif self.sort == "size":

                def key(f: _File) -> tuple[int, bytes]:
                    return (-f.st.st_size, enc(f.name))
            else:

                def key(f: _File) -> tuple[int, bytes]:
                    return (0, enc(f.name))

            out = sorted(files, key=key)
        if self.reverse:
            out.reverse()
        return out

    # -- output ------------------------------------------------------------------------
    def _indicator(self, mode: int) -> str:
        if st.S_ISDIR(mode):
            return "/"
        if not self.classify:
            return ""
        if st.S_ISLNK(mode):
            return "@"
        if st.S_ISFIFO(mode):
            return "|"
        if st.S_ISSOCK(mode):
            return "="
        if st.S_ISREG(mode) and mode & 0o111:
            return "*"
        return ""

    def _show_name(self, name: str) -> str:
        return quotef(name) if self.tty else name

    def _decorated(self, f: _File) -> str:
        name = self._show_name(f.name)
        if self.align and name == f.name:
            name = " " + name
        if (self.classify or self.slash) and f.st is not None:
            if self.fmt != "long" or not st.S_ISLNK(f.st.st_mode):
                name += self._indicator(f.st.st_mode)
        return name

    def _print_long(self, files: list[_File], extra: list[_File] | None = None) -> None:
        rows = []
        for f in files + (extra or []):
            s = f.st
            ino = str(s.st_ino)
            owner = str(s.st_uid) if self.numeric else self._user(s.st_uid)
            group = str(s.st_gid) if self.numeric else self._group(s.st_gid)
            dev = None
            if st.S_ISCHR(s.st_mode) or st.S_ISBLK(s.st_mode):
                dev = (str(self.os.major(s.st_rdev)), str(self.os.minor(s.st_rdev)))
                size = ""
            else:
                size = human(s.st_size) if self.human else str(s.st_size)
            rows.append((f, ino, str(s.st_nlink), owner, group, size, dev))
        iw = max((len(r[1]) for r in rows), default=0)
        nw = max((len(r[2]) for r in rows), default=0)
        ow = max((len(r[3]) for r in rows), default=0)
        gw = max((len(r[4]) for r in rows), default=0)
        sw = max((len(r[5]) for r in rows if r[6] is None), default=0)
        majw = max((len(r[6][0]) for r in rows if r[6] is not None), default=0)
        minw = max((len(r[6][1]) for r in rows if r[6] is not None), default=0)
        if any(r[6] is not None for r in rows):
            sw = max(sw, majw + 2 + minw)
        for f, ino, nlink, owner, group, size, dev in rows[: len(files)]:
            parts = []
            if self.inode:
                parts.append(ino.rjust(iw))
            if self.size_blocks:
                parts.append(self._prefix(f, files + (extra or []), inode=False).rstrip(" "))
            parts.append(mode_string(f.st.st_mode))
            parts.append(nlink.rjust(nw))
            if self.show_owner:
                parts.append(owner.rjust(ow) if owner.isdigit() else owner.ljust(ow))
            if self.show_group:
                parts.append(group.rjust(gw) if group.isdigit() else group.ljust(gw))
            if dev is not None:
                size = f"{dev[0].rjust(majw)}, {dev[1].rjust(minw)}"
            parts.append(size.rjust(sw))
            ns = getattr(f.st, f"st_{self.time_field}_ns")
            parts.append(_fmt_time(ns, self.now_ns))
            line = " ".join(parts) + " " + self._decorated(f)
            if f.target is not None:
                line += " -> " + self._show_name(f.target)
                if self.classify and f.target_st is not None:
                    line += self._indicator(f.target_st.st_mode)
            self.out.write(enc(line) + b"\n")

    def _user(self, uid: int) -> str:
        name = self.names.user_name(uid)
        return str(uid) if name is None else name

    def _group(self, gid: int) -> str:
        name = self.names.group_name(gid)
        return str(gid) if name is None else name

    def _print_columns(self, names: list[str]) -> None:
        n = len(names)
        if not n:
            return
        lens = [len(enc(x)) for x in names]
        across = self.fmt == "across"
        max_cols = max(1, min(self.width // 3, n))
        best = (1, [max(lens)])
        for cols in range(max_cols, 0, -1):
            rows = (n + cols - 1) // cols
            widths = [3] * cols
            for i, ln in enumerate(lens):
                c = i % cols if across else i // rows
                widths[c] = max(widths[c], ln + (0 if c == cols - 1 else 2))
            if sum(widths) < self.width or cols == 1:
                best = (cols, widths)
                break
        cols, widths = best
        rows = (n + cols - 1) // cols
        for r in range(rows):
            pos = 0
            col = 0
            idx = r * cols if across else r
            line = bytearray()
            while True:
                line += enc(names[idx])
                w = widths[col]
                col += 1
                idx += 1 if across else rows
                if idx >= n or (across and col == cols):
                    break
                _indent(line, pos + lens[idx - (1 if across else rows)], pos + w)
                pos += w
            self.out.write(bytes(line) + b"\n")

    def print_files(self, files: list[_File], extra: list[_File] | None = None) -> None:
        self._bw = None
        self.align = self.tty and self.fmt != "one" and any(quotef(f.name) != f.name for f in files)
        if self.fmt == "long":
            self._print_long(files, extra)
        elif self.fmt == "one":
            for f in files:
                self._write_one(f, files + (extra or []))
        else:
            self._print_columns([self._prefix(f, files) + self._decorated(f) for f in files])

    def _blocks(self, f: _File) -> str:
        n = int(f.st.st_blocks)
        return human(n * 512) if self.human else str(-(-n // 2))

    def _prefix(self, f: _File, files: list[_File], inode: bool = True) -> str:
        """The inode and ``-s`` size columns before a name."""
        out = ""
        if self.inode and inode:
            if self.fmt == "one":
                out = f"{f.st.st_ino} "
            else:
                w = max(len(str(x.st.st_ino)) for x in files)
                out = str(f.st.st_ino).rjust(w) + " "
        if self.size_blocks:
            if self._bw is None:
                self._bw = max(len(self._blocks(x)) for x in files)
            out += self._blocks(f).rjust(self._bw) + " "
        return out

    def _write_one(self, f: _File, files: list[_File]) -> None:
        self.out.write(enc(self._prefix(f, files) + self._decorated(f)) + b"\n")

    # -- directories -------------------------------------------------------------------
    def list_dir(self, path: str, header: bool, cmdline: bool) -> None:
        try:
            with self.os.scandir(path) as it:
                entries = [e.name for e in it]
        except OSError as e:
            self.ctx.error(f"cannot open directory {quote(path)}: {strerror(e)}")
            self.status = 2 if cmdline else max(self.status, 1)
            return
        if header:
            if self.printed:
                self.out.write(b"\n")
            self.out.write(enc(self._show_name(path)) + b":\n")
        self.printed = True
        names = [n for n in entries if self.all or self.almost or not n.startswith(".")]
        if self.all:
            names = [".", ".."] + names
        base = path if path.endswith("/") else path + "/"
        files: list[_File] = []
        for name in names:
            p = base + name
            try:
                s = self._lstat(p)
            except OSError as e:
                self.ctx.error(f"cannot access {quote(p)}: {strerror(e)}")
                self.status = max(self.status, 1)
                continue
            f = _File(name, p, s)
            self._finish(f)
            files.append(f)
        files = self._sorted(files)
        if self.fmt == "long" or self.size_blocks:
            blocks = sum(f.st.st_blocks for f in files)
            total = human(blocks * 512) if self.human else str(-(-blocks // 2))
            self.out.write(f"total {total}\n".encode())
        self.print_files(files)
        if self.recursive:
            for f in files:
                if f.is_dir and not st.S_ISLNK(f.st.st_mode) and f.name not in (".", ".."):
                    self.list_dir(f.path, True, False)

    def run(self, operands: list[str]) -> int:
        if not operands:
            operands = ["."]
        files: list[_File] = []
        dirs: list[_File] = []
        for arg in operands:
            try:
                s = self._stat_operand(arg)
            except OSError as e:
                self.ctx.error(f"cannot access {quote(arg)}: {strerror(e)}")
                self.status = 2
                continue
            f = _File(arg, arg, s)
            self._finish(f)
            if f.is_dir and not self.dirs:
                dirs.append(f)
            else:
                files.append(f)
        if files:
            self.print_files(self._sorted(files), dirs)
            self.printed = True
        many = len(operands) > 1
        for d in self._sorted(dirs):
            self.list_dir(d.path, many or self.recursive, True)
        return self.status

    def _stat_operand(self, arg: str) -> Any:
        if self.deref_all:
            try:
                return self.os.stat(arg)
            except FileNotFoundError:
                return self.os.lstat(arg)
        if self.deref_cmdline_dirs:
            try:
                s = self.os.stat(arg)
            except FileNotFoundError:
                return self.os.lstat(arg)
            if st.S_ISDIR(s.st_mode):
                return s
        return self.os.lstat(arg)


def _indent(line: bytearray, frm: int, to: int, tab: int = 8) -> None:
    while frm < to:
        if to // tab > (frm + 1) // tab:
            line += b"\t"
            frm += tab - frm % tab
        else:
            line += b" "
            frm += 1


@program("ls")
def main(ctx: Context) -> int:
    try:
        opts, operands = parse_options(ctx.argv[1:], "aAdRrhinFlgo1CxpStUfcuLs", _LONGS)
    except UsageError as e:
        return usage(ctx, str(e), 2)
    if ("help", None) in opts:
        ctx.stdout.write(b"Usage: ls [OPTION]... [FILE]...\n")
        return 0
    ls = _Ls(ctx)
    ls.configure(opts)
    return ls.run(operands)
