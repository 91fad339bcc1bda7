"""Directories: getcwd/chdir/fchdir, listdir, mkdir, makedirs, rmdir, removedirs,
and the st_nlink/st_size bookkeeping of directories (tmpfs: 20 bytes per entry,
40 for an empty directory)."""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Env
from .helpers import check, cwd, err

EMPTY_DIR_SIZE = 40  # tmpfs: BOGO_DIRENT_SIZE * 2 ("." and "..")
DIRENT = 20  # tmpfs: BOGO_DIRENT_SIZE per entry


@contextlib.contextmanager
def umask(env: Env, mask: int) -> Iterator[None]:
    old = env.os.umask(mask)
    try:
        yield
    finally:
        env.os.umask(old)


def mode(env: Env, path: str) -> int:
    return stat.S_IMODE(env.os.stat(path).st_mode)


# ---------------------------------------------------------------- getcwd / chdir


def test_getcwd_after_chdir(env: Env) -> None:
    with cwd(env, env.base):
        assert env.os.getcwd() == env.base
        assert isinstance(env.os.getcwd(), str)
        assert env.os.getcwdb() == env.pb()
        assert isinstance(env.os.getcwdb(), bytes)


def test_chdir_relative_and_dotdot(env: Env) -> None:
    env.os.makedirs(env.p("a", "b"))
    with cwd(env, env.base):
        env.os.chdir("a")
        assert env.os.getcwd() == env.p("a")
        env.os.chdir("b")
        assert env.os.getcwd() == env.p("a", "b")
        env.os.chdir("../..")
        assert env.os.getcwd() == env.base
        env.os.chdir("a/./b/../b//")
        assert env.os.getcwd() == env.p("a", "b")


@pytest.mark.parametrize("form", ["str", "bytes", "pathlike"])
def test_chdir_path_forms(env: Env, form: str) -> None:
    env.os.mkdir(env.p("d"))
    arg: Any = {
        "str": env.p("d"),
        "bytes": env.pb("d"),
        "pathlike": pathlib.PurePosixPath(env.p("d")),
    }[form]
    with cwd(env):
        env.os.chdir(arg)
        assert env.os.getcwd() == env.p("d")


