"""The audit log: ``Machine(audit=True)``, ``Machine.audit_log``, the
``audit`` table of a machine file, ``osbox run --audit`` and ``osbox log``.

Calls are recorded from Python (``m.os``, ``m.open``, patched code), from
the machine's shell and its commands, and from child processes; errno
values are compared with what the host's Linux gives for the same call."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from osbox import AuditRecord, Machine, MachineFileError
from osbox.cli.main import cli
from osbox.stores.sqlite import SCHEMA_VERSION

SRC = str(Path(__file__).resolve().parents[2] / "src")
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC  # open(p, "w")
READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC  # open(p)


@pytest.fixture(params=["memory", "sqlite"])
def m(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Machine]:
    path = None if request.param == "memory" else str(tmp_path / "m.db")
    machine = Machine(path, audit=True)
    try:
        yield machine
    finally:
        machine.close()


def calls(records: list[AuditRecord]) -> list[tuple[str, list[object], object, int | None]]:
    return [(r.call, r.args, r.result, r.errno) for r in records]


def host_errno(func: object, *args: object) -> int:
    """The errno the host's ``os`` raises for ``func(*args)`` (Linux is the oracle)."""
    assert callable(func)
    with pytest.raises(OSError) as info:
        func(*args)
    assert info.value.errno is not None
    return info.value.errno


# -- what is recorded -----------------------------------------------------------------


def test_python_calls_are_recorded_with_their_results(m: Machine) -> None:
    t0 = time.time_ns()
    m.os.mkdir("/data", 0o750)
    fd = m.os.open("/data/f", os.O_WRONLY | os.O_CREAT, 0o600)
    assert m.os.write(fd, b"secret contents") == 15
    m.os.close(fd)
    st = m.os.stat("/data/f")
    m.os.chdir("/data")
    assert m.os.listdir(".") == ["f"]
    log = m.audit_log()
    assert calls(log) == [
        ("mkdir", ["/data", 0o750], None, None),
        ("open", ["/data/f", os.O_WRONLY | os.O_CREAT, 0o600], fd, None),
        ("write", [fd, 15], 15, None),
        ("close", [fd], None, None),
        ("stat", ["/data/f"], {"st_mode": st.st_mode, "st_ino": st.st_ino, "st_size": 15}, None),
        ("chdir", ["/data"], None, None),
        ("listdir", ["."], 1, None),
    ]
    assert {(r.pid, r.uid) for r in log} == {(1, 0)}
    assert [r.cwd for r in log] == ["/"] * 6 + ["/data"]
    times = [r.time_ns for r in log]
    assert times == sorted(times) and t0 <= times[0] <= time.time_ns()
    assert "secret" not in json.dumps([r.as_dict() for r in log])  # data: lengths only


def test_keyword_arguments_and_bytes_paths(m: Machine) -> None:
    m.os.mkdir(b"/b\xff")
    dfd = m.os.open("/", os.O_RDONLY)
    m.os.mkdir("sub", dir_fd=dfd)
    log = m.audit_log(call="mkdir")
    assert [(r.args, r.kwargs) for r in log] == [(["/b\udcff"], {}), (["sub"], {"dir_fd": dfd})]
    assert log[0].paths == ["/b\udcff"]
    assert log[1].paths == ["sub"]  # relative to a dir_fd: left as given


def test_builtins_open_and_file_objects_are_recorded(m: Machine) -> None:
    with m.patch():
        with open("/etc/motd", "w") as f:
            f.write("hello\n")
        with open("/etc/motd") as f:
            assert f.read() == "hello\n"
        with open("/etc/motd", "rb+") as f:
            f.seek(2)
            f.truncate()
    (w_open, w_write, w_close, r_open, r_read, r_close, *rest) = m.audit_log()
    assert (w_open.call, w_open.args) == ("open", ["/etc/motd", WRITE_FLAGS, 0o666])
    fd = w_open.result
    assert isinstance(fd, int) and fd >= 3
    assert calls([w_write, w_close]) == [("write", [fd, 6], 6, None), ("close", [fd], None, None)]
    assert (r_open.args, r_read.call, r_read.result) == (
        ["/etc/motd", READ_FLAGS, 0o666],
        "read",
        6,
    )
    assert r_close.call == "close"
    # strace of CPython: openat(O_RDWR|O_CLOEXEC) = 3, lseek(3, 2, SEEK_SET) = 2,
    # ftruncate(3, 2) = 0, close(3), with lseek(3, 0, SEEK_CUR) calls between
    # (which osbox answers without a syscall when it knows the position).
    fd = rest[0].result
    assert [(r.call, r.args, r.result) for r in rest if r.args[1:] != [0, os.SEEK_CUR]] == [
        ("open", ["/etc/motd", os.O_RDWR | os.O_CLOEXEC, 0o666], fd),
        ("lseek", [fd, 2, os.SEEK_SET], 2),
        ("ftruncate", [fd, 2], None),
        ("close", [fd], None),
    ]
    assert m.os.stat("/etc/motd").st_size == 2


