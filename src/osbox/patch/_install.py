"""The dispatchers ``patched`` installs, and putting the originals back.

Patched entry points:

* every callable of the real ``os`` module that a machine's ``os`` replaces
  (C functions; the Python-level ones in ``os.py`` call those through
  module globals, so they follow without being replaced), plus ``popen``
  and ``fdopen``;
* ``os.environ``/``os.environb`` (mapping proxies), ``os.DirEntry``, the
  ``os.supports_*`` sets;
* ``builtins.open``, ``io.open``, ``io.open_code`` and ``io.FileIO`` (not
  the private ``_io.open``, which the import system reads the host with);
  ``mmap.mmap`` of an fd raises ENOSYS inside a machine;
* ``pwd.getpw*`` and ``grp.getgr*``, answered from the machine's /etc files;
* ``fcntl.fcntl``/``ioctl``/``flock``/``lockf`` on virtual fds;
* ``socket.socket.bind``/``connect`` to an AF_UNIX path, which raise
  ENOSYS (such a socket would be a host file);
* ``sqlite3.connect`` for a file database, which raises ENOSYS (C code
  cannot see an in-process machine);
* ``sys.meta_path``: modules stored in machine directories on ``sys.path``
  import from the machine, and importlib's file helpers (used by
  py_compile, compileall, pip) act on machine paths (``_importer``);
* ``subprocess._fork_exec`` and ``_posixsubprocess.fork_exec``: inside a
  machine the machine's runtime starts the child (``api/_os_procs.py``);
* ``select.poll``/``select.select`` (and ``selectors.PollSelector``'s
  poll class): readiness of the machine's fds (``api/_select.py``);
* ``signal.signal``/``getsignal`` (through ``_signal``), ``alarm``,
  ``pause``, ``setitimer``/``getitimer``, ``raise_signal``,
  ``siginterrupt`` and ``time.sleep``: the virtual process's
  (``api/_signal.py``); ``pthread_kill`` and ``sigwait*`` raise ENOSYS;
* ``threading.Thread`` start-up, so new threads run in a copy of the
  starting context (the machine, and a Python guest's routed ``sys``), and
  ``ThreadPoolExecutor.submit``, so submitted work runs inside it;
* ``weakref.finalize``: callbacks registered inside a machine run inside it;
* references to any of these captured elsewhere before patching
  (``from os import stat``, default arguments), see ``_bindings``.
"""

from __future__ import annotations

import builtins
import contextvars
import io
import os
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from ._bindings import Rebinder

__all__ = ["CURRENT", "install", "uninstall"]

CURRENT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "osbox_machine", default=None
)
_get = CURRENT.get

_PYTHON_LEVEL_OVERRIDES = ("popen", "fdopen", "_spawnvef")
_SETS = ("supports_dir_fd", "supports_fd", "supports_follow_symlinks", "supports_effective_ids")

_rebinder = Rebinder()


