"""Snapshots of the SQLite store (see ``stores/snapshots.py``).

The first snapshot adds five tables to the file, and triggers that keep the
undo records:

* ``snapshots(seq, name, created, bytes, inodes)``: one row per snapshot,
  ``seq`` growing; ``bytes``/``inodes`` are the running totals at the time.
* ``undo_inodes``, ``undo_dentries``, ``undo_chunks``, ``undo_xattrs``: for
  each row of ``inodes``/``dentries``/``chunks``/``xattrs`` changed since
  snapshot ``snap`` was the newest, its image at that moment (``present`` 1)
  or the fact it did not exist (``present`` 0). ``INSERT OR IGNORE`` keeps
  the first image per snapshot, so each record is the row as it was when the
  snapshot was taken.

The triggers live in the file, so every process sharing it records, and a
snapshot costs one insert whatever the machine's size. Without snapshots the
tables and triggers are dropped and writes pay nothing. Restoring snapshot
``K`` replaces each touched row by its oldest record with ``snap >= K`` (one
pass per table and snapshot, newest first), so its cost follows the changes since
``K``. The file's schema version is unchanged: the tables are optional and a
file without them has no snapshots.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..base import Inode
from ..snapshots import NoSuchSnapshot, OldView, SnapshotExists, SnapshotInfo
from ._rows import CHUNK, COLS, dec, row_inode

if TYPE_CHECKING:
    from ._store import SqliteStore

__all__ = ["snapshot", "restore", "snapshots", "delete", "view"]

_INODE_COLS = "mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks, target, parent"
#: table -> (key columns, value columns)
_TABLES: dict[str, tuple[str, str]] = {
    "inodes": ("ino", _INODE_COLS),
    "dentries": ("parent, name", "ino, seq"),
    "chunks": ("ino, idx", "mask, data"),
    "xattrs": ("ino, name", "value"),
}
_NEWEST = "(SELECT max(seq) FROM snapshots)"


def _undo_tables() -> Iterator[str]:
    yield (
        "CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, "
        "created INTEGER NOT NULL, bytes INTEGER NOT NULL, inodes INTEGER NOT NULL)"
    )
    for table, (key, values) in _TABLES.items():
        yield (
            f"CREATE TABLE IF NOT EXISTS undo_{table}(snap INTEGER NOT NULL, {key}, "
            f"present INTEGER NOT NULL, {values}, PRIMARY KEY(snap, {key})) WITHOUT ROWID"
        )


def _record(table: str, side: str, present: int) -> str:
    """The trigger statement saving row ``side`` (OLD/NEW) of ``table`` in the
    newest snapshot's records, unless a record of that key is there already.
    (Not ``INSERT OR IGNORE``: the conflict policy of the statement that
    fires a trigger overrides the trigger's own, so an upsert would fail.)"""
    key, values = _TABLES[table]
    keys = [k.strip() for k in key.split(",")]
    match = " AND ".join(f"u.{k} = {side}.{k}" for k in keys)
    cols = f"snap, {key}, present"
    row = ", ".join(f"{side}.{k}" for k in keys) + f", {present}"
    if present:
        cols += f", {values}"
        row += ", " + ", ".join(f"{side}.{v.strip()}" for v in values.split(","))
    return (
        f"INSERT INTO undo_{table}({cols}) SELECT {_NEWEST}, {row} "
        f"WHERE NOT EXISTS (SELECT 1 FROM undo_{table} u WHERE u.snap = {_NEWEST} AND {match});"
    )


def _triggers() -> Iterator[str]:
    for table in _TABLES:
        trigger = f"CREATE TRIGGER IF NOT EXISTS snap_{table}"
        yield f"{trigger}_ins AFTER INSERT ON {table} BEGIN {_record(table, 'NEW', 0)} END"
        # an UPDATE may move a row to a new key (rename moves a dentry)
        both = _record(table, "OLD", 1) + " " + _record(table, "NEW", 0)
        yield f"{trigger}_upd BEFORE UPDATE ON {table} BEGIN {both} END"
        yield f"{trigger}_del BEFORE DELETE ON {table} BEGIN {_record(table, 'OLD', 1)} END"


def _drop_triggers(db: sqlite3.Connection) -> None:
    for table in _TABLES:
        for op in ("ins", "upd", "del"):
            db.execute(f"DROP TRIGGER IF EXISTS snap_{table}_{op}")


def _has_snapshots(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'")
    return row.fetchone() is not None


@contextmanager
def _transaction(store: SqliteStore) -> Iterator[sqlite3.Connection]:
    """Commit the store's open batch, then run one transaction of our own;
    the store's caches are dropped afterwards (rows changed under them)."""
    with store._lock:
        if store._depth:
            raise RuntimeError("snapshot operations cannot run inside a syscall")
        store._raise_flush_error()
        store._commit()
        db = store._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            store._forget()


def _infos(db: sqlite3.Connection) -> list[SnapshotInfo]:
    if not _has_snapshots(db):
        return []
    rows = db.execute("SELECT name, created FROM snapshots ORDER BY seq").fetchall()
    return [SnapshotInfo(name, created, i) for i, (name, created) in enumerate(rows)]


def snapshots(store: SqliteStore) -> list[SnapshotInfo]:
    """The store's snapshots, oldest first."""
    with _transaction(store) as db:
        return _infos(db)


def snapshot(store: SqliteStore, name: str) -> SnapshotInfo:
    """Take snapshot ``name``: one row, plus the tables and triggers the
    first time. Raises ``SnapshotExists``."""
    with _transaction(store) as db:
        for statement in _undo_tables():
            db.execute(statement)
        for statement in _triggers():
            db.execute(statement)
        if db.execute("SELECT 1 FROM snapshots WHERE name = ?", (name,)).fetchone():
            raise SnapshotExists(name)
        totals = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('bytes', 'inodes')"))
        now = time.time_ns()
        db.execute(
            "INSERT INTO snapshots(name, created, bytes, inodes) VALUES (?, ?, ?, ?)",
            (name, now, totals["bytes"], totals["inodes"]),
        )
        count = db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        return SnapshotInfo(name, now, count - 1)


def _seq(db: sqlite3.Connection, name: str) -> int:
    row = db.execute("SELECT seq FROM snapshots WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NoSuchSnapshot(name)
    seq: int = row[0]
    return seq


def _oldest(table: str, key: str, since: int) -> str:
    """SELECT the oldest record with ``snap >= since`` of each touched key."""
    keys = [k.strip() for k in key.split(",")]
    match = " AND ".join(f"o.{k} = u.{k}" for k in keys)
    return (
        f"FROM undo_{table} u WHERE u.snap = (SELECT min(o.snap) FROM undo_{table} o "
        f"WHERE {match} AND o.snap >= {since})"
    )


def restore(store: SqliteStore, name: str) -> None:
    """Put every touched row back to its image at snapshot ``name`` and drop
    the snapshots taken after it."""
    with _transaction(store) as db:
        if not _has_snapshots(db):
            raise NoSuchSnapshot(name)
        seq = _seq(db, name)
        _drop_triggers(db)  # (kept, they would record the restore itself: slower)
        later = [n for (n,) in db.execute("SELECT seq FROM snapshots WHERE seq >= ?", (seq,))]
        for snap in sorted(later, reverse=True):  # newest first: the oldest image wins
            for table, (key, values) in _TABLES.items():
                # by primary key, one row at a time: a row-value IN over a
                # subquery would scan the whole table
                touched = db.execute(f"SELECT {key} FROM undo_{table} WHERE snap = ?", (snap,))
                match = " AND ".join(f"{k.strip()} = ?" for k in key.split(","))
                db.executemany(f"DELETE FROM {table} WHERE {match}", touched.fetchall())
                db.execute(
                    f"INSERT INTO {table}({key}, {values}) SELECT {key}, {values} "
                    f"FROM undo_{table} WHERE snap = ? AND present = 1",
                    (snap,),
                )
        for table in _TABLES:
            db.execute(f"DELETE FROM undo_{table} WHERE snap >= ?", (seq,))
        row = db.execute("SELECT bytes, inodes FROM snapshots WHERE seq = ?", (seq,)).fetchone()
        db.execute("UPDATE meta SET value = ? WHERE key = 'bytes'", (row[0],))
        db.execute("UPDATE meta SET value = ? WHERE key = 'inodes'", (row[1],))
        db.execute("DELETE FROM snapshots WHERE seq > ?", (seq,))
        for statement in _triggers():
            db.execute(statement)


def delete(store: SqliteStore, name: str) -> None:
    """Forget snapshot ``name``; its records merge into the snapshot before
    it (older records win). The last one gone, tables and triggers go too."""
    with _transaction(store) as db:
        if not _has_snapshots(db):
            raise NoSuchSnapshot(name)
        seq = _seq(db, name)
        row = db.execute("SELECT max(seq) FROM snapshots WHERE seq < ?", (seq,)).fetchone()
        before = row[0]
        for table, (key, values) in _TABLES.items():
            if before is not None:
                db.execute(
                    f"INSERT OR IGNORE INTO undo_{table}(snap, {key}, present, {values}) "
                    f"SELECT ?, {key}, present, {values} FROM undo_{table} WHERE snap = ?",
                    (before, seq),
                )
            db.execute(f"DELETE FROM undo_{table} WHERE snap = ?", (seq,))
        db.execute("DELETE FROM snapshots WHERE seq = ?", (seq,))
        if not db.execute("SELECT 1 FROM snapshots LIMIT 1").fetchone():
            _drop_triggers(db)
            for table in _TABLES:
                db.execute(f"DROP TABLE undo_{table}")
            db.execute("DROP TABLE snapshots")


class _SqliteView(OldView):
    """Reads the oldest records since a snapshot, inside the store's lock."""

    def __init__(self, store: SqliteStore, seq: int) -> None:
        self._store = store
        self._seq = seq
        rows = self._query(f"SELECT DISTINCT ino FROM undo_inodes WHERE snap >= {seq}")
        self.changed = frozenset(ino for (ino,) in rows)

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        store = self._store
        with _transaction(store) as db:
            return db.execute(sql, args).fetchall()

    def _old(self, table: str, key: str, where: str, args: tuple[Any, ...], cols: str) -> list[Any]:
        return self._query(f"SELECT {cols} {_oldest(table, key, self._seq)} AND {where}", args)

    def inode(self, ino: int) -> Inode | None:
        rows = self._old("inodes", "ino", "u.ino = ?", (ino,), "present, " + COLS)
        if not rows:
            cur = self._query(f"SELECT 1, {COLS} FROM inodes WHERE ino = ?", (ino,))
            rows = cur
        if not rows or not rows[0][0]:
            return None
        return row_inode(rows[0][1:])

    def entries(self, dir_ino: int) -> list[tuple[str, int]]:
        current = dict(self._query("SELECT name, ino FROM dentries WHERE parent = ?", (dir_ino,)))
        for name, present, ino in self._old(
            "dentries", "parent, name", "u.parent = ?", (dir_ino,), "name, present, ino"
        ):
            if present:
                current[name] = ino
            else:
                current.pop(name, None)
        return [(dec(name), ino) for name, ino in current.items()]

    def data(self, ino: int) -> bytes:
        node = self.inode(ino)
        assert node is not None
        chunks = dict(self._query("SELECT idx, data FROM chunks WHERE ino = ?", (ino,)))
        for idx, present, data in self._old(
            "chunks", "ino, idx", "u.ino = ?", (ino,), "idx, present, data"
        ):
            if present:
                chunks[idx] = data
            else:
                chunks.pop(idx, None)
        out = bytearray(node.size)
        for idx, data in chunks.items():
            base = idx * CHUNK
            if base < node.size:
                piece = data[: node.size - base]
                out[base : base + len(piece)] = piece
        return bytes(out)

    def target(self, ino: int) -> str:
        rows = self._old("inodes", "ino", "u.ino = ?", (ino,), "present, target")
        if not rows:
            rows = self._query("SELECT 1, target FROM inodes WHERE ino = ?", (ino,))
        return dec(rows[0][1])


def view(store: SqliteStore, name: str) -> OldView:
    """The store at snapshot ``name``, for the inodes changed since."""
    with _transaction(store) as db:
        if not _has_snapshots(db):
            raise NoSuchSnapshot(name)
        seq = _seq(db, name)
    return _SqliteView(store, seq)
