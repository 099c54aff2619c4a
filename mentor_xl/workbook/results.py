"""The results workbook of a compliance run (workbook.md, Outputs).

Sheets, in order:
  合规汇总  one row per subject × rule (达标/不达标/不适用/仅统计, periods, rate, missed periods)
  人员汇总  one row per staff member (rules and periods met / required, 合规率)
  合规明细  one row per subject × rule × period
  …        ``extra_sheets`` of later stages (考核结果, 奖励预算 …), same formatting
  数据问题  every problem found, grouped by category
  图表      达标率 per rule, 合规率 per 学院, and how staff rates are spread — for people
           who would rather look than read; the small tables the charts draw from sit
           on the same sheet.
Chinese headers, frozen header row, filters, 不达标 rows light red (conditional format),
rates as %. Written atomically (``safe.atomic_write``); the previous file, if any, is
kept as its backup.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from xlsxwriter.workbook import Workbook

from mentor_xl.engine.result import ComplianceResult
from mentor_xl.problems import Problems
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.xlsx import SheetSpec, new_workbook, styles, write_frame_sheet, write_spec_sheet, write_text

STATUS_TEXT = {"met": "达标", "missed": "不达标", "n/a": "不适用", "report": "仅统计"}
SCOPE_TEXT = {"staff": "本人", "pair": "学生", "class": "班级"}
LEVEL_TEXT = {"error": "错误", "warning": "提醒"}
BAD = ("不达标",)

# Above this many cells in all frames, write in XlsxWriter's constant_memory mode.
CONSTANT_MEMORY_CELLS = 2_000_000

# Staff 合规率 bands of the chart (lower bound inclusive, label).
RATE_BANDS = ((0.0, "60%以下"), (0.6, "60%–80%"), (0.8, "80%–100%"), (1.0, "100%"))


def write_results(path: str | Path, result: ComplianceResult, *,
                  extra_sheets: Mapping[str, pd.DataFrame | SheetSpec] | None = None) -> Path:
    """Write the results workbook of ``result`` to ``path`` (atomically) and return ``path``.

    ``extra_sheets`` (sheet name → DataFrame, or ``xlsx.SheetSpec`` to say which columns
    are %, 万元, status …) are added after 合规明细 with the same formatting.
    """
    summary = summary_frame(result.results)
    staff = staff_frame(result.staff)
    details = details_frame(result.details)
    problems = problems_frame(result.problems)
    extras = dict(extra_sheets or {})
    cells = sum(f.size for f in (summary, staff, details, problems)) + sum(
        (s if isinstance(s, pd.DataFrame) else s.df).size for s in extras.values())

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp, constant_memory=cells > CONSTANT_MEMORY_CELLS)
        write_frame_sheet(wb, "合规汇总", summary, percent_cols=("达标率",), int_cols=("应达标周期数", "达标周期数"),
                          text_cols=("工号", "对象"), status_col="状态", bad_values=BAD)
        write_frame_sheet(wb, "人员汇总", staff, percent_cols=("合规率",), text_cols=("工号",),
                          int_cols=("应考核规则数", "达标规则数", "应达标周期数", "达标周期数"))
        write_frame_sheet(wb, "合规明细", details, text_cols=("工号", "学号"),
                          date_cols=("周期开始", "周期结束"), status_col="是否达标", bad_values=BAD)
        for name, spec in extras.items():
            write_spec_sheet(wb, name, spec)
        write_frame_sheet(wb, "数据问题", problems, int_cols=("行号",), status_col="级别", bad_values=("错误",),
                          widths={"说明": 60, "值": 20})
        _chart_sheet(wb, result, summary, staff)
        wb.close()

    return atomic_write(path, build, backup=True)


# --------------------------------------------------------------------------- frames

def _subject(df: pd.DataFrame) -> pd.Series:
    """对象: the student's 学号 for pair rules, the class for class rules, blank for staff rules."""
    sid = df["student_id"].astype(object).where(df["student_id"].notna(), None)
    cls = df["class"].astype(object).where(df["class"].notna(), None)
    return sid.where(sid.notna(), cls)


def _join(values, fmt=str) -> str | None:
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return None
    parts = [fmt(v) for v in values]
    return "、".join(parts) if parts else None


def _fmt_num(v) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.4g}"


