"""Run a command as a child process and wait for it (fork + execvp + waitpid).

What ``find -exec`` and ``xargs`` do: the child execs ``argv`` searching
``PATH``; when the exec fails it prints ``NAME: 'cmd': strerror`` (find's
message; xargs leaves the quotes out) and exits 127 (not found) or 126 (found but not runnable). The
caller gets the child's wait status decoded: an exit code, or
``128 + signal`` for a child killed by a signal (``signalled`` is then set).
"""

from __future__ import annotations

import errno

from ..context import Context

__all__ = ["run_command", "NOT_FOUND", "CANNOT_RUN"]

NOT_FOUND = 127
CANNOT_RUN = 126


def run_command(
    ctx: Context, argv: list[str], cwd: str | None = None, quote: bool = True
) -> tuple[int, bool]:
    """Run ``argv`` (in directory ``cwd``); return (exit status, killed-by-signal).
    ``quote``: name the command as ``'cmd'`` (find) or ``cmd`` (xargs) on error."""

    def child(cctx: Context) -> int:
        try:
            if cwd is not None:
                cctx.os.chdir(cwd)
            cctx.exec(argv)
        except OSError as e:
            shown = f"'{argv[0]}'" if quote else argv[0]
            cctx.error(f"{shown}: {cctx.os.strerror(e.errno)}")
            return NOT_FOUND if e.errno == errno.ENOENT else CANNOT_RUN
        return CANNOT_RUN  # pragma: no cover - exec never returns

    pid = ctx.fork(child)
    vos = ctx.os
    while True:
        try:
            _, status = vos.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if vos.WIFSIGNALED(status):
        return 128 + vos.WTERMSIG(status), True
    return vos.WEXITSTATUS(status), False
