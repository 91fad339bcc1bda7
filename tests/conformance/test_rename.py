"""rename, replace and renames: what may replace what, the errnos, link counts,
timestamps, dir_fd forms and trailing slashes."""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import time
from collections.abc import Iterator

import pytest

from .conftest import Env
from .helpers import check, cwd, err

RENAMES = ["rename", "replace"]


@contextlib.contextmanager
def dirfd(env: Env, path: str) -> Iterator[int]:
    fd: int = env.os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        env.os.close(fd)


def names(env: Env, *parts: str) -> list[str]:
    return sorted(env.os.listdir(env.p(*parts)))


# ---------------------------------------------------------------- success cases


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_file(env: Env, fn: str) -> None:
    env.write(env.p("a"), b"content")
    ino = env.os.stat(env.p("a")).st_ino
    getattr(env.os, fn)(env.p("a"), env.p("b"))
    assert names(env) == ["b"]
    assert env.read(env.p("b")) == b"content"
    assert env.os.stat(env.p("b")).st_ino == ino


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_file_over_file(env: Env, fn: str) -> None:
    env.write(env.p("a"), b"new")
    env.write(env.p("b"), b"old")
    ino = env.os.stat(env.p("a")).st_ino
    getattr(env.os, fn)(env.p("a"), env.p("b"))
    assert names(env) == ["b"]
    assert env.read(env.p("b")) == b"new"
    assert env.os.stat(env.p("b")).st_ino == ino
    assert env.os.stat(env.p("b")).st_nlink == 1


def test_rename_over_file_with_other_link(env: Env) -> None:
    env.write(env.p("a"), b"new")
    env.write(env.p("victim"), b"old")
    env.os.link(env.p("victim"), env.p("other"))
    before = env.os.stat(env.p("other"))
    time.sleep(0.05)
    env.os.rename(env.p("a"), env.p("victim"))
    after = env.os.stat(env.p("other"))
    assert after.st_nlink == 1
    assert after.st_ctime_ns > before.st_ctime_ns
    assert env.read(env.p("other")) == b"old"


def test_rename_over_open_file(env: Env) -> None:
    env.write(env.p("a"), b"new")
    env.write(env.p("b"), b"old")
    fd = env.os.open(env.p("b"), os.O_RDONLY)
    try:
        env.os.rename(env.p("a"), env.p("b"))
        assert env.os.fstat(fd).st_nlink == 0
        assert env.os.read(fd, 10) == b"old"
    finally:
        env.os.close(fd)
    assert env.read(env.p("b")) == b"new"


def test_rename_open_file_keeps_fd(env: Env) -> None:
    env.write(env.p("a"), b"data")
    fd = env.os.open(env.p("a"), os.O_RDONLY)
    try:
        env.os.rename(env.p("a"), env.p("b"))
        assert env.os.read(fd, 10) == b"data"
        assert env.os.fstat(fd).st_ino == env.os.stat(env.p("b")).st_ino
    finally:
        env.os.close(fd)


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_dir_over_empty_dir(env: Env, fn: str) -> None:
    env.os.makedirs(env.p("src", "inner"))
    env.os.mkdir(env.p("dst"))
    getattr(env.os, fn)(env.p("src"), env.p("dst"))
    assert names(env) == ["dst"]
    assert names(env, "dst") == ["inner"]
    assert env.os.stat(env.base).st_nlink == 3


def test_rename_dir_over_empty_dir_victim_fd(env: Env) -> None:
    env.os.mkdir(env.p("src"))
    env.os.mkdir(env.p("dst"))
    fd = env.os.open(env.p("dst"), os.O_RDONLY)
    try:
        env.os.rename(env.p("src"), env.p("dst"))
        assert env.os.fstat(fd).st_nlink == 0
        assert env.os.listdir(fd) == []
        check(err(env.os.mkdir, "x", dir_fd=fd), FileNotFoundError, errno.ENOENT, "x")
    finally:
        env.os.close(fd)


