"""File descriptors: os.open flags and errnos, read/write/seek, dup, pipes,
sendfile/copy_file_range and the sharing semantics of open file descriptions."""

from __future__ import annotations

import contextlib
import errno
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Env
from .helpers import raises


@contextlib.contextmanager
def opened(env: Env, path: Any, flags: int, mode: int = 0o644, **kw: Any) -> Iterator[int]:
    fd: int = env.os.open(path, flags, mode, **kw)
    try:
        yield fd
    finally:
        env.os.close(fd)


@contextlib.contextmanager
def pipe(env: Env, flags: int | None = None) -> Iterator[tuple[int, int]]:
    r, w = env.os.pipe() if flags is None else env.os.pipe2(flags)
    fds = [r, w]
    try:
        yield r, w
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                env.os.close(fd)


def free_fds(env: Env, n: int) -> int:
    """The first of ``n`` consecutive fd numbers that are not open."""
    for start in range(200, 2000, n):
        ok = True
        for fd in range(start, start + n):
            try:
                env.os.fstat(fd)
            except OSError as e:
                assert e.errno == errno.EBADF
            else:
                ok = False
        if ok:
            return start
    raise AssertionError("no free fd block")


# ---------------------------------------------------------------- os.open


def test_creat_applies_mode_and_umask(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT, 0o666) as fd:
        assert isinstance(fd, int) and fd >= 0
        st = o.fstat(fd)
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o644
    assert st.st_size == 0


def test_creat_keeps_existing_content_without_trunc(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"hello")
    with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT, 0o600) as fd:
        o.write(fd, b"J")
    assert env.read(env.p("f")) == b"Jello"
    assert stat.S_IMODE(o.stat(env.p("f")).st_mode) == 0o644


def test_open_missing_is_enoent(env: Env) -> None:
    p = env.p("missing")
    e = raises(FileNotFoundError, errno.ENOENT, env.os.open, p, env.os.O_RDONLY)
    assert e.filename == p
    o = env.os
    p = env.p("nodir", "f")
    e = raises(FileNotFoundError, errno.ENOENT, o.open, p, o.O_WRONLY | o.O_CREAT, 0o644)
    assert e.filename == p


