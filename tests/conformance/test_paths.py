"""Path forms and path resolution: str/bytes/PathLike, odd spellings, argument
type and value errors, NAME_MAX/PATH_MAX, symlink loops (ELOOP after 40 links),
ENOTDIR in the middle of a path and EACCES on directories without search."""

from __future__ import annotations

import errno
import os
import pathlib
import stat
from typing import Any

import pytest

from .conftest import Env
from .helpers import check, err

NAME_MAX = 255
PATH_MAX = 4096
MAXSYMLINKS = 40


class FsPath:
    """A minimal os.PathLike that is not a pathlib object."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __fspath__(self) -> Any:
        return self.value


def ino(env: Env, path: Any) -> int:
    st = env.os.stat(path)
    return int(st.st_ino)


# ---------------------------------------------------------------- path forms


@pytest.mark.parametrize("form", ["str", "bytes", "purepath", "fspath-str", "fspath-bytes"])
def test_stat_path_forms(env: Env, form: str) -> None:
    env.write(env.p("f"), b"12345")
    arg: Any = {
        "str": env.p("f"),
        "bytes": env.pb("f"),
        "purepath": pathlib.PurePosixPath(env.p("f")),
        "fspath-str": FsPath(env.p("f")),
        "fspath-bytes": FsPath(env.pb("f")),
    }[form]
    assert env.os.stat(arg).st_size == 5
    assert env.os.lstat(arg).st_size == 5


@pytest.mark.parametrize("form", ["purepath", "fspath-str", "fspath-bytes"])
def test_error_filename_is_fspath_value(env: Env, form: str) -> None:
    arg: Any = {
        "purepath": pathlib.PurePosixPath(env.p("nx")),
        "fspath-str": FsPath(env.p("nx")),
        "fspath-bytes": FsPath(env.pb("nx")),
    }[form]
    e = err(env.os.stat, arg)
    check(e, FileNotFoundError, errno.ENOENT, os.fspath(arg))


def test_bytes_error_filename_is_bytes(env: Env) -> None:
    check(err(env.os.stat, env.pb("nx")), FileNotFoundError, errno.ENOENT, env.pb("nx"))


def test_listdir_type_follows_argument(env: Env) -> None:
    env.write(env.p("f"))
    assert env.os.listdir(FsPath(env.pb())) == [b"f"]
    assert env.os.listdir(FsPath(env.base)) == ["f"]
    assert env.os.listdir(pathlib.PurePosixPath(env.base)) == ["f"]


def test_non_utf8_bytes_names(env: Env) -> None:
    raw = b"caf\xe9"
    env.os.mkdir(env.pb() + b"/" + raw)
    assert env.os.listdir(env.pb()) == [raw]
    assert env.os.listdir(env.base) == [os.fsdecode(raw)]
    assert stat.S_ISDIR(env.os.stat(env.p(os.fsdecode(raw))).st_mode)


def test_utf8_names_roundtrip(env: Env) -> None:
    env.write(env.p("é☃"))
    assert env.os.listdir(env.base) == ["é☃"]
    assert env.os.listdir(env.pb()) == ["é☃".encode()]


@pytest.mark.parametrize(
    "spelling",
    ["//f", "/./f", "/d/../f", "/d/./../f", "/d//..//f", "/./d/sub/../../f", "/d/sub/../../d/../f"],
)
def test_odd_spellings_resolve(env: Env, spelling: str) -> None:
    env.os.makedirs(env.p("d", "sub"))
    env.write(env.p("f"), b"x")
    assert ino(env, env.base + spelling) == ino(env, env.p("f"))


def test_dot_and_double_slash_on_dirs(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    want = ino(env, env.p("d"))
    for s in ["/d/", "/d//", "/d/.", "/d/./", "//d//.//"]:
        assert ino(env, env.base + s) == want


def test_relative_dot_forms(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"abc")
    orig = env.os.getcwd()
    env.os.chdir(env.p("d"))
    try:
        assert env.os.stat("./f").st_size == 3
        assert env.os.stat(".//f").st_size == 3
        assert env.os.stat("../d/f").st_size == 3
        assert ino(env, ".") == ino(env, env.p("d"))
        assert ino(env, "..") == ino(env, env.base)
    finally:
        env.os.chdir(orig)


def test_dotdot_needs_existing_directory(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("nx", "..", "f")
    check(err(env.os.stat, p), FileNotFoundError, errno.ENOENT, p)
    p = env.p("f", "..", "f")
    check(err(env.os.stat, p), NotADirectoryError, errno.ENOTDIR, p)


def test_dotdot_at_root_stays_at_root(env: Env) -> None:
    assert ino(env, "/..") == ino(env, "/")
    assert ino(env, "/../../..") == ino(env, "/")
    assert ino(env, "/../.." + env.base) == ino(env, env.base)
    env.write(env.p("f"), b"xy")
    assert env.os.stat("/.." * 10 + env.p("f")).st_size == 2
    assert env.read("/../../" + env.p("f")) == b"xy"


def test_dotdot_through_symlink_is_physical(env: Env) -> None:
    # "link/.." is the parent of the link's target, not the link's directory
    env.os.makedirs(env.p("a", "b"))
    env.os.symlink(env.p("a", "b"), env.p("l"))
    assert ino(env, env.p("l", "..")) == ino(env, env.p("a"))


# ---------------------------------------------------------------- value / type errors


@pytest.mark.parametrize("form", ["str", "bytes"])
def test_nul_in_path_value_error(env: Env, form: str) -> None:
    p: Any = env.p("a\0b") if form == "str" else env.pb("a\0b")
    for fn in [env.os.stat, env.os.lstat, env.os.mkdir, env.os.rmdir, env.os.unlink]:
        with pytest.raises(ValueError):
            fn(p)
    with pytest.raises(ValueError):
        env.os.open(p, os.O_RDONLY)
    with pytest.raises(ValueError):
        env.open(p, "rb")
    with pytest.raises(ValueError):
        env.os.rename(p, env.p("x") if form == "str" else env.pb("x"))
    with pytest.raises(ValueError):
        env.os.symlink(p, env.p("x") if form == "str" else env.pb("x"))
    assert env.os.listdir(env.base) == []


def test_nul_in_pathlike_value_error(env: Env) -> None:
    with pytest.raises(ValueError):
        env.os.stat(FsPath(env.p("x\0")))
    with pytest.raises(ValueError):
        env.os.listdir(pathlib.PurePosixPath(env.p("x\0")))


@pytest.mark.parametrize("bad", [None, 1.5, ["a"], object()])
def test_wrong_type_type_error(env: Env, bad: Any) -> None:
    for fn in [env.os.stat, env.os.lstat]:
        with pytest.raises(TypeError):
            fn(bad)
    if bad is not None:  # listdir(None) means "."
        with pytest.raises(TypeError):
            env.os.listdir(bad)
    with pytest.raises(TypeError):
        env.os.open(bad, os.O_RDONLY)
    with pytest.raises(TypeError):
        env.os.mkdir(bad)
    with pytest.raises(TypeError):
        env.os.rename(bad, env.p("x"))
    with pytest.raises(TypeError):
        env.os.rename(env.p("x"), bad)


def test_listdir_none_is_cwd(env: Env) -> None:
    env.write(env.p("f"))
    orig = env.os.getcwd()
    env.os.chdir(env.base)
    try:
        assert env.os.listdir(None) == ["f"]
    finally:
        env.os.chdir(orig)


@pytest.mark.parametrize("fn", ["mkdir", "rmdir", "unlink", "readlink", "lstat"])
def test_int_not_accepted_where_no_fd_support(env: Env, fn: str) -> None:
    with pytest.raises(TypeError):
        getattr(env.os, fn)(3)


@pytest.mark.parametrize("bad", [3, None, 1.5])
def test_fspath_returning_wrong_type(env: Env, bad: Any) -> None:
    with pytest.raises(TypeError):
        env.os.stat(FsPath(bad))
    with pytest.raises(TypeError):
        env.os.mkdir(FsPath(bad))


@pytest.mark.parametrize("empty", ["", b""])
def test_empty_path_enoent(env: Env, empty: str | bytes) -> None:
    for fn in [
        env.os.stat,
        env.os.lstat,
        env.os.listdir,
        env.os.mkdir,
        env.os.rmdir,
        env.os.unlink,
        env.os.readlink,
        env.os.chdir,
    ]:
        check(err(fn, empty), FileNotFoundError, errno.ENOENT, empty)
    check(err(env.os.open, empty, os.O_RDONLY), FileNotFoundError, errno.ENOENT, empty)
    e = err(env.os.open, empty, os.O_WRONLY | os.O_CREAT, 0o644)
    check(e, FileNotFoundError, errno.ENOENT, empty)
    check(err(env.open, empty, "rb"), FileNotFoundError, errno.ENOENT, empty)


# ---------------------------------------------------------------- NAME_MAX


def test_name_max_ok(env: Env) -> None:
    name = "n" * NAME_MAX
    env.os.mkdir(env.p(name))
    env.write(env.p(name, "f" * NAME_MAX), b"x")
    env.os.symlink("t", env.p("s" * NAME_MAX))
    assert sorted(env.os.listdir(env.base)) == [name, "s" * NAME_MAX]
    assert env.os.stat(env.p(name, "f" * NAME_MAX)).st_size == 1


def test_name_max_counts_bytes(env: Env) -> None:
    ok = "é" * 127  # 254 bytes
    env.os.mkdir(env.p(ok))
    long = "é" * 128  # 256 bytes
    check(err(env.os.mkdir, env.p(long)), OSError, errno.ENAMETOOLONG, env.p(long))


@pytest.mark.parametrize("fn", ["stat", "lstat", "mkdir", "rmdir", "unlink", "readlink", "listdir"])
def test_name_too_long(env: Env, fn: str) -> None:
    p = env.p("x" * (NAME_MAX + 1))
    check(err(getattr(env.os, fn), p), OSError, errno.ENAMETOOLONG, p)


def test_name_too_long_create(env: Env) -> None:
    p = env.p("x" * (NAME_MAX + 1))
    e = err(env.os.open, p, os.O_WRONLY | os.O_CREAT, 0o644)
    check(e, OSError, errno.ENAMETOOLONG, p)
    e = err(env.os.symlink, "t", p)
    check(e, OSError, errno.ENAMETOOLONG, "t", p)
    env.write(env.p("f"))
    e = err(env.os.rename, env.p("f"), p)
    check(e, OSError, errno.ENAMETOOLONG, env.p("f"), p)
    e = err(env.os.link, env.p("f"), p)
    check(e, OSError, errno.ENAMETOOLONG, env.p("f"), p)
    assert env.os.listdir(env.base) == ["f"]


def test_name_too_long_in_middle(env: Env) -> None:
    p = env.p("x" * (NAME_MAX + 1), "y")
    check(err(env.os.stat, p), OSError, errno.ENAMETOOLONG, p)


def test_long_name_after_missing_dir_is_enoent(env: Env) -> None:
    # the lookup fails at "nx" before it reaches the overlong component
    p = env.p("nx", "x" * (NAME_MAX + 1))
    check(err(env.os.stat, p), FileNotFoundError, errno.ENOENT, p)


def test_symlink_target_with_long_component(env: Env) -> None:
    env.os.symlink("c" * (NAME_MAX + 1), env.p("l"))
    assert env.os.readlink(env.p("l")) == "c" * (NAME_MAX + 1)
    check(err(env.os.stat, env.p("l")), OSError, errno.ENAMETOOLONG, env.p("l"))


# ---------------------------------------------------------------- PATH_MAX


def test_path_max_boundary(env: Env) -> None:
    # a path of PATH_MAX bytes does not fit (the terminating NUL counts)
    env.write(env.p("f"), b"abc")
    ok = env.base + "/" * (PATH_MAX - 1 - len(env.base) - 1) + "f"
    assert len(ok) == PATH_MAX - 1
    assert env.os.stat(ok).st_size == 3
    too_long = env.base + "/" * (PATH_MAX - len(env.base) - 1) + "f"
    assert len(too_long) == PATH_MAX
    check(err(env.os.stat, too_long), OSError, errno.ENAMETOOLONG, too_long)


def test_path_max_bytes_and_missing(env: Env) -> None:
    p = env.pb() + b"/" + b"./" * PATH_MAX + b"nx"
    check(err(env.os.stat, p), OSError, errno.ENAMETOOLONG, p)
    e = err(env.os.mkdir, p)
    check(e, OSError, errno.ENAMETOOLONG, p)


def test_path_max_relative(env: Env) -> None:
    orig = env.os.getcwd()
    env.os.chdir(env.base)
    try:
        assert ino(env, "./" * ((PATH_MAX - 1) // 2) + ".") == ino(env, env.base)
        p = "./" * (PATH_MAX // 2)
        check(err(env.os.stat, p), OSError, errno.ENAMETOOLONG, p)
        p = "z" * PATH_MAX
        check(err(env.os.mkdir, p), OSError, errno.ENAMETOOLONG, p)
    finally:
        env.os.chdir(orig)


def test_symlink_target_max(env: Env) -> None:
    target = "c/" * ((PATH_MAX - 1) // 2) + "c"
    assert len(target) == PATH_MAX - 1
    env.os.symlink(target, env.p("ok"))
    assert env.os.readlink(env.p("ok")) == target
    assert env.os.lstat(env.p("ok")).st_size == PATH_MAX - 1
    target = "c" * PATH_MAX
    e = err(env.os.symlink, target, env.p("bad"))
    check(e, OSError, errno.ENAMETOOLONG, target, env.p("bad"))
    assert env.os.listdir(env.base) == ["ok"]


# ---------------------------------------------------------------- ELOOP


def test_self_loop(env: Env) -> None:
    p = env.p("self")
    env.os.symlink("self", p)
    assert stat.S_ISLNK(env.os.lstat(p).st_mode)
    assert env.os.readlink(p) == "self"
    for fn in [env.os.stat, env.os.listdir, env.os.chdir]:
        check(err(fn, p), OSError, errno.ELOOP, p)
    check(err(env.os.open, p, os.O_RDONLY), OSError, errno.ELOOP, p)
    check(err(env.os.open, p, os.O_RDONLY | os.O_CREAT, 0o644), OSError, errno.ELOOP, p)
    check(err(env.os.stat, p + "/x"), OSError, errno.ELOOP, p + "/x")
    check(err(env.os.lstat, p + "/"), OSError, errno.ELOOP, p + "/")
    check(err(env.os.mkdir, p + "/x"), OSError, errno.ELOOP, p + "/x")
    # creating over the loop itself is just EEXIST
    check(err(env.os.mkdir, p), FileExistsError, errno.EEXIST, p)


def test_two_link_loop(env: Env) -> None:
    env.os.symlink("b", env.p("a"))
    env.os.symlink("a", env.p("b"))
    for name in ["a", "b"]:
        check(err(env.os.stat, env.p(name)), OSError, errno.ELOOP, env.p(name))
    assert env.os.readlink(env.p("a")) == "b"


def test_loop_through_directories(env: Env) -> None:
    env.os.mkdir(env.p("d"))
    env.os.symlink("../e/l", env.p("d", "l"))
    env.os.mkdir(env.p("e"))
    env.os.symlink("../d/l", env.p("e", "l"))
    p = env.p("d", "l")
    check(err(env.os.stat, p), OSError, errno.ELOOP, p)


def _chain(env: Env, length: int, final: str) -> str:
    """Make ``length`` symlinks c1 -> c0 -> ... with c0 -> ``final``; return the head."""
    env.os.symlink(final, env.p("c0"))
    for i in range(1, length):
        env.os.symlink(f"c{i - 1}", env.p(f"c{i}"))
    return env.p(f"c{length - 1}")


def test_chain_of_40_symlinks_ok(env: Env) -> None:
    env.write(env.p("target"), b"end")
    head = _chain(env, MAXSYMLINKS, "target")
    assert env.os.stat(head).st_size == 3
    assert env.read(head) == b"end"


def test_chain_of_41_symlinks_eloop(env: Env) -> None:
    env.write(env.p("target"), b"end")
    head = _chain(env, MAXSYMLINKS + 1, "target")
    check(err(env.os.stat, head), OSError, errno.ELOOP, head)
    check(err(env.os.open, head, os.O_RDONLY), OSError, errno.ELOOP, head)
    assert stat.S_ISLNK(env.os.lstat(head).st_mode)
    # one link into the chain is short enough again
    assert env.os.stat(env.p(f"c{MAXSYMLINKS - 1}")).st_size == 3


def test_chain_to_dir_with_trailing_slash(env: Env) -> None:
    env.os.mkdir(env.p("dd"))
    head = _chain(env, MAXSYMLINKS + 1, "dd")
    assert stat.S_ISDIR(env.os.stat(env.p(f"c{MAXSYMLINKS - 1}") + "/").st_mode)
    check(err(env.os.lstat, head + "/"), OSError, errno.ELOOP, head + "/")
    assert stat.S_ISLNK(env.os.lstat(head).st_mode)


def test_symlink_count_is_per_path(env: Env) -> None:
    # 40 expansions of "s" -> "." in one path are fine, 41 are not
    env.write(env.p("f"), b"x")
    env.os.symlink(".", env.p("s"))
    ok = env.p(*(["s"] * MAXSYMLINKS), "f")
    assert env.os.stat(ok).st_size == 1
    bad = env.p(*(["s"] * (MAXSYMLINKS + 1)), "f")
    check(err(env.os.stat, bad), OSError, errno.ELOOP, bad)


def test_o_nofollow_on_symlink(env: Env) -> None:
    env.write(env.p("f"))
    env.os.symlink("f", env.p("l"))
    env.os.mkdir(env.p("d"))
    env.os.symlink("d", env.p("ld"))
    p = env.p("l")
    check(err(env.os.open, p, os.O_RDONLY | os.O_NOFOLLOW), OSError, errno.ELOOP, p)
    p = env.p("ld")
    check(err(env.os.open, p, os.O_RDONLY | os.O_NOFOLLOW), OSError, errno.ELOOP, p)
    e = err(env.os.open, p, os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY)
    check(e, NotADirectoryError, errno.ENOTDIR, p)


# ---------------------------------------------------------------- ENOTDIR


@pytest.mark.parametrize("suffix", ["/x", "/", "/.", "/..", "/x/y"])
def test_file_as_directory(env: Env, suffix: str) -> None:
    env.write(env.p("f"))
    p = env.p("f") + suffix
    for fn in [env.os.stat, env.os.lstat, env.os.listdir]:
        check(err(fn, p), NotADirectoryError, errno.ENOTDIR, p)
    check(err(env.os.open, p, os.O_RDONLY), NotADirectoryError, errno.ENOTDIR, p)


def test_file_as_directory_create(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("f", "x")
    check(
        err(env.os.open, p, os.O_WRONLY | os.O_CREAT, 0o644), NotADirectoryError, errno.ENOTDIR, p
    )
    check(err(env.os.mkdir, p), NotADirectoryError, errno.ENOTDIR, p)


def test_symlink_to_file_as_directory(env: Env) -> None:
    env.write(env.p("f"))
    env.os.symlink("f", env.p("l"))
    p = env.p("l", "x")
    check(err(env.os.stat, p), NotADirectoryError, errno.ENOTDIR, p)


def test_missing_before_file(env: Env) -> None:
    env.write(env.p("f"))
    p = env.p("nx", "f", "x")
    check(err(env.os.stat, p), FileNotFoundError, errno.ENOENT, p)


# ---------------------------------------------------------------- EACCES


def _locked(env: Env, mode: int) -> None:
    env.os.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"x")
    env.os.mkdir(env.p("d", "sub"))
    env.os.chmod(env.p("d"), mode)


@pytest.mark.parametrize("mode", [0o700, 0o766, 0o744, 0o000])
def test_eacces_without_search(env: Env, mode: int) -> None:
    _locked(env, mode)
    with env.as_user(1000, 1000):
        for rel in [("d", "f"), ("d", "nx"), ("d", "sub", ".."), ("d", "nx", "..")]:
            p = env.p(*rel)
            check(err(env.os.stat, p), PermissionError, errno.EACCES, p)
        p = env.p("d", "f")
        check(err(env.os.open, p, os.O_RDONLY), PermissionError, errno.EACCES, p)
        e = err(env.os.open, env.p("d", "new"), os.O_WRONLY | os.O_CREAT, 0o644)
        check(e, PermissionError, errno.EACCES, env.p("d", "new"))
        p = env.p("d", "sub", "x")
        check(err(env.os.mkdir, p), PermissionError, errno.EACCES, p)
        # the directory itself can still be looked up
        assert stat.S_IMODE(env.os.stat(env.p("d")).st_mode) == mode


def test_search_permission_through_group(env: Env) -> None:
    _locked(env, 0o710)
    env.os.chown(env.p("d"), 0, 2000)
    with env.as_user(1000, 1000, (2000,)):
        assert env.os.stat(env.p("d", "f")).st_size == 1
    with env.as_user(1000, 2000):
        assert env.os.stat(env.p("d", "f")).st_size == 1
    with env.as_user(1000, 1000):
        p = env.p("d", "f")
        check(err(env.os.stat, p), PermissionError, errno.EACCES, p)


def test_search_permission_as_owner(env: Env) -> None:
    _locked(env, 0o100)
    env.os.chown(env.p("d"), 1000, 1000)
    with env.as_user(1000, 1000):
        assert env.os.stat(env.p("d", "f")).st_size == 1
        p = env.p("d")
        check(err(env.os.listdir, p), PermissionError, errno.EACCES, p)
    env.os.chmod(env.p("d"), 0o070)
    with env.as_user(1000, 1000):
        # owner bits decide for the owner even if group bits would allow
        p = env.p("d", "f")
        check(err(env.os.stat, p), PermissionError, errno.EACCES, p)


def test_root_ignores_search_permission(env: Env) -> None:
    _locked(env, 0o000)
    assert env.os.stat(env.p("d", "f")).st_size == 1
    assert sorted(env.os.listdir(env.p("d"))) == ["f", "sub"]
