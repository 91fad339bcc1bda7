"""FUSE throughput: ``osbox mount`` against tmpfs and a plain mfusepy passthrough.

On 2,000 small files (20 directories x 100 files of 100 bytes), four phases:
create (open/write/close from Python), read (open/read/close), ``find -type
f`` and ``rm -rf``, on:

* ``tmpfs``: a directory in /dev/shm, no FUSE;
* ``passthrough``: the tiny mfusepy filesystem below, each operation the
  host's ``os`` call on a /dev/shm directory, mounted with the same options
  as ``osbox mount`` (single thread, ``use_ino``, no attribute or entry
  caching), so the ratio is the cost of the machine behind the bridge;
* ``osbox (sqlite)``: ``osbox mount`` of a machine file in /dev/shm;
* ``osbox (memory)``: ``osbox mount --memory``.

Figures are medians of ``--runs`` (default 3); the ratio column compares
with the passthrough (target: within 1.5x). Needs root and FUSE.

    python benchmarks/fuse.py [--runs N]
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from statistics import median
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "src"))

DIRS, FILES, PAYLOAD = 20, 100, b"x" * 100
PHASES = ("create", "read", "find", "rm -rf")
OPTIONS = {
    "foreground": True,
    "nothreads": True,
    "use_ino": True,
    "attr_timeout": 0,
    "entry_timeout": 0,
    "negative_timeout": 0,
    "allow_other": True,
}


# -- the passthrough filesystem ---------------------------------------------------------
class Passthrough:
    """Every operation is the host's own call on ``root`` + path."""

    use_ns = True

    def __init__(self, root: str) -> None:
        self.root = root

    def _p(self, path: str) -> str:
        return self.root + path

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        st = os.fstat(fh) if fh is not None else os.lstat(self._p(path))
        keys = ("st_ino", "st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_blocks")
        out: dict[str, Any] = {k: getattr(st, k) for k in keys}
        out.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
        return out

    def readdir(self, path: str, fh: int) -> list[Any]:
        out: list[Any] = [".", ".."]
        with os.scandir(self._p(path)) as it:
            for e in it:
                out.append((e.name, {"st_ino": e.inode(), "st_mode": _kind(e)}, 0))
        return out

    def access(self, path: str, amode: int) -> None:
        if not os.access(self._p(path), amode):
            raise OSError(errno.EACCES, "")

    def mkdir(self, path: str, mode: int) -> None:
        os.mkdir(self._p(path), mode)

    def rmdir(self, path: str) -> None:
        os.rmdir(self._p(path))

    def unlink(self, path: str) -> None:
        os.unlink(self._p(path))

    def rename(self, old: str, new: str) -> None:
        os.rename(self._p(old), self._p(new))

    def chmod(self, path: str, mode: int) -> None:
        os.chmod(self._p(path), mode)

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> None:
        os.utime(self._p(path), ns=times)

    def truncate(self, path: str, length: int, fh: int | None = None) -> None:
        os.truncate(fh if fh is not None else self._p(path), length)

    def open(self, path: str, flags: int) -> int:
        return os.open(self._p(path), flags)

    def create(self, path: str, mode: int, flags: int) -> int:
        return os.open(self._p(path), flags | os.O_CREAT, mode)

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return os.pread(fh, size, offset)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        return os.pwrite(fh, data, offset)

    def flush(self, path: str, fh: int) -> None:
        return None

    def release(self, path: str, fh: int) -> None:
        os.close(fh)

    def statfs(self, path: str) -> dict[str, int]:
        v = os.statvfs(self._p(path))
        return {k: getattr(v, k) for k in ("f_bsize", "f_frsize", "f_blocks", "f_bfree")}


def _kind(e: os.DirEntry[str]) -> int:
    if e.is_symlink():
        return 0o120000
    return 0o040000 if e.is_dir(follow_symlinks=False) else 0o100000


def serve_passthrough(root: str, mountpoint: str) -> None:
    import mfusepy

    mfusepy.FUSE(Passthrough(root), mountpoint, fsname="passthrough", **OPTIONS)


