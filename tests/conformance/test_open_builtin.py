"""env.open with the semantics of builtins.open: modes, buffering, text
encoding and newline translation, opener/closefd, errors and io classes."""

from __future__ import annotations

import errno
import io
import stat
from typing import Any

import pytest

from .conftest import Env
from .helpers import raises

# ---------------------------------------------------------------- modes


def test_write_then_read_text(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "w") as f:
        assert f.write("hello\nworld\n") == 12
    with env.open(p) as f:
        assert f.read() == "hello\nworld\n"
    assert env.read(p) == b"hello\nworld\n"


def test_write_then_read_binary(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "wb") as f:
        assert f.write(b"\x00\xffab") == 4
    with env.open(p, "rb") as f:
        assert f.read() == b"\x00\xffab"
        assert f.read() == b""


def test_w_truncates_r_plus_does_not(env: Env) -> None:
    p = env.p("f")
    env.write(p, b"0123456789")
    with env.open(p, "r+") as f:
        f.write("ab")
    assert env.read(p) == b"ab23456789"
    with env.open(p, "w") as f:
        f.write("x")
    assert env.read(p) == b"x"


def test_w_plus_write_then_read(env: Env) -> None:
    with env.open(env.p("f"), "w+") as f:
        f.write("abc\ndef")
        assert f.read() == ""
        f.seek(0)
        assert f.read() == "abc\ndef"
    with env.open(env.p("g"), "w+b") as f:
        f.write(b"bin")
        f.seek(1)
        assert f.read() == b"in"


def test_x_creates_and_refuses_existing(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "x") as f:
        f.write("new")
    assert env.read(p) == b"new"
    for m in ("x", "xb", "x+"):
        e = raises(FileExistsError, errno.EEXIST, env.open, p, m)
        assert e.filename == p
    assert env.read(p) == b"new"


def test_append_mode_position(env: Env) -> None:
    p = env.p("f")
    env.write(p, b"abc")
    with env.open(p, "a") as f:
        assert f.tell() == 3
        f.write("de")
        assert f.tell() == 5
    with env.open(p, "ab") as f:
        assert f.tell() == 5
        f.seek(0)
        f.write(b"F")
        f.flush()
        assert f.tell() == 6
    assert env.read(p) == b"abcdeF"


def test_append_plus_reads_anywhere_writes_at_end(env: Env) -> None:
    p = env.p("f")
    env.write(p, b"abc")
    with env.open(p, "a+") as f:
        assert f.tell() == 3
        assert f.read() == ""
        f.seek(0)
        assert f.read() == "abc"
        f.seek(0)
        f.write("Z")
        f.flush()
        assert f.tell() == 4
    assert env.read(p) == b"abcZ"


def test_a_creates_missing_file(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "a") as f:
        f.write("x")
    assert env.read(p) == b"x"
    assert stat.S_IMODE(env.os.stat(p).st_mode) == 0o644


@pytest.mark.parametrize(
    ("mode", "cls", "fmode", "r", "w"),
    [
        ("r", io.TextIOWrapper, "r", True, False),
        ("rt", io.TextIOWrapper, "rt", True, False),
        ("w", io.TextIOWrapper, "w", False, True),
        ("wt", io.TextIOWrapper, "wt", False, True),
        ("a", io.TextIOWrapper, "a", False, True),
        ("r+", io.TextIOWrapper, "r+", True, True),
        ("w+", io.TextIOWrapper, "w+", True, True),
        ("a+", io.TextIOWrapper, "a+", True, True),
        ("rb", io.BufferedReader, "rb", True, False),
        ("wb", io.BufferedWriter, "wb", False, True),
        ("ab", io.BufferedWriter, "ab", False, True),
        ("r+b", io.BufferedRandom, "rb+", True, True),
        ("rb+", io.BufferedRandom, "rb+", True, True),
        ("w+b", io.BufferedRandom, "rb+", True, True),
        ("a+b", io.BufferedRandom, "ab+", True, True),
    ],
)
def test_mode_class_and_attributes(
    env: Env, mode: str, cls: type, fmode: str, r: bool, w: bool
) -> None:
    p = env.p("f")
    env.write(p, b"data")
    with env.open(p, mode) as f:
        assert isinstance(f, cls)
        assert f.mode == fmode
        assert f.name == p
        assert (f.readable(), f.writable(), f.seekable()) == (r, w, True)
        assert isinstance(f.fileno(), int)
        assert f.closed is False
    assert f.closed is True


