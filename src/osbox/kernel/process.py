"""Virtual processes: the per-process state every syscall runs against.

A ``Process`` is analogous to Linux's ``task_struct``: pid and parent pid,
process group and session, credentials, cwd and root (held as inode
references, like ``struct fs_struct``), umask, the fd table, the environment,
the program image (argv, exe), the run state (``R`` running, ``S`` sleeping
in a wait, ``T`` stopped, ``Z`` zombie) with its wait status once it has
ended, and its signal state. Processes share only the kernel (and so the
filesystem, pipes and the process table).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
        "pgid",
        "sid",
        "cred",
        "cwd",
        "root",
        "umask",
        "fds",
        "environ",
        "cwd_cache",
        "argv",
        "exe",
        "state",
        "status",
        "start_ns",
        "fatal",
        "pending",
        "handlers",
        "ignored",
        "waiting_on",
        "reported",
        "thread",
        "written",
        "itimer",
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
        self.pgid = pid
        self.sid = pid
        self.cred = cred
        self.cwd = cwd
        self.root = root
        self.umask = umask
        self.fds = FdTable()
        self.environ = environ
        self.cwd_cache: tuple[int, str] | None = None
        self.argv: list[str] = []
        self.exe = ""
        self.state = "R"
        self.status = 0  # the wait status, once a zombie
        self.start_ns = k.now()
        self.fatal = 0  # a signal whose default action ends the process, not yet acted on
        self.pending: list[int] = []  # caught signals not yet handled
        self.handlers: dict[int, Callable[[int], None]] = {}
        self.ignored: set[int] = set()
        self.waiting_on: threading.Condition | None = None
        self.reported = 0  # a stop (or continue) event its parent has yet to collect
        self.thread: threading.Thread | None = None
        self.written = 0  # bytes written to pipes in all
        self.itimer: Any = None  # the armed ITIMER_REAL (``kernel.itimer``), if any
        k.ref(cwd)
        k.ref(root)

    def set_cwd(self, ino: int) -> None:
        """Move the cwd reference to ``ino``."""
        old = self.cwd
        self.k.ref(ino)
        self.cwd = ino
        self.cwd_cache = None
        self.k.unref(old)
