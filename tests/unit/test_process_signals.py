"""Processes in a machine, continued: kill/killpg, stop and continue, pipes
between processes, unmodified ``subprocess``, the process table and the host.
Backends as in ``test_processes`` (see ``procenv``)."""

from __future__ import annotations

import contextvars
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from osbox import Machine

from .procenv import (
    DUP2,
    OPEN,
    PY,
    SH,
    WFLAGS,
    Env,
    _signaled,
    env,
    inside,
    menv,
    penv,
)

__all__ = ["env", "menv", "penv"]  # fixtures, imported for pytest


# -- kill, stop, continue ---------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
@inside
def test_kill_sleeping_child_is_prompt(env: Env, sig: int) -> None:
    o = env.os
    start = time.monotonic()
    pid = env.sleeper(30)
    o.kill(pid, 0)  # alive
    o.kill(pid, sig)
    got, status = o.waitpid(pid, 0)
    assert time.monotonic() - start < 2
    assert got == pid
    _signaled(o, status, sig)
    with pytest.raises(ProcessLookupError) as info:
        o.kill(pid, 0)
    assert info.value.errno == errno.ESRCH


@inside
def test_kill_errors(env: Env) -> None:
    o = env.os
    with pytest.raises(ProcessLookupError):
        o.kill(99999999 if env.kind == "real" else 99999, 0)
    pid = env.sleeper()
    try:
        with pytest.raises(OSError) as info:
            o.kill(pid, 99)
        assert info.value.errno == errno.EINVAL
    finally:
        o.kill(pid, signal.SIGKILL)
        o.waitpid(pid, 0)


@inside
def test_stop_and_continue(env: Env) -> None:
    o = env.os
    pid = env.sleeper()
    try:
        o.kill(pid, signal.SIGSTOP)
        got, status = o.waitpid(pid, os.WUNTRACED)
        assert got == pid and status == (signal.SIGSTOP << 8) | 0x7F
        assert o.WIFSTOPPED(status) and o.WSTOPSIG(status) == signal.SIGSTOP
        assert not o.WIFEXITED(status) and not o.WIFSIGNALED(status)
        with pytest.raises(ValueError):
            o.waitstatus_to_exitcode(status)
        assert o.waitpid(pid, os.WNOHANG | os.WUNTRACED) == (0, 0)  # reported once
        o.kill(pid, signal.SIGCONT)
        got, status = o.waitpid(pid, os.WCONTINUED)
        assert got == pid and o.WIFCONTINUED(status) and status == 0xFFFF
        assert o.waitpid(pid, os.WNOHANG | os.WCONTINUED) == (0, 0)
        # SIGTERM stays pending while the process is stopped; SIGCONT lets it act
        o.kill(pid, signal.SIGSTOP)
        assert o.WIFSTOPPED(o.waitpid(pid, os.WUNTRACED)[1])
        o.kill(pid, signal.SIGTERM)
        time.sleep(0.1)
        assert o.waitpid(pid, os.WNOHANG) == (0, 0)
        o.kill(pid, signal.SIGCONT)
    except BaseException:
        o.kill(pid, signal.SIGKILL)
        raise
    finally:
        got, status = o.waitpid(pid, 0)
    _signaled(o, status, signal.SIGTERM)


@inside
def test_unprivileged_child_cannot_signal_root(env: Env) -> None:
    code = (
        "import os\n"
        "os.setuid(1000)\n"
        "try:\n"
        "    os.kill(os.getppid(), 0)\n"
        "    print('allowed')\n"
        "except PermissionError as e:\n"
        "    print('EPERM', e.errno)\n"
        "os.kill(os.getpid(), 0)\n"
        "print('self ok', os.getuid())\n"
    )
    assert env.python(code) == (0, f"EPERM {errno.EPERM}\nself ok 1000\n")


@inside
def test_killpg(env: Env) -> None:
    o = env.os
    pid = env.sleeper(setpgroup=0)
    try:
        assert o.getpgid(pid) == pid
        o.killpg(pid, 0)
        o.killpg(pid, signal.SIGTERM)
    finally:
        got, status = o.waitpid(pid, 0)
    _signaled(o, status, signal.SIGTERM)
    with pytest.raises(ProcessLookupError):
        o.killpg(pid, 0)


# -- pipes between processes ------------------------------------------------------------------
def _read_all(o: Any, fd: int) -> bytes:
    chunks = []
    while chunk := o.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


@inside
def test_spawn_with_a_pipe_eof_when_writer_exits(env: Env) -> None:
    o = env.os
    r, w = o.pipe()
    try:
        pid = o.posix_spawn(
            SH, ["sh", "-c", "echo one; echo two"], o.environ, file_actions=[(DUP2, w, 1)]
        )
        o.close(w)
        assert _read_all(o, r) == b"one\ntwo\n"
        assert o.waitpid(pid, 0) == (pid, 0)
    finally:
        o.close(r)


