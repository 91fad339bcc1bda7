"""``osbox snapshot NAME``, ``osbox snapshots``, ``osbox restore NAME`` and
``osbox fork DEST``: the machine-level snapshot commands.

``snapshot`` prints ``snapshot NAME taken``; ``snapshots`` one line per
snapshot, oldest first: ``NAME<TAB>ISO time (UTC)``; ``restore`` prints
``restored NAME``; ``fork`` prints ``forked into DEST``. A missing or
duplicate snapshot name, or a fork destination that exists, exits 1 with
``osbox: CMD: message``. ``--memory`` machines vanish at exit, so these
commands are only useful with a machine file.
"""

from __future__ import annotations

import datetime

import click

from ..stores.snapshots import NoSuchSnapshot, SnapshotExists
from .common import die, machine_options, open_machine, out, report

__all__ = ["snapshot", "snapshots", "restore", "fork"]


def _when(ns: int) -> str:
    moment = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.UTC)
    return moment.isoformat(timespec="seconds")


@click.command("snapshot")
@machine_options
@click.argument("name")
def snapshot(machine_path: str | None, memory: bool, name: str) -> None:
    """Take snapshot NAME of the machine (O(1))."""
    with open_machine(machine_path, memory) as machine:
        try:
            machine.snapshot(name)
        except SnapshotExists:
            report(f"snapshot {name!r} exists")
            die(1)
        except ValueError as exc:
            report(str(exc))
            die(1)
        out(f"snapshot {name} taken")


@click.command("snapshots")
@machine_options
def snapshots(machine_path: str | None, memory: bool) -> None:
    """List the machine's snapshots, oldest first."""
    with open_machine(machine_path, memory) as machine:
        for info in machine.snapshots():
            out(f"{info.name}\t{_when(info.created_ns)}")


@click.command("restore")
@machine_options
@click.argument("name")
def restore(machine_path: str | None, memory: bool, name: str) -> None:
    """Put the machine back as it was at snapshot NAME; later snapshots go."""
    with open_machine(machine_path, memory) as machine:
        try:
            machine.restore(name)
        except NoSuchSnapshot:
            report(f"no snapshot {name!r}")
            die(1)
        out(f"restored {name}")


@click.command("fork")
@machine_options
@click.argument("dest", type=click.Path(dir_okay=False))
def fork(machine_path: str | None, memory: bool, dest: str) -> None:
    """Copy the machine into the new machine file DEST (with its snapshots)."""
    if memory:
        raise click.UsageError("fork needs a machine file (--machine PATH), not --memory")
    with open_machine(machine_path, memory) as machine:
        try:
            machine.fork(dest).close()
        except FileExistsError:
            report(f"{dest}: File exists")
            die(1)
        out(f"forked into {dest}")