@pytest.mark.parametrize(
    ("mode", "cls", "fmode"),
    [
        ("x", io.TextIOWrapper, "x"),
        ("xb", io.BufferedWriter, "xb"),
        ("xb+", io.BufferedRandom, "xb+"),
    ],
)
def test_x_mode_class(env: Env, mode: str, cls: type, fmode: str) -> None:
    with env.open(env.p("f"), mode) as f:
        assert isinstance(f, cls)
        assert f.mode == fmode


def test_text_buffer_and_raw(env: Env) -> None:
    env.write(env.p("f"), b"x")
    with env.open(env.p("f"), "r+") as f:
        assert isinstance(f.buffer, io.BufferedRandom)
        assert isinstance(f.buffer.raw, io.RawIOBase)
        assert f.buffer.raw.mode == "rb+"


@pytest.mark.parametrize(
    "mode", ["rw", "U", "rU", "", "z", "bt", "r++", "wx", "ra", "rr", "tb", "+"]
)
def test_bad_mode_is_valueerror(env: Env, mode: str) -> None:
    p = env.p("f")
    raises(ValueError, None, env.open, p, mode)
    assert not env.os.path.lexists(p)


@pytest.mark.parametrize(
    ("mode", "kwargs"),
    [
        ("rb", {"encoding": "utf-8"}),
        ("rb", {"errors": "strict"}),
        ("rb", {"newline": ""}),
        ("r", {"buffering": 0}),
        ("r", {"newline": "x"}),
        ("r", {"newline": "\n\n"}),
    ],
)
def test_bad_argument_combinations(env: Env, mode: str, kwargs: dict[str, Any]) -> None:
    env.write(env.p("f"), b"keep")
    raises(ValueError, None, env.open, env.p("f"), mode, **kwargs)
    assert env.read(env.p("f")) == b"keep"


def test_bad_newline_is_checked_after_opening(env: Env) -> None:
    # builtins.open creates the raw file before TextIOWrapper rejects the
    # newline argument, so a "w" open truncates (or creates) the file first.
    env.write(env.p("f"), b"lost")
    raises(ValueError, None, env.open, env.p("f"), "w", newline="x")
    assert env.read(env.p("f")) == b""
    raises(ValueError, None, env.open, env.p("g"), "w", newline="x")
    assert env.os.path.isfile(env.p("g"))


def test_unknown_encoding_is_lookuperror(env: Env) -> None:
    env.write(env.p("f"), b"x")
    raises(LookupError, None, env.open, env.p("f"), "r", encoding="no-such-codec")


# ---------------------------------------------------------------- errors from the OS


def test_missing_file_is_filenotfound(env: Env) -> None:
    p = env.p("nope")
    for m in ("r", "rb", "r+"):
        e = raises(FileNotFoundError, errno.ENOENT, env.open, p, m)
        assert e.filename == p
    raises(FileNotFoundError, errno.ENOENT, env.open, env.p("nodir", "f"), "w")


@pytest.mark.parametrize("mode", ["r", "rb", "w", "a", "r+", "wb"])
def test_directory_is_isadirectoryerror(env: Env, mode: str) -> None:
    env.os.mkdir(env.p("d"))
    e = raises(IsADirectoryError, errno.EISDIR, env.open, env.p("d"), mode)
    assert e.filename == env.p("d")


def test_directory_unbuffered_is_isadirectoryerror(env: Env) -> None:
    raises(IsADirectoryError, errno.EISDIR, env.open, env.base, "rb", buffering=0)


def test_not_a_directory(env: Env) -> None:
    env.write(env.p("f"))
    e = raises(NotADirectoryError, errno.ENOTDIR, env.open, env.p("f", "x"), "w")
    assert e.filename == env.p("f", "x")