def _dispatcher(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        return ns[name](*args, **kwargs)

    dispatch.__name__ = getattr(real, "__name__", name)
    dispatch.__qualname__ = getattr(real, "__qualname__", name)
    dispatch.__doc__ = getattr(real, "__doc__", None)
    dispatch.__wrapped__ = real  # type: ignore[attr-defined]
    return dispatch


def _module_dispatcher(key: str, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """A dispatcher to ``getattr(ns[key], name)``: for pwd and grp."""

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        return getattr(ns[key], name)(*args, **kwargs)

    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.__doc__ = real.__doc__
    dispatch.__wrapped__ = real  # type: ignore[attr-defined]
    return dispatch


def _open_code_dispatcher(real: Callable[..., Any]) -> Callable[..., Any]:
    def open_code(path: str) -> Any:
        ns = _get()
        if ns is None:
            return real(path)
        if not isinstance(path, str):
            raise TypeError(f"open_code() argument 'path' must be str, not {type(path).__name__}")
        return ns["open_file"](path, "rb")

    open_code.__doc__ = real.__doc__
    open_code.__wrapped__ = real  # type: ignore[attr-defined]
    return open_code


_SQLITE_MESSAGE = (
    "Function not implemented: sqlite3 opens files in C, outside osbox; inside an "
    "in-process machine it would touch the host. Use ':memory:', or mount the machine"
)


def _in_memory(name: str, uri: bool) -> bool:
    """Whether a sqlite3 database name (and ``uri`` flag) opens no file."""
    if name == ":memory:":
        return True
    if not uri or not name.startswith("file:"):
        return False
    parts = urllib.parse.urlsplit(name)
    query = urllib.parse.parse_qs(parts.query)
    return query.get("mode") == ["memory"] or parts.path == ":memory:"


def _no_file_attach(action: int, arg1: Any, *rest: Any) -> int:
    """sqlite3 authorizer: ATTACH (and VACUUM INTO, which attaches) only of
    in-memory databases inside a machine ('' would be a host temp file)."""
    import sqlite3

    if action == sqlite3.SQLITE_ATTACH and not _in_memory(arg1 or "", True):
        return int(sqlite3.SQLITE_DENY)
    return int(sqlite3.SQLITE_OK)


def _sqlite_guard(real: Callable[..., Any]) -> Callable[..., Any]:
    """sqlite3 opens its files in C, where no machine can be seen: refuse
    a file database inside a machine rather than touch the host."""

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        if _get() is None:
            return real(database, *args, **kwargs)
        name = os.fsdecode(database) if isinstance(database, (str, bytes, os.PathLike)) else ""
        uri = bool(kwargs.get("uri", args[5] if len(args) > 5 else False))
        if not _in_memory(name, uri):
            raise OSError(38, _SQLITE_MESSAGE + f" ({name!r})")
        conn = real(database, *args, **kwargs)
        conn.set_authorizer(_no_file_attach)
        return conn

    connect.__doc__ = real.__doc__
    connect.__wrapped__ = real  # type: ignore[attr-defined]
    return connect


def _unix_socket_guard(real: Callable[..., Any], what: str) -> Callable[..., Any]:
    """AF_UNIX sockets bound or connected to a path would be host files."""

    def guarded(self: Any, *args: Any) -> Any:
        address = args[-1] if args else None
        if _get() is not None and self.family == socket.AF_UNIX:
            path = os.fspath(address) if isinstance(address, (str, bytes, os.PathLike)) else None
            if path and path[:1] not in ("\0", b"\0"):
                raise OSError(
                    38,
                    f"Function not implemented: socket.{what} to the path {path!r}: AF_UNIX "
                    "sockets live in the host filesystem and are not virtualised by osbox",
                )
        return real(self, *args)

    guarded.__name__ = guarded.__qualname__ = what
    guarded.__wrapped__ = real  # type: ignore[attr-defined]
    return guarded


class _EitherMeta(type):
    """``isinstance``/``issubclass`` against a dispatching class accept both
    the host class and the machine's."""

    _classes: tuple[type, ...]

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._classes)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._classes)


def _fileio_class(real: type) -> type:
    """``io.FileIO`` while patched: the machine's raw file class inside a
    machine (paths and fds are the machine's), the host's elsewhere."""
    from ..api._fileio import VFileIO

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        return ns["_FileIO"](*args, **kwargs)

    return _EitherMeta("FileIO", (), {"__new__": __new__, "_classes": (real, VFileIO)})


def _mmap_class(real: type) -> type:
    """``mmap.mmap`` while patched: an anonymous map works anywhere; a map of
    an fd inside a machine raises ENOSYS (the fd number is not a host fd)."""

    def __new__(cls: type, fileno: int, *args: Any, **kwargs: Any) -> Any:
        if _get() is not None and fileno != -1:
            raise OSError(
                38,
                "Function not implemented: mmap of a file inside an osbox machine "
                "(the machine's files have no host fd)",
            )
        return real(fileno, *args, **kwargs)

    return _EitherMeta("mmap", (), {"__new__": __new__, "_classes": (real,)})


def _open_dispatcher(real: Callable[..., Any]) -> Callable[..., Any]:
    from ..api._fileio import open_file

    fspath = os.fspath

    def open(*args: Any, **kwargs: Any) -> Any:  # noqa: A001 - it is builtins.open
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        # ns["open_file"] is open_file over the process's raw file class,
        # ns["_FileIO"]: calling it directly saves a frame on every open().
        return open_file(ns["_FileIO"], fspath, *args, **kwargs)

    open.__doc__ = real.__doc__
    open.__wrapped__ = real  # type: ignore[attr-defined]
    return open


