"""``DirEntry`` and the ``scandir`` iterator, with Linux's caching.

As CPython's ``posix.DirEntry``: ``is_dir``/``is_file``/``is_symlink`` answer
from the ``d_type`` readdir gave, with no syscall, except that following a
symlink needs a ``stat``; ``stat()`` results are cached per entry, so a
DirEntry keeps describing the file as it was when first asked.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from stat import S_IFDIR, S_IFLNK, S_IFREG, S_ISDIR, S_ISREG
from types import GenericAlias
from typing import Any, Protocol

__all__ = ["DirEntry", "ScandirIterator"]


class _StatSource(Protocol):
    def stat(self, path: Any, *, dir_fd: Any = None, follow_symlinks: bool = True) -> Any: ...


class DirEntry:
    """One entry yielded by ``scandir`` (``os.DirEntry``)."""

    __slots__ = ("name", "path", "_ino", "_type", "_os", "_dirfd", "_stat", "_lstat")

    __class_getitem__: Any = classmethod(GenericAlias)

    def __init__(
        self, name: Any, path: Any, ino: int, dtype: int, os: _StatSource, dirfd: int | None
    ) -> None:
        self.name = name
        self.path = path
        self._ino = ino
        self._type = dtype
        self._os = os
        self._dirfd = dirfd
        self._stat: Any = None
        self._lstat: Any = None

    def _do_stat(self, follow: bool) -> Any:
        if self._dirfd is not None:
            return self._os.stat(self.name, dir_fd=self._dirfd, follow_symlinks=follow)
        return self._os.stat(self.path, follow_symlinks=follow)

    def stat(self, *, follow_symlinks: bool = True) -> Any:
        """Return the entry's ``stat_result``, cached after the first call."""
        if follow_symlinks and self._type == S_IFLNK:
            if self._stat is None:
                self._stat = self._do_stat(True)
            return self._stat
        if self._lstat is None:
            self._lstat = self._do_stat(False)
        return self._lstat

    def _test(self, kind: int, follow: bool) -> bool:
        if self._type == S_IFLNK and follow:
            try:
                st = self.stat()
            except FileNotFoundError:
                return False
            return S_ISDIR(st.st_mode) if kind == S_IFDIR else S_ISREG(st.st_mode)
        return self._type == kind

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        kind = self._type
        if kind != S_IFLNK:  # the common case, without _test's frame (os.walk asks each entry)
            return kind == S_IFDIR
        return self._test(S_IFDIR, follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        kind = self._type
        if kind != S_IFLNK:
            return kind == S_IFREG
        return self._test(S_IFREG, follow_symlinks)

    def is_symlink(self) -> bool:
        return self._type == S_IFLNK

    def inode(self) -> int:
        return self._ino

    def __fspath__(self) -> Any:
        return self.path

    def __repr__(self) -> str:
        return f"<DirEntry {self.name!r}>"


class ScandirIterator:
    """The iterator ``scandir`` returns: iterable once, a context manager."""

    __slots__ = ("_it", "_closed")

    def __init__(self, entries: list[DirEntry]) -> None:
        self._it: Iterator[DirEntry] | None = iter(entries)
        self._closed = False

    def __iter__(self) -> ScandirIterator:
        return self

    def __next__(self) -> DirEntry:
        if self._it is None:
            raise StopIteration
        try:
            return next(self._it)
        except StopIteration:
            self._it = None
            raise

    def close(self) -> None:
        self._it = None
        self._closed = True

    def __del__(self) -> None:
        if self._it is not None and not self._closed:
            warnings.warn(f"unclosed scandir iterator {self!r}", ResourceWarning, 2, source=self)

    def __enter__(self) -> ScandirIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
