"""``test`` and ``[`` as dash 0.5.12's builtin, and the ``test``/``[`` programs.

Grammar (test(1)): ``expr -o expr``, ``expr -a expr``, ``! expr``,
``( expr )``, unary file and string tests, binary string, integer and file
comparisons. Errors are dash's: ``X: unexpected operator``, ``X: argument
expected``, ``Illegal number: X``, ``missing ]`` (status 2).
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
_INTRE = re.compile(r"\s*[-+]?[0-9]+\s*\Z")


class TestError(Exception):
    """A usage error; ``str()`` is dash's message."""


class _Test:
    def __init__(self, vos: Any, args: list[str]) -> None:
        self.vos = vos
        self.args = args
        self.i = 0

    def more(self, k: int = 0) -> bool:
        return self.i + k < len(self.args)

    def run(self) -> bool:
        if not self.args:
            return False
        v = self.oexpr()
        if self.more():
            raise TestError(
                f"{self.args[self.i - 1] if self.i else self.args[0]}: unexpected operator"
            )
        return v

    def oexpr(self) -> bool:
        v = self.aexpr()
        while self.more(1) and self.args[self.i] == "-o":
            self.i += 1
            r = self.aexpr()
            v = v or r
        return v

    def aexpr(self) -> bool:
        v = self.nexpr()
        while self.more(1) and self.args[self.i] == "-a":
            self.i += 1
            r = self.nexpr()
            v = v and r
        return v

    def nexpr(self) -> bool:
        if self.args[self.i] == "!" and self.more(1):
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
            try:
                return bool(self.vos.isatty(_number(arg)))
            except OSError:
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
        if op == "=":
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
        x, y = _number(lhs), _number(rhs)
        return {
            "-eq": x == y,
            "-ne": x != y,
            "-gt": x > y,
            "-ge": x >= y,
            "-lt": x < y,
            "-le": x <= y,
        }[op]


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _number(s: str) -> int:
    if not _INTRE.match(s):
        raise TestError(f"Illegal number: {s}")
    return int(s)


def evaluate_test(vos: Any, argv: list[str]) -> int:
    """Run ``test``/``[`` with ``argv`` (argv[0] is the name); 0, 1, or
    ``TestError`` for a usage error (status 2)."""
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            raise TestError("missing ]")
        args = args[:-1]
    return 0 if _Test(vos, args).run() else 1


@program("test", "[")
def test_main(ctx: Context) -> int:
    """The ``test`` and ``[`` programs."""
    argv = list(ctx.argv)
    argv[0] = ctx.name
    if argv[0] == "[" and argv[1:] in (["--help"], ["--version"]):
        return 0
    try:
        return evaluate_test(ctx.os, argv)
    except TestError as e:
        msg = str(e)
        if msg == "missing ]":
            msg = "missing ']'"
        ctx.error(msg)
        return 2
