"""Installing a machine under unmodified code.

``patched(machine)`` makes the current thread (or asyncio context) see
``machine`` through the stdlib: every ``os`` function, ``os.environ``,
``builtins.open``/``io.open`` and, through them, ``os.path``, pathlib,
shutil, glob and tempfile. Threads started inside the block inherit the
machine.

How: on first use anywhere, each virtualised name of the real ``os`` module
(and the few other entry points listed in ``_install``) is replaced by a
dispatcher that asks a ``ContextVar`` for the current machine and calls the
machine's function, or the original when no machine is current. When the
last patched block in the process ends, every original binding is put back
exactly. Different threads or contexts may use different machines at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._install import CURRENT, install, uninstall

if TYPE_CHECKING:
    from .._machine import Machine

__all__ = ["patched", "patched_os", "current_machine", "machine_loaders"]

_lock = threading.Lock()
_depth = 0


def machine_loaders() -> tuple[type, ...]:
    """The loader classes of modules imported from a machine."""
    from ._importer import MachineLoader
    from ._zipimport import ArchiveLoader

    return (MachineLoader, ArchiveLoader)


def current_machine() -> Machine | None:
    """The machine the calling context runs in, if any."""
    ns = CURRENT.get()
    if ns is None:
        return None
    machine: Machine = ns["_surface"].machine
    return machine


@contextmanager
def patched(machine: Machine) -> Iterator[None]:
    """Run the body with ``machine`` as the OS of the current context."""
    with patched_os(machine.os):
        yield


@contextmanager
def patched_os(os_module: Any) -> Iterator[None]:
    """Run the body with ``os_module`` (the ``os`` of one virtual process,
    ``api.osmodule.make_os_module``) as the OS of the current context."""
    global _depth
    with _lock:
        if _depth == 0:
            install()
        _depth += 1
    token = CURRENT.set(vars(os_module))
    saved_tempdir = _swap_tempdir(None)
    try:
        yield
    finally:
        _swap_tempdir(saved_tempdir)
        CURRENT.reset(token)
        with _lock:
            _depth -= 1
            if _depth == 0:
                uninstall()


def _swap_tempdir(value: str | None) -> str | None:
    """tempfile caches its directory: give each machine its own answer."""
    import tempfile

    old = tempfile.tempdir
    tempfile.tempdir = value
    return old
