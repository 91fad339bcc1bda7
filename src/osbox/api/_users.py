"""``pwd`` and ``grp`` for a machine, answered from its own /etc/passwd and
/etc/group (the files-only behaviour of glibc's NSS).

Results are the stdlib's own ``pwd.struct_passwd`` and ``grp.struct_group``;
lookups that find nothing raise ``KeyError`` with CPython's messages.
"""

from __future__ import annotations

import grp as _grp
import pwd as _pwd
import types
from typing import Any

__all__ = ["make_grp_module", "make_pwd_module"]


def _read(opener: Any, path: str) -> list[list[str]]:
    try:
        with opener(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        rows.append(line.split(":"))
    return rows


def _passwd(row: list[str]) -> _pwd.struct_passwd | None:
    if len(row) != 7:
        return None
    try:
        uid, gid = int(row[2]), int(row[3])
    except ValueError:
        return None
    return _pwd.struct_passwd((row[0], row[1], uid, gid, row[4], row[5], row[6]))


def _group(row: list[str]) -> _grp.struct_group | None:
    if len(row) != 4:
        return None
    try:
        gid = int(row[2])
    except ValueError:
        return None
    members = [m for m in row[3].split(",") if m]
    return _grp.struct_group((row[0], row[1], gid, members))


def make_pwd_module(opener: Any) -> types.ModuleType:
    """A ``pwd`` module reading ``/etc/passwd`` through ``opener``."""

    def getpwall() -> list[_pwd.struct_passwd]:
        return [p for p in map(_passwd, _read(opener, "/etc/passwd")) if p is not None]

    def getpwuid(uid: int, /) -> _pwd.struct_passwd:
        for p in getpwall():
            if p.pw_uid == uid:
                return p
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    def getpwnam(name: str, /) -> _pwd.struct_passwd:
        if not isinstance(name, str):
            raise TypeError(f"getpwnam() argument must be str, not {type(name).__name__}")
        for p in getpwall():
            if p.pw_name == name:
                return p
        raise KeyError(f"getpwnam(): name not found: {name!r}")

    mod = types.ModuleType("pwd", _pwd.__doc__)
    mod.__dict__.update(
        getpwall=getpwall, getpwuid=getpwuid, getpwnam=getpwnam, struct_passwd=_pwd.struct_passwd
    )
    return mod


def make_grp_module(opener: Any) -> types.ModuleType:
    """A ``grp`` module reading ``/etc/group`` through ``opener``."""

    def getgrall() -> list[_grp.struct_group]:
        return [g for g in map(_group, _read(opener, "/etc/group")) if g is not None]

    def getgrgid(id: int, /) -> _grp.struct_group:  # noqa: A002 - CPython's name
        for g in getgrall():
            if g.gr_gid == id:
                return g
        raise KeyError(f"getgrgid(): gid not found: {id}")

    def getgrnam(name: str, /) -> _grp.struct_group:
        if not isinstance(name, str):
            raise TypeError(f"getgrnam() argument must be str, not {type(name).__name__}")
        for g in getgrall():
            if g.gr_name == name:
                return g
        raise KeyError(f"getgrnam(): name not found: {name!r}")

    mod = types.ModuleType("grp", _grp.__doc__)
    mod.__dict__.update(
        getgrall=getgrall, getgrgid=getgrgid, getgrnam=getgrnam, struct_group=_grp.struct_group
    )
    return mod
