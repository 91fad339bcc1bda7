"""Serving a machine through libfuse3 (mfusepy), and mount-table helpers.

``serve(machine, mountpoint)`` runs libfuse's loop in the calling thread
until the filesystem is unmounted (``fusermount3 -u``), or the daemon gets
SIGINT/SIGTERM/SIGHUP (libfuse's handlers unmount and return). Options:

* ``use_ino``: ``st_ino`` and ``d_ino`` are the machine's inode numbers;
* ``attr_timeout=0,entry_timeout=0,negative_timeout=0``: the host kernel
  caches no attribute and no lookup, so sizes, link counts and names are
  never stale, also when another process changes the machine file;
* ``nullpath_ok``: calls on an open file come by file handle only; libfuse
  "hides" an open file that is unlinked (or renamed over) by renaming it
  to ``.fuse_hidden*``, which ``MachineOps`` turns into the real unlink, so
  no such name shows (``hard_remove`` would make fstat and fchmod on such
  a file fail with ESTALE, since the host sends them by inode, not handle);
* no ``default_permissions``: every permission check is the machine's, run
  with the caller's credentials (``_ops``); ``allow_other`` when the daemon
  is root, so other users reach the mount and get those checks;
* ``-s``: one thread. The kernel lock serialises syscalls anyway, and under
  the GIL threads only add switching (see ``benchmarks/fuse.py``).

mfusepy drops some arguments of libfuse3's callbacks; ``MachineFUSE`` hands
them on (rename flags, the file handle of fchmod/fchown/futimens/ftruncate,
``UTIME_NOW``/``UTIME_OMIT``) and maps ``KernelError(errno)`` to ``-errno``.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import logging
import os
import subprocess
import time
from typing import Any

import mfusepy

from ..kernel.errors import KernelError
from ._ops import MachineOps

__all__ = ["MachineFUSE", "is_mounted", "serve", "unmount", "wait_mounted"]

log = logging.getLogger("osbox.fuse")
STAT_SIZE = ctypes.sizeof(mfusepy.c_stat)
NS = 1_000_000_000


class MachineFUSE(mfusepy.FUSE):  # type: ignore[misc]
    """mfusepy's ``FUSE`` with the pass-throughs ``MachineOps`` needs."""

    def _wrapper(self, func: Any, *args: Any, **kwargs: Any) -> int:
        try:
            return int(func(*args, **kwargs) or 0)
        except KernelError as e:
            return -e.errno
        except OSError as e:
            if func.__name__.startswith("init"):
                raise
            return -(e.errno if isinstance(e.errno, int) and e.errno > 0 else _errno.EIO)
        except Exception:
            if func.__name__.startswith("init"):
                raise
            log.exception("osbox fuse: %s failed", func.__name__)
            return -_errno.EIO
        except BaseException as e:
            self._FUSE__critical_exception = e
            mfusepy.fuse_exit()
            return -_errno.EFAULT

    def _path(self, path: bytes | None) -> str | None:
        return None if path is None else path.decode(self.encoding, self.errors)

    @staticmethod
    def _fh(fip: Any) -> int | None:
        return int(fip.contents.fh) if fip else None

    def fgetattr(self, path: bytes | None, buf: Any, fip: Any) -> int:
        # getattr is the most frequent call (every lookup is one): fill
        # ``struct stat`` from the inode directly, not through a dict
        node = self.operations.stat_node(self._path(path), self._fh(fip))
        ctypes.memset(buf, 0, STAT_SIZE)
        st = buf.contents
        st.st_ino = node.ino
        st.st_mode = node.mode
        st.st_nlink = node.nlink
        st.st_uid = node.uid
        st.st_gid = node.gid
        st.st_size = node.size
        st.st_blocks = node.blocks
        st.st_blksize = 4096
        st.st_rdev = node.rdev
        st.st_atimespec.tv_sec, st.st_atimespec.tv_nsec = divmod(node.atime_ns, NS)
        st.st_mtimespec.tv_sec, st.st_mtimespec.tv_nsec = divmod(node.mtime_ns, NS)
        st.st_ctimespec.tv_sec, st.st_ctimespec.tv_nsec = divmod(node.ctime_ns, NS)
        return 0

    def open(self, path: bytes, fip: Any) -> int:
        fi = fip.contents
        fi.fh = self.operations.open(self._path(path), fi.flags)
        if self.operations.synthetic(fi.fh):
            # /proc files: st_size is 0 but reads give text, so the host
            # must not cut reads at the size it knows (no page cache)
            fi.direct_io = 1
        return 0

    def create(self, path: bytes, mode: int, fip: Any) -> int:
        fi = fip.contents
        fi.fh = self.operations.create(self._path(path), mode, fi.flags)
        return 0

    def rename_fuse_3(self, old: bytes, new: bytes, flags: int) -> int:
        ops = self.operations
        ops.rename(self._path(old), self._path(new), flags)
        return 0

    def chmod_fuse_3(self, path: bytes | None, mode: int, fip: Any) -> int:
        self.operations.chmod(self._path(path), mode, self._fh(fip))
        return 0

    def chown_fuse_3(self, path: bytes | None, uid: int, gid: int, fip: Any) -> int:
        if uid == 0xFFFFFFFF:
            uid = -1
        if gid == 0xFFFFFFFF:
            gid = -1
        self.operations.chown(self._path(path), uid, gid, self._fh(fip))
        return 0

    def truncate_fuse_3(self, path: bytes | None, length: int, fip: Any) -> int:
        self.operations.truncate(self._path(path), length, self._fh(fip))
        return 0

    def utimens_fuse_3(self, path: bytes | None, buf: Any, fip: Any) -> int:
        times = None
        if buf:
            a, m = buf.contents.actime, buf.contents.modtime  # struct timespec[2]
            times = (a.tv_sec, a.tv_nsec, m.tv_sec, m.tv_nsec)
        self.operations.utimens(self._path(path), times, self._fh(fip))
        return 0


