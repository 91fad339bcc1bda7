"""Redirections (POSIX 2.7) applied to the shell's own fd table, as dash does.

``apply_redirs`` opens each target and ``dup2``s it onto its fd, first saving
the fd's previous file on an fd >= 10 when ``save`` is set (builtins,
functions, compound commands), so ``restore_redirs`` can put it back.
Errors use dash's wording: ``cannot open F: No such file``, ``cannot create
F: Directory nonexistent``, ``N: Bad file descriptor``.
"""

from __future__ import annotations

import errno
import os as _hostos_consts  # only for O_* constants and strerror
import stat
from typing import TYPE_CHECKING

from .nodes import Redir
from .procs import move_high
from .sherrors import ShError

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["Saved", "apply_redirs", "errmsg", "restore_redirs"]

Saved = list[tuple[int, int]]
_O = _hostos_consts


def errmsg(e: OSError, action: str) -> str:
    """dash's ``errmsg``: ENOENT/ENOTDIR are phrased per action."""
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return {"open": "No such file", "create": "Directory nonexistent"}.get(action, "not found")
    return _O.strerror(e.errno or 0)


def _heredoc_fd(sh: Shell, data: bytes) -> int:
    vos = sh.os
    if len(data) < 65536:
        r, w = vos.pipe()
        if data:
            vos.write(w, data)
        vos.close(w)
        return int(r)
    n = 0
    while True:
        path = f"/tmp/.sh-heredoc-{sh.rootpid}-{n}"
        try:
            fd = vos.open(path, _O.O_RDWR | _O.O_CREAT | _O.O_EXCL, 0o600)
            break
        except FileExistsError:
            n += 1
    vos.unlink(path)
    vos.write(fd, data)
    vos.lseek(fd, 0, 0)
    return int(fd)


def _open(sh: Shell, r: Redir) -> int | None:
    """The fd to dup onto ``r.fd``; None to close it; -2 for nothing to do."""
    vos = sh.os
    op = r.op
    ex = sh.expander
    if r.heredoc is not None:
        text = ex.heredoc(r.heredoc.body)
        return _heredoc_fd(sh, text.encode("utf-8", "surrogateescape"))
    target = ex.string(r.target)
    if op in ("<&", ">&"):
        if target == "-":
            return None
        if not target.isdigit():
            raise ShError("Syntax error: Bad fd number")
        src = int(target)
        if src == r.fd:
            try:
                vos.fstat(src)
            except OSError:
                raise ShError(f"{src}: Bad file descriptor") from None
            return -2
        try:
            return int(vos.dup(src))
        except OSError:
            raise ShError(f"{src}: Bad file descriptor") from None
    if op == "<":
        flags, action = _O.O_RDONLY, "open"
    elif op == "<>":
        flags, action = _O.O_RDWR | _O.O_CREAT, "create"
    elif op == ">>":
        flags, action = _O.O_WRONLY | _O.O_CREAT | _O.O_APPEND, "create"
    else:
        flags, action = _O.O_WRONLY | _O.O_CREAT | _O.O_TRUNC, "create"
        if op == ">" and sh.opts["C"]:
            try:
                st = vos.stat(target)
                if stat.S_ISREG(st.st_mode):
                    raise ShError(f"cannot create {target}: File exists")
            except OSError:
                pass
    try:
        return int(vos.open(target, flags, 0o666))
    except OSError as e:
        raise ShError(f"cannot {action} {target}: {errmsg(e, action)}") from None


def apply_redirs(sh: Shell, redirs: list[Redir], save: bool) -> Saved:
    """Apply ``redirs``; with ``save`` return what ``restore_redirs`` needs.
    On error the ones applied so far are undone (when saved) and ShError raised."""
    vos = sh.os
    sh.ctx.flush()
    saved: Saved = []
    done: set[int] = set()
    try:
        for r in redirs:
            newfd = _open(sh, r)
            fd = r.fd
            if newfd == -2:
                continue
            if save and fd not in done:
                done.add(fd)
                try:
                    saved.append((fd, move_high(vos, vos.dup(fd))))
                except OSError:
                    saved.append((fd, -1))
            if newfd is None:
                try:
                    vos.close(fd)
                except OSError:
                    pass
            elif newfd != fd:
                vos.dup2(newfd, fd)
                vos.close(newfd)
    except BaseException:
        if save:
            restore_redirs(sh, saved)
        else:
            sh.ctx.reset_streams()
        raise
    sh.ctx.reset_streams()
    return saved


def restore_redirs(sh: Shell, saved: Saved) -> None:
    vos = sh.os
    sh.ctx.flush()
    for fd, s in reversed(saved):
        if s >= 0:
            vos.dup2(s, fd, inheritable=True)
            vos.close(s)
        else:
            try:
                vos.close(fd)
            except OSError:
                pass
    sh.ctx.reset_streams()
