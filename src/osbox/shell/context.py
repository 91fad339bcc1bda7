"""``Context``: what a program running in a virtual process sees.

A program is ``main(ctx: Context) -> int``; it returns its exit status
(0-255) or raises ``ProgramExit``. Everything it does goes through
``ctx.os``, the ``os`` module of its own virtual process (pid, cwd,
environment, credentials, umask and fd table are that process's). Its
standard streams are fds 0, 1 and 2 of that process; ``ctx.stdout`` and
``ctx.stderr`` are binary buffered writers over fds 1 and 2 that the runner
flushes when the program ends, ``ctx.stdin`` a binary reader over fd 0.

Process primitives, as the shell needs them (Linux names):

* ``ctx.fork(fn)`` starts a child process, a copy of this one (fds, cwd,
  environment, credentials, umask), running ``fn(child_ctx) -> int`` in a
  new host thread; returns the child's pid. This is the in-process form of
  ``fork()``: the shell uses it for subshells, pipelines and ``&``.
* ``ctx.exec(argv, env)`` replaces the program of this process, searching
  ``PATH`` as ``execvpe`` does; it returns only by raising ``OSError``
  (ENOENT, EACCES, ENOEXEC...), as ``os.execvpe`` does.
* ``ctx.os.waitpid``, ``ctx.os.kill``, ``ctx.os.pipe``, ``ctx.os.dup2`` are
  the ``os`` functions.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

__all__ = ["Context", "ProgramExit"]


class ProgramExit(BaseException):  # noqa: N818 - mirrors SystemExit
    """Raised to end the program at once with ``status`` (like ``exit()``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Context:
    """One program's view of its virtual process.

    ``os`` is the process's ``os`` module; ``argv`` its arguments (str,
    fsdecoded with surrogateescape, as ``sys.argv``).
    """

    def __init__(self, os: Any, argv: list[str]) -> None:
        self.os = os
        self.argv = argv
        self._streams: dict[int, Any] = {}

    # -- standard streams ------------------------------------------------------------
    def _stream(self, fd: int, mode: str) -> Any:
        s = self._streams.get(fd)
        if s is None:
            s = self.os.open_file(fd, mode, closefd=False)
            self._streams[fd] = s
        return s

    @property
    def stdin(self) -> io.BufferedReader:
        """A binary reader over fd 0 (not closed when the program ends)."""
        s: io.BufferedReader = self._stream(0, "rb")
        return s

    @property
    def stdout(self) -> io.BufferedWriter:
        """A binary buffered writer over fd 1."""
        s: io.BufferedWriter = self._stream(1, "wb")
        return s

    @property
    def stderr(self) -> io.BufferedWriter:
        """A binary buffered writer over fd 2."""
        s: io.BufferedWriter = self._stream(2, "wb")
        return s

    @property
    def name(self) -> str:
        """The program's name as messages print it: the basename of argv[0]."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else "?"

    def error(self, message: str) -> None:
        """Write ``NAME: message`` and a newline to fd 2 (GNU's format)."""
        self.stderr.write(f"{self.name}: {message}\n".encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        """Flush the buffered standard streams (the runner does this at exit;
        call it before handing the fds to a child or blocking on one)."""
        for fd in (1, 2):
            s = self._streams.get(fd)
            if s is not None:
                try:
                    s.flush()
                except (BrokenPipeError, ValueError):
                    pass

    def reset_streams(self) -> None:
        """Forget the stream objects, after fds 0-2 were redirected."""
        self.flush()
        self._streams.clear()

    def with_argv(self, argv: list[str]) -> Context:
        """A context for a builtin run in this same process with ``argv``."""
        ctx = Context(self.os, argv)
        ctx._streams = self._streams
        return ctx

    # -- processes ---------------------------------------------------------------------
    def fork(self, fn: Callable[[Context], int]) -> int:
        """Start a child process (a copy of this one) running ``fn``; return
        its pid. Errors: EAGAIN when the machine's process limit is reached."""
        self.flush()
        pid: int = self.os._fork_call(fn)
        return pid

    def exec(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        """Replace this process's program (``execvpe``). Raises ``OSError``
        (ENOENT, EACCES, ENOEXEC, E2BIG) if it cannot; never returns otherwise."""
        self.flush()
        if env is None:
            self.os.execvp(argv[0], argv)
        else:
            self.os.execvpe(argv[0], argv, env)

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``; a signal that ends the process interrupts it."""
        self.os._sleep(seconds)
