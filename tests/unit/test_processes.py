"""Processes in a machine: os.system, popen, spawn*, posix_spawn*, exec*,
wait*, kill/killpg, pipes between processes and unmodified ``subprocess``.

Every test body runs on a memory and a SQLite machine, both through
``machine.os`` directly ("direct") and through the real ``os``/``subprocess``
under ``machine.patch()`` ("patched"). Where a body only uses standard
programs (sh, true, false, sleep, cat, echo, python) it also runs on the host
("real"): the host is the oracle for every expected status and output.
``os.fork()`` is not offered inside a machine (ENOSYS), so "fork with a
pipe" and "fork then exec" are shown through posix_spawn/subprocess with
pipes and through a Python child that execs another program.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import time

import pytest

from .procenv import (
    CLOSE,
    DUP2,
    OPEN,
    PY,
    SH,
    WFLAGS,
    Env,
    _exited,
    _signaled,
    env,
    inside,
    menv,
    penv,
)

__all__ = ["env", "menv", "penv"]  # fixtures, imported for pytest


# -- os.system, os.popen -------------------------------------------------------------------
@inside
def test_system_status_encoding(env: Env) -> None:
    o = env.os
    assert o.system("true") == 0
    assert o.system("exit 3") == 768
    _exited(o, o.system("exit 255"), 255)
    assert o.system("kill -9 $$") == 9
    assert o.system("kill -TERM $$") == signal.SIGTERM
    assert o.system("nonexistent_cmd_q 2>/dev/null") == 127 << 8


@inside
def test_system_output_to_a_file(env: Env) -> None:
    p = env.path("o")
    assert env.os.system(f"echo hello > {p}; echo world >> {p}") == 0
    assert env.read(p) == "hello\nworld\n"


@inside
def test_popen_read_iterate_and_close(env: Env) -> None:
    o = env.os
    f = o.popen("echo a; echo b; echo c")
    assert [line for line in f] == ["a\n", "b\n", "c\n"]
    assert f.close() is None
    with o.popen("echo whole") as f:
        assert f.read() == "whole\n"
    f = o.popen("echo x; exit 3")
    assert f.read() == "x\n"
    assert f.close() == 768
    assert o.popen("kill -9 $$").close() == -9 << 8
    assert o.popen("nonexistent_cmd_q 2>/dev/null").close() == 127 << 8


@inside
def test_popen_write(env: Env) -> None:
    p = env.path("w")
    f = env.os.popen(f"cat > {p}", "w")
    f.write("line1\nline2\n")
    assert f.close() is None
    assert env.read(p) == "line1\nline2\n"
    f = env.os.popen("cat >/dev/null; exit 4", "w")
    f.write("ignored\n")
    assert f.close() == 4 << 8
    with pytest.raises(ValueError):
        env.os.popen("true", "rw")


# -- spawn* ---------------------------------------------------------------------------------
@inside
def test_spawn_p_wait_return_codes(env: Env) -> None:
    o = env.os
    assert o.spawnv(o.P_WAIT, SH, ["sh", "-c", "exit 5"]) == 5
    assert o.spawnl(o.P_WAIT, SH, "sh", "-c", "exit 4") == 4
    assert o.spawnv(o.P_WAIT, SH, ["sh", "-c", "kill -9 $$"]) == -9
    assert o.spawnv(o.P_WAIT, "/nonexistent/prog", ["prog"]) == 127
    assert o.spawnvp(o.P_WAIT, "nonexistent-prog-q", ["x"]) == 127


@inside
def test_spawn_path_search_and_env(env: Env) -> None:
    o = env.os
    assert o.spawnvp(o.P_WAIT, "sh", ["sh", "-c", "exit 7"]) == 7
    assert o.spawnlp(o.P_WAIT, "true", "true") == 0
    assert o.spawnlp(o.P_WAIT, "false", "false") == 1
    check = 'test "$FOO" = bar'
    assert o.spawnve(o.P_WAIT, SH, ["sh", "-c", check], {"FOO": "bar"}) == 0
    assert o.spawnve(o.P_WAIT, SH, ["sh", "-c", check], {"FOO": "baz"}) == 1
    assert o.spawnle(o.P_WAIT, SH, "sh", "-c", "exit $N", {"N": "9"}) == 9
    path = "/usr/bin:/bin"
    assert o.spawnlpe(o.P_WAIT, "sh", "sh", "-c", "exit $N", {"N": "8", "PATH": path}) == 8
    assert o.spawnvpe(o.P_WAIT, "sh", ["sh", "-c", "exit 6"], {"PATH": path}) == 6
    # spawnvpe searches the PATH of the env it is given
    assert o.spawnvpe(o.P_WAIT, "sh", ["sh", "-c", "exit 6"], {"PATH": "/nonexistent"}) == 127


@inside
def test_spawn_p_nowait_then_waitpid(env: Env) -> None:
    o = env.os
    pid = o.spawnv(o.P_NOWAIT, SH, ["sh", "-c", "exit 2"])
    assert pid > 1
    assert o.waitpid(pid, 0) == (pid, 2 << 8)
    p = env.path("nowait")
    pid = o.spawnlp(o.P_NOWAIT, "sh", "sh", "-c", f"echo spawned > {p}")
    assert o.waitpid(pid, 0) == (pid, 0)
    assert env.read(p) == "spawned\n"


# -- posix_spawn ----------------------------------------------------------------------------
@inside
def test_posix_spawn_file_actions_open_dup2_and_env(env: Env) -> None:
    o = env.os
    out = env.path("ps")
    actions = [(OPEN, 1, out, WFLAGS, 0o600), (DUP2, 1, 2)]
    cmd = "echo out $FOO; echo err >&2; exit 3"
    pid = o.posix_spawn(SH, ["sh", "-c", cmd], {"FOO": "bar"}, file_actions=actions)
    assert o.waitpid(pid, 0) == (pid, 3 << 8)
    assert env.read(out) == "out bar\nerr\n"


@inside
def test_posix_spawn_stdin_from_open_action(env: Env) -> None:
    o = env.os
    inp = env.write("in", "from a file\n")
    out = env.path("cat-out")
    actions = [(OPEN, 0, inp, os.O_RDONLY, 0), (OPEN, 1, out, WFLAGS, 0o644)]
    pid = o.posix_spawnp("cat", ["cat"], o.environ, file_actions=actions)
    assert o.waitpid(pid, 0) == (pid, 0)
    assert env.read(out) == "from a file\n"


@inside
def test_posix_spawn_close_action(env: Env) -> None:
    o = env.os
    fd = o.open(env.path("keep"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        o.set_inheritable(fd, True)
        code = f"import os, sys\ntry:\n    os.fstat({fd})\nexcept OSError as e:\n"
        code += "    sys.exit(e.errno)\n"
        assert env.python(code) == (0, "")
        out = env.path("closed")
        actions = [(OPEN, 1, out, WFLAGS, 0o644), (CLOSE, fd)]
        pid = o.posix_spawn(PY, [PY, "-c", code], o.environ, file_actions=actions)
        assert o.waitpid(pid, 0) == (pid, errno.EBADF << 8)
        o.set_inheritable(fd, False)
        assert env.python(code)[0] == errno.EBADF << 8  # close-on-exec
    finally:
        o.close(fd)


@inside
def test_posix_spawnp_searches_path(env: Env) -> None:
    status, out = env.spawn(["sh", "-c", "echo found; exit 3"], search=True)
    assert (status, out) == (3 << 8, "found\n")
    with pytest.raises(FileNotFoundError):
        env.os.posix_spawnp("nonexistent-prog-q", ["x"], env.os.environ)


@inside
def test_posix_spawn_exec_errors_are_raised_synchronously(env: Env) -> None:
    o = env.os
    with pytest.raises(FileNotFoundError):
        o.posix_spawn(env.path("missing"), ["missing"], o.environ)
    noexec = env.write("noexec", "#!/bin/sh\nexit 0\n", 0o644)
    with pytest.raises(PermissionError):
        o.posix_spawn(noexec, [noexec], o.environ)
    with pytest.raises(PermissionError):
        o.posix_spawn(env.tmp, [env.tmp], o.environ)
    text = env.write("text", "just text\n", 0o755)
    with pytest.raises(OSError) as info:
        o.posix_spawn(text, [text], o.environ)
    assert info.value.errno == errno.ENOEXEC
    # os.spawnv reports the same failures as exit status 127
    assert o.spawnv(o.P_WAIT, text, [text]) == 127


# -- exec* in a child -------------------------------------------------------------------------
@inside
def test_fork_then_exec_python_child_execv(env: Env) -> None:
    code = "import os\nprint('before', flush=True)\nos.execv('/bin/echo', ['echo', 'from', 'echo'])"
    assert env.python(code) == (0, "before\nfrom echo\n")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("os.execl('/bin/echo', 'echo', 'l')", "l\n"),
        ("os.execlp('echo', 'echo', 'lp')", "lp\n"),
        ("os.execvp('echo', ['echo', 'vp'])", "vp\n"),
        ("os.execve('/bin/sh', ['sh', '-c', 'echo ${FOO-unset} ${HOME-nohome}'], {'FOO': 'x'})",
         "x nohome\n"),
        ("os.execle('/bin/sh', 'sh', '-c', 'echo $A', {'A': 'le'})", "le\n"),
        ("os.execvpe('sh', ['sh', '-c', 'echo $A'], {'A': 'vpe', 'PATH': '/bin'})", "vpe\n"),
        ("os.execv('/bin/sh', ['sh', '-c', 'exit 9'])", None),
    ],
)  # fmt: skip
@inside
def test_exec_variants(env: Env, call: str, expected: str | None) -> None:
    status, out = env.python(f"import os\n{call}")
    if expected is None:
        assert (status, out) == (9 << 8, "")
    else:
        assert (status, out) == (0, expected)


@inside
def test_exec_errors_in_the_child(env: Env) -> None:
    code = (
        "import os\n"
        "for p in ('/nonexistent/x', {text!r}, {noexec!r}):\n"
        "    try:\n"
        "        os.execv(p, [p])\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__, e.errno)\n"
    ).format(
        text=env.write("text", "plain\n", 0o755),
        noexec=env.write("noexec", "#!/bin/sh\n", 0o644),
    )
    assert env.python(code) == (
        0,
        f"FileNotFoundError 2\nOSError {errno.ENOEXEC}\nPermissionError 13\n",
    )


@inside
def test_exec_scripts(env: Env) -> None:
    sh_script = env.write("s.sh", '#!/bin/sh\necho script "$0" "$1"\nexit 4\n', 0o755)
    status, out = env.python(f"import os\nos.execv({sh_script!r}, [{sh_script!r}, 'arg'])")
    assert (status, out) == (4 << 8, f"script {sh_script} arg\n")
    py_script = env.write(
        "p.py", "#!/usr/bin/env python3\nimport sys\nprint('py', sys.argv[1:])\n", 0o755
    )
    status, out = env.python(f"import os\nos.execv({py_script!r}, ['p', 'a', 'b'])")
    assert (status, out) == (0, "py ['a', 'b']\n")
    # the scripts run directly too, and the interpreter line takes one argument
    assert env.spawn([sh_script, "x"]) == (4 << 8, f"script {sh_script} x\n")
    opt = env.write("opt.sh", "#!/bin/sh -e\nfalse\necho not reached\n", 0o755)
    assert env.spawn([opt]) == (1 << 8, "")


@inside
def test_exec_keeps_inheritable_fds_and_closes_cloexec(env: Env) -> None:
    p = env.path("fds")
    code = (
        "import os\n"
        f"keep = os.open({p!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)\n"
        "os.set_inheritable(keep, True)\n"
        f"drop = os.open({p!r}, os.O_WRONLY | os.O_APPEND)\n"
        "cmd = f'echo kept >&{keep}; {{ echo dropped >&{drop}; }} 2>/dev/null'\n"
        "cmd += f' || echo closed >&{keep}'\n"
        "os.execv('/bin/sh', ['sh', '-c', cmd])\n"
    )
    assert env.python(code) == (0, "")
    assert env.read(p) == "kept\nclosed\n"


def _wait_for_argv(env: Env, pid: int, argv: list[str]) -> None:
    deadline = time.monotonic() + 5
    while True:
        if env.machine is not None:
            now = next(p["argv"] for p in env.machine.os._proc_table() if p["pid"] == pid)
        else:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                now = f.read().decode().split("\0")[:-1]
        if now == argv:
            return
        assert time.monotonic() < deadline, now
        time.sleep(0.01)


@inside
def test_exec_resets_caught_signals(env: Env) -> None:
    """A trap of the shell is not the handler of the program it execs."""
    o = env.os
    pid = o.posix_spawn(SH, ["sh", "-c", "trap 'exit 7' TERM; exec sleep 30"], o.environ)
    _wait_for_argv(env, pid, ["sleep", "30"])  # the shell has reached the exec
    o.kill(pid, signal.SIGTERM)
    _signaled(o, o.waitpid(pid, 0)[1], signal.SIGTERM)


@inside
def test_python_child_installs_a_signal_handler(env: Env) -> None:
    code = (
        "import os, signal\n"
        "signal.signal(signal.SIGTERM, lambda s, f: print('caught', s))\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "print('after')\n"
    )
    assert env.python(code) == (0, f"caught {int(signal.SIGTERM)}\nafter\n")


@inside
def test_fork_is_enosys_in_a_machine(menv: Env) -> None:
    with pytest.raises(OSError) as info:
        menv.os.fork()
    assert info.value.errno == errno.ENOSYS
    assert "fork" in str(info.value)


# -- wait* ----------------------------------------------------------------------------------
@inside
def test_waitpid_wnohang_and_echild(env: Env) -> None:
    o = env.os
    pid = env.sleeper()
    assert o.waitpid(pid, os.WNOHANG) == (0, 0)
    o.kill(pid, signal.SIGKILL)
    got, status = o.waitpid(pid, 0)
    assert got == pid
    _signaled(o, status, signal.SIGKILL)
    for options in (0, os.WNOHANG):
        with pytest.raises(ChildProcessError) as info:
            o.waitpid(pid, options)
        assert info.value.errno == errno.ECHILD
    with pytest.raises(OSError) as info2:
        o.waitpid(-1, 0x1000)
    assert info2.value.errno == errno.EINVAL


@inside
def test_wait_with_no_children(menv: Env) -> None:
    o = menv.os
    with pytest.raises(ChildProcessError):
        o.wait()
    with pytest.raises(ChildProcessError):
        o.waitpid(-1, os.WNOHANG)
    with pytest.raises(ChildProcessError):
        o.wait3(0)


@inside
def test_wait_variants_and_status_macros(env: Env) -> None:
    o = env.os
    pid = o.spawnv(o.P_NOWAIT, SH, ["sh", "-c", "exit 3"])
    got, status = o.wait()
    assert got == pid and status == 768
    _exited(o, status, 3)
    assert not o.WIFSTOPPED(status) and not o.WIFCONTINUED(status)
    assert not o.WCOREDUMP(status)
    pid = o.spawnv(o.P_NOWAIT, SH, ["sh", "-c", "kill -TERM $$"])
    res = o.wait3(0)
    assert len(res) == 3 and res[:2] == (pid, signal.SIGTERM)
    assert isinstance(res[2], resource.struct_rusage)
    _signaled(o, res[1], signal.SIGTERM)
    assert not o.WCOREDUMP(res[1])
    pid = o.spawnv(o.P_NOWAIT, SH, ["sh", "-c", "exit 0"])
    res = o.wait4(pid, 0)
    assert res[:2] == (pid, 0) and isinstance(res[2], resource.struct_rusage)
    _exited(o, res[1], 0)


@inside
def test_waitpid_by_process_group(env: Env) -> None:
    o = env.os
    pid = o.posix_spawn(SH, ["sh", "-c", "exit 6"], o.environ, setpgroup=0)
    assert o.waitpid(-pid, 0) == (pid, 6 << 8)