def test_permission_denied(env: Env) -> None:
    env.write(env.p("f"), b"x", 0o600)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EACCES, env.open, env.p("f"), "r")
        assert e.filename == env.p("f")
        raises(PermissionError, errno.EACCES, env.open, env.p("f"), "a")


# ---------------------------------------------------------------- buffering


def test_unbuffered_binary(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "wb", buffering=0) as f:
        assert isinstance(f, io.RawIOBase)
        assert f.mode == "wb"
        assert f.write(b"now") == 3
        assert env.read(p) == b"now"
    with env.open(p, "rb", buffering=0) as f:
        assert isinstance(f, io.RawIOBase)
        assert f.read(2) == b"no"
        assert f.readall() == b"w"


def test_line_buffering(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "w", buffering=1) as f:
        assert f.line_buffering is True
        f.write("partial")
        f.write(" line\n")
        assert env.read(p) == b"partial line\n"
    with env.open(p, "w") as f:
        assert f.line_buffering is False


def test_default_buffering_defers_writes(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "wb", buffering=-1) as f:
        f.write(b"buffered")
        assert env.read(p) == b""
        f.flush()
        assert env.read(p) == b"buffered"


def test_explicit_buffer_size(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "wb", buffering=4) as f:
        f.write(b"ab")
        assert env.read(p) == b""
        f.write(b"cdefgh")
        assert env.read(p) == b"abcdefgh"


def test_line_buffering_binary_warns(env: Env) -> None:
    with pytest.warns(RuntimeWarning):
        f = env.open(env.p("f"), "wb", buffering=1)
    try:
        assert isinstance(f, io.BufferedWriter)
    finally:
        f.close()


# ---------------------------------------------------------------- encoding, newline


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [("utf-8", b"\xc3\xa9\xe2\x82\xac"), ("latin-1", None), ("utf-16-le", b"\xe9\x00\xac\x20")],
)
def test_encodings(env: Env, encoding: str, raw: bytes | None) -> None:
    p = env.p("f")
    text = "é€" if raw is not None else "é"
    with env.open(p, "w", encoding=encoding) as f:
        assert f.encoding == encoding
        f.write(text)
    assert env.read(p) == (raw if raw is not None else b"\xe9")
    with env.open(p, encoding=encoding) as f:
        assert f.read() == text


def test_encode_error_handling(env: Env) -> None:
    p = env.p("f")
    with env.open(p, "w", encoding="ascii") as f:
        with pytest.raises(UnicodeEncodeError):
            f.write("é")
            f.flush()
    with env.open(p, "w", encoding="ascii", errors="replace") as f:
        assert f.errors == "replace"
        f.write("aéb")
    assert env.read(p) == b"a?b"


@pytest.mark.parametrize(
    ("errors", "want"),
    [("replace", "a\ufffdb"), ("ignore", "ab"), ("surrogateescape", "a\udcffb")],
)
def test_decode_error_handlers(env: Env, errors: str, want: str) -> None:
    env.write(env.p("f"), b"a\xffb")
    with env.open(env.p("f"), encoding="utf-8", errors=errors) as f:
        assert f.read() == want


def test_decode_error_strict(env: Env) -> None:
    env.write(env.p("f"), b"a\xffb")
    with env.open(env.p("f"), encoding="utf-8") as f:
        assert f.errors == "strict"
        with pytest.raises(UnicodeDecodeError):
            f.read()


@pytest.mark.parametrize(
    ("newline", "lines"),
    [
        (None, ["a\n", "b\n", "c\n", "d"]),
        ("", ["a\r\n", "b\r", "c\n", "d"]),
        ("\n", ["a\r\n", "b\rc\n", "d"]),
        ("\r", ["a\r", "\nb\r", "c\nd"]),
        ("\r\n", ["a\r\n", "b\rc\nd"]),
    ],
)
def test_newline_on_read(env: Env, newline: str | None, lines: list[str]) -> None:
    env.write(env.p("f"), b"a\r\nb\rc\nd")
    with env.open(env.p("f"), newline=newline, encoding="utf-8") as f:
        assert f.readlines() == lines


