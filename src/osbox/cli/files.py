"""``osbox ls``, ``osbox cat`` and ``osbox stat``: looking at a machine's files.

They read the machine through ``machine.os`` and ``machine.open`` only (never
the host), and print as GNU ``ls``, ``cat`` and ``stat`` do. A path that
fails is reported as ``osbox: CMD: PATH: error``; the others are still shown
and the exit status is 1.
"""

from __future__ import annotations

import errno
import os
import stat as st
import sys
from dataclasses import dataclass
from typing import Any

import click

from .._machine import Machine
from ._format import Names, file_type, ls_time, major, minor, stat_time
from .common import die, machine_options, open_machine, out, report_oserror

__all__ = ["cat", "ls", "stat"]

CHUNK = 1 << 20


# -- ls ------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One line of a listing: the name shown and what ``lstat`` said."""

    name: str
    path: str
    info: os.stat_result


class _Lister:
    def __init__(self, machine: Machine, long: bool, show_all: bool, numeric: bool) -> None:
        self.machine = machine
        self.os: Any = machine.os
        self.long = long
        self.show_all = show_all
        self.names = None if numeric else Names(machine)
        self.status = 0

    def run(self, paths: tuple[str, ...]) -> int:
        files: list[_Entry] = []
        dirs: list[str] = []
        for path in paths:
            try:
                info = self.os.lstat(path)
                if not self.long and st.S_ISLNK(info.st_mode):
                    try:
                        info = self.os.stat(path)  # ls follows a link it is given
                    except OSError:
                        pass
            except OSError as exc:
                self._fail(exc, path)
                continue
            if st.S_ISDIR(info.st_mode):
                dirs.append(path)
            else:
                files.append(_Entry(path, path, info))
        self._print(files)
        headers = len(paths) > 1 or bool(files) or self.status != 0
        for i, path in enumerate(dirs):
            if files or i:
                out("")
            if headers:
                out(f"{path}:")
            self._list_dir(path)
        return self.status

    def _fail(self, exc: OSError, path: str) -> None:
        report_oserror(exc, path)
        self.status = 1

    def _list_dir(self, path: str) -> None:
        try:
            names = self.os.listdir(path)
        except OSError as exc:
            self._fail(exc, path)
            return
        if self.show_all:
            names += [".", ".."]
        else:
            names = [n for n in names if not n.startswith(".")]
        entries: list[_Entry] = []
        for name in sorted(names):
            child = self.os.path.join(path, name)
            try:
                info = self.os.lstat(child)
            except OSError as exc:
                self._fail(exc, child)
                continue
            entries.append(_Entry(name, child, info))
        if self.long:
            blocks = sum(e.info.st_blocks for e in entries)
            out(f"total {(blocks + 1) // 2}")
        self._print(entries)

    def _print(self, entries: list[_Entry]) -> None:
        if not self.long:
            for entry in entries:
                out(entry.name)
            return
        rows = [self._columns(e) for e in entries]
        if not rows:
            return
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        for row, entry in zip(rows, entries, strict=True):
            mode, nlink, user, group, size, when = row
            line = (
                f"{mode} {nlink:>{widths[1]}} {user:<{widths[2]}} {group:<{widths[3]}}"
                f" {size:>{widths[4]}} {when} {entry.name}"
            )
            if st.S_ISLNK(entry.info.st_mode):
                try:
                    line += " -> " + self.os.readlink(entry.path)
                except OSError as exc:
                    self._fail(exc, entry.path)
            out(line)

    def _columns(self, entry: _Entry) -> tuple[str, str, str, str, str, str]:
        info = entry.info
        if self.names is None:
            user, group = str(info.st_uid), str(info.st_gid)
        else:
            user, group = self.names.user(info.st_uid), self.names.group(info.st_gid)
        if st.S_ISCHR(info.st_mode) or st.S_ISBLK(info.st_mode):
            size = f"{major(info.st_rdev)}, {minor(info.st_rdev):>3}"
        else:
            size = str(info.st_size)
        return (
            st.filemode(info.st_mode),
            str(info.st_nlink),
            user,
            group,
            size,
            ls_time(info.st_mtime_ns),
        )


