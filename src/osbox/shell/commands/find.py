"""find: walk directory trees evaluating an expression (GNU findutils 4.9).

Directory entries are visited in readdir order (``scandir`` order, never
sorted), pre-order unless -depth/-delete. Without an action the expression
is ``( EXPR ) -print``. Tests: -name -iname -path -ipath -wholename -regex
-type -size -perm -empty -newer -mtime -mmin -user -group -uid -gid -links
-inum -true -false; actions: -print -print0 -printf -exec/-execdir (``;``
and ``+``) -delete -prune -quit. Exit status 1 if any error was reported.
"""

from __future__ import annotations

import re
import stat
import time
from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._names import Names
from ._quote import BACKSLASH_ESCAPES, cquote
from .findexpr import FindError, Node, Options, glob_regex, parse_perm, parse_size
from .runcmd import run_command


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class _Entry:
    __slots__ = ("path", "depth", "start", "_st", "finder")

    def __init__(self, finder: _Find, path: str, depth: int, start: str) -> None:
        self.finder = finder
        self.path = path
        self.depth = depth
        self.start = start
        self._st: Any = None

    @property
    def name(self) -> str:
        p = self.path.rstrip("/")
        return p.rsplit("/", 1)[-1] if p else "/"

    @property
    def st(self) -> Any:
        if self._st is None:
            vos = self.finder.ctx.os
            try:
                self._st = vos.stat(self.path) if self.finder.follow(self) else vos.lstat(self.path)
            except OSError:
                self._st = vos.lstat(self.path)
        return self._st


class _Quit(Exception):
    pass


