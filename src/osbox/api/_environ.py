"""``os.environ`` and ``os.environb`` for a virtual process.

As in CPython, the mapping keeps its own data (read from the process's
environment when the surface is made) and every change goes through
``putenv``/``unsetenv``, which change the process's environment block; calling
``putenv`` directly does not show up in the mapping. ``environ`` and
``environb`` share one dict of bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar

__all__ = ["Environ", "str_environ", "bytes_environ"]

K = TypeVar("K", str, bytes)


def _enc_str(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"str expected, not {type(value).__name__}")
    return value.encode("utf-8", "surrogateescape")


def _dec_str(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _enc_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"bytes expected, not {type(value).__name__}")
    return value


def _dec_bytes(value: bytes) -> bytes:
    return value


class Environ(MutableMapping[K, K], Generic[K]):
    """A process environment mapping (``os._Environ``'s behaviour)."""

    def __init__(
        self,
        data: dict[bytes, bytes],
        encode: Callable[[Any], bytes],
        decode: Callable[[bytes], K],
        putenv: Callable[[bytes, bytes], None],
        unsetenv: Callable[[bytes], None],
    ) -> None:
        self._data = data
        self._encode = encode
        self._decode: Callable[[bytes], K] = decode
        self._putenv = putenv
        self._unsetenv = unsetenv

    def __getitem__(self, key: K) -> K:
        try:
            value = self._data[self._encode(key)]
        except KeyError:
            raise KeyError(key) from None
        return self._decode(value)

    def __setitem__(self, key: K, value: K) -> None:
        k = self._encode(key)
        v = self._encode(value)
        self._putenv(k, v)
        self._data[k] = v

    def __delitem__(self, key: K) -> None:
        k = self._encode(key)
        self._unsetenv(k)
        try:
            del self._data[k]
        except KeyError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[K]:
        for key in list(self._data):
            yield self._decode(key)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        items = ", ".join(
            f"{self._decode(k)!r}: {self._decode(v)!r}" for k, v in self._data.items()
        )
        return f"environ({{{items}}})"

    def copy(self) -> dict[K, K]:
        return dict(self)

    def setdefault(self, key: K, value: K) -> K:
        if key not in self:
            self[key] = value
        return self[key]

    def __ior__(self, other: Any) -> Environ[K]:
        self.update(other)
        return self

    def __or__(self, other: Any) -> dict[K, K]:
        if not isinstance(other, MutableMapping) and not hasattr(other, "keys"):
            return NotImplemented
        new = dict(self)
        new.update(other)
        return new

    def __ror__(self, other: Any) -> dict[K, K]:
        if not hasattr(other, "keys"):
            return NotImplemented
        new = dict(other)
        new.update(self)
        return new


def str_environ(
    data: dict[bytes, bytes],
    putenv: Callable[[bytes, bytes], None],
    unsetenv: Callable[[bytes], None],
) -> Environ[str]:
    return Environ(data, _enc_str, _dec_str, putenv, unsetenv)


def bytes_environ(
    data: dict[bytes, bytes],
    putenv: Callable[[bytes, bytes], None],
    unsetenv: Callable[[bytes], None],
) -> Environ[bytes]:
    return Environ(data, _enc_bytes, _dec_bytes, putenv, unsetenv)
