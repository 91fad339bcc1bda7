"""The executor of the sh interpreter: dash 0.5.12's ``evaltree``.

``Shell`` holds the state of one shell process (variables, functions,
positional parameters, options, traps, background jobs) and runs parsed
commands. Builtins and functions run in the shell's own process with their
redirections applied and undone around them; external commands, subshells,
pipeline elements, ``&`` jobs and command substitutions run in forked
children (``procs.fork``) on a copy of the state. Messages have dash's form
``sh: LINE: MSG``; ``set -e``, ``-u``, ``-x`` behave as dash's.
"""

from __future__ import annotations

import copy
import errno
import signal
import stat
from typing import Any

from . import forks, procs, shglob
from .context import Context, ProgramExit
from .expand import Expander
from .nodes import (
    AndOr,
    Case,
    Command,
    For,
    FuncDef,
    Group,
    If,
    Pipeline,
    Sequence,
    Simple,
    Subshell,
    While,
)
from .parser import Parser, ShSyntaxError
from .redirect import Saved, apply_redirs, restore_redirs
from .sherrors import BreakLoop, ContinueLoop, ExitShell, ReturnFunc, ShError

__all__ = ["Shell"]

OPT_ORDER = "ubaCvxnfe"


class Shell:
    def __init__(self, ctx: Context, arg0: str = "sh", args: list[str] | None = None) -> None:
        self.ctx = ctx
        self.os: Any = ctx.os
        env = dict(ctx.os.environ)
        self.vars: dict[str, str] = dict(env)
        self.exported: set[str] = set(env)
        self.readonly: set[str] = set()
        self.vars["IFS"] = " \t\n"
        self.vars.setdefault("PS1", "# " if ctx.os.geteuid() == 0 else "$ ")
        self.vars.setdefault("PS2", "> ")
        self.vars["PS4"] = self.vars.get("PS4", "+ ")
        self.vars["OPTIND"] = "1"
        self.vars["PPID"] = str(ctx.os.getppid())
        try:
            cwd = ctx.os.getcwd()
            pwd = self.vars.get("PWD")
            if pwd is None or not _same_dir(ctx.os, pwd, cwd):
                self.vars["PWD"] = cwd
        except OSError:
            pass
        self.locals: list[dict[str, tuple[str | None, bool]]] = []
        self.functions: dict[str, Command] = {}
        self.arg0 = arg0
        self.positional: list[str] = list(args or [])
        self.opts: dict[str, bool] = {c: False for c in OPT_ORDER}
        self.status = 0
        self.last_bg: int | None = None
        self.jobs: dict[int, int | None] = {}
        self.traps: dict[str, str] = {}
        self.lineno = 0
        self.rootpid = ctx.os.getpid()
        self.loop_depth = 0
        self.func_depth = 0
        self.dot_depth = 0
        self.errexit_off = 0
        self.cmdsub_status: int | None = None
        self.expander = Expander(self)
        self.getopts_state: tuple[int, int] = (1, 1)
        self.bash = False
        self.pending_sigs: list[int] = []
        self.reset_sigs: list[int] = []

    # -- state ----------------------------------------------------------------------
    def clone(self, ctx: Context) -> Shell:
        """The state a forked child starts with (traps other than ignores reset)."""
        sh = copy.copy(self)
        sh.ctx = ctx
        sh.os = ctx.os
        sh.vars = dict(self.vars)
        sh.exported = set(self.exported)
        sh.readonly = set(self.readonly)
        sh.locals = [dict(f) for f in self.locals]
        sh.functions = dict(self.functions)
        sh.positional = list(self.positional)
        sh.opts = dict(self.opts)
        sh.traps = {k: v for k, v in self.traps.items() if v == ""}
        sh.pending_sigs = []
        sh.reset_sigs = [n for n in self.trapped_signals() if self.traps.get(_signame(n))]
        sh.jobs = {}
        sh.expander = Expander(sh)
        return sh

    def attach(self, ctx: Context) -> None:
        """Make this (cloned) state the shell of the child process ``ctx``."""
        self.ctx = ctx
        self.os = ctx.os
        sigaction = getattr(ctx.os, "_sigaction", None)
        if sigaction is not None:
            for n in self.reset_sigs:
                sigaction(n, signal.SIG_DFL)
        self.reset_sigs = []

    def trapped_signals(self) -> list[int]:
        from .builtins_sys import signal_number

        return [n for n in (signal_number(k) for k in self.traps) if n]

    def set_signal_trap(self, sig: int, action: str | None) -> None:
        """Make the process's disposition of ``sig`` follow ``trap``."""
        sigaction = getattr(self.os, "_sigaction", None)
        if sigaction is None or sig in (signal.SIGKILL, signal.SIGSTOP):
            return
        if action is None:
            sigaction(sig, signal.SIG_DFL)
        elif action == "":
            sigaction(sig, signal.SIG_IGN)
        else:
            sigaction(sig, self.pending_sigs.append)

    def run_pending_traps(self) -> None:
        from .builtins import run_string

        while self.pending_sigs:
            action = self.traps.get(_signame(self.pending_sigs.pop(0)))
            if action:
                saved = self.status
                run_string(self, action, "")
                self.status = saved

    def param(self, name: str) -> str | None:
        v = self.vars.get(name)
        if v is not None or len(name) > 1 and not name.isdigit():
            return v
        if name.isdigit():
            i = int(name)
            if i == 0:
                return self.arg0
            return self.positional[i - 1] if i <= len(self.positional) else None
        if name == "?":
            return str(self.status)
        if name == "#":
            return str(len(self.positional))
        if name == "$":
            return str(self.rootpid)
        if name == "!":
            return None if self.last_bg is None else str(self.last_bg)
        if name == "-":
            return "".join(c for c in OPT_ORDER if self.opts[c])
        if name in "@*":
            return " ".join(self.positional)
        return v

    def set_var(self, name: str, value: str) -> None:
        if name in self.readonly:
            raise ShError(f"{name}: is read only")
        self.vars[name] = value
        if self.opts["a"]:
            self.exported.add(name)

    def unset_var(self, name: str) -> None:
        if name in self.readonly:
            raise ShError(f"{name}: is read only")
        self.vars.pop(name, None)
        self.exported.discard(name)

    def make_local(self, name: str) -> None:
        frame = self.locals[-1]
        if name not in frame:
            frame[name] = (self.vars.get(name), name in self.exported)

    def environ(self) -> dict[str, str]:
        v = self.vars
        return {k: v[k] for k in self.exported if k in v}

    # -- messages -------------------------------------------------------------------
    def message(self, msg: str) -> None:
        """Print ``sh: LINE: msg`` on fd 2."""
        self.ctx.flush()
        data = f"{self.arg0}: {self.lineno}: {msg}\n".encode("utf-8", "surrogateescape")
        try:
            self.os.write(2, data)
        except OSError:
            pass

    def xtrace(self, words: list[str]) -> None:
        ps4 = self.vars.get("PS4", "")
        data = (ps4 + " ".join(words) + "\n").encode("utf-8", "surrogateescape")
        self.ctx.flush()
        try:
            self.os.write(2, data)
        except OSError:
            pass

    # -- top level ------------------------------------------------------------------
    def run_source(self, src: str, lineno: int = 1) -> int:
        """Parse and run ``src`` one command line at a time (``-c``, scripts)."""
        parser = Parser(src, lineno)
        while True:
            try:
                cmd = parser.next_command()
            except ShSyntaxError as e:
                self.lineno = e.lineno
                self.message(str(e))
                raise ExitShell(2) from None
            if cmd is None:
                return self.status
            if self.opts["n"]:
                continue
            try:
                self.run(cmd)
            except ShError as e:
                self.message(str(e))
                raise ExitShell(e.status) from None

    def run_interactive(self, src: str, lineno: int = 1) -> int:
        """Run one complete input of an interactive shell; the new ``$?``.

        As in an interactive dash, an error (a syntax error too) is reported
        and sets ``$?`` without ending the shell; ``exit`` (and ``set -e``)
        still raise ``ExitShell``.
        """
        parser = Parser(src, lineno)
        try:
            while True:
                try:
                    cmd = parser.next_command()
                except ShSyntaxError as e:
                    self.lineno = e.lineno
                    self.message(str(e))
                    self.status = 2
                    break
                if cmd is None:
                    break
                try:
                    self.run(cmd)
                except ShError as e:
                    self.message(str(e))
                    self.status = e.status
                except ReturnFunc as e:
                    self.status = e.status
                except (BreakLoop, ContinueLoop):
                    pass
        finally:
            self.ctx.flush()
        return self.status

    def main(self, src: str) -> int:
        """Run a whole program and the EXIT trap; the shell's exit status."""
        try:
            status = self.run_source(src)
        except ExitShell as e:
            status = e.status
        except ReturnFunc as e:
            status = e.status
        return self.finish(status)

    def finish(self, status: int) -> int:
        self.status = status
        action = self.traps.pop("EXIT", None)
        if action:
            try:
                self.run_source(action)
            except ExitShell as e:
                status = e.status
            except (ReturnFunc, BreakLoop, ContinueLoop):
                pass
        self.ctx.flush()
        return status & 0xFF

    def run_child(self, node: Command) -> int:
        """Run ``node`` as the whole program of a forked child."""
        try:
            status = self.run(node, final=True)
        except ExitShell as e:
            status = e.status
        except ShError as e:
            self.message(str(e))
            status = e.status
        except ReturnFunc as e:
            status = e.status
        except (BreakLoop, ContinueLoop):
            status = self.status
        return self.finish(status)

    def fork(self, fn: Any) -> int:
        """Fork a child running ``fn(ctx)``; its pid. When the process limit
        refuses (EAGAIN) this is dash's ``sh_error("Cannot fork")``: a shell
        error, status 2, that ends a non-interactive shell."""
        try:
            return procs.fork(self.ctx, fn)
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
        raise ShError("Cannot fork")

    # -- evaluation -----------------------------------------------------------------
    def run(self, node: Command, final: bool = False) -> int:
        t = type(node)
        if t is Simple:
            assert isinstance(node, Simple)
            status = self.run_simple(node, final)
            if self.pending_sigs:
                self.run_pending_traps()
        elif t is Sequence:
            assert isinstance(node, Sequence)
            status = 0
            last = len(node.items) - 1
            for i, (cmd, bg) in enumerate(node.items):
                if bg:
                    status = self.run_background(cmd)
                else:
                    status = self.run(cmd, final and i == last)
            self.status = status
            return status
        elif t is AndOr:
            assert isinstance(node, AndOr)
            self.errexit_off += 1
            try:
                status = self.run(node.first)
                for i, (op, cmd) in enumerate(node.rest):
                    if (status == 0) == (op == "&&"):
                        if i == len(node.rest) - 1:
                            self.errexit_off -= 1
                            try:
                                status = self.run(cmd, final)
                            finally:
                                self.errexit_off += 1
                        else:
                            status = self.run(cmd)
            finally:
                self.errexit_off -= 1
            self.status = status
            return status
        elif t is Pipeline:
            assert isinstance(node, Pipeline)
            status = self.run_pipeline(node, final)
            if node.negate:
                self.status = status
                return status
        elif t is Subshell:
            assert isinstance(node, Subshell)
            status = self.run_subshell(node, final)
        else:
            status = self.run_compound(node)
            self.status = status
            return status
        self.status = status
        if status and self.opts["e"] and not self.errexit_off:
            raise ExitShell(status)
        return status

    def run_compound(self, node: Command) -> int:
        redirs = getattr(node, "redirs", None)
        saved = None
        if redirs:
            try:
                saved = apply_redirs(self, redirs, save=True)
            except ShError as e:
                self.message(str(e))
                return 2
        try:
            return self._compound(node)
        finally:
            if saved is not None:
                restore_redirs(self, saved)

    def _compound(self, node: Command) -> int:
        if isinstance(node, Group):
            return self.run(node.body)
        if isinstance(node, If):
            for cond, body in node.branches:
                self.errexit_off += 1
                try:
                    c = self.run(cond)
                finally:
                    self.errexit_off -= 1
                if c == 0:
                    return self.run(body)
            return self.run(node.orelse) if node.orelse is not None else 0
        if isinstance(node, While):
            return self.run_while(node)
        if isinstance(node, For):
            return self.run_for(node)
        if isinstance(node, Case):
            self.lineno = node.lineno
            word = self.expander.string(node.word)
            for patterns, cbody in node.items:
                for p in patterns:
                    if shglob.match(self.expander.pattern(p), word):
                        return self.run(cbody) if cbody is not None else 0
            return 0
        if isinstance(node, FuncDef):
            self.functions[node.name] = node.body
            return 0
        raise AssertionError(node)  # pragma: no cover

    def _loop_body(self, body: Command) -> tuple[int, bool]:
        """Run a loop body; (status, stop) where stop means break out."""
        try:
            return self.run(body), False
        except BreakLoop as b:
            if b.count > 1:
                b.count -= 1
                raise
            return 0, True
        except ContinueLoop as c:
            if c.count > 1:
                c.count -= 1
                raise
            return 0, False

    def run_while(self, node: While) -> int:
        status = 0
        self.loop_depth += 1
        try:
            while True:
                self.errexit_off += 1
                try:
                    c = self.run(node.cond)
                finally:
                    self.errexit_off -= 1
                if (c == 0) == node.until:
                    break
                status, stop = self._loop_body(node.body)
                if stop:
                    break
        finally:
            self.loop_depth -= 1
        return status

    def run_for(self, node: For) -> int:
        self.lineno = node.lineno
        if node.words is None:
            items = list(self.positional)
        else:
            items = self.expander.fields(node.words)
        status = 0
        self.loop_depth += 1
        try:
            for item in items:
                self.set_var(node.var, item)
                status, stop = self._loop_body(node.body)
                if stop:
                    break
        finally:
            self.loop_depth -= 1
        return status

    # -- processes ------------------------------------------------------------------
    def run_subshell(self, node: Subshell, final: bool) -> int:
        return forks.run_subshell(self, node, final)

    def run_background(self, cmd: Command) -> int:
        return forks.run_background(self, cmd)

    def run_pipeline(self, node: Pipeline, final: bool) -> int:
        return forks.run_pipeline(self, node, final)

    def command_subst(self, body: Command | None) -> str:
        return forks.command_subst(self, body)

    def run_simple(self, node: Simple, final: bool = False) -> int:
        from .builtins import BUILTINS, SPECIAL
        from .external import run_external

        self.lineno = node.lineno
        if self.opts["n"]:
            return 0
        self.cmdsub_status = None
        ex = self.expander
        argv = ex.fields(node.words) if node.words else []
        assigns = [(n, ex.string(w)) for n, w in node.assigns]
        if self.opts["x"]:
            trace = [f"{n}={v}" for n, v in assigns] + argv
            if trace:
                self.xtrace(trace)
        if not argv:
            for n, v in assigns:
                self.set_var(n, v)
            status = self.cmdsub_status or 0
            if node.redirs:
                try:
                    restore_redirs(self, apply_redirs(self, node.redirs, save=True))
                except ShError as e:
                    self.message(str(e))
                    return 2
            return status
        name = argv[0]
        if name == "source" and self.bash:
            name = "."
        special = name in SPECIAL
        if special:
            for n, v in assigns:
                self.set_var(n, v)
            if name == "exec" and len(argv) == 1:
                apply_redirs(self, node.redirs, save=False)
                return 0
            saved: Saved | None = (
                apply_redirs(self, node.redirs, save=True) if node.redirs else None
            )
            try:
                return self.call_builtin(name, argv)
            finally:
                if saved is not None:
                    restore_redirs(self, saved)
        func = self.functions.get(name)
        builtin = BUILTINS.get(name) if func is None else None
        if func is None and builtin is None:
            env = self.environ()
            env.update(assigns)
            return run_external(self, argv, env, node.redirs, final)
        try:
            saved2 = apply_redirs(self, node.redirs, save=True) if node.redirs else None
        except ShError as e:
            self.message(str(e))
            return 2
        try:
            if func is not None:
                return self.call_function(func, argv, assigns)
            if not assigns:
                return self.call_builtin(name, argv)
            self.locals.append({})
            try:
                for n, v in assigns:
                    self.make_local(n)
                    self.set_var(n, v)
                    self.exported.add(n)
                return self.call_builtin(name, argv)
            finally:
                self.pop_locals()
        finally:
            if saved2 is not None:
                restore_redirs(self, saved2)

    def call_builtin(self, name: str, argv: list[str]) -> int:
        from .builtins import BUILTINS, SPECIAL

        try:
            status = BUILTINS[name](self, argv)
        except ShError as e:
            self.ctx.flush()
            if name in SPECIAL:
                raise ShError(f"{name}: {e}", e.status) from None
            self.message(f"{name}: {e}")
            status = e.status
        except ProgramExit as e:
            status = e.status
        finally:
            self.ctx.flush()
        return status

    def call_function(self, body: Command, argv: list[str], assigns: list[tuple[str, str]]) -> int:
        saved_pos = self.positional
        self.positional = argv[1:]
        self.locals.append({})
        self.func_depth += 1
        saved_loop = self.loop_depth
        self.loop_depth = 0
        try:
            for n, v in assigns:
                self.make_local(n)
                self.set_var(n, v)
            try:
                status = self.run(body)
            except ReturnFunc as r:
                status = r.status
        finally:
            self.loop_depth = saved_loop
            self.func_depth -= 1
            self.pop_locals()
            self.positional = saved_pos
        self.status = status
        return status

    def pop_locals(self) -> None:
        frame = self.locals.pop()
        for name, (value, exported) in frame.items():
            if value is None:
                self.vars.pop(name, None)
            else:
                self.vars[name] = value
            if exported:
                self.exported.add(name)
            else:
                self.exported.discard(name)


def _signame(n: int) -> str:
    from .builtins_sys import trap_name

    return trap_name(n)


def _same_dir(vos: Any, a: str, b: str) -> bool:
    if not a.startswith("/"):
        return False
    try:
        sa = vos.stat(a)
        sb = vos.stat(b)
    except OSError:
        return False
    return bool(sa.st_ino == sb.st_ino and sa.st_dev == sb.st_dev and stat.S_ISDIR(sa.st_mode))


_ = errno
