"""Forked parts of the sh interpreter: subshells, ``&`` jobs, pipelines and
command substitution, each run by a child process on a copy of the shell
state (``Shell.clone``), as dash forks for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import procs
from .context import Context
from .nodes import Command, Pipeline, Subshell
from .redirect import apply_redirs
from .sherrors import ShError

if TYPE_CHECKING:
    from .interp import Shell

__all__ = ["command_subst", "run_background", "run_pipeline", "run_subshell"]


def run_subshell(sh: Shell, node: Subshell, final: bool) -> int:
    sub = sh.clone(sh.ctx)

    def child(cctx: Context) -> int:
        sub.attach(cctx)
        try:
            if node.redirs:
                apply_redirs(sub, node.redirs, save=False)
        except ShError as e:
            sub.message(str(e))
            return 2
        return sub.run_child(node.body)

    if final:
        return child(sh.ctx)
    sh.lineno = node.lineno
    return procs.wait_fg(sh.os, sh.fork(child))


def run_background(sh: Shell, cmd: Command) -> int:
    sub = sh.clone(sh.ctx)

    def child(cctx: Context) -> int:
        sub.attach(cctx)
        try:
            fd = cctx.os.open("/dev/null", cctx.os.O_RDONLY)
            if fd != 0:
                cctx.os.dup2(fd, 0)
                cctx.os.close(fd)
            cctx.reset_streams()
        except OSError:
            pass
        return sub.run_child(cmd)

    # dash reports a failed fork of a background job at line 0 (its
    # NBACKGND node carries no line number)
    saved, sh.lineno = sh.lineno, 0
    pid = sh.fork(child)
    sh.lineno = saved
    sh.last_bg = pid
    sh.jobs[pid] = None
    return 0


def run_pipeline(sh: Shell, node: Pipeline, final: bool) -> int:
    vos = sh.os
    cmds = node.cmds
    if len(cmds) == 1:
        sh.errexit_off += node.negate
        try:
            status = sh.run(cmds[0], final and not node.negate)
        finally:
            sh.errexit_off -= node.negate
        return int(status == 0) if node.negate else status
    pids: list[int] = []
    prev: int | None = None
    n = len(cmds)
    for i, cmd in enumerate(cmds):
        last = i == n - 1
        r = w = -1
        if not last:
            r, w = vos.pipe()

        sub = sh.clone(sh.ctx)

        def child(
            cctx: Context,
            cmd: Command = cmd,
            inp: int | None = prev,
            r: int = r,
            w: int = w,
            sub: Shell = sub,
        ) -> int:
            sub.attach(cctx)
            cos = cctx.os
            if r >= 0:
                cos.close(r)
            if inp is not None:
                cos.dup2(inp, 0)
                cos.close(inp)
            if w >= 0:
                cos.dup2(w, 1)
                cos.close(w)
            cctx.reset_streams()
            return sub.run_child(cmd)

        try:
            pids.append(sh.fork(child))
        except ShError:
            for fd in (prev, r, w):
                if fd is not None and fd >= 0:
                    vos.close(fd)
            raise
        if prev is not None:
            vos.close(prev)
        if not last:
            vos.close(w)
            prev = r
    status = 0
    for i, pid in enumerate(pids):
        status = procs.wait_fg(vos, pid) if i == n - 1 else procs.wait(vos, pid)
    sh.status = status
    return int(status == 0) if node.negate else status


def command_subst(sh: Shell, body: Command | None) -> str:
    vos = sh.os
    r, w = vos.pipe()
    sub = sh.clone(sh.ctx)

    def child(cctx: Context) -> int:
        sub.attach(cctx)
        cos = cctx.os
        cos.close(r)
        cos.dup2(w, 1)
        cos.close(w)
        cctx.reset_streams()
        if body is None:
            return 0
        return sub.run_child(body)

    try:
        pid = sh.fork(child)
    except ShError:
        vos.close(r)
        raise
    finally:
        vos.close(w)
    chunks: list[bytes] = []
    while True:
        data = vos.read(r, 65536)
        if not data:
            break
        chunks.append(data)
    vos.close(r)
    sh.cmdsub_status = procs.wait(vos, pid)
    return b"".join(chunks).rstrip(b"\n").decode("utf-8", "surrogateescape")


# -- simple commands ------------------------------------------------------------
