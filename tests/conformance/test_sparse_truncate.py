"""truncate/ftruncate, holes, st_blocks of sparse files and SEEK_DATA/SEEK_HOLE
(tmpfs allocates and reports data in 4 KiB pages)."""

from __future__ import annotations

import contextlib
import errno
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Env
from .helpers import raises

MiB = 1 << 20
PAGE = 4096


@contextlib.contextmanager
def opened(env: Env, path: str, flags: int, mode: int = 0o644) -> Iterator[int]:
    fd: int = env.os.open(path, flags, mode)
    try:
        yield fd
    finally:
        env.os.close(fd)


def rw(env: Env, name: str = "f") -> Any:
    o = env.os
    return opened(env, env.p(name), o.O_RDWR | o.O_CREAT)


# ---------------------------------------------------------------- truncate


def test_truncate_path_shrinks(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"0123456789")
    assert o.truncate(env.p("f"), 4) is None
    assert o.stat(env.p("f")).st_size == 4
    assert env.read(env.p("f")) == b"0123"


def test_truncate_bytes_path(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"0123456789")
    o.truncate(env.pb("f"), 2)
    assert env.read(env.p("f")) == b"01"


def test_truncate_accepts_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"0123456789")
    with opened(env, env.p("f"), o.O_WRONLY) as fd:
        o.truncate(fd, 3)
    assert env.read(env.p("f")) == b"012"


