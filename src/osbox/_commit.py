"""Applying a machine's overlay changes to the host (``Machine.commit``).

This is the one module of osbox that writes host files for a machine, and it
writes only what ``_changes.compute`` reports, under the mounts' host
directories. Steps:

1. **Conflicts** (``conflicts``), checked before anything is written: a host
   object a change modifies, renames or deletes must still be what the
   machine saw (a copied-up object: same type, size, mtime, mode, owners and,
   for a regular file, content hash as its origin record); a name the
   machine adds must still be free on the host; the host directory a change
   lands in must still be a directory. Devices and sockets cannot be
   committed. Any conflict and nothing is written (``CommitConflict``). A
   change the host already shows (the same content and mode, a deletion
   already done, an added directory there) is no conflict, so a commit that
   stopped midway can be run again.
2. **Apply** (``apply``), in an order that never needs a path that is not
   there yet: rename sources move to a staging directory (deepest first),
   host objects the machine replaces by another type are removed, then
   top-down each added directory is made and each renamed object moved to
   its place; then files, symlinks and FIFOs are written (each regular file
   atomically: a temporary file in the same directory, ``fsync``,
   ``os.replace``) and their metadata set, then hard links (names of one
   machine inode land as links of the first written; an added link of a
   host file the machine left alone links to that file); then deletions
   run bottom-up;
   last, directory modes and owners. Owners are applied only when the
   committing process is root, as GNU tar does (``--no-same-owner`` is its
   default for other users).
3. **Settle**: committed upper entries are reverted (deepest first) so the
   host shows through, directories that must stay in the upper layer (they
   hold what the machine had before the overlay) get a fresh origin record,
   and the store forgets its host cache. The diff of what was committed is
   then empty.

A partial commit (``paths``) takes the changes at or below those machine
paths, and the whole of any added or renamed directory one of them lies in.
Renames need the source and the mount's host directory on one filesystem.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from stat import S_IFDIR, S_IFIFO, S_IFREG, S_IMODE, S_ISDIR

from ._changes import (
    BASE,
    ORIGIN,
    Change,
    Overlay,
    host_sha256,
    program_ino,
    type_name,
    upper_sha256,
)
from .stores.base import S_IFMT, Store

__all__ = [
    "CommitConflict",
    "Conflict",
    "Step",
    "apply",
    "conflicts",
    "plan",
    "settle",
    "widen",
]

_CHUNK = 1 << 20

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Conflict:
    """Why ``path`` (a machine path) cannot be committed; ``host_path`` is
    the host path found changed."""

    path: str
    host_path: str
    reason: str


class CommitConflict(Exception):
    """Raised by ``Machine.commit`` when the host changed under the machine's
    changes; ``conflicts`` lists them. Nothing was written."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        lines = [f"{c.path}: {c.reason} ({c.host_path})" for c in conflicts]
        super().__init__("commit refused, the host changed:\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class Step:
    """One host operation of a commit: ``action`` (``stage``, ``remove``,
    ``mkdir``, ``move``, ``write``, ``symlink``, ``mkfifo``, ``setattr``,
    ``link``), the host path it acts on and, for ``move`` and ``link``,
    where it comes from."""

    action: str
    host_path: str
    source: str | None = None
    change: Change | None = field(default=None, repr=False, compare=False)


def _under(path: str, top: str) -> bool:
    return path == top or top == "/" or path.startswith(top + "/")


def widen(all_changes: list[Change], chosen: list[Change]) -> list[Change]:
    """``chosen`` plus every change inside an added or renamed directory
    that holds one of them (such a directory lands whole)."""
    tops = {c.path for c in all_changes if c.type == "dir" and c.kind in ("added", "renamed")}
    wanted = {id(c) for c in chosen}
    roots = {t for t in tops for c in chosen if _under(c.path, t)}
    return [c for c in all_changes if id(c) in wanted or any(_under(c.path, r) for r in roots)]


# -- conflicts -------------------------------------------------------------------------


def _origin_problem(change: Change, upper: Store) -> str | None:
    """How the host object a change started from differs from its record."""
    origin = change.origin
    lower = change.lower
    if origin is None or lower is None:
        return None
    try:
        st = os.lstat(lower)
    except OSError:
        return "deleted on the host"
    if type_name(st.st_mode) != origin.get("type"):
        return "changed type on the host"
    if (st.st_mode, st.st_uid, st.st_gid) != (origin["mode"], origin["uid"], origin["gid"]):
        return "mode or owner changed on the host"
    if origin.get("type") == "dir":
        return None
    if st.st_size != origin.get("size") or st.st_mtime_ns != origin.get("mtime_ns"):
        return "changed on the host since the machine copied it"
    if origin.get("type") == "file" and host_sha256(lower) != origin.get("sha256"):
        return "changed on the host since the machine copied it"
    if origin.get("type") == "symlink" and os.readlink(lower) != origin.get("target"):
        return "changed on the host since the machine copied it"
    return None


def _converged(change: Change, upper: Store) -> bool:
    """Whether the host already is what the change makes it (the host made
    the same change, or an earlier commit stopped midway): a deleted object
    gone, an added directory there, a file or symlink with the machine's
    content and mode (and owners, when committing as root)."""
    lower = change.lower
    if lower is None:
        return False
    if change.kind == "deleted":
        return not os.path.lexists(lower)
    if lower != change.host_path or change.kind not in ("added", "modified", "metadata"):
        return False
    try:
        st = os.lstat(lower)
    except OSError:
        return False
    node = upper.get(change.ino)
    if type_name(st.st_mode) != change.type:
        return False
    if change.type == "dir":
        return change.kind == "added"
    if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (node.uid, node.gid):
        return False
    if change.type == "symlink":
        return os.readlink(lower) == upper.readlink(node.ino)
    if change.type != "file" or (st.st_mode, st.st_size) != (node.mode, node.size):
        return False
    return host_sha256(lower) == upper_sha256(upper, node.ino, node.size)


def conflicts(changes: list[Change], upper: Store) -> list[Conflict]:
    """Everything that stops ``changes`` from being committed (see module doc)."""
    found: list[Conflict] = []

    def add(change: Change, where: str, reason: str) -> None:
        found.append(Conflict(change.path, where, reason))

    for change in changes:
        if change.kind in ("added", "typechange", "modified") and change.type == "other":
            if upper.get(change.ino).mode & S_IFMT != S_IFIFO:
                add(change, change.host_path, "a device node or socket cannot be committed")
                continue
        lower = change.lower
        if lower is None or _converged(change, upper):
            continue
        parent = posixpath.dirname(lower)
        try:
            parent_ok = S_ISDIR(os.lstat(parent).st_mode)
        except OSError:
            parent_ok = False
        if not parent_ok:
            add(change, parent, "host directory deleted or replaced")
            continue
        if change.origin is not None:
            problem = _origin_problem(change, upper)
            if problem is not None:
                add(change, lower, problem)
        elif change.kind == "added" and not change.replaces and os.path.lexists(lower):
            add(change, lower, "appeared on the host")
        if change.kind == "renamed" and change.dest_lower is not None and not change.replaces:
            if os.path.lexists(change.dest_lower):
                add(change, change.dest_lower, "appeared on the host")
    return found


# -- the plan ----------------------------------------------------------------------------


def _depth(path: str) -> int:
    return path.rstrip("/").count("/")


def _content(change: Change) -> bool:
    if change.kind in ("added", "typechange", "modified"):
        return change.type != "dir"
    return change.kind == "renamed" and bool(change.details.get("content"))


def _first_names(changes: list[Change]) -> dict[int, Change]:
    """For each upper file inode with content to write, the change that
    writes it; its other names become hard links of that one."""
    first: dict[int, Change] = {}
    writes = [c for c in changes if c.type == "file" and _content(c)]
    for c in sorted(writes, key=lambda c: (c.link_of is not None, c.path)):
        first.setdefault(c.ino, c)
    return first


def _same_file(upper: Store, ino: int, host_path: str) -> bool:
    """Whether host file ``host_path`` is upper inode ``ino`` as it is now
    (content, mode, owners): a name of it can be a hard link of the host's."""
    try:
        st = os.lstat(host_path)
    except OSError:
        return False
    node = upper.get(ino)
    if (st.st_mode, st.st_uid, st.st_gid, st.st_size) != (node.mode, node.uid, node.gid, node.size):
        return False
    return host_sha256(host_path) == upper_sha256(upper, ino, node.size)


def plan(changes: list[Change], upper: Store | None = None) -> list[Step]:
    """The host operations ``apply`` performs for ``changes``, in order
    (given ``upper``, an added hard link of an unchanged host file becomes a
    ``link`` to it, as ``apply`` does)."""
    steps: list[Step] = []
    renames = [c for c in changes if c.kind == "renamed"]
    for c in sorted(renames, key=lambda c: -_depth(c.lower or "")):
        steps.append(Step("stage", str(c.lower), change=c))
    replaced = set()
    for c in changes:
        if c.replaces and (c.type == "dir" or c.kind in ("typechange", "renamed")):
            if c.host_path not in replaced:
                replaced.add(c.host_path)
                steps.append(Step("remove", c.host_path, change=c))
    for c in sorted(changes, key=lambda c: c.path):
        if c.kind in ("added", "typechange") and c.type == "dir":
            steps.append(Step("mkdir", c.host_path, change=c))
        elif c.kind == "renamed":
            steps.append(Step("move", c.host_path, c.lower, change=c))
    links: list[Step] = []
    first = _first_names(changes)
    for c in changes:
        if c.type == "dir" or c.kind == "deleted":
            continue
        if _content(c):
            if c.type == "file" and first.get(c.ino, c) is not c:
                links.append(Step("link", c.host_path, first[c.ino].host_path, change=c))
                continue
            if c.type == "file" and c.link_of is not None and upper is not None:
                if _same_file(upper, c.ino, c.link_of):
                    links.append(Step("link", c.host_path, c.link_of, change=c))
                    continue
            action = {"symlink": "symlink", "other": "mkfifo"}.get(c.type, "write")
            steps.append(Step(action, c.host_path, change=c))
        elif c.kind in ("metadata", "renamed") and c.details:
            steps.append(Step("setattr", c.host_path, change=c))
    steps += links
    for c in sorted(changes, key=lambda c: c.path, reverse=True):
        if c.kind == "deleted" and c.host_path not in replaced:
            steps.append(Step("remove", c.host_path, change=c))
    for c in sorted(changes, key=lambda c: c.path, reverse=True):
        if c.type == "dir" and c.kind in ("added", "typechange", "metadata", "renamed"):
            steps.append(Step("setattr", c.host_path, change=c))
    return steps


# -- applying ---------------------------------------------------------------------------


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _set_attrs(upper: Store, ino: int, path: str) -> None:
    node = upper.get(ino)
    link = node.mode & S_IFMT not in (S_IFREG, S_IFDIR, S_IFIFO)
    if os.geteuid() == 0:
        os.chown(path, node.uid, node.gid, follow_symlinks=False)
    if not link:
        os.chmod(path, S_IMODE(node.mode))
    if node.mode & S_IFMT != S_IFDIR:
        os.utime(path, ns=(node.atime_ns, node.mtime_ns), follow_symlinks=False)


def _temp_name(path: str) -> str:
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail}.osbox-{os.getpid()}-{time.monotonic_ns()}")


