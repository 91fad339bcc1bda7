"""Signal delivery and interruptible waits, as Linux's ``kernel/signal.c``
gives them to a process whose program runs in a host thread.

A signal is acted on at the target's next *check point*: a blocking wait
(pipe, ``wait4``, sleep) or a syscall boundary the program passes through
(``check``). Default actions follow ``signal(7)``: terminate (SIGKILL,
SIGTERM, SIGINT, SIGPIPE...), stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU),
continue (SIGCONT) or ignore (SIGCHLD, SIGURG, SIGWINCH). A terminating
signal unwinds the program with ``ProcessKilled``; its wait status is the
signal number. As Linux does for a namespace's init, pid 1 (the machine's
first process, the host program itself) only receives signals it handles.

All functions here are called with the kernel lock held.
"""

from __future__ import annotations

import signal as _signal
import threading
from errno import EINTR

from .errors import KernelError
from .process import Process

__all__ = ["ProcessKilled", "deliver", "check", "wait_event", "STOP_SIGNALS"]

SIGKILL = int(_signal.SIGKILL)
SIGSTOP = int(_signal.SIGSTOP)
SIGCONT = int(_signal.SIGCONT)
STOP_SIGNALS = frozenset(
    int(s) for s in (_signal.SIGSTOP, _signal.SIGTSTP, _signal.SIGTTIN, _signal.SIGTTOU)
)
IGNORED_BY_DEFAULT = frozenset(
    int(s) for s in (_signal.SIGCHLD, _signal.SIGURG, _signal.SIGWINCH, _signal.SIGCONT)
)


class ProcessKilled(BaseException):  # noqa: N818 - a control-flow signal, like SystemExit
    """Unwinds a program whose process a signal has ended."""

    def __init__(self, sig: int) -> None:
        super().__init__(sig)
        self.sig = sig


def _wake(proc: Process) -> None:
    cond = proc.waiting_on
    if cond is not None:
        cond.notify_all()
    proc.k.proc_cond.notify_all()


def deliver(proc: Process, sig: int) -> None:
    """Post ``sig`` (1-64) to ``proc`` and wake it if it waits."""
    if proc.state == "Z":
        return
    if proc.pid == 1 and sig not in proc.handlers:
        return
    if sig == SIGKILL:
        proc.fatal = SIGKILL
        if proc.state == "T":
            proc.state = "R"
    elif sig == SIGSTOP:
        _stop(proc, sig)
    elif sig == SIGCONT:
        if proc.state == "T":
            proc.state = "R"
            proc.reported = -1
        if sig in proc.handlers:
            proc.pending.append(sig)
    elif sig in proc.ignored:
        return
    elif sig in proc.handlers:
        proc.pending.append(sig)
    elif sig in STOP_SIGNALS:
        _stop(proc, sig)
    elif sig not in IGNORED_BY_DEFAULT:
        proc.fatal = sig
    _wake(proc)


def _stop(proc: Process, sig: int) -> None:
    if proc.state != "T":
        proc.state = "T"
        proc.reported = sig


def check(proc: Process) -> None:
    """A check point: end the process on a fatal signal, park it while
    stopped. Caught signals stay pending for ``take_pending``. As Linux's
    ``wants_signal``: only SIGKILL acts on a stopped process; another fatal
    signal waits for SIGCONT."""
    while True:
        if proc.fatal and (proc.state != "T" or proc.fatal == SIGKILL):
            raise ProcessKilled(proc.fatal)
        if proc.state != "T":
            return
        proc.k.proc_cond.notify_all()  # the parent may be waiting for the stop
        proc.k.proc_cond.wait()


def wait_event(
    proc: Process | None, cond: threading.Condition, timeout: float | None = None
) -> None:
    """Wait once on ``cond`` (whose lock is the kernel's and is held) as
    ``proc``; then act on signals. Raises ``ProcessKilled``, or
    ``KernelError(EINTR)`` when a caught signal is pending (the caller's
    front end runs the handler and restarts, as PEP 475 has CPython do)."""
    if proc is None:
        cond.wait(timeout)
        return
    check(proc)
    if proc.pending:
        raise KernelError(EINTR)
    proc.waiting_on = cond
    if proc.state == "R":
        proc.state = "S"
    try:
        cond.wait(timeout)
    finally:
        proc.waiting_on = None
        if proc.state == "S":
            proc.state = "R"
    check(proc)
    if proc.pending:
        raise KernelError(EINTR)
