"""environ/environb, getenv/putenv/unsetenv, path constants, the /dev
character devices and the process id calls. Never asserts host-specific
values: every variable is a fresh name and is removed again."""

from __future__ import annotations

import contextlib
import errno
import itertools
import stat
from collections.abc import Iterator

import pytest

from .conftest import Env
from .helpers import raises

_counter = itertools.count()


@contextlib.contextmanager
def var(env: Env) -> Iterator[str]:
    """A variable name unused in the environment, removed afterwards."""
    name = f"OSBOX_CONF_{next(_counter)}_X"
    assert name not in env.os.environ
    try:
        yield name
    finally:
        env.os.environ.pop(name, None)
        with contextlib.suppress(OSError):
            env.os.unsetenv(name)


@contextlib.contextmanager
def opened(env: Env, path: str, flags: int) -> Iterator[int]:
    fd: int = env.os.open(path, flags)
    try:
        yield fd
    finally:
        env.os.close(fd)


# ---------------------------------------------------------------- environ


def test_environ_set_get_del(env: Env) -> None:
    o = env.os
    with var(env) as name:
        o.environ[name] = "value"
        assert o.environ[name] == "value"
        assert name in o.environ
        assert o.getenv(name) == "value"
        assert o.environ.get(name) == "value"
        del o.environ[name]
        assert name not in o.environ
        assert o.getenv(name) is None
        with pytest.raises(KeyError):
            o.environ[name]
        with pytest.raises(KeyError):
            del o.environ[name]


def test_environ_and_environb_stay_in_sync(env: Env) -> None:
    o = env.os
    with var(env) as name:
        bname = name.encode()
        o.environ[name] = "é"
        assert o.environb[bname] == "é".encode()
        o.environb[bname] = b"from-bytes"
        assert o.environ[name] == "from-bytes"
        assert o.getenvb(bname) == b"from-bytes"
        del o.environb[bname]
        assert name not in o.environ
        assert bname not in o.environb
        o.environ[name] = ""
        assert o.environb[bname] == b""


def test_environ_types(env: Env) -> None:
    o = env.os
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in o.environ.items())
    assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in o.environb.items())
    assert len(o.environ) == len(o.environb)
    assert sorted(k.encode() for k in o.environ) == sorted(o.environb)
    assert o.environ is not o.environb


def test_environ_rejects_wrong_types(env: Env) -> None:
    o = env.os
    with var(env) as name:
        raises(TypeError, None, o.environ.__setitem__, name, 1)
        raises(TypeError, None, o.environ.__setitem__, name, b"x")
        raises(TypeError, None, o.environ.__setitem__, name.encode(), "x")
        raises(TypeError, None, o.environb.__setitem__, name.encode(), "x")
        raises(TypeError, None, o.environb.__setitem__, name, b"x")
        raises(TypeError, None, o.getenv, name.encode())
        raises(TypeError, None, o.getenvb, name)
        assert name not in o.environ


@pytest.mark.parametrize(
    ("key", "value"), [("A=B", "x"), ("=A", "x"), ("A\0B", "x"), ("A", "x\0y")]
)
def test_environ_setitem_invalid_is_valueerror(env: Env, key: str, value: str) -> None:
    o = env.os
    with var(env) as name:
        k = name + key
        raises(ValueError, None, o.environ.__setitem__, k, value)
        assert k not in o.environ


def test_environ_mapping_methods(env: Env) -> None:
    o = env.os
    with var(env) as a, var(env) as b:
        assert o.environ.setdefault(a, "first") == "first"
        assert o.environ.setdefault(a, "second") == "first"
        o.environ.update({b: "bee"})
        assert o.getenv(b) == "bee"
        assert o.environ.pop(b) == "bee"
        assert o.environ.pop(b, "gone") == "gone"
        assert a in o.environ.keys()
        assert (a, "first") in o.environ.items()
        assert "first" in o.environ.values()


def test_environ_copy_is_independent_dict(env: Env) -> None:
    o = env.os
    with var(env) as name:
        o.environ[name] = "1"
        c = o.environ.copy()
        assert type(c) is dict
        assert c[name] == "1"
        c[name] = "2"
        assert o.environ[name] == "1"
        o.environ[name] = "3"
        assert c[name] == "2"
        assert dict(o.environ) == {**c, name: "3"}


def test_getenv_defaults(env: Env) -> None:
    o = env.os
    with var(env) as name:
        assert o.getenv(name) is None
        assert o.getenv(name, "dflt") == "dflt"
        assert o.getenvb(name.encode()) is None
        assert o.getenvb(name.encode(), b"dflt") == b"dflt"
        o.environ[name] = "set"
        assert o.getenv(name, "dflt") == "set"
        assert o.getenvb(name.encode(), b"dflt") == b"set"


def test_putenv_does_not_update_environ(env: Env) -> None:
    o = env.os
    with var(env) as name:
        assert o.putenv(name, "v") is None
        assert name not in o.environ
        assert o.getenv(name) is None
        assert o.unsetenv(name) is None
        assert o.unsetenv(name) is None
        o.environ[name] = "kept"
        o.unsetenv(name)
        assert o.environ[name] == "kept"


@pytest.mark.parametrize(("key", "value"), [("A=B", "x"), ("=A", "x"), ("A\0B", "x"), ("A", "x\0")])
def test_putenv_invalid_is_valueerror(env: Env, key: str, value: str) -> None:
    raises(ValueError, None, env.os.putenv, key, value)


