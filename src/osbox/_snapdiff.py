"""What changed in a machine since one of its snapshots (``Machine.diff(since=)``).

The store answers, for the inodes changed since the snapshot, what they held
then (``Store.snapshot_view``); everything else is as it is now. This module
walks the tree twice, as it is now and as it was, and compares the two by
path, in the same ``Change`` kinds as the overlay diff (``_changes``):

* ``added`` / ``deleted``: a path only in the new / old tree;
* ``renamed``: an inode at a path that only the old tree has, found at a
  path that only the new tree has (``old_path`` is the former);
* ``modified``: a regular file's bytes or a symlink's target differ;
* ``metadata``: mode, uid, gid or (not for directories) mtime differ;
* ``typechange``: another type of object stands at the path.

Content is only read for inodes the snapshot view reports as changed, so
the cost is one walk of each tree plus the changed data. On a machine with
overlays the comparison is of the machine's own (upper) layer: an object
copied up from the host since the snapshot shows as added there.
"""

from __future__ import annotations

from dataclasses import replace
from stat import S_IFDIR, S_IFLNK, S_IFREG

from ._changes import Change, type_name
from .stores.base import S_IFMT, Inode, Store
from .stores.snapshots import OldView

__all__ = ["changes_since"]

_FIELDS = ("mode", "uid", "gid")


class _Tree:
    """One side of the comparison: path -> inode, and inode attributes."""

    def __init__(self, store: Store, view: OldView | None) -> None:
        self.store = store
        self.view = view
        self.paths: dict[str, int] = {}

    def inode(self, ino: int) -> Inode | None:
        view = self.view
        if view is not None and ino in view.changed:
            return view.inode(ino)
        return self.store.get(ino)

    def entries(self, dir_ino: int) -> list[tuple[str, int, int]]:
        """``(name, ino, S_IFMT bits)`` of a directory on this side."""
        view, store = self.view, self.store
        if view is None or dir_ino not in view.changed:
            return store.readdir(dir_ino)
        try:  # the types of unchanged entries, from the directory as it is now
            kinds = {ino: kind for _name, ino, kind in store.readdir(dir_ino)}
        except KeyError:
            kinds = {}
        found = []
        for name, ino in view.entries(dir_ino):
            kind = kinds.get(ino) if ino not in view.changed else None
            if kind is None:
                node = self.inode(ino)
                assert node is not None
                kind = node.mode & S_IFMT
            found.append((name, ino, kind))
        return found

    def data(self, ino: int, node: Inode) -> bytes:
        view = self.view
        if view is not None and ino in view.changed:
            return view.data(ino)
        return self.store.read(ino, 0, node.size)

    def target(self, ino: int) -> str:
        view = self.view
        if view is not None and ino in view.changed:
            return view.target(ino)
        return self.store.readlink(ino)

    def walk(self, root: int) -> None:
        stack = [("", root)]
        paths = self.paths
        while stack:
            prefix, dir_ino = stack.pop()
            for name, ino, kind in self.entries(dir_ino):
                path = f"{prefix}/{name}"
                paths[path] = ino
                if kind == S_IFDIR:
                    stack.append((path, ino))


def _compare(
    old: _Tree, new: _Tree, o_ino: int, n_ino: int, changed: frozenset[int]
) -> Change | None:
    """The change at one path present on both sides, or None."""
    if o_ino == n_ino and o_ino not in changed:
        return None
    o = old.inode(o_ino)
    n = new.inode(n_ino)
    assert o is not None and n is not None
    o_kind, n_kind = o.mode & S_IFMT, n.mode & S_IFMT
    if o_kind != n_kind:
        kinds = (type_name(o.mode), type_name(n.mode))
        return Change("typechange", "", kinds[1], details={"type": kinds})
    details: dict[str, tuple[object, object]] = {}
    for field in _FIELDS:
        a, b = getattr(o, field), getattr(n, field)
        if a != b:
            details[field] = (a, b)
    content = False
    if n_kind == S_IFREG:
        if o.size != n.size:
            details["size"] = (o.size, n.size)
            content = True
        elif old.data(o_ino, o) != new.data(n_ino, n):
            content = True
    elif n_kind == S_IFLNK:
        a_t, b_t = old.target(o_ino), new.target(n_ino)
        if a_t != b_t:
            details["target"] = (a_t, b_t)
            content = True
    if n_kind != S_IFDIR and o.mtime_ns != n.mtime_ns:
        details["mtime_ns"] = (o.mtime_ns, n.mtime_ns)
    if content:
        return Change("modified", "", type_name(n.mode), details=details)
    if details:
        return Change("metadata", "", type_name(n.mode), details=details)
    return None


def changes_since(store: Store, name: str) -> list[Change]:
    """The changes since snapshot ``name``, sorted by path. Raises
    ``NoSuchSnapshot``."""
    # Under overlays, compare the machine's own (upper) layer: the host
    # objects below are not part of a snapshot.
    store = getattr(store, "upper", store)
    view = store.snapshot_view(name)
    old, new = _Tree(store, view), _Tree(store, None)
    old.walk(store.root_ino)
    new.walk(store.root_ino)
    changed = view.changed
    out: list[Change] = []
    gone = {p: i for p, i in old.paths.items() if p not in new.paths}
    came = {p: i for p, i in new.paths.items() if p not in old.paths}
    came_by_ino = {i: p for p, i in came.items()}
    renamed: set[str] = set()
    for path, ino in gone.items():
        target = came_by_ino.get(ino)
        if target is not None and target not in renamed:
            renamed.add(target)
            change = _compare(old, new, ino, ino, changed)
            node = new.inode(ino)
            assert node is not None
            details = change.details if change is not None else {}
            out.append(Change("renamed", target, type_name(node.mode), path, details=details))
        else:
            node = old.inode(ino)
            out.append(Change("deleted", path, type_name(node.mode) if node else "other"))
    for path, ino in came.items():
        if path not in renamed:
            node = new.inode(ino)
            assert node is not None
            out.append(Change("added", path, type_name(node.mode)))
    for path, n_ino in new.paths.items():
        o_ino = old.paths.get(path)
        if o_ino is None:
            continue
        change = _compare(old, new, o_ino, n_ino, changed)
        if change is not None:
            out.append(replace(change, path=path))
    out.sort(key=lambda c: (c.path, c.kind))
    return out
