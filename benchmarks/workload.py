#!/usr/bin/env python3
"""osbox standard workload benchmark.

One plain piece of code, written against the real ``os``, ``open`` and
``shutil``, is timed on five backends in one process:

* a real tmpfs directory (``/dev/shm``);
* a real disk directory (``--disk-dir``, default a temp dir in ``/var/tmp``
  or the repository's parent, checked not to be tmpfs);
* pyfakefs (``with Patcher():``);
* an in-memory osbox machine (``with osbox.Machine().patch():``);
* an osbox machine kept in a SQLite file on the disk directory.

Phases: create (makedirs + open/write/close), stat, listdir, walk, read,
rename and rmtree. Each figure is the median of ``--repeat`` runs; the
backend's setup and teardown (patcher, machine, temp dir) are timed apart.

Also measured: ``Machine.patch()`` enter+exit against pyfakefs ``Patcher()``
setup+teardown, the per-call dispatch overhead of a patched call, per-call
latencies of stat / open+read+close / rename on every backend, and (with
``--million``) the RSS per empty file and the stat latency of a memory
machine holding 1,000,000 files.

Run ``python benchmarks/workload.py --help``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import gc
import importlib.util
import io
import json
import os
import platform
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"

PHASES = ("create", "stat", "listdir", "walk", "read", "rename", "rmtree")
BACKENDS = ("tmpfs", "disk", "pyfakefs", "memory", "sqlite")
LABELS = {
    "tmpfs": "real tmpfs",
    "disk": "real disk",
    "pyfakefs": "pyfakefs",
    "memory": "osbox memory",
    "sqlite": "osbox SQLite",
}
PAYLOAD = "0123456789" * 10  # 100 bytes of ASCII: 100 B on disk in text mode
MAX_RENAMES = 1000
BATCHES = 7  # per-call figures are the best (minimum) of this many timed batches

# Targets (see benchmarks/README.md).
TARGET_MEMORY_VS_TMPFS = 1.0  # memory total <= 1.0 x tmpfs total
TARGET_SQLITE_VS_DISK = 1.0  # sqlite total <= 1.0 x disk total
TARGET_VS_PYFAKEFS = 20.0  # every memory phase >= 20 x faster than pyfakefs
TARGET_PATCH_S = 1e-3  # patch enter+exit <= 1 ms
TARGET_DISPATCH_S = 0.5e-6  # dispatch overhead <= 0.5 us
TARGET_RSS_PER_FILE = 512  # bytes per empty file at 1,000,000 files
TARGET_STAT_FLAT = 1.5  # stat latency at 1,000,000 files <= 1.5 x that at 10,000 ("flat")

clock = time.perf_counter
cpu_clock = time.process_time  # also recorded: less sensitive to other processes' load

# Every temp dir this script creates on the host, removed at the end whatever happens.
_TEMP_DIRS: list[str] = []


# --------------------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------------------
def import_osbox() -> ModuleType:
    """``osbox``, from the installed package or else from the repository's src/."""
    if importlib.util.find_spec("osbox") is None:
        sys.path.insert(0, str(SRC))
    return importlib.import_module("osbox")


def import_patcher() -> Any:
    """pyfakefs's ``Patcher`` class, or None when pyfakefs is not installed."""
    try:
        from pyfakefs.fake_filesystem_unittest import Patcher
    except ImportError:
        return None
    return Patcher


