"""which: locate a command in PATH (Debian's ``which`` script, debianutils).

``which [-a] NAME...`` prints the path of the first executable regular file
named NAME in each PATH directory (all of them with -a); a NAME holding a
``/`` is checked as is. Nothing is printed for a missing command. Exit
status 0 if every NAME was found, 1 otherwise, 2 for a bad option.
"""

from __future__ import annotations

import stat

from ..context import Context
from ..registry import program


def _executable(ctx: Context, path: str) -> bool:
    vos = ctx.os
    try:
        st = vos.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and bool(vos.access(path, vos.X_OK))


@program("which")
def main(ctx: Context) -> int:
    args = ctx.argv[1:]
    all_matches = False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0)
        if a == "--":
            break
        for c in a[1:]:
            if c == "a":
                all_matches = True
            else:
                ctx.stderr.write(b"Usage: which [-a] args\n")
                return 2
    if not args:
        return 1
    path = ctx.os.environ.get("PATH", "")
    status = 0
    out = ctx.stdout
    for name in args:
        found = False
        if "/" in name:
            if _executable(ctx, name):
                out.write(name.encode("utf-8", "surrogateescape") + b"\n")
                found = True
        else:
            for d in path.split(":"):
                cand = (d or ".") + "/" + name
                if _executable(ctx, cand):
                    out.write(cand.encode("utf-8", "surrogateescape") + b"\n")
                    found = True
                    if not all_matches:
                        break
        if not found:
            status = 1
    return status
