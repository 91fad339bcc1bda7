"""ps: report the machine's processes (procps-ng 4.0 formats).

``ps`` (processes of the caller's effective uid), ``ps -e``/``-A`` (all),
``-f`` (full format), ``-p PID[,PID]``, and BSD ``ps aux``/``ps ax``. The
table comes from the process's ``_proc_table()``. There are no terminals
and no CPU accounting in a machine: TTY is ``?``, times are zero.
"""

from __future__ import annotations

import time
from typing import Any

from ..context import Context
from ..registry import program
from ._names import Names


def _cmd_name(p: dict[str, Any]) -> str:
    argv = p["argv"]
    return (argv[0].rsplit("/", 1)[-1] if argv else "")[:15]


def _full_cmd(p: dict[str, Any]) -> str:
    if p["state"] == "Z":
        return f"[{_cmd_name(p)}] <defunct>"
    return " ".join(p["argv"]) or f"[{_cmd_name(p)}]"


def _stime(p: dict[str, Any]) -> str:
    start = p["start_ns"] / 1e9
    now = time.time()
    if now - start < 86400:
        return time.strftime("%H:%M", time.gmtime(start))
    return time.strftime("%b%d", time.gmtime(start))


@program("ps")
def main(ctx: Context) -> int:
    args = ctx.argv[1:]
    every = full = bsd_user = False
    pids: list[int] | None = None
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("-"):
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c in "eA":
                    every = True
                elif c == "f":
                    full = True
                elif c == "p":
                    val = a[j:] or (args[i] if i < len(args) else "")
                    if not a[j:]:
                        i += 1
                    try:
                        pids = [int(x) for x in val.replace(",", " ").split()]
                    except ValueError:
                        ctx.stderr.write(b"error: process ID list syntax error\n")
                        return 1
                    break
                else:
                    ctx.stderr.write(b"error: unsupported SysV option\n")
                    return 1
        else:
            for c in a:
                if c == "a":
                    pass
                elif c == "x":
                    every = every or "a" in a
                elif c == "u":
                    bsd_user = True
                elif c == "w":
                    pass
                else:
                    ctx.stderr.write(b"error: unsupported option (BSD syntax)\n")
                    return 1
    vos = ctx.os
    table: list[dict[str, Any]] = vos._proc_table()
    me = vos.geteuid()
    if pids is not None:
        rows = [p for p in table if p["pid"] in pids]
    elif every:
        rows = table
    else:
        rows = [p for p in table if p["uid"] == me]
    out: list[str] = []
    names = Names(vos)
    if bsd_user:
        out.append("USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND")
        for p in rows:
            user = names.user_name(p["uid"]) or str(p["uid"])
            st, cmd = p["state"], _full_cmd(p)
            out.append(
                f"{user[:8]:<8s} {p['pid']:5d}  0.0  0.0      0     0 ?        {st:<4s} "
                f"{_stime(p):>5s}   0:00 {cmd}"
            )
    elif full:
        out.append("UID        PID  PPID  C STIME TTY          TIME CMD")
        for p in rows:
            user = names.user_name(p["uid"]) or str(p["uid"])
            out.append(
                f"{user[:8]:<8s} {p['pid']:5d} {p['ppid']:5d}  0 {_stime(p):>5s} ?        "
                f"00:00:00 {_full_cmd(p)}"
            )
    else:
        out.append("  PID TTY          TIME CMD")
        for p in rows:
            cmd = _cmd_name(p) + (" <defunct>" if p["state"] == "Z" else "")
            out.append(f"{p['pid']:5d} ?        00:00:00 {cmd}")
    ctx.stdout.write("".join(s + "\n" for s in out).encode("utf-8", "surrogateescape"))
    return 0 if rows or pids is None else 1
