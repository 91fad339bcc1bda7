"""Redirect references to host functions captured before patching.

Code may hold the host's functions under other names: ``from os import
stat`` (a module global), ``def close(self, unlink=_os.unlink)`` (a default
argument, as ``tempfile`` does), ``from builtins import open as
_builtin_open`` (as ``tokenize`` does), ``_close = os.close`` in a class
body (nested classes too) or ``FUNCS = [os.close]`` (a list or dict).
Replacing ``os.stat`` does not reach those, so this module finds them and
swaps in the dispatchers.

The index of places is built per module on first use and cached, so a later
``patch()`` only re-scans modules imported since. osbox's own modules and the
test runner's (pytest, pluggy, unittest) are left alone: they keep the host.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["Rebinder"]

# Skipped: osbox and the test runner (they keep the host), the import system
# (the stdlib and installed packages import from the host), and the modules
# whose bindings ``_install`` handles itself.
_SKIP_PREFIXES = (
    "osbox",
    "_pytest",
    "pytest",
    "pluggy",
    "unittest",
    "importlib",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "zipimport",
    "posix",
    "_io",
    "io",
    "builtins",
    "typing",
    "os",
    "posixpath",
)


def _skipped(name: str) -> bool:
    for prefix in _SKIP_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            return True
    return False


class Rebinder:
    """Finds and swaps captured references to a set of host callables."""

    def __init__(self) -> None:
        # module name -> (module object, places in it)
        self._index: dict[str, tuple[Any, list[tuple[str, Any, Any]]]] = {}
        self._targets: dict[int, Any] = {}
        self._swapped: list[tuple[str, Any, Any, Any]] = []
        self._flat: list[tuple[str, Any, Any]] = []
        self._nmods = -1

    def _places(self, module: types.ModuleType) -> list[tuple[str, Any, Any]]:
        """Places in ``module`` that reference a target: ``("attr", owner,
        name)`` for module and class attributes (nested classes included),
        ``("item", container, key)`` for list elements and dict values, and
        ``("defaults"|"kwdefaults", func, None)`` for default arguments."""
        targets = self._targets
        found: list[tuple[str, Any, Any]] = []
        name = module.__name__
        seen: set[int] = set()

        def scan_function(func: types.FunctionType) -> None:
            if func.__defaults__ and any(id(v) in targets for v in func.__defaults__):
                found.append(("defaults", func, None))
            if func.__kwdefaults__ and any(id(v) in targets for v in func.__kwdefaults__.values()):
                found.append(("kwdefaults", func, None))

        def scan_container(value: Any) -> None:
            if id(value) in seen:
                return
            seen.add(id(value))
            if isinstance(value, list):
                pairs: list[tuple[Any, Any]] = list(enumerate(value))
            elif isinstance(value, dict):
                pairs = list(value.items())
            else:
                return
            for key, item in pairs:
                if id(item) in targets or (type(item) is tuple and holds_target(item)):
                    found.append(("item", value, key))

        def holds_target(values: tuple[Any, ...]) -> bool:
            return any(id(v) in targets for v in values)

        def scan_namespace(owner: Any, items: list[tuple[str, Any]], depth: int) -> None:
            for key, value in items:
                if id(value) in targets or (type(value) is tuple and holds_target(value)):
                    found.append(("attr", owner, key))
                elif isinstance(value, types.FunctionType):
                    if value.__module__ == name:
                        scan_function(value)
                elif isinstance(value, (staticmethod, classmethod)):
                    inner = value.__func__
                    if isinstance(inner, types.FunctionType):
                        scan_function(inner)
                elif isinstance(value, type):
                    if (
                        depth < 4
                        and getattr(value, "__module__", None) == name
                        and id(value) not in seen
                    ):
                        seen.add(id(value))
                        scan_namespace(value, list(vars(value).items()), depth + 1)
                elif type(value) in (list, dict):
                    scan_container(value)

        try:
            items = list(vars(module).items())
        except TypeError:
            return found
        scan_namespace(module, items, 0)
        return found

    def install(self, replacements: dict[Any, Any]) -> None:
        """Swap every captured reference to a key of ``replacements``."""
        targets = {id(k): v for k, v in replacements.items()}
        if targets.keys() != self._targets.keys():
            self._index.clear()
            self._nmods = -1
        self._targets = targets
        if len(sys.modules) != self._nmods:
            self._rescan()
        swapped = self._swapped
        for kind, owner, key in self._flat:
            if kind == "attr":
                old = vars(owner).get(key)
                new = self._replacement(old)
                if new is not None:
                    swapped.append((kind, owner, key, old))
                    if isinstance(owner, type) and type(old) is not tuple:
                        # A host builtin in a class body does not bind as a
                        # method; the Python dispatcher would, unless static.
                        new = staticmethod(new)
                    setattr(owner, key, new)
            elif kind == "item":
                try:
                    old = owner[key]
                except (IndexError, KeyError):
                    continue
                new = self._replacement(old)
                if new is not None:
                    swapped.append((kind, owner, key, old))
                    owner[key] = new
            elif kind == "defaults":
                old = owner.__defaults__
                swapped.append((kind, owner, None, old))
                owner.__defaults__ = tuple(targets.get(id(v), v) for v in old)
            else:
                old = owner.__kwdefaults__
                swapped.append((kind, owner, None, old))
                owner.__kwdefaults__ = {k: targets.get(id(v), v) for k, v in old.items()}

    def _replacement(self, old: Any) -> Any:
        """The dispatcher for a target, a rebuilt tuple for a tuple holding
        targets, else None."""
        targets = self._targets
        new = targets.get(id(old))
        if new is None and type(old) is tuple:
            rebuilt = tuple(targets.get(id(v), v) for v in old)
            if any(a is not b for a, b in zip(rebuilt, old, strict=True)):
                return rebuilt
        return new

    def _rescan(self) -> None:
        """Index modules imported (or replaced) since the last scan."""
        index = self._index
        for modname, module in list(sys.modules.items()):
            if module is None or _skipped(modname):
                continue
            cached = index.get(modname)
            if cached is None or cached[0] is not module:
                index[modname] = (module, self._places(module))
        self._flat = [place for _module, places in index.values() for place in places]
        self._nmods = len(sys.modules)

    def uninstall(self) -> None:
        """Put every swapped reference back, in reverse order."""
        swapped = self._swapped
        while swapped:
            kind, owner, key, old = swapped.pop()
            if kind == "attr":
                setattr(owner, key, old)
            elif kind == "item":
                owner[key] = old
            elif kind == "defaults":
                owner.__defaults__ = old
            else:
                owner.__kwdefaults__ = old
