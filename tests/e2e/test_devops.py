"""End to end: a deploy script runs inside a machine over a real host
directory (an overlay), the host stays as it was, ``diff`` shows every
change, a commit against a concurrently edited host file is refused with
nothing written, and a clean commit lands everything (issue 5).

Run through the command line (``osbox run --overlay``, ``osbox diff``,
``osbox commit`` with Click's runner) and through the Python API.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import osbox
from osbox.cli.main import cli

LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

DEPLOY = textwrap.dedent(
    """
    import os, pathlib, sys

    root = sys.argv[1]
    ini = pathlib.Path(root, "config", "app.ini")
    ini.write_text(ini.read_text().replace("port = 8080", "port = 9090"))
    os.makedirs(os.path.join(root, "releases", "v2", "static"))
    pathlib.Path(root, "releases", "v2", "VERSION").write_text("2.0\\n")
    pathlib.Path(root, "releases", "v2", "static", "app.js").write_text("go(2)\\n")
    logo = sys.argv[2].encode("latin-1")
    pathlib.Path(root, "releases", "v2", "static", "logo.png").write_bytes(logo)
    os.remove(os.path.join(root, "data", "old.log"))
    os.chmod(os.path.join(root, "bin", "deploy.sh"), 0o755)
    os.mkdir(os.path.join(root, "logs"))
    os.rename(os.path.join(root, "README"), os.path.join(root, "README.md"))
    print("deployed")
    """
)

# (kind, machine path under /srv) of everything DEPLOY does
EXPECTED = {
    ("modified", "/config/app.ini"),
    ("added", "/releases"),
    ("added", "/releases/v2"),
    ("added", "/releases/v2/VERSION"),
    ("added", "/releases/v2/static"),
    ("added", "/releases/v2/static/app.js"),
    ("added", "/releases/v2/static/logo.png"),
    ("deleted", "/data/old.log"),
    ("metadata", "/bin/deploy.sh"),
    ("added", "/logs"),
    ("renamed", "/README.md"),
}


def make_host(root: Path) -> None:
    for d in ("config", "bin", "data"):
        (root / d).mkdir(parents=True)
    (root / "config" / "app.ini").write_text("[server]\nport = 8080\nworkers = 2\n")
    (root / "bin" / "deploy.sh").write_text("#!/bin/sh\necho deploy\n")
    (root / "bin" / "deploy.sh").chmod(0o644)
    (root / "data" / "old.log").write_text("old\n" * 100)
    (root / "data" / "keep.log").write_text("keep\n")
    (root / "README").write_text("the app\n")


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every object under ``root`` (and ``root`` itself): type, mode, owners,
    size, mtime, ctime, inode and content hash (or symlink target)."""
    st = os.lstat(root)
    found: dict[str, tuple[Any, ...]] = {".": (st.st_mode, st.st_mtime_ns, st.st_ctime_ns)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            content: str | None = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            row = (
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_ino,
                content,
            )
            found[os.path.relpath(path, root)] = row
    return found


def check_committed(root: Path) -> None:
    assert (root / "config" / "app.ini").read_text() == "[server]\nport = 9090\nworkers = 2\n"
    assert (root / "releases" / "v2" / "VERSION").read_text() == "2.0\n"
    assert (root / "releases" / "v2" / "static" / "app.js").read_text() == "go(2)\n"
    assert (root / "releases" / "v2" / "static" / "logo.png").read_bytes() == LOGO
    assert not (root / "data" / "old.log").exists()
    assert (root / "data" / "keep.log").read_text() == "keep\n"
    assert stat.S_IMODE((root / "bin" / "deploy.sh").stat().st_mode) == 0o755
    assert (root / "logs").is_dir() and not list((root / "logs").iterdir())
    assert (root / "README.md").read_text() == "the app\n" and not (root / "README").exists()
    names = sorted(
        os.path.relpath(os.path.join(d, n), root) for d, ds, fs in os.walk(root) for n in [*ds, *fs]
    )
    assert names == sorted(
        [
            "README.md",
            "bin",
            "bin/deploy.sh",
            "config",
            "config/app.ini",
            "data",
            "data/keep.log",
            "logs",
            "releases",
            "releases/v2",
            "releases/v2/VERSION",
            "releases/v2/static",
            "releases/v2/static/app.js",
            "releases/v2/static/logo.png",
        ]
    )
    for d in ("releases", "releases/v2", "releases/v2/static", "logs"):
        assert stat.S_IMODE((root / d).stat().st_mode) == 0o755  # umask 022 in the machine


def edit_concurrently(root: Path) -> tuple[bytes, int]:
    """Change the host's app.ini behind the machine's back; return what it
    was (content, mtime) so the test can put it back."""
    ini = root / "config" / "app.ini"
    before = ini.read_bytes(), ini.stat().st_mtime_ns
    ini.write_text("[server]\nport = 8080\nworkers = 4\n")
    return before


def restore(root: Path, saved: tuple[bytes, int]) -> None:
    ini = root / "config" / "app.ini"
    ini.write_bytes(saved[0])
    os.utime(ini, ns=(saved[1], saved[1]))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def relative(changes: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["kind"], c["path"].removeprefix("/srv")) for c in changes}


