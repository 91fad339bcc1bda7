"""``osbox diff`` and ``osbox commit``: a machine's overlay changes, and
writing them to the host.

``osbox diff [PATH...]`` lists the changes under the machine's overlays
(``Machine.diff``) as ``git status`` does, one per line::

    modified:   /srv/app.ini
    renamed:    /srv/sub -> /srv/sub2
    metadata:   /srv/run.sh  (mode 0644 -> 0755)

``--patch`` prints unified diffs instead (``difflib``, git's headers, mode
lines, ``Binary files ... differ`` for content that is not UTF-8 text) and
``--json`` a JSON list of the changes. Exit status 0 either way.

``osbox commit [--dry-run] [PATH...]`` applies them to the host
(``Machine.commit``): it prints each change committed and a count, or with
``--dry-run`` each host operation it would perform, writing nothing. When
the host changed under the machine's changes nothing is written, each
conflict is reported on stderr and the exit status is 1. A progress bar
shows on a terminal for commits of many operations.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from stat import S_IMODE
from typing import Any

import click

from .._changes import Change
from .._commit import CommitConflict, plan
from .._machine import Machine
from .common import die, machine_options, open_machine, out, report

__all__ = ["commit", "diff"]

_PROGRESS_FROM = 200  # host operations from which a terminal gets a progress bar


def _mode(value: Any) -> str:
    return f"{S_IMODE(value):04o}" if isinstance(value, int) else "-"


def _summary(change: Change) -> str:
    """The parenthesised note after a status line."""
    d = change.details
    notes: list[str] = []
    if change.kind == "deleted" and "entries" in d:
        notes.append(f"directory, {d['entries']} entries")
    elif change.kind in ("modified", "metadata", "renamed", "typechange"):
        if change.kind == "renamed" and d.get("content"):
            notes.append("modified")
        if "mode" in d and change.kind != "typechange":
            notes.append(f"mode {_mode(d['mode'][0])} -> {_mode(d['mode'][1])}")
        for key in ("uid", "gid"):
            if key in d and change.kind != "typechange":
                notes.append(f"{key} {d[key][0]} -> {d[key][1]}")
        if "size" in d and change.kind == "modified" and d["size"][0] != d["size"][1]:
            notes.append(f"{d['size'][0]} -> {d['size'][1]} bytes")
        if change.kind == "metadata" and set(d) == {"mtime_ns"}:
            notes.append("mtime")
    return f"  ({', '.join(notes)})" if notes else ""


_COLOURS = {"added": "green", "deleted": "red", "renamed": "cyan", "typechange": "magenta"}


def status_line(change: Change, colour: bool = False) -> str:
    """One ``git status``-like line for a change (coloured as git colours
    its status on a terminal when ``colour``)."""
    path = change.path + ("/" if change.type == "dir" else "")
    if change.kind == "renamed":
        path = f"{change.old_path} -> {path}"
    head = f"{change.kind + ':':<12}"
    if colour:
        head = click.style(head, fg=_COLOURS.get(change.kind, "yellow"))
    return f"{head}{path}{_summary(change)}"


# -- patches -------------------------------------------------------------------------------


def _machine_bytes(machine: Machine, change: Change) -> bytes:
    if change.type == "symlink":
        return os.fsencode(machine.os.readlink(change.path)) + b"\n"
    with machine.open(change.path, "rb") as f:
        data: bytes = f.read()
    return data


def _host_bytes(change: Change) -> bytes:
    path = change.lower
    if path is None:
        return b""
    try:
        if change.type == "symlink" or os.path.islink(path):
            return os.fsencode(os.readlink(path)) + b"\n"
        with open(path, "rb") as f:
            return f.read()
    except OSError:  # gone or unreadable on the host: nothing to show
        return b""


def _text(data: bytes) -> list[str] | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _content_diff(old: bytes | None, new: bytes | None, a: str, b: str) -> list[str]:
    old_lines = _text(old) if old is not None else []
    new_lines = _text(new) if new is not None else []
    if old_lines is None or new_lines is None:
        return [f"Binary files {a} and {b} differ\n"]
    lines = list(difflib.unified_diff(old_lines, new_lines, a, b))
    return [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]


def patch_lines(machine: Machine, change: Change) -> list[str]:
    """The ``--patch`` text of one change (lines ending in newlines)."""
    a_path = change.old_path if change.kind == "renamed" else change.path
    a, b = "a" + str(a_path), "b" + change.path
    lines = [f"diff --osbox {a} {b}\n"]
    d = change.details
    file_like = change.type in ("file", "symlink")
    if change.kind == "added":
        lines.append(f"new {change.type} mode {_mode(d['mode'][1])}\n")
        if file_like:
            lines += _content_diff(None, _machine_bytes(machine, change), "/dev/null", b)
    elif change.kind == "deleted":
        if change.type == "dir":
            lines.append(f"deleted directory ({d.get('entries', 0)} entries)\n")
        else:
            lines.append(f"deleted {change.type} mode {_mode(d.get('mode', (None,))[0])}\n")
            if file_like:
                lines += _content_diff(_host_bytes(change), None, a, "/dev/null")
    else:
        if change.kind == "renamed":
            lines += [f"rename from {change.old_path}\n", f"rename to {change.path}\n"]
        if change.kind == "typechange":
            lines.append(f"type changed to {change.type}\n")
        if "mode" in d and change.kind != "typechange":
            lines += [f"old mode {_mode(d['mode'][0])}\n", f"new mode {_mode(d['mode'][1])}\n"]
        for key in ("uid", "gid"):
            if key in d and change.kind != "typechange":
                lines.append(f"{key} {d[key][0]} -> {d[key][1]}\n")
        content = change.kind in ("modified", "typechange") or d.get("content")
        if content and change.type != "dir":
            old = _host_bytes(change) if file_like else None
            new = _machine_bytes(machine, change) if file_like else None
            lines += _content_diff(old, new, a, b)
    return lines


# -- commands ------------------------------------------------------------------------------


@click.command("diff")
@machine_options
@click.option("--patch", "-p", "as_patch", is_flag=True, help="Show unified diffs.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def diff(
    machine_path: str | None, memory: bool, as_patch: bool, as_json: bool, paths: tuple[str, ...]
) -> None:
    """Show what the machine changed under its overlays, against the host."""
    if as_patch and as_json:
        raise click.UsageError("--patch and --json cannot be used together")
    with open_machine(machine_path, memory) as machine:
        changes = machine.diff(paths or None)
        if as_json:
            out(json.dumps([c.as_json() for c in changes], indent=2))
        elif as_patch:
            for change in changes:
                sys.stdout.buffer.write(os.fsencode("".join(patch_lines(machine, change))))
        elif not changes:
            out("no changes")
        else:
            colour = sys.stdout.isatty()
            for change in changes:
                out(status_line(change, colour))


@click.command("commit")
@machine_options
@click.option("--dry-run", "-n", is_flag=True, help="Print what would be done; write nothing.")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def commit(machine_path: str | None, memory: bool, dry_run: bool, paths: tuple[str, ...]) -> None:
    """Write the machine's overlay changes to the host directories."""
    conflicts: CommitConflict | None = None
    with open_machine(machine_path, memory) as machine:
        try:
            if dry_run:
                changes = machine.commit(paths or None, dry_run=True)
                with machine.kernel.lock:
                    steps = plan(changes, getattr(machine.kernel.store, "upper", None))
                for step in steps:
                    source = f" (from {step.source})" if step.source else ""
                    out(f"would {step.action} {step.host_path}{source}")
            else:
                changes = _commit_with_progress(machine, paths)
                for change in changes:
                    out(status_line(change))
            n = len(changes)
            noun = "change" if n == 1 else "changes"
            out(f"{n} {noun} {'to commit' if dry_run else 'committed'}")
        except CommitConflict as exc:
            conflicts = exc
    if conflicts is not None:
        for c in conflicts.conflicts:
            report(f"{c.path}: {c.reason} ({c.host_path})")
        report(f"nothing committed: {len(conflicts.conflicts)} conflict(s)")
        die(1)


def _commit_with_progress(machine: Machine, paths: tuple[str, ...]) -> list[Change]:
    """``machine.commit``, with a Rich progress bar on a terminal when the
    commit has many host operations."""
    if not sys.stderr.isatty():
        return machine.commit(paths or None)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("committing", total=None, visible=False)

        def progress(done: int, total: int, path: str) -> None:
            if total >= _PROGRESS_FROM:
                bar.update(task, completed=done, total=total, visible=True)

        return machine.commit(paths or None, progress=progress)
