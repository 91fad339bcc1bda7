"""Crash consistency of a SQLite machine: a writer killed with SIGKILL at a
random moment, many times over, leaves a file that passes fsck and holds
every change made before its last fsync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from osbox import Machine

ROUNDS = int(os.environ.get("OSBOX_CRASH_ROUNDS", "12"))
SRC = str(Path(__file__).resolve().parents[2] / "src")

# Each step creates, writes, hard-links, renames and unlinks, so a torn
# syscall would show up as a wrong nlink, a dangling dentry or lost data.
# After every few steps it fsyncs and then records the step in a host log.
WRITER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[3])
    from osbox import Machine
    m = Machine(sys.argv[1])
    o = m.os
    o.makedirs("/data", exist_ok=True)
    start = len([n for n in o.listdir("/data") if n.startswith("f")])
    with open(sys.argv[2], "a") as log:
        i = start
        while True:
            name = f"/data/f{i:06d}"
            fd = o.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            o.write(fd, f"content {i}\\n".encode() * 20)
            if i % 5 == 4:
                o.fsync(fd)
                log.write(f"{i}\\n")
                log.flush()
                os.fsync(log.fileno())
            o.close(fd)
            o.link(name, f"/data/h{i:06d}")
            if i > start:
                o.rename(f"/data/h{i - 1:06d}", f"/data/r{i - 1:06d}")
            if i > start + 1:
                o.unlink(f"/data/r{i - 2:06d}")
            i += 1
    """
)


def _last_checkpoint(log: Path) -> int:
    lines = log.read_text().split() if log.exists() else []
    return int(lines[-1]) if lines else -1


@pytest.mark.parametrize("seed", [0])
def test_sigkill_mid_run_leaves_a_consistent_machine(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = tmp_path / "crash.db"
    log = tmp_path / "checkpoints.log"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    checkpoints = []
    for _ in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, str(script), str(db), str(log), SRC])
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        last = _last_checkpoint(log)
        checkpoints.append(last)
        with Machine(str(db)) as m:
            assert m.fsck() == []
            names = set(m.os.listdir("/data")) if m.os.path.isdir("/data") else set()
            for i in range(last + 1):
                assert f"f{i:06d}" in names, f"f{i:06d} lost (synced up to {last})"
                with m.open(f"/data/f{i:06d}", "rb") as f:
                    assert f.read() == f"content {i}\n".encode() * 20
    assert checkpoints[-1] > 0, "the writer never reached a checkpoint"
