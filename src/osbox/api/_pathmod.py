"""``os.path`` bound to a machine: the stdlib's own ``posixpath``, re-bound.

Every function of ``posixpath`` (and those it takes from ``genericpath``) is
re-created over a copy of its module globals in which ``os`` is the
machine's ``os`` surface. The stdlib's code runs unchanged; only the
primitives it calls (``os.stat``, ``os.lstat``, ``os.getcwd``,
``os.readlink``, ``os.environ``) are the machine's.
"""

from __future__ import annotations

import genericpath
import posixpath
import types
from typing import Any

__all__ = ["bind_module", "make_path_module"]


def rebind(func: types.FunctionType, globs: dict[str, Any]) -> types.FunctionType:
    """A copy of ``func`` whose globals are ``globs``."""
    new = types.FunctionType(
        func.__code__, globs, func.__name__, func.__defaults__, func.__closure__
    )
    new.__kwdefaults__ = func.__kwdefaults__
    new.__doc__ = func.__doc__
    new.__qualname__ = func.__qualname__
    new.__module__ = func.__module__
    new.__dict__.update(func.__dict__)
    return new


def bind_module(
    module: types.ModuleType, overrides: dict[str, Any], name: str | None = None
) -> types.ModuleType:
    """A new module holding ``module``'s names, with its own functions
    re-bound to globals where ``overrides`` replace names."""
    globs = dict(vars(module))
    globs.update(overrides)
    own = vars(module)
    for key, value in own.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is own:
            globs[key] = rebind(value, globs)
    mod = types.ModuleType(name or module.__name__, module.__doc__)
    mod.__dict__.update(globs)
    globs.update(overrides)
    return mod


def make_path_module(os_module: types.ModuleType) -> types.ModuleType:
    """``posixpath`` whose file-touching functions use ``os_module``."""
    generic = bind_module(genericpath, {"os": os_module})
    generic_names = vars(generic)
    overrides: dict[str, Any] = {"os": os_module, "genericpath": generic}
    for key, value in vars(posixpath).items():
        if isinstance(value, types.FunctionType) and value.__globals__ is vars(genericpath):
            overrides[key] = generic_names[key]
    return bind_module(posixpath, overrides)
