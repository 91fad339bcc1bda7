"""The ``python`` program: Python code run as a virtual process, in-process.

``python [-c CODE | -m MODULE | SCRIPT | -] [ARGS...]`` runs in the process's
host thread with that process as its whole OS view (``patch``), so every
``os``/``open``/``subprocess`` call it makes lands in the machine as that
process. ``sys.argv``, ``sys.stdin``, ``sys.stdout`` and ``sys.stderr`` are
per-process while a machine's Python program runs (context-routed proxies);
everything else in ``sys`` and the imported modules are shared with the host
interpreter, which is the documented limit of running in-process. As CPython
does, the program ignores SIGPIPE and sees ``BrokenPipeError`` instead.
"""

from __future__ import annotations

import contextvars
import io
import runpy
import signal
import sys
import threading
from typing import Any

from .patch import patched_os
from .shell.context import Context
from .shell.registry import program

__all__ = ["python"]

VERSION = "Python {}.{}.{}".format(*sys.version_info[:3])
_STREAMS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "osbox_pyprog", default=None
)
_lock = threading.Lock()
_users = 0
_saved: dict[str, Any] = {}


class _Routed:
    """Stands for ``sys.<name>``: the current Python program's, else the host's."""

    def __init__(self, name: str, host: Any) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_host", host)

    def _target(self) -> Any:
        d = _STREAMS.get()
        return object.__getattribute__(self, "_host") if d is None else d[self._name]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._target(), attr, value)

    def __iter__(self) -> Any:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __getitem__(self, i: Any) -> Any:
        return self._target()[i]

    def __setitem__(self, i: Any, v: Any) -> None:
        self._target()[i] = v

    def __eq__(self, other: object) -> bool:
        return bool(self._target() == other)

    def __repr__(self) -> str:
        return repr(self._target())


def _enter() -> None:
    global _users
    with _lock:
        if _users == 0:
            for name in ("argv", "stdin", "stdout", "stderr"):
                _saved[name] = getattr(sys, name)
                setattr(sys, name, _Routed(name, _saved[name]))
        _users += 1


def _leave() -> None:
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            for name, value in _saved.items():
                setattr(sys, name, value)
            _saved.clear()


def _usage(ctx: Context, msg: str) -> int:
    ctx.stderr.write(
        f"{msg}\nusage: python3 [option] ... [-c cmd | -m mod | file | -] [arg] ...\n"
        "Try `python -h' for more information.\n".encode()
    )
    return 2


@program("python", "python3", f"python3.{sys.version_info[1]}")
def python(ctx: Context) -> int:
    """Run Python code as this process (see the module docstring)."""
    args = ctx.argv[1:]
    mode, target = "stdin", ""
    while args:
        a = args[0]
        if a in ("-V", "--version"):
            ctx.stdout.write(VERSION.encode() + b"\n")
            return 0
        if a == "-c" or a == "-m":
            if len(args) < 2:
                return _usage(ctx, f"Argument expected for the {a} option")
            mode, target, args = a[1], args[1], args[2:]
            break
        if a.startswith("-c") or a.startswith("-m"):
            mode, target, args = a[1], a[2:], args[1:]
            break
        if a in ("-W", "-X"):
            args = args[2:]
            continue
        if a == "-" or not a.startswith("-"):
            if a != "-":
                mode, target = "file", a
            args = args[1:]
            break
        args = args[1:]  # -u -B -E -I -s -S -O -q -b -d: accepted, no effect here
    vos = ctx.os
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # as CPython's startup does
        vos._sigaction(int(sig), signal.SIG_IGN)
    enc = {"encoding": "utf-8", "errors": "surrogateescape"}
    stdin = io.TextIOWrapper(vos.open_file(0, "rb", closefd=False), **enc)  # type: ignore[arg-type]
    stdout = io.TextIOWrapper(vos.open_file(1, "wb", closefd=False), **enc)  # type: ignore[arg-type]
    stderr = io.TextIOWrapper(
        vos.open_file(2, "wb", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    argv = {"c": ["-c"], "m": [target], "file": [target], "stdin": ["-" if mode else ""]}[mode]
    streams = {"argv": argv + args, "stdin": stdin, "stdout": stdout, "stderr": stderr}
    if mode == "stdin" and not ctx.argv[1:]:
        streams["argv"] = [""]
    _enter()
    stok = _STREAMS.set(streams)
    code = 0
    try:
        try:
            with patched_os(vos):
                _run(vos, mode, target)
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=stderr)
                code = 1
        except BaseException as e:  # noqa: BLE001 - report as the interpreter does
            if type(e).__name__ in ("ProcessKilled", "ExecImage", "_Exit"):
                raise
            import traceback

            stderr.write("".join(traceback.format_exception(e)))
            code = 1
        finally:
            for s in (stdout, stderr):
                try:
                    s.flush()
                except (OSError, ValueError):
                    pass
    finally:
        _STREAMS.reset(stok)
        _leave()
    return code


def _run(vos: Any, mode: str, target: str) -> None:
    main: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        _execute(vos, mode, target, main)
    finally:
        # The program's shutdown: its globals go, so their finalizers
        # (TemporaryDirectory cleanup, ResourceWarnings) run as this process.
        main.clear()


def _execute(vos: Any, mode: str, target: str, main: dict[str, Any]) -> None:
    if mode == "c":
        exec(compile(target, "<string>", "exec"), main)
    elif mode == "m":
        runpy.run_module(target, run_name="__main__", alter_sys=False)
    elif mode == "file":
        try:
            with vos.open_file(target, "rb") as f:
                source = f.read()
        except OSError as e:
            raise SystemExit(
                f"{sys.executable}: can't open file {target!r}: [Errno {e.errno}] {e.strerror}"
            ) from None
        main["__file__"] = target
        exec(compile(source, target, "exec"), main)
    else:
        source = sys.stdin.read()
        exec(compile(source, "<stdin>", "exec"), main)
