"""``osbox run``: run Python code inside a machine, as ``python`` runs it.

``osbox run SCRIPT [ARGS...]``, ``osbox run -m MODULE [ARGS...]`` and
``osbox run -c CODE [ARGS...]`` take their arguments as ``python`` does:
everything after the script, the module or the code belongs to the program
(``sys.argv``), and ``SCRIPT`` may be ``-`` for standard input. The script
file is read from the host before the machine is entered (a ``.py`` or
``.pyc`` file, a directory or a zip file with ``__main__.py``), and imports
come from the host too, except modules stored in machine directories on
``sys.path`` (see ``osbox.patch``). Everything else the program does with
``os``, ``open``, ``pathlib``, ``shutil``... happens in the machine, in this
process, inside ``machine.patch()``. Standard streams are the real ones.
``--overlay HOSTDIR[:VPATH]`` (repeatable) first layers a host directory
into the machine (``Machine.overlay``): the program reads the host's files
there and its writes stay in the machine.

The exit status is the program's: ``sys.exit`` codes as python honours them,
1 (with the traceback on stderr) for an uncaught exception, 130 for
KeyboardInterrupt. What the program leaves for interpreter exit is done
before leaving the machine, so it cannot reach the host: its non-daemon
threads are joined, its ``atexit`` callbacks and ``weakref.finalize``
finalizers run, and its globals are cleared. Tracebacks are formatted after
leaving the machine, so their source lines are the host's files.
"""

from __future__ import annotations

import builtins
import gc
import importlib.machinery
import importlib.util
import linecache
import marshal
import os
import runpy
import sys
import threading
import traceback
import types
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from .._machine import Machine
from .common import die, flush_stdout, machine_options, open_machine, report

__all__ = ["run"]

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class _NoModule(Exception):
    """``-m`` names no importable module (python reports it in one line)."""


# -- the program ---------------------------------------------------------------------


@dataclass
class Program:
    """What to run and the ``sys`` state python would give it."""

    argv: list[str]
    path0: str | None
    code: types.CodeType | None = None
    filename: str | None = None
    module: str | None = None
    run_path: str | None = None
    compiled: bool = False
    namespace: dict[str, Any] = field(default_factory=dict)

    def execute(self) -> None:
        """Run it (inside the machine); exceptions propagate."""
        if self.code is not None:
            self._exec_main(self.code)
        elif self.module is not None:
            try:
                spec = importlib.util.find_spec(self.module)
            except (ImportError, ValueError) as exc:
                raise _NoModule(
                    f"Error while finding module specification for {self.module!r} "
                    f"({type(exc).__name__}: {exc})"
                ) from None
            if spec is None:
                raise _NoModule(f"No module named {self.module}")
            self.namespace = runpy.run_module(self.module, run_name="__main__", alter_sys=True)
        elif self.run_path is not None:
            self.namespace = runpy.run_path(self.run_path, run_name="__main__")

    def _exec_main(self, code: types.CodeType) -> None:
        """Run ``code`` as the ``__main__`` module, as python runs a script."""
        main = types.ModuleType("__main__")
        ns = main.__dict__
        ns["__builtins__"] = builtins
        ns["__package__"] = None
        ns["__spec__"] = None
        ns["__cached__"] = None
        if self.filename is not None:
            ns["__file__"] = self.filename
            loader = (
                importlib.machinery.SourcelessFileLoader
                if self.compiled
                else importlib.machinery.SourceFileLoader
            )
            ns["__loader__"] = loader("__main__", self.filename)
        else:
            ns["__loader__"] = importlib.machinery.BuiltinImporter
        self.namespace = ns
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = main
        try:
            exec(code, ns)
        finally:
            if saved is None:
                sys.modules.pop("__main__", None)
            else:
                sys.modules["__main__"] = saved


def _compile(source: bytes | str, filename: str) -> types.CodeType:
    """Compile without inheriting this module's ``__future__`` flags; a
    syntax error is printed as python prints it and exits 1."""
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
        die(1)


def _unmarshal(data: bytes, path: str) -> types.CodeType:
    """The code object of a ``.pyc`` file (its 16-byte header skipped)."""
    try:
        code = marshal.loads(data[16:])
    except (EOFError, ValueError, TypeError):
        code = None
    if not isinstance(code, types.CodeType):
        report(f"can't run {path!r}: bad compiled file")
        die(1)
    return code


