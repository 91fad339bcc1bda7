"""Real programs run inside a machine through ``osbox run -m`` and behave as
on the host: the stdlib's zipfile, tarfile, compileall and json.tool command
lines, and pip installing a wheel.

Each test builds a host tree, copies it into a SQLite machine with ``osbox
put`` under a unique ``/srv/osbox-e2e-<uuid>``, runs the program there in a
real ``python -m osbox`` process, runs the same program on the host on the
host tree (the same relative layout under ``tmp_path/host``) and compares
outputs, archives and the trees they leave. Every test ends by checking that
the machine paths never appeared on the host.
"""

from __future__ import annotations

import base64
import bz2
import grp
import gzip
import hashlib
import importlib.util
import lzma
import marshal
import os
import pwd
import stat
import subprocess
import sys
import types
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import osbox

SRC = str(Path(__file__).resolve().parents[2] / "src")

# 2001-09-09 01:46:40.123456789 UTC: after 1980 (zip), with nanoseconds
MTIME_NS = 1_000_000_000_123_456_789
UMASK = 0o022  # a fresh machine's; host programs run with it too
TIMEOUT = 120


# -- running programs -----------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OSBOX_MACHINE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` on the host."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(),
        cwd=cwd,
        umask=UMASK,
        timeout=TIMEOUT,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class Box:
    """A machine file and a unique directory in it, plus the host twin of that
    directory: ``vroot`` is ``/srv/<name>`` in the machine, ``hroot`` is
    ``<hbase>/srv/<name>`` on the host."""

    db: Path
    name: str
    vroot: str
    hbase: Path
    hroot: Path
    work: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m osbox ARGS`` (in an empty host directory)."""
        return python("-m", "osbox", *args, cwd=self.work)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``osbox run --machine DB ARGS``."""
        return self.cli("run", "--machine", str(self.db), *args)

    def put(self, host: Path, vpath: str) -> None:
        ok(self.cli("put", "--machine", str(self.db), str(host), vpath))

    def machine(self) -> osbox.Machine:
        return osbox.Machine(str(self.db))

    def read(self, vpath: str) -> bytes:
        with self.machine() as m, m.open(vpath, "rb") as f:
            data: bytes = f.read()
        return data

    def assert_host_untouched(self) -> None:
        assert not os.path.lexists(self.vroot), f"{self.vroot} appeared on the host"


@contextmanager
def new_box(tmp_path: Path) -> Iterator[Box]:
    """A machine file with an empty ``/srv/osbox-e2e-<uuid>``, whose host twin
    is ``tmp_path/host/srv/osbox-e2e-<uuid>``."""
    name = f"osbox-e2e-{uuid.uuid4().hex}"
    vroot = f"/srv/{name}"
    assert not os.path.lexists(vroot)
    hbase = tmp_path / "host"
    hroot = hbase / "srv" / name
    hroot.mkdir(parents=True)
    work = tmp_path / "cwd"
    work.mkdir()
    b = Box(tmp_path / "machine.db", name, vroot, hbase, hroot, work)
    with b.machine() as m:
        m.os.makedirs(vroot)
        _add_host_identity(m)
    yield b
    b.assert_host_untouched()


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    with new_box(tmp_path) as b:
        yield b


def _add_host_identity(m: osbox.Machine) -> None:
    """Give the machine the host user's passwd and group entries, so that
    files ``osbox put`` copies with the host's owners have the same names in
    the machine (tar records them)."""
    try:
        pw = pwd.getpwuid(os.getuid())
        gr = grp.getgrgid(os.getgid())
    except KeyError:
        return
    if not _has_id(m, "/etc/passwd", pw.pw_uid):
        with m.open("/etc/passwd", "a") as f:
            f.write(f"{pw.pw_name}:x:{pw.pw_uid}:{pw.pw_gid}::{pw.pw_dir}:{pw.pw_shell}\n")
    if not _has_id(m, "/etc/group", gr.gr_gid):
        with m.open("/etc/group", "a") as f:
            f.write(f"{gr.gr_name}:x:{gr.gr_gid}:\n")


def _has_id(m: osbox.Machine, path: str, ident: int) -> bool:
    with m.open(path) as f:
        return any(line.split(":")[2] == str(ident) for line in f if line.count(":") >= 3)


