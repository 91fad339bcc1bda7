"""Snapshots, restore and fork of a whole machine (``Machine.snapshot`` ...).

The store does the work (``stores/snapshots.py``): a snapshot is O(1), a
restore costs the changes since. Here the machine makes it safe:

* a restore swaps inodes under the kernel, so it is refused (``EBUSY``)
  while a process other than pid 1 exists or pid 1 holds a file or
  directory open; afterwards the dentry cache is dropped and a cwd that no
  longer exists moves to ``/``;
* ``fork`` writes a new machine: a SQLite machine is copied with SQLite's
  online backup (snapshots included), a memory machine is deep-copied.
  Both cost the size of the machine; they share nothing with the parent.
"""

from __future__ import annotations

import os
import sqlite3
from errno import EBUSY, EEXIST
from stat import S_IFDIR, S_IFREG
from typing import TYPE_CHECKING

from .stores import memory_snap
from .stores.memory import MemoryStore
from .stores.snapshots import SnapshotInfo

if TYPE_CHECKING:
    from ._machine import Machine

__all__ = ["take", "restore", "fork"]

_BUSY_KINDS = (S_IFREG, S_IFDIR)


def take(machine: Machine, name: str) -> SnapshotInfo:
    """``Machine.snapshot``: checks the name, then one store call."""
    if not isinstance(name, str) or not name or "\0" in name:
        raise ValueError(f"invalid snapshot name {name!r}")
    with machine.kernel.rlock:
        return machine.store.snapshot(name)


def _busy(machine: Machine) -> str | None:
    """Why a restore cannot run now, or None."""
    kernel = machine.kernel
    others = [pid for pid, p in kernel.processes.items() if pid != machine.proc.pid]
    if others:
        return f"processes {others} are running"
    for fd, f in machine.proc.fds.files.items():
        if f.console is None and f.pipe is None and f.kind in _BUSY_KINDS:
            return f"pid 1 has fd {fd} open on a file or directory"
    return None


def restore(machine: Machine, name: str) -> None:
    """``Machine.restore``: the store as it was at snapshot ``name``."""
    kernel = machine.kernel
    with kernel.rlock:
        why = _busy(machine)
        if why is not None:
            raise OSError(EBUSY, f"cannot restore snapshot {name!r}: {why}")
        machine.store.restore(name)
        kernel.forget()
        kernel.ns_gen += 1
        invalidate = getattr(kernel.store, "invalidate", None)
        if callable(invalidate):  # a wrapper store (overlay) caching upper inodes
            invalidate()
        proc = machine.proc
        try:
            machine.store.get(proc.cwd)
        except KeyError:
            proc.set_cwd(kernel.root_ino)


def fork(machine: Machine, path: str | None) -> Machine:
    """``Machine.fork``: a new, independent machine with the same content,
    configuration and snapshots. A memory machine forks into memory
    (``path`` None); a SQLite machine into the new file ``path``.

    Raises ``FileExistsError`` if ``path`` exists, ``ValueError`` for a
    memory machine given a path or a SQLite machine given none."""
    from ._machine import Machine

    store = getattr(machine.store, "upper", machine.store)  # under overlays: the own layer
    db = getattr(store, "_db", None)
    if isinstance(store, MemoryStore):
        if path is not None:
            raise ValueError("a memory machine forks into memory: call fork() without a path")
        with machine.kernel.rlock:
            clone = memory_snap.clone(store)
        return Machine(None, _store=clone)
    if path is None or not isinstance(db, sqlite3.Connection):
        raise ValueError("a SQLite machine forks into a new file: give fork(path)")
    path = os.fspath(path)
    if os.path.lexists(path):
        raise FileExistsError(EEXIST, os.strerror(EEXIST), path)
    with machine.kernel.rlock:
        store.sync()
        target = sqlite3.connect(path)
        try:
            db.backup(target)
            # The parent's sessions are not the fork's: their orphans (unlinked
            # files still open in the parent) are freed when the fork opens.
            target.execute("DELETE FROM sessions")
            target.commit()
        finally:
            target.close()
    return Machine(path)
