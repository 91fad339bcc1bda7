"""xargs: build and run command lines from standard input (GNU findutils 4.9).

Options -0, -d DELIM, -n MAX-ARGS, -L MAX-LINES, -I REPLACE (-i), -r, -t,
-E EOF, -s SIZE, -x. Input items are blank-separated with '...', "..."
and backslash quoting unless -0 or -d is given. Exit status: 0; 123 if a
command exited 1-125; 124 if one exited 255 (xargs stops); 125 if one was
killed by a signal; 126/127 if the command could not run / was not found;
1 on bad input (unmatched quote).
"""

from __future__ import annotations

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._options import NO_ARG, OPTIONAL, REQUIRED, LongOpts, UsageError, parse_options, usage_error
from ._quote import BACKSLASH_ESCAPES, cquote
from .runcmd import CANNOT_RUN, NOT_FOUND, run_command

_MAX_CHARS = 131072 - 2048
_ARG_MAX = 2097152 - 2048
_BLANKS = " \t\n"


class _InputError(Exception):
    pass


def _quoted_items(text: str, eof: str | None) -> tuple[list[tuple[str, int]], str | None]:
    """Blank-separated items with quoting; each paired with its input line
    number and whether the line ends there (for -L). Returns items and an
    error message if the input ended inside a quote."""
    items: list[tuple[str, int]] = []
    cur: list[str] = []
    have = False
    quote = ""
    line = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        i += 1
        if quote:
            if c == quote:
                quote = ""
            elif c == "\n":
                kind = "single" if quote == "'" else "double"
                return items, (
                    f"unmatched {kind} quote; by default quotes are special to "
                    "xargs unless you use the -0 option"
                )
            else:
                cur.append(c)
            continue
        if c in _BLANKS:
            if have:
                word = "".join(cur)
                if eof is not None and word == eof:
                    return items, None
                items.append((word, line))
                cur, have = [], False
            if c == "\n":
                line += 1
            continue
        have = True
        if c in "'\"":
            quote = c
        elif c == "\\" and i < n:
            cur.append(text[i])
            i += 1
        else:
            cur.append(c)
    if quote:
        kind = "single" if quote == "'" else "double"
        return items, (
            f"unmatched {kind} quote; by default quotes are special to xargs "
            "unless you use the -0 option"
        )
    if have:
        word = "".join(cur)
        if eof is None or word != eof:
            items.append((word, line))
    return items, None


def _lines_for_L(text: str) -> list[list[str]]:
    """Logical lines for -L: a line ending in a blank continues on the next;
    blank lines are skipped."""
    groups: list[list[str]] = []
    cur: list[str] = []
    for raw in text.split("\n"):
        items, _ = _quoted_items(raw, None)
        if not items:
            continue
        cur.extend(w for w, _ in items)
        if raw.endswith((" ", "\t")):
            continue
        if cur:
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def _decode_delim(d: str) -> str:
    esc = BACKSLASH_ESCAPES
    if len(d) == 2 and d[0] == "\\" and d[1] in esc:
        return esc[d[1]]
    if d.startswith("\\x"):
        return chr(int(d[2:], 16))
    if d.startswith("\\") and d[1:].isdigit():
        return chr(int(d[1:], 8))
    return d


_SHORT = "+0a:E:e::i::I:l::L:n:prs:txP:d:"
_LONGS: LongOpts = {
    "null": ("0", NO_ARG),
    "arg-file": ("a", REQUIRED),
    "delimiter": ("d", REQUIRED),
    "eof": ("e", OPTIONAL),
    "replace": ("i", OPTIONAL),
    "max-lines": ("l", OPTIONAL),
    "max-args": ("n", REQUIRED),
    "open-tty": ("o", NO_ARG),
    "interactive": ("p", NO_ARG),
    "no-run-if-empty": ("r", NO_ARG),
    "max-chars": ("s", REQUIRED),
    "verbose": ("t", NO_ARG),
    "exit": ("x", NO_ARG),
    "max-procs": ("P", REQUIRED),
}


def _number(ctx: Context, opt: str, text: str, low: int, high: int | None = None) -> int:
    """An option's number as xargs' ``parse_num`` reads it (``strtol``): an
    invalid one or one below ``low`` is fatal, except that ``-s`` out of
    range is only a warning and takes the nearest limit."""
    body = text.lstrip(" \t\n\v\f\r")
    digits = body[1:] if body[:1] in "+-" else body
    if not digits.isdigit():
        raise usage_error(ctx, f'invalid number "{text}" for -{opt} option', 1)
    value = int(body)
    if value < low:
        if opt != "s":
            raise usage_error(ctx, f"value {value} for -{opt} option should be >= {low}", 1)
        ctx.error(f"value {value} for -{opt} option should be >= {low}")
        return low
    if high is not None and value > high:
        ctx.error(f"value {value} for -{opt} option should be <= {high}")
        return high
    return value


