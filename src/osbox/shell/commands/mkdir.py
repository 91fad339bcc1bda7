"""``mkdir`` (GNU coreutils): ``-p``, ``-m MODE``, ``-v``.

``-m`` sets the final directory's mode exactly (symbolic modes apply to
``a=rwx``); ``-p`` makes missing parents with ``u+wx`` on top of the umask
and accepts an existing directory.
"""

from __future__ import annotations

import errno
import stat as st

from ..context import Context
from ..registry import program
from ._errors import strerror
from ._modes import adjust, compile_mode
from ._options import UsageError, parse_options, usage
from ._quote import cquote, enc, quote

__all__ = ["main"]


@program("mkdir")
def main(ctx: Context) -> int:
    longs = {"parents": ("p", 0), "mode": ("m", 1), "verbose": ("v", 0)}
    try:
        opts, operands = parse_options(ctx.argv[1:], "pm:v", longs)
    except UsageError as e:
        return usage(ctx, str(e))
    parents = any(k == "p" for k, _ in opts)
    verbose = any(k == "v" for k, _ in opts)
    spec = next((v for k, v in reversed(opts) if k == "m"), None)
    vos = ctx.os
    umask = vos.umask(0)
    vos.umask(umask)
    mode: int | None = None
    if spec is not None:
        changes = compile_mode(spec)
        if changes is None:
            ctx.error(f"invalid mode {cquote(spec)}")
            return 1
        mode = adjust(0o777, True, umask, changes)
    if not operands:
        return usage(ctx, "missing operand")

    def made(path: str) -> None:
        if verbose:
            ctx.stdout.write(enc(f"mkdir: created directory {quote(path)}\n"))

    status = 0
    for path in operands:
        try:
            if parents:
                comps = path.split("/")
                for i in range(1, len(comps)):
                    prefix = "/".join(comps[:i])
                    if not prefix.strip("/") or comps[i - 1] in ("", ".", ".."):
                        continue
                    try:
                        vos.mkdir(prefix, (0o777 & ~umask) | 0o300)
                        made(prefix)
                    except OSError as e:
                        if e.errno != errno.EEXIST:
                            raise _At(prefix, e) from e
                        if not st.S_ISDIR(vos.stat(prefix).st_mode):
                            raise _At(prefix, NotADirectoryError(errno.ENOTDIR, "")) from e
            try:
                vos.mkdir(path, 0o777)
            except OSError as e:
                if parents and e.errno == errno.EEXIST and vos.path.isdir(path):
                    continue
                raise _At(path, e) from e
            made(path)
            if mode is not None:
                vos.chmod(path, mode)
        except _At as a:
            ctx.error(f"cannot create directory {cquote(a.path)}: {strerror(a.err)}")
            status = 1
        except OSError as e:
            ctx.error(f"cannot create directory {cquote(path)}: {strerror(e)}")
            status = 1
    return status


class _At(Exception):
    def __init__(self, path: str, err: OSError) -> None:
        super().__init__(path)
        self.path = path
        self.err = err
