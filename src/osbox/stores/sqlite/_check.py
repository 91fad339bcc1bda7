"""fsck for the SQLite store: ``check_file`` verifies one snapshot of a
machine file against the rules of ``osbox.stores.base`` and the file layout
(SQLite integrity, nlink, sizes, blocks, reachability, orphans, chunks,
xattrs and the running totals)."""

from __future__ import annotations

import sqlite3
from stat import S_IFDIR, S_IFLNK, S_IFREG, S_ISDIR

from ..base import S_IFMT, dir_size, symlink_blocks
from ._rows import CHUNK, CHUNK_PAGES, FULL_MASK, dec, page_count
from ._schema import TOTALS

__all__ = ["check_file"]


def check_file(
    db: sqlite3.Connection, root: int, running: tuple[int, int, int, int] | None
) -> list[str]:
    """Return the problems found in ``db`` (empty when consistent); the caller
    holds one transaction open around it, for a consistent snapshot.
    ``running`` is the store's in-memory ``(bytes, inodes, dseq, next_ino)``
    while a batch has them, else None (read them from ``meta``)."""
    problems = [f"sqlite: {msg}" for (msg,) in db.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["sqlite: ok"]:
        return problems
    problems = []
    inodes: dict[int, tuple[int, int, int, int, int | None]] = {}
    ups: dict[int, int | None] = {}
    for ino, mode, nlink, size, blocks, tlen, up in db.execute(
        "SELECT ino, mode, nlink, size, blocks, length(target), parent FROM inodes"
    ):
        inodes[ino] = (mode, nlink, size, blocks, tlen)
        ups[ino] = up

    def is_dir(ino: int) -> bool:
        return ino in inodes and S_ISDIR(inodes[ino][0])

    links: dict[int, int] = {}
    entries: dict[int, int] = {}
    subdirs: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for parent, raw, ino in db.execute("SELECT parent, name, ino FROM dentries"):
        name = dec(raw)
        links[ino] = links.get(ino, 0) + 1
        entries[parent] = entries.get(parent, 0) + 1
        children.setdefault(parent, []).append(ino)
        if parent not in inodes:
            problems.append(f"dentry {name!r} in missing directory {parent}")
        elif not is_dir(parent):
            problems.append(f"dentry {name!r} in non-directory {parent}")
        if ino not in inodes:
            problems.append(f"dentry {parent}/{name!r} names missing inode {ino}")
        elif is_dir(ino):
            subdirs[parent] = subdirs.get(parent, 0) + 1
            if ups[ino] != parent:
                problems.append(f"directory {ino}: parent {ups[ino]} != {parent}")
    if not is_dir(root):
        problems.append(f"root directory {root} is missing")
    elif ups[root] != root:
        problems.append(f"root directory {root}: parent {ups[root]} != {root}")
    reachable = {root}
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in reachable:
                reachable.add(child)
                todo.append(child)
    orphans = dict(db.execute("SELECT ino, owner FROM orphans").fetchall())
    sessions = {sid for (sid,) in db.execute("SELECT id FROM sessions")}
    for ino, owner in orphans.items():
        if ino not in inodes:
            problems.append(f"orphan {ino} is not an inode")
        elif ino in links or inodes[ino][1]:
            problems.append(f"orphan {ino} is still linked")
        if owner not in sessions:
            problems.append(f"orphan {ino} belongs to unknown session {owner!r}")

    pages: dict[int, int] = {}
    for ino, idx, mask, length in db.execute("SELECT ino, idx, mask, length(data) FROM chunks"):
        where = f"inode {ino} chunk {idx}"
        if ino not in inodes or inodes[ino][0] & S_IFMT != S_IFREG:
            problems.append(f"{where}: not a regular file")
            continue
        if not 0 < mask <= FULL_MASK or idx < 0 or length > CHUNK:
            problems.append(f"{where}: bad mask {mask:#x} or length {length}")
            continue
        pages[ino] = pages.get(ino, 0) + mask.bit_count()
        size = inodes[ino][2]
        top = idx * CHUNK_PAGES + mask.bit_length()  # pages up to the last allocated
        if top > page_count(size) or idx * CHUNK + length > size:
            problems.append(f"{where}: data beyond EOF {size}")

    for (ino,) in db.execute("SELECT DISTINCT ino FROM xattrs"):
        if ino not in inodes:
            problems.append(f"xattrs of missing inode {ino}")

    total_bytes = 0
    for ino, (mode, nlink, size, blocks, tlen) in inodes.items():
        kind = mode & S_IFMT
        linked = links.get(ino, 0)
        if kind == S_IFDIR:
            want_links = 2 + subdirs.get(ino, 0) if linked or ino == root else 0
            if linked > 1:
                problems.append(f"directory {ino}: {linked} dentries")
            want_size = dir_size(entries.get(ino, 0))
        else:
            want_links = linked
            want_size = size
        if nlink != want_links:
            problems.append(f"inode {ino}: nlink {nlink} != {want_links}")
        if size != want_size:
            problems.append(f"directory {ino}: size {size} != {want_size}")
        if kind == S_IFLNK:
            if tlen != size:
                problems.append(f"symlink {ino}: size {size} != target length {tlen}")
            if blocks != symlink_blocks(size):
                problems.append(f"symlink {ino}: blocks {blocks} != {symlink_blocks(size)}")
        elif tlen is not None:
            problems.append(f"inode {ino}: target set on a non-symlink")
        if kind == S_IFREG:
            if blocks != pages.get(ino, 0) * 8:
                problems.append(f"file {ino}: blocks {blocks} != {pages.get(ino, 0) * 8}")
            total_bytes += blocks * 512
        elif kind != S_IFLNK and blocks:
            problems.append(f"inode {ino}: blocks {blocks} != 0")
        if ino not in reachable and ino not in orphans:
            problems.append(f"inode {ino}: unreachable and not an orphan")

    if running is not None:
        used, count, dseq, next_ino = running
    else:
        totals = dict(db.execute(TOTALS).fetchall())
        used, count, dseq = totals["bytes"], totals["inodes"], totals["dseq"]
        next_ino = totals["next_ino"]
    if inodes and max(inodes) >= next_ino:
        problems.append(f"next inode number {next_ino} is not above {max(inodes)}")
    if used != total_bytes:
        problems.append(f"usage: {used} bytes recorded, {total_bytes} allocated")
    if count != len(inodes):
        problems.append(f"usage: {count} inodes recorded, {len(inodes)} exist")
    (max_seq,) = db.execute("SELECT max(seq) FROM dentries").fetchone()
    if max_seq is not None and max_seq > dseq:
        problems.append(f"dentry sequence {dseq} is behind {max_seq}")
    return problems
