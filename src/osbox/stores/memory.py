"""The memory store: inodes as Python objects, the fast path for tests.

Directories hold ``dict[name, MemInode]`` (insertion ordered, listed newest
first as tmpfs does). A regular file's bytes live in one ``bytearray`` covering
``[0, len(data))``; the logical ``size`` may be larger (a hole up to EOF), and
``holes`` lists page ranges inside ``data`` that were never written, so
``SEEK_DATA``/``SEEK_HOLE`` and ``st_blocks`` match tmpfs page by page.
"""

from __future__ import annotations

import time
from stat import S_IFDIR, S_IFLNK, S_IFREG
from typing import TYPE_CHECKING, Any

from .base import (
    DIRENT_SIZE,
    EMPTY_DIR_SIZE,
    PAGE,
    S_IFMT,
    Capacity,
    Inode,
    Store,
    dir_size,
    symlink_blocks,
)

if TYPE_CHECKING:
    from .snapshots import OldView, SnapshotInfo

__all__ = ["MemoryStore", "MemInode"]

_EMPTY = b""


def _pages(n: int) -> int:
    return (n + PAGE - 1) // PAGE


class MemInode(Inode):
    """An inode held in memory; ``entries`` for directories, ``data`` and
    ``holes`` for regular files, ``target`` for symlinks."""

    __slots__ = ("entries", "data", "holes", "target", "up", "xattrs")

    entries: dict[str, MemInode] | None
    data: bytearray | None
    holes: list[list[int]] | None
    target: str | None
    up: MemInode | None
    xattrs: dict[str, bytes] | None


def _alloc_pages(node: MemInode) -> int:
    data = node.data
    n = (len(data) + PAGE - 1) // PAGE if data is not None else 0
    if node.holes:
        n -= sum(e - s for s, e in node.holes)
    return n


