"""Assemble a module-like ``os`` for one virtual process.

The result has every public name the host's ``os`` has:

* constants, types and pure helpers are the host's own objects (``O_RDONLY``,
  ``stat_result``, ``fspath``, ``W*`` macros, ``strerror``...);
* the calls osbox virtualises are the process's (``OsSurface`` methods);
* the functions CPython writes in Python in ``os.py`` (``makedirs``, ``walk``,
  ``fwalk``, ``renames``, ``getenv``...) are the stdlib's own code re-bound
  over this module, so they run on the machine;
* every other callable raises ``OSError(ENOSYS)`` naming itself, so nothing
  ever falls through to the host.
"""

from __future__ import annotations

import errno
import os as _os
import types
from typing import Any

from ..kernel.process import Process
from ._audit import AUDITED_PRIVATE, audited_fileio, wrap
from ._dirent import DirEntry
from ._environ import bytes_environ, str_environ
from ._fcntl import make_fcntl_module
from ._fileio import VFileIO, open_file
from ._os_fds import FdCalls
from ._os_ident import IdentCalls
from ._os_paths import PathCalls
from ._os_procs import ProcCalls
from ._pathmod import make_path_module, rebind
from ._select import make_poll, make_select
from ._signal import make_signal_module
from ._users import make_grp_module, make_pwd_module

__all__ = ["OsSurface", "make_os_module", "enosys", "HOST_PURE"]


class OsSurface(ProcCalls, PathCalls, FdCalls, IdentCalls):
    """All ``os`` calls of one process."""


# Private surface methods the module exposes: os.py's spawn core (which
# os.py's spawn* functions call by name) and the runtime's extensions.
_PRIVATE = frozenset(
    {"_exit", "_spawnvef", "_fork_call", "_fork_exec", "_sigaction", "_sleep", "_proc_table"}
)


# Host functions that compute without touching any host state osbox models.
HOST_PURE = frozenset(
    {
        "fspath",
        "fsencode",
        "fsdecode",
        "strerror",
        "major",
        "minor",
        "makedev",
        "WCOREDUMP",
        "WEXITSTATUS",
        "WIFCONTINUED",
        "WIFEXITED",
        "WIFSIGNALED",
        "WIFSTOPPED",
        "WSTOPSIG",
        "WTERMSIG",
        "waitstatus_to_exitcode",
        "urandom",
        "getrandom",
        "times",
        "register_at_fork",
        "sysconf",
        "confstr",
        "ctermid",
        "_check_methods",
        "_exists",
        "_get_exports_list",
        "_fscodec",
    }
)


def enosys(name: str) -> Any:
    """A stand-in for ``os.<name>`` that raises ENOSYS and never reaches the host."""

    def stub(*args: Any, **kwargs: Any) -> Any:
        raise OSError(
            errno.ENOSYS,
            f"Function not implemented: os.{name} is not virtualised by osbox "
            "and would reach the host",
        )

    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = f"os.{name} is not available inside an osbox machine: raises OSError(ENOSYS)."
    stub._osbox_enosys = True  # type: ignore[attr-defined]
    return stub


_TEMPLATE: tuple[dict[str, Any], list[str], list[tuple[str, types.FunctionType]]] | None = None


def _template() -> tuple[dict[str, Any], list[str], list[tuple[str, types.FunctionType]]]:
    """What every process's module shares, computed once: the host's
    constants, pure helpers and ENOSYS stubs; the surface method names to
    bind; the ``os.py`` functions to re-bind over each module."""
    global _TEMPLATE
    if _TEMPLATE is None:
        host = vars(_os)
        static: dict[str, Any] = {}
        for name, value in host.items():
            if callable(value) and not isinstance(value, type):
                if name in HOST_PURE or isinstance(value, types.FunctionType):
                    static[name] = value  # os.py functions are re-bound per module
                else:
                    static[name] = enosys(name)
            else:
                static[name] = value
        methods = [
            name
            for name in dir(OsSurface)
            if not (
                name.startswith("__")
                or name in ("proc", "dev", "machine")
                or (name.startswith("_") and name not in _PRIVATE)
            )
        ]
        rebound = [
            (name, value)
            for name, value in host.items()
            if isinstance(value, types.FunctionType)
            and value.__globals__ is host
            and name not in HOST_PURE
            and not hasattr(OsSurface, name)
        ]
        _TEMPLATE = (static, methods, rebound)
    return _TEMPLATE


