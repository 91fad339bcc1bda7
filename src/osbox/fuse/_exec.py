"""``osbox exec``: a real host program with a machine as its root filesystem.

The steps, all on the host (this module is about the host by design):

1. Serve the machine file at a private mount point (a ``python -m osbox
   mount`` daemon, as ``osbox mount`` runs it) and wait until mounted.
2. Make sure the machine has a place for each host directory programs need
   to start (``HOST_DIRS``): the same symlink where the host has one (merged
   /usr: ``/lib64 -> usr/lib64``), else a directory. Only missing entries
   are made; they land in the machine like any other write.
3. In a private mount namespace (``unshare --mount --propagation private``,
   plus ``--net`` for a new, empty network namespace with
   ``network=False``), bind the host's directories read-only over the
   machine's, ``chroot`` into the mount and ``exec`` the program from there,
   in ``cwd``.
4. Return the program's exit status (128 + N for a signal, as a shell
   reports it) after unmounting.

The simplification: under the host directories the *host's* files win. The
machine's own ``/usr`` holds osbox's in-process programs (stubs only osbox
can run), which a host program could not execute anyway; what the machine
keeps elsewhere (``/etc``, ``/home``, ``/root``, ``/tmp``, ``/var``...) is
what the program sees, and everything it writes outside the read-only
directories lands in the machine. Devices are the machine's ``/dev`` nodes,
opened by the host kernel (``/dev/null``, ``/dev/zero``, ``/dev/urandom``...);
there is no ``/proc`` or ``/sys``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from ._mount import wait_mounted

__all__ = ["HOST_DIRS", "exec_in_machine"]

HOST_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/alternatives")


def _prepare(root: str) -> list[str]:
    """Create the machine's places for ``HOST_DIRS`` (step 2); return the
    host directories to bind."""
    binds = []
    for host in HOST_DIRS:
        if not os.path.lexists(host):
            continue
        inside = root + host
        if os.path.islink(host):
            if not os.path.lexists(inside):
                os.symlink(os.readlink(host), inside)
            continue
        if not os.path.isdir(host):
            continue
        if not os.path.isdir(inside):
            if os.path.lexists(inside) and not os.path.islink(inside):
                continue  # the machine has a file there: leave it, bind nothing
            os.makedirs(inside, 0o755, exist_ok=True)
        binds.append(host)
    return binds


def _script(root: str, binds: Sequence[str], cwd: str, argv: Sequence[str]) -> str:
    q = shlex.quote
    lines = ["set -e"]
    for host in binds:
        target = q(root + host)
        lines.append(f"mount --rbind {q(host)} {target}")
        lines.append(f"mount -o remount,bind,ro {target}")
    lines.append("set +e")
    command = " ".join(q(a) for a in argv)
    lines.append(f"exec chroot {q(root)} env --chdir={q(cwd)} {command}")
    return "\n".join(lines)


def exec_in_machine(
    machine_path: str,
    argv: Sequence[str],
    *,
    cwd: str = "/",
    network: bool = True,
    env: dict[str, str] | None = None,
    streams: Sequence[Any] = (None, None, None),
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> int:
    """Run ``argv`` with the machine file ``machine_path`` as its root
    filesystem; return its exit status. Needs root (mount namespaces,
    chroot), ``unshare`` and ``fusermount3``. ``streams`` are the
    program's stdin, stdout and stderr as ``subprocess.Popen`` takes them
    (``None``: this process's); ``started`` gets the ``Popen`` once it runs
    (to pump ``PIPE`` streams). Raises ``RuntimeError`` when the machine
    cannot be mounted or the namespace cannot be made."""
    if os.geteuid() != 0:
        raise RuntimeError("osbox exec needs root (a mount namespace and chroot)")
    if shutil.which("unshare") is None:
        raise RuntimeError("unshare (util-linux) is missing")
    tmp = tempfile.mkdtemp(prefix="osbox-exec-")
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    log = os.path.join(tmp, "daemon.log")
    with open(log, "wb") as errors:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "osbox", "mount", "--machine", machine_path, root],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        if not wait_mounted(root, daemon):
            with open(log, "rb") as f:
                raise RuntimeError("cannot mount the machine: " + f.read().decode(errors="replace"))
        binds = _prepare(root)
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if not network:
            unshare.append("--net")
        stdin, stdout, stderr = streams
        program = subprocess.Popen(
            [*unshare, "sh", "-c", _script(root, binds, cwd, argv)],
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
        )
        if started is not None:
            started(program)
        status = program.wait()
        return 128 - status if status < 0 else status
    finally:
        _unmount(root, daemon)
        shutil.rmtree(tmp, ignore_errors=True)


def _unmount(root: str, daemon: subprocess.Popen[bytes]) -> None:
    """Unmount and let the daemon end. The namespace's copies of the mount go
    a moment after its last process (the kernel drops them late), so EBUSY
    is retried for a while before a lazy unmount."""
    end = time.monotonic() + 5
    while daemon.poll() is None:
        done = subprocess.run(["fusermount3", "-u", root], capture_output=True, check=False)
        if done.returncode == 0:
            break
        if time.monotonic() > end:
            subprocess.run(["fusermount3", "-u", "-z", root], capture_output=True, check=False)
            break
        time.sleep(0.05)
    try:
        daemon.wait(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
