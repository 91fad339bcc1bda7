"""Fixtures for the FUSE tests: a machine file served at a host mount point.

Every test here is skipped, with the reason, where FUSE cannot work: not
root (the tests mount with ``allow_other`` and switch to other users), no
``/dev/fuse``, no ``fusermount3`` or no mfusepy (see ``osbox.fuse.available``).
The daemon is a separate ``python -m osbox mount`` process, as a user runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from osbox.fuse import available


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "FUSE tests need root (allow_other, and setuid children for non-root callers)"
    return available()


WHY_NOT = _why_not()
needs_fuse = pytest.mark.skipif(WHY_NOT is not None, reason=f"FUSE unavailable: {WHY_NOT}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(needs_fuse)


@dataclass
class Mount:
    """A served machine: its file, the host mount point and the daemon."""

    db: str
    path: str
    daemon: subprocess.Popen[bytes]

    def osbox(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``osbox ARGS --machine DB`` as a second, separate process."""
        argv = [sys.executable, "-m", "osbox", args[0], "--machine", self.db, *args[1:]]
        return subprocess.run(argv, input=input, capture_output=True, timeout=60, check=False)


def start(db: str, mountpoint: str) -> Mount:
    """Serve ``db`` at ``mountpoint`` from a daemon process; wait until mounted."""
    from osbox.fuse._mount import wait_mounted

    os.makedirs(mountpoint, exist_ok=True)
    argv = [sys.executable, "-m", "osbox", "mount", "--machine", db, mountpoint]
    with open(db + ".log", "wb") as log:  # the daemon's stderr
        daemon = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=log)
    if not wait_mounted(mountpoint, daemon):
        daemon.kill()
        daemon.wait()
        with open(db + ".log", "rb") as log:
            raise RuntimeError(f"mount failed: {log.read().decode(errors='replace')}")
    return Mount(db, mountpoint, daemon)


def stop(m: Mount) -> int:
    """Unmount and wait for the daemon; return its exit status."""
    for _ in range(50):  # EBUSY while a straggler still uses the mount
        done = subprocess.run(["fusermount3", "-u", m.path], check=False, capture_output=True)
        if done.returncode == 0 or m.daemon.poll() is not None:
            break
        time.sleep(0.1)
    else:
        subprocess.run(["fusermount3", "-u", "-z", m.path], check=False, capture_output=True)
    try:
        return m.daemon.wait(timeout=30)
    except subprocess.TimeoutExpired:
        m.daemon.kill()
        m.daemon.wait()
        return -9


@pytest.fixture(scope="session")
def base_dir() -> Iterator[str]:
    """A host directory other users can traverse (pytest's own is 0700)."""
    base = tempfile.mkdtemp(prefix="osbox-fuse-")
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        if _clear_mounts(base):  # never recurse into a live mount
            shutil.rmtree(base, ignore_errors=True)


def _mounts_under(base: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [p for p in (line.split()[4] for line in f) if p.startswith(base + "/")]


def _clear_mounts(base: str) -> bool:
    """Lazily unmount whatever a failed test left mounted under ``base``;
    return whether nothing is mounted there any more."""
    for point in _mounts_under(base):
        subprocess.run(["fusermount3", "-u", "-z", point], capture_output=True, check=False)
    return not _mounts_under(base)


@pytest.fixture(scope="session")
def mount(base_dir: str) -> Iterator[Mount]:
    """One machine served for the whole session (tests use fresh directories)."""
    m = start(os.path.join(base_dir, "machine.db"), os.path.join(base_dir, "mnt"))
    try:
        yield m
    finally:
        status = stop(m)
        with open(m.db + ".log", "rb") as log:
            errors = log.read().decode(errors="replace")
        assert status == 0 and "Traceback" not in errors, errors