# -- trees ----------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    """Files (text, binary, executable, a non-ASCII name), a subdirectory, an
    empty directory, a symlink and a hard link, all with one mtime."""
    (root / "sub").mkdir(parents=True)
    (root / "empty").mkdir()
    files = {
        "a.txt": (b"hello\n", 0o644),
        "data.bin": (bytes(range(256)) * 64, 0o600),
        "run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
        "sub/b.txt": (b"world\n", 0o644),
        "sub/na\u00efve \u00e9t\u00e9.txt": ("caf\u00e9\n".encode(), 0o640),
    }
    for rel, (data, mode) in files.items():
        (root / rel).write_bytes(data)
        (root / rel).chmod(mode)
    (root / "link").symlink_to("a.txt")
    os.link(root / "a.txt", root / "hard")
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for entry in filenames:
            os.utime(os.path.join(dirpath, entry), ns=(MTIME_NS, MTIME_NS), follow_symlinks=False)
        for entry in dirnames:
            os.chmod(os.path.join(dirpath, entry), 0o755)
            os.utime(os.path.join(dirpath, entry), ns=(MTIME_NS, MTIME_NS))
    root.chmod(0o755)
    os.utime(root, ns=(MTIME_NS, MTIME_NS))


Entry = tuple[object, ...]


def manifest(
    osmod: Any, opener: Callable[..., Any], root: str, *, mtimes: bool = True
) -> dict[str, Entry]:
    """Every entry under ``root`` (itself as ``.``): its mode, owner, link
    count (files), mtime (not symlinks) and content or link target. ``osmod``
    and ``opener`` are the host's ``os``/``open`` or a machine's."""

    def entry(path: str) -> Entry:
        st = osmod.lstat(path)
        data: object = None
        nlink: object = None
        if stat.S_ISLNK(st.st_mode):
            data = osmod.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            with opener(path, "rb") as f:
                data = f.read()
            nlink = st.st_nlink
        mtime = st.st_mtime_ns if mtimes and not stat.S_ISLNK(st.st_mode) else None
        return (stat.filemode(st.st_mode), st.st_uid, st.st_gid, nlink, mtime, data)

    found = {".": entry(root)}
    for dirpath, dirnames, filenames in osmod.walk(root):
        for name in dirnames + filenames:
            path = osmod.path.join(dirpath, name)
            found[osmod.path.relpath(path, root)] = entry(path)
    return found


def host_manifest(root: Path, *, mtimes: bool = True) -> dict[str, Entry]:
    return manifest(os, open, str(root), mtimes=mtimes)


def machine_manifest(box: Box, root: str, *, mtimes: bool = True) -> dict[str, Entry]:
    with box.machine() as m:
        return manifest(m.os, m.open, root, mtimes=mtimes)


# -- zipfile --------------------------------------------------------------------------


def test_zipfile_cli_create_list_test_extract(box: Box) -> None:
    make_tree(box.hroot / "d")
    box.put(box.hroot / "d", f"{box.vroot}/d")
    assert machine_manifest(box, f"{box.vroot}/d") == host_manifest(box.hroot / "d")

    def both(*args: str) -> tuple[str, str]:
        """Run ``python -m zipfile ARGS`` (ARGS naming ``{root}`` paths) in the
        machine and on the host; the same exit status, their outputs."""
        vargs = [a.format(root=box.vroot) for a in args]
        hargs = [a.format(root=box.hroot) for a in args]
        inside, outside = (
            box.run("-m", "zipfile", *vargs),
            python("-m", "zipfile", *hargs, cwd=box.work),
        )
        ok(inside)
        ok(outside)
        assert inside.stderr == outside.stderr == ""
        return inside.stdout, outside.stdout

    out, host_out = both("-c", "{root}/a.zip", "{root}/d")
    assert out == host_out == ""
    # the CLI stores sorted entries without compression: the same bytes
    assert box.read(f"{box.vroot}/a.zip") == (box.hroot / "a.zip").read_bytes()

    out, host_out = both("-l", "{root}/a.zip")
    assert out == host_out
    assert "d/sub/na\u00efve \u00e9t\u00e9.txt" in out and "2001-09-09" in out

    out, host_out = both("-t", "{root}/a.zip")
    assert out == host_out == "Done testing\n"

    out, host_out = both("-e", "{root}/a.zip", "{root}/out")
    assert out == host_out == ""
    extracted = machine_manifest(box, f"{box.vroot}/out", mtimes=False)
    assert extracted == host_manifest(box.hroot / "out", mtimes=False)
    assert extracted["d/link"][5] == b"hello\n"  # zip stores what the link points to
    box.assert_host_untouched()


# -- tarfile --------------------------------------------------------------------------


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)  # the gzip header holds the time of writing
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    return data


@pytest.mark.parametrize("archive", ["a.tar", "a.tar.gz"])
def test_tarfile_cli_create_list_extract(box: Box, archive: str) -> None:
    make_tree(box.hroot / "d")
    box.put(box.hroot / "d", f"{box.vroot}/d")
    rel = f"srv/{box.name}"  # members are named so on both sides

    def both(*args: str) -> tuple[str, str]:
        """``python -m tarfile ARGS`` in the machine (``{root}`` = /srv/NAME)
        and on the host from ``hbase`` (``{root}`` = srv/NAME)."""
        vargs = [a.format(root=box.vroot) for a in args]
        hargs = [a.format(root=rel) for a in args]
        inside, outside = (
            box.run("-m", "tarfile", *vargs),
            python("-m", "tarfile", *hargs, cwd=box.hbase),
        )
        ok(inside)
        ok(outside)
        return inside.stdout, outside.stdout

    out, host_out = both("-c", f"{{root}}/{archive}", "{root}/d")
    assert out == host_out == ""
    made = box.read(f"{box.vroot}/{archive}")
    assert _decompress(archive, made) == _decompress(archive, (box.hroot / archive).read_bytes())

    out, host_out = both("-v", "-l", f"{{root}}/{archive}")
    assert out == host_out
    assert f"{rel}/d/hard link to {rel}/d/a.txt" in out
    assert f"{rel}/d/link -> a.txt" in out

    out, host_out = both("-t", f"{{root}}/{archive}")
    assert out == host_out == ""

    out, host_out = both("-e", f"{{root}}/{archive}", "{root}/out")
    assert out == host_out == ""
    extracted = machine_manifest(box, f"{box.vroot}/out/{rel}/d")
    assert extracted == host_manifest(box.hroot / "out" / rel / "d")
    # a faithful round trip, but for mtimes: tar keeps them as a float of seconds
    assert machine_manifest(box, f"{box.vroot}/out/{rel}/d", mtimes=False) == machine_manifest(
        box, f"{box.vroot}/d", mtimes=False
    )
    assert extracted["hard"][3] == 2
    box.assert_host_untouched()


# -- compileall -----------------------------------------------------------------------

PACKAGE = {
    "__init__.py": "VALUE = 'top'\n",
    "mod.py": "def f():\n    return 'mod'\n",
    "sub/__init__.py": "",
    "sub/deep.py": "ORIGIN = 'deep'\n",
}


def make_package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, ns=(MTIME_NS, MTIME_NS))


def pyc_code(data: bytes) -> types.CodeType:
    assert data[:4] == importlib.util.MAGIC_NUMBER
    code = marshal.loads(data[16:])
    assert isinstance(code, types.CodeType)
    return code


def test_compileall_writes_pycache_into_the_machine(box: Box) -> None:
    make_package(box.hroot / "pkg", PACKAGE)
    box.put(box.hroot / "pkg", f"{box.vroot}/pkg")

    inside = ok(box.run("-m", "compileall", f"{box.vroot}/pkg"))
    outside = ok(python("-m", "compileall", str(box.hroot / "pkg"), cwd=box.work))
    assert inside.stdout == outside.stdout.replace(str(box.hroot), box.vroot)
    assert "***" not in inside.stdout

    host_pycs = sorted(p.relative_to(box.hroot).as_posix() for p in box.hroot.rglob("*.pyc"))
    assert host_pycs == sorted(importlib.util.cache_from_source(f"pkg/{rel}") for rel in PACKAGE)
    with box.machine() as m:
        machine_pycs = sorted(
            os.path.relpath(os.path.join(d, f), box.vroot)
            for d, _, names in m.os.walk(f"{box.vroot}/pkg")
            for f in names
            if f.endswith(".pyc")
        )
    assert machine_pycs == host_pycs
    for rel in host_pycs:
        data = box.read(f"{box.vroot}/{rel}")
        host_data = (box.hroot / rel).read_bytes()
        # the header records the machine source's mtime and size (as the host's)
        assert data[:16] == host_data[:16]
        code = pyc_code(data)
        assert code.co_filename.startswith(f"{box.vroot}/pkg/")
        assert code.co_consts == pyc_code(host_data).co_consts
    box.assert_host_untouched()


def test_compileall_on_a_path_the_host_also_has_stays_in_the_machine(tmp_path: Path) -> None:
    """The machine and the host both have DIR/mod.py (and the host a
    writable DIR/__pycache__): compiling inside the machine reads the
    machine's source and writes only the machine."""
    shared = tmp_path / "shared"
    (shared / "__pycache__").mkdir(parents=True)
    (shared / "mod.py").write_text("ORIGIN = 'host'\n")
    db = tmp_path / "machine.db"
    with osbox.Machine(str(db)) as m:
        m.os.makedirs(str(shared))
        with m.open(str(shared / "mod.py"), "w") as f:
            f.write("ORIGIN = 'machine'\n")
    result = python(
        "-m", "osbox", "run", "--machine", str(db), "-m", "compileall", str(shared), cwd=tmp_path
    )
    assert list((shared / "__pycache__").iterdir()) == [], "the host's __pycache__ was written"
    assert (shared / "mod.py").read_text() == "ORIGIN = 'host'\n"
    ok(result)
    pyc = importlib.util.cache_from_source(str(shared / "mod.py"))
    with osbox.Machine(str(db)) as m, m.open(pyc, "rb") as f:
        code = pyc_code(f.read())
    assert "machine" in code.co_consts and "host" not in code.co_consts


