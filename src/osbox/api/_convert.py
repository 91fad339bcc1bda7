"""Argument conversion as CPython's ``posixmodule`` does it.

``path_arg`` mirrors ``path_converter``: str, bytes or an ``os.PathLike``
(and an int where the function takes an fd) become the kernel's ``str`` form,
with the same ``TypeError``/``ValueError`` messages CPython gives. The
caller's original object (after ``__fspath__``) is kept for the ``OSError``
filename, as CPython keeps ``path->object``.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any, NoReturn

from ..kernel.errors import KernelError, oserror

__all__ = ["Path", "dirfd_arg", "fd_arg", "id_arg", "path_arg", "raise_os"]

_index = operator.index


class Path:
    """A converted path argument: ``s`` for the kernel (``None`` when ``fd``
    is set), ``obj`` for error messages, ``is_bytes`` for results."""

    __slots__ = ("s", "obj", "is_bytes", "fd")

    def __init__(self, s: str | None, obj: Any, is_bytes: bool, fd: int | None) -> None:
        self.s = s
        self.obj = obj
        self.is_bytes = is_bytes
        self.fd = fd


def _typename(obj: Any) -> str:
    return type(obj).__name__


def path_arg(
    func: str, arg: str, path: Any, allow_fd: bool = False, nullable: bool = False
) -> Path:
    """Convert one path argument; see the module docstring."""
    tp = type(path)
    if tp is str:
        if "\0" in path:
            raise ValueError(f"{func}: embedded null character in {arg}")
        return Path(path, path, False, None)
    if tp is bytes:
        if b"\0" in path:
            raise ValueError("embedded null byte")
        return Path(path.decode("utf-8", "surrogateescape"), path, True, None)
    if isinstance(path, str):
        if "\0" in path:
            raise ValueError(f"{func}: embedded null character in {arg}")
        return Path(str(path), path, False, None)
    if isinstance(path, bytes):
        if b"\0" in path:
            raise ValueError("embedded null byte")
        return Path(path.decode("utf-8", "surrogateescape"), path, True, None)
    if path is None and nullable:
        return Path(".", ".", False, None)
    if isinstance(path, (bytearray, memoryview)):
        kinds = "string, bytes, os.PathLike or None" if nullable else "string, bytes or os.PathLike"
        if allow_fd:
            kinds = kinds.replace(" or ", ", ").rstrip() + " or integer"
        warnings.warn(
            f"{func}: {arg} should be {kinds}, not {_typename(path)}", DeprecationWarning, 3
        )
        raw = bytes(path)
        if b"\0" in raw:
            raise ValueError("embedded null byte")
        return Path(raw.decode("utf-8", "surrogateescape"), path, True, None)
    if allow_fd and not isinstance(path, (str, bytes)) and hasattr(tp, "__index__"):
        fd = _index(path)
        return Path(None, fd, False, fd)
    fspath = getattr(tp, "__fspath__", None)
    if fspath is not None:
        res = fspath(path)
        if isinstance(res, str):
            return path_arg(func, arg, res)
        if isinstance(res, bytes):
            return path_arg(func, arg, res)
        raise TypeError(
            f"expected {tp.__name__}.__fspath__() to return str or bytes, not {_typename(res)}"
        )
    kinds = "string, bytes, os.PathLike or integer" if allow_fd else "string, bytes or os.PathLike"
    if nullable and not allow_fd:
        kinds = "string, bytes, os.PathLike or None"
    elif nullable:
        kinds = "string, bytes, os.PathLike, integer or None"
    raise TypeError(f"{func}: {arg} should be {kinds}, not {_typename(path)}")


def id_arg(value: Any, kind: str = "uid") -> int:
    """A uid or gid as CPython's ``_Py_Uid_Converter``: -1 (or 2**32-1)
    means "unchanged"; anything else outside ``[0, 2**32-1)`` overflows."""
    if isinstance(value, float):
        raise TypeError(f"{kind} should be integer, not float")
    n = _index(value)
    if n == -1 or n == 0xFFFFFFFF:
        return -1
    if n < 0:
        raise OverflowError(f"{kind} is less than minimum")
    if n > 0xFFFFFFFF:
        raise OverflowError(f"{kind} is greater than maximum")
    return n


def fd_arg(fd: Any) -> int:
    """An fd argument: anything with ``__index__``, as CPython's ``fildes``."""
    if isinstance(fd, int):
        return fd
    if isinstance(fd, float):
        raise TypeError("'float' object cannot be interpreted as an integer")
    return _index(fd)


def dirfd_arg(dir_fd: Any) -> int | None:
    """A ``dir_fd`` keyword: None or an int."""
    if dir_fd is None:
        return None
    return fd_arg(dir_fd)


def raise_os(e: KernelError, filename: Any = None, filename2: Any = None) -> NoReturn:
    """Re-raise a kernel error as the ``OSError`` CPython would raise."""
    raise oserror(e.errno, filename, filename2) from None
