"""User and group names from the machine's ``/etc/passwd`` and ``/etc/group``
(read through the process's ``open``), as ``getpwuid``/``getgrgid`` see them."""

from __future__ import annotations

from typing import Any

__all__ = ["user_name", "group_name", "user_id", "group_id"]


def _rows(vos: Any, path: str) -> list[list[str]]:
    try:
        with vos.open_file(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return []
    return [ln.split(":") for ln in text.splitlines() if ln and not ln.startswith("#")]


def user_name(vos: Any, uid: int) -> str | None:
    """The login name of ``uid``, or None."""
    for row in _rows(vos, "/etc/passwd"):
        if len(row) > 2 and row[2].isdigit() and int(row[2]) == uid:
            return row[0]
    return None


def group_name(vos: Any, gid: int) -> str | None:
    for row in _rows(vos, "/etc/group"):
        if len(row) > 2 and row[2].isdigit() and int(row[2]) == gid:
            return row[0]
    return None


def user_id(vos: Any, name: str) -> int | None:
    for row in _rows(vos, "/etc/passwd"):
        if len(row) > 2 and row[0] == name and row[2].isdigit():
            return int(row[2])
    return None


def group_id(vos: Any, name: str) -> int | None:
    for row in _rows(vos, "/etc/group"):
        if len(row) > 2 and row[0] == name and row[2].isdigit():
            return int(row[2])
    return None
