"""Reading input operands as GNU text utilities do.

* ``open_input`` opens an operand for reading in binary (``-`` is standard
  input; a directory opens, and reading it fails with EISDIR, as on Linux);
  ``close_input`` closes it unless it is standard input.
* ``read_chunks`` yields what a stream gives as soon as it is available;
  ``iter_lines`` splits chunks into delimited lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from ..context import Context

__all__ = ["close_input", "iter_lines", "open_input", "read_chunks"]


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
