"""``osbox log``: read the machine's audit log.

A machine records its ``os`` calls while it audits (``Machine(audit=True)``,
``osbox run --audit``); ``osbox log`` prints them, oldest first, filtered by
``--pid``, ``--path`` (a shell-style pattern matched against the absolute
paths a call names; ``*`` also matches ``/``), ``--call`` and ``--errors``.

Output: a table (Rich) with the time (UTC), pid, uid, cwd, the call with its
arguments as ``strace`` writes them, and the result (``-1 ENOENT (No such
file or directory)`` for a failure; ``0`` for a call that returns None); in
a pipe each call is one line. ``--json`` prints JSON Lines instead:
one object per call, with the keys ``time_ns``, ``pid``, ``uid``, ``cwd``,
``call``, ``args`` (a list), ``kwargs`` (an object), ``result``, ``errno``
(null when the call returned) and ``error`` (the errno's name, or null).

Exit status 0, also when nothing matches; 2 for a machine file that cannot
be used.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import click

from ..api._audit import AuditRecord
from .common import flush_stdout, machine_options, open_machine

__all__ = ["log"]


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def call_text(record: AuditRecord) -> str:
    """``name(arg, ..., key=value)``, as strace writes a call."""
    parts = [_value(a) for a in record.args]
    parts += [f"{k}={_value(v)}" for k, v in record.kwargs.items()]
    return f"{record.call}({', '.join(parts)})"


def result_text(record: AuditRecord) -> str:
    """The result, or ``-1 ENAME (message)`` for a failed call."""
    if record.errno is not None:
        return f"-1 {record.error} ({os.strerror(record.errno)})"
    return "0" if record.result is None else _value(record.result)


def _time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%H:%M:%S.%f")


def _table(records: list[AuditRecord]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name, justify in (
        ("time (UTC)", "left"),
        ("pid", "right"),
        ("uid", "right"),
        ("cwd", "left"),
        ("call", "left"),
        ("result", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for r in records:
        style = "red" if r.errno is not None else None
        table.add_row(
            _time(r.time_ns),
            str(r.pid),
            str(r.uid),
            r.cwd if r.cwd is not None else "?",
            call_text(r),
            result_text(r),
            style=style,
        )
    # On a terminal, fit its width; in a pipe, one line per call.
    width = None if sys.stdout.isatty() else 100_000
    Console(highlight=False, markup=False, width=width).print(table)


@click.command("log")
@machine_options
@click.option("--pid", type=int, metavar="N", help="Only calls of process N.")
@click.option("--path", "pattern", metavar="GLOB", help="Only calls naming a path matching GLOB.")
@click.option("--call", "call", metavar="NAME", help="Only calls named NAME (open, stat...).")
@click.option("--errors", is_flag=True, help="Only calls that failed.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per call.")
def log(
    machine_path: str | None,
    memory: bool,
    pid: int | None,
    pattern: str | None,
    call: str | None,
    errors: bool,
    as_json: bool,
) -> None:
    """Show the machine's audit log: the os calls recorded while it audited
    (osbox run --audit, Machine(audit=True)), oldest first."""
    with open_machine(machine_path, memory) as machine:
        records = machine.audit_log(pid=pid, path=pattern, call=call, errors=errors)
    if as_json:
        out = sys.stdout
        for r in records:
            out.write(json.dumps(r.as_dict()) + "\n")
        flush_stdout()
    elif records:
        _table(records)
