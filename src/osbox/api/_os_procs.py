"""The process half of the ``os`` surface: exec*, spawn*, posix_spawn,
system, popen, wait*, kill, process groups.

Signatures, argument errors and return encodings are CPython's
(``Modules/posixmodule.c`` and ``os.py``); semantics are the kernel's
``sys_task`` and ``binfmt``. A child runs its program in the machine's
runtime (``Kernel.launcher``), never on the host. ``os.fork()`` itself is not
offered in-process (the runtime cannot duplicate a running Python thread):
it stays an ENOSYS stub (see docs/virtualised.md); the private
``_fork_call(fn)`` is the in-process fork the shell uses.
"""

from __future__ import annotations

import errno
import io
import operator
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ..kernel import binfmt, sys_file, sys_task
from ..kernel.errors import KernelError, oserror
from ..kernel.process import Process
from ._base import OsBase
from ._convert import path_arg, raise_os
from ._signal import run_handlers

__all__ = ["ProcCalls"]

_index = operator.index
P_WAIT, P_NOWAIT, P_NOWAITO = 0, 1, 1
O_CLOEXEC = sys_file.O_CLOEXEC
POSIX_SPAWN_OPEN, POSIX_SPAWN_CLOSE, POSIX_SPAWN_DUP2 = 0, 1, 2
SIGPIPE, SIGXFSZ = int(signal.SIGPIPE), int(signal.SIGXFSZ)


def _arg_bytes(value: Any) -> str:
    p = path_arg("execv", "args", value)
    assert p.s is not None
    return p.s


def _argv(func: str, args: Any, prefix: str) -> list[str]:
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"{func}{prefix} must be a tuple or list")
    if not args:
        raise ValueError(f"{func}{prefix} must not be empty")
    argv = [_arg_bytes(a) for a in args]
    if not argv[0]:
        raise ValueError(f"{func}{prefix} first element cannot be empty")
    return argv


def _env(func: str, env: Any) -> dict[bytes, bytes]:
    if not isinstance(env, Mapping):
        raise TypeError(f"{func}: environment must be a mapping object")
    out: dict[bytes, bytes] = {}
    for key, value in env.items():
        k = key.encode("utf-8", "surrogateescape") if isinstance(key, str) else bytes(key)
        v = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
        if not k or b"=" in k[1:] or k.startswith(b"="):
            raise ValueError("illegal environment variable name")
        if b"\0" in k or b"\0" in v:
            raise ValueError("embedded null byte")
        out[k] = v
    return out


def _status_code(status: int) -> int:
    """``subprocess``'s return code: exit code, or -signal."""
    if status & 0x7F:
        return -(status & 0x7F)
    return (status >> 8) & 0xFF


