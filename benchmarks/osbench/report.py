"""Results and their presentation: the workload tables and ratios, the
targets and their verdicts, plain and rich output, the JSON dump.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from .common import (
    LABELS,
    PHASES,
    TARGET_AUDIT,
    TARGET_DISPATCH_S,
    TARGET_MEMORY_VS_TMPFS,
    TARGET_PATCH_S,
    TARGET_RSS_PER_FILE,
    TARGET_SQLITE_VS_DISK,
    TARGET_STAT_FLAT,
    TARGET_VS_PYFAKEFS,
)


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
    headers += ["audited/memory", "audited/sqlite"]
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
            row += ["", "", "", "", ""]
        else:
            row.append(fmt_x(ratio(get("memory"), get("tmpfs"))))
            row.append(fmt_x(ratio(get("sqlite"), get("disk"))))
            row.append(fmt_x(ratio(get("pyfakefs"), get("memory"))))
            row.append(fmt_x(ratio(get("memory-audit"), get("memory"))))
            row.append(fmt_x(ratio(get("sqlite-audit"), get("sqlite"))))
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
        for audited, plain in (("memory-audit", "memory"), ("sqlite-audit", "sqlite")):
            a = ratio(res.total(audited), res.total(plain))
            rows.append(
                [
                    f"audited {plain} total <= 2.0x {plain} total",
                    fmt_x(a),
                    verdict_le(a, TARGET_AUDIT, lambda v: f"{v:.2f}x"),
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
            "memory_audited_vs_memory_total": ratio(res.total("memory-audit"), res.total("memory")),
            "sqlite_audited_vs_sqlite_total": ratio(res.total("sqlite-audit"), res.total("sqlite")),
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
