"""Mounting and unmounting: ``--background``, ``fusermount3 -u``, Ctrl-C, and
a daemon killed with SIGKILL (the mount can be cleared, fsck finds the file
consistent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from osbox import Machine

from .conftest import start, stop


def is_mounted(path: str) -> bool:
    from osbox.fuse._mount import is_mounted as mounted  # mfusepy: only where FUSE is

    return mounted(path)


def osbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osbox", *args], capture_output=True, text=True, timeout=60
    )


def test_background_then_fusermount(base_dir: str) -> None:
    db, mnt = os.path.join(base_dir, "bg.db"), os.path.join(base_dir, "bg")
    os.mkdir(mnt)
    done = osbox("mount", "--machine", db, mnt, "--background")
    assert done.returncode == 0, done.stderr
    assert "mounted at" in done.stdout
    assert is_mounted(mnt)
    with open(os.path.join(mnt, "tmp", "f"), "w") as f:
        f.write("kept")
    assert subprocess.run(["fusermount3", "-u", mnt]).returncode == 0
    assert not is_mounted(mnt)
    with Machine(db) as m:  # waits for the daemon's last commit if need be
        assert m.open("/tmp/f").read() == "kept"


def test_ctrl_c_unmounts_cleanly(base_dir: str) -> None:
    m = start(os.path.join(base_dir, "int.db"), os.path.join(base_dir, "int"))
    os.mkdir(os.path.join(m.path, "tmp", "d"))
    m.daemon.send_signal(signal.SIGINT)
    assert m.daemon.wait(timeout=30) == 0
    assert not is_mounted(m.path)
    assert osbox("ls", "--machine", m.db, "/tmp").stdout.split() == ["d"]


def test_mount_failure_is_reported(base_dir: str) -> None:
    done = osbox("mount", "--machine", os.path.join(base_dir, "x.db"), "/nonexistent/dir")
    assert done.returncode == 2
    assert "not a directory" in done.stderr


def test_daemon_crash_leaves_a_consistent_machine(base_dir: str) -> None:
    m = start(os.path.join(base_dir, "crash.db"), os.path.join(base_dir, "crash"))
    root = os.path.join(m.path, "tmp")
    for i in range(50):
        with open(os.path.join(root, f"f{i}"), "w") as f:
            f.write("x" * i)
    os.sync()
    fd = os.open(os.path.join(root, "f1"), os.O_RDONLY)
    os.unlink(os.path.join(root, "f2"))
    m.daemon.kill()
    m.daemon.wait()
    try:
        os.close(fd)
    except OSError as e:
        assert e.errno == 107  # ENOTCONN: the release cannot reach the daemon
    try:
        os.stat(root)
        raise AssertionError("the dead mount still answers")
    except OSError as e:
        assert e.errno == 107  # ENOTCONN: Transport endpoint is not connected
    assert subprocess.run(["fusermount3", "-u", m.path]).returncode == 0
    assert not is_mounted(m.path)
    fsck = osbox("fsck", "--machine", m.db)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert fsck.stdout.startswith("ok: ")
    # the file serves again
    again = start(m.db, m.path)
    try:
        names = set(os.listdir(os.path.join(again.path, "tmp")))
        assert names <= {f"f{i}" for i in range(50)}
    finally:
        assert stop(again) == 0
