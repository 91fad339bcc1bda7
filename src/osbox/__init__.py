"""osbox: Python's ``os`` module, implemented as a virtual operating system.

``Machine()`` is an isolated machine in memory, ``Machine(path)`` one kept in
a SQLite file. ``machine.os`` is its ``os`` module, ``machine.open`` its
``open``, and ``machine.patch()`` makes unmodified code run inside it.
"""

from ._machine import Machine as Machine
from .stores.errors import MachineFileError as MachineFileError

__all__ = ["Machine", "MachineFileError"]
__version__ = "0.1.0"