@inside
def test_pipe_into_a_child(env: Env) -> None:
    o = env.os
    out = env.path("fed")
    r, w = o.pipe()
    actions = [(DUP2, r, 0), (OPEN, 1, out, WFLAGS, 0o644)]
    pid = o.posix_spawnp("cat", ["cat"], o.environ, file_actions=actions)
    o.close(r)
    o.write(w, b"through the pipe\n")
    assert o.waitpid(pid, os.WNOHANG) == (0, 0)  # cat waits for EOF
    o.close(w)
    assert o.waitpid(pid, 0) == (pid, 0)
    assert env.read(out) == "through the pipe\n"


@inside
def test_writer_without_reader_dies_of_sigpipe(env: Env) -> None:
    o = env.os
    r, w = o.pipe()
    o.close(r)
    pid = o.posix_spawn(
        "/bin/cat",
        ["cat", "/dev/zero"],
        o.environ,
        file_actions=[(DUP2, w, 1)],
        setsigdef=[signal.SIGPIPE],
    )
    o.close(w)
    _signaled(o, o.waitpid(pid, 0)[1], signal.SIGPIPE)


@inside
def test_python_child_gets_broken_pipe_error(env: Env) -> None:
    o = env.os
    code = (
        "import os, sys\ntry:\n    while True:\n        os.write(1, b'x' * 65536)\n"
        "except BrokenPipeError:\n    sys.exit(42)\n"
    )
    r, w = o.pipe()
    o.close(r)
    pid = o.posix_spawn(PY, [PY, "-c", code], o.environ, file_actions=[(DUP2, w, 1)])
    o.close(w)
    assert o.waitpid(pid, 0) == (pid, 42 << 8)


@inside
def test_ignored_sigpipe_is_inherited_unless_reset(env: Env) -> None:
    """A Python program ignores SIGPIPE; its children inherit that through
    exec unless posix_spawn's setsigdef or subprocess's restore_signals
    (the default) reset it."""
    code = (
        "import os, signal, subprocess\n"
        "def run(**kw):\n"
        "    r, w = os.pipe()\n"
        "    os.close(r)\n"
        "    err = os.open('/dev/null', os.O_WRONLY)\n"
        "    acts = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, err, 2)]\n"
        "    pid = os.posix_spawn('/bin/cat', ['cat', '/dev/zero'], os.environ,\n"
        "                         file_actions=acts, **kw)\n"
        "    os.close(w)\n"
        "    os.close(err)\n"
        "    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n"
        "print(run(), run(setsigdef=[signal.SIGPIPE]))\n"
        "p = subprocess.Popen(['cat', '/dev/zero'], stdout=subprocess.PIPE)\n"
        "p.stdout.close()\n"
        "q = subprocess.Popen(['cat', '/dev/zero'], stdout=subprocess.PIPE,\n"
        "                     stderr=subprocess.DEVNULL, restore_signals=False)\n"
        "q.stdout.close()\n"
        "print(p.wait(), q.wait())\n"
    )
    assert env.python(code) == (0, "1 -13\n-13 1\n")


# -- subprocess, unmodified -------------------------------------------------------------------
@inside
def test_subprocess_run_basics(penv: Env) -> None:
    r = subprocess.run(["echo", "hi"], capture_output=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"hi\n", b"")
    t = subprocess.run(["cat"], input="abc\n", capture_output=True, text=True)
    assert t.stdout == "abc\n"
    r = subprocess.run("echo $((1+2)) | cat; echo err >&2", shell=True, capture_output=True)
    assert (r.stdout, r.stderr) == (b"3\n", b"err\n")
    r = subprocess.run(["sh", "-c", "echo $FOO"], env={"FOO": "bar"}, stdout=subprocess.PIPE)
    assert r.stdout == b"bar\n"
    code = "import os; print(os.getcwd())"
    t = subprocess.run([PY, "-c", code], cwd=penv.tmp, capture_output=True, text=True)
    assert t.stdout == os.path.realpath(penv.tmp) + "\n"
    assert subprocess.run(["sh", "-c", "kill -TERM $$"]).returncode == -signal.SIGTERM
    assert subprocess.call(["false"]) == 1
    assert subprocess.check_output(["echo", "out"]) == b"out\n"


@inside
def test_subprocess_errors(penv: Env) -> None:
    with pytest.raises(subprocess.CalledProcessError) as info:
        subprocess.run(["sh", "-c", "echo partial; exit 3"], check=True, capture_output=True)
    assert (info.value.returncode, info.value.stdout) == (3, b"partial\n")
    with pytest.raises(FileNotFoundError):
        subprocess.run(["nonexistent-prog-q"])
    with pytest.raises(FileNotFoundError) as info2:
        subprocess.run(["true"], cwd=penv.path("no-such-dir"))
    assert info2.value.filename == penv.path("no-such-dir")
    noexec = penv.write("noexec", "#!/bin/sh\n", 0o644)
    with pytest.raises(PermissionError):
        subprocess.run([noexec])
    text = penv.write("text", "plain\n", 0o755)
    with pytest.raises(OSError) as info3:
        subprocess.run([text])
    assert info3.value.errno == errno.ENOEXEC


