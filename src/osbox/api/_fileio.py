"""``open()`` for a machine: the stdlib's io stack over a virtual fd.

``VFileIO`` plays ``io.FileIO``'s part (mode parsing, ``opener``, ``closefd``,
the directory check, append positioning, its ``name``/``mode`` and repr) but
reads and writes a virtual fd through the kernel. ``open_file`` is
``io.open``: the same argument checks and messages as CPython's C
implementation, then ``io.BufferedReader``/``BufferedWriter``/
``BufferedRandom`` and ``io.TextIOWrapper`` on top.
"""

from __future__ import annotations

import functools
import io
import os as _os
import warnings
from errno import EAGAIN, EBADF, EINTR, EISDIR
from stat import S_IFDIR, S_IFREG
from typing import Any

from ..kernel import sys_file
from ..kernel.errors import KernelError, oserror
from ..kernel.process import Process
from ._signal import run_handlers

__all__ = ["VFileIO", "open_file"]

O_CLOEXEC = _os.O_CLOEXEC
DEFAULT_BUFFER_SIZE = io.DEFAULT_BUFFER_SIZE
_BufferedReader = io.BufferedReader
_BufferedWriter = io.BufferedWriter
_BufferedRandom = io.BufferedRandom
_TextIOWrapper = io.TextIOWrapper
_text_encoding = io.text_encoding
_BAD_MODE = "Must have exactly one of create/read/write/append mode and at most one plus"


@functools.lru_cache(maxsize=64)
def _raw_mode(mode: str) -> tuple[int, bool, bool, bool, bool]:
    """``io.FileIO`` mode parsing: ``(open flags, readable, writable,
    created, appending)``. Raises ValueError as FileIO does."""
    rwa = plus = False
    readable = writable = created = appending = False
    flags = O_CLOEXEC
    for c in mode:
        if c in "rwxa":
            if rwa:
                raise ValueError(_BAD_MODE)
            rwa = True
            if c == "r":
                readable = True
            elif c == "w":
                writable = True
                flags |= _os.O_CREAT | _os.O_TRUNC
            elif c == "x":
                created = writable = True
                flags |= _os.O_EXCL | _os.O_CREAT
            else:
                appending = writable = True
                flags |= _os.O_APPEND | _os.O_CREAT
        elif c == "+":
            if plus:
                raise ValueError(_BAD_MODE)
            readable = writable = plus = True
        elif c != "b":
            raise ValueError(f"invalid mode: {mode}")
    if not rwa:
        raise ValueError(_BAD_MODE)
    flags |= _os.O_RDWR if readable and writable else (_os.O_RDONLY if readable else _os.O_WRONLY)
    return flags, readable, writable, created, appending


