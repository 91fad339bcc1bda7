"""The osbox pytest plugin (entry point ``osbox``).

Fixtures:

* ``machine``: a fresh in-memory machine per test, patched in while the
  test function runs, so unmodified code under test sees it;
* ``machine_module`` / ``machine_session``: one machine per module or per
  session, patched in the same way around each test that uses it.

The patch covers only the test function itself: fixtures set up and torn down
on the host, and pytest reports failures (assertion rewriting, tracebacks
with their source lines) from the host's files.

Marker ``@pytest.mark.osbox(store="memory"|"sqlite", **config)`` chooses the
store and the machine's configuration (``uname``, ``cpu_count``,
``capacity_bytes``, ``capacity_inodes``) for the ``machine`` fixture.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._machine import Machine

__all__ = ["machine", "machine_module", "machine_session"]

_FIXTURES = ("machine", "machine_module", "machine_session")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "osbox(store='memory', **config): choose the store (memory or sqlite) and the "
        "configuration of the `machine` fixture",
    )


def _new_machine(node: Any) -> tuple[Machine, tempfile.TemporaryDirectory[str] | None]:
    marker = node.get_closest_marker("osbox") if node is not None else None
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    store = kwargs.pop("store", "memory")
    if store == "memory":
        return Machine(**kwargs), None
    if store != "sqlite":
        raise pytest.UsageError(f"osbox marker: unknown store {store!r} (memory or sqlite)")
    tmp = tempfile.TemporaryDirectory(prefix="osbox-pytest-")
    return Machine(str(Path(tmp.name) / "machine.db"), **kwargs), tmp


def _machine_fixture(node: Any) -> Iterator[Machine]:
    m, tmp = _new_machine(node)
    try:
        yield m
    finally:
        m.close()
        if tmp is not None:
            tmp.cleanup()


@pytest.fixture
def machine(request: pytest.FixtureRequest) -> Iterator[Machine]:
    """A fresh in-memory machine, patched in while the test runs."""
    yield from _machine_fixture(request.node)


@pytest.fixture(scope="module")
def machine_module() -> Iterator[Machine]:
    """One in-memory machine shared by a module's tests."""
    yield from _machine_fixture(None)


@pytest.fixture(scope="session")
def machine_session() -> Iterator[Machine]:
    """One in-memory machine shared by the whole session."""
    yield from _machine_fixture(None)


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, None, None]:
    """Patch around the test function alone: pytest's own capture, reporting
    and fixtures run outside, on the host."""
    funcargs: dict[str, Any] = pyfuncitem.funcargs
    m = next((funcargs[name] for name in _FIXTURES if name in funcargs), None)
    if not isinstance(m, Machine):
        yield
        return
    with m.patch():
        yield
