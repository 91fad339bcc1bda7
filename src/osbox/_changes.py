"""What a machine changed under its overlays, against the host (``Machine.diff``).

An overlay (``stores/overlay``) keeps the machine's changes to a host
directory in its upper store, in overlayfs's format: copied-up objects carry
``trusted.overlay.origin`` (the host object as it was at copy-up), removed
names leave whiteouts (a character device with rdev 0), directories made
over a removed host directory are opaque. This module walks that upper
layer from each mount, by inode number, and turns it into ``Change``s.
It reads the host only to ``lstat`` a path an upper object replaces and to
count what a removed host directory held; it never writes.

Kinds, one ``Change`` per machine path (``git status`` style):

* ``added``: no host object behind it. An added directory is listed, then
  every entry inside it, each as ``added``.
* ``modified``: the content differs (a regular file's bytes, a symlink's
  target). Metadata changed at the same time is in ``details`` too.
* ``metadata``: same content, but mode, uid, gid (or, not for directories,
  mtime) differ. Directory times are never a change.
* ``typechange``: a machine object of another type stands where the host has
  one (say a symlink made after removing a host file).
* ``renamed``: an upper object whose origin is a host object no longer
  visible at its own place (``old_path``). Content or metadata changed too
  are in ``details``.
* ``deleted``: a host object removed (a whiteout). A removed directory is one
  entry; ``details["entries"]`` counts what the host holds below it.

A directory made where a host directory was removed (opaque) is a
``deleted`` then an ``added`` entry for the same path. An object made where
the machine removed a host object (an atomic writer's rename over a file,
``sed -i``) has no origin record: it is compared with the host object now
there, and counts as replacing it only when that host object's ctime is not
later than the machine object's (else the host changed it behind the
machine's back: the machine's object is ``added`` and its commit conflicts;
host timestamps are as coarse as the host kernel's tick). Objects the machine
had before the overlay was attached (``trusted.overlay.base``) and osbox's
own programs are never changes. ``details`` maps a field to ``(old, new)``:
``mode``, ``uid``, ``gid``, ``size``, ``mtime_ns``, ``target``; ``None`` for
a side that does not exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from stat import S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG
from typing import Any, Protocol

from .stores.base import S_IFMT, Inode, Store

__all__ = [
    "BASE",
    "KINDS",
    "LOWER",
    "OPAQUE",
    "ORIGIN",
    "Change",
    "Mount",
    "Overlay",
    "compute",
    "host_to_machine",
    "machine_to_host",
    "normalise_paths",
    "program_ino",
    "type_name",
    "host_sha256",
    "selected",
    "upper_sha256",
]

ORIGIN = "trusted.overlay.origin"
OPAQUE = "trusted.overlay.opaque"
BASE = "trusted.overlay.base"
LOWER = "trusted.overlay.lower"
PROGRAMS_DIR = "/usr/lib/osbox"
KINDS = ("deleted", "added", "modified", "metadata", "typechange", "renamed")
_CHUNK = 1 << 20


class Mount(Protocol):
    """One overlay mount (``stores.overlay.OverlayMount``)."""

    @property
    def host(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def upper_ino(self) -> int: ...


class Overlay(Protocol):
    """What diff and commit need of ``stores.overlay.OverlayStore``."""

    upper: Store

    def mounts(self) -> list[Any]: ...
    def revert(self, upper_dir_ino: int, name: str) -> None: ...
    def forget_host_cache(self) -> None: ...


@dataclass(frozen=True)
class Change:
    """One change of a machine path against the host.

    ``kind`` is one of ``KINDS``; ``path`` the machine path; ``type``
    ``"file"``, ``"dir"``, ``"symlink"`` or ``"other"`` (the machine's object,
    the host's for ``deleted``); ``old_path`` the machine path a ``renamed``
    object had. ``host_path`` is where the change lands on the host (the
    machine path under the mount's host directory); ``lower`` is the host
    path the machine compared against before commit (the origin of a
    ``renamed`` object, the host object a change modifies or deletes, the
    host path an ``added`` one must not collide with), or None inside added
    directories. ``details``: see the module docstring.
    """

    kind: str
    path: str
    type: str
    old_path: str | None = None
    host_path: str = ""
    lower: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: upper entries ``(dir ino, name)`` that hold the change (reverted after commit)
    upper: tuple[tuple[int, str], ...] = field(default=(), repr=False, compare=False)
    #: the upper inode (0 for a deletion)
    ino: int = field(default=0, repr=False, compare=False)
    #: the ``trusted.overlay.origin`` record, when the object has one
    origin: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    #: for ``added``/``typechange`` over a host object and opaque directories:
    #: the host object at ``host_path`` is replaced
    replaces: bool = field(default=False, repr=False, compare=False)
    #: the host path the machine path merged with before commit (a name that
    #: must still be free there for a rename that replaces nothing)
    dest_lower: str | None = field(default=None, repr=False, compare=False)
    #: an ``added`` hard link of a host file that still shows at its own
    #: place: that host file's path
    link_of: str | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the public fields."""
        return {
            "kind": self.kind,
            "path": self.path,
            "type": self.type,
            "old_path": self.old_path,
            "host_path": self.host_path,
            "lower": self.lower,
            "details": {k: list(v) if isinstance(v, tuple) else v for k, v in self.details.items()},
        }


def type_name(mode: int) -> str:
    """``file``, ``dir``, ``symlink`` or ``other`` for an ``st_mode``."""
    fmt = mode & S_IFMT
    if fmt == S_IFREG:
        return "file"
    if fmt == S_IFDIR:
        return "dir"
    if fmt == S_IFLNK:
        return "symlink"
    return "other"


def machine_to_host(mount: Mount, path: str) -> str:
    """The host path a machine path under ``mount.at`` lands on."""
    rel = posixpath.relpath(path, mount.at)
    return mount.host if rel == "." else posixpath.join(mount.host, rel)


def host_to_machine(mount: Mount, host_path: str) -> str:
    """The machine path a host path under ``mount.host`` shows at."""
    rel = posixpath.relpath(host_path, mount.host)
    return mount.at if rel == "." else posixpath.join(mount.at, rel)


def _under(path: str, top: str) -> bool:
    return path == top or top == "/" or path.startswith(top + "/")


def normalise_paths(paths: Iterable[str] | None) -> list[str] | None:
    """Machine paths made absolute (relative to ``/``) and normal."""
    if paths is None:
        return None
    return [posixpath.normpath(posixpath.join("/", os.fsdecode(p))) for p in paths]


def selected(change: Change, paths: list[str] | None) -> bool:
    """Whether ``change`` is at or below one of ``paths`` (all when None)."""
    if paths is None:
        return True
    return any(
        _under(change.path, p) or (change.old_path is not None and _under(change.old_path, p))
        for p in paths
    )


def upper_sha256(upper: Store, ino: int, size: int) -> str:
    """The sha256 (hex) of a regular file's content in the upper store."""
    h = hashlib.sha256()
    offset = 0
    while offset < size:
        chunk = upper.read(ino, offset, min(_CHUNK, size - offset))
        if not chunk:
            break
        h.update(chunk)
        offset += len(chunk)
    return h.hexdigest()


def _origin(xattrs: dict[str, bytes]) -> dict[str, Any] | None:
    raw = xattrs.get(ORIGIN)
    if raw is None:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _replaced(lower: str, node: Inode) -> bool:
    """Whether the upper object ``node`` (with no origin here) replaced the
    host object at ``lower``: one is there and has not changed since the
    machine last changed ``node`` (its ctime). A host object newer than that
    appeared or changed behind the machine's back, so the machine's object is
    reported as ``added`` (and its commit conflicts)."""
    try:
        st = os.lstat(lower)
    except OSError:
        return False
    return st.st_ctime_ns <= node.ctime_ns


def _count(host_dir: str) -> int:
    """Entries below a host directory (not following symlinks)."""
    n = 0
    for _, dirs, files in os.walk(host_dir):
        n += len(dirs) + len(files)
    return n


@dataclass
class _Moved:
    """An upper object whose origin is elsewhere (a rename or a copy)."""

    path: str
    node: Inode
    origin: dict[str, Any]
    lower: str | None
    entry: tuple[int, str]
    exists: bool  # a host object is at ``lower`` (it is replaced)


class _Walker:
    """Walks one mount's upper tree and collects its changes."""

    def __init__(self, upper: Store, mount: Mount, program_ino: int | None) -> None:
        self.upper = upper
        self.mount = mount
        self.program_ino = program_ino
        self.changes: list[Change] = []
        self.whiteouts: dict[str, tuple[str, tuple[int, str]]] = {}  # lower -> (path, entry)
        self.hidden: set[str] = set()  # host paths not shown at their own place
        self.moved: list[_Moved] = []

    def host(self, path: str) -> str:
        return machine_to_host(self.mount, path)

    def _is_program(self, path: str, node: Inode) -> bool:
        if path == PROGRAMS_DIR or path.startswith(PROGRAMS_DIR + "/"):
            return True
        if node.mode & S_IFMT == S_IFLNK:
            return self.upper.readlink(node.ino).startswith(PROGRAMS_DIR + "/")
        return self.program_ino is not None and node.ino == self.program_ino

    def walk(self, dir_ino: int, path: str, host_dir: str | None) -> None:
        """Collect the changes below upper directory ``dir_ino`` (machine
        ``path``), merged with ``host_dir`` (None: nothing of the host shows)."""
        upper = self.upper
        for name, ino, fmt in sorted(upper.readdir(dir_ino)):
            child = posixpath.join(path, name)
            lower = posixpath.join(host_dir, name) if host_dir is not None else None
            node = upper.get(ino)
            entry = (dir_ino, name)
            if fmt == S_IFCHR and node.rdev == 0:
                if lower is not None:
                    self.whiteouts[lower] = (child, entry)
                    self.hidden.add(lower)
                continue
            xattrs = upper.xattrs(ino)
            if BASE in xattrs or self._is_program(child, node):
                continue
            origin = _origin(xattrs)
            is_dir = fmt == S_IFDIR
            opaque = xattrs.get(OPAQUE) == b"y"
            if origin is not None and lower is not None and origin.get("path") == lower:
                self._compare(child, node, origin, lower, entry)
                if is_dir:
                    self.walk(ino, child, None if opaque else lower)
                continue
            exists = lower is not None and _replaced(lower, node)
            if exists:
                self.hidden.add(str(lower))
            if origin is not None:
                self.moved.append(_Moved(child, node, origin, lower, entry, exists))
            elif exists:
                self._replace(child, node, str(lower), entry)
            else:
                self._add(child, node, lower, entry, False)
            if is_dir:
                below = origin.get("path") if origin is not None and not opaque else None
                self.walk(ino, child, below if isinstance(below, str) else None)

    # -- kinds ---------------------------------------------------------------------
    def _new_side(self, node: Inode) -> dict[str, Any]:
        side: dict[str, Any] = {"mode": node.mode, "uid": node.uid, "gid": node.gid}
        fmt = node.mode & S_IFMT
        if fmt != S_IFDIR:
            side["mtime_ns"] = node.mtime_ns
            side["size"] = node.size
        if fmt == S_IFLNK:
            side["target"] = self.upper.readlink(node.ino)
        return side

    def _add(
        self,
        path: str,
        node: Inode,
        lower: str | None,
        entry: tuple[int, str],
        replaces: bool,
        link_of: str | None = None,
    ) -> None:
        details = {k: (None, v) for k, v in self._new_side(node).items()}
        self.changes.append(
            Change(
                "added",
                path,
                type_name(node.mode),
                host_path=self.host(path),
                lower=lower,
                details=details,
                upper=(entry,),
                ino=node.ino,
                replaces=replaces,
                link_of=link_of,
            )
        )

    def _diff(self, node: Inode, old: dict[str, Any], old_type: str) -> tuple[bool, dict[str, Any]]:
        """(content differs, details) of ``node`` against an old description."""
        new = self._new_side(node)
        is_dir = node.mode & S_IFMT == S_IFDIR
        details: dict[str, Any] = {}
        for key in ("mode", "uid", "gid", "mtime_ns"):
            if key in new and key in old and new[key] != old[key]:
                details[key] = (old[key], new[key])
        content = False
        if old_type == "symlink":
            content = new.get("target") != old.get("target")
            if content:
                details["target"] = (old.get("target"), new.get("target"))
        elif old_type == "file" and not is_dir:
            if new["size"] != old.get("size"):
                content = True
            elif old.get("sha256") is not None:
                content = upper_sha256(self.upper, node.ino, node.size) != old["sha256"]
            if content:
                details["size"] = (old.get("size"), new["size"])
        return content, details

    def _compare(
        self,
        path: str,
        node: Inode,
        origin: dict[str, Any],
        lower: str,
        entry: tuple[int, str],
    ) -> None:
        kind = type_name(node.mode)
        if origin.get("type") != kind:
            self._replace(path, node, lower, entry)
            return
        content, details = self._diff(node, origin, kind)
        if not content and not details:
            return
        self.changes.append(
            Change(
                "modified" if content else "metadata",
                path,
                kind,
                host_path=self.host(path),
                lower=lower,
                details=details,
                upper=(entry,),
                ino=node.ino,
                origin=origin,
            )
        )

    def _replace(self, path: str, node: Inode, lower: str, entry: tuple[int, str]) -> None:
        """An upper object with no origin here stands where the host has one."""
        st = os.lstat(lower) if os.path.lexists(lower) else None
        kind = type_name(node.mode)
        if st is None:
            self._add(path, node, lower, entry, False)
            return
        old_type = type_name(st.st_mode)
        if kind == "dir" and old_type == "dir":
            # an opaque directory: the host directory goes, the machine's comes
            self._delete(path, lower, (), "dir")
            self._add(path, node, lower, entry, True)
            return
        old: dict[str, Any] = {
            "mode": st.st_mode,
            "uid": st.st_uid,
            "gid": st.st_gid,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
        }
        if old_type == "symlink":
            old["target"] = os.readlink(lower)
        if old_type != kind:
            details = {k: (old.get(k), v) for k, v in self._new_side(node).items()}
            change_kind = "typechange"
        else:
            if old_type == "file":
                old["sha256"] = _host_sha256(lower)
            content, details = self._diff(node, old, kind)
            if not content and not details:
                return
            change_kind = "modified" if content else "metadata"
        self.changes.append(
            Change(
                change_kind,
                path,
                kind,
                host_path=self.host(path),
                lower=lower,
                details=details,
                upper=(entry,),
                ino=node.ino,
                replaces=True,
            )
        )

    def _delete(
        self, path: str, lower: str, entries: tuple[tuple[int, str], ...], kind: str
    ) -> None:
        st = os.lstat(lower) if os.path.lexists(lower) else None
        details: dict[str, Any] = {}
        if st is not None:
            kind = type_name(st.st_mode)
            details = {"mode": (st.st_mode, None), "size": (st.st_size, None)}
            if kind == "dir":
                details = {"mode": (st.st_mode, None), "entries": _count(lower)}
        self.changes.append(
            Change(
                "deleted",
                path,
                kind,
                host_path=self.host(path),
                lower=lower,
                details=details,
                upper=entries,
            )
        )

    def resolve(self) -> list[Change]:
        """Renames (a moved object whose origin is hidden), then deletions."""
        claimed: set[str] = set()
        for moved in sorted(self.moved, key=lambda m: m.path):
            source = moved.origin.get("path")
            kind = type_name(moved.node.mode)
            hidden = (
                isinstance(source, str)
                and source not in claimed
                and any(_under(source, h) for h in self.hidden)
            )
            if not hidden or not isinstance(source, str):
                if moved.exists and moved.lower is not None:
                    self._replace(moved.path, moved.node, moved.lower, moved.entry)
                else:
                    link = source if isinstance(source, str) and kind == "file" else None
                    self._add(moved.path, moved.node, moved.lower, moved.entry, False, link)
                continue
            claimed.add(source)
            entries = [moved.entry]
            whiteout = self.whiteouts.pop(source, None)
            if whiteout is not None:
                entries.append(whiteout[1])
            content, details = self._diff(moved.node, moved.origin, str(moved.origin.get("type")))
            if content:
                details["content"] = True
            self.changes.append(
                Change(
                    "renamed",
                    moved.path,
                    kind,
                    old_path=host_to_machine(self.mount, source),
                    host_path=self.host(moved.path),
                    lower=source,
                    details=details,
                    upper=tuple(entries),
                    ino=moved.node.ino,
                    origin=moved.origin,
                    replaces=moved.exists,
                    dest_lower=moved.lower,
                )
            )
        for lower, (path, entry) in self.whiteouts.items():
            self._delete(path, lower, (entry,), "other")
        return self.changes


def _host_sha256(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def program_ino(upper: Store) -> int | None:
    ino = upper.root_ino
    for name in ("usr", "lib", "osbox", "programs"):
        node = upper.lookup(ino, name)
        if node is None:
            return None
        ino = node.ino
    return ino


def _order(change: Change) -> tuple[str, int]:
    return (change.path, KINDS.index(change.kind))


def compute(overlay: Overlay, paths: list[str] | None = None) -> list[Change]:
    """The changes of every mount of ``overlay`` (call under the machine
    lock), sorted by machine path; only those at or below ``paths`` (machine
    paths, normalised) when given."""
    upper = overlay.upper
    program = program_ino(upper)
    found: list[Change] = []
    for mount in overlay.mounts():
        walker = _Walker(upper, mount, program)
        walker.walk(mount.upper_ino, mount.at, mount.host)
        found.extend(c for c in walker.resolve() if selected(c, paths))
    found.sort(key=_order)
    return found


def host_sha256(path: str) -> str | None:
    """The sha256 (hex) of a host regular file, None when it cannot be read."""
    return _host_sha256(path)
