"""``osbox mount``: a machine as a real filesystem, through FUSE.

``osbox mount [--machine PATH] MOUNTPOINT`` serves the machine at
MOUNTPOINT until it is unmounted (``fusermount3 -u MOUNTPOINT``) or the
command gets Ctrl-C (SIGINT) or SIGTERM; ``--background`` starts the same
command as a daemon in its own session and returns once the filesystem is
mounted. Other ``osbox`` commands and ``Machine`` objects on the same file
keep working meanwhile and see the changes made through the mount (and it
theirs). After a daemon crash, ``fusermount3 -u MOUNTPOINT`` clears the
mount; the machine file loses at most the last second of changes and
``osbox fsck`` finds it consistent.

Exit statuses: 0 once unmounted (or, with ``--background``, once mounted);
1 when the mount fails (libfuse's reason on stderr); 2 for a usage error, or
when FUSE is unavailable here (the reason is printed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import click

from .common import die, machine_options, open_machine, report

__all__ = ["mount"]


@click.command("mount")
@machine_options
@click.argument("mountpoint", type=click.Path(file_okay=False))
@click.option("--background", is_flag=True, help="Return once mounted; serve from a daemon.")
@click.option("--debug", is_flag=True, hidden=True, help="libfuse's debug output.")
def mount(
    machine_path: str | None, memory: bool, mountpoint: str, background: bool, debug: bool
) -> None:
    """Mount the machine's filesystem at MOUNTPOINT (FUSE)."""
    from ..fuse import available

    why = available()
    if why is not None:
        report(f"FUSE is not available: {why}")
        die(2)
    if not os.path.isdir(mountpoint):
        report(f"{mountpoint}: not a directory")
        die(2)
    if background:
        _background(machine_path, memory, mountpoint)
        return
    from ..fuse._mount import serve

    with open_machine(machine_path, memory) as machine:
        try:
            serve(machine, mountpoint, debug)
        except RuntimeError as exc:
            report(f"{mountpoint}: mount failed ({exc})")
            die(1)


def _background(machine_path: str | None, memory: bool, mountpoint: str) -> None:
    from ..fuse._mount import wait_mounted

    if memory:
        raise click.UsageError("--background needs a machine file, not --memory")
    argv = [sys.executable, "-m", "osbox", "mount", mountpoint]
    if machine_path:
        argv[4:4] = ["--machine", machine_path]
    with tempfile.TemporaryFile() as errors:  # the daemon's messages until mounted
        daemon = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
        if not wait_mounted(mountpoint, daemon):
            if daemon.poll() is None:
                daemon.terminate()
            daemon.wait()
            errors.seek(0)
            sys.stderr.buffer.write(errors.read())
            report(f"{mountpoint}: mount failed")
            die(1)
    click.echo(f"mounted at {mountpoint} (pid {daemon.pid}); unmount: fusermount3 -u {mountpoint}")


@click.command(
    "exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@machine_options
@click.option(
    "--overlay",
    "overlays",
    multiple=True,
    metavar="HOSTDIR[:AT]",
    help="Layer a host directory copy-on-write at AT (default: the same path) first.",
)
@click.option("--no-network", is_flag=True, help="Run in a new network namespace (no network).")
@click.option("--cwd", default="/", show_default=True, help="The machine directory to start in.")
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(
    machine_path: str | None,
    memory: bool,
    overlays: tuple[str, ...],
    no_network: bool,
    cwd: str,
    argv: tuple[str, ...],
) -> None:
    """Run a host program with the machine as its root filesystem.

    The host's /usr, /bin, /lib, /lib64 and /etc/alternatives are visible
    read-only so programs start; everything else is the machine's, and what
    the program writes lands there. The exit status is the program's.
    Needs root and FUSE (see osbox mount).
    """
    from ..fuse import available

    why = available()
    if why is not None:
        report(f"FUSE is not available: {why}")
        die(2)
    if memory:
        raise click.UsageError("exec needs a machine file, not --memory")
    if overlays:
        _attach(machine_path, overlays)
    from ..fuse._exec import exec_in_machine
    from .common import DEFAULT_MACHINE

    env = dict(os.environ, HOME="/root", PWD=cwd)
    try:
        status = exec_in_machine(
            machine_path or DEFAULT_MACHINE, argv, cwd=cwd, network=not no_network, env=env
        )
    except RuntimeError as exc:
        report(str(exc))
        die(1)
    die(status)


def _attach(machine_path: str | None, overlays: tuple[str, ...]) -> None:
    """Attach the overlays the machine does not have yet (they are saved with it)."""
    with open_machine(machine_path, False) as machine:
        have = {(o["host"], o["at"]) for o in machine.config.get("overlays") or []}
        for spec in overlays:
            host, _, at = spec.partition(":")
            host = os.path.abspath(host)
            at = at or host
            if (host, at) not in have:
                machine.overlay(host, at)
