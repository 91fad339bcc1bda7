"""The overlay's on-store format: xattr names, whiteouts, origin records,
mounts and the record of a host object the machine has looked up.

The format is Linux overlayfs's where it has one (a whiteout is a character
device 0/0 in the upper directory, an opaque directory carries
``trusted.overlay.opaque = "y"``), plus osbox's own records:
``trusted.overlay.lower`` on a mount's upper directory (the host directory,
``os.fsencode``d), ``trusted.overlay.origin`` on a copied-up inode (JSON, see
``origin_record``) and ``trusted.overlay.base`` on what the machine already
had under a mount when it was attached.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from stat import S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG
from typing import Any

from ..base import S_IFMT, Inode

__all__ = [
    "ESCAPE",
    "PREFIX",
    "X_BASE",
    "X_LOWER",
    "X_OPAQUE",
    "X_ORIGIN",
    "Lower",
    "OverlayMount",
    "host_join",
    "is_whiteout",
    "origin_record",
    "shown_xattrs",
    "snapshot",
    "stored_xattr",
]

PREFIX = "trusted.overlay."
X_LOWER = PREFIX + "lower"
X_ORIGIN = PREFIX + "origin"
X_OPAQUE = PREFIX + "opaque"
X_BASE = PREFIX + "base"
WHITEOUT_MODE = S_IFCHR  # c--------- 0/0, as overlayfs's ``ovl_whiteout``
#: A ``trusted.overlay.`` attribute the machine itself sets is stored with
#: this prefix and shown without it (overlayfs's escaping, Linux 6.7+).
ESCAPE = PREFIX + "overlay."


@dataclass(frozen=True)
class OverlayMount:
    """One overlay: host directory ``host`` (absolute) at machine path ``at``,
    whose upper directory is inode ``upper_ino`` of the upper store."""

    host: str
    at: str
    upper_ino: int


class Lower:
    """A host object the machine has looked up and not copied up: where it
    is on the host, the visible directory it was found in, and what the
    machine changed without a copy-up (atime; the links and ctime an unlink
    through a whiteout took)."""

    __slots__ = ("path", "parent", "name", "st", "atime", "ctime", "unlinked", "dead")

    def __init__(self, path: str, parent: int, name: str, st: os.stat_result) -> None:
        self.path = path
        self.parent = parent
        self.name = name
        self.st = st
        self.atime: int | None = None
        self.ctime: int | None = None
        self.unlinked = 0
        self.dead = False


def host_join(directory: str, name: str) -> str:
    """``directory/name`` for an absolute host directory."""
    return directory + name if directory.endswith("/") else directory + "/" + name


def is_whiteout(node: Inode) -> bool:
    """Whether an upper inode is a whiteout (character device 0/0)."""
    return node.mode & S_IFMT == S_IFCHR and node.rdev == 0


def shown_xattrs(stored: dict[str, bytes]) -> dict[str, bytes]:
    """The attributes the machine sees: the overlay's own records hidden,
    escaped ``trusted.overlay.overlay.X`` shown as ``trusted.overlay.X``."""
    shown: dict[str, bytes] = {}
    for name, value in stored.items():
        if name.startswith(PREFIX):
            if not name.startswith(ESCAPE):
                continue
            name = PREFIX + name[len(ESCAPE) :]
        shown[name] = value
    return shown


def stored_xattr(name: str) -> str:
    """The stored name of an attribute the machine sets (see ``ESCAPE``)."""
    return ESCAPE + name[len(PREFIX) :] if name.startswith(PREFIX) else name


def snapshot(node: Inode) -> Inode:
    """A copy of ``node`` the caller may change."""
    copy = Inode()
    for name in Inode.__slots__:
        setattr(copy, name, getattr(node, name))
    return copy


_TYPES = {S_IFREG: "file", S_IFDIR: "dir", S_IFLNK: "symlink"}


def origin_record(
    path: str, ino: int, st: os.stat_result, data: bytes | None, target: str | None
) -> bytes:
    """The ``trusted.overlay.origin`` value: the host object as it was at
    copy-up (``data`` is a regular file's content, ``target`` a symlink's)."""
    kind = st.st_mode & S_IFMT
    record: dict[str, Any] = {
        "path": path,
        "ino": ino,
        "type": _TYPES.get(kind, "other"),
        "mode": st.st_mode,
        "uid": st.st_uid,
        "gid": st.st_gid,
        "size": st.st_size,
        "atime_ns": st.st_atime_ns,
        "mtime_ns": st.st_mtime_ns,
        "sha256": hashlib.sha256(data).hexdigest()
        if kind == S_IFREG and data is not None
        else None,
        "target": target,
    }
    return json.dumps(record, sort_keys=True).encode("utf-8", "surrogateescape")


def read_origin(value: bytes) -> dict[str, Any]:
    """Parse a ``trusted.overlay.origin`` value."""
    record: dict[str, Any] = json.loads(value.decode("utf-8", "surrogateescape"))
    return record
