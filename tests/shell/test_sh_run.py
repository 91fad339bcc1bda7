"""Run sh snippets in osbox and compare with the host's dash (``/bin/sh``).

Each snippet runs on the host as ``LC_ALL=C /bin/sh -c SNIPPET`` in a fresh
temp directory holding a small tree, and in osbox as ``sh -c SNIPPET`` in an
equivalent directory; status, stdout and stderr must be identical. Snippets
here use only shell builtins so that they run without a process runtime.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import osbox
import osbox.shell.printf  # noqa: F401
import osbox.shell.sh  # noqa: F401
import osbox.shell.testexpr  # noqa: F401

from .helpers import run_program

HOST_SH = "/bin/sh"
pytestmark = pytest.mark.skipif(
    not os.path.exists(HOST_SH) or not os.path.realpath(HOST_SH).endswith("dash"),
    reason="the host's /bin/sh is not dash",
)

TREE = {
    "a.txt": "alpha\n",
    "b.txt": "beta\n",
    "c.log": "gamma\n",
    ".hidden": "h\n",
    "dir/x": "x\n",
    "dir/y.txt": "y\n",
}
CAT = "c() { while IFS= read -r l; do printf '%s\\n' \"$l\"; done; }; "
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LC_ALL": "C",
}


def host_run(snippet: str, tmp: Path, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    work = tmp / "w"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    for name, text in TREE.items():
        p = work / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    r = subprocess.run(
        ["sh", "-c", snippet],
        executable=HOST_SH,
        cwd=work,
        env=ENV,
        input=stdin,
        capture_output=True,
        timeout=20,
    )
    rc = r.returncode if r.returncode >= 0 else 128 - r.returncode
    return rc, r.stdout, r.stderr


@pytest.fixture(scope="module")
def box() -> Any:
    m = osbox.Machine()
    yield m
    m.close() if hasattr(m, "close") else None


def box_run(m: Any, snippet: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    vos = m.os
    if vos.path.exists("/w"):
        for root, dirs, files in vos.walk("/w", topdown=False):
            for f in files:
                vos.unlink(f"{root}/{f}")
            for d in dirs:
                vos.rmdir(f"{root}/{d}")
        vos.rmdir("/w")
    vos.mkdir("/w")
    for name, text in TREE.items():
        if "/" in name:
            vos.makedirs("/w/" + name.rsplit("/", 1)[0], exist_ok=True)
        with m.open("/w/" + name, "w") as f:
            f.write(text)
    vos.environ.clear()
    vos.environ.update(ENV)
    return run_program(m, ["sh", "-c", snippet], stdin=stdin, cwd="/w")


SNIPPETS = [
    # quoting and echo
    "echo hello   world",
    "echo 'single  $x' \"double $HOME\" back\\ slash",
    'echo "a\\$b\\"c\\\\d\\e"',
    "echo -n a; echo b; echo -e x; echo -n -n y; echo",
    "echo 'a\\tb\\nc\\\\d' '\\0101\\101' 'x\\cy' z",
    "x='a  b'; echo $x; echo \"$x\"",
    "echo ''; echo \"\" x",
    # parameters
    "x=1; echo ${x} ${x:-d} ${y:-d} ${y-d} ${x:+p} ${y:+p}.",
    "x=; echo ${x:-e} ${x-e} ${x:=f} $x",
    "echo ${y=set} $y",
    "x=aXbXc; echo ${x#*X} ${x##*X} ${x%X*} ${x%%X*} ${#x}",
    "x=/usr/lib/file.tar.gz; echo ${x##*/} ${x%/*} ${x%.*} ${x%%.*} ${x#/}",
    "x='a*b'; echo ${x#\"a*\"} ${x#a\\*}",
    'set -- a \'b c\' d; echo $#; for a in "$@"; do echo "<$a>"; done',
    'set -- a \'b c\' d; for a in $*; do echo "<$a>"; done; for a in "$*"; do echo "<$a>"; done',
    'set -- a b; IFS=:; echo "$*"; IFS=; echo "$*"',
    'set --; for a in "$@"; do echo x; done; echo "[$@]" $#',
    "echo $0 $# $?; false; echo $?",
    "set -- 1 2 3 4 5 6 7 8 9 10 11; echo $1 $9 ${10} ${11} $10",
    "echo ${y?oops}; echo after",
    "x=; echo ${x:?}",
    "echo ${y:?custom message here}",
    "set -u; echo $zz",
    "echo ${1x}",
    # arithmetic
    "echo $((1+2*3)) $((10/3)) $((10%3)) $((-7/2)) $((-7%2)) $((2<<3)) $((-16>>2))",
    "echo $((1<2)) $((2<=1)) $((3==3)) $((3!=3)) $((!0)) $((~5)) $((5&3)) $((5|3)) $((5^3))",
    "echo $((1&&0)) $((1||0)) $((0?1:2)) $((1?2:3)) $((0x1f)) $((010)) $(( 7 ))",
    "x=3; echo $((x+=2)) $x $((x*=2)) $((x-=1)) $((x/=3)) $((x%=2)) $((y=4)) $y",
    "x=5; echo $((x)) $(($x+1)) $((x > 4 && x < 6))",
    "echo $((1/0))",
    "echo $((1+))",
    "echo $((08))",
    "x=abc; echo $((x+1))",
    "echo $((9223372036854775807+1))",
    "echo $((0 && 1/0)) $((1 || 1/0))",
    # command substitution
    'echo $(echo a; echo b) "$(echo c; echo; echo)"x',
    'x=$(echo hi); echo "[$x]"; y=`echo there`; echo $y',
    "echo $(echo $(echo nested))",
    "x=$(exit 3); echo $?",
    "echo \"$(echo 'a  b')\" $(echo 'a  b')",
    "echo `echo \\`echo deep\\``",
    # field splitting
    'IFS=:; x=a:b::c; for i in $x; do echo "[$i]"; done',
    "x='  a  b  '; for i in $x; do echo \"[$i]\"; done",
    "IFS=': '; x='a : b:c'; for i in $x; do echo \"[$i]\"; done",
    "IFS=; x='a b'; for i in $x; do echo \"[$i]\"; done",
    "x=' '; set -- $x; echo $#; set -- \"\" $x ''; echo $#",
    # globbing
    "echo *",
    "echo *.txt",
    "echo ?.txt",
    "echo [ab].txt",
    "echo [!a]*",
    "echo .*",
    "echo dir/*",
    "echo */*.txt",
    "echo nomatch*",
    "echo '*.txt' \"*\"",
    "set -f; echo *",
    "x='*.log'; echo $x \"$x\"",
    "echo [[:alpha:]].txt",
    "echo \\*",
    # tilde
    "echo ~ ~/x ~root ~nosuchuser x~",
    'HOME=/h; echo ~ "~" ~/a',
    # control flow
    "if true; then echo y; else echo n; fi; if false; then echo y; elif true; then echo e; fi",
    "for i in 1 2 3; do echo $i; done; for i in; do echo never; done",
    "set -- x y; for i do echo $i; done",
    "i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done",
    "i=0; until [ $i -ge 2 ]; do i=$((i+1)); echo $i; done",
    "for i in 1 2 3; do for j in a b; do [ $j = b ] && continue 2; echo $i$j; done; done",
    "for i in 1 2 3; do for j in a b; do [ $i = 2 ] && break 2; echo $i$j; done; done; echo $i",
    "case abc in a*) echo A;; *) echo B;; esac",
    "case x in (y|x) echo m;; esac; case '*' in \\*) echo star;; esac",
    "x=b; case $x in a) echo a;; b|c) echo bc;; esac; case z in a) ;; esac; echo $?",
    "case hello in h?llo) echo q;; esac; case ab in [a-c]b) echo r;; esac",
    "true && echo a || echo b; false && echo c || echo d",
    "! true; echo $?; ! false; echo $?",
    "{ echo a; echo b; } > /dev/null; echo c",
    "(echo sub; exit 3); echo $?",
    "x=1; (x=2; echo $x); echo $x",
    'f() { echo "f:$1:$#"; return 4; }; f a b; echo $?',
    "f() { local x=2; echo $x; g; }; g() { echo g$x; }; x=1; f; echo $x",
    "f() { x=5; }; x=1 f; echo $x",
    "f() { echo $0; }; f",
    'f() { shift; echo "$@"; }; f a b c; echo "$@"',
    "x=1 y=2; echo $x$y; x=3 true; echo $x",
    "f() (echo subshell-func); f",
    # errors and exit status
    "nope",
    "nope; echo $?",
    "echo a; fi",
    "if true; then",
    "echo (",
    "for 1 in a; do :; done",
    "while true; echo; done",
    "case a b",
    "{ }",
    'echo "abc',
    "echo 'abc",
    "echo `abc",
    "echo ${x",
    "echo $((",
    "f-x() { :; }",
    "echo a &&",
    "echo a |",
    "(echo a",
    "echo > ",
    "if; then :; fi",
    "! ! true",
    "exit 3",
    "exit foo",
    "(exit 300); echo $?",
    "return 5",
    "shift 3",
    "shift x",
    "break 0",
    "local x",
    "readonly r=1; r=2; echo after",
    "readonly r=1; unset r",
    "cd /nonexistent; echo $?",
    "echo hi > /nonexistent/f; echo $?",
    "echo hi < nofile; echo $?",
    ": < nofile; echo never",
    "echo x > dir; echo $?",
    "echo >&7",
    "eval 'echo a; if'",
    ". ./nonexistent",
    # builtins
    "set -- a b c; shift; echo $*; shift 2; echo $#",
    "x=1; unset x; echo ${x-unset}; f() { :; }; unset -f f; type f",
    "export A=1; export -p | while read l; do case $l in *A=*) echo $l;; esac; done",
    "readonly Q=5; echo $Q; readonly -p >/dev/null",
    "eval 'x=5; echo $x'; eval echo '$x'",
    "type echo cd : [ local exit if nosuch",
    "command -v echo; command -v nosuch; echo $?; command -V :",
    "umask; umask 027; umask; umask -S; umask u=rwx,g=r,o=; umask",
    "cd dir; echo ${PWD##*/}; cd /tmp; pwd; cd /; pwd; echo $PWD $OLDPWD; cd -; cd ..; pwd",
    "cd /; cd /tmp/../; pwd; cd -P /tmp; pwd; cd /tmp/..; echo $OLDPWD",
    'echo a | read x; echo "[$x]"',
    'read a b <<EOF\none two three\nEOF\necho "$a|$b"',
    "read -r a <<'EOF'\nx\\ty\\\\z\nEOF\necho \"$a\"",
    "read a <<'EOF'\nx\\ty\\\nz\nEOF\necho \"$a\"",
    "IFS=: read a b c <<EOF\n1:2:3:4\nEOF\necho $a-$b-$c",
    'read x < /dev/null; echo $? "[$x]"',
    "read",
    "set -z",
    "unset -x",
    "trap 'echo bye' EXIT; echo hi",
    "trap 'echo t' EXIT; exit 5",
    "trap 'echo x' INT TERM; trap; trap - INT; trap",
    "trap 'echo in-sub' EXIT; (echo sub); echo main",
    "getopts ab: o -a -b val; echo $o $OPTIND; getopts ab: o -a -b val; echo $o $OPTARG $OPTIND",
    'while getopts xy: o -x -y 1 -z; do echo "$o ${OPTARG-}"; done; echo $OPTIND',
    "printf '%s-%d-%5s|%-4s|%x %o %c %%\\n' a 42 b c 255 8 xyz",
    "printf '%s\\n' a b c; printf '%s %s\\n' 1 2 3",
    "printf '%d\\n' abc 12x \"'A\"",
    "printf '%05.2f %e %g\\n' 3.14159 1234.5 0.0001",
    "printf '%*d|%.*s|\\n' 5 3 2 abcdef",
    "printf",
    "printf '%b|\\n' 'a\\tb' 'c\\cd'",
    "printf '\\101\\n%i %u\\n' -5 -5",
    "printf '%#x %#o %+d % d\\n' 255 8 5 5",
    'test 1 -eq 1 && echo eq; [ a = b ] || echo ne; [ -n "" ]; echo $?',
    "[ -f a.txt ] && echo f; [ -d dir ] && echo d; [ -e nope ] || echo no; [ -s a.txt ]; echo $?",
    "[ 1 -eq 1",
    "test abc -eq 1",
    "test a b",
    "test 1 -eq",
    "test; echo $?",
    "[ ! -f a.txt -o -d dir ]; echo $?; [ 3 -gt 2 -a 1 -lt 0 ]; echo $?",
    "[ \\( a = a \\) ]; echo $?; [ a \\< b ]; echo $?; [ -z ]; echo $?",
    "true; echo $?; false; echo $?; :; echo $?",
    "kill -l 9; kill -l 130",
    # set -e, -x
    "set -e; false; echo no",
    "set -e; false || true; echo yes; if false; then :; fi; ! true; echo y2",
    "set -e; true && false; echo no",
    "set -e; f() { false; echo in; }; f || echo caught; echo after",
    "set -e; x=$(false); echo no",
    "set -e; (false); echo no",
    'set -x; x=1; echo "a b" $x; f() { echo in; }; f; y=$(echo hi) true',
    "set -x; echo a 2>/dev/null; : $(echo b)",
    "echo $-; set -eu; echo $-; set +e; echo $-",
    "set -o; set +o; set -o errexit; echo $-",
    "set -n; echo never",
    # redirections and here-documents
    "echo one > f; echo two >> f; read a < f; echo $a; { read a; read b; } < f; echo $a $b",
    "echo err 1>&2",
    "{ echo out; echo err >&2; } 2>&1",
    "exec 3>f; echo via3 >&3; exec 3>&-; read a < f; echo $a",
    "exec >f; echo hidden; exec >&2; echo shown",
    "echo x 2>/dev/null >&2",
    CAT + "c <<EOF\nhello $HOME\n$(echo sub) `echo bq` $((1+1))\n\\$x \\\\ \\a\nEOF",
    CAT + "c <<'EOF'\nraw $HOME `x` \\n\nEOF",
    CAT + "c <<-EOF\n\tindented\n\t\tmore\n\tEOF",
    CAT + "c <<A; c <<B\na\nA\nb\nB",
    "x=1; read y <<EOF\n$x${x}2\nEOF\necho $y",
    "echo a <> f; echo $?",
    "set -C; echo a > a.txt; echo $?; echo b >| a.txt; echo $?",
    'while read l; do echo "<$l>"; done < a.txt',
    "for i in 1 2; do echo $i; done > f; while read l; do echo $l; done < f",
    # pipelines in-process
    "echo a | { read x; echo got $x; }",
    "true | false; echo $?; false | true; echo $?",
    "! echo x | false; echo $?",
    'x=$(printf \'a\\nb\'); echo "$x" | while read l; do echo "[$l]"; done',
    # misc
    "x=a\\\nb; echo $x",
    "echo a # comment\n# full\necho b",
    'echo "$(echo "inner \\"quoted\\"")"',
    'a="x y"; b=$a; echo "$b"',
    'alias_test() { echo "$@"; }; alias_test 1 "2 3"',
    "echo ${#}; set -- a; echo ${#1} ${#}",
    "echo $(( $(echo 3) + 4 ))",
    "n=0; while :; do n=$((n+1)); [ $n -gt 100 ] && break; done; echo $n",
]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet(snippet: str, box: Any, tmp_path: Path) -> None:
    expected = host_run(snippet, tmp_path)
    got = box_run(box, snippet)
    assert got == expected


def _has_runtime(m: Any) -> bool:
    return hasattr(m.os, "_fork_call")


EXTERNAL_SNIPPETS = [
    "echo a | cat; cat a.txt | wc -l",
    'x=$(cat a.txt b.txt); echo "$x"',
    "for i in 3 1 2; do echo $i; done | sort | tr -d 2",
    "ls; ls dir | wc -l",
    "cat nope; echo $?",
    "nope 2>/dev/null; echo $?",
    "cat <<EOF | wc -c\nhello\nEOF",
    "echo hi > out; cat out; cat < out >> out2; cat out2",
    "exec cat a.txt; echo never",
    "sh -c 'exit 7'; echo $?",
    "sh -c 'kill -9 $$'; echo $?",
    "FOO=bar sh -c 'echo $FOO'; echo ${FOO-unset}",
    "export FOO=baz; sh -c 'echo $FOO'",
    "sleep 0.1 & echo bg; wait $!; echo $?",
    "(echo a; echo b) | wc -l",
    '{ echo 1; echo 2; } | while read l; do echo "<$l>"; done',
    "echo x | { cat; echo y; } | cat",
    "cat a.txt b.txt | grep -c a",
    "printf 'x\\ny\\n' | sed s/x/z/",
    "./a.txt; echo $?",
    "chmod +x a.txt 2>/dev/null || true; command -v ls; type cat; echo $?",
    "true | false | true; echo $?",
    'x=$(ls nope 2>&1); echo "[$x]"',
    "ls nope 2>/dev/null || echo failed",
    "set -e; cat nope 2>/dev/null; echo never",
    "set -x; cat a.txt >/dev/null",
    "sh -c 'kill -TERM $$'; echo $?",
    "echo a >&2 2>/dev/null | cat",
    "sh -c 'echo $0 $1' name arg",
    "trap 'echo got TERM' TERM; kill -TERM $$; echo after",
    "trap 'echo int' INT; sh -c 'kill -INT $PPID; sleep 0.2'; echo after $?",
    "trap '' TERM; kill $$; echo survived",
    "sleep 5 & kill $!; wait $!; echo $?",
    "sh -c 'kill -TERM $PPID; sleep 1'; echo never",
]


@pytest.mark.parametrize("snippet", EXTERNAL_SNIPPETS)
def test_external_snippet(snippet: str, box: Any, tmp_path: Path) -> None:
    if not _has_runtime(box):
        pytest.skip("needs the process runtime (ctx.os._fork_call)")
    expected = host_run(snippet, tmp_path)
    got = box_run(box, snippet)
    assert got == expected