class ProcCalls(OsBase):
    """``os`` functions on processes."""

    _vopen: Any  # the process's builtins.open, set by make_os_module

    # -- the runtime ------------------------------------------------------------------
    def _launcher(self) -> Any:
        launcher = self.proc.k.launcher
        if launcher is None:
            raise OSError(errno.ENOSYS, "this machine has no process runtime")
        return launcher

    def _fork_call(self, fn: Callable[[Any], int]) -> int:
        """Fork this process; the child runs ``fn(ctx) -> status`` as its
        program (see ``osbox.shell.context``). Returns the child's pid.
        Errors: EAGAIN (process limit)."""
        launcher = self._launcher()
        try:
            child = sys_task.fork(self.proc)
        except KernelError as e:
            raise_os(e)
        launcher.start(child, fn)
        return child.pid

    def _spawn_image(self, child: Process, path: Any, argv: list[str]) -> None:
        """Resolve ``path`` for ``child`` and start it; on failure reap the
        child and raise the exec error (as glibc's posix_spawn reports it)."""
        p = path_arg("posix_spawn", "path", path)
        assert p.s is not None
        try:
            image = binfmt.resolve(child, p.s, argv)
        except KernelError as e:
            sys_task.exit(child, 127 << 8)
            sys_task.wait4(self.proc, child.pid, 0)
            raise_os(e, p.obj)
        self._exec_fds(child)
        self._launcher().start(child, image)

    @staticmethod
    def _exec_fds(proc: Process) -> None:
        """execve closes the close-on-exec fds."""
        fds = proc.fds
        for fd in sorted(fds.cloexec):
            try:
                sys_file.close(proc, fd)
            except KernelError:
                pass

    def _run_handlers(self) -> None:
        run_handlers(self.proc)

    # -- exec ---------------------------------------------------------------------------
    def execv(self, path: Any, argv: Any, /) -> NoReturn:
        """os.execv. Errors: TypeError/ValueError as CPython; then execve(2)'s
        (see ``kernel.binfmt.resolve``)."""
        args = _argv("execv()", argv, " arg 2")
        self._exec(path, args, None)

    def execve(self, path: Any, argv: Any, env: Any) -> NoReturn:
        """os.execve. Errors: as ``execv``, and TypeError/ValueError for ``env``."""
        args = _argv("execve: argv", argv, "")
        self._exec(path, args, _env("execve", env))

    def _exec(self, path: Any, argv: list[str], env: dict[bytes, bytes] | None) -> NoReturn:
        p = path_arg("execve", "path", path)
        assert p.s is not None
        launcher = self._launcher()
        try:
            image = binfmt.resolve(self.proc, p.s, argv)
        except KernelError as e:
            raise_os(e, p.obj)
        proc = self.proc
        if env is not None:
            proc.environ = env
        with proc.k.lock:
            proc.handlers.clear()  # execve: caught signals go back to SIG_DFL
        self._exec_fds(proc)
        launcher.exec(proc, image)
        raise AssertionError("exec returned")  # pragma: no cover

    # -- spawn --------------------------------------------------------------------------
    def _spawnvef(self, mode: int, file: Any, args: Any, env: Any, func: Any) -> int:
        """os.py's spawn core: fork, then ``func`` execs in the child (exit 127
        if it cannot); P_WAIT returns the exit code or -signal."""
        if not isinstance(args, (tuple, list)):
            raise TypeError("argv must be a tuple or a list")
        if not args or not args[0]:
            raise ValueError("argv first element cannot be empty")

        name = getattr(func, "__name__", "")

        def child(ctx: Any) -> int:
            # the child's own exec function of that name, not the parent's
            fn = getattr(ctx.os, name, None) if name.startswith("exec") else None
            try:
                if env is None:
                    (fn or func)(file, args)
                else:
                    (fn or func)(file, args, env)
            except OSError:
                return 127
            return 127

        pid = self._fork_call(child)
        if mode == P_NOWAIT:
            return pid
        while True:
            _, status = self.waitpid(pid, 0)
            if status & 0xFF != 0x7F:
                return _status_code(status)

    def posix_spawn(
        self,
        path: Any,
        argv: Any,
        env: Any,
        *,
        file_actions: Any = None,
        setpgroup: Any = None,
        resetids: bool = False,
        setsid: bool = False,
        setsigmask: Any = (),
        setsigdef: Any = (),
        scheduler: Any = None,
    ) -> int:
        """os.posix_spawn: start ``path`` in a new process after
        ``file_actions``; returns the pid. Errors: the file action's or
        execve's, raised here as glibc reports them."""
        return self._posix_spawn(
            path, argv, env, file_actions, setpgroup, setsid, setsigdef, search=False
        )

    def posix_spawnp(
        self,
        path: Any,
        argv: Any,
        env: Any,
        *,
        file_actions: Any = None,
        setpgroup: Any = None,
        resetids: bool = False,
        setsid: bool = False,
        setsigmask: Any = (),
        setsigdef: Any = (),
        scheduler: Any = None,
    ) -> int:
        """os.posix_spawnp: as ``posix_spawn``, searching the caller's PATH."""
        return self._posix_spawn(
            path, argv, env, file_actions, setpgroup, setsid, setsigdef, search=True
        )

    def _posix_spawn(
        self,
        path: Any,
        argv: Any,
        env: Any,
        actions: Any,
        pgroup: Any,
        sid: bool,
        sigdef: Any,
        search: bool,
    ) -> int:
        func = "posix_spawnp" if search else "posix_spawn"
        args = _argv(f"{func}: argv", argv, "")
        envb = _env(func, env)
        self._launcher()
        try:
            child = sys_task.fork(self.proc)
        except KernelError as e:
            raise_os(e)
        try:
            self._file_actions(child, actions or ())
            if pgroup is not None:
                sys_task.setpgid(child, 0, _index(pgroup))
            if sid:
                sys_task.setsid(child)
            _default_signals(child, [_index(s) for s in sigdef])
        except KernelError as e:
            sys_task.exit(child, 127 << 8)
            sys_task.wait4(self.proc, child.pid, 0)
            raise_os(e)
        except BaseException:
            sys_task.exit(child, 127 << 8)
            sys_task.wait4(self.proc, child.pid, 0)
            raise
        child.environ = envb
        target = path
        if search:
            target = self._search_path(path, child)
        self._spawn_image(child, target, args)
        return child.pid

    def _search_path(self, path: Any, child: Process) -> Any:
        p = path_arg("posix_spawnp", "path", path)
        assert p.s is not None
        if "/" in p.s:
            return path
        dirs = self.proc.environ.get(b"PATH", b"/bin:/usr/bin").split(b":")
        first_err: OSError | None = None
        for d in dirs:
            cand = (d.decode("utf-8", "surrogateescape") or ".") + "/" + p.s
            try:
                binfmt.resolve(child, cand, [cand])
                return cand
            except KernelError as e:
                if e.errno == errno.EACCES and first_err is None:
                    first_err = oserror(e.errno, path)
        if first_err is not None:
            sys_task.exit(child, 127 << 8)
            sys_task.wait4(self.proc, child.pid, 0)
            raise first_err
        return p.s if not dirs else (dirs[0].decode("utf-8", "surrogateescape") + "/" + p.s)

    def _file_actions(self, child: Process, actions: Any) -> None:
        for action in actions:
            if not isinstance(action, tuple) or not action:
                raise TypeError("Each file_actions element must be a non-empty tuple")
            tag = action[0]
            try:
                if tag == POSIX_SPAWN_OPEN:
                    _, fd, path, flags, mode = action
                    p = path_arg("posix_spawn", "path", path)
                    assert p.s is not None
                    new = sys_file.openat(child, None, p.s, _index(flags), _index(mode))
                    if new != fd:
                        sys_file.dup3(child, new, _index(fd), False)
                        sys_file.close(child, new)
                elif tag == POSIX_SPAWN_CLOSE:
                    sys_file.close(child, _index(action[1]))
                elif tag == POSIX_SPAWN_DUP2:
                    fd, new_fd = _index(action[1]), _index(action[2])
                    if fd == new_fd:
                        child.fds.lookup(fd)
                        child.fds.cloexec.discard(fd)
                    else:
                        sys_file.dup3(child, fd, new_fd, False)
                else:
                    raise TypeError("Unknown file_actions identifier")
            except KernelError as e:
                raise_os(e)

    # -- subprocess ---------------------------------------------------------------------
    def _fork_exec(
        self,
        args: Any,
        executable_list: Any,
        close_fds: bool,
        fds_to_keep: Any,
        cwd: Any,
        env_list: Any,
        p2cread: int,
        p2cwrite: int,
        c2pread: int,
        c2pwrite: int,
        errread: int,
        errwrite: int,
        errpipe_read: int,
        errpipe_write: int,
        restore_signals: bool,
        call_setsid: bool,
        pgid_to_set: int,
        gid: Any,
        extra_groups: Any,
        uid: Any,
        child_umask: int,
        preexec_fn: Any,
        *rest: Any,
    ) -> int:
        """``_posixsubprocess.fork_exec`` over the machine: the child's fds,
        cwd, umask, session and ids are set up as CPython's ``child_exec``
        does, then the first executable of ``executable_list`` that resolves
        runs. A failure is written to ``errpipe_write`` in CPython's
        ``OSError:<hex errno>:<noexec...>`` form, for ``subprocess`` to raise."""
        if preexec_fn is not None:
            raise OSError(errno.ENOSYS, "preexec_fn is not supported inside an osbox machine")
        self._launcher()
        parent = self.proc
        try:
            child = sys_task.fork(parent)
        except KernelError as e:
            raise_os(e)
        argv = [
            a.decode("utf-8", "surrogateescape") if isinstance(a, bytes) else str(a) for a in args
        ]
        stage = ""
        try:
            for fd in (p2cwrite, c2pread, errread, errpipe_read):
                if fd != -1:
                    sys_file.close(child, fd)
            if c2pwrite == 0:
                c2pwrite = sys_file.dup(child, c2pwrite, False)
            while errwrite in (0, 1):
                errwrite = sys_file.dup(child, errwrite, False)
            for src, dst in ((p2cread, 0), (c2pwrite, 1), (errwrite, 2)):
                if src == dst:
                    child.fds.cloexec.discard(dst)
                elif src != -1:
                    sys_file.dup3(child, src, dst, False)
            if cwd is not None:
                # CPython 3.12+ tells a chdir failure apart; 3.11 reads plain "noexec" so
                stage = "noexec:chdir" if sys.version_info >= (3, 12) else "noexec"
                from ..kernel import sys_proc

                c = path_arg("chdir", "path", cwd)
                assert c.s is not None
                sys_proc.chdir(child, c.s)
            stage = "noexec"
            if child_umask >= 0:
                child.umask = child_umask & 0o777
            if restore_signals:  # CPython's _Py_RestoreSignals
                _default_signals(child, [SIGPIPE, SIGXFSZ])
            if call_setsid:
                sys_task.setsid(child)
            if pgid_to_set >= 0:
                sys_task.setpgid(child, 0, pgid_to_set)
            if close_fds:
                keep = set(fds_to_keep)
                for fd in sorted(child.fds.files):
                    if fd > 2 and fd not in keep:
                        sys_file.close(child, fd)
            if env_list is not None:
                env: dict[bytes, bytes] = {}
                for item in env_list:
                    key, _, value = bytes(item).partition(b"=")
                    env[key] = value
                child.environ = env
            stage = ""
            image = None
            err: KernelError | None = None
            for exe in executable_list:
                path = exe.decode("utf-8", "surrogateescape") if isinstance(exe, bytes) else exe
                try:
                    image = binfmt.resolve(child, path, argv)
                    break
                except KernelError as e:
                    if err is None or e.errno not in (errno.ENOENT, errno.ENOTDIR):
                        if err is None or err.errno in (errno.ENOENT, errno.ENOTDIR):
                            err = e
            if image is None:
                raise err or KernelError(errno.ENOENT)
        except KernelError as e:
            sys_file.write(parent, errpipe_write, b"OSError:%x:%s" % (e.errno, stage.encode()))
            sys_task.exit(child, 255 << 8)
            return child.pid
        self._exec_fds(child)
        self._launcher().start(child, image)
        return child.pid

    # -- system, popen ------------------------------------------------------------------
    def system(self, command: Any) -> int:
        """os.system: run ``command`` with ``/bin/sh -c``; return the wait status."""
        cmd = _arg_bytes(command)

        def child(ctx: Any) -> int:
            try:
                ctx.os.execv("/bin/sh", ["sh", "-c", cmd])
            except OSError:
                return 127
            return 127

        pid = self._fork_call(child)
        return self.waitpid(pid, 0)[1]

    def popen(self, cmd: Any, mode: str = "r", buffering: int = -1) -> Any:
        """os.popen: ``/bin/sh -c cmd`` with its stdout (mode ``r``) or stdin
        (mode ``w``) on a pipe. ``close()`` returns None or the wait status."""
        if not isinstance(cmd, str):
            raise TypeError(f"invalid cmd type ({type(cmd)}, expected string)")
        if mode not in ("r", "w"):
            raise ValueError(f"invalid mode {mode!r}")
        if buffering == 0 or buffering is None:
            raise ValueError("popen() does not support unbuffered streams")
        proc = self.proc
        r, w = sys_file.pipe2(proc, O_CLOEXEC)
        mine, theirs, target = (r, w, 1) if mode == "r" else (w, r, 0)

        def child(ctx: Any) -> int:
            ctx.os.dup2(theirs, target)
            try:
                ctx.os.execv("/bin/sh", ["sh", "-c", cmd])
            except OSError:
                return 127
            return 127

        try:
            pid = self._fork_call(child)
        finally:
            sys_file.close(proc, theirs)
        return _PopenFile(self._vopen(mine, mode, buffering), self, pid)

    # -- wait ---------------------------------------------------------------------------
    def waitpid(self, pid: int, options: int, /) -> tuple[int, int]:
        """os.waitpid: ``(pid, status)``, ``(0, 0)`` under WNOHANG. Errors:
        ECHILD, EINVAL; EINTR is retried after the handler runs (PEP 475)."""
        pid, options = _index(pid), _index(options)
        while True:
            try:
                return sys_task.wait4(self.proc, pid, options)
            except KernelError as e:
                if e.errno != errno.EINTR:
                    raise_os(e)
            self._run_handlers()

    def wait(self) -> tuple[int, int]:
        """os.wait: wait for any child."""
        return self.waitpid(-1, 0)

    def wait3(self, options: int) -> tuple[int, int, Any]:
        """os.wait3: as ``waitpid(-1, options)`` plus a zero resource usage."""
        pid, status = self.waitpid(-1, options)
        return pid, status, _rusage()

    def wait4(self, pid: int, options: int) -> tuple[int, int, Any]:
        """os.wait4: as ``waitpid`` plus a zero resource usage."""
        pid, status = self.waitpid(pid, options)
        return pid, status, _rusage()

    # -- signals ------------------------------------------------------------------------
    def kill(self, pid: int, signal: int, /) -> None:
        """os.kill. Errors: EINVAL, ESRCH, EPERM."""
        try:
            sys_task.kill(self.proc, _index(pid), _index(signal))
        except KernelError as e:
            raise_os(e)
        self._run_handlers()

    def killpg(self, pgid: int, signal: int, /) -> None:
        """os.killpg: signal the process group ``pgid`` (glibc: EINVAL if negative)."""
        pgid = _index(pgid)
        if pgid < 0:
            raise oserror(errno.EINVAL)
        self.kill(-pgid if pgid else 0, signal)

    def _sigaction(self, sig: int, handler: Any) -> Any:
        """Set the disposition of ``sig`` for this process: a callable run at
        the process's next check point, ``signal.SIG_IGN`` or ``SIG_DFL``.
        Returns the previous one. Errors: EINVAL for SIGKILL/SIGSTOP."""
        import signal as _signal

        if sig in (_signal.SIGKILL, _signal.SIGSTOP) or not 0 < sig < sys_task.NSIG:
            raise oserror(errno.EINVAL)
        proc = self.proc
        with proc.k.lock:
            old: Any = proc.handlers.pop(sig, None)
            if old is None:
                old = _signal.SIG_IGN if sig in proc.ignored else _signal.SIG_DFL
            proc.ignored.discard(sig)
            if handler == _signal.SIG_IGN:
                proc.ignored.add(sig)
            elif callable(handler):
                proc.handlers[sig] = handler
        return old

    def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` as this process: a fatal signal ends it early; a
        caught one runs its handler and the sleep resumes for the time left
        (PEP 475)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                sys_task.sleep(self.proc, max(0.0, deadline - time.monotonic()))
                return
            except KernelError as e:
                if e.errno != errno.EINTR:
                    raise_os(e)
            self._run_handlers()

    def _proc_table(self) -> list[dict[str, Any]]:
        """The machine's processes, as ``ps`` shows them."""
        return sys_task.table(self.proc)

    # -- process groups -----------------------------------------------------------------
    def getpgrp(self) -> int:
        return self.proc.pgid

    def getpgid(self, pid: int) -> int:
        try:
            return sys_task.getpgid(self.proc, _index(pid))
        except KernelError as e:
            raise_os(e)

    def getsid(self, pid: int) -> int:
        try:
            return sys_task.getsid(self.proc, _index(pid))
        except KernelError as e:
            raise_os(e)

    def setpgid(self, pid: int, pgrp: int, /) -> None:
        try:
            sys_task.setpgid(self.proc, _index(pid), _index(pgrp))
        except KernelError as e:
            raise_os(e)

    def setpgrp(self) -> None:
        self.setpgid(0, 0)

    def setsid(self) -> int:
        try:
            return sys_task.setsid(self.proc)
        except KernelError as e:
            raise_os(e)


def _default_signals(proc: Process, sigs: list[int]) -> None:
    """Set ``sigs`` back to SIG_DFL in ``proc`` (posix_spawn's setsigdef)."""
    with proc.k.lock:
        for sig in sigs:
            proc.ignored.discard(sig)
            proc.handlers.pop(sig, None)


def _rusage() -> Any:
    import resource

    return resource.struct_rusage((0.0, 0.0) + (0,) * 14)


class _PopenFile:
    """os.popen's ``_wrap_close``: the stream plus the child to reap."""

    def __init__(self, stream: io.TextIOWrapper, surface: ProcCalls, pid: int) -> None:
        self._stream = stream
        self._surface = surface
        self._pid = pid

    def close(self) -> int | None:
        self._stream.close()
        status = self._surface.waitpid(self._pid, 0)[1]
        code = _status_code(status)
        return None if code == 0 else code << 8

    def __enter__(self) -> _PopenFile:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __iter__(self) -> Any:
        return iter(self._stream)
