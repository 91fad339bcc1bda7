"""The per-process part of ``sys`` in a Python guest: ``sys.executable``,
``prefix``, ``exec_prefix`` and ``path`` are computed for the guest as
CPython's ``getpath`` does (a venv made in the machine is a venv there),
and the host's ``sys`` is never changed. The host's venv is the oracle."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from osbox import Machine

SHOW = (
    "import sys; print(sys.prefix); print(sys.exec_prefix); print(sys.executable); print(sys.path)"
)


def _host_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def test_venv_made_in_the_machine_is_a_venv_there(tmp_path: Path) -> None:
    venv = str(tmp_path / "venv")
    env = _host_env()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, env=env)
    host = subprocess.run(
        [f"{venv}/bin/python", "-c", SHOW], capture_output=True, env=env, check=True, cwd="/"
    )
    with Machine() as m:
        m.os.makedirs(str(tmp_path))
        made = m.run(["python3", "-m", "venv", "--without-pip", venv])
        assert (made.returncode, made.stdout, made.stderr) == (0, b"", b"")
        r = m.run([f"{venv}/bin/python", "-c", SHOW], cwd="/")
        assert (r.returncode, r.stdout.decode(), r.stderr) == (0, host.stdout.decode(), b"")
        with m.open(f"{venv}/pyvenv.cfg") as f:
            cfg = dict(line.split(" = ", 1) for line in f.read().splitlines())
        assert cfg["home"] == os.path.dirname(sys._base_executable)  # type: ignore[attr-defined]
        assert cfg["include-system-site-packages"] == "false"
        # run as a relative path, sys.executable is still absolute (not resolved)
        r = m.run(
            ["sh", "-c", f"cd {venv} && ./bin/python3 -c 'import sys; print(sys.executable)'"]
        )
        assert r.stdout.decode() == f"{venv}/bin/python3\n"
    assert not os.path.exists(os.path.join(venv, "lib", "nothing"))  # the host venv is separate


def test_guest_sys_path_starts_as_cpythons(tmp_path: Path) -> None:
    with Machine() as m:
        m.os.makedirs("/work/pkg")
        with m.open("/work/pkg/helper.py", "w") as f:
            f.write("VALUE = 'from the machine'\n")
        with m.open("/work/pkg/main.py", "w") as f:
            f.write("import sys, helper\nprint(repr(sys.path[0]), helper.VALUE)\n")
        r = m.run(["python3", "/work/pkg/main.py"], cwd="/")
        assert r.stdout.decode() == "'/work/pkg' from the machine\n", r.stderr
        r = m.run(
            ["python3", "-c", "import sys, helper; print(repr(sys.path[0]))"], cwd="/work/pkg"
        )
        assert r.stdout.decode() == "''\n", r.stderr


def test_host_sys_is_untouched_by_guests() -> None:
    before = (sys.prefix, sys.exec_prefix, sys.executable, list(sys.path), type(sys))
    with Machine() as m:
        code = "import sys; sys.path = ['/nowhere']; sys.prefix = '/x'; print(sys.path, sys.prefix)"
        r = m.run(["python3", "-c", code])
        assert r.stdout == b"['/nowhere'] /x\n"
    assert (sys.prefix, sys.exec_prefix, sys.executable, list(sys.path), type(sys)) == before
    assert type(sys) is types.ModuleType


def test_threads_of_a_guest_write_to_its_streams_and_see_its_sys() -> None:
    code = (
        "import sys, threading\n"
        "def run():\n"
        "    print('from a thread', repr(sys.path[0]), sys.executable)\n"
        "t = threading.Thread(target=run)\n"
        "t.start()\n"
        "t.join()\n"
    )
    with Machine() as m:
        r = m.run(["python3", "-c", code])
        assert (r.returncode, r.stdout, r.stderr) == (
            0,
            b"from a thread '' /usr/bin/python3\n",
            b"",
        )


# warnings filters are the host interpreter's (shared): under this suite's
# "error" filter pip's own DeprecationWarning (pkg_resources) would be fatal
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_venv_with_pip_inside_the_machine() -> None:
    """The issue's must-show: ``python3 -m venv /venv`` runs ensurepip as a
    subprocess (its bundled wheels read from the host stdlib, pip imported
    from the wheel stored in the machine) and pip lands in /venv."""
    import ensurepip
    import logging

    host_bin = sorted(os.listdir(os.path.join(sys.prefix, "bin")))
    meta_path, handlers, level = (
        list(sys.meta_path),
        list(logging.root.handlers),
        logging.root.level,
    )
    had_pip = "pip" in sys.modules
    with Machine() as m:
        r = m.sh("python3 -m venv /venv")
        assert (r.returncode, r.stderr) == (0, b""), r.stderr
        r = m.sh("/venv/bin/python -c 'import sys; print(sys.prefix)'; /venv/bin/pip --version")
        assert r.returncode == 0, r.stderr
        v = f"{sys.version_info[0]}.{sys.version_info[1]}"
        assert r.stdout.decode() == (
            f"/venv\npip {ensurepip.version()} from /venv/lib/python{v}/site-packages/pip "
            f"(python {v})\n"
        )
        assert {"pip", "pip3", f"pip{v}", "python"} <= set(m.os.listdir("/venv/bin"))
    # the host: nothing written, no module, finder or log handler left behind
    assert sorted(os.listdir(os.path.join(sys.prefix, "bin"))) == host_bin
    assert ("pip" in sys.modules) == had_pip
    assert sys.meta_path == meta_path
    assert (logging.root.handlers, logging.root.level) == (handlers, level)


def test_package_data_of_host_packages_reads_the_host_read_only() -> None:
    import errno
    import importlib.resources
    import json

    source = Path(json.__file__).read_text()
    with Machine() as m, m.patch():
        files = importlib.resources.files("json")
        assert files.joinpath("__init__.py").read_text() == source
        assert "decoder.py" in [p.name for p in files.iterdir()]
        try:
            files.joinpath("new.txt").open("w")
        except OSError as e:
            assert e.errno == errno.EROFS
        else:
            raise AssertionError("a host package's data opened for writing")
        # an open() of the same path is the machine's, where it does not exist
        assert not os.path.exists(json.__file__)


def test_import_from_a_zip_stored_in_the_machine() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("zpkg/__init__.py", "from . import inner\n")
        z.writestr("zpkg/inner.py", "VALUE = 42\n")
        z.writestr("zpkg/data.txt", "payload")
    code = (
        "import sys, importlib.resources\n"
        "sys.path.insert(0, '/lib/z.whl')\n"
        "import zpkg\n"
        "print(zpkg.inner.VALUE, zpkg.__file__,\n"
        "      importlib.resources.files('zpkg').joinpath('data.txt').read_text())\n"
    )
    with Machine() as m:
        m.os.makedirs("/lib", exist_ok=True)
        with m.open("/lib/z.whl", "wb") as f:
            f.write(buf.getvalue())
        r = m.run(["python3", "-c", code])
        assert (r.returncode, r.stdout, r.stderr) == (
            0,
            b"42 /lib/z.whl/zpkg/__init__.py payload\n",
            b"",
        )
    assert "zpkg" not in sys.modules


def test_assigning_sys_streams_is_the_guests_own(tmp_path: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    print('hidden')\n"
        "print('got', repr(buf.getvalue()))\n"
        "sys.stdout = open('o.txt', 'w')\n"
        "print('to file')\n"
        "sys.stdout.close()\n"
        "sys.stdout = sys.__stdout__\n"
        "print(open('o.txt').read().strip(), sys.argv, sys.stderr is sys.__stderr__)\n"
    )
    host = subprocess.run(
        [sys.executable, "-c", code, "a1"], capture_output=True, env=_host_env(), cwd=tmp_path
    )
    before = (sys.stdout, sys.stderr, sys.argv)
    with Machine() as m:
        r = m.run(["python3", "-c", code, "a1"], cwd="/tmp")
    assert (r.returncode, r.stdout, r.stderr) == (host.returncode, host.stdout, host.stderr)
    assert r.stdout == b"got 'hidden\\n'\nto file ['-c', 'a1'] True\n"
    assert (sys.stdout, sys.stderr, sys.argv) == before
