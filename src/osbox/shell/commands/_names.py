"""User and group names from the machine's ``/etc/passwd`` and ``/etc/group``
(read through the process's ``open``), as ``getpwuid``/``getpwnam``/
``getgrgid``/``getgrnam``/``getgrouplist`` see them. The files are read once
per ``Names``; a missing or unreadable file has no entries."""

from __future__ import annotations

from typing import Any

__all__ = ["Names"]


class Names:
    """uid/gid <-> name maps of one process's view of the machine."""

    def __init__(self, vos: Any) -> None:
        self._os = vos
        self._users: list[tuple[str, int, int]] | None = None
        self._groups: list[tuple[str, int, list[str]]] | None = None
        self._uid_names: dict[int, str] | None = None
        self._gid_names: dict[int, str] | None = None

    def _read(self, path: str) -> list[list[str]]:
        try:
            with self._os.open_file(path, "rb") as f:
                data: bytes = f.read()
        except OSError:
            return []
        text = data.decode("utf-8", "surrogateescape")
        return [ln.split(":") for ln in text.splitlines() if ln and not ln.startswith("#")]

    def users(self) -> list[tuple[str, int, int]]:
        """``(name, uid, login gid)`` of every passwd entry, in file order."""
        if self._users is None:
            self._users = [
                (r[0], int(r[2]), int(r[3]))
                for r in self._read("/etc/passwd")
                if len(r) >= 4 and r[2].isdigit() and r[3].isdigit()
            ]
        return self._users

    def groups(self) -> list[tuple[str, int, list[str]]]:
        """``(name, gid, member names)`` of every group entry, in file order."""
        if self._groups is None:
            self._groups = [
                (r[0], int(r[2]), [m for m in (r[3] if len(r) > 3 else "").split(",") if m])
                for r in self._read("/etc/group")
                if len(r) >= 3 and r[2].isdigit()
            ]
        return self._groups

    def user_name(self, uid: int) -> str | None:
        """The login name of ``uid`` (the first entry), or None."""
        if self._uid_names is None:
            self._uid_names = {}
            for n, u, _ in self.users():
                self._uid_names.setdefault(u, n)
        return self._uid_names.get(uid)

    def group_name(self, gid: int) -> str | None:
        """The name of group ``gid`` (the first entry), or None."""
        if self._gid_names is None:
            self._gid_names = {}
            for n, g, _ in self.groups():
                self._gid_names.setdefault(g, n)
        return self._gid_names.get(gid)

    def user(self, name: str) -> tuple[int, int] | None:
        """``(uid, login gid)`` of user ``name``, or None."""
        return next(((u, g) for n, u, g in self.users() if n == name), None)

    def group(self, name: str) -> int | None:
        """The gid of group ``name``, or None."""
        return next((g for n, g, _ in self.groups() if n == name), None)

    def group_list(self, name: str, gid: int) -> list[int]:
        """``getgrouplist``: ``gid`` then every other group listing ``name``."""
        out = [gid]
        for _, g, members in self.groups():
            if name in members and g not in out:
                out.append(g)
        return out
