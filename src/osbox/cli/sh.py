"""``osbox sh``: the machine's ``/bin/sh``, for one command or interactively.

``osbox sh -c CMD [NAME [ARG...]]`` runs ``sh -c`` as a new process of the
machine (a child of process 1) whose standard streams are the host's, so its
output streams live; ``osbox sh`` with standard input not a terminal runs
the script read from it (``sh -s``). The exit status is the shell's (128+N
when a signal N ended it, as a shell reports it). When the host streams are
not real file descriptors (an embedding program, click's test runner), the
shell's input is what ``sys.stdin`` holds and its output is copied to
``sys.stdout``/``sys.stderr`` when it ends.

On a terminal, ``osbox sh`` is an interactive shell: one interpreter (one
virtual process) keeps its variables, functions, cwd and ``$?`` from line to
line; the prompt is ``user@nodename:cwd# `` (``$`` for a non-root user),
``> `` while a command is incomplete (an open ``if``, quote, here-document or
a trailing ``&&``/``|``/backslash); the line editor and the history in
``~/.osbox_history`` are prompt_toolkit's. ``exit [N]`` ends it with that
status, Ctrl-D with the last command's, Ctrl-C clears the line (and
interrupts a running command).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from .._machine import Machine
from ..api.osmodule import make_os_module
from ..kernel import sys_task
from ..kernel.signals import ProcessKilled
from ..shell.context import Context
from ..shell.interp import Shell
from ..shell.parser import incomplete
from ..shell.sherrors import ExitShell
from .common import die, flush_stdout, machine_options, open_machine

__all__ = ["HISTORY_FILE", "Session", "feed_lines", "repl", "run_sh", "sh"]

HISTORY_FILE = "~/.osbox_history"
_SIGINT = int(signal.SIGINT)


def _exit_code(code: int) -> int:
    """A ``returncode``/``waitstatus_to_exitcode`` value as a shell's ``$?``."""
    return 128 - code if code < 0 else code


def _console_streams() -> bool:
    """Whether ``sys.stdin``/``stdout``/``stderr`` are the host's fds 0-2,
    which process 1 of a machine has as its console."""
    try:
        return (sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno()) == (0, 1, 2)
    except (AttributeError, ValueError, OSError):
        return False


def _descendants(proc: Any) -> list[int]:
    """Pids of the live processes below ``proc``."""
    k = proc.k
    with k.lock:
        below: dict[int, list[int]] = {}
        for p in k.processes.values():
            if p.state != "Z":
                below.setdefault(p.ppid, []).append(p.pid)
    out: list[int] = []
    todo = [proc.pid]
    while todo:
        kids = below.get(todo.pop(), [])
        out.extend(kids)
        todo.extend(kids)
    return out


def run_sh(machine: Machine, argv: list[str]) -> int:
    """Run ``argv`` (``["sh", ...]``) as a new process on the host's streams
    and wait for it; its exit status."""
    vos = machine.os
    if not _console_streams():
        data = b"" if sys.stdin is None else sys.stdin.buffer.read()
        result = machine.run(argv, input=data)
        sys.stdout.buffer.write(result.stdout)
        sys.stdout.flush()
        sys.stderr.buffer.write(result.stderr)
        sys.stderr.flush()
        return _exit_code(result.returncode)
    flush_stdout()
    pid = vos.posix_spawnp(argv[0], argv, dict(vos.environ))
    while True:
        try:
            _, status = vos.waitpid(pid, 0)
            break
        except KeyboardInterrupt:
            for p in [pid, *_descendants(machine.proc)]:
                try:
                    vos.kill(p, _SIGINT)
                except OSError:
                    pass
    return _exit_code(os.waitstatus_to_exitcode(status))