# -- json.tool ------------------------------------------------------------------------

JSON = '{"b": [1, 2.5, {"c": null, "d": true}], "a": "\\u00e9t\\u00e9 \\u2603", "e": {}}'


@pytest.mark.parametrize(
    "options",
    [[], ["--sort-keys", "--indent", "2"], ["--no-ensure-ascii", "--tab"], ["--compact"]],
    ids=["default", "sorted", "unicode-tab", "compact"],
)
def test_json_tool_to_stdout_and_to_an_outfile(box: Box, options: list[str]) -> None:
    (box.hroot / "data.json").write_text(JSON)
    box.put(box.hroot / "data.json", f"{box.vroot}/data.json")

    inside = ok(box.run("-m", "json.tool", *options, f"{box.vroot}/data.json"))
    outside = ok(python("-m", "json.tool", *options, str(box.hroot / "data.json"), cwd=box.work))
    assert inside.stdout == outside.stdout
    assert '"b"' in inside.stdout

    vout, hout = f"{box.vroot}/pretty.json", box.hroot / "pretty.json"
    inside = ok(box.run("-m", "json.tool", *options, f"{box.vroot}/data.json", vout))
    ok(python("-m", "json.tool", *options, str(box.hroot / "data.json"), str(hout), cwd=box.work))
    assert inside.stdout == ""
    assert box.read(vout) == hout.read_bytes()
    assert box.read(vout).decode() == outside.stdout
    box.assert_host_untouched()


