"""The ``signal`` module of one process, and running its handlers.

Inside a machine ``signal.signal``/``getsignal`` set and read the virtual
process's disposition (``ProcCalls._sigaction``), from any thread: a
process's program runs in a host thread of its own, so the host's
"main thread only" rule does not apply. A Python handler runs, as
``handler(signum, frame)``, at the process's next check point (a blocking
wait: pipe, ``waitpid``, sleep, ``select``/``poll``, ``pause``), where the
interrupted call then restarts as PEP 475 has CPython do. ``alarm``,
``setitimer``/``getitimer`` (``ITIMER_REAL``) and ``pause`` are the
kernel's (``kernel/itimer.py``, ``sys_task.pause``); ``ITIMER_VIRTUAL`` and
``ITIMER_PROF`` (CPU time) and the calls that would signal or wait on the
host's threads (``pthread_kill``, ``sigwait``...) raise ENOSYS. Arguments
are checked with CPython's messages (``Modules/signalmodule.c``).
"""

from __future__ import annotations

import errno
import operator
import signal as _signal
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any, TypeVar

from ..kernel import itimer, sys_task
from ..kernel.errors import KernelError, oserror
from ..kernel.process import Process

__all__ = ["PyHandler", "run_handlers", "restarting", "make_signal_module", "SIGNAL_CALLS"]

T = TypeVar("T")
NSIG = sys_task.NSIG
SIG_DFL, SIG_IGN = int(_signal.SIG_DFL), int(_signal.SIG_IGN)
ITIMER_REAL = int(_signal.ITIMER_REAL)
CPU_TIMERS = (int(_signal.ITIMER_VIRTUAL), int(_signal.ITIMER_PROF))
# host calls that would signal, or wait for signals of, the host's threads
NOT_VIRTUAL = ("pthread_kill", "sigwait", "sigwaitinfo", "sigtimedwait")
SIGNAL_CALLS = (
    "signal",
    "getsignal",
    "raise_signal",
    "siginterrupt",
    "alarm",
    "pause",
    "setitimer",
    "getitimer",
    *NOT_VIRTUAL,
)
_host_sleep = time.sleep


