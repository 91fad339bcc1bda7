"""``osbox put`` and ``osbox get``: copy files and trees between host and machine.

``put HOSTPATH VPATH`` copies from the host into the machine and ``get VPATH
HOSTPATH`` the other way, as ``cp -a SRC DST`` would (see ``osbox._transfer``). The
machine side is reached only through ``machine.os``/``machine.open`` and the
host side only through the real ``os``/``open``: no ``patch()`` is involved.

A tree of ``PROGRESS_MIN`` entries or more gets a transient Rich progress bar
on stderr when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from .._transfer import Side, TreeCopier, count_entries, host_side, machine_side, target_path
from .common import die, machine_options, open_machine, report, report_oserror

__all__ = ["get", "put", "PROGRESS_MIN"]

PROGRESS_MIN = 100
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def _interactive() -> bool:
    """Whether a progress bar would be seen (stderr is a terminal)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def _progress(side: Side, path: str, verb: str) -> Iterator[Callable[[], None] | None]:
    """A callback advancing a progress bar over the entries under ``path``,
    or None when no bar is shown."""
    if not _interactive():
        yield None
        return
    total = count_entries(side, path)
    if total < PROGRESS_MIN:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(f"{verb} {path}", total=total)
        yield lambda: bar.advance(task)


def _own_files(path: str | None) -> frozenset[tuple[int, int]]:
    """``(st_dev, st_ino)`` of the machine file and SQLite's files beside it."""
    if path is None:
        return frozenset()
    found = set()
    for suffix in SQLITE_SIDECARS:
        try:
            info = os.stat(path + suffix)
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return frozenset(found)


def _transfer(
    src: Side, src_path: str, dst: Side, dst_path: str, verb: str, skip: frozenset[tuple[int, int]]
) -> int:
    """Copy and return the exit status: 0, or 1 when anything failed."""
    try:
        src.os.lstat(src_path)
        target = target_path(src, src_path, dst, dst_path)
    except OSError as exc:
        report_oserror(exc, src_path)
        return 1
    with _progress(src, src_path, verb) as advance:
        copier = TreeCopier(src, dst, skip, advance, report_oserror, report)
        copier.copy(src_path, target)
    return 1 if copier.errors else 0


@click.command("put")
@machine_options
@click.argument("host_path", metavar="HOSTPATH")
@click.argument("vpath", metavar="VPATH")
def put(machine_path: str | None, memory: bool, host_path: str, vpath: str) -> None:
    """Copy a host file or tree into the machine (like cp -a)."""
    with open_machine(machine_path, memory) as machine:
        skip = _own_files(machine.path)
        status = _transfer(host_side(), host_path, machine_side(machine), vpath, "put", skip)
    if status:
        die(status)


@click.command("get")
@machine_options
@click.argument("vpath", metavar="VPATH")
@click.argument("host_path", metavar="HOSTPATH")
def get(machine_path: str | None, memory: bool, vpath: str, host_path: str) -> None:
    """Copy a machine file or tree out to the host (like cp -a)."""
    with open_machine(machine_path, memory) as machine:
        status = _transfer(machine_side(machine), vpath, host_side(), host_path, "get", frozenset())
    if status:
        die(status)
