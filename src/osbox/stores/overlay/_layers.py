"""The overlay store's state and the moves between its layers.

``Layers`` holds what the overlay knows (the host objects looked up, the
copied-up objects' visible numbers, the merged directories and their counts)
and the primitives the operations in ``_store`` are built from: an upper
inode as the kernel sees it (``_out``), a host entry as an inode
(``_host_child``), whiteouts and ``copy_up``. What the overlay does not
change (the lifecycle, capacity, the audit log, snapshots) passes to the
upper store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from errno import ENOSPC
from stat import S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG
from typing import TYPE_CHECKING, Any

from ..base import S_IFMT, Capacity, Inode, Store, dir_size
from ..errors import Errno
from ._host import LOWER_BASE, Host
from ._model import (
    ESCAPE,
    PREFIX,
    WHITEOUT_MODE,
    X_ORIGIN,
    Lower,
    OverlayMount,
    host_join,
    is_whiteout,
    origin_record,
    snapshot,
)

if TYPE_CHECKING:
    from ..audit import AuditRow
    from ..snapshots import OldView, SnapshotInfo

__all__ = ["Layers"]

_COPIED_XATTRS = ("user.", "security.", "trusted.")


class Layers(Store):
    """The overlay's state over ``upper`` (see ``OverlayStore``)."""

    live = False  # inodes are snapshots: the kernel keeps no dentry cache

    def __init__(self, upper: Store, config: dict[str, Any]) -> None:
        self.upper = upper
        self.root_ino = upper.root_ino
        self._config = config
        self.host = Host(config.setdefault("overlay_devs", {}))
        self._mounts: list[OverlayMount] = []
        self._lower: dict[int, Lower] = {}  # visible ino -> host object not copied up
        self._v2u: dict[int, int] = {}  # visible ino of a copied-up object -> upper ino
        self._u2v: dict[int, int] = {}
        self._merged: dict[int, str] = {}  # upper dir -> host dir it merges
        self._counts: dict[int, list[int]] = {}  # merged dir -> [entries, subdirs]

    # -- visible <-> upper ---------------------------------------------------------
    def _out(self, node: Inode) -> Inode:
        """An upper inode as the kernel sees it: its visible number, and the
        merged view's size and links for a merged directory."""
        u = node.ino
        vis = self._u2v.get(u)
        if vis is None and u not in self._merged:
            return node
        copy = snapshot(node)
        if vis is not None:
            copy.ino = vis
        if u in self._merged and copy.nlink:
            entries, subdirs = self._count(u)
            copy.size = dir_size(entries)
            copy.nlink = 2 + subdirs
        return copy

    def _count(self, u: int) -> list[int]:
        """``[entries, subdirectories]`` of merged directory ``u``."""
        counts = self._counts.get(u)
        if counts is not None:
            return counts
        upper = self.upper
        seen: set[str] = set()
        entries = subdirs = 0
        for name, ino, kind in upper.readdir(u):
            seen.add(name)
            if kind == S_IFCHR and is_whiteout(upper.get(ino)):
                continue
            entries += 1
            subdirs += kind == S_IFDIR
        for name, isdir in self.host.listing(self._merged[u]).items():
            if name not in seen:
                entries += 1
                subdirs += isdir
        counts = self._counts[u] = [entries, subdirs]
        return counts

    def _adjust(self, u: int, entries: int, subdirs: int) -> None:
        counts = self._counts.get(u)
        if counts is not None:
            counts[0] += entries
            counts[1] += subdirs

    def _lower_inode(self, vis: int, rec: Lower) -> Inode:
        st = rec.st
        node = Inode()
        node.ino = vis
        node.mode = st.st_mode
        node.uid = st.st_uid
        node.gid = st.st_gid
        node.atime_ns = st.st_atime_ns if rec.atime is None else rec.atime
        node.mtime_ns = st.st_mtime_ns
        node.ctime_ns = st.st_ctime_ns if rec.ctime is None else rec.ctime
        node.rdev = st.st_rdev
        node.blocks = st.st_blocks
        if st.st_mode & S_IFMT == S_IFDIR:
            counts = self._counts.get(vis)
            if counts is None:
                listing = self.host.listing(rec.path)
                counts = self._counts[vis] = [len(listing), sum(listing.values())]
            node.size = dir_size(counts[0])
            node.nlink = 0 if rec.dead else 2 + counts[1]
        else:
            node.size = st.st_size
            node.nlink = 0 if rec.dead else max(st.st_nlink - rec.unlinked, 0)
        return node

    def _host_child(self, dir_vis: int, hdir: str, name: str) -> Inode | None:
        """Entry ``name`` of host directory ``hdir`` seen in visible
        directory ``dir_vis`` (already known not to be shadowed)."""
        host = self.host
        if name not in host.listing(hdir):
            return None
        path = host_join(hdir, name)
        st = host.lstat(path)
        if st is None:
            return None
        vis = host.ino(st)
        u = self._v2u.get(vis)
        if u is not None:  # a host hard link of an object copied up elsewhere
            return self._out(self.upper.get(u))
        rec = self._lower.get(vis)
        if rec is None or rec.dead:
            rec = self._lower[vis] = Lower(path, dir_vis, name, st)
        return self._lower_inode(vis, rec)

    def _whiteout(self, dir_u: int, name: str, now: int) -> None:
        try:
            self.upper.create(dir_u, name, WHITEOUT_MODE, 0, 0, now, 0)
        except Capacity:  # unlink and rename have no Capacity of their own
            raise Errno(ENOSPC) from None

    def _drop_whiteout(self, dir_u: int, name: str, now: int) -> bool:
        """Remove a whiteout ``name`` from upper directory ``dir_u``;
        whether there was one."""
        upper = self.upper
        node = upper.lookup(dir_u, name)
        if node is None or not is_whiteout(node):
            return False
        upper.unlink(dir_u, name, now)
        upper.free(node.ino)
        return True

    # -- copy-up -------------------------------------------------------------------
    def copy_up(self, vis: int, where: tuple[int, str] | None = None) -> int:
        """The upper inode of visible inode ``vis``, copying the host object
        up (as entry ``where`` = (upper dir, name), by default where it was
        found) if it is not there yet. Errors: EACCES, ENXIO (``Host``);
        ENOSPC when the upper store is full (nothing is left half copied)."""
        if vis < LOWER_BASE:
            return vis
        u = self._v2u.get(vis)
        if u is not None:
            return u
        rec = self._lower[vis]
        st = rec.st
        kind = st.st_mode & S_IFMT
        data: bytes | None = None
        target: str | None = None
        if kind == S_IFREG:
            data = self.host.read_all(rec.path)  # EACCES before anything changes
        elif kind == S_IFLNK:
            target = self.host.readlink(rec.path)
        upper = self.upper
        now = time.time_ns()
        detached = False
        if where is None:
            if not rec.dead:
                where = (self.copy_up(rec.parent), rec.name)
            if where is None or upper.lookup(where[0], where[1]) is not None:
                # Unlinked while open (or shadowed): an inode in no directory.
                where, detached = (upper.root_ino, f".osbox-copy-up-{vis}"), True
        dir_u, name = where
        parent = upper.get(dir_u)
        pmtime, pctime = parent.mtime_ns, parent.ctime_ns
        mode = st.st_mode
        try:
            node = upper.create(dir_u, name, mode, st.st_uid, st.st_gid, now, st.st_rdev, target)
        except Capacity:
            upper.setattr(dir_u, mtime_ns=pmtime, ctime_ns=pctime)
            raise Errno(ENOSPC) from None
        u = node.ino
        try:
            if data:
                upper.write(u, 0, data, now)
            for key, value in self.host.xattrs(rec.path).items():
                if key.startswith(_COPIED_XATTRS) and (
                    not key.startswith(PREFIX) or key.startswith(ESCAPE)
                ):
                    upper.set_xattr(u, key, value, now)
            upper.set_xattr(u, X_ORIGIN, origin_record(rec.path, vis, st, data, target), now)
        except Capacity:  # the store is full: no half copy shadows the host object
            upper.unlink(dir_u, name, now)
            upper.free(u)
            upper.setattr(dir_u, mtime_ns=pmtime, ctime_ns=pctime)
            raise Errno(ENOSPC) from None
        atime = st.st_atime_ns if rec.atime is None else rec.atime
        ctime = st.st_ctime_ns if rec.ctime is None else rec.ctime
        upper.setattr(u, atime_ns=atime, mtime_ns=st.st_mtime_ns, ctime_ns=ctime)
        if detached:
            upper.unlink(dir_u, name, now)
            upper.orphan(u)
        upper.setattr(dir_u, mtime_ns=pmtime, ctime_ns=pctime)
        self._v2u[vis] = u
        self._u2v[u] = vis
        if kind == S_IFDIR and not detached:
            self._merged[u] = rec.path
            self._counts.pop(vis, None)
        del self._lower[vis]
        return u

    # -- lifecycle -----------------------------------------------------------------
    def begin(self) -> None:
        self.upper.begin()

    def end(self) -> None:
        if self.host.new_slot:
            self.host.new_slot = False
            self.upper.save_config(self._config)
        self.upper.end()

    def sync(self) -> None:
        self.upper.sync()

    def close(self) -> None:
        if self.host.new_slot:
            self.host.new_slot = False
            self.upper.save_config(self._config)
        self.upper.close()

    def load_config(self) -> dict[str, Any] | None:
        return self.upper.load_config()

    def save_config(self, config: dict[str, Any]) -> None:
        self.upper.save_config(config)

    def set_capacity(self, max_bytes: int | None, max_inodes: int | None) -> None:
        self.upper.set_capacity(max_bytes, max_inodes)

    def usage(self) -> tuple[int, int]:
        return self.upper.usage()

    # -- the audit log and snapshots: the upper store's -----------------------------
    def audit_sink(self) -> Callable[[AuditRow], None]:
        return self.upper.audit_sink()

    def audit_append(self, rows: list[AuditRow]) -> None:
        self.upper.audit_append(rows)

    def audit_rows(
        self, pid: int | None = None, call: str | None = None, errors: bool = False
    ) -> list[AuditRow]:
        return self.upper.audit_rows(pid, call, errors)

    def snapshot(self, name: str) -> SnapshotInfo:
        return self.upper.snapshot(name)

    def snapshots(self) -> list[SnapshotInfo]:
        return self.upper.snapshots()

    def delete_snapshot(self, name: str) -> None:
        self.upper.delete_snapshot(name)

    def snapshot_view(self, name: str) -> OldView:
        return self.upper.snapshot_view(name)
