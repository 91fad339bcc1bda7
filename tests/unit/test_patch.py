"""Machine.patch(): unmodified code sees the machine, other contexts keep the
host, and leaving restores every binding."""

from __future__ import annotations

import builtins
import glob
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from osbox import Machine


@pytest.fixture
def m() -> Iterator[Machine]:
    machine = Machine()
    yield machine
    machine.close()


def _bindings() -> dict[str, object]:
    names = {f"os.{n}": getattr(os, n) for n in dir(os)}
    names["builtins.open"] = builtins.open
    names["io.open"] = io.open
    names["tempfile.tempdir"] = tempfile.tempdir
    return names


def test_leaving_restores_every_binding(m: Machine) -> None:
    before = _bindings()
    with m.patch():
        assert os.stat is not before["os.stat"]
        with m.patch():
            pass
        assert os.stat is not before["os.stat"]
    after = _bindings()
    assert [k for k in before if before[k] is not after[k]] == []


def test_stdlib_modules_see_the_machine(m: Machine) -> None:
    name = f"/tmp/osbox-{uuid.uuid4().hex}"
    with m.patch():
        os.makedirs(name + "/a/b")
        pathlib.Path(name, "a", "f.txt").write_text("hi")
        shutil.copytree(name + "/a", name + "/c")
        found = sorted(glob.glob(name + "/**/*.txt", recursive=True))
        with tempfile.NamedTemporaryFile(dir=name) as t:
            t.write(b"x")
        assert tempfile.gettempdir() == "/tmp"
        assert os.path.isfile(name + "/c/f.txt")
    assert found == [name + "/a/f.txt", name + "/c/f.txt"]
    assert not os.path.exists(name)
    assert m.os.path.isdir(name + "/c/b")


def test_host_untouched_by_writes_inside(m: Machine) -> None:
    name = f"/tmp/osbox-leak-{uuid.uuid4().hex}"
    with m.patch():
        with open(name, "w") as f:
            f.write("machine only")
        os.environ["OSBOX_LEAK_CHECK"] = "1"
    assert not os.path.exists(name)
    assert "OSBOX_LEAK_CHECK" not in os.environ
    with m.open(name) as f:
        assert f.read() == "machine only"


def test_captured_bindings_are_redirected(m: Machine) -> None:
    mod = types.ModuleType("osbox_test_captured")
    exec("from os import listdir\ndef ls(p, _l=listdir): return _l(p)", mod.__dict__)
    sys.modules[mod.__name__] = mod
    try:
        with m.patch():
            assert sorted(mod.listdir("/")) == sorted(m.os.listdir("/"))
            assert sorted(mod.ls("/")) == sorted(m.os.listdir("/"))
        assert mod.listdir is os.listdir
    finally:
        del sys.modules[mod.__name__]


def test_threads_inherit_and_other_threads_keep_the_host(m: Machine) -> None:
    seen: dict[str, list[str]] = {}
    outside_ready = threading.Event()
    inside_done = threading.Event()

    def outside() -> None:
        outside_ready.set()
        inside_done.wait(5)
        seen["outside"] = os.listdir("/")

    t_out = threading.Thread(target=outside)
    t_out.start()
    outside_ready.wait(5)
    with m.patch():
        t_in = threading.Thread(target=lambda: seen.__setitem__("inside", os.listdir("/")))
        t_in.start()
        t_in.join()
        inside_done.set()
        t_out.join()
    assert sorted(seen["inside"]) == sorted(m.os.listdir("/"))
    assert sorted(seen["outside"]) == sorted(os.listdir("/"))


