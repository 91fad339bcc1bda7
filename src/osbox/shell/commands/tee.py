"""``tee``: copy standard input to standard output and files (GNU coreutils 9.1).

Options ``-a``/``--append``, ``-i``/``--ignore-interrupts`` (no effect
here), ``-p`` and ``--output-error[=MODE]`` (a broken standard output ends
the copy to it but not to the files). Data is passed on as soon as it
arrives, unbuffered, as GNU does.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._inputs import read_chunks
from ._options import UsageError, parse_options, usage_error

_LONGS = {
    "append": ("a", 0),
    "ignore-interrupts": ("i", 0),
    "output-error": ("p", 2),
}


@program("tee")
def main(ctx: Context) -> int:
    """tee [OPTION]... [FILE]..."""
    try:
        opts, operands = parse_options(ctx.argv[1:], "aip", _LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    mode = "ab" if any(k == "a" for k, _ in opts) else "wb"
    status = 0
    outputs: list[tuple[str, Any]] = [("standard output", ctx.stdout)]
    for name in operands:
        try:
            outputs.append((name, ctx.os.open_file(name, mode, buffering=0)))
        except OSError as e:
            ctx.error(f"{name}: {strerror(e)}")
            status = 1
    live = list(outputs)
    try:
        for chunk in read_chunks(ctx.stdin):
            for entry in list(live):
                name, f = entry
                try:
                    f.write(chunk)
                    if f is ctx.stdout:
                        f.flush()
                except BrokenPipeError:
                    live.remove(entry)
                except OSError as e:
                    ctx.error(f"{name}: {strerror(e)}")
                    status = 1
                    live.remove(entry)
    except OSError as e:
        ctx.error(f"read error: {strerror(e)}")
        status = 1
    for _name, f in outputs:
        if f is not ctx.stdout:
            try:
                f.close()
            except OSError as e:
                ctx.error(f"{_name}: {strerror(e)}")
                status = 1
    return status
