"""The kernel object: one store, the machine lock, inode references, processes.

Every syscall runs with ``Kernel.lock`` held, so a store sees one syscall at a
time and a persistent store can commit only between syscalls; for a store
that brackets syscalls (``Store.begin``/``end``) the lock calls them. ``ref``/``unref``
count the open files and cwds holding an inode, so an unlinked inode survives
until its last user lets go (Linux keeps it through ``i_count``).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ..stores.base import Inode, Store
from . import procfs
from .cred import Cred
from .process import Process

if TYPE_CHECKING:
    from .pipe import Pipe

__all__ = ["Kernel"]

DEFAULT_DEV = 0x2E  # st_dev of a machine's filesystem (a tmpfs-like minor)


class SyscallLock:
    """The machine lock for a store that brackets each syscall: ``begin`` on
    entry and ``end`` on exit, so a persistent store makes each syscall one
    atomic unit, also against other processes sharing its file. The store
    counts nesting; ``raw`` is the underlying ``RLock`` (pipes wait on it)."""

    __slots__ = ("raw", "_begin", "_end")

    def __init__(self, raw: threading.RLock, store: Store) -> None:
        self.raw = raw
        self._begin = store.begin
        self._end = store.end

    def __enter__(self) -> None:
        self.raw.acquire()
        try:
            self._begin()
        except BaseException:
            self.raw.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self._end()
        finally:
            self.raw.release()


class Kernel:
    """Owns the store and the state shared by all processes of a machine."""

    def __init__(self, store: Store, lock: threading.RLock | None = None) -> None:
        self.store = store
        self.rlock = lock if lock is not None else threading.RLock()
        brackets = type(store).begin is not Store.begin or type(store).end is not Store.end
        self.lock: threading.RLock | SyscallLock = (
            SyscallLock(self.rlock, store) if brackets else self.rlock
        )
        self.dev = DEFAULT_DEV
        self.root_ino = store.root_ino
        self.opens: dict[int, int] = {}
        self.fifos: dict[int, Pipe] = {}
        self.processes: dict[int, Process] = {}
        self.next_pid = 1
        # Parents wait on it for a child's exit, stop or continue (wait4).
        self.proc_cond = threading.Condition(self.rlock)
        self.adopted: set[int] = set()  # orphans pid 1 reaps as init does
        self.max_procs: int | None = None  # live (non-zombie) processes allowed
        self.max_output: int | None = None  # bytes a process may write to pipes
        # Runs a program image in a process (set by the runtime above the
        # kernel, as Linux's binfmt handlers are registered); see sys_task.
        self.launcher: Any = None
        self.exec_aliases: dict[str, str] = {}  # host paths known as programs (binfmt)
        self.ns_gen = 0  # bumped whenever a directory moves or goes: cwd caches check it
        # The dentry cache (see namei): positive path lookups by root, for
        # stores with live inodes; emptied whenever a dentry goes or moves.
        self.dcache: dict[tuple[int, str, bool], Inode] | None = {} if store.live else None
        self.now = time.time_ns
        # procfs (see procfs.attach): the store inode it is mounted on (-1:
        # none), the boot time its times and uptime count from, the CPUs.
        self.proc_mnt = -1
        self.boot_ns = self.now()
        self.cpus = 1
        # Bumped by every walk that enters procfs: the dentry cache keeps no
        # result of such a walk (it depends on the caller and the table).
        self.proc_walks = 0

    def replace_store(self, store: Store) -> None:
        """Put ``store`` in the place of the kernel's store: the overlay
        store (``stores/overlay``) wrapping it when ``Machine.overlay`` is
        first called. Called under the lock between syscalls (the lock's
        ``end`` then goes to the new store, which delegates to the old). The
        lock brackets the new store's ``begin``/``end``; without live inodes
        the dentry cache goes. A machine that never calls it keeps its store
        and pays nothing."""
        self.store = store
        if isinstance(self.lock, SyscallLock):
            self.lock._begin = store.begin
            self.lock._end = store.end
        self.dcache = {} if store.live else None
        if self.proc_mnt >= 0:
            procfs.attach(self, self.cpus)  # /proc as the new store names it

    def forget(self) -> None:
        """Drop cached path lookups: a dentry was removed, moved or replaced."""
        if self.dcache:
            self.dcache.clear()

    def ref(self, ino: int) -> None:
        opens = self.opens
        opens[ino] = opens.get(ino, 0) + 1

    def unref(self, ino: int) -> None:
        """Drop one reference; free the inode if it was the last and no
        dentry links it any more."""
        opens = self.opens
        n = opens[ino] - 1
        if n:
            opens[ino] = n
            return
        del opens[ino]
        if self.fifos:
            self.fifos.pop(ino, None)
        store = self.store
        try:
            node = store.get(ino)
        except KeyError:
            return
        if node.nlink == 0:
            store.free(ino)

    def dropped(self, ino: int) -> None:
        """After an unlink left ``ino`` with no links: free it now, or mark it
        an orphan if someone still holds it."""
        if ino in self.opens:
            self.store.orphan(ino)
        else:
            self.store.free(ino)

    def spawn(
        self, parent: Process | None, cred: Cred, cwd: int, root: int, environ: dict[bytes, bytes]
    ) -> Process:
        """Create a process with the next pid."""
        pid = self.next_pid
        self.next_pid += 1
        proc = Process(self, pid, parent.pid if parent else 0, cred, cwd, root, environ)
        if parent is not None:
            proc.umask = parent.umask
        self.processes[pid] = proc
        return proc