@program("xargs")
def main(ctx: Context) -> int:
    delim: str | None = None
    max_args = 0
    max_lines = 0
    replace: str | None = None
    no_empty = False
    trace = False
    eof: str | None = None
    max_chars = _MAX_CHARS
    arg_file: str | None = None
    try:
        opts, args = parse_options(ctx.argv[1:], _SHORT[1:], _LONGS, permute=False)
    except UsageError as e:
        raise usage_error(ctx, str(e), 1) from None
    for c, val in opts:
        if c == "0":
            delim = "\0"
        elif c == "d":
            delim = _decode_delim(val or "")
            if len(delim) != 1 and delim[:1] == "\\" and delim[1:2] not in "x01234567":
                ctx.error(f"Invalid escape sequence {delim[:2]} in input delimiter specification.")
                return 1
            if len(delim) != 1:
                ctx.error(
                    f"Invalid input delimiter specification {val}: the delimiter must be "
                    "either a single character or an escape sequence starting with \\."
                )
                return 1
        elif c == "n":
            max_args = _number(ctx, c, val or "", 1)
            max_lines = 0
        elif c in "Ll":
            max_lines = _number(ctx, c, val, 1) if val is not None else 1
            max_args = 0
        elif c in "Ii":
            replace = val if val else "{}"
            max_lines = 1
        elif c in "Ee":
            eof = val if val else None
        elif c == "s":
            max_chars = _number(ctx, c, val or "", 1, _ARG_MAX)
        elif c == "a":
            arg_file = val
        elif c == "P":
            _number(ctx, c, val or "", 0)
        elif c == "r":
            no_empty = True
        elif c == "t":
            trace = True
    command = args or ["echo"]
    if sum(len(a) + 1 for a in command) > max_chars:
        ctx.error("cannot fit single argument within argument list size limit")
        return 1
    try:
        if arg_file is None:
            data = ctx.stdin.read()
        else:
            with ctx.os.open_file(arg_file, "rb") as f:
                data = f.read()
    except OSError as e:
        ctx.error(f"Cannot open input file {cquote(arg_file or '-')}: {strerror(e)}")
        return 1
    text = data.decode("utf-8", "surrogateescape")

    bad_input: str | None = None
    overlong = False
    groups: list[list[str]]
    if delim is not None:
        items = text.split(delim)
        if items and items[-1] == "":
            items.pop()
        if replace is not None:
            groups = [[x] for x in items]
        elif max_lines:
            groups = [items[k : k + max_lines] for k in range(0, len(items), max_lines)]
        else:
            groups, overlong = _chunks(items, command, max_args, max_chars)
    elif replace is not None:
        groups = []
        for raw in text.split("\n"):
            s = raw.lstrip(" \t")
            if eof is not None and s == eof:
                break
            if s:
                groups.append([_unquote_line(s)])
    elif max_lines:
        lines = _lines_for_L(text)
        groups = [sum(lines[k : k + max_lines], []) for k in range(0, len(lines), max_lines)]
    else:
        its, bad_input = _quoted_items(text, eof)
        groups, overlong = _chunks([w for w, _ in its], command, max_args, max_chars)

    status = 0
    if not groups and not no_empty and replace is None and not overlong:
        groups = [[]]
    for g in groups:
        if replace is not None:
            arg = g[0] if g else ""
            argv = [a.replace(replace, arg) for a in command]
        else:
            argv = command + g
        if trace:
            ctx.stderr.write((" ".join(argv) + "\n").encode("utf-8", "surrogateescape"))
            ctx.stderr.flush()
        code, signalled = run_command(ctx, argv, quote=False)
        if signalled:
            ctx.error(f"{argv[0]}: terminated by signal {code - 128}")
            return 125
        if code in (NOT_FOUND, CANNOT_RUN):
            return code
        if code == 255:
            ctx.error(f"{argv[0]}: exited with status 255; aborting")
            return 124
        if code != 0:
            status = 123
    if bad_input is None and overlong:
        bad_input = "argument line too long"
    if bad_input is not None:
        ctx.error(bad_input)
        return 1
    return status


def _unquote_line(s: str) -> str:
    """An -I input line: quotes and backslashes removed, inner blanks kept."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(s):
        c = s[i]
        i += 1
        if quote:
            if c == quote:
                quote = ""
            else:
                out.append(c)
        elif c in "'\"":
            quote = c
        elif c == "\\" and i < len(s):
            out.append(s[i])
            i += 1
        else:
            out.append(c)
    return "".join(out)


def _chunks(
    items: list[str], command: list[str], max_args: int, max_chars: int
) -> tuple[list[list[str]], bool]:
    """The items in command lines of at most ``max_args`` items and
    ``max_chars`` bytes (each argument counts its length plus one); stops at
    an item that cannot fit even alone (then True: "argument line too long")."""
    base = sum(len(a) + 1 for a in command)
    groups: list[list[str]] = []
    cur: list[str] = []
    size = base
    for it in items:
        need = len(it) + 1
        if base + need > max_chars:
            if cur:
                groups.append(cur)
            return groups, True
        if cur and ((max_args and len(cur) >= max_args) or size + need > max_chars):
            groups.append(cur)
            cur, size = [], base
        cur.append(it)
        size += need
    if cur:
        groups.append(cur)
    return groups, False
