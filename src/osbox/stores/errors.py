"""Errors a store raises: when opening its backing file, and the errno of an
operation that reaches outside the machine (the overlay's host layer)."""

from __future__ import annotations

__all__ = ["Errno", "MachineFileError"]


class MachineFileError(Exception):
    """A machine file cannot be used: it is not SQLite, not an osbox machine,
    corrupt, or written by a newer osbox. The file has not been modified.

    ``path`` is the file and ``problem`` says what is wrong with it.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


class Errno(Exception):
    """A failed operation carrying only its errno, analogous to a negative
    return value in Linux's VFS. The kernel's ``KernelError`` is this class
    (``kernel/errors.py``), so the syscall boundary turns it into the
    ``OSError`` CPython raises.

    A store raises it only where it reaches outside the machine: the
    overlay store (``stores/overlay``) for a host file osbox cannot read
    (EACCES) or an object its format reserves (EPERM, EOPNOTSUPP)."""

    __slots__ = ("errno",)

    def __init__(self, err: int) -> None:
        super().__init__(err)
        self.errno = err
