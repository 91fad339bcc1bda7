"""stat/lstat/fstat and every field of stat_result, os.path over them,
os.access, mkfifo and statvfs (tmpfs values)."""

from __future__ import annotations

import contextlib
import errno
import stat
from collections.abc import Iterator

import pytest

from .conftest import Env
from .helpers import raises


@contextlib.contextmanager
def opened(env: Env, path: str, flags: int, mode: int = 0o644) -> Iterator[int]:
    fd: int = env.os.open(path, flags, mode)
    try:
        yield fd
    finally:
        env.os.close(fd)


# ---------------------------------------------------------------- stat_result


def test_stat_result_shape(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"hello")
    st = o.stat(env.p("f"))
    assert isinstance(st, o.stat_result)
    assert len(st) == 10
    assert tuple(st)[:7] == (
        st.st_mode,
        st.st_ino,
        st.st_dev,
        st.st_nlink,
        st.st_uid,
        st.st_gid,
        st.st_size,
    )
    for i, name in ((7, "st_atime_ns"), (8, "st_mtime_ns"), (9, "st_ctime_ns")):
        assert isinstance(st[i], int)
        assert st[i] == getattr(st, name) // 10**9
    for name in ("st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size"):
        assert isinstance(getattr(st, name), int)
    for name in ("st_blocks", "st_blksize", "st_rdev"):
        assert isinstance(getattr(st, name), int)
    for name in ("st_atime", "st_mtime", "st_ctime"):
        assert isinstance(getattr(st, name), float)


@pytest.mark.parametrize("kind", ["a", "m", "c"])
def test_float_and_ns_times_agree(env: Env, kind: str) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    st = o.stat(env.p("f"))
    ns = getattr(st, f"st_{kind}time_ns")
    assert isinstance(ns, int)
    assert abs(getattr(st, f"st_{kind}time") - ns / 1e9) < 1e-5


def test_times_of_explicit_utime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"), ns=(1_500_000_001, 2_250_000_000))
    st = o.stat(env.p("f"))
    assert st.st_atime_ns == 1_500_000_001
    assert st.st_mtime_ns == 2_250_000_000
    assert st.st_mtime == 2.25
    assert st[7] == 1 and st[8] == 2


