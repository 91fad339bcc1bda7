"""Helpers shared by the file commands (GNU coreutils conventions).

* ``quote``/``quotef``: gnulib quotearg's ``shell-escape-always`` and
  ``shell-escape`` styles in the C locale, which coreutils uses to print file
  names in diagnostics (``'a b'``, ``"it's"``, ``'a'$'\\n''b'``).
* ``parse_options``: ``getopt_long`` with GNU argument permutation.
* ``human``: ``human_readable`` with ``-h`` (powers of 1024, rounded up).
* ``Names``: uid/gid names from the machine's ``/etc/passwd`` and ``/etc/group``.
"""

from __future__ import annotations

import os as _os  # only os.strerror, a pure message table
import time
from typing import Any

from ..context import Context

__all__ = [
    "Names",
    "UsageError",
    "cquote",
    "enc",
    "fail",
    "human",
    "now_ns",
    "parse_options",
    "quote",
    "quotef",
    "strerror",
    "usage",
]

_SPECIAL = set(" !\"$&'()*:;<=>?[\\^`|")
_START_SPECIAL = set("#~")
_C_ESCAPES = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r"}


def enc(name: str) -> bytes:
    """A file name as the bytes the kernel stores (``os.fsencode``)."""
    return name.encode("utf-8", "surrogateescape")


def _printable(b: int) -> bool:
    return 32 <= b < 127


def _needs_quoting(raw: bytes) -> bool:
    if not raw:
        return True
    if raw[0] in b"#~":
        return True
    return any(not _printable(b) or chr(b) in _SPECIAL for b in raw)


def quote(name: str, always: bool = True) -> str:
    """``name`` quoted as coreutils quotes file names in messages (C locale)."""
    raw = enc(name)
    if not always and not _needs_quoting(raw):
        return name
    has_ctrl = any(not _printable(b) for b in raw)
    if b"'" in raw and not has_ctrl and not any(c in raw for c in b'"$`\\'):
        return '"' + raw.decode("ascii") + '"'
    out = ["''"] if (has_ctrl and b"'" in raw) else []
    out.append("'")
    in_escape = False
    for b in raw:
        if _printable(b):
            if in_escape:
                out.append("''")
                in_escape = False
            out.append("'\\''" if b == 39 else chr(b))
        else:
            if not in_escape:
                out.append("'$'")
                in_escape = True
            esc = _C_ESCAPES.get(b)
            out.append("\\" + esc if esc else f"\\{b:03o}")
    out.append("'")
    return "".join(out)


def cquote(text: str) -> str:
    """gnulib ``quote()`` in the C locale (``'it\\'s'``, ``'a\\nb'``): what
    coreutils prints for operands that are not file names (modes, dates, users)
    and in a few file messages (``mkdir``)."""
    out = ["'"]
    for b in enc(text):
        if b in (39, 92):
            out.append("\\" + chr(b))
        elif _printable(b):
            out.append(chr(b))
        else:
            esc = _C_ESCAPES.get(b)
            out.append("\\" + esc if esc else f"\\{b:03o}")
    out.append("'")
    return "".join(out)


def quotef(name: str) -> str:
    """Quote ``name`` only when it needs it (coreutils' ``quotef``)."""
    return quote(name, always=False)


def strerror(e: OSError) -> str:
    """The C library message for ``e`` (``strerror(errno)``)."""
    if e.errno:
        return _os.strerror(e.errno)
    return str(e)


def now_ns() -> int:
    """The machine's clock (the kernel reads the host's wall clock)."""
    return time.time_ns()


def fail(ctx: Context, message: str) -> int:
    """Print ``NAME: message`` and return 1."""
    ctx.error(message)
    return 1


class UsageError(Exception):
    """A command-line error: the message without the program name."""


def usage(ctx: Context, message: str | None, status: int = 1) -> int:
    """Print a usage error as GNU does (message, then the ``Try`` line)."""
    if message:
        ctx.error(message)
    ctx.stderr.write(f"Try '{ctx.name} --help' for more information.\n".encode())
    return status


