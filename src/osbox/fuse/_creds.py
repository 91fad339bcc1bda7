"""The credentials of the host process behind a FUSE request.

libfuse's request context gives the caller's fsuid, fsgid and pid (in the
daemon's pid namespace); the supplementary groups are read from the
``Groups:`` line of ``/proc/<pid>/status`` (proc(5)), as the issue asks. This
module reads the host on purpose: the caller is a host process.

Root (fsuid 0) passes every check ``kernel.cred.permission`` makes whatever its
groups, and creation takes the fsgid, so its groups are never read: the
common case costs no ``/proc`` read.
"""

from __future__ import annotations

from ..kernel.cred import Cred

__all__ = ["CredCache", "host_groups"]


def host_groups(pid: int) -> tuple[int, ...]:
    """The supplementary groups of host process ``pid`` (``()`` when it is
    gone, or ``pid`` is 0 as for requests the kernel makes itself)."""
    if pid <= 0:
        return ()
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Groups:"):
                    return tuple(int(g) for g in line[7:].split())
    except OSError:
        return ()
    return ()


class CredCache:
    """One ``Cred`` per distinct (uid, gid, groups) seen, reused across calls."""

    __slots__ = ("_creds",)

    def __init__(self) -> None:
        self._creds: dict[tuple[int, int, tuple[int, ...]], Cred] = {}

    def get(self, uid: int, gid: int, pid: int) -> Cred:
        """The credentials of a request from ``uid``/``gid``/``pid``."""
        groups = () if uid == 0 else host_groups(pid)
        key = (uid, gid, groups)
        cred = self._creds.get(key)
        if cred is None:
            if len(self._creds) > 4096:
                self._creds.clear()
            cred = self._creds[key] = Cred(uid, gid, groups)
        return cred
