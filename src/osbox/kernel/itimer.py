"""The real-time interval timer of a process: ``setitimer(ITIMER_REAL)``,
``getitimer`` and ``alarm``, as Linux's ``kernel/time/itimer.c`` gives them.

One timer per process, shared by ``alarm`` and ``setitimer(ITIMER_REAL)``:
when it expires the process gets SIGALRM (acted on at its next check point,
see ``signals``), and it re-arms itself with its interval if that is not
zero. ``fork`` does not copy it; ``execve`` keeps it; ``exit`` disarms it.
Times are float seconds here (Linux keeps microseconds). The timer is a host
``threading.Timer`` that only posts the signal, under the kernel lock.
"""

from __future__ import annotations

import signal as _signal
import threading
import time

from .process import Process
from .signals import deliver

__all__ = ["setitimer", "getitimer", "alarm", "disarm"]

SIGALRM = int(_signal.SIGALRM)


class _Real:
    """An armed ITIMER_REAL: its deadline (monotonic seconds) and interval."""

    __slots__ = ("deadline", "interval", "timer")

    def __init__(self, deadline: float, interval: float) -> None:
        self.deadline = deadline
        self.interval = interval
        self.timer: threading.Timer | None = None


def _arm(proc: Process, t: _Real) -> None:
    delay = max(0.0, t.deadline - time.monotonic())
    timer = threading.Timer(delay, _expire, (proc, t))
    timer.daemon = True
    timer.name = f"osbox-itimer-pid{proc.pid}"
    t.timer = timer
    timer.start()


def _expire(proc: Process, t: _Real) -> None:
    with proc.k.lock:
        if proc.itimer is not t or proc.state == "Z":
            return
        deliver(proc, SIGALRM)
        if t.interval > 0:
            t.deadline += t.interval
            _arm(proc, t)
        else:
            proc.itimer = None


def _current(proc: Process) -> tuple[float, float]:
    t = proc.itimer
    if t is None:
        return 0.0, 0.0
    # Linux keeps microseconds
    return max(round(t.deadline - time.monotonic(), 6), 1e-6), t.interval


def getitimer(proc: Process) -> tuple[float, float]:
    """getitimer(ITIMER_REAL): (seconds left, interval); (0, 0) when disarmed."""
    with proc.k.lock:
        return _current(proc)


def setitimer(proc: Process, value: float, interval: float) -> tuple[float, float]:
    """setitimer(ITIMER_REAL): arm the timer to expire in ``value`` seconds
    and then every ``interval`` seconds (``value`` 0 disarms it); return the
    old setting as ``getitimer`` does. Negative times are the caller's
    EINVAL to raise."""
    with proc.k.lock:
        old = _current(proc)
        disarm(proc)
        if value > 0:
            t = _Real(time.monotonic() + value, max(interval, 0.0))
            proc.itimer = t
            _arm(proc, t)
        return old


def alarm(proc: Process, seconds: int) -> int:
    """alarm(2): SIGALRM in ``seconds`` (0 cancels); the seconds left of the
    previous alarm, rounded to the nearest and never 0 while one was set."""
    left, _ = setitimer(proc, float(seconds), 0.0)
    whole = int(left)
    frac = left - whole
    if frac >= 0.5 or (whole == 0 and frac > 0):
        whole += 1
    return whole


def disarm(proc: Process) -> None:
    """Cancel the timer (``exit``, ``setitimer`` with 0). Lock held or not."""
    t = proc.itimer
    proc.itimer = None
    if t is not None and t.timer is not None:
        t.timer.cancel()
