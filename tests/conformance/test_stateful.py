"""A differential, stateful test of the filesystem calls.

Hypothesis draws a random sequence of filesystem operations and applies each
one to three backends: Linux (a fresh temp dir on tmpfs, the oracle), a memory
machine and a SQLite machine. Every operation must give the same return value,
or raise the same exception (type, errno, strerror, filename, filename2), on
every backend; after each step the whole tree (entries, lstat fields that do
not depend on the host, link targets, file contents, hard-link groups) must be
the same too.

Inside each machine the base directory has the very path of the real one, so
paths, error filenames and absolute link targets are the same strings on every
backend; results are shown relative to ``<base>``.

Paths are made of a few names (``a``..``d``), joined by ``/`` or ``//``, with
``.``, ``..`` (only right after a name, so they stay inside the base),
``./`` in front and a trailing ``/`` now and then; symlinks created by the
test become components of later paths. Link targets never name the base or
climb out of it, so every path resolves inside the base.

``OSBOX_HYPOTHESIS_EXAMPLES`` (default 60) and ``OSBOX_HYPOTHESIS_STEPS``
(default 40) make longer local runs; ``OSBOX_STATEFUL_MACHINES`` (default
``memory,sqlite``) picks the machines compared with Linux.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from osbox import Machine

TMPFS = "/dev/shm"
EXAMPLES = int(os.environ.get("OSBOX_HYPOTHESIS_EXAMPLES", "60"))
STEPS = int(os.environ.get("OSBOX_HYPOTHESIS_STEPS", "40"))
MACHINES = os.environ.get("OSBOX_STATEFUL_MACHINES", "memory,sqlite").split(",")
UMASK = 0o022

pytestmark = [
    pytest.mark.skipif(not os.path.isdir(TMPFS), reason=f"{TMPFS} (tmpfs, the oracle) is missing"),
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="the oracle must run as root, as process 1 of a machine does",
    ),
]

NAMES = ("a", "b", "c", "d")

# -- strategies -------------------------------------------------------------------------


_NAME = st.sampled_from(NAMES)
_DEPTH = st.sampled_from([1, 1, 1, 2, 2, 3])
_EXTRA = {
    True: st.sampled_from([""] * 10 + [".", ".."]),
    False: st.sampled_from([""] * 10 + ["."]),
}
_SEP = st.sampled_from(["/"] * 7 + ["//"])
_ONE_IN = {n: st.integers(0, n - 1) for n in (8, 10)}


@st.composite
def _rel_path(draw: st.DrawFn, dotdot: bool) -> str:
    """A path relative to the base, e.g. ``a``, ``./d//e/``, ``d/../a``."""
    parts: list[str] = []
    for _ in range(draw(_DEPTH)):
        parts.append(draw(_NAME))
        extra = draw(_EXTRA[dotdot])
        if extra:
            parts.append(extra)
    path = parts[0]
    for part in parts[1:]:
        path += draw(_SEP) + part
    if draw(_ONE_IN[10]) == 9:  # rare forms away from 0, where shrinking goes
        path = "./" + path
    if draw(_ONE_IN[8]) == 7:
        path += "/"
    return path


# A made-up path an operation works on; "." is the base itself.
PATHS = st.one_of(_rel_path(True), _rel_path(True), _rel_path(True), st.just("."))


