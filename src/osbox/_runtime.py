"""The process runtime: runs a virtual process's program in a host thread.

The kernel creates processes (``sys_task.fork``) and resolves program images
(``binfmt``); this module, registered as ``Kernel.launcher``, gives each
process a host thread that runs its program: an in-process program from
``osbox.shell.registry`` (the shell, the commands, ``python``) over a fresh
``os`` surface for that process. When the program ends (it returns, raises
``ProgramExit``/``SystemExit``, execs another image, or a signal ends it) the
thread records the wait status with ``sys_task.exit``.

Wait statuses are Linux's: ``code << 8`` for an exit, the signal number for a
death by signal.
"""

from __future__ import annotations

import contextvars
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from .api.osmodule import make_os_module
from .kernel import binfmt, sys_file, sys_proc, sys_task
from .kernel.binfmt import Image
from .kernel.errors import KernelError, oserror
from .kernel.process import Process
from .kernel.signals import ProcessKilled, deliver
from .patch._install import CURRENT
from .shell.context import Context, ProgramExit

if TYPE_CHECKING:
    from ._machine import Machine

__all__ = ["Runtime", "ExecImage"]

SIGPIPE = int(signal.SIGPIPE)
SIGKILL = int(signal.SIGKILL)


class ExecImage(BaseException):  # noqa: N818 - control flow, like SystemExit
    """Unwinds the current program so the runtime can run ``image`` in its place."""

    def __init__(self, image: Image) -> None:
        super().__init__(image)
        self.image = image


class _Exit(BaseException):  # noqa: N818
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _programs() -> dict[str, Callable[[Context], int]]:
    import osbox.shell.commands  # noqa: F401  (registers the commands)
    import osbox.shell.sh  # noqa: F401  (registers sh, printf, test)

    from . import _pyprog  # noqa: F401  (registers python)
    from .shell.registry import PROGRAMS

    return PROGRAMS


