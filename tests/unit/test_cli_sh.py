"""``osbox sh``: ``-c`` commands, stdin scripts, machine selection, exit
statuses, the console path (a real subprocess) and the interactive loop
driven without a terminal. Expected outputs of portable snippets come from
the host's ``/bin/sh`` (dash) under ``LC_ALL=C``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import osbox
from osbox.cli.main import cli
from osbox.cli.sh import Session, feed_lines, repl

HOST_ENV = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def host_sh(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["/bin/sh", *args], input=input, capture_output=True, env=HOST_ENV)


def shell_status(returncode: int) -> int:
    """A subprocess returncode as a shell reports it (128+N for signal N)."""
    return 128 - returncode if returncode < 0 else returncode


@pytest.fixture(autouse=True)
def host_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test in an empty directory of its own, without $OSBOX_MACHINE."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OSBOX_MACHINE", raising=False)
    yield tmp_path


# -- -c ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, args",
    [
        ('echo hello; printf \'%s|\' "$0" "$@"; echo', ["name", "a b", "c"]),
        ('x=3; f() { echo "f $1 $x"; }; f one; echo $((x * 7))', []),
        ("for i in 1 2 3; do echo $i; done | while read n; do echo n=$n; done", []),
        ("echo out; echo err >&2; exit 3", []),
        ("nosuchcommand", []),
        ("kill -9 $$", []),
        ("if then", []),
    ],
)
def test_c_matches_host_sh(script: str, args: list[str]) -> None:
    host = host_sh("-c", script, *args)
    result = invoke("sh", "--memory", "-c", script, *args)
    assert result.stdout_bytes == host.stdout
    assert result.stderr_bytes == host.stderr.replace(b"/bin/sh:", b"sh:")
    assert result.exit_code == shell_status(host.returncode)


def test_c_runs_in_the_machine() -> None:
    result = invoke("sh", "--memory", "-c", "mkdir /tmp/d && cd /tmp/d && touch f && ls && pwd")
    assert (result.exit_code, result.stdout) == (0, "f\n/tmp/d\n")


def test_machine_file_persists(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    first = invoke("sh", "--machine", db, "-c", "mkdir /work && echo kept > /work/file")
    assert first.exit_code == 0
    second = invoke("sh", "--machine", db, "-c", "cat /work/file")
    assert (second.exit_code, second.stdout) == (0, "kept\n")
    with osbox.Machine(db) as m:
        assert m.open("/work/file").read() == "kept\n"


def test_memory_machine_is_thrown_away(tmp_path: Path) -> None:
    assert invoke("sh", "--memory", "-c", "echo x > /tmp/gone").exit_code == 0
    result = invoke("sh", "--memory", "-c", "cat /tmp/gone")
    assert result.exit_code == 1
    assert result.stderr == "cat: /tmp/gone: No such file or directory\n"
    assert not (tmp_path / ".osbox").exists()


def test_default_and_env_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("sh", "-c", "echo one > /tmp/a").exit_code == 0
    assert (tmp_path / ".osbox" / "machine.db").exists()
    assert invoke("sh", "-c", "cat /tmp/a").stdout == "one\n"
    monkeypatch.setenv("OSBOX_MACHINE", str(tmp_path / "env.db"))
    assert invoke("sh", "-c", "cat /tmp/a").exit_code == 1
    assert (tmp_path / "env.db").exists()


def test_machine_and_memory_conflict(tmp_path: Path) -> None:
    result = invoke("sh", "--memory", "--machine", str(tmp_path / "m.db"), "-c", "true")
    assert result.exit_code == 2


# -- scripts on standard input ----------------------------------------------------------


def test_stdin_script() -> None:
    script = b"x=5\necho $x\ngreet() { echo hi $1; }\ngreet there\nexit 4\necho never\n"
    host = host_sh(input=script)
    result = invoke("sh", "--memory", input=script)
    assert result.stdout_bytes == host.stdout == b"5\nhi there\n"
    assert result.exit_code == host.returncode == 4


def test_stdin_script_positional_args() -> None:
    script = b'echo "$#:$1:$2"\n'
    host = host_sh("-s", "a", "b", input=script)
    result = invoke("sh", "--memory", "a", "b", input=script)
    assert result.stdout_bytes == host.stdout == b"2:a:b\n"


# -- the console: a real process whose fds 0-2 are the host's ---------------------------


def run_osbox(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **HOST_ENV}
    env.pop("OSBOX_MACHINE", None)
    return subprocess.run(
        [sys.executable, "-m", "osbox", *args], input=input, capture_output=True, env=env
    )


def test_console_streams() -> None:
    script = "echo out; echo err >&2; read line; echo got $line; exit 6"
    host = host_sh("-c", script, input=b"typed\n")
    box = run_osbox("sh", "--memory", "-c", script, input=b"typed\n")
    assert box.stdout == host.stdout == b"out\ngot typed\n"
    assert box.stderr == host.stderr == b"err\n"
    assert box.returncode == host.returncode == 6
    piped = run_osbox("sh", "--memory", input=b"echo from stdin\nexit 5\n")
    assert (piped.stdout, piped.returncode) == (b"from stdin\n", 5)


# -- the interactive loop ----------------------------------------------------------------


def session_run(lines: list[str]) -> tuple[int, str]:
    """Feed ``lines`` to a fresh interactive session; (status, what it showed)."""
    shown: list[str] = []
    with osbox.Machine() as m:
        status = feed_lines(Session(m), lines, shown.append)
    return status, "".join(shown)


def test_repl_keeps_state(capfd: pytest.CaptureFixture[str]) -> None:
    status, shown = session_run(
        [
            "x=41",
            "inc() { x=$((x + 1)); }",
            "inc; echo $x",
            "cd /tmp && mkdir d",
            "cd d; pwd",
            "false",
            "echo status $?",
        ]
    )
    out = capfd.readouterr().out
    assert out == "42\n/tmp/d\nstatus 1\n"
    # Ctrl-D (end of lines) ends with the last status; the prompt follows cwd.
    assert status == 0
    assert shown.split("root@osbox:")[1:] == ["/# "] * 4 + ["/tmp# ", "/tmp/d# ", "/tmp/d# "] + [
        "/tmp/d# \n"
    ]


def test_repl_continuation_lines(capfd: pytest.CaptureFixture[str]) -> None:
    lines = ["if true", "then echo yes", "fi", 'echo "a', 'b"', "cat <<EOF", "x $((1 + 2))"]
    lines += ["EOF", "echo 1 &&", "echo 2", "echo a\\", "b"]
    status, shown = session_run(lines)
    expected = host_sh(input="\n".join(lines).encode() + b"\n")
    assert capfd.readouterr().out.encode() == expected.stdout == b"yes\na\nb\nx 3\n1\n2\nab\n"
    assert shown.count("> ") == 7
    assert status == 0


def test_repl_errors_do_not_exit(capfd: pytest.CaptureFixture[str]) -> None:
    status, _ = session_run(["nosuch", "echo $?", "fi", "echo $?", "cd /nope", "echo $?"])
    cap = capfd.readouterr()
    assert cap.out == "127\n2\n2\n"
    assert cap.err == (
        "sh: 1: nosuch: not found\n"
        'sh: 3: Syntax error: "fi" unexpected\n'
        "sh: 5: cd: can't cd to /nope\n"
    )
    assert status == 0


def test_repl_exit_status_and_trap(capfd: pytest.CaptureFixture[str]) -> None:
    status, shown = session_run(["trap 'echo bye' EXIT", "exit 3", "echo never"])
    assert capfd.readouterr().out == "bye\n"
    assert status == 3
    assert shown.count("root@osbox") == 2
    status, _ = session_run(["false"])
    assert status == 1


def test_repl_interrupt_clears_pending_input(capfd: pytest.CaptureFixture[str]) -> None:
    events: list[str | type[BaseException]] = ["if true", KeyboardInterrupt, "echo $?", "exit"]
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if not events:
            raise EOFError
        item = events.pop(0)
        if isinstance(item, str):
            return item
        raise item

    with osbox.Machine() as m:
        status = repl(Session(m), read, lambda _: None)
    assert capfd.readouterr().out == "130\n"
    assert prompts == ["root@osbox:/# ", "> ", "root@osbox:/# ", "root@osbox:/# "]
    assert status == 0  # "exit" takes the status of the echo before it


def test_repl_prompt_for_other_user(capfd: pytest.CaptureFixture[str]) -> None:
    with osbox.Machine() as m:
        m.os.mkdir("/home/alice")
        with m.open("/etc/passwd", "a") as f:
            f.write("alice:x:1000:1000::/home/alice:/bin/sh\n")
        s = Session(m)
        s.os.chdir("/home/alice")
        s.os.setgid(1000)
        s.os.setuid(1000)
        s.shell.vars["PWD"] = "/home/alice"
        assert s.prompt() == "alice@osbox:/home/alice$ "
        assert s.feed("id -u\n")
        assert s.close() == 0
    assert capfd.readouterr().out == "1000\n"
