"""The SQLite store's file data: read, write, truncate, SEEK_DATA/SEEK_HOLE.

Data lives in ``chunks(ino, idx, mask, data)`` rows of ``CHUNK`` bytes. Bit
``i`` of ``mask`` says page ``i`` of the chunk is allocated; a row exists only
while its mask is non-zero. ``data`` is trimmed after the last byte written
in the chunk; bytes past it and bytes of unallocated pages read as zeros. A
file's ``blocks`` is 8 per allocated page, and the store's byte total counts
allocated pages, which ``write`` checks against the capacity.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..base import PAGE, Capacity
from ._batch import Batches
from ._rows import CHUNK, CHUNK_PAGES, FULL_MASK, page_count, row_inode

__all__ = ["Data"]

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


class Data(Batches):
    """The data layer of ``SqliteStore``."""

    _max_bytes: int | None  # the byte capacity (set by SqliteStore)

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
                self._icache[ino] = row_inode(
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
                self._icache[ino] = row_inode(
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
            keep = page_count(size) - idx * CHUNK_PAGES
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