def test_putenv_unsetenv_einval(env: Env) -> None:
    # An empty name reaches setenv()/unsetenv(), which fail with EINVAL;
    # unsetenv() does not check for '=' itself either.
    o = env.os
    e = raises(OSError, errno.EINVAL, o.putenv, "", "x")
    assert type(e) is OSError
    raises(OSError, errno.EINVAL, o.unsetenv, "")
    raises(OSError, errno.EINVAL, o.unsetenv, "A=B")
    raises(ValueError, None, o.unsetenv, "A\0B")


# ---------------------------------------------------------------- constants


def test_path_constants(env: Env) -> None:
    o = env.os
    assert o.name == "posix"
    assert o.sep == "/"
    assert o.altsep is None
    assert o.linesep == "\n"
    assert o.curdir == "."
    assert o.pardir == ".."
    assert o.extsep == "."
    assert o.pathsep == ":"
    assert o.devnull == "/dev/null"


# ---------------------------------------------------------------- devices


@pytest.mark.parametrize(("path", "minor"), [("/dev/null", 3), ("/dev/zero", 5), ("/dev/full", 7)])
def test_device_stat(env: Env, path: str, minor: int) -> None:
    o = env.os
    st = o.stat(path)
    assert stat.S_ISCHR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o666
    assert (o.major(st.st_rdev), o.minor(st.st_rdev)) == (1, minor)
    assert st.st_size == 0
    assert o.path.exists(path) and not o.path.isfile(path)


def test_dev_null(env: Env) -> None:
    o = env.os
    with opened(env, "/dev/null", o.O_RDWR) as fd:
        assert o.write(fd, b"swallowed") == 9
        assert o.read(fd, 100) == b""
        assert o.lseek(fd, 100, o.SEEK_SET) == 0
        assert o.read(fd, 1) == b""
    with env.open(o.devnull, "w") as f:
        f.write("text")
    with env.open(o.devnull, "rb") as f:
        assert f.read() == b""


def test_dev_zero(env: Env) -> None:
    o = env.os
    with opened(env, "/dev/zero", o.O_RDWR) as fd:
        assert o.read(fd, 7) == b"\0" * 7
        assert o.write(fd, b"abc") == 3
        assert o.read(fd, 3) == b"\0\0\0"
        assert o.pread(fd, 4, 1000) == b"\0" * 4
    with env.open("/dev/zero", "rb") as f:
        assert f.read(10000) == bytes(10000)


def test_dev_full(env: Env) -> None:
    o = env.os
    with opened(env, "/dev/full", o.O_RDWR) as fd:
        e = raises(OSError, errno.ENOSPC, o.write, fd, b"x")
        assert e.filename is None
        assert o.read(fd, 3) == b"\0\0\0"


def test_dev_full_via_open(env: Env) -> None:
    f = env.open("/dev/full", "wb", buffering=0)
    try:
        with pytest.raises(OSError) as e:
            f.write(b"x")
        assert e.value.errno == errno.ENOSPC
    finally:
        f.close()


# ---------------------------------------------------------------- ids


def test_id_types(env: Env) -> None:
    o = env.os
    for fn in (o.getuid, o.geteuid, o.getgid, o.getegid):
        v = fn()
        assert isinstance(v, int) and v == 0
    groups = o.getgroups()
    assert isinstance(groups, list)
    assert all(isinstance(g, int) for g in groups)


def test_seteuid_setegid_round_trip(env: Env) -> None:
    o = env.os
    try:
        o.setegid(1234)
        o.seteuid(1000)
        assert (o.getuid(), o.geteuid()) == (0, 1000)
        assert (o.getgid(), o.getegid()) == (0, 1234)
        env.write(env.p("f"))
        st = o.stat(env.p("f"))
        assert (st.st_uid, st.st_gid) == (1000, 1234)
        e = raises(PermissionError, errno.EPERM, o.seteuid, 2000)
        assert e.filename is None
        raises(PermissionError, errno.EPERM, o.setegid, 5)
        assert o.geteuid() == 1000
        o.seteuid(0)
        assert o.geteuid() == 0
    finally:
        o.seteuid(0)
        o.setegid(0)
    assert (o.geteuid(), o.getegid()) == (0, 0)


def test_setgroups_round_trip(env: Env) -> None:
    o = env.os
    saved = o.getgroups()
    try:
        o.setgroups([7, 8])
        assert sorted(o.getgroups()) == [7, 8]
        o.setgroups([])
        assert o.getgroups() == []
    finally:
        o.setgroups(saved)


def test_as_user_helper(env: Env) -> None:
    o = env.os
    with env.as_user(1000, 1001, (1002,)):
        assert (o.geteuid(), o.getegid(), o.getgroups()) == (1000, 1001, [1002])
        raises(PermissionError, errno.EPERM, o.setgroups, [])
    assert (o.geteuid(), o.getegid()) == (0, 0)


# ---------------------------------------------------------------- system info


def test_uname(env: Env) -> None:
    u = env.os.uname()
    assert len(u) == 5
    assert tuple(u) == (u.sysname, u.nodename, u.release, u.version, u.machine)
    assert all(isinstance(x, str) for x in u)
    assert u.sysname and u.release and u.machine


def test_cpu_count(env: Env) -> None:
    n = env.os.cpu_count()
    assert isinstance(n, int) and n >= 1
