"""Attaching an overlay to an upper directory: the first time, and on reopen.

The first time (``settle``), what the machine already has under the mount is
made part of the overlay so that it never shows as a change:

* an entry ``keep`` names (osbox's own programs, the kernel's procfs mount
  point) stays as it is, marked ``trusted.overlay.base``, over the host's;
* a non-directory whose name the host also has leaves the upper layer (the
  host's shows through);
* a directory both sides have takes the host directory's mode, owners and
  times and an origin record naming it (its visible inode number stays its
  own), and is settled in turn;
* an upper-only entry is marked ``trusted.overlay.base``.

On reopen (``rebuild``) the maps of copied-up objects and merged directories
are read back from the origin records under the mount.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from stat import S_IFDIR, S_ISDIR
from typing import TYPE_CHECKING

from ..base import Inode
from ._model import X_BASE, X_OPAQUE, X_ORIGIN, host_join, origin_record, read_origin

if TYPE_CHECKING:
    from ._store import OverlayStore

__all__ = ["adopt_root", "rebuild", "settle"]


def settle(
    store: OverlayStore,
    dir_u: int,
    hdir: str,
    keep: Callable[[str, Inode], bool],
    in_use: Callable[[int], bool],
) -> None:
    """Make the existing upper directory ``dir_u`` merge host directory
    ``hdir`` (see the module doc). ``keep(name, inode)`` names upper
    entries to keep over the host's; ``in_use(ino)`` tells whether
    the kernel still holds an inode, which is then orphaned, not freed."""
    upper = store.upper
    host = store.host
    listing = host.listing(hdir)
    now = time.time_ns()
    for name, ino, kind in upper.readdir(dir_u):
        node = upper.get(ino)
        st = host.lstat(host_join(hdir, name)) if name in listing else None
        if st is None:
            upper.set_xattr(ino, X_BASE, b"y", node.ctime_ns)
            continue
        if keep(name, node):
            upper.set_xattr(ino, X_BASE, b"y", node.ctime_ns)
        elif kind == S_IFDIR and S_ISDIR(st.st_mode):
            _adopt(store, ino, host_join(hdir, name), st)
            settle(store, ino, host_join(hdir, name), keep, in_use)
        elif kind == S_IFDIR:
            upper.set_xattr(ino, X_BASE, b"y", node.ctime_ns)
        else:
            parent = upper.get(dir_u)
            mtime, ctime = parent.mtime_ns, parent.ctime_ns
            gone = upper.unlink(dir_u, name, now)
            upper.setattr(dir_u, mtime_ns=mtime, ctime_ns=ctime)
            if gone.nlink == 0:
                if in_use(ino):
                    upper.orphan(ino)
                else:
                    upper.free(ino)
    store._counts.pop(dir_u, None)


def adopt_root(store: OverlayStore, dir_u: int, hdir: str) -> None:
    """Give a mount's upper directory the host directory's mode, owners and
    times."""
    st = store.host.stat(hdir)
    store.upper.setattr(
        dir_u,
        mode=st.st_mode,
        uid=st.st_uid,
        gid=st.st_gid,
        atime_ns=st.st_atime_ns,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
    )


def _adopt(store: OverlayStore, u: int, path: str, st: os.stat_result) -> None:
    upper = store.upper
    upper.set_xattr(u, X_ORIGIN, origin_record(path, u, st, None, None), st.st_ctime_ns)
    upper.setattr(
        u,
        mode=st.st_mode,
        uid=st.st_uid,
        gid=st.st_gid,
        atime_ns=st.st_atime_ns,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
    )
    store._merged[u] = path


def rebuild(store: OverlayStore, dir_u: int) -> None:
    """Read back the copied-up objects and merged directories below upper
    directory ``dir_u`` from their origin records."""
    upper = store.upper
    for _, ino, kind in upper.readdir(dir_u):
        xattrs = upper.xattrs(ino)
        value = xattrs.get(X_ORIGIN)
        if value is not None and X_BASE not in xattrs:
            record = read_origin(value)
            vis = int(record["ino"])
            if vis != ino:
                store._v2u[vis] = ino
                store._u2v[ino] = vis
            if kind == S_IFDIR and record["type"] == "dir" and X_OPAQUE not in xattrs:
                store._merged[ino] = str(record["path"])
        if kind == S_IFDIR and X_BASE not in xattrs:
            rebuild(store, ino)
