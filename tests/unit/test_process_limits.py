"""A machine's process limits as programs meet them, against the host.

* ``max_processes``: sh says ``Cannot fork`` and ends with status 2, as
  dash does under RLIMIT_NPROC (the oracle: the host's dash run as an
  unprivileged user under ``prlimit --nproc``, when this runs as root);
* ``max_output_bytes``: a Python guest gets ``OSError(EFBIG)`` and exits as
  a host Python does under RLIMIT_FSIZE writing to a file;
* a closed pipe: a Python guest gets ``BrokenPipeError`` and exits as a host
  Python does (the oracle: the host's ``/bin/sh``).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from osbox import Machine

# dash 0.5 under `prlimit --nproc=1` (no fork at all), as `_nproc_oracle` runs it
CANNOT_FORK = {
    "sleep 1 &": (2, "sh: 0: Cannot fork\n"),
    "echo a; sleep 1 & echo b": (2, "a\nsh: 0: Cannot fork\n"),
    "(echo sub)": (2, "sh: 1: Cannot fork\n"),
    "echo x | cat": (2, "sh: 0: Cannot fork\n"),
    'v=$(echo y); echo "v=$v $?"': (2, "sh: 1: Cannot fork\n"),
    '/bin/true; echo "ext $?"': (2, "sh: 1: Cannot fork\n"),
    "echo a\n(echo sub)\necho c": (2, "a\nsh: 2: Cannot fork\n"),
    'echo a\n/bin/true || echo "failed $?"\necho c': (2, "a\nsh: 2: Cannot fork\n"),
    "f() { /bin/true; }; f; echo $?": (2, "sh: 1: Cannot fork\n"),
    "echo a; echo x | cat": (2, "a\nsh: 1: Cannot fork\n"),
    "echo a\nsleep 1 &": (2, "a\nsh: 0: Cannot fork\n"),
    "echo a\n{ echo b; } | cat": (2, "a\nsh: 1: Cannot fork\n"),
    "echo a\necho $(echo b)": (2, "a\nsh: 2: Cannot fork\n"),
    "echo ok": (0, "ok\n"),
}


def _nproc_oracle() -> list[str] | None:
    tools = [shutil.which(t) for t in ("dash", "setpriv", "prlimit")]
    if os.geteuid() != 0 or None in tools:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "prlimit", "--nproc=1"]


@pytest.mark.parametrize("script", list(CANNOT_FORK))
def test_sh_cannot_fork_as_dash(script: str) -> None:
    expected = CANNOT_FORK[script]
    oracle = _nproc_oracle()
    if oracle is not None:
        r = subprocess.run([*oracle, "dash", "-c", script], capture_output=True, cwd="/")
        got = (r.stdout + r.stderr).decode().replace("dash: ", "sh: ")
        assert (r.returncode, got) == expected
    with Machine(max_processes=2) as m:  # process 1 and the shell: no fork left
        r = m.run(["sh", "-c", script])
        assert (r.returncode, (r.stdout + r.stderr).decode()) == expected
        assert [p["pid"] for p in m.os._proc_table()] == [1]


# -- the output limit as RLIMIT_FSIZE -----------------------------------------------------
LIMIT = 1024
OUTPUT_PROGRAMS = {
    "print loop": "for i in range(1000): print('x' * 10)",
    "one big write": "import sys; sys.stdout.write('x' * 1500)",
    "flush then write": (
        "import sys; sys.stdout.write('x' * 500)\nsys.stdout.flush(); sys.stdout.write('x' * 700)"
    ),
    "exit code after": "import sys; sys.stdout.write('x' * 1500); raise SystemExit(3)",
    "os.write": "import os; os.write(1, b'x' * 1500); os.write(1, b'x')",
    "under the limit": "print('hi')",
}


def _host_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def _fsize_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.parametrize("name", list(OUTPUT_PROGRAMS))
def test_python_past_the_output_limit_exits_as_under_rlimit_fsize(
    name: str, tmp_path: Path
) -> None:
    code = OUTPUT_PROGRAMS[name]
    out = tmp_path / "out"
    with out.open("wb") as f:
        host = subprocess.run(
            [sys.executable, "-c", code],
            stdout=f,
            stderr=subprocess.PIPE,
            env=_host_env(),
            preexec_fn=_fsize_limit,  # noqa: PLW1509 - the oracle needs the limit set
        )
    with Machine(max_output_bytes=LIMIT) as m:
        r = m.run(["python3", "-c", code])
    assert (r.returncode, len(r.stdout), r.stderr.decode()) == (
        host.returncode,
        out.stat().st_size,
        host.stderr.decode(),
    )
    if name != "under the limit":
        assert "[Errno 27] File too large" in r.stderr.decode()
        assert r.returncode in (1, 120)


# -- a closed pipe ------------------------------------------------------------------------
PIPE_PROGRAMS = {
    "flush at exit": "import sys,time; sys.stdout.write('x'); time.sleep(0.3)",
    "print flush": "import sys,time; time.sleep(0.3); print('x', flush=True)",
    "big print": "import time; time.sleep(0.3); print('x'*100000)",
    "os.write": "import os,time; time.sleep(0.3); os.write(1, b'x')",
}
PIPE_SCRIPT = '(${PY} -c "$CODE" 2>"$DIR/err"; echo $? >"$DIR/st") | true; cat "$DIR/err" "$DIR/st"'


@pytest.mark.skipif(not os.path.exists("/bin/sh"), reason="no host /bin/sh")
@pytest.mark.parametrize("name", list(PIPE_PROGRAMS))
def test_python_writing_to_a_closed_pipe_as_on_the_host(name: str, tmp_path: Path) -> None:
    code = PIPE_PROGRAMS[name]
    env = {**_host_env(), "PY": sys.executable, "CODE": code, "DIR": str(tmp_path)}
    host = subprocess.run(["/bin/sh", "-c", PIPE_SCRIPT], capture_output=True, env=env)
    with Machine() as m:
        env = {"PATH": "/usr/bin:/bin", "PY": "python3", "CODE": code, "DIR": "/tmp"}
        r = m.run(["sh", "-c", PIPE_SCRIPT], env=env)
    assert (r.returncode, r.stdout, r.stderr) == (host.returncode, host.stdout, host.stderr)
    assert b"BrokenPipeError: [Errno 32] Broken pipe" in r.stdout
