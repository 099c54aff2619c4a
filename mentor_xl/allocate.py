"""Fund allocation by student headcount (bit-2022 五.(三); usable with any pack).

Largest-remainder (Hamilton) method in whole 元 with integer arithmetic only, so the
parts always sum to the total. Remainder ties go to the larger group, then to the
name that sorts first in Unicode order (policies.md, budget allocation).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mentor_xl.money import wan_display
from mentor_xl.problems import FatalInputError, Problems


def largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``total`` whole units over ``weights`` (headcounts); the parts sum to ``total``.

    Each group first gets floor(total × w ÷ W); the units left over go one each to the
    largest remainders (total × w mod W), ties to the larger weight, then the name first
    in Unicode order.
    """
    if total < 0:
        raise ValueError("total must be non-negative")
    w_total = sum(weights.values())
    if w_total <= 0:
        raise ValueError("weights must sum to a positive number")
    base = {g: total * w // w_total for g, w in weights.items()}
    rema = {g: total * w % w_total for g, w in weights.items()}
    left = total - sum(base.values())
    order = sorted(weights, key=lambda g: (-rema[g], -weights[g], g))
    for g in order[:left]:
        base[g] += 1
    return base


@dataclass
class AllocateResult:
    total_yuan: int
    by: str
    parts: list[dict]  # group, students, amount_yuan, floor_yuan, remainder (of total×n mod N), extra (0/1)
    students_total: int
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        """``allocate --json`` (workbook.md): add keys, never rename."""
        return {
            "total_yuan": self.total_yuan, "by": self.by, "students": self.students_total,
            "parts": [{"group": p["group"], "students": p["students"], "amount_yuan": p["amount_yuan"],
                       "floor_yuan": p["floor_yuan"], "extra_yuan": p["extra"]} for p in self.parts],
            "problems": self.problems.to_list(),
        }

    def frames(self) -> dict[str, pd.DataFrame]:
        rows = [{
            self.by: p["group"], "学生人数": p["students"],
            "占比": p["students"] / self.students_total,
            "分配金额(元)": p["amount_yuan"], "分配金额(万元)": wan_display(p["amount_yuan"]),
            "说明": ("按最大余数法多分1元" if p["extra"] else ""),
        } for p in self.parts]
        rows.append({self.by: "合计", "学生人数": self.students_total, "占比": 1.0,
                     "分配金额(元)": self.total_yuan, "分配金额(万元)": wan_display(self.total_yuan),
                     "说明": "按学生人数比例、最大余数法分配，合计等于总额"})
        df = pd.DataFrame(rows)
        df.attrs["formats"] = {"占比": "0.00%", "分配金额(元)": "#,##0", "分配金额(万元)": "0.00"}
        df.attrs["total_row"] = True
        return {"经费分配": df}


    def sheets(self) -> dict:
        """经费分配 as ``xlsx.SheetSpec``: 占比 as %, 万元 two decimals, 元 whole."""
        from mentor_xl.workbook.xlsx import SheetSpec
        df = self.frames()["经费分配"]
        return {"经费分配": SheetSpec(df, percent_cols=("占比",), money_cols=("分配金额(万元)",),
                                     int_cols=("学生人数", "分配金额(元)"))}


def headcount(book, by: str = "学院", problems: Problems | None = None) -> dict[str, int]:
    """Students per value of the 学生 column ``by`` (each 学号 once). Blank values are reported."""
    problems = problems if problems is not None else Problems()
    students = book.students
    if students is None or len(students) == 0:
        raise FatalInputError("工作簿中没有“学生”表或学生表为空，无法按学生人数分配经费")
    if by not in students.columns or by == "_row":
        cols = "、".join(c for c in students.columns if c != "_row")
        raise FatalInputError(f"学生表中没有“{by}”列，可按以下列分配：{cols}")
    cols = (["学号"] if "学号" in students.columns and by != "学号" else []) + [by, "_row"]
    df = students[cols]
    if "学号" in cols:
        dup = df["学号"].notna() & df.duplicated("学号", keep="first")
        for sid, row in zip(df.loc[dup, "学号"], df.loc[dup, "_row"]):
            problems.add("学生", int(row), "学号", sid, f"学号 {sid} 重复出现，只计一次", "重复数据", "warning")
        df = df.loc[~dup]
    # pd.isna: a blank int column (年级) holds pd.NA, which would otherwise become a group "<NA>"
    grp = df[by].map(lambda v: None if pd.isna(v) else str(v).strip() or None)
    for row, val in zip(df.loc[grp.isna(), "_row"], df.loc[grp.isna(), by]):
        problems.add("学生", int(row), by, None,
                     f"学生的“{by}”为空，不计入按{by}分配的人数", "缺少数据", "warning")
    counts = grp.dropna().value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def allocate(book, *, total_yuan: int, by: str = "学院") -> AllocateResult:
    """Split ``total_yuan`` over the groups of 学生.<by> by headcount, largest remainder."""
    if isinstance(total_yuan, bool) or not isinstance(total_yuan, int) or total_yuan < 0:
        raise FatalInputError(f"分配总额“{total_yuan}”必须是非负整数元")
    problems = Problems()
    counts = headcount(book, by, problems)
    n = sum(counts.values())
    if n == 0:
        raise FatalInputError(f"学生表中没有填写“{by}”的学生，无法分配")
    amounts = largest_remainder(total_yuan, counts)
    parts = []
    for g in sorted(counts, key=lambda g: (-counts[g], g)):
        floor = total_yuan * counts[g] // n
        parts.append({"group": g, "students": counts[g], "amount_yuan": amounts[g],
                      "floor_yuan": floor, "remainder": total_yuan * counts[g] % n,
                      "extra": amounts[g] - floor})
    return AllocateResult(total_yuan=total_yuan, by=by, parts=parts, students_total=n, problems=problems)