class MemoryStore(Store):
    """An in-memory inode store. Not persistent; ``close`` drops everything."""

    live = True

    def __init__(self) -> None:
        self._inodes: dict[int, MemInode] = {}
        self._next_ino = 1
        self._config: dict[str, Any] | None = None
        self._max_bytes: int | None = None
        self._max_inodes: int | None = None
        self._bytes = 0
        root = self._new(S_IFDIR | 0o755, 0, 0, time.time_ns())
        root.nlink = 2
        root.up = root
        self.root_ino = root.ino

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        self._inodes.clear()

    def load_config(self) -> dict[str, Any] | None:
        return self._config

    def save_config(self, config: dict[str, Any]) -> None:
        self._config = dict(config)

    def set_capacity(self, max_bytes: int | None, max_inodes: int | None) -> None:
        self._max_bytes = max_bytes
        self._max_inodes = max_inodes

    def usage(self) -> tuple[int, int]:
        return self._bytes, len(self._inodes)

    # -- inodes --------------------------------------------------------------
    def _new(self, mode: int, uid: int, gid: int, now: int) -> MemInode:
        if self._max_inodes is not None and len(self._inodes) >= self._max_inodes:
            raise Capacity()
        node = MemInode()
        ino = self._next_ino
        self._next_ino = ino + 1
        node.ino = ino
        node.mode = mode
        node.nlink = 1
        node.uid = uid
        node.gid = gid
        node.size = 0
        node.atime_ns = node.mtime_ns = node.ctime_ns = now
        node.rdev = 0
        node.blocks = 0
        node.entries = None
        node.data = None
        node.holes = None
        node.target = None
        node.up = None
        node.xattrs = None
        if mode & S_IFMT == S_IFDIR:
            node.entries = {}
            node.nlink = 2
            node.size = dir_size(0)
        self._inodes[ino] = node
        return node

    def get(self, ino: int) -> MemInode:
        return self._inodes[ino]

    def lookup(self, dir_ino: int, name: str) -> MemInode | None:
        entries = self._inodes[dir_ino].entries
        assert entries is not None
        return entries.get(name)

    def child(self, parent: Inode, name: str) -> MemInode | None:
        entries = parent.entries  # type: ignore[attr-defined]
        found: MemInode | None = entries.get(name)
        return found

    def names(self, dir_ino: int) -> list[str]:
        entries = self._inodes[dir_ino].entries
        assert entries is not None
        names = list(entries)
        names.reverse()  # cheaper than list(reversed(entries))
        return names

    def parent(self, dir_ino: int) -> int:
        up = self._inodes[dir_ino].up
        assert up is not None
        return up.ino

    def readdir(self, dir_ino: int) -> list[tuple[str, int, int]]:
        entries = self._inodes[dir_ino].entries
        assert entries is not None
        return [(name, n.ino, n.mode & S_IFMT) for name, n in reversed(entries.items())]

    def is_empty(self, dir_ino: int) -> bool:
        return not self._inodes[dir_ino].entries

    def _attach(self, parent: MemInode, name: str, node: MemInode, now: int) -> None:
        entries = parent.entries
        assert entries is not None
        entries[name] = node
        parent.size = dir_size(len(entries))
        parent.mtime_ns = parent.ctime_ns = now

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
    ) -> MemInode:
        parent = self._inodes[dir_ino]
        node = self._new(mode, uid, gid, now)
        kind = mode & S_IFMT
        if kind == S_IFDIR:
            parent.nlink += 1
            node.up = parent
        elif kind == S_IFLNK:
            assert target is not None
            node.target = target
            node.size = len(target.encode("utf-8", "surrogateescape"))
            node.blocks = symlink_blocks(node.size)
        elif kind == S_IFREG:
            pass
        node.rdev = rdev
        entries = parent.entries  # _attach, inline
        assert entries is not None
        entries[name] = node
        parent.size = EMPTY_DIR_SIZE + DIRENT_SIZE * len(entries)  # dir_size
        parent.mtime_ns = parent.ctime_ns = now
        return node

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        node = self._inodes[ino]
        node.nlink += 1
        node.ctime_ns = now
        self._attach(self._inodes[dir_ino], name, node, now)

    def unlink(self, dir_ino: int, name: str, now: int) -> MemInode:
        parent = self._inodes[dir_ino]
        entries = parent.entries
        assert entries is not None
        node = entries.pop(name)
        parent.size = dir_size(len(entries))
        parent.mtime_ns = parent.ctime_ns = now
        node.ctime_ns = now
        if node.entries is not None:
            node.nlink = 0
            parent.nlink -= 1
        else:
            node.nlink -= 1
        return node

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        src = self._inodes[src_dir]
        dst = self._inodes[dst_dir]
        assert src.entries is not None and dst.entries is not None
        node = src.entries.pop(src_name)
        src.size = dir_size(len(src.entries))
        src.mtime_ns = src.ctime_ns = now
        node.ctime_ns = now
        if node.entries is not None and src is not dst:
            src.nlink -= 1
            dst.nlink += 1
            node.up = dst
        self._attach(dst, dst_name, node, now)

    def free(self, ino: int) -> None:
        node = self._inodes.pop(ino)
        if node.data is not None:
            self._bytes -= node.blocks * 512
            node.data = None

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
        node = self._inodes[ino]
        if mode is not None:
            node.mode = mode
        if uid is not None:
            node.uid = uid
        if gid is not None:
            node.gid = gid
        if atime_ns is not None:
            node.atime_ns = atime_ns
        if mtime_ns is not None:
            node.mtime_ns = mtime_ns
        if ctime_ns is not None:
            node.ctime_ns = ctime_ns

    # -- data ------------------------------------------------------------------
    def read(self, ino: int, offset: int, size: int) -> bytes:
        node = self._inodes[ino]
        end = min(node.size, offset + size)
        if end <= offset:
            return _EMPTY
        data = node.data
        if data is None:
            return bytes(end - offset)
        if end <= len(data):
            return bytes(data[offset:end])
        got = bytes(data[offset:end])
        return got + bytes(end - offset - len(got))

    def _account(self, node: MemInode) -> None:
        """Recompute ``blocks`` after a data change and account the difference."""
        blocks = _alloc_pages(node) * 8
        self._bytes += (blocks - node.blocks) * 512
        node.blocks = blocks

    def write(self, ino: int, offset: int, data: bytes, now: int) -> None:
        node = self._inodes[ino]
        buf = node.data
        if buf is None:
            buf = node.data = bytearray()
        old_len = len(buf)
        end = offset + len(data)
        if self._max_bytes is not None:
            self._check_write(node, offset, end)
        if offset > old_len:
            first_gap = _pages(old_len)
            last_gap = offset // PAGE
            if last_gap > first_gap:
                if node.holes is None:
                    node.holes = []
                node.holes.append([first_gap, last_gap])
            buf.extend(bytes(offset - old_len))
        holes = node.holes
        if holes:
            _fill_holes(node, offset // PAGE, _pages(end))
            holes = node.holes
        buf[offset:end] = data
        if end > node.size:
            node.size = end
        node.mtime_ns = node.ctime_ns = now
        # _account, inline: allocated pages (less the holes) times 8.
        pages = (len(buf) + PAGE - 1) // PAGE
        if holes:
            pages -= sum(e - s for s, e in holes)
        blocks = pages * 8
        old_blocks = node.blocks
        if blocks != old_blocks:
            self._bytes += (blocks - old_blocks) * 512
            node.blocks = blocks

    def _check_write(self, node: MemInode, offset: int, end: int) -> None:
        """Raise Capacity, changing nothing, if a write would not fit."""
        assert self._max_bytes is not None
        data = node.data
        old_pages = _pages(len(data)) if data is not None else 0
        new_pages = 0
        for page in range(offset // PAGE, _pages(end)):
            if page >= old_pages or _in_holes(node, page):
                new_pages += 1
        if self._bytes + new_pages * PAGE > self._max_bytes:
            raise Capacity()

    def truncate(self, ino: int, size: int, now: int) -> None:
        node = self._inodes[ino]
        data = node.data
        if data is not None and size < len(data):
            del data[size:]
            if node.holes:
                limit = _pages(size)
                node.holes = [[s, min(e, limit)] for s, e in node.holes if s < limit] or None
            self._account(node)
        node.size = size
        node.mtime_ns = node.ctime_ns = now

    def seek_data(self, ino: int, offset: int) -> int | None:
        node = self._inodes[ino]
        if offset >= node.size or node.data is None:
            return None
        last = _pages(len(node.data))
        page = offset // PAGE
        while page < last:
            if not _in_holes(node, page):
                return max(offset, page * PAGE)
            page += 1
        return None

    def seek_hole(self, ino: int, offset: int) -> int:
        node = self._inodes[ino]
        data = node.data
        last = _pages(len(data)) if data is not None else 0
        page = offset // PAGE
        while page < last and not _in_holes(node, page):
            page += 1
        return min(node.size, max(offset, page * PAGE))

    def readlink(self, ino: int) -> str:
        target = self._inodes[ino].target
        assert target is not None
        return target

    # -- extended attributes ------------------------------------------------------
    def xattrs(self, ino: int) -> dict[str, bytes]:
        found = self._inodes[ino].xattrs
        return dict(found) if found else {}

    def set_xattr(self, ino: int, name: str, value: bytes | None, now: int) -> None:
        node = self._inodes[ino]
        if value is None:
            if node.xattrs:
                node.xattrs.pop(name, None)
        else:
            if node.xattrs is None:
                node.xattrs = {}
            node.xattrs[name] = value
        node.ctime_ns = now

    # -- snapshots ------------------------------------------------------------
    def snapshot(self, name: str) -> SnapshotInfo:
        from . import memory_snap

        return memory_snap.snapshot(self, name)

    def snapshots(self) -> list[SnapshotInfo]:
        from . import memory_snap

        return memory_snap.snapshots(self)

    def restore(self, name: str) -> None:
        from . import memory_snap

        memory_snap.restore(self, name)

    def delete_snapshot(self, name: str) -> None:
        from . import memory_snap

        memory_snap.delete(self, name)

    def snapshot_view(self, name: str) -> OldView:
        from . import memory_snap

        return memory_snap.view(self, name)

    # -- checking -------------------------------------------------------------
    def check(self) -> list[str]:
        problems: list[str] = []
        links: dict[int, int] = {}
        for node in self._inodes.values():
            if node.entries is not None:
                subdirs = 0
                for child in node.entries.values():
                    links[child.ino] = links.get(child.ino, 0) + 1
                    if child.entries is not None:
                        subdirs += 1
                if node.nlink and node.nlink != 2 + subdirs:
                    problems.append(f"directory {node.ino}: nlink {node.nlink} != {2 + subdirs}")
        for node in self._inodes.values():
            if node.entries is None and node.nlink != links.get(node.ino, 0):
                problems.append(f"inode {node.ino}: nlink {node.nlink} != {links.get(node.ino, 0)}")
        return problems


def _in_holes(node: MemInode, page: int) -> bool:
    holes = node.holes
    if not holes:
        return False
    for start, end in holes:
        if start <= page < end:
            return True
    return False


def _fill_holes(node: MemInode, first: int, last: int) -> None:
    """Mark pages ``[first, last)`` allocated, splitting hole ranges."""
    holes = node.holes
    assert holes is not None
    kept: list[list[int]] = []
    for start, end in holes:
        if end <= first or start >= last:
            kept.append([start, end])
            continue
        if start < first:
            kept.append([start, first])
        if end > last:
            kept.append([last, end])
    node.holes = kept or None