@functools.lru_cache(maxsize=4096)
def _existing_paths(entries: tuple[str, ...], fresh: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A path drawn from ``PATHS``, from ``entries`` (decorated) or from
    ``fresh`` (free names in existing directories).

    The shape does not depend on the tree (an empty choice is replaced by
    ``PATHS``), so that a step keeps its meaning when the shrinker deletes
    the steps before it."""
    existing = st.sampled_from(entries).flatmap(_decorated) if entries else PATHS
    new = st.sampled_from(fresh) if fresh else PATHS
    return st.one_of(PATHS, existing, existing, new)


@functools.lru_cache(maxsize=4096)
def _existing_targets(entries: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A symlink's contents drawn from ``TARGETS`` or naming one of ``entries``
    (same shape without entries, as for ``_existing_paths``)."""
    if not entries:
        return st.one_of(TARGETS, TARGETS, TARGETS)
    entry = st.sampled_from(entries)
    return st.one_of(TARGETS, entry, entry.map(lambda p: "/" + p))


@functools.cache
def _decorated(entry: str) -> st.SearchStrategy[str]:
    """``entry`` (a path that exists, made of names only) as given, or with
    a trailing ``/``, ``/.`` or ``/..``, ``./`` in front, doubled slashes or
    one more name below it."""
    forms = [entry] * 8 + [entry + "/", entry + "/.", entry + "/..", "./" + entry]
    if "/" in entry:
        forms.append(entry.replace("/", "//"))
    forms.extend(entry + "/" + name for name in NAMES)
    return st.sampled_from(forms)


# A symlink's target. A leading "/" stands for "<base>/"; none contains "..",
# names the base or can resolve to it, so a later "name/.." stays inside it.
TARGETS = st.one_of(
    _rel_path(False),
    _rel_path(False).map(lambda p: "/" + p),
    st.sampled_from(["", "nowhere", "./" * 70 + "a", "a/" + "b" * 150]),
)

# A starting tree: what to create, in order, as ("mkdir", path),
# ("write", path) or ("symlink", contents, path). A creation may fail, e.g.
# when the parent is missing; that is compared too.
_SEED_PATH = st.lists(_NAME, min_size=1, max_size=2).map("/".join)
SEED = st.lists(
    st.one_of(
        st.tuples(st.just("mkdir"), _SEED_PATH),
        st.tuples(st.just("write"), _SEED_PATH),
        st.tuples(st.just("symlink"), TARGETS, _SEED_PATH),
    ),
    max_size=10,
)

DATA = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([b"x" * 4096, b"y" * 5000, b"z" * 9000]),
)
FILE_MODES = st.sampled_from([0o644, 0o600, 0o755, 0o000, 0o777])
DIR_MODES = st.sampled_from([0o755, 0o700, 0o777, 0o000])
CHMOD_MODES = st.sampled_from([0o644, 0o755, 0o000, 0o600, 0o1777, 0o4755, 0o2755, 0o7777])
LENGTHS = st.sampled_from([0, 1, 3, 4095, 4096, 4097, 10000, -1])
WRITE_FLAGS = {
    "trunc": os.O_CREAT | os.O_WRONLY | os.O_TRUNC,
    "append": os.O_CREAT | os.O_WRONLY | os.O_APPEND,
    "excl": os.O_CREAT | os.O_WRONLY | os.O_EXCL,
    "nocreat": os.O_WRONLY,
}

# -- backends ---------------------------------------------------------------------------


@dataclass
class Backend:
    """One system under test: an ``os`` module and an ``open``."""

    name: str
    os: Any
    open: Callable[..., Any]
    machine: Any = None


