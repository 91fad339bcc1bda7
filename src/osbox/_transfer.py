"""Copying a file or a tree between two filesystems, as ``cp -a`` does.

A ``Side`` is one filesystem seen through an ``os``-like module and an
``open``: the host's real ``os``/``open``, or a machine's ``machine.os``/
``machine.open``. ``TreeCopier`` copies from one side to the other keeping
file types, contents, permission bits, access and modification times (in
nanoseconds), symlinks (never followed), hard links within the copy, and
owners when the writing side's effective uid is 0.

Existing destinations: a directory is merged into; any other file is
replaced (removed first, so a symlink at the destination is never written
through); a directory never replaces a non-directory or the other way round.
Device nodes are created only on a side that allows them (never the host);
elsewhere, like sockets, they are skipped with a warning. A failing entry
raises its ``OSError``, unless an ``on_error`` callback is given: then it is
reported there and the copy goes on; ``errors`` counts the failures.
"""

from __future__ import annotations

import builtins
import errno
import os
import stat as st
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Side",
    "TreeCopier",
    "copy_tree",
    "count_entries",
    "host_side",
    "machine_side",
    "target_path",
]

CHUNK = 1 << 20


@dataclass(frozen=True)
class Side:
    """One filesystem: an ``os``-like module, its ``open``, and whether
    device nodes may be created in it."""

    os: Any
    open: Callable[..., Any]
    devices: bool = False

    def join(self, *parts: str) -> str:
        joined: str = self.os.path.join(*parts)
        return joined


def host_side() -> Side:
    """The host filesystem (device nodes are never created on it)."""
    return Side(os, builtins.open, devices=False)


def machine_side(machine: Any) -> Side:
    """A machine's filesystem (an ``osbox.Machine``); its kernel decides
    which devices may exist."""
    return Side(machine.os, machine.open, devices=True)


def copy_tree(src: Side, src_path: str, dst: Side, dst_path: str) -> str:
    """``cp -a SRC DST`` between two sides; returns where the copy landed.
    Errors: the ``OSError`` of the first entry that fails."""
    where = target_path(src, src_path, dst, dst_path)
    TreeCopier(src, dst).copy(src_path, where)
    return where


def target_path(src: Side, src_path: str, dst: Side, dst_path: str) -> str:
    """Where ``cp -a SRC DST`` puts ``SRC``: inside ``DST`` under the
    source's name when ``DST`` is a directory, else ``DST`` itself, whose
    parent must then be an existing directory (OSError otherwise). Copying a
    root (``/``) into a directory merges into it."""
    try:
        info = dst.os.stat(dst_path)
    except FileNotFoundError:
        parent = dst.os.path.dirname(dst_path.rstrip("/")) or "."
        try:
            parent_info = dst.os.stat(parent)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, dst_path) from None
        if not st.S_ISDIR(parent_info.st_mode):
            raise OSError(errno.ENOTDIR, "Not a directory", dst_path) from None
        return dst_path
    if not st.S_ISDIR(info.st_mode):
        return dst_path
    name = src.os.path.basename(src.os.path.abspath(src_path))
    return dst.join(dst_path, name) if name else dst_path


def count_entries(side: Side, path: str) -> int:
    """How many entries ``TreeCopier.copy(path, ...)`` will visit."""
    count = 1
    todo = [path]
    while todo:
        current = todo.pop()
        try:
            if not st.S_ISDIR(side.os.lstat(current).st_mode):
                continue
            with side.os.scandir(current) as entries:
                for entry in entries:
                    count += 1
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
        except OSError:
            continue
    return count


