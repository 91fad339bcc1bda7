"""Identity, environment and platform calls of the ``os`` surface.

Ids come from the process's credentials (``getuid`` and friends) and change
through the kernel's set*id rules; ``uname`` and ``cpu_count`` answer from
the machine's configuration; ``putenv``/``unsetenv`` change the process's
own environment block, never the host's.
"""

from __future__ import annotations

import operator
import os as _os
from typing import Any

from ..kernel import sys_proc
from ..kernel.errors import KernelError, oserror
from ._base import OsBase
from ._convert import id_arg, raise_os

__all__ = ["IdentCalls"]

_index = operator.index
_uname_result = _os.uname_result
_host_exit = _os._exit
_host_abort = _os.abort


def _env_name(func: str, name: Any) -> bytes:
    if isinstance(name, str):
        b = name.encode("utf-8", "surrogateescape")
    elif isinstance(name, bytes):
        b = name
    else:
        b = _os.fsencode(name)
    if b"\0" in b:
        raise ValueError("embedded null byte")
    if func == "putenv" and b"=" in b:
        raise ValueError("illegal environment variable name")
    if not b or b"=" in b:
        raise oserror(22)  # setenv(3)/unsetenv(3) reject it with EINVAL
    return b


def _env_value(value: Any) -> bytes:
    b = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else _os.fsencode(value)
    if b"\0" in b:
        raise ValueError("embedded null byte")
    return b


class IdentCalls(OsBase):
    """Process identity, environment and platform information."""

    # -- ids ----------------------------------------------------------------------
    def getpid(self) -> int:
        return self.proc.pid

    def getppid(self) -> int:
        return self.proc.ppid

    def getuid(self) -> int:
        return self.proc.cred.uid

    def geteuid(self) -> int:
        return self.proc.cred.euid

    def getgid(self) -> int:
        return self.proc.cred.gid

    def getegid(self) -> int:
        return self.proc.cred.egid

    def getgroups(self) -> list[int]:
        return list(self.proc.cred.groups)

    def getresuid(self) -> tuple[int, int, int]:
        c = self.proc.cred
        return c.uid, c.euid, c.suid

    def getresgid(self) -> tuple[int, int, int]:
        c = self.proc.cred
        return c.gid, c.egid, c.sgid

    def _set(self, fn: Any, *values: Any, kind: str = "uid") -> None:
        ids = [id_arg(v, kind) for v in values]
        try:
            with self.proc.k.lock:
                fn(self.proc, *ids)
        except KernelError as e:
            raise_os(e)

    def setuid(self, uid: int, /) -> None:
        """os.setuid: as root, all three uids. Errors: EPERM."""
        self._set(sys_proc.setuid, uid)

    def seteuid(self, euid: int, /) -> None:
        """os.seteuid. Errors: EPERM."""
        self._set(sys_proc.seteuid, euid)

    def setgid(self, gid: int, /) -> None:
        """os.setgid. Errors: EPERM."""
        self._set(sys_proc.setgid, gid, kind="gid")

    def setegid(self, egid: int, /) -> None:
        """os.setegid. Errors: EPERM."""
        self._set(sys_proc.setegid, egid, kind="gid")

    def setreuid(self, ruid: int, euid: int, /) -> None:
        """os.setreuid. Errors: EPERM."""
        self._set(sys_proc.setreuid, ruid, euid)

    def setregid(self, rgid: int, egid: int, /) -> None:
        """os.setregid. Errors: EPERM."""
        self._set(sys_proc.setregid, rgid, egid, kind="gid")

    def setresuid(self, ruid: int, euid: int, suid: int, /) -> None:
        """os.setresuid. Errors: EPERM."""
        self._set(sys_proc.setresuid, ruid, euid, suid)

    def setresgid(self, rgid: int, egid: int, sgid: int, /) -> None:
        """os.setresgid. Errors: EPERM."""
        self._set(sys_proc.setresgid, rgid, egid, sgid, kind="gid")

    def setgroups(self, groups: Any, /) -> None:
        """os.setgroups: root only. Errors: EPERM."""
        try:
            gids = [id_arg(g, "gid") for g in groups]
        except TypeError:
            raise TypeError("setgroups argument must be a sequence") from None
        try:
            with self.proc.k.lock:
                sys_proc.setgroups(self.proc, gids)
        except KernelError as e:
            raise_os(e)

    def getlogin(self) -> str:
        """os.getlogin: the machine's user name for the real uid."""
        name = self.machine.user_name(self.proc.cred.uid)
        if name is None:
            raise oserror(6)
        return str(name)

    # -- umask, environment --------------------------------------------------------
    def umask(self, mask: int, /) -> int:
        """os.umask: set the mask, return the previous one."""
        old = self.proc.umask
        self.proc.umask = _index(mask) & 0o777
        return old

    def putenv(self, name: Any, value: Any, /) -> None:
        """os.putenv: change the process environment (not ``os.environ``).
        Errors: ValueError for an empty name, '=' or NUL."""
        self.proc.environ[_env_name("putenv", name)] = _env_value(value)

    def unsetenv(self, name: Any, /) -> None:
        """os.unsetenv. Errors: ValueError for an empty name, '=' or NUL."""
        self.proc.environ.pop(_env_name("unsetenv", name), None)

    # -- platform ---------------------------------------------------------------------
    def uname(self) -> Any:
        """os.uname: the machine's configured identity."""
        u = self.machine.uname_fields()
        return _uname_result(u)

    def cpu_count(self) -> int | None:
        """os.cpu_count: the machine's configured count."""
        n: int | None = self.machine.cpu_count
        return n

    def sched_getaffinity(self, pid: int, /) -> set[int]:
        """os.sched_getaffinity: every configured cpu."""
        return set(range(self.machine.cpu_count or 1))

    def sync(self) -> None:
        """os.sync: make the machine durable."""
        with self.proc.k.lock:
            self.proc.k.store.sync()

    def abort(self) -> None:
        """os.abort: make the machine durable, then abort the host process as
        a real ``abort`` would (SIGABRT)."""
        try:
            self.sync()
        finally:
            _host_abort()

    def _exit(self, status: int) -> None:
        """os._exit: end the process at once. A process the machine's runtime
        runs ends alone; process 1, the host program, makes the machine
        durable and ends the host process as a real ``_exit`` would."""
        launcher = self.proc.k.launcher
        if launcher is not None and self.proc.thread is not None:
            launcher.exit(self.proc, (_index(status) & 0xFF) << 8)
        try:
            self.sync()
        finally:
            _host_exit(status)