def version_of(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "not installed"


# --------------------------------------------------------------------------------------
# The workload: plain code on the real os / open / shutil
# --------------------------------------------------------------------------------------
@dataclass
class Tree:
    """Every path the workload touches, computed before timing starts."""

    base: str
    dirs: list[str]
    files: list[list[str]]
    renames: list[tuple[str, str]]

    @classmethod
    def make(cls, base: str, ndirs: int, nfiles: int) -> Tree:
        dirs = [f"{base}/d{d:04d}" for d in range(ndirs)]
        files = [[f"{d}/f{i:04d}" for i in range(nfiles)] for d in dirs]
        count = min(MAX_RENAMES, ndirs * nfiles)
        renames = []
        for k in range(count):  # round-robin over the dirs, renamed within their dir
            src = files[k % ndirs][k // ndirs]
            renames.append((src, src + ".renamed"))
        return cls(base, dirs, files, renames)

    @property
    def nfiles(self) -> int:
        return sum(len(f) for f in self.files)


def phase_create(tree: Tree) -> None:
    for d, names in zip(tree.dirs, tree.files, strict=True):
        os.makedirs(d)
        for p in names:
            f = open(p, "w")
            f.write(PAYLOAD)
            f.close()


def phase_stat(tree: Tree) -> None:
    total = 0
    for names in tree.files:
        for p in names:
            total += os.stat(p).st_size
    if total != tree.nfiles * len(PAYLOAD):
        raise RuntimeError(f"stat: sizes add up to {total}, expected {tree.nfiles * 100}")


def phase_listdir(tree: Tree) -> None:
    total = 0
    for d in tree.dirs:
        total += len(os.listdir(d))
    if total != tree.nfiles:
        raise RuntimeError(f"listdir: {total} names, expected {tree.nfiles}")


def phase_walk(tree: Tree) -> None:
    total = 0
    for _root, _dirs, files in os.walk(tree.base):
        total += len(files)
    if total != tree.nfiles:
        raise RuntimeError(f"walk: {total} files, expected {tree.nfiles}")


def phase_read(tree: Tree) -> None:
    total = 0
    for names in tree.files:
        for p in names:
            with open(p) as f:
                total += len(f.read())
    if total != tree.nfiles * len(PAYLOAD):
        raise RuntimeError(f"read: {total} chars, expected {tree.nfiles * 100}")


def phase_rename(tree: Tree) -> None:
    for src, dst in tree.renames:
        os.rename(src, dst)


def phase_rmtree(tree: Tree) -> None:
    shutil.rmtree(tree.base)
    if os.path.exists(tree.base):
        raise RuntimeError("rmtree: the tree is still there")


PHASE_FUNCS: dict[str, Callable[[Tree], None]] = {
    "create": phase_create,
    "stat": phase_stat,
    "listdir": phase_listdir,
    "walk": phase_walk,
    "read": phase_read,
    "rename": phase_rename,
    "rmtree": phase_rmtree,
}


def per_call(fn: Callable[..., Any], args: tuple[Any, ...], n: int) -> float:
    """Mean time of one ``fn(*args)`` over ``n`` calls, in seconds."""
    t = clock()
    for _ in range(n):
        fn(*args)
    return (clock() - t) / n


def micro_latencies(base: str, calls: int) -> dict[str, float]:
    """Per-call latency (seconds) of os.stat, open+read+close and os.rename."""
    d = base + "/micro"
    os.makedirs(d)
    paths = [f"{d}/f{i:03d}" for i in range(100)]
    for p in paths:
        with open(p, "w") as f:
            f.write(PAYLOAD)
    rounds = max(1, calls // len(paths))
    out: dict[str, list[float]] = {"stat": [], "open_read_close": [], "rename": []}
    for _ in range(BATCHES):
        t = clock()
        for _ in range(rounds):
            for p in paths:
                os.stat(p)
        out["stat"].append((clock() - t) / (rounds * len(paths)))
        t = clock()
        for _ in range(max(1, rounds // 4)):
            for p in paths:
                f = open(p)
                f.read()
                f.close()
        out["open_read_close"].append((clock() - t) / (max(1, rounds // 4) * len(paths)))
        t = clock()
        for _ in range(max(1, rounds // 8)):
            for p in paths:
                os.rename(p, p + ".x")
            for p in paths:
                os.rename(p + ".x", p)
        out["rename"].append((clock() - t) / (max(1, rounds // 8) * 2 * len(paths)))
    shutil.rmtree(d)
    return {k: min(v) for k, v in out.items()}


# --------------------------------------------------------------------------------------
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

    def __init__(self, osbox: ModuleType) -> None:
        self.osbox = osbox
        self.machine: Any = None
        self.cm: Any = None

    def _machine(self) -> Any:
        return self.osbox.Machine()

    def setup(self) -> str:
        self.machine = self._machine()
        self.cm = self.machine.patch()
        self.cm.__enter__()
        return VIRTUAL_BASE

    def teardown(self) -> None:
        try:
            if self.cm is not None:
                self.cm.__exit__(None, None, None)
        finally:
            self.cm = None
            if self.machine is not None:
                machine, self.machine = self.machine, None
                machine.close()


class OsboxSqlite(OsboxMemory):
    key = "sqlite"

    def __init__(self, osbox: ModuleType, parent: str) -> None:
        super().__init__(osbox)
        self.parent = parent
        self.tmp: str | None = None

    def _machine(self) -> Any:
        self.tmp = make_temp_dir(self.parent)
        return self.osbox.Machine(self.tmp + "/bench.osbox")

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
# Patch and dispatch overheads
# --------------------------------------------------------------------------------------
def measure_patch_costs(osbox: ModuleType, patcher_cls: Any, pairs: int) -> dict[str, Any]:
    """Machine.patch() enter+exit vs pyfakefs Patcher() setup+teardown (seconds)."""
    out: dict[str, Any] = {}
    if patcher_cls is not None:  # first, so that the cold one really is the first
        t = clock()
        with patcher_cls():
            pass
        out["pyfakefs_cold"] = clock() - t
        warm = []
        for _ in range(20):
            t = clock()
            with patcher_cls():
                pass
            warm.append(clock() - t)
        out["pyfakefs_warm"] = median(warm)
    m = osbox.Machine()
    try:
        t = clock()
        with m.patch():
            pass
        out["osbox_first"] = clock() - t
        samples = []
        for _ in range(pairs):
            t = clock()
            with m.patch():
                pass
            samples.append(clock() - t)
        out["osbox_warm"] = median(samples)
        # Nested: another patched block is already open, nothing to install.
        with m.patch():
            samples = []
            for _ in range(pairs):
                t = clock()
                with m.patch():
                    pass
                samples.append(clock() - t)
        out["osbox_nested"] = median(samples)
    finally:
        m.close()
    return out


def measure_dispatch(osbox: ModuleType, calls: int) -> dict[str, Any]:
    """Per-call cost (seconds) of os.getpid() and os.stat(path): on the host, inside
    ``m.patch()``, calling ``m.os`` directly, and host code in another context while
    a machine is patched in. Batches of the variants are interleaved; each figure is
    the best of ``BATCHES``."""
    out: dict[str, Any] = {}
    m = osbox.Machine()
    tmp = make_temp_dir(tempfile.gettempdir())
    try:
        host_file = tmp + "/f"
        with open(host_file, "w") as f:
            f.write(PAYLOAD)
        with m.open("/tmp/f", "w") as f:
            f.write(PAYLOAD)
        for name, args_host, args_vm, n in (
            ("getpid", (), (), calls),
            ("stat", (host_file,), ("/tmp/f",), max(1, calls // 10)),
        ):
            samples: dict[str, list[float]] = {"host": [], "direct": [], "patched": [], "other": []}
            for _ in range(BATCHES):
                samples["host"].append(per_call(getattr(os, name), args_host, n))
                samples["direct"].append(per_call(getattr(m.os, name), args_vm, n))
                with m.patch():
                    samples["patched"].append(per_call(getattr(os, name), args_vm, n))
                    # Host code in a fresh context (no machine) while the dispatchers are in.
                    ctx = contextvars.Context()
                    samples["other"].append(ctx.run(per_call, getattr(os, name), args_host, n))
            best = {k: min(v) for k, v in samples.items()}
            out[name] = {
                "host": best["host"],
                "host_while_installed": best["other"],
                "patched": best["patched"],
                "direct": best["direct"],
                "overhead": best["patched"] - best["direct"],
                "host_overhead_while_installed": best["other"] - best["host"],
            }
    finally:
        m.close()
        remove_temp_dir(tmp)
    return out


# --------------------------------------------------------------------------------------
# One million files
# --------------------------------------------------------------------------------------
def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def stat_latency(mos: Any, ndirs: int, nfiles: int, samples: int) -> float:
    rng = random.Random(0)
    paths = [f"/m/d{rng.randrange(ndirs):04d}/f{rng.randrange(nfiles):04d}" for _ in range(samples)]
    stat = mos.stat
    for p in paths:  # warm-up
        stat(p)
    gc.collect()
    best = []
    for _ in range(BATCHES):
        t = clock()
        for p in paths:
            stat(p)
        best.append((clock() - t) / samples)
    return min(best)


def measure_million(osbox: ModuleType, ndirs: int, nfiles: int) -> dict[str, Any]:
    """RSS per empty file and stat latency at ndirs x nfiles files in a memory machine."""
    m = osbox.Machine()
    mos = m.os
    try:
        mos.mkdir("/m")
        use_mknod = hasattr(mos, "mknod")
        gc.collect()
        rss0 = rss_bytes()
        t0 = clock()
        small: float | None = None
        small_at = 0
        for d in range(ndirs):
            dp = f"/m/d{d:04d}"
            mos.mkdir(dp)
            if use_mknod:
                for i in range(nfiles):
                    mos.mknod(f"{dp}/f{i:04d}", 0o100644)
            else:
                for i in range(nfiles):
                    mos.close(mos.open(f"{dp}/f{i:04d}", os.O_CREAT | os.O_WRONLY, 0o644))
            if small is None and (d + 1) * nfiles >= 10_000:
                small_at = (d + 1) * nfiles
                small = stat_latency(mos, d + 1, nfiles, 10_000)
        create_s = clock() - t0
        gc.collect()
        rss1 = rss_bytes()
        total = ndirs * nfiles
        large = stat_latency(mos, ndirs, nfiles, 10_000)
        return {
            "files": total,
            "method": "mknod" if use_mknod else "open+close",
            "create_seconds": create_s,
            "rss_before": rss0,
            "rss_after": rss1,
            "rss_per_file": (rss1 - rss0) / total,
            "stat_small_files": small_at,
            "stat_small": small,
            "stat_large": large,
        }
    finally:
        m.close()


# --------------------------------------------------------------------------------------
# Profiling the memory backend
# --------------------------------------------------------------------------------------
def profile_memory(osbox: ModuleType, ndirs: int, nfiles: int, top: int, phases: list[str]) -> str:
    """cProfile of ``phases`` (all others run unprofiled) on a memory machine."""
    backend = OsboxMemory(osbox)
    base = backend.setup()
    report = io.StringIO()
    try:
        tree = Tree.make(base, ndirs, nfiles)
        for name in PHASES:
            gc.collect()
            if name in phases:
                prof = cProfile.Profile()
                prof.enable()
                PHASE_FUNCS[name](tree)
                prof.disable()
                report.write(f"\n=== {name}: top {top} by tottime ===\n")
                stats = pstats.Stats(prof, stream=report)
                stats.sort_stats("tottime").print_stats(top)
            else:
                PHASE_FUNCS[name](tree)
    finally:
        backend.teardown()
    return report.getvalue()


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------
@dataclass
class Results:
    config: dict[str, Any]
    runs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    latencies: dict[str, dict[str, float] | str] = field(default_factory=dict)
    patch: dict[str, Any] = field(default_factory=dict)
    dispatch: dict[str, Any] = field(default_factory=dict)
    million: dict[str, Any] = field(default_factory=dict)

    def med(self, backend: str, key: str) -> float | None:
        if backend in self.errors or not self.runs.get(backend):
            return None
        return median(r[key] for r in self.runs[backend])

    def total(self, backend: str, prefix: str = "") -> float | None:
        vals = [self.med(backend, prefix + p) for p in PHASES]
        if any(v is None for v in vals):
            return None
        return sum(v for v in vals if v is not None)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def fmt_x(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def fmt_us(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e6:.2f}"


def fmt_ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.3f} ms"


def verdict_le(value: float | None, target: float, unit: Callable[[float], str]) -> str:
    if value is None:
        return "not measured"
    if value <= target:
        return "met"
    return f"MISSED: over by {unit(value - target)} ({value / target:.2f}x the target)"


def verdict_ge(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    if value >= target:
        return "met"
    return f"MISSED: {value:.2f}x, short by {target / value:.2f}x"


def build_tables(res: Results) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every table to print."""
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if res.config["mode"] != "workload":
        return tables + million_table(res)
    backends = res.config["backends"]
    n = res.config["repeat"]
    tables.append(workload_table(res, "", f"Workload, wall clock (s), median of {n} runs"))
    title = f"Workload, process CPU time (s), median of {n} runs (excludes waits, e.g. for I/O)"
    tables.append(workload_table(res, "cpu_", title))

    lat_headers = ["per call (us)"] + [LABELS[b] for b in backends]
    lat_rows = []
    for op in ("stat", "open_read_close", "rename"):
        row = [op.replace("_", "+")]
        for b in backends:
            lat = res.latencies.get(b)
            row.append(fmt_us(lat.get(op)) if isinstance(lat, dict) else "error")
        lat_rows.append(row)
    tables.append(("Per-call latencies", lat_headers, lat_rows))

    ov_rows = []
    p = res.patch
    ov_rows.append(["osbox Machine.patch() enter+exit, first use", fmt_ms(p.get("osbox_first"))])
    ov_rows.append(["osbox Machine.patch() enter+exit, median", fmt_ms(p.get("osbox_warm"))])
    ov_rows.append(["osbox Machine.patch() nested enter+exit", fmt_ms(p.get("osbox_nested"))])
    ov_rows.append(["pyfakefs Patcher() setup+teardown, cold", fmt_ms(p.get("pyfakefs_cold"))])
    ov_rows.append(
        ["pyfakefs Patcher() setup+teardown, warm median", fmt_ms(p.get("pyfakefs_warm"))]
    )
    for name, d in res.dispatch.items():
        ov_rows.append([f"os.{name}(): host", fmt_us(d["host"]) + " us"])
        ov_rows.append([f"os.{name}(): inside m.patch()", fmt_us(d["patched"]) + " us"])
        ov_rows.append([f"m.os.{name}() direct", fmt_us(d["direct"]) + " us"])
        ov_rows.append(
            [f"os.{name}(): dispatch overhead (patched - direct)", fmt_us(d["overhead"]) + " us"]
        )
        ov_rows.append(
            [
                f"os.{name}(): host call, other context, while installed (+overhead)",
                f"{fmt_us(d['host_while_installed'])} us "
                f"(+{fmt_us(d['host_overhead_while_installed'])})",
            ]
        )
    tables.append(("Patch and dispatch overheads", ["measure", "value"], ov_rows))
    return tables + million_table(res)


def workload_table(res: Results, prefix: str, title: str) -> tuple[str, list[str], list[list[str]]]:
    """Phases x backends, with the ratio columns; ``prefix`` "cpu_" for CPU times."""
    backends = res.config["backends"]
    headers = ["phase"] + [LABELS[b] for b in backends]
    headers += ["memory/tmpfs", "sqlite/disk", "pyfakefs/memory"]
    rows: list[list[str]] = []
    keys = (*PHASES, "total", "setup", "teardown") if not prefix else (*PHASES, "total")
    for key in keys:
        row = [key if key != "total" else "TOTAL (sum of medians)"]

        def get(b: str, key: str = key) -> float | None:
            if key == "total":
                return res.total(b, prefix)
            return res.med(b, key if key in ("setup", "teardown") else prefix + key)

        for b in backends:
            if b in res.errors:
                row.append("error: " + res.errors[b] if key == PHASES[0] else "error")
            else:
                row.append(fmt_s(get(b)))
        if key in ("setup", "teardown"):
            row += ["", "", ""]
        else:
            row.append(fmt_x(ratio(get("memory"), get("tmpfs"))))
            row.append(fmt_x(ratio(get("sqlite"), get("disk"))))
            row.append(fmt_x(ratio(get("pyfakefs"), get("memory"))))
        rows.append(row)
    return title, headers, rows


def million_table(res: Results) -> list[tuple[str, list[str], list[list[str]]]]:
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if res.million:
        mm = res.million
        mrows = [
            ["files created", f"{mm['files']:,} ({mm['method']}, {mm['create_seconds']:.1f} s)"],
            ["RSS delta", f"{(mm['rss_after'] - mm['rss_before']) / 2**20:.1f} MiB"],
            ["RSS per empty file", f"{mm['rss_per_file']:.0f} B"],
            [f"m.os.stat at {mm['stat_small_files']:,} files", fmt_us(mm["stat_small"]) + " us"],
            [f"m.os.stat at {mm['files']:,} files", fmt_us(mm["stat_large"]) + " us"],
        ]
        tables.append(("Memory machine at scale", ["measure", "value"], mrows))
    return tables


def targets(res: Results) -> list[list[str]]:
    rows = []
    if res.runs or res.errors:
        mt = ratio(res.total("memory"), res.total("tmpfs"))
        rows.append(
            [
                "memory total <= 1.0x tmpfs total",
                fmt_x(mt),
                verdict_le(mt, TARGET_MEMORY_VS_TMPFS, lambda v: f"{v:.2f}x"),
            ]
        )
        sd = ratio(res.total("sqlite"), res.total("disk"))
        rows.append(
            [
                "SQLite total <= 1.0x disk total",
                fmt_x(sd),
                verdict_le(sd, TARGET_SQLITE_VS_DISK, lambda v: f"{v:.2f}x"),
            ]
        )
        for ph in PHASES:
            f = ratio(res.med("pyfakefs", ph), res.med("memory", ph))
            rows.append(
                [
                    f"memory {ph} >= 20x faster than pyfakefs",
                    fmt_x(f),
                    verdict_ge(f, TARGET_VS_PYFAKEFS),
                ]
            )
    if res.patch:
        w = res.patch.get("osbox_warm")
        rows.append(["patch enter+exit <= 1 ms", fmt_ms(w), verdict_le(w, TARGET_PATCH_S, fmt_ms)])
    # The target is judged on os.getpid(), whose own work is nil: for os.stat the
    # difference of two ~10 us figures is mostly noise (shown in the overheads table).
    if "getpid" in res.dispatch:
        o = res.dispatch["getpid"]["overhead"]
        rows.append(
            [
                "dispatch overhead (os.getpid) <= 0.5 us",
                fmt_us(o) + " us",
                verdict_le(o, TARGET_DISPATCH_S, lambda v: fmt_us(v) + " us"),
            ]
        )
    if res.million:
        r = res.million["rss_per_file"]
        rows.append(
            [
                f"RSS per empty file at {res.million['files']:,} files <= 512 B",
                f"{r:.0f} B",
                verdict_le(r, TARGET_RSS_PER_FILE, lambda v: f"{v:.0f} B"),
            ]
        )
        flat = ratio(res.million["stat_large"], res.million["stat_small"])
        rows.append(
            [
                f"stat at {res.million['files']:,} files <= 1.5x stat at "
                f"{res.million['stat_small_files']:,} (flat)",
                fmt_x(flat),
                verdict_le(flat, TARGET_STAT_FLAT, lambda v: f"{v:.2f}x"),
            ]
        )
    return rows


def print_header(res: Results) -> None:
    c = res.config
    print(
        f"osbox {c['osbox']} ({c['osbox_from']}), pyfakefs {c['pyfakefs']}, "
        f"Python {c['python']}, {c['platform']}"
    )
    if c["mode"] == "workload":
        print(
            f"workload: {c['dirs']} dirs x {c['files_per_dir']} files of {c['payload_bytes']} B, "
            f"{c['renames']} renames; tmpfs {c['tmpfs_dir']} ({c['tmpfs_fs']}), "
            f"disk {c['disk_dir']} ({c['disk_fs']})"
        )
    start, end = c["loadavg_at_start"], c["loadavg_at_end"]
    busy = max(start[0], end[0]) > 0.5 * (c["cpus"] or 1)
    note = "  (WARNING: the machine is busy; figures are noisy)" if busy else ""
    print(f"load average {start[0]:.2f} at start, {end[0]:.2f} at end, {c['cpus']} CPUs{note}")


def print_tables(res: Results) -> None:
    tables = build_tables(res)
    trows = targets(res)
    if trows:
        tables.append(("Targets", ["target", "measured", "verdict"], trows))
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        for title, headers, rows in tables:
            print_plain(title, headers, rows)
        return
    console = Console(width=max(160, shutil.get_terminal_size().columns))
    for title, headers, rows in tables:
        table = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            table.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
        for row in rows:
            styled = [
                f"[red]{c}[/red]" if "MISSED" in c or c.startswith("error") else c for c in row
            ]
            table.add_row(*styled)
        console.print(table)


def print_plain(title: str, headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(cells: list[str]) -> str:
        out = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out)

    print(f"\n{title}")
    print(fmt(headers))
    print("-" * len(fmt(headers)))
    for row in rows:
        print(fmt(row))


def to_json(res: Results) -> dict[str, Any]:
    backends = res.config["backends"]
    return {
        "config": res.config,
        "phases": PHASES,
        "runs": res.runs,
        "errors": res.errors,
        "medians": {
            b: {k: res.med(b, k) for k in res.runs[b][0]}
            for b in backends
            if b not in res.errors and res.runs.get(b)
        },
        "totals": {b: res.total(b) for b in backends},
        "cpu_totals": {b: res.total(b, "cpu_") for b in backends},
        "ratios": {
            "memory_vs_tmpfs_total": ratio(res.total("memory"), res.total("tmpfs")),
            "sqlite_vs_disk_total": ratio(res.total("sqlite"), res.total("disk")),
            "pyfakefs_vs_memory": {
                p: ratio(res.med("pyfakefs", p), res.med("memory", p)) for p in PHASES
            },
        },
        "latencies_seconds": res.latencies,
        "patch_seconds": res.patch,
        "dispatch_seconds": res.dispatch,
        "million": res.million,
        "targets": [{"target": t, "measured": m, "verdict": v} for t, m, v in targets(res)],
    }


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="CI smoke run: 20 dirs x 50 files")
    ap.add_argument("--dirs", type=int, default=None, help="directories (default 100)")
    ap.add_argument("--files", type=int, default=None, help="files per directory (default 100)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per backend; medians (default 3)")
    ap.add_argument("--disk-dir", default=None, help="a directory on a real disk (not tmpfs)")
    ap.add_argument("--tmpfs-dir", default="/dev/shm", help="a tmpfs directory (default /dev/shm)")
    ap.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated subset of {','.join(BACKENDS)}",
    )
    ap.add_argument(
        "--million",
        action="store_true",
        help="only measure RSS per empty file and stat latency at 1,000,000 files",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="only cProfile the create and read phases of the osbox memory backend",
    )
    ap.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    ap.add_argument(
        "--profile-phases",
        default="create,read",
        help="comma-separated phases --profile profiles (default create,read)",
    )
    ap.add_argument("--json", metavar="PATH", default=None, help="also write every figure as JSON")
    args = ap.parse_args(argv)
    if args.dirs is None:
        args.dirs = 20 if args.quick else 100
    if args.files is None:
        args.files = 50 if args.quick else 100
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.profile_phases = [p.strip() for p in args.profile_phases.split(",") if p.strip()]
    for p in args.profile_phases:
        if p not in PHASES:
            ap.error(f"unknown phase {p!r}")
    for b in args.backends:
        if b not in BACKENDS:
            ap.error(f"unknown backend {b!r}")
    if args.repeat < 1 or args.dirs < 1 or args.files < 1:
        ap.error("--repeat, --dirs and --files must be at least 1")
    return args


def make_backends(args: argparse.Namespace, osbox: ModuleType, patcher_cls: Any) -> list[Backend]:
    all_backends: dict[str, Backend] = {
        "tmpfs": HostDir("tmpfs", args.tmpfs_dir, True),
        "disk": HostDir("disk", args.disk_dir, False),
        "pyfakefs": Pyfakefs(patcher_cls),
        "memory": OsboxMemory(osbox),
        "sqlite": OsboxSqlite(osbox, args.disk_dir),
    }
    return [all_backends[b] for b in args.backends]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> Results:
    osbox = import_osbox()
    patcher_cls = import_patcher()
    args.disk_dir, disk_fs = pick_disk_dir(args.disk_dir)
    config = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "osbox": getattr(osbox, "__version__", "?"),
        "osbox_from": os.path.dirname(osbox.__file__ or ""),
        "pyfakefs": version_of("pyfakefs"),
        "dirs": args.dirs,
        "files_per_dir": args.files,
        "renames": min(MAX_RENAMES, args.dirs * args.files),
        "payload_bytes": len(PAYLOAD),
        "repeat": args.repeat,
        "tmpfs_dir": args.tmpfs_dir,
        "tmpfs_fs": fs_type(args.tmpfs_dir),
        "disk_dir": args.disk_dir,
        "disk_fs": disk_fs,
        "backends": args.backends,
        "loadavg_at_start": os.getloadavg(),
        "cpus": os.cpu_count(),
        "mode": "million" if args.million else "profile" if args.profile else "workload",
    }
    res = Results(config)
    log(
        f"osbox {config['osbox']} from {config['osbox_from']}, pyfakefs {config['pyfakefs']}, "
        f"Python {config['python']}; tmpfs {args.tmpfs_dir} ({config['tmpfs_fs']}), "
        f"disk {args.disk_dir} ({disk_fs})"
    )

    if args.million:
        ndirs, nfiles = (100, 1000) if args.quick else (1000, 1000)
        log(f"creating {ndirs * nfiles:,} empty files in a memory machine...")
        res.million = measure_million(osbox, ndirs, nfiles)
        return res

    if args.profile:
        print(profile_memory(osbox, args.dirs, args.files, args.top, args.profile_phases))
        return res

    pairs = 100 if args.quick else 1000
    log("patch costs...")
    res.patch = measure_patch_costs(osbox, patcher_cls, pairs)
    log("dispatch overhead...")
    res.dispatch = measure_dispatch(osbox, 20_000 if args.quick else 200_000)

    backends = make_backends(args, osbox, patcher_cls)
    for b in backends:
        res.runs[b.key] = []
    for r in range(args.repeat):
        for b in backends:
            if b.key in res.errors:
                continue
            log(f"run {r + 1}/{args.repeat}: {LABELS[b.key]}...")
            try:
                res.runs[b.key].append(run_workload_once(b, args.dirs, args.files))
            except BackendError as exc:
                res.errors[b.key] = str(exc)
                log(f"  {LABELS[b.key]}: error: {exc}")
    calls = 1000 if args.quick else 10_000
    for b in backends:
        log(f"latencies: {LABELS[b.key]}...")
        try:
            res.latencies[b.key] = run_micro(b, calls)
        except BackendError as exc:
            res.latencies[b.key] = f"error: {exc}"
    return res


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        res = run(args)
    finally:
        for path in list(_TEMP_DIRS):
            remove_temp_dir(path)
    if args.profile:
        return 0
    res.config["loadavg_at_end"] = os.getloadavg()
    print_header(res)
    print_tables(res)
    if res.errors:
        print("\nErrors:")
        for b, msg in res.errors.items():
            print(f"  {LABELS[b]}: error: {msg}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(res), f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
