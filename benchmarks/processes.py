#!/usr/bin/env python3
"""osbox process benchmark: the cost of starting a process.

Times, per call, four ways of running a trivial program, written once as
plain code on the real ``os`` and ``subprocess`` modules:

* ``os.system("true")``;
* ``subprocess.run(["true"])``;
* ``subprocess.run([sys.executable, "-c", "pass"])``;
* ``subprocess.run(["sh", "-c", "for i in 1 2 3; do true; done"])``.

Each runs on the host, in an in-memory osbox machine and in an osbox machine
kept in a SQLite file (both under ``machine.patch()``). Figures are medians
over ``--n`` calls; the backends take turns in chunks so that a burst of
noise on the (shared) machine hits all of them. The load average is printed
at the start and at the end. Every call's exit status is checked.

Run ``python benchmarks/processes.py [--n N] [--json PATH]``; see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from statistics import median
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("osbox") is None:
    sys.path.insert(0, str(REPO / "src"))

import osbox  # noqa: E402

BACKENDS = ("host", "memory", "sqlite")
LABELS = {"host": "host", "memory": "osbox memory", "sqlite": "osbox SQLite"}
LOOP = "for i in 1 2 3; do true; done"


def _system_true() -> None:
    status = os.system("true")
    if status != 0:
        raise RuntimeError(f"os.system('true') returned {status}")


def _run(argv: list[str]) -> Callable[[], None]:
    def call() -> None:
        code = subprocess.run(argv).returncode
        if code != 0:
            raise RuntimeError(f"{argv!r} exited {code}")

    return call


OPS: dict[str, Callable[[], None]] = {
    'os.system("true")': _system_true,
    'subprocess.run(["true"])': _run(["true"]),
    "subprocess.run([python, -c, pass])": _run([sys.executable, "-c", "pass"]),
    f"sh -c '{LOOP}'": _run(["sh", "-c", LOOP]),
}


def _loadavg() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


@contextmanager
def _backends(workdir: str) -> Iterator[dict[str, Any]]:
    """The context managers that make each backend current."""
    memory = osbox.Machine()
    sqlite = osbox.Machine(os.path.join(workdir, "processes.db"))
    try:
        yield {"host": nullcontext, "memory": memory.patch, "sqlite": sqlite.patch}
    finally:
        memory.close()
        sqlite.close()


def measure(n: int, chunks: int = 5) -> dict[str, dict[str, list[float]]]:
    """Per-call times in seconds: ``times[op][backend]``, ``n`` calls each."""
    times: dict[str, dict[str, list[float]]] = {op: {b: [] for b in BACKENDS} for op in OPS}
    workdir = tempfile.mkdtemp(prefix="osbox-procbench-")
    try:
        with _backends(workdir) as enter:
            sizes = [n // chunks + (1 if i < n % chunks else 0) for i in range(chunks)]
            for round_no, size in enumerate(sizes):
                print(f"round {round_no + 1}/{chunks}: {size} calls each", file=sys.stderr)
                for backend in BACKENDS:
                    with enter[backend]():
                        for op, fn in OPS.items():
                            fn()  # warm-up, untimed
                            sink = times[op][backend]
                            for _ in range(size):
                                t0 = time.perf_counter()
                                fn()
                                sink.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return times


def summarise(times: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    rows = []
    for op, per in times.items():
        med = {b: median(per[b]) * 1000 for b in BACKENDS}
        rows.append(
            {
                "op": op,
                "median_ms": med,
                "ratio": {b: med[b] / med["host"] for b in BACKENDS if b != "host"},
                "runs": len(per["host"]),
            }
        )
    return rows


def render(rows: list[dict[str, Any]], load: dict[str, Any], n: int) -> None:
    headers = [
        "operation",
        "host ms",
        "memory ms",
        "SQLite ms",
        "memory/host",
        "SQLite/host",
    ]
    body = [
        [
            r["op"],
            f"{r['median_ms']['host']:.2f}",
            f"{r['median_ms']['memory']:.2f}",
            f"{r['median_ms']['sqlite']:.2f}",
            f"{r['ratio']['memory']:.2f}x",
            f"{r['ratio']['sqlite']:.2f}x",
        ]
        for r in rows
    ]
    title = f"Per-call time, median of {n} calls"
    caption = (
        "load average (1/5/15 min) at start {start}, at end {end}; {cpus} cpus; Python {py}".format(
            start=" ".join(f"{x:.2f}" for x in load["start"]),
            end=" ".join(f"{x:.2f}" for x in load["end"]),
            cpus=os.cpu_count(),
            py=platform.python_version(),
        )
    )
    try:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table
    except ImportError:
        print(title)
        widths = [max(len(str(c)) for c in col) for col in zip(headers, *body, strict=False)]
        for line in [headers, *body]:
            print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))
        print(caption)
        return
    console = Console(width=max(Console().width, 110))
    table = Table(title=title)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for line in body:
        table.add_row(*(escape(c) for c in line))
    console.print(table)
    console.print(escape(caption))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="timed calls per operation (100)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    load_start = _loadavg()
    times = measure(args.n, chunks=min(5, args.n))
    load = {"start": load_start, "end": _loadavg()}
    rows = summarise(times)
    render(rows, load, args.n)
    if args.json:
        data = {
            "n": args.n,
            "loadavg": load,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "rows": rows,
            "raw_seconds": times,
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