def prepare(module: str | None, code: str | None, argv: tuple[str, ...]) -> Program:
    """Read and compile what to run, on the host, before any machine opens."""
    args = list(argv)
    if code is not None:
        return Program(["-c", *args], "", code=_compile(code, "<string>"))
    if module is not None:
        return Program(["-m", *args], os.getcwd(), module=module)
    if not args:
        raise click.UsageError("missing SCRIPT (or -m MODULE, or -c CODE)")
    script = args[0]
    if script == "-":
        stdin = sys.stdin.buffer
        return Program(args, "", code=_compile(stdin.read(), "<stdin>"))
    path = os.path.abspath(script)
    if os.path.isdir(path) or zipfile.is_zipfile(path):
        return Program(args, None, run_path=path)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        report(f"can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}")
        die(2)
    directory = os.path.dirname(os.path.realpath(path))
    if source[:4] == importlib.util.MAGIC_NUMBER:
        code_object = _unmarshal(source, path)
        return Program(args, directory, code=code_object, filename=path, compiled=True)
    return Program(args, directory, code=_compile(source, path), filename=path)


# -- what a program leaves for interpreter exit --------------------------------------


def _finalizers() -> dict[Any, Any]:
    registry: dict[Any, Any] = getattr(weakref.finalize, "_registry", {})
    return registry