class VFileIO(io.RawIOBase):
    """Raw I/O on a virtual fd (``io.FileIO``'s behaviour). Subclassed per
    process with ``_proc`` set.

    It keeps the open file description it opened, so ``tell``, ``seekable``
    and ``isatty`` (asked by the buffered and text layers on every open)
    need no syscall while the fd still refers to it. The attributes a plain
    open leaves at their usual values are class-level defaults, and the
    methods the C buffered and text layers call on every open are written
    out flat: each Python frame here is paid on every ``open()``.
    """

    _proc: Process
    _isatty: Any
    _fd = -1
    _closefd = True
    _created = False
    _appending = False
    _seekable = True
    _tty = False
    _blksize = 4096
    _finalizing = False  # set by IOBase's finalizer before it calls close()
    # The openat(2) a path is opened with (an audited process records it).
    _openat = staticmethod(sys_file.openat)

    def __init__(
        self, file: Any, mode: str = "r", closefd: bool = True, opener: Any = None
    ) -> None:
        self._closefd = closefd
        if isinstance(file, float):
            raise TypeError("integer argument expected, got float")
        fd = -1
        if isinstance(file, int):
            fd = file
            if fd < 0:
                raise ValueError("negative file descriptor")
        flags, readable, writable, created, appending = _raw_mode(mode)
        self._readable = readable
        self._writable = writable
        self._created = created
        self._appending = appending
        self.name: Any = file
        proc = self._proc
        try:
            if fd < 0:
                if not closefd:
                    raise ValueError("Cannot use closefd=False with file name")
                if opener is None:
                    path = file if type(file) is str else _os.fsdecode(file)
                    if "\0" in path:
                        raise ValueError("embedded null character")
                    try:
                        fd = self._openat(proc, None, path, flags, 0o666)
                    except KernelError as e:
                        raise oserror(e.errno, file) from None
                else:
                    fd = opener(file, flags)
                    if not isinstance(fd, int):
                        raise TypeError("expected integer from opener")
                    if fd < 0:
                        raise ValueError(f"opener returned {fd}")
            self._fd = fd
            of = proc.fds.files.get(fd)
            if of is None:
                raise oserror(EBADF)
            self._of = of
            if of.kind != S_IFREG or of.path_only:
                self._attach_other(of, file)
            if appending:
                try:
                    sys_file.lseek(proc, fd, 0, 2)
                except KernelError:
                    pass
        except BaseException:
            if self._fd >= 0 and closefd:
                try:
                    sys_file.close(proc, self._fd)
                except KernelError:
                    pass
            self._fd = -1
            raise

    def _attach_other(self, of: Any, file: Any) -> None:
        """FileIO's checks for an fd that is not a plain regular file: EISDIR
        for a directory; pipes, FIFOs and the console are not seekable."""
        if of.kind == S_IFDIR:
            raise oserror(EISDIR, file)
        self.__dict__.pop("seekable", None)
        self._seekable = of.pipe is None and of.console is None and not of.path_only
        self._tty = of.console is not None and bool(self._isatty(of.console))

    # -- io.FileIO attributes -------------------------------------------------
    @property
    def mode(self) -> str:
        if self._created:
            return "xb+" if self._readable else "xb"
        if self._appending:
            return "ab+" if self._readable else "ab"
        if self._readable:
            return "rb+" if self._writable else "rb"
        return "wb"

    @property
    def closefd(self) -> bool:
        return self._closefd

    def __repr__(self) -> str:
        if self.closed:
            return "<_io.FileIO [closed]>"
        return f"<_io.FileIO name={self.name!r} mode={self.mode!r} closefd={self._closefd!r}>"

    def _checkopen(self) -> int:
        if self._fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        return self._fd

    def fileno(self) -> int:
        return self._checkopen()

    def readable(self) -> bool:
        if self._fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        return self._readable

    def writable(self) -> bool:
        if self._fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        return self._writable

    def seekable(self) -> bool:
        if self._fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        return self._seekable

    def isatty(self) -> bool:
        self._checkopen()
        return self._tty

    # -- I/O ------------------------------------------------------------------------
    def readinto(self, buffer: Any) -> int | None:
        fd = self._fd
        if fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")
        view = memoryview(buffer).cast("B")
        try:
            data = sys_file.read(self._proc, fd, len(view))
        except KernelError as e:
            if e.errno == EAGAIN:
                return None
            if e.errno == EINTR:  # PEP 475: run the handler, restart
                run_handlers(self._proc)
                return self.readinto(buffer)
            raise oserror(e.errno) from None
        n = len(data)
        view[:n] = data
        return n

    def read(self, size: int | None = -1) -> bytes | None:
        fd = self._checkopen()
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")
        if size is None or size < 0:
            return self.readall()
        try:
            return sys_file.read(self._proc, fd, size)
        except KernelError as e:
            if e.errno == EAGAIN:
                return None
            if e.errno == EINTR:
                run_handlers(self._proc)
                return self.read(size)
            raise oserror(e.errno) from None

    def readall(self) -> bytes:
        fd = self._fd
        if fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")
        try:
            return sys_file.readall(self._proc, fd)
        except KernelError as e:
            if e.errno == EINTR:
                run_handlers(self._proc)
                return self.readall()
            raise oserror(e.errno) from None

    def write(self, buffer: Any) -> int | None:
        fd = self._fd
        if fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")
        data = buffer if type(buffer) is bytes else bytes(buffer)
        try:
            return sys_file.write(self._proc, fd, data)
        except KernelError as e:
            if e.errno == EAGAIN:
                return None
            if e.errno == EINTR:
                run_handlers(self._proc)
                return self.write(data)
            raise oserror(e.errno) from None

    def seek(self, pos: int, whence: int = 0) -> int:
        fd = self._checkopen()
        if isinstance(pos, float):
            raise TypeError("an integer is required")
        try:
            return sys_file.lseek(self._proc, fd, pos, whence)
        except KernelError as e:
            raise oserror(e.errno) from None

    def tell(self) -> int:
        fd = self._fd
        if fd < 0 or self.closed:
            raise ValueError(_CLOSED)
        of = self._of
        if of.kind == S_IFREG and self._proc.fds.files.get(fd) is of:
            pos: int = of.pos
            return pos
        return self.seek(0, 1)

    def truncate(self, size: int | None = None) -> int:
        fd = self._checkopen()
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")
        if size is None:
            size = self.tell()
        try:
            sys_file.ftruncate(self._proc, fd, size)
        except KernelError as e:
            raise oserror(e.errno) from None
        return size

    def close(self) -> None:
        if not self.closed:
            d = self.__dict__
            if "readable" in d:  # set by open_file's plain path
                del d["readable"], d["writable"]
                d.pop("seekable", None)
            fd = self._fd
            if self._finalizing and fd >= 0 and self._closefd:
                # Dropped while open: IOBase's finalizer is closing it.
                warnings.warn(f"unclosed file {self!r}", ResourceWarning, 2, source=self)
            try:
                _iobase_close(self)
            finally:
                if self._closefd and fd >= 0:
                    self._fd = -1
                    try:
                        sys_file.close(self._proc, fd)
                    except KernelError as e:
                        raise oserror(e.errno) from None

    def _dealloc_warn(self, source: Any) -> None:
        if self._fd >= 0 and self._closefd:
            warnings.warn(f"unclosed file {source!r}", ResourceWarning, stacklevel=2, source=source)


