"""Process lifecycle syscalls: fork, exit, wait4, kill, process groups.

Semantics follow Linux: ``fork`` copies the caller's fd table (sharing open
file descriptions), cwd, root, umask, credentials, environment and ignored
signals; ``exit`` closes everything and leaves a zombie holding the wait
status until the parent reaps it; orphans go to pid 1, which reaps them as
init does; ``wait4``/``kill`` take Linux's pid conventions (``> 0`` one
process, ``0`` the caller's group, ``-1`` all, ``< -1`` a group).

A fork here only creates the process; the runtime above the kernel gives it
a program to run (``Kernel.launcher``).
"""

from __future__ import annotations

import time
from errno import EAGAIN, ECHILD, EINVAL, EPERM, ESRCH
from typing import Any

from . import itimer, signals
from .errors import KernelError
from .process import Process
from .sys_file import release

__all__ = [
    "WNOHANG",
    "WUNTRACED",
    "WCONTINUED",
    "fork",
    "exit",
    "wait4",
    "kill",
    "sleep",
    "pause",
    "setpgid",
    "getpgid",
    "getsid",
    "setsid",
    "table",
]

WNOHANG = 1
WUNTRACED = 2
WCONTINUED = 8
_WAIT_FLAGS = WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000
NSIG = 65


def fork(parent: Process) -> Process:
    """fork(2): a new process, a copy of ``parent``, in state R. Errors:
    EAGAIN (the machine's process limit)."""
    k = parent.k
    with k.lock:
        limit = k.max_procs
        if limit is not None:
            live = sum(1 for p in k.processes.values() if p.state != "Z")
            if live >= limit:
                raise KernelError(EAGAIN)
        child = k.spawn(parent, parent.cred.copy(), parent.cwd, parent.root, dict(parent.environ))
        child.umask = parent.umask
        child.fds = parent.fds.clone()
        child.pgid, child.sid = parent.pgid, parent.sid
        child.argv, child.exe = list(parent.argv), parent.exe
        child.ignored = set(parent.ignored)
        return child


def exit(proc: Process, status: int) -> None:
    """exit(2) with the wait status ``status`` (``code << 8`` or a signal
    number): close every fd, drop cwd and root, become a zombie, hand the
    children to pid 1 and wake the parent."""
    k = proc.k
    with k.lock:
        if proc.state == "Z":
            return
        files = list(proc.fds.files.values())
        proc.fds.files.clear()
        proc.fds.cloexec.clear()
        for f in files:
            release(proc, f)
        k.unref(proc.cwd)
        k.unref(proc.root)
        proc.state = "Z"
        proc.status = status
        itimer.disarm(proc)
        proc.pending.clear()
        proc.handlers.clear()
        adopted = k.adopted
        for p in list(k.processes.values()):
            if p.ppid == proc.pid:
                p.ppid = 1
                if p.state == "Z":
                    del k.processes[p.pid]  # init reaps it
                else:
                    adopted.add(p.pid)
        if proc.pid in adopted or proc.ppid not in k.processes:
            adopted.discard(proc.pid)
            k.processes.pop(proc.pid, None)
        k.proc_cond.notify_all()


def _matches(proc: Process, child: Process, pid: int) -> bool:
    if child.ppid != proc.pid:
        return False
    if pid > 0:
        return child.pid == pid
    if pid == -1:
        return True
    if pid == 0:
        return child.pgid == proc.pgid
    return child.pgid == -pid


def wait4(proc: Process, pid: int, options: int) -> tuple[int, int]:
    """wait4(2) without rusage: ``(pid, status)``, or ``(0, 0)`` with
    WNOHANG when no child has changed state. Errors: EINVAL (unknown
    options), ECHILD (no such child), EINTR (a caught signal)."""
    if options & ~_WAIT_FLAGS:
        raise KernelError(EINVAL)
    k = proc.k
    with k.lock:
        while True:
            signals.check(proc)  # a fatal signal acts when the syscall returns
            found = False
            for child in list(k.processes.values()):
                if not _matches(proc, child, pid):
                    continue
                found = True
                if child.state == "Z":
                    del k.processes[child.pid]
                    return child.pid, child.status
                if child.reported > 0 and options & WUNTRACED and child.state == "T":
                    sig = child.reported
                    child.reported = 0
                    return child.pid, (sig << 8) | 0x7F
                if child.reported < 0 and options & WCONTINUED:
                    child.reported = 0
                    return child.pid, 0xFFFF
            if not found:
                raise KernelError(ECHILD)
            if options & WNOHANG:
                return 0, 0
            signals.wait_event(proc, k.proc_cond)


