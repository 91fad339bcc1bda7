"""Host programs inside a machine: ``Machine(path, host_programs=["git"])``.

Each name gets an executable stub ``/usr/local/bin/NAME`` naming the program
``host:NAME`` (``kernel/binfmt``), so the machine's shell finds it on its
``PATH`` like its own programs; names not listed stay "not found". The
runtime runs a ``host:NAME`` image with ``host_program``: the host's NAME
through ``osbox exec`` (``_exec``) on the machine file, in the process's
cwd and environment. Its standard streams are the process's: the console
fds are handed over as they are, other fds (pipes, files) are pumped
through host pipes by threads. The exit status is the program's.

Needs a machine file (the FUSE daemon is another process), root and FUSE;
without them the program says why and exits 127. The machine is synced
first, so the host program sees everything written so far; its writes are
seen afterwards through the store's usual refresh (another connection
committed).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterable
from typing import IO, Any

from ..kernel import sys_file
from ..kernel.binfmt import stub_bytes
from ..kernel.errors import KernelError
from ..kernel.process import Process

__all__ = ["PREFIX", "STUB_DIR", "host_program", "install_stubs"]

PREFIX = "host:"
STUB_DIR = "/usr/local/bin"
CHUNK = 65536


def install_stubs(machine: Any, names: Iterable[str]) -> None:
    """Create ``/usr/local/bin/NAME`` (0755) for each name that has no entry
    there yet (caller holds the kernel lock)."""
    proc = machine.proc
    old = proc.umask
    proc.umask = 0
    try:
        for name in names:
            try:
                fd = sys_file.openat(
                    proc, None, f"{STUB_DIR}/{name}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o755
                )
            except KernelError:
                continue  # exists, or no /usr/local/bin: leave the machine as it is
            sys_file.write(proc, fd, stub_bytes(PREFIX + name))
            sys_file.close(proc, fd)
    finally:
        proc.umask = old


def _why_not(machine: Any) -> str | None:
    from . import available

    if machine.path is None:
        return "host programs need a machine file, not a memory machine"
    if os.geteuid() != 0:
        return "host programs need root (osbox exec)"
    return available()


def host_program(machine: Any, proc: Process, name: str) -> Callable[[Any], int]:
    """The in-process program that runs host program ``name`` for ``proc``."""

    def main(ctx: Any) -> int:
        why = _why_not(machine)
        if why is not None:
            ctx.stderr.write(f"{name}: cannot run the host program: {why}\n".encode())
            return 127
        return _run(machine, proc, name, ctx)

    return main


def _pump_in(ctx: Any, sink: IO[bytes]) -> None:
    try:
        while data := ctx.os.read(0, CHUNK):
            sink.write(data)
            sink.flush()
    except OSError:
        pass
    finally:
        try:
            sink.close()
        except OSError:
            pass


def _write_all(ctx: Any, fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[ctx.os.write(fd, view) :]


def _pump_out(ctx: Any, source: IO[bytes], fd: int, keep: bytearray | None) -> None:
    """Copy the program's output to ``fd`` (a pipe) as it comes, or into
    ``keep`` (for a file: see ``_run``)."""
    with source:
        while data := source.read1(CHUNK):  # type: ignore[attr-defined]
            if keep is not None:
                keep += data
            else:
                _write_all(ctx, fd, data)


def _run(machine: Any, proc: Process, name: str, ctx: Any) -> int:
    from ._exec import exec_in_machine

    ctx.flush()
    cwd = ctx.os.getcwd()
    env = {str(k): str(v) for k, v in ctx.os.environ.items()}
    streams: list[Any] = []
    later: dict[int, bytearray] = {}  # output for files: written once the program ends
    for fd in (0, 1, 2):
        f = proc.fds.get(fd)
        if f is None:
            streams.append(subprocess.DEVNULL)
        elif f.console is not None:
            streams.append(f.console)  # the host's own fd 0, 1 or 2
        else:
            streams.append(subprocess.PIPE)
            if fd and f.pipe is None:
                later[fd] = bytearray()
    pumps: list[threading.Thread] = []

    def started(p: subprocess.Popen[bytes]) -> None:
        if p.stdin is not None:
            threading.Thread(target=_pump_in, args=(ctx, p.stdin), daemon=True).start()
        for fd, source in ((1, p.stdout), (2, p.stderr)):
            if source is not None:
                t = threading.Thread(
                    target=_pump_out, args=(ctx, source, fd, later.get(fd)), daemon=True
                )
                t.start()
                pumps.append(t)

    # While the program runs, this process touches no store (a syscall
    # blocked elsewhere, as the parent shell's wait4, keeps any transaction
    # opened now, and so SQLite's write lock, from the daemon).
    machine.sync()
    status = exec_in_machine(
        machine.path, [name, *ctx.argv[1:]], cwd=cwd, env=env, streams=streams, started=started
    )
    for t in pumps:
        t.join()
    for fd, data in later.items():
        _write_all(ctx, fd, data)
    return status
