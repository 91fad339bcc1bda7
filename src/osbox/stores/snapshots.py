"""Snapshots of a store: the contract shared by the memory and SQLite stores.

A snapshot names the state of the whole store at one moment. Taking one is
O(1): nothing is copied. From then on the store keeps an *undo record* of
each inode, dentry, data chunk and extended attribute the first time it
changes (copy-on-first-write, per snapshot), so

* ``restore(name)`` puts back only what changed since ``name`` (cost grows
  with the changes, not with the size of the store), and
* ``view(name)`` answers what the store held at ``name`` for the inodes that
  changed since, which is what ``Machine.diff(since=name)`` compares.

Snapshots are linear: restoring ``name`` deletes the snapshots taken after
it. A store with no snapshots keeps no undo records and pays nothing.

Calling order: the caller holds the machine lock and has no syscall open.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Inode

__all__ = ["SnapshotInfo", "OldView", "SnapshotExists", "NoSuchSnapshot"]


class SnapshotExists(Exception):
    """``snapshot(name)``: a snapshot of that name exists already."""


class NoSuchSnapshot(KeyError):
    """``restore``/``view``/``delete_snapshot``: no snapshot has that name."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot: its name, when it was taken (ns since the epoch) and its
    position in the store's history (0 is the oldest)."""

    name: str
    created_ns: int
    index: int


class OldView:
    """What a store held at one snapshot, for the inodes changed since.

    ``changed`` is the set of inode numbers created, changed or freed since
    the snapshot; for any other inode the store's current state is the old
    one. The methods below answer only for inodes in ``changed``."""

    changed: frozenset[int]

    def inode(self, ino: int) -> Inode | None:
        """The inode's attributes at the snapshot; None if it did not exist."""
        raise NotImplementedError

    def entries(self, dir_ino: int) -> list[tuple[str, int]]:
        """``(name, ino)`` of a directory that existed at the snapshot."""
        raise NotImplementedError

    def data(self, ino: int) -> bytes:
        """The whole content of a regular file at the snapshot."""
        raise NotImplementedError

    def target(self, ino: int) -> str:
        """A symlink's target at the snapshot."""
        raise NotImplementedError
