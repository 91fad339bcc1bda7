"""The fixture tree every differential snippet starts in, built the same way
on the host (with the host ``os``) and in an osbox machine (through
``machine.os``).

Every entry has a fixed mode and a fixed mtime (distinct, in 2001) so that
``ls -l``, ``ls -t``, ``find -newer``, ``stat`` and ``diff -u`` headers print
the same thing on both sides. Directories get their times last, deepest
first, since creating their entries changes them.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "FIXTURE", "BASE_TIME", "build_host", "build_machine"]

BASE_TIME = 1_000_000_000  # 2001-09-09 01:46:40 UTC


@dataclass(frozen=True)
class Entry:
    """One fixture entry: a regular file (``data`` bytes), a directory
    (``data is None`` and no ``link``) or a symbolic link to ``link``."""

    path: str
    data: bytes | None = b""
    mode: int = 0o644
    link: str | None = None

    @property
    def is_dir(self) -> bool:
        return self.data is None and self.link is None


def _d(path: str, mode: int = 0o755) -> Entry:
    return Entry(path, None, mode)


FIXTURE: tuple[Entry, ...] = (
    Entry("a.txt", b"apple\nbanana\ncherry\n"),
    Entry("b.txt", b"banana\ncherry\ndate\n"),
    Entry("lines.txt", b"pear 3\napple 10\nfig 2\napple 10\nBanana 7\nkiwi 1\npear 3\n"),
    Entry("nums.txt", b"10\n9\n100\n-1\n9\n"),
    Entry("users.txt", b"root:x:0:0:root\nalice:x:1000:100:Alice\nbob:x:1001:100:Bob\n"),
    Entry("words.txt", b"Hello World\nhello again\nHELLO\ngoodbye\n"),
    Entry(".hidden", b"secret\n"),
    Entry("run.sh", b'#!/bin/sh\necho "script $1"\nexit 3\n', 0o755),
    Entry("noexec.sh", b"#!/bin/sh\necho never\n", 0o644),
    Entry("ro.txt", b"read only\n", 0o444),
    _d("dir"),
    Entry("dir/d.log", b"log line\nerror: bad thing\nanother line\n"),
    _d("dir/sub"),
    Entry("dir/sub/c.txt", b"one\ntwo\nthree\n"),
    Entry("dir/sub/e.txt", b""),
    _d("empty", 0o700),
    Entry("link", None, 0o777, "a.txt"),
)


def _times(entries: tuple[Entry, ...]) -> list[tuple[Entry, int]]:
    return [(e, BASE_TIME + 3600 * i) for i, e in enumerate(entries)]


def _order_for_times(entries: list[tuple[Entry, int]]) -> list[tuple[Entry, int]]:
    files = [(e, t) for e, t in entries if not e.is_dir]
    dirs = [(e, t) for e, t in entries if e.is_dir]
    dirs.sort(key=lambda et: -et[0].path.count("/"))
    return files + dirs


def build_host(root: str, extra: tuple[Entry, ...] = ()) -> None:
    """Create the fixture (and ``extra``) under the existing host dir ``root``."""
    entries = _times(FIXTURE + extra)
    for e, _ in entries:
        p = os.path.join(root, e.path)
        if e.link is not None:
            os.symlink(e.link, p)
        elif e.data is None:
            os.mkdir(p)
        else:
            with open(p, "wb") as f:
                f.write(e.data)
    for e, t in _order_for_times(entries):
        p = os.path.join(root, e.path)
        if e.link is None:
            os.chmod(p, e.mode)
        os.utime(p, (t, t), follow_symlinks=False)


def build_machine(machine: Any, root: str, extra: tuple[Entry, ...] = ()) -> None:
    """Create the fixture (and ``extra``) under ``root`` in ``machine``
    (created with its parents if missing), through the machine's ``os``."""
    vos = machine.os
    vos.makedirs(root, exist_ok=True)
    entries = _times(FIXTURE + extra)
    for e, _ in entries:
        p = posixpath.join(root, e.path)
        if e.link is not None:
            vos.symlink(e.link, p)
        elif e.data is None:
            vos.mkdir(p)
        else:
            fd = vos.open(p, vos.O_WRONLY | vos.O_CREAT | vos.O_TRUNC, 0o600)
            try:
                view = memoryview(e.data)
                while view:
                    view = view[vos.write(fd, view) :]
            finally:
                vos.close(fd)
    for e, t in _order_for_times(entries):
        p = posixpath.join(root, e.path)
        if e.link is None:
            vos.chmod(p, e.mode)
        vos.utime(p, (t, t), follow_symlinks=False)