class TreeCopier:
    """Copies trees from ``src`` to ``dst``; see the module docstring.

    ``skip`` holds ``(st_dev, st_ino)`` of source files never to copy (the
    machine file itself, when putting a host tree that contains it);
    ``advance`` is called once per source entry (progress display);
    ``on_error(exc, path)`` receives failures (None: raise them) and
    ``on_warning(message)`` skipped entries (None: ignore them).
    """

    def __init__(
        self,
        src: Side,
        dst: Side,
        skip: frozenset[tuple[int, int]] = frozenset(),
        advance: Callable[[], None] | None = None,
        on_error: Callable[[OSError, str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self.on_error = on_error
        self.on_warning = on_warning
        self.src = src
        self.dst = dst
        self.skip = skip
        self.advance = advance
        self.owners = dst.os.geteuid() == 0
        self.errors = 0
        self._links: dict[tuple[int, int], str] = {}

    def _fail(self, exc: OSError, path: str) -> None:
        if self.on_error is None:
            raise exc
        self.on_error(exc, path)
        self.errors += 1

    def _warn(self, message: str) -> None:
        if self.on_warning is not None:
            self.on_warning(message)

    def copy(self, src_path: str, dst_path: str) -> None:
        """Copy ``src_path`` (any file type) to ``dst_path``."""
        # (source, destination, None) to copy an entry; (source, destination,
        # stat) to finish a directory once everything inside it is copied.
        todo: list[tuple[str, str, Any]] = [(src_path, dst_path, None)]
        while todo:
            s, d, finish = todo.pop()
            if finish is not None:
                try:
                    self._attributes(d, finish)
                except OSError as exc:
                    self._fail(exc, d)
                continue
            try:
                info = self.src.os.lstat(s)
            except OSError as exc:
                self._fail(exc, s)
                continue
            if self.advance is not None:
                self.advance()
            try:
                if st.S_ISDIR(info.st_mode):
                    names = sorted(self.src.os.listdir(s))
                    self._directory(d)
                    todo.append((s, d, info))
                    for name in reversed(names):
                        todo.append((self.src.join(s, name), self.dst.join(d, name), None))
                else:
                    self._non_directory(s, d, info)
            except OSError as exc:
                self._fail(exc, s)

    def _directory(self, d: str) -> None:
        try:
            self.dst.os.mkdir(d, 0o700)
        except FileExistsError:
            if not st.S_ISDIR(self.dst.os.lstat(d).st_mode):
                raise OSError(
                    errno.EEXIST, "cannot overwrite non-directory with directory", d
                ) from None

    def _clear(self, d: str) -> None:
        """Remove a non-directory at ``d`` so a new file can be made there."""
        try:
            info = self.dst.os.lstat(d)
        except FileNotFoundError:
            return
        if st.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, "cannot overwrite directory with non-directory", d)
        self.dst.os.unlink(d)

    def _non_directory(self, s: str, d: str, info: Any) -> None:
        mode = info.st_mode
        key = (info.st_dev, info.st_ino)
        if key in self.skip:
            self._warn(f"{s}: skipped: it is the machine file being written")
            return
        if info.st_nlink > 1 and key in self._links:
            self._clear(d)
            self.dst.os.link(self._links[key], d)
            return
        dst_os = self.dst.os
        if st.S_ISREG(mode):
            self._clear(d)
            with self.src.open(s, "rb") as fin, self.dst.open(d, "xb") as fout:
                while chunk := fin.read(CHUNK):
                    fout.write(chunk)
        elif st.S_ISLNK(mode):
            target = self.src.os.readlink(s)
            self._clear(d)
            dst_os.symlink(target, d)
        elif st.S_ISFIFO(mode):
            self._clear(d)
            dst_os.mkfifo(d, 0o600)
        elif (st.S_ISCHR(mode) or st.S_ISBLK(mode)) and self.dst.devices:
            self._clear(d)
            dst_os.mknod(d, st.S_IFMT(mode) | 0o600, info.st_rdev)
        else:
            kind = "socket" if st.S_ISSOCK(mode) else "device node"
            self._warn(f"{s}: skipped: a {kind} is not copied here")
            return
        if info.st_nlink > 1:
            self._links[key] = d
        self._attributes(d, info)

    def _attributes(self, d: str, info: Any) -> None:
        """Owner (as root), permission bits and times of ``info`` onto ``d``."""
        dst_os = self.dst.os
        link = st.S_ISLNK(info.st_mode)
        if self.owners:
            dst_os.lchown(d, info.st_uid, info.st_gid)
        if not link:
            dst_os.chmod(d, st.S_IMODE(info.st_mode))
        dst_os.utime(d, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)
