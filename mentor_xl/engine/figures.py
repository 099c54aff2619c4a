"""The headline figures of a compliance run, for the whole office or one 学院, and the
paragraph a term report quotes.

One computation feeds the CLI summary (``pipeline.compliance_summary``) and the results
workbook's 总览 sheet, so the numbers an office pastes are the ones the command printed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentor_xl.engine.result import ComplianceResult
from mentor_xl.workbook.values import factorize_objects

TOP_MISSED = 5  # rules listed as most often missed
NO_COLLEGE = "（未填学院）"


@dataclass(frozen=True)
class Missed:
    rule: str  # id
    title: str
    clause: str
    count: int  # subjects (staff, student or class) with the rule 不达标

    @property
    def name(self) -> str:
        return rule_label(self.title, self.clause)


@dataclass(frozen=True)
class Figures:
    scope: str  # "全单位" or the 学院
    assessed: int  # staff with at least one period required
    full: int  # of those, every required period met
    mean_rate: float | None
    min_rate: float | None
    missed: tuple[Missed, ...]  # most often missed rules, most first

    @property
    def short(self) -> int:
        return self.assessed - self.full

    @property
    def full_share(self) -> float | None:
        return self.full / self.assessed if self.assessed else None


def rule_label(title, clause) -> str:
    """The rule as people read it: its Chinese title with the clause, e.g. 每月交流（四.1）."""
    title = "" if title is None or (isinstance(title, float) and pd.isna(title)) else str(title)
    clause = "" if clause is None or (isinstance(clause, float) and pd.isna(clause)) else str(clause)
    return f"{title}（{clause}）" if clause else title


def figures(result: ComplianceResult, college: str | None = None, *, top: int = TOP_MISSED) -> Figures:
    """Figures of the whole office (``college`` None) or of one 学院 (``NO_COLLEGE`` for blanks)."""
    if college is None:
        return overview(result, top=top)[1]
    s, r = result.staff, result.results
    s, r = s[(_college(s) == college).to_numpy()], r[(_college(r) == college).to_numpy()]
    counts, missed = _counts(s, np.full(len(s), college, dtype=object), r, np.full(len(r), college, dtype=object), top)
    return _from_counts(college, counts, missed)


def by_college(result: ComplianceResult, *, top: int = TOP_MISSED) -> dict[str, Figures]:
    """``figures`` of every 学院 of ``colleges(result)``."""
    return overview(result, top=top)[0]


def overview(result: ComplianceResult, *, top: int = TOP_MISSED) -> tuple[dict[str, Figures], Figures]:
    """``by_college`` and the whole office's ``figures``, from one pass over each frame: one
    count per frame in numpy, not a group-by per 学院 (an office of 30 学院 would spend its
    overview's time there)."""
    s, r = result.staff, result.results
    s_by = _college(s).to_numpy(dtype=object)
    counts, missed = _counts(s, s_by, r, _college(r).to_numpy(dtype=object), top)
    per = {c: _from_counts(c, counts, missed) for c in _sorted_colleges(s_by[(s["periods_required"] > 0).to_numpy()])}
    whole = _from_counts(None, counts, missed)
    return per, whole


def _counts(s: pd.DataFrame, s_by: np.ndarray, r: pd.DataFrame, r_by: np.ndarray, top: int):
    """Per group of ``s_by`` (a label per staff row) and ``r_by`` (per result row), and for all
    of them (key None): {group: (assessed, full, mean rate, min rate)} over the staff assessed,
    and {group: the ``top`` rules most often 不达标, most first; a tie in the order of rule id,
    title, clause}."""
    assessed = (s["periods_required"] > 0).to_numpy()
    rates = pd.to_numeric(s["rate"], errors="coerce").to_numpy(dtype=float)[assessed]
    counts = {}
    for g, at in [*groups(s_by[assessed]), (None, slice(None))]:
        v = rates[at]
        ok = v[~np.isnan(v)]
        # np.nanmean sums as pandas' Series.mean does (NaN as 0, pairwise): the same figures
        mean, low = (float(np.nanmean(v)), float(ok.min())) if len(ok) else (np.nan, np.nan)
        counts[g] = (len(v), int((v >= 1).sum()), mean, low) if len(v) else (0, 0, None, None)
    missed = (r["status"] == "missed").to_numpy()
    # (rule, title, clause) as one code, each coded in sorted order: codes sort as a group-by does
    key, labels, shape = combined([r[c].to_numpy(dtype=object)[missed] for c in ("rule", "title", "clause")],
                                  sort=True, blanks=True)
    size = int(np.prod(shape))
    by_codes, by_names = pd.factorize(r_by[missed])
    found: dict = {}
    for g, k in ((by_names, by_codes * size + key), ([None], key)):
        uniq, n = np.unique(k, return_counts=True)
        group, rule = np.divmod(uniq, size)
        parts = np.unravel_index(rule, shape)
        for i in np.lexsort((-n, group)).tolist():  # by group, most first; a tie: np.unique's (sorted) order
            mine = found.setdefault(g[group[i]], [])
            if len(mine) < top:
                mine.append(Missed(*(labels[j][parts[j][i]] for j in range(3)), int(n[i])))
    return counts, found


def combined(columns: list[np.ndarray], *, sort: bool = False, blanks: bool = False):
    """One code per row for the tuple of ``columns``: mixed-radix over each column's own codes
    (``pd.factorize``'s, sorted or in the order values first appear); each column's distinct
    values; and the radices (``np.unravel_index(code, radices)`` gives back a code per column).
    ``blanks``: a blank is a value of its own; otherwise a row with any blank gets -1."""
    key, labels = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64), []
    for col in columns:
        codes, names = factorize_objects(col, sort=sort, use_na_sentinel=not blanks)
        key = np.where((codes >= 0) & (key >= 0), key * max(len(names), 1) + codes, -1)
        labels.append(names)
    return key, labels, [max(len(x), 1) for x in labels]


