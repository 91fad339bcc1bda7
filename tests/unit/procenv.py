"""Shared backends for the process tests: each test body runs on a memory and
a SQLite machine, directly through ``machine.os`` and under ``machine.patch()``,
and where it only uses standard programs also on the host, the oracle."""

from __future__ import annotations

import builtins
import functools
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from osbox import Machine

PY = sys.executable
SH = "/bin/sh"
MACHINE_KINDS = ["memory-direct", "memory-patched", "sqlite-direct", "sqlite-patched"]
ALL_KINDS = [*MACHINE_KINDS, "real"]
PATCHED_KINDS = ["memory-patched", "sqlite-patched", "real"]
OPEN, CLOSE, DUP2 = os.POSIX_SPAWN_OPEN, os.POSIX_SPAWN_CLOSE, os.POSIX_SPAWN_DUP2
WFLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
_counter = itertools.count()


class Env:
    """One backend: the ``os`` to call, a work directory and file helpers."""

    def __init__(self, kind: str, machine: Machine | None, tmp: str) -> None:
        self.kind = kind
        self.machine = machine
        self.tmp = tmp
        direct = kind.endswith("direct")
        self.os: Any = machine.os if direct and machine is not None else os
        self.direct = direct and machine is not None

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if self.direct:
            assert self.machine is not None
            return self.machine.open(*args, **kwargs)
        return builtins.open(*args, **kwargs)  # looked up now: the patch replaces it

    def path(self, name: str) -> str:
        return f"{self.tmp}/{name}"

    def write(self, name: str, text: str, mode: int = 0o644) -> str:
        p = self.path(name)
        with self.open(p, "w") as f:
            f.write(text)
        self.os.chmod(p, mode)
        return p

    def read(self, name: str) -> str:
        with self.open(name if name.startswith("/") else self.path(name)) as f:
            text: str = f.read()
        return text

    def spawn(
        self, argv: list[str], *, env: Any = None, search: bool = False, **kw: Any
    ) -> tuple[int, str]:
        """posix_spawn ``argv`` with stdout and stderr to a file; wait; return
        (wait status, output)."""
        out = self.path(f"out{next(_counter)}")
        actions = [(OPEN, 1, out, WFLAGS, 0o644), (DUP2, 1, 2)]
        fn = self.os.posix_spawnp if search else self.os.posix_spawn
        pid = fn(argv[0], argv, self.os.environ if env is None else env, file_actions=actions, **kw)
        got, status = self.os.waitpid(pid, 0)
        assert got == pid
        return status, self.read(out)

    def python(self, code: str, **kw: Any) -> tuple[int, str]:
        return self.spawn([PY, "-c", code], **kw)

    def sleeper(self, seconds: int = 30, **kw: Any) -> int:
        return int(self.os.posix_spawnp("sleep", ["sleep", str(seconds)], self.os.environ, **kw))


def inside(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body with its backend's machine patched in (only the
    body: pytest's own fd juggling around it must stay on the host)."""

    @functools.wraps(test)
    def run(**kwargs: Any) -> None:
        env = next(v for v in kwargs.values() if isinstance(v, Env))
        if env.kind.endswith("patched") and env.machine is not None:
            with env.machine.patch():
                test(**kwargs)
        else:
            test(**kwargs)

    return run


def _make(kind: str, tmp_path: Path) -> Iterator[Env]:
    if kind == "real":
        yield Env(kind, None, str(tmp_path))
        return
    path = None if kind.startswith("memory") else str(tmp_path / "m.db")
    machine = Machine(path)
    machine.os.makedirs("/tmp/work")
    env = Env(kind, machine, "/tmp/work")
    try:
        yield env
        # no test leaves a child behind
        assert [p["pid"] for p in machine.os._proc_table()] == [1]
    finally:
        machine.close()


@pytest.fixture(params=ALL_KINDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _make(request.param, tmp_path)


@pytest.fixture(params=MACHINE_KINDS)
def menv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _make(request.param, tmp_path)


@pytest.fixture(params=PATCHED_KINDS)
def penv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _make(request.param, tmp_path)


def _signaled(o: Any, status: int, sig: int) -> None:
    assert o.WIFSIGNALED(status) and not o.WIFEXITED(status)
    assert o.WTERMSIG(status) == sig
    assert o.waitstatus_to_exitcode(status) == -sig


def _exited(o: Any, status: int, code: int) -> None:
    assert o.WIFEXITED(status) and not o.WIFSIGNALED(status)
    assert o.WEXITSTATUS(status) == code
    assert o.waitstatus_to_exitcode(status) == code