def _key_dispatcher(key: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """A dispatcher to ``ns[key]``: for select.poll and select.select, whose
    machine versions are not ``os`` names."""

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        return ns[key](*args, **kwargs)

    dispatch.__name__ = real.__name__
    dispatch.__doc__ = real.__doc__
    dispatch.__wrapped__ = real  # type: ignore[attr-defined]
    return dispatch


def _fork_exec_dispatcher(real: Callable[..., Any]) -> Callable[..., Any]:
    """``_posixsubprocess.fork_exec``: inside a machine, the machine's process
    runtime starts the child (``ProcCalls._fork_exec``), never the host."""

    def fork_exec(*args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is None:
            return real(*args, **kwargs)
        return ns["_fork_exec"](*args, **kwargs)

    fork_exec.__wrapped__ = real  # type: ignore[attr-defined]
    return fork_exec


class _EnvironProxy(MutableMapping[Any, Any]):
    """``os.environ`` while patched: the current machine's, else the host's."""

    def __init__(self, key: str, real: MutableMapping[Any, Any]) -> None:
        self._key = key
        self._real = real

    def _target(self) -> MutableMapping[Any, Any]:
        ns = _get()
        if ns is None:
            return self._real
        target: MutableMapping[Any, Any] = ns[self._key]
        return target

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __repr__(self) -> str:
        return repr(self._target())

    def copy(self) -> dict[Any, Any]:
        return dict(self._target())

    def __or__(self, other: Any) -> Any:
        target: Any = self._target()
        return target.__or__(other)

    def __ror__(self, other: Any) -> Any:
        target: Any = self._target()
        return target.__ror__(other)

    def __ior__(self, other: Any) -> _EnvironProxy:
        self._target().update(other)
        return self


def _entry(plan: list[tuple[Any, str, Any, Any]], obj: Any, name: str, value: Any) -> None:
    plan.append((obj, name, getattr(obj, name), value))


def _virtual_names() -> list[str]:
    """Names of the real ``os`` whose machine version differs (every callable
    osbox replaces or stubs)."""
    from ..api.osmodule import HOST_PURE

    names = []
    for name, value in vars(os).items():
        if name in HOST_PURE or name.startswith("__"):
            continue
        if callable(value) and not isinstance(value, type) and not hasattr(value, "__code__"):
            names.append(name)
    names.extend(_PYTHON_LEVEL_OVERRIDES)
    return names


def _run_in(ns: dict[str, Any], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    token = CURRENT.set(ns)
    try:
        return fn(*args, **kwargs)
    finally:
        CURRENT.reset(token)


def _pool_submit(real: Callable[..., Any]) -> Callable[..., Any]:
    """Work submitted to a thread pool inside a machine runs inside it, even
    on a worker thread started before."""

    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        ns = _get()
        if ns is not None:
            return real(self, _run_in, ns, fn, *args, **kwargs)
        return real(self, fn, *args, **kwargs)

    submit.__doc__ = real.__doc__
    return submit


def _finalize_class(real: type) -> type:
    """``weakref.finalize`` inside a machine: the callback runs later inside
    that machine (patched in again), or not at all once it is closed, never
    on the host (tempfile.TemporaryDirectory's cleanup would rmtree a host
    directory of the same name)."""

    class finalize(real):  # type: ignore[misc]
        def __init__(
            self, obj: Any, func: Callable[..., Any], /, *args: Any, **kwargs: Any
        ) -> None:
            ns = _get()
            if ns is not None:
                machine = ns["_surface"].machine
                args = (machine, func, *args)
                func = _in_machine
            super().__init__(obj, func, *args, **kwargs)

    finalize.__qualname__ = real.__qualname__
    finalize.__module__ = real.__module__
    return finalize


def _in_machine(machine: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if getattr(machine, "_closed", False):
        return None
    with machine.patch():
        return func(*args, **kwargs)


def _thread_start(real_start: Callable[..., Any]) -> Callable[..., Any]:
    def start(self: threading.Thread) -> None:
        # A thread started inside a machine runs in a copy of the starting
        # context: the machine, and what a guest routes per context (its
        # Python program's sys.stdout, sys.path...).
        ns = _get()
        self._osbox_context = None if ns is None else contextvars.copy_context()  # type: ignore[attr-defined]
        real_start(self)

    return start


def _thread_bootstrap(real_inner: Callable[..., Any]) -> Callable[..., Any]:
    def _bootstrap_inner(self: threading.Thread) -> None:
        ctx = getattr(self, "_osbox_context", None)
        if ctx is not None:
            self._osbox_context = None  # type: ignore[attr-defined]
            ctx.run(real_inner, self)
        else:
            real_inner(self)

    return _bootstrap_inner


def _signal_entries(plan: list[tuple[Any, str, Any, Any]], dispatchers: dict[Any, Any]) -> None:
    """``signal``'s calls (the C ones in ``_signal``, which ``signal.signal``
    and ``getsignal`` wrap, and their copies in ``signal``) and
    ``time.sleep``, to the process's own (``api/_signal.py``)."""
    import importlib
    import signal
    import time

    _signal = importlib.import_module("_signal")  # the C module signal.py wraps

    from ..api._signal import SIGNAL_CALLS

    for name in SIGNAL_CALLS:
        real_fn = getattr(_signal, name, None)
        if real_fn is None:
            continue
        d = _module_dispatcher("_signal", name, real_fn)
        dispatchers[real_fn] = d
        _entry(plan, _signal, name, d)
        if getattr(signal, name, None) is real_fn:
            _entry(plan, signal, name, d)
    d = _module_dispatcher("_signal", "sleep", time.sleep)
    dispatchers[time.sleep] = d
    _entry(plan, time, "sleep", d)


def _build_plan() -> tuple[list[tuple[Any, str, Any, Any]], dict[Any, Any]]:
    """Every (object, attribute, original, replacement) ``install`` sets, and
    the map from host callables to their dispatchers."""
    plan: list[tuple[Any, str, Any, Any]] = []
    dispatchers: dict[Any, Any] = {}
    for name in _virtual_names():
        real = getattr(os, name)
        d = _dispatcher(name, real)
        dispatchers[real] = d
        _entry(plan, os, name, d)
    for set_name in _SETS:
        host_set = getattr(os, set_name)
        _entry(plan, os, set_name, {dispatchers.get(f, f) for f in host_set})
    _entry(plan, os, "environ", _EnvironProxy("environ", os.environ))
    _entry(plan, os, "environb", _EnvironProxy("environb", os.environb))
    from ..api._dirent import DirEntry

    _entry(plan, os, "DirEntry", DirEntry)
    opener = _open_dispatcher(builtins.open)
    dispatchers[builtins.open] = opener
    _entry(plan, builtins, "open", opener)
    _entry(plan, io, "open", opener)
    import mmap

    # Not _io.open: the C io.open_code calls it to read the stdlib and
    # installed packages, which must stay the host's.
    _entry(plan, io, "FileIO", _fileio_class(io.FileIO))
    _entry(plan, mmap, "mmap", _mmap_class(mmap.mmap))
    open_code = _open_code_dispatcher(io.open_code)
    dispatchers[io.open_code] = open_code
    _entry(plan, io, "open_code", open_code)
    import grp
    import pwd
    import sqlite3

    for module, key in ((pwd, "_pwd"), (grp, "_grp")):
        for name in [n for n in dir(module) if n.startswith("get")]:
            real_fn = getattr(module, name)
            d = _module_dispatcher(key, name, real_fn)
            dispatchers[real_fn] = d
            _entry(plan, module, name, d)
    import fcntl

    for name in ("fcntl", "ioctl", "flock", "lockf"):
        real_fn = getattr(fcntl, name)
        d = _module_dispatcher("_fcntl", name, real_fn)
        dispatchers[real_fn] = d
        _entry(plan, fcntl, name, d)
    for name in ("bind", "connect", "connect_ex", "sendto"):
        _entry(plan, socket.socket, name, _unix_socket_guard(getattr(socket.socket, name), name))
    guard = _sqlite_guard(sqlite3.connect)
    dispatchers[sqlite3.connect] = guard
    _entry(plan, sqlite3, "connect", guard)
    import _posixsubprocess
    import select
    import selectors
    import subprocess

    for name, key in (("poll", "_poll"), ("select", "_select")):
        d = _key_dispatcher(key, getattr(select, name))
        dispatchers[getattr(select, name)] = d
        _entry(plan, select, name, d)
        if name == "poll":
            _entry(plan, selectors.PollSelector, "_selector_cls", staticmethod(d))

    _signal_entries(plan, dispatchers)
    _entry(plan, _posixsubprocess, "fork_exec", _fork_exec_dispatcher(_posixsubprocess.fork_exec))
    _entry(plan, subprocess, "_fork_exec", _fork_exec_dispatcher(subprocess._fork_exec))  # type: ignore[attr-defined]
    from ._importer import bootstrap_entries
    from ._resources import resource_entries

    for obj, name, value in bootstrap_entries() + resource_entries():
        _entry(plan, obj, name, value)
    import concurrent.futures
    import weakref

    pool = concurrent.futures.ThreadPoolExecutor
    _entry(plan, pool, "submit", _pool_submit(pool.submit))
    _entry(plan, weakref, "finalize", _finalize_class(weakref.finalize))
    thread = threading.Thread
    _entry(plan, thread, "start", _thread_start(thread.start))
    _entry(plan, thread, "_bootstrap_inner", _thread_bootstrap(thread._bootstrap_inner))  # type: ignore[attr-defined]
    return plan, dispatchers


_plan: list[tuple[Any, str, Any, Any]] = []
_dispatchers: dict[Any, Any] = {}


def install() -> None:
    """Put the dispatchers in place (called for the outermost block). The
    plan is built once and rebuilt only if someone else changed a binding."""
    global _plan, _dispatchers
    if not _plan or any(getattr(obj, name) is not orig for obj, name, orig, _ in _plan):
        _plan, _dispatchers = _build_plan()
    for obj, name, _orig, new in _plan:
        setattr(obj, name, new)
    _rebinder.install(_dispatchers)
    from ._importer import FINDER

    sys.meta_path.insert(0, FINDER)


def uninstall() -> None:
    """Restore every binding ``install`` changed, in reverse order."""
    from ._importer import FINDER

    if FINDER in sys.meta_path:
        sys.meta_path.remove(FINDER)
    _rebinder.uninstall()
    for obj, name, orig, _new in reversed(_plan):
        setattr(obj, name, orig)
