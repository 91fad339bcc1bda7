"""Differential tests: every snippet of ``snippets.py`` runs in the host's
``/bin/sh`` (dash) with GNU coreutils under ``LC_ALL=C`` and in ``osbox sh``,
each in a fresh copy of the fixture tree; stdout, stderr and the exit status
must be identical.

The host side runs ``sh -c SCRIPT`` (argv[0] ``sh`` so that dash's messages
read ``sh: 1: ...``) as the host's root user, in a temporary directory named
``work`` with ``HOME`` a sibling directory named ``home``; the osbox side runs
the same argv in ``/work`` with ``HOME=/home`` of a new ``osbox.Machine()``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

import osbox

from .difftree import build_host, build_machine
from .snippets import COMMANDS, SNIPPETS, Snippet

TIMEOUT = 30.0
MACHINE_WORK = "/work"
MACHINE_HOME = "/home"
Result = tuple[int, bytes, bytes]


def _host_is_reference() -> str | None:
    """Why the host cannot serve as the reference, or None if it can."""
    if not os.path.realpath("/bin/sh").endswith("dash"):
        return "/bin/sh is not dash"
    if os.geteuid() != 0:
        return "the host side must run as root (the machine's user)"
    ls = shutil.which("ls", path="/usr/bin:/bin")
    if ls is None:
        return "no ls"
    version = subprocess.run([ls, "--version"], capture_output=True).stdout
    if b"GNU coreutils" not in version:
        return "ls is not GNU coreutils"
    return None


_SKIP_REASON = _host_is_reference()


def _env(home: str) -> dict[str, str]:
    return {"LC_ALL": "C", "PATH": "/usr/bin:/bin", "HOME": home, "TZ": "UTC"}


def _host_base() -> str | None:
    """A tmpfs directory when there is one: osbox reports tmpfs-like sizes
    for directories, so ``ls -l`` on directories can agree too."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def run_host(snippet: Snippet) -> Result:
    """Run ``snippet`` with the host's ``/bin/sh`` in a fresh fixture tree."""
    with tempfile.TemporaryDirectory(prefix="osbox-diff-", dir=_host_base()) as base:
        work = os.path.join(base, "work")
        home = os.path.join(base, "home")
        os.mkdir(work)
        os.mkdir(home)
        build_host(work, snippet.setup)
        proc = subprocess.run(
            ["sh", "-c", snippet.script],
            executable="/bin/sh",
            cwd=work,
            env=_env(home),
            input=snippet.stdin,
            capture_output=True,
            timeout=TIMEOUT,
            umask=0o022,
        )
        return proc.returncode, proc.stdout, proc.stderr


def _machine_sh(machine: Any, script: str, stdin: bytes, cwd: str, env: dict[str, str]) -> Result:
    """Run ``sh -c script`` in ``machine`` as a new process (``Machine.run``);
    a death by signal N is status -N, as ``subprocess`` reports it on the host."""
    cp = machine.run(["sh", "-c", script], input=stdin, cwd=cwd, env=env, timeout=TIMEOUT)
    return cp.returncode, cp.stdout, cp.stderr


def run_osbox(snippet: Snippet) -> Result:
    """Run ``snippet`` with ``osbox sh`` in a new machine's fixture tree."""
    with osbox.Machine() as machine:
        machine.os.umask(0o022)
        build_machine(machine, MACHINE_WORK, snippet.setup)
        env = _env(MACHINE_HOME)
        return _machine_sh(machine, snippet.script, snippet.stdin, MACHINE_WORK, env)


def first_difference(host: bytes, box: bytes) -> str:
    """The first differing line of two outputs, for failure messages."""
    h, b = host.splitlines(keepends=True), box.splitlines(keepends=True)
    for i in range(max(len(h), len(b))):
        hl = h[i] if i < len(h) else None
        bl = b[i] if i < len(b) else None
        if hl != bl:
            return f"line {i + 1}: host {hl!r} != osbox {bl!r}"
    return "identical"


def compare(host: Result, box: Result) -> list[str]:
    """The list of differences between the host's and osbox's results."""
    problems = []
    for label, h, b in (("stdout", host[1], box[1]), ("stderr", host[2], box[2])):
        if h != b:
            problems.append(f"{label}: {first_difference(h, b)}")
    if host[0] != box[0]:
        problems.append(f"status: host {host[0]} != osbox {box[0]}")
    return problems


def _ids() -> Iterator[Any]:
    for s in SNIPPETS:
        yield pytest.param(s, id=s.name)


@pytest.mark.skipif(_SKIP_REASON is not None, reason=str(_SKIP_REASON))
@pytest.mark.parametrize("snippet", list(_ids()))
def test_snippet(snippet: Snippet) -> None:
    host = run_host(snippet)
    box = run_osbox(snippet)
    problems = compare(host, box)
    assert not problems, (
        f"{snippet.name}: {'; '.join(problems)}\n"
        f"script: {snippet.script}\n"
        f"host:  status {host[0]}\n  out {host[1]!r}\n  err {host[2]!r}\n"
        f"osbox: status {box[0]}\n  out {box[1]!r}\n  err {box[2]!r}"
    )


_WORD_SPLIT = re.compile(r"[\s;|&(){}`$<>'\"]+")


def script_words(script: str) -> set[str]:
    """The words of a script, split at blanks and shell operators."""
    return {w for w in _WORD_SPLIT.split(script) if w}


def test_corpus_size_and_coverage() -> None:
    assert len(SNIPPETS) >= 60  # the minimum
    assert len(SNIPPETS) >= 80  # this suite's own target
    names = [s.name for s in SNIPPETS]
    assert len(names) == len(set(names)), "snippet names must be unique"
    words: set[str] = set()
    for s in SNIPPETS:
        words |= script_words(s.script)
    missing = [c for c in COMMANDS if c not in words]
    assert not missing, f"commands no snippet uses: {missing}"


def _tree(vos: Any, root: str) -> list[tuple[str, int, int, int, str]]:
    """(path, mode, size, mtime, link target) of every entry under ``root``."""
    rows = []
    for dirpath, dirnames, filenames in vos.walk(root):
        for name in dirnames + filenames:
            path = vos.path.join(dirpath, name)
            st = vos.lstat(path)
            target = vos.readlink(path) if vos.path.islink(path) else ""
            size = st.st_size if not vos.path.isdir(path) or vos.path.islink(path) else 0
            rel = path[len(root) + 1 :]
            rows.append((rel, st.st_mode, size, st.st_mtime_ns, target))
    return sorted(rows)


def test_fixture_trees_agree() -> None:
    """The harness itself: both sides start from the same tree."""
    extra = next(s.setup for s in SNIPPETS if s.setup)
    with tempfile.TemporaryDirectory(prefix="osbox-diff-") as base:
        build_host(base, extra)
        host = _tree(os, base)
    with osbox.Machine() as machine:
        build_machine(machine, MACHINE_WORK, extra)
        box = _tree(machine.os, MACHINE_WORK)
    assert host == box
    assert len(host) > 10
