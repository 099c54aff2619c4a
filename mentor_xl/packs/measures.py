"""The measure types a rule may use: one ``Measure`` per type, the one place to add one.

A Measure says how the engine computes its value (``compute``: what to count over the log
rows that count; ``kind``: the engine's special handling, if any), how it reads in Chinese
(the requirement of a rule, the shortfall of a missed period), whether it only exists per
term, and whether formula mode can write it as a native COUNTIFS/SUMIFS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

PERIOD_TEXT = {"week": "每周", "biweek": "每两周", "month": "每月", "term": "每学期", "year": "每学年"}
GRADE_TEXT = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级"}


def num_text(v: Any) -> str:
    """A number as the texts write it: 2.0 → "2", 0.5 → "0.5"."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class Measure:
    id: str
    compute: tuple[str, str | None]  # ("count", None) | ("sum", log column) | ("distinct", what)
    unit: str = ""  # in a requirement: 每月不少于 3 <unit>
    shortfall_unit: str = ""  # in a reminder: 差 1 <shortfall_unit>
    kind: str = "rows"  # rows | share | structural | deadline | duties: the engine's special handling
    term_only: bool = False  # structural and deadline rules have one period, the term
    formula: str | None = None  # COUNTIFS / SUMIFS in formula mode; None = a computed value
    requirement_text: Callable[[Any, Any], str] | None = None  # (rule, pack) -> text, when not the default
    shortfall_fn: Callable[[Any], str] | None = None  # shortfall -> text, when not the default

    def requirement(self, rule, pack) -> str:
        """The rule's requirement in plain Chinese, e.g. 每月不少于 1 次."""
        period = PERIOD_TEXT[rule.period]
        if rule.report_only:
            return f"仅统计（{period}），不作为达标要求"
        if self.requirement_text is not None:
            return self.requirement_text(rule, pack)
        return f"{period}不少于 {num_text(rule.minimum)} {self.unit}".rstrip()

    def shortfall(self, shortfall: Any) -> str:
        """What a missed period lacks, e.g. 差1次."""
        if self.shortfall_fn is not None:
            return self.shortfall_fn(shortfall)
        if shortfall is None or shortfall != shortfall:
            return "未达标"
        return f"差{_number(shortfall)}{self.shortfall_unit}"


def _number(v: Any, places: int = 2) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.{places}f}".rstrip("0").rstrip(".")


def _deadline_requirement(rule, pack) -> str:
    # common.toml gives every pack these two ⚙ keys; the office may have changed them.
    window = pack.setting("deadline_window_days")
    grace = pack.setting("deadline_grace_days")
    return (f"在开学日前完成（开学前 {num_text(window)} 天内至开学日"
            + (f"，宽限 {num_text(grace)} 天" if grace else "") + "）")


def _duties_requirement(rule, pack) -> str:
    parts = [f"{GRADE_TEXT.get(k, f'{k}年级')}：{'、'.join(v)}" for k, v in sorted((rule.duties or {}).items())]
    return f"{PERIOD_TEXT[rule.period]}每项至少 1 次（" + "；".join(parts) + "）"


def _share_shortfall(x) -> str:
    return f"覆盖率还差{float(x) * 100:.0f}%" if x is not None and x == x else "覆盖率不足"


MEASURES: dict[str, Measure] = {m.id: m for m in (
    Measure("count", ("count", None), "次", "次", formula="COUNTIFS"),
    Measure("sum:时长", ("sum", "hours"), "小时", "小时", formula="SUMIFS"),
    Measure("sum:人次", ("sum", "persons"), "人次", "人次", formula="SUMIFS"),
    Measure("distinct:学号", ("distinct", "student"), "名不同学生", "名学生"),
    Measure("distinct:宿舍", ("distinct", "dorm"), "个不同宿舍", "个宿舍"),
    Measure("distinct:活动类型", ("distinct", "type"), "种不同活动类型", "种形式"),
    Measure("share:学号", ("distinct", "student"), kind="share",
            requirement_text=lambda r, p: f"{PERIOD_TEXT[r.period]}谈到的学生不少于班级学生的 {r.minimum:.0%}",
            shortfall_fn=_share_shortfall),
    Measure("max:students", ("count", None), kind="structural", term_only=True,
            requirement_text=lambda r, p: f"所带学生不超过 {num_text(r.maximum)} 人",
            shortfall_fn=lambda x: f"超出上限{_number(x)}名学生"),
    Measure("deadline", ("count", None), kind="deadline", term_only=True,
            requirement_text=_deadline_requirement, shortfall_fn=lambda x: "未按时完成"),
    Measure("duties", ("distinct", "type"), shortfall_unit="项职责", kind="duties",
            requirement_text=_duties_requirement),
)}
