"""Character devices a machine provides, and the console.

The memory-backed devices behave as Linux's ``drivers/char/mem.c``:
``/dev/null`` (1,3) reads EOF and swallows writes, ``/dev/zero`` (1,5) reads
zeros, ``/dev/full`` (1,7) reads zeros and fails writes with ENOSPC,
``/dev/random`` (1,8) and ``/dev/urandom`` (1,9) read random bytes.

The console is the machine's one host device: fds 0, 1 and 2 of a machine's
first process are the host's standard streams, so a script's output through
``os.write(1, ...)`` reaches the terminal as it would on a real system. It
never touches the host filesystem.
"""

from __future__ import annotations

import os as _host_os
from errno import ENOSPC, ENXIO

from .errors import KernelError

__all__ = ["DEVICES", "makedev", "dev_read", "dev_write", "console_read", "console_write"]


def makedev(major: int, minor: int) -> int:
    """glibc's ``makedev`` for small numbers."""
    return (major << 8) | minor


NULL = makedev(1, 3)
ZERO = makedev(1, 5)
FULL = makedev(1, 7)
RANDOM = makedev(1, 8)
URANDOM = makedev(1, 9)
TTY = makedev(136, 0)

DEVICES: dict[str, int] = {
    "null": NULL,
    "zero": ZERO,
    "full": FULL,
    "random": RANDOM,
    "urandom": URANDOM,
}

_KNOWN = frozenset(DEVICES.values())
_urandom = _host_os.urandom
_host_read = _host_os.read
_host_write = _host_os.write
_host_isatty = _host_os.isatty


def check_device(rdev: int) -> None:
    """ENXIO for a device number no driver serves."""
    if rdev not in _KNOWN:
        raise KernelError(ENXIO)


def dev_read(rdev: int, n: int) -> bytes:
    if rdev == NULL:
        return b""
    if rdev in (RANDOM, URANDOM):
        return _urandom(n)
    return bytes(n)


def dev_write(rdev: int, data: bytes) -> int:
    if rdev == FULL:
        raise KernelError(ENOSPC)
    return len(data)


def console_read(hostfd: int, n: int) -> bytes:
    return _host_read(hostfd, n)


def console_write(hostfd: int, data: bytes) -> int:
    return _host_write(hostfd, data)


def console_isatty(hostfd: int) -> bool:
    return _host_isatty(hostfd)
