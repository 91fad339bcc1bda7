"""dash 0.5.12's builtins: control flow, variables, options, ``eval`` and ``.``.

``BUILTINS`` maps a name to ``fn(shell, argv) -> status``; ``SPECIAL`` names
the POSIX special builtins (their errors end a non-interactive shell, their
variable assignments persist). The rest of the builtins live in
``builtins_sys.py`` (directories, processes, traps, ``read``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .arith import ArithError, parse_number
from .parser import Parser, ShSyntaxError
from .printf import PrintfError, echo_bytes, run_printf
from .sherrors import BreakLoop, ContinueLoop, ExitShell, ReturnFunc, ShError
from .testexpr import TestError, evaluate_test

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["BUILTINS", "SPECIAL", "Builtin", "getopts_simple", "number", "shell_quote"]

Builtin = Callable[["Shell", list[str]], int]
BUILTINS: dict[str, Builtin] = {}
SPECIAL = frozenset(
    (
        ". : break continue eval exec exit export local readonly return set shift times trap unset"
    ).split()
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
LONG_OPTS = [
    ("errexit", "e"),
    ("noglob", "f"),
    ("ignoreeof", ""),
    ("interactive", ""),
    ("monitor", ""),
    ("noexec", "n"),
    ("stdin", ""),
    ("xtrace", "x"),
    ("verbose", "v"),
    ("vi", ""),
    ("emacs", ""),
    ("noclobber", "C"),
    ("allexport", "a"),
    ("notify", "b"),
    ("nounset", "u"),
    ("privileged", ""),
    ("nolog", ""),
    ("debug", ""),
]


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def reg(fn: Builtin) -> Builtin:
        for n in names:
            BUILTINS[n] = fn
        return fn

    return reg


_NUMBER = re.compile(r"\s*((?:\+|-(?=0+\s*$))?[0-9]+)\s*", re.ASCII)


def number(text: str) -> int:
    """A decimal argument in 0..INT_MAX (blanks and a sign allowed around it),
    or dash's ``Illegal number: X``."""
    m = _NUMBER.fullmatch(text)
    if m is None or int(m.group(1)) > 0x7FFFFFFF:
        raise ShError(f"Illegal number: {text}")
    return int(m.group(1))


