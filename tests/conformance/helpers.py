"""Assertion helpers shared by the conformance tests."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Env


def err(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> OSError:
    """Call ``fn`` and return the OSError it must raise."""
    with pytest.raises(OSError) as info:
        fn(*args, **kwargs)
    return info.value


def check(e: OSError, cls: type[OSError], code: int, filename: Any, filename2: Any = None) -> None:
    """Exact exception class (not a subclass), errno and filenames."""
    assert type(e) is cls, repr(e)
    assert e.errno == code, (errno.errorcode.get(e.errno or 0), repr(e))
    assert e.filename == filename
    assert e.filename2 == filename2


def raises(
    exc: type[Exception], err: int | None, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Call ``fn``; it must raise ``exc`` (or a subclass), with errno ``err`` unless it is None."""
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    if err is not None:
        assert e.value.errno == err, e.value
    return e.value


@contextlib.contextmanager
def cwd(env: Env, path: str | None = None) -> Iterator[None]:
    """Restore the working directory afterwards (after chdir to ``path``)."""
    orig = env.os.getcwd()
    try:
        if path is not None:
            env.os.chdir(path)
        yield
    finally:
        env.os.chdir(orig)
