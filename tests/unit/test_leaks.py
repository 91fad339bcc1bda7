"""Leak test: every public name of ``os``, ``shutil``, ``tempfile``, ``io``,
``pathlib`` (and every ``pathlib.Path`` method) is called inside a patched
machine while an audit hook and a profiler watch for the host being touched.

The check runs in a subprocess (``python tests/unit/test_leaks.py --report
FILE``) because audit hooks cannot be removed: the hook dies with the child.
The child writes a JSON report which the tests below assert on.

How a leak is seen
------------------
* **Audit hook.** CPython's C functions raise audit events (``open``,
  ``os.listdir``, ``os.mkdir``, ``os.chdir``, ``os.putenv``...) before they
  touch the host; osbox's virtual implementations raise none. Every event
  while a call runs is recorded with its caller and classified:

  - *import*: the import system (stdlib and installed packages are imported
    from the host by design): events whose caller is frozen ``importlib``,
    and which only read under ``sys.prefix``/site-packages/``sys.path``;
  - *python-level*: raised by ``sys.audit(...)`` in pure-Python stdlib code
    (``shutil.copyfile``, ``os.walk``...) *before* it calls the primitives,
    which are virtualised and raise nothing themselves. Recognised by the
    caller's source line being the ``audit(`` call, and only accepted for
    the event names in ``PYTHON_LEVEL_EVENTS``;
  - *benign*: in-process events with no host resource (``BENIGN_EVENTS``);
  - anything else is a **leak**.

* **Profiler.** Many host primitives raise no audit event (``os.umask``,
  ``os.write``, ``os.setuid``, ``os.lseek``...). A ``sys.setprofile``
  function sees every call of a C function of ``posix``/``_io``/``fcntl``...
  made from outside osbox's core while a call runs: any such call that is
  not host-pure by design (``HOST_PURE``) is a leak. It also tells whether a
  call reached osbox's core at all, which is how "virtualised" and "pure"
  are told apart.

* **Host snapshots.** Before and after, outside the machine: the host cwd and
  its tree, the umask, ids, groups, process group, session, priority, cpu
  affinity, environment, open fds, ``/``, and whether any fixture path or
  temp-file prefix appeared on the host.

Safety
------
Every fixture path lives under ``/work/osbox-leak-<uuid>/``, which does not
exist on the host, so a leaked path operation fails there with ENOENT
instead of doing harm. Calls that could harm the host if they leaked
(``kill``, ``fork``, ``exec*``, ``system``, ``setsid``...) are made only when
inspection proves the patched name dispatches to the machine's ENOSYS stub;
names whose patched binding is not provably the machine's are never called
and are reported as leaks. ``os._exit`` (the machine's, which ends the
process) and ``os.abort`` (the machine's: sync, then abort) are never called.

``python tests/unit/test_leaks.py --write-docs`` writes ``docs/virtualised.md``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import errno
import gc
import hashlib
import io
import itertools
import json
import linecache
import os
import pathlib
import shutil
import site
import subprocess
import sys
import tempfile
import types
import uuid
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(REPO, "src")
DOCS = os.path.join(REPO, "docs", "virtualised.md")
OSBOX_PKG = os.path.join(SRC, "osbox")
# osbox's core: a call that reaches code here reached the machine.
CORE_DIRS = tuple(os.path.join(OSBOX_PKG, d) + os.sep for d in ("api", "kernel", "stores"))
# The one osbox module allowed to call host devices: the console (fds 0-2 of
# process 1) and /dev/urandom (see kernel/devices.py).
DEVICES_FILE = os.path.join(OSBOX_PKG, "kernel", "devices.py")

MODULES = ("os", "shutil", "tempfile", "io", "pathlib", "pathlib.Path")
STATUSES = ("virtualised", "ENOSYS", "pure", "LEAK")

# Events raised by ``sys.audit(...)`` in pure-Python stdlib code before it
# calls primitives that are themselves virtualised (and would raise their own
# C-level event if they were not). Each is safe for that reason.
PYTHON_LEVEL_EVENTS = {
    "os.walk": "os.walk -> os.scandir",
    "os.fwalk": "os.fwalk -> os.open/os.scandir/os.stat with dir_fd",
    "shutil.copyfile": "open/os.sendfile/os.stat",
    "shutil.copymode": "os.stat/os.chmod",
    "shutil.copystat": "os.stat/os.utime/os.chmod/os.listxattr",
    "shutil.copytree": "os.scandir/os.makedirs/copy2",
    "shutil.rmtree": "os.open/os.scandir/os.unlink/os.rmdir with dir_fd",
    "shutil.move": "os.rename/copy/rmtree",
    "shutil.make_archive": "os.chdir/zipfile via open",
    "shutil.unpack_archive": "zipfile via open/os.makedirs",
    "shutil.chown": "pwd/grp (patched)/os.chown",
    "tempfile.mkstemp": "os.open",
    "tempfile.mkdtemp": "os.mkdir",
    "pathlib.Path.glob": "os.scandir",
    "pathlib.Path.rglob": "os.scandir",
    "glob.glob": "os.scandir/os.lstat",
    "glob.glob/2": "os.scandir/os.lstat",
}

# In-process events that name no host resource.
BENIGN_EVENTS = {
    "sys._getframe": "frame introspection (warnings, namedtuple...)",
    "object.__getattr__": "restricted attribute read",
    "object.__setattr__": "restricted attribute write (osbox re-binds os.py functions)",
    "object.__delattr__": "restricted attribute delete",
    "builtins.id": "id()",
    "code.__new__": "code object creation",
    "function.__new__": "function object creation",
    "compile": "compile() of source already in memory",
    "exec": "exec() of a code object",
    "sys.setprofile": "this harness's profiler",
    "sys.settrace": "tracing",
    "time.sleep": "sleeping touches nothing",
    "gc.collect": "garbage collection",
}

# Host C modules whose functions act on host resources when called directly.
HOST_C_MODULES = ("posix", "_io", "fcntl", "termios", "select", "mmap", "_posixsubprocess")
# Functions of those modules that are pure (or host-only by design, see
# osbox.api.osmodule.HOST_PURE) and may be called inside a machine.
HOST_C_PURE = {
    "_io": {"text_encoding"},
    "posix": {"_path_normpath"},  # the C half of posixpath.normpath: string work only
}

# os names never called, even when they resolve to the machine.
NEVER_CALL = {
    "_exit": "not called: the machine's _exit syncs the machine, then ends the host process",
    "abort": "not called: the machine's abort syncs the machine, then aborts the interpreter",
} | {
    n: "not called: the machine's exec replaces the calling program, here this test"
    for n in dir(os)
    if n.startswith("exec") or n == "_execvpe"
}

# os names that must resolve to the machine's ENOSYS stub before they are
# called: if one leaked it would act on the host's processes, sessions,
# scheduling or privileges.
DANGEROUS = frozenset(
    {
        "kill",
        "killpg",
        "fork",
        "forkpty",
        "setsid",
        "setpgid",
        "setpgrp",
        "system",
        "popen",
        "nice",
        "setpriority",
        "sched_setaffinity",
        "sched_setscheduler",
        "sched_setparam",
        "login_tty",
        "openpty",
        "initgroups",
        "wait",
        "wait3",
        "wait4",
        "waitid",
        "waitpid",
        "pidfd_open",
        "posix_spawn",
        "posix_spawnp",
        "posix_fallocate",
        "lockf",
        "_execvpe",
        "_spawnvef",
    }
    | {n for n in dir(os) if n.startswith(("exec", "spawn"))}
)
# The harmful names the machine's process runtime serves (issue 4): never
# called here (their behaviour is tested in tests/unit/test_processes.py),
# but inspection must find them bound to machine functions.
PROCESS_MACHINE = frozenset(
    {
        "kill",
        "killpg",
        "setsid",
        "setpgid",
        "setpgrp",
        "system",
        "popen",
        "wait",
        "wait3",
        "wait4",
        "waitpid",
        "posix_spawn",
        "posix_spawnp",
        "_execvpe",
        "_spawnvef",
    }
    | {n for n in dir(os) if n.startswith(("exec", "spawn"))}
)
# The privileged calls osbox virtualises: called only when they resolve to a
# machine function, and then with arguments that keep uid/gid 0 (a no-op for
# a root host, EPERM for any other) so even a leak could not drop privileges.
PRIVILEGED_MACHINE = frozenset(
    {
        "setuid",
        "setgid",
        "seteuid",
        "setegid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
        "chroot",
        "tcsetpgrp",
    }
)


# --- the call table -----------------------------------------------------------------


class Ref:
    """A reference to a fixture attribute, resolved when a call is made."""

    def __init__(self, attr: str) -> None:
        self.attr = attr

    def __repr__(self) -> str:
        return f"<{self.attr}>"


F = Ref("file")  # a regular file with content
F2 = Ref("file2")  # another regular file
D = Ref("dir")  # a directory holding the file "inner"
E = Ref("empty")  # an empty directory
L = Ref("link")  # a symlink to F
N = Ref("new")  # a path that does not exist yet (parent exists)
BASE = Ref("base")  # the directory holding all of these (the machine cwd)
ZIP = Ref("zip")  # a zip archive
FD = Ref("fd")  # F opened O_RDWR
FD2 = Ref("fd2")  # F2 opened O_RDWR
DFD = Ref("dfd")  # D opened O_RDONLY|O_DIRECTORY
PID = Ref("pid")  # the machine process's pid
PREFIX = Ref("prefix")  # a unique temp-file prefix

Probe = Callable[[Any, "Fixture"], Any]


class Call:
    """A probe: call the target with these arguments (``Ref``s resolved)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def __call__(self, fn: Any, fx: Fixture) -> Any:
        args = [fx.resolve(a) for a in self.args]
        kwargs = {k: fx.resolve(v) for k, v in self.kwargs.items()}
        return fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Call{self.args!r}{self.kwargs or ''}"


