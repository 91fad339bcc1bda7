"""dash 0.5.12's builtins that touch the process: ``cd pwd exec trap wait
kill umask command type read hash``.

Messages and statuses as dash prints them (``cd: can't cd to X``,
``read: arg count``, ``X is a shell builtin``...).
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from . import procs
from .builtins import BUILTINS, SPECIAL, builtin, getopts_simple, number, shell_quote
from .external import exec_command, find_command, run_external
from .lexer import RESERVED
from .sherrors import ExitShell, ShError

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["signal_number", "trap_name"]


def _out(sh: Shell, text: str) -> None:
    sh.ctx.stdout.write(text.encode("utf-8", "surrogateescape"))


# -- directories ----------------------------------------------------------------------
@builtin("cd", "chdir")
def b_cd(sh: Shell, argv: list[str]) -> int:
    opts, args = getopts_simple(argv, "LP")
    physical = "P" in opts
    print_dir = False
    if not args:
        target = sh.vars.get("HOME", "")
        if not target:
            raise ShError("HOME not set")
    else:
        target = args[0]
        if target == "-":
            target = sh.vars.get("OLDPWD", "")
            if not target:
                raise ShError("OLDPWD not set")
            print_dir = True
    vos = sh.os
    candidates = [target]
    if not target.startswith("/") and not target.startswith((".", "..")) and "CDPATH" in sh.vars:
        candidates = []
        for d in sh.vars["CDPATH"].split(":"):
            candidates.append(f"{d}/{target}" if d else target)
            if d:
                print_dir = True
        candidates.append(target)
    old = sh.vars.get("PWD") or _getcwd(sh)
    for cand in candidates:
        if physical:
            path = cand
        else:
            base = cand if cand.startswith("/") else f"{old or _getcwd(sh)}/{cand}"
            path = _lognorm(base)
        try:
            vos.chdir(path)
        except OSError:
            continue
        new = _getcwd(sh) if physical else path
        if print_dir or (cand != target and not cand.startswith("./")):
            _out(sh, new + "\n")
        if old is not None:
            sh.vars["OLDPWD"] = old
        sh.vars["PWD"] = new
        return 0
    raise ShError(f"can't cd to {target}")


def _getcwd(sh: Shell) -> str:
    try:
        return str(sh.os.getcwd())
    except OSError:
        return ""


def _lognorm(path: str) -> str:
    parts: list[str] = []
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            continue
        parts.append(comp)
    return "/" + "/".join(parts)


@builtin("pwd")
def b_pwd(sh: Shell, argv: list[str]) -> int:
    opts, _ = getopts_simple(argv, "LP")
    pwd = sh.vars.get("PWD")
    if "P" in opts or not pwd:
        pwd = _getcwd(sh)
    _out(sh, pwd + "\n")
    return 0


# -- processes -------------------------------------------------------------------------
@builtin("exec")
def b_exec(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        return 0
    if find_command(sh, args[0]) is None:
        sh.message(f"exec: {args[0]}: not found")
        raise ExitShell(127)
    raise ExitShell(exec_command(sh, args, sh.environ()))


_SIGNAMES = {
    s.name[3:]: int(s)
    for s in signal.Signals
    if s.name.startswith("SIG") and not s.name.startswith("SIG_")
}
_SIGNAMES.pop("IOT", None)
_SIGNAMES.pop("CLD", None)
_SIGNAMES.pop("POLL", None)
_SIGNUMS = {v: k for k, v in _SIGNAMES.items()}


def signal_number(name: str) -> int | None:
    """A signal by name (``TERM``, ``SIGTERM``) or number; None if unknown."""
    if name.isdigit():
        n = int(name)
        return n if n == 0 or n in _SIGNUMS else None
    up = name.upper()
    if up.startswith("SIG"):
        up = up[3:]
    if up == "EXIT":
        return 0
    return _SIGNAMES.get(up)


def trap_name(n: int) -> str:
    return "EXIT" if n == 0 else _SIGNUMS.get(n, str(n))


@builtin("trap")
def b_trap(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        order = sorted(sh.traps, key=lambda k: signal_number(k) or 0)
        for name in order:
            _out(
                sh,
                f"trap -- {shell_quote(sh.traps[name]) if sh.traps[name] else chr(39) * 2} "
                f"{name}\n",
            )
        return 0
    action: str | None = args[0]
    sigs = args[1:]
    if args[0] == "-" or (args[0].isdigit() and signal_number(args[0]) is not None):
        if args[0] != "-":
            sigs = args
        action = None
    status = 0
    for s in sigs:
        n = signal_number(s)
        if n is None:
            sh.message(f"trap: {s}: bad trap")
            status = 1
            continue
        name = trap_name(n)
        if action is None:
            sh.traps.pop(name, None)
        else:
            sh.traps[name] = action
        if n:
            sh.set_signal_trap(n, action)
    return status


@builtin("wait")
def b_wait(sh: Shell, argv: list[str]) -> int:
    _, args = getopts_simple(argv, "")
    if not args:
        for pid in list(sh.jobs):
            procs.wait_fg(sh.os, pid)
            del sh.jobs[pid]
        return 0
    status = 127
    for a in args:
        if not a.isdigit():
            raise ShError(f"Illegal number: {a}")
        pid = int(a)
        if pid in sh.jobs:
            status = procs.wait_fg(sh.os, pid)
            del sh.jobs[pid]
        else:
            status = 127
    return status


@builtin("kill")
def b_kill(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    sig = signal.SIGTERM.value
    if args and args[0] == "-l":
        if len(args) == 1:
            _out(sh, "\n".join(_SIGNUMS[n] for n in sorted(_SIGNUMS) if n < 32) + "\n")
            return 0
        for a in args[1:]:
            if a.isdigit():
                n = int(a)
                n = n - 128 if n > 128 else n
                if n not in _SIGNUMS:
                    raise ShError(f"invalid signal number or exit status: {a}")
                _out(sh, _SIGNUMS[n] + "\n")
            else:
                n2 = signal_number(a)
                if n2 is None:
                    raise ShError(f"invalid signal number or name: {a}")
                _out(sh, f"{n2}\n")
        return 0
    if args and args[0] in ("-s", "-n"):
        if len(args) < 2:
            raise ShError("option requires an argument")
        n3 = signal_number(args[1])
        if n3 is None:
            raise ShError(f"invalid signal number or name: {args[1]}")
        sig, args = n3, args[2:]
    elif args and args[0].startswith("-") and args[0] != "--" and len(args[0]) > 1:
        n4 = signal_number(args[0][1:])
        if n4 is None:
            raise ShError(f"invalid signal number or name: {args[0][1:]}")
        sig, args = n4, args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        raise ShError(
            "usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]"
        )
    status = 0
    for a in args:
        try:
            pid = int(a)
        except ValueError:
            raise ShError(f"Illegal number: {a}") from None
        try:
            sh.os.kill(pid, sig)
        except OSError as e:
            sh.message(
                f"kill: {sh.os.strerror(e.errno) if hasattr(sh.os, 'strerror') else e.strerror}\n"
            )
            status = 1
    run_handlers = getattr(sh.os, "_run_handlers", None)
    if run_handlers is not None:
        run_handlers()
    return status


@builtin("umask")
def b_umask(sh: Shell, argv: list[str]) -> int:
    opts, args = getopts_simple(argv, "S")
    vos = sh.os
    mask = vos.umask(0)
    vos.umask(mask)
    if not args:
        if "S" in opts:
            perms = []
            for who, shift in (("u", 6), ("g", 3), ("o", 0)):
                bits = (~mask >> shift) & 7
                perms.append(
                    who + "=" + "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if bits & b)
                )
            _out(sh, ",".join(perms) + "\n")
        else:
            _out(sh, f"{mask:04o}\n")
        return 0
    spec = args[0]
    if spec.isdigit():
        if any(c not in "01234567" for c in spec):
            raise ShError(f"Illegal number: {spec}")
        vos.umask(int(spec, 8) & 0o777)
        return 0
    perm = ~mask & 0o777
    for clause in spec.split(","):
        i = 0
        wbits = 0
        while i < len(clause) and clause[i] in "ugoa":
            wbits |= {"u": 0o700, "g": 0o070, "o": 0o007, "a": 0o777}[clause[i]]
            i += 1
        wbits = wbits or 0o777
        if i >= len(clause) or clause[i] not in "+-=":
            raise ShError(f"Illegal mode: {spec}")
        op = clause[i]
        bits = 0
        for c in clause[i + 1 :]:
            if c not in "rwx":
                raise ShError(f"Illegal mode: {spec}")
            bits |= {"r": 0o444, "w": 0o222, "x": 0o111}[c]
        bits &= wbits
        if op == "+":
            perm |= bits
        elif op == "-":
            perm &= ~bits
        else:
            perm = (perm & ~wbits) | bits
    vos.umask(~perm & 0o777)
    return 0


# -- lookup ------------------------------------------------------------------------------
def _describe(sh: Shell, name: str, verbose: bool) -> tuple[str, int]:
    if name in RESERVED:
        return (f"{name} is a shell keyword" if verbose else name), 0
    if name in sh.functions:
        return (f"{name} is a shell function" if verbose else name), 0
    if name in BUILTINS:
        kind = "special shell builtin" if name in SPECIAL else "shell builtin"
        return (f"{name} is a {kind}" if verbose else name), 0
    path = find_command(sh, name)
    if path is None or ("/" in name and not sh.os.path.exists(name)):
        return (f"{name}: not found" if verbose else ""), 127
    return (f"{name} is {path}" if verbose else path), 0


@builtin("type")
def b_type(sh: Shell, argv: list[str]) -> int:
    status = 0
    for name in argv[1:]:
        text, st = _describe(sh, name, True)
        _out(sh, text + "\n")
        status = st or status
    return status


@builtin("command")
def b_command(sh: Shell, argv: list[str]) -> int:
    opts, args = getopts_simple(argv, "pvV")
    if not args:
        return 0
    if "v" in opts or "V" in opts:
        text, st = _describe(sh, args[0], "V" in opts)
        if text:
            _out(sh, text + "\n")
        return st
    name = args[0]
    if name in BUILTINS:
        return sh.call_builtin(name, args)
    return run_external(sh, args, sh.environ(), [], False)


@builtin("hash")
def b_hash(sh: Shell, argv: list[str]) -> int:
    return 0


# -- read --------------------------------------------------------------------------------
def _read_line(sh: Shell) -> tuple[bytes, bool]:
    """One line from fd 0 without reading past it; (line, saw newline)."""
    vos = sh.os
    try:
        pos = vos.lseek(0, 0, 1)
        chunk = vos.read(0, 8192)
        out = bytearray()
        while chunk:
            nl = chunk.find(b"\n")
            if nl >= 0:
                out += chunk[:nl]
                vos.lseek(0, pos + len(out) + 1, 0)
                return bytes(out), True
            out += chunk
            chunk = vos.read(0, 8192)
        return bytes(out), False
    except OSError:
        pass
    buf = bytearray()
    while True:
        try:
            b = vos.read(0, 1)
        except OSError:
            return bytes(buf), False
        if not b:
            return bytes(buf), False
        if b == b"\n":
            return bytes(buf), True
        buf += b


@builtin("read")
def b_read(sh: Shell, argv: list[str]) -> int:
    raw = False
    prompt = ""
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a == "-r":
            raw = True
        elif a == "-p":
            i += 1
            if i >= len(argv):
                raise ShError("No arg for -p option")
            prompt = argv[i]
        else:
            raise ShError(f"Illegal option {a[:2]}")
        i += 1
    names = argv[i:]
    if not names:
        raise ShError("arg count")
    if prompt:
        sh.ctx.stderr.write(prompt.encode())
        sh.ctx.stderr.flush()
    chars: list[tuple[str, bool]] = []
    status = 0
    while True:
        data, nl = _read_line(sh)
        line = data.decode("utf-8", "surrogateescape")
        if not nl:
            status = 1
        cont = False
        j = 0
        while j < len(line):
            c = line[j]
            if c == "\\" and not raw:
                if j + 1 < len(line):
                    chars.append((line[j + 1], True))
                    j += 2
                    continue
                if nl:
                    cont = True
                j += 1
                continue
            chars.append((c, False))
            j += 1
        if not cont:
            break
    ifs = sh.vars.get("IFS", " \t\n")
    ws = [c for c in ifs if c in " \t\n"]
    k = 0
    n = len(chars)

    def skip_ws(k: int) -> int:
        while k < n and not chars[k][1] and chars[k][0] in ws:
            k += 1
        return k

    k = skip_ws(k)
    for idx, name in enumerate(names):
        if idx == len(names) - 1:
            end = n
            while end > k and not chars[end - 1][1] and chars[end - 1][0] in ws:
                end -= 1
            sh.set_var(name, "".join(c for c, _ in chars[k:end]))
            break
        start = k
        while k < n and not (not chars[k][1] and chars[k][0] in ifs):
            k += 1
        sh.set_var(name, "".join(c for c, _ in chars[start:k]))
        if k < n:
            delim_ws = chars[k][0] in ws
            k += 1
            k = skip_ws(k)
            if (
                delim_ws
                and k < n
                and not chars[k][1]
                and chars[k][0] in ifs
                and chars[k][0] not in ws
            ):
                k = skip_ws(k + 1)
    return status


_ = number