class Session:
    """An interactive shell: one ``Shell`` bound to one virtual process, a
    child of the machine's process 1 (so its fds 0-2 are the console)."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.proc = sys_task.fork(machine.proc)
        self.proc.argv = ["sh"]
        self.os: Any = make_os_module(self.proc, machine)
        self.ctx = Context(self.os, ["sh"])
        self.shell = Shell(self.ctx, "sh", [])
        self.lineno = 1
        self.status = 0
        self.done = False
        self._closed = False

    def prompt(self) -> str:
        """``user@nodename:cwd# `` (``$ `` for a non-root user)."""
        uid = self.os.geteuid()
        user = _user_name(self.os, uid)
        try:
            host = self.os.uname().nodename
        except OSError:
            host = "osbox"
        cwd = self.shell.vars.get("PWD")
        if not cwd:
            try:
                cwd = self.os.getcwd()
            except OSError:
                cwd = "?"
        return f"{user}@{host}:{cwd}{'#' if uid == 0 else '$'} "

    def feed(self, text: str) -> bool:
        """Run one complete input (lines ending in newlines); False once the
        shell has exited."""
        if self.done:
            return False
        try:
            self.status = self.shell.run_interactive(text, self.lineno)
        except ExitShell as e:
            self.status = e.status
            self.done = True
        except SystemExit as e:  # ``exec PROGRAM`` ran the program in its place
            self.status = e.code if isinstance(e.code, int) else 1
            self.done = True
            self._closed = True
        except ProcessKilled as e:
            self.status = 128 + e.sig
            self.done = True
        except KeyboardInterrupt:
            self.interrupt()
            self.status = self.shell.status = 128 + _SIGINT
        self.lineno += text.count("\n")
        return not self.done

    def interrupt(self) -> None:
        """Ctrl-C while a command runs: SIGINT to the shell's children."""
        for pid in _descendants(self.proc):
            try:
                self.os.kill(pid, _SIGINT)
            except OSError:
                pass
        self.ctx.flush()

    def close(self) -> int:
        """Run the EXIT trap, end the shell's process; its exit status."""
        status = self.status & 0xFF
        if not self._closed:
            self._closed = True
            try:
                status = self.shell.finish(self.status)
            except ExitShell as e:
                status = e.status & 0xFF
            self.ctx.flush()
            sys_task.exit(self.proc, status << 8)
        try:
            self.machine.os.waitpid(self.proc.pid, 0)
        except ChildProcessError:
            pass
        return status


def _user_name(vos: Any, uid: int) -> str:
    try:
        with vos.open_file("/etc/passwd", "r", errors="surrogateescape") as f:
            for line in f:
                fields = line.split(":")
                if len(fields) > 2 and fields[2] == str(uid):
                    return str(fields[0])
    except OSError:
        pass
    return str(uid)


def repl(session: Session, read: Callable[[str], str], write: Callable[[str], None]) -> int:
    """The interactive loop: ``read(prompt)`` returns a line (without its
    newline), raises ``EOFError`` at end of input (Ctrl-D) or
    ``KeyboardInterrupt`` (Ctrl-C: the pending input is dropped); ``write``
    shows text to the user. Returns the shell's exit status."""
    pending = ""
    while not session.done:
        prompt = session.prompt() if not pending else session.shell.vars.get("PS2", "> ")
        try:
            line = read(prompt)
        except KeyboardInterrupt:
            pending = ""
            session.status = session.shell.status = 128 + _SIGINT
            continue
        except EOFError:
            if pending:
                session.feed(pending)
            write("\n")
            break
        pending += line + "\n"
        if incomplete(pending):
            continue
        text, pending = pending, ""
        session.feed(text)
    return session.close()


def feed_lines(session: Session, lines: Iterable[str], write: Callable[[str], None]) -> int:
    """Run ``repl`` over ``lines`` (as typed, without newlines), showing each
    prompt through ``write``; the shell's exit status."""
    it: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        write(prompt)
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return repl(session, read, write)


def _terminal_repl(machine: Machine) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = FileHistory(os.path.expanduser(HISTORY_FILE))
    prompt_session: PromptSession[str] = PromptSession(history=history)
    session = Session(machine)

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    return repl(session, lambda p: prompt_session.prompt(p), write)


@click.command(
    "sh",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@machine_options
@click.option("-c", "command", metavar="CMD", help="Run CMD (as sh -c CMD) and exit.")
@click.option(
    "--host-program",
    "host_programs",
    multiple=True,
    metavar="NAME",
    help="Let the shell run host program NAME through osbox exec (saved; root, FUSE).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[NAME [ARG]...]")
def sh(
    machine_path: str | None,
    memory: bool,
    command: str | None,
    host_programs: tuple[str, ...],
    args: tuple[str, ...],
) -> None:
    """Run the machine's /bin/sh: CMD with -c, else the script on standard
    input, or an interactive shell on a terminal.

    The exit status is the shell's.
    """
    options = {"host_programs": list(host_programs)} if host_programs else {}
    with open_machine(machine_path, memory, **options) as machine:
        if command is not None:
            status = run_sh(machine, ["sh", "-c", command, *args])
        elif sys.stdin is None or not sys.stdin.isatty() or not _console_streams():
            status = run_sh(machine, ["sh", "-s", *args])
        else:
            status = _terminal_repl(machine)
    if status:
        die(status)
