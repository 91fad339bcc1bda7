"""The table of in-process programs: name -> ``main(ctx) -> int``.

A module defines a program with ``@program("name", "alias"...)``; importing
``osbox.shell.commands`` loads every command module. ``/usr/bin/NAME`` in a
machine is a stub file naming the program (see ``kernel/binfmt.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from .context import Context

__all__ = ["PROGRAMS", "Program", "program"]

Program = Callable[[Context], int]
PROGRAMS: dict[str, Program] = {}


def program(*names: str) -> Callable[[Program], Program]:
    """Register the decorated function under each of ``names``."""

    def register(fn: Program) -> Program:
        for name in names:
            PROGRAMS[name] = fn
        return fn

    return register
