"""Importing Python modules stored inside the machine.

While a machine is patched in, ``MachineFinder`` sits first on
``sys.meta_path``. For each ``sys.path`` entry (or package ``__path__``)
that is a directory *inside the machine*, it looks for ``name.py`` or
``name/__init__.py`` there and loads the source from the machine; an entry
naming a zip archive of the machine (a wheel) is searched by
``_zipimport``. Other entries are left to the normal finders, so the
stdlib and installed packages keep importing from the host. No bytecode is
written into the machine. A machine package's data (``importlib.resources``)
is read from the machine.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import stat
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._install import CURRENT
from ._zipimport import find_in_archive

__all__ = ["MachineFinder", "FINDER"]


class MachineLoader(importlib.abc.SourceLoader):
    """Loads source from a machine file (``get_data`` reads the machine)."""

    def __init__(self, ns: dict[str, Any], fullname: str, path: str) -> None:
        self._ns = ns
        self.name = fullname
        self.path = path

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        with self._ns["open_file"](path, "rb") as f:
            data: bytes = f.read()
            return data

    def path_stats(self, path: str) -> dict[str, Any]:
        st = self._ns["stat"](path)
        return {"mtime": st.st_mtime, "size": st.st_size}

    def get_resource_reader(self, fullname: str) -> Any:
        """Package data beside the module, in the machine (``importlib.resources``)."""
        import importlib.readers

        return importlib.readers.FileReader(self)  # type: ignore[arg-type]


class MachineFinder(importlib.abc.MetaPathFinder):
    """Finds modules under machine directories on ``sys.path``."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        ns = CURRENT.get()
        if ns is None:
            return None
        mstat = ns["stat"]
        tail = fullname.rpartition(".")[2]
        for entry in sys.path if path is None else path:
            if not isinstance(entry, str):
                continue
            base = entry or ns["getcwd"]()
            try:
                if not stat.S_ISDIR(mstat(base).st_mode):
                    raise NotADirectoryError
            except (OSError, ValueError):
                spec = find_in_archive(ns, base, fullname)
                if spec is not None:
                    return spec
                continue
            pkg = f"{base.rstrip('/')}/{tail}"
            init = pkg + "/__init__.py"
            if _is_file(mstat, init):
                loader = MachineLoader(ns, fullname, init)
                return importlib.util.spec_from_file_location(
                    fullname, init, loader=loader, submodule_search_locations=[pkg]
                )
            mod = pkg + ".py"
            if _is_file(mstat, mod):
                return importlib.util.spec_from_file_location(
                    fullname, mod, loader=MachineLoader(ns, fullname, mod)
                )
        return None


def _is_file(mstat: Any, path: str) -> bool:
    try:
        return stat.S_ISREG(mstat(path).st_mode)
    except (OSError, ValueError):
        return False


FINDER = MachineFinder()


# -- importlib's file helpers, for code that calls them with any path ----------
# py_compile, compileall, pip and importlib.util load and byte-compile files
# through importlib._bootstrap_external, which reads with _io.open_code and
# writes with _write_atomic, beneath the patched os. While a machine is
# current, these helpers act on the machine for paths that exist there (the
# source, or the directory a .pyc goes to); other paths are the host's, which
# is what the import system needs for the stdlib and installed packages.


def _machine_for(path: Any) -> dict[str, Any] | None:
    ns = CURRENT.get()
    if ns is None:
        return None
    try:
        ns["stat"](path)
    except (OSError, ValueError, TypeError):
        return None
    return ns


def bootstrap_entries() -> list[tuple[Any, str, Any]]:
    """(object, attribute, replacement) for the patch plan."""
    import importlib._bootstrap_external as be

    real_get_data = be.FileLoader.get_data
    real_path_stats = be.SourceFileLoader.path_stats
    real_set_data = be.SourceFileLoader.set_data
    real_write_atomic = be._write_atomic  # type: ignore[attr-defined]
    real_calc_mode = be._calc_mode  # type: ignore[attr-defined]

    def get_data(self: Any, path: Any) -> bytes:
        ns = _machine_for(path)
        if ns is None:
            data: bytes = real_get_data(self, path)
            return data
        with ns["open_file"](str(path), "rb") as f:
            content: bytes = f.read()
            return content

    def path_stats(self: Any, path: Any) -> dict[str, Any]:
        ns = _machine_for(path)
        if ns is None:
            return dict(real_path_stats(self, path))
        st = ns["stat"](path)
        return {"mtime": st.st_mtime, "size": st.st_size}

    def set_data(self: Any, path: str, data: bytes, *, _mode: int = 0o666) -> None:
        ns = _machine_for(getattr(self, "path", path))
        if ns is None:
            real_set_data(self, path, data, _mode=_mode)
            return
        try:
            ns["makedirs"](ns["path"].dirname(path), exist_ok=True)
            _machine_write_atomic(ns, path, data, _mode)
        except OSError:
            pass  # as the real set_data: no bytecode cache, no error

    def write_atomic(path: str, data: bytes, mode: int = 0o666) -> None:
        ns = CURRENT.get()
        if ns is not None and ns["path"].isdir(ns["path"].dirname(path) or "."):
            _machine_write_atomic(ns, path, data, mode)
        else:
            real_write_atomic(path, data, mode)

    def calc_mode(path: str) -> int:
        ns = _machine_for(path)
        if ns is None:
            mode: int = real_calc_mode(path)
            return mode
        return int(ns["stat"](path).st_mode) | 0o200

    return [
        (be.FileLoader, "get_data", get_data),
        (be.SourceFileLoader, "path_stats", path_stats),
        (be.SourceFileLoader, "set_data", set_data),
        (be, "_write_atomic", write_atomic),
        (be, "_calc_mode", calc_mode),
    ]


def _machine_write_atomic(ns: dict[str, Any], path: str, data: bytes, mode: int) -> None:
    """``_write_atomic`` inside the machine: a temp file, then replace."""
    tmp = f"{path}.{id(path)}"
    fd = ns["open"](tmp, os.O_EXCL | os.O_CREAT | os.O_WRONLY, mode & 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[ns["write"](fd, view) :]
        finally:
            ns["close"](fd)
        ns["replace"](tmp, path)
    except OSError:
        try:
            ns["unlink"](tmp)
        except OSError:
            pass
        raise