# Tried in order for names without an entry, until one does not raise TypeError.
DEFAULT_PROBES: list[Probe] = [Call(), Call(F), Call(FD), Call(F, N), Call(FD, 0)]


def _noop(*args: Any) -> None:
    return None


def _noop_unpack(filename: str, extract_dir: str) -> None:
    return None


def _copyfileobj(fn: Any, fx: Fixture) -> Any:
    with open(fx.file, "rb") as src, open(fx.new, "wb") as dst:
        return fn(src, dst)


def _spooled(fn: Any, fx: Fixture) -> Any:
    with fn(max_size=4, prefix=fx.prefix) as f:
        f.write(b"more than four bytes")  # rolls over to a real TemporaryFile
        f.seek(0)
        return f.read()


def _register_archive(fn: Any, fx: Fixture) -> Any:
    fn("osbox-leak", _noop)
    shutil.unregister_archive_format("osbox-leak")


def _unregister_archive(fn: Any, fx: Fixture) -> Any:
    shutil.register_archive_format("osbox-leak", _noop)
    fn("osbox-leak")


def _register_unpack(fn: Any, fx: Fixture) -> Any:
    fn("osbox-leak", [".osbox-leak"], _noop_unpack)
    shutil.unregister_unpack_format("osbox-leak")


def _unregister_unpack(fn: Any, fx: Fixture) -> Any:
    shutil.register_unpack_format("osbox-leak", [".osbox-leak"], _noop_unpack)
    fn("osbox-leak")


def _ignore_patterns(fn: Any, fx: Fixture) -> Any:
    return fn("*.pyc")(fx.base, ["a.pyc", "b.txt"])


def _splice(fn: Any, fx: Fixture) -> Any:
    r, w = os.pipe()
    try:
        return fn(fx.fd, w, 4)
    finally:
        os.close(r)
        os.close(w)


