"""The ``osbox`` command line: machine selection, run, ls/cat/tree/stat,
put/get, fsck, and exit statuses."""

from __future__ import annotations

import os
import re
import stat
import sys
import textwrap
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import osbox
from osbox.cli import transfer
from osbox.cli._format import stat_time
from osbox.cli.main import cli
from osbox.cli.run import split_args

MTIME_NS = 1_000_000_000_123_456_789  # 2001-09-09, with nanoseconds


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write(machine: osbox.Machine, path: str, data: bytes, mode: int = 0o644) -> None:
    with machine.open(path, "wb") as f:
        f.write(data)
    machine.os.chmod(path, mode)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A machine file holding /data: a file, a binary file, a symlink, a
    subdirectory and a dot file."""
    path = str(tmp_path / "m.db")
    with osbox.Machine(path) as m:
        m.os.mkdir("/data")
        m.os.mkdir("/data/sub")
        write(m, "/data/hello.txt", b"hello\n")
        write(m, "/data/sub/bin", bytes(range(256)), 0o600)
        write(m, "/data/.hidden", b"")
        m.os.symlink("hello.txt", "/data/link")
        m.os.utime("/data/hello.txt", ns=(MTIME_NS, MTIME_NS))
        m.os.chown("/data/sub/bin", 1000, 100)
    return path


@pytest.fixture(autouse=True)
def host_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test runs in an empty directory of its own, without $OSBOX_MACHINE,
    so a default machine never lands in the work tree."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("OSBOX_MACHINE", raising=False)
    yield work


def read(path: str, vpath: str) -> bytes:
    with osbox.Machine(path) as m, m.open(vpath, "rb") as f:
        data: bytes = f.read()
    return data


# -- machine selection ----------------------------------------------------------------


def test_default_machine_is_dot_osbox_in_cwd(host_cwd: Path) -> None:
    result = invoke("run", "-c", "open('/made', 'w').write('x')")
    assert result.exit_code == 0, result.output
    assert (host_cwd / ".osbox" / "machine.db").is_file()
    assert read(str(host_cwd / ".osbox" / "machine.db"), "/made") == b"x"
    assert not os.path.exists("/made")


def test_memory_machine_leaves_nothing(host_cwd: Path) -> None:
    result = invoke("run", "--memory", "-c", "import os; os.mkdir('/m'); print(os.listdir('/'))")
    assert result.exit_code == 0
    assert "'m'" in result.stdout
    assert list(host_cwd.iterdir()) == []
    # a new memory machine is empty again
    assert "m\n" not in invoke("ls", "--memory", "/").stdout


def test_env_var_selects_machine(db: str, host_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSBOX_MACHINE", db)
    result = invoke("cat", "/data/hello.txt")
    assert result.exit_code == 0
    assert result.stdout == "hello\n"
    assert not (host_cwd / ".osbox").exists()
    # --memory wins over the environment, but not over an explicit --machine
    assert invoke("cat", "--memory", "/data/hello.txt").exit_code == 1
    assert invoke("ls", "--memory", "--machine", db).exit_code == 2


@pytest.mark.parametrize(
    "content", [b"this is not a database\n", b"SQLite format 3\x00" + bytes(200)]
)
def test_bad_machine_file_exits_2_untouched(tmp_path: Path, host_cwd: Path, content: bytes) -> None:
    (tmp_path / "files").mkdir()
    bad = tmp_path / "files" / "bad.db"
    bad.write_bytes(content)
    for cmd, *args in (["ls"], ["fsck"], ["run", "-c", "pass"], ["put", str(host_cwd), "/x"]):
        result = invoke(cmd, "--machine", str(bad), *args)
        assert result.exit_code == 2, cmd
        assert result.stderr.startswith(f"osbox: {cmd}: ")
        assert str(bad) in result.stderr
        assert result.stderr.count("\n") == 1
    assert bad.read_bytes() == content
    assert os.listdir(bad.parent) == ["bad.db"]
    assert os.listdir(host_cwd) == []


# -- run -------------------------------------------------------------------------------


def script(tmp_path: Path, body: str, name: str = "prog.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_run_script_writes_into_machine(db: str, tmp_path: Path) -> None:
    ghost = tmp_path / "ghost" / "out.txt"
    prog = script(
        tmp_path,
        f"""
        import os, pathlib, shutil, sys
        os.makedirs({str(ghost.parent)!r})
        pathlib.Path({str(ghost)!r}).write_text("inside")
        shutil.copy("/data/hello.txt", "/data/copy.txt")
        print("argv", sys.argv)
        print("path0", sys.path[0])
        print("file", __file__, __name__)
        """,
    )
    result = invoke("run", "--machine", db, prog, "a", "--flag", "-m", "x")
    assert result.exit_code == 0, result.output
    assert f"argv [{prog!r}, 'a', '--flag', '-m', 'x']" in result.stdout
    assert f"path0 {tmp_path}" in result.stdout
    assert f"file {prog} __main__" in result.stdout
    assert not ghost.parent.exists()
    assert read(db, str(ghost)) == b"inside"
    assert read(db, "/data/copy.txt") == b"hello\n"


def test_run_restores_argv_and_path(tmp_path: Path) -> None:
    argv, path, main = list(sys.argv), list(sys.path), sys.modules["__main__"]
    prog = script(tmp_path, "import sys; sys.argv.append('junk'); sys.path.append('/junk')")
    assert invoke("run", "--memory", prog).exit_code == 0
    assert sys.argv == argv and sys.path == path and sys.modules["__main__"] is main


def test_run_imports_sibling_module_from_host(tmp_path: Path) -> None:
    script(tmp_path, "VALUE = 42\n", "osbox_cli_sibling.py")
    prog = script(tmp_path, "import osbox_cli_sibling; print(osbox_cli_sibling.VALUE)")
    try:
        result = invoke("run", "--memory", prog)
    finally:
        sys.modules.pop("osbox_cli_sibling", None)
    assert result.exit_code == 0, result.output
    assert result.stdout == "42\n"


def test_run_module_with_args(db: str) -> None:
    with osbox.Machine(db) as m:
        write(m, "/in.json", b'{"b": [1, 2], "a": null}')
    result = invoke(
        "run", "--machine", db, "-m", "json.tool", "--sort-keys", "/in.json", "/out.json"
    )
    assert result.exit_code == 0, result.output
    assert (
        read(db, "/out.json") == b'{\n    "a": null,\n    "b": [\n        1,\n        2\n    ]\n}\n'
    )


def test_run_module_argv_and_missing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke("run", "--memory", "-m", "osbox.cli._probe_missing_")
    assert result.exit_code == 1
    assert result.stderr == "osbox: run: No module named osbox.cli._probe_missing_\n"
    # -m finds modules in the current directory, and argv[0] is the module's file
    echo = script(tmp_path, "import sys; print(sys.argv, __name__)", "osbox_cli_echo.py")
    monkeypatch.chdir(tmp_path)
    try:
        result = invoke("run", "--memory", "-m", "osbox_cli_echo", "-x", "y")
    finally:
        sys.modules.pop("osbox_cli_echo", None)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"[{echo!r}, '-x', 'y'] __main__\n"


def test_run_code_with_args() -> None:
    code = "import sys, os; print(sys.argv, os.getcwd(), os.environ['HOME'])"
    result = invoke("run", "--memory", "-c", code, "a", "--memory", "-c", "--")
    assert result.exit_code == 0, result.output
    assert result.stdout == "['-c', 'a', '--memory', '-c', '--'] / /root\n"
    assert not os.path.exists(".osbox")


def test_run_stdin_script() -> None:
    result = invoke("run", "--memory", "-", "x", input="import sys; print(sys.argv)")
    assert result.stdout == "['-', 'x']\n"


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [
        ("pass", 0, ""),
        ("import sys; sys.exit()", 0, ""),
        ("import sys; sys.exit(3)", 3, ""),
        ("raise SystemExit('bye now')", 1, "bye now\n"),
        ("raise SystemExit(None)", 0, ""),
    ],
)
def test_run_exit_status(code: str, status: int, stderr: str) -> None:
    result = invoke("run", "--memory", "-c", code)
    assert result.exit_code == status
    assert result.stderr == stderr


def test_run_exception_prints_host_traceback(tmp_path: Path) -> None:
    prog = script(
        tmp_path,
        """
        def fail():
            raise ValueError("boom")  # the failing line
        fail()
        """,
    )
    result = invoke("run", "--memory", prog)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{prog}", line 4, in <module>'
    assert 'raise ValueError("boom")  # the failing line' in result.stderr
    assert lines[-1] == "ValueError: boom"
    assert "osbox" not in result.stderr.replace(prog, "")


def test_run_syntax_error_and_missing_script(tmp_path: Path, host_cwd: Path) -> None:
    result = invoke("run", "-c", "x = (")
    assert result.exit_code == 1
    assert "SyntaxError" in result.stderr
    missing = tmp_path / "missing.py"
    result = invoke("run", str(missing))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"osbox: run: can't open file '{missing}'")
    assert not (host_cwd / ".osbox").exists()  # no machine was made for nothing
    assert invoke("run").exit_code == 2


def test_run_exit_work_stays_in_machine(db: str, tmp_path: Path) -> None:
    target = tmp_path / "from-atexit"
    prog = script(
        tmp_path,
        f"""
        import atexit, tempfile, threading, os
        os.makedirs({str(tmp_path)!r})
        def late():
            open({str(target)!r}, "w").write("late")
        atexit.register(late)
        keep = tempfile.TemporaryDirectory(dir="/tmp")
        open(os.path.join(keep.name, "f"), "w").close()
        open("/tempdir-name", "w").write(keep.name)
        def work():
            open("/thread.txt", "w").write("thread")
        threading.Thread(target=work).start()
        """,
    )
    result = invoke("run", "--machine", db, prog)
    assert result.exit_code == 0, result.output
    assert not target.exists()
    assert read(db, str(target)) == b"late"
    assert read(db, "/thread.txt") == b"thread"
    with osbox.Machine(db) as m:
        with m.open("/tempdir-name") as f:
            name = f.read()
        assert name.startswith("/tmp/tmp")
        assert not m.os.path.exists(name)  # the TemporaryDirectory was cleaned up
    assert not weakref.finalize._shutdown  # type: ignore[attr-defined]  # the host's finalizers still work


def test_split_args() -> None:
    assert split_args(["--memory", "s.py", "--memory"]) == (["--memory"], ["s.py", "--memory"])
    assert split_args(["--machine", "m", "-c", "x", "-m", "y"]) == (
        ["--machine", "m", "-c", "x"],
        ["-m", "y"],
    )
    assert split_args(["-mjson.tool", "a"]) == (["-mjson.tool"], ["a"])
    assert split_args(["--", "-s.py", "a"]) == ([], ["-s.py", "a"])
    assert split_args(["-", "a"]) == ([], ["-", "a"])


# -- ls, cat, tree, stat ---------------------------------------------------------------


def test_ls(db: str) -> None:
    assert invoke("ls", "--machine", db, "/data").stdout == "hello.txt\nlink\nsub\n"
    top = ["bin", "data", "dev", "etc", "home", "lib", "proc", "root", "sbin", "tmp", "usr"]
    assert invoke("ls", "--machine", db).stdout.splitlines() == top
    result = invoke("ls", "--memory", "-a", "/")
    assert result.stdout.splitlines() == [".", ".."] + [n for n in top if n != "data"]


def test_ls_all_on_machine_file(db: str) -> None:
    result = invoke("ls", "--machine", db, "-a", "/data")
    assert result.stdout.splitlines() == [".", "..", ".hidden", "hello.txt", "link", "sub"]


def test_ls_long(db: str) -> None:
    lines = invoke("ls", "--machine", db, "-l", "/data").stdout.splitlines()
    assert lines[0] == "total 4"
    assert re.fullmatch(r"-rw-r--r-- 1 root root +6 Sep {2}9 {2}2001 hello.txt", lines[1]), lines
    assert re.fullmatch(
        r"lrwxrwxrwx 1 root root +9 \w{3} [ \d]\d \d\d:\d\d link -> hello.txt", lines[2]
    )
    assert re.fullmatch(r"drwxr-xr-x 2 root root \d+ .{12} sub", lines[3])
    sub = invoke("ls", "--machine", db, "-l", "/data/sub").stdout.splitlines()
    assert re.fullmatch(r"-rw------- 1 1000 100 256 .{12} bin", sub[1]), sub
    assert sub[0] == "total 4"
    numeric = invoke("ls", "--machine", db, "-ln", "/data/hello.txt").stdout
    assert numeric.startswith("-rw-r--r-- 1 0 0 6 ")
    assert numeric.endswith(" /data/hello.txt\n")
    dev = invoke("ls", "--machine", db, "-l", "/dev").stdout
    assert re.search(r"^crw-rw-rw- 1 root root 1, +3 .{12} null$", dev, re.M), dev


def test_ls_errors(db: str) -> None:
    result = invoke("ls", "--machine", db, "/nope", "/data/sub")
    assert result.exit_code == 1
    assert result.stderr == "osbox: ls: /nope: No such file or directory\n"
    assert result.stdout == "/data/sub:\nbin\n"


def test_cat_is_binary_safe(db: str) -> None:
    result = invoke("cat", "--machine", db, "/data/sub/bin", "/data/hello.txt")
    assert result.exit_code == 0
    assert result.stdout_bytes == bytes(range(256)) + b"hello\n"
    result = invoke("cat", "--machine", db, "/data", "/data/link")
    assert result.exit_code == 1
    assert result.stderr == "osbox: cat: /data: Is a directory\n"
    assert result.stdout == "hello\n"


def test_tree(db: str) -> None:
    result = invoke("tree", "--machine", db, "/data")
    assert result.exit_code == 0
    assert result.stdout == textwrap.dedent(
        """\
        /data
        ├── hello.txt
        ├── link -> hello.txt
        └── sub
            └── bin

        1 directory, 3 files
        """
    )
    everything = invoke("tree", "--machine", db, "-a").stdout
    assert everything.startswith("/\n├── bin -> usr/bin\n├── data\n│   ├── .hidden\n")
    with osbox.Machine(db) as m:
        programs = len(m.os.listdir("/usr/bin"))
    # the skeleton's 8 directories and 12 files, plus /usr's 7 directories,
    # the bin, sbin and lib links, the multi-call stub and a link per program,
    # plus procfs as Linux's tree shows it: /proc/1 and /proc/1/fd; self,
    # uptime, the 7 entries of /proc/1 and its fds 0-2 (the console)
    assert everything.endswith(f"\n\n18 directories, {16 + programs + 12} files\n")
    assert "├── tmp\n" in everything
    shallow = invoke("tree", "--machine", db, "-L", "1", "/data").stdout
    assert shallow.endswith("└── sub\n\n1 directory, 2 files\n")
    assert invoke("tree", "--machine", db, "/nope").exit_code == 1


def test_stat(db: str) -> None:
    result = invoke("stat", "--machine", db, "/data/hello.txt", "/data/link", "/dev/null")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "  File: /data/hello.txt",
        "  Size: 6         \tBlocks: 8          IO Block: 4096   regular file",
        lines[2],
        "Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)",
    ]
    assert re.fullmatch(r"Device: \d+,\d+\tInode: \d+ +Links: 1", lines[2])
    assert lines[5] == f"Modify: {stat_time(MTIME_NS)}"
    assert re.fullmatch(r"Change: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4}", lines[6])
    assert lines[7] == " Birth: -"
    assert lines[8] == "  File: /data/link -> hello.txt"
    assert lines[9].endswith("symbolic link")
    assert re.search(r"Links: 1 +Device type: 1,3$", lines[18])
    assert lines[17].endswith("character special file")
    result = invoke("stat", "--machine", db, "-L", "/data/link", "/data/sub/bin", "/nope")
    assert result.exit_code == 1
    assert "regular file" in result.stdout.splitlines()[1]
    assert "Uid: ( 1000/ UNKNOWN)   Gid: (  100/ UNKNOWN)" in result.stdout
    assert result.stderr == "osbox: stat: /nope: No such file or directory\n"


def test_stat_time_format() -> None:
    assert re.fullmatch(r"2001-09-0\d \d\d:\d\d:\d\d\.123456789 [+-]\d{4}", stat_time(MTIME_NS))


# -- put, get --------------------------------------------------------------------------


def make_host_tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "f1").write_bytes(b"one\n")
    (root / "a" / "b" / "big").write_bytes(os.urandom(300_000))
    (root / "a" / "empty").write_bytes(b"")
    os.symlink("../f1", root / "a" / "b" / "rel")
    os.symlink("/nowhere/at/all", root / "dangling")
    os.link(root / "a" / "f1", root / "a" / "hard")
    os.chmod(root / "a" / "b", 0o751)
    os.chmod(root / "a" / "f1", 0o600)
    os.chmod(root / "a" / "empty", 0o4755)
    os.utime(root / "a" / "b" / "big", ns=(MTIME_NS - 7, MTIME_NS))
    os.utime(root / "a" / "b" / "rel", ns=(MTIME_NS, MTIME_NS + 1), follow_symlinks=False)
    os.utime(root / "a" / "b", ns=(MTIME_NS, MTIME_NS + 2))


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything cp -a keeps, per relative path."""
    found: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            data = None
            if stat.S_ISREG(st.st_mode):
                fd = os.open(path, os.O_RDONLY | os.O_NOATIME)  # keep atime as it is
                with open(fd, "rb") as f:
                    data = f.read()
            # reading a directory or a symlink sets its atime: compare those mtimes only
            times = (st.st_atime_ns, st.st_mtime_ns) if data is not None else (st.st_mtime_ns,)
            found[os.path.relpath(path, root)] = (st.st_mode, st.st_nlink, link, data, *times)
    return found


