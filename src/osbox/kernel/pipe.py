"""Pipes and FIFOs: a bounded byte buffer with reader and writer counts.

Semantics follow Linux ``pipe(7)``: capacity 65536 bytes, writes of at most
``PIPE_BUF`` (4096) bytes are atomic, a read on an empty pipe blocks while a
writer exists and returns EOF once none does, a write with no reader fails
with EPIPE, and ``O_NONBLOCK`` turns waiting into EAGAIN. Waiting releases the
machine lock, so another thread can fill or drain the pipe meanwhile.
"""

from __future__ import annotations

import threading
from errno import EAGAIN, EFBIG, EPIPE
from signal import SIGPIPE, SIGXFSZ
from typing import TYPE_CHECKING, Any

from .errors import KernelError
from .signals import check, deliver, wait_event

if TYPE_CHECKING:
    from .process import Process

__all__ = ["PIPE_BUF", "PIPE_SIZE", "Pipe"]

PIPE_BUF = 4096
PIPE_SIZE = 65536


class Pipe:
    """The buffer behind a pipe or FIFO (Linux ``struct pipe_inode_info``)."""

    __slots__ = ("buf", "readers", "writers", "cond", "node", "written")

    def __init__(self, lock: threading.RLock) -> None:
        self.buf = bytearray()
        self.readers = 0
        self.writers = 0
        self.cond = threading.Condition(lock)
        self.node: Any = None  # the Inode fstat reports for an anonymous pipe
        self.written: dict[int, int] = {}  # pid -> bytes it wrote (the output limit)

    def read(self, n: int, nonblock: bool, proc: Process | None = None) -> bytes:
        """Return up to ``n`` bytes; b"" at EOF. Called with the lock held;
        ``proc``, the reader, may be ended or interrupted by a signal."""
        while not self.buf:
            if self.writers == 0 or n == 0:
                return b""
            if nonblock:
                raise KernelError(EAGAIN)
            wait_event(proc, self.cond)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        self.cond.notify_all()
        return data

    def write(self, data: bytes, nonblock: bool, proc: Process | None = None) -> int:
        """Write ``data``; return the count written. Called with the lock held.
        With no reader left, the writer gets SIGPIPE (unless it ignores it,
        as Python programs do) and EPIPE. The machine's output limit counts
        the bytes each process writes to this pipe, as RLIMIT_FSIZE bounds
        each file: past it a write is cut short, and the next one gets
        SIGXFSZ (unless ignored) and EFBIG."""
        total = 0
        size = len(data)
        if proc is not None:
            limit = proc.k.max_output
            if limit is not None and proc.pid != 1:
                done = self.written.get(proc.pid, 0)
                if done >= limit:
                    deliver(proc, SIGXFSZ)
                    check(proc)
                    raise KernelError(EFBIG)
                if size > limit - done:
                    data, size = data[: limit - done], limit - done
                self.written[proc.pid] = done + size
            proc.written += size
        while True:
            if self.readers == 0:
                if total:
                    return total
                if proc is not None:
                    deliver(proc, SIGPIPE)
                    check(proc)
                raise KernelError(EPIPE)
            room = PIPE_SIZE - len(self.buf)
            left = size - total
            if room >= left or (room > 0 and left > PIPE_BUF):
                chunk = data[total : total + room]
                self.buf += chunk
                total += len(chunk)
                self.cond.notify_all()
                if total == size:
                    return total
            if nonblock:
                if total:
                    return total
                raise KernelError(EAGAIN)
            wait_event(proc, self.cond)

    def close_end(self, writer: bool) -> None:
        if writer:
            self.writers -= 1
        else:
            self.readers -= 1
        self.cond.notify_all()
