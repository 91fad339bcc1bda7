"""File commands (ls, cat, cp, mv, rm, ln, mkdir, rmdir, touch, chmod, chown,
chgrp, stat, readlink, realpath, basename, dirname, pwd, du, df) against the
host's GNU coreutils.

Each case builds the same tree in a host tmpfs directory (/dev/shm, so sizes,
blocks and link counts follow the same tmpfs rules as the machine) and in a
machine directory, runs the host program under LC_ALL=C TZ=UTC umask 022 and
the osbox program, and compares status, stdout and stderr, then (for
commands that change things) a snapshot of both trees.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import osbox
from tests.shell.helpers import run_program

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/dev/shm") or shutil.which("ls") is None, reason="needs host tmpfs"
)

VROOT = "/w"
NOW_NS = (time.time_ns() // 10**9 - 3600) * 10**9
OLD_NS = 1577934245 * 10**9 + 123456789  # 2020-01-02
FUTURE_NS = NOW_NS + 400 * 86400 * 10**9

TREE: list[tuple[Any, ...]] = [
    ("d", "d", 0o755),
    ("d", "d/s", 0o755),
    ("f", "d/x", b"x\n", 0o644),
    ("d", "e", 0o700),
    ("f", "f", b"hi\n", 0o755),
    ("f", "old", b"line1\n\n\n\tline4\x01\x7f\xe9\n", 0o644),
    ("f", "big", b"z" * 10000, 0o640),
    ("f", "future", b"", 0o600),
    ("f", ".hidden", b"h\n", 0o644),
    ("f", "a b", b"sp", 0o644),
    ("l", "l", "f"),
    ("l", "dl", "nowhere"),
    ("l", "ld", "d"),
    ("h", "h2", "big"),
    ("p", "p"),
    ("c", "cdev", (1, 3)),
]
TIMES = {"old": OLD_NS, "future": FUTURE_NS}
HOST_USERS = ["daemon", "bin", "nobody"]
HOST_GROUPS = ["daemon", "bin", "sys", "nogroup"]


def _build(osm: Any, root: str) -> None:
    for op in TREE:
        kind, rel = op[0], op[1]
        path = f"{root}/{rel}"
        if kind == "d":
            osm.mkdir(path)
            osm.chmod(path, op[2])
        elif kind == "f":
            fd = osm.open(path, osm.O_WRONLY | osm.O_CREAT | osm.O_TRUNC, 0o600)
            osm.write(fd, op[2])
            osm.close(fd)
            osm.chmod(path, op[3])
        elif kind == "l":
            osm.symlink(op[2], path)
        elif kind == "h":
            osm.link(f"{root}/{op[2]}", path)
        elif kind == "p":
            osm.mkfifo(path)
            osm.chmod(path, 0o644)
        elif kind == "c":
            osm.mknod(path, stat.S_IFCHR | 0o644, osm.makedev(*op[2]))
    for op in reversed(TREE):
        t = TIMES.get(op[1], NOW_NS)
        osm.utime(f"{root}/{op[1]}", ns=(t, t), follow_symlinks=False)
    osm.utime(root, ns=(NOW_NS, NOW_NS))


def _copy_lines(src: str, names: list[str]) -> str:
    with open(src) as f:
        return "".join(line for line in f if line.split(":")[0] in names)


class Pair:
    """The host tree and the machine tree."""

    def __init__(self) -> None:
        self.host = tempfile.mkdtemp(dir="/dev/shm")
        os.chmod(self.host, 0o755)
        _build(os, self.host)
        self.machine = osbox.Machine()
        mos = self.machine.os
        for path, names in (("/etc/passwd", HOST_USERS), ("/etc/group", HOST_GROUPS)):
            with self.machine.open(path, "a") as f:
                f.write(_copy_lines(path, names))
        mos.mkdir(VROOT, 0o755)
        _build(mos, VROOT)

    def close(self) -> None:
        shutil.rmtree(self.host)
        self.machine.close()

    def run_host(self, argv: list[str], stdin: bytes = b"") -> tuple[int, bytes, bytes]:
        env = {"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin", "HOME": "/root"}
        cmd = ["sh", "-c", 'umask 022; exec "$@"', "sh", *argv]
        p = subprocess.run(cmd, cwd=self.host, env=env, input=stdin, capture_output=True)
        out = p.stdout.replace(self.host.encode(), VROOT.encode())
        err = p.stderr.replace(self.host.encode(), VROOT.encode())
        return p.returncode, out, err

    def run_box(self, argv: list[str], stdin: bytes = b"") -> tuple[int, bytes, bytes]:
        self.machine.os.umask(0o022)
        return run_program(self.machine, argv, stdin=stdin, cwd=VROOT)

    def compare(
        self,
        argv: list[str],
        stdin: bytes = b"",
        norm: Callable[[bytes], bytes] | None = None,
    ) -> tuple[int, bytes, bytes]:
        host = self.run_host(argv, stdin)
        box = self.run_box(argv, stdin)
        if norm is not None:
            host = (host[0], norm(host[1]), norm(host[2]))
            box = (box[0], norm(box[1]), norm(box[2]))
        assert box == host, f"argv={argv}\nhost={host!r}\nbox ={box!r}"
        return box

    def snapshot(self, times: bool = False) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        return _snap(os, self.host, times), _snap(self.machine.os, VROOT, times)


def _snap(osm: Any, root: str, times: bool) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []

    def walk(rel: str) -> None:
        path = f"{root}/{rel}" if rel else root
        for name in sorted(osm.listdir(path)):
            r = f"{rel}/{name}" if rel else name
            p = f"{root}/{r}"
            s = osm.lstat(p)
            extra: Any = None
            if stat.S_ISLNK(s.st_mode):
                extra = osm.readlink(p)
            elif stat.S_ISREG(s.st_mode):
                fd = osm.open(p, osm.O_RDONLY)
                data = b""
                while chunk := osm.read(fd, 65536):
                    data += chunk
                osm.close(fd)
                extra = hashlib.sha1(data).hexdigest()
            row: tuple[Any, ...] = (r, s.st_mode, s.st_uid, s.st_gid, s.st_nlink, s.st_size, extra)
            if times and not stat.S_ISDIR(s.st_mode):
                row += (s.st_mtime_ns,)
            rows.append(row)
            if stat.S_ISDIR(s.st_mode):
                walk(r)

    walk("")
    return rows


@pytest.fixture
def pair() -> Iterator[Pair]:
    p = Pair()
    try:
        yield p
    finally:
        p.close()


def _inodes(data: bytes) -> bytes:
    return re.sub(rb"(?m)^ *\d+ ", b"INO ", data)


# -- ls ------------------------------------------------------------------------------------

LS_CASES = [
    ["ls"],
    ["ls", "-a", "d"],
    ["ls", "-A"],
    ["ls", "-l"],
    ["ls", "-la", "d"],
    ["ls", "-lA"],
    ["ls", "-ln"],
    ["ls", "-lh"],
    ["ls", "-lS"],
    ["ls", "-lt"],
    ["ls", "-ltr"],
    ["ls", "-1r"],
    ["ls", "-St"],
    ["ls", "-R"],
    ["ls", "-lR"],
    ["ls", "-R", "d/"],
    ["ls", "-F"],
    ["ls", "-lF"],
    ["ls", "-p"],
    ["ls", "-d", "d", "f", "e"],
    ["ls", "-dF", "ld", "d", "f", "p"],
    ["ls", "f", "d", "e"],
    ["ls", "nope", "f"],
    ["ls", "nope", "d"],
    ["ls", "-lR", "nope", "d/s"],
    ["ls", "-z"],
    ["ls", "--foo"],
    ["ls", "--all", "--reverse", "d"],
    ["ls", "-C"],
    ["ls", "-x"],
    ["ls", "-C", "d", "e", "f"],
    ["ls", "ld"],
    ["ls", "-l", "ld"],
    ["ls", "-F", "ld"],
    ["ls", "-L", "-l", "ld", "l"],
    ["ls", "-lg"],
    ["ls", "-lo"],
    ["ls", "-ld", ".", "d", "e"],
    ["ls", "-lU", "d"],
    ["ls", "-l", "cdev", "f"],
    ["ls", "d", "--", "-l"],
    ["ls", "-l", "--human-readable", "big", "d"],
    ["ls", "-s"],
    ["ls", "-s1", "d", "big"],
    ["ls", "-ls"],
    ["ls", "-sh"],
    ["ls", "-Cs"],
    ["ls", "-shR"],
]


@pytest.mark.parametrize("argv", LS_CASES, ids=" ".join)
def test_ls(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv)


@pytest.mark.parametrize(
    "argv", [["ls", "-i"], ["ls", "-li"], ["ls", "-1i", "d"], ["ls", "-is"]], ids=" ".join
)
def test_ls_inodes(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv, norm=_inodes)


def test_ls_columns_width(pair: Pair) -> None:
    for i in range(30):
        for osm, root in ((os, pair.host), (pair.machine.os, VROOT)):
            fd = osm.open(f"{root}/e/n{'x' * (i % 7)}{i}", osm.O_WRONLY | osm.O_CREAT, 0o644)
            osm.close(fd)
    pair.compare(["ls", "-C", "e"])
    pair.compare(["ls", "-x", "e"])
    pair.compare(["ls", "-CF", "e", "d"])


# -- cat -----------------------------------------------------------------------------------

CAT_CASES = [
    ["cat", "f", "old"],
    ["cat", "-n", "old", "f", "old"],
    ["cat", "-b", "old"],
    ["cat", "-s", "old"],
    ["cat", "-sn", "old"],
    ["cat", "-E", "old"],
    ["cat", "-T", "old"],
    ["cat", "-v", "old"],
    ["cat", "-A", "old", "a b"],
    ["cat", "-e", "old"],
    ["cat", "-t", "old"],
    ["cat", "nope", "d", "f", "it's"],
    ["cat", "-n", "a b", "-", "f"],
    ["cat"],
    ["cat", "-q"],
]


@pytest.mark.parametrize("argv", CAT_CASES, ids=" ".join)
def test_cat(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv, stdin=b"in1\nin2 no newline")


# -- commands that change the tree --------------------------------------------------------

CHANGE_CASES = [
    # cp
    ["cp", "f", "g"],
    ["cp", "f", "d"],
    ["cp", "f", "old", "e"],
    ["cp", "nope", "x"],
    ["cp", "d", "x"],
    ["cp", "-r", "d", "x"],
    ["cp", "-R", "d", "e"],
    ["cp", "-r", "d", "f"],
    ["cp", "f", "f"],
    ["cp", "f", "old", "big"],
    ["cp", "f", "old", "nope"],
    ["cp", "-r", "d", "d/s"],
    ["cp", "l", "x"],
    ["cp", "-P", "l", "x"],
    ["cp", "-r", "ld", "x"],
    ["cp", "-v", "f", "g"],
    ["cp"],
    ["cp", "f"],
    ["cp", "-n", "f", "old"],
    ["cp", "f", "old"],
    ["cp", "-r", "e", "d"],
    ["cp", "big", "d/s/"],
    ["cp", "-t", "e", "f", "old"],
    ["cp", "-T", "f", "g"],
    # mv
    ["mv", "f", "g"],
    ["mv", "f", "d"],
    ["mv", "d", "d/s"],
    ["mv", "nope", "x"],
    ["mv", "f", "f"],
    ["mv", "d", "e"],
    ["mv", "-v", "f", "g"],
    ["mv", "old", "big", "d"],
    ["mv", "e", "f"],
    ["mv", "f", "e"],
    ["mv", "old", "big", "f"],
    ["mv"],
    ["mv", "f"],
    ["mv", "ld", "x"],
    # rm
    ["rm", "f"],
    ["rm", "d"],
    ["rm", "-r", "d"],
    ["rm", "-rv", "d"],
    ["rm", "-f", "nope"],
    ["rm", "nope", "f"],
    ["rm", "-d", "e"],
    ["rm", "-d", "d"],
    ["rm", "-r", "."],
    ["rm", "-r", "d/.."],
    ["rm"],
    ["rm", "-f"],
    ["rm", "l", "ld", "dl"],
    ["rm", "-rf", "d", "e", "nope"],
    ["rm", "-v", "f", "big"],
    # ln
    ["ln", "-s", "f", "g"],
    ["ln", "f", "g"],
    ["ln", "f", "old"],
    ["ln", "-f", "f", "old"],
    ["ln", "-s", "f", "f"],
    ["ln", "-sf", "f", "f"],
    ["ln", "-f", "f", "f"],
    ["ln", "d", "x"],
    ["ln", "nope", "x"],
    ["ln", "-sv", "f", "x"],
    ["ln", "-v", "f", "x"],
    ["ln", "f", "old", "e"],
    ["ln", "-s", "a", "b", "c"],
    ["ln", "-s", "a", "b", "f"],
    ["ln", "d/x"],
    ["ln", "-s", "/abs/target"],
    ["ln", "-sf", "old", "ld"],
    ["ln", "-sfn", "old", "ld"],
    ["ln", "-s", "x", "nodir/y"],
    ["ln"],
    # mkdir
    ["mkdir", "x"],
    ["mkdir", "d"],
    ["mkdir", "-p", "d"],
    ["mkdir", "-p", "x/y/z"],
    ["mkdir", "x/y"],
    ["mkdir", "-m", "700", "x"],
    ["mkdir", "-m", "u+s,g=w", "x"],
    ["mkdir", "-m", "abc", "x"],
    ["mkdir", "-pv", "x/y"],
    ["mkdir", "-p", "f/x"],
    ["mkdir", "f/x"],
    ["mkdir", "-p", "f"],
    ["mkdir", "-p", "-m", "700", "x/y"],
    ["mkdir"],
    # rmdir
    ["rmdir", "e"],
    ["rmdir", "d"],
    ["rmdir", "nope"],
    ["rmdir", "f"],
    ["rmdir", "-p", "d/s"],
    ["rmdir", "-v", "e"],
    ["rmdir", "--ignore-fail-on-non-empty", "d", "e"],
    ["rmdir"],
    # touch (new files get the current time: not compared)
    ["touch", "newfile"],
    ["touch", "-c", "nope"],
    ["touch", "nodir/x"],
    ["touch", "-d", "xyz", "f"],
    ["touch", "-t", "1234", "f"],
    ["touch"],
    # chmod
    ["chmod", "755", "old"],
    ["chmod", "u+s,g-w", "f"],
    ["chmod", "-R", "go-rwx", "d"],
    ["chmod", "xyz", "f"],
    ["chmod", "-w", "f"],
    ["chmod", "-v", "644", "f"],
    ["chmod", "-c", "644", "f", "old"],
    ["chmod", "nope"],
    ["chmod", "755"],
    ["chmod", "u+x", "nope", "old"],
    ["chmod", "+t", "d"],
    ["chmod", "=", "f"],
    ["chmod", "a=rwx,g-s", "d"],
    ["chmod", "g+s", "d"],
    ["chmod", "755", "l"],
    ["chmod", "-R", "u-x,o+X", "ld"],
    ["chmod", "-R", "a+X", "."],
    ["chmod", "ug=o", "big"],
    ["chmod", "77777", "f"],
    ["chmod", "0", "f", "dl"],
    ["chmod", "-r", "f"],
    ["chmod", "-vR", "go=", "d"],
    # chown / chgrp
    ["chown", "daemon", "f"],
    ["chown", "1:2", "f"],
    ["chown", "nouser", "f"],
    ["chown", "root:nogr", "f"],
    ["chown", ":daemon", "f"],
    ["chown", "daemon:", "f"],
    ["chown", "-R", "bin:bin", "d"],
    ["chown", "-h", "daemon", "l"],
    ["chown", "daemon", "l"],
    ["chown", "-R", "daemon", "ld"],
    ["chown", "-R", "nobody:nogroup", "."],
    ["chown"],
    ["chown", "root"],
    ["chown", "-v", "daemon", "f", "nope"],
    ["chown", "-c", "root", "f"],
    ["chown", "12345:777", "big"],
    ["chgrp", "daemon", "f"],
    ["chgrp", "nogr", "f"],
    ["chgrp", "-R", "sys", "d"],
]


@pytest.mark.parametrize("argv", CHANGE_CASES, ids=" ".join)
def test_changes(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv)
    host, box = pair.snapshot()
    assert box == host


TIMED_CASES = [
    ["cp", "-a", "d", "x"],
    ["cp", "-a", ".", "e/copy"],
    ["cp", "-p", "old", "x"],
    ["cp", "-pr", "d", "ld", "e"],
    ["cp", "-a", "big", "h2", "e"],
    ["mv", "old", "x"],
    ["touch", "-d", "2021-03-04 05:06:07", "f"],
    ["touch", "-d", "2021-03-04T05:06:07.5Z", "f"],
    ["touch", "-d", "@1", "f"],
    ["touch", "-t", "202001020304.05", "f"],
    ["touch", "-t", "2001020304", "f"],
    ["touch", "-r", "old", "f", "big"],
    ["touch", "-m", "-d", "2000-01-01", "f"],
    ["touch", "-c", "-d", "2000-01-01 10:00", "f", "nope"],
    ["touch", "-h", "-d", "2000-01-01", "l"],
]


@pytest.mark.parametrize("argv", TIMED_CASES, ids=" ".join)
def test_changes_with_times(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv)
    host, box = pair.snapshot(times=True)
    assert box == host


def test_touch_access_time(pair: Pair) -> None:
    pair.compare(["touch", "-a", "-d", "2000-01-01", "f"])
    h, b = os.stat(f"{pair.host}/f"), pair.machine.os.stat(f"{VROOT}/f")
    assert (b.st_atime_ns, b.st_mtime_ns) == (h.st_atime_ns, h.st_mtime_ns)


def test_umask_077_chmod_warning(pair: Pair) -> None:
    host = subprocess.run(
        ["sh", "-c", "umask 077; chmod -w f; echo $?; chmod +w f; echo $?"],
        cwd=pair.host,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    mos = pair.machine.os
    mos.umask(0o077)
    s1, o1, e1 = run_program(pair.machine, ["chmod", "-w", "f"], cwd=VROOT)
    mos.umask(0o077)
    s2, o2, e2 = run_program(pair.machine, ["chmod", "+w", "f"], cwd=VROOT)
    assert f"{s1}\n{s2}\n".encode() == host.stdout
    assert e1 + e2 == host.stderr
    assert pair.machine.os.stat(f"{VROOT}/f").st_mode == os.stat(f"{pair.host}/f").st_mode


# -- stat ----------------------------------------------------------------------------------

STAT_FMT = (
    "%n|%N|%s|%a|%A|%u|%g|%U|%G|%F|%h|%Y|%y|%b|%B|%o|%t|%T|%Hr,%Lr|%f|%%"
    "|%-6s|%06a|%#a|%.3Y|%5.2U|%10n"
)


def _stat_norm(data: bytes) -> bytes:
    data = re.sub(rb"Device: \d+,\d+\tInode: \d+ *", b"Device: DEV\tInode: INO ", data)
    data = re.sub(rb"(?m)^Change: .*\n", b"", data)
    return re.sub(rb"(?m)^ Birth: .*\n", b"", data)


STAT_CASES = [
    ["stat", "f"],
    ["stat", "l", "d", "old", "p", "cdev", "big", "future"],
    ["stat", "-L", "l"],
    ["stat", "nope", "f"],
    ["stat"],
    ["stat", "-c", STAT_FMT, "f", "l", "d", "old", "p", "cdev", "a b"],
    ["stat", "-L", "-c", "%n %F %s", "l", "ld", "dl"],
    ["stat", "--printf", "%n\\t%s\\n", "f", "old"],
    ["stat", "-c", "%x", "old"],
]


@pytest.mark.parametrize("argv", STAT_CASES, ids=" ".join)
def test_stat(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv, norm=_stat_norm)


# -- paths ---------------------------------------------------------------------------------

PATH_CASES = [
    ["basename"],
    ["basename", "/a/b/"],
    ["basename", "a.txt", ".txt"],
    ["basename", ".txt", ".txt"],
    ["basename", "-a", "a/b", "c/d/"],
    ["basename", "-s", ".c", "x.c", "y.c", "z"],
    ["basename", "a", "b", "c"],
    ["basename", "//"],
    ["basename", ""],
    ["basename", "-z", "a/b"],
    ["dirname"],
    ["dirname", "a/b", "/a", "a", "/", "//", "", "a/b//c//", "//a", "a//", "/a/b/"],
    ["readlink", "l"],
    ["readlink", "f"],
    ["readlink", "-f", "l", "dl", "nope/x", "ld/s/../x", "d/"],
    ["readlink", "-e", "dl", "l"],
    ["readlink", "-m", "nope/x/../y", "f/x"],
    ["readlink", "-v", "f"],
    ["readlink", "-n", "l"],
    ["readlink"],
    ["realpath", "l", "dl", "nope/x", ".", "ld/s"],
    ["realpath", "-e", "dl"],
    ["realpath", "-m", "nope/x/../y"],
    ["realpath", "-s", "ld/s/.."],
    ["realpath", "f/x"],
    ["realpath", "-q", "nope/x"],
    ["realpath", "--relative-to=d", "f", "d/s", "ld/x"],
    ["realpath"],
    ["pwd"],
    ["pwd", "-P"],
]


@pytest.mark.parametrize("argv", PATH_CASES, ids=" ".join)
def test_paths(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv)


# -- du / df -------------------------------------------------------------------------------

DU_CASES = [
    ["du"],
    ["du", "-a"],
    ["du", "-s"],
    ["du", "-sh"],
    ["du", "-ah", "d"],
    ["du", "-c", "d", "f", "big"],
    ["du", "nope", "d"],
    ["du", "-b", "d"],
    ["du", "-d", "1"],
    ["du", "-k", "big", "h2"],
    ["du", "-a", "d/"],
    ["du", "-sa"],
]


@pytest.mark.parametrize("argv", DU_CASES, ids=" ".join)
def test_du(pair: Pair, argv: list[str]) -> None:
    pair.compare(argv)


def test_df(pair: Pair) -> None:
    v = pair.machine.os.statvfs("/")
    total = v.f_blocks * v.f_frsize // 1024
    used = (v.f_blocks - v.f_bfree) * v.f_frsize // 1024
    avail = v.f_bavail * v.f_frsize // 1024
    pct = -(-used * 100 // (used + avail))
    status, out, err = pair.run_box(["df"])
    assert (status, err) == (0, b"")
    lines = out.decode().splitlines()
    assert len(lines) == 2
    head = lines[0].split()
    # the header words of the host's df
    host_head = subprocess.run(["df", "/"], env={"LC_ALL": "C"}, capture_output=True)
    assert head == host_head.stdout.decode().splitlines()[0].split()
    assert lines[1].split() == ["osbox", str(total), str(used), str(avail), f"{pct}%", "/"]
    assert lines[0].index("Mounted on") == lines[1].index(" /") + 1
    status, out, err = pair.run_box(["df", "-h", "nope", "f"])
    host = subprocess.run(
        ["df", "-h", "nope", "/"], env={"LC_ALL": "C"}, capture_output=True, cwd=pair.host
    )
    assert status == host.returncode == 1
    assert err == host.stderr
    assert out.decode().splitlines()[0].split() == host.stdout.decode().splitlines()[0].split()


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a host tty")
@pytest.mark.parametrize(
    "args", [[], ["-l", "d", "f", "a b"], ["-F"], ["-x"], ["-CR", "d"]], ids=" ".join
)
def test_ls_on_a_terminal(pair: Pair, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    cmd = " ".join(["ls", *(f"'{a}'" for a in args)])
    env = {"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin", "COLUMNS": "40"}
    host = subprocess.run(
        ["script", "-qc", cmd, "/dev/null"], cwd=pair.host, env=env, capture_output=True
    )
    from osbox.api._os_fds import FdCalls

    monkeypatch.setattr(FdCalls, "isatty", lambda self, fd: True)
    pair.machine.os.umask(0o022)
    status, out, err = run_program(pair.machine, ["ls", *args], cwd=VROOT, env=env)
    assert (status, out, err) == (0, host.stdout.replace(b"\r\n", b"\n"), b"")


ODD_NAMES = ["it's", "x\ny", "tab\there", 'q"d', "a$b", "\xe9t\xe9", "-dash", "~home", "#x"]


@pytest.mark.parametrize(
    "argv",
    [
        ["ls"],
        ["ls", "-l"],
        ["ls", "nope's", "new\nline", "sp ace"],
        ["cat", "it's", "nope's", "a$b"],
        ["rm", "nope's", "x\ny", "--", "-dash"],
        ["cp", "it's", "a$b", "nope\tt"],
        ["mkdir", "it's", "x\ny"],
        ["stat", "-c", "%N", "it's", 'q"d'],
        ["chmod", "-v", "600", "it's", "tab\there", "\xe9t\xe9"],
        ["du", "-a"],
        ["mkdir", "-m", "it's", "x"],
        ["touch", "-d", "x\ny", "f"],
        ["chown", "it's", "f"],
        ["chmod", "it's"],
        ["basename", "a", "b", "it's"],
        ["mv", "it's"],
        ["cp", "-T", "a", "b", "it's"],
    ],
    ids=lambda a: repr(a),
)
def test_odd_names(pair: Pair, argv: list[str]) -> None:
    for name in ODD_NAMES:
        for osm, root in ((os, pair.host), (pair.machine.os, VROOT)):
            path = f"{root}/e/{name}"
            fd = osm.open(path, osm.O_WRONLY | osm.O_CREAT, 0o644)
            osm.close(fd)
            osm.utime(path, ns=(NOW_NS, NOW_NS))
    host = pair.run_host(["sh", "-c", 'cd e && exec "$@"', "sh", *argv])
    box = run_program(
        pair.machine, argv, cwd=VROOT + "/e", env={"PATH": "/usr/bin:/bin", "TZ": "UTC"}
    )
    assert box == host
    h, b = pair.snapshot()
    assert b == h


def test_ls_owner_without_a_name(pair: Pair) -> None:
    for osm, root in ((os, pair.host), (pair.machine.os, VROOT)):
        osm.chown(f"{root}/big", 12345, 777)
        osm.chown(f"{root}/f", 1, 65534)
        osm.lchown(f"{root}/l", 2, 3)
    pair.compare(["ls", "-l"])
    pair.compare(["ls", "-ln", "big", "f", "l"])
    pair.compare(["stat", "-c", "%U %G %u %g", "big", "f", "l"])
