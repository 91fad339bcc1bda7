"""The FUSE bridge: a machine as a real filesystem for host programs.

A bridge only (the ``fuse/`` row of ``docs/architecture.md``): no semantics of
its own. Each FUSE operation is one syscall of the machine's kernel
(``kernel/sys_*.py``), run by one virtual process with the host caller's
uid, gid and supplementary groups; its ``KernelError(errno)`` is the errno
the host program sees.

* ``_creds``: the host caller's credentials (FUSE context and ``/proc``);
* ``_ops``: ``MachineOps``, the operations;
* ``_mount``: libfuse3 through mfusepy (``serve``), the mount table
  (``is_mounted``, ``wait_mounted``) and ``unmount``;
* ``_exec``: ``osbox exec``, a host program with the machine as its root;
* ``_hostprog``: host programs run from the machine's shell
  (``Machine(host_programs=...)``).

mfusepy is the optional extra ``osbox[fuse]``; ``available()`` says whether
a mount can work here and, if not, why.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

__all__ = ["available"]


def available() -> str | None:
    """``None`` when FUSE mounts can work here, else the reason they cannot
    (no ``/dev/fuse``, no ``fusermount3``, no mfusepy or libfuse3)."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing"
    if shutil.which("fusermount3") is None:
        return "fusermount3 is missing (Debian package fuse3)"
    if importlib.util.find_spec("mfusepy") is None:
        return "mfusepy is not installed (pip install 'osbox[fuse]')"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"libfuse3 cannot be loaded: {exc}"
    return None
