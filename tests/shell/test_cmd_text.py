"""Text and system commands against the host's GNU coreutils under LC_ALL=C.

Every case runs the real program on the host (in a temp dir holding the same
files) and the osbox program on a machine with an equal tree, with the same
standard input, and compares stdout, stderr and the exit status.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import osbox

from .helpers import run_program

FILES: dict[str, bytes] = {
    "s10": b"".join(b"%d\n" % i for i in range(1, 11)),
    "big": b"".join(b"%d\n" % i for i in range(1, 30001)),
    "nonl": b"a\nb",
    "z": b"x\0y\0z",
    "k": b"b 2\na 10\nB 1\na 2\nc  3\n a 1\n",
    "colon": b"x:3:b\ny:1:a\nz:2:c\nw:10:a\n",
    "months": b"Jan\nfeb\nDEC\nxyz\n 1K\n2M\n",
    "u": b"a\na\nA\nb\nb\nb\nc\n a\n a\nd",
    "mix": b"hello world\tfoo\x01bar \x80\nab\tc\x01\rxy\n  x\fabcdefghijklm\n",
}
MTIME_NS = 1614834367_123456789

pytestmark = pytest.mark.skipif(
    shutil.which("sort") is None
    or b"GNU" not in subprocess.run(["sort", "--version"], capture_output=True).stdout,
    reason="needs GNU coreutils on the host",
)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    host = tmp_path_factory.mktemp("text")
    m = osbox.Machine()
    m.os.mkdir("/w")
    for name, data in FILES.items():
        (host / name).write_bytes(data)
        with m.open(f"/w/{name}", "wb") as f:
            f.write(data)
        os.utime(host / name, ns=(MTIME_NS, MTIME_NS))
        m.os.utime(f"/w/{name}", ns=(MTIME_NS, MTIME_NS))
    (host / "d").mkdir()
    m.os.mkdir("/w/d")
    yield host, m
    m.close() if hasattr(m, "close") else None


def compare(trees: tuple[Path, Any], cmd: str, stdin: bytes = b"", **env: str) -> None:
    host, m = trees
    argv = shlex.split(cmd)
    henv = {"LC_ALL": "C", "PATH": "/usr/bin:/bin", **env}
    h = subprocess.run(argv, input=stdin, capture_output=True, cwd=host, env=henv)
    saved = dict(m.os.environ)
    m.os.environ.pop("TZ", None)
    m.os.environ.update(env)
    try:
        got = run_program(m, argv, stdin=stdin, cwd="/w")
    finally:
        m.os.environ.clear()
        m.os.environ.update(saved)
    assert got == (h.returncode, h.stdout, h.stderr), cmd


HEADTAIL = [
    "head s10",
    "head -n 3 s10",
    "head -3 s10",
    "head -2c s10",
    "head -n -8 s10",
    "head -c -15 s10",
    "head -n 0 s10",
    "head s10 nonl",
    "head -q s10 nonl",
    "head -v s10",
    "head nope s10",
    "head d s10",
    "head -c x s10",
    "head -n 99999999999999999999999 s10",
    "head -n -99999999999999999999999 s10",
    "head --lines 2 s10",
    "head --li=2 s10",
    "head --foo s10",
    "head -x s10",
    "head -n",
    "head -z -n 2 z",
    "head -5 -n 2 s10",
    "head -c 1K big",
    "head -n -29990 big",
    "head -n -3 nonl",
    "head -n -x s10",
    "head -c 1b big",
    "head -c 2KB big",
    "head -n +-3 s10",
    "tail s10",
    "tail -n 3 s10",
    "tail -n +8 s10",
    "tail +8 s10",
    "tail -3 s10",
    "tail -3 s10 s10",
    "tail -3c s10",
    "tail -c +19 s10",
    "tail -n +0 s10",
    "tail -n 0 s10",
    "tail -n 1 nonl",
    "tail -n 2 big",
    "tail -c 7 big",
    "tail -n +29998 big",
    "tail -c +5 big",
    "tail nope",
    "tail d",
    "tail -n x s10",
    "tail -n +x s10",
    "tail -n 99999999999999999999 s10",
    "tail -z -n 1 z",
    "tail -n 2 -3 s10",
    "tail -v s10",
    "tail -q s10 nonl",
]


@pytest.mark.parametrize("cmd", HEADTAIL)
def test_head_tail(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


@pytest.mark.parametrize(
    "cmd,stdin",
    [
        ("head - s10", b"a\nb\nc"),
        ("head -c 3 -", b"abcdef"),
        ("tail -n 3 -", b"1\n2\n3\n4\n5"),
        ("tail -n 1 -", b"a\nb\n\n"),
        ("tail -n +3 -", b"1\n2\n3\n4\n5"),
        ("tail -c +3 -", b"12345"),
        ("tail s10 -", b"x"),
        ("tail -", b"x\ny\n"),
        ("head -n -2", b"".join(b"%d\n" % i for i in range(100000))),
        ("tail -n 2", b"".join(b"%d\n" % i for i in range(100000))),
    ],
)
def test_head_tail_stdin(trees: tuple[Path, Any], cmd: str, stdin: bytes) -> None:
    compare(trees, cmd, stdin)


WC = [
    "wc s10",
    "wc -l s10",
    "wc s10 nonl",
    "wc -L s10 nonl",
    "wc -clmwL s10",
    "wc mix",
    "wc -L mix",
    "wc -w mix",
    "wc nope s10",
    "wc s10 nope",
    "wc d",
    "wc d s10",
    "wc -c big",
    "wc big s10",
    "wc -x",
    "wc --words s10",
    "wc -m z",
]


@pytest.mark.parametrize("cmd", WC)
def test_wc(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


@pytest.mark.parametrize(
    "cmd,stdin",
    [
        ("wc", b"hi\n"),
        ("wc -l", b"hi\n"),
        ("wc -lw -", b"hi\n"),
        ("wc -l - s10", b"hi\n"),
        ("wc -w", b"a\x01 \x01b \x80 \x7f c"),
        ("wc -L", b"abc\vdefg\nabcdefghij\rxy"),
        ("wc", b"one two  three\n\tfour\n" * 5000),
    ],
)
def test_wc_stdin(trees: tuple[Path, Any], cmd: str, stdin: bytes) -> None:
    compare(trees, cmd, stdin)


SORT = [
    "sort k",
    "sort -r k",
    "sort -k2n k",
    "sort -k2,2 k",
    "sort -k2,2n -r k",
    "sort -k2,2nr k",
    "sort -f k",
    "sort -fs k",
    "sort -u -k1,1 k",
    "sort -b -k1,1 k",
    "sort -k1b,1 k",
    "sort -k1.2 k",
    "sort -n k",
    "sort -t : -k2n colon",
    "sort -t : -k3,3 -k2,2n colon",
    "sort -t : -k3,3 -k2,2nr colon",
    "sort -t: -k3 -u colon",
    "sort -t: -k3,3 -u colon",
    "sort -M months",
    "sort -h months",
    "sort -c k",
    "sort -C k",
    "sort k nope",
    "sort d",
    "sort -t '' k",
    "sort -k1,1 -k 0,1 k",
    "sort -k2.0 k",
    "sort -k1,0 k",
    "sort -k1.1,1.0 k",
    "sort -kx k",
    "sort -k1x k",
    "sort -Z k",
    "sort -z z",
    "sort -rn s10",
    "sort -u s10 s10",
    "sort -t ab k",
    "sort -k",
    "sort -o /nonexist/x k",
    "sort -s -k1,1f k",
]


@pytest.mark.parametrize("cmd", SORT)
def test_sort(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


@pytest.mark.parametrize(
    "cmd,stdin",
    [
        ("sort -cu -", b"a\nb\n"),
        ("sort -cu -", b"a\na\n"),
        ("sort -c", b"a\nb\na\n"),
        ("sort -n", b"1.5\n-2\n 3\nabc\n\n1e2\n-0\n0\n.5\n-.5\n10\n9"),
        ("sort -g", b"1.5\n-2\n 3\nabc\n\n1e2\nnan\n-inf\n0x10\n0x1p3\n"),
        ("sort - s10", b"5\n11"),
        ("sort -d", b"a-c\nab\n_b\nb\n"),
        ("sort -i", b"a\x01c\nab\nb\n"),
        ("sort -nu", b"1\n01\n1.0\n2\n"),
        ("sort -k2", b"a  b\na b\n"),
        ("sort -t , -k2,2 -k1,1r", b"1,b\n2,a\n3,b\n"),
        ("sort -rs -k1,1", b"a 2\nb 1\na 1\n"),
        ("sort", bytes(range(256)).replace(b"\n", b"") + b"\n" + b"\x80\nz\nA\n\xff\n"),
    ],
)
def test_sort_stdin(trees: tuple[Path, Any], cmd: str, stdin: bytes) -> None:
    compare(trees, cmd, stdin)


UNIQ = [
    "uniq u",
    "uniq -c u",
    "uniq -d u",
    "uniq -D u",
    "uniq -u u",
    "uniq -i u",
    "uniq -ci u",
    "uniq -f 1 u",
    "uniq -s 1 u",
    "uniq -w 1 u",
    "uniq nope",
    "uniq a b c",
    "uniq -cD u",
    "uniq -z z",
    "uniq -x",
]


@pytest.mark.parametrize("cmd", UNIQ)
def test_uniq(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


TR = [
    ("tr aa xy", b"a\n"),
    ("tr a-c [:upper:]", b"abc\n"),
    ("tr [:lower:] [:upper:]", b"abc\n"),
    ("tr [:upper:] [:lower:]", b"aBc\n"),
    ("tr -d", b"abc\n"),
    ("tr -d a b", b"abc\n"),
    ("tr -d a b c", b"abc"),
    ("tr z-a x", b"abc\n"),
    ("tr [:foo:] x", b"abc\n"),
    ("tr a [x*]", b"abc\n"),
    ("tr a[x*] y", b"abc\n"),
    ("tr a-f x[y*2]z", b"abcdef\n"),
    ("tr a-f [y*]z", b"abcdef\n"),
    ("tr -t a-f xy", b"abcdef\n"),
    ("tr a ''", b"abc\n"),
    ("tr '\\\\' x", b"a\\b\n"),
    ("tr 'a\\' x", b"abc\n"),
    ("tr -s a-c", b"aaabbbccc\n"),
    ("tr -s a-c x", b"aaabbbccc\n"),
    ("tr -cd a-z", b"hello 123\n"),
    ("tr -c a-z X", b"hello\n"),
    ("tr -ds a ' b'", b"aa  bb\n"),
    ("tr '\\141' X", b"abc\n"),
    ("tr a- xy", b"a-c\n"),
    ("tr -s", b"abc"),
    ("tr a[:digit:] [:upper:]x", b"abc\n"),
    ("tr [=a=] x", b"ab\n"),
    ("tr [a*2] x", b"ab[*2]\n"),
    ("tr b[a*] x", b"ab[*2]\n"),
    ("tr a-z [:upper:]", b"abcz\n"),
    ("tr [:lower:] [:digit:]", b"abc\n"),
    ("tr [:upper:][:lower:] [:lower:][:upper:]", b"aBc\n"),
    ("tr -c [:lower:] [:upper:]", b"abc\n"),
    ("tr [] x", b"a]b\n"),
    ("tr [ x", b"a]b[\n"),
    ("tr -s a b c", b"abc"),
    ("tr a-f [x*010]", b"abcdef\n"),
    ("tr a [x*z]", b"abc"),
    ("tr -cs a-z '\\n'", b"hello,  world!! foo\n"),
    ("tr '\\n' ' '", b"a\nb\n"),
    ("tr -d '\\0'", b"a\x00b"),
    ("tr '\\0-\\377' A", b"ab"),
    ("tr -d [:space:]", b"a b\tc\n"),
    ("tr [:punct:] _", b"a.b,c!\n"),
    ("tr -d [:cntrl:]", b"a\x01b\x7f\n"),
    ("tr -x", b""),
    ("tr -C a X", b"abc\n"),
    ("tr a", b""),
    ("tr", b""),
]


@pytest.mark.parametrize("cmd,stdin", TR)
def test_tr(trees: tuple[Path, Any], cmd: str, stdin: bytes) -> None:
    compare(trees, cmd, stdin)


CUT = [
    ("cut", b""),
    ("cut -f 0 k", b""),
    ("cut -f x k", b""),
    ("cut -f 3-1 k", b""),
    ("cut -f - k", b""),
    ("cut -b 1 -f 1 k", b""),
    ("cut -d ab -f 1 k", b""),
    ("cut -d : -b 1 k", b""),
    ("cut -f1 -s nope", b""),
    ("cut -b 2-3,5 --output-delimiter=:", b"abcdef\n"),
    ("cut -b 2,3,5- --output-delimiter=:", b"abcdef\n"),
    ("cut -b 1-2,2-4 --output-delimiter=:", b"abcdef\n"),
    ("cut -d: -f 2- --output-delimiter=,", b"a:b:c:d\n"),
    ("cut -d: --complement -f 2", b"a:b:c:d\n"),
    ("cut -c 3-,-2", b"abcdef\n"),
    ("cut -c 1- --complement", b"abcdef\n"),
    ("cut -f 1,x k", b""),
    ("cut -b , k", b""),
    ("cut -d ' ' -f '1 2'", b"a b\n"),
    ("cut -f 2- -d '' k", b""),
    ("cut -d : -f 2 colon", b""),
    ("cut -d : -f 3,1 colon", b""),
    ("cut -d : -s -f 2", b"a:b\nnodelim\nc:d"),
    ("cut -d : -f 2", b"a:b\nnodelim\nc:d"),
    ("cut -c 2 colon s10", b""),
    ("cut -b 5-", b"abc\nabcdefg\n"),
    ("cut -d ' ' -f 2 k", b""),
    ("cut -f 1 d", b""),
    ("cut -s -b 1 k", b""),
    ("cut -z -b 1 z", b""),
    ("cut -f2", b"a\tb\tc\n"),
    ("cut -b 2,4 --complement --output-delimiter=:", b"abcdef\n"),
]


@pytest.mark.parametrize("cmd,stdin", CUT)
def test_cut(trees: tuple[Path, Any], cmd: str, stdin: bytes) -> None:
    compare(trees, cmd, stdin)


SEQ = [
    "seq 1 0.5 3",
    "seq 0.1 0.1 0.5",
    "seq 1 2.50",
    "seq -w 8 11",
    "seq -w 1 0.5 2",
    "seq -s, 3",
    "seq -f %03g 3",
    "seq -f x%.2fy 1 2",
    "seq 1 0 3",
    "seq 3 1",
    "seq 1e2 1e2",
    "seq 1.5e1 16",
    "seq -w -1 1",
    "seq 5 -2 1",
    "seq -f %d 1",
    "seq -f '%g %g' 1",
    "seq -f abc 1",
    "seq 1 2 3 4",
    "seq 0x10 0x11",
    "seq 1.0 3",
    "seq 1 1.0 3",
    "seq 1e-2 1",
    "seq -s '' 3",
    "seq 10000000000000000000 10000000000000000001",
    "seq 2 -0.5 1",
    "seq -w 1.5 10",
    "seq",
    "seq x",
    "seq -x",
    "seq 0 0.1 1",
    "seq -1",
    "seq -3 -1",
    "seq 10 -3 -5",
    "seq -f %e 1 3",
    "seq -w -f %g 1 3",
    "seq 1 3.5",
    "seq 0.5",
    "seq -s : -w 9 11",
    "seq -f %.3f 0 0.25 1",
    "seq 1 20000",
    "seq 1.5 -1 -2",
    "seq -w 0 0.25 1",
]


@pytest.mark.parametrize("cmd", SEQ)
def test_seq(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


ECHO = [
    "echo -e 'a\\101b\\0101c\\x41\\x4g\\xZ\\q\\\\\\e\\c'",
    "echo -e 'x\\c y'",
    "echo -n -e -E 'a\\tb'",
    "echo -neX a",
    "echo -- a",
    "echo -e '\\0'",
    "echo -e 'ab\\'",
    "echo -e '\\u00e9\\U41'",
    "echo",
    "echo -n",
    "echo -e '\\0400\\08\\x41\\x412\\18'",
    "echo a '' b",
    "echo -nn -ee a",
    "echo - a",
    "echo -E -e '\\t'",
    "echo 'a  b'",
]


@pytest.mark.parametrize("cmd", ECHO)
def test_echo(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd.replace("echo", "/bin/echo", 1))


MISC = [
    "env -i A=1 B=2",
    "env -i =x",
    "env -u A=B",
    "env -i -- A=1",
    "env -i - A=1",
    "env -0 -i A=1 B=2",
    "env -x",
    "printenv -x",
    "id -n",
    "id -u -g",
    "id nope",
    "whoami x",
    "uname -x",
    "uname x",
    "sleep",
    "sleep 1x",
    "sleep 0 0.01 1e-3 0x0 0s 0m 0h 0d",
    "sleep -1",
    "sleep 1S",
    "sleep +0",
    "sleep x y",
    "true a b",
    "false a",
    "true --help",
    "false --help",
]


@pytest.mark.parametrize("cmd", MISC)
def test_misc(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


def test_env_runs_command(trees: tuple[Path, Any]) -> None:
    """env sets the environment and execs; errors from the command propagate."""
    host, m = trees
    compare(trees, "env -i A=1 env -u")
    st, out, err = run_program(m, ["env", "-i", "A=1", "B=x y", "printenv", "B", "A"])
    assert (st, out, err) == (0, b"x y\n1\n", b"")
    st, out, err = run_program(m, ["env", "nosuchcmd"])
    assert (st, out, err) == (127, b"", b"env: 'nosuchcmd': No such file or directory\n")


def test_printenv(trees: tuple[Path, Any]) -> None:
    _host, m = trees
    m.os.environ["FOO"] = "bar"
    try:
        assert run_program(m, ["printenv", "FOO", "NOPE", "HOME"]) == (1, b"bar\n/root\n", b"")
        st, out, _ = run_program(m, ["printenv"])
        assert st == 0 and b"FOO=bar\n" in out
    finally:
        del m.os.environ["FOO"]


def test_ident_root(trees: tuple[Path, Any]) -> None:
    """As root on the host and in the machine, id/whoami print the same."""
    if os.geteuid() != 0:
        pytest.skip("host is not running as root")
    for cmd in [
        "id",
        "id -u",
        "id -g",
        "id -G",
        "id -un",
        "id -gn",
        "id -Gn",
        "id root",
        "id -g root",
        "whoami",
        "id -ur",
        "id -zu",
    ]:
        compare(trees, cmd)


def test_uname_hostname(trees: tuple[Path, Any]) -> None:
    """uname fields come from the machine; -p/-i print 'unknown', -a skips them."""
    _host, m = trees
    u = m.os.uname()
    host_o = subprocess.run(["uname", "-o"], capture_output=True).stdout
    host_p = subprocess.run(["uname", "-p"], capture_output=True).stdout
    assert run_program(m, ["uname"]) == (0, b"Linux\n", b"")
    assert run_program(m, ["uname", "-o"]) == (0, host_o, b"")
    assert run_program(m, ["uname", "-p", "-i"]) == (0, host_p.strip() + b" " + host_p, b"")
    full = f"{u.sysname} {u.nodename} {u.release} {u.version} {u.machine} GNU/Linux\n"
    assert run_program(m, ["uname", "-a"]) == (0, full.encode(), b"")
    assert run_program(m, ["uname", "-nm"]) == (0, f"{u.nodename} {u.machine}\n".encode(), b"")
    assert run_program(m, ["hostname"]) == (0, f"{u.nodename}\n".encode(), b"")


DATE = [
    "date -d @0",
    "date -u -d @1700000000.5 '+%s %N %3N %:z %::z %z %Z %-d %_m %e %k %l %P %p "
    "%j %U %W %V %G %g %u %w %C %y %D %F %T %R %r %c %x %X %h %^a %#Z %10A %-5S|'",
    "date -d 2024-01-02",
    "date -d '2024-01-02 03:04:05'",
    "date -d 2024-01-02T03:04:05Z",
    "date -d '2024-01-02 03:04'",
    "date -d xyz",
    "date -d @x",
    "date -r /nope",
    "date -r s10",
    "date -r s10 +%N",
    "date x",
    "date +%",
    "date -d 2024-01-02T03:04:05+02:00",
    "date -I -d @0",
    "date -Iseconds -d @0",
    "date -Ins -d @0",
    "date -Ih -d @1700000000",
    "date -R -d @0",
    "date -d @-1 '+%F %T %N'",
    "date -d @-1.25 '+%s %N'",
    "date -d @1234567890 '+%a %A %b %B %h %U %W %V %j'",
    "date -d 2024-12-30 '+%U %W %V %G %g %u %w %j'",
    "date -d 2023-01-01 '+%U %W %V %G %g %u %w %j'",
    "date -d 2021-01-03 '+%U %W %V %G'",
    "date -d @0 '+%_5d|%-j|%05e|%^B|%#b|%#p|%P|%q|%:Q|%%'",
    "date -d @0 +%c%n%t%x",
    "date a b",
    "date -d @0 +a +b",
    "date -d 1999-12-31 +%q",
]


@pytest.mark.parametrize("cmd", DATE)
def test_date(trees: tuple[Path, Any], cmd: str) -> None:
    compare(trees, cmd)


@pytest.mark.parametrize("tz", ["EST5", "<+03>-3", "Nope/Zone", "UTC0", "JST-9", "IST-5:30"])
def test_date_tz(trees: tuple[Path, Any], tz: str) -> None:
    compare(trees, "date -d @0", TZ=tz)
    compare(trees, "date -d '2024-01-02 03:04:05' '+%F %T %z %:z %Z %s'", TZ=tz)


def test_date_now(trees: tuple[Path, Any]) -> None:
    """Without -d, date prints the current time in the default format."""
    _host, m = trees
    before = subprocess.run(["date", "+%s"], capture_output=True, env={"LC_ALL": "C"}).stdout
    st, out, err = run_program(m, ["date", "+%s"])
    after = subprocess.run(["date", "+%s"], capture_output=True, env={"LC_ALL": "C"}).stdout
    assert st == 0 and err == b""
    assert int(before) <= int(out) <= int(after)


def test_tee(trees: tuple[Path, Any]) -> None:
    host, m = trees
    data = b"line1\nline2\n" * 1000
    for cmd in ["tee out1 out2", "tee -a out1", "tee /nonexist/x out3", "tee -x", "tee - out4"]:
        compare(trees, cmd, data)
        for name in ["out1", "out2", "out3", "out4"]:
            p = host / name
            if p.exists():
                with m.open(f"/w/{name}", "rb") as f:
                    assert f.read() == p.read_bytes(), (cmd, name)
