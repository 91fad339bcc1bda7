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


def test_put_and_get_copy_host_trees(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f.txt").write_text("hello")
    os.chmod(src / "sub" / "f.txt", 0o640)
    os.utime(src / "sub" / "f.txt", ns=(1_000_000_000, 2_000_000_123))
    (src / "link").symlink_to("sub/f.txt")
    with Machine() as m:
        m.os.mkdir("/srv")
        assert m.put(str(src), "/srv") == "/srv/src"  # into a directory, as cp -a
        st = m.os.stat("/srv/src/sub/f.txt")
        assert (st.st_mode & 0o777, st.st_mtime_ns) == (0o640, 2_000_000_123)
        assert m.os.readlink("/srv/src/link") == "sub/f.txt"
        m.os.mkdir("/srv/src/new")
        out = tmp_path / "out"
        out.mkdir()
        assert m.get("/srv/src", str(out)) == str(out / "src")
    assert (out / "src" / "sub" / "f.txt").read_text() == "hello"
    assert (out / "src" / "new").is_dir()
    with Machine() as m, pytest.raises(OSError):
        m.put(str(tmp_path / "missing"), "/srv")
