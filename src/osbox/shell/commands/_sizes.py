"""Sizes as GNU programs read and print them.

* ``parse_size``: a count as gnulib's ``xstrtoumax`` reads it with size
  suffixes (``head -c 2K``, ``tail -c 1MB``, ``sort -S``).
* ``human``: ``human_readable`` as ``ls -h``/``du -h``/``df -h`` print a
  size (powers of 1024, rounded up).
"""

from __future__ import annotations

__all__ = ["UINTMAX", "human", "parse_size"]

UINTMAX = 2**64 - 1
_POWERS = {"k": 1, "K": 1, "M": 2, "m": 2, "G": 3, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8}


def parse_size(text: str) -> int | None:
    """A count as GNU's ``xstrtoumax`` reads it with size suffixes: leading
    blanks, an optional ``+``, decimal digits, then ``b`` (512), ``K``/``KiB``
    (1024), ``KB`` (1000), ``M``, ``G``... Returns None when invalid; raises
    ``OverflowError`` past 2**64-1."""
    s = text.lstrip(" \t\n\v\f\r")
    if s.startswith("+"):
        s = s[1:]
    digits = len(s) - len(s.lstrip("0123456789"))
    if digits == 0:
        return None
    value = int(s[:digits])
    suffix = s[digits:]
    if suffix:
        letter, rest = suffix[0], suffix[1:]
        if letter == "b" and not rest:
            value *= 512
        elif letter in _POWERS and rest in ("", "iB", "B"):
            base = 1000 if rest == "B" else 1024
            value *= base ** _POWERS[letter]
        else:
            return None
    if value > UINTMAX:
        raise OverflowError
    return value


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
