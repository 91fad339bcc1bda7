"""chmod/chown, umask, the setuid/setgid/sticky bits and permission checks
for root and for an unprivileged effective user."""

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


@contextlib.contextmanager
def umask(env: Env, mask: int) -> Iterator[None]:
    old = env.os.umask(mask)
    try:
        yield
    finally:
        env.os.umask(old)


def mode(env: Env, name: str) -> int:
    return env.os.lstat(env.p(name)).st_mode & 0o7777


def owner(env: Env, name: str) -> tuple[int, int]:
    st = env.os.lstat(env.p(name))
    return st.st_uid, st.st_gid


# ---------------------------------------------------------------- chmod


@pytest.mark.parametrize("m", [0o000, 0o644, 0o755, 0o4755, 0o2755, 0o1777, 0o7777, 0o4000])
def test_chmod_file(env: Env, m: int) -> None:
    o = env.os
    env.write(env.p("f"))
    assert o.chmod(env.p("f"), m) is None
    assert mode(env, "f") == m
    assert stat.S_ISREG(o.stat(env.p("f")).st_mode)


@pytest.mark.parametrize("m", [0o000, 0o700, 0o1777, 0o2755, 0o7777])
def test_chmod_dir(env: Env, m: int) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    o.chmod(env.p("d"), m)
    assert mode(env, "d") == m
    assert stat.S_ISDIR(o.stat(env.p("d")).st_mode)


