"""``osbox tree``: a machine directory as an indented tree, as ``tree`` draws it.

Entries are sorted by name; names starting with ``.`` are hidden unless
``-a``; a symlink is shown as ``name -> target`` and never followed (it counts
as a file); a directory that cannot be read is marked ``[error opening dir]``.
The last line counts directories (the starting one excluded) and files.
"""

from __future__ import annotations

import errno
import stat as st
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import click

from .common import die, machine_options, open_machine, out, report_oserror

__all__ = ["tree", "TreeWalk"]

BRANCH, LAST = "├── ", "└── "
PIPE, BLANK = "│   ", "    "


@dataclass
class _Frame:
    path: str
    prefix: str
    names: list[str]
    depth: int
    index: int = 0


@dataclass
class TreeWalk:
    """Draws the tree under ``root`` through ``os_module`` (a machine's os)."""

    os_module: Any
    show_all: bool = False
    max_depth: int | None = None
    directories: int = 0
    files: int = 0

    def _names(self, path: str) -> list[str]:
        names: list[str] = self.os_module.listdir(path)
        if not self.show_all:
            names = [n for n in names if not n.startswith(".")]
        return sorted(names)

    def lines(self, root: str) -> Iterator[str]:
        """The tree's lines, ending with the summary (raises OSError only
        when ``root`` itself cannot be looked up)."""
        info = self.os_module.stat(root)
        if not st.S_ISDIR(info.st_mode):
            self.files += 1
            yield root
            yield from self._summary()
            return
        try:
            names = self._names(root)
        except OSError:
            yield f"{root}  [error opening dir]"
            yield from self._summary()
            return
        yield root
        stack = [_Frame(root, "", names, 1)]
        while stack:
            frame = stack[-1]
            if frame.index >= len(frame.names):
                stack.pop()
                continue
            name = frame.names[frame.index]
            frame.index += 1
            last = frame.index == len(frame.names)
            path = self.os_module.path.join(frame.path, name)
            label, child = self._label(name, path, frame.depth)
            yield frame.prefix + (LAST if last else BRANCH) + label
            if child is not None:
                stack.append(
                    _Frame(path, frame.prefix + (BLANK if last else PIPE), child, frame.depth + 1)
                )
        yield from self._summary()

    def _label(self, name: str, path: str, depth: int) -> tuple[str, list[str] | None]:
        """The line for one entry, and the names to descend into (or None)."""
        try:
            info = self.os_module.lstat(path)
        except OSError as exc:
            self.files += 1
            return f"{name}  [{exc.strerror}]", None
        if st.S_ISLNK(info.st_mode):
            self.files += 1
            try:
                return f"{name} -> {self.os_module.readlink(path)}", None
            except OSError as exc:
                return f"{name} -> [{exc.strerror}]", None
        if not st.S_ISDIR(info.st_mode):
            self.files += 1
            return name, None
        self.directories += 1
        if self.max_depth is not None and depth >= self.max_depth:
            return name, None
        try:
            return name, self._names(path)
        except OSError:
            return f"{name}  [error opening dir]", None

    def _summary(self) -> Iterator[str]:
        d, f = self.directories, self.files
        yield ""
        yield f"{d} director{'y' if d == 1 else 'ies'}, {f} file{'' if f == 1 else 's'}"


@click.command("tree")
@machine_options
@click.option("-a", "show_all", is_flag=True, help="Include names starting with '.'.")
@click.option("-L", "max_depth", type=click.IntRange(min=1), help="Descend at most this deep.")
@click.argument("path", default="/")
def tree(
    machine_path: str | None, memory: bool, show_all: bool, max_depth: int | None, path: str
) -> None:
    """Show a machine directory as an indented tree (default: /)."""
    with open_machine(machine_path, memory) as machine:
        walk = TreeWalk(machine.os, show_all, max_depth)
        try:
            for line in walk.lines(path):
                out(line)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # stdout is gone: let click end quietly
                raise
            report_oserror(exc, path)
            die(1)
