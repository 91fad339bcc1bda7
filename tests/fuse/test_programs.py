"""Real host programs through ``osbox mount``: coreutils, git, python -m
venv, sqlite3 in WAL mode, while a second ``osbox`` process (and an
in-process ``Machine``) use the same machine file."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from osbox import Machine

from .conftest import Mount


def sh(script: str, cwd: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-ec", script], cwd=cwd, capture_output=True, text=True, timeout=120, **kw
    )  # type: ignore[call-overload, no-any-return]


def fresh(mount: Mount) -> tuple[str, str]:
    """A new directory in the machine: (host path through the mount, machine path)."""
    name = "t-" + uuid.uuid4().hex[:8]
    host = os.path.join(mount.path, "tmp", name)
    os.mkdir(host)
    return host, "/tmp/" + name


def test_shell_tools(mount: Mount) -> None:
    host, vpath = fresh(mount)
    done = sh(
        """
        mkdir -p a/b/c
        printf 'one\\ntwo\\nthree\\n' > a/f.txt
        cp a/f.txt a/b/g.txt
        ln a/f.txt a/hard
        ln -s f.txt a/soft
        mv a/b/g.txt a/b/c/h.txt
        sort -r a/f.txt > a/sorted
        tar cf x.tar a
        mkdir out && tar xf x.tar -C out
        find out -type f | sort
        grep -c t a/f.txt
        stat -c '%h %s' a/f.txt
        readlink a/soft
        chmod 600 a/hard && stat -c %a a/f.txt
        rm -rf out
        du -s a >/dev/null
        """,
        host,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == [
        "out/a/b/c/h.txt",
        "out/a/f.txt",
        "out/a/hard",
        "out/a/sorted",
        "2",
        "2 14",
        "f.txt",
        "600",
        "",
    ]
    # the second process sees what the programs left, through its own kernel
    seen = mount.osbox("cat", vpath + "/a/sorted")
    assert seen.stdout == b"two\nthree\none\n", seen.stderr
    listed = mount.osbox("ls", vpath + "/a/b/c")
    assert listed.stdout.split() == [b"h.txt"], listed.stderr


def test_git(mount: Mount) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    host, vpath = fresh(mount)
    env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b", GIT_COMMITTER_NAME="a")
    env["GIT_COMMITTER_EMAIL"] = "a@b"
    env["HOME"] = host
    done = sh(
        """
        git init -q repo && cd repo
        for i in 1 2 3 4 5; do echo "line $i" > f$i; done
        mkdir sub && echo deep > sub/d
        git add -A && git commit -qm first
        echo more >> f1 && git rm -q f2 && git mv f3 g3
        git commit -qam second
        git gc -q
        git fsck --full --strict
        git log --format=%s
        git status --porcelain
        git ls-files
        """,
        host,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["second", "first", "f1", "f4", "f5", "g3", "sub/d"]
    head = mount.osbox("cat", vpath + "/repo/.git/HEAD")
    assert head.stdout == b"ref: refs/heads/master\n" or head.stdout.startswith(b"ref: refs/heads/")


def test_python_venv(mount: Mount) -> None:
    host, vpath = fresh(mount)
    py = shutil.which("python3")
    assert py is not None
    done = subprocess.run(
        [py, "-m", "venv", "--without-pip", os.path.join(host, "v")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run = subprocess.run(
        [os.path.join(host, "v", "bin", "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == os.path.join(host, "v")
    cfg = mount.osbox("cat", vpath + "/v/pyvenv.cfg")
    assert b"home = " in cfg.stdout, cfg.stderr


def test_sqlite_wal_with_a_second_osbox_process(mount: Mount) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("sqlite3 is not installed")
    host, vpath = fresh(mount)
    db = os.path.join(host, "app.db")
    writer = subprocess.Popen(
        ["sqlite3", db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    script = ["PRAGMA journal_mode=WAL;", "CREATE TABLE t(n INTEGER, s TEXT);"]
    script += [f"INSERT INTO t VALUES({i}, '{'x' * 50}');" for i in range(500)]
    script += ["SELECT count(*), sum(n) FROM t;", "PRAGMA integrity_check;"]
    assert writer.stdin is not None
    writer.stdin.write("\n".join(script[:252]) + "\nSELECT 'half';\n")
    writer.stdin.flush()
    assert writer.stdout is not None
    assert [writer.stdout.readline() for _ in range(2)] == ["wal\n", "half\n"]
    # Meanwhile another osbox process lists and reads the same machine.
    listing = mount.osbox("ls", vpath)
    assert b"app.db" in listing.stdout.split(), listing.stderr
    assert b"app.db-wal" in listing.stdout.split(), listing.stderr
    out, err = writer.communicate("\n".join(script[252:]) + "\n", timeout=120)
    assert writer.returncode == 0, err
    assert out.split() == ["500|124750", "ok"]
    header = mount.osbox("cat", vpath + "/app.db")
    assert header.stdout.startswith(b"SQLite format 3\x00"), header.stderr
    # A fresh reader opens what the writer committed.
    again = subprocess.run(
        ["sqlite3", db, "SELECT count(*) FROM t;"], capture_output=True, text=True, timeout=60
    )
    assert again.stdout.strip() == "500", again.stderr


def test_in_process_machine_shares_the_file(mount: Mount) -> None:
    host, vpath = fresh(mount)
    with open(os.path.join(host, "from-host"), "w") as f:
        f.write("via fuse\n")
    with Machine(mount.db) as m:
        assert m.open(vpath + "/from-host").read() == "via fuse\n"
        with m.open(vpath + "/from-machine", "w") as f:
            f.write("via Machine\n")
        m.os.mkdir(vpath + "/dir")
        m.sync()
    with open(os.path.join(host, "from-machine")) as f:
        assert f.read() == "via Machine\n"
    assert os.path.isdir(os.path.join(host, "dir"))


def test_attributes_are_never_stale(mount: Mount) -> None:
    host, vpath = fresh(mount)
    path = os.path.join(host, "f")
    with open(path, "w") as f:
        f.write("abc")
    ino = os.stat(path).st_ino
    os.link(path, path + "2")
    assert os.stat(path).st_nlink == 2
    # changed by another process, seen at once through the mount
    assert mount.osbox("sh", "-c", f"echo 1234567 > {vpath}/f; rm {vpath}/f2").returncode == 0
    st = os.stat(path)
    assert (st.st_ino, st.st_nlink, st.st_size) == (ino, 1, 8)
    assert not os.path.exists(path + "2")
    with open(path) as f:
        assert f.read() == "1234567\n"
    # inode numbers are the machine's, stable across lookups and listings
    assert [e.inode() for e in os.scandir(host) if e.name == "f"] == [ino]
    info = mount.osbox("stat", vpath + "/f")
    assert str(ino).encode() in info.stdout, info.stdout


def test_name_max_and_path_max(mount: Mount) -> None:
    host, _ = fresh(mount)
    with open(os.path.join(host, "n" * 255), "w"):
        pass
    with pytest.raises(OSError) as e:
        open(os.path.join(host, "n" * 256), "w")
    assert e.value.errno == 36  # ENAMETOOLONG
    with pytest.raises(OSError) as e:
        os.stat(os.path.join(host, "n" * 256))
    assert e.value.errno == 36
    assert os.statvfs(host).f_namemax == 255
    with pytest.raises(OSError) as e:
        os.stat(host + "/x" * 2100)
    assert e.value.errno == 36


def test_unlinked_open_file_stays_readable(mount: Mount) -> None:
    host, _ = fresh(mount)
    path = os.path.join(host, "gone")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"still here")
        os.unlink(path)
        assert os.listdir(host) == []  # no .fuse_hidden file
        os.fchmod(fd, 0o600)
        st = os.fstat(fd)
        assert (st.st_nlink, st.st_mode & 0o777, st.st_size) == (0, 0o600, 10)
        assert os.pread(fd, 100, 0) == b"still here"
        os.ftruncate(fd, 5)
        assert os.pread(fd, 100, 0) == b"still"
    finally:
        os.close(fd)
    os.rmdir(host)


def test_execute_only_binary_runs_for_another_user(mount: Mount) -> None:
    host, _ = fresh(mount)
    os.chmod(host, 0o755)
    true = shutil.which("true")
    assert true is not None
    target = os.path.join(host, "t")
    shutil.copy(true, target)
    os.chmod(target, 0o711)  # execute without read: execve(2) allows it
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    assert subprocess.run([*as_nobody, target], timeout=60).returncode == 0
    os.chmod(target, 0o700)
    denied = subprocess.run([*as_nobody, target], capture_output=True, timeout=60)
    assert denied.returncode != 0
    assert b"Permission denied" in denied.stderr


def test_machine_proc_files_read_through_the_mount(mount: Mount) -> None:
    status = os.path.join(mount.path, "proc", "1", "status")
    if not os.path.exists(status):
        pytest.skip("this machine has no /proc")
    assert os.stat(status).st_size == 0  # generated, as on Linux
    with open(status) as f:
        assert f.readline() == "Name:\tinit\n"