def test_excl_on_existing_is_eexist(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    p = env.p("f")
    e = raises(FileExistsError, errno.EEXIST, o.open, p, o.O_WRONLY | o.O_CREAT | o.O_EXCL)
    assert e.filename == p
    assert env.read(p) == b"x"


def test_creat_through_dangling_symlink(env: Env) -> None:
    o = env.os
    o.symlink("target", env.p("ln"))
    raises(FileExistsError, errno.EEXIST, o.open, env.p("ln"), o.O_WRONLY | o.O_CREAT | o.O_EXCL)
    assert not o.path.lexists(env.p("target"))
    with opened(env, env.p("ln"), o.O_WRONLY | o.O_CREAT) as fd:
        o.write(fd, b"via link")
    assert env.read(env.p("target")) == b"via link"
    assert stat.S_ISLNK(o.lstat(env.p("ln")).st_mode)


def test_excl_without_creat_is_ignored(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDONLY | o.O_EXCL) as fd:
        assert o.read(fd, 10) == b"abc"


@pytest.mark.parametrize("acc", ["O_WRONLY", "O_RDWR", "O_RDONLY"])
def test_trunc_empties_file(env: Env, acc: str) -> None:
    o = env.os
    env.write(env.p("f"), b"some data")
    with opened(env, env.p("f"), getattr(o, acc) | o.O_TRUNC) as fd:
        assert o.fstat(fd).st_size == 0
    assert env.read(env.p("f")) == b""


@pytest.mark.parametrize(
    "flags", ["O_WRONLY", "O_RDWR", "O_WRONLY|O_CREAT", "O_RDONLY|O_CREAT", "O_RDWR|O_TRUNC"]
)
def test_open_dir_for_writing_or_creat_is_eisdir(env: Env, flags: str) -> None:
    o = env.os
    fl = 0
    for name in flags.split("|"):
        fl |= getattr(o, name)
    o.mkdir(env.p("d"))
    e = raises(IsADirectoryError, errno.EISDIR, o.open, env.p("d"), fl, 0o644)
    assert e.filename == env.p("d")


def test_o_directory(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("f"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as fd:
        assert stat.S_ISDIR(o.fstat(fd).st_mode)
    e = raises(NotADirectoryError, errno.ENOTDIR, o.open, env.p("f"), o.O_RDONLY | o.O_DIRECTORY)
    assert e.filename == env.p("f")
    raises(FileNotFoundError, errno.ENOENT, o.open, env.p("x"), o.O_RDONLY | o.O_DIRECTORY)


@pytest.mark.parametrize("exists", [False, True])
def test_creat_with_directory_is_einval(env: Env, exists: bool) -> None:
    o = env.os
    if exists:
        o.mkdir(env.p("d"))
    flags = o.O_RDONLY | o.O_CREAT | o.O_DIRECTORY
    e = raises(OSError, errno.EINVAL, o.open, env.p("d"), flags, 0o755)
    assert e.filename == env.p("d")
    assert o.path.isdir(env.p("d")) == exists


def test_trailing_slash_on_file_is_enotdir(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    raises(NotADirectoryError, errno.ENOTDIR, o.open, env.p("f") + "/", o.O_RDONLY)
    p = env.p("new") + "/"
    raises(IsADirectoryError, errno.EISDIR, o.open, p, o.O_WRONLY | o.O_CREAT, 0o644)
    assert not o.path.lexists(env.p("new"))


def test_nofollow_on_symlink_is_eloop(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    o.symlink("f", env.p("ln"))
    e = raises(OSError, errno.ELOOP, o.open, env.p("ln"), o.O_RDONLY | o.O_NOFOLLOW)
    assert e.filename == env.p("ln")
    with opened(env, env.p("f"), o.O_RDONLY | o.O_NOFOLLOW) as fd:
        assert o.read(fd, 5) == b"x"
    o.mkdir(env.p("d"))
    o.symlink("d", env.p("dl"))
    flags = o.O_RDONLY | o.O_NOFOLLOW | o.O_DIRECTORY
    raises(NotADirectoryError, errno.ENOTDIR, o.open, env.p("dl"), flags)


def test_nofollow_only_applies_to_last_component(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"inner")
    o.symlink("d", env.p("ln"))
    with opened(env, env.p("ln", "f"), o.O_RDONLY | o.O_NOFOLLOW) as fd:
        assert o.read(fd, 10) == b"inner"


def test_o_path_fd_cannot_do_io(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"data")
    with opened(env, env.p("f"), o.O_PATH) as fd:
        assert stat.S_ISREG(o.fstat(fd).st_mode)
        assert o.fstat(fd).st_size == 4
        raises(OSError, errno.EBADF, o.read, fd, 1)
        raises(OSError, errno.EBADF, o.write, fd, b"x")
        raises(OSError, errno.EBADF, o.lseek, fd, 0, o.SEEK_SET)
        raises(OSError, errno.EBADF, o.fsync, fd)
        raises(OSError, errno.EBADF, o.ftruncate, fd, 0)
        raises(OSError, errno.EBADF, o.fchmod, fd, 0o600)
    assert env.read(env.p("f")) == b"data"


def test_o_path_nofollow_opens_the_symlink_itself(env: Env) -> None:
    o = env.os
    o.symlink("target", env.p("ln"))
    with opened(env, env.p("ln"), o.O_PATH | o.O_NOFOLLOW) as fd:
        st = o.fstat(fd)
    assert stat.S_ISLNK(st.st_mode)
    assert st.st_size == len("target")


def test_fds_are_not_inheritable_by_default(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        assert o.get_inheritable(fd) is False
    with opened(env, env.p("f"), o.O_RDWR | o.O_CLOEXEC) as fd:
        assert o.get_inheritable(fd) is False
        o.set_inheritable(fd, True)
        assert o.get_inheritable(fd) is True
        o.set_inheritable(fd, False)
        assert o.get_inheritable(fd) is False


def test_nonblock_flag_and_set_blocking(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDONLY | o.O_NONBLOCK) as fd:
        assert o.get_blocking(fd) is False
        assert o.read(fd, 10) == b"abc"
        o.set_blocking(fd, True)
        assert o.get_blocking(fd) is True
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        assert o.get_blocking(fd) is True
        o.set_blocking(fd, False)
        assert o.get_blocking(fd) is False


@pytest.mark.parametrize("flag", ["O_SYNC", "O_DSYNC"])
def test_sync_flags_write_through(env: Env, flag: str) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT | getattr(o, flag)) as fd:
        assert o.write(fd, b"synced") == 6
        assert o.pread(fd, 10, 0) == b"synced"
    assert env.read(env.p("f")) == b"synced"


def test_noatime_keeps_atime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.utime(env.p("f"), ns=(1_000_000_000, 2_000_000_000))
    with opened(env, env.p("f"), o.O_RDONLY | o.O_NOATIME) as fd:
        assert o.read(fd, 3) == b"abc"
    assert o.stat(env.p("f")).st_atime_ns == 1_000_000_000


def test_noatime_on_others_file_is_eperm(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc", 0o644)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EPERM, o.open, env.p("f"), o.O_RDONLY | o.O_NOATIME)
        assert e.filename == env.p("f")
        env.write(env.p("mine"), b"m")
        with opened(env, env.p("mine"), o.O_RDONLY | o.O_NOATIME) as fd:
            assert o.read(fd, 1) == b"m"


def test_tmpfile_is_anonymous(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    with opened(env, env.p("d"), o.O_TMPFILE | o.O_RDWR, 0o600) as fd:
        st = o.fstat(fd)
        assert stat.S_ISREG(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_nlink == 0
        assert o.write(fd, b"tmp") == 3
        assert o.pread(fd, 3, 0) == b"tmp"
        assert o.listdir(env.p("d")) == []


def test_tmpfile_errors(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    raises(OSError, errno.EINVAL, o.open, env.base, o.O_TMPFILE | o.O_RDONLY, 0o600)
    raises(NotADirectoryError, errno.ENOTDIR, o.open, env.p("f"), o.O_TMPFILE | o.O_RDWR, 0o600)
    raises(FileNotFoundError, errno.ENOENT, o.open, env.p("x"), o.O_TMPFILE | o.O_RDWR, 0o600)


@pytest.mark.parametrize(
    ("mode", "flags"),
    [
        (0o600, "O_RDONLY"),
        (0o644, "O_WRONLY"),
        (0o644, "O_RDWR"),
        (0o644, "O_RDONLY|O_TRUNC"),
        (0o200, "O_RDONLY"),
        (0o400, "O_WRONLY"),
    ],
)
def test_eacces_for_other_user(env: Env, mode: int, flags: str) -> None:
    o = env.os
    fl = 0
    for name in flags.split("|"):
        fl |= getattr(o, name)
    env.write(env.p("f"), b"keep")
    o.chmod(env.p("f"), mode)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EACCES, o.open, env.p("f"), fl)
    assert e.filename == env.p("f")
    assert env.read(env.p("f")) == b"keep"


def test_eacces_creating_in_unwritable_dir(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"), 0o755)
    with env.as_user(1000, 1000):
        p = env.p("d", "f")
        e = raises(PermissionError, errno.EACCES, o.open, p, o.O_WRONLY | o.O_CREAT, 0o644)
    assert e.filename == p
    assert o.listdir(env.p("d")) == []


def test_open_with_dir_fd_and_bytes(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        with opened(env, "f", o.O_WRONLY | o.O_CREAT, 0o644, dir_fd=dfd) as fd:
            o.write(fd, b"rel")
    with opened(env, env.pb("d", "f"), o.O_RDONLY) as fd:
        assert o.read(fd, 10) == b"rel"


# ---------------------------------------------------------------- read / write


def test_write_and_read_counts(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        assert o.write(fd, b"hello world") == 11
        assert o.write(fd, memoryview(b"!!")) == 2
        assert o.write(fd, b"") == 0
        assert o.lseek(fd, 0, o.SEEK_SET) == 0
        assert o.read(fd, 5) == b"hello"
        assert o.read(fd, 0) == b""
        assert o.read(fd, 100) == b" world!!"
        assert o.read(fd, 100) == b""


def test_read_negative_count_is_einval(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        e = raises(OSError, errno.EINVAL, o.read, fd, -1)
    assert e.filename is None


def test_read_on_write_only_is_ebadf(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT) as fd:
        e = raises(OSError, errno.EBADF, o.read, fd, 1)
        assert e.filename is None
        raises(OSError, errno.EBADF, o.pread, fd, 1, 0)
        raises(OSError, errno.EBADF, o.readv, fd, [bytearray(1)])


def test_write_on_read_only_is_ebadf(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        e = raises(OSError, errno.EBADF, o.write, fd, b"x")
        assert e.filename is None
        raises(OSError, errno.EBADF, o.pwrite, fd, b"x", 0)
        raises(OSError, errno.EBADF, o.writev, fd, [b"x"])
    assert env.read(env.p("f")) == b"abc"


def test_read_on_directory_is_eisdir(env: Env) -> None:
    o = env.os
    with opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as fd:
        e = raises(IsADirectoryError, errno.EISDIR, o.read, fd, 10)
        assert e.filename is None
        raises(IsADirectoryError, errno.EISDIR, o.pread, fd, 10, 0)


def test_pread_pwrite_leave_offset(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"0123456789")
        assert o.lseek(fd, 3, o.SEEK_SET) == 3
        assert o.pread(fd, 4, 5) == b"5678"
        assert o.pread(fd, 10, 8) == b"89"
        assert o.pread(fd, 10, 10) == b""
        assert o.pread(fd, 10, 1000) == b""
        assert o.pwrite(fd, b"AB", 1) == 2
        assert o.lseek(fd, 0, o.SEEK_CUR) == 3
        assert o.read(fd, 2) == b"34"
    assert env.read(env.p("f")) == b"0AB3456789"


def test_pwrite_past_eof_fills_zeros(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"ab")
        assert o.pwrite(fd, b"Z", 6) == 1
        assert o.fstat(fd).st_size == 7
        assert o.lseek(fd, 0, o.SEEK_CUR) == 2
    assert env.read(env.p("f")) == b"ab\0\0\0\0Z"


def test_pread_pwrite_negative_offset_is_einval(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        raises(OSError, errno.EINVAL, o.pread, fd, 1, -1)
        raises(OSError, errno.EINVAL, o.pwrite, fd, b"x", -1)


def test_readv_writev(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        assert o.writev(fd, [b"012", b"", memoryview(b"3456"), bytearray(b"789")]) == 10
        assert o.lseek(fd, 0, o.SEEK_CUR) == 10
        assert o.writev(fd, []) == 0
        o.lseek(fd, 0, o.SEEK_SET)
        bufs = [bytearray(3), bytearray(0), bytearray(4)]
        assert o.readv(fd, bufs) == 7
        assert bufs == [bytearray(b"012"), bytearray(b""), bytearray(b"3456")]
        big = [bytearray(2), bytearray(5)]
        assert o.readv(fd, big) == 3
        assert big == [bytearray(b"78"), bytearray(b"9\0\0\0\0")]
        assert o.readv(fd, [bytearray(4)]) == 0


def test_preadv_pwritev(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"abcdef")
        assert o.pwritev(fd, [b"X", b"YZ"], 1) == 3
        bufs = [bytearray(2), bytearray(3)]
        assert o.preadv(fd, bufs, 0) == 5
        assert bufs == [bytearray(b"aX"), bytearray(b"YZe")]
        assert o.lseek(fd, 0, o.SEEK_CUR) == 6


# ---------------------------------------------------------------- lseek


def test_lseek_whences(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"0123456789")
        assert o.lseek(fd, 0, o.SEEK_CUR) == 10
        assert o.lseek(fd, 2, o.SEEK_SET) == 2
        assert o.lseek(fd, 3, o.SEEK_CUR) == 5
        assert o.lseek(fd, -2, o.SEEK_CUR) == 3
        assert o.read(fd, 1) == b"3"
        assert o.lseek(fd, -1, o.SEEK_END) == 9
        assert o.read(fd, 5) == b"9"
        assert o.lseek(fd, 0, o.SEEK_END) == 10
        assert o.lseek(fd, 5, o.SEEK_END) == 15
        assert o.read(fd, 1) == b""
        assert o.fstat(fd).st_size == 10
        o.write(fd, b"E")
        assert o.fstat(fd).st_size == 16
    assert env.read(env.p("f")) == b"0123456789" + b"\0" * 5 + b"E"


@pytest.mark.parametrize(("pos", "whence"), [(-1, 0), (-11, 1), (-11, 2), (0, 7)])
def test_lseek_invalid_is_einval(env: Env, pos: int, whence: int) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"0123456789")
        e = raises(OSError, errno.EINVAL, o.lseek, fd, pos, whence)
        assert e.filename is None
        assert o.lseek(fd, 0, o.SEEK_CUR) == 10


# ---------------------------------------------------------------- close, dup


def test_close_twice_is_ebadf(env: Env) -> None:
    o = env.os
    fd = o.open(env.p("f"), o.O_WRONLY | o.O_CREAT, 0o644)
    assert o.close(fd) is None
    e = raises(OSError, errno.EBADF, o.close, fd)
    assert e.filename is None
    raises(OSError, errno.EBADF, o.fstat, fd)
    raises(OSError, errno.EBADF, o.read, fd, 1)
    raises(OSError, errno.EBADF, o.write, fd, b"x")
    raises(OSError, errno.EBADF, o.dup, fd)
    raises(OSError, errno.EBADF, o.fsync, fd)
    raises(OSError, errno.EBADF, o.fdatasync, fd)
    raises(OSError, errno.EBADF, o.get_inheritable, fd)
    raises(OSError, errno.EBADF, o.set_inheritable, fd, True)
    raises(OSError, errno.EBADF, o.get_blocking, fd)
    raises(OSError, errno.EBADF, o.set_blocking, fd, True)


def test_closerange(env: Env) -> None:
    o = env.os
    start = free_fds(env, 5)
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        for n in (start, start + 1, start + 3):
            assert o.dup2(fd, n) == n
        o.fstat(start + 3)
        assert o.closerange(start, start + 3) is None
        for n in (start, start + 1, start + 2):
            raises(OSError, errno.EBADF, o.fstat, n)
        o.fstat(start + 3)
        o.closerange(start + 3, start + 4)
        raises(OSError, errno.EBADF, o.fstat, start + 3)
        assert stat.S_ISREG(o.fstat(fd).st_mode)


def test_dup_shares_offset(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abcdef")
    with opened(env, env.p("f"), o.O_RDWR) as fd:
        fd2 = o.dup(fd)
        try:
            assert fd2 != fd
            assert o.get_inheritable(fd2) is False
            assert o.read(fd, 2) == b"ab"
            assert o.lseek(fd2, 0, o.SEEK_CUR) == 2
            assert o.read(fd2, 2) == b"cd"
            assert o.lseek(fd, 0, o.SEEK_CUR) == 4
        finally:
            o.close(fd2)
        assert o.read(fd, 5) == b"ef"


def test_two_opens_have_independent_offsets(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abcdef")
    with opened(env, env.p("f"), o.O_RDWR) as a, opened(env, env.p("f"), o.O_RDWR) as b:
        assert o.read(a, 3) == b"abc"
        assert o.lseek(b, 0, o.SEEK_CUR) == 0
        assert o.read(b, 2) == b"ab"
        o.write(b, b"X")
        assert o.read(a, 3) == b"def"
        assert o.pread(a, 6, 0) == b"abXdef"


def test_dup2_redirects_and_inheritable_flag(env: Env) -> None:
    o = env.os
    env.write(env.p("a"), b"AAA")
    env.write(env.p("b"), b"BBB")
    with opened(env, env.p("a"), o.O_RDONLY) as a, opened(env, env.p("b"), o.O_RDONLY) as b:
        assert o.dup2(a, b) == b
        assert o.get_inheritable(b) is True
        assert o.read(b, 3) == b"AAA"
        assert o.lseek(a, 0, o.SEEK_CUR) == 3
        o.set_inheritable(b, False)
        assert o.dup2(a, b, inheritable=False) == b
        assert o.get_inheritable(b) is False
        assert o.get_inheritable(a) is False


def test_dup2_same_fd(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        assert o.dup2(fd, fd) == fd
        assert o.get_inheritable(fd) is False
        raises(OSError, errno.EINVAL, o.dup2, fd, fd, inheritable=False)
        o.fstat(fd)


def test_dup2_bad_fds_are_ebadf(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        closed = o.dup(fd)
        o.close(closed)
        raises(OSError, errno.EBADF, o.dup2, closed, fd)
        raises(OSError, errno.EBADF, o.dup2, fd, -1)
        o.fstat(fd)


# ---------------------------------------------------------------- append


def test_append_always_writes_at_end(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDWR | o.O_APPEND) as fd:
        assert o.lseek(fd, 0, o.SEEK_CUR) == 0
        assert o.read(fd, 1) == b"a"
        o.write(fd, b"D")
        assert o.lseek(fd, 0, o.SEEK_CUR) == 4
        assert o.lseek(fd, 0, o.SEEK_SET) == 0
        o.write(fd, b"E")
        assert o.lseek(fd, 0, o.SEEK_CUR) == 5
    assert env.read(env.p("f")) == b"abcDE"


def test_append_sees_writes_by_other_fds(env: Env) -> None:
    o = env.os
    with (
        opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT | o.O_APPEND) as a,
        opened(env, env.p("f"), o.O_WRONLY) as b,
    ):
        o.write(a, b"1")
        o.write(b, b"xyz")
        o.write(a, b"2")
    assert env.read(env.p("f")) == b"xyz2"


def test_pwrite_on_append_fd_appends(env: Env) -> None:
    # Linux ignores the offset of pwrite() on an O_APPEND fd.
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_WRONLY | o.O_APPEND) as fd:
        assert o.pwrite(fd, b"XY", 0) == 2
        assert o.lseek(fd, 0, o.SEEK_CUR) == 0
    assert env.read(env.p("f")) == b"abcXY"


# ---------------------------------------------------------------- fstat, fsync, ftruncate


def test_fstat_matches_stat(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"12345")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        a = o.fstat(fd)
    b = o.stat(env.p("f"))
    for field in ("st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size"):
        assert getattr(a, field) == getattr(b, field)
    assert a.st_mtime_ns == b.st_mtime_ns
    assert a.st_size == 5


@pytest.mark.parametrize("acc", ["O_RDONLY", "O_WRONLY", "O_RDWR"])
def test_fsync_fdatasync(env: Env, acc: str) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    with opened(env, env.p("f"), getattr(o, acc)) as fd:
        assert o.fsync(fd) is None
        assert o.fdatasync(fd) is None
    with opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as fd:
        assert o.fsync(fd) is None


def test_ftruncate_needs_writable_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abcdef")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        e = raises(OSError, errno.EINVAL, o.ftruncate, fd, 2)
        assert e.filename is None
    with opened(env, env.p("f"), o.O_WRONLY) as fd:
        assert o.ftruncate(fd, 2) is None
        assert o.lseek(fd, 0, o.SEEK_CUR) == 0
        raises(OSError, errno.EINVAL, o.ftruncate, fd, -1)
    assert env.read(env.p("f")) == b"ab"
    with opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as fd:
        raises(OSError, errno.EINVAL, o.ftruncate, fd, 0)


# ---------------------------------------------------------------- unlinked files


def test_unlinked_open_file_stays_usable(env: Env) -> None:
    o = env.os
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT) as fd:
        o.write(fd, b"abc")
        o.unlink(env.p("f"))
        assert not o.path.lexists(env.p("f"))
        st = o.fstat(fd)
        assert st.st_nlink == 0
        assert st.st_size == 3
        o.write(fd, b"def")
        assert o.pread(fd, 10, 0) == b"abcdef"
        o.ftruncate(fd, 1)
        assert o.fstat(fd).st_size == 1
    assert o.listdir(env.base) == []


def test_unlinked_file_with_second_link_and_second_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.link(env.p("f"), env.p("g"))
    with opened(env, env.p("f"), o.O_RDONLY) as r:
        o.unlink(env.p("f"))
        assert o.fstat(r).st_nlink == 1
        o.unlink(env.p("g"))
        assert o.fstat(r).st_nlink == 0
        assert o.read(r, 10) == b"abc"


def test_replaced_file_keeps_old_content_for_open_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"old")
    env.write(env.p("new"), b"new!")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        o.rename(env.p("new"), env.p("f"))
        assert o.read(fd, 10) == b"old"
        assert o.fstat(fd).st_nlink == 0
    assert env.read(env.p("f")) == b"new!"


# ---------------------------------------------------------------- sendfile, copy_file_range


def test_sendfile_with_offset(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDONLY) as src,
        opened(env, env.p("dst"), o.O_RDWR | o.O_CREAT) as dst,
    ):
        assert o.sendfile(dst, src, 2, 5) == 5
        assert o.lseek(src, 0, o.SEEK_CUR) == 0
        assert o.lseek(dst, 0, o.SEEK_CUR) == 5
        assert o.sendfile(dst, src, 8, 30) == 2
        assert o.sendfile(dst, src, 10, 3) == 0
        assert o.sendfile(dst, src, 100, 3) == 0
        assert o.sendfile(dst, src, 0, 0) == 0
    assert env.read(env.p("dst")) == b"2345689"


def test_sendfile_without_offset_uses_file_position(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDONLY) as src,
        opened(env, env.p("dst"), o.O_WRONLY | o.O_CREAT) as dst,
    ):
        o.lseek(src, 4, o.SEEK_SET)
        assert o.sendfile(dst, src, None, 3) == 3
        assert o.lseek(src, 0, o.SEEK_CUR) == 7
        assert o.sendfile(dst, src, None, 100) == 3
        assert o.lseek(src, 0, o.SEEK_CUR) == 10
        assert o.sendfile(dst, src, None, 100) == 0
    assert env.read(env.p("dst")) == b"456789"


def test_sendfile_errors(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDONLY) as src,
        opened(env, env.p("src"), o.O_WRONLY) as wo,
        opened(env, env.p("app"), o.O_WRONLY | o.O_CREAT | o.O_APPEND) as app,
        opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as dfd,
    ):
        raises(OSError, errno.EBADF, o.sendfile, app, wo, 0, 2)
        raises(OSError, errno.EBADF, o.sendfile, src, src, 0, 2)
        raises(OSError, errno.EINVAL, o.sendfile, app, src, 0, 2)
        raises(OSError, errno.EINVAL, o.sendfile, wo, dfd, 0, 2)
    assert env.read(env.p("app")) == b""


def test_copy_file_range_with_offsets(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDONLY) as src,
        opened(env, env.p("dst"), o.O_RDWR | o.O_CREAT) as dst,
    ):
        assert o.copy_file_range(src, dst, 4, 3, 2) == 4
        assert o.lseek(src, 0, o.SEEK_CUR) == 0
        assert o.lseek(dst, 0, o.SEEK_CUR) == 0
        assert o.copy_file_range(src, dst, 100, 8, 6) == 2
        assert o.copy_file_range(src, dst, 5, 10, 0) == 0
        assert o.copy_file_range(src, dst, 0, 0, 0) == 0
    assert env.read(env.p("dst")) == b"\0\x00345689"


def test_copy_file_range_without_offsets(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDONLY) as src,
        opened(env, env.p("dst"), o.O_WRONLY | o.O_CREAT) as dst,
    ):
        o.lseek(src, 6, o.SEEK_SET)
        o.write(dst, b"ab")
        assert o.copy_file_range(src, dst, 3) == 3
        assert o.lseek(src, 0, o.SEEK_CUR) == 9
        assert o.lseek(dst, 0, o.SEEK_CUR) == 5
        assert o.copy_file_range(src, dst, 100) == 1
        assert o.copy_file_range(src, dst, 100) == 0
    assert env.read(env.p("dst")) == b"ab6789"


def test_copy_file_range_errors(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with (
        opened(env, env.p("src"), o.O_RDWR) as rw,
        opened(env, env.p("src"), o.O_RDONLY) as ro,
        opened(env, env.p("src"), o.O_WRONLY) as wo,
        opened(env, env.p("app"), o.O_WRONLY | o.O_CREAT | o.O_APPEND) as app,
        opened(env, env.base, o.O_RDONLY | o.O_DIRECTORY) as dfd,
    ):
        raises(OSError, errno.EINVAL, o.copy_file_range, rw, rw, 4, 0, 2)
        assert o.copy_file_range(rw, rw, 2, 0, 8) == 2
        raises(OSError, errno.EBADF, o.copy_file_range, ro, app, 2, 0, 0)
        raises(OSError, errno.EBADF, o.copy_file_range, wo, rw, 2, 0, 0)
        raises(OSError, errno.EBADF, o.copy_file_range, ro, ro, 2, 0, 5)
        raises(IsADirectoryError, errno.EISDIR, o.copy_file_range, dfd, rw, 2, 0, 0)
    assert env.read(env.p("src")) == b"0123456701"


# ---------------------------------------------------------------- pipes


def test_pipe_write_then_read_then_eof(env: Env) -> None:
    o = env.os
    with pipe(env) as (r, w):
        assert o.get_inheritable(r) is False and o.get_inheritable(w) is False
        assert o.get_blocking(r) is True
        assert o.write(w, b"hello") == 5
        assert o.read(r, 3) == b"hel"
        assert o.read(r, 10) == b"lo"
        o.write(w, b"x")
        o.close(w)
        assert o.read(r, 10) == b"x"
        assert o.read(r, 10) == b""


def test_pipe_fstat_and_wrong_direction(env: Env) -> None:
    o = env.os
    with pipe(env) as (r, w):
        st = o.fstat(r)
        assert stat.S_ISFIFO(st.st_mode)
        assert stat.S_ISFIFO(o.fstat(w).st_mode)
        raises(OSError, errno.EBADF, o.read, w, 1)
        raises(OSError, errno.EBADF, o.write, r, b"x")


def test_pipe_is_not_seekable(env: Env) -> None:
    o = env.os
    with pipe(env) as (r, w):
        for fd in (r, w):
            raises(OSError, errno.ESPIPE, o.lseek, fd, 0, o.SEEK_CUR)
        raises(OSError, errno.ESPIPE, o.pread, r, 1, 0)
        raises(OSError, errno.ESPIPE, o.pwrite, w, b"x", 0)
        raises(OSError, errno.EINVAL, o.ftruncate, w, 0)
        raises(OSError, errno.EINVAL, o.fsync, w)


def test_pipe2_nonblock_empty_read_is_eagain(env: Env) -> None:
    o = env.os
    with pipe(env, o.O_NONBLOCK | o.O_CLOEXEC) as (r, w):
        assert o.get_blocking(r) is False and o.get_blocking(w) is False
        assert o.get_inheritable(r) is False
        e = raises(BlockingIOError, errno.EAGAIN, o.read, r, 1)
        assert e.filename is None
        o.write(w, b"z")
        assert o.read(r, 5) == b"z"
    with pipe(env) as (r, _w):
        o.set_blocking(r, False)
        raises(BlockingIOError, errno.EAGAIN, o.read, r, 1)


def test_pipe2_flags(env: Env) -> None:
    o = env.os
    with pipe(env, 0) as (r, w):
        assert o.get_inheritable(r) is True and o.get_inheritable(w) is True
        assert o.get_blocking(r) is True
    raises(OSError, errno.EINVAL, o.pipe2, o.O_APPEND)


def test_write_to_pipe_without_reader_is_epipe(env: Env) -> None:
    o = env.os
    with pipe(env) as (r, w):
        o.close(r)
        e = raises(BrokenPipeError, errno.EPIPE, o.write, w, b"x")
        assert e.filename is None


def test_sendfile_file_to_pipe(env: Env) -> None:
    o = env.os
    env.write(env.p("src"), b"0123456789")
    with pipe(env) as (r, w), opened(env, env.p("src"), o.O_RDONLY) as src:
        assert o.sendfile(w, src, 3, 4) == 4
        assert o.read(r, 10) == b"3456"
