"""Every answer of a compliance run, for the runner's same-answer checks between two books that
hold the same rows (the benchmark's book and the office's layouts of it, under any pack).

The naive script and COUNTIFS count one bit-2022 rule (``countifs.engine_counts``); a book of
another pack has no row of that rule, so the layouts are compared here on every rule: each 合规明细
row (rule × staff member × student or class × period) with its value, whether it was required and
whether it was met.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["rule", "staff_id", "student_id", "class", "period"]


def engine_answers(result) -> pd.DataFrame:
    """rule, staff_id, student_id, class, period, value, required, met of every 合规明细 row
    (a subject without a student or class has "" there)."""
    d = result.details
    out = pd.DataFrame({k: d[k].astype(object).where(d[k].notna(), "").astype(str).to_numpy() for k in KEY})
    out["value"] = pd.to_numeric(d["value"], errors="coerce").to_numpy(dtype=float)
    out["required"] = d["required"].astype(bool).to_numpy()
    out["met"] = d["met"].astype(bool).to_numpy()
    return out


def load(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={k: str for k in KEY}, keep_default_na=False, na_values={"value": [""]})


def same_answers(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    """Do two runs agree on every 合规明细 row, and have the same rows?"""
    return compare(a, b, KEY, ["value", "required", "met"], "规则×对象×周期", "结果", show=KEY)


def compare(a: pd.DataFrame, b: pd.DataFrame, key: list, values: list, unit: str, what: str,
            show: list | None = None) -> tuple[bool, str]:
    """Do two tables agree on ``values`` (numbers within rounding, blank = blank) in every row of
    ``key``, and have the same rows? (ok, a note saying how many ``unit`` agree or which differ:
    their ``show`` columns, every column when None.)"""
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    both = m[m["_merge"] == "both"]
    differs = np.zeros(len(both), dtype=bool)
    for c in values:
        x, y = both[f"{c}_a"].to_numpy(), both[f"{c}_b"].to_numpy()
        if x.dtype.kind == "f" and y.dtype.kind == "f":
            differs |= ~(np.isclose(x, y) | (np.isnan(x) & np.isnan(y)))
        else:
            differs |= x != y
    diff = both[differs]
    only = int((m["_merge"] != "both").sum())
    ok = len(diff) == 0 and only == 0 and len(both) > 0
    shown = diff if show is None else diff[show]
    note = f"{len(both)} 个 {unit} {what}一致" if ok else (
        f"{len(diff)} 个{what}不同（如 {shown.head(3).to_dict('records')}），{only} 个只在一方")
    return ok, note