def test_newlines_attribute(env: Env) -> None:
    env.write(env.p("f"), b"a\r\nb\rc\nd")
    with env.open(env.p("f"), encoding="utf-8") as f:
        assert f.newlines is None
        f.read()
        assert set(f.newlines) == {"\r", "\n", "\r\n"}


@pytest.mark.parametrize(
    ("newline", "raw"),
    [
        (None, b"a\nb\r\nc\r"),
        ("", b"a\nb\r\nc\r"),
        ("\n", b"a\nb\r\nc\r"),
        ("\r\n", b"a\r\nb\r\r\nc\r"),
        ("\r", b"a\rb\r\rc\r"),
    ],
)
def test_newline_on_write(env: Env, newline: str | None, raw: bytes) -> None:
    with env.open(env.p("f"), "w", newline=newline, encoding="utf-8") as f:
        f.write("a\nb\r\nc\r")
    assert env.read(env.p("f")) == raw


# ---------------------------------------------------------------- opener, fds, closefd


def test_opener(env: Env) -> None:
    o = env.os
    calls: list[tuple[str, int]] = []

    def opener(path: str, flags: int) -> int:
        calls.append((path, flags))
        fd: int = o.open(path, flags, 0o600)
        return fd

    p = env.p("f")
    with env.open(p, "w", opener=opener) as f:
        f.write("via opener")
        assert f.name == p
    assert len(calls) == 1 and calls[0][0] == p
    assert calls[0][1] & (o.O_WRONLY | o.O_CREAT | o.O_TRUNC) == o.O_WRONLY | o.O_CREAT | o.O_TRUNC
    assert stat.S_IMODE(o.stat(p).st_mode) == 0o600
    assert env.read(p) == b"via opener"


def test_opener_with_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    dfd = o.open(env.p("d"), o.O_RDONLY | o.O_DIRECTORY)
    try:
        with env.open("rel", "w", opener=lambda path, flags: o.open(path, flags, dir_fd=dfd)) as f:
            f.write("x")
    finally:
        o.close(dfd)
    assert env.read(env.p("d", "rel")) == b"x"


def test_opener_returning_negative_is_valueerror(env: Env) -> None:
    raises(ValueError, None, env.open, env.p("f"), "w", opener=lambda path, flags: -1)