def test_chmod_ignores_file_type_bits(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.chmod(env.p("f"), stat.S_IFDIR | 0o600)
    st = o.stat(env.p("f"))
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600


def test_chmod_follows_symlink(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.symlink("f", env.p("ln"))
    o.chmod(env.p("ln"), 0o600)
    assert mode(env, "f") == 0o600
    assert mode(env, "ln") == 0o777


def test_chmod_nofollow(env: Env) -> None:
    # Linux has no lchmod; chmod(follow_symlinks=False) works on a
    # non-link but raises NotImplementedError on a symlink.
    o = env.os
    assert not hasattr(o, "lchmod")
    env.write(env.p("f"))
    o.chmod(env.p("f"), 0o600, follow_symlinks=False)
    assert mode(env, "f") == 0o600
    o.symlink("f", env.p("ln"))
    with pytest.raises(NotImplementedError):
        o.chmod(env.p("ln"), 0o644, follow_symlinks=False)
    assert mode(env, "f") == 0o600
    assert mode(env, "ln") == 0o777


def test_chmod_errors(env: Env) -> None:
    o = env.os
    e = raises(FileNotFoundError, errno.ENOENT, o.chmod, env.p("nope"), 0o644)
    assert e.filename == env.p("nope")
    o.symlink("nowhere", env.p("dangling"))
    raises(FileNotFoundError, errno.ENOENT, o.chmod, env.p("dangling"), 0o644)
    env.write(env.p("f"))
    raises(NotADirectoryError, errno.ENOTDIR, o.chmod, env.p("f", "x"), 0o644)


def test_chmod_by_non_owner_is_eperm(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"", 0o666)
    o.chmod(env.p("f"), 0o666)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EPERM, o.chmod, env.p("f"), 0o777)
        assert e.filename == env.p("f")
    assert mode(env, "f") == 0o666


def test_fchmod(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        assert o.fchmod(fd, 0o4711) is None
        assert stat.S_IMODE(o.fstat(fd).st_mode) == 0o4711
        assert o.chmod(fd, 0o600) is None
    assert mode(env, "f") == 0o600
    with opened(env, env.p("f"), o.O_RDONLY) as fd:
        closed = o.dup(fd)
    o.close(closed)
    raises(OSError, errno.EBADF, o.fchmod, closed, 0o644)


def test_chmod_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        o.chmod("f", 0o640, dir_fd=dfd)
    assert mode(env, "d/f") == 0o640


def test_nonroot_setgid_dropped_when_not_in_group(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1000):
        env.write(env.p("f"))
        o.chmod(env.p("f"), 0o2755)
        assert mode(env, "f") == 0o2755
    o.chown(env.p("f"), -1, 4321)
    with env.as_user(1000, 1000):
        o.chmod(env.p("f"), 0o2755)
        assert mode(env, "f") == 0o755
        o.chmod(env.p("f"), 0o4755)
        assert mode(env, "f") == 0o4755
        o.chmod(env.p("f"), 0o1755)
        assert mode(env, "f") == 0o1755
    with env.as_user(1000, 1000, (4321,)):
        o.chmod(env.p("f"), 0o2755)
        assert mode(env, "f") == 0o2755


# ---------------------------------------------------------------- umask


def test_umask_returns_previous(env: Env) -> None:
    o = env.os
    old = o.umask(0o077)
    try:
        assert old == 0o022
        assert o.umask(0o027) == 0o077
        assert o.umask(0o1777) == 0o027
        assert o.umask(0o022) == 0o777
    finally:
        o.umask(old)


@pytest.mark.parametrize(
    ("mask", "fmode", "dmode"),
    [(0o077, 0o600, 0o700), (0o000, 0o666, 0o777), (0o027, 0o640, 0o750)],
)
def test_umask_applies_to_creation(env: Env, mask: int, fmode: int, dmode: int) -> None:
    o = env.os
    with umask(env, mask):
        with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT, 0o666):
            pass
        o.mkdir(env.p("d"), 0o777)
        o.mkfifo(env.p("p"), 0o666)
        o.symlink("f", env.p("ln"))
    assert mode(env, "f") == fmode
    assert mode(env, "d") == dmode
    assert mode(env, "p") == fmode
    assert mode(env, "ln") == 0o777


def test_umask_not_applied_to_chmod(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    with umask(env, 0o777):
        o.chmod(env.p("f"), 0o666)
    assert mode(env, "f") == 0o666


def test_special_bits_at_creation(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"), 0o7777)
    with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT, 0o7777):
        pass
    o.mkfifo(env.p("p"), 0o7777)
    assert mode(env, "d") == 0o1755
    assert mode(env, "f") == 0o7755
    assert mode(env, "p") == 0o7755


def test_creat_mode_does_not_apply_to_existing_file(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"", 0o600)
    with opened(env, env.p("f"), o.O_WRONLY | o.O_CREAT, 0o777):
        pass
    assert mode(env, "f") == 0o600


def test_creat_readonly_mode_still_returns_writable_fd(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1000):
        with opened(env, env.p("f"), o.O_RDWR | o.O_CREAT, 0o400) as fd:
            assert o.write(fd, b"ok") == 2
        raises(PermissionError, errno.EACCES, o.open, env.p("f"), o.O_RDWR)
    assert env.read(env.p("f")) == b"ok"


# ---------------------------------------------------------------- chown


def test_chown_as_root(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    assert o.chown(env.p("f"), 1234, 5678) is None
    assert owner(env, "f") == (1234, 5678)
    o.chown(env.p("f"), -1, 42)
    assert owner(env, "f") == (1234, 42)
    o.chown(env.p("f"), 7, -1)
    assert owner(env, "f") == (7, 42)
    o.chown(env.p("f"), -1, -1)
    assert owner(env, "f") == (7, 42)


def test_chown_follows_symlink_lchown_does_not(env: Env) -> None:
    o = env.os
    env.write(env.p("f"))
    o.symlink("f", env.p("ln"))
    o.chown(env.p("ln"), 11, 12)
    assert owner(env, "f") == (11, 12) and owner(env, "ln") == (0, 0)
    o.lchown(env.p("ln"), 21, 22)
    assert owner(env, "f") == (11, 12) and owner(env, "ln") == (21, 22)
    o.chown(env.p("ln"), 31, 32, follow_symlinks=False)
    assert owner(env, "ln") == (31, 32)
    o.symlink("nowhere", env.p("dangling"))
    o.lchown(env.p("dangling"), 5, 5)
    assert owner(env, "dangling") == (5, 5)
    raises(FileNotFoundError, errno.ENOENT, o.chown, env.p("dangling"), 5, 5)


def test_fchown_and_dir_fd(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"))
    with opened(env, env.p("d", "f"), o.O_RDONLY) as fd:
        assert o.fchown(fd, 3, 4) is None
        assert (o.fstat(fd).st_uid, o.fstat(fd).st_gid) == (3, 4)
        o.chown(fd, 5, -1)
    assert owner(env, "d/f") == (5, 4)
    with opened(env, env.p("d"), o.O_RDONLY | o.O_DIRECTORY) as dfd:
        o.chown("f", 6, 7, dir_fd=dfd)
    assert owner(env, "d/f") == (6, 7)


def test_chown_errors(env: Env) -> None:
    o = env.os
    e = raises(FileNotFoundError, errno.ENOENT, o.chown, env.p("nope"), 1, 1)
    assert e.filename == env.p("nope")
    raises(FileNotFoundError, errno.ENOENT, o.lchown, env.p("nope"), 1, 1)
    with opened(env, env.p("f"), o.O_RDONLY | o.O_CREAT) as fd:
        closed = o.dup(fd)
    o.close(closed)
    raises(OSError, errno.EBADF, o.fchown, closed, 1, 1)


def test_chown_as_non_root(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1000, (2000,)):
        env.write(env.p("f"))
        e = raises(PermissionError, errno.EPERM, o.chown, env.p("f"), 1001, -1)
        assert e.filename == env.p("f")
        raises(PermissionError, errno.EPERM, o.chown, env.p("f"), 0, 1000)
        raises(PermissionError, errno.EPERM, o.chown, env.p("f"), -1, 3000)
        o.chown(env.p("f"), 1000, -1)
        o.chown(env.p("f"), -1, 2000)
        assert owner(env, "f") == (1000, 2000)
        o.chown(env.p("f"), 1000, 1000)
        assert owner(env, "f") == (1000, 1000)


def test_chown_of_others_file_as_non_root(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"", 0o666)
    with env.as_user(1000, 1000):
        raises(PermissionError, errno.EPERM, o.chown, env.p("f"), -1, 1000)
        raises(PermissionError, errno.EPERM, o.chown, env.p("f"), 1000, -1)
        o.chown(env.p("f"), -1, -1)
    assert owner(env, "f") == (0, 0)


@pytest.mark.parametrize(
    ("before", "after"),
    [(0o4755, 0o755), (0o2755, 0o755), (0o6755, 0o755), (0o2745, 0o2745), (0o1755, 0o1755)],
)
def test_chown_clears_setid_bits(env: Env, before: int, after: int) -> None:
    o = env.os
    env.write(env.p("f"))
    o.chmod(env.p("f"), before)
    o.chown(env.p("f"), 10, 10)
    assert mode(env, "f") == after
    o.chmod(env.p("f"), before)
    o.chown(env.p("f"), -1, -1)
    assert mode(env, "f") == after


def test_chown_keeps_setid_bits_on_dirs(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    o.chmod(env.p("d"), 0o6755)
    o.chown(env.p("d"), 10, 10)
    assert mode(env, "d") == 0o6755


@pytest.mark.parametrize("op", ["write", "ftruncate", "truncate", "O_TRUNC"])
def test_non_root_modification_clears_setid_bits(env: Env, op: str) -> None:
    o = env.os
    env.write(env.p("f"), b"data")
    o.chmod(env.p("f"), 0o6777)
    with env.as_user(1000, 1000):
        if op == "truncate":
            o.truncate(env.p("f"), 1)
        else:
            flags = o.O_WRONLY | (o.O_TRUNC if op == "O_TRUNC" else 0)
            with opened(env, env.p("f"), flags) as fd:
                if op == "write":
                    o.write(fd, b"x")
                elif op == "ftruncate":
                    o.ftruncate(fd, 1)
    assert mode(env, "f") == 0o777


def test_setid_bits_survive_open_and_root_write(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"data")
    o.chmod(env.p("f"), 0o6777)
    with env.as_user(1000, 1000):
        with opened(env, env.p("f"), o.O_WRONLY) as fd:
            o.write(fd, b"")
    assert mode(env, "f") == 0o6777
    with opened(env, env.p("f"), o.O_WRONLY) as fd:
        o.write(fd, b"root")
    assert mode(env, "f") == 0o6777


# ---------------------------------------------------------------- permission checks


@pytest.mark.parametrize(
    ("m", "uid", "gid", "groups", "readable"),
    [
        (0o400, 1000, 1000, (), True),
        (0o077, 1000, 1000, (), False),
        (0o040, 1001, 1000, (), True),
        (0o707, 1001, 1000, (), False),
        (0o707, 1001, 1001, (1000,), False),
        (0o040, 1001, 1001, (1000,), True),
        (0o004, 1001, 1001, (), True),
        (0o770, 1001, 1001, (), False),
    ],
)
def test_owner_group_other_bits(
    env: Env, m: int, uid: int, gid: int, groups: tuple[int, ...], readable: bool
) -> None:
    o = env.os
    env.write(env.p("f"), b"secret")
    o.chown(env.p("f"), 1000, 1000)
    o.chmod(env.p("f"), m)
    with env.as_user(uid, gid, groups):
        if readable:
            with opened(env, env.p("f"), o.O_RDONLY) as fd:
                assert o.read(fd, 10) == b"secret"
        else:
            e = raises(PermissionError, errno.EACCES, o.open, env.p("f"), o.O_RDONLY)
            assert e.filename == env.p("f")


def test_root_ignores_read_write_bits(env: Env) -> None:
    o = env.os
    env.write(env.p("f"), b"abc")
    o.chown(env.p("f"), 1000, 1000)
    o.chmod(env.p("f"), 0)
    with opened(env, env.p("f"), o.O_RDWR) as fd:
        assert o.read(fd, 3) == b"abc"
        o.write(fd, b"d")
    assert o.access(env.p("f"), o.R_OK | o.W_OK)
    assert not o.access(env.p("f"), o.X_OK)
    o.chmod(env.p("f"), 0o644)
    assert not o.access(env.p("f"), o.X_OK)
    o.chmod(env.p("f"), 0o010)
    assert o.access(env.p("f"), o.X_OK)


@pytest.mark.parametrize(
    ("m", "can_list", "can_create", "can_reach"),
    [
        (0o777, True, True, True),
        (0o666, True, False, False),
        (0o555, True, False, True),
        (0o333, False, True, True),
        (0o111, False, False, True),
    ],
)
def test_directory_bits(
    env: Env, m: int, can_list: bool, can_create: bool, can_reach: bool
) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    env.write(env.p("d", "f"), b"x")
    o.chmod(env.p("d"), m)
    with env.as_user(1000, 1000):
        if can_list:
            assert o.listdir(env.p("d")) == ["f"]
        else:
            raises(PermissionError, errno.EACCES, o.listdir, env.p("d"))
        if can_create:
            o.mkdir(env.p("d", "new"))
        else:
            raises(PermissionError, errno.EACCES, o.mkdir, env.p("d", "new"))
        if can_reach:
            assert o.stat(env.p("d", "f")).st_size == 1
        else:
            raises(PermissionError, errno.EACCES, o.stat, env.p("d", "f"))
        if not can_create and can_reach:
            raises(PermissionError, errno.EACCES, o.unlink, env.p("d", "f"))


# ---------------------------------------------------------------- sticky directories


def sticky_setup(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("t"))
    o.chmod(env.p("t"), 0o1777)
    env.write(env.p("t", "rootf"), b"r", 0o666)
    o.chmod(env.p("t", "rootf"), 0o666)
    with env.as_user(1001, 1001):
        env.write(env.p("t", "other"), b"o")
        o.chmod(env.p("t", "other"), 0o666)
    with env.as_user(1000, 1000):
        env.write(env.p("t", "mine"), b"m")


@pytest.mark.parametrize("victim", ["rootf", "other"])
def test_sticky_dir_protects_others_files(env: Env, victim: str) -> None:
    o = env.os
    sticky_setup(env)
    p = env.p("t", victim)
    with env.as_user(1000, 1000):
        e = raises(PermissionError, errno.EPERM, o.unlink, p)
        assert e.filename == p
        e = raises(PermissionError, errno.EPERM, o.rename, p, env.p("t", "x"))
        assert (e.filename, e.filename2) == (p, env.p("t", "x"))
        raises(PermissionError, errno.EPERM, o.rename, p, env.p("outside"))
        raises(PermissionError, errno.EPERM, o.rename, env.p("t", "mine"), p)
        with opened(env, p, o.O_WRONLY) as fd:
            o.write(fd, b"W")
        o.unlink(env.p("t", "mine"))
    assert sorted(o.listdir(env.p("t"))) == ["other", "rootf"]
    assert env.read(p) == b"W"


def test_sticky_dir_owner_and_root_may_delete(env: Env) -> None:
    o = env.os
    sticky_setup(env)
    o.chown(env.p("t"), 1000, 1000)
    with env.as_user(1000, 1000):
        o.unlink(env.p("t", "rootf"))
    with env.as_user(1001, 1001):
        raises(PermissionError, errno.EPERM, o.unlink, env.p("t", "mine"))
        o.unlink(env.p("t", "other"))
    o.unlink(env.p("t", "mine"))
    assert o.listdir(env.p("t")) == []


def test_sticky_dir_protects_subdirs(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("t"))
    o.chmod(env.p("t"), 0o1777)
    o.mkdir(env.p("t", "sub"), 0o777)
    o.chmod(env.p("t", "sub"), 0o777)
    with env.as_user(1000, 1000):
        raises(PermissionError, errno.EPERM, o.rmdir, env.p("t", "sub"))
        raises(FileNotFoundError, errno.ENOENT, o.unlink, env.p("t", "nope"))
    assert o.listdir(env.p("t")) == ["sub"]


# ---------------------------------------------------------------- ownership of new files


def test_new_files_get_effective_ids(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 2000, (3000,)):
        env.write(env.p("f"))
        o.mkdir(env.p("d"))
        o.mkfifo(env.p("p"))
        o.symlink("f", env.p("ln"))
    for name in ("f", "d", "p", "ln"):
        assert owner(env, name) == (1000, 2000), name


def test_setgid_dir_inheritance(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("sg"))
    o.chown(env.p("sg"), 0, 1234)
    o.chmod(env.p("sg"), 0o2777)
    with env.as_user(1000, 1000):
        o.mkdir(env.p("sg", "sub"), 0o755)
        env.write(env.p("sg", "f"))
        o.mkfifo(env.p("sg", "p"))
        o.symlink("f", env.p("sg", "ln"))
        o.mkdir(env.p("sg", "sub", "deeper"))
    assert owner(env, "sg/sub") == (1000, 1234)
    assert mode(env, "sg/sub") == 0o2755
    assert owner(env, "sg/sub/deeper") == (1000, 1234)
    assert mode(env, "sg/sub/deeper") == 0o2755
    assert owner(env, "sg/f") == (1000, 1234)
    assert mode(env, "sg/f") == 0o644
    assert owner(env, "sg/p") == (1000, 1234)
    assert owner(env, "sg/ln") == (1000, 1234)


def test_setgid_file_in_setgid_dir(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("sg"))
    o.chown(env.p("sg"), 0, 1234)
    o.chmod(env.p("sg"), 0o2777)
    with env.as_user(1000, 1000):
        with opened(env, env.p("sg", "user"), o.O_WRONLY | o.O_CREAT, 0o2755):
            pass
    with opened(env, env.p("sg", "root"), o.O_WRONLY | o.O_CREAT, 0o2755):
        pass
    assert mode(env, "sg/user") == 0o755
    assert mode(env, "sg/root") == 0o2755
    assert owner(env, "sg/root") == (0, 1234)


def test_no_setgid_inheritance_without_bit(env: Env) -> None:
    o = env.os
    o.mkdir(env.p("d"))
    o.chown(env.p("d"), 0, 1234)
    o.chmod(env.p("d"), 0o777)
    with env.as_user(1000, 1000):
        o.mkdir(env.p("d", "sub"))
    assert owner(env, "d/sub") == (1000, 1000)
    assert mode(env, "d/sub") == 0o755