_iobase_close = io.RawIOBase.close
_TRUE = True.__bool__
_FALSE = False.__bool__
_new_raw = VFileIO.__new__
_CLOSED = "I/O operation on closed file"


@functools.lru_cache(maxsize=64)
def _open_mode(mode: str) -> tuple[bool, bool, bool, bool, bool, str]:
    """``io.open`` mode checks: ``(creating, writing, appending, updating,
    binary, raw mode)``. Raises ValueError with CPython's messages."""
    modes = set(mode)
    if modes - set("axrwb+t") or len(mode) > len(modes):
        raise ValueError(f"invalid mode: '{mode}'")
    creating = "x" in modes
    reading = "r" in modes
    writing = "w" in modes
    appending = "a" in modes
    updating = "+" in modes
    text = "t" in modes
    binary = "b" in modes
    if text and binary:
        raise ValueError("can't have text and binary mode at once")
    if creating + reading + writing + appending != 1:
        raise ValueError("must have exactly one of create/read/write/append mode")
    rawmode = ("x" if creating else "") + ("r" if reading else "") + ("w" if writing else "")
    rawmode += ("a" if appending else "") + ("+" if updating else "")
    return creating, writing, appending, updating, binary, rawmode


# The modes the common ``open(path[, mode])`` uses: (open flags, readable,
# writable, binary, buffered class). Anything else takes ``_open_general``.
_PLAIN_MODES: dict[str, tuple[int, bool, bool, bool, Any]] = {
    "r": (O_CLOEXEC, True, False, False, _BufferedReader),
    "rt": (O_CLOEXEC, True, False, False, _BufferedReader),
    "rb": (O_CLOEXEC, True, False, True, _BufferedReader),
    "w": (
        O_CLOEXEC | _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC,
        False,
        True,
        False,
        _BufferedWriter,
    ),
    "wt": (
        O_CLOEXEC | _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC,
        False,
        True,
        False,
        _BufferedWriter,
    ),
    "wb": (
        O_CLOEXEC | _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC,
        False,
        True,
        True,
        _BufferedWriter,
    ),
}


