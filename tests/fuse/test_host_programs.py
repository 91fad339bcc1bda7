"""``Machine(path, host_programs=[...])``: the machine's shell runs those host
programs through ``osbox exec``; other names stay "not found"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from osbox import Machine


def test_shell_runs_listed_host_programs(base_dir: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    db = os.path.join(base_dir, "hostprog.db")
    with Machine(db, host_programs=["git", "sort", "wc"]) as m:
        done = m.sh(
            "cd /tmp && git init -q r && cd r && printf 'b\\na\\n' > f"
            " && sort f && sort f > sorted && printf '1\\n2\\n3\\n' | wc -l"
            " && git add f && git -c user.name=a -c user.email=a@b commit -qm first"
            " && git log --format=%s; git status --porcelain; sqlite3 --version; echo $?"
        )
        assert done.stdout.split(b"\n") == [b"a", b"b", b"3", b"first", b"?? sorted", b"127", b""]
        assert b"sqlite3: not found" in done.stderr
        assert m.open("/tmp/r/sorted").read() == "a\nb\n"
        assert m.os.path.isdir("/tmp/r/.git/objects")
        assert m.os.stat("/usr/local/bin/git").st_mode & 0o777 == 0o755
    with Machine(db) as m:  # saved with the machine
        assert m.sh("git --version").stdout.startswith(b"git version")


def test_memory_machine_cannot_run_host_programs() -> None:
    with Machine(host_programs=["git"]) as m:
        done = m.sh("git --version")
        assert done.returncode == 127
        assert b"need a machine file" in done.stderr
    with Machine() as m:
        assert m.sh("git --version").stderr == b"sh: 1: git: not found\n"


def test_osbox_sh_host_program_flag(base_dir: str) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("sqlite3 is not installed")
    db = os.path.join(base_dir, "hostflag.db")
    script = "sqlite3 /tmp/a.db 'CREATE TABLE t(x); INSERT INTO t VALUES(42); SELECT x FROM t;'"
    argv = [sys.executable, "-m", "osbox", "sh", "--machine", db]
    first = subprocess.run([*argv, "--host-program", "sqlite3", "-c", script], capture_output=True)
    assert first.stdout == b"42\n", first.stderr
    again = subprocess.run(
        [*argv, "-c", "sqlite3 /tmp/a.db 'SELECT x+1 FROM t;'"], capture_output=True
    )
    assert again.stdout == b"43\n", again.stderr
