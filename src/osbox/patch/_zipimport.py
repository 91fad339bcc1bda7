"""Importing from zip archives stored inside the machine (``zipimport``'s
job for host archives: a wheel or ``.zip`` on ``sys.path``).

``MachineFinder`` asks ``find_in_archive`` for each ``sys.path`` entry (or
package ``__path__`` entry) that names a zip, ``.whl``, ``.egg`` or
``.pyz`` file of the machine, or a directory inside one. The archive is
read once (per machine and size/mtime) into memory and modules load from
its source; package data is served to ``importlib.resources`` as
``zipfile.Path``. Nothing is written (no bytecode).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import stat
import threading
import weakref
import zipfile
from typing import Any

__all__ = ["find_in_archive"]

_SUFFIXES = (".zip", ".whl", ".egg", ".pyz")
_cache: weakref.WeakKeyDictionary[Any, dict[str, tuple[tuple[int, int], zipfile.ZipFile]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def _split(entry: str) -> tuple[str, str] | None:
    """(archive, path inside it) when a component of ``entry`` names a zip."""
    parts = entry.split("/")
    for i, part in enumerate(parts):
        if part.endswith(_SUFFIXES):
            return "/".join(parts[: i + 1]), "/".join(parts[i + 1 :])
    return None


def _archive(ns: dict[str, Any], path: str) -> zipfile.ZipFile | None:
    try:
        st = ns["stat"](path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    key = (st.st_size, st.st_mtime_ns)
    machine = ns["_surface"].machine
    with _lock:
        per = _cache.setdefault(machine, {})
        hit = per.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
    try:
        with ns["open_file"](path, "rb") as f:
            zf = zipfile.ZipFile(io.BytesIO(f.read()))
    except (OSError, zipfile.BadZipFile):
        return None
    with _lock:
        _cache.setdefault(machine, {})[path] = (key, zf)
    return zf


class _Reader:
    """``importlib.resources`` reader of a package in an archive."""

    def __init__(self, zf: zipfile.ZipFile, inner: str) -> None:
        self._zf = zf
        self._inner = inner

    def files(self) -> zipfile.Path:
        return zipfile.Path(self._zf, at=self._inner + "/")


class ArchiveLoader(importlib.abc.SourceLoader):
    """Loads a module's source from a machine archive."""

    def __init__(self, zf: zipfile.ZipFile, archive: str, fullname: str, inner: str) -> None:
        self._zf = zf
        self._archive = archive
        self.name = fullname
        self._inner = inner  # the file inside the archive

    def get_filename(self, fullname: str) -> str:
        return f"{self._archive}/{self._inner}"

    def get_data(self, path: str) -> bytes:
        prefix = self._archive + "/"
        if not path.startswith(prefix):
            raise OSError(2, "No such file or directory", path)
        try:
            return self._zf.read(path[len(prefix) :])
        except KeyError:
            raise OSError(2, "No such file or directory", path) from None

    def get_resource_reader(self, fullname: str) -> _Reader | None:
        if not self._inner.endswith("/__init__.py"):
            return None
        return _Reader(self._zf, self._inner.rpartition("/")[0])


def find_in_archive(
    ns: dict[str, Any], entry: str, fullname: str
) -> importlib.machinery.ModuleSpec | None:
    """The spec of ``fullname`` in the archive ``entry`` names, if any."""
    split = _split(entry)
    if split is None:
        return None
    archive, inner = split
    zf = _archive(ns, archive)
    if zf is None:
        return None
    tail = fullname.rpartition(".")[2]
    base = f"{inner}/{tail}" if inner else tail
    names = zf.NameToInfo
    if base + "/__init__.py" in names:
        init = base + "/__init__.py"
        loader = ArchiveLoader(zf, archive, fullname, init)
        return importlib.util.spec_from_file_location(
            fullname,
            f"{archive}/{init}",
            loader=loader,
            submodule_search_locations=[f"{archive}/{base}"],
        )
    if base + ".py" in names:
        loader = ArchiveLoader(zf, archive, fullname, base + ".py")
        return importlib.util.spec_from_file_location(
            fullname, f"{archive}/{base}.py", loader=loader
        )
    return None
