"""The inode store contract every store implements.

A store keeps inodes and directory entries (dentries) by inode number. It never
sees a path string, a credential or a cwd: path resolution, permission checks,
open file descriptions and errno ordering live in ``osbox.kernel``. The kernel
calls a store only with arguments it has already validated, so store methods
do not raise errnos for bad input; the one exception is capacity (see
``Capacity``).

Rules every store follows (they mirror Linux tmpfs, kernel 6.x):

* Names are ``str`` (``os.fsdecode`` form, surrogateescape), never ``.``/``..``.
* A directory's ``size`` is ``40 + 20 * entries`` (tmpfs ``BOGO_DIRENT_SIZE``);
  its ``nlink`` is ``2 + subdirectories``. ``readdir`` lists newest first.
* A symlink's ``size`` is ``len(fsencode(target))``; it occupies 8 blocks when
  that length is 128 or more (tmpfs keeps shorter targets inline), else 0.
* A regular file's ``blocks`` counts allocated 4096-byte pages times 8. Pages
  are allocated by ``write``; ``truncate`` upward leaves a hole.
* Timestamps are integer nanoseconds. Each mutating method applies the updates
  Linux makes for that operation, with the ``now`` it is given:

  ============  ==========================================================
  create        new inode a/m/ctime = now; parent m/ctime = now
  link          inode ctime = now, nlink + 1; parent m/ctime = now
  unlink        inode ctime = now, nlink - 1 (a directory drops to 0 and its
                parent loses one link); parent m/ctime = now
  rename        inode ctime = now; both parents m/ctime = now; a directory
                moved between parents moves its ``..`` link (nlink)
  write         m/ctime = now (only when called: the kernel skips empty writes)
  truncate      m/ctime = now, always
  ============  ==========================================================

Calling order for the kernel: every mutation happens under the machine lock,
between ``begin``/``end`` of one syscall; a store may only make changes durable
at ``end`` boundaries, so a crash never leaves half of one syscall applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .snapshots import OldView, SnapshotInfo

from .audit import AuditRow, row_matches

__all__ = [
    "PAGE",
    "S_IFMT",
    "Capacity",
    "Inode",
    "Store",
    "dir_size",
    "symlink_blocks",
]

PAGE = 4096
S_IFMT = 0o170000  # the file-type mask (``stat.S_IFMT`` is a function)
DIRENT_SIZE = 20
EMPTY_DIR_SIZE = 40


def dir_size(entries: int) -> int:
    """tmpfs directory size in bytes for ``entries`` dentries."""
    return EMPTY_DIR_SIZE + DIRENT_SIZE * entries


def symlink_blocks(target_len: int) -> int:
    """tmpfs ``st_blocks`` of a symlink whose target is ``target_len`` bytes."""
    return 8 if target_len >= 128 else 0


class Capacity(Exception):
    """Raised by a store when an operation would exceed its byte or inode
    capacity. The store has changed nothing when it raises; the kernel turns it
    into ``ENOSPC``."""


class Inode:
    """Attributes of one inode, analogous to Linux's ``struct inode``.

    The kernel treats an ``Inode`` returned by a store as read-only and changes
    it only through store methods. A memory store may return its live object; a
    persistent store returns a snapshot.
    """

    __slots__ = (
        "ino",
        "mode",
        "nlink",
        "uid",
        "gid",
        "size",
        "atime_ns",
        "mtime_ns",
        "ctime_ns",
        "rdev",
        "blocks",
    )

    ino: int
    mode: int
    nlink: int
    uid: int
    gid: int
    size: int
    atime_ns: int
    mtime_ns: int
    ctime_ns: int
    rdev: int
    blocks: int

    def __repr__(self) -> str:
        return f"<Inode {self.ino} mode={self.mode:o} nlink={self.nlink} size={self.size}>"


class Store:
    """Abstract inode store. Every method takes inode numbers, never paths.

    Errors: methods raise ``KeyError`` for an inode number that does not exist
    (a kernel bug, never a user error) and ``Capacity`` when full. Nothing else.
    """

    root_ino: int
    #: True when ``get``/``lookup`` return the store's live objects, which stay
    #: current across syscalls (the kernel may then cache them, as a dcache).
    live = False

    # -- lifecycle ---------------------------------------------------------
    def begin(self) -> None:
        """Start one syscall's worth of changes (called under the machine lock)."""

    def end(self) -> None:
        """Finish one syscall; changes up to here may now be made durable."""

    def sync(self) -> None:
        """Make every change so far durable before returning (fsync, sync)."""

    def close(self) -> None:
        """Sync and release the store. No method may be called afterwards."""

    def load_config(self) -> dict[str, Any] | None:
        """Return the machine configuration saved with ``save_config``, if any."""
        raise NotImplementedError

    def save_config(self, config: dict[str, Any]) -> None:
        """Persist the machine configuration (a JSON-serialisable dict)."""
        raise NotImplementedError

    def set_capacity(self, max_bytes: int | None, max_inodes: int | None) -> None:
        """Limit allocated bytes (counted in whole pages) and inodes; None is
        unlimited."""
        raise NotImplementedError

    def usage(self) -> tuple[int, int]:
        """Return ``(bytes allocated, inodes in use)``."""
        raise NotImplementedError

    # -- inodes and dentries ----------------------------------------------
    def get(self, ino: int) -> Inode:
        """Return the inode's attributes."""
        raise NotImplementedError

    def lookup(self, dir_ino: int, name: str) -> Inode | None:
        """Return the inode ``name`` names in directory ``dir_ino``, or None."""
        raise NotImplementedError

    def child(self, parent: Inode, name: str) -> Inode | None:
        """``lookup`` given the directory's ``Inode`` as this store returned
        it (a store may find the entry faster from the object)."""
        return self.lookup(parent.ino, name)

    def names(self, dir_ino: int) -> list[str]:
        """The entry names of a directory, newest first (``readdir`` names)."""
        return [name for name, _, _ in self.readdir(dir_ino)]

    def parent(self, dir_ino: int) -> int:
        """Return the directory that holds directory ``dir_ino`` (its ``..``);
        the root is its own parent. A removed directory keeps its last parent."""
        raise NotImplementedError

    def readdir(self, dir_ino: int) -> list[tuple[str, int, int]]:
        """Return ``(name, ino, S_IFMT bits)`` for each entry, newest first."""
        raise NotImplementedError

    def is_empty(self, dir_ino: int) -> bool:
        """Return whether directory ``dir_ino`` has no entries."""
        raise NotImplementedError

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
    ) -> Inode:
        """Create an inode of ``mode`` (type bits included) and link it as
        ``name`` in ``dir_ino``; ``target`` is a symlink's content."""
        raise NotImplementedError

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        """Add a dentry ``name`` in ``dir_ino`` for existing inode ``ino``."""
        raise NotImplementedError

    def unlink(self, dir_ino: int, name: str, now: int) -> Inode:
        """Remove dentry ``name`` and drop the link; return the inode after.

        An inode left with ``nlink == 0`` is not freed: the kernel calls
        ``free`` or, while it is still open, ``orphan``."""
        raise NotImplementedError

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        """Move dentry ``src_name`` to ``dst_name``, which does not exist."""
        raise NotImplementedError

    def free(self, ino: int) -> None:
        """Delete an inode with ``nlink == 0`` and its data."""
        raise NotImplementedError

    def orphan(self, ino: int) -> None:
        """Record that an ``nlink == 0`` inode is kept alive by open files, so
        a crash before ``free`` is cleaned up on the next open."""

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
        """Set the given attributes and no others (``mode`` includes type bits)."""
        raise NotImplementedError

    # -- data ---------------------------------------------------------------
    def read(self, ino: int, offset: int, size: int) -> bytes:
        """Return up to ``size`` bytes at ``offset``; holes read as zeros."""
        raise NotImplementedError

    def write(self, ino: int, offset: int, data: bytes, now: int) -> None:
        """Write ``data`` (non-empty) at ``offset``, extending the file."""
        raise NotImplementedError

    def truncate(self, ino: int, size: int, now: int) -> None:
        """Set the file size, dropping data beyond it or leaving a hole."""
        raise NotImplementedError

    def seek_data(self, ino: int, offset: int) -> int | None:
        """First offset ``>= offset`` inside an allocated page (below EOF),
        or None."""
        raise NotImplementedError

    def seek_hole(self, ino: int, offset: int) -> int:
        """First offset ``>= offset`` in a hole; EOF counts as a hole.
        ``offset`` is below EOF."""
        raise NotImplementedError

    def readlink(self, ino: int) -> str:
        """Return a symlink's target."""
        raise NotImplementedError

    # -- extended attributes ------------------------------------------------------
    def xattrs(self, ino: int) -> dict[str, bytes]:
        """The inode's extended attributes (a copy; empty when it has none).
        Names are ``str`` (surrogateescape), values bytes."""
        raise NotImplementedError

    def set_xattr(self, ino: int, name: str, value: bytes | None, now: int) -> None:
        """Set one extended attribute, or remove it when ``value`` is None,
        and set ctime to ``now``. The kernel has checked names, flags and
        permissions. Raises ``Capacity`` when the store is full."""
        raise NotImplementedError

    # -- the audit log (see ``stores/audit.py``) ------------------------------
    # The base keeps it in memory; a persistent store overrides all three.
    _audit: list[AuditRow] | None = None

    def audit_sink(self) -> Callable[[AuditRow], None]:
        """A function appending one row, as ``audit_append([row])`` does but
        cheaper; callable from any thread, with or without the machine lock."""
        if self._audit is None:
            self._audit = []
        return self._audit.append

    def audit_append(self, rows: list[AuditRow]) -> None:
        """Append ``rows`` to the audit log, after those appended before."""
        self.audit_sink()
        assert self._audit is not None
        self._audit.extend(rows)

    def audit_rows(
        self, pid: int | None = None, call: str | None = None, errors: bool = False
    ) -> list[AuditRow]:
        """The audit log's rows in order, only process ``pid``'s, only calls
        named ``call``, only failed calls (``errors``), when given."""
        rows = list(self._audit or ())
        return [r for r in rows if row_matches(r, pid, call, errors)]

    # -- snapshots (see ``stores/snapshots.py``) ----------------------------------
    def snapshot(self, name: str) -> SnapshotInfo:
        """Take snapshot ``name`` (O(1)). Raises ``SnapshotExists``."""
        raise NotImplementedError

    def snapshots(self) -> list[SnapshotInfo]:
        """The snapshots, oldest first."""
        raise NotImplementedError

    def restore(self, name: str) -> None:
        """Put the store back as it was at snapshot ``name`` and delete the
        later snapshots. Raises ``NoSuchSnapshot``."""
        raise NotImplementedError

    def delete_snapshot(self, name: str) -> None:
        """Forget snapshot ``name``. Raises ``NoSuchSnapshot``."""
        raise NotImplementedError

    def snapshot_view(self, name: str) -> OldView:
        """The store at snapshot ``name``, for what changed since."""
        raise NotImplementedError

    # -- checking -------------------------------------------------------------
    def check(self) -> list[str]:
        """Verify internal consistency (nlink, sizes, reachability, orphans);
        return a list of problems, empty when consistent."""
        raise NotImplementedError