def _read_fd(o: Any, fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk: bytes = o.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _stat_fields(s: os.stat_result) -> tuple[str, int, int, int, int, int]:
    """The fields of a stat that do not depend on the host (no ino, dev, times)."""
    return (oct(s.st_mode), s.st_nlink, s.st_size, s.st_uid, s.st_gid, s.st_blocks)


class FilesystemDiff(RuleBasedStateMachine):
    """The same operations on Linux, a memory machine and a SQLite machine."""

    def __init__(self) -> None:
        super().__init__()
        self.backends: list[Backend] = []
        self.entries: tuple[str, ...] = ()  # what exists on Linux, relative to the base
        self.fresh: tuple[str, ...] = ()  # names free in its directories
        self.old_umask = os.umask(UMASK)
        self.dbdir = tempfile.mkdtemp(prefix="osbox-stateful-db-")
        self.base = tempfile.mkdtemp(prefix="osbox-stateful-", dir=TMPFS)
        try:
            os.chmod(self.base, 0o755)
            self.backends.append(Backend("linux", os, builtins.open))
            stores = {"memory": None, "sqlite": os.path.join(self.dbdir, "m.db")}
            for name in MACHINES:
                machine = Machine(stores[name])
                self.backends.append(Backend(name, machine.os, machine.open, machine))
                machine.os.umask(UMASK)
                machine.os.mkdir(self.base)
                machine.os.chmod(self.base, 0o755)
        except BaseException:
            self.teardown()
            raise

    def teardown(self) -> None:
        try:
            with contextlib.ExitStack() as stack:
                for b in self.backends:
                    if b.machine is not None:
                        stack.callback(b.machine.close)
        finally:
            os.umask(self.old_umask)
            shutil.rmtree(self.base, ignore_errors=True)
            shutil.rmtree(self.dbdir, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------

    def create(self, b: Backend, path: str, content: bytes) -> None:
        fd = b.os.open(self.p(path), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
        try:
            b.os.write(fd, content)
        finally:
            b.os.close(fd)

    def p(self, rel: str) -> str:
        return self.base + "/" + rel

    def rel(self, value: Any) -> Any:
        """``value`` with the base path shown as ``<base>``."""
        if isinstance(value, str):
            return value.replace(self.base, "<base>")
        if isinstance(value, list | tuple):
            return type(value)(self.rel(v) for v in value)
        return value

    def outcome(self, fn: Callable[[Backend], Any], b: Backend) -> tuple[Any, ...]:
        try:
            return ("ok", self.rel(fn(b)))
        except OSError as e:
            code = errno.errorcode.get(e.errno, e.errno) if e.errno is not None else None
            return (
                type(e).__name__,
                code,
                e.strerror,
                self.rel(e.filename),
                self.rel(e.filename2),
            )
        except Exception as e:  # any other exception is an outcome too
            return (type(e).__name__, str(e))

    def same(self, desc: str, fn: Callable[[Backend], Any]) -> None:
        """Run ``fn`` on every backend; all must agree with Linux."""
        results = [(b.name, self.outcome(fn, b)) for b in self.backends]
        expected = results[0][1]
        diffs = [f"{name}: {got!r}" for name, got in results[1:] if got != expected]
        if diffs:
            raise AssertionError(f"{desc}\n  linux: {expected!r}\n  " + "\n  ".join(diffs))

    # -- drawing paths ------------------------------------------------------------------

    def path(self, data: st.DataObject, label: str) -> str:
        """A path relative to the base: made up, an entry that exists on
        Linux (maybe decorated), or a free name in one of its directories."""
        path: str = data.draw(_existing_paths(self.entries, self.fresh), label=label)
        return path

    def target(self, data: st.DataObject) -> str:
        """A symlink's contents: made up, or an existing entry, absolute or
        relative (then it names that entry when the link is in the base)."""
        target: str = data.draw(_existing_targets(self.entries), label="contents")
        return self.base + target if target.startswith("/") else target

    # -- rules ------------------------------------------------------------------------------

    @initialize(plan=SEED)
    def seed(self, plan: list[tuple[str, ...]]) -> None:
        for step in plan:
            self.seed_one(*step)

    def seed_one(self, kind: str, *args: str) -> None:
        if kind == "mkdir":
            (path,) = args
            self.same(f"mkdir({path!r})", lambda b: b.os.mkdir(self.p(path)))
        elif kind == "write":
            (path,) = args
            self.same(f"write({path!r})", lambda b: self.create(b, path, path.encode()))
        else:
            contents, path = args
            target = self.base + contents if contents.startswith("/") else contents
            self.same(
                f"symlink({self.rel(target)!r}, {path!r})",
                lambda b: b.os.symlink(target, self.p(path)),
            )

    @rule(data=st.data(), mode=DIR_MODES)
    def mkdir(self, data: st.DataObject, mode: int) -> None:
        path = self.path(data, "path")
        self.same(f"mkdir({path!r}, {mode:#o})", lambda b: b.os.mkdir(self.p(path), mode))

    @rule(data=st.data())
    def rmdir(self, data: st.DataObject) -> None:
        path = self.path(data, "path")
        self.same(f"rmdir({path!r})", lambda b: b.os.rmdir(self.p(path)))

    @rule(data=st.data(), how=st.sampled_from(sorted(WRITE_FLAGS)), content=DATA, mode=FILE_MODES)
    def write(self, data: st.DataObject, how: str, content: bytes, mode: int) -> None:
        path = self.path(data, "path")

        def op(b: Backend) -> int:
            fd = b.os.open(self.p(path), WRITE_FLAGS[how], mode)
            try:
                n: int = b.os.write(fd, content)
                return n
            finally:
                b.os.close(fd)

        self.same(f"write({path!r}, {how}, {len(content)} bytes, {mode:#o})", op)

    @rule(data=st.data())
    def unlink(self, data: st.DataObject) -> None:
        path = self.path(data, "path")
        self.same(f"unlink({path!r})", lambda b: b.os.unlink(self.p(path)))

    @rule(data=st.data(), func=st.sampled_from(["rename", "replace"]))
    def rename(self, data: st.DataObject, func: str) -> None:
        src = self.path(data, "src")
        dst = self.path(data, "dst")
        self.same(
            f"{func}({src!r}, {dst!r})",
            lambda b: getattr(b.os, func)(self.p(src), self.p(dst)),
        )

    @rule(data=st.data())
    def symlink(self, data: st.DataObject) -> None:
        target = self.target(data)
        path = self.path(data, "path")
        self.same(
            f"symlink({self.rel(target)!r}, {path!r})",
            lambda b: b.os.symlink(target, self.p(path)),
        )

    @rule(data=st.data())
    def link(self, data: st.DataObject) -> None:
        src = self.path(data, "src")
        dst = self.path(data, "dst")
        self.same(f"link({src!r}, {dst!r})", lambda b: b.os.link(self.p(src), self.p(dst)))

    @rule(data=st.data(), mode=CHMOD_MODES)
    def chmod(self, data: st.DataObject, mode: int) -> None:
        path = self.path(data, "path")
        self.same(f"chmod({path!r}, {mode:#o})", lambda b: b.os.chmod(self.p(path), mode))

    @rule(data=st.data(), length=LENGTHS)
    def truncate(self, data: st.DataObject, length: int) -> None:
        path = self.path(data, "path")
        self.same(f"truncate({path!r}, {length})", lambda b: b.os.truncate(self.p(path), length))

    @rule(data=st.data())
    def listdir(self, data: st.DataObject) -> None:
        path = self.path(data, "path")
        self.same(f"listdir({path!r})", lambda b: sorted(b.os.listdir(self.p(path))))

    @rule(data=st.data(), follow=st.booleans())
    def stat(self, data: st.DataObject, follow: bool) -> None:
        path = self.path(data, "path")
        func = "stat" if follow else "lstat"
        self.same(f"{func}({path!r})", lambda b: _stat_fields(getattr(b.os, func)(self.p(path))))

    @rule(data=st.data())
    def readlink(self, data: st.DataObject) -> None:
        path = self.path(data, "path")
        self.same(f"readlink({path!r})", lambda b: b.os.readlink(self.p(path)))

    @rule(data=st.data())
    def walk(self, data: st.DataObject) -> None:
        path = self.path(data, "path")

        def op(b: Backend) -> list[tuple[str, list[str], list[str]]]:
            return sorted(
                (top, sorted(dirs), sorted(files)) for top, dirs, files in b.os.walk(self.p(path))
            )

        self.same(f"walk({path!r})", op)

    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        path = self.path(data, "path")

        def op(b: Backend) -> bytes:
            with b.open(self.p(path), "rb") as f:
                content: bytes = f.read()
                return content

        self.same(f"open({path!r}, 'rb').read()", op)

    # -- the whole tree -------------------------------------------------------------------

    def snapshot(self, b: Backend) -> tuple[dict[str, tuple[Any, ...]], list[list[str]]]:
        """Every entry under the base (found by listdir/lstat, not walk), by
        path relative to the base ("." for the base itself), with its stat
        fields and link target or content; and the groups of hard links."""
        o = b.os
        entries: dict[str, tuple[Any, ...]] = {}
        inodes: dict[int, list[str]] = {}
        todo = ["."]
        while todo:
            rel = todo.pop()
            path = self.p(rel)
            s = o.lstat(path)
            extra: Any = None
            if stat.S_ISLNK(s.st_mode):
                extra = self.rel(o.readlink(path))
            elif stat.S_ISREG(s.st_mode):
                fd = o.open(path, os.O_RDONLY)
                try:
                    extra = _read_fd(o, fd)
                finally:
                    o.close(fd)
            elif stat.S_ISDIR(s.st_mode):
                prefix = "" if rel == "." else rel + "/"
                todo.extend(prefix + name for name in o.listdir(path))
            entries[rel] = (*_stat_fields(s), extra)
            inodes.setdefault(s.st_ino, []).append(rel)
        groups = sorted(sorted(g) for g in inodes.values() if len(g) > 1)
        return entries, groups

    @invariant()
    def same_tree(self) -> None:
        expected = self.snapshot(self.backends[0])
        tree = expected[0]
        self.entries = tuple(sorted(p for p in tree if p != "."))
        dirs = ["" if p == "." else p + "/" for p, e in tree.items() if stat.S_ISDIR(int(e[0], 8))]
        self.fresh = tuple(sorted(d + n for d in dirs for n in NAMES if d + n not in tree))
        for b in self.backends[1:]:
            got = self.snapshot(b)
            if got != expected:
                lines = [
                    f"  {p}: linux {tree.get(p)!r}, {b.name} {got[0].get(p)!r}"
                    for p in sorted(tree.keys() | got[0].keys())
                    if tree.get(p) != got[0].get(p)
                ]
                if got[1] != expected[1]:
                    lines.append(f"  hard links: linux {expected[1]!r}, {b.name} {got[1]!r}")
                raise AssertionError("tree differs (paths relative to <base>)\n" + "\n".join(lines))
            problems = b.machine.fsck()
            if problems:
                raise AssertionError(f"{b.name} fsck: {problems!r}")


TestFilesystemDiff = FilesystemDiff.TestCase
TestFilesystemDiff.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