def shell_quote(value: str) -> str:
    """Quote as dash's ``set``/``export -p`` do: '...' with '"'"' for quotes."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def getopts_simple(argv: list[str], letters: str) -> tuple[set[str], list[str]]:
    """Parse leading ``-x`` options (dash's ``nextopt``): ``Illegal option -q``."""
    opts: set[str] = set()
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        for c in a[1:]:
            if c not in letters:
                raise ShError(f"Illegal option -{c}")
            opts.add(c)
        i += 1
    return opts, argv[i:]


def _err(sh: Shell, msg: str) -> None:
    sh.ctx.flush()
    sh.os.write(2, (msg + "\n").encode("utf-8", "surrogateescape"))


def _out(sh: Shell, data: bytes) -> None:
    sh.ctx.stdout.write(data)


@builtin(":", "true")
def b_true(sh: Shell, argv: list[str]) -> int:
    return 0


@builtin("false")
def b_false(sh: Shell, argv: list[str]) -> int:
    return 1


@builtin("echo")
def b_echo(sh: Shell, argv: list[str]) -> int:
    try:
        _out(sh, echo_bytes(argv[1:]))
        sh.ctx.stdout.flush()
    except OSError as e:
        raise ShError("I/O error") from e
    return 0


@builtin("printf")
def b_printf(sh: Shell, argv: list[str]) -> int:
    def warn(msg: str) -> None:
        sh.message(f"printf: {msg}")

    try:
        data, status = run_printf(argv[1:], warn)
    except PrintfError as e:
        _out(sh, e.output)
        raise ShError(str(e)) from None
    _out(sh, data)
    return status


@builtin("test", "[")
def b_test(sh: Shell, argv: list[str]) -> int:
    try:
        return evaluate_test(sh.os, argv)
    except TestError as e:
        raise ShError(str(e)) from None


@builtin("exit")
def b_exit(sh: Shell, argv: list[str]) -> int:
    status = number(argv[1]) if len(argv) > 1 else sh.status
    raise ExitShell(status & 0xFF)


@builtin("return")
def b_return(sh: Shell, argv: list[str]) -> int:
    status = number(argv[1]) if len(argv) > 1 else sh.status
    raise ReturnFunc(status)  # dash keeps the whole value in $?


def _loopctl(sh: Shell, argv: list[str], exc: type[BreakLoop] | type[ContinueLoop]) -> int:
    n = number(argv[1]) if len(argv) > 1 else 1
    if n == 0:
        raise ShError(f"Illegal number: {argv[1]}")
    if sh.loop_depth == 0:
        return 0
    raise exc(min(n, sh.loop_depth))


@builtin("break")
def b_break(sh: Shell, argv: list[str]) -> int:
    return _loopctl(sh, argv, BreakLoop)


@builtin("continue")
def b_continue(sh: Shell, argv: list[str]) -> int:
    return _loopctl(sh, argv, ContinueLoop)


@builtin("shift")
def b_shift(sh: Shell, argv: list[str]) -> int:
    n = number(argv[1]) if len(argv) > 1 else 1
    if n > len(sh.positional):
        raise ShError("can't shift that many")
    sh.positional = sh.positional[n:]
    return 0


def _set_option(sh: Shell, letter: str, on: bool) -> None:
    sh.opts[letter] = on


@builtin("set")
def b_set(sh: Shell, argv: list[str]) -> int:
    if len(argv) == 1:
        for name in sorted(sh.vars):
            _out(sh, f"{name}={shell_quote(sh.vars[name])}\n".encode("utf-8", "surrogateescape"))
        return 0
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            sh.positional = argv[i + 1 :]
            return 0
        if a in ("-", "+"):
            i += 1
            break
        if a[0] not in "-+":
            break
        on = a[0] == "-"
        for c in a[1:]:
            if c == "o":
                i += 1
                if i >= len(argv):
                    _print_options(sh, on)
                    return 0
                names = dict(LONG_OPTS)
                if argv[i] not in names:
                    raise ShError(f"Illegal option -o {argv[i]}")
                if names[argv[i]]:
                    _set_option(sh, names[argv[i]], on)
            elif c in sh.opts:
                _set_option(sh, c, on)
            else:
                raise ShError(f"Illegal option {a[0]}{c}")
        i += 1
    if i < len(argv) or (i == len(argv) and argv[i - 1] in ("-", "+") and len(argv) > 1):
        sh.positional = argv[i:]
    return 0


def _print_options(sh: Shell, on: bool) -> None:
    if on:
        lines = ["Current option settings"]
        for name, letter in LONG_OPTS:
            state = "on" if letter and sh.opts.get(letter) else "off"
            lines.append(f"{name:<16}{state}")
    else:
        lines = [
            f"set {'-' if letter and sh.opts.get(letter) else '+'}o {name}"
            for name, letter in LONG_OPTS
        ]
    _out(sh, ("\n".join(lines) + "\n").encode())


@builtin("unset")
def b_unset(sh: Shell, argv: list[str]) -> int:
    opts, names = getopts_simple(argv, "fv")
    for name in names:
        if "f" in opts:
            sh.functions.pop(name, None)
        else:
            sh.unset_var(name)
    return 0


def _assign_args(sh: Shell, argv: list[str], flag: str) -> int:
    opts, args = getopts_simple(argv, "p")
    target = sh.exported if flag == "export" else sh.readonly
    if not args:
        for name in sorted(target):
            if name in sh.vars:
                line = f"{flag} {name}={shell_quote(sh.vars[name])}\n"
            else:
                line = f"{flag} {name}\n"
            _out(sh, line.encode("utf-8", "surrogateescape"))
        return 0
    for a in args:
        name, eq, value = a.partition("=")
        if not _NAME.match(name):
            raise ShError(f"{name}: bad variable name")
        if eq:
            sh.set_var(name, value)
        target.add(name)
    return 0


@builtin("export")
def b_export(sh: Shell, argv: list[str]) -> int:
    return _assign_args(sh, argv, "export")


@builtin("readonly")
def b_readonly(sh: Shell, argv: list[str]) -> int:
    return _assign_args(sh, argv, "readonly")


@builtin("local")
def b_local(sh: Shell, argv: list[str]) -> int:
    if not sh.locals or sh.func_depth == 0:
        raise ShError("not in a function")
    for a in argv[1:]:
        name, eq, value = a.partition("=")
        if a == "-":
            continue
        if not _NAME.match(name):
            raise ShError(f"{name}: bad variable name")
        sh.make_local(name)
        if eq:
            sh.set_var(name, value)
    return 0


def run_string(sh: Shell, src: str, prefix: str) -> int:
    """Parse and run ``src`` in this shell (``eval``, ``.``)."""
    parser = Parser(src)
    status = 0
    while True:
        try:
            cmd = parser.next_command()
        except ShSyntaxError as e:
            raise ShError(f"{prefix}{e}") from None
        if cmd is None:
            return status
        status = sh.run(cmd)


@builtin("eval")
def b_eval(sh: Shell, argv: list[str]) -> int:
    src = " ".join(argv[1:])
    if not src.strip():
        return 0
    return run_string(sh, src + "\n", "")


@builtin(".")
def b_dot(sh: Shell, argv: list[str]) -> int:
    if len(argv) < 2:
        return 0
    name = argv[1]
    path = name
    if "/" not in name:
        for d in sh.vars.get("PATH", "").split(":"):
            cand = f"{d}/{name}" if d else name
            if sh.os.path.isfile(cand):
                path = cand
                break
    try:
        with sh.os.open_file(path, "rb") as f:
            src = f.read().decode("utf-8", "surrogateescape")
    except OSError as e:
        from .redirect import errmsg

        raise ShError(f"cannot open {name}: {errmsg(e, 'open')}") from None
    saved_pos = sh.positional
    if len(argv) > 2:
        sh.positional = argv[2:]
    sh.dot_depth += 1
    try:
        return run_string(sh, src, "")
    except ReturnFunc as r:
        if sh.func_depth and sh.dot_depth == 0:
            raise
        return r.status
    finally:
        sh.dot_depth -= 1
        if len(argv) > 2:
            sh.positional = saved_pos


@builtin("times")
def b_times(sh: Shell, argv: list[str]) -> int:
    t = sh.os.times()

    def fmt(s: float) -> str:
        return f"{int(s // 60)}m{s % 60:.6f}s"

    _out(
        sh,
        f"{fmt(t.user)} {fmt(t.system)}\n{fmt(t.children_user)} "
        f"{fmt(t.children_system)}\n".encode(),
    )
    return 0


@builtin("getopts")
def b_getopts(sh: Shell, argv: list[str]) -> int:
    if len(argv) < 3:
        raise ShError("usage: getopts optstring var [arg]")
    optstring, var = argv[1], argv[2]
    args = argv[3:] if len(argv) > 3 else list(sh.positional)
    try:
        optind = int(sh.vars.get("OPTIND", "1") or "1")
    except ValueError:
        optind = 1
    state_ind, sub = sh.getopts_state
    if state_ind != optind:
        sub = 1
    silent = optstring.startswith(":")
    if silent:
        optstring = optstring[1:]
    sh.vars.pop("OPTARG", None)

    def done() -> int:
        sh.set_var(var, "?")
        sh.set_var("OPTIND", str(optind))
        sh.getopts_state = (optind, 1)
        return 1

    if optind - 1 >= len(args):
        return done()
    arg = args[optind - 1]
    if sub == 1:
        if arg == "--":
            optind += 1
            return done()
        if not arg.startswith("-") or arg == "-":
            return done()
    c = arg[sub]
    sub += 1
    if sub >= len(arg):
        optind += 1
        sub = 1
    idx = optstring.find(c) if c != ":" else -1
    if idx < 0:
        if silent:
            sh.set_var("OPTARG", c)
        else:
            _err(sh, f"Illegal option -{c}")
        sh.set_var(var, "?")
    elif idx + 1 < len(optstring) and optstring[idx + 1] == ":":
        if sub > 1:
            sh.set_var("OPTARG", arg[sub:])
            optind += 1
            sub = 1
        elif optind - 1 < len(args):
            sh.set_var("OPTARG", args[optind - 1])
            optind += 1
        else:
            if silent:
                sh.set_var("OPTARG", c)
                sh.set_var(var, ":")
            else:
                _err(sh, f"No arg for -{c} option")
                sh.set_var(var, "?")
            sh.set_var("OPTIND", str(optind))
            sh.getopts_state = (optind, sub)
            return 0
        sh.set_var(var, c)
    else:
        sh.set_var(var, c)
    sh.set_var("OPTIND", str(optind))
    sh.getopts_state = (optind, sub)
    return 0


_ = (ArithError, parse_number)

from . import builtins_sys  # noqa: E402,F401  (registers the rest)