def summary_frame(results: pd.DataFrame) -> pd.DataFrame:
    """合规汇总 from ``ComplianceResult.results`` (Chinese headers, Chinese statuses)."""
    r = results
    return pd.DataFrame({
        "工号": r["staff_id"], "姓名": r["name"], "角色": r["role"], "学院": r["college"],
        "规则": r["rule"], "规则名称": r["title"], "条款": r["clause"],
        "对象类型": r["scope"].map(SCOPE_TEXT).fillna(r["scope"]),
        "对象": _subject(r),
        "状态": r["status"].map(STATUS_TEXT).fillna(r["status"]),
        "应达标周期数": r["required"], "达标周期数": r["met"],
        "达标率": pd.to_numeric(r["rate"], errors="coerce"),
        "未达标周期": r["missed_periods"].map(_join),
        "差额": r["shortfalls"].map(lambda v: _join(v, _fmt_num)),
        "实际值": pd.to_numeric(r["value"], errors="coerce"),
        "备注": r["note"].where(r["note"].astype(bool), None) if "note" in r else None,
    }).reset_index(drop=True)


def staff_frame(staff: pd.DataFrame) -> pd.DataFrame:
    """人员汇总 from ``ComplianceResult.staff``."""
    s = staff
    return pd.DataFrame({
        "工号": s["staff_id"], "姓名": s["name"], "角色": s["role"], "学院": s["college"],
        "应考核规则数": s["rules_required"], "达标规则数": s["rules_met"],
        "应达标周期数": s["periods_required"], "达标周期数": s["periods_met"],
        "合规率": pd.to_numeric(s["rate"], errors="coerce"),
    }).reset_index(drop=True)


def details_frame(details: pd.DataFrame) -> pd.DataFrame:
    """合规明细 from ``ComplianceResult.details`` (vectorised: it can be large)."""
    d = details
    required = d["required"].astype(bool)
    met = d["met"].astype(bool)
    state = np.where(~required, "不适用", np.where(met, "达标", "不达标"))
    op = d["op"].map({">=": "不少于", "<=": "不超过"}).fillna(d["op"])
    return pd.DataFrame({
        "工号": d["staff_id"], "姓名": d["name"], "角色": d["role"], "学院": d["college"],
        "规则": d["rule"], "规则名称": d["title"], "条款": d["clause"],
        "对象类型": d["scope"].map(SCOPE_TEXT).fillna(d["scope"]),
        "学号": d["student_id"], "班级": d["class"],
        "周期": d["period"].astype(str),
        "周期开始": d["period_start"], "周期结束": d["period_end"],
        "在岗天数": d["active_days"], "日历天数": d["calendar_days"],
        "是否应达标": np.where(required, "是", "否"),
        "实际值": pd.to_numeric(d["value"], errors="coerce"),
        "要求": op, "要求值": pd.to_numeric(d["bound"], errors="coerce"),
        "是否达标": state,
        "差额": pd.to_numeric(d["shortfall"], errors="coerce"),
    }).reset_index(drop=True)


def problems_frame(problems: Problems) -> pd.DataFrame:
    """数据问题: 类别, 工作表, 行号, 列, 值, 说明, 级别 — grouped by category (first seen first),
    then by sheet and row; the original order is kept within equal keys."""
    cols = ["类别", "工作表", "行号", "列", "值", "说明", "级别"]
    items = list(problems)
    if not items:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    df = pd.DataFrame({
        "类别": [p.category for p in items], "工作表": [p.sheet for p in items],
        "行号": pd.array([p.row for p in items], dtype="Int64"),
        "列": [p.column for p in items], "值": [p.value for p in items],
        "说明": [p.message for p in items],
        "级别": [LEVEL_TEXT.get(p.level, p.level) for p in items],
    })
    order = {c: i for i, c in enumerate(dict.fromkeys(df["类别"]))}
    df["_cat"] = df["类别"].map(order)
    df = df.sort_values(["_cat", "工作表", "行号"], kind="stable", na_position="first")
    return df.drop(columns="_cat").reset_index(drop=True)


def rule_rates(summary: pd.DataFrame) -> pd.DataFrame:
    """Per rule: subjects assessed (达标 or 不达标), subjects 达标, 达标率 (report-only and 不适用 left out)."""
    s = summary.loc[summary["状态"].isin(["达标", "不达标"]), ["规则", "规则名称", "状态"]]
    s = s.assign(_met=(s["状态"] == "达标").astype("int64"))
    out = s.groupby(["规则", "规则名称"], sort=False).agg(应考核对象数=("状态", "size"), 达标对象数=("_met", "sum"))
    out["达标率"] = out["达标对象数"] / out["应考核对象数"]
    return out.reset_index()


