"""The osbox workload benchmark, run as ``python benchmarks/workload.py``
(see that script and benchmarks/README.md)."""
