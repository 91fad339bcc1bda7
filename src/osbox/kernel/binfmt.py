"""What ``execve`` runs: the binary formats of a machine, as Linux's
``fs/exec.c`` with ``binfmt_script`` and a ``binfmt_misc``-style stub.

A machine's executables are regular files of one of two formats:

* a *program stub*, the bytes ``STUB_MAGIC`` then a program name and a
  newline: the in-process program of that name. The name ``*`` makes a
  multi-call stub, as busybox is: the program is the basename of the path
  executed (``/usr/bin/ls`` and ``/usr/bin/cat`` are hard links of one
  multi-call stub, so a machine's programs take one inode and one page);
* a script starting ``#!``: its interpreter line is parsed as Linux does
  (interpreter, then at most one argument, the rest of the line) and the
  interpreter is executed with ``[interp, (arg,) path, argv[1:]...]``.

Anything else is ENOEXEC, as a foreign binary would be. The host's Python
(``sys.executable`` and its real path) is known to every machine as the
``python`` program, so unmodified code that runs ``sys.executable`` works.

Errors of ``resolve``, in Linux's order: the path's lookup errors (ENOENT,
ENOTDIR, EACCES, ELOOP, ENAMETOOLONG), EACCES (not a regular file, or no
execute permission), ENOEXEC (unknown format), ELOOP (interpreters nested
more than 4 deep, ``BINPRM_MAX_RECURSION``).
"""

from __future__ import annotations

from errno import EACCES, ELOOP, ENOENT, ENOEXEC
from stat import S_IFLNK, S_IFREG
from typing import TYPE_CHECKING

from ..stores.base import S_IFMT
from .cred import MAY_EXEC, permission
from .errors import KernelError
from .namei import MAXSYMLINKS, lookup

if TYPE_CHECKING:
    from .process import Process

__all__ = ["STUB_MAGIC", "Image", "resolve", "stub_bytes"]

STUB_MAGIC = b"\x7fOSBOX program "
MAX_RECURSION = 4
BINPRM_BUF_SIZE = 256


class Image:
    """A resolved program image: the program name to run, its argv and the
    path it was executed as (``/proc/PID/exe``)."""

    __slots__ = ("program", "argv", "exe")

    def __init__(self, program: str, argv: list[str], exe: str) -> None:
        self.program = program
        self.argv = argv
        self.exe = exe

    def __repr__(self) -> str:
        return f"Image({self.program!r}, {self.argv!r}, {self.exe!r})"


def stub_bytes(program: str) -> bytes:
    """The content of an executable stub file naming ``program``."""
    return STUB_MAGIC + program.encode() + b"\n"


def _alias(proc: Process, path: str) -> str | None:
    """The program a missing executable names: ``path``, or the end of its
    symlink chain, is a host path the machine knows (``exec_aliases``), as a
    venv's ``bin/python`` links to the host interpreter."""
    k = proc.k
    for _ in range(MAXSYMLINKS):
        alias = k.exec_aliases.get(path)
        if alias is not None:
            return alias
        try:
            node = lookup(proc, None, path, False)
        except KernelError:
            return None
        if node.mode & S_IFMT != S_IFLNK:
            return None
        target = k.store.readlink(node.ino)
        path = target if target.startswith("/") else path.rsplit("/", 1)[0] + "/" + target
    return None


def _head(proc: Process, path: str) -> bytes:
    k = proc.k
    try:
        node = lookup(proc, None, path, True)
    except KernelError as e:
        alias = _alias(proc, path) if e.errno == ENOENT else None
        if alias is not None:
            return stub_bytes(alias)
        raise
    if node.mode & S_IFMT != S_IFREG or not permission(proc.cred, node, MAY_EXEC):
        raise KernelError(EACCES)
    return k.store.read(node.ino, 0, BINPRM_BUF_SIZE)


def resolve(proc: Process, path: str, argv: list[str]) -> Image:
    """Resolve ``path`` to the image ``execve(path, argv)`` would run."""
    argv = list(argv)
    with proc.k.lock:
        for _depth in range(MAX_RECURSION + 1):
            head = _head(proc, path)
            if head.startswith(STUB_MAGIC):
                name = head[len(STUB_MAGIC) :].split(b"\n", 1)[0].decode("utf-8", "replace")
                if name == "*":
                    name = path.rstrip("/").rsplit("/", 1)[-1]
                return Image(name, argv, path)
            if not head.startswith(b"#!"):
                raise KernelError(ENOEXEC)
            line = head[2:].split(b"\n", 1)[0].strip(b" \t")
            if not line:
                raise KernelError(ENOEXEC)
            parts = line.split(None, 1)
            interp = parts[0].decode("utf-8", "surrogateescape")
            new = [interp]
            if len(parts) > 1:
                new.append(parts[1].strip(b" \t").decode("utf-8", "surrogateescape"))
            new.append(path)
            new.extend(argv[1:])
            argv = new
            path = interp
        raise KernelError(ELOOP)