def test_open_fd_closefd_false(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    fd = o.open(env.p("f"), o.O_RDONLY)
    try:
        with env.open(fd, "rb", closefd=False) as f:
            assert f.name == fd
            assert f.read() == b"abc"
        assert o.lseek(fd, 0, o.SEEK_CUR) == 3
        assert stat.S_ISREG(o.fstat(fd).st_mode)
    finally:
        o.close(fd)


def test_open_fd_closefd_true_closes(env: Env) -> None:
    o = env.os
    fd = o.open(env.p("f"), o.O_WRONLY | o.O_CREAT, 0o644)
    with env.open(fd, "w") as f:
        assert f.fileno() == fd
        f.write("owned")
    raises(OSError, errno.EBADF, o.close, fd)
    assert env.read(env.p("f")) == b"owned"


def test_closefd_false_with_path_is_valueerror(env: Env) -> None:
    env.write(env.p("f"))
    raises(ValueError, None, env.open, env.p("f"), "r", closefd=False)


def test_open_bad_fd(env: Env) -> None:
    o = env.os
    fd = o.open(env.p("f"), o.O_WRONLY | o.O_CREAT, 0o644)
    o.close(fd)
    raises(OSError, errno.EBADF, env.open, fd, "rb")


def test_fileno_matches_os_level(env: Env) -> None:
    o = env.os
    with env.open(env.p("f"), "wb") as f:
        f.write(b"12345")
        f.flush()
        assert o.fstat(f.fileno()).st_size == 5
        assert o.lseek(f.fileno(), 0, o.SEEK_CUR) == 5


def test_bytes_path(env: Env) -> None:
    env.write(env.p("f"), b"b")
    with env.open(env.pb("f"), "rb") as f:
        assert f.name == env.pb("f")
        assert f.read() == b"b"


# ---------------------------------------------------------------- seek, tell, lines


def test_text_seek_tell(env: Env) -> None:
    env.write(env.p("f"), b"abc\ndef\n")
    with env.open(env.p("f"), "r", encoding="utf-8") as f:
        assert f.readline() == "abc\n"
        assert f.tell() == 4
        pos = f.tell()
        assert f.read(2) == "de"
        f.seek(pos)
        assert f.read() == "def\n"
        assert f.seek(0) == 0
        assert f.seek(0, 2) == 8
        assert f.seek(0, 1) == 8
        raises(io.UnsupportedOperation, None, f.seek, 1, 1)
        raises(io.UnsupportedOperation, None, f.seek, -1, 2)
        raises(ValueError, None, f.seek, -1)


def test_binary_seek_tell(env: Env) -> None:
    env.write(env.p("f"), b"0123456789")
    with env.open(env.p("f"), "rb") as f:
        assert f.seek(3) == 3
        assert f.read(2) == b"34"
        assert f.seek(-2, 1) == 3
        assert f.seek(-1, 2) == 9
        assert f.read() == b"9"
        assert f.seek(100) == 100
        assert f.read() == b""
        e = raises(OSError, errno.EINVAL, f.seek, -1)
        assert type(e) is OSError
        assert f.tell() == 100


def test_readline_and_iteration(env: Env) -> None:
    env.write(env.p("f"), b"one\ntwo\n\nthree")
    with env.open(env.p("f")) as f:
        assert list(f) == ["one\n", "two\n", "\n", "three"]
    with env.open(env.p("f")) as f:
        assert f.readline(2) == "on"
        assert f.readline() == "e\n"
        assert f.readlines() == ["two\n", "\n", "three"]
        assert f.readline() == ""
    with env.open(env.p("f"), "rb") as f:
        assert list(f) == [b"one\n", b"two\n", b"\n", b"three"]
    with env.open(env.p("f"), "rb") as f:
        assert f.readline(5) == b"one\n"
        assert f.read(2) == b"tw"


def test_writelines(env: Env) -> None:
    with env.open(env.p("f"), "w") as f:
        f.writelines(["a\n", "b", "c\n"])
    assert env.read(env.p("f")) == b"a\nbc\n"


def test_truncate_via_file_object(env: Env) -> None:
    p = env.p("f")
    env.write(p, b"0123456789")
    with env.open(p, "r+b") as f:
        assert f.truncate(4) == 4
        assert f.tell() == 0
        f.seek(2)
        assert f.truncate() == 2
        assert f.tell() == 2
        assert f.truncate(6) == 6
    assert env.read(p) == b"01\0\0\0\0"
    with env.open(p, "r+") as f:
        f.seek(3)
        assert f.truncate() == 3
    assert env.read(p) == b"01\0"


def test_truncate_on_read_only_file_object(env: Env) -> None:
    env.write(env.p("f"), b"abc")
    with env.open(env.p("f"), "rb") as f:
        raises(io.UnsupportedOperation, None, f.truncate, 1)
    assert env.read(env.p("f")) == b"abc"


# ---------------------------------------------------------------- misuse


def test_wrong_direction_is_unsupported(env: Env) -> None:
    env.write(env.p("f"), b"abc")
    with env.open(env.p("f"), "w") as f:
        raises(io.UnsupportedOperation, None, f.read)
    with env.open(env.p("f"), "rb") as f:
        raises(io.UnsupportedOperation, None, f.write, b"x")
    with env.open(env.p("f"), "r") as f:
        raises(io.UnsupportedOperation, None, f.write, "x")


def test_wrong_data_type_is_typeerror(env: Env) -> None:
    with env.open(env.p("f"), "w") as f:
        raises(TypeError, None, f.write, b"bytes")
    with env.open(env.p("f"), "wb") as f:
        raises(TypeError, None, f.write, "text")


def test_closed_file_is_valueerror(env: Env) -> None:
    f = env.open(env.p("f"), "w")
    f.close()
    f.close()
    raises(ValueError, None, f.write, "x")
    raises(ValueError, None, f.read)
    raises(ValueError, None, f.fileno)
    raises(ValueError, None, f.tell)
