"""The SQLite store: a whole machine in one SQLite file.

File layout (``SCHEMA_VERSION`` 3):

* ``meta(key, value)``: ``magic``, ``schema_version`` and running totals kept
  so ``usage`` is O(1): ``bytes`` (allocated data pages * 4096), ``inodes``,
  ``next_ino`` (inode numbers are never reused, as in the memory store) and
  ``dseq`` (the last dentry sequence number handed out). The file header's
  ``application_id`` is ``APPLICATION_ID`` as well.
* ``inodes``: one row per inode, ``target`` holding a symlink's target bytes.
* ``dentries(parent, name, ino, seq)``: ``name`` is the surrogateescape UTF-8
  encoding of the name. ``seq`` grows with every link or rename, so
  ``readdir`` lists newest first by sorting on it. (There is no index on
  ``(parent, seq)``: it would cost every create, unlink and rename a second
  b-tree update to speed up only ``readdir``, which sorts in C anyway.)
* ``chunks(ino, idx, mask, data)``: file data in 64 KiB chunks. Bit ``i`` of
  ``mask`` says page ``i`` (4096 bytes) of the chunk is allocated; a chunk row
  exists only while its mask is non-zero. ``data`` is trimmed after the last
  byte written in the chunk; bytes past it and bytes of unallocated pages
  read as zeros. It is a rowid table with a unique ``(ino, idx)`` index, not
  ``WITHOUT ROWID``, because a ``WITHOUT ROWID`` b-tree would also copy 64 KiB
  rows into its interior pages.
* ``orphans(ino, owner)``: unlinked inodes still open in session ``owner``.
* ``sessions(id, pid, start, opened)``: processes that own orphans; ``start``
  is the process start time from ``/proc`` (to notice a reused pid).
* ``config(key, value)``: the machine configuration as JSON.
* ``xattrs(ino, name, value)`` (since version 2): extended attributes, the
  name encoded as dentry names are; listed in name order. A rowid table, as
  ``chunks`` is, since a value may be 64 KiB. Opening a version 1 file adds
  it.
* ``audit(seq, time_ns, pid, uid, cwd, call, args, kwargs, result, errno)``
  (since version 3): the audit log, one row per recorded ``os`` call
  (``_audit``). Opening an older file adds it.

Durability: the connection runs in autocommit mode. The first change of a
batch runs ``BEGIN IMMEDIATE``; the batch is committed by ``end`` once it is a
second old, by a flusher thread (holding the machine lock) when the process
goes idle, and by ``sync`` and ``close``. Commits only happen outside
``begin``/``end``, so a crash loses at most the last second and never leaves
half of a syscall. While a batch is open this process holds SQLite's write
lock; other processes sharing the file wait for it (``busy_timeout``).

Modules, one concept each (``SqliteStore`` is built in layers, each a
subclass of the one before):

* ``_rows``: name encoding, inode rows, chunk geometry.
* ``_schema``: the schema; opening, verifying, creating and upgrading a file.
* ``_cache``: ``Caches``, the inode and dentry caches.
* ``_batch``: ``Batches``, transactions, batches and commits.
* ``_data``: ``Data``, file data in chunks (read, write, truncate, seek).
* ``_store``: ``SqliteStore``, lifecycle, inodes, dentries, attributes,
  symlinks and extended attributes.
* ``_check``: fsck (``check``).
* ``_audit``: the ``audit`` table.
* ``_flush``: the flusher thread, the atexit flush, sessions and orphan
  reaping.
"""

from __future__ import annotations

from ._schema import MAGIC, SCHEMA_VERSION
from ._store import SqliteStore

__all__ = ["MAGIC", "SCHEMA_VERSION", "SqliteStore"]
