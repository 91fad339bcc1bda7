"""The SQLite store: a whole machine in one SQLite file.

Layout (``SCHEMA_VERSION`` 1):

* ``meta(key, value)``: ``magic``, ``schema_version`` and running totals kept
  so ``usage`` is O(1): ``bytes`` (allocated data pages * 4096), ``inodes``,
  ``next_ino`` (inode numbers are never reused, as in the memory store) and
  ``dseq`` (the last dentry sequence number handed out). The file header's
  ``application_id`` is ``APPLICATION_ID`` as well.
* ``inodes``: one row per inode, ``target`` holding a symlink's target bytes.
* ``dentries(parent, name, ino, seq)``: ``name`` is the surrogateescape UTF-8
  encoding of the name. ``seq`` grows with every link or rename, so
  ``readdir`` lists newest first by sorting on it. (There is no index on
  ``(parent, seq)``: it would cost every create, unlink and rename a second
  b-tree update to speed up only ``readdir``, which sorts in C anyway.)
* ``chunks(ino, idx, mask, data)``: file data in 64 KiB chunks. Bit ``i`` of
  ``mask`` says page ``i`` (4096 bytes) of the chunk is allocated; a chunk row
  exists only while its mask is non-zero. ``data`` is trimmed after the last
  byte written in the chunk; bytes past it and bytes of unallocated pages
  read as zeros. It is a rowid table with a unique ``(ino, idx)`` index, not
  ``WITHOUT ROWID``, because a ``WITHOUT ROWID`` b-tree would also copy 64 KiB
  rows into its interior pages.
* ``orphans(ino, owner)``: unlinked inodes still open in session ``owner``.
* ``sessions(id, pid, start, opened)``: processes that own orphans; ``start``
  is the process start time from ``/proc`` (to notice a reused pid).
* ``config(key, value)``: the machine configuration as JSON.

Durability: the connection runs in autocommit mode. The first change of a
batch runs ``BEGIN IMMEDIATE``; the batch is committed by ``end`` once it is a
second old, by a flusher thread (holding the machine lock) when the process
goes idle, and by ``sync`` and ``close``. Commits only happen outside
``begin``/``end``, so a crash loses at most the last second and never leaves
half of a syscall. While a batch is open this process holds SQLite's write
lock; other processes sharing the file wait for it (``busy_timeout``).
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import sqlite3
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Iterable
from stat import S_IFDIR, S_IFLNK, S_IFREG, S_ISDIR
from types import TracebackType
from typing import Any, ClassVar

from .base import DIRENT_SIZE, PAGE, Capacity, Inode, Store, dir_size, symlink_blocks
from .errors import MachineFileError

__all__ = ["MAGIC", "SCHEMA_VERSION", "SqliteStore"]

MAGIC = "osbox machine"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x6F73626F  # "osbo"
CHUNK = 65536
CHUNK_PAGES = CHUNK // PAGE
FULL_MASK = (1 << CHUNK_PAGES) - 1
FLUSH_INTERVAL = 1.0
CACHE_LIMIT = 50_000  # cached inodes (and dentries) before the caches start over
BUSY_TIMEOUT = 10.0

_FMT = 0o170000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CONFIG_KEY = "machine"
_TABLES = ("meta", "inodes", "dentries", "chunks", "orphans", "sessions", "config")

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE inodes(
    ino INTEGER PRIMARY KEY,
    mode INTEGER NOT NULL,
    nlink INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    size INTEGER NOT NULL,
    atime INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    ctime INTEGER NOT NULL,
    rdev INTEGER NOT NULL,
    blocks INTEGER NOT NULL,
    target BLOB,
    parent INTEGER
);
CREATE TABLE dentries(
    parent INTEGER NOT NULL,
    name BLOB NOT NULL,
    ino INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY(parent, name)
) WITHOUT ROWID;
CREATE TABLE chunks(
    ino INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    mask INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX chunks_key ON chunks(ino, idx);
CREATE TABLE orphans(ino INTEGER PRIMARY KEY, owner TEXT NOT NULL);
CREATE TABLE sessions(
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    start INTEGER,
    opened INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
PRAGMA application_id = {APPLICATION_ID};
"""

_COLS = "ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks"
_ICOLS = ", ".join("i." + c.strip() for c in _COLS.split(","))

