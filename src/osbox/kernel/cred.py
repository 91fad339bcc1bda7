"""Credentials and the permission check, as Linux's ``generic_permission``.

A ``Cred`` is analogous to Linux's ``struct cred``: real, effective and saved
user and group ids plus supplementary groups. ``permission`` decides one
access against an inode's owner, group and mode bits; root (euid 0, standing in
for ``CAP_DAC_OVERRIDE``) passes every read and write check, and an exec check
only when some execute bit is set or the inode is a directory.
"""

from __future__ import annotations

from stat import S_IFDIR

from ..stores.base import S_IFMT, Inode

__all__ = ["Cred", "MAY_EXEC", "MAY_READ", "MAY_WRITE", "permission"]

MAY_EXEC = 1
MAY_WRITE = 2
MAY_READ = 4


class Cred:
    """A process's ids (Linux ``struct cred``). ``groups`` excludes nothing:
    it is exactly what ``getgroups`` returns."""

    __slots__ = ("uid", "euid", "suid", "gid", "egid", "sgid", "groups")

    def __init__(self, uid: int = 0, gid: int = 0, groups: tuple[int, ...] = ()) -> None:
        self.uid = self.euid = self.suid = uid
        self.gid = self.egid = self.sgid = gid
        self.groups = groups

    def copy(self) -> Cred:
        c = Cred.__new__(Cred)
        c.uid, c.euid, c.suid = self.uid, self.euid, self.suid
        c.gid, c.egid, c.sgid = self.gid, self.egid, self.sgid
        c.groups = self.groups
        return c

    def in_group(self, gid: int, real: bool = False) -> bool:
        """Whether ``gid`` is the (effective, or real) gid or a supplementary group."""
        return gid == (self.gid if real else self.egid) or gid in self.groups


def permission(cred: Cred, node: Inode, mask: int, real: bool = False) -> bool:
    """Return whether ``cred`` may access ``node`` for ``mask`` (MAY_* bits).

    Mirrors Linux ``generic_permission``: the owner class is chosen first (owner,
    then group or a supplementary group, then other) and only its bits count.
    ``real=True`` checks with the real ids, as ``access(2)`` does.
    """
    uid = cred.uid if real else cred.euid
    mode = node.mode
    if uid == 0:
        if mask & MAY_EXEC and not mode & 0o111 and mode & S_IFMT != S_IFDIR:
            return False
        return True
    if uid == node.uid:
        bits = mode >> 6
    elif cred.in_group(node.gid, real):
        bits = mode >> 3
    else:
        bits = mode
    return bits & mask == mask
