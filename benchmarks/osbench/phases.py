"""The workload itself, plain code on the real ``os``/``open``/``shutil``:
the tree of paths, the seven phases and the per-call latencies.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import BATCHES, MAX_RENAMES, PAYLOAD, clock


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
