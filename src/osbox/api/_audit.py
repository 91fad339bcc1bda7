"""The audit log's recording side: one process's ``os`` calls, as rows.

When the machine audits (``Machine(audit=True)``), ``make_os_module``
replaces each call of the process's ``os`` module by a wrapper (``wrap``)
and its raw file class by ``audited_fileio``'s subclass; otherwise nothing
here runs, so auditing costs nothing when off.

What is recorded is what a process asks of the system, as ``strace`` would
list it: every ``os`` primitive (``stat``, ``open``, ``read``, ``mkdir``,
``scandir``, ``kill``, ``waitpid``...), whoever calls it: the program,
the stdlib's own ``os.walk``/``makedirs``/``os.path``/``shutil`` code
(which call the primitives through the module), the shell and its
commands, Python children. ``builtins.open``/``io.open`` and file objects
record the ``open``/``read``/``write``/``lseek``/``ftruncate``/``close``
their raw file makes. Derived functions (``makedirs``, ``walk``) are not
recorded themselves, so nothing is recorded twice. A call is recorded
when it returns or raises ``OSError`` (with its errno); argument errors
(``TypeError``/``ValueError``) reach no system call and are not recorded.
``execv``/``execve``/``_exit``/``abort`` are recorded when they do not
return. The private ``_fork_call``, ``_fork_exec`` and ``_spawnvef`` (the
in-process fork of the shell, ``subprocess``'s and ``os.spawn*``'s
process start) are recorded as ``fork``, ``fork_exec`` and ``spawnve``.

Values are made JSON-serialisable as they are recorded (``_arg``,
``_result``): str, int, float, bool and None as they are; paths given as
bytes or path-like objects as fsdecoded str; data (bytes written, buffers
read into) as its length, never its content; sequences element by
element; mappings (an environment) as ``{"len": N}``; anything else as
``"<TypeName>"``. Results: byte strings read as their length (paths, as
``readlink`` returns, fsdecoded), ``stat`` results as ``{"st_mode",
"st_ino", "st_size"}``, lists of names (``listdir``) as their count, lists
of numbers (``pipe``, ``waitpid``) as lists.
"""

from __future__ import annotations

import fnmatch
import os as _os
import posixpath
from collections.abc import Callable
from errno import EAGAIN, errorcode
from time import time_ns
from typing import Any, NamedTuple

from ..kernel import sys_proc
from ..kernel.errors import KernelError
from ..kernel.process import Process
from ..stores.audit import AuditRow
from ._fileio import VFileIO

__all__ = [
    "AUDITED_PRIVATE",
    "AuditRecord",
    "audited_fileio",
    "path_matches",
    "row_paths",
    "select",
    "wrap",
]

Sink = Callable[[AuditRow], None]

#: Private surface methods recorded, and the name they are recorded as.
AUDITED_PRIVATE = {"_fork_call": "fork", "_fork_exec": "fork_exec", "_spawnvef": "spawnve"}

#: Calls whose non-path bytes arguments are data (recorded as their length).
_DATA_CALLS = frozenset({"write", "pwrite", "writev", "pwritev", "setxattr"})
#: Calls returning a path as bytes (recorded fsdecoded, not as a length).
_PATH_RESULTS = frozenset({"readlink", "getcwdb"})
#: Calls that do not return when they succeed.
_NORETURN = frozenset({"execv", "execve", "_exit", "abort"})

#: Where each call takes paths: (positional index, keyword name).
_PATHS: dict[str, tuple[tuple[int, str], ...]] = {
    name: ((0, "path"),)
    for name in (
        "stat lstat access mkdir rmdir listdir scandir chdir chroot unlink remove readlink "
        "mkfifo mknod chmod chown lchown utime truncate pathconf getxattr setxattr "
        "listxattr removexattr statvfs open execv execve posix_spawn posix_spawnp"
    ).split()
}
_PATHS.update(
    rename=((0, "src"), (1, "dst")),
    replace=((0, "src"), (1, "dst")),
    link=((0, "src"), (1, "dst")),
    symlink=((1, "dst"),),
    spawnve=((1, "file"),),
)
#: The ``dir_fd`` keyword that makes a relative path not the cwd's.
_DIR_FDS = ("dir_fd", "src_dir_fd", "dst_dir_fd")

_PLAIN = frozenset({str, int, bool, float, type(None)})
_StatResult = _os.stat_result


