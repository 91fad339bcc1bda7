"""Run a program in a machine and capture what it prints.

``run_program(machine, argv, stdin=b"", cwd="/")`` starts ``argv`` as a new
virtual process (``Machine.run``: PATH searched from ``/usr/bin``...) and
returns ``(status, stdout_bytes, stderr_bytes)``; a death by signal N gives
status 128 + N, as a shell reports it.
"""

from __future__ import annotations

from typing import Any


def run_program(
    machine: Any, argv: list[str], stdin: bytes = b"", cwd: str = "/", env: Any = None
) -> tuple[int, bytes, bytes]:
    r = machine.run(list(argv), input=stdin, cwd=cwd, env=env, timeout=60)
    status = r.returncode if r.returncode >= 0 else 128 - r.returncode
    return status, r.stdout, r.stderr
