"""tar: create, list and extract archives (GNU tar 1.34, gnu format).

``tar -c|-t|-x [-vzOf ARCHIVE] [-C DIR] [FILE...]``, also in the old form
(``tar czf a.tgz dir``); ``-O`` (``--to-stdout``) extracts file data to
standard output, and then verbose output and listings go to standard error.
Archives are built and read with the stdlib ``tarfile`` on bytes; every
file is read, stat'ed and written through the process's ``os`` (never the
host). Directories are walked in readdir
order; hard links become link members; leading ``/`` is stripped with
GNU's notice. Extraction restores modes, times, symlinks, hard links and
(as root) owners. Exit status 0, or 2: after non-fatal errors (a member
that cannot be stat'ed or is not in the archive, data that is not an
archive) with "Exiting with failure status due to previous errors"; after
a fatal one (the archive cannot be opened, a gzip error, an archive cut
short, compressed data on standard input without ``-z``) at once with
"Error is not recoverable: exiting now".
"""

from __future__ import annotations

import io
import stat
import tarfile
import time
import zlib
from collections.abc import Iterator
from typing import Any

from ..context import Context
from ..registry import program
from ._names import Names

_TRY = b"Try 'tar --help' or 'tar --usage' for more information.\n"
_GZIP_MAGIC = b"\x1f\x8b"


