"""The conformance suite's fixture: one test, run on the real OS and on osbox.

Every test takes ``env`` and uses only ``env.os`` (the ``os`` module or a
machine's ``os`` surface), ``env.open`` (``builtins.open`` or ``Machine.open``)
and paths under ``env.base``, a fresh empty directory (mode 0777) that the test
owns. The real OS runs in a temp dir on tmpfs (``/dev/shm``), which is the
oracle: a test must pass there first. The ``overlay`` kind is a memory
machine whose base is a host directory layered in with ``Machine.overlay``
(so the test acts on a host object first); the host must be unchanged after.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

KINDS = ["real", "memory", "sqlite", "overlay"]
TMPFS = "/dev/shm"


@dataclass
class Env:
    """What a conformance test may touch."""

    os: Any
    open: Callable[..., Any]
    base: str
    kind: str

    def p(self, *parts: str) -> str:
        """Join ``parts`` under ``base``."""
        return os.path.join(self.base, *parts)

    def pb(self, *parts: str) -> bytes:
        """The bytes form of ``p(*parts)``."""
        return os.fsencode(self.p(*parts))

    def write(self, path: str, data: bytes = b"", mode: int = 0o644) -> None:
        """Create ``path`` holding ``data``."""
        fd = self.os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            self.os.write(fd, data)
        finally:
            self.os.close(fd)

    def read(self, path: str) -> bytes:
        """Return the whole content of ``path``."""
        with self.open(path, "rb") as f:
            data: bytes = f.read()
            return data

    @contextlib.contextmanager
    def as_user(self, uid: int, gid: int, groups: tuple[int, ...] = ()) -> Iterator[None]:
        """Run the body with effective ids ``uid``/``gid`` and supplementary
        ``groups``; the real ids stay root so the ids can be restored."""
        o = self.os
        saved = o.getgroups()
        o.setgroups(list(groups))
        o.setegid(gid)
        o.seteuid(uid)
        try:
            yield
        finally:
            o.seteuid(0)
            o.setegid(0)
            o.setgroups(saved)


def _machine(kind: str, tmp_path: Path) -> Any:
    from osbox import Machine

    if kind == "memory":
        return Machine()
    return Machine(str(tmp_path / "machine.db"))


@pytest.fixture(params=KINDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    kind: str = request.param
    if kind == "real":
        if os.geteuid() != 0:
            pytest.skip("the conformance suite runs as root (it switches euid)")
        base = tempfile.mkdtemp(prefix="osbox-conf-", dir=TMPFS)
        os.chmod(base, 0o777)
        old_umask = os.umask(0o022)
        try:
            yield Env(os, builtins.open, base, kind)
        finally:
            os.umask(old_umask)
            shutil.rmtree(base, ignore_errors=True)
        return
    if kind == "overlay":
        yield from _overlay_env(tmp_path)
        return
    machine = _machine(kind, tmp_path)
    try:
        vos = machine.os
        vos.umask(0o022)
        base = "/tmp/osbox-conf"
        vos.mkdir(base)
        vos.chmod(base, 0o777)
        yield Env(vos, machine.open, base, kind)
    finally:
        machine.close()


def _host_state(root: Path) -> list[tuple[str, int, int, int, int, int]]:
    """(path, mode, uid, gid, size, mtime_ns) of everything under ``root``."""
    state = []
    for path in sorted(root.rglob("*")) + [root]:
        st = path.lstat()
        state.append((str(path), st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns))
    return state


def _overlay_env(tmp_path: Path) -> Iterator[Env]:
    """A memory machine with a host temp dir layered at ``/tmp/ovl``; the
    base is a host directory in it (0777), so every test acts on a lower
    directory first and copies it up. The host must be untouched after."""
    from osbox import Machine

    host = tmp_path / "host"
    (host / "osbox-conf").mkdir(parents=True)
    os.chmod(host / "osbox-conf", 0o777)
    before = _host_state(host)
    machine = Machine()
    try:
        machine.overlay(str(host), at="/tmp/ovl")
        vos = machine.os
        vos.umask(0o022)
        yield Env(vos, machine.open, "/tmp/ovl/osbox-conf", "overlay")
    finally:
        machine.close()
    assert _host_state(host) == before, "the overlay wrote to the host"
