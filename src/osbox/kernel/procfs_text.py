"""The contents of procfs files, generated from the process table.

Each function returns the bytes Linux 6.1's ``fs/proc`` gives for the same
file of a process in the same state (``proc(5)``), limited to what a
machine's process has: ``cmdline`` (``proc_pid_cmdline_read``), ``environ``
(``environ_read``), ``comm``, ``status`` (``proc_pid_status``: the lines
of ``task_name``, ``task_state``, ``task_sig`` and ``task_cap``, in their
order and format; there is no memory model, so no ``Vm*`` lines) and the
machine-wide ``uptime``.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import Process

__all__ = ["cmdline", "comm", "environ", "status", "uptime", "STATES"]

#: ``task_state_array``: the State line for each run state.
STATES = {
    "R": "R (running)",
    "S": "S (sleeping)",
    "T": "T (stopped)",
    "Z": "Z (zombie)",
}
CAP_FULL = (1 << 41) - 1  # CAP_LAST_CAP is 40 (CAP_CHECKPOINT_RESTORE) in 6.1
_fsencode = _os.fsencode


def _mask(sigs: list[int] | tuple[int, ...]) -> str:
    """A signal set as ``render_sigset_t`` prints it: 16 hex digits, bit
    ``sig - 1`` for each signal."""
    m = 0
    for s in sigs:
        if 1 <= s <= 64:
            m |= 1 << (s - 1)
    return f"{m:016x}"


def comm(p: Process) -> str:
    """The task name (``comm``): the basename of ``argv[0]``, at most 15
    bytes (TASK_COMM_LEN - 1), as ``ps`` shows it too."""
    name = p.argv[0].rsplit("/", 1)[-1] if p.argv else ""
    return _fsencode(name)[:15].decode("utf-8", "replace")


def cmdline(p: Process) -> bytes:
    """argv, each argument NUL-terminated; empty for a zombie (no mm)."""
    if p.state == "Z" or not p.argv:
        return b""
    return b"".join(_fsencode(a) + b"\0" for a in list(p.argv))


def environ(p: Process) -> bytes:
    """The environment, ``NAME=value`` NUL-terminated each; empty for a zombie."""
    if p.state == "Z":
        return b""
    items = list(p.environ.items())  # one C-level copy: the owner may be changing it
    return b"".join(k + b"=" + v + b"\0" for k, v in items)


def _fdsize(p: Process) -> int:
    """The fd table's capacity: 64 (``NR_OPEN_DEFAULT``), then doubling in
    steps of 128 as ``expand_fdtable`` grows it past the highest fd."""
    files = p.fds.files
    top = max(files) + 1 if files else 0
    if top <= 64:
        return 64
    n = 1
    while n * 128 < top:
        n *= 2
    return n * 128


def status(p: Process, reader: Process) -> bytes:
    """``/proc/<pid>/status``. A process reading its own status is running."""
    c = p.cred
    name = comm(p).replace("\\", "\\\\").replace("\n", "\\n")
    state = "R" if p is reader and p.state != "Z" else p.state
    groups = "".join(f"{' ' if i else ''}{g}" for i, g in enumerate(c.groups))
    caps = CAP_FULL if c.euid == 0 else 0
    permitted = CAP_FULL if 0 in (c.uid, c.euid, c.suid) else 0
    lines = [
        f"Name:\t{name}",
        f"Umask:\t{p.umask:04o}",
        f"State:\t{STATES.get(state, state)}",
        f"Tgid:\t{p.pid}",
        "Ngid:\t0",
        f"Pid:\t{p.pid}",
        f"PPid:\t{p.ppid}",
        "TracerPid:\t0",
        f"Uid:\t{c.uid}\t{c.euid}\t{c.suid}\t{c.euid}",
        f"Gid:\t{c.gid}\t{c.egid}\t{c.sgid}\t{c.egid}",
        f"FDSize:\t{_fdsize(p)}",
        f"Groups:\t{groups} ",  # Linux ends the list with a space
        f"NStgid:\t{p.pid}",
        f"NSpid:\t{p.pid}",
        f"NSpgid:\t{p.pgid}",
        f"NSsid:\t{p.sid}",
        "Threads:\t1",
        f"SigPnd:\t{_mask(())}",
        f"ShdPnd:\t{_mask(list(p.pending))}",
        f"SigBlk:\t{_mask(())}",
        f"SigIgn:\t{_mask(list(p.ignored))}",
        f"SigCgt:\t{_mask(list(p.handlers))}",
        f"CapInh:\t{0:016x}",
        f"CapPrm:\t{permitted:016x}",
        f"CapEff:\t{caps:016x}",
        f"CapBnd:\t{CAP_FULL:016x}",
        f"CapAmb:\t{0:016x}",
        "NoNewPrivs:\t0",
        "Seccomp:\t0",
        "Seccomp_filters:\t0",
        "voluntary_ctxt_switches:\t0",
        "nonvoluntary_ctxt_switches:\t0",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def uptime(boot_ns: int, now_ns: int, cpus: int) -> bytes:
    """``/proc/uptime``: seconds since boot and idle seconds summed over
    the CPUs, two decimals each. A machine's CPUs idle except while its
    processes run Python, so idle is taken as the whole time of each CPU."""
    up = max(now_ns - boot_ns, 0) / 1e9
    return f"{up:.2f} {up * cpus:.2f}\n".encode()