@click.command("ls")
@machine_options
@click.option("-l", "long", is_flag=True, help="Long listing: mode, links, owner, size, mtime.")
@click.option("-a", "show_all", is_flag=True, help="Include names starting with '.'.")
@click.option("-n", "numeric", is_flag=True, help="With -l, show numeric uid and gid.")
@click.argument("paths", nargs=-1)
def ls(
    machine_path: str | None,
    memory: bool,
    long: bool,
    show_all: bool,
    numeric: bool,
    paths: tuple[str, ...],
) -> None:
    """List directory contents in the machine (default: /)."""
    with open_machine(machine_path, memory) as machine:
        status = _Lister(machine, long, show_all, numeric).run(paths or ("/",))
    if status:
        die(status)


# -- cat -----------------------------------------------------------------------------


@click.command("cat")
@machine_options
@click.argument("paths", nargs=-1, required=True)
def cat(machine_path: str | None, memory: bool, paths: tuple[str, ...]) -> None:
    """Write the contents of machine files to stdout, byte for byte."""
    status = 0
    stdout = sys.stdout.buffer
    with open_machine(machine_path, memory) as machine:
        for path in paths:
            try:
                with machine.open(path, "rb") as f:
                    while chunk := f.read(CHUNK):
                        stdout.write(chunk)
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # stdout is gone: let click end quietly
                    raise
                report_oserror(exc, path)
                status = 1
    if status:
        die(status)


# -- stat ----------------------------------------------------------------------------


def stat_lines(machine: Machine, path: str, names: Names, follow: bool = False) -> list[str]:
    """GNU ``stat PATH`` output for a machine path (raises OSError)."""
    m_os: Any = machine.os
    info: os.stat_result = m_os.stat(path) if follow else m_os.lstat(path)
    mode = info.st_mode
    shown = path
    if st.S_ISLNK(mode):
        shown += " -> " + m_os.readlink(path)
    device = f"Device: {major(info.st_dev)},{minor(info.st_dev)}\tInode: {info.st_ino:<11} "
    if st.S_ISCHR(mode) or st.S_ISBLK(mode):
        rdev = f"{major(info.st_rdev)},{minor(info.st_rdev)}"
        device += f"Links: {info.st_nlink:<5} Device type: {rdev}"
    else:
        device += f"Links: {info.st_nlink}"
    user = names.user_or_none(info.st_uid) or "UNKNOWN"
    group = names.group_or_none(info.st_gid) or "UNKNOWN"
    blksize = getattr(info, "st_blksize", 4096)
    return [
        f"  File: {shown}",
        f"  Size: {info.st_size:<10}\tBlocks: {info.st_blocks:<10} IO Block: {blksize:<6} "
        + file_type(mode, info.st_size),
        device,
        f"Access: ({st.S_IMODE(mode):04o}/{st.filemode(mode)})"
        f"  Uid: ({info.st_uid:5}/{user:>8})   Gid: ({info.st_gid:5}/{group:>8})",
        f"Access: {stat_time(info.st_atime_ns)}",
        f"Modify: {stat_time(info.st_mtime_ns)}",
        f"Change: {stat_time(info.st_ctime_ns)}",
        " Birth: -",
    ]


@click.command("stat")
@machine_options
@click.option("-L", "--dereference", "follow", is_flag=True, help="Follow symlinks.")
@click.argument("paths", nargs=-1, required=True)
def stat(machine_path: str | None, memory: bool, follow: bool, paths: tuple[str, ...]) -> None:
    """Show the status of machine files, as GNU stat does."""
    status = 0
    with open_machine(machine_path, memory) as machine:
        names = Names(machine)
        for path in paths:
            try:
                lines = stat_lines(machine, path, names, follow)
            except OSError as exc:
                report_oserror(exc, path)
                status = 1
                continue
            for line in lines:
                out(line)
    if status:
        die(status)
