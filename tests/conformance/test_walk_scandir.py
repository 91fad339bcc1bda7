"""os.scandir and DirEntry, os.walk, os.fwalk, and the dir_fd forms of the
path functions."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Env
from .helpers import check, cwd, err


@contextlib.contextmanager
def dirfd(env: Env, path: str) -> Iterator[int]:
    fd: int = env.os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        env.os.close(fd)


def entries(env: Env, path: Any) -> dict[Any, Any]:
    with env.os.scandir(path) as it:
        return {e.name: e for e in it}


def populate(env: Env) -> None:
    """d/ holding: f (file, 3 bytes), sub/ (dir), ls -> sub, lf -> f, dang -> nowhere."""
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"abc")
    env.os.mkdir(env.p("d", "sub"))
    env.os.symlink("sub", env.p("d", "ls"))
    env.os.symlink("f", env.p("d", "lf"))
    env.os.symlink("nowhere", env.p("d", "dang"))


def tree(env: Env) -> None:
    """w/{f1, lf -> f1, lc -> c, a/{f2, b/}, c/}"""
    env.os.makedirs(env.p("w", "a", "b"))
    env.os.mkdir(env.p("w", "c"))
    env.write(env.p("w", "f1"))
    env.write(env.p("w", "a", "f2"))
    env.os.symlink("c", env.p("w", "lc"))
    env.os.symlink("f1", env.p("w", "lf"))


def norm(walk: Any) -> dict[Any, tuple[list[Any], list[Any]]]:
    return {top: (sorted(dirs), sorted(files)) for top, dirs, files, *_ in walk}


# ---------------------------------------------------------------- scandir


# name: (is_dir, is_dir(nofollow), is_file, is_file(nofollow), is_symlink)
TYPES = {
    "f": (False, False, True, True, False),
    "sub": (True, True, False, False, False),
    "ls": (True, False, False, False, True),
    "lf": (False, False, True, False, True),
    "dang": (False, False, False, False, True),
}


@pytest.mark.parametrize("name", sorted(TYPES))
def test_direntry_types(env: Env, name: str) -> None:
    populate(env)
    e = entries(env, env.p("d"))[name]
    got = (
        e.is_dir(),
        e.is_dir(follow_symlinks=False),
        e.is_file(),
        e.is_file(follow_symlinks=False),
        e.is_symlink(),
    )
    assert got == TYPES[name]


def test_scandir_names_and_paths(env: Env) -> None:
    populate(env)
    ents = entries(env, env.p("d"))
    assert sorted(ents) == ["dang", "f", "lf", "ls", "sub"]
    for name, e in ents.items():
        assert e.name == name
        assert e.path == env.p("d", name)
        assert os.fspath(e) == e.path
        assert isinstance(e, os.PathLike)
        assert repr(e) == f"<DirEntry {name!r}>"


def test_scandir_empty_dir(env: Env) -> None:
    env.os.mkdir(env.p("e"))
    assert entries(env, env.p("e")) == {}


@pytest.mark.parametrize(("suffix", "sep"), [("/", ""), ("//", ""), ("/.", "/")])
def test_scandir_path_joining(env: Env, suffix: str, sep: str) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    (e,) = entries(env, env.p("d") + suffix).values()
    assert e.path == env.p("d") + suffix + sep + "f"


def test_scandir_default_and_relative(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    with cwd(env, env.base):
        with env.os.scandir() as it:
            assert [e.path for e in it] == ["./d"]
        (e,) = entries(env, "d").values()
        assert e.path == "d/f"
        assert e.is_file()
        assert e.stat().st_size == 0


def test_scandir_bytes(env: Env) -> None:
    populate(env)
    ents = entries(env, env.pb("d"))
    assert sorted(ents) == [b"dang", b"f", b"lf", b"ls", b"sub"]
    e = ents[b"f"]
    assert e.path == env.pb("d", "f")
    assert os.fspath(e) == env.pb("d", "f")
    assert e.is_file()
    assert e.stat().st_size == 3


def test_scandir_fd(env: Env) -> None:
    populate(env)
    with dirfd(env, env.p("d")) as fd:
        ents = entries(env, fd)
        assert sorted(ents) == ["dang", "f", "lf", "ls", "sub"]
        for name, e in ents.items():
            assert e.path == name
            expected = TYPES[name]
            assert (e.is_dir(), e.is_file(), e.is_symlink()) == (
                expected[0],
                expected[2],
                expected[4],
            )
        assert ents["f"].stat().st_size == 3
        assert stat.S_ISLNK(ents["ls"].stat(follow_symlinks=False).st_mode)
        assert stat.S_ISDIR(ents["ls"].stat().st_mode)
        # the same fd can be scanned again
        assert sorted(entries(env, fd)) == sorted(ents)


def test_direntry_inode(env: Env) -> None:
    populate(env)
    for name, e in entries(env, env.p("d")).items():
        assert e.inode() == env.os.lstat(env.p("d", name)).st_ino


def test_direntry_stat(env: Env) -> None:
    populate(env)
    ents = entries(env, env.p("d"))
    assert ents["f"].stat().st_size == 3
    assert ents["f"].stat().st_ino == env.os.stat(env.p("d", "f")).st_ino
    assert ents["ls"].stat().st_ino == env.os.stat(env.p("d", "sub")).st_ino
    assert ents["ls"].stat(follow_symlinks=False).st_ino == env.os.lstat(env.p("d", "ls")).st_ino
    assert stat.S_ISLNK(ents["dang"].stat(follow_symlinks=False).st_mode)
    e = err(ents["dang"].stat)
    check(e, FileNotFoundError, errno.ENOENT, env.p("d", "dang"))


def test_direntry_stat_is_cached(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"abc")
    e = entries(env, env.p("d"))["f"]
    first = e.stat()
    first_l = e.stat(follow_symlinks=False)
    env.write(env.p("d", "f"), b"abcdefgh")
    env.os.chmod(env.p("d", "f"), 0o600)
    assert env.os.stat(env.p("d", "f")).st_size == 8
    assert e.stat().st_size == 3
    assert e.stat(follow_symlinks=False).st_size == 3
    assert e.stat().st_mode == first.st_mode == first_l.st_mode
    # a fresh scan sees the change
    assert entries(env, env.p("d"))["f"].stat().st_size == 8


def test_direntry_type_survives_deletion(env: Env) -> None:
    # is_file()/is_dir()/inode() come from the directory listing itself
    populate(env)
    ents = entries(env, env.p("d"))
    env.os.unlink(env.p("d", "f"))
    env.os.rmdir(env.p("d", "sub"))
    assert ents["f"].is_file()
    assert ents["sub"].is_dir()
    assert ents["ls"].is_symlink()
    assert ents["f"].inode() > 0
    # a symlink's target type needs a stat: now dangling
    assert not ents["ls"].is_dir()
    e = err(ents["f"].stat)
    check(e, FileNotFoundError, errno.ENOENT, env.p("d", "f"))


def test_scandir_iterator_protocol(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "a"))
    env.write(env.p("d", "b"))
    it = env.os.scandir(env.p("d"))
    try:
        assert iter(it) is it
        first = next(it)
        assert first.name in ("a", "b")
    finally:
        it.close()
    with pytest.raises(StopIteration):
        next(it)
    it.close()  # closing twice is fine
    with env.os.scandir(env.p("d")) as it2:
        assert len(list(it2)) == 2
        with pytest.raises(StopIteration):
            next(it2)
    with pytest.raises(StopIteration):
        next(it2)


def test_scandir_errors(env: Env) -> None:
    env.write(env.p("f"))
    check(err(env.os.scandir, env.p("f")), NotADirectoryError, errno.ENOTDIR, env.p("f"))
    check(err(env.os.scandir, env.p("nx")), FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(err(env.os.scandir, ""), FileNotFoundError, errno.ENOENT, "")


def test_scandir_permission(env: Env) -> None:
    env.os.mkdir(env.p("d"), 0o711)
    env.os.chmod(env.p("d"), 0o711)
    with env.as_user(1000, 1000):
        check(err(env.os.scandir, env.p("d")), PermissionError, errno.EACCES, env.p("d"))


# ---------------------------------------------------------------- walk


def test_walk_topdown(env: Env) -> None:
    tree(env)
    result = list(env.os.walk(env.p("w")))
    assert norm(result) == {
        env.p("w"): (["a", "c", "lc"], ["f1", "lf"]),
        env.p("w", "a"): (["b"], ["f2"]),
        env.p("w", "a", "b"): ([], []),
        env.p("w", "c"): ([], []),
    }
    order = [top for top, _, _ in result]
    assert order[0] == env.p("w")
    assert order.index(env.p("w", "a")) < order.index(env.p("w", "a", "b"))


def test_walk_bottom_up(env: Env) -> None:
    tree(env)
    result = list(env.os.walk(env.p("w"), topdown=False))
    order = [top for top, _, _ in result]
    assert order[-1] == env.p("w")
    assert order.index(env.p("w", "a", "b")) < order.index(env.p("w", "a"))
    assert len(order) == 4


def test_walk_prune_in_place(env: Env) -> None:
    tree(env)
    seen = []
    for top, dirs, _files in env.os.walk(env.p("w")):
        seen.append(top)
        if "a" in dirs:
            dirs.remove("a")
    assert sorted(seen) == [env.p("w"), env.p("w", "c")]


def test_walk_followlinks(env: Env) -> None:
    tree(env)
    result = norm(env.os.walk(env.p("w"), followlinks=True))
    assert env.p("w", "lc") in result
    assert result[env.p("w", "lc")] == ([], [])
    assert len(result) == 5


def test_walk_dangling_symlink_is_a_file(env: Env) -> None:
    env.os.mkdir(env.p("w"))
    env.os.symlink("nowhere", env.p("w", "dang"))
    assert list(env.os.walk(env.p("w"))) == [(env.p("w"), [], ["dang"])]


def test_walk_bytes(env: Env) -> None:
    tree(env)
    result = norm(env.os.walk(env.pb("w")))
    assert result[env.pb("w")] == ([b"a", b"c", b"lc"], [b"f1", b"lf"])
    assert result[env.pb("w", "a")] == ([b"b"], [b"f2"])


def test_walk_symlink_top_is_followed(env: Env) -> None:
    tree(env)
    env.os.symlink("w", env.p("lw"))
    result = norm(env.os.walk(env.p("lw")))
    assert result[env.p("lw")] == (["a", "c", "lc"], ["f1", "lf"])


def test_walk_onerror(env: Env) -> None:
    env.write(env.p("f"))
    errors: list[OSError] = []
    assert list(env.os.walk(env.p("nx"), onerror=errors.append)) == []
    assert list(env.os.walk(env.p("f"), onerror=errors.append)) == []
    assert list(env.os.walk(env.p("nx"))) == []
    assert len(errors) == 2
    check(errors[0], FileNotFoundError, errno.ENOENT, env.p("nx"))
    check(errors[1], NotADirectoryError, errno.ENOTDIR, env.p("f"))


def test_walk_onerror_unreadable_subdir(env: Env) -> None:
    env.os.makedirs(env.p("w", "locked", "inner"))
    env.os.mkdir(env.p("w", "open"))
    env.os.chmod(env.p("w", "locked"), 0o700)
    errors: list[OSError] = []
    with env.as_user(1000, 1000):
        result = norm(env.os.walk(env.p("w"), onerror=errors.append))
    assert result == {env.p("w"): (["locked", "open"], []), env.p("w", "open"): ([], [])}
    assert len(errors) == 1
    check(errors[0], PermissionError, errno.EACCES, env.p("w", "locked"))


# ---------------------------------------------------------------- fwalk


def test_fwalk_basic(env: Env) -> None:
    tree(env)
    seen = {}
    for top, dirs, files, fd in env.os.fwalk(env.p("w")):
        assert sorted(env.os.listdir(fd)) == sorted(dirs + files)
        assert env.os.fstat(fd).st_ino == env.os.stat(top).st_ino
        seen[top] = (sorted(dirs), sorted(files))
    assert seen == norm(env.os.walk(env.p("w")))


def test_fwalk_dir_fd(env: Env) -> None:
    tree(env)
    with dirfd(env, env.p("w")) as wfd:
        result = norm(env.os.fwalk("a", dir_fd=wfd))
    assert result == {"a": (["b"], ["f2"]), "a/b": ([], [])}


def test_fwalk_follow_symlinks(env: Env) -> None:
    tree(env)
    plain = norm(env.os.fwalk(env.p("w")))
    assert env.p("w", "lc") not in plain
    assert plain[env.p("w")] == (["a", "c", "lc"], ["f1", "lf"])
    followed = norm(env.os.fwalk(env.p("w"), follow_symlinks=True))
    assert followed[env.p("w", "lc")] == ([], [])


def test_fwalk_symlink_top(env: Env) -> None:
    tree(env)
    assert list(env.os.fwalk(env.p("w", "lc"))) == []
    assert norm(env.os.fwalk(env.p("w", "lc"), follow_symlinks=True)) == {
        env.p("w", "lc"): ([], [])
    }


def test_fwalk_bottom_up_and_bytes(env: Env) -> None:
    tree(env)
    order = [top for top, _, _, _ in env.os.fwalk(env.p("w"), topdown=False)]
    assert order[-1] == env.p("w")
    assert order.index(env.p("w", "a", "b")) < order.index(env.p("w", "a"))
    result = norm(env.os.fwalk(env.pb("w")))
    assert result[env.pb("w", "a")] == ([b"b"], [b"f2"])


def test_fwalk_missing_top_raises(env: Env) -> None:
    # unlike walk, fwalk's first stat/open of top is not routed to onerror
    errors: list[OSError] = []
    e = err(list, env.os.fwalk(env.p("nx"), onerror=errors.append))
    check(e, FileNotFoundError, errno.ENOENT, env.p("nx"))
    assert errors == []


def test_fwalk_onerror_unreadable_subdir(env: Env) -> None:
    env.os.makedirs(env.p("w", "locked", "inner"))
    env.os.mkdir(env.p("w", "open"))
    env.os.chmod(env.p("w", "locked"), 0o700)
    errors: list[OSError] = []
    with env.as_user(1000, 1000):
        result = norm(env.os.fwalk(env.p("w"), onerror=errors.append))
    assert result == {env.p("w"): (["locked", "open"], []), env.p("w", "open"): ([], [])}
    assert len(errors) == 1
    assert type(errors[0]) is PermissionError
    assert errors[0].errno == errno.EACCES


# ---------------------------------------------------------------- dir_fd forms


def test_supports_dir_fd(env: Env) -> None:
    for name in [
        "open",
        "stat",
        "mkdir",
        "unlink",
        "rmdir",
        "readlink",
        "symlink",
        "link",
        "rename",
        "chmod",
        "utime",
        "access",
    ]:
        assert getattr(env.os, name) in env.os.supports_dir_fd, name


def test_dir_fd_open_and_stat(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    with dirfd(env, env.p("d")) as fd:
        f = env.os.open("x", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd)
        try:
            env.os.write(f, b"hello")
        finally:
            env.os.close(f)
        st = env.os.stat("x", dir_fd=fd)
        assert st.st_size == 5
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert env.os.stat(".", dir_fd=fd).st_ino == env.os.stat(env.p("d")).st_ino
        assert env.os.access("x", os.R_OK, dir_fd=fd)
    assert env.read(env.p("d", "x")) == b"hello"


def test_dir_fd_mkdir_rmdir(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    with dirfd(env, env.p("d")) as fd:
        env.os.mkdir("sub", 0o700, dir_fd=fd)
        assert stat.S_IMODE(env.os.stat(env.p("d", "sub")).st_mode) == 0o700
        check(err(env.os.mkdir, "sub", dir_fd=fd), FileExistsError, errno.EEXIST, "sub")
        env.write(env.p("d", "f"))
        check(err(env.os.rmdir, "f", dir_fd=fd), NotADirectoryError, errno.ENOTDIR, "f")
        check(err(env.os.rmdir, ".", dir_fd=fd), OSError, errno.EINVAL, ".")
        env.os.rmdir("sub", dir_fd=fd)
    assert env.os.listdir(env.p("d")) == ["f"]


def test_dir_fd_unlink_remove(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "a"))
    env.write(env.p("d", "b"))
    env.os.mkdir(env.p("d", "sub"))
    with dirfd(env, env.p("d")) as fd:
        env.os.unlink("a", dir_fd=fd)
        env.os.remove("b", dir_fd=fd)
        check(err(env.os.unlink, "sub", dir_fd=fd), IsADirectoryError, errno.EISDIR, "sub")
        check(err(env.os.unlink, "nx", dir_fd=fd), FileNotFoundError, errno.ENOENT, "nx")
    assert env.os.listdir(env.p("d")) == ["sub"]


def test_dir_fd_symlink_readlink_lstat(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    with dirfd(env, env.p("d")) as fd:
        env.os.symlink("x", "lx", dir_fd=fd)
        assert env.os.readlink("lx", dir_fd=fd) == "x"
        assert env.os.readlink(b"lx", dir_fd=fd) == b"x"
        assert stat.S_ISLNK(env.os.stat("lx", dir_fd=fd, follow_symlinks=False).st_mode)
        assert stat.S_ISLNK(env.os.lstat("lx", dir_fd=fd).st_mode)
        assert stat.S_ISREG(env.os.stat("lx", dir_fd=fd).st_mode)
        check(err(env.os.readlink, "x", dir_fd=fd), OSError, errno.EINVAL, "x")
        check(err(env.os.symlink, "y", "x", dir_fd=fd), FileExistsError, errno.EEXIST, "y", "x")
    assert env.os.readlink(env.p("d", "lx")) == "x"


def test_dir_fd_link(env: Env) -> None:
    env.os.mkdir(env.p("s"))
    env.os.mkdir(env.p("t"))
    env.write(env.p("s", "x"))
    with dirfd(env, env.p("s")) as sfd, dirfd(env, env.p("t")) as tfd:
        env.os.link("x", "hx", src_dir_fd=sfd, dst_dir_fd=tfd)
        assert env.os.stat("hx", dir_fd=tfd).st_nlink == 2
        e = err(env.os.link, "nx", "y", src_dir_fd=sfd, dst_dir_fd=tfd)
        check(e, FileNotFoundError, errno.ENOENT, "nx", "y")
        e = err(env.os.link, "x", "hx", src_dir_fd=sfd, dst_dir_fd=tfd)
        check(e, FileExistsError, errno.EEXIST, "x", "hx")
    assert env.os.stat(env.p("t", "hx")).st_ino == env.os.stat(env.p("s", "x")).st_ino


def test_dir_fd_rename(env: Env) -> None:
    env.os.mkdir(env.p("s"))
    env.os.mkdir(env.p("t"))
    env.write(env.p("s", "x"), b"1")
    with dirfd(env, env.p("s")) as sfd, dirfd(env, env.p("t")) as tfd:
        env.os.rename("x", "y", src_dir_fd=sfd, dst_dir_fd=tfd)
        assert env.read(env.p("t", "y")) == b"1"
        e = err(env.os.rename, "x", "y", src_dir_fd=sfd, dst_dir_fd=tfd)
        check(e, FileNotFoundError, errno.ENOENT, "x", "y")


def test_dir_fd_chmod(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    with dirfd(env, env.p("d")) as fd:
        env.os.chmod("x", 0o640, dir_fd=fd)
        check(err(env.os.chmod, "nx", 0o640, dir_fd=fd), FileNotFoundError, errno.ENOENT, "nx")
    assert stat.S_IMODE(env.os.stat(env.p("d", "x")).st_mode) == 0o640


def test_dir_fd_utime(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"))
    env.os.symlink("x", env.p("d", "lx"))
    with dirfd(env, env.p("d")) as fd:
        env.os.utime("x", (1, 2), dir_fd=fd)
        st = env.os.stat(env.p("d", "x"))
        assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_000, 2_000_000_000)
        env.os.utime("x", ns=(1_500_000_000, 2_500_000_000), dir_fd=fd)
        st = env.os.stat(env.p("d", "x"))
        assert (st.st_atime_ns, st.st_mtime_ns) == (1_500_000_000, 2_500_000_000)
        env.os.utime("lx", (5, 6), dir_fd=fd, follow_symlinks=False)
        assert env.os.lstat(env.p("d", "lx")).st_mtime_ns == 6_000_000_000
        assert env.os.stat(env.p("d", "x")).st_mtime_ns == 2_500_000_000


def test_dir_fd_absolute_path_ignores_fd(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("f"), b"abc")
    with dirfd(env, env.p("f")) as ffd:
        assert env.os.stat(env.p("f"), dir_fd=ffd).st_size == 3
        env.os.mkdir(env.p("d", "n"), dir_fd=ffd)
    closed = ffd
    assert env.os.stat(env.p("f"), dir_fd=closed).st_size == 3
    assert env.os.listdir(env.p("d")) == ["n"]


def test_dir_fd_not_a_directory(env: Env) -> None:
    env.write(env.p("f"))
    with dirfd(env, env.p("f")) as ffd:
        check(err(env.os.stat, "x", dir_fd=ffd), NotADirectoryError, errno.ENOTDIR, "x")
        check(err(env.os.mkdir, "x", dir_fd=ffd), NotADirectoryError, errno.ENOTDIR, "x")
        e = err(env.os.open, "x", os.O_RDONLY, dir_fd=ffd)
        check(e, NotADirectoryError, errno.ENOTDIR, "x")


def test_dir_fd_bad_fd(env: Env) -> None:
    with dirfd(env, env.base) as fd:
        pass
    check(err(env.os.stat, "x", dir_fd=fd), OSError, errno.EBADF, "x")
    check(err(env.os.unlink, "x", dir_fd=fd), OSError, errno.EBADF, "x")
    check(err(env.os.mkdir, "x", dir_fd=fd), OSError, errno.EBADF, "x")


def test_dir_fd_empty_name(env: Env) -> None:
    with dirfd(env, env.base) as fd:
        check(err(env.os.stat, "", dir_fd=fd), FileNotFoundError, errno.ENOENT, "")
        check(err(env.os.mkdir, "", dir_fd=fd), FileNotFoundError, errno.ENOENT, "")


def test_dir_fd_follows_moved_directory(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "x"), b"abc")
    with dirfd(env, env.p("d")) as fd:
        env.os.rename(env.p("d"), env.p("moved"))
        assert env.os.stat("x", dir_fd=fd).st_size == 3
        env.os.mkdir("new", dir_fd=fd)
    assert sorted(env.os.listdir(env.p("moved"))) == ["new", "x"]


def test_dir_fd_relative_dotdot(env: Env) -> None:
    env.os.makedirs(env.p("a", "b"))
    env.write(env.p("top"), b"t")
    with dirfd(env, env.p("a", "b")) as fd:
        assert env.os.stat("../../top", dir_fd=fd).st_size == 1
        assert env.os.stat("..", dir_fd=fd).st_ino == env.os.stat(env.p("a")).st_ino
