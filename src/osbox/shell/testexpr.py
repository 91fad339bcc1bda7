"""``test`` and ``[``: dash 0.5.12's builtin and GNU coreutils' programs.

Grammar (test(1)): ``expr -o expr``, ``expr -a expr``, ``! expr``,
``( expr )``, unary file and string tests, binary string, integer and file
comparisons. The builtin's errors are dash's (``X: unexpected operator``,
``X: argument expected``, ``Illegal number: X``, ``missing ]``); the
programs follow POSIX's rules by argument count first, as GNU does, and
use GNU's messages (``invalid integer 'x'``, ``missing argument after
'x'``, ``'x': unary operator expected``, ``extra argument 'x'``). Usage
errors are status 2.
"""

from __future__ import annotations

import re
import stat
from typing import Any

from .context import Context
from .registry import program

__all__ = ["TestError", "evaluate_test", "test_main"]

_UNARY = frozenset("-b -c -d -e -f -g -h -L -k -n -p -r -s -S -t -u -w -x -z -O -G".split())
_BINARY = frozenset("= != < > -eq -ne -gt -ge -lt -le -nt -ot -ef".split())
_GNU_UNARY = _UNARY | {"-N"}
_GNU_BINARY = (_BINARY - {"<", ">"}) | {"=="}
_INTRE = re.compile(r"\s*[-+]?[0-9]+\s*\Z")
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


class TestError(Exception):
    """A usage error; ``str()`` is dash's message."""


class _Ops:
    """The primaries, shared by both dialects."""

    gnu = False

    def __init__(self, vos: Any, args: list[str]) -> None:
        self.vos = vos
        self.args = args
        self.i = 0

    def more(self, k: int = 0) -> bool:
        return self.i + k < len(self.args)

    def number(self, s: str) -> int:
        if self.gnu:
            if not _INTRE.match(s):
                raise TestError(f"invalid integer '{s}'")
            return int(s)
        return _number(s)

    def _stat(self, path: str, follow: bool = True) -> Any:
        try:
            return self.vos.stat(path) if follow else self.vos.lstat(path)
        except (OSError, ValueError):
            return None

    def unary(self, op: str, arg: str) -> bool:
        if op == "-n":
            return arg != ""
        if op == "-z":
            return arg == ""
        if op == "-t":
            fd = self.number(arg)
            try:
                return bool(self.vos.isatty(fd))
            except (OSError, ValueError, OverflowError):
                return False
        if op in ("-r", "-w", "-x"):
            mode = {"-r": self.vos.R_OK, "-w": self.vos.W_OK, "-x": self.vos.X_OK}[op]
            try:
                return bool(self.vos.access(arg, mode))
            except (OSError, ValueError):
                return False
        st = self._stat(arg, op not in ("-h", "-L"))
        if st is None:
            return False
        m = st.st_mode
        if op == "-N":
            return bool(st.st_mtime_ns > st.st_atime_ns)
        checks = {
            "-b": stat.S_ISBLK(m),
            "-c": stat.S_ISCHR(m),
            "-d": stat.S_ISDIR(m),
            "-e": True,
            "-f": stat.S_ISREG(m),
            "-g": bool(m & stat.S_ISGID),
            "-h": stat.S_ISLNK(m),
            "-L": stat.S_ISLNK(m),
            "-k": bool(m & stat.S_ISVTX),
            "-p": stat.S_ISFIFO(m),
            "-s": st.st_size > 0,
            "-S": stat.S_ISSOCK(m),
            "-u": bool(m & stat.S_ISUID),
            "-O": st.st_uid == self.vos.geteuid(),
            "-G": st.st_gid == self.vos.getegid(),
        }
        return bool(checks[op])

    def binary(self, lhs: str, op: str, rhs: str) -> bool:
        if op in ("=", "=="):
            return lhs == rhs
        if op == "!=":
            return lhs != rhs
        if op == "<":
            return _b(lhs) < _b(rhs)
        if op == ">":
            return _b(lhs) > _b(rhs)
        if op in ("-nt", "-ot", "-ef"):
            a = self._stat(lhs)
            b = self._stat(rhs)
            if op == "-ef":
                return (
                    a is not None and b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
                )
            if op == "-nt":
                return a is not None and (b is None or a.st_mtime_ns > b.st_mtime_ns)
            return b is not None and (a is None or a.st_mtime_ns < b.st_mtime_ns)
        x, y = self.number(lhs), self.number(rhs)
        return {
            "-eq": x == y,
            "-ne": x != y,
            "-gt": x > y,
            "-ge": x >= y,
            "-lt": x < y,
            "-le": x <= y,
        }[op]


