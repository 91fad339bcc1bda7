"""The pytest plugin: the fixture patches the test body only, markers choose
the store, and failures are reported with their source lines."""

from __future__ import annotations

import os
import pathlib
import textwrap

import pytest

from osbox import Machine

pytest_plugins = ["pytester"]


def test_machine_fixture_patches_the_test_body(machine: Machine) -> None:
    os.makedirs("/srv/app")
    pathlib.Path("/srv/app/x").write_text("1")
    assert machine.os.listdir("/srv/app") == ["x"]
    assert os.getpid() == 1


def test_machine_is_fresh_per_test(machine: Machine) -> None:
    assert not os.path.exists("/srv")
    assert os.getpid() == 1


@pytest.mark.osbox(store="sqlite", cpu_count=3, uname={"nodename": "ci"})
def test_marker_chooses_store_and_identity(machine: Machine) -> None:
    assert machine.path is not None and machine.path.endswith("machine.db")
    assert os.cpu_count() == 3
    assert os.uname().nodename == "ci"


def test_failure_is_reported_with_its_source_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "def pytest_configure(config):\n"
        "    if not config.pluginmanager.has_plugin('osbox'):\n"
        "        from osbox import pytest_plugin\n"
        "        config.pluginmanager.register(pytest_plugin, 'osbox')\n"
    )
    pytester.makepyfile(
        test_inside=textwrap.dedent(
            """
            import os

            def test_fails(machine):
                os.mkdir("/data")
                value = len(os.listdir("/data"))
                assert value == 42, "the machine's /data is empty"
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert value == 42*",
            "*the machine's /data is empty*",
            "*test_inside.py:6: AssertionError*",
        ]
    )
