"""Errors a store raises when opening its backing file."""

from __future__ import annotations

__all__ = ["MachineFileError"]


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
