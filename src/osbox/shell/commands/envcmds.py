"""``env`` and ``printenv``, as GNU coreutils 9.1.

env: ``-i``/``-`` (empty environment), ``-u NAME``, ``-0``, ``-C DIR``,
``NAME=VALUE`` assignments, then an optional COMMAND run with ``ctx.exec``
(exit 127 when not found, 126 when not runnable, 125 for env's own errors).
Options end at the first operand, as GNU's ``+`` getopt mode. printenv:
all variables, or the values of the named ones (exit 1 if one is missing).
"""

from __future__ import annotations

import errno

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote, quote

_ENV_LONGS = {
    "ignore-environment": ("i", 0),
    "unset": ("u", 1),
    "null": ("0", 0),
    "chdir": ("C", 1),
    "split-string": ("S", 1),
    "debug": ("v", 0),
}


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@program("env")
def env_main(ctx: Context) -> int:
    """env [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]"""
    try:
        opts, operands = parse_options(ctx.argv[1:], "iu:0C:S:v", _ENV_LONGS, permute=False)
    except UsageError as e:
        raise usage_error(ctx, str(e), 125) from None
    clear = False
    nul = False
    chdir: str | None = None
    unset: list[str] = []
    for k, v in opts:
        if k == "i":
            clear = True
        elif k == "u":
            unset.append(v or "")
        elif k == "0":
            nul = True
        elif k == "C":
            chdir = v
        elif k == "S":
            operands = (v or "").split() + operands
    if operands and operands[0] == "-":
        clear = True
        operands = operands[1:]
    env: dict[str, str] = {} if clear else dict(ctx.os.environ)
    for name in unset:
        if not name or "=" in name:
            ctx.error(f"cannot unset {cquote(name)}: Invalid argument")
            return 125
        env.pop(name, None)
    while operands and "=" in operands[0]:
        name, _, value = operands.pop(0).partition("=")
        env.pop(name, None)
        env[name] = value
    if not operands:
        if chdir is not None:
            ctx.error("must specify command with --chdir (-C)")
            raise usage_error(ctx, None, 125)
        end = b"\0" if nul else b"\n"
        out = ctx.stdout
        for name, value in env.items():
            out.write(_enc(f"{name}={value}") + end)
        return 0
    if nul:
        ctx.error("cannot specify --null (-0) with command")
        raise usage_error(ctx, None, 125)
    if chdir is not None:
        try:
            ctx.os.chdir(chdir)
        except OSError as e:
            ctx.error(f"cannot change directory to {quote(chdir)}: {strerror(e)}")
            return 125
    try:
        ctx.exec(operands, env)
    except OSError as e:
        ctx.error(f"{cquote(operands[0])}: {strerror(e)}")
        return 127 if e.errno == errno.ENOENT else 126
    return 0


@program("printenv")
def printenv_main(ctx: Context) -> int:
    """printenv [OPTION]... [VARIABLE]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "0", {"null": ("0", 0)})
    except UsageError as e:
        raise usage_error(ctx, str(e), 2) from None
    end = b"\0" if opts else b"\n"
    env = ctx.os.environ
    out = ctx.stdout
    if not operands:
        for name, value in env.items():
            out.write(_enc(f"{name}={value}") + end)
        return 0
    status = 0
    for name in operands:
        if "=" not in name and name in env:
            out.write(_enc(env[name]) + end)
        else:
            status = 1
    return status