class _Test(_Ops):
    """dash's recursive-descent evaluation."""

    def run(self) -> bool:
        a = self.args
        if not a:
            return False
        # POSIX's rules for three and four arguments, which dash follows.
        if len(a) == 2 and a == ["(", ")"]:
            return False
        if len(a) in (3, 4) and a[0] == "!" and not (len(a) == 3 and a[1] in _BINARY):
            return not _Test(self.vos, a[1:]).run()
        if len(a) == 4 and a[0] == "(" and a[3] == ")":
            return _Test(self.vos, a[1:3]).run()
        v = self.oexpr()
        if self.more():
            raise TestError(
                f"{self.args[self.i - 1] if self.i else self.args[0]}: unexpected operator"
            )
        return v

    def oexpr(self) -> bool:
        v = self.aexpr()
        while self.more() and self.args[self.i] == "-o":
            self.i += 1
            r = self.aexpr() if self.more() else False
            v = v or r
        return v

    def aexpr(self) -> bool:
        v = self.nexpr()
        while self.more() and self.args[self.i] == "-a":
            self.i += 1
            r = self.nexpr() if self.more() else False
            v = v and r
        return v

    def nexpr(self) -> bool:
        a = self.args
        if a[self.i] == "!" and self.more(1) and not (self.more(2) and a[self.i + 1] in _BINARY):
            self.i += 1
            return not self.nexpr()
        return self.primary()

    def primary(self) -> bool:
        a = self.args
        tok = a[self.i]
        if (
            tok == "("
            and self.more(1)
            and not (self.more(2) and a[self.i + 1] in _BINARY and not self.more(3))
        ):
            self.i += 1
            v = self.oexpr()
            if not self.more() or a[self.i] != ")":
                raise TestError("closing paren expected")
            self.i += 1
            return v
        if self.more(1) and a[self.i + 1] in _BINARY:
            if not self.more(2):
                raise TestError(f"{a[self.i + 1]}: argument expected")
            lhs, op, rhs = a[self.i], a[self.i + 1], a[self.i + 2]
            self.i += 3
            return self.binary(lhs, op, rhs)
        if tok in _UNARY and self.more(1):
            self.i += 2
            return self.unary(tok, a[self.i - 1])
        self.i += 1
        return tok != ""


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _number(s: str) -> int:
    if not _INTRE.match(s) or not _INT_MIN <= int(s) <= _INT_MAX:
        raise TestError(f"Illegal number: {s}")
    return int(s)


