"""What CPython's start-up and shutdown do for a Python guest (``_pyprog``).

* Signals (``Modules/signalmodule.c``, ``signal_install_handlers``): SIGPIPE
  and SIGXFSZ ignored, so a write to a closed pipe raises
  ``BrokenPipeError`` and one past the output limit ``OSError(EFBIG)``;
  SIGINT, when not ignored, raises ``KeyboardInterrupt``
  (``signal.default_int_handler``).
* The standard streams (``Python/pylifecycle.c``, ``create_stdio``): a raw
  file named ``<stdin>``/``<stdout>``/``<stderr>``, buffered unless ``-u``
  or ``PYTHONUNBUFFERED`` (stdin always is), a text layer with ``newline
  "\\n"``, line-buffered on a terminal and for stderr, ``mode`` set.
* An uncaught exception is printed as ``sys.excepthook`` does, without
  osbox's own frames; SystemExit gives the exit code as
  ``handle_system_exit`` does.
* Shutdown (``Py_FinalizeEx``, ``flush_std_files``): stdout then stderr
  are flushed; a failure of stdout's is reported as ``Exception ignored
  in: <stdout>`` and either makes the exit status 120. After an uncaught
  KeyboardInterrupt the process ends by SIGINT (``exit_sigint``).
"""

from __future__ import annotations

import io
import os
import signal
import traceback
from typing import Any

__all__ = ["start_signals", "make_stdio", "report", "exit_code", "flush_std_files"]

_OSBOX_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def start_signals(vos: Any) -> None:
    """Set the process's dispositions as CPython's start-up does."""
    from .api._signal import PyHandler

    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        vos._sigaction(int(sig), signal.SIG_IGN)
    sigint = int(signal.SIGINT)
    old = vos._sigaction(sigint, PyHandler(signal.default_int_handler))
    if old == signal.SIG_IGN:  # inherited ignored: CPython leaves it so
        vos._sigaction(sigint, old)


def _stream(vos: Any, fd: int, unbuffered: bool) -> io.TextIOWrapper:
    name = ("stdin", "stdout", "stderr")[fd]
    write = fd != 0
    raw_only = unbuffered and write
    buf = vos.open_file(fd, "wb" if write else "rb", buffering=0 if raw_only else -1, closefd=False)
    raw = buf if raw_only else buf.raw
    raw.name = f"<{name}>"
    text = io.TextIOWrapper(
        buf,
        encoding="utf-8",
        errors="backslashreplace" if fd == 2 else "surrogateescape",
        newline="\n",
        line_buffering=not unbuffered and (fd == 2 or raw.isatty()),
        write_through=unbuffered,
    )
    text.mode = "w" if write else "r"  # type: ignore[misc]
    return text


def make_stdio(vos: Any, unbuffered: bool) -> tuple[io.TextIOWrapper, ...]:
    """``sys.stdin``, ``sys.stdout`` and ``sys.stderr`` over fds 0-2."""
    return tuple(_stream(vos, fd, unbuffered) for fd in range(3))


def _prune(te: traceback.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if not f.filename.startswith(_OSBOX_DIR)]
    )
    for other in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if other is not None:
            _prune(other, seen)


def report(exc: BaseException, stderr: Any) -> None:
    """Print ``exc`` as the default ``sys.excepthook`` does, without osbox's
    frames: in CPython the calls they implement are C, and show none."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    _prune(te, set())
    try:
        stderr.write("".join(te.format()))
        stderr.flush()
    except (OSError, ValueError):
        pass


def exit_code(exc: SystemExit, stderr: Any) -> int:
    """The exit status of an uncaught SystemExit: its int code, 0 for None,
    else 1 after printing the code on stderr."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=stderr)
        stderr.flush()
    except (OSError, ValueError):
        pass
    return 1


def flush_std_files(stdout: Any, stderr: Any) -> bool:
    """Flush stdout, then stderr; False if either failed (stdout's error is
    reported as an unraisable exception, on stderr)."""
    ok = True
    if stdout is not None and not getattr(stdout, "closed", False):
        try:
            stdout.flush()
        except Exception as e:  # noqa: BLE001 - reported as PyErr_WriteUnraisable does
            ok = False
            try:
                text = "".join(traceback.format_exception_only(type(e), e))
                stderr.write(f"Exception ignored in: {stdout!r}\n{text}")
            except Exception:  # noqa: BLE001, S110
                pass
    if stderr is not None and not getattr(stderr, "closed", False):
        try:
            stderr.flush()
        except Exception:  # noqa: BLE001
            ok = False
    return ok
