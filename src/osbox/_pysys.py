"""The per-process part of ``sys`` for Python guests (``_pyprog``).

While any Python guest runs, the host's ``sys`` module has ``__class__`` set
to ``SysModule``, whose properties answer (and assign) ``sys.argv``,
``stdin``, ``stdout``, ``stderr``, ``executable``, ``prefix``,
``exec_prefix`` and ``path`` from the running guest's values (a
``ContextVar``), and the host's own values elsewhere. Python code goes
through the attribute, so ``venv``, ``contextlib.redirect_stdout`` and the
import system (``PathFinder`` reads ``sys.path``) see the guest's. C code
reads the ``sys`` dict directly: there the four it reads (``argv`` and the
streams) are ``Routed`` stand-ins for the same per-context values; the
others it sees as the host's.

The values are computed as CPython's ``getpath`` does for the executable
path the process was started as: ``sys.executable`` is that path; a
``pyvenv.cfg`` one directory above it (or beside it) makes the directory
holding it the prefix, ``sys.path`` the base installation's standard
library plus the venv's ``site-packages`` (and the base's when
``include-system-site-packages`` is true). Without one, the prefix is the
host interpreter's and ``sys.path`` a copy of the host's. Either way
``sys.path[0]`` is the guest's: ``''`` for ``-c`` and stdin, the cwd for
``-m``, the script's directory.

``sysconfig.get_config_vars`` answers with the guest's prefix too (pip
computes its install scheme from it). Modules a guest imported from the
machine leave ``sys.modules`` when it ends (``drop_machine_modules``).

Still shared with the host (the limit of running in-process): the rest of
``sys`` and of ``sys.modules`` (the stdlib and installed packages), and
module state such as ``logging``'s configuration.
"""

from __future__ import annotations

import contextvars
import posixpath
import sys
import threading
import types
from typing import Any

__all__ = [
    "SysModule",
    "Routed",
    "PER_PROCESS",
    "guest_sys",
    "use",
    "release",
    "drop_machine_modules",
]

# C reads these from the dict
ROUTED = ("argv", "stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")
PER_PROCESS = (*ROUTED, "executable", "prefix", "exec_prefix", "path")
CURRENT_SYS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "osbox_sys", default=None
)
_lock = threading.Lock()
_users = 0
_HostModule = type(sys)


class Routed:
    """Stands in the ``sys`` dict for ``sys.<name>`` (which C code reads from
    there: ``print``, ``input``, tracebacks): the current guest's value,
    else ``host``."""

    def __init__(self, name: str, host: Any) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "host", host)

    def _target(self) -> Any:
        d = CURRENT_SYS.get()
        name = object.__getattribute__(self, "_name")
        if d is not None and name in d:
            return d[name]
        return object.__getattribute__(self, "host")

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._target(), attr, value)

    def __iter__(self) -> Any:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __bool__(self) -> bool:
        return bool(self._target())

    def __getitem__(self, i: Any) -> Any:
        return self._target()[i]

    def __setitem__(self, i: Any, v: Any) -> None:
        self._target()[i] = v

    def __eq__(self, other: object) -> bool:
        return bool(self._target() == other)

    def __repr__(self) -> str:
        return repr(self._target())


def _prop(name: str) -> property:
    def get(self: types.ModuleType) -> Any:
        d = CURRENT_SYS.get()
        if d is not None and name in d:
            return d[name]
        value = vars(self)[name]
        return value.host if type(value) is Routed else value

    def put(self: types.ModuleType, value: Any) -> None:
        d = CURRENT_SYS.get()
        if d is not None and name in d:
            d[name] = value
            return
        old = vars(self).get(name)
        if type(old) is Routed:
            object.__setattr__(old, "host", value)  # the host's, behind the stand-in
        else:
            vars(self)[name] = value

    return property(get, put)


class SysModule(types.ModuleType):
    """``sys`` while Python guests run (see the module docstring)."""


for _name in PER_PROCESS:
    setattr(SysModule, _name, _prop(_name))


_host_config_vars: Any = None


def _config_vars(*args: str) -> Any:
    """``sysconfig.get_config_vars`` while guests run: the host's values
    (computed once, from the host's prefix), with the guest's prefix."""
    host = _host_config_vars()
    d = CURRENT_SYS.get()
    if d is not None and d.get("prefix") != host.get("prefix"):
        host = dict(host)
        host["prefix"] = host["base"] = d["prefix"]
        host["exec_prefix"] = host["platbase"] = d["exec_prefix"]
    if args:
        return [host.get(name) for name in args]
    return host


