"""``Machine``: one virtual machine, its store, kernel and first process.

A machine owns one inode store (memory, or SQLite when given a path), the
kernel (lock, references, process table), its configuration (uname identity,
cpu count, capacity) and the ``os`` surface of process 1: pid 1, uid/gid 0,
cwd ``/``, a small default environment that is never the host's.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from stat import S_IFCHR
from types import ModuleType
from typing import Any

from ._runtime import Runtime
from .api.osmodule import make_os_module
from .kernel import sys_file, sys_namespace
from .kernel.binfmt import stub_bytes
from .kernel.cred import Cred
from .kernel.devices import DEVICES
from .kernel.errors import KernelError
from .kernel.file import OpenFile
from .kernel.kernel import Kernel
from .kernel.process import Process
from .stores.base import Store
from .stores.memory import MemoryStore

__all__ = ["Machine", "DEFAULT_ENV", "DEFAULT_UNAME"]

DEFAULT_UNAME = {
    "sysname": "Linux",
    "nodename": "osbox",
    "release": "6.1.0-osbox",
    "version": "#1 SMP PREEMPT_DYNAMIC osbox",
    "machine": "x86_64",
}
DEFAULT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/sh",
    "LANG": "C.UTF-8",
    "PWD": "/",
}
DEFAULT_CPUS = 2
MULTICALL = "/usr/lib/osbox/programs"  # the one stub every /usr/bin program links to
PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
GROUP = "root:x:0:\n"


def _open_store(path: str | None, lock: threading.RLock) -> Store:
    if path is None:
        return MemoryStore()
    from .stores.sqlite import SqliteStore

    return SqliteStore(path, lock)


class Machine:
    """A virtual machine.

    ``Machine()`` lives in memory; ``Machine(path)`` keeps everything in the
    SQLite file ``path``, created if missing and reopened with its state.
    Configuration given to a new machine is saved with it; given when
    reopening, it replaces the saved value.

    Resource limits (default: none), kept with the machine like the rest:

    * ``max_processes``: live processes at once; beyond it fork/spawn/
      subprocess fail with EAGAIN (``BlockingIOError``), as RLIMIT_NPROC;
    * ``command_timeout``: seconds a process started inside the machine may
      run; then it gets SIGKILL (a shell reports ``Killed``, status 137);
    * ``max_output_bytes``: bytes a process may write to pipes; the write
      that passes it fails with EFBIG and the process gets SIGXFSZ, as
      RLIMIT_FSIZE does for files.

    Raises ``osbox.MachineFileError`` for a file that is not an osbox
    machine, is corrupt, or comes from a newer osbox; ``ValueError`` for a
    limit that is not positive.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        capacity_bytes: int | None = None,
        capacity_inodes: int | None = None,
        uname: dict[str, str] | None = None,
        cpu_count: int | None = None,
        max_processes: int | None = None,
        command_timeout: float | None = None,
        max_output_bytes: int | None = None,
    ) -> None:
        self.path = path
        self._closed = False
        lock = threading.RLock()
        self.store = _open_store(path, lock)
        self.kernel = Kernel(self.store, lock)
        saved = self.store.load_config()
        config: dict[str, Any] = dict(saved) if saved else {}
        config.setdefault("uname", dict(DEFAULT_UNAME))
        config.setdefault("cpu_count", DEFAULT_CPUS)
        config.setdefault("capacity_bytes", None)
        config.setdefault("capacity_inodes", None)
        limits = {
            "max_processes": max_processes,
            "command_timeout": command_timeout,
            "max_output_bytes": max_output_bytes,
        }
        for key, value in limits.items():
            config.setdefault(key, None)
            if value is not None:
                if value <= 0:
                    raise ValueError(f"{key} must be positive, not {value!r}")
                config[key] = value
        if uname is not None:
            config["uname"] = {**config["uname"], **uname}
        if cpu_count is not None:
            config["cpu_count"] = cpu_count
        if capacity_bytes is not None:
            config["capacity_bytes"] = capacity_bytes
        if capacity_inodes is not None:
            config["capacity_inodes"] = capacity_inodes
        self.config = config
        environ = {k.encode(): v.encode() for k, v in DEFAULT_ENV.items()}
        root = self.kernel.root_ino
        with lock:
            self.proc: Process = self.kernel.spawn(None, Cred(0, 0, (0,)), root, root, environ)
            self.proc.argv = ["init"]
            if saved is None:
                self._skeleton()
            self._programs()
            if config != saved:
                self.store.save_config(config)
            self.store.set_capacity(config["capacity_bytes"], config["capacity_inodes"])
            self.kernel.max_procs = config["max_processes"]
            self.kernel.max_output = config["max_output_bytes"]
            self._console(self.proc)
        self.os: ModuleType = make_os_module(self.proc, self)
        self.open = self.os.open_file
        self.runtime = Runtime(self)

    # -- configuration -------------------------------------------------------------
    @property
    def capacity_bytes(self) -> int | None:
        value: int | None = self.config["capacity_bytes"]
        return value

    @property
    def capacity_inodes(self) -> int | None:
        value: int | None = self.config["capacity_inodes"]
        return value

    @property
    def cpu_count(self) -> int | None:
        value: int | None = self.config["cpu_count"]
        return value

    def uname_fields(self) -> tuple[str, str, str, str, str]:
        u = self.config["uname"]
        return (u["sysname"], u["nodename"], u["release"], u["version"], u["machine"])

    def user_name(self, uid: int) -> str | None:
        """The name ``/etc/passwd`` inside the machine gives ``uid``."""
        try:
            with self.open("/etc/passwd", encoding="utf-8", errors="replace") as f:
                for line in f:
                    fields = line.split(":")
                    if len(fields) > 2 and fields[2] == str(uid):
                        return str(fields[0])
        except OSError:
            return None
        return None

    # -- setup -----------------------------------------------------------------------
    def _skeleton(self) -> None:
        """A fresh machine's Linux-like tree."""
        proc = self.proc
        old = proc.umask
        proc.umask = 0
        try:
            for path, mode in (
                ("/tmp", 0o1777),
                ("/root", 0o700),
                ("/home", 0o755),
                ("/etc", 0o755),
                ("/dev", 0o755),
            ):
                sys_namespace.mkdirat(proc, None, path, mode)
            for name, rdev in DEVICES.items():
                sys_namespace.mknodat(proc, None, "/dev/" + name, S_IFCHR | 0o666, rdev)
            sys_namespace.mkdirat(proc, None, "/dev/shm", 0o1777)
            for path, text in (
                ("/etc/passwd", PASSWD),
                ("/etc/group", GROUP),
                ("/etc/hostname", self.config["uname"]["nodename"] + "\n"),
            ):
                fd = sys_file.openat(proc, None, path, sys_file.O_CREAT | 1, 0o644)
                sys_file.write(proc, fd, text.encode())
                sys_file.close(proc, fd)
        finally:
            proc.umask = old

    def _programs(self) -> None:
        """The program tree, if the machine has none yet (a new machine, or
        one made before osbox had programs): ``/usr/bin`` holds an
        executable per program (``kernel/binfmt.py``), ``/bin`` and
        ``/sbin`` link to ``usr/bin`` and ``usr/sbin`` as on merged-/usr Debian.
        The stubs are hard links of one multi-call stub (``MULTICALL``)."""
        proc = self.proc
        try:
            sys_namespace.mkdirat(proc, None, "/usr", 0o755)
        except KernelError:
            return
        from ._runtime import _programs

        old = proc.umask
        proc.umask = 0
        try:
            for path in ("/usr/bin", "/usr/sbin", "/usr/lib", "/usr/local", "/usr/local/bin"):
                sys_namespace.mkdirat(proc, None, path, 0o755)
            for link, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib")):
                sys_namespace.symlinkat(proc, target, None, link)
            sys_namespace.mkdirat(proc, None, MULTICALL.rsplit("/", 1)[0], 0o755)
            fd = sys_file.openat(proc, None, MULTICALL, sys_file.O_CREAT | 1, 0o755)
            sys_file.write(proc, fd, stub_bytes("*"))
            sys_file.close(proc, fd)
            for name in sorted(_programs()):
                sys_namespace.linkat(proc, None, MULTICALL, None, "/usr/bin/" + name, False)
        finally:
            proc.umask = old

    def run(
        self,
        argv: list[str],
        *,
        input: bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` as a new process of this machine (``PATH`` searched,
        a child of process 1) and wait for it, as ``subprocess.run`` with
        ``capture_output=True``: stdin is ``input``, stdout and stderr are
        captured; ``env`` replaces the environment, ``cwd`` is a machine path.
        Raises ``FileNotFoundError``/``PermissionError`` when ``argv[0]``
        cannot be executed and ``subprocess.TimeoutExpired`` (after SIGKILL)
        on timeout."""
        from ._runtime import run

        return run(self, list(argv), input, cwd, env, timeout)

    def sh(self, command: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        """``run(["sh", "-c", command], **kwargs)``."""
        return self.run(["sh", "-c", command], **kwargs)

    def _console(self, proc: Process) -> None:
        """fds 0-2 of process 1 are the host terminal (see ``kernel.devices``)."""
        for fd in (0, 1, 2):
            f = OpenFile(0, S_IFCHR, 0 if fd == 0 else 1, fd == 0, fd != 0)
            f.console = fd
            proc.fds.install(f, False, fd)

    # -- copying to and from the host -------------------------------------------------
    def put(self, host_path: str, vpath: str) -> str:
        """Copy a host file or tree into the machine as ``cp -a`` would
        (modes, ns times, symlinks, hard links, owners); returns where it
        landed. Errors: the ``OSError`` of the first entry that fails."""
        from ._transfer import copy_tree, host_side, machine_side

        return copy_tree(host_side(), host_path, machine_side(self), vpath)

    def get(self, vpath: str, host_path: str) -> str:
        """Copy a machine file or tree out to the host, as ``put`` the other
        way (device nodes are never created on the host)."""
        from ._transfer import copy_tree, host_side, machine_side

        return copy_tree(machine_side(self), vpath, host_side(), host_path)

    # -- lifecycle ---------------------------------------------------------------------
    def sync(self) -> None:
        """Make every change durable (a no-op for a memory machine)."""
        with self.kernel.lock:
            self.store.sync()

    def fsck(self) -> list[str]:
        """Check the store's consistency; return the problems found."""
        with self.kernel.lock:
            return self.store.check()

    def close(self) -> None:
        """End every process still running (SIGKILL), sync and release the
        machine. Further calls on it are undefined."""
        if self._closed:
            return
        self._closed = True
        self.runtime.shutdown()
        with self.kernel.lock:
            self.store.close()

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def patch(self) -> Iterator[Machine]:
        """Run the body with this machine as the OS of unmodified code in the
        current thread or context (see ``osbox.patch``)."""
        from .patch import patched

        with patched(self):
            yield self

    def __repr__(self) -> str:
        where = self.path if self.path is not None else "memory"
        return f"<osbox.Machine {where}>"
