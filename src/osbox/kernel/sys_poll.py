"""poll(2) over a process's fds: readiness of pipes, FIFOs and files.

As Linux reports it: a regular file, directory or device is always ready for
reading and writing; a pipe's read end is POLLIN with data, POLLHUP once no
writer is left; its write end is POLLOUT with at least PIPE_BUF bytes free,
POLLERR once no reader is left; an fd that is not open is POLLNVAL. Waiting
is signal-aware (``signals.wait_event``) and re-checks every few ms.
"""

from __future__ import annotations

import time

from . import signals
from .pipe import PIPE_BUF, PIPE_SIZE
from .process import Process

__all__ = ["POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "poll"]

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 2, 4, 8, 16, 32
_RDNORM, _WRNORM = 0x40, 0x100


def _revents(proc: Process, fd: int, events: int) -> int:
    f = proc.fds.files.get(fd)
    if f is None:
        return POLLNVAL
    pipe = f.pipe
    if pipe is None:
        return events & (POLLIN | POLLOUT | _RDNORM | _WRNORM)
    out = 0
    if f.readable:
        if pipe.buf:
            out |= POLLIN | _RDNORM
        if pipe.writers == 0:
            out |= POLLHUP
    if f.writable:
        if pipe.readers == 0:
            out |= POLLERR
        elif PIPE_SIZE - len(pipe.buf) >= PIPE_BUF:
            out |= POLLOUT | _WRNORM
    return out & (events | POLLERR | POLLHUP | POLLNVAL)


def poll(proc: Process, fds: list[tuple[int, int]], timeout: float | None) -> list[tuple[int, int]]:
    """``(fd, revents)`` for the fds with events, waiting up to ``timeout``
    seconds (``None``: forever; 0: not at all). Errors: EINTR."""
    k = proc.k
    deadline = None if timeout is None else time.monotonic() + timeout
    with k.lock:
        while True:
            ready = [(fd, r) for fd, ev in fds if fd >= 0 and (r := _revents(proc, fd, ev))]
            if ready:
                return ready
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            signals.wait_event(proc, k.proc_cond, 0.005 if left is None else min(left, 0.005))
