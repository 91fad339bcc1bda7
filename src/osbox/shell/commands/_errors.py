"""The C library's text for an error number (``strerror``), as GNU programs
print it after a file name: ``ls: cannot access 'x': No such file or directory``."""

from __future__ import annotations

import os as _os  # only os.strerror, a pure message table

__all__ = ["strerror"]


def strerror(e: OSError) -> str:
    """The message for ``e`` (``strerror(errno)``)."""
    if e.errno:
        return _os.strerror(e.errno)
    return str(e.strerror or e)