# -- the workload ---------------------------------------------------------------------------
def workload(base: str) -> dict[str, float]:
    top = os.path.join(base, "bench")
    times: dict[str, float] = {}
    t = time.perf_counter()
    os.mkdir(top)
    for d in range(DIRS):
        sub = os.path.join(top, f"d{d}")
        os.mkdir(sub)
        for f in range(FILES):
            with open(os.path.join(sub, f"f{f}"), "wb") as fh:
                fh.write(PAYLOAD)
    times["create"] = time.perf_counter() - t
    t = time.perf_counter()
    for d in range(DIRS):
        sub = os.path.join(top, f"d{d}")
        for f in range(FILES):
            with open(os.path.join(sub, f"f{f}"), "rb") as fh:
                assert fh.read() == PAYLOAD
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    found = subprocess.run(["find", top, "-type", "f"], capture_output=True, check=True)
    times["find"] = time.perf_counter() - t
    assert found.stdout.count(b"\n") == DIRS * FILES
    t = time.perf_counter()
    subprocess.run(["rm", "-rf", top], check=True)
    times["rm -rf"] = time.perf_counter() - t
    assert not os.path.exists(top)
    return times


def _wait(mountpoint: str, daemon: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        with open("/proc/self/mountinfo") as f:
            if any(line.split()[4] == mountpoint for line in f):
                return
        if daemon.poll() is not None:
            raise RuntimeError("the FUSE daemon ended")
        time.sleep(0.02)
    raise RuntimeError("not mounted in time")


def mounted(argv: list[str], mountpoint: str) -> Callable[[], None]:
    """Start a FUSE daemon; return the function that unmounts it."""
    daemon = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    _wait(mountpoint, daemon)

    def stop() -> None:
        subprocess.run(["fusermount3", "-u", mountpoint], check=True)
        daemon.wait(timeout=60)

    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve-passthrough", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_passthrough:
        serve_passthrough(*args.serve_passthrough)
        return
    from osbox.fuse import available

    why = available() or (None if os.geteuid() == 0 else "not root")
    if why:
        sys.exit(f"FUSE unavailable: {why}")
    work = tempfile.mkdtemp(prefix="osbox-fuse-bench-", dir="/dev/shm")
    py = sys.executable
    try:
        results: dict[str, list[dict[str, float]]] = {}
        for i, name in enumerate(("tmpfs", "passthrough", "osbox (sqlite)", "osbox (memory)")):
            results[name] = []
            for run in range(args.runs):
                here = os.path.join(work, f"{i}-{run}")
                os.mkdir(here)
                if name == "tmpfs":
                    results[name].append(workload(here))
                    continue
                mnt = here + "/mnt"
                os.mkdir(mnt)
                if name == "passthrough":
                    os.mkdir(here + "/data")
                    argv = [py, __file__, "--serve-passthrough", here + "/data", mnt]
                    base = mnt
                else:
                    where = ["--memory"] if "memory" in name else ["--machine", here + "/m.db"]
                    argv = [py, "-m", "osbox", "mount", *where, mnt]
                    base = mnt + "/tmp"
                stop = mounted(argv, mnt)
                try:
                    results[name].append(workload(base))
                finally:
                    stop()
        report(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict[str, list[dict[str, float]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    med = {n: {p: median(r[p] for r in rs) for p in PHASES} for n, rs in results.items()}
    for rows in med.values():
        rows["total"] = sum(rows[p] for p in PHASES)
    table = Table(title=f"FUSE throughput, {DIRS * FILES} files of {len(PAYLOAD)} B (median s)")
    table.add_column("phase")
    for name in med:
        table.add_column(name, justify="right")
    table.add_column("sqlite / passthrough", justify="right")
    table.add_column("memory / passthrough", justify="right")
    for phase in (*PHASES, "total"):
        row = [phase] + [f"{med[n][phase]:.3f}" for n in med]
        base = med["passthrough"][phase]
        row += [f"{med[n][phase] / base:.2f}x" for n in ("osbox (sqlite)", "osbox (memory)")]
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
