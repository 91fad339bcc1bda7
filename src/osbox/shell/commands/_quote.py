"""GNU's quoting of names in messages (gnulib ``quotearg``, C locale).

* ``quote``: the ``shell-escape-always`` style coreutils uses for file names
  in diagnostics (``'a b'``, ``"it's"``, ``'a'$'\\n''b'``); ``quotef`` is the
  ``shell-escape`` style, which leaves names alone that need no quoting.
* ``cquote``: gnulib's ``quote()`` (the ``locale`` style: ``'it\\'s'``), which
  GNU programs use for operands that are not file names (numbers, modes,
  dates, users) and which findutils uses for file names too.
* ``enc``: a name as the bytes the kernel stores.
"""

from __future__ import annotations

__all__ = ["BACKSLASH_ESCAPES", "cquote", "enc", "quote", "quotef"]

_SPECIAL = set(" !\"$&'()*:;<=>?[\\^`|")
# C's backslash escapes: letter -> character (as in ``printf``, ``find
# -printf``, ``xargs -d``), and the control bytes quoting writes with them.
BACKSLASH_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "\\": "\\",
    "0": "\0",
}
_C_ESCAPES = {ord(c): k for k, c in BACKSLASH_ESCAPES.items() if k.isalpha()}


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