class Leftovers:
    """Collects what the program leaves for interpreter exit so that
    ``finish`` can do it while the machine is still installed.

    While active, ``atexit.register``/``unregister`` keep the program's
    callbacks here instead of the interpreter's.
    """

    def __init__(self) -> None:
        self.problems: list[tuple[str, traceback.TracebackException]] = []
        self._callbacks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._threads: set[threading.Thread] = set()
        self._finalizers: set[Any] = set()
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> Leftovers:
        import atexit

        self._threads = set(threading.enumerate())
        self._finalizers = set(_finalizers())
        self._saved = (atexit.register, atexit.unregister)
        setattr(atexit, "register", self._register)  # noqa: B010 - a module attribute
        setattr(atexit, "unregister", self._unregister)  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        import atexit

        if self._saved is not None:
            setattr(atexit, "register", self._saved[0])  # noqa: B010
            setattr(atexit, "unregister", self._saved[1])  # noqa: B010
            self._saved = None

    def _register(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        if getattr(func, "__self__", None) is weakref.finalize and self._saved is not None:
            # weakref.finalize's own hook, registered once per process: it
            # stays the interpreter's (``finish`` runs the program's finalizers)
            registered: Callable[..., Any] = self._saved[0](func, *args, **kwargs)
            return registered
        self._callbacks.append((func, args, kwargs))
        return func

    def _unregister(self, func: Callable[..., Any]) -> None:
        self._callbacks = [c for c in self._callbacks if c[0] != func]

    def _call(self, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except SystemExit:
            pass
        except BaseException as exc:  # noqa: BLE001 - python reports and goes on
            self.problems.append((f"Exception ignored in {what}: {func!r}", capture(exc)))

    def finish(self, namespace: dict[str, Any]) -> None:
        """Join the program's threads, run its exit callbacks and finalizers
        (newest first), then drop its globals and collect the garbage."""
        current = threading.current_thread()
        for thread in threading.enumerate():
            if thread is not current and not thread.daemon and thread not in self._threads:
                thread.join()
        while self._callbacks:
            func, args, kwargs = self._callbacks.pop()
            self._call("atexit callback", func, *args, **kwargs)
        for finalizer in reversed(list(_finalizers())):
            if finalizer not in self._finalizers and finalizer.atexit and finalizer.alive:
                self._call("weakref finalizer", finalizer)
        namespace.clear()
        gc.collect()


# -- running and reporting -----------------------------------------------------------


def capture(exc: BaseException) -> traceback.TracebackException:
    """A printable summary of ``exc`` that holds no frames, without the
    leading frames of this package; source lines are read when printed."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HERE):
        tb = tb.tb_next
    if tb is None:
        tb = exc.__traceback__
    return traceback.TracebackException(type(exc), exc, tb, lookup_lines=False)


def _exit_status(code: object) -> int:
    """What python makes of ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def execute(machine: Machine, program: Program) -> int:
    """Run ``program`` in ``machine`` and return its exit status."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = list(program.argv)
    machine.proc.argv = ["python3", *program.argv]  # process 1's cmdline, as ps shows it
    if program.path0 is not None:
        sys.path.insert(0, program.path0)
    status = 0
    summary: traceback.TracebackException | None = None
    no_module: str | None = None
    exit_code: object = None
    leftovers = Leftovers()
    gc.collect()  # the host's garbage is not finalized inside the machine
    try:
        with machine.patch(), leftovers:
            try:
                program.execute()
            except SystemExit as exc:
                exit_code = exc.code
            except _NoModule as exc:
                no_module = str(exc)
            except KeyboardInterrupt as exc:
                summary, status = capture(exc), 130
            except BaseException as exc:  # noqa: BLE001 - python's top level
                summary, status = capture(exc), 1
            leftovers.finish(program.namespace)
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
    linecache.checkcache()
    flush_stdout()
    if summary is not None:
        sys.stderr.write("".join(summary.format()))
    elif no_module is not None:
        report(no_module)
        status = 1
    else:
        status = _exit_status(exit_code)
    for header, problem in leftovers.problems:
        sys.stderr.write(header + "\n" + "".join(problem.format()))
    sys.stderr.flush()
    return status


def add_overlay(machine: Machine, spec: str) -> None:
    """Attach ``--overlay HOSTDIR[:VPATH]`` unless the machine has it already
    (a machine file keeps its overlays). A bad HOSTDIR or VPATH is a usage
    error (exit 2)."""
    host, sep, vpath = spec.rpartition(":")
    if not sep or not vpath.startswith("/") or not host:
        host, vpath = spec, ""
    host = os.path.abspath(host)
    at = os.path.normpath(vpath or host)
    mounts = getattr(machine.store, "mounts", None)
    if mounts is not None and any(m.host == host and m.at == at for m in mounts()):
        return
    try:
        machine.overlay(host, at)
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise click.BadParameter(f"{spec}: {detail}", param_hint="'--overlay'") from None


class RunCommand(click.Command):
    """Options end where python's do: at the script, or after ``-m MODULE``
    or ``-c CODE``; everything from there on is the program's."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        lead, rest = split_args(args)
        return super().parse_args(ctx, [*lead, "--", *rest])


def split_args(args: list[str]) -> tuple[list[str], list[str]]:
    """``(osbox options, program arguments)`` from ``run``'s arguments."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[:i], args[i + 1 :]
        if arg in ("-m", "-c"):
            return args[: i + 2], args[i + 2 :]
        if arg[:2] in ("-m", "-c"):
            return args[: i + 1], args[i + 1 :]
        if arg in ("--machine", "--overlay"):
            i += 2
        elif arg.startswith("-") and arg != "-":
            i += 1
        else:
            return args[:i], args[i:]
    return args, []


@click.command(
    "run",
    cls=RunCommand,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@machine_options
@click.option(
    "--overlay",
    "overlays",
    metavar="HOSTDIR[:VPATH]",
    multiple=True,
    help="Layer host directory HOSTDIR at VPATH (default: the same path) as a "
    "copy-on-write overlay: reads fall through, writes stay in the machine. "
    "Repeatable; saved with the machine.",
)
@click.option("-m", "module", metavar="MODULE", help="Run a library module as a script.")
@click.option("-c", "code", metavar="CODE", help="Run CODE (a string) as a program.")
@click.option(
    "--audit",
    is_flag=True,
    help="Record every os call the program makes in the machine's audit log "
    "(kept with the machine; read it with osbox log).",
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, metavar="[SCRIPT] [ARGS]...")
def run(
    machine_path: str | None,
    memory: bool,
    overlays: tuple[str, ...],
    module: str | None,
    code: str | None,
    audit: bool,
    argv: tuple[str, ...],
) -> None:
    """Run a Python script, module (-m) or code (-c) inside the machine.

    Arguments after SCRIPT, -m MODULE or -c CODE are the program's sys.argv,
    as with python. The script is read from the host; its file operations
    happen in the machine.
    """
    program = prepare(module, code, argv)
    options = {"audit": True} if audit else {}
    with open_machine(machine_path, memory, **options) as machine:
        for spec in overlays:
            add_overlay(machine, spec)
        status = execute(machine, program)
    if status:
        die(status)
