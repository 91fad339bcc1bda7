"""The overlay's lower layer: a read-only view of host directories.

This is the only module of osbox that reads the host filesystem for a
machine's files, and it never writes to it. It offers ``lstat`` and
listings (cached until ``forget``), whole-file and ranged reads of regular
files, symlink targets, ``SEEK_DATA``/``SEEK_HOLE`` and extended attributes.

Host files are opened with ``O_NOFOLLOW | O_NONBLOCK`` (and ``O_NOATIME``
where the host allows it) and checked to be regular files after opening, so
a device node, FIFO or socket of the host is never opened, and reading
leaves the host's atime alone where it can.

Visible inode numbers (``ino``): ``LOWER_BASE + (slot << 40) + (st_ino &
(2**40 - 1))``, with a small slot per host ``st_dev`` kept in ``slots`` (the
machine saves it with its configuration, so numbers survive a reopen).
"""

from __future__ import annotations

import os
from errno import EACCES, EIO, ELOOP, ENXIO, EPERM
from stat import S_ISREG

from ..errors import Errno

__all__ = ["LOWER_BASE", "Host"]

LOWER_BASE = 1 << 48
_INO_BITS = 40
_INO_MASK = (1 << _INO_BITS) - 1
_MAX_SLOTS = 1 << (48 - _INO_BITS)
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NOATIME = getattr(os, "O_NOATIME", 0)
_CHUNK = 1 << 20

# The host's own functions, bound now: inside ``Machine.patch()`` the ``os``
# module's attributes route to the machine (osbox's modules are never
# re-bound, see ``patch/_bindings.py``).
_lstat = os.lstat
_stat = os.stat
_scandir = os.scandir
_open = os.open
_fstat = os.fstat
_close = os.close
_pread = os.pread
_read = os.read
_readlink = os.readlink
_lseek = os.lseek
_listxattr = os.listxattr
_getxattr = os.getxattr


class Host:
    """Cached, read-only access to host paths (absolute ``str``, surrogateescape)."""

    def __init__(self, slots: dict[str, int]) -> None:
        #: ``str(st_dev)`` -> slot; shared with the machine's configuration.
        self.slots = slots
        self.new_slot = False  # set when ``slots`` grew (the owner saves it)
        self._stat: dict[str, os.stat_result | None] = {}
        self._list: dict[str, dict[str, bool]] = {}

    def forget(self) -> None:
        """Drop every cached ``lstat`` and listing (the host changed)."""
        self._stat.clear()
        self._list.clear()

    # -- metadata ------------------------------------------------------------------
    def lstat(self, path: str) -> os.stat_result | None:
        """The host's ``lstat`` of ``path``, or None when it cannot be had."""
        try:
            return self._stat[path]
        except KeyError:
            pass
        try:
            st: os.stat_result | None = _lstat(path)
        except (OSError, ValueError):
            st = None
        self._stat[path] = st
        return st

    def listing(self, path: str) -> dict[str, bool]:
        """The names in host directory ``path`` (in the host's order), each
        with whether it is a directory (not following symlinks). An
        unreadable directory lists as empty."""
        try:
            return self._list[path]
        except KeyError:
            pass
        names: dict[str, bool] = {}
        try:
            with _scandir(path) as it:
                for entry in it:
                    try:
                        names[entry.name] = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        names[entry.name] = False
        except (OSError, ValueError):
            pass
        self._list[path] = names
        return names

    @staticmethod
    def stat(path: str) -> os.stat_result:
        """The host's ``stat`` of ``path`` (uncached; raises ``OSError``)."""
        return _stat(path)

    def ino(self, st: os.stat_result) -> int:
        """The visible inode number of a host object."""
        key = str(st.st_dev)
        slot = self.slots.get(key)
        if slot is None:
            slot = len(self.slots) % _MAX_SLOTS
            self.slots[key] = slot
            self.new_slot = True
        return LOWER_BASE + (slot << _INO_BITS) + (st.st_ino & _INO_MASK)

    # -- content ---------------------------------------------------------------------
    @staticmethod
    def _open(path: str) -> int:
        """Open a host regular file for reading. Errors: EACCES (the osbox
        process may not read it), ENXIO (it is no longer a regular file),
        EIO (it disappeared from the host)."""
        try:
            try:
                fd = _open(path, _FLAGS | _NOATIME)
            except PermissionError:
                if not _NOATIME:
                    raise
                fd = _open(path, _FLAGS)  # O_NOATIME needs ownership: EPERM
        except OSError as e:
            if e.errno in (EACCES, EPERM):
                raise Errno(EACCES) from None
            if e.errno == ELOOP:
                raise Errno(ENXIO) from None
            raise Errno(EIO) from None
        if not S_ISREG(_fstat(fd).st_mode):
            _close(fd)
            raise Errno(ENXIO)
        return fd

    def read(self, path: str, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset`` of a host regular file."""
        fd = self._open(path)
        try:
            return _pread(fd, size, offset)
        except OSError:
            raise Errno(EIO) from None
        finally:
            _close(fd)

    def read_all(self, path: str) -> bytes:
        """The whole content of a host regular file (copy-up)."""
        fd = self._open(path)
        parts: list[bytes] = []
        try:
            while True:
                chunk = _read(fd, _CHUNK)
                if not chunk:
                    break
                parts.append(chunk)
        except OSError:
            raise Errno(EIO) from None
        finally:
            _close(fd)
        return b"".join(parts)

    def readlink(self, path: str) -> str:
        """A host symlink's target (EIO when it is gone)."""
        try:
            return _readlink(path)
        except OSError:
            raise Errno(EIO) from None

    def seek(self, path: str, offset: int, whence: int) -> int | None:
        """``lseek(SEEK_DATA or SEEK_HOLE)`` on a host file; None for ENXIO."""
        fd = self._open(path)
        try:
            return _lseek(fd, offset, whence)
        except OSError:
            return None
        finally:
            _close(fd)

    def xattrs(self, path: str) -> dict[str, bytes]:
        """A host object's extended attributes that the osbox process can
        read (not following symlinks); empty when it has none."""
        found: dict[str, bytes] = {}
        try:
            names = _listxattr(path, follow_symlinks=False)
        except OSError:
            return found
        for name in names:
            try:
                found[name] = _getxattr(path, name, follow_symlinks=False)
            except OSError:
                continue
        return found
