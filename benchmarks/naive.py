"""The naive script: what a student assistant writes first.

pandas ``read_excel`` with openpyxl for the 活动记录 sheet, then a Python loop over the rows
counting, per staff member and month, the rows whose type (or one of its aliases) the rule
``bit.monthly-activity`` counts; the table is written with ``to_excel``. Same answer as
``countifs`` and the engine (checked by the runner); deliberately not vectorised, except that
exactly repeated rows are dropped first, as the engine drops them.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from benchmarks.countifs import RULE, months, type_names


def monthly_counts(book_path: Path, header_row: int, out: Path, *, policy: str = "bit-2022",
                   term: str = "2024-2025-1") -> pd.DataFrame:
    """staff_id, month, value for every staff member × month of the term; also written to ``out``."""
    from mentor_xl.packs import load_pack

    pack = load_pack(policy)
    counted = set(type_names(pack))
    terms = pd.read_excel(book_path, sheet_name="学期", engine="openpyxl")
    t = terms[terms["学期"] == term].iloc[0]
    ms = months(pd.Timestamp(t["开始日期"]), pd.Timestamp(t["结束日期"]))
    staff = pd.read_excel(book_path, sheet_name="人员", engine="openpyxl", dtype={"工号": str})["工号"].dropna()
    log = pd.read_excel(book_path, sheet_name="活动记录", header=header_row - 1, engine="openpyxl",
                        dtype={"工号": str, "学号": str})
    # a row repeated in every cell counts once, as mentor_xl counts it (疑似重复): a 1M-row
    # generated log has a few hundred such pairs, a 100k one none
    log = log.drop_duplicates()
    lo, hi = ms[0][0], ms[-1][1]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for day, sid, typ in zip(log["日期"], log["工号"], log["活动类型"]):
        if typ in counted and isinstance(day, pd.Timestamp) and lo <= day <= hi:
            counts[(sid, day.strftime("%Y-%m"))] += 1
    labels = [a.strftime("%Y-%m") for a, _ in ms]
    rows = [(sid, m, float(counts.get((sid, m), 0))) for sid in staff for m in labels]
    df = pd.DataFrame(rows, columns=["staff_id", "month", "value"])
    df.pivot(index="staff_id", columns="month", values="value").to_excel(out, sheet_name=RULE[:31])
    return df
