"""os.utime in all its forms, and which operations update atime/mtime/ctime
of a file and of its parent directory."""

from __future__ import annotations

import contextlib
import errno
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Env
from .helpers import raises

OLD = 1_000_000_000  # 2001-09-09, an mtime every fresh timestamp is after
OLD2 = 1_200_000_000


@contextlib.contextmanager
def opened(env: Env, path: str, flags: int, mode: int = 0o644) -> Iterator[int]:
    fd: int = env.os.open(path, flags, mode)
    try:
        yield fd
    finally:
        env.os.close(fd)


def times(env: Env, name: str, follow: bool = True) -> tuple[int, int, int]:
    st = env.os.stat(env.p(name), follow_symlinks=follow)
    return st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns


def age(env: Env, name: str) -> None:
    """Set both atime and mtime of ``name`` far into the past."""
    env.os.utime(env.p(name), ns=(OLD, OLD))


def tick() -> None:
    """Let the clock move on, so that a new ctime differs from an old one."""
    time.sleep(0.02)


# ---------------------------------------------------------------- forms of utime


def test_utime_ns(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    assert o.utime(env.p("f"), ns=(1_234_567_891, 2_345_678_912)) is None
    a, m, _ = times(env, "f")
    assert (a, m) == (1_234_567_891, 2_345_678_912)


@pytest.mark.parametrize(
    ("given", "want"),
    [
        ((1.5, 2.25), (1_500_000_000, 2_250_000_000)),
        ((10, 20), (10_000_000_000, 20_000_000_000)),
        ((0, 0), (0, 0)),
        ((-1.5, 3), (-1_500_000_000, 3_000_000_000)),
    ],
)
def test_utime_times(env: Env, given: tuple[float, float], want: tuple[int, int]) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"), given)
    assert times(env, "f")[:2] == want
    st = o.stat(env.p("f"))
    assert (st.st_atime, st.st_mtime) == (want[0] / 1e9, want[1] / 1e9)


def test_utime_times_keyword(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"), times=(3, 4))
    assert times(env, "f")[:2] == (3 * 10**9, 4 * 10**9)


def test_utime_negative_ns(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"), ns=(-1, -(10**9)))
    st = o.stat(env.p("f"))
    assert (st.st_atime_ns, st.st_mtime_ns) == (-1, -(10**9))
    assert st[8] == -1


@pytest.mark.parametrize("args", [(), (None,)])
def test_utime_none_sets_now(env: Env, args: tuple[None, ...]) -> None:
    o = env.os
    env.write(env.p("f"))
    age(env, "f")
    o.utime(env.p("f"), *args)
    a, m, c = times(env, "f")
    assert a == m == c
    assert m > OLD


def test_utime_both_times_and_ns_is_valueerror(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    age(env, "f")
    raises(ValueError, None, o.utime, env.p("f"), (1, 2), ns=(1, 2))
    assert times(env, "f")[:2] == (OLD, OLD)


@pytest.mark.parametrize(
    "kwargs",
    [{"times": (1,)}, {"times": (1, 2, 3)}, {"times": 5}, {"ns": 1}, {"ns": (1.5, 2)}],
)
def test_utime_bad_arguments_are_typeerror(env: Env, kwargs: dict[str, Any]) -> None:
    o = env.os
    env.write(env.p("f"))
    raises(TypeError, None, o.utime, env.p("f"), **kwargs)


def test_utime_missing_is_enoent(env: Env) -> None:
    # CPython's utime does not put the filename into the exception.
    o = env.os
    raises(FileNotFoundError, errno.ENOENT, o.utime, env.p("nope"))
    raises(FileNotFoundError, errno.ENOENT, o.utime, env.p("nope"), ns=(1, 1))
    env.write(env.p("f"))
    raises(NotADirectoryError, errno.ENOTDIR, o.utime, env.p("f", "x"))


def test_utime_follows_symlink(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.symlink("f", env.p("ln"))
    lt = times(env, "ln", follow=False)
    o.utime(env.p("ln"), ns=(5, 6))
    assert times(env, "f")[:2] == (5, 6)
    assert times(env, "ln", follow=False)[1] == lt[1]


def test_utime_nofollow_sets_symlink_times(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    age(env, "f")
    o.symlink("f", env.p("ln"))
    o.utime(env.p("ln"), ns=(7, 8), follow_symlinks=False)
    assert times(env, "ln", follow=False)[:2] == (7, 8)
    assert times(env, "f")[:2] == (OLD, OLD)
    o.symlink("nowhere", env.p("dangling"))
    o.utime(env.p("dangling"), ns=(9, 10), follow_symlinks=False)
    assert times(env, "dangling", follow=False)[:2] == (9, 10)
    raises(FileNotFoundError, errno.ENOENT, o.utime, env.p("dangling"), ns=(9, 10))


def test_utime_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    o.symlink("f", env.p("d", "ln"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        o.utime("f", ns=(3, 4), dir_fd=dfd)
        o.utime("ln", ns=(5, 6), dir_fd=dfd, follow_symlinks=False)
    assert times(env, "d/f")[:2] == (3, 4)
    assert times(env, "d/ln", follow=False)[:2] == (5, 6)


def test_utime_fd(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        o.utime(fd, ns=(8, 9))
        assert (o.fstat(fd).st_atime_ns, o.fstat(fd).st_mtime_ns) == (8, 9)
        o.utime(fd, (1.25, 2.5))
        raises(ValueError, None, o.utime, fd, ns=(1, 1), follow_symlinks=False)
    assert times(env, "f")[:2] == (1_250_000_000, 2_500_000_000)


def test_utime_directory(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    o.utime(env.p("d"), ns=(11, 12))
    assert times(env, "d")[:2] == (11, 12)


def test_utime_bytes_path(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.pb("f"), ns=(13, 14))
    assert times(env, "f")[:2] == (13, 14)


# ---------------------------------------------------------------- ctime


def test_utime_changes_ctime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    c0 = times(env, "f")[2]
    tick()
    o.utime(env.p("f"), ns=(OLD, OLD))
    c1 = times(env, "f")[2]
    assert c1 > c0
    assert c1 > OLD


@pytest.mark.parametrize("op", ["chmod", "chown", "link", "rename", "utime_none"])
def test_metadata_ops_change_ctime_not_mtime(env: Env, op: str) -> None:
    o = env.os
    env.write(env.p("f"))
    o.utime(env.p("f"), ns=(OLD, OLD2))
    c0 = times(env, "f")[2]
    tick()
    if op == "chmod":
        o.chmod(env.p("f"), 0o600)
    elif op == "chown":
        o.chown(env.p("f"), 5, 5)
    elif op == "link":
        o.link(env.p("f"), env.p("g"))
    elif op == "rename":
        o.rename(env.p("f"), env.p("g"))
    else:
        o.utime(env.p("f"))
    name = "g" if op == "rename" else "f"
    a, m, c = times(env, name)
    assert c > c0
    if op != "utime_none":
        assert (a, m) == (OLD, OLD2)


# ---------------------------------------------------------------- data changes


def test_write_updates_mtime_and_ctime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    age(env, "f")
    with opened(env, env.p("f"), o.O_WRONLY) as fd:
        o.write(fd, b"x")
    a, m, c = times(env, "f")
    assert a == OLD
    assert m > OLD and m == c


def test_empty_write_does_not_update_mtime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    age(env, "f")
    with opened(env, env.p("f"), o.O_WRONLY) as fd:
        assert o.write(fd, b"") == 0
    assert times(env, "f")[:2] == (OLD, OLD)


@pytest.mark.parametrize("op", ["truncate", "ftruncate", "O_TRUNC", "pwrite", "writev"])
def test_data_ops_update_mtime(env: Env, op: str) -> None:
    o = env.os
    env.write(env.p("f"), b"abcdef")
    age(env, "f")
    if op == "truncate":
        o.truncate(env.p("f"), 2)
    else:
        flags = o.O_WRONLY | (o.O_TRUNC if op == "O_TRUNC" else 0)
        with opened(env, env.p("f"), flags) as fd:
            if op == "ftruncate":
                o.ftruncate(fd, 100)
            elif op == "pwrite":
                o.pwrite(fd, b"Z", 3)
            elif op == "writev":
                o.writev(fd, [b"a", b"b"])
    a, m, c = times(env, "f")
    assert a == OLD
    assert m > OLD and m == c


@pytest.mark.parametrize("op", ["truncate", "ftruncate", "O_TRUNC"])
def test_truncate_to_same_size_still_updates_mtime(env: Env, op: str) -> None:
    o = env.os
    env.write(env.p("f"), b"" if op == "O_TRUNC" else b"abc")
    age(env, "f")
    if op == "truncate":
        o.truncate(env.p("f"), 3)
    else:
        flags = o.O_WRONLY | (o.O_TRUNC if op == "O_TRUNC" else 0)
        with opened(env, env.p("f"), flags) as fd:
            if op == "ftruncate":
                o.ftruncate(fd, 3)
    a, m, c = times(env, "f")
    assert m > OLD and m == c


def test_open_without_trunc_changes_nothing(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.utime(env.p("f"), ns=(OLD2, OLD))
    with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT):
        pass
    assert times(env, "f")[:2] == (OLD2, OLD)


def test_read_updates_stale_atime(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.utime(env.p("f"), ns=(OLD, OLD2))
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        assert o.read(fd, 3) == b"abc"
    a, m, _ = times(env, "f")
    assert a > OLD2
    assert m == OLD2


# ---------------------------------------------------------------- parent directory


@pytest.mark.parametrize("op", ["create", "mkdir", "symlink", "mkfifo", "link"])
def test_parent_mtime_changes_on_create(env: Env, op: str) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("f"))
    age(env, "d")
    p = env.p("d", "new")
    if op == "create":
        env.write(p)
    elif op == "mkdir":
        o.mkdir(p)
    elif op == "symlink":
        o.symlink("x", p)
    elif op == "mkfifo":
        o.mkfifo(p)
    else:
        o.link(env.p("f"), p)
    a, m, c = times(env, "d")
    assert a == OLD
    assert m > OLD and m == c


@pytest.mark.parametrize("op", ["unlink", "rmdir", "rename_out"])
def test_parent_mtime_changes_on_remove(env: Env, op: str) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    if op == "rmdir":
        o.mkdir(env.p("d", "x"))
    else:
        env.write(env.p("d", "x"))
    age(env, "d")
    if op == "unlink":
        o.unlink(env.p("d", "x"))
    elif op == "rmdir":
        o.rmdir(env.p("d", "x"))
    else:
        o.rename(env.p("d", "x"), env.p("moved"))
    a, m, c = times(env, "d")
    assert m > OLD and m == c


def test_writing_a_file_leaves_parent_mtime(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"a")
    age(env, "d")
    with opened(env, env.p("d", "f"), o.O_WRONLY | o.O_TRUNC) as fd:
        o.write(fd, b"more")
    o.chmod(env.p("d", "f"), 0o600)
    assert times(env, "d")[:2] == (OLD, OLD)


def test_failed_create_leaves_parent_mtime(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    age(env, "d")
    raises(FileExistsError, errno.EEXIST, o.mkdir, env.p("d", "f"))
    raises(FileNotFoundError, errno.ENOENT, o.unlink, env.p("d", "nope"))
    assert times(env, "d")[:2] == (OLD, OLD)


# ---------------------------------------------------------------- permissions


def test_non_owner_with_write_access_may_set_now(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.chmod(env.p("f"), 0o666)
    age(env, "f")
    with env.as_user(1000, 1000):
        o.utime(env.p("f"))
        o.utime(env.p("f"), None)
    assert times(env, "f")[1] > OLD


def test_non_owner_without_write_access_cannot_set_now(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"", 0o644)
    age(env, "f")
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EACCES, o.utime, env.p("f"))
        assert e.filename is None
    assert times(env, "f")[:2] == (OLD, OLD)


@pytest.mark.parametrize("m", [0o644, 0o666])
def test_non_owner_cannot_set_explicit_times(env: Env, m: int) -> None:
    o = env.os
    env.write(env.p("f"))
    o.chmod(env.p("f"), m)
    age(env, "f")
    with env.as_user(1000, 1000):
        raises(PermissionError, errno.EPERM, o.utime, env.p("f"), (5, 5))
        raises(PermissionError, errno.EPERM, o.utime, env.p("f"), ns=(5, 5))
    assert times(env, "f")[:2] == (OLD, OLD)


def test_owner_may_set_any_times_without_write_access(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1000):
        env.write(env.p("f"))
        o.chmod(env.p("f"), 0o400)
        o.utime(env.p("f"), ns=(21, 22))
        assert times(env, "f")[:2] == (21, 22)
        o.utime(env.p("f"))
        assert times(env, "f")[1] > OLD


def test_root_may_set_times_on_any_file(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1000):
        env.write(env.p("f"))
        o.chmod(env.p("f"), 0)
    o.utime(env.p("f"), ns=(31, 32))
    assert times(env, "f")[:2] == (31, 32)
    assert stat.S_IMODE(o.stat(env.p("f")).st_mode) == 0
