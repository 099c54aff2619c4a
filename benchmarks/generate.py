"""Seeded office workbooks for the benchmarks, cached on disk.

The content comes from ``mentor_xl.demo`` (rule-driven, realistic type mix, aliases and
gaps: 缺月 / 较差 / 无记录 staff). Writing a 1M-row workbook with XlsxWriter takes more than a
minute, so each book is kept under ``benchmarks/.cache/`` (not committed), keyed by policy,
seed, staff, students, log rows and a hash of the generator's source: a change to
``mentor_xl/demo.py`` makes new books.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

POLICY = "bit-2022"
SEED = 2024
STAFF = 4_000
STUDENTS = 40_000
SIZES = {"10k": 10_000, "100k": 100_000, "200k": 200_000, "500k": 500_000, "1M": 1_000_000}
FORMAT = 1  # bump when the way books are built here changes
TERM = "2024-2025-1"
CACHE = Path(os.environ.get("MENTOR_XL_BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))
_UNITS = {"k": 1_000, "m": 1_000_000}


def rows_of(label: str) -> int:
    """Log rows of a size label: those of ``SIZES``, or any count (``300k``, ``0.8M``, ``250000``), so
    that books the benchmark never saw — another size, another ``seed`` — measure the same way."""
    text = label.strip().lower()
    unit = _UNITS.get(text[-1:], 1)
    number = text[:-1] if unit > 1 else text
    try:
        rows = round(float(number) * unit)
    except (ValueError, OverflowError):  # not a number; inf
        rows = 0
    if not 1 <= rows <= 1_048_575:  # an Excel sheet's rows under the header
        raise ValueError(f"log size {label!r}: give a count of rows such as 10k, 250k, 0.8M or 30000 "
                         "(at most an Excel sheet's 1,048,575)")
    return rows


@dataclass(frozen=True)
class Book:
    path: Path
    rows: int
    log_header_row: int  # Excel row of the 活动记录 header
    build_seconds: float | None  # None when it came from the cache


def generator_version() -> str:
    """Short hash of the generator's source (mentor_xl/demo.py) and of ``FORMAT``."""
    import mentor_xl.demo as demo

    h = hashlib.sha256(Path(demo.__file__).read_bytes())
    h.update(str(FORMAT).encode())
    return h.hexdigest()[:10]


def book(rows: int, *, policy: str = POLICY, seed: int = SEED, staff: int = STAFF, students: int = STUDENTS,
         cache: Path | None = None) -> Book:
    """The benchmark workbook with ``rows`` 活动记录 rows, built once and then reused."""
    from mentor_xl.demo import build_demo_book

    cache = Path(cache or CACHE)
    name = f"{policy}-s{seed}-{staff}x{students}-{rows}-{generator_version()}"
    path, meta = cache / f"{name}.xlsx", cache / f"{name}.json"
    if path.is_file() and meta.is_file():
        return Book(path, rows, json.loads(meta.read_text())["log_header_row"], None)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"{name}.{os.getpid()}.tmp.xlsx"
    t = time.perf_counter()
    # messy=False: real offices have odd cells, but the "same answer" check against
    # COUNTIFS needs dates that are dates; the reader's messy paths have their own tests
    info = build_demo_book(tmp, policy, seed=seed, staff=staff, students=students, messy=False, log_rows=rows)
    seconds = time.perf_counter() - t
    os.replace(tmp, path)
    meta.write_text(json.dumps({"rows": rows, "log_header_row": info.header_rows["活动记录"],
                                "build_seconds": round(seconds, 1), "policy": policy, "seed": seed,
                                "staff": staff, "students": students}, ensure_ascii=False))
    return Book(path, rows, info.header_rows["活动记录"], seconds)


if __name__ == "__main__":
    import sys

    for label in sys.argv[1:] or list(SIZES):
        b = book(rows_of(label))
        print(label, b.path, "built in %.1f s" % b.build_seconds if b.build_seconds else "cached", flush=True)
