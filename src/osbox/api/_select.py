"""``select.poll`` and ``select.select`` over a process's virtual fds.

Signatures and argument errors are CPython's ``selectmodule``; readiness is
the kernel's (``kernel/sys_poll.py``). ``selectors.PollSelector`` and
``SelectSelector`` (what ``subprocess.communicate`` uses) run over these
while the machine is patched in.
"""

from __future__ import annotations

import errno
import math
from typing import Any

from ..kernel import sys_poll
from ..kernel.errors import KernelError, oserror
from ..kernel.process import Process
from ._signal import restarting

__all__ = ["make_poll", "make_select"]

_DEFAULT = sys_poll.POLLIN | 2 | sys_poll.POLLOUT


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        fd = obj
    else:
        fileno = getattr(obj, "fileno", None)
        if fileno is None:
            raise TypeError(
                "argument must be an int, or have a fileno() method, not " + type(obj).__name__
            )
        fd = fileno()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def _poll(
    proc: Process, fds: list[tuple[int, int]], timeout: float | None
) -> list[tuple[int, int]]:
    try:
        return restarting(proc, sys_poll.poll, fds, timeout)
    except KernelError as e:
        raise oserror(e.errno) from None


def make_poll(proc: Process) -> type:
    """The process's ``select.poll`` class."""

    class poll:  # noqa: N801 - it is select.poll
        """select.poll over the machine's fds."""

        def __init__(self) -> None:
            self._fds: dict[int, int] = {}

        def register(self, fd: Any, eventmask: int = _DEFAULT, /) -> None:
            self._fds[_fileno(fd)] = eventmask

        def modify(self, fd: Any, eventmask: int, /) -> None:
            n = _fileno(fd)
            if n not in self._fds:
                raise oserror(errno.ENOENT)
            self._fds[n] = eventmask

        def unregister(self, fd: Any, /) -> None:
            del self._fds[_fileno(fd)]

        def poll(self, timeout: float | None = None, /) -> list[tuple[int, int]]:
            if timeout is not None:
                ms = math.ceil(timeout) if isinstance(timeout, float) else int(timeout)
                timeout = None if ms < 0 else ms / 1000
            return _poll(proc, list(self._fds.items()), timeout)

    return poll


def make_select(proc: Process) -> Any:
    """The process's ``select.select``."""

    def select(rlist: Any, wlist: Any, xlist: Any, timeout: float | None = None, /) -> Any:
        if timeout is not None:
            if timeout < 0:
                raise ValueError("timeout must be non-negative")
            timeout = float(timeout)
        lists = [list(rlist), list(wlist), list(xlist)]
        want: dict[int, int] = {}
        for objs, ev in zip(lists, (sys_poll.POLLIN, sys_poll.POLLOUT, 2), strict=True):
            for obj in objs:
                fd = _fileno(obj)
                want[fd] = want.get(fd, 0) | ev
        for fd in want:
            if fd not in proc.fds.files:
                raise oserror(errno.EBADF)
        ready = dict(_poll(proc, list(want.items()), timeout))
        rmask = sys_poll.POLLIN | sys_poll.POLLHUP | sys_poll.POLLERR
        wmask = sys_poll.POLLOUT | sys_poll.POLLERR
        return (
            [o for o in lists[0] if ready.get(_fileno(o), 0) & rmask],
            [o for o in lists[1] if ready.get(_fileno(o), 0) & wmask],
            [o for o in lists[2] if ready.get(_fileno(o), 0) & 2],
        )

    return select
