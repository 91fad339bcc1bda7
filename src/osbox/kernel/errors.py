"""Errno helpers: the one place that builds the ``OSError`` a syscall raises.

Inside the kernel a failure is ``KernelError(errno)``, analogous to a negative
return value in Linux's VFS. The syscall boundary turns it into
``oserror(errno, filename, filename2)``, which builds
``OSError(errno, strerror, filename[, None, filename2])`` exactly as CPython's
``posixmodule`` does, so Python picks ``FileNotFoundError`` and the rest itself.
"""

from __future__ import annotations

import os as _os
from typing import Any

from ..stores.errors import Errno

__all__ = ["KernelError", "oserror"]

_strerror = _os.strerror


#: A failed kernel operation carrying only its errno. It is the stores'
#: ``Errno`` class itself, so the one store that can fail with an errno (the
#: overlay's host layer: EACCES for an unreadable host file) reaches the
#: syscall boundary the same way the kernel's own errors do.
KernelError = Errno


def oserror(err: int, filename: Any = None, filename2: Any = None) -> OSError:
    """Return the ``OSError`` CPython's ``os`` raises for ``err``.

    ``filename`` and ``filename2`` are the caller's own objects (str, bytes,
    PathLike or int), never normalised copies; ``None`` leaves them out.
    """
    if filename2 is not None:
        return OSError(err, _strerror(err), filename, None, filename2)
    if filename is not None:
        return OSError(err, _strerror(err), filename)
    return OSError(err, _strerror(err))
