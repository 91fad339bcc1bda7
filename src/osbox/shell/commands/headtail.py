"""``head`` and ``tail``, as GNU coreutils 9 behave in the C locale.

head: ``-n [-]N``, ``-c [-]N`` (size suffixes), ``-q``, ``-v``, ``-z`` and the
obsolete ``-N[bkm][cl][qvz]`` first argument. tail: ``-n [+]N``, ``-c [+]N``,
``-q``, ``-v``, ``-z``, ``-f``/``-F`` (follow a regular file by polling every
``-s`` seconds), and the obsolete ``[-+]N[bcl][f]`` form. Both stream their
input: neither keeps more than the last N lines or bytes.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import Any

from ..context import Context, ProgramExit
from ..registry import program
from ._errors import strerror
from ._inputs import close_input, iter_lines, open_input, read_chunks
from ._options import UsageError, parse_options, usage_error
from ._quote import cquote, quote
from ._sizes import parse_size

_HEAD_LONGS = {
    "bytes": ("c", 1),
    "lines": ("n", 1),
    "quiet": ("q", 0),
    "silent": ("q", 0),
    "verbose": ("v", 0),
    "zero-terminated": ("z", 0),
}
_TAIL_LONGS = dict(
    _HEAD_LONGS,
    follow=("f", 2),
    retry=("retry", 0),
    pid=("pid", 1),
    **{"sleep-interval": ("s", 1), "max-unchanged-stats": ("m", 1)},
)


class _Spec:
    """What to print: ``count`` lines (or bytes), from the end or start."""

    def __init__(self) -> None:
        self.bytes = False
        self.count = 10
        self.special = False  # head: all but the last N; tail: from N on
        self.headers: bool | None = None
        self.delim = b"\n"


def _count(ctx: Context, spec: _Spec, value: str, unit: str, sign: str) -> None:
    spec.bytes = unit == "bytes"
    text = value
    spec.special = False
    if text.startswith(sign):
        spec.special = True
        if sign == "-":
            text = text[1:]
    elif text.startswith("-"):
        text = text[1:]
    try:
        n = parse_size(text)
    except OverflowError:
        ctx.error(
            f"invalid number of {unit}: {cquote(text)}: Value too large for defined data type"
        )
        raise _exit(1) from None
    if n is None:
        ctx.error(f"invalid number of {unit}: {cquote(text)}")
        raise _exit(1)
    spec.count = n


def _exit(status: int) -> ProgramExit:
    return ProgramExit(status)


def _parse(ctx: Context, args: list[str], tail: bool) -> tuple[_Spec, list[str], dict[str, Any]]:
    spec = _Spec()
    extra: dict[str, Any] = {"follow": False, "sleep": 1.0}
    sign = "+" if tail else "-"
    obsolete = (
        re.fullmatch(
            r"([-+])(\d*)([bkmcl]?)([qvzf]*)" if not tail else r"([-+])(\d*)([bcl]?)(f?)", args[0]
        )
        if args
        else None
    )
    if obsolete and (tail and len(args) <= 2 or not tail and obsolete.group(1) == "-"):
        mark, digits, unit, flags = obsolete.groups()
        if tail and mark == "-" and not digits and not unit and not flags:
            obsolete = None  # "tail -" is stdin
        elif tail or digits:
            n = int(digits) if digits else 10
            if unit in ("b", "k", "m"):
                n *= {"b": 512, "k": 1024, "m": 1048576}[unit]
            spec.bytes = unit in ("b", "k", "m", "c")
            spec.count = n
            spec.special = tail and mark == "+"
            for ch in flags:
                if ch == "q":
                    spec.headers = False
                elif ch == "v":
                    spec.headers = True
                elif ch == "z":
                    spec.delim = b"\0"
                elif ch == "f":
                    extra["follow"] = True
            args = args[1:]
        else:
            obsolete = None
    short = "c:n:qvzfFs:0123456789" if tail else "c:n:qvz0123456789"
    try:
        opts, operands = parse_options(args, short, _TAIL_LONGS if tail else _HEAD_LONGS)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    for key, value in opts:
        if key in ("c", "n"):
            assert value is not None
            _count(ctx, spec, value, "bytes" if key == "c" else "lines", sign)
        elif key == "q":
            spec.headers = False
        elif key == "v":
            spec.headers = True
        elif key == "z":
            spec.delim = b"\0"
        elif key in ("f", "F"):
            extra["follow"] = True
        elif key == "s":
            assert value is not None
            try:
                extra["sleep"] = float(value)
            except ValueError:
                ctx.error(f"invalid number of seconds: {cquote(value)}")
                raise _exit(1) from None
        elif key.isdigit():
            ctx.error(f"option used in invalid context -- {key}")
            raise _exit(1)
    return spec, operands, extra


def _head_stream(f: Any, spec: _Spec) -> Iterator[bytes]:
    chunks = read_chunks(f)
    if spec.bytes:
        if spec.special:
            keep = spec.count
            buf = b""
            for chunk in chunks:
                buf += chunk
                if len(buf) > keep:
                    cut = len(buf) - keep
                    yield buf[:cut]
                    buf = buf[cut:]
            return
        left = spec.count
        while left > 0:
            chunk = f.read1(min(left, 65536)) if hasattr(f, "read1") else f.read(left)
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
        return
    lines = iter_lines(chunks, spec.delim)
    if spec.special:
        held: deque[bytes] = deque()
        for line in lines:
            held.append(line)
            if len(held) > spec.count:
                yield held.popleft()
        return
    if spec.count == 0:
        return
    left = spec.count
    for line in lines:
        yield line
        left -= 1
        if left == 0:
            return


def _tail_stream(f: Any, spec: _Spec) -> Iterator[bytes]:
    chunks = read_chunks(f)
    if spec.special:  # from line/byte N on
        skip = max(spec.count - 1, 0)
        if spec.bytes:
            for chunk in chunks:
                if skip >= len(chunk):
                    skip -= len(chunk)
                    continue
                yield chunk[skip:]
                skip = 0
            return
        pending = b""
        for chunk in chunks:
            if skip == 0:
                if pending:
                    yield pending
                    pending = b""
                yield chunk
                continue
            data = pending + chunk
            pos = 0
            while skip > 0:
                nl = data.find(spec.delim, pos)
                if nl < 0:
                    break
                pos = nl + 1
                skip -= 1
            pending = data[pos:] if skip > 0 else b""
            if skip == 0 and pos < len(data):
                yield data[pos:]
        return
    if spec.bytes:
        keep = spec.count
        buf = b""
        for chunk in chunks:
            buf = (buf + chunk)[-keep:] if keep else b""
        yield buf
        return
    held: deque[bytes] = deque(maxlen=spec.count) if spec.count else deque(maxlen=0)
    held.extend(iter_lines(chunks, spec.delim))
    yield from held


def _tail_seekable(ctx: Context, f: Any, spec: _Spec) -> bytes | None:
    """The last N lines/bytes of a regular file, read backwards from its end."""
    if spec.special or f is ctx.stdin:
        return None
    try:
        import stat

        st = ctx.os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None
        end = f.seek(0, 2)
    except (OSError, AttributeError, ValueError):
        return None
    if spec.bytes:
        start = max(end - spec.count, 0)
        f.seek(start)
        data: bytes = f.read(end - start)
        return data
    if spec.count == 0:
        return b""
    pos = end
    data = b""
    while pos > 0:
        step = min(65536, pos)
        pos -= step
        f.seek(pos)
        data = f.read(step) + data
        body = data[:-1] if data.endswith(spec.delim) else data
        if body.count(spec.delim) >= spec.count:
            break
    body_end = len(data) - 1 if data.endswith(spec.delim) else len(data)
    cut = body_end
    for _ in range(spec.count):
        cut = data.rfind(spec.delim, 0, cut)
        if cut < 0:
            return data if pos == 0 else data
    return data[cut + 1 :]


def _run(ctx: Context, tail: bool) -> int:
    spec, operands, extra = _parse(ctx, ctx.argv[1:], tail)
    files = operands or ["-"]
    headers = spec.headers if spec.headers is not None else len(files) > 1
    out = ctx.stdout
    status = 0
    first = True
    followed: list[tuple[str, Any]] = []
    for name in files:
        shown = "standard input" if name == "-" else name
        try:
            f = open_input(ctx, name)
        except OSError as e:
            ctx.error(f"cannot open {quote(shown)} for reading: {strerror(e)}")
            status = 1
            continue
        if headers:
            out.write(
                ("" if first else "\n").encode()
                + f"==> {shown} <==\n".encode("utf-8", "surrogateescape")
            )
        first = False
        try:
            if tail:
                fast = _tail_seekable(ctx, f, spec)
                if fast is not None:
                    out.write(fast)
                else:
                    for piece in _tail_stream(f, spec):
                        out.write(piece)
            else:
                for piece in _head_stream(f, spec):
                    out.write(piece)
        except OSError as e:
            ctx.error(f"error reading {quote(shown)}: {strerror(e)}")
            status = 1
        if tail and extra["follow"] and name != "-":
            followed.append((name, f))
        else:
            close_input(ctx, f)
    if followed:
        _follow(ctx, followed, extra["sleep"])
    return status


def _follow(ctx: Context, files: list[tuple[str, Any]], interval: float) -> None:
    """``tail -f``: print what is appended to the files until killed."""
    while True:
        ctx.flush()
        ctx.sleep(interval)
        for _name, f in files:
            data = f.read()
            if data:
                ctx.stdout.write(data)


@program("head")
def head_main(ctx: Context) -> int:
    """head [OPTION]... [FILE]..."""
    return _run(ctx, tail=False)


@program("tail")
def tail_main(ctx: Context) -> int:
    """tail [OPTION]... [FILE]..."""
    return _run(ctx, tail=True)