def test_rename_moves_dir_updates_nlink(env: Env) -> None:
    env.os.makedirs(env.p("a", "sub", "deep"))
    env.os.mkdir(env.p("b"))
    assert env.os.stat(env.p("a")).st_nlink == 3
    env.os.rename(env.p("a", "sub"), env.p("b", "sub"))
    assert env.os.stat(env.p("a")).st_nlink == 2
    assert env.os.stat(env.p("b")).st_nlink == 3
    assert env.os.stat(env.p("b", "sub")).st_nlink == 3
    assert env.os.stat(env.p("b", "sub", "..")).st_ino == env.os.stat(env.p("b")).st_ino


def test_rename_dir_over_empty_dir_nlink(env: Env) -> None:
    env.os.makedirs(env.p("a", "x"))
    env.os.makedirs(env.p("b", "y"))
    env.os.rename(env.p("a", "x"), env.p("b", "y"))
    assert env.os.stat(env.p("a")).st_nlink == 2
    assert env.os.stat(env.p("b")).st_nlink == 3


def test_rename_symlink_renames_link(env: Env) -> None:
    env.write(env.p("t"), b"x")
    env.os.symlink("t", env.p("l"))
    env.os.rename(env.p("l"), env.p("l2"))
    assert names(env) == ["l2", "t"]
    assert env.os.readlink(env.p("l2")) == "t"


def test_rename_file_over_symlink(env: Env) -> None:
    env.write(env.p("t"), b"target")
    env.write(env.p("f"), b"file")
    env.os.symlink("t", env.p("l"))
    env.os.rename(env.p("f"), env.p("l"))
    assert names(env) == ["l", "t"]
    assert stat.S_ISREG(env.os.lstat(env.p("l")).st_mode)
    assert env.read(env.p("t")) == b"target"


def test_rename_through_symlinked_dir(env: Env) -> None:
    env.os.mkdir(env.p("real"))
    env.os.symlink("real", env.p("link"))
    env.write(env.p("f"))
    env.os.rename(env.p("f"), env.p("link", "f"))
    assert names(env, "real") == ["f"]


def test_rename_relative(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    with cwd(env, env.base):
        env.os.rename("f", "d/../d/g")
    assert names(env, "d") == ["g"]


@pytest.mark.parametrize("form", ["bytes", "pathlike"])
def test_rename_path_forms(env: Env, form: str) -> None:
    env.write(env.p("a"))
    if form == "bytes":
        env.os.rename(env.pb("a"), env.pb("b"))
    else:
        env.os.rename(pathlib.PurePosixPath(env.p("a")), pathlib.PurePosixPath(env.p("b")))
    assert names(env) == ["b"]


# ---------------------------------------------------------------- no-ops


def test_rename_same_inode_hard_links_noop(env: Env) -> None:
    env.write(env.p("a"), b"x")
    env.os.link(env.p("a"), env.p("b"))
    before = env.os.stat(env.p("a"))
    dir_before = env.os.stat(env.base)
    time.sleep(0.05)
    env.os.rename(env.p("a"), env.p("b"))
    assert names(env) == ["a", "b"]
    after = env.os.stat(env.p("a"))
    assert after.st_nlink == 2
    assert after.st_ctime_ns == before.st_ctime_ns
    assert env.os.stat(env.base).st_mtime_ns == dir_before.st_mtime_ns


@pytest.mark.parametrize("kind", ["file", "dir", "symlink"])
def test_rename_to_itself_noop(env: Env, kind: str) -> None:
    p = env.p("x")
    if kind == "file":
        env.write(p)
    elif kind == "dir":
        env.os.mkdir(p)
    else:
        env.os.symlink("nowhere", p)
    before = env.os.lstat(p)
    env.os.rename(p, p)
    env.os.replace(p, p)
    assert names(env) == ["x"]
    assert env.os.lstat(p).st_ino == before.st_ino


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_dir_over_nonempty_dir(env: Env, fn: str) -> None:
    env.os.mkdir(env.p("src"))
    env.os.mkdir(env.p("dst"))
    env.write(env.p("dst", "f"))
    src, dst = env.p("src"), env.p("dst")
    check(err(getattr(env.os, fn), src, dst), OSError, errno.ENOTEMPTY, src, dst)
    assert names(env) == ["dst", "src"]


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_file_over_dir(env: Env, fn: str) -> None:
    env.write(env.p("f"))
    env.os.mkdir(env.p("empty"))
    env.os.mkdir(env.p("full"))
    env.write(env.p("full", "x"))
    for d in ["empty", "full"]:
        src, dst = env.p("f"), env.p(d)
        check(err(getattr(env.os, fn), src, dst), IsADirectoryError, errno.EISDIR, src, dst)


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_dir_over_file(env: Env, fn: str) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    src, dst = env.p("d"), env.p("f")
    check(err(getattr(env.os, fn), src, dst), NotADirectoryError, errno.ENOTDIR, src, dst)


def test_rename_dir_over_symlink(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.mkdir(env.p("e"))
    env.os.symlink("e", env.p("le"))
    src, dst = env.p("d"), env.p("le")
    check(err(env.os.rename, src, dst), NotADirectoryError, errno.ENOTDIR, src, dst)
    src, dst = env.p("le"), env.p("d")
    check(err(env.os.rename, src, dst), IsADirectoryError, errno.EISDIR, src, dst)


@pytest.mark.parametrize("dst", [("d", "n"), ("d", "sub", "n"), ("d", "sub")])
def test_rename_into_own_subdir(env: Env, dst: tuple[str, ...]) -> None:
    env.os.makedirs(env.p("d", "sub"))
    src, target = env.p("d"), env.p(*dst)
    check(err(env.os.rename, src, target), OSError, errno.EINVAL, src, target)
    assert names(env, "d") == ["sub"]


def test_rename_onto_own_ancestor(env: Env) -> None:
    env.os.makedirs(env.p("d", "sub"))
    src, dst = env.p("d", "sub"), env.p("d")
    check(err(env.os.rename, src, dst), OSError, errno.ENOTEMPTY, src, dst)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (".", "x"),
        ("..", "x"),
        ("d/.", "x"),
        ("d/..", "x"),
        ("f", "."),
        ("e", "."),
        ("e", ".."),
        ("e", "d/."),
        ("e", "d/.."),
    ],
)
def test_rename_dot_ebusy(env: Env, src: str, dst: str) -> None:
    env.os.mkdir(env.p("d"))
    env.os.mkdir(env.p("e"))
    env.write(env.p("f"))
    with cwd(env, env.base):
        check(err(env.os.rename, src, dst), OSError, errno.EBUSY, src, dst)
    assert names(env) == ["d", "e", "f"]


