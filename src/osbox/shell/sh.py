"""The ``sh`` program (also ``dash`` and ``bash``): dash 0.5.12's command line.

``sh -c CMD [NAME [ARG...]]``, ``sh SCRIPT [ARG...]``, ``sh [-s] [ARG...]``
(commands from standard input); options ``-e -u -x -v -f -n -a -C`` and
``-o NAME`` before them. Errors before any command runs are reported with
line 0 (``sh: 0: cannot open X: No such file``), status 2. Invoked as
``bash``, ``source`` is also accepted for ``.``.
"""

from __future__ import annotations

from .builtins import LONG_OPTS
from .context import Context
from .interp import OPT_ORDER, Shell
from .redirect import errmsg
from .registry import program

__all__ = ["sh_main"]

_LETTERS = OPT_ORDER + "csi"


def _fail(ctx: Context, msg: str) -> int:
    ctx.stderr.write(f"{ctx.argv[0] if ctx.argv else 'sh'}: 0: {msg}\n".encode())
    return 2


@program("sh", "bash", "dash")
def sh_main(ctx: Context) -> int:
    argv = ctx.argv
    name = argv[0] if argv else "sh"
    opts: dict[str, bool] = {}
    command = False
    from_stdin = False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--", "-"):
            i += 1
            break
        if len(a) < 2 or a[0] not in "-+":
            break
        on = a[0] == "-"
        for c in a[1:]:
            if c == "c":
                command = True
            elif c == "s":
                from_stdin = True
            elif c == "i":
                pass
            elif c == "o":
                i += 1
                names = dict(LONG_OPTS)
                if i >= len(argv) or argv[i] not in names:
                    return _fail(ctx, f"Illegal option -o {argv[i] if i < len(argv) else ''}")
                if names[argv[i]]:
                    opts[names[argv[i]]] = on
            elif c in OPT_ORDER:
                opts[c] = on
            else:
                return _fail(ctx, f"Illegal option {a[0]}{c}")
        i += 1
    rest = argv[i:]
    arg0 = name
    if command:
        if not rest:
            return _fail(ctx, "-c requires an argument")
        src = rest[0]
        if len(rest) > 1:
            arg0 = rest[1]
        args = rest[2:]
    elif rest and not from_stdin:
        path = rest[0]
        try:
            with ctx.os.open_file(path, "rb") as f:
                src = f.read().decode("utf-8", "surrogateescape")
        except OSError as e:
            return _fail(ctx, f"cannot open {path}: {errmsg(e, 'open')}")
        arg0 = path
        args = rest[1:]
    else:
        chunks: list[bytes] = []
        while True:
            data = ctx.os.read(0, 65536)
            if not data:
                break
            chunks.append(data)
        src = b"".join(chunks).decode("utf-8", "surrogateescape")
        args = rest
    shell = Shell(ctx, arg0, args)
    shell.bash = ctx.name == "bash"
    shell.opts.update(opts)
    return shell.main(src)
