#!/usr/bin/env python3
"""osbox standard workload benchmark.

One plain piece of code, written against the real ``os``, ``open`` and
``shutil``, is timed on five backends in one process:

* a real tmpfs directory (``/dev/shm``);
* a real disk directory (``--disk-dir``, default a temp dir in ``/var/tmp``
  or the repository's parent, checked not to be tmpfs);
* pyfakefs (``with Patcher():``);
* an in-memory osbox machine (``with osbox.Machine().patch():``);
* an osbox machine kept in a SQLite file on the disk directory.

Phases: create (makedirs + open/write/close), stat, listdir, walk, read,
rename and rmtree. Each figure is the median of ``--repeat`` runs; the
backend's setup and teardown (patcher, machine, temp dir) are timed apart.

Also measured: ``Machine.patch()`` enter+exit against pyfakefs ``Patcher()``
setup+teardown, the per-call dispatch overhead of a patched call, per-call
latencies of stat / open+read+close / rename on every backend, and (with
``--million``) the RSS per empty file and the stat latency of a memory
machine holding 1,000,000 files.

Run ``python benchmarks/workload.py --help``; see benchmarks/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from osbench.cli import main  # noqa: E402 - after the path set-up

if __name__ == "__main__":
    sys.exit(main())