def _caller() -> tuple[int, int, int]:
    ctx = mfusepy._libfuse.fuse_get_context().contents
    return int(ctx.uid), int(ctx.gid), int(ctx.pid)


def serve(machine: Any, mountpoint: str, debug: bool = False) -> None:
    """Mount ``machine`` at ``mountpoint`` and serve it until unmounted.
    Raises ``RuntimeError`` when libfuse cannot mount (its message is on
    stderr)."""
    machine.sync()  # a new machine's skeleton, for the others sharing the file
    ops = MachineOps(machine, _caller)
    options: dict[str, Any] = {
        "foreground": True,
        "nothreads": True,
        "debug": debug,
        "use_ino": True,
        "attr_timeout": 0,
        "entry_timeout": 0,
        "negative_timeout": 0,
        "fsname": "osbox",
        "subtype": "osbox",
    }
    if os.geteuid() == 0:
        options["allow_other"] = True
        options["dev"] = True
        options["suid"] = True
    try:
        MachineFUSE(ops, mountpoint, **options)
    except RuntimeError:
        if not ops.started:
            raise
        # libfuse reports an ending by SIGINT/SIGTERM/SIGHUP as an error,
        # after it has unmounted: that is the clean Ctrl-C ending.


def _unescape(field: str) -> str:
    """A mountinfo path field: ``\\ooo`` octal escapes for space, tab, newline, ``\\``."""
    out = []
    i = 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def is_mounted(mountpoint: str) -> bool:
    """Whether an osbox FUSE filesystem is mounted at ``mountpoint`` (host
    ``/proc/self/mountinfo``)."""
    target = os.path.realpath(mountpoint)
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 4 and _unescape(fields[4]) == target and "fuse.osbox" in line:
                    return True
    except OSError:
        return False
    return False


def wait_mounted(mountpoint: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> bool:
    """Wait until ``mountpoint`` is mounted, or ``proc`` (the daemon) ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if is_mounted(mountpoint):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def unmount(mountpoint: str, lazy: bool = False) -> None:
    """``fusermount3 -u`` (``-z`` when ``lazy``); raises ``RuntimeError``
    with its message when it fails."""
    args = ["fusermount3", "-u"] + (["-z"] if lazy else []) + [mountpoint]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"fusermount3 exited {done.returncode}")
