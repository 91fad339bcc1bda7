"""``true`` and ``false`` (GNU coreutils): exit 0 or 1, ignoring arguments.

As GNU, a sole ``--help`` or ``--version`` argument prints text and exits 0
for ``true`` (``false`` still exits 1).
"""

from __future__ import annotations

from ..context import Context
from ..registry import program


def _info(ctx: Context) -> bool:
    if len(ctx.argv) == 2 and ctx.argv[1] in ("--help", "--version"):
        name = ctx.name
        if ctx.argv[1] == "--version":
            ctx.stdout.write(f"{name} (GNU coreutils) 9.1\n".encode())
        else:
            status = "success" if name == "true" else "failure"
            ctx.stdout.write(
                f"Usage: {ctx.argv[0]} [ignored command line arguments]\n"
                f"  or:  {ctx.argv[0]} OPTION\n"
                f"Exit with a status code indicating {status}.\n\n"
                "      --help        display this help and exit\n"
                "      --version     output version information and exit\n\n"
                f"NOTE: your shell may have its own version of {name}, which usually supersedes\n"
                "the version described here.  Please refer to your shell's documentation\n"
                "for details about the options it supports.\n\n"
                "GNU coreutils online help: <https://www.gnu.org/software/coreutils/>\n"
                "Report any translation bugs to <https://translationproject.org/team/>\n"
                f"Full documentation <https://www.gnu.org/software/coreutils/{name}>\n"
                f"or available locally via: info '(coreutils) {name} invocation'\n".encode()
            )
        return True
    return False


@program("true")
def true_main(ctx: Context) -> int:
    """true [ignored arguments]"""
    _info(ctx)
    return 0


@program("false")
def false_main(ctx: Context) -> int:
    """false [ignored arguments]"""
    _info(ctx)
    return 1