def test_regular_file_fields(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x" * 100)
    st = o.stat(env.p("f"))
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IFMT(st.st_mode) == stat.S_IFREG
    assert stat.S_IMODE(st.st_mode) == 0o644
    assert st.st_nlink == 1
    assert st.st_size == 100
    assert st.st_blocks == 8
    assert st.st_blksize == 4096
    assert st.st_uid == 0 and st.st_gid == 0
    assert st.st_rdev == 0


def test_created_times_are_equal_to_each_other_after_utime_none(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"))
    st = o.stat(env.p("f"))
    assert st.st_atime_ns == st.st_mtime_ns == st.st_ctime_ns


def test_file_owned_by_creator(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1001):
        env.write(env.p("f"))
        o.mkdir(env.p("d"))
    for name in ("f", "d"):
        st = o.stat(env.p(name))
        assert (st.st_uid, st.st_gid) == (1000, 1001)


def test_empty_dir_fields(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    st = o.stat(env.p("d"))
    assert stat.S_ISDIR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o755
    assert st.st_nlink == 2
    assert st.st_size == 40
    assert st.st_blocks == 0
    assert st.st_blksize == 4096


def test_dir_size_counts_entries(env: Env) -> None:
    o = env.os
    d = env.p("d")
    o.mkdir(d)
    env.write(env.p("d", "f"))
    assert o.stat(d).st_size == 60
    o.mkdir(env.p("d", "sub"))
    assert o.stat(d).st_size == 80
    o.symlink("x", env.p("d", "ln"))
    o.mkfifo(env.p("d", "fifo"))
    assert o.stat(d).st_size == 120
    o.link(env.p("d", "f"), env.p("d", "hard"))
    assert o.stat(d).st_size == 140
    o.unlink(env.p("d", "hard"))
    o.rename(env.p("d", "f"), env.p("d", "g"))
    assert o.stat(d).st_size == 120
    o.rename(env.p("d", "g"), env.p("moved"))
    assert o.stat(d).st_size == 100
    o.rmdir(env.p("d", "sub"))
    assert o.stat(d).st_size == 80


def test_dir_nlink_counts_subdirs(env: Env) -> None:
    o = env.os
    d = env.p("d")
    o.mkdir(d)
    env.write(env.p("d", "f"))
    assert o.stat(d).st_nlink == 2
    o.mkdir(env.p("d", "a"))
    o.mkdir(env.p("d", "b"))
    assert o.stat(d).st_nlink == 4
    o.rename(env.p("d", "a"), env.p("a"))
    assert o.stat(d).st_nlink == 3
    o.rmdir(env.p("d", "b"))
    assert o.stat(d).st_nlink == 2


def test_file_nlink_counts_hard_links(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    o.link(env.p("f"), env.p("g"))
    a, b = o.stat(env.p("f")), o.stat(env.p("g"))
    assert a.st_nlink == b.st_nlink == 2
    assert a.st_ino == b.st_ino and a.st_dev == b.st_dev
    o.unlink(env.p("f"))
    assert o.stat(env.p("g")).st_nlink == 1


@pytest.mark.parametrize("target", ["f", "a/b/c", "x" * 127, "é", "x" * 200])
def test_symlink_lstat(env: Env, target: str) -> None:
    o = env.os
    o.symlink(target, env.p("ln"))
    st = o.lstat(env.p("ln"))
    assert stat.S_ISLNK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o777
    assert st.st_size == len(target.encode())
    assert st.st_nlink == 1


@pytest.mark.parametrize(("length", "blocks"), [(1, 0), (127, 0), (128, 8), (4000, 8)])
def test_symlink_blocks(env: Env, length: int, blocks: int) -> None:
    o = env.os
    o.symlink("y" * length, env.p("ln"))
    assert o.lstat(env.p("ln")).st_blocks == blocks


def test_stat_follows_symlink_lstat_does_not(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"12345")
    o.symlink("f", env.p("ln"))
    st, lst = o.stat(env.p("ln")), o.lstat(env.p("ln"))
    assert stat.S_ISREG(st.st_mode) and st.st_size == 5
    assert st.st_ino == o.stat(env.p("f")).st_ino
    assert stat.S_ISLNK(lst.st_mode) and lst.st_ino != st.st_ino
    nf = o.stat(env.p("ln"), follow_symlinks=False)
    assert stat.S_ISLNK(nf.st_mode) and nf.st_ino == lst.st_ino
    assert o.lstat(env.p("f")).st_ino == st.st_ino


def test_fstat_and_stat_of_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        a, b = o.fstat(fd), o.stat(fd)
    c = o.stat(env.p("f"))
    assert a.st_ino == b.st_ino == c.st_ino
    assert a.st_size == b.st_size == 3
    assert a.st_mtime_ns == c.st_mtime_ns


def test_stat_with_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"xy")
    o.symlink("f", env.p("d", "ln"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        assert o.stat("f", dir_fd=dfd).st_size == 2
        assert stat.S_ISREG(o.stat("ln", dir_fd=dfd).st_mode)
        assert stat.S_ISLNK(o.stat("ln", dir_fd=dfd, follow_symlinks=False).st_mode)
        assert stat.S_ISLNK(o.lstat("ln", dir_fd=dfd).st_mode)
        raises(FileNotFoundError, errno.ENOENT, o.stat, "nope", dir_fd=dfd)
        assert o.stat(env.p("d", "f"), dir_fd=dfd).st_size == 2


def test_stat_bytes_path(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abcd")
    assert o.stat(env.pb("f")).st_size == 4
    e = raises(FileNotFoundError, errno.ENOENT, o.stat, env.pb("nope"))
    assert e.filename == env.pb("nope")


# ---------------------------------------------------------------- stat errors


def test_stat_missing(env: Env) -> None:
    o = env.os
    for fn in (o.stat, o.lstat):
        e = raises(FileNotFoundError, errno.ENOENT, fn, env.p("nope"))
        assert e.filename == env.p("nope")


def test_stat_empty_path(env: Env) -> None:
    e = raises(FileNotFoundError, errno.ENOENT, env.os.stat, "")
    assert e.filename == ""


def test_stat_through_file_is_enotdir(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    raises(NotADirectoryError, errno.ENOTDIR, o.stat, env.p("f", "x"))
    e = raises(NotADirectoryError, errno.ENOTDIR, o.stat, env.p("f") + "/")
    assert e.filename == env.p("f") + "/"


def test_stat_dangling_and_loop(env: Env) -> None:
    o = env.os
    o.symlink("nowhere", env.p("dangling"))
    o.symlink("loop", env.p("loop"))
    raises(FileNotFoundError, errno.ENOENT, o.stat, env.p("dangling"))
    assert stat.S_ISLNK(o.lstat(env.p("dangling")).st_mode)
    e = raises(OSError, errno.ELOOP, o.stat, env.p("loop"))
    assert e.filename == env.p("loop")
    assert o.lstat(env.p("loop")).st_size == 4


def test_stat_name_too_long(env: Env) -> None:
    o = env.os
    raises(FileNotFoundError, errno.ENOENT, o.stat, env.p("a" * 255))
    e = raises(OSError, errno.ENAMETOOLONG, o.stat, env.p("a" * 256))
    assert e.filename == env.p("a" * 256)


def test_stat_bad_fd(env: Env) -> None:
    o = env.os
    fd = o.open(env.p("f"), o.O_WRONLY | o.O_CREAT, 0o644)
    o.close(fd)
    e = raises(OSError, errno.EBADF, o.fstat, fd)
    assert e.filename is None
    e = raises(OSError, errno.EBADF, o.stat, fd)
    assert e.filename == fd


def test_stat_search_permission(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    o.chmod(env.p("d"), 0o666)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EACCES, o.stat, env.p("d", "f"))
        assert e.filename == env.p("d", "f")
        raises(PermissionError, errno.EACCES, o.stat, env.p("d", "nope"))
        assert stat.S_ISDIR(o.stat(env.p("d")).st_mode)


# ---------------------------------------------------------------- os.path


def test_path_predicates(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.mkdir(env.p("d"))
    o.symlink("f", env.p("ln"))
    o.symlink("nowhere", env.p("dangling"))
    path = o.path
    table = {
        "f": (True, True, False, False, True),
        "d": (True, False, True, False, True),
        "ln": (True, True, False, True, True),
        "dangling": (False, False, False, True, True),
        "nope": (False, False, False, False, False),
    }
    for name, want in table.items():
        p = env.p(name)
        got = (path.exists(p), path.isfile(p), path.isdir(p), path.islink(p), path.lexists(p))
        assert got == want, name


def test_path_getsize_getmtime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"12345")
    o.utime(env.p("f"), (10.0, 20.5))
    assert o.path.getsize(env.p("f")) == 5
    assert o.path.getmtime(env.p("f")) == 20.5
    assert o.path.getatime(env.p("f")) == 10.0
    with pytest.raises(FileNotFoundError):
        o.path.getsize(env.p("nope"))


def test_path_samefile_and_sameopenfile(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    env.write(env.p("g"), b"x")
    o.link(env.p("f"), env.p("h"))
    o.symlink("f", env.p("ln"))
    assert o.path.samefile(env.p("f"), env.p("h"))
    assert o.path.samefile(env.p("f"), env.p("ln"))
    assert not o.path.samefile(env.p("f"), env.p("g"))
    with (
        opened(env, env.p("f"), o.O_RDONLY) as a,
        opened(env, env.p("h"), o.O_RDONLY) as b,
        opened(env, env.p("g"), o.O_RDONLY) as c,
    ):
        assert o.path.sameopenfile(a, b)
        assert not o.path.sameopenfile(a, c)


# ---------------------------------------------------------------- access


def test_access_as_root(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x", 0o644)
    a = o.access
    assert a(env.p("f"), o.F_OK) and a(env.p("f"), o.R_OK | o.W_OK)
    assert a(env.p("f"), o.X_OK) is False
    o.chmod(env.p("f"), 0)
    assert a(env.p("f"), o.R_OK | o.W_OK) is True
    assert a(env.p("f"), o.X_OK) is False
    o.chmod(env.p("f"), 0o001)
    assert a(env.p("f"), o.X_OK) is True
    o.mkdir(env.p("d"), 0)
    assert a(env.p("d"), o.R_OK | o.W_OK | o.X_OK) is True
    assert a(env.p("nope"), o.F_OK) is False


@pytest.mark.parametrize(
    ("mode", "want"),
    [
        (0o700, (True, True, True)),
        (0o070, (False, False, False)),
        (0o444, (True, False, False)),
        (0o200, (False, True, False)),
        (0o100, (False, False, True)),
    ],
)
def test_access_owner_bits(env: Env, mode: int, want: tuple[bool, bool, bool]) -> None:
    o = env.os
    with env.as_user(1000, 1000):
        env.write(env.p("f"))
        o.chmod(env.p("f"), mode)
        got = tuple(o.access(env.p("f"), m, effective_ids=True) for m in (o.R_OK, o.W_OK, o.X_OK))
    assert got == want


def test_access_checks_the_uid_not_the_euid(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x", 0o600)
    with env.as_user(1000, 1000):
        assert o.getuid() == 0 and o.geteuid() == 1000
        assert o.access(env.p("f"), o.R_OK | o.W_OK) is True
        assert o.access(env.p("f"), o.R_OK, effective_ids=True) is False
        assert o.access(env.p("f"), o.F_OK, effective_ids=True) is True
        assert o.access(env.p("f"), o.X_OK) is False


def test_access_group_and_other(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"x")
    o.chown(env.p("f"), 2000, 3000)
    o.chmod(env.p("f"), 0o640)
    with env.as_user(1000, 1000, (3000,)):
        assert o.access(env.p("f"), o.R_OK, effective_ids=True) is True
        assert o.access(env.p("f"), o.W_OK, effective_ids=True) is False
    with env.as_user(1000, 3000):
        assert o.access(env.p("f"), o.R_OK, effective_ids=True) is True
    with env.as_user(1000, 1000):
        assert o.access(env.p("f"), o.R_OK, effective_ids=True) is False
    o.chmod(env.p("f"), 0o604)
    with env.as_user(1000, 3000):
        assert o.access(env.p("f"), o.R_OK, effective_ids=True) is False


def test_access_follow_symlinks(env: Env) -> None:
    o = env.os
    o.symlink("nowhere", env.p("dangling"))
    assert o.access(env.p("dangling"), o.F_OK) is False
    assert o.access(env.p("dangling"), o.F_OK, follow_symlinks=False) is True


def test_access_dir_fd_and_missing_parent(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        assert o.access("f", o.R_OK, dir_fd=dfd) is True
        assert o.access("g", o.F_OK, dir_fd=dfd) is False
    assert o.access(env.p("f", "x"), o.F_OK) is False


# ---------------------------------------------------------------- mkfifo


def test_mkfifo(env: Env) -> None:
    o = env.os
    assert o.mkfifo(env.p("fifo")) is None
    st = o.stat(env.p("fifo"))
    assert stat.S_ISFIFO(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o644
    assert (st.st_size, st.st_blocks, st.st_nlink, st.st_rdev) == (0, 0, 1, 0)
    o.mkfifo(env.p("fifo2"), 0o600)
    assert stat.S_IMODE(o.stat(env.p("fifo2")).st_mode) == 0o600
    assert not o.path.isfile(env.p("fifo"))


def test_mkfifo_errors(env: Env) -> None:
    o = env.os
    o.mkfifo(env.p("fifo"))
    o.symlink("nowhere", env.p("dangling"))
    raises(FileExistsError, errno.EEXIST, o.mkfifo, env.p("fifo"))
    raises(FileExistsError, errno.EEXIST, o.mkfifo, env.p("dangling"))
    raises(FileNotFoundError, errno.ENOENT, o.mkfifo, env.p("nodir", "x"))
    with env.as_user(1000, 1000):
        o.mkdir(env.p("d"), 0o555)
        raises(PermissionError, errno.EACCES, o.mkfifo, env.p("d", "x"))


def test_mkfifo_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        o.mkfifo("ff", 0o640, dir_fd=dfd)
    assert stat.S_ISFIFO(o.stat(env.p("d", "ff")).st_mode)


# ---------------------------------------------------------------- statvfs


def test_statvfs_fields(env: Env) -> None:
    o = env.os
    vs = o.statvfs(env.base)
    assert isinstance(vs, o.statvfs_result)
    assert len(vs) == 10
    assert vs.f_namemax == 255
    assert vs.f_bsize == 4096
    assert vs.f_frsize == 4096
    assert 0 <= vs.f_bavail <= vs.f_bfree <= vs.f_blocks
    assert 0 <= vs.f_ffree <= vs.f_files
    assert vs.f_favail == vs.f_ffree
    assert isinstance(vs.f_flag, int)
    assert isinstance(vs.f_fsid, int)


def test_fstatvfs_matches_statvfs(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        a = o.fstatvfs(fd)
    b = o.statvfs(env.p("f"))
    assert (a.f_bsize, a.f_namemax, a.f_blocks) == (b.f_bsize, b.f_namemax, b.f_blocks)


def test_statvfs_free_blocks_decrease(env: Env) -> None:
    o = env.os
    before = o.statvfs(env.base).f_bfree
    env.write(env.p("big"), b"\1" * (8 << 20))
    after = o.statvfs(env.base).f_bfree
    assert after < before
    o.unlink(env.p("big"))
    assert o.statvfs(env.base).f_bfree > after


def test_statvfs_errors(env: Env) -> None:
    o = env.os
    e = raises(FileNotFoundError, errno.ENOENT, o.statvfs, env.p("nope"))
    assert e.filename == env.p("nope")
    fd = o.open(env.p("f"), o.O_WRONLY | o.O_CREAT, 0o644)
    o.close(fd)
    raises(OSError, errno.EBADF, o.fstatvfs, fd)