class PyHandler:
    """A Python signal handler as the process's disposition: called with
    the signal number at a check point, it calls ``fn(signum, frame)`` with
    the innermost frame of the program (not of osbox)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[int, Any], Any]) -> None:
        self.fn = fn

    def __call__(self, sig: int) -> None:
        frame: Any = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith("osbox."):
            frame = frame.f_back
        self.fn(sig, frame)


def run_handlers(proc: Process) -> None:
    """Run the handlers of the caught signals pending for ``proc`` (the
    caller's own process), in the order they came."""
    for sig, handler in sys_task.take_pending(proc):
        if callable(handler):
            handler(sig)


def restarting(proc: Process, call: Callable[..., T], *args: Any) -> T:
    """``call(proc, *args)``, restarted after the handlers run whenever a
    caught signal interrupts it (EINTR), as PEP 475 has CPython do."""
    while True:
        try:
            return call(proc, *args)
        except KernelError as e:
            if e.errno != errno.EINTR:
                raise
        run_handlers(proc)


def _signum(value: Any) -> int:
    sig = operator.index(value)
    if not 1 <= sig < NSIG:
        raise ValueError("signal number out of range")
    return sig


def _python_view(handler: Any) -> Any:
    """A disposition as ``getsignal`` shows it."""
    if isinstance(handler, PyHandler):
        return handler.fn
    if callable(handler):
        return None  # not installed from Python (a shell trap)
    return SIG_IGN if int(handler) == SIG_IGN else SIG_DFL


def _seconds(value: Any) -> float:
    """Seconds as CPython's ``_PyTime_ObjectToTimeval`` takes them."""
    return value if isinstance(value, float) else float(operator.index(value))


def make_signal_module(surface: Any) -> types.SimpleNamespace:
    """The ``signal`` functions of the process behind ``surface`` (its
    ``os`` surface): what ``patch`` dispatches ``_signal.signal``,
    ``getsignal``, ``alarm``, ``pause``, ``setitimer``, ``getitimer``,
    ``raise_signal`` and ``siginterrupt`` to inside the machine, and
    ``time.sleep``: a check point when the process's own program thread
    sleeps (another thread sleeps on the host clock)."""
    proc: Process = surface.proc

    def signal(signalnum: Any, handler: Any, /) -> Any:
        sig = _signum(signalnum)
        if callable(handler):
            new: Any = PyHandler(handler)
        elif isinstance(handler, int) and handler in (SIG_IGN, SIG_DFL):
            new = _signal.SIG_IGN if handler == SIG_IGN else _signal.SIG_DFL
        else:
            raise TypeError(
                "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object"
            )
        return _python_view(surface._sigaction(sig, new))

    def getsignal(signalnum: Any, /) -> Any:
        sig = _signum(signalnum)
        with proc.k.lock:
            handler = proc.handlers.get(sig)
            if handler is None:
                return SIG_IGN if sig in proc.ignored else SIG_DFL
        return _python_view(handler)

    def raise_signal(signalnum: Any, /) -> None:
        sig = operator.index(signalnum)
        if not 1 <= sig < NSIG:
            raise oserror(errno.EINVAL)
        surface.kill(proc.pid, sig)

    def siginterrupt(signalnum: Any, flag: Any, /) -> None:
        _signum(signalnum)
        operator.index(flag)

    def alarm(seconds: Any, /) -> int:
        return itimer.alarm(proc, operator.index(seconds) & 0xFFFFFFFF)

    def pause() -> None:
        try:
            sys_task.pause(proc)
        except KernelError as e:
            if e.errno != errno.EINTR:
                raise oserror(e.errno) from None
        run_handlers(proc)

    def _which(which: Any) -> None:
        which = operator.index(which)
        if which in CPU_TIMERS:
            raise _signal.ItimerError(
                errno.ENOSYS,
                "Function not implemented: CPU-time interval timers (ITIMER_VIRTUAL, "
                "ITIMER_PROF) are not virtualised by osbox",
            )
        if which != ITIMER_REAL:
            raise _signal.ItimerError(errno.EINVAL, "Invalid argument")

    def setitimer(which: Any, seconds: Any, interval: Any = 0.0, /) -> tuple[float, float]:
        value, every = _seconds(seconds), _seconds(interval)
        _which(which)
        if value < 0 or every < 0:
            raise _signal.ItimerError(errno.EINVAL, "Invalid argument")
        return itimer.setitimer(proc, value, every)

    def getitimer(which: Any, /) -> tuple[float, float]:
        _which(which)
        return itimer.getitimer(proc)

    def sleep(secs: Any, /) -> None:
        if proc.thread is not threading.current_thread():
            return _host_sleep(secs)  # another thread than the process's program
        value = _seconds(secs)
        if value != value:
            raise ValueError("Invalid value NaN (not a number)")
        if value < 0:
            raise ValueError("sleep length must be non-negative")
        surface._sleep(value)
        return None

    def not_virtual(name: str) -> Callable[..., Any]:
        def stub(*args: Any, **kwargs: Any) -> Any:
            raise OSError(
                errno.ENOSYS,
                f"Function not implemented: signal.{name} acts on the host's threads "
                "and is not virtualised by osbox",
            )

        stub.__name__ = name
        return stub

    ns = types.SimpleNamespace(
        signal=signal,
        getsignal=getsignal,
        raise_signal=raise_signal,
        siginterrupt=siginterrupt,
        alarm=alarm,
        pause=pause,
        setitimer=setitimer,
        getitimer=getitimer,
        sleep=sleep,
    )
    for name in NOT_VIRTUAL:
        setattr(ns, name, not_virtual(name))
    return ns