def test_failed_calls_record_the_errno_linux_gives(m: Machine, tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "dir").mkdir(parents=True)
    (host / "file").write_text("x")
    m.os.makedirs("/w/dir")
    with m.open("/w/file", "w") as f:
        f.write("x")
    cases = [
        ("stat", ("missing",)),
        ("mkdir", ("dir",)),
        ("rmdir", ("file",)),
        ("listdir", ("file",)),
        ("unlink", ("dir",)),
    ]
    m.os.chdir("/w")
    before = len(m.audit_log())
    earlier = len(m.audit_log(errors=True))  # makedirs's stat of the missing /w
    assert earlier == 1
    expected = []
    for name, args in cases:
        expected.append(host_errno(getattr(os, name), *(str(host / a) for a in args)))
        with pytest.raises(OSError) as info:
            getattr(m.os, name)(*args)
        assert info.value.errno == expected[-1]
    with pytest.raises(IsADirectoryError):
        m.open("/w/dir", "w")
    failed = m.audit_log(errors=True)[earlier:]
    assert [(r.call, r.errno) for r in failed] == [
        *((name, e) for (name, _), e in zip(cases, expected, strict=True)),
        ("open", errno.EISDIR),
    ]
    assert [r.error for r in failed] == [errno.errorcode[r.errno or 0] for r in failed]
    assert all(r.result is None and r.cwd == "/w" for r in failed)
    assert len(m.audit_log()) == before + len(cases) + 1


def test_argument_errors_reach_no_syscall_and_are_not_recorded(m: Machine) -> None:
    with pytest.raises(TypeError):
        m.os.stat(3.5)
    with pytest.raises(ValueError):
        m.os.stat("a\0b")
    assert m.audit_log() == []


def test_derived_calls_record_their_primitives_once(m: Machine) -> None:
    import shutil

    m.os.makedirs("/a/b/c")
    assert sorted(r.args[0] for r in m.audit_log(call="mkdir")) == ["/a", "/a/b", "/a/b/c"]
    list(m.os.walk("/a"))
    with m.patch():
        shutil.rmtree("/a")
    names = {r.call for r in m.audit_log()}
    assert not names & {"makedirs", "walk", "rmtree", "exists", "isdir"}
    assert {"mkdir", "scandir", "rmdir"} <= names
    assert [r.args[0] for r in m.audit_log(call="rmdir")][-1] in ("/a", "a")
    assert not m.os.path.exists("/a")


def test_shell_and_its_commands_are_recorded(m: Machine) -> None:
    r = m.sh("ls /; cat /etc/passwd")
    assert r.returncode == 0
    passwd = m.audit_log(path="/etc/passwd", call="open")
    assert len(passwd) == 1 and passwd[0].pid != 1
    cat = passwd[0].pid
    reads = [r.result for r in m.audit_log(pid=cat, call="read") if r.result]
    writes = [rec for rec in m.audit_log(pid=cat, call="write") if rec.args[0] == 1]
    assert sum(reads) == sum(w.result for w in writes) == len(r.stdout.split(b"\n", 10)[-1])
    ls_pid = next(rec.pid for rec in m.audit_log(call="execve") if rec.args[0].endswith("/ls"))
    assert ls_pid not in (1, cat)
    assert any(
        rec.args == ["/"] for rec in m.audit_log(pid=ls_pid) if rec.call in ("scandir", "listdir")
    )
    sh = {rec.pid for rec in m.audit_log(call="fork")}
    assert len(sh) == 1 and sh.isdisjoint({1, cat, ls_pid})
    forked = {rec.result for rec in m.audit_log(call="fork")}
    assert {cat, ls_pid} <= forked


