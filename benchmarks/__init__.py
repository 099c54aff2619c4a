"""Benchmarks of mentor_xl against the read floor (fastexcel), LibreOffice COUNTIFS and a naive script.

``python -m benchmarks`` runs them and writes ``benchmarks/RESULTS.md``; see ``run.py``.
"""
