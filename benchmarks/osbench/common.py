"""Shared settings of the workload benchmark: phases, backends, targets,
clocks, host temp dirs, and importing osbox and pyfakefs.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
SRC = REPO / "src"

PHASES = ("create", "stat", "listdir", "walk", "read", "rename", "rmtree")
BACKENDS = ("tmpfs", "disk", "pyfakefs", "memory", "sqlite", "memory-audit", "sqlite-audit")
LABELS = {
    "tmpfs": "real tmpfs",
    "disk": "real disk",
    "pyfakefs": "pyfakefs",
    "memory": "osbox memory",
    "sqlite": "osbox SQLite",
    "memory-audit": "osbox memory audited",
    "sqlite-audit": "osbox SQLite audited",
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
TARGET_AUDIT = 2.0  # an audited machine's total <= 2.0 x the same machine's unaudited
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
