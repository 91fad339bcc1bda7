"""The SQLite store's caches of inodes and dentries.

``_icache`` maps inode numbers to ``Inode`` snapshots and ``_dcache`` maps
``(directory, raw name)`` to an inode number (0: no such entry). Each holds
up to ``CACHE_LIMIT`` items; then both start over. The store's own changes
keep them current (its methods update the cached objects they change), so
they only go stale when another connection commits: ``_revalidate`` asks
``PRAGMA data_version`` and drops them if so. ``_valid`` says they are known
current without asking, which holds while a transaction is open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import ClassVar

from ..base import Inode, Store
from ._rows import COLS, row_inode

__all__ = ["CACHE_LIMIT", "Caches"]

CACHE_LIMIT = 50_000  # cached inodes (and dentries) before the caches start over

_ICOLS = ", ".join("i." + c.strip() for c in COLS.split(","))
_GET = f"SELECT {COLS} FROM inodes WHERE ino = ?"
_LOOKUP = (
    f"SELECT {_ICOLS} FROM dentries d JOIN inodes i ON i.ino = d.ino "
    "WHERE d.parent = ? AND d.name = ?"
)


class Caches(Store):
    """The cache layer of ``SqliteStore``: the caches and the reads that
    fill them. ``CACHE = False`` (in a subclass) turns caching off."""

    CACHE: ClassVar[bool] = True

    #: ``execute`` of the store's one cursor (set once the file is open).
    _ex: Callable[..., sqlite3.Cursor]

    def __init__(self) -> None:
        self._caching = self.CACHE
        self._valid = False  # the caches are known current (a transaction is open)
        self._dv: int | None = None  # PRAGMA data_version the caches match
        self._icache: dict[int, Inode] = {}
        self._dcache: dict[tuple[int, bytes], int] = {}  # 0: no such entry

    def _revalidate(self) -> None:
        """Drop the caches if another connection committed since they were
        filled (our own commits keep them current)."""
        (version,) = self._ex("PRAGMA data_version").fetchone()
        if version != self._dv:
            self._icache.clear()
            self._dcache.clear()
            self._dv = version

    def _forget(self) -> None:
        """Drop the caches and their version (after a rollback, and on close)."""
        self._valid = False
        self._dv = None
        self._icache.clear()
        self._dcache.clear()

    def _load(self, ino: int) -> Inode:
        row = self._ex(_GET, (ino,)).fetchone()
        if row is None:
            raise KeyError(ino)
        node = row_inode(row)
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
        node = None if row is None else row_inode(row)
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
            self._icache[dir_ino] = row_inode(
                (d.ino, d.mode, d.nlink + dlinks, d.uid, d.gid, d.size + dsize)
                + (d.atime_ns, now, now, d.rdev, d.blocks)
            )
