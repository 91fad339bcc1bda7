"""The SQLite store's transactions: syscalls, batches and commits.

The connection runs in autocommit mode. Between ``begin`` and ``end`` the
first call opens a transaction with ``BEGIN IMMEDIATE`` even if it only
reads, so each syscall is atomic with respect to other processes sharing the
file; ``end`` commits it at once if nothing changed. The first change turns
it into a batch (``_start_batch``), committed by ``end`` once it is
``FLUSH_INTERVAL`` old, by the flusher thread (``_flush_if_due``) when the
process goes idle, and by ``sync`` and ``close``. If SQLite fails midway
through an operation, ``_abort`` rolls the whole batch back, so no
half-applied operation is ever committed.

The audit log: rows appended (``audit_sink``) wait in ``_audit_pending``
and are inserted by the commit of the batch they were appended in, before
its ``COMMIT``; appending opens a batch if none is. While a machine audits,
``end`` leaves a due batch to the next appended row (which commits it), and
the flusher commits only once no row has come for ``AUDIT_IDLE`` seconds,
so a syscall's change is committed with the row that records it (the row
comes right after the syscall returns, outside the lock).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from types import TracebackType

from ..audit import AuditRow, row_matches
from ._audit import insert_rows, select_rows
from ._cache import Caches
from ._flush import FLUSH_INTERVAL
from ._schema import SAVE_TOTALS, TOTALS

__all__ = ["AUDIT_IDLE", "Batches"]

AUDIT_IDLE = 0.05  # seconds without an audit row before the flusher may commit


class _Mutation:
    """``with store._mut:`` holds the machine lock, opens the batch if needed
    and, if SQLite fails midway, rolls the batch back so no half-applied
    operation is ever committed. (The hot methods inline the same steps.)"""

    __slots__ = ("_store",)

    def __init__(self, store: Batches) -> None:
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


class Batches(Caches):
    """The transaction layer of ``SqliteStore``; ``lock`` is the machine lock."""

    _db: sqlite3.Connection  # set once the file is open
    # this process's session and the orphans it owns (kept by SqliteStore)
    _session: str
    _session_saved: bool
    _orphans: set[int]

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__()
        self._lock = lock
        self._mut = _Mutation(self)
        self._in_tx = False  # a transaction is open (read-only or a batch)
        self._writing = False  # ... and it is a batch of changes
        self._tx_start = 0.0
        self._depth = 0
        self._dirty = False
        # the running totals of meta, loaded when a batch starts
        self._bytes = 0
        self._inodes = 0
        self._dseq = 0
        self._next_ino = 0
        self._closed = False
        self._flush_error: BaseException | None = None
        self._wake = threading.Event()  # wakes the flusher when a batch starts
        self._audit_pending: list[AuditRow] = []  # rows for the next commit
        self._audit_hold = False  # auditing: end() leaves due batches to the next row
        self._audit_last = 0.0  # when the last row came (time.monotonic)

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
            totals = dict(db.execute(TOTALS).fetchall())
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

    def _reading(self) -> None:
        """Before a read that uses the caches: make sure they are current."""
        if not self._in_tx:
            if self._depth:
                self._start_reads()
            elif self._caching:
                self._revalidate()

    def _commit(self) -> None:
        if not self._in_tx:
            return
        db = self._db
        self._valid = False
        try:
            if self._audit_pending:
                rows, self._audit_pending = self._audit_pending, []
                insert_rows(db, rows)
            if self._dirty:
                db.execute(SAVE_TOTALS, (self._bytes, self._inodes, self._next_ino, self._dseq))
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
        if self._audit_hold:  # a busy process's rows commit its batches
            idle = time.monotonic() - self._audit_last
            if idle < AUDIT_IDLE:
                return AUDIT_IDLE - idle
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
            if not self._writing or (
                not self._audit_hold and time.monotonic() - self._tx_start >= FLUSH_INTERVAL
            ):
                with self._lock:
                    self._commit()

    def sync(self) -> None:
        with self._lock:
            self._raise_flush_error()
            self._commit()

    # -- the audit log -----------------------------------------------------------
    def _audit_one(self, row: AuditRow) -> None:
        with self._lock:
            if self._closed:
                return
            self._audit_pending.append(row)
            now = self._audit_last = time.monotonic()
            if not self._writing:
                with self._mut:
                    pass  # opens the batch the row is committed with
            elif not self._depth and now - self._tx_start >= FLUSH_INTERVAL:
                self._commit()

    def audit_sink(self) -> Callable[[AuditRow], None]:
        self._audit_hold = True
        return self._audit_one

    def audit_append(self, rows: list[AuditRow]) -> None:
        sink = self.audit_sink()
        for row in rows:
            sink(row)

    def audit_rows(
        self, pid: int | None = None, call: str | None = None, errors: bool = False
    ) -> list[AuditRow]:
        with self._lock:
            if self._closed:
                raise ValueError("store is closed")
            rows = select_rows(self._db, pid, call, errors)
            rows.extend(r for r in self._audit_pending if row_matches(r, pid, call, errors))
        return rows
