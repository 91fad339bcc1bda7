"""The audit log's row, as every store keeps it.

A row is one ``os`` call made inside the machine (recorded by
``api/_audit.py``), a plain tuple so that recording it is cheap::

    (time_ns, pid, uid, cwd, call, args, kwargs, result, errno)

* ``time_ns``: when the call started, ns since the epoch (host clock);
* ``pid``, ``uid``: the calling process and its effective uid;
* ``cwd``: its working directory when the call started (None if removed);
* ``call``: the ``os`` name (``open`` for ``builtins.open`` too);
* ``args`` (a sequence), ``kwargs`` (a dict, or None for none), ``result``:
  JSON-serialisable values (paths as str, fds and flags as ints, data as
  byte counts, never file contents);
* ``errno``: the ``OSError`` errno the call raised, None if it returned.

Stores keep rows in the order they were appended (``Store.audit_append``)
and return them filtered by ``audit_rows``; what a row means for paths is
the ``api`` layer's business, not the store's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AuditRow", "row_matches"]

AuditRow = tuple[int, int, int, str | None, str, Any, dict[str, Any] | None, Any, int | None]


def row_matches(row: AuditRow, pid: int | None, call: str | None, errors: bool) -> bool:
    """Whether ``row`` passes the store-level filters: process ``pid``, call
    name ``call`` (None: any) and, with ``errors``, failed calls only."""
    return (
        (pid is None or row[1] == pid)
        and (call is None or row[4] == call)
        and (not errors or row[8] is not None)
    )