OS_PROBES: dict[str, list[Probe]] = {
    "WCOREDUMP": [Call(0)],
    "WEXITSTATUS": [Call(0)],
    "WIFCONTINUED": [Call(0)],
    "WIFEXITED": [Call(0)],
    "WIFSIGNALED": [Call(0)],
    "WIFSTOPPED": [Call(0)],
    "WSTOPSIG": [Call(0)],
    "WTERMSIG": [Call(0)],
    "_check_methods": [Call(dict, "keys")],
    "_execvpe": [Call("true", ["true"])],
    "_exists": [Call("stat")],
    "_fspath": [Call(F)],
    "_fwalk": [Call(DFD, D, False, True, None, False)],
    "_get_exports_list": [Call(types)],
    # os.execv looked up at call time: the patched name, not the host's.
    "_spawnvef": [lambda fn, fx: fn(os.P_WAIT, "/bin/true", ["true"], None, os.execv)],
    "_walk": [Call(D, True, None, False)],
    "access": [Call(F, os.R_OK)],
    "chdir": [Call(D)],
    "chmod": [Call(F, 0o600)],
    "chown": [Call(F, 0, 0)],
    "chroot": [Call("/")],
    "close": [Call(FD)],
    "closerange": [lambda fn, fx: fn(fx.fd, fx.fd + 1)],
    "confstr": [Call("CS_PATH")],
    "copy_file_range": [Call(FD, FD2, 4)],
    "device_encoding": [Call(FD)],
    "dup": [Call(FD)],
    "dup2": [Call(FD, FD2)],
    "eventfd": [Call(0)],
    "eventfd_read": [Call(FD)],
    "eventfd_write": [Call(FD, 1)],
    "execl": [Call("/bin/true", "true")],
    "execle": [Call("/bin/true", "true", {})],
    "execlp": [Call("true", "true")],
    "execlpe": [Call("true", "true", {})],
    "execv": [Call("/bin/true", ["true"])],
    "execve": [Call("/bin/true", ["true"], {})],
    "execvp": [Call("true", ["true"])],
    "execvpe": [Call("true", ["true"], {})],
    "fchdir": [Call(DFD)],
    "fchmod": [Call(FD, 0o600)],
    "fchown": [Call(FD, 0, 0)],
    "fdopen": [Call(FD, "rb")],
    "fork": [Call()],
    "forkpty": [Call()],
    "fpathconf": [Call(FD, "PC_NAME_MAX")],
    "fsdecode": [Call(b"x")],
    "fsencode": [Call("x")],
    "fspath": [Call(F)],
    "ftruncate": [Call(FD, 1)],
    "fwalk": [Call(D)],
    "get_terminal_size": [Call(FD)],
    "getenv": [Call("HOME")],
    "getenvb": [Call(b"HOME")],
    "getgrouplist": [Call("root", 0)],
    "getpgid": [Call(0)],
    "getpriority": [Call(os.PRIO_PROCESS, 0)],
    "getrandom": [Call(4)],
    "getsid": [Call(0)],
    "getxattr": [Call(F, "user.osbox")],
    "initgroups": [Call("root", 0)],
    "kill": [Call(PID, 0)],  # signal 0 delivers nothing, even if it leaked
    "killpg": [Call(PID, 0)],
    "lchown": [Call(L, 0, 0)],
    "link": [Call(F, N)],
    "listxattr": [Call(F)],
    "lockf": [Call(FD, os.F_TLOCK, 0)],
    "login_tty": [Call(FD)],
    "lseek": [Call(FD, 0, os.SEEK_SET)],
    "lstat": [Call(L)],
    "major": [Call(0x0103)],
    "makedev": [Call(1, 3)],
    "makedirs": [lambda fn, fx: fn(fx.new + "/a/b")],
    "memfd_create": [Call("osbox-leak")],
    "minor": [Call(0x0103)],
    "mkdir": [Call(N)],
    "mkfifo": [Call(N)],
    "mknod": [Call(N)],
    "nice": [Call(0)],
    "open": [Call(F, os.O_RDONLY)],
    "pathconf": [Call(F, "PC_NAME_MAX")],
    "pidfd_open": [Call(PID)],
    "pipe2": [Call(os.O_CLOEXEC)],
    "popen": [Call("true")],
    "posix_fadvise": [Call(FD, 0, 0, os.POSIX_FADV_NORMAL)],
    "posix_fallocate": [Call(FD, 0, 16)],
    "posix_spawn": [Call("/bin/true", ["true"], {})],
    "posix_spawnp": [Call("true", ["true"], {})],
    "pread": [Call(FD, 4, 0)],
    "preadv": [lambda fn, fx: fn(fx.fd, [bytearray(4)], 0)],
    "putenv": [Call("OSBOX_LEAK", "1")],
    "pwrite": [Call(FD, b"x", 0)],
    "pwritev": [Call(FD, [b"x"], 0)],
    "read": [Call(FD, 4)],
    "readlink": [Call(L)],
    "readv": [lambda fn, fx: fn(fx.fd, [bytearray(4)])],
    "register_at_fork": [Call(after_in_child=_noop)],
    "removedirs": [Call(E)],
    "removexattr": [Call(F, "user.osbox")],
    "rename": [Call(F, N)],
    "renames": [lambda fn, fx: fn(fx.file, fx.new + "/x/y")],
    "replace": [Call(F, N)],
    "rmdir": [Call(E)],
    "scandir": [Call(D)],
    "sched_get_priority_max": [Call(os.SCHED_OTHER)],
    "sched_get_priority_min": [Call(os.SCHED_OTHER)],
    "sched_getaffinity": [Call(0)],
    "sched_getparam": [Call(0)],
    "sched_getscheduler": [Call(0)],
    "sched_rr_get_interval": [Call(0)],
    "sched_setaffinity": [Call(0, {0})],
    "sched_setparam": [Call(0, os.sched_param(0))],
    "sched_setscheduler": [Call(0, os.SCHED_OTHER, os.sched_param(0))],
    "sendfile": [Call(FD2, FD, 0, 4)],
    "set_blocking": [Call(FD, True)],
    "set_inheritable": [Call(FD, False)],
    "setegid": [Call(0)],
    "seteuid": [Call(0)],
    "setgid": [Call(0)],
    "setgroups": [Call([0])],
    "setpgid": [Call(0, 0)],
    "setpriority": [Call(os.PRIO_PROCESS, 0, 0)],
    "setregid": [Call(0, 0)],
    "setresgid": [Call(0, 0, 0)],
    "setresuid": [Call(0, 0, 0)],
    "setreuid": [Call(0, 0)],
    "setuid": [Call(0)],
    "setxattr": [Call(F, "user.osbox", b"v")],
    "spawnl": [Call(os.P_WAIT, "/bin/true", "true")],
    "spawnle": [Call(os.P_WAIT, "/bin/true", "true", {})],
    "spawnlp": [Call(os.P_WAIT, "true", "true")],
    "spawnlpe": [Call(os.P_WAIT, "true", "true", {})],
    "spawnv": [Call(os.P_WAIT, "/bin/true", ["true"])],
    "spawnve": [Call(os.P_WAIT, "/bin/true", ["true"], {})],
    "spawnvp": [Call(os.P_WAIT, "true", ["true"])],
    "spawnvpe": [Call(os.P_WAIT, "true", ["true"], {})],
    "splice": [_splice],
    "stat": [Call(F)],
    "statvfs": [Call(D)],
    "strerror": [Call(errno.ENOENT)],
    "symlink": [Call(F, N)],
    "sysconf": [Call("SC_PAGESIZE")],
    "system": [Call("true")],
    "tcgetpgrp": [Call(FD)],
    "tcsetpgrp": [Call(FD, PID)],
    "truncate": [Call(F, 1)],
    "ttyname": [Call(FD)],
    "umask": [Call(0o022)],
    "unsetenv": [Call("HOME")],
    "urandom": [Call(4)],
    "utime": [Call(F, ns=(1, 2))],
    "wait3": [Call(os.WNOHANG)],
    "wait4": [Call(0, os.WNOHANG)],
    "waitid": [Call(os.P_ALL, 0, os.WEXITED | os.WNOHANG)],
    "waitpid": [Call(-1, os.WNOHANG)],
    "waitstatus_to_exitcode": [Call(0)],
    "walk": [Call(D)],
    "write": [Call(FD, b"x")],
    "writev": [Call(FD, [b"x"])],
}

SHUTIL_PROBES: dict[str, list[Probe]] = {
    "chown": [Call(F, "root")],
    "copy": [Call(F, N)],
    "copy2": [Call(F, N)],
    "copyfile": [Call(F, N)],
    "copyfileobj": [_copyfileobj],
    "copymode": [Call(F, F2)],
    "copystat": [Call(F, F2)],
    "copytree": [Call(D, N)],
    "disk_usage": [Call(D)],
    "ignore_patterns": [_ignore_patterns],
    "make_archive": [Call(N, "zip", D)],
    "move": [Call(F, N)],
    "register_archive_format": [_register_archive],
    "register_unpack_format": [_register_unpack],
    "rmtree": [Call(D)],
    "unpack_archive": [Call(ZIP, N)],
    "unregister_archive_format": [_unregister_archive],
    "unregister_unpack_format": [_unregister_unpack],
    "which": [Call("sh")],
}