def _arg(value: Any, data: bool) -> Any:
    """One argument, JSON-serialisable (see the module docstring)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is bytes:
        return len(value) if data else _os.fsdecode(value)
    if isinstance(value, (bytearray, memoryview)):
        return len(value) if isinstance(value, bytearray) else value.nbytes
    if isinstance(value, (list, tuple)):
        return [_arg(v, data) for v in value]
    if isinstance(value, dict) or hasattr(value, "keys"):
        try:
            return {"len": len(value)}
        except TypeError:
            return f"<{kind.__name__}>"
    if hasattr(value, "__fspath__"):
        try:
            return _os.fsdecode(_os.fspath(value))
        except (TypeError, ValueError):
            return f"<{kind.__name__}>"
    if isinstance(value, int):  # subclasses: IntFlag, IntEnum...
        return int(value)
    if isinstance(value, (float, str)):
        return float(value) if isinstance(value, float) else str(value)
    return f"<{kind.__name__}>"


def _args(name: str, args: tuple[Any, ...]) -> Any:
    for a in args:
        if type(a) not in _PLAIN:
            break
    else:
        return args
    paths = _PATHS.get(name, ())
    data = name in _DATA_CALLS
    return [_arg(a, data and not any(i == p for p, _ in paths)) for i, a in enumerate(args)]


def _kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: _arg(v, False) for k, v in kwargs.items()}


def _result(name: str, value: Any) -> Any:
    """A result, JSON-serialisable (see the module docstring)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is _StatResult:
        return {"st_mode": value.st_mode, "st_ino": value.st_ino, "st_size": value.st_size}
    if kind is bytes:
        return _os.fsdecode(value) if name in _PATH_RESULTS else len(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if all(type(v) is int for v in items):
            return sorted(items) if isinstance(value, (set, frozenset)) else items
        if hasattr(value, "n_fields"):  # a struct sequence (uname, statvfs, times...)
            return [v if type(v) in _PLAIN else _arg(v, True) for v in items]
        return len(items)
    return _arg(value, True)


def _cwd(proc: Process) -> str | None:
    """The process's cwd now (None if it was removed)."""
    cache = proc.cwd_cache
    if cache is not None and cache[0] == proc.k.ns_gen:
        return cache[1]
    try:
        return sys_proc.getcwd(proc)
    except KernelError:
        return None


def wrap(name: str, func: Callable[..., Any], proc: Process, sink: Sink) -> Callable[..., Any]:
    """``func`` (the ``os`` call ``name`` of ``proc``), recording each call
    into ``sink``."""
    pid = proc.pid
    k = proc.k
    noreturn = name in _NORETURN

    def audited(*args: Any, **kwargs: Any) -> Any:
        cache = proc.cwd_cache
        cwd = cache[1] if cache is not None and cache[0] == k.ns_gen else _cwd(proc)
        t = time_ns()
        try:
            result = func(*args, **kwargs)
        except OSError as e:
            kw = _kwargs(kwargs) if kwargs else None
            sink((t, pid, proc.cred.euid, cwd, name, _args(name, args), kw, None, e.errno))
            raise
        except BaseException as e:
            if noreturn and not isinstance(e, Exception):  # exec'd or exited
                kw = _kwargs(kwargs) if kwargs else None
                sink((t, pid, proc.cred.euid, cwd, name, _args(name, args), kw, None, None))
            raise
        kw = _kwargs(kwargs) if kwargs else None
        sink(
            (t, pid, proc.cred.euid, cwd, name, _args(name, args), kw, _result(name, result), None)
        )
        return result

    audited.__name__ = audited.__qualname__ = getattr(func, "__name__", name)
    audited.__doc__ = getattr(func, "__doc__", None)
    audited.__wrapped__ = func  # type: ignore[attr-defined]
    return audited


def audited_fileio(base: type[VFileIO], proc: Process, sink: Sink) -> type[VFileIO]:
    """A subclass of the process's raw file class ``base`` recording the
    system calls its files make: ``open`` (of a path, as ``open(path,
    flags, 0o666)``), ``read``, ``write``, ``lseek``, ``ftruncate`` and
    ``close``."""
    pid = proc.pid
    k = proc.k

    def record(t: int, name: str, args: Any, result: Any, err: int | None) -> None:
        cache = proc.cwd_cache
        cwd = cache[1] if cache is not None and cache[0] == k.ns_gen else _cwd(proc)
        sink((t, pid, proc.cred.euid, cwd, name, args, None, result, err))

    raw_openat = base._openat

    def openat(p: Process, dir_fd: Any, path: str, flags: int, mode: int) -> int:
        t = time_ns()
        try:
            fd: int = raw_openat(p, dir_fd, path, flags, mode)
        except KernelError as e:
            record(t, "open", (path, flags, mode), None, e.errno)
            raise
        record(t, "open", (path, flags, mode), fd, None)
        return fd

    def call(name: str, args: tuple[Any, ...], method: Any, params: tuple[Any, ...]) -> Any:
        """Run ``method(*params)`` (a syscall of a raw file) and record it as
        ``name(*args)``; bytes results as their length."""
        t = time_ns()
        try:
            result = method(*params)
        except OSError as e:
            record(t, name, args, None, e.errno)
            raise
        if result is None and name in ("read", "write"):  # non-blocking, not ready
            record(t, name, args, None, EAGAIN)
        elif name == "ftruncate":  # returns the size in Python, 0 (None) as a call
            record(t, name, args, None, None)
        else:
            record(t, name, args, len(result) if type(result) is bytes else result, None)
        return result

    class AuditedFileIO(base):  # type: ignore[valid-type,misc]
        def readinto(self, buffer: Any) -> int | None:
            if self._fd < 0 or self.closed:
                return base.readinto(self, buffer)
            args = (self._fd, memoryview(buffer).nbytes)
            n: int | None = call("read", args, base.readinto, (self, buffer))
            return n

        def read(self, size: int | None = -1) -> bytes | None:
            if self._fd < 0 or self.closed or size is None or size < 0:
                return base.read(self, size)
            data: bytes | None = call("read", (self._fd, size), base.read, (self, size))
            return data

        def readall(self) -> bytes:
            if self._fd < 0 or self.closed:
                return base.readall(self)
            data: bytes = call("read", (self._fd, -1), base.readall, (self,))
            return data

        def write(self, buffer: Any) -> int | None:
            if self._fd < 0 or self.closed:
                return base.write(self, buffer)
            args = (self._fd, memoryview(buffer).nbytes)
            n: int | None = call("write", args, base.write, (self, buffer))
            return n

        def seek(self, pos: int, whence: int = 0) -> int:
            if self._fd < 0 or self.closed:
                return base.seek(self, pos, whence)
            args = (self._fd, pos, whence)
            offset: int = call("lseek", args, base.seek, (self, pos, whence))
            return offset

        def truncate(self, size: int | None = None) -> int:
            if self._fd < 0 or self.closed or not self._writable:
                return base.truncate(self, size)
            if size is None:
                size = self.tell()
            done: int = call("ftruncate", (self._fd, size), base.truncate, (self, size))
            return done

        def close(self) -> None:
            fd = self._fd
            if self.closed or fd < 0 or not self._closefd:
                return base.close(self)
            call("close", (fd,), base.close, (self,))

    AuditedFileIO._openat = staticmethod(openat)
    AuditedFileIO.__name__ = AuditedFileIO.__qualname__ = base.__name__
    return AuditedFileIO


# -- reading the log ---------------------------------------------------------------------


class AuditRecord(NamedTuple):
    """One recorded ``os`` call (``Machine.audit_log``).

    ``time_ns``: when it started (ns since the epoch, host clock); ``pid``,
    ``uid``: the process and its effective uid; ``cwd``: its working
    directory then (None if removed); ``call``: the ``os`` name (``open``
    also for ``builtins.open``); ``args``, ``kwargs``, ``result``:
    JSON-serialisable values (see ``osbox.api._audit``); ``errno``: the
    ``OSError`` errno, None when the call returned.
    """

    time_ns: int
    pid: int
    uid: int
    cwd: str | None
    call: str
    args: list[Any]
    kwargs: dict[str, Any]
    result: Any
    errno: int | None

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditRecord:
        t, pid, uid, cwd, call, args, kwargs, result, err = row
        return cls(t, pid, uid, cwd, call, list(args), dict(kwargs or {}), result, err)

    @property
    def paths(self) -> list[str]:
        """The paths the call names, absolute against ``cwd`` (``row_paths``)."""
        return row_paths(tuple(self))

    @property
    def error(self) -> str | None:
        """The errno's name (``ENOENT``...), None when the call returned."""
        if self.errno is None:
            return None
        return errorcode.get(self.errno, str(self.errno))

    def as_dict(self) -> dict[str, Any]:
        """The record as a JSON-serialisable dict (``osbox log --json``)."""
        d = self._asdict()
        d["error"] = self.error
        return d


# -- which paths a row names --------------------------------------------------------------


def row_paths(row: AuditRow) -> list[str]:
    """The paths the call in ``row`` names, made absolute against its cwd
    (lexically, as ``normpath`` does; a path relative to a ``dir_fd`` stays
    relative). Empty for calls that take no path or were given an fd."""
    name, args, kwargs, cwd = row[4], row[5], row[6] or {}, row[3]
    found: list[str] = []
    for index, keyword in _PATHS.get(name, ()):
        value = args[index] if index < len(args) else kwargs.get(keyword)
        if not isinstance(value, str):
            continue
        relative_to_fd = any(kwargs.get(k) is not None for k in _DIR_FDS)
        if not value.startswith("/") and cwd is not None and not relative_to_fd:
            value = posixpath.join(cwd, value)
        found.append(posixpath.normpath(value) if value.startswith("/") else value)
    return found


def path_matches(row: AuditRow, pattern: str) -> bool:
    """Whether a path ``row`` names matches the shell-style ``pattern``
    (``fnmatch``: ``*`` also matches ``/``)."""
    return any(fnmatch.fnmatchcase(p, pattern) for p in row_paths(row))


def select(rows: list[AuditRow], path: str | None = None) -> list[AuditRecord]:
    """``rows`` as records, only those naming a path matching ``path``."""
    make = AuditRecord.from_row
    return [make(r) for r in rows if path is None or path_matches(r, path)]
