"""Syscall checks modelled on pjdfstest (chmod, chown, link, mkdir, open,
rename, rmdir, symlink, truncate, unlink, utimensat), with their errno cases
and non-root callers, run on a host tmpfs directory (the oracle) and through
``osbox mount``: the same code, the same expectations."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest

from .conftest import Mount
from .pjd import U1, U2, Target

LONG = "x" * 256  # one byte over NAME_MAX
U1_ID = U1[0]
COUNTS: dict[str, int] = {}


def chmod(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "chmod", "n0", 0o111)
    t.expect("0o111", "stat", "n0", "mode")
    t.expect(0, "mkdir", "n1", 0o755)
    t.expect(0, "chmod", "n1", 0o753)
    t.expect("0o753", "stat", "n1", "mode")
    t.expect(0, "mkfifo", "n2", 0o644)
    t.expect(0, "chmod", "n2", 0o310)
    t.expect("0o310", "stat", "n2", "mode")
    t.expect(0, "symlink", "n0", "n3")
    t.expect(0, "chmod", "n3", 0o700)  # follows the symlink
    t.expect("0o700", "stat", "n0", "mode")
    t.expect("0o777", "lstat", "n3", "mode")
    t.expect("ENOTDIR", "chmod", "n0/x", 0o644)
    t.expect("ENOENT", "chmod", "nx", 0o644)
    t.expect("ENAMETOOLONG", "chmod", LONG, 0o644)
    t.expect(0, "symlink", "n5", "n4")
    t.expect(0, "symlink", "n4", "n5")
    t.expect("ELOOP", "chmod", "n4", 0o644)
    # non-root callers
    t.expect(0, "create", "r0", 0o644)
    t.expect("EPERM", "chmod", "r0", 0o600, user=U1)
    t.expect(0, "chown", "r0", U1_ID, 100)
    t.expect(0, "chmod", "r0", 0o600, user=U1)
    t.expect("0o600", "stat", "r0", "mode")
    t.expect("EPERM", "chmod", "r0", 0o644, user=U2)
    t.expect(0, "chmod", "r0", 0o2755, user=U1)  # group 100 is U1's: S_ISGID stays
    t.expect("0o2755", "stat", "r0", "mode")
    t.expect(0, "chown", "r0", U1_ID, 0)
    t.expect(0, "chmod", "r0", 0o2755, user=U1)  # not in group 0: S_ISGID dropped
    t.expect("0o755", "stat", "r0", "mode")
    t.expect(0, "chmod", "r0", 0o1644, user=U1)  # sticky on a file is allowed on Linux
    t.expect("0o1644", "stat", "r0", "mode")
    t.expect(0, "mkdir", "r1", 0o700)
    t.expect(0, "create", "r1/f", 0o644)
    t.expect(0, "chown", "r1/f", U1_ID, U1_ID)
    t.expect("EACCES", "chmod", "r1/f", 0o600, user=U1)  # no search permission on r1
    t.expect(0, "chmod", "r1", 0o711)
    t.expect(0, "chmod", "r1/f", 0o600, user=U1)


def chown(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "chown", "n0", 123, 456)
    t.expect(123, "stat", "n0", "uid")
    t.expect(456, "stat", "n0", "gid")
    t.expect(0, "chown", "n0", -1, -1)
    t.expect(123, "stat", "n0", "uid")
    t.expect(0, "chown", "n0", -1, 789)
    t.expect(789, "stat", "n0", "gid")
    t.expect(0, "symlink", "n0", "n1")
    t.expect(0, "chown", "n1", 1, 2)
    t.expect(1, "stat", "n0", "uid")
    t.expect(0, "lstat", "n1", "uid")
    t.expect(0, "lchown", "n1", 3, 4)
    t.expect(3, "lstat", "n1", "uid")
    t.expect(4, "lstat", "n1", "gid")
    t.expect(1, "stat", "n0", "uid")
    # setuid and setgid (with group exec) go on chown, even by root
    t.expect(0, "create", "s0", 0o6755)
    t.expect(0, "chown", "s0", 5, 5)
    t.expect("0o755", "stat", "s0", "mode")
    t.expect(0, "create", "s1", 0o2644)
    t.expect(0, "chown", "s1", 5, 5)
    t.expect("0o2644", "stat", "s1", "mode")
    t.expect(0, "mkdir", "s2", 0o6755)
    t.expect(0, "chmod", "s2", 0o6755)
    t.expect(0, "chown", "s2", 5, 5)
    t.expect("0o6755", "stat", "s2", "mode")
    t.expect("ENOENT", "chown", "nx", 0, 0)
    t.expect("ENOTDIR", "chown", "n0/x", 0, 0)
    t.expect("ENAMETOOLONG", "chown", LONG, 0, 0)
    # non-root callers
    t.expect(0, "create", "u0", 0o644)
    t.expect(0, "chown", "u0", U1_ID, U1_ID)
    t.expect("EPERM", "chown", "u0", U2[0], -1, user=U1)  # giving it away
    t.expect(0, "chown", "u0", U1_ID, -1, user=U1)  # to itself
    t.expect(0, "chown", "u0", -1, 100, user=U1)  # a supplementary group
    t.expect(100, "stat", "u0", "gid")
    t.expect("EPERM", "chown", "u0", -1, 0, user=U1)  # not its group
    t.expect("EPERM", "chown", "u0", -1, 100, user=U2)  # not its file
    t.expect(0, "chmod", "u0", 0o4755)
    t.expect(0, "chown", "u0", -1, U1_ID, user=U1)
    t.expect("0o755", "stat", "u0", "mode")
    t.expect(0, "mkdir", "u1", 0o700)
    t.expect(0, "create", "u1/f", 0o644)
    t.expect(0, "chown", "u1/f", U1_ID, U1_ID)
    t.expect("EACCES", "chown", "u1/f", -1, 100, user=U1)


def link(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "link", "n0", "n1")
    t.expect(2, "stat", "n0", "nlink")
    t.expect(2, "stat", "n1", "nlink")
    t.same(("stat", "n0", "ino"), ("stat", "n1", "ino"))
    t.expect(0, "write", "n1", "shared")
    t.expect("shared", "read", "n0")
    t.expect("EEXIST", "link", "n0", "n1")
    t.expect("ENOENT", "link", "nx", "n2")
    t.expect(0, "mkdir", "d0", 0o755)
    t.expect("EPERM", "link", "d0", "d1")
    t.expect("ENOENT", "link", "n0", "nx/n2")
    t.expect("ENOTDIR", "link", "n0", "n0/n2")
    t.expect("ENAMETOOLONG", "link", "n0", LONG)
    t.expect(0, "symlink", "n0", "s0")
    t.expect(0, "link", "s0", "s1")  # link(2) does not follow
    t.expect("symlink", "lstat", "s1", "type")
    t.expect(0, "unlink", "n0")
    t.expect(1, "stat", "n1", "nlink")
    t.expect("ENOENT", "stat", "s1", "type")
    # non-root callers
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect("EPERM", "link", "n1", "r0/x", user=U1)  # protected_hardlinks comes first
    t.expect(0, "chown", "n1", U1_ID, U1_ID)
    t.expect("EACCES", "link", "n1", "r0/x", user=U1)
    t.expect(0, "mkdir", "w0", 0o777)
    t.expect(0, "chmod", "w0", 0o777)
    t.expect(0, "create", "w0/root", 0o600)
    t.expect("EPERM", "link", "w0/root", "w0/mine", user=U1)  # protected_hardlinks
    t.expect(0, "create", "w0/pub", 0o666)
    t.expect(0, "chmod", "w0/pub", 0o666)
    t.expect(0, "link", "w0/pub", "w0/mine", user=U1)  # readable and writable: allowed
    t.expect(2, "stat", "w0/pub", "nlink")
    t.expect(0, "unlink", "w0/mine", user=U1)
    t.expect(0, "chmod", "w0", 0o755)
    t.expect("EACCES", "link", "w0/pub", "w0/again", user=U1)


def mkdir(t: Target) -> None:
    t.expect(0, "mkdir", "n0", 0o755)
    t.expect("dir", "stat", "n0", "type")
    t.expect("0o755", "stat", "n0", "mode")
    t.expect(2, "stat", "n0", "nlink")
    t.expect(0, "mkdir", "n0/a", 0o700)
    t.expect(3, "stat", "n0", "nlink")
    t.expect("0o700", "stat", "n0/a", "mode")
    t.expect("EEXIST", "mkdir", "n0", 0o755)
    t.expect("ENOENT", "mkdir", "nx/n1", 0o755)
    t.expect(0, "create", "f0", 0o644)
    t.expect("ENOTDIR", "mkdir", "f0/x", 0o755)
    t.expect("EEXIST", "mkdir", "f0", 0o755)
    t.expect("ENAMETOOLONG", "mkdir", LONG, 0o755)
    t.expect(0, "mkdir", "x" * 255, 0o755)
    t.expect(0, "mkdir", "n2", 0o1777)
    t.expect("0o1777", "stat", "n2", "mode")
    t.expect(0, "mkdir", "n3", 0o2755)  # mkdir(2) keeps no S_ISGID of its own
    t.expect("0o755", "stat", "n3", "mode")
    t.expect(0, "symlink", "nowhere", "s0")
    t.expect("EEXIST", "mkdir", "s0", 0o755)
    # a setgid parent passes its group and the bit on
    t.expect(0, "mkdir", "g0", 0o755)
    t.expect(0, "chown", "g0", 0, 123)
    t.expect(0, "chmod", "g0", 0o2775)
    t.expect(0, "mkdir", "g0/c", 0o755)
    t.expect(123, "stat", "g0/c", "gid")
    t.expect("0o2755", "stat", "g0/c", "mode")
    # non-root callers
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect("EACCES", "mkdir", "r0/x", 0o755, user=U1)
    t.expect(0, "chown", "r0", U1_ID, U1_ID)
    t.expect(0, "mkdir", "r0/x", 0o751, user=U1)
    t.expect(U1_ID, "stat", "r0/x", "uid")
    t.expect(U1_ID, "stat", "r0/x", "gid")
    t.expect("0o751", "stat", "r0/x", "mode")
    t.expect(0, "chmod", "r0", 0o600)
    t.expect("EACCES", "mkdir", "r0/y", 0o755, user=U1)
    t.expect(0, "chmod", "g0", 0o2777)
    t.expect(0, "mkdir", "g0/u", 0o755, user=U1)
    t.expect(123, "stat", "g0/u", "gid")


def open_(t: Target) -> None:
    t.expect(0, "open", "n0", "O_CREAT|O_WRONLY", 0o640)
    t.expect("regular", "stat", "n0", "type")
    t.expect("0o640", "stat", "n0", "mode")
    t.expect(0, "stat", "n0", "size")
    t.expect("EEXIST", "open", "n0", "O_CREAT|O_EXCL|O_WRONLY", 0o644)
    t.expect("ENOENT", "open", "nx", "O_RDONLY")
    t.expect(0, "mkdir", "d0", 0o755)
    t.expect("EISDIR", "open", "d0", "O_WRONLY")
    t.expect("EISDIR", "open", "d0", "O_RDWR")
    t.expect(0, "open", "d0", "O_RDONLY")
    t.expect(0, "open", "d0", "O_RDONLY|O_DIRECTORY")
    t.expect("ENOTDIR", "open", "n0", "O_RDONLY|O_DIRECTORY")
    t.expect("ENOTDIR", "open", "n0/x", "O_RDONLY")
    t.expect(0, "symlink", "n0", "l0")
    t.expect("ELOOP", "open", "l0", "O_RDONLY|O_NOFOLLOW")
    t.expect("ENAMETOOLONG", "open", LONG, "O_CREAT|O_WRONLY")
    t.expect(0, "write", "n0", "12345")
    t.expect(5, "stat", "n0", "size")
    t.expect(0, "open", "n0", "O_WRONLY|O_TRUNC")
    t.expect(0, "stat", "n0", "size")
    t.expect(0, "symlink", "ghost", "l1")
    t.expect("EEXIST", "open", "l1", "O_CREAT|O_EXCL|O_WRONLY")
    t.expect(0, "open", "l1", "O_CREAT|O_WRONLY", 0o600)  # creates the target
    t.expect("regular", "stat", "ghost", "type")
    # non-root callers
    t.expect(0, "create", "r0", 0o644)
    t.expect(0, "open", "r0", "O_RDONLY", user=U1)
    t.expect("EACCES", "open", "r0", "O_WRONLY", user=U1)
    t.expect("EACCES", "open", "r0", "O_RDWR", user=U1)
    t.expect("EACCES", "open", "r0", "O_WRONLY|O_TRUNC", user=U1)
    t.expect(0, "create", "r1", 0o640)
    t.expect(0, "chown", "r1", 0, 100)
    t.expect(0, "open", "r1", "O_RDONLY", user=U1)  # group 100: supplementary
    t.expect("EACCES", "open", "r1", "O_RDONLY", user=U2)
    t.expect(0, "create", "r2", 0o200)
    t.expect(0, "chown", "r2", U1_ID, U1_ID)
    t.expect("EACCES", "open", "r2", "O_RDONLY", user=U1)  # owner bits only
    t.expect(0, "open", "r2", "O_WRONLY", user=U1)
    t.expect(0, "create", "r3", 0o604)
    t.expect(0, "open", "r3", "O_RDONLY", user=U2)
    t.expect("EACCES", "open", "d0/new", "O_CREAT|O_WRONLY", user=U1)
    t.expect(0, "mkdir", "d1", 0o777)
    t.expect(0, "chmod", "d1", 0o1777)
    t.expect(0, "open", "d1/mine", "O_CREAT|O_WRONLY", 0o644, user=U1)
    t.expect(U1_ID, "stat", "d1/mine", "uid")
    t.expect(U1_ID, "stat", "d1/mine", "gid")
    t.expect(0, "chmod", "d1", 0o1776)
    t.expect("EACCES", "open", "d1/mine", "O_RDONLY", user=U1)  # no search permission


def rename(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "write", "n0", "data")
    t.expect(0, "rename", "n0", "n1")
    t.expect("ENOENT", "stat", "n0", "type")
    t.expect("data", "read", "n1")
    t.expect(0, "create", "n2", 0o644)
    t.expect(0, "rename", "n1", "n2")
    t.expect("data", "read", "n2")
    t.expect("ENOENT", "rename", "n1", "n3")
    t.expect(0, "mkdir", "d0", 0o755)
    t.expect(0, "rename", "d0", "d1")
    t.expect("dir", "stat", "d1", "type")
    t.expect("EISDIR", "rename", "n2", "d1")
    t.expect("ENOTDIR", "rename", "d1", "n2")
    t.expect(0, "mkdir", "d2", 0o755)
    t.expect(0, "mkdir", "d2/x", 0o755)
    t.expect("ENOTEMPTY", "rename", "d1", "d2")
    t.expect(0, "mkdir", "d3", 0o755)
    t.expect(0, "rename", "d1", "d3")  # over an empty directory
    t.expect("EINVAL", "rename", "d3", "d3/sub")
    t.expect("ENAMETOOLONG", "rename", "n2", LONG)
    t.expect(0, "symlink", "n2", "s0")
    t.expect(0, "rename", "s0", "s1")
    t.expect("symlink", "lstat", "s1", "type")
    t.expect("data", "read", "s1")
    t.expect(0, "link", "n2", "h0")
    t.expect(0, "rename", "n2", "h0")  # two links to one inode: nothing happens
    t.expect(2, "stat", "n2", "nlink")
    t.expect(0, "create", "k0", 0o644)
    t.expect("EEXIST", "rename_noreplace", "k0", "n2")
    t.expect(0, "rename_noreplace", "k0", "k1")
    t.expect("regular", "stat", "k1", "type")
    # non-root callers
    t.expect(0, "mkdir", "t0", 0o777)
    t.expect(0, "chmod", "t0", 0o1777)
    t.expect(0, "create", "t0/root", 0o644)
    t.expect("EPERM", "rename", "t0/root", "t0/moved", user=U1)  # sticky directory
    t.expect(0, "create", "t0/pre", 0o644)
    t.expect(0, "chown", "t0/pre", U1_ID, U1_ID)
    t.expect(0, "rename", "t0/pre", "t0/mine", user=U1)
    t.expect("EPERM", "rename", "t0/mine", "t0/root", user=U1)  # over root's file
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect("EACCES", "rename", "t0/mine", "r0/x", user=U1)
    t.expect("EACCES", "rename", "r0", "t0/r0", user=U1)


def rmdir(t: Target) -> None:
    t.expect(0, "mkdir", "n0", 0o755)
    t.expect(0, "rmdir", "n0")
    t.expect("ENOENT", "stat", "n0", "type")
    t.expect("ENOENT", "rmdir", "n0")
    t.expect(0, "create", "f0", 0o644)
    t.expect("ENOTDIR", "rmdir", "f0")
    t.expect("ENOTDIR", "rmdir", "f0/x")
    t.expect(0, "mkdir", "n1", 0o755)
    t.expect(0, "create", "n1/f", 0o644)
    t.expect("ENOTEMPTY", "rmdir", "n1")
    t.expect("EINVAL", "rmdir", "n1/.")
    t.expect("ENOTEMPTY", "rmdir", "n1/..")
    t.expect("ENAMETOOLONG", "rmdir", LONG)
    t.expect(0, "mkdir", "n2", 0o755)
    t.expect(0, "symlink", "n2", "s0")
    t.expect("ENOTDIR", "rmdir", "s0")
    t.expect(0, "mkdir", "n2/c", 0o755)
    t.expect(3, "stat", "n2", "nlink")
    t.expect(0, "rmdir", "n2/c")
    t.expect(2, "stat", "n2", "nlink")
    t.expect(0, "unlink", "n1/f")
    t.expect(0, "rmdir", "n1")
    # non-root callers
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect(0, "mkdir", "r0/c", 0o755)
    t.expect("EACCES", "rmdir", "r0/c", user=U1)
    t.expect(0, "mkdir", "t0", 0o777)
    t.expect(0, "chmod", "t0", 0o1777)
    t.expect(0, "mkdir", "t0/root", 0o755)
    t.expect("EPERM", "rmdir", "t0/root", user=U1)
    t.expect(0, "mkdir", "t0/mine", 0o755, user=U1)
    t.expect(0, "rmdir", "t0/mine", user=U1)
    t.expect(0, "chown", "t0", U1_ID, U1_ID)
    t.expect(0, "rmdir", "t0/root", user=U1)  # the sticky directory's owner may


def symlink(t: Target) -> None:
    t.expect(0, "symlink", "test", "n0")
    t.expect("symlink", "lstat", "n0", "type")
    t.expect("test", "readlink", "n0")
    t.expect(4, "lstat", "n0", "size")
    t.expect("0o777", "lstat", "n0", "mode")
    t.expect("ENOENT", "stat", "n0", "type")
    t.expect("EEXIST", "symlink", "x", "n0")
    t.expect("ENOENT", "symlink", "x", "nx/n1")
    t.expect(0, "create", "f0", 0o644)
    t.expect("ENOTDIR", "symlink", "x", "f0/n1")
    t.expect("ENAMETOOLONG", "symlink", "x", LONG)
    t.expect(0, "symlink", "a" * 4095, "n2")
    t.expect(4095, "lstat", "n2", "size")
    t.expect("ENAMETOOLONG", "symlink", "a" * 4096, "n3")
    t.expect(0, "symlink", "f0", "n4")
    t.expect("regular", "stat", "n4", "type")
    t.expect(0, "symlink", "n5", "n5")
    t.expect("ELOOP", "stat", "n5", "type")
    # non-root callers
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect("EACCES", "symlink", "x", "r0/l", user=U1)
    t.expect(0, "chown", "r0", U1_ID, U1_ID)
    t.expect(0, "symlink", "x", "r0/l", user=U1)
    t.expect(U1_ID, "lstat", "r0/l", "uid")
    t.expect(U1_ID, "lstat", "r0/l", "gid")


def truncate(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "truncate", "n0", 1234567)
    t.expect(1234567, "stat", "n0", "size")
    t.expect(0, "truncate", "n0", 567)
    t.expect(567, "stat", "n0", "size")
    t.expect(0, "write", "n0", "abcdef")
    t.expect(0, "truncate", "n0", 3)
    t.expect("abc", "read", "n0")
    t.expect(0, "truncate", "n0", 5)
    t.expect("abc\0\0", "read", "n0")
    t.expect("ENOENT", "truncate", "nx", 0)
    t.expect(0, "mkdir", "d0", 0o755)
    t.expect("EISDIR", "truncate", "d0", 0)
    t.expect("EINVAL", "truncate", "n0", -1)
    t.expect("ENOTDIR", "truncate", "n0/x", 0)
    t.expect("ENAMETOOLONG", "truncate", LONG, 0)
    t.expect(0, "symlink", "n0", "s0")
    t.expect(0, "truncate", "s0", 10)
    t.expect(10, "stat", "n0", "size")
    t.expect(0, "ftruncate", "n0", "O_WRONLY", 2)
    t.expect(2, "stat", "n0", "size")
    t.expect("EINVAL", "ftruncate", "n0", "O_RDONLY", 0)
    # non-root callers
    t.expect(0, "create", "r0", 0o644)
    t.expect("EACCES", "truncate", "r0", 0, user=U1)
    t.expect(0, "chmod", "r0", 0o646)
    t.expect(0, "truncate", "r0", 7, user=U1)
    t.expect(7, "stat", "r0", "size")
    t.expect(0, "create", "r1", 0o444)
    t.expect(0, "chown", "r1", U1_ID, U1_ID)
    t.expect("EACCES", "truncate", "r1", 0, user=U1)  # the owner needs write too


def unlink(t: Target) -> None:
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "unlink", "n0")
    t.expect("ENOENT", "stat", "n0", "type")
    t.expect("ENOENT", "unlink", "n0")
    t.expect(0, "mkdir", "d0", 0o755)
    t.expect("EISDIR", "unlink", "d0")
    t.expect(0, "create", "f0", 0o644)
    t.expect("ENOTDIR", "unlink", "f0/x")
    t.expect("ENAMETOOLONG", "unlink", LONG)
    t.expect(0, "symlink", "f0", "s0")
    t.expect(0, "unlink", "s0")
    t.expect("regular", "stat", "f0", "type")
    t.expect(0, "link", "f0", "h0")
    t.expect(0, "unlink", "f0")
    t.expect(1, "stat", "h0", "nlink")
    t.expect(0, "write", "h0", "kept")
    t.expect("nlink=0 mode=0o600 data=b'more'", "unlink_open", "h0")
    t.expect(["d0"], "listdir", ".")
    t.expect(0, "mkfifo", "p0", 0o644)
    t.expect(0, "unlink", "p0")
    # non-root callers
    t.expect(0, "mkdir", "r0", 0o755)
    t.expect(0, "create", "r0/f", 0o666)
    t.expect("EACCES", "unlink", "r0/f", user=U1)
    t.expect(0, "mkdir", "t0", 0o777)
    t.expect(0, "chmod", "t0", 0o1777)
    t.expect(0, "create", "t0/root", 0o666)
    t.expect("EPERM", "unlink", "t0/root", user=U1)
    t.expect(0, "open", "t0/mine", "O_CREAT|O_WRONLY", 0o644, user=U1)
    t.expect("EPERM", "unlink", "t0/mine", user=U2)
    t.expect(0, "unlink", "t0/mine", user=U1)
    t.expect(0, "chmod", "t0", 0o777)  # no sticky bit: anyone with write may
    t.expect(0, "unlink", "t0/root", user=U2)


def utimensat(t: Target) -> None:
    s = 10**9
    t.expect(0, "create", "n0", 0o644)
    t.expect(0, "utimensat", "n0", 1 * s, 2 * s)
    t.expect(1 * s, "stat", "n0", "atime")
    t.expect(2 * s, "stat", "n0", "mtime")
    t.expect(0, "utimensat", "n0", "OMIT", 5 * s + 123456789)
    t.expect(1 * s, "stat", "n0", "atime")
    t.expect(5 * s + 123456789, "stat", "n0", "mtime")
    t.expect(0, "utimensat", "n0", 7 * s, "OMIT")
    t.expect(7 * s, "stat", "n0", "atime")
    t.expect(5 * s + 123456789, "stat", "n0", "mtime")
    t.expect(0, "utimensat", "n0", "NOW", "OMIT")
    t.expect(5 * s + 123456789, "stat", "n0", "mtime")
    t.expect(0, "utimensat", "n0", -s, -2 * s)  # before 1970
    t.expect(-2 * s, "stat", "n0", "mtime")
    t.expect("ENOENT", "utimensat", "nx", 0, 0)
    t.expect("ENOTDIR", "utimensat", "n0/x", 0, 0)
    t.expect("ENAMETOOLONG", "utimensat", LONG, 0, 0)
    t.expect(0, "symlink", "n0", "s0")
    t.expect(0, "utimensat", "s0", 3 * s, 3 * s, True)  # the link itself
    t.expect(3 * s, "lstat", "s0", "mtime")
    t.expect(-2 * s, "stat", "s0", "mtime")
    t.expect(0, "utimensat", "s0", 4 * s, 4 * s)  # follows
    t.expect(4 * s, "stat", "n0", "mtime")
    # non-root callers
    t.expect(0, "create", "r0", 0o644)
    t.expect(0, "utimensat", "r0", s, s)
    t.expect("EACCES", "utimensat", "r0", "NOW", "NOW", user=U1)
    t.expect("EPERM", "utimensat", "r0", s, s, user=U1)
    t.expect(0, "chmod", "r0", 0o646)
    t.expect(0, "utimensat", "r0", "NOW", "NOW", user=U1)  # write permission is enough
    t.expect("EPERM", "utimensat", "r0", 2 * s, 2 * s, user=U1)
    t.expect("EPERM", "utimensat", "r0", "NOW", "OMIT", user=U1)
    t.expect(0, "chown", "r0", U1_ID, U1_ID)
    t.expect(0, "chmod", "r0", 0o444)
    t.expect(0, "utimensat", "r0", 2 * s, 3 * s, user=U1)  # the owner may
    t.expect(3 * s, "stat", "r0", "mtime")


SUITES: dict[str, Callable[[Target], None]] = {
    "chmod": chmod,
    "chown": chown,
    "link": link,
    "mkdir": mkdir,
    "open": open_,
    "rename": rename,
    "rmdir": rmdir,
    "symlink": symlink,
    "truncate": truncate,
    "unlink": unlink,
    "utimensat": utimensat,
}


@pytest.fixture(scope="module")
def tmpfs_root() -> Iterator[str]:
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm tmpfs for the oracle")
    root = tempfile.mkdtemp(prefix="osbox-pjd-", dir="/dev/shm")
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("where", ["tmpfs", "mount"])
@pytest.mark.parametrize("suite", sorted(SUITES))
def test_syscall(suite: str, where: str, request: pytest.FixtureRequest) -> None:
    if where == "tmpfs":
        root = request.getfixturevalue("tmpfs_root")
    else:
        root = os.path.join(request.getfixturevalue("mount").path, "tmp")
    base = tempfile.mkdtemp(prefix=suite + "-", dir=root)
    os.chmod(base, 0o755)
    t = Target(base)
    try:
        SUITES[suite](t)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    COUNTS[f"{suite}/{where}"] = t.count
    assert not t.failures, "\n".join(t.failures)


def test_check_count(request: pytest.FixtureRequest) -> None:
    """At least 200 checks per target (pjdfstest-like coverage)."""
    per_target = {
        where: sum(n for key, n in COUNTS.items() if key.endswith("/" + where))
        for where in ("tmpfs", "mount")
    }
    if not all(per_target.values()):
        pytest.skip("run with the whole module to count")
    print(f"syscall checks: {per_target}")
    assert min(per_target.values()) >= 200


_ = Mount