def test_child_process_calls_are_recorded(m: Machine) -> None:
    code = "open('/tmp/child.txt', 'w').write('abc'); import os; os.stat('/tmp/nope')"
    with m.patch():
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert r.returncode == 1 and b"FileNotFoundError" in r.stderr
    (start,) = m.audit_log(pid=1, call="fork_exec")
    child = start.result
    assert isinstance(child, int) and child > 1
    opened = m.audit_log(path="/tmp/child.txt")
    assert [(rec.pid, rec.call, rec.args[1]) for rec in opened] == [(child, "open", WRITE_FLAGS)]
    in_tmp = m.audit_log(pid=child, path="/tmp/*")
    assert [(rec.call, rec.args[0], rec.errno) for rec in in_tmp] == [
        ("open", "/tmp/child.txt", None),
        ("stat", "/tmp/nope", errno.ENOENT),
    ]
    # the parent read the child's stderr from a pipe, then reaped it
    assert m.audit_log(pid=1, call="waitpid")[-1].result == [child, 256]
    assert {rec.pid for rec in m.audit_log(pid=child)} == {child}


def test_filters_combine(m: Machine) -> None:
    m.os.mkdir("/etc/app")
    m.os.chdir("/etc/app")
    with m.open("conf", "w") as f:  # relative: matched as /etc/app/conf
        f.write("k=v\n")
    m.os.rename("conf", "/etc/app/conf.old")
    with pytest.raises(FileNotFoundError):
        m.os.stat("conf")
    assert [r.call for r in m.audit_log(path="/etc/app/conf")] == ["open", "rename", "stat"]
    assert [r.call for r in m.audit_log(path="/etc/app/conf.old")] == ["rename"]
    assert [r.call for r in m.audit_log(path="/etc/*")] == [
        "mkdir",
        "chdir",
        "open",
        "rename",
        "stat",
    ]
    assert [r.call for r in m.audit_log(path="/etc/app/conf", errors=True)] == ["stat"]
    assert m.audit_log(path="/etc/app/conf", call="rename")[0].paths == [
        "/etc/app/conf",
        "/etc/app/conf.old",
    ]
    assert m.audit_log(pid=2) == []
    assert len(m.audit_log(pid=1)) == len(m.audit_log())
    assert m.audit_log(call="nosuchcall") == []


def test_audit_off_records_nothing_and_wraps_nothing(tmp_path: Path) -> None:
    for path in (None, str(tmp_path / "off.db")):
        with Machine(path) as m:
            assert not m.auditing and m.audit_sink is None
            assert not hasattr(m.os.stat, "__wrapped__")
            m.os.mkdir("/x")
            with m.open("/x/f", "w") as f:
                f.write("x")
            m.sh("ls /x")
            assert m.audit_log() == []
    db = sqlite3.connect(str(tmp_path / "off.db"))
    assert db.execute("SELECT count(*) FROM audit").fetchone() == (0,)
    db.close()


# -- persistence ----------------------------------------------------------------------


def test_sqlite_log_persists_and_audit_setting_is_saved(tmp_path: Path) -> None:
    path = str(tmp_path / "m.db")
    with Machine(path, audit=True) as m:
        m.os.mkdir("/d")
        with pytest.raises(FileExistsError):
            m.os.mkdir("/d")
        first = m.audit_log()
    with Machine(path) as m:  # the saved setting: still auditing
        assert m.auditing
        assert m.audit_log() == first
        m.os.rmdir("/d")
    with Machine(path, audit=False) as m:
        m.os.mkdir("/not-recorded")
        assert [r.call for r in m.audit_log()] == ["mkdir", "mkdir", "rmdir"]
    with Machine(path) as m:
        assert not m.auditing
    db = sqlite3.connect(path)
    rows = db.execute("SELECT pid, call, args, errno FROM audit ORDER BY seq").fetchall()
    db.close()
    assert rows == [
        (1, "mkdir", '["/d"]', None),
        (1, "mkdir", '["/d"]', errno.EEXIST),
        (1, "rmdir", '["/d"]', None),
    ]


