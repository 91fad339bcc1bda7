"""The SQLite store: differential against the memory store and tmpfs,
persistence, orphans, sharing between processes, capacity, bad files, fsck."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from stat import S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from osbox.stores.base import PAGE, Capacity, Inode, Store
from osbox.stores.errors import MachineFileError
from osbox.stores.memory import MemoryStore
from osbox.stores.sqlite import SCHEMA_VERSION, SqliteStore

FMT = 0o170000
ATTRS = Inode.__slots__


def attrs(node: Inode) -> tuple[int, ...]:
    return tuple(getattr(node, a) for a in ATTRS)


def call(store: Store, lock: threading.RLock, method: str, *args: Any, **kw: Any) -> Any:
    """Run one store call the way the kernel does: under the lock, as a syscall."""
    with lock:
        store.begin()
        try:
            return getattr(store, method)(*args, **kw)
        finally:
            store.end()


@pytest.fixture
def lock() -> threading.RLock:
    return threading.RLock()


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "machine.osbox")


@pytest.fixture
def opener(lock: threading.RLock) -> Iterator[Callable[[str], SqliteStore]]:
    """Open stores that are all closed at the end of the test."""
    opened: list[SqliteStore] = []

    def open_store(p: str) -> SqliteStore:
        store = SqliteStore(p, lock)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def sha(p: str) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


# -- differential: memory store vs SQLite store ------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "dd", "é", "\udcff", "n" * 60])
NOW = st.integers(0, 2**62)
OFFSETS = st.one_of(
    st.integers(0, 3 * PAGE),
    st.integers(0, 70_000),
    st.integers(0, 300_000),
    st.sampled_from([PAGE - 1, PAGE, 65535, 65536, 65537, 16 * PAGE * 3]),
)
DATA = st.one_of(
    st.binary(min_size=1, max_size=64),
    st.integers(1, 9000).map(lambda n: bytes(random.Random(n).randrange(256) for _ in range(n))),
    st.integers(1, 70_000).map(lambda n: b"\x07" * n),
)
XATTR_NAMES = st.sampled_from(
    ["user.a", "user.b", "trusted.é", "security.\udcff", "user." + "x" * 250]
)
XATTR_VALUES = st.one_of(
    st.none(),
    st.binary(max_size=64),
    st.integers(1, 65536).map(lambda n: bytes([n % 251]) * n),
)


class Uncached(SqliteStore):
    """The SQLite store without its in-batch cache: every call runs SQL."""

    CACHE = False


def _pages(n: int) -> int:
    return (n + PAGE - 1) // PAGE


class StoreDiff(RuleBasedStateMachine):
    """Apply the same operations to a MemoryStore and a SqliteStore and
    compare every result; reopen the SQLite store now and then."""

    store_class: type[SqliteStore] = SqliteStore

    def __init__(self) -> None:
        super().__init__()
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # cheap fsync
        self.tmp = tempfile.mkdtemp(prefix="osbox-sqlite-", dir=shm)
        self.path = os.path.join(self.tmp, "m.osbox")
        self.lock = threading.RLock()
        self.mem: Store = MemoryStore()
        self.sql = self.store_class(self.path, self.lock)
        self.clock = 10**9
        self.kind: dict[int, int] = {1: S_IFDIR}  # every live inode
        self.parent: dict[int, int] = {1: 1}  # directories only
        self.open: list[int] = []  # unlinked, still "open" (orphans)
        self.capacity: tuple[int | None, int | None] = (None, None)
        # tmpfs page model of every regular file: allocated pages and size
        self.pages: dict[int, set[int]] = {}
        self.sizes: dict[int, int] = {}
        self.expected_write: str | None = None
        t = self.tick()
        self.both("setattr", 1, atime_ns=t, mtime_ns=t, ctime_ns=t)

    def teardown(self) -> None:
        try:
            assert self.sql.check() == []
        finally:
            self.sql.close()
            self.mem.close()
            for name in os.listdir(self.tmp):
                os.unlink(os.path.join(self.tmp, name))
            os.rmdir(self.tmp)

    # helpers
    def tick(self) -> int:
        self.clock += 1000
        return self.clock

    def both(self, method: str, *args: Any, **kw: Any) -> Any:
        out: list[Any] = []
        for store in (self.mem, self.sql):
            try:
                got = call(store, self.lock, method, *args, **kw)
            except Capacity:
                out.append("Capacity")
                continue
            out.append(attrs(got) if isinstance(got, Inode) else got)
        assert out[0] == out[1], (method, args, out)
        return out[0]

    # the page model
    def model_bytes(self) -> int:
        return PAGE * sum(len(p) for p in self.pages.values())

    def model_write(self, ino: int, offset: int, length: int) -> str | None:
        """Apply a write to the model; "Capacity" if it must not fit."""
        touched = set(range(offset // PAGE, _pages(offset + length)))
        new = len(touched - self.pages[ino])
        limit = self.capacity[0]
        if new and limit is not None and self.model_bytes() + new * PAGE > limit:
            return "Capacity"
        self.pages[ino] |= touched
        self.sizes[ino] = max(self.sizes[ino], offset + length)
        return None

    def model_seek(self, method: str, ino: int, offset: int) -> int | None:
        pages, size = self.pages[ino], self.sizes[ino]
        if method == "seek_data":
            after = [p for p in pages if p >= offset // PAGE]
            return None if offset >= size or not after else max(offset, min(after) * PAGE)
        page = offset // PAGE
        while page in pages:
            page += 1
        return min(size, max(offset, page * PAGE))

    def of_kind(self, *kinds: int) -> list[int]:
        return sorted(i for i, k in self.kind.items() if k in kinds)

    def linked(self, *kinds: int) -> list[int]:
        return [i for i in self.of_kind(*kinds) if i not in self.open]

    def entries(self, dir_ino: int) -> list[tuple[str, int, int]]:
        got: list[tuple[str, int, int]] = self.both("readdir", dir_ino)
        return got

    def all_entries(self) -> list[tuple[int, str, int, int]]:
        return [
            (d, name, ino, kind)
            for d in self.linked(S_IFDIR)
            for name, ino, kind in self.entries(d)
        ]

    # rules
    @rule(
        data=st.data(),
        kind=st.sampled_from([S_IFREG, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR]),
        name=NAMES,
        perm=st.integers(0, 0o7777),
        uid=st.integers(0, 70000),
        gid=st.integers(0, 70000),
        link_to=st.text(min_size=1, max_size=200) | st.just("\udcff\udc80-target"),
    )
    def create(
        self, data: st.DataObject, kind: int, name: str, perm: int, uid: int, gid: int, link_to: str
    ) -> None:
        parent = data.draw(st.sampled_from(self.linked(S_IFDIR)))
        if self.both("lookup", parent, name) is not None:
            return
        rdev = 0x0103 if kind == S_IFCHR else 0
        got = self.both(
            "create",
            parent,
            name,
            kind | perm,
            uid,
            gid,
            self.tick(),
            rdev=rdev,
            target=link_to if kind == S_IFLNK else None,
        )
        if got != "Capacity":
            ino = got[0]
            self.kind[ino] = kind
            if kind == S_IFDIR:
                self.parent[ino] = parent
            if kind == S_IFREG:
                self.pages[ino] = set()
                self.sizes[ino] = 0

    @rule(data=st.data(), name=NAMES)
    def link(self, data: st.DataObject, name: str) -> None:
        targets = self.linked(S_IFREG, S_IFLNK, S_IFIFO, S_IFCHR)
        if not targets:
            return
        ino = data.draw(st.sampled_from(targets))
        parent = data.draw(st.sampled_from(self.linked(S_IFDIR)))
        if self.both("lookup", parent, name) is None:
            self.both("link", parent, name, ino, self.tick())

    @rule(data=st.data(), keep_open=st.booleans())
    def unlink(self, data: st.DataObject, keep_open: bool) -> None:
        entries = self.all_entries()
        if not entries:
            return
        parent, name, ino, kind = data.draw(st.sampled_from(entries))
        if kind == S_IFDIR and not self.both("is_empty", ino):
            return
        node = self.both("unlink", parent, name, self.tick())
        if node[ATTRS.index("nlink")]:
            return
        self.parent.pop(ino, None)
        if keep_open and kind == S_IFREG:
            self.both("orphan", ino)
            self.open.append(ino)
        else:
            self.forget(ino)

    def forget(self, ino: int) -> None:
        self.both("free", ino)
        del self.kind[ino]
        self.pages.pop(ino, None)
        self.sizes.pop(ino, None)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def close_orphan(self, data: st.DataObject) -> None:
        ino = data.draw(st.sampled_from(self.open))
        self.open.remove(ino)
        self.forget(ino)

    @rule(data=st.data(), new_name=NAMES)
    def rename(self, data: st.DataObject, new_name: str) -> None:
        entries = self.all_entries()
        if not entries:
            return
        src, name, ino, kind = data.draw(st.sampled_from(entries))
        dst = data.draw(st.sampled_from(self.linked(S_IFDIR)))
        if self.both("lookup", dst, new_name) is not None:
            return
        if kind == S_IFDIR:
            up = dst
            while True:  # no moving a directory under itself
                if up == ino:
                    return
                if up == 1:
                    break
                up = self.parent[up]
            self.parent[ino] = dst
        self.both("rename", src, name, dst, new_name, self.tick())

    @rule(data=st.data(), offset=OFFSETS, payload=DATA)
    def write(self, data: st.DataObject, offset: int, payload: bytes) -> None:
        files = self.of_kind(S_IFREG)
        if files:
            ino = data.draw(st.sampled_from(files))
            self.write_both(ino, offset, payload)

    def write_both(self, ino: int, offset: int, payload: bytes) -> None:
        expect = self.expected_write = self.model_write(ino, offset, len(payload))
        got = self.both("write", ino, offset, payload, self.tick())
        assert got == expect, ("write", ino, offset, len(payload), got)

    @rule(data=st.data(), delta=st.integers(-3 * PAGE, 3 * PAGE), payload=DATA)
    def write_near_eof(self, data: st.DataObject, delta: int, payload: bytes) -> None:
        files = self.of_kind(S_IFREG)
        if files:
            ino = data.draw(st.sampled_from(files))
            size = self.both("get", ino)[ATTRS.index("size")]
            self.write_both(ino, max(0, size + delta), payload[:5000])

    @rule(data=st.data(), size=OFFSETS)
    def truncate(self, data: st.DataObject, size: int) -> None:
        files = self.of_kind(S_IFREG)
        if files:
            ino = data.draw(st.sampled_from(files))
            if data.draw(st.booleans()):
                size = max(0, self.both("get", ino)[ATTRS.index("size")] - size)
            self.both("truncate", ino, size, self.tick())
            self.pages[ino] = {p for p in self.pages[ino] if p < _pages(size)}
            self.sizes[ino] = size

    @rule(
        data=st.data(),
        perm=st.none() | st.integers(0, 0o7777),
        uid=st.none() | st.integers(0, 70000),
        gid=st.none() | st.integers(0, 70000),
        atime=st.none() | NOW,
        mtime=st.none() | NOW,
        ctime=st.none() | NOW,
    )
    def setattr(
        self,
        data: st.DataObject,
        perm: int | None,
        uid: int | None,
        gid: int | None,
        atime: int | None,
        mtime: int | None,
        ctime: int | None,
    ) -> None:
        ino = data.draw(st.sampled_from(sorted(self.kind)))
        mode = None if perm is None else self.kind[ino] | perm
        self.both(
            "setattr",
            ino,
            mode=mode,
            uid=uid,
            gid=gid,
            atime_ns=atime,
            mtime_ns=mtime,
            ctime_ns=ctime,
        )

    @rule(data=st.data(), offset=OFFSETS, size=st.integers(0, 140_000))
    def read(self, data: st.DataObject, offset: int, size: int) -> None:
        files = self.of_kind(S_IFREG)
        if files:
            self.both("read", data.draw(st.sampled_from(files)), offset, size)

    @rule(data=st.data(), offset=OFFSETS)
    def seek(self, data: st.DataObject, offset: int) -> None:
        files = self.of_kind(S_IFREG)
        if not files:
            return
        ino = data.draw(st.sampled_from(files))
        assert self.both("seek_data", ino, offset) == self.model_seek("seek_data", ino, offset)
        size = self.both("get", ino)[ATTRS.index("size")]
        if size:
            hole = self.both("seek_hole", ino, offset % size)
            assert hole == self.model_seek("seek_hole", ino, offset % size)

    @rule()
    def directories(self) -> None:
        for d in self.linked(S_IFDIR):
            assert self.both("parent", d) == self.parent[d]
            assert self.both("names", d) == [name for name, _, _ in self.entries(d)]

    @rule()
    def symlinks(self) -> None:
        for ino in self.of_kind(S_IFLNK):
            self.both("readlink", ino)

    @rule(data=st.data(), name=XATTR_NAMES, value=XATTR_VALUES)
    def set_xattr(self, data: st.DataObject, name: str, value: bytes | None) -> None:
        ino = data.draw(st.sampled_from(sorted(self.kind)))
        self.both("set_xattr", ino, name, value, self.tick())

    @rule(
        extra_pages=st.none() | st.integers(0, 40),
        extra_inodes=st.none() | st.integers(0, 3),
    )
    def set_capacity(self, extra_pages: int | None, extra_inodes: int | None) -> None:
        used, count = self.both("usage")
        self.capacity = (
            None if extra_pages is None else used + extra_pages * PAGE,
            None if extra_inodes is None else count + extra_inodes,
        )
        self.both("set_capacity", *self.capacity)

    @rule()
    def sync(self) -> None:
        self.both("sync")

    @rule()
    def reopen(self) -> None:
        # Closing the machine closes its files: the kernel frees the orphans.
        for ino in self.open:
            self.forget(ino)
        self.open.clear()
        self.sql.close()
        self.sql = self.store_class(self.path, self.lock)
        self.sql.set_capacity(*self.capacity)

    @rule()
    def fsck(self) -> None:
        assert self.sql.check() == []
        assert self.mem.check() == []

    @invariant()
    def same_inodes(self) -> None:
        assert self.both("usage")[0] == self.model_bytes()
        for ino in sorted(self.kind):
            node = self.both("get", ino)
            if ino in self.pages:
                assert node[ATTRS.index("blocks")] == 8 * len(self.pages[ino])
                assert node[ATTRS.index("size")] == self.sizes[ino]
            self.both("xattrs", ino)
        for d in self.linked(S_IFDIR):
            self.both("readdir", d)


class StoreDiffUncached(StoreDiff):
    store_class = Uncached


EXAMPLES = int(os.environ.get("OSBOX_SQLITE_EXAMPLES", "60"))
TestStoreDiff = StoreDiff.TestCase
TestStoreDiff.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestStoreDiffUncached = StoreDiffUncached.TestCase
TestStoreDiffUncached.settings = settings(TestStoreDiff.settings, max_examples=EXAMPLES // 3)


# -- file data against the real tmpfs ---------------------------------------------------


def _on_tmpfs(p: str) -> bool:
    try:
        with open("/proc/mounts") as f:
            mounts = [line.split() for line in f]
    except OSError:
        return False
    return any(m[1] == p and m[2] == "tmpfs" for m in mounts if len(m) > 2)


FILE_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("w"), OFFSETS, st.integers(1, 20_000)),
        st.tuples(st.just("t"), OFFSETS, st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.skipif(not _on_tmpfs("/dev/shm"), reason="needs /dev/shm on tmpfs")
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=FILE_OPS)
def test_file_data_matches_tmpfs(ops: list[tuple[str, int, int]], tmp_path: Path) -> None:
    """Writes and truncates give tmpfs's st_blocks, SEEK_DATA/SEEK_HOLE and bytes."""
    lock = threading.RLock()
    store = SqliteStore(str(tmp_path / f"data-{os.getpid()}.osbox"), lock)
    fd, real = tempfile.mkstemp(dir="/dev/shm")
    try:
        ino = call(store, lock, "create", 1, f"f{len(ops)}", S_IFREG | 0o644, 0, 0, 1).ino
        for n, (op, offset, length) in enumerate(ops):
            if op == "w":
                payload = bytes([n % 255 + 1]) * length
                os.pwrite(fd, payload, offset)
                call(store, lock, "write", ino, offset, payload, 2)
            else:
                os.ftruncate(fd, offset)
                call(store, lock, "truncate", ino, offset, 2)
            st_real = os.fstat(fd)
            node = store.get(ino)
            assert (node.size, node.blocks) == (st_real.st_size, st_real.st_blocks), ops[: n + 1]
        size = os.fstat(fd).st_size
        assert store.read(ino, 0, size + 10) == os.pread(fd, size + 10, 0)
        probes = sorted({0, 1, PAGE - 1, PAGE, 65536, size - 1, size // 2, size // 3} - {-1})
        for off in probes:
            try:
                want: int | None = os.lseek(fd, off, os.SEEK_DATA)
            except OSError:
                want = None
            assert store.seek_data(ino, off) == want, (off, ops)
            if off < size:
                assert store.seek_hole(ino, off) == os.lseek(fd, off, os.SEEK_HOLE), (off, ops)
        assert store.check() == []
    finally:
        os.close(fd)
        os.unlink(real)
        store.close()
        for name in os.listdir(tmp_path):
            os.unlink(tmp_path / name)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_write_past_eof_into_hole_page(kind: str, path: str, lock: threading.RLock) -> None:
    """tmpfs allocates page 0 here: st_blocks 8, no hole before EOF."""
    store: Store = SqliteStore(path, lock) if kind == "sqlite" else MemoryStore()
    try:
        ino = call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1).ino
        call(store, lock, "write", ino, PAGE, b"x", 2)
        call(store, lock, "truncate", ino, 1, 3)
        call(store, lock, "write", ino, 1, b"y", 4)
        node = store.get(ino)
        assert (node.size, node.blocks) == (2, 8)
        assert (store.seek_data(ino, 0), store.seek_hole(ino, 0)) == (0, 2)
        assert store.usage() == (PAGE, 2)
    finally:
        store.close()


# -- persistence ---------------------------------------------------------------------------


def test_new_file_has_root(opener: Callable[[str], SqliteStore], path: str) -> None:
    store = opener(path)
    root = store.get(store.root_ino)
    assert (root.mode, root.nlink, root.uid, root.gid, root.size) == (0o40755, 2, 0, 0, 40)
    assert store.readdir(store.root_ino) == []
    assert store.usage() == (0, 1)
    assert store.load_config() is None
    assert store.check() == []


def test_persists_across_reopen(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    name = "caf\u00e9-\udcff"
    d = call(store, lock, "create", 1, "dir", S_IFDIR | 0o700, 5, 6, 100)
    f = call(store, lock, "create", d.ino, name, S_IFREG | 0o640, 5, 6, 101)
    call(store, lock, "write", f.ino, 0, b"hello", 102)
    call(store, lock, "write", f.ino, 200_000, b"world", 103)
    s = call(store, lock, "create", 1, "link", S_IFLNK | 0o777, 0, 0, 104, target="x" * 300)
    call(store, lock, "link", 1, "hard", f.ino, 105)
    store.save_config({"hostname": "box", "n": [1, 2]})
    before = {ino: attrs(store.get(ino)) for ino in (1, d.ino, f.ino, s.ino)}
    usage = store.usage()
    store.close()

    again = opener(path)
    assert {ino: attrs(again.get(ino)) for ino in before} == before
    assert again.usage() == usage
    assert again.readdir(1) == [
        ("hard", f.ino, S_IFREG),
        ("link", s.ino, S_IFLNK),
        ("dir", d.ino, S_IFDIR),
    ]
    assert again.readdir(d.ino) == [(name, f.ino, S_IFREG)]
    assert again.read(f.ino, 0, 10) == b"hello\0\0\0\0\0"
    assert again.read(f.ino, 199_998, 100) == b"\0\0world"
    assert again.readlink(s.ino) == "x" * 300
    assert again.load_config() == {"hostname": "box", "n": [1, 2]}
    assert again.check() == []
    # numbers are never reused, as in the memory store
    call(again, lock, "free", call(again, lock, "unlink", 1, "link", 106).ino)
    assert call(again, lock, "create", 1, "new", S_IFREG | 0o600, 0, 0, 107).ino == s.ino + 1


def test_empty_config_round_trips(opener: Callable[[str], SqliteStore], path: str) -> None:
    store = opener(path)
    store.save_config({})
    store.close()
    assert opener(path).load_config() == {}


def test_flusher_commits_idle_batch(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
    other = sqlite3.connect(path)
    try:
        names = [r[0] for r in other.execute("SELECT name FROM dentries").fetchall()]
        assert names == []  # still in the open batch
        deadline = time.monotonic() + 5
        while not names and time.monotonic() < deadline:
            time.sleep(0.1)
            names = [r[0] for r in other.execute("SELECT name FROM dentries").fetchall()]
        assert names == [b"f"]
    finally:
        other.close()


def test_sync_commits(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
    store.sync()
    other = sqlite3.connect(path)
    try:
        assert other.execute("SELECT name FROM dentries").fetchall() == [(b"f",)]
    finally:
        other.close()


def test_syscall_holds_write_lock_until_end(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    """A syscall is atomic for other processes; a read-only one lets go at end()."""
    store = opener(path)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with lock:
            store.begin()
            assert store.lookup(1, "x") is None
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            store.end()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


# -- two stores on one file ------------------------------------------------------------------


def test_two_stores_share_the_file(path: str) -> None:
    lock_a, lock_b = threading.RLock(), threading.RLock()
    a = SqliteStore(path, lock_a)
    try:
        b = SqliteStore(path, lock_b)
        try:
            f = call(a, lock_a, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
            call(a, lock_a, "write", f.ino, 0, b"from a", 2)
            a.sync()
            got = b.lookup(1, "f")
            assert got is not None and b.read(got.ino, 0, 100) == b"from a"
            assert b.usage() == a.usage()
            # b writes while a holds no batch; a sees it after b commits, even
            # what a has cached
            assert a.get(f.ino).size == 6 and a.lookup(1, "g") is None
            call(b, lock_b, "write", f.ino, 0, b"FROM B, longer", 3)
            call(b, lock_b, "create", 1, "g", S_IFDIR | 0o755, 0, 0, 4)
            b.sync()
            assert a.read(f.ino, 0, 100) == b"FROM B, longer"
            assert a.get(f.ino).size == 14 and a.lookup(1, "g") is not None
            assert [n for n, _, _ in a.readdir(1)] == ["g", "f"]
            assert a.get(1).nlink == 3
            # a write from b waits for a's open batch, which the flusher commits
            call(a, lock_a, "create", 1, "h", S_IFREG | 0o644, 0, 0, 5)
            start = time.monotonic()
            call(b, lock_b, "create", 1, "i", S_IFREG | 0o644, 0, 0, 6)
            assert time.monotonic() - start < 5
            b.sync()
            assert a.lookup(1, "i") is not None and b.lookup(1, "h") is not None
            assert a.check() == [] and b.check() == []
        finally:
            b.close()
    finally:
        a.close()


# -- orphans -----------------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _make_unlinked(store: SqliteStore, lock: threading.RLock) -> int:
    f = call(store, lock, "create", 1, "gone", S_IFREG | 0o644, 0, 0, 1)
    call(store, lock, "write", f.ino, 0, b"x" * 10_000, 2)
    assert call(store, lock, "unlink", 1, "gone", 3).nlink == 0
    ino: int = f.ino
    return ino


def _adopt(path: str, ino: int, pid: int, start: int | None) -> None:
    """Make ``ino`` an orphan of a session owned by process ``pid``."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(
                "INSERT INTO sessions(id, pid, start, opened) VALUES (?, ?, ?, 0)",
                (f"{pid}-test", pid, start),
            )
            db.execute("INSERT INTO orphans(ino, owner) VALUES (?, ?)", (ino, f"{pid}-test"))
    finally:
        db.close()


def test_orphans_of_dead_session_are_freed(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    ino = _make_unlinked(store, lock)
    store.close()
    _adopt(path, ino, _dead_pid(), None)
    again = opener(path)
    with pytest.raises(KeyError):
        again.get(ino)
    assert again.usage() == (0, 1)
    assert again.check() == []


def test_orphans_of_live_session_are_kept(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    ino = _make_unlinked(store, lock)
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        start = None
        try:
            with open(f"/proc/{proc.pid}/stat", "rb") as f:
                raw = f.read()
            start = int(raw[raw.rfind(b")") + 2 :].split()[19])
        except OSError:
            pass
        _adopt(path, ino, proc.pid, start)
        again = opener(path)
        assert again.get(ino).nlink == 0
        assert again.check() == []
        again.close()
    finally:
        proc.kill()
        proc.wait()
    third = opener(path)  # now the owner is dead
    with pytest.raises(KeyError):
        third.get(ino)


def test_orphans_of_another_store_in_this_process_are_kept(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    a = opener(path)
    ino = _make_unlinked(a, lock)
    call(a, lock, "orphan", ino)
    a.sync()
    b = opener(path)
    assert b.get(ino).nlink == 0
    a.close()  # closing frees its orphans
    with pytest.raises(KeyError):
        b.get(ino)
    assert b.check() == []


def test_killed_process_leaves_consistent_file(path: str, lock: threading.RLock) -> None:
    """kill -9 at random moments: the file is consistent and orphans are freed."""
    script = textwrap.dedent(
        f"""
        import sys, threading
        sys.path[:0] = {sys.path!r}
        from osbox.stores.sqlite import SqliteStore
        lock = threading.RLock()
        s = SqliteStore({path!r}, lock)
        def op(name, *args):
            with lock:
                s.begin()
                try:
                    return getattr(s, name)(*args)
                finally:
                    s.end()
        i = 0
        print("ready", flush=True)
        while True:
            i += 1
            f = op("create", 1, f"f{{i}}", 0o100644, 0, 0, i)
            op("write", f.ino, i * 100, b"y" * 5000, i)
            d = op("create", 1, f"d{{i}}", 0o40755, 0, 0, i)
            op("rename", 1, f"f{{i}}", d.ino, "moved", i)
            if i % 3 == 0:
                op("free", op("unlink", d.ino, "moved", i).ino)
                op("unlink", 1, f"d{{i}}", i)
                op("free", d.ino)
            elif i % 3 == 1:
                op("unlink", d.ino, "moved", i)
                op("orphan", f.ino)
            if i % 50 == 0:
                s.sync()
        """
    )
    rng = random.Random(1234)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        store = SqliteStore(path, lock)
        try:
            assert store.check() == []
            for ino in (e[1] for e in store.readdir(1)):
                assert store.get(ino).nlink >= 1
        finally:
            store.close()


# -- capacity ----------------------------------------------------------------------------------


def test_capacity_bytes(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    f = call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
    call(store, lock, "write", f.ino, 0, b"a" * 100, 2)
    store.set_capacity(2 * PAGE, None)
    call(store, lock, "write", f.ino, 100, b"b" * 8000, 3)  # 2 pages: fits exactly
    before = (attrs(store.get(f.ino)), store.usage(), store.read(f.ino, 0, 20_000))
    with pytest.raises(Capacity):
        call(store, lock, "write", f.ino, 20_000, b"c", 4)
    with pytest.raises(Capacity):
        call(store, lock, "write", f.ino, 8000, b"c" * 300, 5)  # touches one new page
    assert (attrs(store.get(f.ino)), store.usage(), store.read(f.ino, 0, 20_000)) == before
    call(store, lock, "write", f.ino, 0, b"z" * (2 * PAGE), 6)  # rewrites need no new page
    call(store, lock, "truncate", f.ino, PAGE, 7)
    call(store, lock, "write", f.ino, 2 * PAGE, b"d", 8)
    assert store.usage() == (2 * PAGE, 2)
    assert store.check() == []


def test_capacity_inodes(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    store.set_capacity(None, 3)
    call(store, lock, "create", 1, "a", S_IFREG | 0o644, 0, 0, 1)
    call(store, lock, "create", 1, "b", S_IFDIR | 0o755, 0, 0, 1)
    root = attrs(store.get(1))
    with pytest.raises(Capacity):
        call(store, lock, "create", 1, "c", S_IFREG | 0o644, 0, 0, 2)
    assert attrs(store.get(1)) == root
    assert store.lookup(1, "c") is None
    assert store.usage() == (0, 3)
    call(store, lock, "free", call(store, lock, "unlink", 1, "a", 3).ino)
    assert call(store, lock, "create", 1, "c", S_IFREG | 0o644, 0, 0, 4).ino == 4
    assert store.check() == []


# -- bad files ---------------------------------------------------------------------------------


def _assert_refused(p: str, lock: threading.RLock, words: str) -> None:
    before = sha(p)
    with pytest.raises(MachineFileError) as info:
        SqliteStore(p, lock)
    assert p in str(info.value) and words in str(info.value)
    assert sha(p) == before


def test_random_bytes_refused(path: str, lock: threading.RLock) -> None:
    Path(path).write_bytes(random.Random(7).randbytes(10_000))
    _assert_refused(path, lock, "not an SQLite database")


def test_short_file_refused(path: str, lock: threading.RLock) -> None:
    Path(path).write_bytes(b"SQLite format 3\0")
    _assert_refused(path, lock, "not an SQLite database")


def test_foreign_sqlite_refused(path: str, lock: threading.RLock) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('magic', 'something else')")
    db.close()
    _assert_refused(path, lock, "not an osbox machine")
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE notes(x)")
        db.execute("DROP TABLE meta")
    db.close()
    _assert_refused(path, lock, "not an osbox machine")


def test_newer_schema_refused(path: str, lock: threading.RLock) -> None:
    SqliteStore(path, lock).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,))
    db.close()
    _assert_refused(path, lock, f"schema_version {SCHEMA_VERSION + 1}")


def test_corrupt_machine_refused(path: str, lock: threading.RLock) -> None:
    SqliteStore(path, lock).close()
    raw = bytearray(Path(path).read_bytes())
    assert len(raw) > 2 * 4096
    raw[4096:] = b"\xa5" * (len(raw) - 4096)  # every page after the first
    Path(path).write_bytes(bytes(raw))
    _assert_refused(path, lock, "corrupt")


def test_directory_refused(tmp_path: Path, lock: threading.RLock) -> None:
    with pytest.raises(MachineFileError, match="directory"):
        SqliteStore(str(tmp_path), lock)


def test_empty_file_becomes_machine(opener: Callable[[str], SqliteStore], path: str) -> None:
    Path(path).write_bytes(b"")
    assert opener(path).get(1).nlink == 2


# -- fsck --------------------------------------------------------------------------------------


def test_check_finds_bad_nlink(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    f = call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
    d = call(store, lock, "create", 1, "d", S_IFDIR | 0o755, 0, 0, 1)
    store.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE inodes SET nlink = 5 WHERE ino = ?", (f.ino,))
        db.execute("UPDATE inodes SET nlink = 7 WHERE ino = ?", (d.ino,))
        db.execute("INSERT INTO dentries(parent, name, ino, seq) VALUES (1, x'7a', 999, 99)")
    db.close()
    problems = opener(path).check()
    assert f"inode {f.ino}: nlink 5 != 1" in problems
    assert f"inode {d.ino}: nlink 7 != 2" in problems
    assert any("missing inode 999" in p for p in problems)
    assert any("size" in p for p in problems)  # the root's size no longer matches


def test_check_finds_xattrs_of_missing_inode(
    opener: Callable[[str], SqliteStore], path: str
) -> None:
    opener(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO xattrs(ino, name, value) VALUES (999, x'752e61', x'31')")
    db.close()
    assert opener(path).check() == ["xattrs of missing inode 999"]


# -- extended attributes -------------------------------------------------------------------


def _xattr_rows(p: str) -> list[tuple[int, bytes, bytes]]:
    db = sqlite3.connect(p)
    try:
        return db.execute("SELECT ino, name, value FROM xattrs ORDER BY ino, name").fetchall()
    finally:
        db.close()


def test_xattrs_set_get_remove_persist(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    f = call(store, lock, "create", 1, "f", S_IFREG | 0o644, 0, 0, 1)
    assert store.xattrs(f.ino) == {}
    name = "user.caf\u00e9-\udcff"
    call(store, lock, "set_xattr", f.ino, name, b"one", 10)
    call(store, lock, "set_xattr", f.ino, "user.empty", b"", 11)
    call(store, lock, "set_xattr", 1, "trusted.root", b"r" * 65536, 12)
    node = store.get(f.ino)
    assert (node.ctime_ns, node.mtime_ns) == (11, 1)  # ctime only, through the cache
    assert store.xattrs(f.ino) == {name: b"one", "user.empty": b""}
    call(store, lock, "set_xattr", f.ino, name, b"two", 13)  # replace
    got = store.xattrs(f.ino)
    got["user.other"] = b"a copy"
    assert store.xattrs(f.ino) == {name: b"two", "user.empty": b""}
    call(store, lock, "set_xattr", f.ino, "user.empty", None, 14)  # remove
    call(store, lock, "set_xattr", f.ino, "user.absent", None, 15)  # nothing to remove
    assert store.get(f.ino).ctime_ns == 15
    assert store.xattrs(f.ino) == {name: b"two"}
    assert store.check() == []
    store.close()

    assert _xattr_rows(path) == [
        (1, b"trusted.root", b"r" * 65536),
        (f.ino, name.encode("utf-8", "surrogateescape"), b"two"),
    ]
    again = opener(path)
    assert again.xattrs(f.ino) == {name: b"two"}
    assert again.xattrs(1) == {"trusted.root": b"r" * 65536}
    assert again.get(f.ino).ctime_ns == 15
    assert again.check() == []


def test_xattrs_of_missing_inode_raise_key_error(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    with pytest.raises(KeyError):
        store.xattrs(999)
    with pytest.raises(KeyError):
        call(store, lock, "set_xattr", 999, "user.a", b"1", 2)
    assert store.check() == []
    store.sync()
    assert _xattr_rows(path) == []


def test_xattrs_freed_with_inode(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    store = opener(path)
    kept = call(store, lock, "create", 1, "kept", S_IFDIR | 0o755, 0, 0, 1)
    call(store, lock, "set_xattr", kept.ino, "user.k", b"k", 2)
    for name in ("d", "f", "open"):
        mode = S_IFDIR | 0o755 if name == "d" else S_IFREG | 0o644
        node = call(store, lock, "create", 1, name, mode, 0, 0, 3)
        call(store, lock, "set_xattr", node.ino, "user.a", b"1", 4)
        call(store, lock, "set_xattr", node.ino, "user.b", b"2", 4)
        call(store, lock, "unlink", 1, name, 5)
        if name == "open":
            call(store, lock, "orphan", node.ino)  # freed by close
        else:
            call(store, lock, "free", node.ino)
            with pytest.raises(KeyError):
                store.xattrs(node.ino)
    assert store.check() == []
    store.close()
    assert _xattr_rows(path) == [(kept.ino, b"user.k", b"k")]
    assert opener(path).check() == []


# -- schema migration ----------------------------------------------------------------------


def _make_v1(p: str, lock: threading.RLock) -> int:
    """A version-1 machine holding one file with data: the current schema
    without what version 2 added."""
    store = SqliteStore(p, lock)
    try:
        f = call(store, lock, "create", 1, "f", S_IFREG | 0o644, 7, 8, 1)
        call(store, lock, "write", f.ino, 0, b"v1 data", 2)
    finally:
        store.close()
    db = sqlite3.connect(p)
    with db:
        db.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
        db.execute("DROP TABLE xattrs")
    db.close()
    ino: int = f.ino
    return ino


def _meta_version(p: str) -> Any:
    db = sqlite3.connect(p)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        db.close()


def test_v1_file_is_upgraded(
    opener: Callable[[str], SqliteStore], path: str, lock: threading.RLock
) -> None:
    assert SCHEMA_VERSION >= 2
    ino = _make_v1(path, lock)
    assert _meta_version(path) == 1
    store = opener(path)
    assert _meta_version(path) == SCHEMA_VERSION  # committed at open
    assert store.read(ino, 0, 100) == b"v1 data"
    assert (store.get(ino).uid, store.usage()) == (7, (PAGE, 2))
    assert store.xattrs(ino) == {}
    call(store, lock, "set_xattr", ino, "user.new", b"after upgrade", 3)
    assert store.check() == []
    store.close()
    again = opener(path)
    assert again.xattrs(ino) == {"user.new": b"after upgrade"}
    assert again.check() == []
    assert _meta_version(path) == SCHEMA_VERSION


def test_v1_file_is_verified_before_upgrading(path: str, lock: threading.RLock) -> None:
    _make_v1(path, lock)
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TABLE orphans")
    db.close()
    _assert_refused(path, lock, "corrupt machine file")  # untouched: still version 1
    assert _meta_version(path) == 1
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE orphans(ino INTEGER PRIMARY KEY, owner TEXT NOT NULL)")
        db.execute("UPDATE meta SET value = 'osbox?' WHERE key = 'magic'")
    db.close()
    _assert_refused(path, lock, "not an osbox machine")
