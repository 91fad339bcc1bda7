"""Extended attributes: tmpfs (Linux 6.6+) stores user., trusted. and
security. names."""

from __future__ import annotations

import errno
import os

from .conftest import Env
from .helpers import raises


def test_set_get_list_remove(env: Env) -> None:
    o = env.os
    f = env.p("f")
    env.write(f)
    assert o.listxattr(f) == []
    o.setxattr(f, "user.colour", b"blue")
    o.setxattr(f, b"user.size", b"")
    assert sorted(o.listxattr(f)) == ["user.colour", "user.size"]
    assert o.getxattr(f, "user.colour") == b"blue"
    assert o.getxattr(f, "user.size") == b""
    o.removexattr(f, "user.colour")
    assert o.listxattr(f) == ["user.size"]
    e = raises(OSError, errno.ENODATA, o.getxattr, f, "user.colour")
    assert e.filename == f


def test_flags(env: Env) -> None:
    o = env.os
    f = env.p("f")
    env.write(f)
    raises(OSError, errno.ENODATA, o.setxattr, f, "user.a", b"1", os.XATTR_REPLACE)
    o.setxattr(f, "user.a", b"1", os.XATTR_CREATE)
    raises(OSError, errno.EEXIST, o.setxattr, f, "user.a", b"2", os.XATTR_CREATE)
    o.setxattr(f, "user.a", b"3", os.XATTR_REPLACE)
    assert o.getxattr(f, "user.a") == b"3"
    raises(OSError, errno.EINVAL, o.setxattr, f, "user.a", b"3", 4)


def test_name_and_size_limits(env: Env) -> None:
    o = env.os
    f = env.p("f")
    env.write(f)
    raises(OSError, errno.ERANGE, o.setxattr, f, "", b"1")
    raises(OSError, errno.ERANGE, o.setxattr, f, "user." + "a" * 251, b"1")
    o.setxattr(f, "user." + "a" * 250, b"1")
    raises(OSError, errno.E2BIG, o.setxattr, f, "user.big", b"x" * 65537)
    raises(OSError, errno.EOPNOTSUPP, o.setxattr, f, "nonsense.a", b"1")
    raises(OSError, errno.ENODATA, o.removexattr, f, "user.none")
    raises(OSError, errno.ENOENT, o.getxattr, env.p("missing"), "user.a")


def test_directories_fds_and_symlinks(env: Env) -> None:
    o = env.os
    d = env.p("d")
    o.mkdir(d)
    o.setxattr(d, "user.dir", b"yes")
    o.symlink("d", env.p("link"))
    assert o.getxattr(env.p("link"), "user.dir") == b"yes"
    raises(OSError, errno.EPERM, o.setxattr, env.p("link"), "user.x", b"1", follow_symlinks=False)
    raises(OSError, errno.ENODATA, o.getxattr, env.p("link"), "user.dir", follow_symlinks=False)
    fd = o.open(d, os.O_RDONLY)
    try:
        assert o.listxattr(fd) == ["user.dir"]
        o.setxattr(fd, "user.fd", b"2")
    finally:
        o.close(fd)
    assert sorted(o.listxattr(d)) == ["user.dir", "user.fd"]


def test_setxattr_changes_ctime(env: Env) -> None:
    o = env.os
    f = env.p("f")
    env.write(f)
    o.utime(f, ns=(1, 1))
    before = o.stat(f).st_ctime_ns
    o.setxattr(f, "user.a", b"1")
    assert o.stat(f).st_ctime_ns > before
    assert o.stat(f).st_mtime_ns == 1


def test_permissions_for_other_users(env: Env) -> None:
    o = env.os
    f = env.p("f")
    env.write(f, mode=0o644)
    o.setxattr(f, "user.a", b"1")
    o.setxattr(f, "trusted.t", b"root only")
    with env.as_user(1000, 1000):
        assert o.getxattr(f, "user.a") == b"1"
        assert o.listxattr(f) == ["user.a"]
        raises(OSError, errno.EACCES, o.setxattr, f, "user.b", b"2")
        raises(OSError, errno.ENODATA, o.getxattr, f, "trusted.t")
        raises(OSError, errno.EPERM, o.setxattr, f, "trusted.u", b"2")
    assert sorted(o.listxattr(f)) == ["trusted.t", "user.a"]
