"""``SqliteStore``: the store's state and lifecycle, inodes and dentries,
attributes, symlinks and extended attributes.

The layers below it: ``Data`` (file data, ``_data``) on ``Batches``
(transactions, ``_batch``) on ``Caches`` (``_cache``).
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from stat import S_IFDIR, S_IFLNK, S_IFREG
from typing import Any

from ..base import DIRENT_SIZE, S_IFMT, Capacity, Inode, dir_size, symlink_blocks
from ..snapshots import OldView, SnapshotInfo
from . import _snap
from ._check import check_file
from ._data import Data
from ._flush import (
    LIVE_SESSIONS,
    flusher,
    make_atexit,
    proc_start,
    reap_dead_sessions,
    shutdown,
)
from ._rows import dec, enc, row_inode
from ._schema import TOTALS, open_machine

__all__ = ["SqliteStore"]

_CONFIG_KEY = "machine"

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
_XATTRS = (
    "SELECT x.name, x.value FROM inodes i LEFT JOIN xattrs x ON x.ino = i.ino "
    "WHERE i.ino = ? ORDER BY x.name"
)
_SET_XATTR = (
    "INSERT INTO xattrs(ino, name, value) VALUES (?, ?, ?) "
    "ON CONFLICT(ino, name) DO UPDATE SET value = excluded.value"
)
_DEL_XATTR = "DELETE FROM xattrs WHERE ino = ? AND name = ?"

# UPDATE statements for each combination of columns setattr changes.
_SETATTR_COLUMNS = ("mode", "uid", "gid", "atime", "mtime", "ctime")
_SETATTR: dict[tuple[bool, ...], str] = {}


class SqliteStore(Data):
    """An inode store kept in one SQLite file at ``path``.

    ``lock`` is the machine lock: the kernel holds it around every call, and
    the store's flusher thread takes it before committing. Every method also
    takes it itself, so a caller that forgets cannot interleave with the
    flusher.

    Transactions: between ``begin`` and ``end`` the first call opens one with
    ``BEGIN IMMEDIATE`` even if it only reads, so each syscall is atomic with
    respect to other processes sharing the file; ``end`` commits it at once
    if nothing changed. A change turns it into a batch, committed as the
    package docstring says. Reads outside ``begin``/``end`` and outside a batch
    run in autocommit mode.

    Caches: the store remembers the inodes and dentries it has read or
    written (``CACHE``; up to ``CACHE_LIMIT`` of each, then it starts over).
    Its own changes keep them current, across its own commits too. Whether
    another connection committed is asked of ``PRAGMA data_version`` when a
    transaction opens (while one is open nobody else can commit) and before
    each cached read outside a transaction; if so the caches are dropped. So
    changes that other processes committed are always seen.
    """

    def __init__(self, path: str, lock: threading.RLock) -> None:
        super().__init__(lock)
        self.path = path
        self.root_ino = 1
        self._max_bytes = None
        self._max_inodes: int | None = None
        self._session = f"{os.getpid()}-{secrets.token_hex(8)}"
        self._session_saved = False
        self._orphans = set()
        self._stop = threading.Event()
        with lock:
            self._db = open_machine(path)
            # One cursor for the hot paths: each execute resets the previous
            # statement, so no read snapshot outlives a call.
            self._ex = self._db.cursor().execute
            try:
                LIVE_SESSIONS.add(self._session)
                reap_dead_sessions(self)
            except BaseException:
                LIVE_SESSIONS.discard(self._session)
                self._db.close()
                raise
        ref = weakref.ref(self)
        self._thread = threading.Thread(
            target=flusher,
            args=(ref, lock, self._wake, self._stop),
            name=f"osbox-flusher:{os.path.basename(path)}",
            daemon=True,
        )
        self._thread.start()
        self._atexit: Callable[[], None] = make_atexit(ref, lock)
        atexit.register(self._atexit)
        weakref.finalize(self, shutdown, self._wake, self._stop)

    # -- lifecycle -------------------------------------------------------------------
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
                LIVE_SESSIONS.discard(self._session)
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
            totals = dict(self._ex(TOTALS).fetchall())
        return totals["bytes"], totals["inodes"]

    # -- inodes and dentries -------------------------------------------------------
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
        return [dec(name) for (name,) in rows]

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
        return [(dec(name), ino, mode & S_IFMT) for name, ino, mode in rows]

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
        kind = mode & S_IFMT
        raw_target: bytes | None = None
        nlink = 1
        size = blocks = 0
        if kind == S_IFDIR:
            nlink = 2
            size = dir_size(0)
        elif kind == S_IFLNK:
            assert target is not None
            raw_target = enc(target)
            size = len(raw_target)
            blocks = symlink_blocks(size)
        up = dir_ino if kind == S_IFDIR else None
        raw_name = enc(name)
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
            node = row_inode((ino, mode, nlink, uid, gid, size, now, now, now, rdev, blocks))
            if self._caching:
                self._icache[ino] = node
                self._dcache[(dir_ino, raw_name)] = ino
                self._dir_changed(dir_ino, DIRENT_SIZE, nlink - 1, now)
        return node

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        raw_name = enc(name)
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
                    self._icache[ino] = row_inode(
                        (n.ino, n.mode, n.nlink + 1, n.uid, n.gid, n.size, n.atime_ns)
                        + (n.mtime_ns, now, n.rdev, n.blocks)
                    )
                self._dcache[(dir_ino, raw_name)] = ino
                self._dir_changed(dir_ino, DIRENT_SIZE, 0, now)

    def unlink(self, dir_ino: int, name: str, now: int) -> Inode:
        raw_name = enc(name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            try:
                n = self._entry(dir_ino, raw_name)
                if n is None:
                    raise KeyError(name)
                is_dir = n.mode & S_IFMT == S_IFDIR
                nlink = 0 if is_dir else n.nlink - 1
                ex(_DEL_DENTRY, (dir_ino, raw_name))
                ex(_SET_LINKS, (nlink, now, n.ino))
                ex(_ADD_ENTRY, (-DIRENT_SIZE, -is_dir, now, dir_ino))
            except sqlite3.Error:
                self._abort()
                raise
            node = row_inode(
                (n.ino, n.mode, nlink, n.uid, n.gid, n.size, n.atime_ns, n.mtime_ns, now)
                + (n.rdev, n.blocks)
            )
            if self._caching:
                self._icache[n.ino] = node
                self._dcache[(dir_ino, raw_name)] = 0
                self._dir_changed(dir_ino, -DIRENT_SIZE, -is_dir, now)
        return node

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        raw_src = enc(src_name)
        raw_dst = enc(dst_name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            ex = self._ex
            try:
                n = self._entry(src_dir, raw_src)
                if n is None:
                    raise KeyError(src_name)
                moved_dir = n.mode & S_IFMT == S_IFDIR
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
                self._icache[n.ino] = row_inode(
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
        if mode & S_IFMT == S_IFREG and blocks:
            ex("DELETE FROM chunks WHERE ino = ?", (ino,))
            self._bytes -= blocks * 512
        self._inodes -= 1
        self._dirty = True
        ex("DELETE FROM xattrs WHERE ino = ?", (ino,))
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
                    (self._session, pid, proc_start(pid), time.time_ns()),
                )
                self._session_saved = True
            ex("INSERT OR REPLACE INTO orphans(ino, owner) VALUES (?, ?)", (ino, self._session))
            self._orphans.add(ino)

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
                self._icache[ino] = row_inode(
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

    # -- symlinks --------------------------------------------------------------------
    def readlink(self, ino: int) -> str:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            row = self._ex("SELECT target FROM inodes WHERE ino = ?", (ino,)).fetchone()
        if row is None:
            raise KeyError(ino)
        assert row[0] is not None
        return dec(row[0])

    # -- extended attributes -------------------------------------------------------
    def xattrs(self, ino: int) -> dict[str, bytes]:
        with self._lock:
            if self._depth and not self._in_tx:
                self._start_reads()
            rows = self._ex(_XATTRS, (ino,)).fetchall()
        if not rows:
            raise KeyError(ino)
        return {dec(name): value for name, value in rows if name is not None}

    def set_xattr(self, ino: int, name: str, value: bytes | None, now: int) -> None:
        raw_name = enc(name)
        with self._lock:
            if not self._writing:
                self._start_batch()
            # ctime first, as setattr sets it (keeping the inode cache current);
            # it raises KeyError for a missing inode before anything changed.
            self.setattr(ino, ctime_ns=now)
            try:
                if value is None:
                    self._ex(_DEL_XATTR, (ino, raw_name))
                else:
                    self._ex(_SET_XATTR, (ino, raw_name, value))
            except sqlite3.Error:
                self._abort()
                raise

    # -- snapshots (see ``_snap``) -----------------------------------------------------
    def snapshot(self, name: str) -> SnapshotInfo:
        return _snap.snapshot(self, name)

    def snapshots(self) -> list[SnapshotInfo]:
        return _snap.snapshots(self)

    def restore(self, name: str) -> None:
        _snap.restore(self, name)

    def delete_snapshot(self, name: str) -> None:
        _snap.delete(self, name)

    def snapshot_view(self, name: str) -> OldView:
        return _snap.view(self, name)

    # -- checking ------------------------------------------------------------------
    def check(self) -> list[str]:
        with self._lock:
            own = not self._in_tx
            if own:
                self._db.execute("BEGIN")  # one consistent snapshot
            try:
                running = None
                if self._writing:
                    running = (self._bytes, self._inodes, self._dseq, self._next_ino)
                return check_file(self._db, self.root_ino, running)
            finally:
                if own:
                    self._db.execute("ROLLBACK")