class _GnuTest(_Ops):
    """GNU's evaluation: POSIX's rules by argument count, then the full grammar."""

    gnu = True

    def beyond(self) -> TestError:
        return TestError(f"missing argument after '{self.args[-1]}'")

    def run(self) -> bool:
        a = self.args
        if not a:
            return False
        v = self.posix(len(a))
        if self.more():
            raise TestError(f"extra argument '{a[self.i]}'")
        return v

    def posix(self, n: int) -> bool:
        """Evaluate the next ``n`` arguments by POSIX's rules for their count."""
        a, i = self.args, self.i
        if n == 1:
            self.i += 1
            return a[i] != ""
        if n == 2:
            return self.two()
        if n == 3:
            return self.three()
        if n == 4 and a[i] == "!":
            self.i += 1
            return not self.three()
        if n == 4 and a[i] == "(" and a[i + 3] == ")":
            self.i += 1
            v = self.two()
            self.i += 1
            return v
        return self.oexpr()

    def two(self) -> bool:
        a, i = self.args, self.i
        if a[i] == "!":
            self.i += 2
            return a[i + 1] == ""
        if len(a[i]) == 2 and a[i][0] == "-":
            if a[i] not in _GNU_UNARY:
                raise TestError(f"'{a[i]}': unary operator expected")
            self.i += 2
            return self.unary(a[i], a[i + 1])
        raise self.beyond()

    def three(self) -> bool:
        a, i = self.args, self.i
        if a[i + 1] in _GNU_BINARY:
            self.i += 3
            return self.binary(a[i], a[i + 1], a[i + 2])
        if a[i] == "!":
            self.i += 1
            return not self.two()
        if a[i] == "(" and a[i + 2] == ")":
            self.i += 3
            return a[i + 1] != ""
        if a[i + 1] in ("-a", "-o"):
            return self.oexpr()
        raise TestError(f"'{a[i + 1]}': binary operator expected")

    def oexpr(self) -> bool:
        v = self.aexpr()
        while self.more() and self.args[self.i] == "-o":
            self.i += 1
            r = self.aexpr()
            v = v or r
        return v

    def aexpr(self) -> bool:
        v = self.term()
        while self.more() and self.args[self.i] == "-a":
            self.i += 1
            r = self.term()
            v = v and r
        return v

    def term(self) -> bool:
        a = self.args
        negated = False
        if not self.more():
            raise self.beyond()
        while a[self.i] == "!":
            negated = not negated
            self.i += 1
            if not self.more():
                raise self.beyond()
        tok = a[self.i]
        if tok == "(":
            self.i += 1
            if not self.more():
                raise self.beyond()
            # Up to four arguments before the first ")" follow POSIX's rules.
            n = 1
            while self.more(n) and a[self.i + n] != ")":
                if n == 4:
                    n = len(a) - self.i
                    break
                n += 1
            v = self.posix(n)
            if not self.more():
                raise TestError("')' expected")
            if a[self.i] != ")":
                raise TestError(f"')' expected, found '{a[self.i]}'")
            self.i += 1
        elif self.more(2) and a[self.i + 1] in _GNU_BINARY:
            v = self.binary(tok, a[self.i + 1], a[self.i + 2])
            self.i += 3
        elif tok in _GNU_UNARY:
            if not self.more(1):
                raise self.beyond()
            v = self.unary(tok, a[self.i + 1])
            self.i += 2
        else:
            v = tok != ""
            self.i += 1
        return v != negated


def evaluate_test(vos: Any, argv: list[str], gnu: bool = False) -> int:
    """Run ``test``/``[`` with ``argv`` (argv[0] is the name); 0, 1, or
    ``TestError`` for a usage error (status 2). ``gnu`` selects GNU's rules."""
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            raise TestError("missing ']'" if gnu else "missing ]")
        args = args[:-1]
    t = _GnuTest(vos, args) if gnu else _Test(vos, args)
    return 0 if t.run() else 1


@program("test", "[")
def test_main(ctx: Context) -> int:
    """The ``test`` and ``[`` programs (GNU coreutils')."""
    argv = list(ctx.argv)
    argv[0] = ctx.name
    if argv[0] == "[" and argv[1:] in (["--help"], ["--version"]):
        if argv[1] == "--version":
            ctx.stdout.write(b"[ (GNU coreutils) 9.1\n")
        else:
            ctx.stdout.write(b"Usage: test EXPRESSION\n  or:  test\n  or:  [ EXPRESSION ]\n")
        return 0
    try:
        return evaluate_test(ctx.os, argv, gnu=True)
    except TestError as e:
        ctx.error(str(e))
        return 2
