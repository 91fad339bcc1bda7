"""Two processes open one SQLite machine file at once: each sees the other's
committed changes, and concurrent writers lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from osbox import Machine

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _child(db: Path, code: str) -> subprocess.CompletedProcess[str]:
    script = "import sys, os\nsys.path.insert(0, sys.argv[2])\nfrom osbox import Machine\n"
    script += "m = Machine(sys.argv[1])\n" + textwrap.dedent(code) + "\nm.close()\n"
    return subprocess.run(
        [sys.executable, "-c", script, str(db), SRC], capture_output=True, text=True, timeout=120
    )


def test_each_process_sees_the_others_committed_changes(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with Machine(str(db)) as m:
        m.os.mkdir("/from-parent")
        with m.open("/from-parent/note", "w") as f:
            f.write("hello from the parent\n")
        m.sync()
        child = _child(
            db,
            """
            with m.open("/from-parent/note") as f:
                print(f.read(), end="")
            m.os.mkdir("/from-child")
            m.os.rename("/from-parent/note", "/from-child/note")
            """,
        )
        assert child.returncode == 0, child.stderr
        assert child.stdout == "hello from the parent\n"
        # The parent's machine is still open: it sees the child's commit.
        assert m.os.listdir("/from-parent") == []
        with m.open("/from-child/note") as f:
            assert f.read() == "hello from the parent\n"
        assert m.fsck() == []


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with Machine(str(db)) as m:
        m.os.makedirs("/data/parent")
        m.os.makedirs("/data/child")
        m.sync()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys\nsys.path.insert(0, sys.argv[2])\nfrom osbox import Machine\n"
                "m = Machine(sys.argv[1])\n"
                "for i in range(150):\n"
                "    with m.open(f'/data/child/f{i}', 'w') as f: f.write(str(i))\n"
                "m.close()\n",
                str(db),
                SRC,
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(150):
            with m.open(f"/data/parent/f{i}", "w") as f:
                f.write(str(i))
        m.sync()
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Machine(str(db)) as again:
        for side in ("parent", "child"):
            names = again.os.listdir(f"/data/{side}")
            assert sorted(names) == sorted(f"f{i}" for i in range(150))
            with again.open(f"/data/{side}/f149") as f:
                assert f.read() == "149"
        assert again.fsck() == []
