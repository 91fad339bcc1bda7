"""How the SQLite store's rows map to Python values.

Dentry names, symlink targets and xattr names are stored as their
surrogateescape UTF-8 bytes; an inode row (the ``COLS`` columns, in order) is
an ``Inode``; file data lives in ``CHUNK``-byte chunks of ``CHUNK_PAGES``
pages each, with a mask of allocated pages (``FULL_MASK`` when all are).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..base import PAGE, Inode

__all__ = [
    "CHUNK",
    "CHUNK_PAGES",
    "COLS",
    "FULL_MASK",
    "dec",
    "enc",
    "page_count",
    "row_inode",
]

CHUNK = 65536
CHUNK_PAGES = CHUNK // PAGE
FULL_MASK = (1 << CHUNK_PAGES) - 1

COLS = "ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks"


def page_count(n: int) -> int:
    """Pages needed to hold ``n`` bytes."""
    return (n + PAGE - 1) // PAGE


def enc(name: str) -> bytes:
    """A name (or symlink target) as stored: surrogateescape UTF-8."""
    return name.encode("utf-8", "surrogateescape")


def dec(raw: bytes) -> str:
    """The inverse of ``enc``."""
    return raw.decode("utf-8", "surrogateescape")


def row_inode(row: Iterable[Any]) -> Inode:
    """An ``Inode`` from the ``COLS`` of one ``inodes`` row."""
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
