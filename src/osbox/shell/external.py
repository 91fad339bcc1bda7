"""Running external commands from the sh interpreter, as dash's ``shellexec``.

The command is looked up in the shell's ``PATH`` (a name with a ``/`` is
used as is); a forked child applies the redirections and ``execve``s it. A
file the kernel cannot execute (ENOEXEC) is run as a shell script by the
child itself. Failures print ``sh: LINE: NAME: not found`` (127) or
``NAME: Permission denied`` (126), as dash does.
"""

from __future__ import annotations

import errno
import stat
from typing import TYPE_CHECKING, Any

from . import procs
from .context import Context
from .nodes import Redir
from .redirect import apply_redirs, errmsg
from .sherrors import ShError

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["exec_command", "find_command", "run_external"]


def find_command(sh: Shell, name: str) -> str | None:
    """The path ``name`` runs from PATH: the first executable regular file,
    else the first regular file (exec then fails with EACCES), else None."""
    if "/" in name:
        return name
    vos: Any = sh.os
    fallback: str | None = None
    for d in sh.vars.get("PATH", "").split(":"):
        path = f"{d}/{name}" if d else name
        try:
            st = vos.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if vos.access(path, vos.X_OK):
            return path
        if fallback is None:
            fallback = path
    return fallback


def exec_command(sh: Shell, argv: list[str], env: dict[str, str]) -> int:
    """Replace this (child) process with ``argv``; the status if that fails."""
    name = argv[0]
    path = find_command(sh, name)
    if path is None:
        sh.message(f"{name}: not found")
        return 127
    sh.ctx.flush()
    try:
        sh.os.execve(path, argv, env)
    except OSError as e:
        if e.errno == errno.ENOEXEC:
            return _run_script(sh, path, argv, env)
        code = {errno.EACCES: 126, errno.ENOENT: 127, errno.ENOTDIR: 127}.get(e.errno or 0, 2)
        if e.errno == errno.ENOSYS:
            code = 127
        sh.message(f"{name}: {errmsg(e, 'exec')}")
        return code
    return 0  # pragma: no cover - execve does not return


def _run_script(sh: Shell, path: str, argv: list[str], env: dict[str, str]) -> int:
    from .interp import Shell

    try:
        with sh.os.open_file(path, "rb") as f:
            src = f.read().decode("utf-8", "surrogateescape")
    except OSError as e:
        sh.message(f"{argv[0]}: {errmsg(e, 'open')}")
        return 126
    new = Shell(sh.ctx, argv[0], argv[1:])
    new.vars = dict(env)
    new.exported = set(env)
    new.vars.setdefault("IFS", " \t\n")
    new.vars.setdefault("PS4", "+ ")
    new.vars.setdefault("OPTIND", "1")
    return new.main(src)


def run_external(
    sh: Shell, argv: list[str], env: dict[str, str], redirs: list[Redir], final: bool
) -> int:
    sub = sh.clone(sh.ctx)

    def child(cctx: Context) -> int:
        sub.attach(cctx)
        if redirs:
            try:
                apply_redirs(sub, redirs, save=False)
            except ShError as e:
                sub.message(str(e))
                return 2
        return exec_command(sub, argv, env)

    if final:
        return child(sh.ctx)
    return procs.wait_fg(sh.os, sh.fork(child))
