"""Provision a small web service: users, layout, config, permissions, archive.

An ordinary Python script: it uses only the standard library and would run
as root on a real Linux host. Run it inside an osbox machine instead:

    osbox run --machine demo.db examples/provision.py [--release 1.4.2]

It is idempotent: a second run finds what the first left (the service user,
the config, the release history) and only adds a new release.
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import sys
import tarfile
import time

SERVICE = "webapp"
UID = GID = 1500
SRV = f"/srv/{SERVICE}"
ETC = f"/etc/{SERVICE}"
STATE = f"/var/lib/{SERVICE}"
LOG = f"/var/log/{SERVICE}"


def log(msg: str) -> None:
    print(f"[provision] {msg}")


def ensure_user() -> None:
    """Add the service user and group to /etc/passwd and /etc/group."""
    with open("/etc/passwd", encoding="utf-8") as f:
        present = any(line.split(":")[0] == SERVICE for line in f)
    if present:
        log(f"user {SERVICE} already exists")
        return
    with open("/etc/passwd", "a", encoding="utf-8") as f:
        f.write(f"{SERVICE}:x:{UID}:{GID}:{SERVICE} service:{SRV}:/usr/sbin/nologin\n")
    with open("/etc/group", "a", encoding="utf-8") as f:
        f.write(f"{SERVICE}:x:{GID}:\n")
    log(f"created user {SERVICE} ({UID}:{GID})")


def layout() -> None:
    """Directories with their owners and modes."""
    old = os.umask(0o027)
    try:
        for d in (f"{SRV}/releases", f"{SRV}/shared/uploads", ETC, STATE, LOG):
            os.makedirs(d, mode=0o750, exist_ok=True)
        for d in (SRV, f"{SRV}/releases", f"{SRV}/shared", f"{SRV}/shared/uploads", STATE, LOG):
            os.chown(d, UID, GID)
        os.chmod(f"{SRV}/shared/uploads", 0o2770)  # setgid: uploads keep the group
        os.chmod(LOG, 0o1775)  # sticky: users remove only their own logs
    finally:
        os.umask(old)
    log("layout ready: " + ", ".join(sorted(os.listdir(SRV))))


def write_config(release: str) -> None:
    """The config file, written atomically (temp file, fsync, replace)."""
    text = (
        "[server]\n"
        f"listen = {os.environ.get('WEBAPP_LISTEN', '0.0.0.0:8080')}\n"
        f"workers = {os.cpu_count()}\n"
        f"release = {release}\n"
        f"host = {os.uname().nodename}\n"
    )
    tmp = f"{ETC}/app.ini.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
        os.fchown(fd, 0, GID)
        os.fchmod(fd, 0o640)
    finally:
        os.close(fd)
    os.replace(tmp, f"{ETC}/app.ini")
    st = os.stat(f"{ETC}/app.ini")
    log(f"config written: mode {stat.filemode(st.st_mode)}, {st.st_size} bytes")


def deploy(release: str) -> None:
    """A release directory, a `current` symlink switched atomically, shared links."""
    rel = f"{SRV}/releases/{release}"
    if os.path.isdir(rel):
        log(f"release {release} already deployed")
    else:
        os.mkdir(rel)
        with open(f"{rel}/app.py", "w", encoding="utf-8") as f:
            f.write(f"VERSION = {release!r}\nprint('hello from', VERSION)\n")
        os.symlink("../../shared/uploads", f"{rel}/uploads")
        os.chown(rel, UID, GID)
        os.lchown(f"{rel}/uploads", UID, GID)
        log(f"deployed release {release}")
    os.symlink(f"releases/{release}", f"{SRV}/current.new")
    os.rename(f"{SRV}/current.new", f"{SRV}/current")
    log(f"current -> {os.readlink(f'{SRV}/current')}")


def record_run(release: str) -> int:
    """Append to the release history with pwrite at EOF; count earlier runs."""
    path = f"{STATE}/history"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        size = os.fstat(fd).st_size
        previous = os.pread(fd, size, 0).decode().splitlines() if size else []
        os.writev(fd, [f"{int(time.time())} ".encode(), f"{release}\n".encode()])
        os.fdatasync(fd)
    finally:
        os.close(fd)
    os.chown(path, UID, GID)
    return len(previous)


def rotate_logs() -> None:
    """Logs: an unlinked-but-open log keeps its data until closed; sparse files."""
    path = f"{LOG}/access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"GET / 200\n")
    reader = os.open(path, os.O_RDONLY)
    os.rename(path, f"{LOG}/access.log.1")
    os.unlink(f"{LOG}/access.log.1")
    os.write(fd, b"GET /health 200\n")
    data = os.read(reader, 100)
    log(
        f"rotated log still readable after unlink: {data.count(b'200')} lines, "
        f"nlink={os.fstat(reader).st_nlink}"
    )
    os.close(reader)
    os.close(fd)
    # A preallocated, sparse spool file: holes read as zeros and use no blocks.
    spool = f"{STATE}/spool.bin"
    with open(spool, "wb") as f:
        f.truncate(1 << 20)
        f.seek(512 * 1024)
        f.write(b"marker")
    st = os.stat(spool)
    fd = os.open(spool, os.O_RDONLY)
    try:
        hole = os.lseek(fd, 0, os.SEEK_HOLE)
        data = os.lseek(fd, 0, os.SEEK_DATA)
    finally:
        os.close(fd)
    log(f"sparse spool: size {st.st_size}, blocks {st.st_blocks}, hole at {hole}, data at {data}")


def as_service_user() -> None:
    """Drop to the service user and check what it may and may not do."""
    os.setegid(GID)
    os.seteuid(UID)
    try:
        can_write_state = os.access(STATE, os.W_OK, effective_ids=True)
        with open(f"{SRV}/shared/uploads/probe.txt", "w") as f:
            f.write("uploaded\n")
        try:
            open(f"{ETC}/app.ini", "w").close()
            denied = False
        except PermissionError as e:
            denied = e.errno == errno.EACCES
        log(
            f"as {SERVICE}: uid {os.geteuid()} state writable={can_write_state}, "
            f"config write denied={denied}"
        )
    finally:
        os.seteuid(0)
        os.setegid(0)
    st = os.stat(f"{SRV}/shared/uploads/probe.txt")
    log(f"upload owned by {st.st_uid}:{st.st_gid} (group inherited from setgid dir)")


def fd_tricks() -> None:
    """dir_fd-relative calls, dup/dup2, pipes, sendfile and copy_file_range."""
    dfd = os.open(ETC, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.symlink("app.ini", "config", dir_fd=dfd) if not os.path.lexists(
            f"{ETC}/config"
        ) else None
        st = os.stat("config", dir_fd=dfd)
        src = os.open("app.ini", os.O_RDONLY, dir_fd=dfd)
        dst = os.open("app.ini.bak", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=dfd)
        sent = os.sendfile(dst, src, 0, st.st_size)
        copied = os.copy_file_range(src, dst, st.st_size, 0, st.st_size)
        os.close(src)
        os.close(dst)
    finally:
        os.close(dfd)
    r, w = os.pipe()
    os.set_blocking(r, False)
    try:
        os.read(r, 1)
    except BlockingIOError:
        pass
    w2 = os.dup(w)
    os.write(w2, b"ping")
    os.closerange(w, w2 + 1)
    log(f"dir_fd/sendfile/copy_file_range: {sent}+{copied} bytes; pipe says {os.read(r, 4)!r}")
    os.close(r)


def environment() -> None:
    os.environ["WEBAPP_ENV"] = "production"
    os.putenv("WEBAPP_DEBUG", "0")
    os.environb[b"WEBAPP_TOKEN"] = b"s3cr3t"
    del os.environ["WEBAPP_TOKEN"]
    log(
        f"environment: WEBAPP_ENV={os.getenv('WEBAPP_ENV')}, HOME={os.getenv('HOME')}, "
        f"token set={os.getenvb(b'WEBAPP_TOKEN') is not None}"
    )


def archive() -> str:
    """Walk the service tree, summarise it and archive it."""
    files = dirs = size = 0
    for _root, dnames, fnames in os.walk(SRV):
        dirs += len(dnames)
        files += len(fnames)
    for _root, _dnames, fnames, rootfd in os.fwalk(ETC):
        size += sum(os.stat(n, dir_fd=rootfd, follow_symlinks=False).st_size for n in fnames)
    os.makedirs("/var/backups", exist_ok=True)
    out = "/var/backups/webapp.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(SRV, arcname=SERVICE)
        tar.add(ETC, arcname="etc")
    with tarfile.open(out) as tar:
        members = len(tar.getmembers())
    vfs = os.statvfs("/")
    log(
        f"archive {out}: {members} members ({dirs} dirs, {files} files under {SRV}, "
        f"{size} bytes of config); free blocks {vfs.f_bfree}"
    )
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="1.0.0")
    args = parser.parse_args(argv)
    u = os.uname()
    log(
        f"host {u.nodename} ({u.sysname} {u.release}), pid {os.getpid()}, uid {os.getuid()}, "
        f"cwd {os.getcwd()}"
    )
    ensure_user()
    layout()
    environment()
    write_config(args.release)
    deploy(args.release)
    earlier = record_run(args.release)
    log(f"found {earlier} earlier run(s)" if earlier else "first run on this machine")
    rotate_logs()
    as_service_user()
    fd_tricks()
    archive()
    os.chdir(SRV)
    log(f"done in {os.getcwd()}: {sorted(os.listdir('.'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