def groups(values: np.ndarray) -> list:
    """(value, its positions) of each distinct value of ``values`` in the order values first
    appear (blanks left out, as a group-by leaves them), the positions in order."""
    codes, names = pd.factorize(values)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return [(g, order[bounds[k]:bounds[k + 1]]) for k, g in enumerate(names)]


def _from_counts(scope: str | None, counts: dict, missed: dict) -> Figures:
    assessed, full, mean, low = counts.get(scope, (0, 0, None, None))
    return Figures(scope=scope or "全单位", assessed=assessed, full=full, mean_rate=mean, min_rate=low,
                   missed=tuple(missed.get(scope, ())))


def colleges(result: ComplianceResult) -> list[str]:
    """The 学院 of the staff assessed, sorted (blank last as NO_COLLEGE)."""
    s = result.staff
    return _sorted_colleges(_college(s[s["periods_required"] > 0]).to_numpy(dtype=object))


def _sorted_colleges(names: np.ndarray) -> list[str]:
    found = set(pd.unique(names).tolist())
    return sorted(found - {NO_COLLEGE}) + ([NO_COLLEGE] if NO_COLLEGE in found else [])


def _college(df: pd.DataFrame) -> pd.Series:
    return df["college"].astype(object).where(df["college"].notna(), NO_COLLEGE)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def term_span(result: ComplianceResult) -> str:
    return f"{result.term_start:%Y年%-m月%-d日}—{result.term_end:%Y年%-m月%-d日}"


def paragraph(result: ComplianceResult, f: Figures, *, office: str = "") -> str:
    """A paragraph for the term report, in Chinese, with exactly the figures of ``f``."""
    who = f.scope if f.scope != "全单位" else (office or "全单位")
    if not f.assessed:
        return f"{result.term}学期（{term_span(result)}），{who}没有需要考核的导师。"
    text = (f"{result.term}学期（{term_span(result)}），{who}应考核导师 {f.assessed} 人，"
            f"全部达标 {f.full} 人（{pct(f.full_share)}），未全部达标 {f.short} 人；"
            f"合规率平均 {pct(f.mean_rate)}，最低 {pct(f.min_rate)}。")
    if f.missed:
        text += "未达标较多的要求：" + "；".join(f"{m.name} {m.count} 项" for m in f.missed) + "。"
    else:
        text += "各项要求均已达标。"
    return text