@inside
def test_subprocess_timeout_kills_the_child(penv: Env) -> None:
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(["sleep", "30"], timeout=0.3)
    assert time.monotonic() - start < 2
    if penv.machine is not None:
        assert [p["pid"] for p in penv.machine.os._proc_table()] == [1]
    p = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        p.communicate(timeout=0.2)
    p.kill()
    p.communicate()
    assert p.returncode == -signal.SIGKILL


@inside
def test_popen_communicate_with_three_pipes(penv: Env) -> None:
    code = (
        "import sys\nd = sys.stdin.read()\nsys.stdout.write(d.upper())\n"
        "sys.stderr.write('len %d' % len(d))\nsys.exit(5)\n"
    )
    p = subprocess.Popen(
        [PY, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    data = b"abc" * 50000
    out, err = p.communicate(data)
    assert (out, err, p.returncode) == (data.upper(), b"len 150000", 5)


@inside
def test_popen_poll_wait_kill_terminate(penv: Env) -> None:
    start = time.monotonic()
    p = subprocess.Popen(["sleep", "30"])
    assert p.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(timeout=0.1)
    p.terminate()
    assert p.wait() == -signal.SIGTERM
    assert p.poll() == -signal.SIGTERM
    p = subprocess.Popen(["sleep", "30"])
    p.kill()
    assert p.wait() == -signal.SIGKILL
    assert time.monotonic() - start < 2
    p = subprocess.Popen(["sh", "-c", "exit 4"])
    assert p.wait() == 4 and p.poll() == 4


@inside
def test_subprocess_python_script_child(penv: Env) -> None:
    result = penv.path("result.txt")
    script = penv.write(
        "child.py",
        "import os, sys\n"
        f"with open({result!r}, 'w') as f:\n"
        "    f.write('written by ' + ' '.join(sys.argv[1:]))\n"
        "os.makedirs(os.path.dirname(sys.argv[0]) + '/made/here')\n"
        "print(os.getpid(), os.getppid())\n",
    )
    r = subprocess.run([sys.executable, script, "the", "child"], capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, "")
    assert penv.read(result) == "written by the child"
    assert os.path.isdir(penv.path("made/here"))
    pid, ppid = map(int, r.stdout.split())
    assert pid != 1 and pid != os.getpid()
    assert ppid == os.getpid()


# -- the process table and the host ---------------------------------------------------------
@inside
def test_process_table_and_ps(menv: Env) -> None:
    assert menv.machine is not None
    table = menv.machine.os._proc_table
    pid = menv.sleeper()
    try:
        entry = next(p for p in table() if p["pid"] == pid)
        assert entry["argv"] == ["sleep", "30"] and entry["ppid"] == 1
        assert entry["state"] in ("R", "S")
        status, out = menv.spawn(["ps", "-ef"], search=True)
        assert status == 0
        rows = [line.split() for line in out.splitlines()]
        assert any(row[1] == str(pid) and row[-2:] == ["sleep", "30"] for row in rows)
    finally:
        menv.os.kill(pid, signal.SIGKILL)
        menv.os.waitpid(pid, 0)
    assert pid not in [p["pid"] for p in table()]
    assert f" {pid} " not in menv.spawn(["ps", "-ef"], search=True)[1]


@inside
def test_zombie_until_reaped(menv: Env) -> None:
    assert menv.machine is not None
    table = menv.machine.os._proc_table
    pid = menv.os.posix_spawnp("true", ["true"], menv.os.environ)
    deadline = time.monotonic() + 2
    while next(p for p in table() if p["pid"] == pid)["state"] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    status, out = menv.spawn(["ps", "-ef"], search=True)
    assert "[true] <defunct>" in out
    assert menv.os.waitpid(pid, 0) == (pid, 0)
    assert pid not in [p["pid"] for p in table()]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_nothing_reaches_the_host(tmp_path: Path, store: str) -> None:
    host = tmp_path / "host-only"
    target = str(host / "written")
    m = Machine(None if store == "memory" else str(tmp_path / "m.db"))
    try:
        m.os.makedirs(str(host))
        assert m.os.system(f"echo from sh > {target}") == 0
        with m.patch():
            subprocess.run([PY, "-c", f"open({target!r}, 'a').write('from python\\n')"], check=True)
            # host checks from a context the machine is not installed in
            assert not contextvars.Context().run(os.path.exists, str(host))
        with m.open(target) as f:
            assert f.read() == "from sh\nfrom python\n"
    finally:
        m.close()
    assert not host.exists()
