"""Hard links, symbolic links, readlink, unlink/remove and link counts."""

from __future__ import annotations

import errno
import os
import pathlib
import stat
import time

import pytest

from .conftest import Env
from .helpers import check, err


class FsPath:
    """A minimal os.PathLike that is not a pathlib object."""

    def __init__(self, value: str | bytes) -> None:
        self.value = value

    def __fspath__(self) -> str | bytes:
        return self.value


# ---------------------------------------------------------------- link


def test_link_shares_inode(env: Env) -> None:
    env.write(env.p("f"), b"hello")
    env.os.link(env.p("f"), env.p("g"))
    a, b = env.os.stat(env.p("f")), env.os.stat(env.p("g"))
    assert a.st_ino == b.st_ino
    assert a.st_dev == b.st_dev
    assert a.st_nlink == b.st_nlink == 2
    env.write(env.p("g"), b"changed")
    assert env.read(env.p("f")) == b"changed"
    assert sorted(env.os.listdir(env.base)) == ["f", "g"]


def test_link_into_other_dir(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"), b"x")
    env.os.link(env.p("f"), env.p("d", "f2"))
    assert env.os.stat(env.p("d", "f2")).st_ino == env.os.stat(env.p("f")).st_ino
    assert env.os.stat(env.p("f")).st_nlink == 2


def test_link_nlink_counts(env: Env) -> None:
    env.write(env.p("f"))
    for i in range(5):
        env.os.link(env.p("f"), env.p(f"h{i}"))
    assert env.os.stat(env.p("f")).st_nlink == 6
    env.os.unlink(env.p("f"))
    assert env.os.stat(env.p("h0")).st_nlink == 5
    for i in range(4):
        env.os.unlink(env.p(f"h{i}"))
    assert env.os.stat(env.p("h4")).st_nlink == 1


def test_link_updates_ctime_not_mtime(env: Env) -> None:
    env.write(env.p("f"), b"x")
    before = env.os.stat(env.p("f"))
    time.sleep(0.05)
    env.os.link(env.p("f"), env.p("g"))
    after = env.os.stat(env.p("f"))
    assert after.st_ctime_ns > before.st_ctime_ns
    assert after.st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize("form", ["bytes", "pathlike"])
def test_link_path_forms(env: Env, form: str) -> None:
    env.write(env.p("f"))
    if form == "bytes":
        env.os.link(env.pb("f"), env.pb("g"))
    else:
        env.os.link(pathlib.PurePosixPath(env.p("f")), FsPath(env.p("g")))
    assert env.os.stat(env.p("g")).st_nlink == 2


@pytest.mark.parametrize("target", ["file", "dir", "symlink", "self"])
def test_link_eexist(env: Env, target: str) -> None:
    env.write(env.p("f"))
    env.write(env.p("file"))
    env.os.mkdir(env.p("dir"))
    env.os.symlink("nowhere", env.p("symlink"))
    dst = env.p("f") if target == "self" else env.p(target)
    check(err(env.os.link, env.p("f"), dst), FileExistsError, errno.EEXIST, env.p("f"), dst)
    assert env.os.stat(env.p("f")).st_nlink == 1


def test_link_dir_trailing_slash_destination_exists(env: Env) -> None:
    env.write(env.p("f"))
    env.os.mkdir(env.p("d"))
    dst = env.p("d") + "/"
    check(err(env.os.link, env.p("f"), dst), FileExistsError, errno.EEXIST, env.p("f"), dst)


def test_link_errors(env: Env) -> None:
    env.write(env.p("f"))
    src, dst = env.p("nx"), env.p("y")
    check(err(env.os.link, src, dst), FileNotFoundError, errno.ENOENT, src, dst)
    src, dst = env.p("f"), env.p("nx", "y")
    check(err(env.os.link, src, dst), FileNotFoundError, errno.ENOENT, src, dst)
    src, dst = env.p("f"), env.p("f", "y")
    check(err(env.os.link, src, dst), NotADirectoryError, errno.ENOTDIR, src, dst)
    src, dst = env.p("f") + "/", env.p("y")
    check(err(env.os.link, src, dst), NotADirectoryError, errno.ENOTDIR, src, dst)
    src, dst = "", env.p("y")
    check(err(env.os.link, src, dst), FileNotFoundError, errno.ENOENT, src, dst)
    assert env.os.listdir(env.base) == ["f"]


def test_link_new_name_with_trailing_slash(env: Env) -> None:
    # the new name "y/" does not exist and cannot be created as a non-directory
    env.write(env.p("f"))
    dst = env.p("y") + "/"
    check(err(env.os.link, env.p("f"), dst), FileNotFoundError, errno.ENOENT, env.p("f"), dst)


def test_link_directory_eperm(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    src, dst = env.p("d"), env.p("d2")
    check(err(env.os.link, src, dst), PermissionError, errno.EPERM, src, dst)
    assert env.os.listdir(env.base) == ["d"]
    assert env.os.stat(env.p("d")).st_nlink == 2


def test_link_symlink_nofollow(env: Env) -> None:
    env.write(env.p("f"), b"data")
    env.os.symlink("f", env.p("l"))
    env.os.link(env.p("l"), env.p("h"), follow_symlinks=False)
    assert stat.S_ISLNK(env.os.lstat(env.p("h")).st_mode)
    assert env.os.readlink(env.p("h")) == "f"
    assert env.os.lstat(env.p("h")).st_ino == env.os.lstat(env.p("l")).st_ino
    assert env.os.lstat(env.p("l")).st_nlink == 2
    assert env.os.stat(env.p("f")).st_nlink == 1
    assert env.read(env.p("h")) == b"data"


def test_link_symlink_to_dir_nofollow_ok(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("l"))
    env.os.link(env.p("l"), env.p("h"), follow_symlinks=False)
    assert env.os.readlink(env.p("h")) == "d"
    assert env.os.lstat(env.p("l")).st_nlink == 2


def test_link_dangling_symlink_nofollow_ok(env: Env) -> None:
    env.os.symlink("nowhere", env.p("l"))
    env.os.link(env.p("l"), env.p("h"), follow_symlinks=False)
    assert env.os.readlink(env.p("h")) == "nowhere"


def test_link_symlink_follow(env: Env) -> None:
    # with a dir_fd, CPython always uses linkat(AT_SYMLINK_FOLLOW) when following
    env.write(env.p("f"), b"data")
    env.os.symlink("f", env.p("l"))
    fd = env.os.open(env.base, os.O_RDONLY)
    try:
        env.os.link("l", "h", src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=True)
    finally:
        env.os.close(fd)
    assert stat.S_ISREG(env.os.lstat(env.p("h")).st_mode)
    assert env.os.stat(env.p("h")).st_ino == env.os.stat(env.p("f")).st_ino
    assert env.os.stat(env.p("f")).st_nlink == 2
    assert env.os.lstat(env.p("l")).st_nlink == 1


def test_link_symlink_follow_errors(env: Env) -> None:
    env.os.symlink("nowhere", env.p("dangling"))
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("ld"))
    fd = env.os.open(env.base, os.O_RDONLY)
    try:
        e = err(env.os.link, "dangling", "h", src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=True)
        check(e, FileNotFoundError, errno.ENOENT, "dangling", "h")
        e = err(env.os.link, "ld", "h", src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=True)
        check(e, PermissionError, errno.EPERM, "ld", "h")
    finally:
        env.os.close(fd)


def test_link_into_unwritable_dir(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    with env.as_user(1000, 1000):
        env.write(env.p("mine"))
        src, dst = env.p("mine"), env.p("ro", "h")
        check(err(env.os.link, src, dst), PermissionError, errno.EACCES, src, dst)


# ---------------------------------------------------------------- symlink / readlink


def test_symlink_basic(env: Env) -> None:
    env.write(env.p("f"), b"abc")
    env.os.symlink("f", env.p("l"))
    st = env.os.lstat(env.p("l"))
    assert stat.S_ISLNK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o777
    assert st.st_size == 1
    assert st.st_nlink == 1
    assert env.os.stat(env.p("l")).st_ino == env.os.stat(env.p("f")).st_ino
    assert env.read(env.p("l")) == b"abc"


def test_symlink_size_is_target_bytes(env: Env) -> None:
    env.os.symlink("é/abc", env.p("l"))
    assert env.os.lstat(env.p("l")).st_size == len("é/abc".encode())
    assert env.os.readlink(env.p("l")) == "é/abc"


def test_symlink_mode_ignores_umask(env: Env) -> None:
    old = env.os.umask(0o777)
    try:
        env.os.symlink("x", env.p("l"))
    finally:
        env.os.umask(old)
    assert stat.S_IMODE(env.os.lstat(env.p("l")).st_mode) == 0o777


@pytest.mark.parametrize(
    "target", ["a//b/../c/", "./x", "../../..", "/abs/path", " sp ", "x" * 300]
)
def test_symlink_target_stored_verbatim(env: Env, target: str) -> None:
    env.os.symlink(target, env.p("l"))
    assert env.os.readlink(env.p("l")) == target
    assert env.os.lstat(env.p("l")).st_size == len(target)


def test_symlink_relative_to_link_dir(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "t"), b"inner")
    env.write(env.p("t"), b"outer")
    env.os.symlink("t", env.p("d", "l"))
    env.os.symlink("../t", env.p("d", "up"))
    assert env.read(env.p("d", "l")) == b"inner"
    assert env.read(env.p("d", "up")) == b"outer"


def test_symlink_absolute_target(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    env.os.symlink(env.p("d"), env.p("l"))
    assert env.os.listdir(env.p("l")) == ["x"]
    assert env.os.readlink(env.p("l")) == env.p("d")


def test_symlink_owner(env: Env) -> None:
    with env.as_user(1000, 1000):
        env.os.symlink("x", env.p("l"))
    st = env.os.lstat(env.p("l"))
    assert (st.st_uid, st.st_gid) == (1000, 1000)


@pytest.mark.parametrize("existing", ["file", "dir", "dangling"])
def test_symlink_eexist(env: Env, existing: str) -> None:
    env.write(env.p("file"))
    env.os.mkdir(env.p("dir"))
    env.os.symlink("nowhere", env.p("dangling"))
    dst = env.p(existing)
    check(err(env.os.symlink, "t", dst), FileExistsError, errno.EEXIST, "t", dst)
    dst = env.p(existing) + "/"
    check(err(env.os.symlink, "t", dst), FileExistsError, errno.EEXIST, "t", dst)


def test_symlink_errors(env: Env) -> None:
    env.write(env.p("f"))
    dst = env.p("nx", "l")
    check(err(env.os.symlink, "t", dst), FileNotFoundError, errno.ENOENT, "t", dst)
    dst = env.p("f", "l")
    check(err(env.os.symlink, "t", dst), NotADirectoryError, errno.ENOTDIR, "t", dst)
    dst = env.p("new") + "/"
    check(err(env.os.symlink, "t", dst), FileNotFoundError, errno.ENOENT, "t", dst)
    dst = env.p("l")
    check(err(env.os.symlink, "", dst), FileNotFoundError, errno.ENOENT, "", dst)
    check(err(env.os.symlink, "t", ""), FileNotFoundError, errno.ENOENT, "t", "")
    assert env.os.listdir(env.base) == ["f"]


def test_symlink_unwritable_dir(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    with env.as_user(1000, 1000):
        dst = env.p("ro", "l")
        check(err(env.os.symlink, "t", dst), PermissionError, errno.EACCES, "t", dst)


def test_readlink_return_types(env: Env) -> None:
    env.os.symlink("target", env.p("l"))
    r = env.os.readlink(env.p("l"))
    assert r == "target" and type(r) is str
    rb = env.os.readlink(env.pb("l"))
    assert rb == b"target" and type(rb) is bytes
    rp = env.os.readlink(pathlib.PurePosixPath(env.p("l")))
    assert rp == "target" and type(rp) is str
    rpb = env.os.readlink(FsPath(env.pb("l")))
    assert rpb == b"target" and type(rpb) is bytes


def test_symlink_bytes(env: Env) -> None:
    env.os.symlink(b"t\xffx", env.pb("l"))
    assert env.os.readlink(env.pb("l")) == b"t\xffx"
    assert env.os.readlink(env.p("l")) == os.fsdecode(b"t\xffx")


@pytest.mark.parametrize("what", ["file", "dir", "dirlink/"])
def test_readlink_einval(env: Env, what: str) -> None:
    env.write(env.p("file"))
    env.os.mkdir(env.p("dir"))
    env.os.symlink("dir", env.p("dirlink"))
    p = env.p(what)
    check(err(env.os.readlink, p), OSError, errno.EINVAL, p)


def test_readlink_enoent(env: Env) -> None:
    check(err(env.os.readlink, env.p("nx")), FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(err(env.os.readlink, ""), FileNotFoundError, errno.ENOENT, "")
    env.write(env.p("f"))
    p = env.p("f", "x")
    check(err(env.os.readlink, p), NotADirectoryError, errno.ENOTDIR, p)


def test_readlink_through_dir_symlink(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("t", env.p("d", "inner"))
    env.os.symlink("d", env.p("dl"))
    assert env.os.readlink(env.p("dl", "inner")) == "t"


# ---------------------------------------------------------------- dangling symlinks


def test_dangling_symlink(env: Env) -> None:
    env.os.symlink("nowhere", env.p("l"))
    check(err(env.os.stat, env.p("l")), FileNotFoundError, errno.ENOENT, env.p("l"))
    assert stat.S_ISLNK(env.os.lstat(env.p("l")).st_mode)
    assert env.os.listdir(env.base) == ["l"]
    assert env.os.readlink(env.p("l")) == "nowhere"


def test_dangling_symlink_open_creates_target(env: Env) -> None:
    env.os.symlink("made", env.p("l"))
    fd = env.os.open(env.p("l"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        env.os.write(fd, b"hi")
    finally:
        env.os.close(fd)
    assert env.read(env.p("made")) == b"hi"
    assert stat.S_IMODE(env.os.stat(env.p("made")).st_mode) == 0o600
    assert env.os.readlink(env.p("l")) == "made"


def test_dangling_symlink_open_excl(env: Env) -> None:
    env.os.symlink("made", env.p("l"))
    e = err(env.os.open, env.p("l"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    check(e, FileExistsError, errno.EEXIST, env.p("l"))
    assert env.os.listdir(env.base) == ["l"]


def test_dangling_symlink_open_missing_dir(env: Env) -> None:
    env.os.symlink("nd/made", env.p("l"))
    e = err(env.os.open, env.p("l"), os.O_WRONLY | os.O_CREAT, 0o600)
    check(e, FileNotFoundError, errno.ENOENT, env.p("l"))


def test_dangling_symlink_target_with_slash_open_creat(env: Env) -> None:
    env.os.symlink("made/", env.p("l"))
    e = err(env.os.open, env.p("l"), os.O_WRONLY | os.O_CREAT, 0o600)
    check(e, IsADirectoryError, errno.EISDIR, env.p("l"))
    assert env.os.listdir(env.base) == ["l"]


def test_dangling_symlink_mkdir_eexist(env: Env) -> None:
    env.os.symlink("nd", env.p("l"))
    check(err(env.os.mkdir, env.p("l")), FileExistsError, errno.EEXIST, env.p("l"))
    p = env.p("l") + "/"
    check(err(env.os.mkdir, p), FileExistsError, errno.EEXIST, p)
    assert env.os.listdir(env.base) == ["l"]


def test_dangling_symlink_trailing_slash(env: Env) -> None:
    env.os.symlink("nowhere", env.p("l"))
    p = env.p("l") + "/"
    check(err(env.os.lstat, p), FileNotFoundError, errno.ENOENT, p)
    check(err(env.os.stat, p), FileNotFoundError, errno.ENOENT, p)


def test_symlink_becomes_live_then_dangling(env: Env) -> None:
    env.os.symlink("t", env.p("l"))
    env.write(env.p("t"), b"now")
    assert env.read(env.p("l")) == b"now"
    env.os.unlink(env.p("t"))
    check(err(env.os.stat, env.p("l")), FileNotFoundError, errno.ENOENT, env.p("l"))


# ---------------------------------------------------------------- symlinks to dirs


def test_symlink_to_dir(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    env.os.symlink("d", env.p("l"))
    assert env.os.listdir(env.p("l")) == ["x"]
    assert stat.S_ISDIR(env.os.stat(env.p("l")).st_mode)
    assert stat.S_ISLNK(env.os.lstat(env.p("l")).st_mode)
    env.write(env.p("l", "y"))
    assert sorted(env.os.listdir(env.p("d"))) == ["x", "y"]


@pytest.mark.parametrize("suffix", ["/", "//", "/."])
def test_lstat_trailing_slash_follows(env: Env, suffix: str) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("l"))
    st = env.os.lstat(env.p("l") + suffix)
    assert stat.S_ISDIR(st.st_mode)
    assert st.st_ino == env.os.stat(env.p("d")).st_ino
    assert st.st_ino != env.os.lstat(env.p("l")).st_ino


def test_trailing_slash_on_symlink_to_file(env: Env) -> None:
    env.write(env.p("f"))
    env.os.symlink("f", env.p("l"))
    p = env.p("l") + "/"
    check(err(env.os.lstat, p), NotADirectoryError, errno.ENOTDIR, p)
    check(err(env.os.stat, p), NotADirectoryError, errno.ENOTDIR, p)


# ---------------------------------------------------------------- unlink / remove


@pytest.mark.parametrize("fn", ["unlink", "remove"])
def test_unlink_file(env: Env, fn: str) -> None:
    env.write(env.p("f"))
    getattr(env.os, fn)(env.p("f"))
    assert env.os.listdir(env.base) == []


@pytest.mark.parametrize("fn", ["unlink", "remove"])
def test_unlink_dir_eisdir(env: Env, fn: str) -> None:
    env.os.mkdir(env.p("d"))
    f = getattr(env.os, fn)
    check(err(f, env.p("d")), IsADirectoryError, errno.EISDIR, env.p("d"))
    check(err(f, env.p("d") + "/"), IsADirectoryError, errno.EISDIR, env.p("d") + "/")
    assert env.os.listdir(env.base) == ["d"]


@pytest.mark.parametrize("fn", ["unlink", "remove"])
def test_unlink_errors(env: Env, fn: str) -> None:
    f = getattr(env.os, fn)
    env.write(env.p("f"))
    p = env.p("f") + "/"
    check(err(f, p), NotADirectoryError, errno.ENOTDIR, p)
    p = env.p("nx")
    check(err(f, p), FileNotFoundError, errno.ENOENT, p)
    p = env.p("nx") + "/"
    check(err(f, p), FileNotFoundError, errno.ENOENT, p)
    p = env.p("f", "x")
    check(err(f, p), NotADirectoryError, errno.ENOTDIR, p)
    check(err(f, ""), FileNotFoundError, errno.ENOENT, "")
    assert env.os.listdir(env.base) == ["f"]


def test_unlink_symlink_removes_link_only(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"))
    env.os.symlink("d", env.p("ld"))
    env.os.symlink("f", env.p("lf"))
    env.os.symlink("nowhere", env.p("dangling"))
    for name in ["ld", "lf", "dangling"]:
        env.os.unlink(env.p(name))
    assert sorted(env.os.listdir(env.base)) == ["d", "f"]


def test_unlink_symlink_to_dir_with_slash(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("ld"))
    p = env.p("ld") + "/"
    check(err(env.os.unlink, p), NotADirectoryError, errno.ENOTDIR, p)
    assert sorted(env.os.listdir(env.base)) == ["d", "ld"]


def test_unlink_self_loop_with_slash(env: Env) -> None:
    env.os.symlink("self", env.p("self"))
    p = env.p("self") + "/"
    check(err(env.os.unlink, p), NotADirectoryError, errno.ENOTDIR, p)
    env.os.unlink(env.p("self"))
    assert env.os.listdir(env.base) == []


def test_unlink_open_file_keeps_data(env: Env) -> None:
    env.write(env.p("f"), b"still here")
    fd = env.os.open(env.p("f"), os.O_RDONLY)
    try:
        env.os.unlink(env.p("f"))
        assert env.os.fstat(fd).st_nlink == 0
        assert env.os.read(fd, 100) == b"still here"
    finally:
        env.os.close(fd)
    assert env.os.listdir(env.base) == []


def test_unlink_hard_link_updates_ctime(env: Env) -> None:
    env.write(env.p("f"), b"x")
    env.os.link(env.p("f"), env.p("g"))
    before = env.os.stat(env.p("f"))
    time.sleep(0.05)
    env.os.unlink(env.p("g"))
    after = env.os.stat(env.p("f"))
    assert after.st_nlink == 1
    assert after.st_ctime_ns > before.st_ctime_ns
    assert after.st_mtime_ns == before.st_mtime_ns


def test_unlink_updates_parent_times(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    before = env.os.stat(env.p("d"))
    time.sleep(0.05)
    env.os.unlink(env.p("d", "f"))
    after = env.os.stat(env.p("d"))
    assert after.st_mtime_ns > before.st_mtime_ns
    assert after.st_ctime_ns > before.st_ctime_ns


def test_unlink_permissions(env: Env) -> None:
    env.os.mkdir(env.p("ro"), 0o755)
    env.write(env.p("ro", "f"))
    env.os.mkdir(env.p("sticky"))
    env.os.chmod(env.p("sticky"), 0o1777)
    env.write(env.p("sticky", "roots"), mode=0o666)
    with env.as_user(1000, 1000):
        p = env.p("ro", "f")
        check(err(env.os.unlink, p), PermissionError, errno.EACCES, p)
        p = env.p("ro", "nx")
        check(err(env.os.unlink, p), FileNotFoundError, errno.ENOENT, p)
        p = env.p("sticky", "roots")
        check(err(env.os.unlink, p), PermissionError, errno.EPERM, p)
        env.write(env.p("sticky", "mine"))
        env.os.unlink(env.p("sticky", "mine"))
    assert env.os.listdir(env.p("sticky")) == ["roots"]
    assert env.os.listdir(env.p("ro")) == ["f"]


def test_unlink_bytes_and_pathlike(env: Env) -> None:
    env.write(env.p("a"))
    env.write(env.p("b"))
    env.os.unlink(env.pb("a"))
    env.os.remove(pathlib.PurePosixPath(env.p("b")))
    assert env.os.listdir(env.base) == []
    e = err(env.os.unlink, env.pb("a"))
    check(e, FileNotFoundError, errno.ENOENT, env.pb("a"))
