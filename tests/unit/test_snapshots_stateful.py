"""Random histories of changes, snapshots, restores and deletions (Hypothesis).

The model is the machine's own observable state, captured (``state``) when
each snapshot is taken: restoring a snapshot must give back exactly that
state, and ``diff(since=)`` must be empty right after. Each history runs on
a memory and a SQLite machine.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from osbox import Machine

from .test_snapshots import state

NAMES = st.sampled_from(["a", "b", "c", "d"])
DIRS = st.sampled_from(["/w", "/w/x", "/w/y"])
DATA = st.binary(max_size=300).map(lambda b: b * 30)  # up to 9 KB: several pages


class History(RuleBasedStateMachine):
    kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        path = None if self.kind == "memory" else os.path.join(self.tmp.name, "m.db")
        self.m = Machine(path)
        self.o: Any = self.m.os
        self.o.makedirs("/w/x")
        self.snaps: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.counter = 0

    def teardown(self) -> None:
        self.m.close()
        self.tmp.cleanup()

    def _try(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except OSError:
            pass  # the errno is the conformance suite's business

    @rule(d=DIRS, name=NAMES, data=DATA, append=st.booleans())
    def write(self, d: str, name: str, data: bytes, append: bool) -> None:
        def go() -> None:
            with self.m.open(f"{d}/{name}", "ab" if append else "wb") as f:
                f.write(data)

        self._try(go)

    @rule(d=DIRS, name=NAMES, size=st.integers(0, 20_000))
    def truncate(self, d: str, name: str, size: int) -> None:
        self._try(self.o.truncate, f"{d}/{name}", size)

    @rule(d=DIRS)
    def mkdir(self, d: str) -> None:
        self._try(self.o.mkdir, d)

    @rule(d=DIRS, name=NAMES)
    def remove(self, d: str, name: str) -> None:
        self._try(self.o.unlink, f"{d}/{name}")
        self._try(self.o.rmdir, f"{d}/{name}")

    @rule(a=DIRS, b=DIRS, x=NAMES, y=NAMES)
    def rename(self, a: str, b: str, x: str, y: str) -> None:
        self._try(self.o.rename, f"{a}/{x}", f"{b}/{y}")

    @rule(d=DIRS, name=NAMES, mode=st.sampled_from([0o600, 0o755, 0o4711]))
    def chmod(self, d: str, name: str, mode: int) -> None:
        self._try(self.o.chmod, f"{d}/{name}", mode)

    @rule(a=DIRS, b=DIRS, x=NAMES, y=NAMES, hard=st.booleans())
    def link(self, a: str, b: str, x: str, y: str, hard: bool) -> None:
        if hard:
            self._try(self.o.link, f"{a}/{x}", f"{b}/{y}")
        else:
            self._try(self.o.symlink, f"{a}/{x}", f"{b}/{y}")

    @rule(d=DIRS, name=NAMES, value=st.binary(max_size=20))
    def xattr(self, d: str, name: str, value: bytes) -> None:
        self._try(self.o.setxattr, f"{d}/{name}", "user.k", value, follow_symlinks=False)

    @rule()
    def snapshot(self) -> None:
        self.counter += 1
        name = f"s{self.counter}"
        self.m.snapshot(name)
        self.snaps[name] = state(self.m)
        self.order.append(name)

    @precondition(lambda self: bool(self.order))
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.order))
        self.m.restore(name)
        assert state(self.m) == self.snaps[name]
        assert self.m.diff(since=name) == []
        del self.order[self.order.index(name) + 1 :]
        assert [s.name for s in self.m.snapshots()] == self.order

    @precondition(lambda self: bool(self.order))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.order))
        self.m.delete_snapshot(name)
        self.order.remove(name)

    @invariant()
    def consistent(self) -> None:
        assert self.m.fsck() == []


class SqliteHistory(History):
    kind = "sqlite"


_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMemoryHistory = History.TestCase
TestMemoryHistory.settings = _SETTINGS
TestSqliteHistory = SqliteHistory.TestCase
TestSqliteHistory.settings = _SETTINGS
