"""The differential, stateful test (``test_stateful``) over an overlay.

The random starting tree is made twice on the real OS: in the base (the
oracle, on tmpfs) and in a second tmpfs directory, the *lower* one. A memory
machine then layers the lower directory at the very path of the base
(``Machine.overlay(lower, at=base)``), so every random operation acts on
host objects first: copy-up, whiteouts, opaque directories, renames of host
files and directories, hard links of host files. Values, errnos and the
whole tree must match Linux after every step, and the lower directory must
be untouched when the run ends.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import stat
import tempfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize

from osbox import Machine

from .test_stateful import EXAMPLES, SEED, STEPS, TMPFS, UMASK, Backend, FilesystemDiff
from .test_stateful import pytestmark as pytestmark


def _host_tree(root: str) -> list[tuple[Any, ...]]:
    """Everything about the host tree at ``root`` a write could change."""
    tree: list[tuple[Any, ...]] = []
    for top, dirs, files in os.walk(root):
        for name in sorted(dirs + files) + ([] if top != root else ["."]):
            path = os.path.join(top, name)
            s = os.lstat(path)
            content: Any = None
            if stat.S_ISREG(s.st_mode):
                with open(path, "rb") as f:
                    content = f.read()
            elif stat.S_ISLNK(s.st_mode):
                content = os.readlink(path)
            tree.append((path, s.st_mode, s.st_ino, s.st_nlink, s.st_size, s.st_mtime_ns, content))
    return sorted(tree)


class OverlayDiff(FilesystemDiff):
    """Linux against a memory machine whose base is an overlay of a host copy
    of the starting tree."""

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        self.backends: list[Backend] = []
        self.entries: tuple[str, ...] = ()
        self.fresh: tuple[str, ...] = ()
        self.old_umask = os.umask(UMASK)
        self.dbdir = tempfile.mkdtemp(prefix="osbox-stateful-db-")
        self.base = tempfile.mkdtemp(prefix="osbox-stateful-", dir=TMPFS)
        self.lower = tempfile.mkdtemp(prefix="osbox-stateful-lower-", dir=TMPFS)
        self.lower_tree: list[tuple[Any, ...]] | None = None
        self.machine = Machine()
        os.chmod(self.base, 0o755)
        os.chmod(self.lower, 0o755)
        self.backends.append(Backend("linux", os, builtins.open))
        self.machine.os.umask(UMASK)

    def teardown(self) -> None:
        try:
            self.machine.close()
            if self.lower_tree is not None:
                assert _host_tree(self.lower) == self.lower_tree, "the overlay wrote to the host"
        finally:
            os.umask(self.old_umask)
            for path in (self.base, self.lower, self.dbdir):
                shutil.rmtree(path, ignore_errors=True)

    @initialize(plan=SEED)
    def seed(self, plan: list[tuple[str, ...]]) -> None:
        """The starting tree on Linux, copied as it is (symlinks verbatim)
        into the lower directory; then the overlay joins."""
        for step in plan:
            with contextlib.suppress(OSError):
                kind, *args = step
                if kind == "mkdir":
                    os.mkdir(self.p(args[0]))
                elif kind == "write":
                    with open(self.p(args[0]), "xb") as f:
                        f.write(args[0].encode())
                else:
                    contents, path = args
                    target = self.base + contents if contents.startswith("/") else contents
                    os.symlink(target, self.p(path))
        shutil.copytree(self.base, self.lower, symlinks=True, dirs_exist_ok=True)
        self.lower_tree = _host_tree(self.lower)
        self.machine.overlay(self.lower, at=self.base)
        self.backends.append(Backend("overlay", self.machine.os, self.machine.open, self.machine))


TestOverlayDiff = OverlayDiff.TestCase
TestOverlayDiff.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
