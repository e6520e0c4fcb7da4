"""Benchmarks: ``make bench`` (``python -m benchmarks``) runs every ``benchmarks/bench_*.py`` as its own script.

A benchmark is a plain script, run from the repository root as ``.venv/bin/python benchmarks/bench_x.py``
with the repository on ``PYTHONPATH`` and ``DJANGO_SETTINGS_MODULE=liuhen.settings`` preset. It measures
its own baseline in the same run (for example a plain INSERT loop beside the ledger's append) and prints
the ratio on a line containing the word ``ratio``, e.g. ``ratio ledger/plain insert: 1.8x``; the runner
repeats those lines in its summary. It exits non-zero when it cannot measure. Figures worth keeping go
into ``benchmarks/RESULTS.md`` with the machine and date.
"""
