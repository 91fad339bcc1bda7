"""gzip, gunzip, zcat: compress or expand files (GNU gzip 1.12, RFC 1952).

``gzip [-cdfkqv1-9] [FILE...]`` replaces FILE by FILE.gz (mode and times
kept); -d (gunzip) strips ``.gz``/``-gz``/``.z``/``-z``/``_z`` and maps
``.tgz``/``.taz`` to ``.tar``; zcat is ``gunzip -c`` and also tries
FILE.gz. Without FILE, or for ``-``, stdin goes to stdout. Exit status 0,
1 on error, 2 on a warning (e.g. existing output, trailing garbage).
"""

from __future__ import annotations

import stat
import struct
import zlib
from dataclasses import dataclass

from ..context import Context
from ..registry import program

_SUFFIXES = [
    (".gz", ""),
    ("-gz", ""),
    (".z", ""),
    ("-z", ""),
    ("_z", ""),
    (".tgz", ".tar"),
    (".taz", ".tar"),
]


class _NotGzip(Exception):
    pass


@dataclass
class _Opts:
    decompress: bool = False
    stdout: bool = False
    keep: bool = False
    force: bool = False
    quiet: bool = False
    verbose: bool = False
    level: int = 6
    zcat: bool = False


def compress(data: bytes, name: str, mtime: int, level: int) -> bytes:
    """One gzip member: header with FNAME (when ``name``), deflate data, trailer."""
    flags = 0x08 if name else 0
    xfl = 2 if level == 9 else 4 if level == 1 else 0
    head = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", mtime & 0xFFFFFFFF)
    head += bytes([xfl, 3])
    if name:
        head += name.encode("utf-8", "surrogateescape").replace(b"\0", b"") + b"\0"
    c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8)
    body = c.compress(data) + c.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def decompress(data: bytes) -> tuple[bytes, bool]:
    """Every member's data; and whether trailing garbage followed."""
    out: list[bytes] = []
    rest = data
    first = True
    while rest:
        if rest[:2] != b"\x1f\x8b":
            if first:
                raise _NotGzip
            return b"".join(out), any(rest)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(d.decompress(rest))
        except zlib.error as e:
            raise ValueError("invalid compressed data--format violated") from e
        if not d.eof:
            raise EOFError("unexpected end of file")
        rest = d.unused_data
        first = False
    if first:
        raise EOFError("unexpected end of file")
    return b"".join(out), False


