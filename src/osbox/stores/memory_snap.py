"""Snapshots of the memory store (see ``stores/snapshots.py``).

Each snapshot is a *layer*: for every inode that changed after the snapshot
was taken (and before the next one), the layer keeps the live ``MemInode``
and a frozen copy of its state at the snapshot, or None for an inode created
since. The copy is made the first time a store method changes the inode in
that layer (copy-on-first-write); a file's data is copied then, once.

While a store has snapshots its class is ``SnappingMemoryStore``, whose
mutating methods record first; without snapshots it is a plain
``MemoryStore`` again, so the fast path pays nothing.

Restoring applies the layers from the newest down to the one restored: each
puts back the state its inodes had when that layer's snapshot was taken, so
the result is the store as it was at the restored snapshot. Directory
entries hold live ``MemInode`` objects, whose identity never changes, so
putting back fields (and re-registering freed inodes) is all it takes.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from .base import Inode
from .memory import MemInode, MemoryStore
from .snapshots import NoSuchSnapshot, OldView, SnapshotExists, SnapshotInfo

__all__ = [
    "SnappingMemoryStore",
    "clone",
    "delete",
    "restore",
    "snapshot",
    "snapshots",
    "view",
]

#: the scalar fields (and the ``up`` link) a frozen copy keeps as they are
_FIELDS = (*Inode.__slots__, "target", "up")


def _freeze(node: MemInode) -> MemInode:
    """A detached copy of ``node``'s state (containers copied)."""
    copy = MemInode()
    for name in _FIELDS:
        setattr(copy, name, getattr(node, name))
    copy.entries = dict(node.entries) if node.entries is not None else None
    copy.data = bytearray(node.data) if node.data is not None else None
    copy.holes = [list(h) for h in node.holes] if node.holes else None
    copy.xattrs = dict(node.xattrs) if node.xattrs else None
    return copy


def _thaw(node: MemInode, frozen: MemInode) -> None:
    """Put ``frozen``'s state back into the live ``node``, moving its
    containers (a restore uses each frozen copy once, then drops it)."""
    for name in _FIELDS:
        setattr(node, name, getattr(frozen, name))
    node.entries = frozen.entries
    node.data = frozen.data
    node.holes = frozen.holes
    node.xattrs = frozen.xattrs


class _Layer:
    __slots__ = ("info", "saved", "bytes")

    def __init__(self, info: SnapshotInfo, nbytes: int) -> None:
        self.info = info
        # ino -> (live node, its state at the snapshot) or (None, None): created since
        self.saved: dict[int, tuple[MemInode | None, MemInode | None]] = {}
        self.bytes = nbytes


def _layers(store: MemoryStore) -> list[_Layer]:
    layers: list[_Layer] | None = getattr(store, "_snap_layers", None)
    if layers is None:
        layers = []
        store._snap_layers = layers  # type: ignore[attr-defined]
    return layers


class SnappingMemoryStore(MemoryStore):
    """A ``MemoryStore`` with at least one snapshot: every mutation first
    records the inodes it is about to change in the newest layer."""

    _snap_layers: list[_Layer]

    def _touch(self, ino: int) -> None:
        saved = self._snap_layers[-1].saved
        if ino not in saved:
            node = self._inodes.get(ino)
            saved[ino] = (node, _freeze(node)) if node is not None else (None, None)

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
    ) -> MemInode:
        self._touch(dir_ino)
        node = super().create(dir_ino, name, mode, uid, gid, now, rdev, target)
        self._snap_layers[-1].saved.setdefault(node.ino, (None, None))
        return node

    def link(self, dir_ino: int, name: str, ino: int, now: int) -> None:
        self._touch(dir_ino)
        self._touch(ino)
        super().link(dir_ino, name, ino, now)

    def unlink(self, dir_ino: int, name: str, now: int) -> MemInode:
        self._touch(dir_ino)
        entries = self._inodes[dir_ino].entries
        assert entries is not None
        self._touch(entries[name].ino)
        return super().unlink(dir_ino, name, now)

    def rename(self, src_dir: int, src_name: str, dst_dir: int, dst_name: str, now: int) -> None:
        self._touch(src_dir)
        self._touch(dst_dir)
        entries = self._inodes[src_dir].entries
        assert entries is not None
        self._touch(entries[src_name].ino)
        super().rename(src_dir, src_name, dst_dir, dst_name, now)

    def free(self, ino: int) -> None:
        self._touch(ino)
        super().free(ino)

    def setattr(self, ino: int, **attrs: Any) -> None:
        self._touch(ino)
        super().setattr(ino, **attrs)

    def write(self, ino: int, offset: int, data: bytes, now: int) -> None:
        self._touch(ino)
        super().write(ino, offset, data, now)

    def truncate(self, ino: int, size: int, now: int) -> None:
        self._touch(ino)
        super().truncate(ino, size, now)

    def set_xattr(self, ino: int, name: str, value: bytes | None, now: int) -> None:
        self._touch(ino)
        super().set_xattr(ino, name, value, now)


