"""``OverlayStore``: host directories as copy-on-write layers of a machine.

It wraps the machine's own store (``upper``) and implements the whole
``stores/base.py`` contract, so the kernel does not know overlays exist.
Semantics follow Linux overlayfs (``Documentation/filesystems/overlayfs.rst``)
with ``redirect_dir`` and ``xino`` behaviour:

* A *merged* directory is an upper directory with a host counterpart (a
  mount's root, or a copied-up host directory, whose origin path it keeps
  when renamed). It lists its upper entries, less whiteouts, then the host
  entries they do not shadow. Its ``st_size``/``st_nlink`` follow the tmpfs
  rules over that merged view, as every directory of the machine does.
* A host object nobody changed is served from the host (``_host.Host``)
  under a visible inode number at or above ``LOWER_BASE``; its owners, mode
  and times are the host's, so the kernel checks permissions against them.
* The first change copies it (and the directories above it) up into
  ``upper``, keeping its visible inode number, with an origin record; the
  copy-up leaves the parent's times as they were (``ovl_set_timestamps``).
  An atime update alone (relatime on read) does not copy up.
* Removing or renaming away a name the host has leaves a whiteout; making a
  directory over a whiteout makes it opaque. ``mknod`` of a character
  device 0/0 in a merged directory is EPERM, as on overlayfs.

Errors beyond the contract (``stores.errors.Errno``): EACCES when a host
file must be read (read, copy-up) and the osbox process may not read it;
ENXIO when a host object changed type under the machine; EPERM for a
whiteout-like ``mknod``. The overlay's own ``trusted.overlay.`` records are
never shown; one the machine sets is stored escaped
(``trusted.overlay.overlay.X``) and shown as set, as Linux 6.7+ does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from errno import EPERM
from stat import S_IFCHR, S_IFDIR, S_IFREG

from ..base import S_IFMT, Capacity, Inode
from ..errors import Errno
from ._attach import adopt_root, rebuild, settle
from ._host import LOWER_BASE
from ._layers import Layers
from ._model import (
    X_LOWER,
    X_OPAQUE,
    Lower,
    OverlayMount,
    host_join,
    is_whiteout,
    shown_xattrs,
    stored_xattr,
)

__all__ = ["OverlayStore"]


def _keep_nothing(name: str, node: Inode) -> bool:
    return False


def _unused(ino: int) -> bool:
    return False


class OverlayStore(Layers):
    """The machine's store with host directories layered in (see module doc).

    ``upper`` is the wrapped store; ``config`` the machine's configuration
    dict, where ``config["overlay_devs"]`` keeps the host ``st_dev`` slots of
    visible inode numbers (saved with the machine at the end of a syscall).
    """

    # -- attaching ---------------------------------------------------------------
    def attach(
        self,
        host_dir: str,
        at: str,
        dir_ino: int,
        *,
        first: bool,
        keep: Callable[[str, Inode], bool] | None = None,
        in_use: Callable[[int], bool] | None = None,
    ) -> OverlayMount:
        """Layer host directory ``host_dir`` (absolute) over the machine
        directory ``at`` whose visible inode is ``dir_ino`` (copied up if it
        is a host directory itself). ``first``: the overlay is new, so the
        directory gets the host's mode, owners and times, the
        ``trusted.overlay.lower`` record, and what it holds is settled
        (``_attach.settle``, with ``keep`` and ``in_use``); otherwise the
        maps are read back from the records below it (a reopened machine)."""
        u = self.copy_up(dir_ino)
        if first:
            adopt_root(self, u, host_dir)
            self.upper.set_xattr(
                u, X_LOWER, host_dir.encode("utf-8", "surrogateescape"), self.upper.get(u).ctime_ns
            )
            self._merged[u] = host_dir
            settle(self, u, host_dir, keep or _keep_nothing, in_use or _unused)
        else:
            self._merged[u] = host_dir
            rebuild(self, u)
        self._counts.pop(u, None)
        mount = OverlayMount(host_dir, at, u)
        self._mounts.append(mount)
        return mount

    # -- the low-level API (diff/commit) -------------------------------------------
    def mounts(self) -> list[OverlayMount]:
        """The overlays attached, in the order they were."""
        return list(self._mounts)

    def forget_host_cache(self) -> None:
        """Drop cached host ``lstat``s and listings (the host changed), and
        refresh what the machine knows of host objects it looked up."""
        self.host.forget()
        self._counts.clear()
        for rec in self._lower.values():
            st = self.host.lstat(rec.path)
            if st is not None:
                rec.st = st

    def revert(self, upper_dir_ino: int, name: str) -> None:
        """Drop upper entry ``name`` of upper directory ``upper_dir_ino`` (a
        whiteout, a copied-up or an added object, a directory with all it
        holds), so the host object shows through again."""
        node = self.upper.lookup(upper_dir_ino, name)
        if node is None:
            return
        self._remove_upper(upper_dir_ino, name, node, time.time_ns())
        self._counts.pop(upper_dir_ino, None)

    def _remove_upper(self, dir_u: int, name: str, node: Inode, now: int) -> None:
        upper = self.upper
        if node.mode & S_IFMT == S_IFDIR:
            for child, _, _ in upper.readdir(node.ino):
                found = upper.lookup(node.ino, child)
                if found is not None:
                    self._remove_upper(node.ino, child, found, now)
        u = node.ino
        saved = upper.get(dir_u)
        mtime, ctime = saved.mtime_ns, saved.ctime_ns
        gone = upper.unlink(dir_u, name, now)
        upper.setattr(dir_u, mtime_ns=mtime, ctime_ns=ctime)
        if gone.nlink == 0:
            vis = self._u2v.pop(u, None)
            if vis is not None:
                del self._v2u[vis]
            self._merged.pop(u, None)
            self._counts.pop(u, None)
            upper.free(u)
            if vis is not None:
                self._relink(dir_u, name, vis)

    def _relink(self, dir_u: int, name: str, vis: int) -> None:
        """After a revert dropped the copy of host object ``vis``: if the
        host now has it as ``name`` in the directory ``dir_u`` merges (a
        commit put it there), the visible number names the host object
        again, so open files and cwds holding it stay valid."""
        hdir = self._merged.get(dir_u)
        if hdir is None:
            return
        path = host_join(hdir, name)
        st = self.host.lstat(path)
        if st is not None and self.host.ino(st) == vis:
            self._lower[vis] = Lower(path, self._u2v.get(dir_u, dir_u), name, st)

    # -- inodes and dentries -----------------------------------------------------
    def get(self, ino: int) -> Inode:
        if ino < LOWER_BASE:
            node = self.upper.get(ino)
            return self._out(node) if ino in self._merged else node
        u = self._v2u.get(ino)
        if u is not None:
            return self._out(self.upper.get(u))
        return self._lower_inode(ino, self._lower[ino])

    def lookup(self, dir_ino: int, name: str) -> Inode | None:
        if dir_ino < LOWER_BASE:
            u = dir_ino
        else:
            found = self._v2u.get(dir_ino)
            if found is None:
                rec = self._lower[dir_ino]
                if rec.dead:
                    return None
                return self._host_child(dir_ino, rec.path, name)
            u = found
        node = self.upper.lookup(u, name)
        hdir = self._merged.get(u)
        if node is not None:
            if hdir is not None and node.rdev == 0 and node.mode & S_IFMT == S_IFCHR:
                return None  # a whiteout
            if self._u2v or node.ino in self._merged:
                return self._out(node)
            return node
        if hdir is None:
            return None
        return self._host_child(dir_ino, hdir, name)

    def child(self, parent: Inode, name: str) -> Inode | None:
        return self.lookup(parent.ino, name)

    def parent(self, dir_ino: int) -> int:
        u = dir_ino if dir_ino < LOWER_BASE else self._v2u.get(dir_ino)
        if u is None:
            return self._lower[dir_ino].parent
        up = self.upper.parent(u)
        return self._u2v.get(up, up)

    def readdir(self, dir_ino: int) -> list[tuple[str, int, int]]:
        u = dir_ino if dir_ino < LOWER_BASE else self._v2u.get(dir_ino)
        if u is None:
            rec = self._lower[dir_ino]
            return [] if rec.dead else self._host_entries(dir_ino, rec.path, ())
        entries = self.upper.readdir(u)
        hdir = self._merged.get(u)
        if hdir is None and not self._u2v:
            return entries
        u2v = self._u2v
        upper = self.upper
        out: list[tuple[str, int, int]] = []
        for name, ino, kind in entries:
            if hdir is not None and kind == S_IFCHR and is_whiteout(upper.get(ino)):
                continue
            out.append((name, u2v.get(ino, ino), kind))
        if hdir is not None:
            out += self._host_entries(dir_ino, hdir, {name for name, _, _ in entries})
        return out

    def _host_entries(
        self, dir_ino: int, hdir: str, shadowed: Collection[str]
    ) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        for name in list(self.host.listing(hdir)):
            if name in shadowed:
                continue
            node = self._host_child(dir_ino, hdir, name)
            if node is not None:
                out.append((name, node.ino, node.mode & S_IFMT))
        return out

    def names(self, dir_ino: int) -> list[str]:
        if dir_ino < LOWER_BASE and dir_ino not in self._merged:
            return self.upper.names(dir_ino)
        return [name for name, _, _ in self.readdir(dir_ino)]

    def is_empty(self, dir_ino: int) -> bool:
        u = dir_ino if dir_ino < LOWER_BASE else self._v2u.get(dir_ino)
        if u is None:
            return not self.host.listing(self._lower[dir_ino].path)
        if u in self._merged:
            return self._count(u)[0] == 0
        return self.upper.is_empty(u)

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
        u = self.copy_up(dir_ino)
        hdir = self._merged.get(u)
        kind = mode & S_IFMT
        opaque = False
        if hdir is not None:
            if kind == S_IFCHR and rdev == 0:
                raise Errno(EPERM)
            opaque = self._drop_whiteout(u, name, now)
        try:
            node = self.upper.create(u, name, mode, uid, gid, now, rdev, target)
        except Capacity:
            if opaque:  # put the whiteout back (the inode it had is free)
                self._whiteout(u, name, now)
            raise
        opaque = opaque and kind == S_IFDIR
        if opaque:
            self.upper.set_xattr(node.ino, X_OPAQUE, b"y", node.ctime_ns)
        if hdir is not None:
            self._adjust(u, 1, kind == S_IFDIR)
        return node

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        target = self.copy_up(ino)
        u = self.copy_up(dir_ino)
        hdir = self._merged.get(u)
        dropped = hdir is not None and self._drop_whiteout(u, name, now)
        try:
            self.upper.link(u, name, target, now)
        except Capacity:
            if dropped:
                self._whiteout(u, name, now)
            raise
        if hdir is not None:
            self._adjust(u, 1, 0)

    def unlink(self, dir_ino: int, name: str, now: int) -> Inode:
        u = self.copy_up(dir_ino)
        upper = self.upper
        hdir = self._merged.get(u)
        on_host = hdir is not None and name in self.host.listing(hdir)
        node = upper.lookup(u, name)
        if node is not None:
            if node.ino in self._merged:
                self._clear_whiteouts(node.ino, now)
            gone = self._out(upper.unlink(u, name, now))
            if on_host:
                self._whiteout(u, name, now)
        else:
            assert hdir is not None
            found = self._host_child(dir_ino, hdir, name)
            assert found is not None
            self._whiteout(u, name, now)
            if found.ino in self._v2u:  # a host hard link of a copied-up object
                gone = self._out(upper.get(self._v2u[found.ino]))
            else:
                rec = self._lower[found.ino]
                rec.ctime = now
                rec.unlinked += 1
                if found.mode & S_IFMT == S_IFDIR or found.nlink <= 1:
                    rec.dead = True
                gone = self._lower_inode(found.ino, rec)
        if hdir is not None:
            self._adjust(u, -1, -(gone.mode & S_IFMT == S_IFDIR))
        return gone

    def _clear_whiteouts(self, u: int, now: int) -> None:
        upper = self.upper
        for name, ino, kind in upper.readdir(u):
            if kind == S_IFCHR and is_whiteout(upper.get(ino)):
                upper.unlink(u, name, now)
                upper.free(ino)

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        su = self.copy_up(src_dir)
        du = self.copy_up(dst_dir)
        upper = self.upper
        shost = self._merged.get(su)
        dhost = self._merged.get(du)
        node = upper.lookup(su, src_name)
        if node is None:  # a host object: copy it up where it is
            assert shost is not None
            found = self._host_child(src_dir, shost, src_name)
            assert found is not None
            moved = self.copy_up(found.ino, (su, src_name))
            node = upper.get(moved)
        isdir = node.mode & S_IFMT == S_IFDIR
        on_host = shost is not None and src_name in self.host.listing(shost)
        over_whiteout = dhost is not None and self._drop_whiteout(du, dst_name, now)
        upper.rename(su, src_name, du, dst_name, now)
        if on_host:
            self._whiteout(su, src_name, now)
        if over_whiteout and isdir and node.ino not in self._merged:
            upper.set_xattr(node.ino, X_OPAQUE, b"y", now)
        if shost is not None:
            self._adjust(su, -1, -isdir)
        if dhost is not None:
            self._adjust(du, 1, isdir)

    def free(self, ino: int) -> None:
        if ino >= LOWER_BASE:
            u = self._v2u.pop(ino, None)
            if u is None:
                self._lower.pop(ino, None)
                return
            del self._u2v[u]
        else:
            u = ino
        self._merged.pop(u, None)
        self._counts.pop(u, None)
        self.upper.free(u)

    def orphan(self, ino: int) -> None:
        u = ino if ino < LOWER_BASE else self._v2u.get(ino)
        if u is not None:
            self.upper.orphan(u)

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
        if ino >= LOWER_BASE and ino not in self._v2u:
            if mode is None and uid is None and gid is None and mtime_ns is None:
                if ctime_ns is None:  # relatime's atime update: no copy-up
                    self._lower[ino].atime = atime_ns
                    return
        self.upper.setattr(
            self.copy_up(ino),
            mode=mode,
            uid=uid,
            gid=gid,
            atime_ns=atime_ns,
            mtime_ns=mtime_ns,
            ctime_ns=ctime_ns,
        )

    # -- data ----------------------------------------------------------------------
    def _lower_file(self, ino: int) -> Lower | None:
        if ino < LOWER_BASE or ino in self._v2u:
            return None
        return self._lower[ino]

    def read(self, ino: int, offset: int, size: int) -> bytes:
        rec = self._lower_file(ino)
        if rec is None:
            return self.upper.read(self._v2u.get(ino, ino), offset, size)
        size = min(size, rec.st.st_size - offset)
        if size <= 0 or rec.st.st_mode & S_IFMT != S_IFREG:
            return b""
        return self.host.read(rec.path, offset, size)

    def write(self, ino: int, offset: int, data: bytes, now: int) -> None:
        self.upper.write(self.copy_up(ino), offset, data, now)

    def truncate(self, ino: int, size: int, now: int) -> None:
        self.upper.truncate(self.copy_up(ino), size, now)

    def seek_data(self, ino: int, offset: int) -> int | None:
        rec = self._lower_file(ino)
        if rec is None:
            return self.upper.seek_data(self._v2u.get(ino, ino), offset)
        if offset >= rec.st.st_size:
            return None
        found = self.host.seek(rec.path, offset, os.SEEK_DATA)
        return found if found is None or found < rec.st.st_size else None

    def seek_hole(self, ino: int, offset: int) -> int:
        rec = self._lower_file(ino)
        if rec is None:
            return self.upper.seek_hole(self._v2u.get(ino, ino), offset)
        found = self.host.seek(rec.path, offset, os.SEEK_HOLE)
        size: int = rec.st.st_size
        return size if found is None else min(found, size)

    def readlink(self, ino: int) -> str:
        rec = self._lower_file(ino)
        if rec is None:
            return self.upper.readlink(self._v2u.get(ino, ino))
        return self.host.readlink(rec.path)

    # -- extended attributes -------------------------------------------------------
    def xattrs(self, ino: int) -> dict[str, bytes]:
        rec = self._lower_file(ino)
        found = (
            self.upper.xattrs(self._v2u.get(ino, ino))
            if rec is None
            else self.host.xattrs(rec.path)
        )
        return shown_xattrs(found)

    def set_xattr(self, ino: int, name: str, value: bytes | None, now: int) -> None:
        self.upper.set_xattr(self.copy_up(ino), stored_xattr(name), value, now)

    def invalidate(self) -> None:
        """Drop the cached merged-directory counts (the upper store changed
        underneath, e.g. a snapshot restore; ``restore`` rebuilds the rest)."""
        self._counts.clear()

    def restore(self, name: str) -> None:
        """Restore the upper store, then read the overlay maps back from it
        (host objects looked up since are forgotten)."""
        self.upper.restore(name)
        mounts = self._mounts
        self._mounts = []
        self._lower.clear()
        self._v2u.clear()
        self._u2v.clear()
        self._merged.clear()
        self._counts.clear()
        for mount in mounts:
            try:
                self.upper.get(mount.upper_ino)
            except KeyError:
                continue
            self._merged[mount.upper_ino] = mount.host
            rebuild(self, mount.upper_ino)
            self._mounts.append(mount)

    # -- checking ------------------------------------------------------------------
    def check(self) -> list[str]:
        return self.upper.check()
