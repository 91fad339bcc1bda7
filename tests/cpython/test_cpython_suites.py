"""CPython's own test suites, run inside osbox machines against the real OS.

Each suite runs in a child process (``harness.py --suite NAME``): the harness
runs every test in-process inside a patched machine, and a test that escapes
the machine (closing host fds, say) must not take pytest's own fds with it.
See ``harness.py`` for what passes and fails, and ``expected_failures.txt``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from . import harness

REPO = harness.HERE.parent.parent


def test_cpython_test_package_is_present() -> None:
    """Without the interpreter's ``test`` package the suites would test
    nothing: that is a failure, never a skip."""
    for name in harness.SUITES:
        harness.import_suite(name)


def test_expected_failures_file_is_well_formed() -> None:
    expected = harness.load_expected()
    for test_id in expected:
        module = test_id.rsplit(".", 2)[0]
        assert module in harness.SUITES, f"{test_id}: not a test of a harness suite"


@pytest.mark.parametrize("suite", list(harness.SUITES))
def test_cpython_suite(suite: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(harness.HERE / "harness.py"), "--suite", suite, "-v"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    report = proc.stdout[-30000:] + ("\n--- stderr\n" + proc.stderr[-10000:] if proc.stderr else "")
    print(report)
    assert proc.returncode == 0, report
    assert proc.stdout.rstrip().splitlines()[-1].endswith(" 0 failed"), report
