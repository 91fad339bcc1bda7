"""``osbox fsck``: check a machine's store for consistency.

Prints ``ok: N inodes checked`` and exits 0 when the store is consistent;
otherwise prints one problem per line and exits 1. A file that is not a
usable machine exits 2 (see ``osbox.cli.common``).
"""

from __future__ import annotations

import click

from .common import die, machine_options, open_machine, out

__all__ = ["fsck"]


@click.command("fsck")
@machine_options
def fsck(machine_path: str | None, memory: bool) -> None:
    """Check the machine file's consistency."""
    with open_machine(machine_path, memory) as machine:
        problems = machine.fsck()
        inodes = machine.store.usage()[1]
        if not problems:
            out(f"ok: {inodes} inodes checked")
        else:
            for problem in problems:
                out(problem)
            out(f"{len(problems)} problem{'' if len(problems) == 1 else 's'} found")
    if problems:
        die(1)
