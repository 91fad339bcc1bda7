"""Package data of host-imported packages, read-only, inside a machine.

The stdlib and installed packages import from the host (``_importer``); the
data files beside them are part of that install. ``importlib.resources``
finds them through the package's ``FileReader``, whose ``files()`` is a
host ``pathlib.Path``: inside a machine every open of it would go to the
machine and fail. While a machine is current, ``files()`` of a package
that is not stored in the machine returns a ``HostFiles`` instead: a
read-only ``Traversable`` over the host directory (the way ``ensurepip``
reads its bundled wheels). Opening one for writing raises EROFS; it
stays a ``Path``, so ``as_file`` gives C code the host path, as before.
"""

from __future__ import annotations

import errno
import io
import pathlib
import posix
from collections.abc import Iterator
from typing import Any

from ._install import CURRENT

__all__ = ["HostFiles", "resource_entries"]


class HostFiles(pathlib.PosixPath):
    """A host path (a ``Traversable``) whose reads (``open`` for reading,
    ``read_*``, ``stat``, ``is_*``, ``iterdir``) are the host's, for a
    host package's data inside a machine. Opening it for writing raises
    EROFS. It stays a ``Path``, so ``importlib.resources.as_file`` hands
    C code (``ssl`` loading certifi's bundle) the host path, as outside a
    machine."""

    def open(
        self,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> Any:
        if set(mode) - set("rbt"):
            raise OSError(errno.EROFS, "Read-only file system: host package data", str(self))
        from _io import open as host_open  # the import system's open: never patched

        if "b" not in mode:
            encoding = io.text_encoding(encoding)
        return host_open(str(self), mode, buffering, encoding, errors, newline)

    def stat(self, *, follow_symlinks: bool = True) -> Any:
        return posix.stat(str(self), follow_symlinks=follow_symlinks)

    def iterdir(self) -> Iterator[HostFiles]:  # type: ignore[override]
        for name in posix.listdir(str(self)):
            yield self / name


def resource_entries() -> list[tuple[Any, str, Any]]:
    """(object, attribute, replacement) for the patch plan."""
    import importlib.readers

    real_files = importlib.readers.FileReader.files

    def files(self: Any) -> Any:
        ns = CURRENT.get()
        if ns is None:
            return real_files(self)
        path = str(self.path)
        try:
            ns["stat"](path)
        except (OSError, ValueError):
            return HostFiles(path)  # not the machine's: the host install's data
        return real_files(self)

    return [(importlib.readers.FileReader, "files", files)]