TEMPFILE_PROBES: dict[str, list[Probe]] = {
    "NamedTemporaryFile": [Call(prefix=PREFIX)],
    "SpooledTemporaryFile": [_spooled],
    "TemporaryDirectory": [Call(prefix=PREFIX)],
    "TemporaryFile": [Call(prefix=PREFIX)],
    "mkdtemp": [Call(prefix=PREFIX)],
    "mkstemp": [Call(prefix=PREFIX)],
    "mktemp": [Call(prefix=PREFIX)],
}

IO_PROBES: dict[str, list[Probe]] = {
    "BufferedIOBase": [Call()],
    "IOBase": [Call()],
    "RawIOBase": [Call()],
    "TextIOBase": [Call()],
    "BufferedRWPair": [lambda fn, fx: fn(io.BytesIO(b"x"), io.BytesIO())],
    "BufferedRandom": [lambda fn, fx: fn(io.BytesIO(b"x"))],
    "BufferedReader": [lambda fn, fx: fn(io.BytesIO(b"x"))],
    "BufferedWriter": [lambda fn, fx: fn(io.BytesIO())],
    "BytesIO": [Call(b"x")],
    "FileIO": [Call(F, "r")],
    "IncrementalNewlineDecoder": [Call(None, True)],
    "StringIO": [Call("x")],
    "TextIOWrapper": [lambda fn, fx: fn(io.BytesIO(b"x"), encoding="utf-8")],
    "open": [Call(F, "rb")],
    "open_code": [Call(F)],
    "text_encoding": [Call("utf-8")],
}

PATHLIB_PROBES: dict[str, list[Probe]] = {
    "Path": [Call(F)],
    "PosixPath": [Call(F)],
    "PurePath": [Call(F)],
    "PurePosixPath": [Call(F)],
    "PureWindowsPath": [Call("c:/x")],
    "WindowsPath": [Call(F)],
    "attrgetter": [Call("name")],
    "urlquote_from_bytes": [Call(b"x y")],
    "S_ISBLK": [Call(0o100644)],
    "S_ISCHR": [Call(0o100644)],
    "S_ISDIR": [Call(0o100644)],
    "S_ISFIFO": [Call(0o100644)],
    "S_ISLNK": [Call(0o100644)],
    "S_ISREG": [Call(0o100644)],
    "S_ISSOCK": [Call(0o100644)],
}

# pathlib.Path methods: (the fixture path the Path is made of, probes).
PATH_METHODS: dict[str, tuple[Ref | str, list[Probe]]] = {
    "absolute": ("f", [Call()]),  # relative: absolute() asks for the cwd
    "chmod": (F, [Call(0o600)]),
    "expanduser": ("~/x", [Call()]),
    "glob": (D, [Call("*")]),
    "hardlink_to": (N, [Call(F)]),
    "is_dir": (D, [Call()]),
    "is_mount": (D, [Call()]),
    "is_relative_to": (F, [Call(BASE)]),
    "is_symlink": (L, [Call()]),
    "iterdir": (D, [Call()]),
    "joinpath": (F, [Call("x")]),
    "lchmod": (L, [Call(0o600)]),
    "link_to": (F, [Call(N)]),
    "lstat": (L, [Call()]),
    "match": (F, [Call("*")]),
    "mkdir": (N, [Call()]),
    "open": (F, [Call("rb")]),
    "readlink": (L, [Call()]),
    "relative_to": (F, [Call(BASE)]),
    "rename": (F, [Call(N)]),
    "replace": (F, [Call(N)]),
    "resolve": (L, [Call()]),
    "rglob": (D, [Call("*")]),
    "rmdir": (E, [Call()]),
    "samefile": (F, [Call(F)]),
    "symlink_to": (N, [Call(F)]),
    "touch": (N, [Call()]),
    "with_name": (F, [Call("x")]),
    "with_stem": (F, [Call("x")]),
    "with_suffix": (F, [Call(".x")]),
    "write_bytes": (N, [Call(b"x")]),
    "write_text": (N, [Call("x")]),
}

PROBES: dict[str, dict[str, list[Probe]]] = {
    "os": OS_PROBES,
    "shutil": SHUTIL_PROBES,
    "tempfile": TEMPFILE_PROBES,
    "io": IO_PROBES,
    "pathlib": PATHLIB_PROBES,
}


# --- the child process: fixtures ----------------------------------------------------


class Fixture:
    """A fresh tree in the machine for one call, made with the machine's own
    ``os`` (never the patched host names)."""

    base: str
    file: str
    file2: str
    dir: str
    empty: str
    link: str
    new: str
    zip: str
    prefix: str
    fd: int
    fd2: int
    dfd: int
    pid: int

    def __init__(self, mos: Any, root: str, index: int, prefix: str) -> None:
        self.mos = mos
        self.base = f"{root}/{index:04d}"
        self.file = self.base + "/f"
        self.file2 = self.base + "/f2"
        self.dir = self.base + "/d"
        self.empty = self.base + "/e"
        self.link = self.base + "/l"
        self.new = self.base + "/n"
        self.zip = self.base + "/z.zip"
        self.prefix = prefix
        mos.mkdir(self.base)
        mos.mkdir(self.dir)
        mos.mkdir(self.empty)
        self._write(self.file, b"hello osbox\n")
        self._write(self.file2, b"second\n")
        self._write(self.dir + "/inner", b"inner\n")
        self._write(self.zip, _zip_bytes())
        mos.symlink("f", self.link)
        self.fd = mos.open(self.file, os.O_RDWR)
        self.fd2 = mos.open(self.file2, os.O_RDWR)
        self.dfd = mos.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
        self.pid = mos.getpid()
        mos.chdir(self.base)
        mos.umask(0o022)

    def _write(self, path: str, data: bytes) -> None:
        fd = self.mos.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            self.mos.write(fd, data)
        finally:
            self.mos.close(fd)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return getattr(self, value.attr)
        return value

    def close(self) -> None:
        for fd in (self.fd, self.fd2, self.dfd):
            try:
                self.mos.close(fd)
            except OSError:
                pass


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("member.txt", "in the archive\n")
    return buf.getvalue()


# --- the child process: watching ----------------------------------------------------


@dataclasses.dataclass
class Watch:
    """What the audit hook and the profiler saw."""

    label: str | None = None
    in_hook: bool = False
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    host_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    touched: bool = False
    pure: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)


