"""Run CPython's own test suites (the interpreter's ``test`` package) inside
an osbox machine and on the real OS, and compare (see ``harness``)."""