def test_devops_cli(tmp_path: Path) -> None:
    host = tmp_path / "app"
    make_host(host)
    script = tmp_path / "deploy.py"
    script.write_text(DEPLOY)
    db = str(tmp_path / "m.db")
    before = snapshot(host)

    result = invoke(
        "run",
        "--machine",
        db,
        "--overlay",
        f"{host}:/srv",
        str(script),
        "/srv",
        LOGO.decode("latin-1"),
    )
    assert result.exit_code == 0, result.output
    assert "deployed" in result.output
    assert snapshot(host) == before  # the host is untouched, byte for byte and stat

    # diff: git-status lines, JSON, patches
    result = invoke("diff", "--machine", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "modified:   /srv/config/app.ini" in lines  # same length: no size note
    assert "metadata:   /srv/bin/deploy.sh  (mode 0644 -> 0755)" in lines
    assert "deleted:    /srv/data/old.log" in lines
    assert "renamed:    /srv/README -> /srv/README.md" in lines
    assert "added:      /srv/releases/v2/static/" in lines
    assert len(lines) == len(EXPECTED)
    result = invoke("diff", "--machine", db, "--json")
    changes = json.loads(result.output)
    assert relative(changes) == EXPECTED
    renamed = [c for c in changes if c["kind"] == "renamed"]
    assert renamed[0]["old_path"] == "/srv/README"
    result = invoke("diff", "--machine", db, "--patch")
    assert result.exit_code == 0, result.output
    patch = result.output
    assert "--- a/srv/config/app.ini\n+++ b/srv/config/app.ini\n" in patch
    assert "-port = 8080\n+port = 9090\n" in patch
    assert "old mode 0644\nnew mode 0755\n" in patch
    assert "+2.0\n" in patch and "+go(2)\n" in patch
    assert "Binary files /dev/null and b/srv/releases/v2/static/logo.png differ" in patch
    assert "rename from /srv/README\nrename to /srv/README.md\n" in patch
    assert "-old\n" in patch  # the deleted file's content
    headers = [line for line in patch.splitlines() if line.startswith("diff --osbox ")]
    assert sorted(h.rsplit(" b", 1)[1].removeprefix("/srv") for h in headers) == sorted(
        p for _, p in EXPECTED
    )  # every change has its patch
    assert "diff --osbox a/srv/logs b/srv/logs\nnew dir mode 0755\n" in patch
    result = invoke("diff", "--machine", db, "/srv/bin")
    assert result.output.splitlines() == ["metadata:   /srv/bin/deploy.sh  (mode 0644 -> 0755)"]
    assert snapshot(host) == before

    # a commit against a host file edited since the machine copied it: refused
    saved = edit_concurrently(host)
    edited = snapshot(host)
    result = invoke("commit", "--machine", db)
    assert result.exit_code == 1
    assert "/srv/config/app.ini: changed on the host since the machine copied it" in result.output
    assert "nothing committed" in result.output
    assert snapshot(host) == edited  # nothing written
    restore(host, saved)
    restored = snapshot(host)
    assert {k: v[:5] + v[6:] for k, v in restored.items()} == {
        k: v[:5] + v[6:] for k, v in before.items()
    }  # as before but for app.ini's ctime
    before = restored

    # dry run: says what, writes nothing
    result = invoke("commit", "--machine", db, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would write {host}/config/app.ini" in result.output
    assert f"would remove {host}/data/old.log" in result.output
    assert f"would mkdir {host}/releases/v2/static" in result.output
    assert f"{len(EXPECTED)} changes to commit" in result.output
    assert snapshot(host) == before

    # the clean commit
    result = invoke("commit", "--machine", db)
    assert result.exit_code == 0, result.output
    assert f"{len(EXPECTED)} changes committed" in result.output
    check_committed(host)
    result = invoke("diff", "--machine", db)
    assert result.output == "no changes\n"
    result = invoke("run", "--machine", db, "-c", "print(open('/srv/config/app.ini').read())")
    assert "port = 9090" in result.output


def test_devops_api(tmp_path: Path) -> None:
    host = tmp_path / "app"
    make_host(host)
    before = snapshot(host)
    with osbox.Machine(str(tmp_path / "m.db")) as machine:
        machine.overlay(str(host), at="/srv")
        with machine.patch():
            namespace: dict[str, Any] = {"__name__": "deploy"}
            import sys

            argv = sys.argv
            sys.argv = ["deploy", "/srv", LOGO.decode("latin-1")]
            try:
                exec(compile(DEPLOY, "deploy.py", "exec"), namespace)
            finally:
                sys.argv = argv
        assert snapshot(host) == before
        changes = machine.diff()
        assert {(c.kind, c.path.removeprefix("/srv")) for c in changes} == EXPECTED
        assert [c.path for c in changes] == sorted(c.path for c in changes)
        by_path = {c.path: c for c in changes}
        assert by_path["/srv/bin/deploy.sh"].details == {"mode": (0o100644, 0o100755)}
        assert by_path["/srv/README.md"].old_path == "/srv/README"
        assert by_path["/srv/data/old.log"].details["size"] == (400, None)

        saved = edit_concurrently(host)
        edited = snapshot(host)
        with pytest.raises(osbox.CommitConflict) as info:
            machine.commit()
        assert [(c.path, c.host_path) for c in info.value.conflicts] == [
            ("/srv/config/app.ini", str(host / "config" / "app.ini"))
        ]
        assert snapshot(host) == edited
        restore(host, saved)

        # a partial commit takes what is asked (and whole new directories)
        done = machine.commit(["/srv/releases/v2/VERSION"])
        assert {c.path.removeprefix("/srv") for c in done} == {
            p for k, p in EXPECTED if p.startswith("/releases")
        }
        assert (host / "releases" / "v2" / "static" / "logo.png").read_bytes() == LOGO
        assert {(c.kind, c.path.removeprefix("/srv")) for c in machine.diff()} == {
            e for e in EXPECTED if not e[1].startswith("/releases")
        }

        done = machine.commit()
        assert len(done) == len(EXPECTED) - 6
        assert machine.diff() == []
        check_committed(host)
        with machine.open("/srv/config/app.ini") as f:
            assert "port = 9090" in f.read()
        assert sorted(machine.os.listdir("/srv")) == sorted(os.listdir(host))
    # reopened, the machine still sees the committed host and no changes
    with osbox.Machine(str(tmp_path / "m.db")) as machine:
        assert machine.diff() == []
        assert stat.S_IMODE(machine.os.stat("/srv/bin/deploy.sh").st_mode) == 0o755


def _has_command(name: str) -> bool:
    return name in cli.commands  # type: ignore[attr-defined]


def _run_has_option(option: str) -> bool:
    run = cli.commands["run"]  # type: ignore[attr-defined]
    return any(option in p.opts for p in run.params)


def test_overlay_of_root_never_writes_the_host(tmp_path: Path) -> None:
    """``osbox run --overlay /:/ [--audit] SCRIPT``: the script reads the
    host's /etc/os-release and writes /etc/motd; the host's /etc/motd stays
    as it was and the diff shows /etc/motd. The audit log is checked when
    ``osbox run --audit`` and ``osbox log`` exist."""
    if not os.path.exists("/etc/os-release"):
        pytest.skip("the host has no /etc/os-release")
    motd = Path("/etc/motd")
    motd_before = (motd.read_bytes(), os.lstat(motd)) if os.path.lexists(motd) else None
    script = tmp_path / "motd.py"
    script.write_text(
        textwrap.dedent(
            """
            name = "?"
            with open("/etc/os-release") as f:
                for line in f:
                    if line.startswith("PRETTY_NAME="):
                        name = line.split("=", 1)[1].strip().strip('"')
            with open("/etc/motd", "w") as f:
                f.write(f"Welcome to {name}, managed by osbox\\n")
            print(name)
            """
        )
    )
    db = str(tmp_path / "root.db")
    audit = _run_has_option("--audit") and _has_command("log")
    args = [
        "run",
        "--machine",
        db,
        "--overlay",
        "/:/",
        *(["--audit"] if audit else []),
        str(script),
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    if motd_before is None:
        assert not os.path.lexists(motd)
    else:
        after = os.lstat(motd)
        assert motd.read_bytes() == motd_before[0]
        assert (after.st_mtime_ns, after.st_ino, after.st_size) == (
            motd_before[1].st_mtime_ns,
            motd_before[1].st_ino,
            motd_before[1].st_size,
        )
    result = invoke("diff", "--machine", db, "--json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.output)
    assert [(c["kind"], c["path"]) for c in changes] == [
        ("modified" if motd_before is not None else "added", "/etc/motd")
    ]
    result = invoke("diff", "--machine", db, "--patch")
    assert "+Welcome to " in result.output
    result = invoke("commit", "--machine", db, "--dry-run")
    assert result.exit_code == 0 and "would write /etc/motd" in result.output
    if audit:
        for path in ("/etc/os-release", "/etc/motd"):
            log = invoke("log", "--machine", db, "--path", path, "--json")
            assert log.exit_code == 0, log.output
            assert path in log.output
