"""The machine file: its schema, and opening, verifying, creating and
upgrading it.

A file is opened only after a read-only look has shown it is an osbox machine
of a schema version this code understands; anything else raises
``MachineFileError`` and leaves the file untouched. A new (missing or empty)
file gets the current schema; a file of an older version is upgraded by the
steps in ``_MIGRATIONS``. Both happen under SQLite's write lock, after checking
again, since another process may have done it meanwhile.

Versions: 1 is the original layout; 2 adds the ``xattrs`` table; 3 adds the
``audit`` table (the audit log, ``_audit``).
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from stat import S_IFDIR, S_ISDIR

from ..base import dir_size
from ..errors import MachineFileError
from ._audit import AUDIT_TABLE

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT",
    "MAGIC",
    "SAVE_TOTALS",
    "SCHEMA_VERSION",
    "TOTALS",
    "open_machine",
]

MAGIC = "osbox machine"
SCHEMA_VERSION = 3
APPLICATION_ID = 0x6F73626F  # "osbo"
BUSY_TIMEOUT = 10.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
_TABLES = (
    "meta",
    "inodes",
    "dentries",
    "chunks",
    "orphans",
    "sessions",
    "config",
    "xattrs",
    "audit",
)
_ADDED_IN = {"xattrs": 2, "audit": 3}  # tables newer than version 1: the version that added them

_XATTRS = """
CREATE TABLE xattrs(
    ino INTEGER NOT NULL,
    name BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY(ino, name)
)"""

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE inodes(
    ino INTEGER PRIMARY KEY,
    mode INTEGER NOT NULL,
    nlink INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    size INTEGER NOT NULL,
    atime INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    ctime INTEGER NOT NULL,
    rdev INTEGER NOT NULL,
    blocks INTEGER NOT NULL,
    target BLOB,
    parent INTEGER
);
CREATE TABLE dentries(
    parent INTEGER NOT NULL,
    name BLOB NOT NULL,
    ino INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY(parent, name)
) WITHOUT ROWID;
CREATE TABLE chunks(
    ino INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    mask INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX chunks_key ON chunks(ino, idx);
CREATE TABLE orphans(ino INTEGER PRIMARY KEY, owner TEXT NOT NULL);
CREATE TABLE sessions(
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    start INTEGER,
    opened INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
{_XATTRS};
{AUDIT_TABLE};
PRAGMA application_id = {APPLICATION_ID};
"""

#: The running totals kept in ``meta``.
TOTALS = "SELECT key, value FROM meta WHERE key IN ('bytes', 'inodes', 'next_ino', 'dseq')"
SAVE_TOTALS = (
    "UPDATE meta SET value = CASE key WHEN 'bytes' THEN ?1 WHEN 'inodes' THEN ?2 "
    "WHEN 'next_ino' THEN ?3 ELSE ?4 END WHERE key IN ('bytes', 'inodes', 'next_ino', 'dseq')"
)


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=256,
        uri=uri,
    )


def _verify(db: sqlite3.Connection, path: str) -> int:
    """Check that ``db`` is an osbox machine we can use and return its schema
    version, or 0 if it has no tables at all (a new database). Raises
    MachineFileError."""
    try:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not tables:
            return 0
        if "meta" not in tables:
            raise MachineFileError(path, "SQLite database but not an osbox machine (no meta table)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        (app_id,) = db.execute("PRAGMA application_id").fetchone()
    except sqlite3.DatabaseError as exc:
        raise MachineFileError(path, f"corrupt or unreadable machine file ({exc})") from None
    if meta.get("magic") != MAGIC or app_id != APPLICATION_ID:
        raise MachineFileError(path, "SQLite database but not an osbox machine")
    version = meta.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise MachineFileError(path, f"invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise MachineFileError(
            path,
            f"schema_version {version} is newer than this osbox supports ({SCHEMA_VERSION}); "
            "upgrade osbox",
        )
    missing = [t for t in _TABLES if t not in tables and _ADDED_IN.get(t, 1) <= version]
    if missing or not all(k in meta for k in ("bytes", "inodes", "next_ino", "dseq")):
        raise MachineFileError(path, f"corrupt machine file (missing {missing or 'totals'})")
    return version


def open_machine(path: str) -> sqlite3.Connection:
    """Open (or create) the machine file, verifying it before changing it,
    and upgrade it to ``SCHEMA_VERSION``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        fresh = True
    except OSError as exc:
        raise MachineFileError(path, f"cannot open: {exc.strerror}") from None
    else:
        if S_ISDIR(st.st_mode):
            raise MachineFileError(path, "is a directory")
        fresh = st.st_size == 0
    version = 0
    if not fresh:
        try:
            with open(path, "rb") as f:
                header = f.read(100)
        except OSError as exc:
            raise MachineFileError(path, f"cannot read: {exc.strerror}") from None
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise MachineFileError(path, "not an SQLite database")
        # Look at it through a read-only connection, which never writes.
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
        try:
            ro = _connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise MachineFileError(path, f"cannot open ({exc})") from None
        try:
            version = _verify(ro, path)
        finally:
            ro.close()
    try:
        db = _connect(path)
    except sqlite3.Error as exc:
        raise MachineFileError(path, f"cannot open ({exc})") from None
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA cache_size = -16384")
        if version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                version = _verify(db, path)  # nobody created or upgraded it meanwhile?
                if not version:
                    _create_schema(db)
                elif version < SCHEMA_VERSION:
                    _migrate(db, version)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return db
    except sqlite3.Error as exc:
        db.close()
        raise MachineFileError(path, f"cannot open ({exc})") from None
    except BaseException:
        db.close()
        raise


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [
            ("magic", MAGIC),
            ("schema_version", SCHEMA_VERSION),
            ("bytes", 0),
            ("inodes", 1),
            ("next_ino", 2),
            ("dseq", 0),
        ],
    )
    db.execute(
        "INSERT INTO inodes(ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, blocks, "
        "parent) VALUES (1, ?1, 2, 0, 0, ?2, ?3, ?3, ?3, 0, 0, 1)",
        (S_IFDIR | 0o755, dir_size(0), time.time_ns()),
    )


# -- migrations ----------------------------------------------------------------------------


def _add_xattrs(db: sqlite3.Connection) -> None:
    """1 -> 2: extended attributes."""
    db.execute(_XATTRS)


def _add_audit(db: sqlite3.Connection) -> None:
    """2 -> 3: the audit log (kept if a downgraded file still has it)."""
    db.execute(AUDIT_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))


#: The step that upgrades a file from each version to the next.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_xattrs, 2: _add_audit}


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Upgrade a verified machine of ``version`` to ``SCHEMA_VERSION``
    (inside the caller's transaction)."""
    while version < SCHEMA_VERSION:
        _MIGRATIONS[version](db)
        version += 1
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