class _Fatal(Exception):
    """An error after which GNU tar stops at once ("not recoverable"):
    ``message`` is tar's own, ``child`` what its ``gzip`` child printed;
    ``reaped``: tar saw the child fail before it saw the data end."""

    def __init__(self, message: str, child: str = "", reaped: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.child = child
        self.reaped = reaped


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class _Tar:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.failed = False
        self.verbose = 0
        self.gzip = False
        self.archive = "-"
        self.to_stdout = False
        self.creating = False
        self.warned_slash = False
        self.links: dict[tuple[int, int], str] = {}
        self.ugwidth = 19
        self.names = Names(ctx.os)

    def err(self, msg: str) -> None:
        self.ctx.error(msg)
        self.failed = True

    def vout(self) -> Any:
        """Where listings and verbose output go: standard error when standard
        output carries the archive (``-cf -``) or the extracted data (``-O``)."""
        if self.to_stdout or (self.creating and self.archive == "-"):
            return self.ctx.stderr
        return self.ctx.stdout

    # -- create ----------------------------------------------------------------------
    def create(self, names: list[str]) -> None:
        buf = io.BytesIO()
        tf_open: Any = tarfile.open
        mode = "w:gz" if self.gzip else "w"
        with tf_open(fileobj=buf, mode=mode, format=tarfile.GNU_FORMAT) as tf:
            for name in names:
                self.add(tf, name)
        data = buf.getvalue()
        if self.archive == "-":
            self.ctx.stdout.write(data)
            return
        try:
            with self.ctx.os.open_file(self.archive, "wb") as f:
                f.write(data)
        except OSError as e:
            raise _Fatal(f"{self.archive}: Cannot open: {self.ctx.os.strerror(e.errno)}") from e

    def member_name(self, path: str) -> str:
        name = path
        if name.startswith("/"):
            name = name.lstrip("/")
            if not self.warned_slash:
                self.warned_slash = True
                self.ctx.error("Removing leading `/' from member names")
        while name.startswith("./") and len(name) > 2:
            name = name[2:]
        return name or "."

    def add(self, tf: tarfile.TarFile, path: str) -> None:
        vos = self.ctx.os
        try:
            st = vos.lstat(path)
        except OSError as e:
            self.err(f"{path}: Cannot stat: {vos.strerror(e.errno)}")
            return
        name = self.member_name(path)
        ti = tarfile.TarInfo(name)
        ti.mode = stat.S_IMODE(st.st_mode)
        ti.uid, ti.gid = st.st_uid, st.st_gid
        ti.uname = self.names.user_name(st.st_uid) or ""
        ti.gname = self.names.group_name(st.st_gid) or ""
        ti.mtime = st.st_mtime_ns // 1_000_000_000
        data: bytes | None = None
        key = (st.st_dev, st.st_ino)
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1 and key in self.links:
            ti.type = tarfile.LNKTYPE
            ti.linkname = self.links[key]
        elif stat.S_ISREG(st.st_mode):
            try:
                with vos.open_file(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                self.err(f"{path}: Cannot open: {vos.strerror(e.errno)}")
                return
            ti.size = len(data)
            if st.st_nlink > 1:
                self.links[key] = name
        elif stat.S_ISDIR(st.st_mode):
            ti.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(st.st_mode):
            ti.type = tarfile.SYMTYPE
            ti.linkname = vos.readlink(path)
        elif stat.S_ISFIFO(st.st_mode):
            ti.type = tarfile.FIFOTYPE
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            ti.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = vos.major(st.st_rdev), vos.minor(st.st_rdev)
        else:
            self.ctx.error(f"{path}: socket ignored")
            return
        if ti.type == tarfile.DIRTYPE and not ti.name.endswith("/"):
            ti.name += "/"
        self.show(ti, False)
        if ti.type == tarfile.DIRTYPE:
            ti.name = ti.name.rstrip("/") or "/"
        tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        if stat.S_ISDIR(st.st_mode):
            try:
                entries = [e.name for e in vos.scandir(path)]
            except OSError as e:
                self.err(f"{path}: Cannot open: {vos.strerror(e.errno)}")
                return
            for n in entries:
                self.add(tf, path + n if path.endswith("/") else path + "/" + n)

    # -- listing -----------------------------------------------------------------------
    def show(self, ti: tarfile.TarInfo, listing: bool) -> None:
        out = self.vout()
        name = ti.name
        if ti.isdir() and not name.endswith("/"):
            name += "/"
        if not (self.verbose > 1 or (listing and self.verbose)):
            if listing or self.verbose:
                out.write(_b(name) + b"\n")
            return
        kind = {
            tarfile.DIRTYPE: "d",
            tarfile.SYMTYPE: "l",
            tarfile.LNKTYPE: "h",
            tarfile.CHRTYPE: "c",
            tarfile.BLKTYPE: "b",
            tarfile.FIFOTYPE: "p",
        }
        mode = kind.get(ti.type, "-") + stat.filemode(ti.mode)[1:]
        owner = f"{ti.uname or ti.uid}/{ti.gname or ti.gid}"
        size = (
            f"{ti.devmajor},{ti.devminor}"
            if ti.ischr() or ti.isblk()
            else str(ti.size if ti.isfile() else 0)
        )
        pad = len(owner) + 1 + len(size)
        if pad > self.ugwidth:
            self.ugwidth = pad
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(ti.mtime))
        line = f"{mode} {owner}{' ' * (self.ugwidth - pad + 1)}{size} {when} {name}"
        if ti.issym():
            line += f" -> {ti.linkname}"
        elif ti.islnk():
            line += f" link to {ti.linkname}"
        out.write(_b(line) + b"\n")

    # -- reading -----------------------------------------------------------------------
    def open_archive(self) -> tarfile.TarFile | None:
        """The archive, uncompressed; None (after a non-fatal error) when it
        is not a tar archive. Raises ``_Fatal`` as GNU tar stops."""
        vos = self.ctx.os
        try:
            if self.archive == "-":
                data = self.ctx.stdin.read()
            else:
                with vos.open_file(self.archive, "rb") as f:
                    data = f.read()
        except OSError as e:
            raise _Fatal(f"{self.archive}: Cannot open: {vos.strerror(e.errno)}") from e
        if not self.gzip and data.startswith(_GZIP_MAGIC):
            if self.archive == "-":
                raise _Fatal("Archive is compressed. Use -z option")
            self.gzip = True
        if self.gzip:
            data = self.gunzip(data)
        try:
            return tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        except tarfile.TarError:
            if self.gzip_error:
                return None
            self.err("This does not look like a tar archive")
            return None

    gzip_error = ""

    def gunzip(self, data: bytes) -> bytes:
        """``data`` decompressed as the ``gzip -d`` child does; its error, if
        any, is reported (fatally) once the members it gave are handled."""
        if not data.startswith(_GZIP_MAGIC):
            raise _Fatal("", "gzip: stdin: not in gzip format")
        out = []
        while data:
            d = zlib.decompressobj(31)
            try:
                out.append(d.decompress(data))
            except zlib.error:
                self.gzip_error = "gzip: stdin: invalid compressed data--format violated"
                break
            if not d.eof:
                self.gzip_error = "gzip: stdin: unexpected end of file"
                break
            data = d.unused_data
            if data and not data.startswith(_GZIP_MAGIC):
                break  # gzip ignores trailing garbage (with a warning)
        return b"".join(out)

    def iter_members(self, tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
        """Every member that can be read; an archive cut short is fatal."""
        while True:
            try:
                ti = tf.next()
            except tarfile.TarError as e:
                raise _Fatal("Unexpected EOF in archive", self.gzip_error, False) from e
            if ti is None:
                return
            yield ti

    def members(self, tf: tarfile.TarFile, names: list[str]) -> Iterator[tarfile.TarInfo]:
        wanted = [n.rstrip("/") for n in names]
        seen = set()
        for ti in self.iter_members(tf):
            n = ti.name.rstrip("/")
            if wanted:
                hit = [w for w in wanted if n == w or n.startswith(w + "/")]
                if not hit:
                    continue
                seen.update(hit)
            yield ti
        for w, orig in zip(wanted, names, strict=False):
            if w not in seen:
                self.err(f"{orig}: Not found in archive")

    def list_members(self, names: list[str]) -> None:
        tf = self.open_archive()
        if tf is not None:
            for ti in self.members(tf, names):
                self.show(ti, True)
        self.check_gzip()

    def check_gzip(self) -> None:
        if self.gzip_error:
            raise _Fatal("", self.gzip_error)

    def extract(self, names: list[str]) -> None:
        tf = self.open_archive()
        if tf is None:
            self.check_gzip()
            return
        vos = self.ctx.os
        dirs: list[tuple[str, tarfile.TarInfo]] = []
        root = vos.geteuid() == 0
        for ti in self.members(tf, names):
            name = ti.name.lstrip("/")
            if not name:
                continue
            if self.verbose:
                self.show(ti, False)
            if self.to_stdout:
                src = tf.extractfile(ti) if ti.isfile() else None
                if src is not None:
                    self.ctx.stdout.write(src.read())
                continue
            try:
                self.extract_one(tf, ti, name, root)
            except OSError as e:
                what = (
                    "Cannot open"
                    if ti.isfile()
                    else (
                        "Cannot mkdir"
                        if ti.isdir()
                        else f"Cannot create symlink to `{ti.linkname}'"
                        if ti.issym()
                        else "Cannot create"
                    )
                )
                self.err(f"{name}: {what}: {vos.strerror(e.errno)}")
                continue
            if ti.isdir():
                dirs.append((name, ti))
        for name, ti in reversed(dirs):
            try:
                vos.chmod(name, ti.mode)
                vos.utime(name, (ti.mtime, ti.mtime))
            except OSError:
                pass
        self.check_gzip()

    def extract_one(self, tf: tarfile.TarFile, ti: tarfile.TarInfo, name: str, root: bool) -> None:
        vos = self.ctx.os
        parent = name.rstrip("/").rsplit("/", 1)[0] if "/" in name.rstrip("/") else ""
        if parent and not vos.path.isdir(parent):
            vos.makedirs(parent, exist_ok=True)
        if ti.isdir():
            if not vos.path.isdir(name):
                vos.mkdir(name, 0o700)
            if root:
                vos.lchown(name, ti.uid, ti.gid)
            return
        if vos.path.lexists(name):
            vos.unlink(name)
        if ti.issym():
            vos.symlink(ti.linkname, name)
            if root:
                vos.lchown(name, ti.uid, ti.gid)
            vos.utime(name, (ti.mtime, ti.mtime), follow_symlinks=False)
            return
        if ti.islnk():
            vos.link(ti.linkname.lstrip("/"), name)
            return
        if ti.isfile():
            src = tf.extractfile(ti)
            data = src.read() if src is not None else b""
            with vos.open_file(name, "wb") as f:
                f.write(data)
        elif ti.isfifo():
            vos.mkfifo(name, ti.mode)
        elif ti.ischr() or ti.isblk():
            kind = stat.S_IFCHR if ti.ischr() else stat.S_IFBLK
            vos.mknod(name, kind | ti.mode, vos.makedev(ti.devmajor, ti.devminor))
        if root:
            vos.lchown(name, ti.uid, ti.gid)
        vos.chmod(name, ti.mode)
        vos.utime(name, (ti.mtime, ti.mtime))


@program("tar")
def main(ctx: Context) -> int:
    args = list(ctx.argv[1:])
    t = _Tar(ctx)
    op = ""
    directory: str | None = None
    names: list[str] = []
    if args and not args[0].startswith("-"):
        args[0] = "-" + args[0]
        old = True
    else:
        old = False
    i = 0
    ops = {"c": "c", "t": "t", "x": "x"}
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            names.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            longmap = {
                "--create": "c",
                "--list": "t",
                "--extract": "x",
                "--get": "x",
                "--verbose": "v",
                "--gzip": "z",
                "--gunzip": "z",
                "--to-stdout": "O",
            }
            if name in longmap:
                c = longmap[name]
                if c in ops:
                    op = c
                elif c == "v":
                    t.verbose += 1
                elif c == "O":
                    t.to_stdout = True
                else:
                    t.gzip = True
            elif name in ("--file", "--directory"):
                if not eq:
                    val = args[i]
                    i += 1
                if name == "--file":
                    t.archive = val
                else:
                    directory = val
            else:
                ctx.error(f"unrecognized option '{a}'")
                ctx.stderr.write(_TRY)
                return 2
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c in ops:
                    if op and op != c:
                        ctx.error(
                            "You may not specify more than one '-Acdtrux', '--delete' "
                            "or  '--test-label' option"
                        )
                        ctx.stderr.write(_TRY)
                        return 2
                    op = c
                elif c == "v":
                    t.verbose += 1
                elif c == "z":
                    t.gzip = True
                elif c == "O":
                    t.to_stdout = True
                elif c in "fC":
                    if old and a is args[0]:
                        val = args[i]
                        i += 1
                    elif j < len(a):
                        val = a[j:]
                        j = len(a)
                    else:
                        if i >= len(args):
                            ctx.error(f"option requires an argument -- '{c}'")
                            ctx.stderr.write(_TRY)
                            return 2
                        val = args[i]
                        i += 1
                    if c == "f":
                        t.archive = val
                    else:
                        directory = val
                elif c in "pPo":
                    pass
                else:
                    ctx.error(f"invalid option -- '{c}'")
                    ctx.stderr.write(_TRY)
                    return 2
            continue
        names.append(a)
    if not op:
        ctx.error("You must specify one of the '-Acdtrux', '--delete' or '--test-label' options")
        ctx.stderr.write(_TRY)
        return 2
    if op == "c" and not names:
        ctx.error("Cowardly refusing to create an empty archive")
        ctx.stderr.write(_TRY)
        return 2
    if t.archive != "-" and not t.archive.startswith("/") and directory is not None:
        t.archive = ctx.os.path.join(ctx.os.getcwd(), t.archive)
    if directory is not None:
        try:
            ctx.os.chdir(directory)
        except OSError as e:
            ctx.error(f"{directory}: Cannot open: {ctx.os.strerror(e.errno)}")
            ctx.error("Error is not recoverable: exiting now")
            return 2
    t.creating = op == "c"
    try:
        if op == "c":
            t.create(names)
        elif op == "t":
            t.list_members(names)
        else:
            t.extract(names)
    except _Fatal as e:
        if e.child:
            ctx.stderr.write(f"\n{e.child}\n".encode())
            if e.reaped:
                ctx.error("Child returned status 1")
        if e.message:
            ctx.error(e.message)
        ctx.error("Error is not recoverable: exiting now")
        return 2
    if t.failed:
        ctx.error("Exiting with failure status due to previous errors")
        return 2
    return 0