def test_ftruncate_extends_with_zeros(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.write(fd, b"abc")
        assert o.ftruncate(fd, 10) is None
        assert o.fstat(fd).st_size == 10
        assert o.lseek(fd, 0, o.SEEK_CUR) == 3
        assert o.read(fd, 100) == b"\0" * 7
    assert env.read(env.p("f")) == b"abc" + b"\0" * 7


def test_truncate_to_zero(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x" * 10000)
    o.truncate(env.p("f"), 0)
    st = o.stat(env.p("f"))
    assert st.st_size == 0
    assert st.st_blocks == 0


def test_truncate_keeps_offset_past_new_eof(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.write(fd, b"0123456789")
        o.ftruncate(fd, 2)
        assert o.lseek(fd, 0, o.SEEK_CUR) == 10
        assert o.read(fd, 5) == b""
        o.write(fd, b"Z")
        assert o.fstat(fd).st_size == 11
        assert o.pread(fd, 20, 0) == b"01" + b"\0" * 8 + b"Z"


def test_shrink_then_extend_zeroes_old_data(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.write(fd, b"A" * 10000)
        o.ftruncate(fd, 100)
        o.ftruncate(fd, 10000)
        data = o.pread(fd, 20000, 0)
    assert data == b"A" * 100 + b"\0" * 9900


def test_shrink_mid_page_then_extend_path(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"B" * (3 * PAGE))
    o.truncate(env.p("f"), PAGE + 5)
    o.truncate(env.p("f"), 3 * PAGE)
    data = env.read(env.p("f"))
    assert data == b"B" * (PAGE + 5) + b"\0" * (2 * PAGE - 5)


def test_truncate_via_other_fd_is_seen(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"0123456789")
    with opened(env, env.p("f"), o.O_RDONLY) as r:
        assert o.read(r, 2) == b"01"
        o.truncate(env.p("f"), 4)
        assert o.read(r, 10) == b"23"
        assert o.fstat(r).st_size == 4


def test_truncate_same_size_keeps_data(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.truncate(env.p("f"), 3)
    assert env.read(env.p("f")) == b"abc"


def test_truncate_large_size(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    o.truncate(env.p("f"), 1 << 40)
    st = o.stat(env.p("f"))
    assert st.st_size == 1 << 40
    assert st.st_blocks == 8
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        assert o.pread(fd, 4, (1 << 40) - 2) == b"\0\0"


# ---------------------------------------------------------------- truncate errors


def test_truncate_dir_is_eisdir(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    e = raises(IsADirectoryError, errno.EISDIR, o.truncate, env.p("d"), 0)
    assert e.filename == env.p("d")


def test_truncate_negative_is_einval(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    e = raises(OSError, errno.EINVAL, o.truncate, env.p("f"), -1)
    assert e.filename == env.p("f")
    assert env.read(env.p("f")) == b"abc"


def test_truncate_missing_is_enoent(env: Env) -> None:
    o = env.os
    e = raises(FileNotFoundError, errno.ENOENT, o.truncate, env.p("nope"), 0)
    assert e.filename == env.p("nope")
    assert not o.path.lexists(env.p("nope"))


def test_truncate_through_file_is_enotdir(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    e = raises(NotADirectoryError, errno.ENOTDIR, o.truncate, env.p("f", "x"), 0)
    assert e.filename == env.p("f", "x")


def test_truncate_fifo_is_einval(env: Env) -> None:
    o = env.os
    o.mkfifo(env.p("fifo"))
    raises(OSError, errno.EINVAL, o.truncate, env.p("fifo"), 0)


def test_truncate_follows_symlink(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abcdef")
    o.symlink("f", env.p("ln"))
    o.truncate(env.p("ln"), 2)
    assert env.read(env.p("f")) == b"ab"
    assert stat.S_ISLNK(o.lstat(env.p("ln")).st_mode)
    o.symlink("nowhere", env.p("dangling"))
    raises(FileNotFoundError, errno.ENOENT, o.truncate, env.p("dangling"), 0)


def test_truncate_without_write_permission_is_eacces(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc", 0o644)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EACCES, o.truncate, env.p("f"), 0)
    assert e.filename == env.p("f")
    assert env.read(env.p("f")) == b"abc"


def test_truncate_as_user_with_write_permission(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc", 0o644)
    o.chmod(env.p("f"), 0o666)
    with env.as_user(1000, 1000):
        o.truncate(env.p("f"), 1)
    assert env.read(env.p("f")) == b"a"


def test_truncate_as_root_ignores_mode(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc", 0o644)
    o.chmod(env.p("f"), 0)
    o.truncate(env.p("f"), 1)
    assert o.stat(env.p("f")).st_size == 1


def test_ftruncate_errors(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        e = raises(OSError, errno.EINVAL, o.ftruncate, fd, 0)
        assert e.filename is None
    with opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as fd:
        raises(OSError, errno.EINVAL, o.ftruncate, fd, 0)
    with opened(env, env.p("f"), o.O_RDWR) as fd:
        raises(OSError, errno.EINVAL, o.ftruncate, fd, -5)
        closed = o.dup(fd)
        o.close(closed)
        raises(OSError, errno.EBADF, o.ftruncate, closed, 0)
    assert env.read(env.p("f")) == b"abc"


# ---------------------------------------------------------------- holes and st_blocks


def test_empty_file_has_no_blocks(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    st = o.stat(env.p("f"))
    assert (st.st_size, st.st_blocks) == (0, 0)


@pytest.mark.parametrize(
    ("size", "blocks"), [(1, 8), (4095, 8), (4096, 8), (4097, 16), (3 * 4096, 24)]
)
def test_dense_file_blocks(env: Env, size: int, blocks: int) -> None:
    o = env.os
    env.write(env.p("f"), b"x" * size)
    st = o.stat(env.p("f"))
    assert st.st_size == size
    assert st.st_blocks == blocks


def test_extending_truncate_allocates_nothing(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.truncate(env.p("f"), MiB)
    st = o.stat(env.p("f"))
    assert st.st_size == MiB
    assert st.st_blocks == 0
    assert env.read(env.p("f")) == b"\0" * MiB


def test_pwrite_at_one_mib(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        assert o.pwrite(fd, b"x", MiB) == 1
        st = o.fstat(fd)
        assert st.st_size == MiB + 1
        assert st.st_blocks == 8
        assert o.pread(fd, 8, MiB - 4) == b"\0\0\0\0x"
        assert o.pread(fd, 100, 0) == b"\0" * 100


def test_write_straddling_pages_allocates_both(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.ftruncate(fd, MiB)
        o.pwrite(fd, b"y" * 10, PAGE - 5)
        assert o.fstat(fd).st_blocks == 16
        assert o.fstat(fd).st_size == MiB


def test_writing_zeros_allocates(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.ftruncate(fd, MiB)
        o.pwrite(fd, b"\0" * PAGE, 16 * PAGE)
        assert o.fstat(fd).st_blocks == 8
        assert o.lseek(fd, 0, o.SEEK_DATA) == 16 * PAGE


def test_shrink_frees_blocks(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"z" * (4 * PAGE))
    assert o.stat(env.p("f")).st_blocks == 32
    o.truncate(env.p("f"), PAGE + 1)
    assert o.stat(env.p("f")).st_blocks == 16
    o.truncate(env.p("f"), PAGE)
    assert o.stat(env.p("f")).st_blocks == 8


def test_seek_past_eof_then_write_leaves_hole(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.write(fd, b"head")
        o.lseek(fd, 10 * PAGE, o.SEEK_SET)
        o.write(fd, b"tail")
        st = o.fstat(fd)
        assert st.st_size == 10 * PAGE + 4
        assert st.st_blocks == 16
        assert o.pread(fd, 8, 4) == b"\0" * 8


# ---------------------------------------------------------------- SEEK_DATA / SEEK_HOLE


def test_seek_data_hole_single_page(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.pwrite(fd, b"x", MiB)
        assert o.lseek(fd, 0, o.SEEK_DATA) == MiB
        assert o.lseek(fd, 0, o.SEEK_CUR) == MiB
        assert o.lseek(fd, 0, o.SEEK_HOLE) == 0
        assert o.lseek(fd, 12345, o.SEEK_HOLE) == 12345
        assert o.lseek(fd, MiB, o.SEEK_HOLE) == MiB + 1
        assert o.lseek(fd, MiB, o.SEEK_DATA) == MiB


@pytest.mark.parametrize("whence", ["SEEK_DATA", "SEEK_HOLE"])
@pytest.mark.parametrize("offset", [MiB + 1, MiB + 100, 2 * MiB, -1])
def test_seek_data_hole_at_or_after_eof_is_enxio(env: Env, whence: str, offset: int) -> None:
    o = env.os
    with rw(env) as fd:
        o.pwrite(fd, b"x", MiB)
        e = raises(OSError, errno.ENXIO, o.lseek, fd, offset, getattr(o, whence))
        assert e.filename is None
        assert o.lseek(fd, 0, o.SEEK_CUR) == 0


def test_seek_data_in_trailing_hole_is_enxio(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.pwrite(fd, b"d" * 100, 2 * PAGE)
        o.ftruncate(fd, 16 * PAGE)
        assert o.lseek(fd, 0, o.SEEK_DATA) == 2 * PAGE
        assert o.lseek(fd, 2 * PAGE + 10, o.SEEK_DATA) == 2 * PAGE + 10
        assert o.lseek(fd, 2 * PAGE + 10, o.SEEK_HOLE) == 3 * PAGE
        assert o.lseek(fd, 0, o.SEEK_HOLE) == 0
        raises(OSError, errno.ENXIO, o.lseek, fd, 3 * PAGE, o.SEEK_DATA)
        assert o.lseek(fd, 3 * PAGE, o.SEEK_HOLE) == 3 * PAGE
        assert o.lseek(fd, 16 * PAGE - 1, o.SEEK_HOLE) == 16 * PAGE - 1


def test_seek_data_hole_multiple_extents(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.pwrite(fd, b"a", 0)
        o.pwrite(fd, b"b" * (PAGE + 1), 4 * PAGE)
        o.pwrite(fd, b"c", 10 * PAGE)
        assert o.lseek(fd, 0, o.SEEK_DATA) == 0
        assert o.lseek(fd, 0, o.SEEK_HOLE) == PAGE
        assert o.lseek(fd, PAGE, o.SEEK_DATA) == 4 * PAGE
        assert o.lseek(fd, 4 * PAGE, o.SEEK_HOLE) == 6 * PAGE
        assert o.lseek(fd, 6 * PAGE, o.SEEK_DATA) == 10 * PAGE
        assert o.lseek(fd, 10 * PAGE, o.SEEK_HOLE) == 10 * PAGE + 1


def test_seek_data_hole_dense_file(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"q" * 5000)
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        assert o.lseek(fd, 0, o.SEEK_DATA) == 0
        assert o.lseek(fd, 4999, o.SEEK_DATA) == 4999
        assert o.lseek(fd, 0, o.SEEK_HOLE) == 5000
        raises(OSError, errno.ENXIO, o.lseek, fd, 5000, o.SEEK_HOLE)


def test_seek_data_hole_empty_and_all_hole(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        raises(OSError, errno.ENXIO, o.lseek, fd, 0, o.SEEK_DATA)
        raises(OSError, errno.ENXIO, o.lseek, fd, 0, o.SEEK_HOLE)
        o.ftruncate(fd, 100)
        raises(OSError, errno.ENXIO, o.lseek, fd, 0, o.SEEK_DATA)
        assert o.lseek(fd, 0, o.SEEK_HOLE) == 0
        assert o.lseek(fd, 50, o.SEEK_HOLE) == 50
        assert o.lseek(fd, 0, o.SEEK_CUR) == 50


def test_seek_data_after_shrinking_away_data(env: Env) -> None:
    o = env.os
    with rw(env) as fd:
        o.pwrite(fd, b"x", 8 * PAGE)
        o.ftruncate(fd, 4 * PAGE)
        o.ftruncate(fd, 12 * PAGE)
        raises(OSError, errno.ENXIO, o.lseek, fd, 0, o.SEEK_DATA)
        assert o.fstat(fd).st_blocks == 0


def test_seek_hole_data_on_directory_is_einval(env: Env) -> None:
    o = env.os
    with opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as fd:
        raises(OSError, errno.EINVAL, o.lseek, fd, 0, o.SEEK_DATA)
        raises(OSError, errno.EINVAL, o.lseek, fd, 0, o.SEEK_HOLE)
