"""Side measurements: ``Machine.patch()`` and pyfakefs patcher costs, the
per-call dispatch overhead, one million files, profiling the memory backend.
"""

from __future__ import annotations

import contextvars
import cProfile
import gc
import io
import os
import pstats
import random
import tempfile
from statistics import median
from types import ModuleType
from typing import Any

from .backends import OsboxMemory, make_temp_dir, remove_temp_dir
from .common import BATCHES, PAYLOAD, PHASES, clock
from .phases import PHASE_FUNCS, Tree, per_call


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