def use() -> None:
    """A guest starts: make ``sys`` and ``sysconfig``'s configuration
    variables per-process (first guest)."""
    global _users, _host_config_vars
    import sysconfig

    with _lock:
        if _users == 0:
            host = vars(sys)
            for name in ROUTED:
                host[name] = Routed(name, host[name])
            sys.__class__ = SysModule
            _host_config_vars = sysconfig.get_config_vars
            sysconfig.get_config_vars = _config_vars
        _users += 1


def release() -> None:
    """A guest ended: give ``sys`` back its class (last guest)."""
    global _users
    import sysconfig

    with _lock:
        _users -= 1
        if _users == 0:
            sys.__class__ = _HostModule
            sysconfig.get_config_vars = _host_config_vars
            host = vars(sys)
            for name in ROUTED:
                value = host[name]
                if type(value) is Routed:
                    host[name] = object.__getattribute__(value, "host")


def drop_machine_modules(
    before: set[str], loaders: tuple[type, ...], root: tuple[list[Any], int]
) -> None:
    """Forget what a guest's code imported from the machine (modules loaded
    by one of ``loaders``, and the new modules of their top-level packages,
    such as a vendored ``six``'s lazy ones) and the objects of their
    classes it left in the host's registries: ``sys.meta_path``,
    ``sys.path_hooks`` and ``logging``'s handlers (pip configures logging,
    replacing the root logger's: it gets back ``root``, its handlers and
    level when the guest started)."""
    new = [n for n in list(sys.modules) if n not in before]
    tops: set[str] = set()
    for name in new:
        spec = getattr(sys.modules.get(name), "__spec__", None)
        if isinstance(getattr(spec, "loader", None), loaders):
            tops.add(name.partition(".")[0])
    if not tops:
        return
    for name in new:
        if name.partition(".")[0] in tops:
            sys.modules.pop(name, None)

    def guest_made(obj: Any) -> bool:
        return str(getattr(type(obj), "__module__", "")).partition(".")[0] in tops

    sys.meta_path[:] = [f for f in sys.meta_path if not guest_made(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not guest_made(h)]
    import logging

    loggers = [logging.root, *logging.Logger.manager.loggerDict.values()]
    for lg in loggers:
        handlers = getattr(lg, "handlers", None)
        if handlers and any(guest_made(h) for h in handlers):
            lg.handlers = [h for h in handlers if not guest_made(h)]  # type: ignore[union-attr]
            if lg is logging.root:
                logging.root.handlers = list(root[0])
                logging.root.setLevel(root[1])


def _pyvenv(vos: Any, exe_dir: str) -> tuple[str, dict[str, str]] | None:
    """(venv prefix, settings) from ``pyvenv.cfg`` one directory above the
    executable, else beside it, as CPython's ``getpath`` looks."""
    for prefix in (posixpath.dirname(exe_dir), exe_dir):
        try:
            with vos.open_file(posixpath.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        settings = {}
        for line in lines:
            key, eq, value = line.partition("=")
            if eq:
                settings[key.strip().lower()] = value.strip()
        return prefix, settings
    return None


def guest_sys(vos: Any, exe: str, path0: str) -> dict[str, Any]:
    """The per-process ``sys`` values of a guest started as ``exe`` (an
    absolute machine path; empty if unknown), whose ``sys.path[0]`` is
    ``path0``."""
    host_path = vars(sys)["path"]
    host = vars(sys)
    values: dict[str, Any] = {
        "path": [path0, *host_path[1:]],
        "prefix": host["prefix"],
        "exec_prefix": host["exec_prefix"],
        "executable": exe or host["executable"],
    }
    if not exe:
        return values
    venv = _pyvenv(vos, posixpath.dirname(exe))
    if venv is None:
        return values
    prefix, settings = venv
    base = sys.base_prefix
    lib = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    stdlib = [p for p in host_path if p and _under(p, base) and "-packages" not in p]
    path = [path0, *stdlib, posixpath.join(prefix, "lib", lib, "site-packages")]
    if settings.get("include-system-site-packages", "").lower() == "true":
        path += [p for p in host_path if p and _under(p, base) and "-packages" in p]
    values.update(prefix=prefix, exec_prefix=prefix, path=path)
    return values


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")
