"""Virtual processes: the per-process state every syscall runs against.

A ``Process`` is analogous to Linux's ``task_struct`` as far as files are
concerned: pid and parent pid, credentials, cwd and root (held as inode
references, like ``struct fs_struct``), umask, the fd table and the
environment. Processes share only the kernel (and so the filesystem).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cred import Cred
from .file import FdTable

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["Process"]


class Process:
    """One virtual process."""

    __slots__ = (
        "k",
        "pid",
        "ppid",
        "cred",
        "cwd",
        "root",
        "umask",
        "fds",
        "environ",
        "cwd_cache",
    )

    def __init__(
        self,
        k: Kernel,
        pid: int,
        ppid: int,
        cred: Cred,
        cwd: int,
        root: int,
        environ: dict[bytes, bytes],
        umask: int = 0o022,
    ) -> None:
        self.k = k
        self.pid = pid
        self.ppid = ppid
        self.cred = cred
        self.cwd = cwd
        self.root = root
        self.umask = umask
        self.fds = FdTable()
        self.environ = environ
        self.cwd_cache: tuple[int, str] | None = None
        k.ref(cwd)
        k.ref(root)

    def set_cwd(self, ino: int) -> None:
        """Move the cwd reference to ``ino``."""
        old = self.cwd
        self.k.ref(ino)
        self.cwd = ino
        self.cwd_cache = None
        self.k.unref(old)
