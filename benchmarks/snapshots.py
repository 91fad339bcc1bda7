"""Snapshot, restore, diff(since=) and fork timings at N files (default 100,000).

For a memory and a SQLite machine holding N files of 100 bytes in 100
directories: the time of ``snapshot``, of 1,000 small changes made with a
snapshot present against the same changes without one (the undo records'
write overhead, as a ratio), of ``diff(since=)``, ``restore`` and ``fork``.
Target (issue 5): snapshot and restore under 10 ms at 100,000 files.

    python benchmarks/snapshots.py            # ~1 minute
    python benchmarks/snapshots.py --files 20000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from osbox import Machine  # noqa: E402

PAYLOAD = b"x" * 100
TARGET_S = 0.010


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def build(m: Machine, files: int, dirs: int) -> None:
    o = m.os
    per = files // dirs
    for d in range(dirs):
        base = f"/data/d{d:03}"
        o.makedirs(base)
        for i in range(per):
            fd = o.open(f"{base}/f{i:05}", os.O_WRONLY | os.O_CREAT, 0o644)
            o.write(fd, PAYLOAD)
            o.close(fd)
    m.sync()


def changes(m: Machine, tag: str, start: int, n: int = 1000) -> None:
    """n small changes of every kind: writes, creates, chmods, unlinks (of
    files ``start`` onwards in each directory)."""
    o = m.os
    o.makedirs(f"/data/{tag}", exist_ok=True)
    for i in range(start, start + n // 4):
        with m.open(f"/data/d{i % 100:03}/f{i:05}", "ab") as f:
            f.write(b"more")
        fd = o.open(f"/data/{tag}/n{i}", os.O_WRONLY | os.O_CREAT, 0o644)
        o.write(fd, PAYLOAD)
        o.close(fd)
        o.chmod(f"/data/d{(i + 1) % 100:03}/f{i:05}", 0o600)
        o.unlink(f"/data/d{(i + 2) % 100:03}/f{i:05}")
    m.sync()


def measure(kind: str, files: int, tmp: str) -> dict[str, float]:
    path = None if kind == "memory" else os.path.join(tmp, f"{kind}.db")
    m = Machine(path)
    try:
        if files < 50_000:
            raise SystemExit("--files must be at least 50,000 (the changes need 500 per directory)")
        build(m, files, 100)
        plain = timed(lambda: changes(m, "plain", 0))
        snap = timed(lambda: m.snapshot("s"))
        again = timed(lambda: m.snapshot("t"))  # tables and triggers exist now
        m.delete_snapshot("t")
        with_snap = timed(lambda: changes(m, "snapped", 250))
        diff: list[Any] = []
        t_diff = timed(lambda: diff.extend(m.diff(since="s")))
        restore = timed(lambda: m.restore("s"))
        assert not m.os.path.exists("/data/snapped"), "restore did not restore"
        fork_path = None if path is None else os.path.join(tmp, f"{kind}-fork.db")
        forked: list[Machine] = []
        fork = timed(lambda: forked.append(m.fork(fork_path)))
        forked[0].close()
        return {
            "snapshot": snap,
            "again": again,
            "restore": restore,
            "diff": t_diff,
            "changes": float(len(diff)),
            "fork": fork,
            "overhead": with_snap / plain,
        }
    finally:
        m.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args()
    console = Console()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        for kind in ("memory", "sqlite"):
            console.print(f"{kind}: building {args.files:,} files...")
            results[kind] = measure(kind, args.files, tmp)
    table = Table(title=f"Snapshots at {args.files:,} files (1,000 changes between)")
    table.add_column("measure")
    for kind in results:
        table.add_column(f"osbox {kind}", justify="right")
    rows = [
        ("first snapshot (ms)", "snapshot", 1e3),
        ("next snapshot (ms)", "again", 1e3),
        ("restore after 1,000 changes (ms)", "restore", 1e3),
        ("diff(since=) (ms)", "diff", 1e3),
        ("changes reported by diff", "changes", 1),
        ("fork (ms)", "fork", 1e3),
        ("1,000 changes with / without a snapshot", "overhead", 1),
    ]
    for label, key, scale in rows:
        cells = []
        for kind in results:
            value = results[kind][key] * scale
            cells.append(f"{value:.2f}x" if key == "overhead" else f"{value:,.1f}")
        table.add_row(label, *cells)
    console.print(table)
    for kind, r in results.items():
        for key in ("snapshot", "again", "restore"):
            verdict = "met" if r[key] <= TARGET_S else "MISSED"
            console.print(f"{kind} {key} <= 10 ms: {r[key] * 1e3:.2f} ms {verdict}")


if __name__ == "__main__":
    main()