def test_relative_paths_resolve_against_cwd(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    with cwd(env, env.p("d")):
        env.write("f", b"data")
        env.os.mkdir("sub")
        assert sorted(env.os.listdir()) == ["f", "sub"]
    assert env.read(env.p("d", "f")) == b"data"
    assert stat.S_ISDIR(env.os.stat(env.p("d", "sub")).st_mode)


def test_chdir_through_symlink_getcwd_is_resolved(env: Env) -> None:
    env.os.mkdir(env.p("real"))
    env.os.symlink("real", env.p("link"))
    with cwd(env, env.p("link")):
        assert env.os.getcwd() == env.p("real")


def test_chdir_errors(env: Env) -> None:
    env.write(env.p("f"))
    check(err(env.os.chdir, env.p("f")), NotADirectoryError, errno.ENOTDIR, env.p("f"))
    check(err(env.os.chdir, env.p("nx")), FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(err(env.os.chdir, ""), FileNotFoundError, errno.ENOENT, "")
    check(err(env.os.chdir, env.p("f", "")), NotADirectoryError, errno.ENOTDIR, env.p("f", ""))


def test_chdir_without_search_permission(env: Env) -> None:
    env.os.mkdir(env.p("d"), 0o766)
    env.os.chmod(env.p("d"), 0o766)
    with cwd(env), env.as_user(1000, 1000):
        check(err(env.os.chdir, env.p("d")), PermissionError, errno.EACCES, env.p("d"))


def test_fchdir_and_chdir_fd(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    fd = env.os.open(env.p("d"), os.O_RDONLY)
    try:
        with cwd(env):
            env.os.fchdir(fd)
            assert env.os.getcwd() == env.p("d")
        with cwd(env):
            env.os.chdir(fd)
            assert env.os.getcwd() == env.p("d")
    finally:
        env.os.close(fd)


def test_fchdir_on_file_fd(env: Env) -> None:
    env.write(env.p("f"))
    fd = env.os.open(env.p("f"), os.O_RDONLY)
    try:
        with cwd(env):
            e = err(env.os.fchdir, fd)
            assert type(e) is NotADirectoryError
            assert e.errno == errno.ENOTDIR
            assert env.os.getcwd() != env.p("f")
    finally:
        env.os.close(fd)


def test_fchdir_closed_fd(env: Env) -> None:
    fd = env.os.open(env.base, os.O_RDONLY)
    env.os.close(fd)
    with cwd(env):
        e = err(env.os.fchdir, fd)
        assert type(e) is OSError
        assert e.errno == errno.EBADF


def test_cwd_removed(env: Env) -> None:
    env.os.mkdir(env.p("gone"))
    with cwd(env, env.p("gone")):
        env.os.rmdir(env.p("gone"))
        e = err(env.os.getcwd)
        assert type(e) is FileNotFoundError
        assert e.errno == errno.ENOENT
        assert env.os.listdir(".") == []
        assert env.os.stat(".").st_nlink == 0
        check(err(env.os.mkdir, "x"), FileNotFoundError, errno.ENOENT, "x")
        e = err(env.os.open, "x", os.O_CREAT | os.O_WRONLY, 0o644)
        check(e, FileNotFoundError, errno.ENOENT, "x")
        env.os.chdir("..")
        assert env.os.getcwd() == env.base


# ---------------------------------------------------------------- listdir


def test_listdir_str(env: Env) -> None:
    env.write(env.p("f"))
    env.os.mkdir(env.p("d"))
    env.os.symlink("nowhere", env.p("l"))
    names = env.os.listdir(env.base)
    assert sorted(names) == ["d", "f", "l"]
    assert all(isinstance(n, str) for n in names)


def test_listdir_empty_has_no_dots(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    assert env.os.listdir(env.p("d")) == []
    assert env.os.listdir(env.base) == ["d"]


def test_listdir_bytes(env: Env) -> None:
    env.write(env.p("f"))
    env.os.mkdir(env.p("d"))
    names = env.os.listdir(env.pb())
    assert sorted(names) == [b"d", b"f"]
    assert all(isinstance(n, bytes) for n in names)


def test_listdir_pathlike(env: Env) -> None:
    env.write(env.p("f"))
    assert env.os.listdir(pathlib.PurePosixPath(env.base)) == ["f"]


def test_listdir_default_is_cwd(env: Env) -> None:
    env.write(env.p("a"))
    env.write(env.p("b"))
    with cwd(env, env.base):
        assert sorted(env.os.listdir()) == ["a", "b"]
        assert sorted(env.os.listdir(".")) == ["a", "b"]


def test_listdir_fd(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    env.write(env.p("d", "y"))
    fd = env.os.open(env.p("d"), os.O_RDONLY)
    try:
        assert sorted(env.os.listdir(fd)) == ["x", "y"]
        # a second listing of the same fd starts again from the beginning
        assert sorted(env.os.listdir(fd)) == ["x", "y"]
    finally:
        env.os.close(fd)


def test_listdir_fd_of_file(env: Env) -> None:
    env.write(env.p("f"))
    fd = env.os.open(env.p("f"), os.O_RDONLY)
    try:
        check(err(env.os.listdir, fd), NotADirectoryError, errno.ENOTDIR, fd)
    finally:
        env.os.close(fd)


def test_listdir_through_symlink_and_slash(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    env.os.symlink("d", env.p("l"))
    assert env.os.listdir(env.p("l")) == ["x"]
    assert env.os.listdir(env.p("l") + "/") == ["x"]
    assert env.os.listdir(env.p("d") + "//") == ["x"]


def test_listdir_errors(env: Env) -> None:
    env.write(env.p("f"))
    check(err(env.os.listdir, env.p("f")), NotADirectoryError, errno.ENOTDIR, env.p("f"))
    check(
        err(env.os.listdir, env.p("f") + "/"), NotADirectoryError, errno.ENOTDIR, env.p("f") + "/"
    )
    check(err(env.os.listdir, env.p("nx")), FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(err(env.os.listdir, ""), FileNotFoundError, errno.ENOENT, "")


def test_listdir_order_newest_first(env: Env) -> None:
    # tmpfs hands entries back newest first; osbox mimics that
    for name in ["m", "a", "z", "b"]:
        env.write(env.p(name))
    assert env.os.listdir(env.base) == ["b", "z", "a", "m"]


def test_listdir_permissions(env: Env) -> None:
    env.os.mkdir(env.p("noread"))
    env.write(env.p("noread", "f"))
    env.os.chmod(env.p("noread"), 0o711)
    env.os.mkdir(env.p("nosearch"))
    env.write(env.p("nosearch", "g"))
    env.os.chmod(env.p("nosearch"), 0o744)
    with env.as_user(1000, 1000):
        e = err(env.os.listdir, env.p("noread"))
        check(e, PermissionError, errno.EACCES, env.p("noread"))
        # search permission is enough to reach a known name
        assert env.os.stat(env.p("noread", "f")).st_size == 0
        # read permission without search still lists names
        assert env.os.listdir(env.p("nosearch")) == ["g"]


# ---------------------------------------------------------------- mkdir


def test_mkdir_default_mode_umask(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    st = env.os.stat(env.p("d"))
    assert stat.S_ISDIR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o755


@pytest.mark.parametrize(
    ("mask", "requested", "expected"),
    [
        (0o022, 0o700, 0o700),
        (0o022, 0o777, 0o755),
        (0o077, 0o777, 0o700),
        (0o000, 0o777, 0o777),
        (0o027, 0o751, 0o750),
        (0o022, 0o7777, 0o1755),  # sticky kept, setuid/setgid dropped
        (0o000, 0o4777, 0o777),
        (0o000, 0o2777, 0o777),
        (0o002, 0o1777, 0o1775),
    ],
)
def test_mkdir_mode_and_umask(env: Env, mask: int, requested: int, expected: int) -> None:
    with umask(env, mask):
        env.os.mkdir(env.p("d"), requested)
    assert mode(env, env.p("d")) == expected


def test_umask_returns_previous(env: Env) -> None:
    old = env.os.umask(0o077)
    try:
        assert old == 0o022
        assert env.os.umask(0o027) == 0o077
    finally:
        env.os.umask(old)


def test_mkdir_setgid_parent_inherited(env: Env) -> None:
    env.os.mkdir(env.p("g"))
    env.os.chown(env.p("g"), 0, 1000)
    env.os.chmod(env.p("g"), 0o2775)
    env.os.mkdir(env.p("g", "sub"))
    st = env.os.stat(env.p("g", "sub"))
    assert st.st_gid == 1000
    assert stat.S_IMODE(st.st_mode) == 0o2755


def test_mkdir_owner_is_effective_ids(env: Env) -> None:
    with env.as_user(1000, 1000):
        env.os.mkdir(env.p("d"))
    st = env.os.stat(env.p("d"))
    assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_mkdir_exists(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    env.os.symlink("nowhere", env.p("dangling"))
    for name in ["d", "f", "dangling"]:
        check(err(env.os.mkdir, env.p(name)), FileExistsError, errno.EEXIST, env.p(name))
    assert env.os.readlink(env.p("dangling")) == "nowhere"


def test_mkdir_missing_parent(env: Env) -> None:
    p = env.p("nx", "d")
    check(err(env.os.mkdir, p), FileNotFoundError, errno.ENOENT, p)


def test_mkdir_parent_is_file(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("f", "d")
    check(err(env.os.mkdir, p), NotADirectoryError, errno.ENOTDIR, p)


@pytest.mark.parametrize("suffix", ["/", "//"])
def test_mkdir_trailing_slash_ok(env: Env, suffix: str) -> None:
    env.os.mkdir(env.p("new") + suffix)
    assert stat.S_ISDIR(env.os.stat(env.p("new")).st_mode)
    assert env.os.listdir(env.base) == ["new"]


def test_mkdir_trailing_slash_on_file(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("f") + "/"
    check(err(env.os.mkdir, p), FileExistsError, errno.EEXIST, p)


@pytest.mark.parametrize(
    ("rel", "cls", "code"),
    [
        (".", FileExistsError, errno.EEXIST),
        ("..", FileExistsError, errno.EEXIST),
        ("d/.", FileExistsError, errno.EEXIST),
        ("d/..", FileExistsError, errno.EEXIST),
        ("x/.", FileNotFoundError, errno.ENOENT),
        ("x/..", FileNotFoundError, errno.ENOENT),
        ("", FileNotFoundError, errno.ENOENT),
    ],
)
def test_mkdir_dot_forms(env: Env, rel: str, cls: type[OSError], code: int) -> None:
    env.os.mkdir(env.p("d"))
    with cwd(env, env.base):
        check(err(env.os.mkdir, rel), cls, code, rel)
    assert sorted(env.os.listdir(env.base)) == ["d"]


@pytest.mark.parametrize("form", ["bytes", "pathlike"])
def test_mkdir_path_forms(env: Env, form: str) -> None:
    arg: Any = env.pb("d") if form == "bytes" else pathlib.PurePosixPath(env.p("d"))
    env.os.mkdir(arg)
    assert env.os.listdir(env.base) == ["d"]
    e = err(env.os.mkdir, arg)
    assert type(e) is FileExistsError
    assert e.errno == errno.EEXIST
    assert e.filename == os.fspath(arg)


def test_mkdir_without_write_permission(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    env.os.mkdir(env.p("ro", "exists"))
    with env.as_user(1000, 1000):
        p = env.p("ro", "new")
        check(err(env.os.mkdir, p), PermissionError, errno.EACCES, p)
        # EEXIST wins over EACCES
        p = env.p("ro", "exists")
        check(err(env.os.mkdir, p), FileExistsError, errno.EEXIST, p)


def test_mkdir_updates_parent_times(env: Env) -> None:
    env.os.mkdir(env.p("p"))
    before = env.os.stat(env.p("p"))
    time.sleep(0.05)
    env.os.mkdir(env.p("p", "q"))
    after = env.os.stat(env.p("p"))
    assert after.st_mtime_ns > before.st_mtime_ns
    assert after.st_ctime_ns > before.st_ctime_ns


# ---------------------------------------------------------------- makedirs


def test_makedirs_creates_chain(env: Env) -> None:
    env.os.makedirs(env.p("a", "b", "c"))
    assert env.os.listdir(env.p("a", "b")) == ["c"]
    for p in [env.p("a"), env.p("a", "b"), env.p("a", "b", "c")]:
        assert mode(env, p) == 0o755


def test_makedirs_mode_applies_to_leaf_only(env: Env) -> None:
    env.os.makedirs(env.p("a", "b", "c"), 0o700)
    assert mode(env, env.p("a")) == 0o755
    assert mode(env, env.p("a", "b")) == 0o755
    assert mode(env, env.p("a", "b", "c")) == 0o700


def test_makedirs_umask_applies(env: Env) -> None:
    with umask(env, 0o027):
        env.os.makedirs(env.p("a", "b"), 0o777)
    assert mode(env, env.p("a")) == 0o750
    assert mode(env, env.p("a", "b")) == 0o750


def test_makedirs_exist_ok(env: Env) -> None:
    env.os.makedirs(env.p("a", "b"))
    p = env.p("a", "b")
    check(err(env.os.makedirs, p), FileExistsError, errno.EEXIST, p)
    env.os.makedirs(p, exist_ok=True)
    env.os.makedirs(env.p("a"), exist_ok=True)
    assert env.os.listdir(env.p("a")) == ["b"]


def test_makedirs_exist_ok_over_file(env: Env) -> None:
    env.write(env.p("f"))
    check(
        err(env.os.makedirs, env.p("f"), exist_ok=True), FileExistsError, errno.EEXIST, env.p("f")
    )


def test_makedirs_under_file(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("f", "x", "y")
    e = err(env.os.makedirs, p, exist_ok=True)
    check(e, NotADirectoryError, errno.ENOTDIR, env.p("f", "x"))


def test_makedirs_dotdot_and_slash(env: Env) -> None:
    env.os.makedirs(env.p("m", "x", "..", "y") + "/")
    assert sorted(env.os.listdir(env.p("m"))) == ["x", "y"]


def test_makedirs_bytes(env: Env) -> None:
    env.os.makedirs(env.pb("a", "b"))
    assert env.os.listdir(env.pb("a")) == [b"b"]


def test_makedirs_empty(env: Env) -> None:
    check(err(env.os.makedirs, ""), FileNotFoundError, errno.ENOENT, "")


# ---------------------------------------------------------------- rmdir


def test_rmdir_empty(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.rmdir(env.p("d"))
    assert env.os.listdir(env.base) == []
    check(err(env.os.stat, env.p("d")), FileNotFoundError, errno.ENOENT, env.p("d"))


@pytest.mark.parametrize("suffix", ["/", "//"])
def test_rmdir_trailing_slash(env: Env, suffix: str) -> None:
    env.os.mkdir(env.p("d"))
    env.os.rmdir(env.p("d") + suffix)
    assert env.os.listdir(env.base) == []


def test_rmdir_not_empty(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    check(err(env.os.rmdir, env.p("d")), OSError, errno.ENOTEMPTY, env.p("d"))
    env.os.unlink(env.p("d", "f"))
    env.os.mkdir(env.p("d", "sub"))
    check(err(env.os.rmdir, env.p("d")), OSError, errno.ENOTEMPTY, env.p("d"))


def test_rmdir_not_empty_with_dangling_symlink(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("nowhere", env.p("d", "l"))
    check(err(env.os.rmdir, env.p("d")), OSError, errno.ENOTEMPTY, env.p("d"))


def test_rmdir_file(env: Env) -> None:
    env.write(env.p("f"))
    check(err(env.os.rmdir, env.p("f")), NotADirectoryError, errno.ENOTDIR, env.p("f"))
    p = env.p("f") + "/"
    check(err(env.os.rmdir, p), NotADirectoryError, errno.ENOTDIR, p)


def test_rmdir_missing(env: Env) -> None:
    check(err(env.os.rmdir, env.p("nx")), FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(err(env.os.rmdir, ""), FileNotFoundError, errno.ENOENT, "")


def test_rmdir_symlink_to_dir(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("l"))
    check(err(env.os.rmdir, env.p("l")), NotADirectoryError, errno.ENOTDIR, env.p("l"))
    p = env.p("l") + "/"
    check(err(env.os.rmdir, p), NotADirectoryError, errno.ENOTDIR, p)
    assert sorted(env.os.listdir(env.base)) == ["d", "l"]


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        (".", errno.EINVAL),
        ("d/.", errno.EINVAL),
        ("d/sub/.", errno.EINVAL),
        ("..", errno.ENOTEMPTY),
        ("d/..", errno.ENOTEMPTY),
        ("d/sub/..", errno.ENOTEMPTY),
    ],
)
def test_rmdir_dot_forms(env: Env, rel: str, code: int) -> None:
    env.os.makedirs(env.p("d", "sub"))
    with cwd(env, env.base):
        check(err(env.os.rmdir, rel), OSError, code, rel)
    assert env.os.listdir(env.p("d")) == ["sub"]


def test_rmdir_dot_forms_from_inside(env: Env) -> None:
    env.os.mkdir(env.p("e"))
    with cwd(env, env.p("e")):
        check(err(env.os.rmdir, "."), OSError, errno.EINVAL, ".")
        check(err(env.os.rmdir, ".."), OSError, errno.ENOTEMPTY, "..")
    assert env.os.listdir(env.base) == ["e"]


def test_rmdir_dot_in_empty_dir(env: Env) -> None:
    env.os.mkdir(env.p("e"))
    p = env.p("e", ".")
    check(err(env.os.rmdir, p), OSError, errno.EINVAL, p)
    assert env.os.listdir(env.base) == ["e"]


def test_rmdir_cwd_by_absolute_path(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    with cwd(env, env.p("d")):
        env.os.rmdir(env.p("d"))
        assert env.os.listdir(env.base) == []


def test_rmdir_permissions(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    env.os.mkdir(env.p("ro", "d"))
    env.os.mkdir(env.p("sticky"), 0o777)
    env.os.chmod(env.p("sticky"), 0o1777)
    env.os.mkdir(env.p("sticky", "roots"))
    with env.as_user(1000, 1000):
        p = env.p("ro", "d")
        check(err(env.os.rmdir, p), PermissionError, errno.EACCES, p)
        p = env.p("sticky", "roots")
        check(err(env.os.rmdir, p), PermissionError, errno.EPERM, p)
        env.os.mkdir(env.p("sticky", "mine"))
        env.os.rmdir(env.p("sticky", "mine"))
    assert env.os.listdir(env.p("sticky")) == ["roots"]


def test_rmdir_open_fd_survives(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    fd = env.os.open(env.p("d"), os.O_RDONLY)
    try:
        env.os.rmdir(env.p("d"))
        st = env.os.fstat(fd)
        assert stat.S_ISDIR(st.st_mode)
        assert st.st_nlink == 0
        assert env.os.listdir(fd) == []
        check(err(env.os.mkdir, "x", dir_fd=fd), FileNotFoundError, errno.ENOENT, "x")
    finally:
        env.os.close(fd)


# ---------------------------------------------------------------- removedirs


def test_removedirs_prunes_empty_parents(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("a", "b", "c"))
    env.os.removedirs(env.p("a", "b", "c"))
    assert env.os.listdir(env.base) == ["keep"]


def test_removedirs_stops_at_nonempty(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("a", "b", "c"))
    env.write(env.p("a", "f"))
    env.os.removedirs(env.p("a", "b", "c"))
    assert sorted(env.os.listdir(env.base)) == ["a", "keep"]
    assert env.os.listdir(env.p("a")) == ["f"]


def test_removedirs_leaf_errors(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("a", "b"))
    env.write(env.p("a", "b", "f"))
    p = env.p("a", "b")
    check(err(env.os.removedirs, p), OSError, errno.ENOTEMPTY, p)
    p = env.p("a", "nx")
    check(err(env.os.removedirs, p), FileNotFoundError, errno.ENOENT, p)
    assert env.os.listdir(env.p("a")) == ["b"]


def test_removedirs_relative(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("a", "b"))
    with cwd(env, env.base):
        env.os.removedirs("a/b")
    assert env.os.listdir(env.base) == ["keep"]


# ---------------------------------------------------------------- nlink / size


def test_dir_nlink_counts_subdirs(env: Env) -> None:
    d = env.p("d")
    env.os.mkdir(d)
    assert env.os.stat(d).st_nlink == 2
    env.write(env.p("d", "f"))
    env.os.symlink("x", env.p("d", "l"))
    assert env.os.stat(d).st_nlink == 2
    env.os.mkdir(env.p("d", "s1"))
    env.os.mkdir(env.p("d", "s2"))
    assert env.os.stat(d).st_nlink == 4
    env.os.rmdir(env.p("d", "s1"))
    assert env.os.stat(d).st_nlink == 3
    assert env.os.stat(env.base).st_nlink == 3


def test_dir_nlink_after_moving_subdir(env: Env) -> None:
    env.os.makedirs(env.p("a", "sub"))
    env.os.mkdir(env.p("b"))
    env.os.rename(env.p("a", "sub"), env.p("b", "sub"))
    assert env.os.stat(env.p("a")).st_nlink == 2
    assert env.os.stat(env.p("b")).st_nlink == 3
    assert env.os.stat(env.p("b", "sub")).st_nlink == 2


def test_dir_size_tracks_entries(env: Env) -> None:
    d = env.p("d")
    env.os.mkdir(d)
    assert env.os.stat(d).st_size == EMPTY_DIR_SIZE
    env.write(env.p("d", "f"))
    assert env.os.stat(d).st_size == EMPTY_DIR_SIZE + DIRENT
    env.write(env.p("d", "a-much-longer-name-than-the-other"))
    env.os.mkdir(env.p("d", "sub"))
    env.os.symlink("x", env.p("d", "l"))
    assert env.os.stat(d).st_size == EMPTY_DIR_SIZE + 4 * DIRENT
    env.os.link(env.p("d", "f"), env.p("d", "hard"))
    assert env.os.stat(d).st_size == EMPTY_DIR_SIZE + 5 * DIRENT
    env.os.unlink(env.p("d", "f"))
    env.os.rmdir(env.p("d", "sub"))
    assert env.os.stat(d).st_size == EMPTY_DIR_SIZE + 3 * DIRENT


def test_dir_size_rename(env: Env) -> None:
    env.os.mkdir(env.p("a"))
    env.os.mkdir(env.p("b"))
    env.write(env.p("a", "f"))
    env.write(env.p("a", "g"))
    env.os.rename(env.p("a", "f"), env.p("a", "f2"))
    assert env.os.stat(env.p("a")).st_size == EMPTY_DIR_SIZE + 2 * DIRENT
    env.os.rename(env.p("a", "f2"), env.p("b", "f"))
    assert env.os.stat(env.p("a")).st_size == EMPTY_DIR_SIZE + DIRENT
    assert env.os.stat(env.p("b")).st_size == EMPTY_DIR_SIZE + DIRENT
    env.os.rename(env.p("a", "g"), env.p("b", "f"))  # replaces: b keeps one entry
    assert env.os.stat(env.p("a")).st_size == EMPTY_DIR_SIZE
    assert env.os.stat(env.p("b")).st_size == EMPTY_DIR_SIZE + DIRENT
