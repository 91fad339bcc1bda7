"""The shared state of one process's ``os`` surface.

The ``os`` surface is split by concept into mixins (path calls, fd calls,
identity and environment); each reaches the kernel only through the
process it is bound to and keeps no state of its own beyond the
``os.environ`` mapping CPython also keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kernel.errors import KernelError
from ..kernel.process import Process
from ._convert import Path, path_arg, raise_os
from ._stat import make_stat

if TYPE_CHECKING:
    from ..stores.base import Inode

__all__ = ["OsBase", "KernelError", "make_stat", "path_arg", "raise_os"]


class OsBase:
    """What every mixin of the ``os`` surface shares."""

    proc: Process
    dev: int
    machine: Any  # the osbox.Machine, for configuration (uname, cpu_count, capacity)

    def __init__(self, proc: Process, machine: Any) -> None:
        self.proc = proc
        self.dev = proc.k.dev
        self.machine = machine

    def _stat(self, node: Inode) -> Any:
        return make_stat(node, self.dev)

    @staticmethod
    def _fd_checks(func: str, p: Path, dir_fd: Any, follow_symlinks: bool) -> None:
        """CPython's ValueErrors for an fd given with ``dir_fd``/``follow_symlinks``."""
        if p.fd is not None:
            if dir_fd is not None:
                raise ValueError(f"{func}: can't specify both dir_fd and fd")
            if not follow_symlinks:
                raise ValueError(f"{func}: cannot use fd and follow_symlinks together")