def test_two_machines_in_two_threads_at_once() -> None:
    with Machine() as m1, Machine() as m2:
        m1.os.mkdir("/only-in-1")
        m2.os.mkdir("/only-in-2")
        results: dict[int, list[str]] = {}
        barrier = threading.Barrier(2)

        def work(i: int, machine: Machine) -> None:
            with machine.patch():
                barrier.wait(5)
                results[i] = sorted(os.listdir("/"))
                barrier.wait(5)

        threads = [threading.Thread(target=work, args=(i, mm)) for i, mm in ((1, m1), (2, m2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert "only-in-1" in results[1] and "only-in-2" not in results[1]
    assert "only-in-2" in results[2] and "only-in-1" not in results[2]


def test_nested_machines_restore_the_outer() -> None:
    with Machine() as outer, Machine() as inner:
        outer.os.mkdir("/outer")
        with outer.patch():
            with inner.patch():
                assert not os.path.exists("/outer")
            assert os.path.exists("/outer")


def test_subprocess_runs_machine_processes_not_host_ones(m: Machine, tmp_path: Path) -> None:
    marker = tmp_path / "child-wrote"
    m.os.makedirs(str(tmp_path))
    code = f"import os; open({str(marker)!r}, 'w').write(str(os.getpid()))"
    with m.patch():
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
        assert r.returncode == 0, r.stderr
        with open(marker) as f:
            child_pid = int(f.read())
        assert child_pid > 1 and child_pid != os.getpid()
        with pytest.raises(FileNotFoundError):
            subprocess.run(["no-such-program-anywhere"], check=False)
    assert not marker.exists()
    assert subprocess.run(["true"], check=False).returncode == 0  # the host's, outside


def test_pwd_and_grp_answer_from_the_machine(m: Machine) -> None:
    import grp
    import pwd

    with m.open("/etc/passwd", "a") as f:
        f.write("app:x:1000:1000:App:/home/app:/bin/sh\n")
    with m.open("/etc/group", "a") as f:
        f.write("app:x:1000:root\n")
    with m.patch():
        assert pwd.getpwnam("app").pw_dir == "/home/app"
        assert pwd.getpwuid(1000).pw_name == "app"
        assert grp.getgrnam("app").gr_mem == ["root"]
        assert os.path.expanduser("~app") == "/home/app"
        with pytest.raises(KeyError):
            pwd.getpwnam("nobody-here")
    assert pwd.getpwuid(0).pw_name == "root"


def test_modules_stored_in_the_machine_import(m: Machine) -> None:
    import importlib
    import traceback

    m.os.makedirs("/app/vpkg")
    with m.open("/app/vmod_osbox.py", "w") as f:
        f.write("X = 41\ndef boom():\n    raise ValueError('from the machine')\n")
    with m.open("/app/vpkg/__init__.py", "w") as f:
        f.write("from .sub import Y\n")
    with m.open("/app/vpkg/sub.py", "w") as f:
        f.write("Y = 42\n")
    sys.path.insert(0, "/app")
    try:
        with m.patch():
            vmod = importlib.import_module("vmod_osbox")
            vpkg = importlib.import_module("vpkg")
            json = importlib.import_module("json")
            assert (vmod.X, vpkg.Y) == (41, 42)
            assert vmod.__file__ == "/app/vmod_osbox.py"
            assert not json.__file__.startswith("/app")
            try:
                vmod.boom()
            except ValueError:
                assert "raise ValueError('from the machine')" in traceback.format_exc()
        assert m.os.listdir("/app/vpkg") == ["sub.py", "__init__.py"]
    finally:
        sys.path.remove("/app")
        for name in ("vmod_osbox", "vpkg", "vpkg.sub"):
            sys.modules.pop(name, None)


def test_open_code_reads_the_machine(m: Machine) -> None:
    with m.open("/script.py", "w") as f:
        f.write("print(1)\n")
    with m.patch():
        with io.open_code("/script.py") as f:
            assert f.read() == b"print(1)\n"


def test_sqlite3_file_databases_are_refused_inside(m: Machine, tmp_path: pathlib.Path) -> None:
    import sqlite3

    target = tmp_path / "x.db"
    with m.patch():
        with pytest.raises(OSError) as e:
            sqlite3.connect(str(target))
        db = sqlite3.connect(":memory:")
        assert db.execute("select 1").fetchone() == (1,)
        db.close()
    assert e.value.errno == 38
    assert "sqlite3" in str(e.value)
    assert not target.exists()


def test_host_functions_in_class_bodies_and_containers_are_redirected(m: Machine) -> None:
    mod = types.ModuleType("osbox_test_containers")
    exec(
        "import os\n"
        "class Outer:\n"
        "    class Inner:\n"
        "        _close = os.close\n"
        "        def shut(self, fd): self._close(fd)\n"
        "    FUNCS = [os.close, ('open', os.unlink)]\n"
        "    TABLE = {'unlink': os.unlink}\n"
        "PAIR = (os.stat, 1)\n",
        mod.__dict__,
    )
    sys.modules[mod.__name__] = mod
    try:
        with m.patch():
            fd = os.open("/tmp/f", os.O_CREAT | os.O_WRONLY)
            mod.Outer.Inner().shut(fd)  # a host close here would close a host fd
            with pytest.raises(OSError):
                os.fstat(fd)
            assert mod.Outer.FUNCS[1][1] is os.unlink
            mod.Outer.TABLE["unlink"]("/tmp/f")
            assert not os.path.exists("/tmp/f")
            assert mod.PAIR[0] is os.stat
        assert mod.Outer.Inner._close is os.close
        assert mod.Outer.FUNCS[1][1] is os.unlink and mod.PAIR[0] is os.stat
    finally:
        del sys.modules[mod.__name__]


def test_fcntl_acts_on_virtual_fds(m: Machine) -> None:
    import fcntl

    with m.patch():
        fd = os.open("/tmp/f", os.O_CREAT | os.O_RDWR | os.O_APPEND)
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND
        assert fcntl.fcntl(fd, fcntl.F_GETFD) == fcntl.FD_CLOEXEC
        fcntl.fcntl(fd, fcntl.F_SETFD, 0)
        assert os.get_inheritable(fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.close(fd)
        with pytest.raises(OSError) as e:
            fcntl.fcntl(fd, fcntl.F_GETFD)
    assert e.value.errno == 9


def test_unix_sockets_on_paths_are_refused_inside(m: Machine) -> None:
    import socket

    name = f"/tmp/osbox-sock-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX) as s:
        with m.patch():
            with pytest.raises(OSError) as e:
                s.bind(name)
    assert e.value.errno == 38
    assert not os.path.exists(name)


def test_py_compile_reads_and_writes_the_machine(m: Machine, tmp_path: pathlib.Path) -> None:
    import py_compile

    # The same path exists on the host with other content: neither may be used.
    host_dir = tmp_path / "pkg"
    (host_dir / "__pycache__").mkdir(parents=True)
    (host_dir / "mod.py").write_text("HOST = 1\n")
    m.os.makedirs(str(host_dir))
    with m.open(str(host_dir / "mod.py"), "w") as f:
        f.write("MACHINE = 1\n")
    with m.patch():
        cfile = py_compile.compile(str(host_dir / "mod.py"), doraise=True)
    assert list((host_dir / "__pycache__").iterdir()) == []
    assert m.os.path.isfile(cfile)
    import marshal

    with m.open(cfile, "rb") as f:
        code = marshal.loads(f.read()[16:])
    assert code.co_names == ("MACHINE",)


def test_fileio_and_mmap_inside_a_machine(m: Machine, tmp_path: pathlib.Path) -> None:
    import mmap

    host_file = tmp_path / "host-secret"
    host_file.write_bytes(b"host secret")
    with open(host_file, "rb") as host:  # a host fd the machine must not reach
        with m.patch():
            raw = io.FileIO("/tmp/raw", "w")
            assert isinstance(raw, io.FileIO)
            raw.write(b"machine")
            raw.close()
            fd = os.open("/tmp/raw", os.O_RDONLY)
            try:
                assert io.FileIO(fd, "r", closefd=False).read() == b"machine"
                with pytest.raises(OSError) as e:
                    mmap.mmap(fd, 0, prot=mmap.PROT_READ)
                assert e.value.errno == 38
            finally:
                os.close(fd)
            anonymous = mmap.mmap(-1, 16)
            anonymous.close()
        assert host.read() == b"host secret"
    assert m.os.path.exists("/tmp/raw")
    with io.FileIO(str(host_file)) as again:
        assert isinstance(again, io.FileIO) and again.read() == b"host secret"


def test_sqlite_memory_databases_cannot_reach_files(m: Machine, tmp_path: pathlib.Path) -> None:
    import sqlite3

    target = tmp_path / "g.db"
    with m.patch():
        with pytest.raises(OSError):
            sqlite3.connect(f"file:{target}?x=mode=memory", uri=True)
        db = sqlite3.connect(":memory:")
        try:
            db.execute("create table t(x)")
            for sql in (f"ATTACH DATABASE '{target}' AS x", f"VACUUM INTO '{target}'"):
                with pytest.raises(sqlite3.DatabaseError):
                    db.execute(sql)
            db.execute("ATTACH DATABASE ':memory:' AS scratch")
        finally:
            db.close()
        named = sqlite3.connect("file:shared?mode=memory", uri=True)
        named.close()
    assert not target.exists()


def test_unix_datagrams_to_paths_are_refused_inside(m: Machine) -> None:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        with m.patch():
            with pytest.raises(OSError) as e:
                s.sendto(b"hi", "/tmp/osbox-nowhere.sock")
    assert e.value.errno == 38


def test_pools_and_finalizers_stay_inside(m: Machine, tmp_path: pathlib.Path) -> None:
    import concurrent.futures
    import gc

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: None).result()  # the worker starts outside the machine
        with m.patch():
            seen = pool.submit(lambda: sorted(os.listdir("/"))).result()
        assert seen == sorted(m.os.listdir("/"))
    host_twin = tmp_path / "twin"
    with m.patch():
        m.os.makedirs(str(host_twin))
        holder = tempfile.TemporaryDirectory(dir=str(host_twin))
        name = holder.name
    os.makedirs(name)  # a host directory of the same name must survive
    (pathlib.Path(name) / "keep").write_text("host")
    with pytest.warns(ResourceWarning, match="Implicitly cleaning up"):
        del holder
        gc.collect()
    assert (pathlib.Path(name) / "keep").read_text() == "host"
    assert not m.os.path.exists(name)


def test_sqlite_attach_of_a_temporary_file_is_refused(m: Machine) -> None:
    import sqlite3

    with m.patch():
        db = sqlite3.connect(":memory:")
        try:
            with pytest.raises(sqlite3.DatabaseError):
                db.execute("ATTACH DATABASE '' AS tmp")
            db.execute("ATTACH DATABASE 'file:scratch?mode=memory' AS scratch")
        finally:
            db.close()
