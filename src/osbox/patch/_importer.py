"""Importing Python modules stored inside the machine.

While a machine is patched in, ``MachineFinder`` sits first on
``sys.meta_path``. For each ``sys.path`` entry (or package ``__path__``)
that is a directory *inside the machine*, it looks for ``name.py`` or
``name/__init__.py`` there and loads the source from the machine. Entries
that are not machine directories are left to the normal finders, so the
stdlib and installed packages keep importing from the host. No bytecode is
written into the machine.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import stat
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._install import CURRENT

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
                    continue
            except (OSError, ValueError):
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
