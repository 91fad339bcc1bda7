"""Building ``os.stat_result`` and ``os.statvfs_result`` from kernel data.

The float times are computed as CPython's ``fill_time`` does
(``sec + nsec * 1e-9``), so they compare equal to the host's for equal ns.
"""

from __future__ import annotations

import os as _os

from ..stores.base import Inode

__all__ = ["make_stat", "make_statvfs"]

_stat_result = _os.stat_result
_statvfs_result = _os.statvfs_result
_BILLION = 10**9
ST_RELATIME = 4096
DEFAULT_BLOCKS = (1 << 40) // 4096  # an unlimited machine reports 1 TiB
DEFAULT_FILES = 1 << 24


def make_stat(node: Inode, dev: int) -> _os.stat_result:
    """The ``stat_result`` for ``node`` on a filesystem with ``st_dev`` ``dev``."""
    a = node.atime_ns
    m = node.mtime_ns
    c = node.ctime_ns
    # Times are often equal (a new file, m/ctime after a write): split each
    # distinct one once.
    m_s, m_n = divmod(m, _BILLION)
    m_f = m_s + m_n * 1e-9
    if c == m:
        c_s, c_f = m_s, m_f
    else:
        c_s, c_n = divmod(c, _BILLION)
        c_f = c_s + c_n * 1e-9
    if a == m:
        a_s, a_f = m_s, m_f
    elif a == c:
        a_s, a_f = c_s, c_f
    else:
        a_s, a_n = divmod(a, _BILLION)
        a_f = a_s + a_n * 1e-9
    return _stat_result(
        (
            node.mode,
            node.ino,
            dev,
            node.nlink,
            node.uid,
            node.gid,
            node.size,
            a_s,
            m_s,
            c_s,
            a_f,
            m_f,
            c_f,
            a,
            m,
            c,
            4096,
            node.blocks,
            node.rdev,
        )
    )


def make_statvfs(
    used_bytes: int, used_inodes: int, max_bytes: int | None, max_inodes: int | None, fsid: int
) -> _os.statvfs_result:
    """The ``statvfs_result`` of a machine filesystem with the given usage."""
    blocks = max_bytes // 4096 if max_bytes is not None else DEFAULT_BLOCKS
    files = max_inodes if max_inodes is not None else DEFAULT_FILES
    bfree = max(0, blocks - (used_bytes + 4095) // 4096)
    ffree = max(0, files - used_inodes)
    return _statvfs_result(
        (4096, 4096, blocks, bfree, bfree, files, ffree, ffree, ST_RELATIME, 255, fsid)
    )