def test_rename_missing(env: Env) -> None:
    env.write(env.p("f"))
    env.write(env.p("g"))
    cases: list[tuple[str, str, type[OSError], int]] = [
        (env.p("nx"), env.p("y"), FileNotFoundError, errno.ENOENT),
        (env.p("f"), env.p("nx", "y"), FileNotFoundError, errno.ENOENT),
        (env.p("f"), env.p("g", "y"), NotADirectoryError, errno.ENOTDIR),
        (env.p("g", "y"), env.p("z"), NotADirectoryError, errno.ENOTDIR),
        ("", env.p("y"), FileNotFoundError, errno.ENOENT),
        (env.p("f"), "", FileNotFoundError, errno.ENOENT),
    ]
    for src, dst, cls, code in cases:
        check(err(env.os.rename, src, dst), cls, code, src, dst)
    assert names(env) == ["f", "g"]


# ---------------------------------------------------------------- trailing slashes


@pytest.mark.parametrize(
    ("src", "dst"), [("e/", "e2"), ("e", "e2/"), ("e/", "e2/"), ("e//", "e2//")]
)
def test_rename_dir_trailing_slash_ok(env: Env, src: str, dst: str) -> None:
    env.os.mkdir(env.p("e"))
    with cwd(env, env.base):
        env.os.rename(src, dst)
    assert names(env) == ["e2"]


def test_rename_dir_over_dir_trailing_slashes(env: Env) -> None:
    env.os.mkdir(env.p("p"))
    env.os.mkdir(env.p("q"))
    env.os.rename(env.p("p") + "/", env.p("q") + "/")
    assert names(env) == ["q"]


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("f/", "y"),  # file source with slash
        ("f", "y/"),  # file to new name with slash
        ("f", "q/"),  # file over a directory named with slash
        ("q", "f/"),  # directory over a file named with slash
        ("le/", "y"),  # symlink to dir, source with slash
        ("le", "y/"),  # symlink to dir, destination with slash
    ],
)
def test_rename_trailing_slash_enotdir(env: Env, src: str, dst: str) -> None:
    env.write(env.p("f"))
    env.os.mkdir(env.p("q"))
    env.os.mkdir(env.p("e"))
    env.os.symlink("e", env.p("le"))
    with cwd(env, env.base):
        check(err(env.os.rename, src, dst), NotADirectoryError, errno.ENOTDIR, src, dst)
    assert names(env) == ["e", "f", "le", "q"]