_GET = f"SELECT {_COLS} FROM inodes WHERE ino = ?"
_LOOKUP = (
    f"SELECT {_ICOLS} FROM dentries d JOIN inodes i ON i.ino = d.ino "
    "WHERE d.parent = ? AND d.name = ?"
)
_READDIR = (
    "SELECT d.name, d.ino, i.mode FROM dentries d JOIN inodes i ON i.ino = d.ino "
    "WHERE d.parent = ? ORDER BY d.seq DESC"
)
_NAMES = "SELECT name FROM dentries WHERE parent = ? ORDER BY seq DESC"
_IS_EMPTY = "SELECT EXISTS(SELECT 1 FROM dentries WHERE parent = ?1) FROM inodes WHERE ino = ?1"
_ADD_ENTRY = (
    "UPDATE inodes SET size = size + ?1, nlink = nlink + ?2, mtime = ?3, ctime = ?3 WHERE ino = ?4"
)
_NEW_INODE = (
    "INSERT INTO inodes(ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks, "
    "target, parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?8, ?9, ?10, ?11)"
)
_NEW_DENTRY = "INSERT INTO dentries(parent, name, ino, seq) VALUES (?, ?, ?, ?)"
_DEL_DENTRY = "DELETE FROM dentries WHERE parent = ? AND name = ?"
_SET_LINKS = "UPDATE inodes SET nlink = ?, ctime = ? WHERE ino = ?"
_MOVE_DENTRY = (
    "UPDATE dentries SET parent = ?1, name = ?2, seq = ?3 WHERE parent = ?4 AND name = ?5"
)
_SET_CTIME = "UPDATE inodes SET ctime = ? WHERE ino = ?"
_SET_CTIME_PARENT = "UPDATE inodes SET ctime = ?, parent = ? WHERE ino = ?"
_MOVE_PARENTS = (
    "UPDATE inodes SET size = size + CASE ino WHEN ?1 THEN -?3 ELSE ?3 END, "
    "nlink = nlink + CASE ino WHEN ?1 THEN -?4 ELSE ?4 END, mtime = ?5, ctime = ?5 "
    "WHERE ino IN (?1, ?2)"
)
_GAIN_LINK = "UPDATE inodes SET nlink = nlink + 1, ctime = ? WHERE ino = ?"
_TOUCH_DIR = "UPDATE inodes SET mtime = ?1, ctime = ?1 WHERE ino = ?2"
_READ = (
    "SELECT i.size, c.idx, c.data FROM inodes i "
    "LEFT JOIN chunks c ON c.ino = i.ino AND c.idx BETWEEN ?2 AND ?3 "
    "WHERE i.ino = ?1 ORDER BY c.idx"
)
_READ_CHUNKS = "SELECT idx, data FROM chunks WHERE ino = ? AND idx BETWEEN ? AND ? ORDER BY idx"
_WRITE_OLD = (
    "SELECT idx, mask, CASE WHEN idx = ?2 OR idx = ?3 THEN data END FROM chunks "
    "WHERE ino = ?1 AND idx BETWEEN ?2 AND ?3"
)
_WRITE_INODE = (
    "UPDATE inodes SET size = max(size, ?1), blocks = blocks + ?2, mtime = ?3, ctime = ?3 "
    "WHERE ino = ?4"
)
_UPSERT_CHUNK = (
    "INSERT INTO chunks(ino, idx, mask, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(ino, idx) DO UPDATE SET mask = excluded.mask, data = excluded.data"
)
_TRUNC_OLD = (
    "SELECT idx, mask, CASE WHEN idx = ?2 THEN data END FROM chunks WHERE ino = ?1 AND idx >= ?2"
)
_TRUNC_INODE = (
    "UPDATE inodes SET size = ?1, blocks = blocks - ?2, mtime = ?3, ctime = ?3 WHERE ino = ?4"
)
_TOTALS = "SELECT key, value FROM meta WHERE key IN ('bytes', 'inodes', 'next_ino', 'dseq')"
_SAVE_TOTALS = (
    "UPDATE meta SET value = CASE key WHEN 'bytes' THEN ?1 WHEN 'inodes' THEN ?2 "
    "WHEN 'next_ino' THEN ?3 ELSE ?4 END WHERE key IN ('bytes', 'inodes', 'next_ino', 'dseq')"
)

# UPDATE statements for each combination of columns setattr changes.
_SETATTR_COLUMNS = ("mode", "uid", "gid", "atime", "mtime", "ctime")
_SETATTR: dict[tuple[bool, ...], str] = {}

# Session ids created by this process; a session row with our pid but an id
# not in here belongs to an earlier process that had the same pid.
_LIVE_SESSIONS: set[str] = set()


def _pages(n: int) -> int:
    return (n + PAGE - 1) // PAGE


