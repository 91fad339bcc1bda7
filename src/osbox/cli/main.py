"""The ``osbox`` command group (console script ``osbox = osbox.cli.main:main``)."""

from __future__ import annotations

import click

from .. import __version__
from .diff import commit, diff
from .files import cat, ls, stat
from .fsck import fsck
from .log import log
from .mount import exec_, mount
from .run import run
from .sh import sh
from .snapshots import fork, restore, snapshot, snapshots
from .transfer import get, put
from .tree import tree

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="osbox")
def cli() -> None:
    """osbox: Python's os module as a virtual operating system.

    Each command works on one machine: --machine PATH (or $OSBOX_MACHINE;
    default .osbox/machine.db, created on first use) or --memory for a
    throwaway one. Nothing reaches the host unless copied out with get or
    committed from an overlay with commit.
    """


for _command in (run, sh, ls, cat, tree, stat, put, get, fsck, mount, exec_, log):
    cli.add_command(_command)
for _command in (diff, commit, snapshot, snapshots, restore, fork):
    cli.add_command(_command)


def main() -> None:
    """Entry point: run the command line and exit with its status."""
    cli(prog_name="osbox")


if __name__ == "__main__":
    main()
