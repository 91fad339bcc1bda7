"""Run CPython's own test suites inside an osbox machine, and on the real OS.

Usage::

    python tests/cpython/harness.py [--real] [--suite NAME]... [-v] [--timeout S]
                                    [--json PATH] [--list-failures]

The suites are the interpreter's own ``test`` package (``test.test_os``,
``test.test_shutil``...), imported once on the host. Each selected test then
runs on its own, as a complete unittest run of one test (module and class
fixtures included), in a fresh empty current directory:

* **machine** (the default): a fresh ``osbox.Machine()`` per test, cwd
  ``/work/<n>`` inside it, the whole run inside ``machine.patch()``;
* **real** (the oracle, Linux on tmpfs): cwd a fresh directory under
  ``/dev/shm``, ``tempfile.tempdir`` another one beside it.

By default both run, the real OS first. A test *fails in osbox* when it
passes on the real OS but fails, errors or is skipped inside the machine.
Such a test must be listed, with its reason, in ``expected_failures.txt``;
the run fails on an unlisted one (a regression) and on a listed one that now
passes (the list only shrinks). Tests that fail or skip on the real OS too are
not osbox failures. The last line of output is ``N passed, N failed`` (tests
passing inside the machine, unexpected osbox failures).

``--real`` runs only the oracle and reports its counts.

The host is watched: the process's own cwd during machine runs is an empty
directory that must stay empty, new entries in ``/tmp`` and ``/dev/shm`` that
also exist in the test's machine are leaks, every free host fd below 64 holds
/dev/null during machine runs so that a host call made with a virtual fd
number hits a guard (and closing one is reported as a leak), and the launch
directory, ``/tmp`` and ``/dev/shm`` are compared before and after the whole
run. A host leak fails the test.

Run from pytest by ``test_cpython_suites.py`` (one child process per suite).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import unittest
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
EXPECTED_FAILURES = HERE / "expected_failures.txt"
TMPFS = "/dev/shm"
DEFAULT_TIMEOUT = 30.0
TIMEOUT_GRACE = 5
GUARD_FDS = 64  # host fds below this are held open during machine runs (see start)

# The TestCase classes run from each suite, by name. Left out on purpose: the
# Windows-only and macOS-only classes and, in test_os, the classes about
# processes, signals, terminals, random numbers and scheduling (not the
# filesystem).
SUITES: dict[str, tuple[str, ...]] = {
    "test.test_os": (
        "MiscTests",
        "FileTests",
        "StatAttributeTests",
        "UtimeTests",
        "EnvironTests",
        "WalkTests",
        "FwalkTests",
        "BytesWalkTests",
        "BytesFwalkTests",
        "MakedirTests",
        "ChownFileTests",
        "RemoveDirsTests",
        "DevNullTests",
        "TestInvalidFD",
        "LinkTests",
        "PosixUidGidTests",
        "Pep383Tests",
        "ReadlinkTests",
        "NonLocalSymlinkTests",
        "FSEncodingTests",
        "DeviceEncodingTests",
        "TestSendfile",
        "ExtendedAttributeTests",
        "OSErrorTests",
        "FDInheritanceTests",
        "PathTConverterTests",
        "BlockingTests",
        "ExportsTests",
        "TestDirEntry",
        "TestScandir",
        "TestPEP519",
        "TestPEP519PurePython",
    ),
    "test.test_posixpath": ("PosixPathTest", "PosixCommonTest", "PathLikeTests"),
    "test.test_genericpath": ("TestGenericTest", "PathLikeTests"),
    "test.test_glob": ("GlobTests", "SymlinkLoopGlobTests"),
    "test.test_shutil": (
        "TestRmTree",
        "TestCopyTree",
        "TestCopy",
        "TestCopyFile",
        "TestCopyFileObj",
        "TestZeroCopySendfile",
        "TestArchives",
        "TestMisc",
        "TestWhich",
        "TestWhichBytes",
        "TestMove",
    ),
    "test.test_tempfile": (
        "TestLowLevelInternals",
        "TestExports",
        "TestRandomNameSequence",
        "TestCandidateTempdirList",
        "TestGetDefaultTempdir",
        "TestGetCandidateNames",
        "TestMkstempInner",
        "TestGetTempPrefix",
        "TestGetTempDir",
        "TestMkstemp",
        "TestMkdtemp",
        "TestMktemp",
        "TestNamedTemporaryFile",
        "TestSpooledTemporaryFile",
        "TestTemporaryFile",
        "TestTemporaryDirectory",
    ),
    "test.test_pathlib": (
        "PosixFlavourTest",
        "NTFlavourTest",
        "PurePosixPathTest",
        "PureWindowsPathTest",
        "PurePathTest",
        "PosixPathAsPureTest",
        "PathTest",
        "PosixPathTest",
        "CompatiblePathTest",
    ),
}

PASS, FAIL, SKIP = "pass", "fail", "skip"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class HarnessError(Exception):
    """The harness cannot run (the interpreter's test package is missing...)."""


class TestTimeout(BaseException):
    """Raised in a test that outlives its time (a BaseException, so that the
    test's own ``except Exception`` does not swallow it)."""

    __test__ = False  # not a pytest test class


# -- suite selection ------------------------------------------------------------------


def suite_name(name: str) -> str:
    """``os``, ``test_os`` or ``test.test_os`` -> ``test.test_os``."""
    short = name.removeprefix("test.").removeprefix("test_")
    full = f"test.test_{short}"
    if full not in SUITES:
        raise HarnessError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    return full


def import_suite(module_name: str) -> ModuleType:
    """Import one suite on the host. A missing ``test`` package is an error,
    never a skip: the harness would silently test nothing."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise HarnessError(
            f"cannot import {module_name} ({exc}): this interpreter lacks CPython's "
            "test package (Debian: apt-get install libpython3.11-testsuite)"
        ) from exc


def collect(module: ModuleType) -> list[tuple[type[unittest.TestCase], str]]:
    """The selected tests of ``module`` as (class, method name), in a stable
    order. Instances are made per run, inside the environment: some cannot
    run twice, and IsolatedAsyncioTestCase captures its context at creation."""
    loader = unittest.TestLoader()
    tests: list[tuple[type[unittest.TestCase], str]] = []
    for class_name in SUITES[module.__name__]:
        cls = getattr(module, class_name, None)
        if cls is None:
            raise HarnessError(f"{module.__name__} has no class {class_name}")
        for method in loader.getTestCaseNames(cls):
            tests.append((cls, method))
    return tests


# -- one test -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one test did in one environment."""

    test_id: str
    status: str  # PASS, FAIL or SKIP
    detail: str = ""  # the skip reason, or the first line of each error
    traceback: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # unraisable exceptions...


@dataclass
class _Error:
    """One error of a test, kept without its frames."""

    kind: str  # error, failure, subtest, setUpClass, timeout, host leak...
    where: str  # the subtest's description, or what leaked
    summary: str = ""  # "ExcType: first line of the message"
    tb: traceback.TracebackException | None = None


def _error(kind: str, err: ExcInfo | None, where: str = "") -> _Error:
    """Capture ``err`` while the test runs (in the machine): without reading
    any source line (the files are the host's; ``format`` reads them later,
    on the host) and without keeping the test's frames alive (objects they
    hold must be finalized inside the machine, not on the host later)."""
    if err is None:
        return _Error(kind, where)
    exc = err[1]
    text = str(exc).strip().splitlines()
    summary = f"{type(exc).__name__}: {text[0] if text else ''}".strip()
    tb = traceback.TracebackException(*err, lookup_lines=False)
    return _Error(kind, where, summary, tb)


class _Recorder(unittest.TestResult):
    """What one test did, kept as ``_Error``s."""

    def __init__(self) -> None:
        super().__init__()
        self.errors_: list[_Error] = []
        self.skip_reason: str | None = None
        self.notes: list[str] = []

    def addError(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        self.errors_.append(_error("error", err))

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        self.errors_.append(_error("failure", err))

    def addSubTest(  # noqa: N802
        self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any
    ) -> None:
        if err is not None:
            self.errors_.append(_error("subtest", err, subtest._subDescription()))  # type: ignore[attr-defined]

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:  # noqa: N802
        if isinstance(test, unittest.case._SubTest):  # type: ignore[attr-defined]
            return  # a skipped subtest does not skip the test
        self.skip_reason = reason

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        pass

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802
        self.errors_.append(_Error("unexpected success", ""))

    def add_exception(self, kind: str, exc: BaseException) -> None:
        self.errors_.append(_error(kind, (type(exc), exc, exc.__traceback__)))

    def add_leak(self, what: str) -> None:
        self.errors_.append(_Error("host leak", what))


def _run_fixtures_and_test(cls: type[unittest.TestCase], method: str, rec: _Recorder) -> None:
    """One test as a complete unittest run: module and class fixtures around
    it, so every test starts from nothing in its fresh directory."""
    test = cls(method)
    module = sys.modules[cls.__module__]
    if getattr(cls, "__unittest_skip__", False):
        rec.skip_reason = getattr(cls, "__unittest_skip_why__", "")
        return
    set_up_module = getattr(module, "setUpModule", None)
    tear_down_module = getattr(module, "tearDownModule", None)
    try:
        if set_up_module is not None:
            set_up_module()
        try:
            cls.setUpClass()
        except unittest.SkipTest as exc:
            rec.skip_reason = str(exc)
            return
        except Exception as exc:
            rec.add_exception("setUpClass", exc)
            return
        finally:
            if rec.skip_reason is not None or rec.errors_:
                cls.doClassCleanups()
        try:
            test.run(rec)
        finally:
            try:
                cls.tearDownClass()
            except Exception as exc:
                rec.add_exception("tearDownClass", exc)
            cls.doClassCleanups()
            for exc_info in getattr(cls, "tearDown_exceptions", []):
                rec.errors_.append(_error("class cleanup", exc_info))
            cls.tearDown_exceptions = []  # type: ignore[attr-defined]
    finally:
        if tear_down_module is not None:
            try:
                tear_down_module()
            except Exception as exc:
                rec.add_exception("tearDownModule", exc)
        unittest.case.doModuleCleanups()


def _outcome(test_id: str, rec: _Recorder, seconds: float) -> Outcome:
    """Format what ``rec`` recorded (on the host: it reads source lines)."""
    if rec.errors_:
        details = []
        tbs = []
        for e in rec.errors_:
            where = f"{e.kind} {e.where}".strip() if e.tb is not None else e.kind
            details.append(f"[{where}] {e.summary or e.where}")
            if e.tb is not None:
                tbs.append(f"--- {where}\n" + "".join(e.tb.format()))
        return Outcome(test_id, FAIL, "; ".join(details), "\n".join(tbs), seconds, rec.notes)
    if rec.skip_reason is not None:
        return Outcome(test_id, SKIP, rec.skip_reason, "", seconds, rec.notes)
    return Outcome(test_id, PASS, "", "", seconds, rec.notes)


def _reset_support_caches() -> None:
    """test.support caches what the filesystem can do (symlinks, xattrs,
    chmod...) in module globals; each environment must answer for itself."""
    from test.support import os_helper

    for name in ("_can_symlink", "_can_xattr", "_can_chmod", "_can_dac_override"):
        if hasattr(os_helper, name):
            setattr(os_helper, name, None)


def _cwd_dependent_globals() -> None:
    """Module globals the suites compute from the cwd at import time (on the
    host): recompute them in the test's own cwd."""
    from test.support import os_helper

    posixpath_tests = sys.modules.get("test.test_posixpath")
    if posixpath_tests is not None:
        posixpath_tests.ABSTFN = os.path.abspath(os_helper.TESTFN)
    pathlib_tests = sys.modules.get("test.test_pathlib")
    if pathlib_tests is not None:
        pathlib_tests.BASE = os.path.realpath(os_helper.TESTFN)


@contextlib.contextmanager
def _unraisable_to(rec: _Recorder) -> Iterator[None]:
    """Keep exceptions raised in ``__del__`` & co. as notes of the test
    (printing them would read source lines inside the machine)."""

    def hook(u: Any) -> None:
        rec.notes.append(f"unraisable in {u.object!r}: {u.exc_type.__name__}: {u.exc_value}")

    saved = sys.unraisablehook
    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = saved


def _alarm_handler(timeout: float) -> Callable[[int, Any], None]:
    def on_alarm(signum: int, frame: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT_GRACE)  # should its cleanup hang too
        raise TestTimeout(f"timed out after {timeout:g}s (harness alarm): the test hung")

    return on_alarm


# -- environments -----------------------------------------------------------------------


class Environment:
    """Where tests run: the real OS or a fresh osbox machine per test."""

    kind = ""

    def __init__(self, base: str) -> None:
        self.base = base  # a host scratch directory on tmpfs, owned by the harness
        self.count = 0

    @contextlib.contextmanager
    def around(self, rec: _Recorder, cls: type[unittest.TestCase]) -> Iterator[None]:
        raise NotImplementedError
        yield

    def start(self) -> None:
        """Called before each suite runs here."""


class RealEnvironment(Environment):
    """The oracle: Linux on tmpfs, a fresh cwd and temp dir per test."""

    kind = "real"

    @contextlib.contextmanager
    def around(self, rec: _Recorder, cls: type[unittest.TestCase]) -> Iterator[None]:
        self.count += 1
        cwd = os.path.join(self.base, f"real-{self.count}")
        tmp = os.path.join(self.base, f"real-{self.count}.tmp")
        os.mkdir(cwd)
        os.mkdir(tmp)
        saved_cwd = os.getcwd()
        saved_env = dict(os.environ)
        saved_tempdir = tempfile.tempdir
        saved_umask = os.umask(0o022)
        os.chdir(cwd)
        tempfile.tempdir = tmp
        try:
            yield
        finally:
            os.chdir(saved_cwd)
            os.umask(saved_umask)
            tempfile.tempdir = saved_tempdir
            if dict(os.environ) != saved_env:
                os.environ.clear()
                os.environ.update(saved_env)
            for path in (cwd, tmp):
                _force_rmtree(path)


class MachineEnvironment(Environment):
    """A fresh in-memory machine per test, cwd ``/work/<n>`` inside it. The
    host process sits in an empty directory meanwhile; anything appearing
    there, or in /tmp or /dev/shm under a name the machine also has, leaked."""

    kind = "machine"

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.host_cwd = os.path.join(base, "host-cwd")
        os.mkdir(self.host_cwd)
        self._sources: dict[str, bytes] = {}
        self._host_fds: dict[str, str] = {}

    def start(self) -> None:
        """Before a suite: collect the garbage of earlier runs (it may hold
        host fds), then occupy every free host fd below ``GUARD_FDS`` with
        /dev/null. Virtual fds take the same small numbers, so a host call
        made with one (a missed rebinding) lands on a guard: harmless, and
        the same on every run, whatever else the host process has open."""
        gc.collect()
        while True:
            try:
                fd = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            except OSError:  # out of fds (a low RLIMIT_NOFILE)
                break
            if fd >= GUARD_FDS:
                os.close(fd)
                break
        self._host_fds = _open_fds()

    @contextlib.contextmanager
    def around(self, rec: _Recorder, cls: type[unittest.TestCase]) -> Iterator[None]:
        from osbox import Machine

        self.count += 1
        machine = Machine()
        self._seed(machine, sys.modules[cls.__module__])
        cwd = f"/work/{self.count}"
        machine.os.makedirs(cwd)
        machine.os.chdir(cwd)
        machine.os.umask(0o022)
        saved_cwd = os.getcwd()
        os.chdir(self.host_cwd)
        before = {d: set(os.listdir(d)) for d in ("/tmp", TMPFS)}
        try:
            with machine.patch():
                if os.getcwd() != cwd:  # the test would run on the host
                    raise HarnessError(f"patch() ineffective: os.getcwd() is {os.getcwd()!r}")
                yield
        finally:
            os.chdir(saved_cwd)
            leaks = self._leaks(machine, before) + self._closed_fds()
            machine.close()
            for leak in leaks:
                rec.add_leak(leak)

    def _seed(self, machine: Any, module: ModuleType) -> None:
        """Put the test module's own source file in the machine, at its host
        path: tests read ``__file__`` (as the interpreter's installation would
        be there on a real system)."""
        path = os.path.abspath(module.__file__ or "")
        data = self._sources.get(path)
        if data is None:
            with open(path, "rb") as f:
                data = self._sources[path] = f.read()
        machine.os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = machine.os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[machine.os.write(fd, view) :]
        finally:
            machine.os.close(fd)

    def _closed_fds(self) -> list[str]:
        """Host fds open before the test that it closed (a host call made with
        a virtual fd number); closed guards are put back."""
        now = _open_fds()
        leaks = []
        for fd, target in list(self._host_fds.items()):
            if now.get(fd) == target:
                continue
            leaks.append(f"closed host fd {fd} ({target})")
            if fd in now:  # reused since by a host object of the test: leave it
                del self._host_fds[fd]
            else:
                guard = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
                if guard != int(fd):
                    os.dup2(guard, int(fd), inheritable=False)
                    os.close(guard)
                self._host_fds[fd] = os.devnull
        return leaks

    def _leaks(self, machine: Any, before: dict[str, set[str]]) -> list[str]:
        leaks = []
        for name in os.listdir(self.host_cwd):
            leaks.append(f"created {name!r} in the host cwd")
            _force_rmtree(os.path.join(self.host_cwd, name))
        for directory, names in before.items():
            new = set(os.listdir(directory)) - names
            if not new:
                continue
            try:
                inside = set(machine.os.listdir(directory))
            except OSError:
                inside = set()
            for name in sorted(new & inside):
                leaks.append(f"created {os.path.join(directory, name)!r} on the host")
        return leaks


def _open_fds() -> dict[str, str]:
    """The host process's open fds below ``GUARD_FDS`` and what they are."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        if int(fd) < GUARD_FDS:
            with contextlib.suppress(OSError):
                fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return fds


def _force_rmtree(path: str) -> None:
    """Remove ``path`` whatever modes a test left inside."""

    def fix(func: Callable[..., Any], p: str, exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
        with contextlib.suppress(OSError):
            func(p)

    if os.path.islink(path) or not os.path.isdir(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    shutil.rmtree(path, onerror=fix)


def test_id(cls: type[unittest.TestCase], method: str) -> str:
    return f"{cls.__module__}.{cls.__qualname__}.{method}"


class HostCallTracer:
    """``--trace-host-calls``: while machine tests run, note every call of a
    host C function that touches host state (``posix``, ``fcntl``, ``select``,
    ``io.open``/``open_code``, socket methods) made from outside osbox: what
    escapes the machine even in tests that pass. The import system's own
    host reads are expected (modules import from the host)."""

    def __init__(self) -> None:
        import _socket
        import fcntl
        import posix
        import select

        from osbox.api.osmodule import HOST_PURE

        pure = set(HOST_PURE) | {"_path_normpath", "fspath", "get_terminal_size", "getpid"}
        self._watched: dict[int, str] = {}
        for modname, mod in (("posix", posix), ("fcntl", fcntl), ("select", select)):
            for name in dir(mod):
                f = getattr(mod, name)
                if callable(f) and not isinstance(f, type) and name not in pure:
                    self._watched[id(f)] = f"{modname}.{name}"
        self._watched[id(io.open)] = "io.open"
        self._watched[id(io.open_code)] = "io.open_code"
        self._socket = _socket.socket
        self.hits: dict[tuple[str, str], set[str]] = {}
        self._test = ""

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event != "c_call":
            return
        name = self._watched.get(id(arg))
        if name is None:
            if not isinstance(getattr(arg, "__self__", None), self._socket):
                return
            name = f"socket.{arg.__name__}"
        filename = frame.f_code.co_filename
        if "/osbox/" in filename or filename == __file__ or "/unittest/" in filename:
            return
        where = f"{os.path.basename(filename)}:{frame.f_lineno}"
        self.hits.setdefault((name, where), set()).add(self._test)

    @contextlib.contextmanager
    def tracing(self, test: str) -> Iterator[None]:
        self._test = test
        sys.setprofile(self._profile)
        try:
            yield
        finally:
            sys.setprofile(None)

    def render(self, out: TextIO) -> None:
        out.write("\nhost calls made by machine tests (calls, function, call site, a test):\n")
        for (name, where), tests in sorted(self.hits.items(), key=lambda kv: -len(kv[1])):
            out.write(f"  {len(tests):4d}  {name:24s} {where:44s} {min(tests)}\n")


def run_test(
    cls: type[unittest.TestCase],
    method: str,
    env: Environment,
    timeout: float,
    tracer: HostCallTracer | None = None,
) -> Outcome:
    """Run one test in ``env`` with an alarm of ``timeout`` seconds."""
    rec = _Recorder()
    traced = (
        tracer.tracing(test_id(cls, method))
        if tracer is not None and env.kind == "machine"
        else contextlib.nullcontext()
    )
    use_alarm = timeout > 0 and hasattr(signal, "SIGALRM")
    old_handler: Any = None
    if use_alarm:
        old_handler = signal.signal(signal.SIGALRM, _alarm_handler(timeout))
    start = time.perf_counter()
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        with env.around(rec, cls):
            _reset_support_caches()
            _cwd_dependent_globals()
            with warnings.catch_warnings(), _unraisable_to(rec), traced:
                warnings.simplefilter("ignore")
                _run_fixtures_and_test(cls, method, rec)
                gc.collect()  # finalize the test's objects here, in its environment
    except TestTimeout as exc:
        rec.add_exception("timeout", exc)
    except Exception as exc:
        rec.add_exception("harness", exc)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
    seconds = time.perf_counter() - start
    return _outcome(test_id(cls, method), rec, seconds)


# -- expected failures ------------------------------------------------------------------

_LINE = re.compile(r"^(?P<id>\S+)\s+#\s*(?P<reason>\S.*)$")


def load_expected(path: Path = EXPECTED_FAILURES) -> dict[str, str]:
    """``test id -> reason`` from the expected-failures file. Every entry
    needs a reason; blank lines and whole-line comments are ignored."""
    expected: dict[str, str] = {}
    if not path.exists():
        return expected
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise HarnessError(f"{path}:{number}: want 'test.id  # reason', got {raw!r}")
        if match["id"] in expected:
            raise HarnessError(f"{path}:{number}: {match['id']} listed twice")
        expected[match["id"]] = match["reason"].strip()
    return expected


# -- a run ------------------------------------------------------------------------------


@dataclass
class SuiteReport:
    name: str
    machine: dict[str, Outcome] = field(default_factory=dict)
    real: dict[str, Outcome] = field(default_factory=dict)
    expected: list[str] = field(default_factory=list)  # listed osbox failures seen
    unexpected: list[str] = field(default_factory=list)  # unlisted osbox failures
    now_passing: list[str] = field(default_factory=list)  # listed, yet they pass

    @staticmethod
    def _count(results: dict[str, Outcome], status: str) -> int:
        return sum(1 for o in results.values() if o.status == status)

    def counts(self, which: str) -> tuple[int, int, int]:
        results = self.machine if which == "machine" else self.real
        return (
            self._count(results, PASS),
            self._count(results, FAIL),
            self._count(results, SKIP),
        )


@dataclass
class Report:
    suites: list[SuiteReport]
    machine_ran: bool
    real_ran: bool
    host_changes: list[str] = field(default_factory=list)
    not_collected: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        which = "machine" if self.machine_ran else "real"
        return sum(s.counts(which)[0] for s in self.suites)

    @property
    def failed(self) -> int:
        if self.machine_ran:
            return sum(len(s.unexpected) for s in self.suites)
        return sum(s.counts("real")[1] for s in self.suites)

    @property
    def ok(self) -> bool:
        if not self.machine_ran:
            return True
        return self.failed == 0 and not any(s.now_passing for s in self.suites)

    def osbox_failures(self) -> list[Outcome]:
        """Every test that passes on the real OS but not in the machine."""
        out = []
        for suite in self.suites:
            for test_id in suite.expected + suite.unexpected:
                out.append(suite.machine[test_id])
        return out

    def render(self, out: TextIO, verbose: bool = False) -> None:
        """The summary; its last line is ``N passed, N failed``."""
        w = out.write
        for suite in self.suites:
            for test_id in suite.unexpected:
                o = suite.machine[test_id]
                w(f"\nUNEXPECTED osbox failure: {test_id} ({o.status})\n    {o.detail}\n")
                if verbose and o.traceback:
                    w(o.traceback + "\n")
        for suite in self.suites:
            for test_id in suite.now_passing:
                w(f"now passing, remove from list: {test_id}\n")
        if self.not_collected:
            w("\nlisted in the expected failures but not collected (other Python version?):\n")
            for test_id in self.not_collected:
                w(f"    {test_id}\n")
        if self.host_changes:
            w("\nhost directories changed during the run (other processes may account for it):\n")
            for change in self.host_changes:
                w(f"    {change}\n")
        w("\nper suite: machine pass/fail/skip/expected-failures | real pass/fail/skip\n")
        for suite in self.suites:
            mp, mf, ms = suite.counts("machine")
            rp, rf, rs = suite.counts("real")
            xf = len(suite.expected)
            machine = f"{mp:4d} {mf:4d} {ms:4d} {xf:4d}" if self.machine_ran else "-"
            real = f"{rp:4d} {rf:4d} {rs:4d}" if self.real_ran else "-"
            w(f"  {suite.name:22s} machine {machine:19s} | real {real}\n")
        w(f"({self.seconds:.1f}s)\n")
        w(f"{self.passed} passed, {self.failed} failed\n")


def _snapshot(dirs: Iterable[str], exclude: str) -> dict[str, set[str]]:
    snap = {}
    for d in dirs:
        with contextlib.suppress(OSError):
            snap[d] = {n for n in os.listdir(d) if os.path.join(d, n) != exclude}
    return snap


def _compare(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    changes = []
    for d, names in before.items():
        now = after.get(d, set())
        changes += [f"new in {d}: {n}" for n in sorted(now - names)]
        changes += [f"gone from {d}: {n}" for n in sorted(names - now)]
    return changes


def run(
    suites: Iterable[str] | None = None,
    *,
    machine: bool = True,
    real: bool = True,
    verbose: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    expected_path: Path = EXPECTED_FAILURES,
    out: TextIO | None = None,
    keyword: str | None = None,
    tracer: HostCallTracer | None = None,
) -> Report:
    """Run ``suites`` (all by default) on the real OS and/or in machines."""
    out = out if out is not None else sys.stdout
    names = [suite_name(s) for s in suites] if suites else list(SUITES)
    expected = load_expected(expected_path) if machine else {}
    started = time.perf_counter()
    launch = os.getcwd()
    base = tempfile.mkdtemp(prefix="osbox-cpython-", dir=TMPFS if os.path.isdir(TMPFS) else None)
    watched = [launch, "/tmp", TMPFS]
    before = _snapshot(watched, base)
    report = Report([], machine_ran=machine, real_ran=real)
    try:
        # Import on the host, in a scratch cwd: import-time probes (can_symlink...)
        # create files in the cwd.
        os.chdir(base)
        modules = [import_suite(n) for n in names]
        gc.collect()
        gc.freeze()  # the per-test gc.collect() then only scans what tests make
        envs: list[Environment] = []
        if real:
            envs.append(RealEnvironment(base))
        if machine:
            envs.append(MachineEnvironment(base))
        for module in modules:
            suite = SuiteReport(module.__name__)
            report.suites.append(suite)
            for env in envs:
                tests = [
                    (c, m) for c, m in collect(module) if not keyword or keyword in test_id(c, m)
                ]
                results = suite.real if env.kind == "real" else suite.machine
                t0 = time.perf_counter()
                env.start()
                for cls, method in tests:
                    outcome = run_test(cls, method, env, timeout, tracer)
                    results[outcome.test_id] = outcome
                    if verbose:
                        line = f"[{env.kind}] {outcome.test_id} ... {outcome.status}"
                        if outcome.detail:
                            line += f": {outcome.detail[:200]}"
                        out.write(line + "\n")
                        if outcome.traceback and verbose > 1:
                            out.write(outcome.traceback + "\n")
                p, f, s = suite.counts(env.kind)
                out.write(
                    f"{module.__name__} [{env.kind}]: {p} passed, {f} failed, {s} skipped "
                    f"({time.perf_counter() - t0:.1f}s)\n"
                )
                out.flush()
            if machine:
                _classify(suite, expected, real)
        if machine:
            collected = {i for s in report.suites for i in s.machine}
            report.not_collected = sorted(
                i for i in expected if i.rsplit(".", 2)[0] in names and i not in collected
            )
    finally:
        gc.unfreeze()
        os.chdir(launch)
        _force_rmtree(base)
    report.host_changes = _compare(before, _snapshot(watched, base))
    report.seconds = time.perf_counter() - started
    return report


def _classify(suite: SuiteReport, expected: dict[str, str], with_oracle: bool) -> None:
    for test_id, outcome in suite.machine.items():
        listed = test_id in expected
        if outcome.status == PASS:
            if listed:
                suite.now_passing.append(test_id)
            continue
        oracle = suite.real.get(test_id)
        if with_oracle and (oracle is None or oracle.status != PASS):
            continue  # fails or skips on Linux too: not an osbox failure
        if outcome.status == SKIP:
            outcome.detail = f"skipped in the machine only: {outcome.detail}"
        (suite.expected if listed else suite.unexpected).append(test_id)


def _json(report: Report, path: str) -> None:
    data = {
        s.name: {
            kind: {i: vars(o) for i, o in results.items()}
            for kind, results in (("machine", s.machine), ("real", s.real))
        }
        for s in report.suites
    }
    Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", action="store_true", help="run only on the real OS")
    parser.add_argument(
        "--no-oracle",
        action="store_true",
        help="run only in the machine (every machine failure then counts)",
    )
    parser.add_argument("--suite", action="append", help="os, shutil, test_glob... (repeatable)")
    parser.add_argument("-k", metavar="TEXT", help="only the tests whose id contains TEXT")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: every outcome and the unexpected failures' tracebacks; -vv: every traceback",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per test")
    parser.add_argument("--json", metavar="PATH", help="write every outcome to PATH")
    parser.add_argument(
        "--list-failures",
        action="store_true",
        help="print the osbox failures in the expected-failures format",
    )
    parser.add_argument(
        "--trace-host-calls",
        action="store_true",
        help="list the host C calls machine tests make from outside osbox (slower)",
    )
    args = parser.parse_args(argv)
    try:
        tracer = HostCallTracer() if args.trace_host_calls else None
        report = run(
            args.suite,
            machine=not args.real,
            real=not args.no_oracle,
            verbose=args.verbose,
            timeout=args.timeout,
            keyword=args.k,
            tracer=tracer,
        )
    except HarnessError as exc:
        print(f"HARNESS ERROR: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _json(report, args.json)
    if args.list_failures:
        for o in report.osbox_failures():
            print(f"{o.test_id}  # {o.detail[:150]}")
    if tracer is not None:
        tracer.render(sys.stdout)
    report.render(sys.stdout, args.verbose > 0)
    return 0 if report.ok else 1


if __name__ == "__main__":
    try:
        import osbox  # noqa: F401
    except ImportError:  # running from a source tree without an installed osbox
        sys.path.insert(0, str(HERE.parent.parent / "src"))
    sys.exit(main())