def _enc(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def _dec(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _inode(row: Iterable[Any]) -> Inode:
    node = Inode()
    (
        node.ino,
        node.mode,
        node.nlink,
        node.uid,
        node.gid,
        node.size,
        node.atime_ns,
        node.mtime_ns,
        node.ctime_ns,
        node.rdev,
        node.blocks,
    ) = row
    return node


def _proc_start(pid: int) -> int | None:
    """Start time of process ``pid`` in clock ticks since boot (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _session_dead(sid: str, pid: int, start: int | None) -> bool:
    """Whether the process that owned session ``sid`` is gone."""
    if pid <= 0:
        return True
    if pid == os.getpid():
        return sid not in _LIVE_SESSIONS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # EPERM: it exists, owned by someone else
    if start is not None:
        now = _proc_start(pid)
        if now is not None and now != start:
            return True  # the pid was reused
    return False


class _Mutation:
    """``with store._mut:`` holds the machine lock, opens the batch if needed
    and, if SQLite fails midway, rolls the batch back so no half-applied
    operation is ever committed. (The hot methods inline the same steps.)"""

    __slots__ = ("_store",)

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if not store._writing:
            try:
                store._start_batch()
            except BaseException:
                store._lock.release()
                raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            if exc_type is not None and issubclass(exc_type, sqlite3.Error):
                store._abort()
        finally:
            store._lock.release()


class SqliteStore(Store):
    """An inode store kept in one SQLite file at ``path``.

    ``lock`` is the machine lock: the kernel holds it around every call, and
    the store's flusher thread takes it before committing. Every method also
    takes it itself, so a caller that forgets cannot interleave with the
    flusher.

    Transactions: between ``begin`` and ``end`` the first call opens one with
    ``BEGIN IMMEDIATE`` even if it only reads, so each syscall is atomic with
    respect to other processes sharing the file; ``end`` commits it at once
    if nothing changed. A change turns it into a batch, committed as the
    module docstring says. Reads outside ``begin``/``end`` and outside a batch
    run in autocommit mode.

    Caches: the store remembers the inodes and dentries it has read or
    written (``CACHE``; up to ``CACHE_LIMIT`` of each, then it starts over).
    Its own changes keep them current, across its own commits too. Whether
    another connection committed is asked of ``PRAGMA data_version`` when a
    transaction opens (while one is open nobody else can commit) and before
    each cached read outside a transaction; if so the caches are dropped. So
    changes that other processes committed are always seen.
    """

    CACHE: ClassVar[bool] = True

    def __init__(self, path: str, lock: threading.RLock) -> None:
        self.path = path
        self.root_ino = 1
        self._lock = lock
        self._mut = _Mutation(self)
        self._in_tx = False  # a transaction is open (read-only or a batch)
        self._writing = False  # ... and it is a batch of changes
        self._tx_start = 0.0
        self._depth = 0
        self._dirty = False
        self._bytes = 0
        self._inodes = 0
        self._dseq = 0
        self._next_ino = 0
        self._caching = self.CACHE
        self._valid = False  # the caches are known current (a transaction is open)
        self._dv: int | None = None  # PRAGMA data_version the caches match
        self._icache: dict[int, Inode] = {}
        self._dcache: dict[tuple[int, bytes], int] = {}  # 0: no such entry
        self._max_bytes: int | None = None
        self._max_inodes: int | None = None
        self._closed = False
        self._flush_error: BaseException | None = None
        self._session = f"{os.getpid()}-{secrets.token_hex(8)}"
        self._session_saved = False
        self._orphans: set[int] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        with lock:
            self._db = _open(path)
            # One cursor for the hot paths: each execute resets the previous
            # statement, so no read snapshot outlives a call.
            self._ex = self._db.cursor().execute
            try:
                _LIVE_SESSIONS.add(self._session)
                self._reap_dead_sessions()
            except BaseException:
                _LIVE_SESSIONS.discard(self._session)
                self._db.close()
                raise
        ref = weakref.ref(self)
        self._thread = threading.Thread(
            target=_flusher,
            args=(ref, lock, self._wake, self._stop),
            name=f"osbox-flusher:{os.path.basename(path)}",
            daemon=True,
        )
        self._thread.start()
        self._atexit: Callable[[], None] = _make_atexit(ref, lock)
        atexit.register(self._atexit)
        weakref.finalize(self, _shutdown, self._wake, self._stop)

    # -- batches ---------------------------------------------------------------
    def _start_reads(self) -> None:
        """Inside ``begin``/``end``, the first call opens a transaction (taking
        SQLite's write lock, so the whole syscall is atomic with respect to
        other processes); ``end`` commits it at once unless it changed
        something."""
        if self._closed:
            raise ValueError("store is closed")
        self._db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        if self._caching:
            self._revalidate()
            self._valid = True

    def _start_batch(self) -> None:
        """Make the open transaction (opening one if needed) a batch of
        changes: load the running totals and start the flush timer."""
        if not self._in_tx:
            self._start_reads()
        db = self._db
        try:
            totals = dict(db.execute(_TOTALS).fetchall())
        except BaseException:
            self._abort()
            raise
        self._bytes = totals["bytes"]
        self._inodes = totals["inodes"]
        self._dseq = totals["dseq"]
        self._next_ino = totals["next_ino"]
        self._dirty = False
        self._writing = True
        self._tx_start = time.monotonic()
        self._wake.set()

    def _revalidate(self) -> None:
        """Drop the caches if another connection committed since they were
        filled (our own commits keep them current)."""
        (version,) = self._ex("PRAGMA data_version").fetchone()
        if version != self._dv:
            self._icache.clear()
            self._dcache.clear()
            self._dv = version

    def _reading(self) -> None:
        """Before a read that uses the caches: make sure they are current."""
        if not self._in_tx:
            if self._depth:
                self._start_reads()
            elif self._caching:
                self._revalidate()

    def _forget(self) -> None:
        self._valid = False
        self._dv = None
        self._icache.clear()
        self._dcache.clear()

    def _commit(self) -> None:
        if not self._in_tx:
            return
        db = self._db
        self._valid = False
        try:
            if self._dirty:
                db.execute(_SAVE_TOTALS, (self._bytes, self._inodes, self._next_ino, self._dseq))
            db.execute("COMMIT")
        except sqlite3.Error:
            if not db.in_transaction:  # SQLite rolled it back
                self._in_tx = self._writing = False
                self._forget()
            raise
        self._in_tx = self._writing = False
        self._dirty = False

    def _abort(self) -> None:
        """Roll back the open batch after SQLite failed inside an operation."""
        db = self._db
        self._in_tx = self._writing = False
        self._forget()
        if db.in_transaction:
            db.execute("ROLLBACK")
        rows = db.execute("SELECT ino FROM orphans WHERE owner = ?", (self._session,))
        self._orphans = {ino for (ino,) in rows.fetchall()}
        found = db.execute("SELECT 1 FROM sessions WHERE id = ?", (self._session,)).fetchall()
        self._session_saved = bool(found)

    def _flush_if_due(self) -> float | None:
        """Flusher thread, holding the lock: commit a batch that is due.
        Return the seconds until the open batch is due, or None."""
        if self._closed or not self._writing:
            self._wake.clear()
            return None
        left = self._tx_start + FLUSH_INTERVAL - time.monotonic()
        if left > 0:
            return left
        if self._depth:
            return 0.01  # a caller runs without the lock; wait for its end()
        try:
            self._commit()
        except BaseException as exc:  # reported by the next end() or sync()
            self._flush_error = exc
        self._wake.clear()
        return None

    def _raise_flush_error(self) -> None:
        exc = self._flush_error
        if exc is not None:
            self._flush_error = None
            raise exc

    def begin(self) -> None:
        self._depth += 1

    def end(self) -> None:
        self._depth -= 1
        if self._flush_error is not None:
            self._raise_flush_error()
        if self._in_tx and not self._depth:
            if not self._writing or time.monotonic() - self._tx_start >= FLUSH_INTERVAL:
                with self._lock:
                    self._commit()

    def sync(self) -> None:
        with self._lock:
            self._raise_flush_error()
            self._commit()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if self._orphans or self._session_saved:
                    with self._mut:
                        for ino in sorted(self._orphans):
                            self._free(ino)
                        self._db.execute("DELETE FROM sessions WHERE id = ?", (self._session,))
                        self._session_saved = False
                self._commit()
            finally:
                self._closed = True
                self._forget()
                _LIVE_SESSIONS.discard(self._session)
                atexit.unregister(self._atexit)
                self._stop.set()
                self._wake.set()
                self._db.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(5.0)

    # -- configuration and accounting --------------------------------------------
    def load_config(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._ex("SELECT value FROM config WHERE key = ?", (_CONFIG_KEY,)).fetchone()
        if row is None:
            return None
        config: dict[str, Any] = json.loads(row[0])
        return config

    def save_config(self, config: dict[str, Any]) -> None:
        text = json.dumps(config, sort_keys=True)
        with self._mut:
            self._ex("INSERT OR REPLACE INTO config(key, value) VALUES (?, ?)", (_CONFIG_KEY, text))

    def set_capacity(self, max_bytes: int | None, max_inodes: int | None) -> None:
        self._max_bytes = max_bytes
        self._max_inodes = max_inodes

    def usage(self) -> tuple[int, int]:
        with self._lock:
            if self._writing:
                return self._bytes, self._inodes
            totals = dict(self._ex(_TOTALS).fetchall())
        return totals["bytes"], totals["inodes"]

    # -- inodes and dentries -------------------------------------------------------
    def _load(self, ino: int) -> Inode:
        row = self._ex(_GET, (ino,)).fetchone()
        if row is None:
            raise KeyError(ino)
        node = _inode(row)
        if self._caching:
            if len(self._icache) >= CACHE_LIMIT:
                self._icache.clear()
                self._dcache.clear()
            self._icache[ino] = node
        return node

    def _entry(self, dir_ino: int, raw_name: bytes) -> Inode | None:
        """The inode ``raw_name`` names in ``dir_ino``, through the caches."""
        key = (dir_ino, raw_name)
        if self._caching:
            ino = self._dcache.get(key)
            if ino is not None:
                return (self._icache.get(ino) or self._load(ino)) if ino else None
        row = self._ex(_LOOKUP, key).fetchone()
        node = None if row is None else _inode(row)
        if self._caching:
            if len(self._dcache) >= CACHE_LIMIT:
                self._icache.clear()
                self._dcache.clear()
            if node is None:
                self._dcache[key] = 0
            else:
                self._dcache[key] = node.ino
                self._icache[node.ino] = node
        return node

    def _dir_changed(self, dir_ino: int, dsize: int, dlinks: int, now: int) -> None:
        """Update a cached directory after an entry came or went."""
        d = self._icache.get(dir_ino)
        if d is not None:
            self._icache[dir_ino] = _inode(
                (d.ino, d.mode, d.nlink + dlinks, d.uid, d.gid, d.size + dsize)
                + (d.atime_ns, now, now, d.rdev, d.blocks)
            )

    def get(self, ino: int) -> Inode:
        if self._valid:  # inside a transaction, without taking the lock again
            node = self._icache.get(ino)
            if node is not None:
                return node
        with self._lock:
            self._reading()
            node = self._icache.get(ino)
            return self._load(ino) if node is None else node

    def lookup(self, dir_ino: int, name: str) -> Inode | None:
        raw_name = name.encode("utf-8", "surrogateescape")
        if self._valid:  # inside a transaction, without taking the lock again
            ino = self._dcache.get((dir_ino, raw_name))
            if ino is not None:
                node = self._icache.get(ino) if ino else None
                if node is not None or not ino:
                    return node
        with self._lock:
            self._reading()
            return self._entry(dir_ino, raw_name)

    def names(self, dir_ino: int) -> list[str]:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            rows = self._ex(_NAMES, (dir_ino,)).fetchall()
        return [_dec(name) for (name,) in rows]

    def parent(self, dir_ino: int) -> int:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            row = self._ex("SELECT parent FROM inodes WHERE ino = ?", (dir_ino,)).fetchone()
        if row is None:
            raise KeyError(dir_ino)
        up: int = row[0]
        return up

    def readdir(self, dir_ino: int) -> list[tuple[str, int, int]]:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            rows = self._ex(_READDIR, (dir_ino,)).fetchall()
        return [(_dec(name), ino, mode & _FMT) for name, ino, mode in rows]

    def is_empty(self, dir_ino: int) -> bool:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            row = self._ex(_IS_EMPTY, (dir_ino,)).fetchone()
        if row is None:
            raise KeyError(dir_ino)
        return not row[0]

    def create(
        self,
        dir_ino: int,
        name: str,
        mode: int,
        uid: int,
        gid: int,
        now: int,
        rdev: int = 0,
        target: str | None = None,
    ) -> Inode:
        kind = mode & _FMT
        raw_target: bytes | None = None
        nlink = 1
        size = blocks = 0
        if kind == S_IFDIR:
            nlink = 2
            size = dir_size(0)
        elif kind == S_IFLNK:
            assert target is not None
            raw_target = _enc(target)
            size = len(raw_target)
            blocks = symlink_blocks(size)
        up = dir_ino if kind == S_IFDIR else None
        raw_name = _enc(name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            if self._max_inodes is not None and self._inodes >= self._max_inodes:
                raise Capacity()
            ex = self._ex
            ino = self._next_ino
            try:
                if ex(_ADD_ENTRY, (DIRENT_SIZE, nlink - 1, now, dir_ino)).rowcount != 1:
                    raise KeyError(dir_ino)
                ex(
                    _NEW_INODE,
                    (ino, mode, nlink, uid, gid, size, now, rdev, blocks, raw_target, up),
                )
                self._dseq += 1
                ex(_NEW_DENTRY, (dir_ino, raw_name, ino, self._dseq))
            except sqlite3.Error:
                self._abort()
                raise
            self._next_ino = ino + 1
            self._inodes += 1
            self._dirty = True
            node = _inode((ino, mode, nlink, uid, gid, size, now, now, now, rdev, blocks))
            if self._caching:
                self._icache[ino] = node
                self._dcache[(dir_ino, raw_name)] = ino
                self._dir_changed(dir_ino, DIRENT_SIZE, nlink - 1, now)
        return node

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        raw_name = _enc(name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            try:
                if ex(_GAIN_LINK, (now, ino)).rowcount != 1:
                    raise KeyError(ino)
                if ex(_ADD_ENTRY, (DIRENT_SIZE, 0, now, dir_ino)).rowcount != 1:
                    raise KeyError(dir_ino)
                self._dseq += 1
                self._dirty = True
                ex(_NEW_DENTRY, (dir_ino, raw_name, ino, self._dseq))
            except sqlite3.Error:
                self._abort()
                raise
            if self._caching:
                n = self._icache.get(ino)
                if n is not None:
                    self._icache[ino] = _inode(
                        (n.ino, n.mode, n.nlink + 1, n.uid, n.gid, n.size, n.atime_ns)
                        + (n.mtime_ns, now, n.rdev, n.blocks)
                    )
                self._dcache[(dir_ino, raw_name)] = ino
                self._dir_changed(dir_ino, DIRENT_SIZE, 0, now)

    def unlink(self, dir_ino: int, name: str, now: int) -> Inode:
        raw_name = _enc(name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            try:
                n = self._entry(dir_ino, raw_name)
                if n is None:
                    raise KeyError(name)
                is_dir = n.mode & _FMT == S_IFDIR
                nlink = 0 if is_dir else n.nlink - 1
                ex(_DEL_DENTRY, (dir_ino, raw_name))
                ex(_SET_LINKS, (nlink, now, n.ino))
                ex(_ADD_ENTRY, (-DIRENT_SIZE, -is_dir, now, dir_ino))
            except sqlite3.Error:
                self._abort()
                raise
            node = _inode(
                (n.ino, n.mode, nlink, n.uid, n.gid, n.size, n.atime_ns, n.mtime_ns, now)
                + (n.rdev, n.blocks)
            )
            if self._caching:
                self._icache[n.ino] = node
                self._dcache[(dir_ino, raw_name)] = 0
                self._dir_changed(dir_ino, -DIRENT_SIZE, -is_dir, now)
        return node

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        raw_src = _enc(src_name)
        raw_dst = _enc(dst_name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            try:
                n = self._entry(src_dir, raw_src)
                if n is None:
                    raise KeyError(src_name)
                moved_dir = n.mode & _FMT == S_IFDIR
                self._dseq += 1
                self._dirty = True
                ex(_MOVE_DENTRY, (dst_dir, raw_dst, self._dseq, src_dir, raw_src))
                if moved_dir and src_dir != dst_dir:
                    ex(_SET_CTIME_PARENT, (now, dst_dir, n.ino))
                else:
                    ex(_SET_CTIME, (now, n.ino))
                if src_dir == dst_dir:
                    ex(_TOUCH_DIR, (now, src_dir))
                else:
                    ex(_MOVE_PARENTS, (src_dir, dst_dir, DIRENT_SIZE, moved_dir, now))
            except sqlite3.Error:
                self._abort()
                raise
            if self._caching:
                self._icache[n.ino] = _inode(
                    (n.ino, n.mode, n.nlink, n.uid, n.gid, n.size, n.atime_ns, n.mtime_ns, now)
                    + (n.rdev, n.blocks)
                )
                self._dcache[(src_dir, raw_src)] = 0
                self._dcache[(dst_dir, raw_dst)] = n.ino
                if src_dir == dst_dir:
                    self._dir_changed(src_dir, 0, 0, now)
                else:
                    self._dir_changed(src_dir, -DIRENT_SIZE, -moved_dir, now)
                    self._dir_changed(dst_dir, DIRENT_SIZE, moved_dir, now)

    def _free(self, ino: int) -> None:
        ex = self._ex
        cached = self._icache.pop(ino, None)
        if cached is not None:
            mode, blocks = cached.mode, cached.blocks
        else:
            row = ex("SELECT mode, blocks FROM inodes WHERE ino = ?", (ino,)).fetchone()
            if row is None:
                raise KeyError(ino)
            mode, blocks = row
        ex("DELETE FROM inodes WHERE ino = ?", (ino,))
        if mode & _FMT == S_IFREG and blocks:
            ex("DELETE FROM chunks WHERE ino = ?", (ino,))
            self._bytes -= blocks * 512
        self._inodes -= 1
        self._dirty = True
        if ino in self._orphans:
            self._orphans.discard(ino)
            ex("DELETE FROM orphans WHERE ino = ?", (ino,))

    def free(self, ino: int) -> None:
        with self._lock:
            if not self._writing:
                self._start_batch()
            try:
                self._free(ino)
            except sqlite3.Error:
                self._abort()
                raise

    def orphan(self, ino: int) -> None:
        with self._mut:
            ex = self._ex
            if not self._session_saved:
                pid = os.getpid()
                ex(
                    "INSERT OR REPLACE INTO sessions(id, pid, start, opened) VALUES (?, ?, ?, ?)",
                    (self._session, pid, _proc_start(pid), time.time_ns()),
                )
                self._session_saved = True
            ex("INSERT OR REPLACE INTO orphans(ino, owner) VALUES (?, ?)", (ino, self._session))
            self._orphans.add(ino)

    def _reap_dead_sessions(self) -> None:
        """Free the orphans of sessions whose process is gone (on open)."""
        db = self._db
        sessions = db.execute("SELECT id, pid, start FROM sessions").fetchall()
        dead = [sid for sid, pid, start in sessions if _session_dead(sid, pid, start)]
        stray = db.execute(
            "SELECT ino FROM orphans WHERE owner NOT IN (SELECT id FROM sessions)"
        ).fetchall()
        if not dead and not stray:
            return
        with self._mut:
            inos = [ino for (ino,) in stray]
            for sid in dead:
                rows = db.execute("SELECT ino FROM orphans WHERE owner = ?", (sid,)).fetchall()
                inos.extend(ino for (ino,) in rows)
            for ino in inos:
                self._orphans.add(ino)  # so _free drops the orphan row
                try:
                    self._free(ino)
                except KeyError:
                    self._orphans.discard(ino)
                    db.execute("DELETE FROM orphans WHERE ino = ?", (ino,))
            db.executemany("DELETE FROM sessions WHERE id = ?", [(sid,) for sid in dead])
        self._commit()

    def setattr(
        self,
        ino: int,
        *,
        mode: int | None = None,
        uid: int | None = None,
        gid: int | None = None,
        atime_ns: int | None = None,
        mtime_ns: int | None = None,
        ctime_ns: int | None = None,
    ) -> None:
        changes = (mode, uid, gid, atime_ns, mtime_ns, ctime_ns)
        key = (
            mode is not None,
            uid is not None,
            gid is not None,
            atime_ns is not None,
            mtime_ns is not None,
            ctime_ns is not None,
        )
        sql = _SETATTR.get(key)
        if sql is None:
            sets = ", ".join(f"{c} = ?" for c, on in zip(_SETATTR_COLUMNS, key, strict=True) if on)
            sql = _SETATTR[key] = f"UPDATE inodes SET {sets} WHERE ino = ?" if sets else ""
        if not sql:
            self.get(ino)
            return
        args = [value for value in changes if value is not None]
        args.append(ino)
        with self._lock:
            if not self._writing:
                self._start_batch()
            try:
                if self._ex(sql, args).rowcount != 1:
                    raise KeyError(ino)
            except sqlite3.Error:
                self._abort()
                raise
            n = self._icache.get(ino)
            if n is not None:
                self._icache[ino] = _inode(
                    (
                        ino,
                        n.mode if mode is None else mode,
                        n.nlink,
                        n.uid if uid is None else uid,
                        n.gid if gid is None else gid,
                        n.size,
                        n.atime_ns if atime_ns is None else atime_ns,
                        n.mtime_ns if mtime_ns is None else mtime_ns,
                        n.ctime_ns if ctime_ns is None else ctime_ns,
                        n.rdev,
                        n.blocks,
                    )
                )

    # -- data ----------------------------------------------------------------------
    def read(self, ino: int, offset: int, size: int) -> bytes:
        end = offset + max(size, 0)
        chunks: list[tuple[int, bytes]]
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            n = self._icache.get(ino) if self._valid else None
            if n is not None:  # size known: fetch only the chunks below EOF
                end = min(end, n.size)
                if end <= offset:
                    return b""
                if not n.blocks:
                    return bytes(end - offset)
                span = (ino, offset // CHUNK, (end - 1) // CHUNK)
                chunks = self._ex(_READ_CHUNKS, span).fetchall()
            else:
                first = offset // CHUNK
                rows = self._ex(_READ, (ino, first, max(first, (end - 1) // CHUNK))).fetchall()
                if not rows:
                    raise KeyError(ino)
                end = min(end, rows[0][0])
                if end <= offset:
                    return b""
                chunks = [(idx, data) for _size, idx, data in rows if idx is not None]
        if len(chunks) == 1:
            idx, data = chunks[0]
            base = idx * CHUNK
            if base <= offset and end <= base + len(data):
                return data[offset - base : end - base]
        out = bytearray(end - offset)
        for idx, data in chunks:
            base = idx * CHUNK
            lo = max(offset, base)
            hi = min(end, base + len(data))
            if hi > lo:
                out[lo - offset : hi - offset] = data[lo - base : hi - base]
        return bytes(out)

    def write(self, ino: int, offset: int, data: bytes, now: int) -> None:
        end = offset + len(data)
        first = offset // CHUNK
        last = (end - 1) // CHUNK
        view = memoryview(data)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            n = self._icache.get(ino)
            try:
                if n is not None and not n.blocks:
                    old = {}  # no pages allocated, so no chunks
                else:
                    old = {
                        idx: (mask, raw) for idx, mask, raw in ex(_WRITE_OLD, (ino, first, last))
                    }
                new_pages = 0
                chunks: list[tuple[int, int, int, Any]] = []
                for idx in range(first, last + 1):
                    base = idx * CHUNK
                    lo = max(offset, base) - base
                    hi = min(end, base + CHUNK) - base
                    bits = ((1 << ((hi - 1) // PAGE + 1)) - 1) ^ ((1 << (lo // PAGE)) - 1)
                    piece = view[base + lo - offset : base + hi - offset]
                    prev = old.get(idx)
                    blob: Any
                    if prev is None:
                        mask = bits
                        blob = bytes(lo) + piece if lo else piece
                    else:
                        prev_mask, prev_data = prev
                        mask = prev_mask | bits
                        new_pages -= prev_mask.bit_count()
                        if prev_data is None or (lo == 0 and hi >= len(prev_data)):
                            blob = piece
                        else:
                            buf = bytearray(prev_data)
                            if len(buf) < lo:
                                buf.extend(bytes(lo - len(buf)))
                            buf[lo:hi] = piece
                            blob = buf
                    new_pages += mask.bit_count()
                    chunks.append((ino, idx, mask, blob))
                grow = new_pages * PAGE
                if grow and self._max_bytes is not None and self._bytes + grow > self._max_bytes:
                    raise Capacity()
                if ex(_WRITE_INODE, (end, new_pages * 8, now, ino)).rowcount != 1:
                    raise KeyError(ino)
                if len(chunks) == 1:
                    ex(_UPSERT_CHUNK, chunks[0])
                else:
                    self._db.executemany(_UPSERT_CHUNK, chunks)
            except sqlite3.Error:
                self._abort()
                raise
            if grow:
                self._bytes += grow
                self._dirty = True
            if n is not None:
                self._icache[ino] = _inode(
                    (n.ino, n.mode, n.nlink, n.uid, n.gid, max(n.size, end), n.atime_ns, now)
                    + (now, n.rdev, n.blocks + new_pages * 8)
                )

    def truncate(self, ino: int, size: int, now: int) -> None:
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            n = self._icache.get(ino)
            try:
                if n is not None:
                    old_size, blocks = n.size, n.blocks
                else:
                    row = ex("SELECT size, blocks FROM inodes WHERE ino = ?", (ino,)).fetchone()
                    if row is None:
                        raise KeyError(ino)
                    old_size, blocks = row
                freed = 0
                if size < old_size and blocks:
                    freed = self._drop_chunks(ino, size)
                ex(_TRUNC_INODE, (size, freed * 8, now, ino))
            except sqlite3.Error:
                self._abort()
                raise
            if freed:
                self._bytes -= freed * PAGE
                self._dirty = True
            if n is not None:
                self._icache[ino] = _inode(
                    (n.ino, n.mode, n.nlink, n.uid, n.gid, size, n.atime_ns, now, now, n.rdev)
                    + (n.blocks - freed * 8,)
                )

    def _drop_chunks(self, ino: int, size: int) -> int:
        """Drop data at and after ``size``; return the number of pages freed."""
        ex = self._ex
        keep_chunk = (size - 1) // CHUNK  # -1 when size is 0
        freed = 0
        drop_after = False
        for idx, mask, data in ex(_TRUNC_OLD, (ino, keep_chunk)).fetchall():
            if idx > keep_chunk:
                freed += mask.bit_count()
                drop_after = True
                continue
            keep = _pages(size) - idx * CHUNK_PAGES
            new_mask = mask & ((1 << keep) - 1)
            freed += mask.bit_count() - new_mask.bit_count()
            cut = size - idx * CHUNK
            if not new_mask:
                ex("DELETE FROM chunks WHERE ino = ? AND idx = ?", (ino, idx))
            elif new_mask != mask or len(data) > cut:
                ex(
                    "UPDATE chunks SET mask = ?, data = ? WHERE ino = ? AND idx = ?",
                    (new_mask, data[:cut], ino, idx),
                )
        if drop_after:
            ex("DELETE FROM chunks WHERE ino = ? AND idx > ?", (ino, keep_chunk))
        return freed

    def _size(self, ino: int) -> int:
        n = self._icache.get(ino)
        if n is not None:
            return n.size
        row = self._ex("SELECT size FROM inodes WHERE ino = ?", (ino,)).fetchone()
        if row is None:
            raise KeyError(ino)
        size: int = row[0]
        return size

    def seek_data(self, ino: int, offset: int) -> int | None:
        page = offset // PAGE
        with self._lock:
            self._reading()
            if offset >= self._size(ino):
                return None
            rows = self._ex(
                "SELECT idx, mask FROM chunks WHERE ino = ? AND idx >= ? ORDER BY idx LIMIT 2",
                (ino, page // CHUNK_PAGES),
            ).fetchall()
        idx: int
        mask: int
        for idx, mask in rows:
            first = idx * CHUNK_PAGES
            if page > first:
                mask &= ~((1 << (page - first)) - 1)
            if mask:
                low = (mask & -mask).bit_length() - 1
                return max(offset, (first + low) * PAGE)
        return None

    def seek_hole(self, ino: int, offset: int) -> int:
        page = offset // PAGE
        with self._lock:
            self._reading()
            size = self._size(ino)
            cur = self._db.execute(
                "SELECT idx, mask FROM chunks WHERE ino = ? AND idx >= ? ORDER BY idx",
                (ino, page // CHUNK_PAGES),
            )
            try:
                for idx, mask in cur:
                    first = idx * CHUNK_PAGES
                    if page < first:
                        break  # no chunk covers ``page``: a hole
                    free = ~mask & FULL_MASK & ~((1 << (page - first)) - 1)
                    if free:
                        page = first + (free & -free).bit_length() - 1
                        break
                    page = first + CHUNK_PAGES
            finally:
                cur.close()
        return min(size, max(offset, page * PAGE))

    def readlink(self, ino: int) -> str:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            row = self._ex("SELECT target FROM inodes WHERE ino = ?", (ino,)).fetchone()
        if row is None:
            raise KeyError(ino)
        assert row[0] is not None
        return _dec(row[0])

    # -- checking ------------------------------------------------------------------
    def check(self) -> list[str]:
        with self._lock:
            own = not self._in_tx
            if own:
                self._db.execute("BEGIN")  # one consistent snapshot
            try:
                return self._check()
            finally:
                if own:
                    self._db.execute("ROLLBACK")

    def _check(self) -> list[str]:
        db = self._db
        problems = [f"sqlite: {msg}" for (msg,) in db.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["sqlite: ok"]:
            return problems
        problems = []
        inodes: dict[int, tuple[int, int, int, int, int | None]] = {}
        ups: dict[int, int | None] = {}
        for ino, mode, nlink, size, blocks, tlen, up in db.execute(
            "SELECT ino, mode, nlink, size, blocks, length(target), parent FROM inodes"
        ):
            inodes[ino] = (mode, nlink, size, blocks, tlen)
            ups[ino] = up

        def is_dir(ino: int) -> bool:
            return ino in inodes and S_ISDIR(inodes[ino][0])

        links: dict[int, int] = {}
        entries: dict[int, int] = {}
        subdirs: dict[int, int] = {}
        children: dict[int, list[int]] = {}
        for parent, raw, ino in db.execute("SELECT parent, name, ino FROM dentries"):
            name = _dec(raw)
            links[ino] = links.get(ino, 0) + 1
            entries[parent] = entries.get(parent, 0) + 1
            children.setdefault(parent, []).append(ino)
            if parent not in inodes:
                problems.append(f"dentry {name!r} in missing directory {parent}")
            elif not is_dir(parent):
                problems.append(f"dentry {name!r} in non-directory {parent}")
            if ino not in inodes:
                problems.append(f"dentry {parent}/{name!r} names missing inode {ino}")
            elif is_dir(ino):
                subdirs[parent] = subdirs.get(parent, 0) + 1
                if ups[ino] != parent:
                    problems.append(f"directory {ino}: parent {ups[ino]} != {parent}")
        root = self.root_ino
        if not is_dir(root):
            problems.append(f"root directory {root} is missing")
        elif ups[root] != root:
            problems.append(f"root directory {root}: parent {ups[root]} != {root}")
        reachable = {root}
        todo = [root]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in reachable:
                    reachable.add(child)
                    todo.append(child)
        orphans = dict(db.execute("SELECT ino, owner FROM orphans").fetchall())
        sessions = {sid for (sid,) in db.execute("SELECT id FROM sessions")}
        for ino, owner in orphans.items():
            if ino not in inodes:
                problems.append(f"orphan {ino} is not an inode")
            elif ino in links or inodes[ino][1]:
                problems.append(f"orphan {ino} is still linked")
            if owner not in sessions:
                problems.append(f"orphan {ino} belongs to unknown session {owner!r}")

        pages: dict[int, int] = {}
        for ino, idx, mask, length in db.execute("SELECT ino, idx, mask, length(data) FROM chunks"):
            where = f"inode {ino} chunk {idx}"
            if ino not in inodes or inodes[ino][0] & _FMT != S_IFREG:
                problems.append(f"{where}: not a regular file")
                continue
            if not 0 < mask <= FULL_MASK or idx < 0 or length > CHUNK:
                problems.append(f"{where}: bad mask {mask:#x} or length {length}")
                continue
            pages[ino] = pages.get(ino, 0) + mask.bit_count()
            size = inodes[ino][2]
            top = idx * CHUNK_PAGES + mask.bit_length()  # pages up to the last allocated
            if top > _pages(size) or idx * CHUNK + length > size:
                problems.append(f"{where}: data beyond EOF {size}")

        total_bytes = 0
        for ino, (mode, nlink, size, blocks, tlen) in inodes.items():
            kind = mode & _FMT
            linked = links.get(ino, 0)
            if kind == S_IFDIR:
                want_links = 2 + subdirs.get(ino, 0) if linked or ino == root else 0
                if linked > 1:
                    problems.append(f"directory {ino}: {linked} dentries")
                want_size = dir_size(entries.get(ino, 0))
            else:
                want_links = linked
                want_size = size
            if nlink != want_links:
                problems.append(f"inode {ino}: nlink {nlink} != {want_links}")
            if size != want_size:
                problems.append(f"directory {ino}: size {size} != {want_size}")
            if kind == S_IFLNK:
                if tlen != size:
                    problems.append(f"symlink {ino}: size {size} != target length {tlen}")
                if blocks != symlink_blocks(size):
                    problems.append(f"symlink {ino}: blocks {blocks} != {symlink_blocks(size)}")
            elif tlen is not None:
                problems.append(f"inode {ino}: target set on a non-symlink")
            if kind == S_IFREG:
                if blocks != pages.get(ino, 0) * 8:
                    problems.append(f"file {ino}: blocks {blocks} != {pages.get(ino, 0) * 8}")
                total_bytes += blocks * 512
            elif kind != S_IFLNK and blocks:
                problems.append(f"inode {ino}: blocks {blocks} != 0")
            if ino not in reachable and ino not in orphans:
                problems.append(f"inode {ino}: unreachable and not an orphan")

        if self._writing:
            used, count, dseq = self._bytes, self._inodes, self._dseq
            next_ino = self._next_ino
        else:
            totals = dict(db.execute(_TOTALS).fetchall())
            used, count, dseq = totals["bytes"], totals["inodes"], totals["dseq"]
            next_ino = totals["next_ino"]
        if inodes and max(inodes) >= next_ino:
            problems.append(f"next inode number {next_ino} is not above {max(inodes)}")
        if used != total_bytes:
            problems.append(f"usage: {used} bytes recorded, {total_bytes} allocated")
        if count != len(inodes):
            problems.append(f"usage: {count} inodes recorded, {len(inodes)} exist")
        (max_seq,) = db.execute("SELECT max(seq) FROM dentries").fetchone()
        if max_seq is not None and max_seq > dseq:
            problems.append(f"dentry sequence {dseq} is behind {max_seq}")
        return problems


# -- opening ---------------------------------------------------------------------------


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=256,
        uri=uri,
    )


def _verify(db: sqlite3.Connection, path: str) -> bool:
    """Check that ``db`` is an osbox machine we can use; return False if it
    has no tables at all (a new database). Raises MachineFileError."""
    try:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not tables:
            return False
        if "meta" not in tables:
            raise MachineFileError(path, "SQLite database but not an osbox machine (no meta table)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        (app_id,) = db.execute("PRAGMA application_id").fetchone()
    except sqlite3.DatabaseError as exc:
        raise MachineFileError(path, f"corrupt or unreadable machine file ({exc})") from None
    if meta.get("magic") != MAGIC or app_id != APPLICATION_ID:
        raise MachineFileError(path, "SQLite database but not an osbox machine")
    version = meta.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise MachineFileError(path, f"invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise MachineFileError(
            path,
            f"schema_version {version} is newer than this osbox supports ({SCHEMA_VERSION}); "
            "upgrade osbox",
        )
    missing = [t for t in _TABLES if t not in tables]
    if missing or not all(k in meta for k in ("bytes", "inodes", "next_ino", "dseq")):
        raise MachineFileError(path, f"corrupt machine file (missing {missing or 'totals'})")
    return True


def _open(path: str) -> sqlite3.Connection:
    """Open (or create) the machine file, verifying it before changing it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        fresh = True
    except OSError as exc:
        raise MachineFileError(path, f"cannot open: {exc.strerror}") from None
    else:
        if S_ISDIR(st.st_mode):
            raise MachineFileError(path, "is a directory")
        fresh = st.st_size == 0
    if not fresh:
        try:
            with open(path, "rb") as f:
                header = f.read(100)
        except OSError as exc:
            raise MachineFileError(path, f"cannot read: {exc.strerror}") from None
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise MachineFileError(path, "not an SQLite database")
        # Look at it through a read-only connection, which never writes.
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
        try:
            ro = _connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise MachineFileError(path, f"cannot open ({exc})") from None
        try:
            fresh = not _verify(ro, path)
        finally:
            ro.close()
    try:
        db = _connect(path)
    except sqlite3.Error as exc:
        raise MachineFileError(path, f"cannot open ({exc})") from None
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA cache_size = -16384")
        if fresh:
            db.execute("BEGIN IMMEDIATE")
            try:
                if not _verify(db, path):  # nobody created it meanwhile
                    _create_schema(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return db
    except sqlite3.Error as exc:
        db.close()
        raise MachineFileError(path, f"cannot open ({exc})") from None
    except BaseException:
        db.close()
        raise


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [
            ("magic", MAGIC),
            ("schema_version", SCHEMA_VERSION),
            ("bytes", 0),
            ("inodes", 1),
            ("next_ino", 2),
            ("dseq", 0),
        ],
    )
    db.execute(
        "INSERT INTO inodes(ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks, "
        "parent) VALUES (1, ?1, 2, 0, 0, ?2, ?3, ?3, ?3, 0, 0, 1)",
        (S_IFDIR | 0o755, dir_size(0), time.time_ns()),
    )


# -- the flusher ---------------------------------------------------------------------------


def _acquire(lock: threading.RLock, stop: threading.Event) -> bool:
    while not lock.acquire(timeout=0.1):
        if stop.is_set():
            return False
    return True


def _flusher(
    ref: weakref.ref[SqliteStore],
    lock: threading.RLock,
    wake: threading.Event,
    stop: threading.Event,
) -> None:
    """Commit each batch at most FLUSH_INTERVAL after it began."""
    while True:
        wake.wait()
        if stop.is_set() or not _acquire(lock, stop):
            return
        try:
            store = ref()
            if store is None or stop.is_set():
                return
            delay = store._flush_if_due()
            del store
        finally:
            lock.release()
        if delay is not None:
            stop.wait(delay)


def _shutdown(wake: threading.Event, stop: threading.Event) -> None:
    stop.set()
    wake.set()


def _make_atexit(ref: weakref.ref[SqliteStore], lock: threading.RLock) -> Callable[[], None]:
    def flush_at_exit() -> None:
        if not lock.acquire(timeout=FLUSH_INTERVAL):
            return
        try:
            store = ref()
            if store is not None and not store._closed and not store._depth:
                store._commit()
        finally:
            lock.release()

    return flush_at_exit