class _Gzip:
    def __init__(self, ctx: Context, o: _Opts) -> None:
        self.ctx = ctx
        self.o = o
        self.status = 0

    def say(self, msg: str) -> None:
        # gunzip and zcat are scripts running gzip: messages always say "gzip"
        self.ctx.stderr.write(f"gzip: {msg}\n".encode("utf-8", "surrogateescape"))

    def error(self, msg: str) -> None:
        self.say(msg)
        self.status = 1

    def warn(self, msg: str) -> None:
        if not self.o.quiet:
            self.say(msg)
        if self.status == 0:
            self.status = 2

    def convert(self, data: bytes, name: str, mtime: int, shown: str) -> bytes | None:
        if not self.o.decompress:
            return compress(data, name, mtime, self.o.level)
        try:
            out, garbage = decompress(data)
        except _NotGzip:
            if self.o.zcat and self.o.force:
                return data
            self.ctx.stderr.write(b"\n")
            self.error(f"{shown}: not in gzip format")
            return None
        except (EOFError, ValueError) as e:
            self.error(f"{shown}: {e}")
            return None
        if garbage:
            self.warn(f"{shown}: decompression OK, trailing garbage ignored")
        return out

    def stdin(self) -> None:
        data = self.ctx.stdin.read()
        out = self.convert(data, "", 0, "stdin")
        if out is not None:
            self.ctx.stdout.write(out)

    def file(self, name: str) -> None:
        vos = self.ctx.os
        o = self.o
        path = name
        try:
            st = vos.stat(path)
        except OSError as e:
            if o.decompress and not _strip(name)[1]:
                try:
                    st = vos.stat(name + ".gz")
                    path = name + ".gz"
                except OSError:
                    self.error(f"{name}: {vos.strerror(e.errno)}")
                    return
            else:
                self.error(f"{name}: {vos.strerror(e.errno)}")
                return
        if stat.S_ISDIR(st.st_mode):
            self.warn(f"{path} is a directory -- ignored")
            return
        if not stat.S_ISREG(st.st_mode) and not o.stdout:
            self.warn(f"{path} is not a directory or a regular file - ignored")
            return
        if o.decompress:
            target, ok, _suf = _strip(path)
            if not ok and not o.stdout:
                self.warn(f"{path}: unknown suffix -- ignored")
                return
        else:
            if _strip(path)[1] and not o.stdout and not o.force:
                if not o.quiet:  # GNU leaves the exit status alone here
                    self.say(f"{path} already has {_strip(path)[2]} suffix -- unchanged")
                return
            target = path + ".gz"
        if not o.stdout and not o.force and vos.path.lexists(target):
            self.warn(f"{target} already exists;\tnot overwritten")
            return
        try:
            with vos.open_file(path, "rb") as f:
                data = f.read()
        except OSError as e:
            self.error(f"{path}: {vos.strerror(e.errno)}")
            return
        base = path.rsplit("/", 1)[-1]
        out = self.convert(data, base, int(st.st_mtime), path)
        if out is None:
            return
        if o.stdout:
            self.ctx.stdout.write(out)
            return
        try:
            with vos.open_file(target, "wb") as f:
                f.write(out)
            vos.chmod(target, stat.S_IMODE(st.st_mode))
            vos.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError as e:
            self.error(f"{target}: {vos.strerror(e.errno)}")
            return
        if o.verbose:
            pct = (
                0.0
                if not data
                else 100.0
                * (
                    1
                    - len(out if not o.decompress else data)
                    / max(len(data if not o.decompress else out), 1)
                )
            )
            self.ctx.stderr.write(f"{path}:\t{pct:5.1f}% -- replaced with {target}\n".encode())
        if not o.keep:
            vos.unlink(path)


def _strip(name: str) -> tuple[str, bool, str]:
    low = name.lower()
    for suf, rep in _SUFFIXES:
        if low.endswith(suf) and len(name) > len(suf) and not name[: -len(suf)].endswith("/"):
            return name[: -len(suf)] + rep, True, suf
    return name, False, ""


def run(ctx: Context, o: _Opts) -> int:
    files: list[str] = []
    args = ctx.argv[1:]
    longs = {
        "--stdout": "c",
        "--to-stdout": "c",
        "--decompress": "d",
        "--uncompress": "d",
        "--force": "f",
        "--keep": "k",
        "--quiet": "q",
        "--verbose": "v",
        "--fast": "1",
        "--best": "9",
        "--no-name": "n",
        "--name": "N",
    }
    for i, a in enumerate(args):
        if a == "--":
            files.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            if a not in longs:
                ctx.error(f"unrecognized option '{a}'")
                ctx.stderr.write(f"Try `{ctx.name} --help' for more information.\n".encode())
                return 1
            a = "-" + longs[a]
        if a.startswith("-") and len(a) > 1:
            for c in a[1:]:
                if c == "c":
                    o.stdout = True
                elif c == "d":
                    o.decompress = True
                elif c == "f":
                    o.force = True
                elif c == "k":
                    o.keep = True
                elif c == "q":
                    o.quiet = True
                elif c == "v":
                    o.verbose = True
                elif c.isdigit() and c != "0":
                    o.level = int(c)
                elif c in "nN":
                    pass
                else:
                    ctx.error(f"invalid option -- '{c}'")
                    ctx.stderr.write(f"Try `{ctx.name} --help' for more information.\n".encode())
                    return 1
            continue
        files.append(a)
    g = _Gzip(ctx, o)
    if not files:
        files = ["-"]
    for f in files:
        if f == "-":
            g.stdin()
        else:
            g.file(f)
    return g.status


@program("gzip")
def gzip_main(ctx: Context) -> int:
    return run(ctx, _Opts())


@program("gunzip")
def gunzip_main(ctx: Context) -> int:
    return run(ctx, _Opts(decompress=True))


@program("zcat")
def zcat_main(ctx: Context) -> int:
    return run(ctx, _Opts(decompress=True, stdout=True, zcat=True))
