"""``Machine.diff`` and ``Machine.commit`` over overlays of host temp dirs:
each kind of change, renames and swaps, opaque directories, type changes,
what the machine had before the overlay, conflicts (nothing written), partial
commits, and the ``osbox diff``/``osbox commit`` output."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import osbox
from osbox.cli.main import cli


def tree(root: Path) -> dict[str, Any]:
    """``{relative path: (mode, uid, gid, content or target)}`` of a host tree."""
    found: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = path.lstat()
            if stat.S_ISREG(st.st_mode):
                content: Any = path.read_bytes()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            else:
                content = None
            found[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, content)
    return found


@pytest.fixture
def host(tmp_path: Path) -> Path:
    root = tmp_path / "h"
    (root / "d1" / "sub").mkdir(parents=True)
    (root / "d2").mkdir()
    for name, text in (("a", "a\n"), ("b", "b\n"), ("f", "f\n"), ("d1/x", "x\n")):
        (root / name).write_text(text)
    (root / "d1" / "sub" / "y").write_text("y\n")
    (root / "d2" / "z").write_text("z\n")
    (root / "link").symlink_to("a")
    return root


@pytest.fixture
def vm(host: Path) -> Iterator[osbox.Machine]:
    with osbox.Machine() as m:
        m.overlay(str(host), at="/srv")
        yield m


def kinds(m: osbox.Machine) -> list[tuple[str, str]]:
    return [(c.kind, c.path) for c in m.diff()]


def write(m: osbox.Machine, path: str, text: str) -> None:
    with m.open(path, "w") as f:
        f.write(text)


def test_no_overlay_no_changes() -> None:
    with osbox.Machine() as m:
        m.os.mkdir("/x")
        assert m.diff() == [] and m.commit() == []


def test_untouched_and_read_is_no_change(vm: osbox.Machine, host: Path) -> None:
    with vm.open("/srv/d1/x") as f:
        assert f.read() == "x\n"
    vm.os.listdir("/srv/d1/sub")
    assert vm.diff() == []


def test_each_kind(vm: osbox.Machine, host: Path) -> None:
    before = tree(host)
    write(vm, "/srv/a", "A\n")
    vm.os.chmod("/srv/b", 0o600)
    vm.os.chown("/srv/f", 1000, 1000)
    vm.os.unlink("/srv/link")
    vm.os.symlink("b", "/srv/link")
    write(vm, "/srv/d1/new", "n")
    vm.os.rename("/srv/d2", "/srv/d3")
    vm.os.unlink("/srv/d1/sub/y")
    assert kinds(vm) == [
        ("modified", "/srv/a"),
        ("metadata", "/srv/b"),
        ("added", "/srv/d1/new"),
        ("deleted", "/srv/d1/sub/y"),
        ("renamed", "/srv/d3"),
        ("metadata", "/srv/f"),
        ("modified", "/srv/link"),
    ]
    by = {c.path: c for c in vm.diff()}
    assert by["/srv/b"].details == {"mode": (0o100644, 0o100600)}
    assert by["/srv/f"].details == {"uid": (0, 1000), "gid": (0, 1000)}
    assert by["/srv/link"].details["target"] == ("a", "b")
    assert by["/srv/d3"].old_path == "/srv/d2" and by["/srv/d3"].lower == str(host / "d2")
    assert by["/srv/a"].details["size"] == (2, 2)
    assert tree(host) == before
    assert vm.diff(["/srv/d1"]) == [by["/srv/d1/new"], by["/srv/d1/sub/y"]]
    assert [c.path for c in vm.diff(["/srv/d2"])] == ["/srv/d3"]  # by old path too

    vm.commit()
    assert vm.diff() == []
    after = tree(host)
    assert after["a"][3] == b"A\n" and stat.S_IMODE(after["b"][0]) == 0o600
    assert after["f"][1:3] == (1000, 1000) and after["link"][3] == "b"
    assert "d2" not in after and after["d3/z"][3] == b"z\n"
    assert after["d1/new"][3] == b"n" and "d1/sub/y" not in after
    assert sorted(vm.os.listdir("/srv")) == sorted(os.listdir(host))


def test_swap_replace_opaque_typechange(vm: osbox.Machine, host: Path) -> None:
    m = vm
    m.os.rename("/srv/a", "/srv/t")
    m.os.rename("/srv/b", "/srv/a")
    m.os.rename("/srv/t", "/srv/b")
    m.os.unlink("/srv/f")
    m.os.mkdir("/srv/f")
    m.os.rename("/srv/d1/x", "/srv/x")  # out of a directory then removed
    m.sh("rm -rf /srv/d1 && rm -rf /srv/d2 && mkdir /srv/d2 && echo new > /srv/d2/n")
    assert kinds(m) == [
        ("renamed", "/srv/a"),
        ("renamed", "/srv/b"),
        ("deleted", "/srv/d1"),
        ("deleted", "/srv/d2"),
        ("added", "/srv/d2"),
        ("added", "/srv/d2/n"),
        ("typechange", "/srv/f"),
        ("renamed", "/srv/x"),
    ]
    by = {(c.kind, c.path): c for c in m.diff()}
    assert by["deleted", "/srv/d1"].details["entries"] == 3
    assert by["renamed", "/srv/x"].old_path == "/srv/d1/x"
    m.commit()
    assert m.diff() == []
    after = tree(host)
    assert after["a"][3] == b"b\n" and after["b"][3] == b"a\n"
    assert stat.S_ISDIR(after["f"][0]) and after["x"][3] == b"x\n"
    assert "d1" not in after and "d2/z" not in after and after["d2/n"][3] == b"new\n"
    assert not [n for n in os.listdir(host) if n.startswith(".osbox")]  # staging gone


def test_hard_link_of_host_file(vm: osbox.Machine, host: Path) -> None:
    vm.os.link("/srv/a", "/srv/a2")
    assert kinds(vm) == [("added", "/srv/a2")]
    vm.commit()
    assert (host / "a2").read_text() == "a\n" and (host / "a").read_text() == "a\n"


def test_what_the_machine_had_is_no_change(tmp_path: Path, host: Path) -> None:
    with osbox.Machine() as m:
        m.os.makedirs("/srv/d1/mine")
        write(m, "/srv/d1/mine/f", "mine")
        m.overlay(str(host), at="/srv")
        assert m.diff() == []
        m.os.chmod("/srv/d1", 0o700)
        assert kinds(m) == [("metadata", "/srv/d1")]
        m.commit()
        assert stat.S_IMODE(os.stat(host / "d1").st_mode) == 0o700
        assert m.diff() == []
        assert m.os.listdir("/srv/d1/mine") == ["f"]
        assert not (host / "d1" / "mine").exists()
        m.os.chmod("/srv/d1", 0o755)
        assert kinds(m) == [("metadata", "/srv/d1")]
        m.commit()
        assert m.diff() == [] and stat.S_IMODE(os.stat(host / "d1").st_mode) == 0o755


def test_conflicts_write_nothing(vm: osbox.Machine, host: Path) -> None:
    m = vm
    write(m, "/srv/a", "machine\n")
    write(m, "/srv/new", "n")
    m.os.unlink("/srv/b")
    write(m, "/srv/d2/w", "w")
    m.os.mknod("/srv/dev", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    (host / "a").write_text("host\n")
    (host / "new").write_text("host")  # appeared behind the machine's back
    (host / "b").unlink()
    (host / "d2" / "z").unlink()
    (host / "d2").rmdir()
    before = tree(host)
    with pytest.raises(osbox.CommitConflict) as info:
        m.commit()
    reasons = {(c.path, c.reason) for c in info.value.conflicts}
    assert reasons == {
        ("/srv/a", "changed on the host since the machine copied it"),
        ("/srv/new", "appeared on the host"),
        ("/srv/d2/w", "host directory deleted or replaced"),
        ("/srv/dev", "a device node or socket cannot be committed"),
    }
    assert tree(host) == before
    assert len(m.diff()) == 5  # b's deletion, already done on the host, is no conflict
    with pytest.raises(osbox.CommitConflict):
        m.commit(dry_run=True)
    # a commit of the paths without conflict goes through
    (host / "new").unlink()
    assert [c.path for c in m.commit(["/srv/new"])] == ["/srv/new"]
    assert (host / "new").read_text() == "n"


def test_host_mode_change_is_a_conflict(vm: osbox.Machine, host: Path) -> None:
    vm.os.chmod("/srv/a", 0o600)
    (host / "a").chmod(0o640)
    with pytest.raises(osbox.CommitConflict) as info:
        vm.commit()
    assert info.value.conflicts[0].reason == "mode or owner changed on the host"


def test_fifo_and_atomic_write(vm: osbox.Machine, host: Path) -> None:
    vm.os.mkfifo("/srv/fifo", 0o640)
    write(vm, "/srv/a", "new a\n")
    ino = os.stat(host / "a").st_ino
    vm.commit()
    assert stat.S_ISFIFO(os.lstat(host / "fifo").st_mode)
    assert stat.S_IMODE(os.lstat(host / "fifo").st_mode) == 0o640
    assert os.stat(host / "a").st_ino != ino  # replaced, not rewritten in place
    assert (host / "a").read_text() == "new a\n"
    assert [n for n in os.listdir(host) if n.startswith(".")] == []


def test_commit_keeps_times_and_progress(vm: osbox.Machine, host: Path) -> None:
    write(vm, "/srv/a", "new\n")
    vm.os.utime("/srv/a", ns=(1_000_000_123, 2_000_000_456))
    seen: list[tuple[int, int, str]] = []
    vm.commit(progress=lambda done, total, path: seen.append((done, total, path)))
    assert os.stat(host / "a").st_mtime_ns == 2_000_000_456
    assert seen == [(1, 1, str(host / "a"))]


def test_sqlite_machine_keeps_changes(tmp_path: Path, host: Path) -> None:
    db = str(tmp_path / "m.db")
    with osbox.Machine(db) as m:
        m.overlay(str(host), at="/srv")
        write(m, "/srv/a", "A\n")
        m.os.unlink("/srv/b")
    with osbox.Machine(db) as m:
        assert kinds(m) == [("modified", "/srv/a"), ("deleted", "/srv/b")]
        m.commit()
    with osbox.Machine(db) as m:
        assert m.diff() == []
    assert (host / "a").read_text() == "A\n" and not (host / "b").exists()


# -- the command line --------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_cli_diff_and_commit(tmp_path: Path, host: Path) -> None:
    db = str(tmp_path / "m.db")
    with osbox.Machine(db) as m:
        m.overlay(str(host), at="/srv")
        write(m, "/srv/a", "a\nmore\n")
        m.os.chmod("/srv/b", 0o700)
        m.os.rename("/srv/f", "/srv/g")
    result = invoke("diff", "--machine", db)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "modified:   /srv/a  (2 -> 7 bytes)",
        "metadata:   /srv/b  (mode 0644 -> 0700)",
        "renamed:    /srv/f -> /srv/g",
    ]
    patch = invoke("diff", "--machine", db, "--patch").output
    assert (
        "diff --osbox a/srv/a b/srv/a\n--- a/srv/a\n+++ b/srv/a\n@@ -1 +1,2 @@\n a\n+more\n"
        in patch
    )
    data = json.loads(invoke("diff", "--machine", db, "--json").output)
    assert data[0] == {
        "kind": "modified",
        "path": "/srv/a",
        "type": "file",
        "old_path": None,
        "host_path": str(host / "a"),
        "lower": str(host / "a"),
        "details": data[0]["details"],
    }
    assert data[0]["details"]["size"] == [2, 7]
    assert invoke("diff", "--machine", db, "--json", "--patch").exit_code == 2
    dry = invoke("commit", "--machine", db, "--dry-run", "/srv/g")
    assert dry.output.splitlines() == [
        f"would stage {host}/f",
        f"would move {host}/g (from {host}/f)",
        "1 change to commit",
    ]
    assert (host / "f").exists()
    result = invoke("commit", "--machine", db)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "3 changes committed"
    assert invoke("diff", "--machine", db).output == "no changes\n"
    assert (host / "a").read_text() == "a\nmore\n" and (host / "g").exists()


def test_replaced_by_rename_over(vm: osbox.Machine, host: Path) -> None:
    """An atomic writer (``sed -i``, temp file renamed over) replaces the
    host file: ``modified``; a host change after it is a conflict."""
    write(vm, "/srv/.a.tmp", "A\n")
    vm.os.replace("/srv/.a.tmp", "/srv/a")
    assert kinds(vm) == [("modified", "/srv/a")]
    time.sleep(0.05)  # past the host's coarse timestamp tick
    os.utime(host / "a")  # the host touches it afterwards
    with pytest.raises(osbox.CommitConflict) as info:
        vm.commit()
    assert info.value.conflicts[0].reason == "appeared on the host"
    write(vm, "/srv/.a.tmp", "A2\n")
    time.sleep(0.05)
    vm.os.replace("/srv/.a.tmp", "/srv/a")  # the machine's change is newer again
    assert kinds(vm) == [("modified", "/srv/a")]
    vm.commit()
    assert (host / "a").read_text() == "A2\n" and vm.diff() == []


def test_cli_progress_bar_on_a_terminal(
    tmp_path: Path, host: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from osbox.cli import diff as diffcli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with osbox.Machine() as m:
        m.overlay(str(host), at="/srv")
        m.os.mkdir("/srv/many")
        for i in range(250):
            write(m, f"/srv/many/{i}", str(i))
        err = Terminal()
        monkeypatch.setattr("sys.stderr", err)
        done = diffcli._commit_with_progress(m, ())
        monkeypatch.undo()
        assert len(done) == 251 and m.diff() == []
        assert sorted(os.listdir(host / "many"), key=int) == [str(i) for i in range(250)]
        assert "committing" in err.getvalue()


def test_converged_changes_are_no_conflict(vm: osbox.Machine, host: Path) -> None:
    """The host made the same change (or a commit stopped midway): no
    conflict, and the commit settles the machine."""
    write(vm, "/srv/a", "same\n")
    write(vm, "/srv/new", "new\n")
    vm.os.mkdir("/srv/dir")
    vm.os.unlink("/srv/b")
    (host / "a").write_text("same\n")
    (host / "new").write_text("new\n")
    (host / "dir").mkdir()
    (host / "b").unlink()
    assert len(vm.commit()) == 4
    assert vm.diff() == []
    assert (host / "a").read_text() == "same\n" and (host / "new").read_text() == "new\n"


def test_commit_stopped_midway_can_run_again(
    vm: osbox.Machine, host: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from osbox import _commit

    write(vm, "/srv/a", "A\n")
    write(vm, "/srv/b", "B\n")
    write(vm, "/srv/c", "C\n")
    vm.os.unlink("/srv/f")
    real = _commit._write_file
    calls: list[str] = []

    def failing(upper: Any, ino: int, path: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", path)
        real(upper, ino, path)

    monkeypatch.setattr(_commit, "_write_file", failing)
    with pytest.raises(OSError):
        vm.commit()
    monkeypatch.undo()
    assert (host / "a").read_text() == "A\n" and (host / "b").read_text() == "b\n"
    assert [n for n in os.listdir(host) if n.startswith(".")] == []  # no temp file left
    assert len(vm.commit()) == 4
    assert vm.diff() == []
    assert [(host / n).read_text() for n in "abc"] == ["A\n", "B\n", "C\n"]
    assert not (host / "f").exists()


def test_hard_links_stay_links(vm: osbox.Machine, host: Path) -> None:
    write(vm, "/srv/n1", "one\n")
    vm.os.link("/srv/n1", "/srv/n2")
    vm.os.link("/srv/b", "/srv/b2")  # a link of a host file left alone
    write(vm, "/srv/a", "A\n")
    vm.os.link("/srv/a", "/srv/a2")  # a link of a host file changed too
    assert kinds(vm) == [
        ("modified", "/srv/a"),
        ("added", "/srv/a2"),
        ("added", "/srv/b2"),
        ("added", "/srv/n1"),
        ("added", "/srv/n2"),
    ]
    b_ino = os.stat(host / "b").st_ino
    vm.commit()
    assert vm.diff() == []
    assert os.stat(host / "n1").st_ino == os.stat(host / "n2").st_ino
    assert os.stat(host / "b2").st_ino == os.stat(host / "b").st_ino == b_ino
    assert os.stat(host / "a2").st_ino == os.stat(host / "a").st_ino
    assert (host / "a2").read_text() == "A\n" and os.stat(host / "a").st_nlink == 2
