"""``Machine.overlay``: layering host directories into a machine.

The first overlay wraps the machine's store in an ``OverlayStore``
(``stores/overlay``) and puts it in the kernel's place
(``Kernel.replace_store``); ``Machine.store`` becomes the wrapper, whose
``upper`` is the machine's own store. Each overlay is recorded in
``Machine.config["overlays"]`` as ``{"host": HOSTDIR, "at": VPATH}``, saved
with the machine, and attached again when it reopens.
"""

from __future__ import annotations

import os
import posixpath
from errno import EEXIST, ENOTDIR
from stat import S_IFDIR, S_IFLNK, S_ISDIR
from typing import TYPE_CHECKING, Any

from .kernel import namei, sys_namespace
from .kernel.errors import KernelError
from .stores.base import S_IFMT, Inode
from .stores.overlay import OverlayStore

if TYPE_CHECKING:
    from ._machine import Machine

__all__ = ["overlay", "reattach"]

PROGRAMS_DIR = "/usr/lib/osbox"
# The host's own functions, bound now: ``overlay`` may be called inside
# ``Machine.patch()``, where ``os``'s attributes route to a machine.
_host_stat = os.stat
_host_getcwd = os.getcwd
_host_fsdecode = os.fsdecode


def _store(machine: Machine) -> OverlayStore:
    """The machine's overlay store, created and put in place on first use
    (under the kernel lock)."""
    store = machine.store
    if isinstance(store, OverlayStore):
        return store
    wrapper = OverlayStore(store, machine.config)
    machine.kernel.replace_store(wrapper)
    machine.store = wrapper
    return wrapper


def _keep(machine: Machine, store: OverlayStore) -> Any:
    """The predicate of upper entries kept over the host's: osbox's own
    programs (links of the multi-call stub, symlinks into its directory)
    and the directory procfs is mounted on (the kernel's, not the host's
    ``/proc``)."""
    try:
        stub = namei.lookup(machine.proc, None, PROGRAMS_DIR + "/programs").ino
    except KernelError:
        stub = -1

    kernel = machine.kernel

    def keep(name: str, node: Inode) -> bool:
        if node.ino == stub or node.ino == getattr(kernel, "proc_mnt", -1):
            return True
        if node.mode & S_IFMT == S_IFLNK:
            target = store.upper.readlink(node.ino)
            return PROGRAMS_DIR + "/" in posixpath.normpath(posixpath.join("/", target)) + "/"
        return False

    return keep


def _makedirs(machine: Machine, at: str) -> Inode:
    """``at``'s inode, making it and missing parents (0755) like ``mkdir -p``."""
    proc = machine.proc
    path = ""
    for part in at.strip("/").split("/"):
        if not part:
            continue
        path += "/" + part
        try:
            sys_namespace.mkdirat(proc, None, path, 0o755)
        except KernelError as e:
            if e.errno != EEXIST:
                raise
    node = namei.lookup(proc, None, at)
    if node.mode & S_IFMT != S_IFDIR:
        raise KernelError(ENOTDIR)
    return node


def overlay(machine: Machine, host_dir: str | os.PathLike[str], at: str | None) -> str:
    """See ``Machine.overlay``; returns the machine path of the overlay."""
    host = posixpath.normpath(posixpath.join(_host_getcwd(), _host_fsdecode(host_dir)))
    st = _host_stat(host)  # FileNotFoundError, PermissionError: the host's own
    if not S_ISDIR(st.st_mode):
        raise NotADirectoryError(ENOTDIR, os.strerror(ENOTDIR), host_dir)
    where = posixpath.normpath(at if at is not None else host)
    if not where.startswith("/"):
        raise ValueError(f"overlay: the machine path must be absolute, not {where!r}")
    where = "/" + where.lstrip("/")
    with machine.kernel.lock:
        store = _store(machine)
        if any(m.at == where for m in store.mounts()):
            raise ValueError(f"overlay: {where!r} already has an overlay")
        try:
            node = _makedirs(machine, where)
        except KernelError as e:
            raise OSError(e.errno, os.strerror(e.errno), where) from None
        kernel = machine.kernel
        store.attach(
            host,
            where,
            node.ino,
            first=True,
            keep=_keep(machine, store),
            in_use=lambda ino: ino in kernel.opens,
        )
        kernel.forget()
        kernel.ns_gen += 1
        machine.config.setdefault("overlays", []).append({"host": host, "at": where})
        store.save_config(machine.config)
    return where


def reattach(machine: Machine) -> None:
    """Attach the overlays a reopened machine's configuration lists (under
    the kernel lock). A machine path that no longer names a directory is
    skipped."""
    entries = machine.config.get("overlays") or []
    if not entries:
        return
    store = _store(machine)
    for entry in entries:
        try:
            node = namei.lookup(machine.proc, None, entry["at"])
        except KernelError:
            continue
        if node.mode & S_IFMT == S_IFDIR:
            store.attach(entry["host"], entry["at"], node.ino, first=False)
