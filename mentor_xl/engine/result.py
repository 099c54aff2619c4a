"""What a compliance run produces: the contract for writers, assessment, documents and Excel.

Three frames (pandas), one row per:
  details  subject × rule × period     (合规明细)
  results  subject × rule              (合规汇总)
  staff    staff member                (人员汇总; the rate assessment uses)
and the problems found on the way (数据问题).

details columns:
  staff_id, name, role, college, rule, title, clause, scope, student_id, class,
  period (ISO date of the period's own first day), period_start, period_end (datetime64),
  active_days, calendar_days (int), required (bool), value (float), bound (float),
  op (">=" or "<="), met (bool; False when not required), shortfall (float, 0 when met or n/a),
  evidence (text, Arrow-backed: the Excel rows of 活动记录 that counted, "12、15、30 等 5 行",
  "无" when none; blank (NaN) for measures not taken from the log, e.g. 生师比)
results columns:
  staff_id, name, role, college, rule, title, clause, scope, student_id, class,
  status ("met" | "missed" | "n/a" | "report"), required (int), met (int), rate (float|NaN),
  missed_periods (list[str]), shortfalls (list[float], one per missed period), missed_text,
  shortfalls_text (the two lists as 合规汇总 prints them, "2024-09-01、2024-10-01", "1、0.5"; blank when empty),
  value (float: the measured value summed over required periods; for report-only rules the
  term/year value), report_only (bool), note (str: Chinese remark, e.g. missing duties),
  evidence_rows (list[int]: the first Excel rows of 活动记录 that counted, any period; None when
  the measure is not taken from the log), evidence_count (int: how many rows counted; -1 then)
staff columns:
  staff_id, name, role (roles joined with 、), college, rules_required, rules_met,
  periods_required, periods_met, rate (Σ met ÷ Σ required periods, report-only excluded;
  NaN when nothing is required)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from mentor_xl.problems import Problems


@dataclass
class ComplianceResult:
    policy: str
    term: str
    term_start: pd.Timestamp
    term_end: pd.Timestamp
    details: pd.DataFrame
    results: pd.DataFrame
    staff: pd.DataFrame
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        """The stable JSON shape of ``compliance --json`` (docs/contract.md): add keys, never rename."""
        results = []
        # "class" is a Python keyword: itertuples renames that field, so read it by position.
        i_class = self.results.columns.get_loc("class")
        for r in self.results.itertuples(index=False):
            results.append({
                "staff_id": r.staff_id, "name": r.name, "role": r.role, "rule": r.rule,
                "student_id": _none(r.student_id), "class": _none(r[i_class]),
                "status": r.status, "required": int(r.required), "met": int(r.met),
                "rate": _round(r.rate), "missed_periods": list(r.missed_periods),
                "shortfall": [_num(x) for x in r.shortfalls], "value": _num(r.value),
                "report_only": bool(r.report_only), "note": r.note or None,
                **_evidence(r),
            })
        staff = [{
            "staff_id": s.staff_id, "name": s.name, "role": s.role, "college": _none(s.college),
            "rules_required": int(s.rules_required), "rules_met": int(s.rules_met),
            "periods_required": int(s.periods_required), "periods_met": int(s.periods_met),
            "rate": _round(s.rate),
        } for s in self.staff.itertuples(index=False)]
        return {"policy": self.policy, "term": self.term,
                "term_start": self.term_start.date().isoformat(),
                "term_end": self.term_end.date().isoformat(),
                "results": results, "staff": staff, "problems": self.problems.to_list()}


def _evidence(r) -> dict:
    """evidence_rows (first Excel rows of 活动记录 that counted) and evidence_count; null when the
    measure does not come from the log (or the frame predates these columns)."""
    rows, count = getattr(r, "evidence_rows", None), getattr(r, "evidence_count", None)
    if rows is None or count is None or _none(count) is None or int(count) < 0:
        return {"evidence_rows": None, "evidence_count": None}
    return {"evidence_rows": [int(x) for x in rows], "evidence_count": int(count)}


def _none(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v


def _round(v, nd: int = 4):
    v = _none(v)
    return None if v is None else round(float(v), nd)


def _num(v):
    v = _none(v)
    if v is None:
        return None
    f = float(v)
    return int(f) if f.is_integer() else round(f, 4)
