"""``du`` and ``df`` (GNU coreutils).

``du`` sums ``st_blocks`` (512-byte units) per directory in directory order,
counting hard-linked inodes once: ``-s``, ``-a``, ``-h``, ``-k``, ``-m``,
``-b``, ``--apparent-size``, ``-c``, ``-d N``, ``-L``. Sizes round up.
``df`` reports the machine's one file system (``ctx.os.statvfs``), mounted
on ``/``: ``-h``, ``-k``, ``-i``, ``-T``, with GNU's column widths.
"""

from __future__ import annotations

import stat as st
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage
from ._quote import cquote, enc, quote, quotef
from ._sizes import human

__all__ = ["FS_NAME", "FS_TYPE"]

FS_NAME = "osbox"
FS_TYPE = "tmpfs"


class _Du:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.os = ctx.os
        self.all = False
        self.max_depth: int | None = None
        self.human = False
        self.unit = 1024
        self.apparent = False
        self.deref = False
        self.deref_top = False
        self.seen: set[tuple[int, int]] = set()
        self.ok = True

    def show(self, size: int, path: str) -> None:
        text = human(size) if self.human else str(-(-size // self.unit))
        self.ctx.stdout.write(enc(f"{text}\t") + enc(path) + b"\n")

    def _size(self, s: Any) -> int:
        return int(s.st_size) if self.apparent else int(s.st_blocks) * 512

    def walk(self, path: str, depth: int, top: bool) -> int:
        try:
            s = (
                self.os.stat(path)
                if (self.deref or (top and self.deref_top))
                else self.os.lstat(path)
            )
        except OSError as e:
            self.ctx.error(f"cannot access {quote(path)}: {strerror(e)}")
            self.ok = False
            return 0
        key = (s.st_dev, s.st_ino)
        if key in self.seen:
            return 0
        if s.st_nlink > 1 or st.S_ISDIR(s.st_mode):
            self.seen.add(key)
        total = self._size(s)
        if st.S_ISDIR(s.st_mode):
            try:
                with self.os.scandir(path) as it:
                    names = [e.name for e in it]
            except OSError as e:
                self.ctx.error(f"cannot read directory {quote(path)}: {strerror(e)}")
                self.ok = False
                names = []
            base = path if path.endswith("/") else path + "/"
            for name in names:
                total += self.walk(base + name, depth + 1, False)
            if self.max_depth is None or depth <= self.max_depth:
                self.show(total, path)
        elif top or (self.all and (self.max_depth is None or depth <= self.max_depth)):
            self.show(total, path)
        return total


@program("du")
def du_main(ctx: Context) -> int:
    longs = {
        "summarize": ("s", 0),
        "all": ("a", 0),
        "human-readable": ("h", 0),
        "bytes": ("b", 0),
        "total": ("c", 0),
        "max-depth": ("d", 1),
        "apparent-size": ("apparent", 0),
        "dereference": ("L", 0),
        "dereference-args": ("D", 0),
    }
    try:
        opts, operands = parse_options(ctx.argv[1:], "sahkmbcd:LDHx", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    du = _Du(ctx)
    total_wanted = summarize = False
    for k, v in opts:
        if k == "s":
            summarize = True
        elif k == "a":
            du.all = True
        elif k == "h":
            du.human = True
        elif k == "k":
            du.human, du.unit = False, 1024
        elif k == "m":
            du.human, du.unit = False, 1024 * 1024
        elif k == "b":
            du.human, du.unit, du.apparent = False, 1, True
        elif k == "apparent":
            du.apparent = True
        elif k == "c":
            total_wanted = True
        elif k == "L":
            du.deref = True
        elif k in "DH":
            du.deref_top = True
        elif k == "d":
            if not (v or "").isdigit():
                ctx.error(f"invalid maximum depth {cquote(v or '')}")
                return usage(ctx, None)
            du.max_depth = int(v or "0")
    if summarize:
        if du.all:
            ctx.error("cannot both summarize and show all entries")
            return usage(ctx, None)
        du.max_depth = 0
    grand = 0
    for path in operands or ["."]:
        grand += du.walk(path, 0, True)
    if total_wanted:
        du.show(grand, "total")
    return 0 if du.ok else 1


def _pct(used: int, avail: int) -> str:
    if used + avail == 0:
        return "-"
    return f"{-(-used * 100 // (used + avail))}%"


@program("df")
def df_main(ctx: Context) -> int:
    longs = {
        "human-readable": ("h", 0),
        "inodes": ("i", 0),
        "print-type": ("T", 0),
        "all": ("a", 0),
        "local": ("l", 0),
        "portability": ("P", 0),
    }
    try:
        opts, operands = parse_options(ctx.argv[1:], "hikTalP", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    keys = [k for k, _ in opts]
    hum = "h" in keys and keys.index("h") > max(
        (i for i, k in enumerate(keys) if k == "k"), default=-1
    )
    inodes, show_type = "i" in keys, "T" in keys
    status = 0
    targets: list[str] = []
    for path in operands or ["/"]:
        try:
            ctx.os.stat(path)
        except OSError as e:
            ctx.error(f"{quotef(path)}: {strerror(e)}")
            status = 1
            continue
        targets.append(path)
    if not targets:
        return status
    v = ctx.os.statvfs("/")
    if inodes:
        head = ["Filesystem", "Inodes", "IUsed", "IFree", "IUse%", "Mounted on"]
        used = v.f_files - v.f_ffree
        vals = [v.f_files, used, v.f_favail]
        cells = [human(x) if hum else str(x) for x in vals]
        line = [FS_NAME, *cells, _pct(used, v.f_favail), "/"]
        mins = [14, 5, 5, 5, 5, 0]
    else:
        size = v.f_blocks * v.f_frsize
        used = (v.f_blocks - v.f_bfree) * v.f_frsize
        avail = v.f_bavail * v.f_frsize
        if hum:
            head = ["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"]
            cells = [human(size), human(used), human(avail)]
        else:
            head = ["Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on"]
            cells = [str(-(-x // 1024)) for x in (size, used, avail)]
        line = [FS_NAME, *cells, _pct(used, avail), "/"]
        mins = [14, 5, 5, 5, 4, 0]
    if show_type:
        head.insert(1, "Type")
        line.insert(1, FS_TYPE)
        mins.insert(1, 4)
    rows = [head] + [list(line) for _ in targets]
    widths = [max(mins[i], *(len(r[i]) for r in rows)) for i in range(len(head))]
    left = {0, len(head) - 1} | ({1} if show_type else set())
    for r in rows:
        cells_out = []
        for i, cell in enumerate(r):
            if i == len(r) - 1:
                cells_out.append(cell)
            elif i in left:
                cells_out.append(cell.ljust(widths[i]))
            else:
                cells_out.append(cell.rjust(widths[i]))
        ctx.stdout.write(enc(" ".join(cells_out)) + b"\n")
    return status