class Runtime:
    """The machine's ``Kernel.launcher``."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._lock = threading.Lock()
        self._deadlines: dict[Process, float] = {}
        self._watchdog: threading.Thread | None = None
        k = machine.kernel
        k.launcher = self
        for exe in {sys.executable, getattr(sys, "_base_executable", sys.executable)}:
            if exe:
                k.exec_aliases[exe] = "python"

    # -- the launcher protocol (called by the api layer) -------------------------------
    def start(self, proc: Process, target: Image | Callable[[Context], int]) -> None:
        """Run ``target`` (an image, or a forked callable) as ``proc``."""
        if isinstance(target, Image):
            self._set_image(proc, target)
        t = threading.Thread(
            target=self._main, args=(proc, target), name=f"osbox-pid{proc.pid}", daemon=True
        )
        proc.thread = t
        timeout = self.machine.config.get("command_timeout")
        if timeout:
            self._watch(proc, timeout)
        # a process starts in a context of its own, not a copy of its parent's
        contextvars.Context().run(t.start)

    def _watch(self, proc: Process, timeout: float) -> None:
        """Kill ``proc`` (SIGKILL) once it has run ``timeout`` seconds."""
        with self._lock:
            self._deadlines[proc] = time.monotonic() + timeout
            if self._watchdog is None or not self._watchdog.is_alive():
                self._watchdog = threading.Thread(
                    target=self._watchdog_main, name="osbox-watchdog", daemon=True
                )
                self._watchdog.start()

    def _watchdog_main(self) -> None:
        k = self.machine.kernel
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self._lock:
                due = [p for p, t in self._deadlines.items() if t <= now or p.state == "Z"]
                for p in due:
                    del self._deadlines[p]
                if not self._deadlines and not due:
                    self._watchdog = None
                    return
            with k.lock:
                for p in due:
                    if p.state != "Z":
                        deliver(p, SIGKILL)

    def exec(self, proc: Process, image: Image) -> NoReturn:
        """Replace the program of ``proc`` (the caller) with ``image``."""
        if proc.thread is threading.current_thread():
            raise ExecImage(image)
        # The host program (process 1) execs: run the image here, then end.
        self._set_image(proc, image)
        status = self._run(proc, image)
        self.machine.sync()
        code = status >> 8 if not status & 0x7F else 128 + (status & 0x7F)
        raise SystemExit(code)

    def exit(self, proc: Process, status: int) -> NoReturn:
        """End ``proc`` (the caller, a runtime process) with ``status``."""
        raise _Exit(status)

    def shutdown(self, grace: float = 2.0) -> None:
        """SIGKILL every process but process 1 and wait up to ``grace``
        seconds for their threads (a blocked one wakes to die)."""
        k = self.machine.kernel
        with k.lock:
            procs = [p for p in k.processes.values() if p.pid != 1 and p.state != "Z"]
            for p in procs:
                deliver(p, SIGKILL)
        deadline = time.monotonic() + grace
        for p in procs:
            t = p.thread
            if t is not None and t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))

    # -- running ------------------------------------------------------------------------
    @staticmethod
    def _set_image(proc: Process, image: Image) -> None:
        proc.argv = list(image.argv)
        proc.exe = image.exe

    def _main(self, proc: Process, target: Image | Callable[[Context], int]) -> None:
        status = 0
        try:
            status = self._run(proc, target)
        finally:
            sys_task.exit(proc, status)

    def _run(self, proc: Process, target: Image | Callable[[Context], int]) -> int:
        """Run ``target`` and any images it execs; return the wait status."""
        while True:
            vos = make_os_module(proc, self.machine)
            if isinstance(target, Image):
                fn = _programs().get(target.program)
                argv = list(target.argv)
                if fn is None and target.program.startswith("host:"):
                    from .fuse._hostprog import host_program  # Machine(host_programs=)

                    fn = host_program(self.machine, proc, target.program[5:])
                if fn is None:
                    vos.write(2, f"{argv[0]}: program '{target.program}' not available\n".encode())
                    return 126 << 8
            else:
                fn, argv = target, list(proc.argv)
            ctx = Context(vos, argv)
            # Host-os code this thread runs (a captured os.execv...) is this process's.
            CURRENT.set(vars(vos))
            try:
                try:
                    code = fn(ctx)
                finally:
                    ctx.flush()
                return (int(code or 0) & 0xFF) << 8
            except ExecImage as e:
                target = e.image
                self._set_image(proc, target)
            except ProgramExit as e:
                return (e.status & 0xFF) << 8
            except _Exit as e:
                return e.status
            except ProcessKilled as e:
                return e.sig
            except SystemExit as e:
                return (_exit_code(e.code, vos) & 0xFF) << 8
            except BrokenPipeError:
                return SIGPIPE if SIGPIPE not in proc.ignored else 1 << 8
            except BaseException:
                _report(vos, argv)
                return 1 << 8


def _exit_code(code: Any, vos: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        vos.write(2, f"{code}\n".encode("utf-8", "replace"))
    except OSError:
        pass
    return 1


def _report(vos: Any, argv: list[str]) -> None:
    text = traceback.format_exc()
    try:
        vos.write(2, f"{argv[0] if argv else '?'}: internal error\n{text}".encode())
    except OSError:
        pass


# -- running a command from the host side ------------------------------------------------
def run(
    machine: Machine,
    argv: list[str],
    input: bytes | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` in a new process of ``machine`` (a child of process 1),
    searching PATH as ``execvp`` does, with stdin from ``input`` and stdout
    and stderr captured. Raises ``FileNotFoundError``/``PermissionError`` as
    ``subprocess.run`` does when the program cannot be executed, and
    ``subprocess.TimeoutExpired`` (after killing it) on timeout."""
    k = machine.kernel
    parent = machine.proc
    child = sys_task.fork(parent)
    ends: list[int] = []
    try:
        pipes = [sys_file.pipe2(parent, sys_file.O_CLOEXEC) for _ in range(3)]
        ends = [fd for pair in pipes for fd in pair]
        for fd, (r, w) in enumerate(pipes):
            src = r if fd == 0 else w
            # the child's table is a copy taken before the pipes existed
            f = parent.fds.lookup(src)
            old = child.fds.files.pop(fd, None)
            if old is not None:
                sys_file.release(child, old)
            child.fds.install(f, False, fd)
        if env is not None:
            child.environ = {
                key.encode("utf-8", "surrogateescape"): value.encode("utf-8", "surrogateescape")
                for key, value in env.items()
            }
        if cwd is not None:
            sys_proc.chdir(child, cwd)
        image = _resolve_path(child, argv)
    except KernelError as e:
        sys_task.exit(child, 127 << 8)
        sys_task.wait4(parent, child.pid, 0)
        for fd in ends:
            sys_file.close(parent, fd)
        raise oserror(e.errno, argv[0]) from None
    except BaseException:
        sys_task.exit(child, 127 << 8)
        sys_task.wait4(parent, child.pid, 0)
        for fd in ends:
            sys_file.close(parent, fd)
        raise
    (r0, w0), (r1, w1), (r2, w2) = pipes
    for fd in (r0, w1, w2):
        sys_file.close(parent, fd)
    machine.os._surface._exec_fds(child)
    k.launcher.start(child, image)
    out: list[bytes] = []
    err: list[bytes] = []

    def feed() -> None:
        try:
            if input:
                view = memoryview(input)
                while view:
                    n = sys_file.write(parent, w0, bytes(view[:65536]))
                    view = view[n:]
        except KernelError:
            pass
        finally:
            sys_file.close(parent, w0)

    def drain(fd: int, sink: list[bytes]) -> None:
        try:
            while True:
                data = sys_file.read(parent, fd, 65536)
                if not data:
                    break
                sink.append(data)
        finally:
            sys_file.close(parent, fd)

    threads = [
        threading.Thread(target=feed, daemon=True),
        threading.Thread(target=drain, args=(r1, out), daemon=True),
        threading.Thread(target=drain, args=(r2, err), daemon=True),
    ]
    for t in threads:
        t.start()
    threads[1].join(timeout)
    threads[2].join(timeout)
    if threads[1].is_alive() or threads[2].is_alive():
        sys_task.kill(parent, child.pid, int(signal.SIGKILL))
        sys_task.wait4(parent, child.pid, 0)
        raise subprocess.TimeoutExpired(argv, timeout or 0, b"".join(out), b"".join(err))
    _, status = sys_task.wait4(parent, child.pid, 0)
    code = -(status & 0x7F) if status & 0x7F else status >> 8
    return subprocess.CompletedProcess(argv, code, b"".join(out), b"".join(err))


def _resolve_path(proc: Process, argv: list[str]) -> Image:
    name = argv[0]
    if "/" in name:
        return binfmt.resolve(proc, name, argv)
    path = proc.environ.get(b"PATH", b"/usr/bin:/bin").decode("utf-8", "surrogateescape")
    first: KernelError | None = None
    for d in path.split(":"):
        try:
            return binfmt.resolve(proc, (d or ".") + "/" + name, argv)
        except KernelError as e:
            if e.errno not in (2, 20) and first is None:
                first = e
    raise first or KernelError(2)
