"""The programs a machine runs in-process: the sh interpreter and commands.

Every program is a function ``main(ctx) -> int`` over a ``Context``
(``shell/context.py``): the ``os`` surface of one virtual process, its
argv, and its standard streams as fds 0, 1 and 2. Programs never touch the
kernel directly (DESIGN.md, layer ``shell/``). ``registry.PROGRAMS`` maps a
program name (the basename a stub in ``/usr/bin`` names) to its function.
"""