# -- pip ------------------------------------------------------------------------------

DIST, VERSION = "osbox_e2e_pkg", "1.0"
WHEEL_NAME = f"{DIST}-{VERSION}-py3-none-any.whl"
PKG_VALUE = "hello from the wheel"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel(directory: Path) -> Path:
    """A pure-Python wheel built by hand, as the wheel spec lays it out."""
    info = f"{DIST}-{VERSION}.dist-info"
    files = {
        f"{DIST}/__init__.py": f"VALUE = {PKG_VALUE!r}\n".encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {DIST.replace('_', '-')}\nVersion: {VERSION}\n"
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: osbox-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items())
    record += f"{info}/RECORD,,\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{info}/RECORD", record)
    return wheel


@dataclass
class PipRun:
    box: Box
    install: subprocess.CompletedProcess[str]
    host_install: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def pip_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipRun]:
    """The wheel installed with ``pip install --no-index --target`` in a
    machine and, for comparison, on the host."""
    tmp = tmp_path_factory.mktemp("pip")
    with new_box(tmp) as b:
        yield _install_wheel(b)


def _install_wheel(b: Box) -> PipRun:
    build_wheel(b.hroot / "wheels")
    b.put(b.hroot / "wheels", f"{b.vroot}/wheels")
    args = ["-m", "pip", "install", "--no-index", "--target"]
    install = b.run(*args, f"{b.vroot}/site", f"{b.vroot}/wheels/{WHEEL_NAME}")
    host_install = python(
        *args, str(b.hroot / "site"), str(b.hroot / "wheels" / WHEEL_NAME), cwd=b.work
    )
    return PipRun(b, install, host_install)


def test_pip_install_target_then_import(pip_run: PipRun) -> None:
    box = pip_run.box
    ok(pip_run.install)
    assert f"Successfully installed {DIST.replace('_', '-')}-{VERSION}" in pip_run.install.stdout
    code = f"import sys; sys.path.insert(0, {box.vroot + '/site'!r}); import {DIST} as pkg; "
    code += "print(pkg.VALUE, pkg.__file__)"
    result = ok(box.run("-c", code))
    assert result.stdout == f"{PKG_VALUE} {box.vroot}/site/{DIST}/__init__.py\n"
    box.assert_host_untouched()


def test_pip_install_target_leaves_what_it_leaves_on_the_host(pip_run: PipRun) -> None:
    box = pip_run.box
    ok(pip_run.install)
    ok(pip_run.host_install)
    installed = machine_manifest(box, f"{box.vroot}/site", mtimes=False)
    host_installed = host_manifest(box.hroot / "site", mtimes=False)
    # byte-compiled modules included (pip compiles what it installs)
    assert sorted(installed) == sorted(host_installed)
    info = f"{DIST}-{VERSION}.dist-info"
    for rel in (f"{DIST}/__init__.py", f"{info}/METADATA", f"{info}/WHEEL", f"{info}/INSTALLER"):
        assert installed[rel] == host_installed[rel]

    def recorded(data: object) -> list[str]:
        assert isinstance(data, bytes)
        return sorted(line.split(",")[0] for line in data.decode().splitlines())

    assert recorded(installed[f"{info}/RECORD"][5]) == recorded(host_installed[f"{info}/RECORD"][5])
    box.assert_host_untouched()