def _write_file(upper: Store, ino: int, path: str) -> None:
    """Write an upper file's content to ``path`` atomically."""
    node = upper.get(ino)
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        offset = 0
        while offset < node.size:
            chunk = upper.read(ino, offset, min(_CHUNK, node.size - offset))
            if not chunk:
                break
            os.write(fd, chunk)
            offset += len(chunk)
        if offset < node.size:
            os.ftruncate(fd, node.size)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    os.close(fd)
    try:
        _set_attrs(upper, ino, temp)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _write_symlink(upper: Store, ino: int, path: str) -> None:
    temp = _temp_name(path)
    os.symlink(upper.readlink(ino), temp)
    try:
        _set_attrs(upper, ino, temp)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _link(source: str, path: str) -> None:
    """Make ``path`` a hard link of host file ``source``, atomically."""
    temp = _temp_name(path)
    os.link(source, temp)
    try:
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _write_fifo(upper: Store, ino: int, path: str) -> None:
    _remove(path)
    os.mkfifo(path, 0o600)
    _set_attrs(upper, ino, path)


def apply(
    overlay: Overlay,
    changes: list[Change],
    progress: Progress | None = None,
) -> None:
    """Write ``changes`` to the host (conflicts already checked, under the
    machine lock), then settle the upper layer. ``progress(done, total,
    host_path)`` is called after each step."""
    upper = overlay.upper
    steps = plan(changes, upper)
    staged: dict[int, str] = {}
    staging: str | None = None
    try:
        for done, step in enumerate(steps, 1):
            c = step.change
            assert c is not None
            action, path = step.action, step.host_path
            if action == "stage":
                if staging is None:
                    staging = _staging_dir(c)
                place = posixpath.join(staging, str(len(staged)))
                os.rename(path, place)
                staged[id(c)] = place
            elif action == "remove":
                _remove(path)
            elif action == "mkdir":
                try:
                    os.mkdir(path, 0o700)
                except FileExistsError:
                    if not os.path.isdir(path) or os.path.islink(path):
                        raise
            elif action == "move":
                os.replace(staged[id(c)], path)
            elif action == "write":
                _write_file(upper, c.ino, path)
            elif action == "symlink":
                _write_symlink(upper, c.ino, path)
            elif action == "mkfifo":
                _write_fifo(upper, c.ino, path)
            elif action == "link":
                _link(str(step.source), path)
            else:
                _set_attrs(upper, c.ino, path)
            if progress is not None:
                progress(done, len(steps), path)
    finally:
        if staging is not None:
            try:
                os.rmdir(staging)
            except OSError:
                pass  # a failed step left something staged: keep it for the user
        overlay.forget_host_cache()
    settle(overlay, changes)


