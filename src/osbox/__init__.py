"""osbox: Python's ``os`` module, implemented as a virtual operating system.

``Machine()`` is an isolated machine in memory, ``Machine(path)`` one kept in
a SQLite file. ``machine.os`` is its ``os`` module, ``machine.open`` its
``open``, and ``machine.patch()`` makes unmodified code run inside it.
"""

from ._changes import Change as Change
from ._commit import CommitConflict as CommitConflict
from ._commit import Conflict as Conflict
from ._machine import Machine as Machine
from .api._audit import AuditRecord as AuditRecord
from .stores.errors import MachineFileError as MachineFileError
from .stores.snapshots import NoSuchSnapshot as NoSuchSnapshot
from .stores.snapshots import SnapshotExists as SnapshotExists
from .stores.snapshots import SnapshotInfo as SnapshotInfo

__all__ = [
    "AuditRecord",
    "Change",
    "CommitConflict",
    "Conflict",
    "Machine",
    "MachineFileError",
    "NoSuchSnapshot",
    "SnapshotExists",
    "SnapshotInfo",
]
__version__ = "0.1.0"