def parse_options(
    args: list[str],
    short: str,
    longs: dict[str, tuple[str, int]] | None = None,
    *,
    permute: bool = True,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU ``getopt_long``: return ``([(key, value)...], operands)``.

    ``short`` is a getopt string (``"am:"``); ``longs`` maps a long name to
    ``(key, has_arg)`` with has_arg 0 (none), 1 (required) or 2 (optional).
    Raises ``UsageError`` with GNU's message.
    """
    longs = longs or {}
    opts: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            operands.extend(args[i:])
            break
        if a.startswith("--"):
            body = a[2:]
            name, eq, value = body.partition("=")
            if name in longs:
                match = name
            else:
                cands = [n for n in longs if n.startswith(name)]
                keys = {longs[n] for n in cands}
                if not cands:
                    raise UsageError(f"unrecognized option '--{name}'")
                if len(keys) > 1:
                    poss = " ".join(f"'--{n}'" for n in cands)
                    raise UsageError(f"option '--{name}' is ambiguous; possibilities: {poss}")
                match = cands[0]
            key, has_arg = longs[match]
            if has_arg == 0 and eq:
                raise UsageError(f"option '--{match}' doesn't allow an argument")
            if has_arg == 1 and not eq:
                if i >= len(args):
                    raise UsageError(f"option '--{match}' requires an argument")
                value = args[i]
                i += 1
            opts.append((key, value if (eq or has_arg == 1) else None))
            continue
        if a.startswith("-") and a != "-":
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                pos = short.find(c)
                if pos < 0 or c == ":":
                    raise UsageError(f"invalid option -- '{c}'")
                if short[pos + 1 : pos + 2] == ":":
                    if j < len(a):
                        opts.append((c, a[j:]))
                    elif i < len(args):
                        opts.append((c, args[i]))
                        i += 1
                    else:
                        raise UsageError(f"option requires an argument -- '{c}'")
                    break
                opts.append((c, None))
            continue
        operands.append(a)
        if not permute:
            operands.extend(args[i:])
            break
    return opts, operands


def human(n: int) -> str:
    """``n`` bytes as ``ls -h``/``du -h``/``df -h`` print it (ceiling)."""
    if n < 1024:
        return str(n)
    units = "KMGTPEZY"
    for e, unit in enumerate(units, start=1):
        base = 1024**e
        tenths = -(-n * 10 // base)
        if tenths < 100:
            return f"{tenths // 10}.{tenths % 10}{unit}"
        whole = -(-n // base)
        if whole < 1024 or e == len(units):
            return f"{whole}{unit}"
    return str(n)  # pragma: no cover


class Names:
    """uid/gid <-> name maps read from the machine's passwd and group files."""

    def __init__(self, os: Any) -> None:
        self._os = os
        self._users: list[tuple[str, int, int]] | None = None
        self._groups: list[tuple[str, int]] | None = None
        self._uid_names: dict[int, str] | None = None
        self._gid_names: dict[int, str] | None = None

    def _read(self, path: str) -> list[list[str]]:
        try:
            with self._os.open_file(path, "rb") as f:
                data: bytes = f.read()
        except OSError:
            return []
        rows = []
        for line in data.decode("utf-8", "surrogateescape").splitlines():
            if line and not line.startswith("#"):
                rows.append(line.split(":"))
        return rows

    def users(self) -> list[tuple[str, int, int]]:
        if self._users is None:
            self._users = []
            for r in self._read("/etc/passwd"):
                if len(r) >= 4 and r[2].isdigit() and r[3].isdigit():
                    self._users.append((r[0], int(r[2]), int(r[3])))
        return self._users

    def groups(self) -> list[tuple[str, int]]:
        if self._groups is None:
            self._groups = []
            for r in self._read("/etc/group"):
                if len(r) >= 3 and r[2].isdigit():
                    self._groups.append((r[0], int(r[2])))
        return self._groups

    def user_name(self, uid: int) -> str | None:
        if self._uid_names is None:
            self._uid_names = {}
            for n, u, _ in self.users():
                self._uid_names.setdefault(u, n)
        return self._uid_names.get(uid)

    def group_name(self, gid: int) -> str | None:
        if self._gid_names is None:
            self._gid_names = {}
            for n, g in self.groups():
                self._gid_names.setdefault(g, n)
        return self._gid_names.get(gid)

    def user(self, name: str) -> tuple[int, int] | None:
        """``(uid, login gid)`` of user ``name``."""
        return next(((u, g) for n, u, g in self.users() if n == name), None)

    def group(self, name: str) -> int | None:
        return next((g for n, g in self.groups() if n == name), None)