def make_os_module(proc: Process, machine: Any) -> types.ModuleType:
    """Build the ``os`` module of ``proc`` on ``machine``."""
    surface = OsSurface(proc, machine)
    host = vars(_os)
    static, methods, rebound = _template()
    ns: dict[str, Any] = dict(static)
    for name in methods:
        ns[name] = getattr(surface, name)
    sink = getattr(machine, "audit_sink", None)  # set when the machine audits
    if sink is not None:  # record every call (api/_audit.py); nothing to pay when off
        for name, value in ns.items():
            if name in AUDITED_PRIVATE:
                ns[name] = wrap(AUDITED_PRIVATE[name], value, proc, sink)
            elif callable(value) and (
                (name in methods and not name.startswith("_"))
                or name == "_exit"
                or getattr(value, "_osbox_enosys", False)
            ):
                ns[name] = wrap(name, value, proc, sink)
    ns["DirEntry"] = DirEntry
    ns["error"] = OSError
    # The C environ block of the process, and CPython's Python-level mapping of it.
    data = dict(proc.environ)
    putenv = ns["putenv"]
    unsetenv = ns["unsetenv"]
    ns["environ"] = str_environ(data, putenv, unsetenv)
    ns["environb"] = bytes_environ(data, putenv, unsetenv)
    fileio = type("FileIO", (VFileIO,), {"_proc": proc, "_isatty": staticmethod(_os.isatty)})
    if sink is not None:
        fileio = audited_fileio(fileio, proc, sink)
    fspath = _os.fspath

    def vopen(
        file: Any,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
        closefd: bool = True,
        opener: Any = None,
    ) -> Any:
        return open_file(
            fileio, fspath, file, mode, buffering, encoding, errors, newline, closefd, opener
        )

    def fdopen(
        fd: Any,
        mode: str = "r",
        buffering: int = -1,
        encoding: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if not isinstance(fd, int):
            raise TypeError(f"invalid fd type ({type(fd)}, expected integer)")
        return vopen(fd, mode, buffering, encoding, *args, **kwargs)

    module = types.ModuleType("os", _os.__doc__)
    mod_ns = module.__dict__
    mod_ns.update(ns)
    for name, value in rebound:
        mod_ns[name] = rebind(value, mod_ns)
    mod_ns["fdopen"] = fdopen
    mod_ns["path"] = make_path_module(module)
    mod_ns["open_file"] = vopen  # the builtins.open of this process (not an os name)
    mod_ns["_FileIO"] = fileio  # its io.FileIO
    for set_name in (
        "supports_dir_fd",
        "supports_fd",
        "supports_follow_symlinks",
        "supports_effective_ids",
    ):
        host_set = host[set_name]
        mod_ns[set_name] = {mod_ns[f.__name__] for f in host_set if f.__name__ in mod_ns}
    mod_ns["_surface"] = surface
    surface._vopen = vopen
    mod_ns["_pwd"] = make_pwd_module(vopen)  # not os names: what patch serves pwd/grp from
    mod_ns["_grp"] = make_grp_module(vopen)
    mod_ns["_fcntl"] = make_fcntl_module(proc)
    mod_ns["_poll"] = make_poll(proc)  # not os names: select.poll and select.select
    mod_ns["_select"] = make_select(proc)
    mod_ns["_signal"] = make_signal_module(surface)  # what patch serves signal.* from
    return module
