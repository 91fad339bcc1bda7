"""File modes as coreutils handles them: ``ls -l`` mode strings, ``stat %F``
type names, and ``chmod``/``mkdir -m`` mode specifications (numeric and
symbolic, gnulib modechange semantics: an absent "who" honours the umask,
directories keep set-user/group-ID bits unless a mode mentions them).
"""

from __future__ import annotations

import stat as st
from dataclasses import dataclass

__all__ = ["Change", "adjust", "compile_mode", "file_type", "mode_string"]

_ALL = 0o7777
_RWX = 0o777
_R, _W, _X = 0o444, 0o222, 0o111
_WHO = {"u": st.S_ISUID | 0o700, "g": st.S_ISGID | 0o070, "o": st.S_ISVTX | 0o007, "a": _ALL}


def _type_char(mode: int) -> str:
    fmt = st.S_IFMT(mode)
    return {
        st.S_IFDIR: "d",
        st.S_IFLNK: "l",
        st.S_IFCHR: "c",
        st.S_IFBLK: "b",
        st.S_IFIFO: "p",
        st.S_IFSOCK: "s",
        st.S_IFREG: "-",
    }.get(fmt, "?")


def mode_string(mode: int) -> str:
    """``drwxr-sr-t`` as ``ls -l`` and ``stat %A`` print it."""
    out = [_type_char(mode)]
    for shift, special, ch in ((6, st.S_ISUID, "s"), (3, st.S_ISGID, "s"), (0, st.S_ISVTX, "t")):
        bits = (mode >> shift) & 7
        out.append("r" if bits & 4 else "-")
        out.append("w" if bits & 2 else "-")
        if mode & special:
            out.append(ch if bits & 1 else ch.upper())
        else:
            out.append("x" if bits & 1 else "-")
    return "".join(out)


def file_type(mode: int, size: int = 1) -> str:
    """The ``stat %F`` description of a mode."""
    fmt = st.S_IFMT(mode)
    if fmt == st.S_IFREG:
        return "regular file" if size else "regular empty file"
    return {
        st.S_IFDIR: "directory",
        st.S_IFLNK: "symbolic link",
        st.S_IFCHR: "character special file",
        st.S_IFBLK: "block special file",
        st.S_IFIFO: "fifo",
        st.S_IFSOCK: "socket",
    }.get(fmt, "weird file")


@dataclass
class Change:
    """One operation of a compiled mode (gnulib's ``struct mode_change``)."""

    op: str  # "=", "+", "-"
    flag: str  # "ordinary", "copy", "X"
    affected: int  # who bits; 0 = no who (honour the umask)
    value: int
    mentioned: int


def compile_mode(spec: str) -> list[Change] | None:
    """Parse a numeric or symbolic mode; None when it is invalid."""
    if spec and all(c in "01234567" for c in spec):
        value = int(spec, 8)
        if value > _ALL:
            return None
        mentioned = _ALL if len(spec) >= 5 else (value & (st.S_ISUID | st.S_ISGID)) | 0o1777
        return [Change("=", "ordinary", _ALL, value, mentioned)]
    changes: list[Change] = []
    for clause in spec.split(","):
        i = 0
        who = 0
        while i < len(clause) and clause[i] in "ugoa":
            who |= _WHO[clause[i]]
            i += 1
        if i >= len(clause) or clause[i] not in "=+-":
            return None
        while i < len(clause) and clause[i] in "=+-":
            op = clause[i]
            i += 1
            if i < len(clause) and clause[i] in "ugo":
                src = {"u": 0o700, "g": 0o070, "o": 0o007}[clause[i]]
                i += 1
                changes.append(Change(op, "copy", who, src, who or _ALL))
                continue
            value = 0
            flag = "ordinary"
            while i < len(clause) and clause[i] in "rwxXst":
                c = clause[i]
                i += 1
                if c == "r":
                    value |= _R
                elif c == "w":
                    value |= _W
                elif c == "x":
                    value |= _X
                elif c == "X":
                    flag = "X"
                elif c == "s":
                    value |= st.S_ISUID | st.S_ISGID
                else:
                    value |= st.S_ISVTX
            mentioned = value & (who or _ALL)
            changes.append(Change(op, flag, who, value, mentioned))
        if i != len(clause):
            return None
    return changes


def adjust(old: int, is_dir: bool, umask: int, changes: list[Change]) -> int:
    """The permission bits of ``old`` after ``changes`` (gnulib ``mode_adjust``)."""
    new = old & _ALL
    for ch in changes:
        omit = ((st.S_ISUID | st.S_ISGID) if is_dir else 0) & ~ch.mentioned
        value = ch.value
        if ch.flag == "copy":
            value &= new
            value = (
                (_R if value & _R else 0) | (_W if value & _W else 0) | (_X if value & _X else 0)
            )
        elif ch.flag == "X" and ((new & _X) or is_dir):
            value |= _X
        value &= (ch.affected if ch.affected else ~umask & _ALL) & ~omit
        if ch.op == "=":
            preserved = ((~ch.affected & _ALL) if ch.affected else 0) | omit
            new = (new & preserved) | value
        elif ch.op == "+":
            new |= value
        else:
            new &= ~value
    return new & _ALL