def open_file(
    fileio: type[VFileIO],
    fspath: Any,
    file: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> Any:
    """``io.open`` over ``fileio`` (a per-process ``VFileIO`` subclass).

    The common call, a str path in one of ``_PLAIN_MODES`` with default
    buffering, closefd and opener, is written out here: the same result as
    ``_open_general`` gives, with the raw file set up without
    ``VFileIO.__init__`` (every Python frame counts on each ``open()``).
    """
    plain = _PLAIN_MODES.get(mode) if type(mode) is str else None
    if (
        plain is None
        or type(file) is not str
        or type(buffering) is not int
        or buffering != -1
        or opener is not None
        or closefd is not True
        or "\0" in file
        or (plain[3] and (encoding is not None or errors is not None or newline is not None))
    ):
        return _open_general(
            fileio, fspath, file, mode, buffering, encoding, errors, newline, closefd, opener
        )
    flags, readable, writable, binary, buffered = plain
    proc = fileio._proc
    try:
        fd = fileio._openat(proc, None, file, flags, 0o666)
    except KernelError as e:
        raise oserror(e.errno, file) from None
    raw = _new_raw(fileio)
    raw._fd = fd
    raw.name = file
    raw._readable = readable
    raw._writable = writable
    # The buffered and text layers ask these on every open; while the file is
    # open they are C callables returning the answer, which close() removes.
    raw.readable = _TRUE if readable else _FALSE  # type: ignore[method-assign]
    raw.writable = _TRUE if writable else _FALSE  # type: ignore[method-assign]
    raw.seekable = _TRUE  # type: ignore[method-assign]
    of = raw._of = proc.fds.files[fd]
    if of.kind != S_IFREG:
        try:
            raw._attach_other(of, file)
        except BaseException:
            raw.close()
            raise
    result: Any = raw
    try:
        buffer = result = buffered(raw, raw._blksize)
        if binary:
            return buffer
        result = _TextIOWrapper(buffer, _text_encoding(encoding), errors, newline, raw._tty)
        result.mode = mode
        return result
    except BaseException:
        result.close()
        raise


def _open_general(
    fileio: type[VFileIO],
    fspath: Any,
    file: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> Any:
    """``open_file`` in general: CPython's ``io.open`` checks, then
    ``fileio(...)`` and the buffered and text layers."""
    if not isinstance(file, int):
        file = fspath(file)
    if not isinstance(file, (str, bytes, int)):
        raise TypeError(f"invalid file: {file!r}")
    if not isinstance(mode, str):
        raise TypeError(f"open() argument 'mode' must be str, not {type(mode).__name__}")
    creating, writing, appending, updating, binary, rawmode = _open_mode(mode)
    if binary and encoding is not None:
        raise ValueError("binary mode doesn't take an encoding argument")
    if binary and errors is not None:
        raise ValueError("binary mode doesn't take an errors argument")
    if binary and newline is not None:
        raise ValueError("binary mode doesn't take a newline argument")
    if binary and buffering == 1:
        warnings.warn(
            "line buffering (buffering=1) isn't supported in binary mode, "
            "the default buffer size will be used",
            RuntimeWarning,
            2,
        )
    raw = fileio(file, rawmode, closefd, opener=opener)
    result: Any = raw
    try:
        line_buffering = False
        if buffering == 1 or (buffering < 0 and raw._tty):
            buffering = -1
            line_buffering = True
        if buffering < 0:
            buffering = raw._blksize
        if buffering == 0:
            if binary:
                return result
            raise ValueError("can't have unbuffered text I/O")
        if updating:
            buffer: Any = _BufferedRandom(raw, buffering)
        elif creating or writing or appending:
            buffer = _BufferedWriter(raw, buffering)
        else:
            buffer = _BufferedReader(raw, buffering)
        result = buffer
        if binary:
            return result
        wrapper = _TextIOWrapper(buffer, _text_encoding(encoding), errors, newline, line_buffering)
        result = wrapper
        wrapper.mode = mode  # type: ignore[misc]
        return result
    except BaseException:
        result.close()
        raise
