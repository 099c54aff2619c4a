"""Measures: the value of a rule for each (subject, period), vectorised over the log.

Which log rows count (policies.md, "What counts"): the row's 工号 is the subject's staff
member, its type is one of the rule's types and its date lies in the period. Pair rules
need the student in the row's 学号 list; class rules need the row's 班级, or — 班级 blank —
students of that class listed (only those count for share/distinct), or no students and
a staff member paired with exactly one class in the term.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mentor_xl.engine.prepare import Prepared
from mentor_xl.packs import Rule

KEY = ["subject", "pidx"]


def rows_in_periods(prep: Prepared, rule: Rule, plist: pd.DataFrame, row_window: tuple[int, int] | None,
                    staff_ids) -> pd.DataFrame:
    """Log rows of the rule's types and staff, with the index of the period they fall in."""
    log = prep.log
    types = rule.all_types
    mask = log["staff_id"].isin(staff_ids).to_numpy().copy()
    if types is not None:
        mask &= log["type"].isin(types).to_numpy()
    d = log["day"].to_numpy()
    if row_window is not None:  # deadline: one window around the term's first day
        mask &= (d >= row_window[0]) & (d <= row_window[1])
        pidx = np.zeros(len(log), dtype=np.int64)
    else:
        starts, ends = plist["start"].to_numpy(), plist["end"].to_numpy()
        pidx = np.searchsorted(starts, d, "right") - 1
        mask &= (pidx >= 0) & (d <= ends[np.clip(pidx, 0, len(ends) - 1)])
    idx = np.flatnonzero(mask)
    return pd.DataFrame({"idx": idx, "pidx": pidx[idx], "staff_id": log["staff_id"].to_numpy()[idx]})


def hits(prep: Prepared, rule: Rule, rows: pd.DataFrame, subj: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(row hits, student hits): which rows — and which listed students — count for which subject.

    row hits: subject, pidx, idx (unique); student hits: subject, pidx, student_id.
    """
    ls = prep.log_students
    if rule.scope == "staff":
        h = rows.merge(subj[["subject", "staff_id"]], on="staff_id")
        sh = h.merge(ls, on="idx")
    elif rule.scope == "pair":
        sh = (rows.merge(ls, on="idx")
              .merge(subj[["subject", "staff_id", "student_id"]], on=["staff_id", "student_id"]))
        h = sh
    else:
        h, sh = _class_hits(prep, rows, subj)
    h = h[["subject", "pidx", "idx"]].drop_duplicates()
    sh = sh[["subject", "pidx", "student_id"]].drop_duplicates() if len(sh) else pd.DataFrame(columns=["subject", "pidx", "student_id"])
    return h, sh


def _class_hits(prep: Prepared, rows: pd.DataFrame, subj: pd.DataFrame):
    log = prep.log
    cls = log["class"].to_numpy()[rows["idx"].to_numpy()]
    rows = rows.assign(**{"class": cls})
    csubj = subj[["subject", "staff_id", "class"]]
    roster = prep.roster[["student_id", "class"]].rename(columns={"class": "sclass"})
    ls = prep.log_students

    named = rows[pd.notna(cls)]
    h_named = named.merge(csubj, on=["staff_id", "class"])
    # Students listed on a row of that class count only when they belong to the class.
    s_named = (h_named.merge(ls, on="idx").merge(roster, on="student_id"))
    s_named = s_named[s_named["class"] == s_named["sclass"]]

    blank = rows[pd.isna(cls)].drop(columns="class")
    listed = blank.merge(ls, on="idx").merge(roster, on="student_id").rename(columns={"sclass": "class"})
    s_listed = listed.merge(csubj, on=["staff_id", "class"])

    has_students = blank["idx"].isin(ls["idx"])
    sole = csubj.groupby("staff_id").filter(lambda g: len(g) == 1) if len(csubj) else csubj
    h_sole = blank[~has_students].merge(sole[["subject", "staff_id"]], on="staff_id")

    h = pd.concat([h_named[["subject", "pidx", "idx"]], s_listed[["subject", "pidx", "idx"]],
                   h_sole[["subject", "pidx", "idx"]]], ignore_index=True)
    sh = pd.concat([s_named[["subject", "pidx", "student_id"]], s_listed[["subject", "pidx", "student_id"]]],
                   ignore_index=True)
    return h, sh


def values(prep: Prepared, rule: Rule, h: pd.DataFrame, sh: pd.DataFrame) -> pd.Series:
    """The measured value per (subject, pidx) as a Series indexed by KEY (missing = 0)."""
    log = prep.log
    m = rule.measure
    if m in ("count", "deadline"):
        return h.groupby(KEY).size().astype(float)
    if m == "sum:时长":
        return h.assign(v=log["hours"].to_numpy()[h["idx"].to_numpy()]).groupby(KEY)["v"].sum(min_count=0).fillna(0.0)
    if m == "sum:人次":
        v = log["persons"].to_numpy()[h["idx"].to_numpy()]
        return h.assign(v=np.where(np.isnan(v), 1.0, v)).groupby(KEY)["v"].sum()
    if m in ("distinct:学号", "share:学号"):
        return sh.groupby(KEY)["student_id"].nunique().astype(float)
    if m == "distinct:宿舍":
        d = h.assign(v=log["dorm"].to_numpy()[h["idx"].to_numpy()]).dropna(subset=["v"])
        return d.groupby(KEY)["v"].nunique().astype(float)
    if m in ("distinct:活动类型", "duties"):
        d = h.assign(v=log["type"].to_numpy()[h["idx"].to_numpy()])
        return d.groupby(KEY)["v"].nunique().astype(float)
    raise ValueError(m)


def logged_types(prep: Prepared, h: pd.DataFrame) -> pd.DataFrame:
    """subject, type: the distinct types each subject logged (for the duties measure)."""
    return h.assign(type=prep.log["type"].to_numpy()[h["idx"].to_numpy()])[["subject", "type"]].drop_duplicates()


def max_concurrent(prep: Prepared, subj: pd.DataFrame, lo: int, hi: int) -> pd.Series:
    """Most students assigned to each staff subject on any one day of [lo, hi] (生师比)."""
    p = prep.pairs
    p = p[p["staff_id"].isin(subj["staff_id"])]
    a, b = np.maximum(p["lo"].to_numpy(), lo), np.minimum(p["hi"].to_numpy(), hi)
    keep = b >= a
    ev = pd.DataFrame({
        "staff_id": np.concatenate([p["staff_id"].to_numpy()[keep]] * 2),
        "day": np.concatenate([a[keep], b[keep] + 1]),
        "delta": np.concatenate([np.ones(keep.sum()), -np.ones(keep.sum())]),
    })
    # Ends sort before starts on the same day: an assignment ending the day before
    # another starts does not overlap it.
    ev = ev.sort_values(["staff_id", "day", "delta"], kind="stable")
    ev["n"] = ev.groupby("staff_id")["delta"].cumsum()
    peak = ev.groupby("staff_id")["n"].max()
    return subj["staff_id"].map(peak).fillna(0.0).set_axis(subj["subject"])
