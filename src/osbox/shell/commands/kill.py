"""kill: send a signal to processes (procps-ng 4.0 ``/usr/bin/kill``).

``kill [-s SIG | -SIG | -N | --signal SIG] PID...``, ``kill -l [SIG]``
(names, or the name of a number / number of a name) and ``kill -L`` (a
table). Errors name the program as invoked: ``kill: (123): No such
process``. Exit status 0 if every signal was sent, 1 otherwise.
"""

from __future__ import annotations

import signal as _signal

from ..context import Context
from ..registry import program

_NAMES = [
    "HUP",
    "INT",
    "QUIT",
    "ILL",
    "TRAP",
    "ABRT",
    "BUS",
    "FPE",
    "KILL",
    "USR1",
    "SEGV",
    "USR2",
    "PIPE",
    "ALRM",
    "TERM",
    "STKFLT",
    "CHLD",
    "CONT",
    "STOP",
    "TSTP",
    "TTIN",
    "TTOU",
    "URG",
    "XCPU",
    "XFSZ",
    "VTALRM",
    "PROF",
    "WINCH",
    "POLL",
    "PWR",
    "SYS",
]
_USAGE = """
Usage:
 kill [options] <pid> [...]

Options:
 <pid> [...]            send signal to every <pid> listed
 -<signal>, -s, --signal <signal>
                        specify the <signal> to be sent
 -q, --queue <value>    integer value to be sent with the signal
 -l, --list=[<signal>]  list all signal names, or convert one to a name
 -L, --table            list all signal names in a nice table

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see kill(1).
"""


def signal_number(spec: str) -> int:
    """A signal given as a number or a name (with or without SIG); -1 if bad."""
    if spec.isdigit():
        n = int(spec)
        return n if n < 65 else -1
    s = spec.upper()
    if s.startswith("SIG"):
        s = s[3:]
    aliases = {"IOT": 6, "IO": 29, "CLD": 17, "POLL": 29}
    if s in aliases:
        return aliases[s]
    if s in _NAMES:
        return _NAMES.index(s) + 1
    if s.startswith("RTMIN") or s.startswith("RTMAX"):
        base = 34 if s.startswith("RTMIN") else 64
        rest = s[5:]
        try:
            off = int(rest) if rest else 0
        except ValueError:
            return -1
        return base + off
    return -1


def _name(n: int) -> str:
    if 1 <= n <= len(_NAMES):
        return _NAMES[n - 1]
    if 34 <= n <= 64:
        return "RTMIN" if n == 34 else "RTMAX" if n == 64 else str(n)
    return str(n)


@program("kill")
def main(ctx: Context) -> int:
    prog = ctx.argv[0] if ctx.argv else "kill"
    args = ctx.argv[1:]
    out = ctx.stdout

    def err(msg: str) -> None:
        ctx.stderr.write(f"{prog}: {msg}\n".encode("utf-8", "surrogateescape"))

    sig = int(_signal.SIGTERM)
    if not args:
        ctx.stderr.write(_USAGE.encode())
        return 1
    a = args[0]
    if a in ("-l", "--list") or a.startswith("--list="):
        spec = a[7:] if a.startswith("--list=") else (args[1] if len(args) > 1 else None)
        if spec is None:
            names = _NAMES
            lines = [" ".join(names[:16]), " ".join(names[16:])]
            out.write(("\n".join(lines) + "\n").encode())
            return 0
        if spec.isdigit():
            n = int(spec)
            n = n - 128 if n > 128 else n
            if not 1 <= n <= 64:
                err(f"unknown signal name {spec}")
                return 0  # procps exits 0 here
            out.write((_name(n) + "\n").encode())
            return 0
        n = signal_number(spec)
        if n < 0:
            err(f"unknown signal name {spec}")
            return 1
        out.write(b"%d\n" % n)
        return 0
    if a in ("-L", "--table"):
        parts = []
        for k, nm in enumerate(_NAMES, 1):
            parts.append(f"{k:2d} {nm}\n" if k % 7 == 0 else f"{k:2d} {nm:<8s}")
        text = "".join(parts)
        out.write((text if text.endswith("\n") else text + "\n").encode())
        return 0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a in ("-s", "--signal"):
            if i + 1 >= len(args):
                ctx.stderr.write(_USAGE.encode())
                return 1
            sig = signal_number(args[i + 1])
            i += 2
            continue
        if a.startswith("--signal="):
            sig = signal_number(a[9:])
            i += 1
            continue
        if (
            a.startswith("-")
            and len(a) > 1
            and not a[1:].isdigit()
            or (a.startswith("-") and a[1:].isdigit() and i == 0)
        ):
            sig = signal_number(a[1:])
            if sig < 0 and not a[1:].isdigit():
                err(f"invalid argument {a[1]}")
                ctx.stderr.write(_USAGE.encode())
                return 1
            i += 1
            continue
        break
    pids = args[i:]
    if not pids:
        ctx.stderr.write(_USAGE.encode())
        return 1
    status = 0
    for p in pids:
        try:
            pid = int(p)
        except ValueError:
            err(f"failed to parse argument: '{p}'")
            status = 1
            continue
        try:
            if sig < 0:  # the kernel looks the process up before checking the signal
                ctx.os.kill(pid, 0)
                raise OSError(22, "Invalid argument")
            ctx.os.kill(pid, sig)
        except OSError as e:
            err(f"({pid}): {ctx.os.strerror(e.errno)}")
            status = 1
    return status
