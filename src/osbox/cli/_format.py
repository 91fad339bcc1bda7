"""Formatting shared by ``ls``, ``stat`` and ``tree``: owner names from the
machine's own ``/etc/passwd`` and ``/etc/group``, file types, timestamps."""

from __future__ import annotations

import stat
import time
from datetime import UTC, datetime, timedelta

from .._machine import Machine

__all__ = ["Names", "file_type", "ls_time", "stat_time", "major", "minor"]

SIX_MONTHS_NS = (365 * 24 * 3600 // 2) * 1_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Names:
    """uid and gid to names, as the machine's ``/etc/passwd`` and ``/etc/group``
    say (read once); an id without a name stays a number."""

    def __init__(self, machine: Machine) -> None:
        self._users = _read_ids(machine, "/etc/passwd")
        self._groups = _read_ids(machine, "/etc/group")

    def user(self, uid: int) -> str:
        return self._users.get(uid, str(uid))

    def group(self, gid: int) -> str:
        return self._groups.get(gid, str(gid))

    def user_or_none(self, uid: int) -> str | None:
        return self._users.get(uid)

    def group_or_none(self, gid: int) -> str | None:
        return self._groups.get(gid)


def _read_ids(machine: Machine, path: str) -> dict[int, str]:
    """``{id: name}`` from a passwd- or group-format file; first entry wins."""
    names: dict[int, str] = {}
    try:
        with machine.open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) > 2 and fields[2].isdigit():
                    names.setdefault(int(fields[2]), fields[0])
    except OSError:
        pass
    return names


def major(dev: int) -> int:
    """glibc's ``major`` (the host's ``os.major`` with no host call)."""
    return ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)


def minor(dev: int) -> int:
    """glibc's ``minor``."""
    return (dev & 0xFF) | ((dev >> 12) & ~0xFF)


def file_type(st_mode: int, st_size: int) -> str:
    """The file type as GNU ``stat`` names it (``%F``)."""
    if stat.S_ISREG(st_mode):
        return "regular file" if st_size else "regular empty file"
    names = (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISCHR, "character special file"),
        (stat.S_ISBLK, "block special file"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    )
    for test, name in names:
        if test(st_mode):
            return name
    return "weird file"


def _local(ns: int) -> datetime | None:
    """``ns`` since the epoch as an aware local time (seconds resolution), or
    None when it is beyond what ``datetime`` can show."""
    try:
        utc = EPOCH + timedelta(seconds=ns // 1_000_000_000)
        return utc.astimezone()
    except (OverflowError, ValueError, OSError):
        return None


def stat_time(ns: int) -> str:
    """GNU ``stat`` form: ``2024-05-01 10:00:00.123456789 +0000``."""
    dt = _local(ns)
    if dt is None:
        return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"
    return f"{dt:%Y-%m-%d %H:%M:%S}.{ns % 1_000_000_000:09d} {dt:%z}"


def ls_time(ns: int, now_ns: int | None = None) -> str:
    """``ls -l`` form: ``Nov 22 02:23`` within six months of now, else
    ``Nov 22  2023``."""
    if now_ns is None:
        now_ns = time.time_ns()
    dt = _local(ns)
    if dt is None:
        return str(ns // 1_000_000_000)
    if now_ns - SIX_MONTHS_NS < ns <= now_ns:
        return f"{dt:%b} {dt.day:2d} {dt:%H:%M}"
    return f"{dt:%b} {dt.day:2d} {dt.year:5d}"
