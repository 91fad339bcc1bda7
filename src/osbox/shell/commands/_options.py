"""GNU command-line conventions: ``getopt_long`` and usage errors.

* ``parse_options`` works as glibc's ``getopt_long``: short options may be
  grouped (``-nq``), an option argument may be attached (``-n5``) or be the
  next word (``::`` in the short string marks an optional argument, which
  must be attached); long options may be abbreviated to a unique prefix and
  take ``--name=value`` or ``--name value``; ``--`` ends the options; with
  ``permute`` operands and options may be mixed, otherwise the first operand
  ends the options (getopt's ``+`` mode). Errors raise ``UsageError`` with
  glibc's message.
* ``usage`` prints such a message and GNU's ``Try 'NAME --help' for more
  information.``; ``usage_error`` does the same and gives the
  ``ProgramExit`` to raise.
"""

from __future__ import annotations

from ..context import Context, ProgramExit

__all__ = [
    "NO_ARG",
    "OPTIONAL",
    "REQUIRED",
    "LongOpts",
    "UsageError",
    "parse_options",
    "try_help",
    "usage",
    "usage_error",
]

# has_arg of a long option, as getopt.h's no_argument, required_argument and
# optional_argument.
NO_ARG, REQUIRED, OPTIONAL = 0, 1, 2

# A long option's name maps to (key, has_arg); the key is what
# parse_options reports for it.
LongOpts = dict[str, tuple[str, int]]


class UsageError(Exception):
    """A command-line error: the message without the program name."""


def try_help(ctx: Context) -> None:
    """Print GNU's pointer to ``--help``."""
    ctx.stderr.write(f"Try '{ctx.name} --help' for more information.\n".encode())


def usage(ctx: Context, message: str | None, status: int = 1) -> int:
    """Print ``message`` (if any) and the ``--help`` hint; return ``status``."""
    if message:
        ctx.error(message)
    try_help(ctx)
    return status


def usage_error(ctx: Context, message: str | None, status: int) -> ProgramExit:
    """As ``usage``, but give the ``ProgramExit`` to raise."""
    return ProgramExit(usage(ctx, message, status))


def _long_match(name: str, longs: LongOpts) -> str:
    if name in longs:
        return name
    found = [n for n in longs if n.startswith(name)]
    if not found:
        raise UsageError(f"unrecognized option '--{name}'")
    if len({longs[n] for n in found}) > 1:
        poss = " ".join(f"'--{n}'" for n in found)
        raise UsageError(f"option '--{name}' is ambiguous; possibilities: {poss}")
    return found[0]


def parse_options(
    args: list[str],
    short: str,
    longs: LongOpts | None = None,
    *,
    permute: bool = True,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split ``args`` (argv without argv[0]) into options and operands.

    ``short`` is a getopt string (``"n:c:qv"``); ``longs`` maps a long name
    to ``(key, has_arg)``. Returns ``([(key, value)], operands)``: a short
    option's key is its letter. Raises ``UsageError``.
    """
    longs = longs or {}
    opts: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    n = len(args)
    while i < n:
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            full = _long_match(name, longs)
            key, has_arg = longs[full]
            if has_arg == NO_ARG:
                if eq:
                    raise UsageError(f"option '--{full}' doesn't allow an argument")
                opts.append((key, None))
            elif has_arg == OPTIONAL:
                opts.append((key, value if eq else None))
            else:
                if not eq:
                    if i >= n:
                        raise UsageError(f"option '--{full}' requires an argument")
                    value = args[i]
                    i += 1
                opts.append((key, value))
            continue
        if arg.startswith("-") and arg != "-":
            i = _short_group(arg, args, i, short, opts)
            continue
        operands.append(arg)
        if not permute:
            operands.extend(args[i:])
            break
    return opts, operands


def _short_group(
    arg: str, args: list[str], i: int, short: str, opts: list[tuple[str, str | None]]
) -> int:
    """Parse one word of short options; return the index of the next word."""
    j = 1
    while j < len(arg):
        ch = arg[j]
        j += 1
        pos = short.find(ch)
        if pos < 0 or ch == ":":
            raise UsageError(f"invalid option -- '{ch}'")
        if short[pos + 1 : pos + 2] != ":":
            opts.append((ch, None))
            continue
        if j < len(arg):
            opts.append((ch, arg[j:]))
        elif short[pos + 2 : pos + 3] == ":":
            opts.append((ch, None))
        elif i < len(args):
            opts.append((ch, args[i]))
            i += 1
        else:
            raise UsageError(f"option requires an argument -- '{ch}'")
        break
    return i
