"""``Machine``: one virtual machine, its store, kernel and first process.

A machine owns one inode store (memory, or SQLite when given a path), the
kernel (lock, references, process table), its configuration (uname identity,
cpu count, capacity) and the ``os`` surface of process 1: pid 1, uid/gid 0,
cwd ``/``, a small default environment that is never the host's.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from stat import S_IFCHR
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from . import _snapshots
from ._runtime import Runtime
from .api.osmodule import make_os_module
from .kernel import procfs, sys_file, sys_namespace
from .kernel.binfmt import stub_bytes
from .kernel.cred import Cred
from .kernel.devices import DEVICES
from .kernel.errors import KernelError
from .kernel.file import OpenFile
from .kernel.kernel import Kernel
from .kernel.process import Process
from .stores.base import Store
from .stores.memory import MemoryStore
from .stores.snapshots import SnapshotInfo

if TYPE_CHECKING:
    from ._changes import Change, Overlay
    from .api._audit import AuditRecord

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
    * ``max_output_bytes``: bytes a process may write to any one pipe; the
      write that passes it fails with EFBIG and the process gets SIGXFSZ, as
      RLIMIT_FSIZE does for each file (a Python program, which ignores
      SIGXFSZ, sees ``OSError(EFBIG)``).

    ``host_programs=["git", ...]``: the machine's shell runs these host
    programs through ``osbox exec`` (stubs in ``/usr/local/bin``; needs a
    machine file, root and FUSE, see ``osbox.fuse._hostprog``); any other
    name stays "not found". Saved like the rest.

    ``audit=True`` records every ``os`` call made inside the machine, by
    any process (see ``audit_log``); saved like the rest, so a reopened
    machine keeps auditing until opened with ``audit=False``.

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
        _store: Store | None = None,
        audit: bool | None = None,
        host_programs: list[str] | None = None,
    ) -> None:
        self.path = path
        self._closed = False
        lock = threading.RLock()
        self.store = _store if _store is not None else _open_store(path, lock)
        self._log_store = self.store  # keeps the audit log (the file's, under overlays)
        self.kernel = Kernel(self.store, lock)
        saved = self.store.load_config()
        config: dict[str, Any] = dict(saved) if saved else {}
        config.setdefault("uname", dict(DEFAULT_UNAME))
        config.setdefault("cpu_count", DEFAULT_CPUS)
        config.setdefault("capacity_bytes", None)
        config.setdefault("capacity_inodes", None)
        config.setdefault("audit", False)
        if audit is not None:
            config["audit"] = bool(audit)
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
        if host_programs is not None:
            config["host_programs"] = sorted(set(host_programs))
        self.config = config
        environ = {k.encode(): v.encode() for k, v in DEFAULT_ENV.items()}
        root = self.kernel.root_ino
        with lock:
            self.proc: Process = self.kernel.spawn(None, Cred(0, 0, (0,)), root, root, environ)
            self.proc.argv = ["init"]
            if saved is None:
                self._skeleton()
            self._programs()
            if config.get("host_programs"):
                from .fuse._hostprog import install_stubs

                install_stubs(self, config["host_programs"])
            self._procfs()
            if config.get("overlays"):
                from ._overlays import reattach

                reattach(self)
            if config != saved:
                self.store.save_config(config)
            self.store.set_capacity(config["capacity_bytes"], config["capacity_inodes"])
            self.kernel.max_procs = config["max_processes"]
            self.kernel.max_output = config["max_output_bytes"]
            self._console(self.proc)
        # Where each process's os module records its calls (api/_audit.py).
        self.audit_sink = self._log_store.audit_sink() if config["audit"] else None
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

    @property
    def auditing(self) -> bool:
        """Whether the machine records its ``os`` calls (``audit=True``)."""
        return bool(self.config["audit"])

    def audit_log(
        self,
        pid: int | None = None,
        path: str | None = None,
        call: str | None = None,
        errors: bool = False,
    ) -> list[AuditRecord]:
        """The ``os`` calls recorded while the machine audited, oldest first:
        only process ``pid``'s, only calls naming a path that matches the
        shell-style pattern ``path`` (absolute, against the caller's cwd;
        ``*`` also matches ``/``), only calls named ``call`` (``open``,
        ``stat``...), only failed ones (``errors``), when given. Each is an
        ``osbox.AuditRecord`` (see ``osbox.api._audit`` for what is
        recorded). Raises ``ValueError`` on a closed SQLite machine."""
        from .api._audit import select

        with self.kernel.lock:
            rows = self._log_store.audit_rows(pid, call, errors)
        return select(rows, path)

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
                ("/proc", 0o555),
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

    def _procfs(self) -> None:
        """Mount procfs on ``/proc`` (``kernel/procfs.py``), making the
        directory first in a machine created before osbox had one."""
        try:
            sys_namespace.mkdirat(self.proc, None, "/proc", 0o555)
        except KernelError:
            pass
        procfs.attach(self.kernel, self.config["cpu_count"] or 1)

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

    # -- overlays -----------------------------------------------------------------------
    def overlay(self, host_dir: str | PathLike[str], at: str | None = None) -> str:
        """Put host directory ``host_dir`` at machine path ``at`` (default: the
        same path) as a copy-on-write layer, as Linux overlayfs with the host
        directory as its read-only lower layer: reads fall through to the
        host, the first change copies an object up into the machine's store,
        removals and renames leave whiteouts, listings merge both. The host
        is never written. ``at`` is made (0755, with parents) if missing;
        what it already holds is kept (see ``stores/overlay/_attach.py``).
        The overlay is saved with the machine and returns when it reopens.
        Returns the machine path.

        Errors: ``FileNotFoundError``/``PermissionError`` from the host's
        ``stat`` of ``host_dir``; ``NotADirectoryError`` when it, or ``at``
        in the machine, is not a directory; ``ValueError`` for a relative
        ``at`` or one that already has an overlay."""
        from ._overlays import overlay

        return overlay(self, host_dir, at)

    # -- overlays: diff and commit (``_changes``, ``_commit``) -------------------------
    def _overlay_store(self) -> Overlay | None:
        store = self.kernel.store
        if hasattr(store, "mounts") and hasattr(store, "revert"):
            return cast("Overlay", store)
        return None

    def diff(self, paths: Iterable[str] | None = None, *, since: str | None = None) -> list[Change]:
        """The changes under the machine's overlays against their host
        directories, sorted by machine path (``osbox._changes`` describes the
        kinds); only those at or below ``paths`` (machine paths) when given.
        Empty for a machine without overlays. Reads the host, never writes.

        With ``since=NAME``: the changes to the whole machine since snapshot
        NAME instead (``osbox._snapdiff``); ``osbox.NoSuchSnapshot`` if none."""
        from ._changes import compute, normalise_paths, selected

        if since is not None:  # against a snapshot (``_snapdiff``), overlays or not
            from ._snapdiff import changes_since

            wanted = normalise_paths(paths)
            with self.kernel.rlock:
                found = changes_since(self.store, since)
            return [c for c in found if wanted is None or selected(c, wanted)]
        overlay = self._overlay_store()
        if overlay is None:
            return []
        with self.kernel.lock:
            return compute(overlay, normalise_paths(paths))

    def commit(
        self,
        paths: Iterable[str] | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> list[Change]:
        """Apply the changes ``diff(paths)`` reports to the host (the whole
        of an added or renamed directory one of them lies in) and return
        them; afterwards their diff is empty (``osbox._commit`` gives the
        order and rules). ``dry_run`` checks and returns without writing;
        ``progress(done, total, host_path)`` follows each host operation.

        Raises ``osbox.CommitConflict`` (nothing written) when the host
        changed under a change: a copied-up file edited on the host since, a
        name the machine adds that appeared, a host object deleted or
        replaced. ``OSError`` from the host when a write fails midway."""
        from ._changes import compute, normalise_paths, selected
        from ._commit import CommitConflict, apply, conflicts, widen

        overlay = self._overlay_store()
        if overlay is None:
            return []
        wanted = normalise_paths(paths)
        with self.kernel.lock:
            everything = compute(overlay)
            chosen = everything
            if wanted is not None:
                picked = [c for c in everything if selected(c, wanted)]
                chosen = widen(everything, picked)
            found = conflicts(chosen, overlay.upper)
            if found:
                raise CommitConflict(found)
            if not dry_run and chosen:
                apply(overlay, chosen, progress)
        return chosen

    # -- snapshots (``_snapshots``, ``stores/snapshots.py``) ----------------------------
    def snapshot(self, name: str) -> SnapshotInfo:
        """Take snapshot ``name`` of the whole machine. O(1): the store keeps
        undo records of what changes from now on. Raises ``ValueError`` for
        an empty name or one with NUL, ``osbox.SnapshotExists`` if taken."""
        return _snapshots.take(self, name)

    def snapshots(self) -> list[SnapshotInfo]:
        """The machine's snapshots, oldest first."""
        with self.kernel.rlock:
            return self.store.snapshots()

    def restore(self, name: str) -> None:
        """Put the machine's files back as they were at snapshot ``name``
        (the cost follows what changed since) and delete later snapshots.
        Raises ``osbox.NoSuchSnapshot``; ``OSError(EBUSY)`` while other
        processes run or pid 1 holds a file or directory open."""
        _snapshots.restore(self, name)

    def delete_snapshot(self, name: str) -> None:
        """Forget snapshot ``name``. Raises ``osbox.NoSuchSnapshot``."""
        with self.kernel.rlock:
            self.store.delete_snapshot(name)

    def fork(self, path: str | None = None) -> Machine:
        """A new, independent machine with this one's files, configuration
        and snapshots: in memory for a memory machine, in the new SQLite
        file ``path`` for a SQLite one (``FileExistsError`` if it exists).
        It copies the machine (cost grows with its size)."""
        return _snapshots.fork(self, path)

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
