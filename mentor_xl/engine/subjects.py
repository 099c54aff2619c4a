"""Subjects of a rule — staff members, staff–student pairs, staff–class pairs — with the
segments of days on which each is active (window ∩ appointment ∩ assignment).

A subject exists when that intersection touches the rule's window at all; whether a
period is *required* is then decided from its active days (holidays excluded).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mentor_xl.engine.prepare import Prepared
from mentor_xl.packs import Rule
from mentor_xl.periods import merge_segments

SUBJECT_COLS = ["subject", "staff_id", "role", "student_id", "class"]


def subjects(prep: Prepared, rule: Rule, lo: int, hi: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(subjects, segments) of ``rule`` within the window [lo, hi].

    subjects: subject (int), staff_id, role, student_id, class
    segments: subject, lo, hi — merged, non-overlapping, clipped to the window
    """
    appt = prep.staff[prep.staff["role"].isin(rule.roles)]
    # One staff subject per person even if two of their roles carry the rule.
    appt = appt[["staff_id", "role", "lo", "hi"]]
    if rule.scope == "staff":
        seg = appt.assign(student_id=None, **{"class": None})
    elif rule.scope == "pair":
        seg = _intersect(appt, prep.pairs, "student_id").assign(**{"class": None})
    else:
        seg = _intersect(appt, prep.classes, "class").assign(student_id=None)
    seg = seg.assign(lo=np.maximum(seg["lo"].to_numpy(), lo), hi=np.minimum(seg["hi"].to_numpy(), hi))
    seg = seg[seg["hi"] >= seg["lo"]]
    key = ["staff_id", "student_id", "class"]
    subj = (seg.drop_duplicates(key)[["staff_id", "role", "student_id", "class"]]
            .sort_values(key, kind="stable", na_position="first").reset_index(drop=True))
    subj.insert(0, "subject", np.arange(len(subj), dtype=np.int64))
    seg = seg.merge(subj[["subject", *key]], on=key, how="inner")[["subject", "lo", "hi"]]
    return subj[SUBJECT_COLS], merge_segments(seg)


def _intersect(appt: pd.DataFrame, links: pd.DataFrame, col: str) -> pd.DataFrame:
    """Appointment segments × assignment segments of the same staff member, intersected."""
    m = appt.merge(links, on="staff_id", suffixes=("", "_a"))
    return pd.DataFrame({
        "staff_id": m["staff_id"], "role": m["role"], col: m[col],
        "lo": np.maximum(m["lo"], m["lo_a"]), "hi": np.minimum(m["hi"], m["hi_a"]),
    })