# ---------------------------------------------------------------- timestamps


def test_rename_file_ctime_changes_mtime_kept(env: Env) -> None:
    env.write(env.p("a"), b"x")
    before = env.os.stat(env.p("a"))
    dir_before = env.os.stat(env.base)
    time.sleep(0.05)
    env.os.rename(env.p("a"), env.p("b"))
    after = env.os.stat(env.p("b"))
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_ctime_ns > before.st_ctime_ns
    dir_after = env.os.stat(env.base)
    assert dir_after.st_mtime_ns > dir_before.st_mtime_ns
    assert dir_after.st_ctime_ns > dir_before.st_ctime_ns


def test_rename_dir_across_parents_times(env: Env) -> None:
    env.os.makedirs(env.p("a", "sub"))
    env.os.mkdir(env.p("b"))
    sub, a, b = (env.os.stat(env.p(*x)) for x in [("a", "sub"), ("a",), ("b",)])
    time.sleep(0.05)
    env.os.rename(env.p("a", "sub"), env.p("b", "sub"))
    sub2 = env.os.stat(env.p("b", "sub"))
    assert sub2.st_mtime_ns == sub.st_mtime_ns
    assert sub2.st_ctime_ns > sub.st_ctime_ns
    assert env.os.stat(env.p("a")).st_mtime_ns > a.st_mtime_ns
    assert env.os.stat(env.p("b")).st_mtime_ns > b.st_mtime_ns


# ---------------------------------------------------------------- dir_fd


@pytest.mark.parametrize("fn", RENAMES)
def test_rename_dir_fd_same(env: Env, fn: str) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "a"), b"x")
    with dirfd(env, env.p("d")) as fd:
        getattr(env.os, fn)("a", "b", src_dir_fd=fd, dst_dir_fd=fd)
    assert names(env, "d") == ["b"]


def test_rename_dir_fd_across(env: Env) -> None:
    env.os.mkdir(env.p("s"))
    env.os.mkdir(env.p("t"))
    env.write(env.p("s", "a"), b"x")
    with dirfd(env, env.p("s")) as sfd, dirfd(env, env.p("t")) as tfd:
        env.os.rename("a", "b", src_dir_fd=sfd, dst_dir_fd=tfd)
        assert names(env, "s") == []
        assert names(env, "t") == ["b"]
        env.os.replace("b", "c", src_dir_fd=tfd, dst_dir_fd=sfd)
    assert names(env, "s") == ["c"]


def test_rename_dir_fd_only_one_side(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "a"))
    with dirfd(env, env.p("d")) as fd:
        env.os.rename("a", env.p("top"), src_dir_fd=fd)
        env.os.rename(env.p("top"), "back", dst_dir_fd=fd)
    assert names(env, "d") == ["back"]


def test_rename_dir_fd_absolute_paths_ignore_fd(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    env.write(env.p("g"))
    with dirfd(env, env.p("g")) as ffd:
        env.os.rename(env.p("f"), env.p("d", "f"), src_dir_fd=ffd, dst_dir_fd=ffd)
    assert names(env, "d") == ["f"]


def test_rename_dir_fd_survives_dir_rename(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "a"))
    with dirfd(env, env.p("d")) as fd:
        env.os.rename(env.p("d"), env.p("moved"))
        env.os.rename("a", "b", src_dir_fd=fd, dst_dir_fd=fd)
    assert names(env, "moved") == ["b"]