def _may_signal(sender: Process, target: Process, sig: int) -> bool:
    c, t = sender.cred, target.cred
    if c.euid == 0:
        return True
    if sig == signals.SIGCONT and sender.sid == target.sid:
        return True
    return c.euid in (t.uid, t.suid) or c.uid in (t.uid, t.suid)


def kill(proc: Process, pid: int, sig: int) -> None:
    """kill(2); signal 0 only checks. Errors: EINVAL (bad signal), ESRCH
    (no such process or group), EPERM (not allowed to signal any of them)."""
    if sig < 0 or sig >= NSIG:
        raise KernelError(EINVAL)
    k = proc.k
    with k.lock:
        procs = k.processes
        if pid > 0:
            targets = [procs[pid]] if pid in procs else []
        elif pid == -1:
            targets = [p for p in procs.values() if p.pid != 1 and p is not proc]
        else:
            group = proc.pgid if pid == 0 else -pid
            targets = [p for p in procs.values() if p.pgid == group]
        if not targets:
            raise KernelError(ESRCH)
        allowed = [p for p in targets if _may_signal(proc, p, sig)]
        if not allowed:
            raise KernelError(EPERM)
        if sig:
            for p in allowed:
                signals.deliver(p, sig)
        signals.check(proc)


def sleep(proc: Process, seconds: float) -> None:
    """nanosleep(2) that a signal ends early: ``ProcessKilled`` for a fatal
    one, EINTR for a caught one."""
    k = proc.k
    deadline = time.monotonic() + seconds
    with k.lock:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                signals.check(proc)
                return
            signals.wait_event(proc, k.proc_cond, left)


def pause(proc: Process) -> None:
    """pause(2): wait for a signal. A fatal one ends the process
    (``ProcessKilled``); a caught one returns EINTR, always, as pause does
    (the caller runs the handler)."""
    with proc.k.lock:
        while True:
            signals.wait_event(proc, proc.k.proc_cond)


def take_pending(proc: Process) -> list[tuple[int, Any]]:
    """Remove and return the caught signals waiting for their handlers."""
    with proc.k.lock:
        out = [(s, proc.handlers.get(s)) for s in proc.pending]
        proc.pending.clear()
        return out


def _find(proc: Process, pid: int) -> Process:
    if pid == 0:
        return proc
    p = proc.k.processes.get(pid)
    if p is None:
        raise KernelError(ESRCH)
    return p


def getpgid(proc: Process, pid: int) -> int:
    """getpgid(2). Errors: ESRCH."""
    with proc.k.lock:
        return _find(proc, pid).pgid


def getsid(proc: Process, pid: int) -> int:
    """getsid(2). Errors: ESRCH."""
    with proc.k.lock:
        return _find(proc, pid).sid


def setpgid(proc: Process, pid: int, pgid: int) -> None:
    """setpgid(2) for the caller or one of its children. Errors: EINVAL
    (negative pgid), ESRCH (not the caller or its child), EPERM (a session
    leader, another session, or no such group in the session)."""
    if pgid < 0:
        raise KernelError(EINVAL)
    with proc.k.lock:
        target = _find(proc, pid)
        if target is not proc and target.ppid != proc.pid:
            raise KernelError(ESRCH)
        if target.sid == target.pid or target.sid != proc.sid:
            raise KernelError(EPERM)
        group = pgid or target.pid
        if group != target.pid and not any(
            p.pgid == group and p.sid == proc.sid for p in proc.k.processes.values()
        ):
            raise KernelError(EPERM)
        target.pgid = group


def setsid(proc: Process) -> int:
    """setsid(2). Errors: EPERM (already a group leader)."""
    with proc.k.lock:
        if any(p.pgid == proc.pid for p in proc.k.processes.values()):
            raise KernelError(EPERM)
        proc.sid = proc.pgid = proc.pid
        return proc.pid


def table(proc: Process) -> list[dict[str, Any]]:
    """The process table as ``ps`` shows it: pid, ppid, pgid, sid, uid,
    state, argv, start_ns."""
    with proc.k.lock:
        return [
            {
                "pid": p.pid,
                "ppid": p.ppid,
                "pgid": p.pgid,
                "sid": p.sid,
                "uid": p.cred.euid,
                "state": p.state,
                "argv": list(p.argv),
                "start_ns": p.start_ns,
            }
            for p in sorted(proc.k.processes.values(), key=lambda p: p.pid)
        ]