def _stack(frame: types.FrameType | None, depth: int = 8) -> list[str]:
    out: list[str] = []
    while frame is not None and len(out) < depth:
        code = frame.f_code
        out.append(f"{code.co_filename}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return out


def _short(value: Any, limit: int = 240) -> str:
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break the hook
        text = f"<unrepresentable {type(value).__name__}: {e!r}>"
    return text if len(text) <= limit else text[:limit] + "..."


def make_hook(watch: Watch) -> Callable[[str, tuple[Any, ...]], None]:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if watch.label is None or watch.in_hook:
            return
        watch.in_hook = True
        try:
            frame = sys._getframe(1)
            watch.events.append(
                {
                    "label": watch.label,
                    "event": event,
                    "args": _short(args),
                    "paths": [os.fsdecode(a) for a in args if isinstance(a, (str, bytes))],
                    "mode": _open_mode(event, args),
                    "file": frame.f_code.co_filename,
                    "line": frame.f_lineno,
                    "stack": _stack(frame),
                }
            )
        finally:
            watch.in_hook = False

    return hook


def _open_mode(event: str, args: tuple[Any, ...]) -> str | None:
    """'read' or 'write' for an open event, else None."""
    if event != "open" or len(args) < 3:
        return None
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return "write" if set(mode) & set("wax+") else "read"
    if isinstance(flags, int):
        return "read" if flags & os.O_ACCMODE == os.O_RDONLY else "write"
    return "write"


def make_profiler(watch: Watch) -> Callable[[types.FrameType, str, Any], None]:
    """The profiler: did the call reach osbox's core, and which host C
    functions did code outside osbox call? Reading ``frame.f_code`` raises an
    audit event of its own, so the hook is muted while the profiler runs."""
    pure = watch.pure

    def profile(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            if not watch.touched:
                watch.in_hook = True
                watch.touched = frame.f_code.co_filename.startswith(CORE_DIRS)
                watch.in_hook = False
            return
        if event != "c_call":
            return
        owner = getattr(arg, "__self__", None)
        if type(owner) is not types.ModuleType or owner.__name__ not in HOST_C_MODULES:
            return
        module = owner.__name__
        name = getattr(arg, "__name__", "?")
        if name in pure.get(module, ()):
            return
        watch.in_hook = True
        try:
            caller = frame.f_code.co_filename
            if caller.startswith("<frozen importlib") or caller == DEVICES_FILE:
                return  # the import system reads the host; the console is a host device
            watch.host_calls.append(
                {
                    "label": watch.label,
                    "call": f"{module}.{name}",
                    "file": caller,
                    "line": frame.f_lineno,
                    "stack": _stack(frame),
                }
            )
        finally:
            watch.in_hook = False

    return profile


# --- the child process: inspecting os ------------------------------------------------


@dataclasses.dataclass
class Inspector:
    """Tells, by identity, what a patched ``os`` name will run."""

    host: dict[str, Any]  # vars(os) before patching
    ns: dict[str, Any]  # the machine's os namespace
    dispatch_code: types.CodeType
    stub_code: types.CodeType
    host_pure: frozenset[str]

    def is_dispatcher(self, value: Any) -> bool:
        return getattr(value, "__code__", None) is self.dispatch_code

    def machine_kind(self, name: str) -> str:
        """'stub', 'machine', 'host-pure' or 'host' for the machine's ``name``."""
        fn = self.ns.get(name)
        if fn is None:
            return "missing"
        code = getattr(fn, "__code__", None)
        if code is self.stub_code:
            return "stub"
        if getattr(fn, "__self__", None) is self.ns.get("_surface"):
            return "machine"
        if isinstance(fn, types.FunctionType) and (
            fn.__globals__ is self.ns or fn.__code__.co_filename.startswith(OSBOX_PKG)
        ):
            return "machine"
        if fn is self.host.get(name) and name in self.host_pure:
            return "host-pure"
        return "host"

    def reachable(self, fn: types.FunctionType) -> dict[str, Any]:
        """Every ``os`` global a Python-level os.py function can reach, with the
        value it has now (patched), following other os.py functions."""
        found: dict[str, Any] = {}
        todo = [fn]
        seen: set[int] = set()
        live = vars(os)
        while todo:
            f = todo.pop()
            if id(f) in seen:
                continue
            seen.add(id(f))
            codes = [f.__code__]
            while codes:
                code = codes.pop()
                codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
                for name in code.co_names:
                    if name not in live or name in found:
                        continue
                    value = live[name]
                    if isinstance(value, types.ModuleType) or not callable(value):
                        continue
                    found[name] = value
                    if isinstance(value, types.FunctionType) and value.__globals__ is live:
                        todo.append(value)
        return found

    def python_level_problem(self, name: str, fn: types.FunctionType) -> str | None:
        """Why calling this os.py function could reach the host, or None."""
        reach = self.reachable(fn)
        for prim, value in sorted(reach.items()):
            if isinstance(value, type) or isinstance(value, types.FunctionType):
                continue
            if self.is_dispatcher(value):
                kind = self.machine_kind(prim)
                if kind not in ("stub", "machine"):
                    return f"reaches os.{prim}, dispatched to a {kind} function"
                if prim in DANGEROUS and kind != "stub":
                    return f"reaches os.{prim}, a machine function that is not a stub"
                if prim == "_exit" and self.machine_kind("fork") != "stub":
                    # _spawnvef calls _exit only in the child of a fork.
                    return "reaches os._exit without a stubbed os.fork before it"
            elif prim not in self.host_pure:
                return f"reaches os.{prim}, the host's own function (not dispatched)"
        return None


# --- the child process: running the calls --------------------------------------------


@dataclasses.dataclass
class Plan:
    """One name to check."""

    module: str
    name: str
    probes: list[Probe] | None  # None: not called
    note: str = ""
    status: str | None = None  # decided by inspection when not called
    path: Ref | str | None = None  # pathlib.Path methods: the Path's fixture path


def _public(module: types.ModuleType) -> list[str]:
    names = {n for n in dir(module) if not n.startswith("_")}
    names |= set(getattr(module, "__all__", ()))
    return sorted(n for n in names if not isinstance(getattr(module, n), types.ModuleType))


def os_names() -> list[str]:
    """Every non-dunder name of os: the private callables too (osbox replaces
    all of them), except re-exported modules."""
    return sorted(
        n
        for n in dir(os)
        if not n.startswith("__") and not isinstance(getattr(os, n), types.ModuleType)
    )


def plan_os(insp: Inspector) -> list[Plan]:
    """Inside the patch: what each os name is bound to now decides whether it
    may be called."""
    plans = []
    for name in os_names():
        value = getattr(os, name)
        host = insp.host.get(name)
        if not callable(value) or isinstance(value, type):
            status = "pure" if value is host else "virtualised"
            what = "type" if isinstance(value, type) else "constant"
            note = what if value is host else f"{what}, replaced by the machine's"
            plans.append(Plan("os", name, None, note, status))
            continue
        probes = OS_PROBES.get(name, DEFAULT_PROBES)
        if insp.is_dispatcher(value):
            kind = insp.machine_kind(name)
            if getattr(value, "__wrapped__", None) is not host:
                plans.append(Plan("os", name, None, "dispatcher wraps another function", "LEAK"))
            elif kind not in ("stub", "machine"):
                plans.append(Plan("os", name, None, f"dispatched to a {kind} function", "LEAK"))
            elif name in NEVER_CALL:
                plans.append(Plan("os", name, None, NEVER_CALL[name], "virtualised"))
            elif name in DANGEROUS and kind != "stub":
                note = "not called: harmful if leaked and not an ENOSYS stub"
                plans.append(Plan("os", name, None, note, "virtualised"))
            elif name in PRIVILEGED_MACHINE and kind != "machine":
                plans.append(Plan("os", name, None, f"privileged call is {kind}", "LEAK"))
            else:
                plans.append(Plan("os", name, probes))
        elif value is not host:
            plans.append(Plan("os", name, None, "bound to an unknown function", "LEAK"))
        elif isinstance(value, types.FunctionType) and name not in insp.host_pure:
            problem = insp.python_level_problem(name, value)
            if name in NEVER_CALL and problem is None:
                plans.append(Plan("os", name, None, NEVER_CALL[name], "virtualised"))
            elif problem is not None:
                plans.append(Plan("os", name, None, "not called: " + problem, "LEAK"))
            else:
                plans.append(Plan("os", name, probes))
        elif name in insp.host_pure:
            if name in NEVER_CALL:
                plans.append(Plan("os", name, None, NEVER_CALL[name], "pure"))
            else:
                plans.append(Plan("os", name, probes))
        else:
            note = "not called: the host's own function, not dispatched"
            plans.append(Plan("os", name, None, note, "LEAK"))
    return plans


def plan_module(modname: str) -> list[Plan]:
    module = sys.modules[modname]
    table = PROBES[modname]
    plans = []
    for name in _public(module):
        value = getattr(module, name)
        if name in table:
            plans.append(Plan(modname, name, table[name]))
        elif isinstance(value, type) and issubclass(value, BaseException):
            plans.append(Plan(modname, name, [Call(), Call("x")]))
        elif isinstance(value, type):
            plans.append(Plan(modname, name, None, "type, not called", "pure"))
        elif callable(value):
            plans.append(Plan(modname, name, DEFAULT_PROBES))
        else:
            plans.append(Plan(modname, name, None, "constant", "pure"))
    return plans


def plan_path_methods() -> list[Plan]:
    plans = []
    for name in sorted(n for n in dir(pathlib.Path) if not n.startswith("_")):
        path, probes = PATH_METHODS.get(name, (F, [Call()]))
        attr = getattr(pathlib.Path, name)
        if isinstance(attr, property) or not callable(attr):
            plans.append(Plan("pathlib.Path", name, [_read_attribute], "property", path=path))
        else:
            plans.append(Plan("pathlib.Path", name, probes, path=path))
    return plans


def _read_attribute(value: Any, fx: Fixture) -> Any:
    return value  # the target is the attribute's value, read on a Path


def consume(value: Any) -> str:
    """Drive a lazy result (iterators, generators) and release what it holds."""
    kind = type(value).__name__
    if hasattr(value, "cleanup"):
        value.cleanup()
        return kind
    if hasattr(type(value), "__next__") and not isinstance(value, io.IOBase):
        for _item in itertools.islice(value, 1000):
            pass
    if hasattr(value, "close") and callable(value.close):
        value.close()
    return kind


def _error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__}({errno.errorcode.get(exc.errno, exc.errno)})"
    return type(exc).__name__


def run_plan(plan: Plan, fx: Fixture, watch: Watch) -> dict[str, Any]:
    label = f"{plan.module}.{plan.name}"
    result: dict[str, Any] = {"module": plan.module, "name": plan.name, "note": plan.note}
    if plan.probes is None:
        result.update(status=plan.status, called=False, outcome="not called")
        return result
    outcome = ""
    enosys = False
    watch.touched = False
    for probe in plan.probes:
        tempfile.tempdir = None  # so tempfile decides its directory inside the machine
        watch.label = label
        sys.setprofile(make_profiler(watch))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                target = _target(plan, fx)
                outcome = "returned " + consume(probe(target, fx))
            exc: BaseException | None = None
        except Exception as e:
            exc = e
        finally:
            sys.setprofile(None)
            watch.label = None
        if exc is not None:
            outcome = "raised " + _error(exc)
            enosys = isinstance(exc, OSError) and exc.errno == errno.ENOSYS
        if not isinstance(exc, TypeError):
            break
    if enosys:
        status = "ENOSYS"
    elif watch.touched:
        status = "virtualised"
    else:
        status = "pure"
    result.update(status=status, called=True, outcome=outcome)
    return result


def _target(plan: Plan, fx: Fixture) -> Any:
    if plan.module == "pathlib.Path":
        path = fx.resolve(plan.path)
        return getattr(pathlib.Path(path), plan.name)
    return getattr(sys.modules[plan.module], plan.name)


def sweep(machine: Any, watch: Watch, insp_args: dict[str, Any], prefix: str) -> list[Any]:
    """Call every name inside ``machine``; the results, in module order."""
    from osbox.patch import current_machine

    mos = machine.os
    root = f"/work/osbox-leak-{uuid.uuid4().hex}"
    results: list[Any] = []
    with machine.patch():
        assert current_machine() is machine
        mos.makedirs(root)
        insp = Inspector(ns=vars(mos), **insp_args)
        plans = plan_os(insp)
        for modname in ("shutil", "tempfile", "io", "pathlib"):
            plans.extend(plan_module(modname))
        plans.extend(plan_path_methods())
        for index, plan in enumerate(plans):
            watch.label = "fixture"
            fx = Fixture(mos, root, index, prefix)
            watch.label = None
            try:
                results.append(run_plan(plan, fx, watch))
            finally:
                watch.label = "fixture"
                fx.close()
                watch.label = None
        watch.label = "gc"
        gc.collect()  # finalizers of anything a call left behind run inside
        watch.label = None
    results.append(root)
    return results


# --- the child process: host state --------------------------------------------------


def tree(root: str) -> dict[str, list[Any]]:
    """Every entry under ``root``: type, mode, size, mtime and content digest."""
    out: dict[str, list[Any]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if os.path.islink(path):
                digest = os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            rel = os.path.relpath(path, root)
            out[rel] = [st.st_mode, st.st_size, st.st_mtime_ns, digest]
    return out


def host_fds() -> dict[str, str]:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass  # the fd listdir itself used
    return fds


def host_state(tree_root: str | None, prefix: str, roots: list[str]) -> dict[str, Any]:
    mask = os.umask(0o022)
    os.umask(mask)
    root_st = os.stat("/")
    return {
        "cwd": os.getcwd(),
        "tree": tree(tree_root) if tree_root else {},
        "umask": mask,
        "resuid": list(os.getresuid()),
        "resgid": list(os.getresgid()),
        "groups": sorted(os.getgroups()),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "priority": os.getpriority(os.PRIO_PROCESS, 0),
        "affinity": sorted(os.sched_getaffinity(0)),
        "environ": dict(os.environ),
        "fds": host_fds(),
        "root": [root_st.st_dev, root_st.st_ino],
        "fixture_roots_on_host": [r for r in roots if os.path.lexists(r)],
        "prefixed_in_tmp": sorted(n for n in os.listdir("/tmp") if n.startswith(prefix)),
    }


def diff_state(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for key in before:
        if before[key] != after[key]:
            if isinstance(before[key], dict):
                a, b = before[key], after[key]
                changed = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
                out.append(f"{key}: {changed[:20]}")
            else:
                out.append(f"{key}: {before[key]!r} -> {after[key]!r}")
    return out


# --- the child process: classifying events ------------------------------------------


def _allowed_read_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, SRC, HERE}
    roots.update(site.getsitepackages())
    roots.add(site.getusersitepackages())
    roots.update(p for p in sys.path if p)
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


def _source_line(filename: str, lineno: int) -> str:
    if filename.startswith("<frozen ") and filename.endswith(">"):
        module = sys.modules.get(filename[len("<frozen ") : -1])
        filename = getattr(module, "__file__", None) or filename
    return linecache.getline(filename, lineno)


def classify(event: dict[str, Any], read_roots: tuple[str, ...]) -> tuple[str, str]:
    """(category, reason) of one audit event: import, python-level, benign or leak."""
    name = event["event"]
    caller = event["file"]
    if name == "import":
        return "import", "import statement"
    if caller.startswith(("<frozen importlib", "<frozen zipimport")):
        outside = [p for p in event["paths"] if not os.path.realpath(p).startswith(read_roots)]
        if outside:
            return "leak", f"the import system touched {outside}"
        if event["mode"] == "write" and not all("__pycache__" in p for p in event["paths"]):
            return "leak", "the import system wrote outside __pycache__"
        return "import", "the import system reads the host's stdlib and packages"
    if "audit(" in _source_line(caller, event["line"]):
        if name in PYTHON_LEVEL_EVENTS:
            return "python-level", PYTHON_LEVEL_EVENTS[name]
        return "leak", "sys.audit() from Python with an event name not reviewed"
    if name in BENIGN_EVENTS:
        return "benign", BENIGN_EVENTS[name]
    return "leak", "a C function raised it: the host was touched"


def child_main(report_path: str | None, docs: bool, tree_root: str | None) -> int:
    """Run the whole check in this process and write the JSON report."""
    import osbox
    from osbox.api import osmodule
    from osbox.patch import _install

    watch = Watch()
    for modname in HOST_C_MODULES:
        __import__(modname)
    watch.pure = {k: frozenset(v) for k, v in HOST_C_PURE.items()}
    watch.pure["posix"] = watch.pure["posix"] | osmodule.HOST_PURE
    sys.addaudithook(make_hook(watch))
    insp_args = {
        "host": dict(vars(os)),  # a local: the Rebinder must not rewrite it
        "dispatch_code": _install._dispatcher("x", len).__code__,
        "stub_code": osmodule.enosys("x").__code__,
        "host_pure": osmodule.HOST_PURE,
    }
    prefix = f"osbox-leak-{uuid.uuid4().hex[:12]}-"
    before = host_state(tree_root, prefix, [])
    # Warm-up: the same sweep in another machine, unrecorded, so modules the
    # stdlib imports lazily (zipfile, pwd, encodings...) are imported before
    # the recorded pass and its events are the calls' own.
    warm = sweep(osbox.Machine(), Watch(pure=watch.pure), insp_args, prefix)
    machine = osbox.Machine()
    results = sweep(machine, watch, insp_args, prefix)
    roots = [warm[-1], results.pop()]
    after = host_state(tree_root, prefix, roots)
    read_roots = _allowed_read_roots()
    events: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for event in watch.events:
        category, reason = classify(event, read_roots)
        events[category].append({**event, "reason": reason})
    leak_labels = {e["label"] for e in events["leak"]} | {c["label"] for c in watch.host_calls}
    for r in results:
        if f"{r['module']}.{r['name']}" in leak_labels:
            r["status"] = "LEAK"
    report = {
        "python": sys.version.split()[0],
        "names": results,
        "leak_events": events["leak"],
        "host_calls": watch.host_calls,
        "python_level_events": sorted({(e["label"], e["event"]) for e in events["python-level"]}),
        "import_events": len(events["import"]),
        "benign_events": dict(collections.Counter(e["event"] for e in events["benign"])),
        "host_state_changes": diff_state(before, after),
        "summary": summarise(results),
    }
    if report_path:
        with open(report_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, default=str)
    if docs:
        with open(DOCS, "w", encoding="utf-8") as f:
            f.write(render_docs(report))
        print(f"wrote {DOCS}")
    return 0


# --- summary and docs -------------------------------------------------------------


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {m: dict.fromkeys(STATUSES, 0) for m in MODULES}
    for r in results:
        summary[r["module"]][r["status"]] += 1
    return summary


def summary_table(summary: dict[str, dict[str, int]]) -> str:
    lines = ["| module | " + " | ".join(STATUSES) + " |", "|---" * (len(STATUSES) + 1) + "|"]
    for module in MODULES:
        counts = summary[module]
        lines.append(f"| `{module}` | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    return "\n".join(lines)


_MEANING = {
    "virtualised": "runs on the machine (returns, or raises the errno Linux would)",
    "ENOSYS": "raises `OSError(ENOSYS)` inside a machine: not supported, never reaches the host",
    "pure": "touches no filesystem or process state: the host's own object (constants, "
    "types, `fspath`, `strerror`...), same result inside and outside a machine",
    "LEAK": "**reaches the host from inside a machine: a bug**",
}


def _doc_note(r: dict[str, Any]) -> str:
    if r["status"] == "ENOSYS":
        return "OSError(ENOSYS)"
    if r["status"] == "LEAK":
        return "reaches the host: a bug" + (f" ({r['note']})" if r["note"] else "")
    return str(r["note"])


def render_docs(report: dict[str, Any]) -> str:
    version = ".".join(report["python"].split(".")[:2])
    out = [
        "# What osbox virtualises",
        "",
        "<!-- Generated by `python tests/unit/test_leaks.py --write-docs`; do not edit. -->",
        "",
        f"Every public name of `os`, `shutil`, `tempfile`, `io` and `pathlib` (Python {version}),",
        "and every `pathlib.Path` method, called inside `machine.patch()` by",
        "`tests/unit/test_leaks.py` under an audit hook and a profiler that fail the test",
        "if the host is touched. Private `os` callables are listed too: osbox replaces them.",
        "",
        "| status | meaning |",
        "|---|---|",
        *(f"| {s} | {_MEANING[s]} |" for s in STATUSES),
        "",
        "Names reached through other modules (`os.path`, `glob`, `fnmatch`) follow from these.",
        "`pwd`/`grp` answer from the machine's `/etc`; `sqlite3.connect` of a file and `AF_UNIX`",
        "sockets bound or connected to a path raise ENOSYS.",
        "",
        "## Summary",
        "",
        summary_table(report["summary"]),
        "",
    ]
    by_module: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in report["names"]:
        by_module[r["module"]].append(r)
    for module in MODULES:
        out += [f"## `{module}`", "", "| name | status | notes |", "|---|---|---|"]
        for r in sorted(by_module[module], key=lambda r: r["name"]):
            out.append(f"| `{r['name']}` | {r['status']} | {_doc_note(r)} |")
        out.append("")
    return "\n".join(out)


# --- the tests (host side) -------------------------------------------------------


def _mirror_tree(root: pathlib.Path) -> None:
    """The host cwd of the child holds the names the machine's fixtures use,
    so a relative-path leak would hit (and change) them."""
    (root / "f").write_bytes(b"host file\n")
    (root / "f2").write_bytes(b"host file 2\n")
    (root / "d").mkdir()
    (root / "d" / "inner").write_bytes(b"host inner\n")
    (root / "e").mkdir()
    (root / "l").symlink_to("f")


@pytest.fixture(scope="module")
def leak_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    host = tmp_path_factory.mktemp("host-cwd")
    _mirror_tree(host)
    out = tmp_path_factory.mktemp("report") / "report.json"
    before = tree(str(host))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-X", "frozen_modules=off", __file__, "--report", str(out)]
        + ["--host-tree", str(host)],
        cwd=host,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    report["host_tree_changes"] = diff_state({"tree": before}, {"tree": tree(str(host))})
    report["host_cwd"] = str(host)
    return report


def _describe(items: list[dict[str, Any]], key: str) -> str:
    lines = []
    for item in items[:40]:
        where = " <- ".join(item["stack"][:4])
        lines.append(f"  {item['label']}: {item[key]} {item.get('args', '')}\n      at {where}")
    return "\n".join(lines)


def test_no_host_event_inside_the_machine(leak_report: dict[str, Any]) -> None:
    leaks = leak_report["leak_events"]
    assert not leaks, "host audit events inside the machine:\n" + _describe(leaks, "event")


def test_no_host_primitive_called_inside_the_machine(leak_report: dict[str, Any]) -> None:
    calls = leak_report["host_calls"]
    assert not calls, "host C functions called inside the machine:\n" + _describe(calls, "call")


def test_every_name_resolves_to_the_machine(leak_report: dict[str, Any]) -> None:
    bad = [
        f"{r['module']}.{r['name']}: {r['note'] or r['outcome']}"
        for r in leak_report["names"]
        if r["status"] == "LEAK"
    ]
    assert not bad, "names that reach the host:\n  " + "\n  ".join(bad)


def test_host_state_unchanged(leak_report: dict[str, Any]) -> None:
    assert leak_report["host_state_changes"] == []
    assert leak_report["host_tree_changes"] == []


def test_summary_is_sensible(leak_report: dict[str, Any]) -> None:
    summary = leak_report["summary"]
    print("\n" + summary_table(summary))
    status = {(r["module"], r["name"]): r["status"] for r in leak_report["names"]}
    assert summary["os"]["virtualised"] >= 100
    assert summary["os"]["ENOSYS"] >= 20
    assert summary["os"]["pure"] >= 100  # constants and host-pure helpers
    for module in ("shutil", "tempfile", "pathlib.Path"):
        assert summary[module]["virtualised"] >= 5, module
    expected = {
        ("os", "stat"): "virtualised",
        ("os", "open"): "virtualised",
        ("os", "environ"): "virtualised",
        ("os", "fork"): "ENOSYS",
        ("os", "system"): "virtualised",
        ("os", "execv"): "virtualised",
        ("os", "spawnv"): "virtualised",
        ("os", "fspath"): "pure",
        ("os", "O_RDONLY"): "pure",
        ("shutil", "copyfile"): "virtualised",
        ("shutil", "rmtree"): "virtualised",
        ("tempfile", "mkstemp"): "virtualised",
        ("tempfile", "gettempdir"): "virtualised",
        ("io", "open"): "virtualised",
        ("io", "BytesIO"): "pure",
        ("pathlib.Path", "read_text"): "virtualised",
        ("pathlib.Path", "iterdir"): "virtualised",
        ("pathlib.Path", "with_suffix"): "pure",
    }
    assert {k: status.get(k) for k in expected} == expected
    # Every name called got past argument parsing: a TypeError means the
    # probe table needs an entry for it.
    untried = [
        f"{r['module']}.{r['name']}"
        for r in leak_report["names"]
        if r["called"] and r["outcome"] == "raised TypeError" and r["status"] != "pure"
    ]
    assert untried == []
    # Python-level audit events are only ever the reviewed ones.
    assert {e for _label, e in leak_report["python_level_events"]} <= set(PYTHON_LEVEL_EVENTS)


def test_harmful_names_only_reached_as_stubs(leak_report: dict[str, Any]) -> None:
    """Names that would harm the host if they leaked were called only after
    inspection proved they dispatch to the machine's ENOSYS stub; the
    privileged ones osbox virtualises resolved to machine functions; _exit and
    abort were never called."""
    by_name = {r["name"]: r for r in leak_report["names"] if r["module"] == "os"}
    harmful = sorted(DANGEROUS & by_name.keys())
    assert len(harmful) >= 40
    stubs = [n for n in harmful if n not in PROCESS_MACHINE]
    assert {n: (by_name[n]["status"], by_name[n]["called"]) for n in stubs} == {
        n: ("ENOSYS", True) for n in stubs
    }
    # the process runtime's: machine functions (os.py's spawn* wrappers over
    # them may be probed; the audit hook and host-tree check cover those calls)
    procs = [n for n in harmful if n in PROCESS_MACHINE]
    assert {n: by_name[n]["status"] for n in procs} == dict.fromkeys(procs, "virtualised")
    privileged = sorted(PRIVILEGED_MACHINE & by_name.keys())
    assert {n: by_name[n]["status"] for n in privileged} == dict.fromkeys(privileged, "virtualised")
    assert (by_name["_exit"]["status"], by_name["_exit"]["called"]) == ("virtualised", False)
    assert (by_name["abort"]["status"], by_name["abort"]["called"]) == ("virtualised", False)


def test_docs_list_every_name(leak_report: dict[str, Any]) -> None:
    version = ".".join(leak_report["python"].split(".")[:2])
    try:
        with open(DOCS, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        pytest.fail(
            "docs/virtualised.md is missing: run python tests/unit/test_leaks.py --write-docs"
        )
    if f"(Python {version})" not in text:
        pytest.skip(f"docs/virtualised.md was generated for another Python than {version}")
    assert text == render_docs(leak_report), (
        "docs/virtualised.md is out of date: run python tests/unit/test_leaks.py --write-docs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--report", help="write the JSON report to this file")
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOCS}")
    parser.add_argument("--host-tree", help="a host directory that must not change")
    args = parser.parse_args(argv)
    return child_main(args.report, args.write_docs, args.host_tree)


if __name__ == "__main__":
    sys.exit(main())