def test_rename_dir_fd_errors(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    with dirfd(env, env.p("d")) as fd, dirfd(env, env.p("f")) as ffd:
        e = err(env.os.rename, "nx", "y", src_dir_fd=fd, dst_dir_fd=fd)
        check(e, FileNotFoundError, errno.ENOENT, "nx", "y")
        e = err(env.os.rename, "a", "b", src_dir_fd=ffd, dst_dir_fd=fd)
        check(e, NotADirectoryError, errno.ENOTDIR, "a", "b")
    closed = fd
    e = err(env.os.rename, "a", "b", src_dir_fd=closed, dst_dir_fd=closed)
    check(e, OSError, errno.EBADF, "a", "b")


# ---------------------------------------------------------------- permissions


def test_rename_permissions(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    env.write(env.p("ro", "f"))
    env.os.mkdir(env.p("rw"), 0o777)
    env.os.chmod(env.p("rw"), 0o777)
    with env.as_user(1000, 1000):
        env.write(env.p("rw", "mine"))
        src, dst = env.p("ro", "f"), env.p("rw", "f")
        check(err(env.os.rename, src, dst), PermissionError, errno.EACCES, src, dst)
        src, dst = env.p("rw", "mine"), env.p("ro", "mine")
        check(err(env.os.rename, src, dst), PermissionError, errno.EACCES, src, dst)
    assert names(env, "ro") == ["f"]


def test_rename_sticky_dir(env: Env) -> None:
    env.os.mkdir(env.p("s"))
    env.os.chmod(env.p("s"), 0o1777)
    env.write(env.p("s", "roots"), mode=0o666)
    with env.as_user(1000, 1000):
        env.write(env.p("s", "mine"))
        src, dst = env.p("s", "roots"), env.p("s", "x")
        check(err(env.os.rename, src, dst), PermissionError, errno.EPERM, src, dst)
        src, dst = env.p("s", "mine"), env.p("s", "roots")
        check(err(env.os.rename, src, dst), PermissionError, errno.EPERM, src, dst)
        env.os.rename(env.p("s", "mine"), env.p("s", "mine2"))
    assert names(env, "s") == ["mine2", "roots"]


def test_rename_foreign_dir_across_parents_needs_write_on_dir(env: Env) -> None:
    # moving a directory to a new parent rewrites its "..": needs write on it
    for d in ["a", "b"]:
        env.os.mkdir(env.p(d))
        env.os.chmod(env.p(d), 0o777)
    env.os.mkdir(env.p("a", "rootdir"), 0o755)
    env.write(env.p("a", "rootfile"))
    with env.as_user(1000, 1000):
        src, dst = env.p("a", "rootdir"), env.p("b", "rootdir")
        check(err(env.os.rename, src, dst), PermissionError, errno.EACCES, src, dst)
        env.os.rename(env.p("a", "rootdir"), env.p("a", "renamed"))
        env.os.rename(env.p("a", "rootfile"), env.p("b", "rootfile"))
    assert names(env, "a") == ["renamed"]
    assert names(env, "b") == ["rootfile"]


# ---------------------------------------------------------------- renames


def test_renames_creates_and_prunes(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("r1", "r2"))
    env.write(env.p("r1", "r2", "f"), b"x")
    env.os.renames(env.p("r1", "r2", "f"), env.p("n1", "n2", "f"))
    assert names(env) == ["keep", "n1"]
    assert env.read(env.p("n1", "n2", "f")) == b"x"


def test_renames_keeps_nonempty_parents(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("s1", "s2"))
    env.write(env.p("s1", "s2", "f"))
    env.write(env.p("s1", "other"))
    env.os.renames(env.p("s1", "s2", "f"), env.p("t", "f"))
    assert names(env) == ["keep", "s1", "t"]
    assert names(env, "s1") == ["other"]


def test_renames_dir(env: Env) -> None:
    env.write(env.p("keep"))
    env.os.makedirs(env.p("a", "d"))
    env.write(env.p("a", "d", "x"))
    env.os.renames(env.p("a", "d"), env.p("b", "c", "d"))
    assert names(env) == ["b", "keep"]
    assert names(env, "b", "c", "d") == ["x"]


def test_renames_missing_source_creates_dst_parents(env: Env) -> None:
    env.write(env.p("keep"))
    src, dst = env.p("nx"), env.p("a", "b", "c")
    check(err(env.os.renames, src, dst), FileNotFoundError, errno.ENOENT, src, dst)
    # the new parents are made before the rename is tried
    assert names(env, "a") == ["b"]