def test_put_get_round_trip(db: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_host_tree(src)
    before = snapshot(src)
    result = invoke("put", "--machine", db, str(src), "/data")
    assert result.exit_code == 0, result.output
    with osbox.Machine(db) as m:
        big = m.os.lstat("/data/src/a/b/big")
        assert (big.st_atime_ns, big.st_mtime_ns) == (MTIME_NS - 7, MTIME_NS)
        assert m.os.readlink("/data/src/a/b/rel") == "../f1"
        assert m.os.lstat("/data/src/a/b/rel").st_mtime_ns == MTIME_NS + 1
        assert stat.S_IMODE(m.os.stat("/data/src/a/empty").st_mode) == 0o4755
        assert m.os.stat("/data/src/a/f1").st_ino == m.os.stat("/data/src/a/hard").st_ino
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("get", "--machine", db, "/data/src", str(out))
    assert result.exit_code == 0, result.output
    assert snapshot(out / "src") == before
    # a second put merges into the copy, replacing files
    (src / "a" / "f1").write_bytes(b"changed")
    assert invoke("put", "--machine", db, str(src), "/data").exit_code == 0
    assert read(db, "/data/src/a/f1") == b"changed"
    assert read(db, "/data/src/a/hard") == b"changed"


def test_put_file_to_new_name_and_into_dir(db: str, tmp_path: Path) -> None:
    host = tmp_path / "note.txt"
    host.write_text("note")
    assert invoke("put", "--machine", db, str(host), "/data/renamed").exit_code == 0
    assert invoke("put", "--machine", db, str(host), "/data/sub").exit_code == 0
    assert read(db, "/data/renamed") == read(db, "/data/sub/note.txt") == b"note"
    # the destination's parent must exist, as with cp
    result = invoke("put", "--machine", db, str(host), "/missing/dir/x")
    assert result.exit_code == 1
    assert result.stderr == "osbox: put: /missing/dir/x: No such file or directory\n"
    result = invoke("put", "--machine", db, str(tmp_path / "absent"), "/data")
    assert result.exit_code == 1
    assert "No such file or directory" in result.stderr
    # a tree never replaces a file
    result = invoke("put", "--machine", db, str(tmp_path / "note.txt"), "/data")
    assert invoke("put", "--machine", db, str(tmp_path), "/data/renamed").exit_code == 1


def test_get_symlink_is_not_followed(db: str, tmp_path: Path) -> None:
    result = invoke("get", "--machine", db, "/data/link", str(tmp_path / "l"))
    assert result.exit_code == 0
    assert os.readlink(tmp_path / "l") == "hello.txt"
    # an existing symlink at the destination is replaced, not written through
    victim = tmp_path / "victim"
    victim.write_text("keep")
    os.symlink(victim, tmp_path / "trap")
    assert invoke("get", "--machine", db, "/data/hello.txt", str(tmp_path / "trap")).exit_code == 0
    assert victim.read_text() == "keep"
    assert (tmp_path / "trap").read_text() == "hello\n"


def test_get_skips_device_nodes(tmp_path: Path) -> None:
    result = invoke("get", "--memory", "/dev", str(tmp_path / "dev"))
    assert result.exit_code == 0
    assert "osbox: get: /dev/null: skipped" in result.stderr
    assert os.listdir(tmp_path / "dev") == ["shm"]


def test_put_skips_the_machine_file(host_cwd: Path) -> None:
    (host_cwd / "f").write_text("f")
    assert invoke("run", "-c", "pass").exit_code == 0
    result = invoke("put", ".", "/proj")
    assert result.exit_code == 0
    assert "machine.db: skipped" in result.stderr
    with osbox.Machine(".osbox/machine.db") as m:
        assert m.os.listdir("/proj/.osbox") == []
        assert sorted(m.os.listdir("/proj")) == [".osbox", "f"]


def test_put_progress_bar(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "many"
    src.mkdir()
    for i in range(5):
        (src / str(i)).write_text(str(i))
    monkeypatch.setattr(transfer, "_interactive", lambda: True)
    monkeypatch.setattr(transfer, "PROGRESS_MIN", 3)
    assert invoke("put", "--machine", db, str(src), "/").exit_code == 0
    assert read(db, "/many/4") == b"4"


# -- fsck ------------------------------------------------------------------------------


def test_fsck(db: str) -> None:
    result = invoke("fsck", "--machine", db)
    assert result.exit_code == 0
    assert re.fullmatch(r"ok: \d+ inodes checked\n", result.stdout)
    assert invoke("fsck", "--memory").exit_code == 0


def test_entry_points() -> None:
    from osbox.__main__ import main as module_main
    from osbox.cli.main import main

    assert module_main is main
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("run", "ls", "cat", "tree", "stat", "put", "get", "fsck"):
        assert f"  {name} " in result.stdout


def test_run_compiled_file_and_directory(tmp_path: Path) -> None:
    import py_compile

    source = script(tmp_path, "import os, sys; print(sys.argv, os.getcwd())", "comp.py")
    compiled = str(tmp_path / "comp.pyc")
    py_compile.compile(source, cfile=compiled, doraise=True)
    result = invoke("run", "--memory", compiled, "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"[{compiled!r}, '1'] /\n"
    (tmp_path / "app").mkdir()
    script(tmp_path, "import sys; print(__name__, sys.argv[1:])", "app/__main__.py")
    result = invoke("run", "--memory", str(tmp_path / "app"), "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == "__main__ ['2']\n"


def test_run_reports_failing_exit_callback() -> None:
    code = "import atexit; atexit.register(lambda: 1 / 0); print('body')"
    result = invoke("run", "--memory", "-c", code)
    assert result.exit_code == 0
    assert result.stdout == "body\n"
    assert result.stderr.startswith("Exception ignored in atexit callback: <function <lambda>")
    assert result.stderr.endswith("ZeroDivisionError: division by zero\n")
