"""The exceptions the sh interpreter uses for errors and control flow.

``ShError`` is dash's ``sh_error``: a message printed as ``sh: LINE: MSG``;
in a non-interactive shell it ends the shell (status 2) when raised by an
expansion or a special builtin, and only fails the command (status 2) when
raised by a regular builtin. The others unwind loops, functions and the
shell itself.
"""

from __future__ import annotations

__all__ = ["BreakLoop", "ContinueLoop", "ExitShell", "ReturnFunc", "ShError"]


class ShError(Exception):
    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class ExitShell(Exception):  # noqa: N818 - control flow
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ReturnFunc(Exception):  # noqa: N818 - control flow
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class BreakLoop(Exception):  # noqa: N818 - control flow
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class ContinueLoop(Exception):  # noqa: N818 - control flow
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count
