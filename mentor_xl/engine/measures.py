"""Measures: the value of a rule for each (subject, period), vectorised over the log.

Which log rows count (docs/policies.md, "What counts"): the row's 工号 is the subject's staff
member, its type is one of the rule's types and its date lies in the period. Pair rules
need the student in the row's 学号 list; class rules need the row's 班级, or — 班级 blank —
students of that class listed (only those count for share/distinct), or no students and
a staff member paired with exactly one class in the term.

Everything is numpy on integer codes: a hit is (subject, period, log row), a value is a
bincount over ``subject * P + period``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentor_xl.engine.prepare import NONE, Prepared
from mentor_xl.packs import Rule
from mentor_xl.packs.measures import MEASURES

SUM_BLANK = {"hours": 0.0, "persons": 1.0}  # what a blank cell adds to a sum


@dataclass
class Hits:
    """Rows (and listed students) that count, per subject and period."""
    subject: np.ndarray
    pidx: np.ndarray
    idx: np.ndarray  # position in prep.log
    s_subject: np.ndarray  # student hits: for distinct/share measures
    s_pidx: np.ndarray
    s_student: np.ndarray


def rows_in_periods(prep: Prepared, rule: Rule, plist: pd.DataFrame, row_window: tuple[int, int] | None,
                    subj: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(log positions, period index) of rows of the rule's types and staff inside its periods."""
    log = prep.log
    staff_ok = np.zeros(len(prep.staff_ids) + 1, dtype=bool)
    staff_ok[subj["staff"].to_numpy()] = True
    mask = staff_ok[log["staff"].to_numpy()]
    types = rule.all_types
    if types is not None:
        type_ok = np.zeros(len(prep.type_names), dtype=bool)
        type_ok[prep.type_codes(types)] = True
        mask &= type_ok[log["type"].to_numpy()]
    d = log["day"].to_numpy()
    if row_window is not None:  # deadline: one window around the term's first day
        mask &= (d >= row_window[0]) & (d <= row_window[1])
        idx = np.flatnonzero(mask)
        return idx, np.zeros(len(idx), dtype=np.int64)
    starts, ends = plist["start"].to_numpy(), plist["end"].to_numpy()
    pidx = np.searchsorted(starts, d, "right") - 1
    mask &= (pidx >= 0) & (d <= ends[np.clip(pidx, 0, len(ends) - 1)])
    idx = np.flatnonzero(mask)
    return idx, pidx[idx]


def hits(prep: Prepared, rule: Rule, idx: np.ndarray, pidx: np.ndarray, subj: pd.DataFrame) -> Hits:
    log = prep.log
    staff = log["staff"].to_numpy()[idx]
    if rule.scope == "staff":
        of_staff = np.full(len(prep.staff_ids) + 1, NONE, dtype=np.int64)
        of_staff[subj["staff"].to_numpy()] = subj["subject"].to_numpy()
        s = of_staff[staff]
        k = s != NONE
        h_sub, h_p, h_idx = s[k], pidx[k], idx[k]
        r, stu = _expand(prep, h_idx)
        return Hits(h_sub, h_p, h_idx, h_sub[r], h_p[r], stu)
    if rule.scope == "pair":
        r, stu = _expand(prep, idx)
        s = _lookup(subj, ["staff", "student"], staff[r], stu)
        k = s != NONE
        return Hits(s[k], pidx[r][k], idx[r][k], s[k], pidx[r][k], stu[k])
    return _class_hits(prep, idx, pidx, staff, subj)


def _class_hits(prep: Prepared, idx, pidx, staff, subj) -> Hits:
    cls = prep.log["cls"].to_numpy()[idx]
    class_of = np.full(len(prep.student_ids) + 1, NONE, dtype=np.int64)
    class_of[prep.roster["student"].to_numpy()] = prep.roster["cls"].to_numpy()

    # A row naming its class: the row counts; listed students count only if in that class.
    named = cls != NONE
    s_named = _lookup(subj, ["staff", "cls"], staff[named], cls[named])
    r, stu = _expand(prep, idx[named])
    in_class = class_of[stu] == cls[named][r]
    # 班级 blank, students listed: the row counts for each listed student's class.
    blank = ~named
    rb, stub = _expand(prep, idx[blank])
    s_listed = _lookup(subj, ["staff", "cls"], staff[blank][rb], class_of[stub])
    # 班级 blank, nobody listed: the staff member's only class, if they have exactly one.
    nobody = blank.copy()
    nobody[np.flatnonzero(blank)[np.unique(rb)]] = False
    per_staff = subj.groupby("staff")["subject"].agg(["first", "size"])
    sole = per_staff[per_staff["size"] == 1]["first"]
    of_staff = np.full(len(prep.staff_ids) + 1, NONE, dtype=np.int64)
    of_staff[sole.index.to_numpy()] = sole.to_numpy()
    s_sole = of_staff[staff[nobody]]

    sub = np.concatenate([s_named, s_listed, s_sole])
    p = np.concatenate([pidx[named], pidx[blank][rb], pidx[nobody]])
    i = np.concatenate([idx[named], idx[blank][rb], idx[nobody]])
    k = sub != NONE
    sub, p, i = _unique_rows(sub[k], p[k], i[k])
    ss = np.concatenate([s_named[r][in_class], s_listed])
    sp = np.concatenate([pidx[named][r][in_class], pidx[blank][rb]])
    st = np.concatenate([stu[in_class], stub])
    k = ss != NONE
    return Hits(sub, p, i, ss[k], sp[k], st[k])