def snapshots(store: MemoryStore) -> list[SnapshotInfo]:
    """The store's snapshots, oldest first."""
    return [layer.info for layer in _layers(store)]


def snapshot(store: MemoryStore, name: str) -> SnapshotInfo:
    """Take snapshot ``name``. O(1). Raises ``SnapshotExists``."""
    layers = _layers(store)
    if any(layer.info.name == name for layer in layers):
        raise SnapshotExists(name)
    info = SnapshotInfo(name, time.time_ns(), len(layers))
    layers.append(_Layer(info, store._bytes))
    store.__class__ = SnappingMemoryStore
    return info


def _find(store: MemoryStore, name: str) -> int:
    for i, layer in enumerate(_layers(store)):
        if layer.info.name == name:
            return i
    raise NoSuchSnapshot(name)


def restore(store: MemoryStore, name: str) -> None:
    """Put the store back as it was at snapshot ``name`` and delete the
    snapshots taken after it. Cost: the inodes changed since."""
    layers = _layers(store)
    index = _find(store, name)
    inodes = store._inodes
    for layer in reversed(layers[index:]):
        for ino, (node, frozen) in layer.saved.items():
            if node is None:
                inodes.pop(ino, None)
            else:
                assert frozen is not None
                _thaw(node, frozen)
                inodes[ino] = node
        store._bytes = layer.bytes
    del layers[index + 1 :]
    layers[index].saved.clear()


def delete(store: MemoryStore, name: str) -> None:
    """Forget snapshot ``name``; its undo records merge into the layer before
    (older records win), so earlier snapshots stay restorable."""
    layers = _layers(store)
    index = _find(store, name)
    layer = layers.pop(index)
    if index > 0:
        older = layers[index - 1].saved
        for ino, record in layer.saved.items():
            older.setdefault(ino, record)
    if not layers:
        store.__class__ = MemoryStore


class _MemView(OldView):
    def __init__(self, store: MemoryStore, layers: list[_Layer]) -> None:
        self._old: dict[int, MemInode | None] = {}
        for layer in reversed(layers):  # older layers win
            for ino, (_node, frozen) in layer.saved.items():
                self._old[ino] = frozen
        self.changed = frozenset(self._old)

    def _node(self, ino: int) -> MemInode:
        node = self._old[ino]
        assert node is not None
        return node

    def inode(self, ino: int) -> Inode | None:
        return self._old[ino]

    def entries(self, dir_ino: int) -> list[tuple[str, int]]:
        entries = self._node(dir_ino).entries
        assert entries is not None
        return [(name, child.ino) for name, child in entries.items()]

    def data(self, ino: int) -> bytes:
        node = self._node(ino)
        data = bytes(node.data or b"")
        return data + bytes(node.size - len(data)) if node.size > len(data) else data[: node.size]

    def target(self, ino: int) -> str:
        target = self._node(ino).target
        assert target is not None
        return target


def view(store: MemoryStore, name: str) -> OldView:
    """The store as it was at snapshot ``name``, for the inodes changed since."""
    index = _find(store, name)
    return _MemView(store, _layers(store)[index:])


class _Cloner:
    """Copies a graph of ``MemInode``s (entries and ``up`` links included)
    without recursion: each node once, by identity."""

    def __init__(self) -> None:
        self.memo: dict[int, MemInode] = {}
        self.pending: list[tuple[MemInode, MemInode]] = []

    def twin(self, node: MemInode) -> MemInode:
        copy = self.memo.get(id(node))
        if copy is None:
            copy = _freeze(node)
            self.memo[id(node)] = copy
            self.pending.append((node, copy))
        return copy

    def finish(self) -> None:
        pending = self.pending
        while pending:
            node, copy = pending.pop()
            if node.entries is not None:
                copy.entries = {name: self.twin(child) for name, child in node.entries.items()}
            copy.up = self.twin(node.up) if node.up is not None else None


def clone(store: MemoryStore) -> MemoryStore:
    """An independent copy of the store, snapshots included (``Machine.fork``).
    Faster than ``copy.deepcopy`` and free of its recursion limit."""
    cloner = _Cloner()
    new = object.__new__(type(store))
    new.__dict__.update(store.__dict__)
    new._inodes = {ino: cloner.twin(node) for ino, node in store._inodes.items()}
    new._config = copy.deepcopy(store._config)
    layers = []
    for layer in _layers(store):
        twin = _Layer(layer.info, layer.bytes)
        for ino, (node, frozen) in layer.saved.items():
            if node is None:
                twin.saved[ino] = (None, None)
            else:
                assert frozen is not None
                twin.saved[ino] = (cloner.twin(node), cloner.twin(frozen))
        layers.append(twin)
    new._snap_layers = layers  # type: ignore[attr-defined]
    cloner.finish()
    return new