class _Find:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.status = 0
        self.opts = Options()
        self.prune = False
        self.out = ctx.stdout
        self.now = time.time()
        self.names = Names(ctx.os)

    def follow(self, e: _Entry) -> bool:
        return self.opts.follow or (self.cmdline_follow and e.depth == 0)

    cmdline_follow = False

    def error(self, msg: str) -> None:
        self.ctx.error(msg)
        self.status = 1

    # -- parsing -----------------------------------------------------------------------
    def parse(self, args: list[str]) -> Node:
        self.args = args
        self.i = 0
        if not args:
            node = Node(lambda e: True)
        else:
            node = self.parse_list()
            if self.i < len(args):
                a = args[self.i]
                if a == ")":
                    raise FindError("invalid expression; you have too many ')'")
                raise FindError(f"paths must precede expression: `{a}'")
        if not node.has_action:
            inner = node.fn
            pr = self.action_print("\n")

            def implicit(e: Any) -> bool:
                return inner(e) and pr(e)

            node = Node(implicit, True)
        return node

    def peek(self) -> str | None:
        return self.args[self.i] if self.i < len(self.args) else None

    def need_operand(self, op: str) -> None:
        """GNU's error when operator ``op`` has no expression after it."""
        p = self.peek()
        if p is None:
            raise FindError(f"expected an expression after '{op}'")
        if p == ")":
            raise FindError(f"expected an expression between '{op}' and ')'")

    def parse_list(self) -> Node:
        left = self.parse_or()
        while self.peek() == ",":
            self.i += 1
            self.need_operand(",")
            right = self.parse_or()
            lf, rf = left.fn, right.fn

            def comma(e: Any, lf: Any = lf, rf: Any = rf) -> bool:
                lf(e)
                return bool(rf(e))

            left = Node(comma, left.has_action or right.has_action)
        return left

    def parse_or(self) -> Node:
        left = self.parse_and()
        while self.peek() in ("-o", "-or"):
            self.i += 1
            self.need_operand(self.args[self.i - 1])
            right = self.parse_and()
            lf, rf = left.fn, right.fn
            left = Node(_or(lf, rf), left.has_action or right.has_action)
        return left

    def parse_and(self) -> Node:
        left = self.parse_not()
        while True:
            p = self.peek()
            if p in ("-a", "-and"):
                self.i += 1
                self.need_operand(p)
            elif p is None or p in (")", "-o", "-or", ","):
                return left
            right = self.parse_not()
            lf, rf = left.fn, right.fn
            left = Node(_and(lf, rf), left.has_action or right.has_action)

    def parse_not(self) -> Node:
        p = self.peek()
        if p in ("!", "-not"):
            self.i += 1
            self.need_operand(p)
            inner = self.parse_not()
            f = inner.fn
            return Node(lambda e: not f(e), inner.has_action)
        if p == "(":
            self.i += 1
            if self.peek() is None:
                raise FindError(
                    "invalid expression; expected to find a ')' but didn't see one. "
                    "Perhaps you need an extra predicate after '('"
                )
            if self.peek() == ")":
                raise FindError("invalid expression; empty parentheses are not allowed.")
            inner = self.parse_list()
            if self.peek() != ")":
                raise FindError(
                    "invalid expression; I was expecting to find a ')' somewhere "
                    "but did not see one."
                )
            self.i += 1
            return inner
        if p in ("-o", "-or", "-a", "-and", ","):
            raise FindError(
                f"invalid expression; you have used a binary operator '{p}' with nothing before it."
            )
        if p == ")":
            raise FindError("invalid expression; you have too many ')'")
        return self.primary()

    def arg(self, name: str) -> str:
        if self.i >= len(self.args):
            raise FindError(f"missing argument to `{name}'")
        a = self.args[self.i]
        self.i += 1
        return a

    def primary(self) -> Node:
        name = self.args[self.i]
        self.i += 1
        o = self.opts
        if name in ("-maxdepth", "-mindepth"):
            v = self.arg(name)
            if not v.isdigit():
                raise FindError(
                    f"Expected a positive decimal integer argument to {name}, but got {cquote(v)}"
                )
            if name == "-maxdepth":
                o.maxdepth = int(v)
            else:
                o.mindepth = int(v)
            return Node(lambda e: True)
        if name in ("-depth", "-d"):
            o.depth_first = True
            return Node(lambda e: True)
        if name == "-follow":
            o.follow = True
            return Node(lambda e: True)
        if name in ("-xdev", "-mount", "-noleaf", "-ignore_readdir_race", "-nowarn", "-warn"):
            return Node(lambda e: True)
        if name == "-true":
            return Node(lambda e: True)
        if name == "-false":
            return Node(lambda e: False)
        if name in ("-name", "-iname"):
            rx = glob_regex(self.arg(name), name == "-iname")
            return Node(lambda e: rx.match(e.name) is not None)
        if name in ("-path", "-ipath", "-wholename", "-iwholename"):
            rx = glob_regex(self.arg(name), name.startswith("-i"))
            return Node(lambda e: rx.match(e.path) is not None)
        if name in ("-regex", "-iregex"):
            from .posixre import PosixRegex, RegexError

            try:
                prx = PosixRegex(self.arg(name), extended=True, icase=name == "-iregex", line=True)
            except RegexError as err:
                raise FindError(str(err)) from None
            return Node(lambda e: prx.search(e.path) is not None)
        if name in ("-type", "-xtype"):
            return self.type_test(name, self.arg(name))
        if name == "-size":
            sign, n, unit = parse_size(self.arg(name))

            def size(e: Any) -> bool:
                units = -(-e.st.st_size // unit)
                return bool(units > n if sign == "+" else units < n if sign == "-" else units == n)

            return Node(size)
        if name == "-perm":
            kind, bits = parse_perm(self.arg(name))

            def perm(e: Any) -> bool:
                m = stat.S_IMODE(e.st.st_mode)
                if kind == "-":
                    return m & bits == bits
                if kind in ("/", "+"):
                    return bits == 0 or m & bits != 0
                return m == bits

            return Node(perm)
        if name == "-empty":
            return Node(self.empty)
        if name in ("-newer", "-anewer", "-cnewer"):
            ref = self.arg(name)
            try:
                rst = self.ctx.os.stat(ref)
            except OSError as err:
                raise FindError(f"{cquote(ref)}: {strerror(err)}") from None
            attr = {"-newer": "st_mtime_ns", "-anewer": "st_atime_ns", "-cnewer": "st_ctime_ns"}
            a = attr[name]
            rt = rst.st_mtime_ns
            return Node(lambda e: getattr(e.st, a) > rt)
        if name in ("-mtime", "-atime", "-ctime", "-mmin", "-amin", "-cmin"):
            return self.time_test(name, self.arg(name))
        if name in ("-uid", "-gid", "-links", "-inum", "-user", "-group"):
            return self.number_test(name, self.arg(name))
        if name in ("-nouser", "-nogroup"):
            if name == "-nouser":
                return Node(lambda e: self.names.user_name(e.st.st_uid) is None)
            return Node(lambda e: self.names.group_name(e.st.st_gid) is None)
        if name in ("-readable", "-writable", "-executable"):
            mode = {"-readable": 4, "-writable": 2, "-executable": 1}[name]
            return Node(lambda e: bool(self.ctx.os.access(e.path, mode)))
        if name in ("-print", "-print0"):
            return Node(self.action_print("\n" if name == "-print" else "\0"), True)
        if name == "-printf":
            fmt = self.arg(name)
            return Node(lambda e: self.printf(e, fmt), True)
        if name == "-prune":
            return Node(self.do_prune)
        if name == "-quit":
            return Node(self.do_quit, True)
        if name == "-delete":
            o.depth_first = True
            return Node(self.delete, True)
        if name in ("-exec", "-execdir", "-ok", "-okdir"):
            return self.exec_action(name)
        if name in ("-L", "-H", "-P"):
            raise FindError(f"unknown predicate `{name}'")
        if name.startswith("-") and len(name) > 1:
            raise FindError(f"unknown predicate `{name}'")
        raise FindError(f"paths must precede expression: `{name}'")

    def type_test(self, name: str, arg: str) -> Node:
        fmts = {
            "f": stat.S_IFREG,
            "d": stat.S_IFDIR,
            "l": stat.S_IFLNK,
            "b": stat.S_IFBLK,
            "c": stat.S_IFCHR,
            "p": stat.S_IFIFO,
            "s": stat.S_IFSOCK,
        }
        want: set[int] = set()
        for t in arg.split(","):
            if t not in fmts:
                if len(t) != 1:
                    raise FindError(f"Must separate multiple arguments to {name} using: ','")
                raise FindError(f"Unknown argument to {name}: {t}")
            want.add(fmts[t])
        vos = self.ctx.os

        def typ(e: Any) -> bool:
            st = e.st
            if name == "-xtype":
                try:
                    st = vos.stat(e.path) if not self.follow(e) else vos.lstat(e.path)
                except OSError:
                    st = e.st
            return stat.S_IFMT(st.st_mode) in want

        return Node(typ)

    def time_test(self, name: str, arg: str) -> Node:
        m = re.fullmatch(r"([+-]?)(\d+)", arg)
        if m is None:
            raise FindError(f"invalid argument `{arg}' to `{name}'")
        sign, n = m.group(1), int(m.group(2))
        attr = {"m": "st_mtime", "a": "st_atime", "c": "st_ctime"}[name[1]]
        unit = 60 if name.endswith("min") else 86400

        def t(e: Any) -> bool:
            age = self.now - getattr(e.st, attr)
            if unit == 60:
                v = -(-age // 60) if age > 0 else age // 60
            else:
                v = age // 86400
            return bool(v > n if sign == "+" else v < n if sign == "-" else v == n)

        return Node(t)

    def number_test(self, name: str, arg: str) -> Node:
        if name in ("-user", "-group"):
            if name == "-user":
                found = self.names.user(arg)
                ident = found[0] if found is not None else None
            else:
                ident = self.names.group(arg)
            if ident is None:
                if not arg.isdigit():
                    kind = "a known user" if name == "-user" else "an existing group"
                    raise FindError(f"{cquote(arg)} is not the name of {kind}")
                ident = int(arg)
            attr = "st_uid" if name == "-user" else "st_gid"
            return Node(lambda e: getattr(e.st, attr) == ident)
        m = re.fullmatch(r"([+-]?)(\d+)", arg)
        if m is None:
            raise FindError(f"invalid argument `{arg}' to `{name}'")
        sign, n = m.group(1), int(m.group(2))
        attr = {"-uid": "st_uid", "-gid": "st_gid", "-links": "st_nlink", "-inum": "st_ino"}[name]

        def num(e: Any) -> bool:
            v = getattr(e.st, attr)
            return bool(v > n if sign == "+" else v < n if sign == "-" else v == n)

        return Node(num)

    # -- tests and actions ---------------------------------------------------------------
    def empty(self, e: Any) -> bool:
        st = e.st
        if stat.S_ISREG(st.st_mode):
            return bool(st.st_size == 0)
        if stat.S_ISDIR(st.st_mode):
            try:
                with self.ctx.os.scandir(e.path) as it:
                    return next(iter(it), None) is None
            except OSError as err:
                self.error(f"{cquote(e.path)}: {strerror(err)}")
        return False

    def action_print(self, end: str) -> Any:
        out = self.out
        tail = end.encode()

        def pr(e: Any) -> bool:
            out.write(_b(e.path) + tail)
            return True

        return pr

    def do_prune(self, e: Any) -> bool:
        if not self.opts.depth_first:
            self.prune = True
        return True

    def do_quit(self, e: Any) -> bool:
        raise _Quit

    def delete(self, e: Any) -> bool:
        vos = self.ctx.os
        if e.path in (".", "./"):
            return True
        try:
            if stat.S_ISDIR(e.st.st_mode):
                vos.rmdir(e.path)
            else:
                vos.unlink(e.path)
        except OSError as err:
            self.error(f"cannot delete {cquote(e.path)}: {strerror(err)}")
            return False
        return True

    def exec_action(self, name: str) -> Node:
        start = self.i
        cmd: list[str] = []
        while True:
            if self.i >= len(self.args):
                raise FindError(f"missing argument to `{name}'")
            a = self.args[self.i]
            self.i += 1
            if a == ";":
                break
            if a == "+" and cmd and cmd[-1] == "{}":
                plus: list[Any] = [cmd[:-1], [], name.endswith("dir"), None]
                if len(cmd) == 1:
                    raise FindError(f"missing argument to `{name}'")
                self.opts.execs_plus.append(plus)

                def batch(e: Any, plus: list[Any] = plus) -> bool:
                    if plus[2] and plus[3] != self.exec_dir(e):
                        self.flush_plus(plus)
                        plus[3] = self.exec_dir(e)
                    plus[1].append(self.exec_path(e, plus[2]))
                    if len(plus[1]) >= 2048:
                        self.flush_plus(plus)
                    return True

                return Node(batch, True)
            cmd.append(a)
        if not cmd or start == self.i - 1:
            raise FindError(f"missing argument to `{name}'")
        indir = name.endswith("dir")

        def run(e: Any) -> bool:
            p = self.exec_path(e, indir)
            argv = [a.replace("{}", p) for a in cmd]
            status, _sig = run_command(self.ctx, argv, self.exec_dir(e) if indir else None)
            return status == 0

        return Node(run, True)

    @staticmethod
    def exec_dir(e: Any) -> str:
        p = str(e.path).rstrip("/")
        return p.rsplit("/", 1)[0] or "/" if "/" in p else "."

    @staticmethod
    def exec_path(e: Any, indir: bool) -> str:
        if not indir:
            return str(e.path)
        return "./" + str(e.name)

    def flush_plus(self, plus: list[Any]) -> None:
        if not plus[1]:
            return
        argv = plus[0] + plus[1]
        plus[1] = []
        status, _sig = run_command(self.ctx, argv, plus[3])
        if status != 0:
            self.status = 1

    def printf(self, e: Any, fmt: str) -> bool:
        out: list[str] = []
        i = 0
        esc = BACKSLASH_ESCAPES
        while i < len(fmt):
            c = fmt[i]
            i += 1
            if c == "\\" and i < len(fmt):
                out.append(esc.get(fmt[i], "\\" + fmt[i]))
                i += 1
            elif c == "%" and i < len(fmt):
                m = re.match(r"([-+ #0]*\d*(?:\.\d+)?)([a-zA-Z%])", fmt[i:])
                if m is None:
                    out.append("%")
                    continue
                i += m.end()
                spec, d = m.group(1), m.group(2)
                val = self.directive(e, d)
                out.append(("%" + spec + "s") % val if spec else val)
            else:
                out.append(c)
        self.out.write(_b("".join(out)))
        return True

    def directive(self, e: Any, d: str) -> str:
        vos = self.ctx.os
        path: str = e.path
        if d == "%":
            return "%"
        if d == "p":
            return path
        if d == "f":
            return str(e.name)
        if d == "h":
            p = path.rstrip("/")
            return p.rsplit("/", 1)[0] if "/" in p else "."
        if d == "P":
            return path[len(e.start) :].lstrip("/") if e.depth else ""
        if d == "H":
            return str(e.start)
        if d == "d":
            return str(e.depth)
        st = e.st
        if d == "s":
            return str(st.st_size)
        if d == "m":
            return f"{stat.S_IMODE(st.st_mode):o}"
        if d == "M":
            return stat.filemode(st.st_mode)
        if d in ("y", "Y"):
            if d == "Y":
                try:
                    st = vos.stat(path)
                except OSError:
                    return "N"
            return "fdlbcps"[
                [
                    stat.S_IFREG,
                    stat.S_IFDIR,
                    stat.S_IFLNK,
                    stat.S_IFBLK,
                    stat.S_IFCHR,
                    stat.S_IFIFO,
                    stat.S_IFSOCK,
                ].index(stat.S_IFMT(st.st_mode))
            ]
        if d == "l":
            return str(vos.readlink(path)) if stat.S_ISLNK(st.st_mode) else ""
        if d in ("u", "g"):
            ident = st.st_uid if d == "u" else st.st_gid
            nm = self.names.user_name(ident) if d == "u" else self.names.group_name(ident)
            return nm if nm is not None else str(ident)
        if d in ("U", "G", "i", "n"):
            attr = {"U": "st_uid", "G": "st_gid", "i": "st_ino", "n": "st_nlink"}[d]
            return str(getattr(st, attr))
        if d in ("t", "a", "c"):
            attr = {"t": "st_mtime", "a": "st_atime", "c": "st_ctime"}[d]
            return time.strftime("%a %b %e %H:%M:%S.0000000000 %Y", time.gmtime(getattr(st, attr)))
        if d == "k":
            return str((st.st_blocks + 1) // 2)
        if d == "b":
            return str(st.st_blocks)
        return "%" + d

    # -- traversal -----------------------------------------------------------------------
    def walk(self, top: str, expr: Node) -> None:
        vos = self.ctx.os
        try:
            vos.lstat(top)
        except OSError as err:
            self.error(f"{cquote(top)}: {strerror(err)}")
            return
        self.start = top
        self.visit(_Entry(self, top, 0, top), expr)

    def visit(self, e: _Entry, expr: Node) -> None:
        o = self.opts
        vos = self.ctx.os
        try:
            st = e.st
        except OSError as err:
            self.error(f"{cquote(e.path)}: {strerror(err)}")
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        descend = is_dir and (o.maxdepth < 0 or e.depth < o.maxdepth)
        if not o.depth_first and e.depth >= o.mindepth:
            self.prune = False
            expr.fn(e)
            if self.prune:
                descend = False
        if descend:
            try:
                names = [d.name for d in vos.scandir(e.path)]
            except OSError as err:
                self.error(f"{cquote(e.path)}: {strerror(err)}")
                names = []
            base = e.path if e.path.endswith("/") else e.path + "/"
            for name in names:
                self.visit(_Entry(self, base + name, e.depth + 1, e.start), expr)
        if o.depth_first and e.depth >= o.mindepth:
            expr.fn(e)


def _or(lf: Any, rf: Any) -> Any:
    return lambda e: bool(lf(e) or rf(e))


def _and(lf: Any, rf: Any) -> Any:
    return lambda e: bool(lf(e) and rf(e))


@program("find")
def main(ctx: Context) -> int:
    args = ctx.argv[1:]
    f = _Find(ctx)
    i = 0
    while i < len(args) and args[i] in ("-L", "-H", "-P"):
        f.opts.follow = args[i] == "-L"
        f.cmdline_follow = args[i] == "-H"
        i += 1
    if i < len(args) and args[i] == "--":
        i += 1
    paths: list[str] = []
    while (
        i < len(args)
        and not (args[i].startswith("-") and len(args[i]) > 1)
        and args[i] not in ("(", "!")
    ):
        paths.append(args[i])
        i += 1
    try:
        expr = f.parse(args[i:])
    except FindError as e:
        ctx.error(str(e))
        return 1
    follow_all = f.opts.follow
    f.opts.follow = follow_all
    try:
        for p in paths or ["."]:
            if p == "":
                f.error("'': No such file or directory")
                continue
            f.walk(p, expr)
    except _Quit:
        pass
    for plus in f.opts.execs_plus:
        f.flush_plus(plus)
    return f.status
