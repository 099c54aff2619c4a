"""Subjects of a rule — staff members, staff–student pairs, staff–class pairs — with the
segments of days on which each is active (window ∩ appointment ∩ assignment).

A subject exists when that intersection touches the rule's window at all; whether a
period is *required* is then decided from its active days (holidays excluded).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mentor_xl.engine.prepare import NONE, Prepared
from mentor_xl.packs import Rule
from mentor_xl.periods import intersect_segments, merge_segments


def subjects(prep: Prepared, rule: Rule, lo: int, hi: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(subjects, segments) of ``rule`` within the window [lo, hi].

    subjects: subject (0..n-1), staff, role, student, cls — codes, NONE where not applicable
    segments: subject, lo, hi — merged, non-overlapping, clipped to the window
    """
    appt = prep.staff[prep.staff["role"].isin(rule.roles)][["staff", "role", "lo", "hi"]]
    if rule.scope == "staff":
        seg = appt.assign(student=NONE, cls=NONE)
    elif rule.scope == "pair":
        seg = intersect_segments(appt, prep.pairs).assign(cls=NONE)
    else:
        seg = intersect_segments(appt, prep.classes).assign(student=NONE)
    seg = seg.assign(lo=np.maximum(seg["lo"].to_numpy(), lo), hi=np.minimum(seg["hi"].to_numpy(), hi))
    seg = seg[seg["hi"] >= seg["lo"]]
    # One subject per (staff, student, class), numbered in that order, even if two of a person's
    # roles carry the rule: the first role names it (a stable sort keeps the first row first).
    staff, student, cls = (seg[c].to_numpy() for c in ("staff", "student", "cls"))
    order = np.lexsort((cls, student, staff))
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.diff(staff[order]) != 0
    first[1:] |= np.diff(student[order]) != 0
    first[1:] |= np.diff(cls[order]) != 0
    subject = np.empty(len(order), dtype=np.int64)
    subject[order] = np.cumsum(first) - 1
    subj = seg.iloc[order[first]][["staff", "role", "student", "cls"]].reset_index(drop=True)
    subj.insert(0, "subject", np.arange(len(subj), dtype=np.int64))
    seg = pd.DataFrame({"subject": subject, "lo": seg["lo"].to_numpy(), "hi": seg["hi"].to_numpy()})
    return subj, merge_segments(seg)