def college_rates(staff: pd.DataFrame) -> pd.DataFrame:
    """Per 学院: staff counted, Σ periods required / met, 合规率 = Σ met ÷ Σ required."""
    s = staff[staff["应达标周期数"] > 0].copy()
    s["学院"] = s["学院"].fillna("（未填学院）")
    g = s.groupby("学院", sort=True)
    out = pd.DataFrame({"人数": g.size(), "应达标周期数": g["应达标周期数"].sum(), "达标周期数": g["达标周期数"].sum()})
    out["合规率"] = out["达标周期数"] / out["应达标周期数"]
    return out.reset_index()


def rate_bands(staff: pd.DataFrame) -> pd.DataFrame:
    """How many staff fall in each 合规率 band (staff with nothing required left out)."""
    rates = staff["合规率"].dropna()
    bounds = [b for b, _ in RATE_BANDS]
    idx = np.searchsorted(bounds, rates.to_numpy(), side="right") - 1
    counts = np.bincount(idx.clip(0), minlength=len(RATE_BANDS)) if len(rates) else np.zeros(len(RATE_BANDS), int)
    return pd.DataFrame({"合规率区间": [label for _, label in RATE_BANDS], "人数": counts.astype(int)})


# --------------------------------------------------------------------------- charts

def _chart_sheet(wb: Workbook, result: ComplianceResult, summary: pd.DataFrame, staff: pd.DataFrame) -> None:
    st = styles(wb)
    ws = wb.add_worksheet("图表")
    ws.write_string(0, 0, f"合规情况图表　制度：{result.policy}　学期：{result.term}"
                          f"（{result.term_start:%Y-%m-%d} 至 {result.term_end:%Y-%m-%d}）", st.title)
    tables = [
        ("各规则达标率（达标对象 ÷ 应考核对象）", rule_rates(summary), "达标率", ["规则名称"]),
        ("各学院合规率（达标周期 ÷ 应达标周期）", college_rates(staff), "合规率", ["学院"]),
        ("人员合规率分布（人数）", rate_bands(staff), "人数", ["合规率区间"]),
    ]
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 28)
    ws.set_column(2, 4, 12)
    row = 2
    for title, df, value_col, label_cols in tables:
        ws.write_string(row, 0, title, st.title)
        head = row + 1
        for j, c in enumerate(df.columns):
            ws.write_string(head, j, c, st.header)
        for i, rec in enumerate(df.itertuples(index=False), start=head + 1):
            for j, (c, v) in enumerate(zip(df.columns, rec)):
                if isinstance(v, str) or v is None:
                    write_text(ws, i, j, v, st)
                elif isinstance(v, (float, np.floating)) and not np.isfinite(v):
                    continue
                else:
                    kind = "percent" if c in ("达标率", "合规率") else "int"
                    ws.write_number(i, j, float(v), st.cell(kind))
        n = len(df)
        if n:
            label = list(df.columns).index(label_cols[0])
            val = list(df.columns).index(value_col)
            chart = wb.add_chart({"type": "bar" if value_col != "人数" else "column"})
            chart.add_series({
                "name": value_col,
                "categories": ["图表", head + 1, label, head + n, label],
                "values": ["图表", head + 1, val, head + n, val],
                "data_labels": {"value": True, "num_format": "0%" if value_col != "人数" else "0"},
                "fill": {"color": "#5B9BD5"},
            })
            chart.set_title({"name": title, "name_font": {"size": 12}})
            chart.set_legend({"none": True})
            axis = {"num_format": "0%", "min": 0, "max": 1} if value_col != "人数" else {"min": 0}
            (chart.set_x_axis if value_col != "人数" else chart.set_y_axis)(axis)
            if value_col != "人数":
                chart.set_y_axis({"reverse": True})  # first rule on top, as in the table
            chart.set_size({"width": 640, "height": max(240, 28 * n + 90)})
            ws.insert_chart(row, 6, chart)
            chart_rows = max(240, 28 * n + 90) // 20 + 2
        else:
            write_text(ws, head + 1, 0, "（无数据）", st)
            chart_rows = 0
        row = max(head + n + 3, row + chart_rows)