def _staging_dir(change: Change) -> str:
    """A fresh directory beside the first rename's target, on its filesystem."""
    where = posixpath.dirname(change.host_path)
    while not os.path.isdir(where):
        where = posixpath.dirname(where)
    name = posixpath.join(where, f".osbox-commit-{os.getpid()}-{time.monotonic_ns()}")
    os.mkdir(name, 0o700)
    return name


# -- settling ---------------------------------------------------------------------------


def _keeps(upper: Store, ino: int, program: int | None) -> bool:
    """Whether an upper directory holds something that must stay upper (what
    the machine had before the overlay was attached, osbox's programs)."""
    for _, child, fmt in upper.readdir(ino):
        if child == program or BASE in upper.xattrs(child):
            return True
        if fmt == S_IFDIR and _keeps(upper, child, program):
            return True
    return False


def _refresh_origin(upper: Store, change: Change) -> None:
    """Give a directory that stays upper an origin record of the host
    directory it now matches."""
    st = os.lstat(change.host_path)
    record = dict(change.origin or {})
    record.update(
        path=change.host_path,
        type="dir",
        mode=st.st_mode,
        uid=st.st_uid,
        gid=st.st_gid,
        size=st.st_size,
        atime_ns=st.st_atime_ns,
        mtime_ns=st.st_mtime_ns,
        sha256=None,
        target=None,
    )
    record.setdefault("ino", change.ino)
    value = json.dumps(record, sort_keys=True).encode("utf-8", "surrogateescape")
    upper.set_xattr(change.ino, ORIGIN, value, time.time_ns())


def settle(overlay: Overlay, changes: list[Change]) -> None:
    """Revert the committed upper entries, deepest first, so the host shows."""
    upper = overlay.upper
    program = program_ino(upper)
    entries: list[tuple[int, str, tuple[int, str], Change]] = []
    for c in changes:
        for i, entry in enumerate(c.upper):
            path = c.path if i == 0 else (c.old_path or c.path)
            entries.append((_depth(path), path, entry, c))
    entries.sort(key=lambda e: (-e[0], e[1]))
    done: set[tuple[int, str]] = set()
    for _, _, entry, c in entries:
        if entry in done:
            continue
        done.add(entry)
        node = upper.lookup(*entry)
        if node is None:
            continue
        if (
            node.mode & S_IFMT == S_IFDIR
            and entry == c.upper[0]
            and _keeps(upper, node.ino, program)
        ):
            _refresh_origin(upper, c)
            continue
        overlay.revert(*entry)
