"""The backends the workload runs on (host tmpfs and disk directories,
pyfakefs, osbox memory and SQLite machines) and one timed run on each.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from types import ModuleType
from typing import Any

from .common import _TEMP_DIRS, PHASES, REPO, clock, cpu_clock
from .phases import PHASE_FUNCS, Tree, micro_latencies


# Backends
# --------------------------------------------------------------------------------------
def fs_type(path: str) -> str:
    """The filesystem type of the mount holding ``path`` (from /proc/self/mounts)."""
    real = os.path.realpath(path)
    best, kind = "", "unknown"
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 3:
                    continue
                mnt = fields[1].replace("\\040", " ")
                inside = real == mnt or real.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) >= len(best):
                    best, kind = mnt, fields[2]
    except OSError:
        pass
    return kind


MEMORY_FS = {"tmpfs", "ramfs", "devtmpfs"}


def pick_disk_dir(requested: str | None) -> tuple[str, str]:
    """The directory whose temp dirs stand for "real disk", and its fs type."""
    if requested:
        return requested, fs_type(requested)
    for cand in ("/var/tmp", str(REPO.parent), tempfile.gettempdir()):
        if os.path.isdir(cand) and os.access(cand, os.W_OK) and fs_type(cand) not in MEMORY_FS:
            return cand, fs_type(cand)
    return "/var/tmp", fs_type("/var/tmp")


def make_temp_dir(parent: str) -> str:
    path = tempfile.mkdtemp(prefix="osbox-bench-", dir=parent)
    _TEMP_DIRS.append(path)
    return path


def remove_temp_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path in _TEMP_DIRS:
        _TEMP_DIRS.remove(path)


class Backend:
    """Something the workload runs on: ``setup`` returns the base directory."""

    key = ""
    virtual = False

    def setup(self) -> str:
        raise NotImplementedError

    def teardown(self) -> None:
        raise NotImplementedError


class HostDir(Backend):
    def __init__(self, key: str, parent: str, want_tmpfs: bool) -> None:
        self.key = key
        self.parent = parent
        self.want_tmpfs = want_tmpfs
        self.tmp: str | None = None

    def setup(self) -> str:
        if not os.path.isdir(self.parent):
            raise RuntimeError(f"{self.parent} does not exist")
        kind = fs_type(self.parent)
        if self.want_tmpfs and kind != "tmpfs":
            raise RuntimeError(f"{self.parent} is {kind}, not tmpfs")
        if not self.want_tmpfs and kind in MEMORY_FS:
            raise RuntimeError(f"{self.parent} is {kind}, not a disk (use --disk-dir)")
        self.tmp = make_temp_dir(self.parent)
        return self.tmp + "/tree"

    def teardown(self) -> None:
        if self.tmp is not None:
            remove_temp_dir(self.tmp)
            self.tmp = None


VIRTUAL_BASE = f"/osbox-bench-{os.getpid()}"


class Pyfakefs(Backend):
    key = "pyfakefs"
    virtual = True

    def __init__(self, patcher_cls: Any) -> None:
        self.patcher_cls = patcher_cls
        self.patcher: Any = None

    def setup(self) -> str:
        if self.patcher_cls is None:
            raise RuntimeError("pyfakefs is not installed (pip install pyfakefs==6.3.2)")
        self.patcher = self.patcher_cls()
        self.patcher.__enter__()
        return VIRTUAL_BASE

    def teardown(self) -> None:
        if self.patcher is not None:
            self.patcher.__exit__(None, None, None)
            self.patcher = None


class OsboxMemory(Backend):
    key = "memory"
    virtual = True

    def __init__(self, osbox: ModuleType, audit: bool = False) -> None:
        self.osbox = osbox
        self.audit = audit
        if audit:
            self.key += "-audit"
        self.machine: Any = None
        self.cm: Any = None

    def _machine(self) -> Any:
        return self.osbox.Machine(audit=True) if self.audit else self.osbox.Machine()

    def setup(self) -> str:
        self.machine = self._machine()
        self.cm = self.machine.patch()
        self.cm.__enter__()
        return VIRTUAL_BASE

    def teardown(self) -> None:
        try:
            if self.cm is not None:
                self.cm.__exit__(None, None, None)
                if self.audit and not self.machine.audit_log(call="rename"):
                    raise RuntimeError("the audit log recorded no rename")
        finally:
            self.cm = None
            if self.machine is not None:
                machine, self.machine = self.machine, None
                machine.close()


class OsboxSqlite(OsboxMemory):
    key = "sqlite"

    def __init__(self, osbox: ModuleType, parent: str, audit: bool = False) -> None:
        super().__init__(osbox, audit)
        self.parent = parent
        self.tmp: str | None = None

    def _machine(self) -> Any:
        self.tmp = make_temp_dir(self.parent)
        path = self.tmp + "/bench.osbox"
        return self.osbox.Machine(path, audit=True) if self.audit else self.osbox.Machine(path)

    def setup(self) -> str:
        try:
            return super().setup()
        except BaseException:
            self.teardown()
            raise

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            if self.tmp is not None:
                remove_temp_dir(self.tmp)
                self.tmp = None


class BackendError(Exception):
    def __init__(self, where: str, exc: BaseException) -> None:
        super().__init__(f"{where}: {type(exc).__name__}: {exc}")


def check_no_leak(backend: Backend) -> None:
    """A virtual backend must not have touched the host's root."""
    if backend.virtual and os.path.lexists(VIRTUAL_BASE):
        shutil.rmtree(VIRTUAL_BASE, ignore_errors=True)
        raise BackendError("isolation", RuntimeError(f"{VIRTUAL_BASE} appeared on the host"))


def run_workload_once(backend: Backend, ndirs: int, nfiles: int) -> dict[str, float]:
    """One run of every phase; also ``setup`` and ``teardown`` times."""
    times: dict[str, float] = {}
    where = "setup"
    gc.collect()
    t = clock()
    try:
        base = backend.setup()
    except Exception as exc:
        raise BackendError(where, exc) from exc
    times["setup"] = clock() - t
    try:
        tree = Tree.make(base, ndirs, nfiles)
        for name in PHASES:
            where = name
            gc.collect()
            c = cpu_clock()
            t = clock()
            PHASE_FUNCS[name](tree)
            times[name] = clock() - t
            times["cpu_" + name] = cpu_clock() - c
    except Exception as exc:
        raise BackendError(where, exc) from exc
    finally:
        t = clock()
        try:
            backend.teardown()
        except Exception as exc:
            if where == "rmtree" and "rmtree" in times:
                raise BackendError("teardown", exc) from exc
        times["teardown"] = clock() - t
        check_no_leak(backend)
    return times


def run_micro(backend: Backend, calls: int) -> dict[str, float]:
    try:
        base = backend.setup()
    except Exception as exc:
        raise BackendError("setup", exc) from exc
    try:
        return micro_latencies(base, calls)
    except Exception as exc:
        raise BackendError("latency", exc) from exc
    finally:
        backend.teardown()
        check_no_leak(backend)


# --------------------------------------------------------------------------------------
