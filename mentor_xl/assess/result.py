"""What ``assess`` returns: the JSON (workbook.md), the 考核结果 sheet and its colours."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from mentor_xl.problems import Problems


PENDING = "待定"
NOT_COUNTED = "不计"
_PART_STATUS = {"pass": "通过", "fail": "未通过", "pending": "待定"}


@dataclass
class AssessResult:
    policy: str
    scheme: str
    year: str | None
    term: str | None
    tiers: list[str]
    results: list[dict]
    quota: dict | None = None
    message: str | None = None
    components: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        """``assess --json`` (workbook.md): add keys, never rename."""
        out: dict = {"policy": self.policy}
        if self.term is not None:
            out["term"] = self.term
        else:
            out["year"] = self.year
        out["scheme"] = self.scheme
        out["tiers"] = list(self.tiers)
        out["results"] = [_json_row(r) for r in self.results]
        if self.quota is not None:
            out["quota"] = dict(self.quota)
        if self.message:
            out["message"] = self.message
        out["counts"] = dict(Counter(r["tier"] for r in self.results))
        out["problems"] = self.problems.to_list()
        return out

    def frames(self) -> dict[str, pd.DataFrame]:
        """The 考核结果 sheet: Chinese headers; ``attrs`` carry number formats and tier colours."""
        if self.scheme == "none":
            df = pd.DataFrame({"说明": [self.message or ""]})
            return {"考核结果": df}
        rows = []
        for r in self.results:
            row = {"工号": r["staff_id"], "姓名": r["name"], "学院": r["college"],
                   "合规率": None if r.get("rate") is None else float(r["rate"])}
            if self.scheme == "score":
                for c in self.components:
                    if c != "合规率":
                        v = r["values"].get(c)
                        row[c] = None if v is None else float(v)
                row["得分"] = None if r["score"] is None else float(r["score"])
                row["名次"] = r.get("rank")
            else:
                for p in self.parts:
                    row[p] = _PART_STATUS.get(r["parts"].get(p, {}).get("status"), "")
            row["等级"] = r["tier"]
            if "subsidy_yuan" in r:
                row["补贴(元)"] = r["subsidy_yuan"]
            row["说明"] = "；".join(r["reasons"])
            rows.append(row)
        df = pd.DataFrame(rows)
        df.attrs["formats"] = {"合规率": "0.00%", "得分": "0.00", "补贴(元)": "#,##0"}
        df.attrs["tier_column"] = "等级"
        df.attrs["tier_colours"] = tier_colours(self.tiers)
        return {"考核结果": df}


    def sheets(self) -> dict:
        """考核结果 as ``xlsx.SheetSpec`` for ``write_results(extra_sheets=…)``: 得分 two decimals,
        合规率 as %, the fail tier highlighted (per-tier fills are in ``df.attrs["tier_colours"]``)."""
        from mentor_xl.workbook.xlsx import REASONS, SheetSpec
        df = self.frames()["考核结果"]
        fail = [t for t in self.tiers[-1:]] if self.tiers else []
        return {"考核结果": SheetSpec(df, percent_cols=("合规率",), money_cols=("得分",), int_cols=("名次", "补贴(元)"),
                                     text_cols=("工号",), status_col="等级" if "等级" in df.columns else None,
                                     bad_values=fail, **REASONS)}


def tier_colours(tiers: list[str]) -> dict[str, str]:
    """Fill colours by position (best green … worst red), plus 待定 amber and 不计 grey."""
    out = {}
    n = len(tiers)
    for i, t in enumerate(tiers):
        if i == n - 1 and n > 1:
            out[t] = "#FFC7CE"
        elif i == 0:
            out[t] = "#C6EFCE"
        elif i == n - 2:
            out[t] = "#FFEB9C"
        else:
            out[t] = "#E2EFDA"
    out[PENDING] = "#F8CBAD"
    out[NOT_COUNTED] = "#D9D9D9"
    return out


def _json_row(r: dict) -> dict:
    d = {"staff_id": r["staff_id"], "score": None if r["score"] is None else float(r["score"]),
         "tier": r["tier"], "reasons": list(r["reasons"]),
         "name": r["name"], "college": r["college"],
         "rate": None if r.get("rate") is None else round(float(r["rate"]), 4),
         "periods_met": r.get("periods_met"), "periods_required": r.get("periods_required")}
    if r.get("values") is not None:
        d["values"] = {k: (None if v is None else float(v)) for k, v in r["values"].items()}
    if r.get("parts") is not None:
        d["parts"] = [{"part": k, "status": v["status"], "reason": v["reason"]} for k, v in r["parts"].items()]
    for k in ("rank", "subsidy_yuan", "vetoed"):
        if k in r:
            d[k] = r[k]
    return d
