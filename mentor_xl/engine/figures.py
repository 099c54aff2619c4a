"""The headline figures of a compliance run, for the whole office or one 学院, and the
paragraph a term report quotes.

One computation feeds the CLI summary (``pipeline.compliance_summary``) and the results
workbook's 总览 sheet, so the numbers an office pastes are the ones the command printed.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mentor_xl.engine.result import ComplianceResult

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
    s, r = result.staff, result.results
    if college is not None:
        s = s[_college(s) == college]
        r = r[_college(r) == college]
    return _figures(college or "全单位", s, r, top)


def by_college(result: ComplianceResult, *, top: int = TOP_MISSED) -> dict[str, Figures]:
    """``figures`` of every 学院 of ``colleges(result)``, each frame split once."""
    staff = dict(tuple(result.staff.groupby(_college(result.staff), sort=False)))
    results = dict(tuple(result.results.groupby(_college(result.results), sort=False)))
    return {c: _figures(c, staff[c], results.get(c, result.results.iloc[:0]), top) for c in colleges(result)}


def _figures(scope: str, s: pd.DataFrame, r: pd.DataFrame, top: int) -> Figures:
    assessed = s[s["periods_required"] > 0]
    rates = pd.to_numeric(assessed["rate"], errors="coerce")
    missed = (r[r["status"] == "missed"].groupby(["rule", "title", "clause"], dropna=False).size()
              .sort_values(ascending=False, kind="stable"))
    return Figures(
        scope=scope, assessed=len(assessed), full=int((rates >= 1).sum()),
        mean_rate=float(rates.mean()) if len(rates) else None, min_rate=float(rates.min()) if len(rates) else None,
        missed=tuple(Missed(rule, title, clause, int(n)) for (rule, title, clause), n in missed.head(top).items()))


def colleges(result: ComplianceResult) -> list[str]:
    """The 学院 of the staff assessed, sorted (blank last as NO_COLLEGE)."""
    s = result.staff[result.staff["periods_required"] > 0]
    names = sorted(set(_college(s)) - {NO_COLLEGE})
    return names + ([NO_COLLEGE] if (_college(s) == NO_COLLEGE).any() else [])


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
