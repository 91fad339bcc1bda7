"""GNU command-line conventions shared by the text commands.

* ``parse_args`` is a ``getopt_long`` work-alike (glibc behaviour): short
  options may be grouped (``-nq``), an option argument may be attached
  (``-n5``) or the next word; long options may be abbreviated to a unique
  prefix and take ``--name=value`` or ``--name value``; ``--`` ends the
  options; with ``permute`` operands and options may be mixed, otherwise the
  first operand ends the options (getopt's ``+`` mode). Error messages are
  glibc's, followed by ``Try 'NAME --help' for more information.``.
* ``usage_error`` prints such a message and exits with the given status.
* ``open_input`` opens an operand for reading in binary (``-`` is stdin).
* ``quote`` quotes a file name as GNU's ``quote()`` does in the C locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from ..context import Context, ProgramExit

__all__ = [
    "UsageError",
    "close_input",
    "errno_message",
    "iter_lines",
    "open_input",
    "parse_args",
    "parse_size",
    "quote",
    "read_chunks",
    "try_help",
    "usage_error",
]

# A long option: its name maps to (key, argument): argument is "none",
# "required" or "optional". The key is what parse_args reports for it.
LongOpts = dict[str, tuple[str, str]]


class UsageError(Exception):
    """A command-line error: ``message`` is printed after ``NAME: ``."""


def quote(name: str) -> str:
    """``'name'`` as GNU prints a file name in messages (C locale)."""
    if "'" in name:
        return "'" + name.replace("'", "'\\''") + "'"
    return f"'{name}'"


def try_help(ctx: Context) -> None:
    """Print GNU's pointer to ``--help``."""
    ctx.stderr.write(f"Try '{ctx.name} --help' for more information.\n".encode())


def usage_error(ctx: Context, message: str | None, status: int) -> ProgramExit:
    """Print ``message`` (if any) and the ``--help`` hint; return the exit to raise."""
    if message is not None:
        ctx.error(message)
    try_help(ctx)
    return ProgramExit(status)


def _long_match(name: str, longs: LongOpts) -> str:
    if name in longs:
        return name
    found = [n for n in longs if n.startswith(name)]
    if not found:
        raise UsageError(f"unrecognized option '--{name}'")
    keys = {longs[n] for n in found}
    if len(keys) > 1:
        poss = " ".join(f"'--{n}'" for n in found)
        raise UsageError(f"option '--{name}' is ambiguous; possibilities: {poss}")
    return found[0]


def parse_args(
    args: list[str],
    short: str,
    longs: LongOpts | None = None,
    *,
    permute: bool = True,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split ``args`` (argv without argv[0]) into options and operands.

    ``short`` is a getopt string (``"n:c:qv"``; ``::`` marks an optional
    argument). Returns ``([(key, value)], operands)``; a short option's key is
    its letter, a long option's key the one in ``longs``. Raises
    ``UsageError``.
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
            body = arg[2:]
            name, eq, value = body.partition("=")
            full = _long_match(name, longs)
            key, kind = longs[full]
            if kind == "none":
                if eq:
                    raise UsageError(f"option '--{full}' doesn't allow an argument")
                opts.append((key, None))
            elif kind == "optional":
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
            j = 1
            while j < len(arg):
                ch = arg[j]
                pos = short.find(ch)
                if pos < 0 or ch == ":":
                    raise UsageError(f"invalid option -- '{ch}'")
                takes = short[pos + 1 : pos + 2] == ":"
                optional = short[pos + 1 : pos + 3] == "::"
                if not takes:
                    opts.append((ch, None))
                    j += 1
                    continue
                rest = arg[j + 1 :]
                if rest:
                    opts.append((ch, rest))
                elif optional:
                    opts.append((ch, None))
                else:
                    if i >= n:
                        raise UsageError(f"option requires an argument -- '{ch}'")
                    opts.append((ch, args[i]))
                    i += 1
                break
            continue
        if not permute:
            operands.append(arg)
            operands.extend(args[i:])
            break
        operands.append(arg)
    return opts, operands


def errno_message(ctx: Context, e: OSError) -> str:
    """The strerror text of an ``OSError``."""
    if e.errno is None:
        return str(e.strerror or e)
    text: str = ctx.os.strerror(e.errno)
    return text


def open_input(ctx: Context, name: str) -> IO[bytes]:
    """Open operand ``name`` for binary reading; ``-`` is standard input.

    Raises ``OSError`` as the open does; a directory opens (reading it then
    fails with EISDIR), as open(2) allows on Linux.
    """
    if name == "-":
        return ctx.stdin
    try:
        f: IO[bytes] = ctx.os.open_file(name, "rb")
    except IsADirectoryError:
        return cast("IO[bytes]", _DirectoryReader())
    return f


class _DirectoryReader:
    """Stands for an opened directory: every read fails with EISDIR."""

    def read(self, size: int = -1) -> bytes:
        raise IsADirectoryError(21, "Is a directory")

    read1 = read

    def readline(self, size: int = -1) -> bytes:
        raise IsADirectoryError(21, "Is a directory")

    def close(self) -> None:
        pass

    def __iter__(self) -> Iterator[bytes]:
        raise IsADirectoryError(21, "Is a directory")


def read_chunks(f: Any, size: int = 65536) -> Iterator[bytes]:
    """Yield what ``f`` gives, as soon as it is available (``read1``)."""
    reader = getattr(f, "read1", None) or f.read
    while True:
        chunk = reader(size)
        if not chunk:
            return
        yield chunk


def close_input(ctx: Context, f: Any) -> None:
    """Close ``f`` unless it is standard input."""
    if f is not ctx.stdin:
        f.close()


def iter_lines(chunks: Iterable[bytes], delim: bytes = b"\n") -> Iterator[bytes]:
    """Split a stream of chunks into lines, each keeping its delimiter
    (the last one may lack it)."""
    pending = b""
    for chunk in chunks:
        if pending:
            chunk = pending + chunk
        parts = chunk.split(delim)
        pending = parts.pop()
        for p in parts:
            yield p + delim
    if pending:
        yield pending


UINTMAX = 2**64 - 1
_POWERS = {"k": 1, "K": 1, "M": 2, "m": 2, "G": 3, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8}


def parse_size(text: str) -> int | None:
    """A count as GNU's ``xstrtoumax`` reads it with size suffixes: leading
    blanks, an optional ``+``, decimal digits, then ``b`` (512), ``K``/``KiB``
    (1024), ``KB`` (1000), ``M``, ``G``... Returns None when invalid; raises
    ``OverflowError`` past 2**64-1."""
    s = text.lstrip(" \t\n\v\f\r")
    if s.startswith("+"):
        s = s[1:]
    digits = len(s) - len(s.lstrip("0123456789"))
    if digits == 0:
        return None
    value = int(s[:digits])
    suffix = s[digits:]
    if suffix:
        letter, rest = suffix[0], suffix[1:]
        if letter == "b" and not rest:
            value *= 512
        elif letter in _POWERS and rest in ("", "iB", "B"):
            base = 1000 if rest == "B" else 1024
            value *= base ** _POWERS[letter]
        else:
            return None
    if value > UINTMAX:
        raise OverflowError
    return value
