"""The SQLite store's background durability and process lifetime.

* The flusher thread commits each batch at most ``FLUSH_INTERVAL`` after it
  began, so an idle process loses at most that much on a crash. It holds the
  machine lock while it commits and only a weak reference to the store.
* At interpreter exit, the open batch is committed (``make_atexit``).
* Sessions: a store that keeps unlinked-but-open inodes (orphans) records a
  ``sessions`` row for its process. When a store opens the file it frees the
  orphans of sessions whose process is gone (``reap_dead_sessions``).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._store import SqliteStore

__all__ = [
    "FLUSH_INTERVAL",
    "LIVE_SESSIONS",
    "flusher",
    "make_atexit",
    "proc_start",
    "reap_dead_sessions",
    "shutdown",
]

FLUSH_INTERVAL = 1.0

# Session ids created by this process; a session row with our pid but an id
# not in here belongs to an earlier process that had the same pid.
LIVE_SESSIONS: set[str] = set()


def proc_start(pid: int) -> int | None:
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
        return sid not in LIVE_SESSIONS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # EPERM: it exists, owned by someone else
    if start is not None:
        now = proc_start(pid)
        if now is not None and now != start:
            return True  # the pid was reused
    return False


def reap_dead_sessions(store: SqliteStore) -> None:
    """Free the orphans of sessions whose process is gone (on open)."""
    db = store._db
    sessions = db.execute("SELECT id, pid, start FROM sessions").fetchall()
    dead = [sid for sid, pid, start in sessions if _session_dead(sid, pid, start)]
    stray = db.execute(
        "SELECT ino FROM orphans WHERE owner NOT IN (SELECT id FROM sessions)"
    ).fetchall()
    if not dead and not stray:
        return
    with store._mut:
        inos = [ino for (ino,) in stray]
        for sid in dead:
            rows = db.execute("SELECT ino FROM orphans WHERE owner = ?", (sid,)).fetchall()
            inos.extend(ino for (ino,) in rows)
        for ino in inos:
            store._orphans.add(ino)  # so _free drops the orphan row
            try:
                store._free(ino)
            except KeyError:
                store._orphans.discard(ino)
                db.execute("DELETE FROM orphans WHERE ino = ?", (ino,))
        db.executemany("DELETE FROM sessions WHERE id = ?", [(sid,) for sid in dead])
    store._commit()


# -- the flusher ---------------------------------------------------------------------------


def _acquire(lock: threading.RLock, stop: threading.Event) -> bool:
    while not lock.acquire(timeout=0.1):
        if stop.is_set():
            return False
    return True


def flusher(
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


def shutdown(wake: threading.Event, stop: threading.Event) -> None:
    """Stop the flusher thread (the store's finalizer)."""
    stop.set()
    wake.set()


def make_atexit(ref: weakref.ref[SqliteStore], lock: threading.RLock) -> Callable[[], None]:
    """An ``atexit`` hook that commits the store's open batch, unless a
    syscall is still running or the lock stays busy."""

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