def _expand(prep: Prepared, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The students listed on each row: (position in ``idx``, student code) per listed student."""
    first, count = prep.listed_span
    lo, n = first[idx], count[idx]
    r = np.repeat(np.arange(len(idx)), n)
    offset = np.arange(len(r)) - np.repeat(np.cumsum(n) - n, n)
    return r, prep.log_students["student"].to_numpy()[lo[r] + offset]


def _lookup(subj: pd.DataFrame, cols: list[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The subject whose (cols) equal (a, b), or NONE."""
    keys = subj[cols[0]].to_numpy(np.int64) * (1 << 31) + subj[cols[1]].to_numpy(np.int64)
    pos = pd.Index(keys).get_indexer(a.astype(np.int64) * (1 << 31) + b.astype(np.int64))
    return np.where(pos >= 0, subj["subject"].to_numpy()[np.maximum(pos, 0)], NONE)


def _unique_rows(sub: np.ndarray, p: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, ...]:
    """Drop repeated (subject, period, row) hits — a row listing two students of one class."""
    if not len(sub):
        return sub, p, i
    n = np.int64(len(i) and int(i.max()) + 1)
    P = np.int64(int(p.max()) + 1)
    u = pd.unique((sub.astype(np.int64) * P + p) * n + i)  # hash-based: no sort
    return u // n // P, u // n % P, u % n


def _distinct(key: np.ndarray, what: np.ndarray, K: int) -> np.ndarray:
    """Distinct non-blank ``what`` per key, counted with one hash pass over int64 pairs."""
    k = what != NONE
    if not k.any():
        return np.zeros(K)
    M = np.int64(int(what[k].max()) + 1)
    u = pd.unique(key[k].astype(np.int64) * M + what[k].astype(np.int64))
    return np.bincount(u // M, minlength=K).astype(float)


def values(prep: Prepared, rule: Rule, h: Hits, n_subj: int, P: int) -> np.ndarray:
    """The measured value as a subjects × periods matrix (0 where nothing counted)."""
    log = prep.log
    K = n_subj * P
    key = h.subject * P + h.pidx
    how, what = MEASURES[rule.measure].compute  # the measure's registry entry says what to count
    if how == "count":
        v = np.bincount(key, minlength=K).astype(float)
    elif how == "sum":
        w = log[what].to_numpy()[h.idx]
        # a blank 时长 adds nothing; a blank 人次 is one person
        v = np.bincount(key, weights=np.where(np.isnan(w), SUM_BLANK[what], w), minlength=K)
    elif what == "student":
        v = _distinct(h.s_subject * P + h.s_pidx, h.s_student, K)
    else:
        v = _distinct(key, log[what].to_numpy()[h.idx], K)
    return v.reshape(n_subj, P)


def logged_types(prep: Prepared, h: Hits, n_subj: int) -> np.ndarray:
    """subject × type code: whether the subject logged that type (for the duties measure)."""
    logged = np.zeros((n_subj, len(prep.type_names)), dtype=bool)
    logged[h.subject, prep.log["type"].to_numpy()[h.idx]] = True
    return logged


def max_concurrent(prep: Prepared, subj: pd.DataFrame, lo: int, hi: int) -> np.ndarray:
    """Most students assigned to each staff subject on any one day of [lo, hi] (生师比)."""
    p = prep.pairs
    a, b = np.maximum(p["lo"].to_numpy(), lo), np.minimum(p["hi"].to_numpy(), hi)
    keep = b >= a
    n = int(keep.sum())
    ev = pd.DataFrame({
        "staff": np.concatenate([p["staff"].to_numpy()[keep]] * 2),
        "day": np.concatenate([a[keep], b[keep] + 1]),
        "delta": np.concatenate([np.ones(n), -np.ones(n)]),
    })
    # Ends sort before starts on the same day: an assignment ending the day before
    # another starts does not overlap it.
    ev = ev.sort_values(["staff", "day", "delta"], kind="stable")
    ev["n"] = ev.groupby("staff")["delta"].cumsum()
    peak = ev.groupby("staff")["n"].max()
    return subj["staff"].map(peak).fillna(0.0).to_numpy()
