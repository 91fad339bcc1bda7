"""``osbox exec``: host programs with the machine as their root filesystem."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from osbox import Machine


def osbox(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osbox", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture
def db(base_dir: str, request: pytest.FixtureRequest) -> str:
    return os.path.join(base_dir, request.node.name + ".db")


def test_git_and_coreutils_write_into_the_machine(db: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    script = """
        set -e
        cd /home && mkdir proj && cd proj
        git init -q
        printf 'b\\na\\n' > list && sort list > sorted
        git add -A && git -c user.name=x -c user.email=x@y commit -qm one
        git fsck --no-progress && git log --format=%s
        ls /home/proj | tr '\\n' ' '
        echo
        test ! -e /usr/lib/osbox && echo host-usr
        exit 3
    """
    done = osbox("exec", "--machine", db, "--", "sh", "-c", script)
    assert done.returncode == 3, done.stderr
    assert done.stdout.split("\n")[:3] == ["one", "list sorted ", "host-usr"]
    with Machine(db) as m:
        assert m.open("/home/proj/sorted").read() == "a\nb\n"
        assert m.os.path.isdir("/home/proj/.git/objects")
        assert m.os.path.exists("/usr/lib/osbox")  # the machine's own /usr is untouched
    fsck = osbox("fsck", "--machine", db)
    assert fsck.returncode == 0, fsck.stdout


def test_cwd_status_and_read_only_host_dirs(db: str) -> None:
    done = osbox("exec", "--machine", db, "--cwd", "/tmp", "--", "sh", "-c", "pwd; touch /usr/x")
    assert done.stdout == "/tmp\n"
    assert "Read-only file system" in done.stderr
    assert done.returncode == 1
    missing = osbox("exec", "--machine", db, "--", "no-such-program-here")
    assert missing.returncode == 127


def test_no_network(db: str) -> None:
    code = "import socket; print([n for _, n in socket.if_nameindex()])"
    done = osbox("exec", "--machine", db, "--no-network", "--", "python3", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['lo']"


def test_overlay_keeps_the_host_untouched_until_commit(db: str, base_dir: str) -> None:
    host = os.path.join(base_dir, "project")
    os.mkdir(host)
    with open(os.path.join(host, "README"), "w") as f:
        f.write("original\n")
    script = "cd /work && echo changed > README && echo new > added"
    done = osbox("exec", "--machine", db, "--overlay", f"{host}:/work", "--", "sh", "-c", script)
    assert done.returncode == 0, done.stderr
    with open(os.path.join(host, "README")) as f:
        assert f.read() == "original\n"
    assert sorted(os.listdir(host)) == ["README"]
    diff = osbox("diff", "--machine", db)
    assert "README" in diff.stdout and "added" in diff.stdout, diff.stdout + diff.stderr
    commit = osbox("commit", "--machine", db)
    assert commit.returncode == 0, commit.stderr
    with open(os.path.join(host, "README")) as f:
        assert f.read() == "changed\n"
    with open(os.path.join(host, "added")) as f:
        assert f.read() == "new\n"