def _set_version(path: str, version: int, drop_audit: bool = False) -> None:
    db = sqlite3.connect(path)
    with db:
        if drop_audit:
            db.execute("DROP TABLE audit")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.close()


def test_older_file_gains_the_table_and_newer_one_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    with Machine(path) as m:
        m.os.mkdir("/kept")
    _set_version(path, 2, drop_audit=True)
    with Machine(path, audit=True) as m:
        assert m.os.path.isdir("/kept")
        m.os.rmdir("/kept")
        assert [r.call for r in m.audit_log()] == ["stat", "rmdir"]
    db = sqlite3.connect(path)
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    db.close()
    assert version == SCHEMA_VERSION >= 3
    _set_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(MachineFileError, match="newer"):
        Machine(path)


CRASH_WRITER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[2])
    from osbox import Machine
    m = Machine(sys.argv[1], audit=True)
    o = m.os
    o.makedirs("/data", exist_ok=True)
    i = len(o.listdir("/data"))
    m.sync()  # a new machine's skeleton and config are not one batch
    print("ready", flush=True)
    while True:
        fd = o.open(f"/data/f{i:06d}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        o.write(fd, b"x" * 100)
        o.close(fd)
        i += 1
    """
)


def test_sigkill_never_keeps_a_change_without_its_row(tmp_path: Path) -> None:
    """A writer killed at random moments: every file the file kept has the
    row of the ``open`` that created it, and every such row its file."""
    db = str(tmp_path / "crash.db")
    script = tmp_path / "writer.py"
    script.write_text(CRASH_WRITER)
    for delay in (0.4, 1.3, 0.7, 2.1, 1.1):
        argv = [sys.executable, str(script), db, SRC]
        with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
    with Machine(db, audit=False) as m:
        assert m.fsck() == []
        files = {"/data/" + n for n in m.os.listdir("/data")}
        created = {r.args[0] for r in m.audit_log(call="open") if r.args[0].startswith("/data/f")}
    assert len(files) > 100
    assert created == files


# -- the command line -------------------------------------------------------------------


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_osbox_run_audit_and_osbox_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OSBOX_MACHINE", raising=False)
    db = str(tmp_path / "m.db")
    script = tmp_path / "script.py"
    script.write_text(
        "import os\n"
        "print(open('/etc/passwd').read().count(':'))\n"
        "with open('/etc/motd', 'w') as f:\n"
        "    f.write('hi\\n')\n"
        "try:\n"
        "    os.stat('/etc/missing')\n"
        "except FileNotFoundError:\n"
        "    pass\n"
    )
    assert invoke("run", "--machine", db, "--audit", str(script)).exit_code == 0
    result = invoke("log", "--machine", db, "--path", "/etc/motd")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 2 and lines[0].split()[:4] == ["time", "(UTC)", "pid", "uid"]
    assert f'open("/etc/motd", {WRITE_FLAGS}, 438)' in lines[1]
    result = invoke("log", "--machine", db, "--json")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["call"] for r in records] == [
        "open",
        "read",
        "close",
        "open",
        "write",
        "close",
        "stat",
    ]
    assert records[0]["args"] == ["/etc/passwd", READ_FLAGS, 0o666]
    assert records[-1]["errno"] == errno.ENOENT and records[-1]["error"] == "ENOENT"
    assert set(records[0]) == {
        "time_ns", "pid", "uid", "cwd", "call", "args", "kwargs", "result", "errno", "error"
    }  # fmt: skip
    result = invoke("log", "--machine", db, "--errors")
    assert 'stat("/etc/missing")' in result.output and "-1 ENOENT" in result.output
    assert "open" not in result.output
    result = invoke("log", "--machine", db, "--call", "write", "--json")
    assert [json.loads(x)["args"][1] for x in result.output.splitlines()] == [3]
    result = invoke("log", "--machine", db, "--pid", "2")
    assert (result.exit_code, result.output) == (0, "")
    # The setting was saved: a later run of the same machine is audited too.
    assert invoke("run", "--machine", db, "-c", "import os; os.listdir('/')").exit_code == 0
    result = invoke("log", "--machine", db, "--call", "listdir", "--json")
    assert [json.loads(x)["args"] for x in result.output.splitlines()] == [["/"]]
