"""The ``python`` program: Python code run as a virtual process, in-process.

``python [-c CODE | -m MODULE | SCRIPT | -] [ARGS...]`` runs in the process's
host thread with that process as its whole OS view (``patch``), so every
``os``/``open``/``subprocess`` call it makes lands in the machine as that
process. ``sys.argv``, the standard streams, ``sys.executable``, ``prefix``,
``exec_prefix`` and ``path`` are per-process (``_pysys``); the rest of
``sys`` and the imported modules are shared with the host interpreter, which
is the documented limit of running in-process. Start-up
and shutdown are CPython's (``_pyinit``): SIGPIPE and SIGXFSZ ignored, SIGINT
raising KeyboardInterrupt, the standard streams as ``create_stdio`` makes
them, and the exit status of ``Py_RunMain`` (120 when flushing stdout fails
at exit, death by SIGINT after an uncaught KeyboardInterrupt).
"""

from __future__ import annotations

import logging
import runpy
import signal
import sys
from typing import Any

from . import _pysys as pysys
from ._pyinit import exit_code, flush_std_files, make_stdio, report, start_signals
from ._pysys import guest_sys
from .kernel.signals import ProcessKilled
from .patch import machine_loaders, patched_os
from .shell.context import Context
from .shell.registry import program

__all__ = ["python"]

VERSION = "Python {}.{}.{}".format(*sys.version_info[:3])


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
    opts: set[str] = set()
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
        opts.add(a)
        args = args[1:]  # -u -E -I; -B -s -S -O -q -b -d: accepted, no effect here
    vos = ctx.os
    unbuffered = "-u" in opts or (
        not ({"-E", "-I"} & opts) and bool(vos.environ.get("PYTHONUNBUFFERED"))
    )
    start_signals(vos)
    stdin, stdout, stderr = make_stdio(vos, unbuffered)
    argv = {"c": ["-c"], "m": [target], "file": [target], "stdin": ["-" if mode else ""]}[mode]
    proc = vos._surface.proc
    path0 = {"c": "", "stdin": "", "m": vos.getcwd, "file": lambda: _dirname(vos, target)}
    p0 = path0[mode]
    exe = vos.path.abspath(proc.exe) if proc.exe else ""
    streams = guest_sys(vos, exe, p0 if isinstance(p0, str) else p0())
    streams.update(argv=argv + args, stdin=stdin, stdout=stdout, stderr=stderr)
    streams.update(__stdin__=stdin, __stdout__=stdout, __stderr__=stderr)
    if mode == "stdin" and not ctx.argv[1:]:
        streams["argv"] = [""]
    before = set(sys.modules)
    root_log = (list(logging.root.handlers), logging.root.level)
    pysys.use()
    stok = pysys.CURRENT_SYS.set(streams)
    code = 0
    interrupted = False
    try:
        try:
            with patched_os(vos):
                _run(vos, mode, target)
        except SystemExit as e:
            code = exit_code(e, streams["stderr"])
        except BaseException as e:  # noqa: BLE001 - report as the interpreter does
            if type(e).__name__ in ("ProcessKilled", "ExecImage", "_Exit"):
                raise
            report(e, streams["stderr"])
            interrupted = isinstance(e, KeyboardInterrupt)
            code = 1
        # Py_FinalizeEx: the streams sys names now (the program may have replaced them)
        if not flush_std_files(streams["stdout"], streams["stderr"]):
            code = 120
    finally:
        pysys.CURRENT_SYS.reset(stok)
        pysys.release()
        pysys.drop_machine_modules(before, machine_loaders(), root_log)
    if interrupted:
        raise ProcessKilled(int(signal.SIGINT))  # exit_sigint: die by SIGINT
    return code


def _dirname(vos: Any, target: str) -> str:
    """``sys.path[0]`` for a script: its directory, made absolute."""
    return str(vos.path.dirname(vos.path.abspath(target)))


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
        except OSError as e:  # pymain_run_file: the message, then status 2
            name = vos._surface.proc.argv[0] if vos._surface.proc.argv else "python3"
            sys.stderr.write(
                f"{name}: can't open file {target!r}: [Errno {e.errno}] {e.strerror}\n"
            )
            raise SystemExit(2) from None
        main["__file__"] = target
        exec(compile(source, target, "exec"), main)
    else:
        source = sys.stdin.read()
        exec(compile(source, "<stdin>", "exec"), main)
