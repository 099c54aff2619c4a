"""Document jobs for the benchmarks: the batches of ``benchmarks/bench_docs.py`` (issue 4's own
benchmark), so both measure the same documents.

- ``contexts(n)``: 整改提醒 notices, three unmet items each, names with & < > and emoji;
- ``chart_contexts(n)``: 学期工作总结 with a matplotlib chart each (work worth splitting across cores).
"""
from __future__ import annotations

from benchmarks.bench_docs import docxtpl_per_document, jobs, summary_jobs  # noqa: F401

KIND = "reminder"  # 整改提醒: one per staff member, the batch an office sends most often
CHART_KIND = "term-summary"


def contexts(n: int):
    return jobs(n)


def chart_contexts(n: int):
    return summary_jobs(n)
