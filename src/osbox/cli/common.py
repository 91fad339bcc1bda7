"""What every command shares: choosing and opening the machine, and reporting.

Machine selection: ``--machine PATH`` (or ``$OSBOX_MACHINE``) names a machine
file, created on first use; ``--memory`` is a throwaway machine in memory;
with neither, the machine is ``.osbox/machine.db`` under the current
directory (``.osbox/`` is created when missing).

Exit statuses: 0 success, 1 an operation failed (``osbox: CMD: PATH: error``
on stderr), 2 a usage error or a machine file that cannot be used
(``osbox.MachineFileError``: the file is left as it was).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from .._machine import Machine
from ..stores.errors import MachineFileError

__all__ = [
    "DEFAULT_MACHINE",
    "ENV_VAR",
    "command_name",
    "die",
    "flush_stdout",
    "machine_options",
    "open_machine",
    "out",
    "report",
    "report_oserror",
]

ENV_VAR = "OSBOX_MACHINE"
DEFAULT_DIR = ".osbox"
DEFAULT_MACHINE = os.path.join(DEFAULT_DIR, "machine.db")

F = TypeVar("F", bound=Callable[..., Any])


def machine_options(func: F) -> F:
    """Add ``--machine PATH`` and ``--memory`` to a command."""
    func = click.option(
        "--memory",
        is_flag=True,
        help="Use a throwaway machine in memory.",
    )(func)
    func = click.option(
        "--machine",
        "machine_path",
        metavar="PATH",
        envvar=ENV_VAR,
        show_envvar=True,
        help=f"The machine file (default: {DEFAULT_MACHINE}, created on first use).",
    )(func)
    return func


def command_name() -> str:
    """The name the current command was invoked as (``ls``, ``put``...)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not ctx.info_name:
        return "osbox"
    return ctx.info_name


def out(line: str) -> None:
    """Write one line to stdout; names that are not valid UTF-8 go out as
    the bytes they stand for (``os.fsencode``)."""
    sys.stdout.buffer.write(os.fsencode(line) + b"\n")


def flush_stdout() -> None:
    """Flush stdout, unless the program run closed it (``json.tool`` does)."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.flush()
    except ValueError:
        pass


def report(message: str) -> None:
    """Print ``osbox: CMD: message`` on stderr (after what stdout holds)."""
    flush_stdout()
    stream = sys.stderr.buffer
    stream.write(os.fsencode(f"osbox: {command_name()}: {message}") + b"\n")
    stream.flush()


def report_oserror(exc: OSError, path: str | None = None) -> None:
    """Print ``osbox: CMD: PATH: strerror`` for a failed operation."""
    name = exc.filename if exc.filename is not None else path
    reason = exc.strerror or str(exc)
    if name is None:
        report(reason)
    else:
        report(f"{os.fsdecode(name)}: {reason}")


def die(code: int) -> NoReturn:
    """End the command with exit status ``code``."""
    raise click.exceptions.Exit(code)


def _choose_path(machine_path: str | None, memory: bool) -> str | None:
    ctx = click.get_current_context()
    if memory:
        if machine_path is not None:
            source = ctx.get_parameter_source("machine_path")
            if source is not ParameterSource.ENVIRONMENT:
                raise click.UsageError("--machine and --memory cannot be used together")
        return None
    if machine_path:
        return machine_path
    if not os.path.isdir(DEFAULT_DIR):
        try:
            os.mkdir(DEFAULT_DIR)
        except OSError as exc:
            report(f"cannot create {DEFAULT_DIR}: {exc.strerror or exc}")
            die(2)
    return DEFAULT_MACHINE


@contextmanager
def open_machine(machine_path: str | None, memory: bool, **options: Any) -> Iterator[Machine]:
    """Open the selected machine for the body and close (sync) it after;
    ``options`` go to ``Machine`` (``audit=True``...).

    A ``MachineFileError`` ends the command with status 2; an ``OSError`` the
    body lets out is reported as ``osbox: CMD: PATH: strerror``, status 1.
    """
    path = _choose_path(machine_path, memory)
    try:
        machine = Machine(path, **options)
    except MachineFileError as exc:
        report(f"cannot use machine file {exc}")
        die(2)
    failed: int | None = None
    try:
        yield machine
    except MachineFileError as exc:
        report(f"machine file {exc}")
        failed = 2
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        report_oserror(exc)
        failed = 1
    finally:
        try:
            machine.close()
        except Exception as exc:  # whatever the store raises, say so
            report(f"cannot close machine {path or '(memory)'}: {exc}")
            die(1)
    flush_stdout()
    if failed is not None:
        die(failed)
