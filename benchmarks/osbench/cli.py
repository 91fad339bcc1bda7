"""The command line: argument parsing, the order of the measurements, ``main``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from types import ModuleType
from typing import Any

from .backends import (
    Backend,
    BackendError,
    HostDir,
    OsboxMemory,
    OsboxSqlite,
    Pyfakefs,
    fs_type,
    pick_disk_dir,
    remove_temp_dir,
    run_micro,
    run_workload_once,
)
from .common import (
    _TEMP_DIRS,
    BACKENDS,
    LABELS,
    MAX_RENAMES,
    PAYLOAD,
    PHASES,
    import_osbox,
    import_patcher,
    version_of,
)
from .measure import measure_dispatch, measure_million, measure_patch_costs, profile_memory
from .report import Results, print_header, print_tables, to_json


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
        "memory-audit": OsboxMemory(osbox, audit=True),
        "sqlite-audit": OsboxSqlite(osbox, args.disk_dir, audit=True),
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
