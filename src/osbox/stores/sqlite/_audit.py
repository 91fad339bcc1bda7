"""The audit log in the machine file: the ``audit`` table (since version 3).

One row per recorded ``os`` call (``stores.audit.AuditRow``): ``seq`` gives
the order calls were recorded in; ``cwd`` is encoded as dentry names are
(surrogateescape UTF-8); ``args`` and ``kwargs`` are JSON text (``kwargs``
NULL for none); ``result`` (a column without type affinity) is NULL for
None, an INTEGER for an int (an fd, a byte count: most results, stored
without encoding), JSON text otherwise; ``errno`` is NULL for a call that
succeeded. Rows are written by the commit of the batch they were recorded
in (``Batches._commit``), in the same transaction as the changes made before
them, so a crash never keeps a row whose change it lost, nor half a batch.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from ..audit import AuditRow
from ._rows import dec, enc

__all__ = ["AUDIT_TABLE", "insert_rows", "select_rows"]

AUDIT_TABLE = """
CREATE TABLE audit(
    seq INTEGER PRIMARY KEY,
    time_ns INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    cwd BLOB,
    call TEXT NOT NULL,
    args TEXT NOT NULL,
    kwargs TEXT,
    result,
    errno INTEGER
)"""

_INSERT = (
    "INSERT INTO audit(time_ns, pid, uid, cwd, call, args, kwargs, result, errno) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT = "SELECT time_ns, pid, uid, cwd, call, args, kwargs, result, errno FROM audit"

_encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


def _encoded(rows: Iterable[AuditRow]) -> Iterable[tuple[Any, ...]]:
    for t, pid, uid, cwd, call, args, kwargs, result, err in rows:
        yield (
            t,
            pid,
            uid,
            None if cwd is None else enc(cwd),
            call,
            _encode(args),
            None if not kwargs else _encode(kwargs),
            result if result is None or type(result) is int else _encode(result),
            err,
        )


def insert_rows(db: sqlite3.Connection, rows: list[AuditRow]) -> None:
    """Append ``rows`` (inside the caller's transaction)."""
    db.executemany(_INSERT, _encoded(rows))


def select_rows(
    db: sqlite3.Connection, pid: int | None, call: str | None, errors: bool
) -> list[AuditRow]:
    """The rows matching the filters, in the order they were recorded."""
    where: list[str] = []
    params: list[Any] = []
    if pid is not None:
        where.append("pid = ?")
        params.append(pid)
    if call is not None:
        where.append("call = ?")
        params.append(call)
    if errors:
        where.append("errno IS NOT NULL")
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
    return [
        (
            t,
            p,
            uid,
            None if cwd is None else dec(cwd),
            name,
            _decode(args),
            None if kwargs is None else _decode(kwargs),
            _decode(result) if type(result) is str else result,
            err,
        )
        for t, p, uid, cwd, name, args, kwargs, result, err in db.execute(sql, params)
    ]
