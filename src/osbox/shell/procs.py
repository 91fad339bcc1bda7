"""Process plumbing for the sh interpreter: fork, wait, fd save/restore.

``fork(ctx, fn)`` is ``ctx.fork`` when the machine has a process runtime;
without one (``ENOSYS``) it runs ``fn`` at once in this same process on a
snapshot of the low fds, cwd and umask, and remembers its status under a
made-up pid so ``wait`` can return it: enough for subshells, command
substitutions and builtin-only pipelines whose data fits a pipe buffer.
"""

from __future__ import annotations

import errno
import signal
from collections.abc import Callable
from typing import Any

from .context import Context, ProgramExit

__all__ = ["decode_status", "fork", "move_high", "wait", "wait_fg", "wait_raw"]

_FAKE: dict[int, int] = {}
_next_fake = [900000]
_SNAPSHOT_FDS = 20


def decode_status(status: int) -> int:
    """A wait status as ``$?``: the exit code, or 128 + the killing signal."""
    sig = status & 0x7F
    if sig:
        return 128 + sig
    return (status >> 8) & 0xFF


def move_high(vos: Any, fd: int, low: int = 10) -> int:
    """Duplicate ``fd`` onto the lowest free fd >= ``low``; close ``fd``."""
    target = low
    while True:
        try:
            vos.fstat(target)
        except OSError:
            break
        target += 1
    vos.dup2(fd, target, inheritable=False)
    vos.close(fd)
    return target


def fork(ctx: Context, fn: Callable[[Context], int]) -> int:
    try:
        return ctx.fork(fn)
    except AttributeError:
        pass
    except OSError as e:
        if e.errno != errno.ENOSYS:
            raise
    return _run_inline(ctx, fn)


def _run_inline(ctx: Context, fn: Callable[[Context], int]) -> int:
    vos = ctx.os
    ctx.flush()
    saved: dict[int, int] = {}
    for fd in range(_SNAPSHOT_FDS):
        try:
            saved[fd] = move_high(vos, vos.dup(fd), 200)
        except OSError:
            pass
    cwd = vos.getcwd()
    mask = vos.umask(0)
    vos.umask(mask)
    child = Context(vos, list(ctx.argv))
    try:
        status = fn(child)
    except ProgramExit as e:
        status = e.status
    child.flush()
    for fd in range(_SNAPSHOT_FDS):
        s = saved.get(fd)
        if s is None:
            try:
                vos.close(fd)
            except OSError:
                pass
        else:
            vos.dup2(s, fd, inheritable=fd < 3)
            vos.close(s)
    try:
        vos.chdir(cwd)
    except OSError:
        pass
    vos.umask(mask)
    ctx.reset_streams()
    pid = _next_fake[0]
    _next_fake[0] += 1
    _FAKE[pid] = (status & 0xFF) << 8
    return pid


def wait_raw(vos: Any, pid: int) -> int | None:
    """Wait for ``pid``; its wait status, None if it is not our child."""
    if pid in _FAKE:
        return _FAKE.pop(pid)
    while True:
        try:
            _, status = vos.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return None
        return int(status)


def wait(vos: Any, pid: int) -> int:
    """Wait for ``pid``; its status as ``$?``."""
    status = wait_raw(vos, pid)
    return 127 if status is None else decode_status(status)


def wait_fg(vos: Any, pid: int) -> int:
    """Wait for a foreground job's process; as dash, report a death by a
    signal other than SIGINT/SIGPIPE on stderr (``Killed``, ``Terminated``)."""
    status = wait_raw(vos, pid)
    if status is None:
        return 127
    sig = status & 0x7F
    if sig and sig not in (signal.SIGINT, signal.SIGPIPE):
        text = signal.strsignal(sig) or f"Signal {sig}"
        if status & 0x80:
            text += " (core dumped)"
        try:
            vos.write(2, (text + "\n").encode())
        except OSError:
            pass
    return decode_status(status)
