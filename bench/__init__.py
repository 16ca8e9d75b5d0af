"""lp-toolbelt benchmarks: ``make bench`` (``python -m bench``) runs every section, prints a table and writes
``bench/results.json``. Each section also runs alone: ``python -m bench.bench_overhead`` etc. See bench/README.md.
"""
