"""The results workbook of a compliance run: written from the engine's result, so it sits above it.

Sheets, in order:
  总览      for the whole office and then one printed page per 学院: staff assessed, fully
           met, rates, the rules most often missed, a chart, and a paragraph for the term
           report (the CLI summary's figures, ``engine.figures``)
  合规汇总  one row per subject × rule (达标/不达标/不适用/仅统计, periods, rate, missed periods)
  人员汇总  one row per staff member (rules and periods met / required, 合规率)
  合规明细  one row per subject × rule × period, with the 活动记录 rows that counted; above
           ``DETAIL_FULL_ROWS`` rows only the 不达标 ones unless ``full`` (总览 says so)
  …        ``extra_sheets`` of later stages (考核结果, 奖励预算 …), same formatting
  数据问题  every problem found, grouped by category
  图表      达标率 per rule, 合规率 per 学院, and how staff rates are spread — for people
           who would rather look than read; the small tables the charts draw from sit
           on the same sheet.
Chinese headers, frozen header row, filters, 不达标 rows light red (conditional format),
rates as %; rules by their Chinese title and clause, the rule id in the last column.
Every sheet prints landscape A4, one page wide, header row on every page, the office, the
sheet and the term in the page header and page numbers in the footer (``xlsx.Page``).
Written atomically (``safe.atomic_write``); the previous file, if any, is kept as its backup.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
from xlsxwriter.utility import quote_sheetname, xl_range_abs
from xlsxwriter.workbook import Workbook

from mentor_xl import gcpause
from mentor_xl.engine import figures as fig
from mentor_xl.engine import joined_text, number_text
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.report import problems_frame, write_problems_sheet  # noqa: F401 (buttons use problems_frame)
from mentor_xl.workbook.values import factorize_objects, text_column
from mentor_xl.workbook.xlsx import (Page, SheetSpec, new_workbook, page_setup, styles, text_width,
                                     write_frame_sheet, write_spec_sheet, write_text)

STATUS_TEXT = {"met": "达标", "missed": "不达标", "n/a": "不适用", "report": "仅统计"}
SCOPE_TEXT = {"staff": "本人", "pair": "学生", "class": "班级"}
BAD = ("不达标",)

# Above this many cells in all frames, write in XlsxWriter's constant_memory mode, where
# xlsx._RowsXml writes whole rows as XML (~20× faster than XlsxWriter's per-cell API). The same
# cells either way (tests/test_results_workbook.py), so even a 40-staff office's results use it
# (0.09 s instead of 0.23 s); a large value here gives XlsxWriter's ordinary mode.
CONSTANT_MEMORY_CELLS = 0
# Above this many 合规明细 rows, only the 不达标 ones are written unless ``full``: the rows
# nobody reads cost most of the file (4,000 staff give ~160k rows, 70% of them met or n/a).
DETAIL_FULL_ROWS = 100_000
OVERVIEW_STAFF = 8  # staff not fully met listed on a 学院's overview page

# Staff 合规率 bands of the chart (lower bound inclusive, label).
RATE_BANDS = ((0.0, "60%以下"), (0.6, "60%–80%"), (0.8, "80%–100%"), (1.0, "100%"))


# 合规汇总 and 人员汇总 as this workbook and the formula workbook (xl/formulas.py) write them; a
# term's four missed months print on one line of 未达标周期, more wrap
SUMMARY_FORMAT = dict(percent_cols=("达标率",), int_cols=("应达标周期数", "达标周期数"), text_cols=("工号", "对象"),
                      wrap_cols=("未达标周期",), status_col="状态", bad_values=BAD, widths={"未达标周期": 52})
STAFF_FORMAT = dict(percent_cols=("合规率",), text_cols=("工号",),
                    int_cols=("应考核规则数", "达标规则数", "应达标周期数", "达标周期数"))


@gcpause.during
def write_results(path: str | Path, result: ComplianceResult, *,
                  extra_sheets: Mapping[str, pd.DataFrame | SheetSpec] | None = None,
                  office: str = "", full: bool = False, before_replace: Callable[[], Any] | None = None) -> Path:
    """Write the results workbook of ``result`` to ``path`` (atomically) and return ``path``.

    ``extra_sheets`` (sheet name → DataFrame, or ``xlsx.SheetSpec`` to say which columns
    are %, 万元, status …) are added after 合规明细 with the same formatting. ``office`` (the
    单位名称) heads every printed page. ``full`` writes every 合规明细 row whatever the size.
    ``before_replace()`` runs once the workbook is complete, before it is put at ``path``
    (``safe.atomic_write``): the CLI confirms the file's last check there.
    """
    summary = summary_frame(result.results)
    staff = staff_frame(result.staff)
    d, left_out = result.details, 0
    if not full and len(d) > DETAIL_FULL_ROWS:
        keep = (d["required"].astype(bool) & ~d["met"].astype(bool)).to_numpy()  # 不达标, as details_frame says
        left_out = len(d) - int(keep.sum())
        d = d[keep]
    details = details_frame(d)
    problems = problems_frame(result.problems)
    extras = dict(extra_sheets or {})
    cells = sum(f.size for f in (summary, staff, details, problems)) + sum(
        (s if isinstance(s, pd.DataFrame) else s.df).size for s in extras.values())
    page = lambda title: Page(title, office, f"{result.term}学期")  # noqa: E731

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp, constant_memory=cells > CONSTANT_MEMORY_CELLS)
        overview = wb.add_worksheet("总览")  # first in the book, filled last
        sheets = [
            ("合规汇总", lambda: write_frame_sheet(wb, "合规汇总", summary, **SUMMARY_FORMAT)),
            ("人员汇总", lambda: write_frame_sheet(wb, "人员汇总", staff, **STAFF_FORMAT)),
            ("合规明细", lambda: write_frame_sheet(
                wb, "合规明细", details, text_cols=("工号", "学号"), date_cols=("周期开始", "周期结束"),
                status_col="是否达标", bad_values=BAD, widths={EVIDENCE: 30})),
            *((name, lambda name=name, spec=spec: write_spec_sheet(wb, name, spec)) for name, spec in extras.items()),
            ("数据问题", lambda: write_problems_sheet(wb, problems)),
        ]
        try:
            for title, write in sheets:
                page_setup(write(), page(title))
            data = _pages_data(result, summary, staff)
            _overview_sheet(wb, overview, result, data["overview"], office=office, left_out=left_out,
                            shown=len(details))
            _chart_sheet(wb, result, data["charts"], page("图表"))
            wb.close()
        except BaseException:
            wb.discard()  # a failure on the way leaves no row file in the temporary folder
            raise

    return atomic_write(path, build, backup=True, before_replace=before_replace)


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


_fmt_num = number_text


def _joined(cells: pd.Series, fmt=None) -> pd.Series:
    """``_join`` of every cell (lists → "a、b"; blank or empty → None), by arrow's list kernels:
    a 合规汇总 has a cell per subject × rule. ``fmt`` formats each distinct item once."""
    try:
        lists = pa.array(cells.to_numpy(dtype=object), from_pandas=True)  # None/NaN → null
        if not pa.types.is_list(lists.type):  # also no cells at all (type null)
            raise TypeError(lists.type)
        items = lists.flatten()
        if fmt is not None or not pa.types.is_string(items.type):
            codes, uniq = pd.factorize(items.to_numpy(zero_copy_only=False))
            text = np.array([(fmt or str)(u) for u in uniq] + [""], dtype=object)[codes]
            items = pa.array(text, pa.string())
        joined = joined_text(lists.offsets.to_numpy(), items, lists.is_null())
    except (pa.ArrowException, TypeError, ValueError):  # not lists of one type: cell by cell
        return cells.map(lambda v: _join(v, fmt or str))
    return pd.Series(joined, index=cells.index)  # no Python str per cell


def _text_map(s: pd.Series, table: dict) -> pd.Series:
    """``s.map(table).fillna(s)`` for a column of a few distinct texts: each looked up once, the
    rows taken in Arrow (a 合规明细 of 50k rows: 4 → 1 ms)."""
    codes, uniq = factorize_objects(s.to_numpy(dtype=object))
    texts = [table.get(u, u) for u in uniq]
    if not all(type(t) is str for t in texts):  # not text: as pandas maps it
        return s.map(table).fillna(s)
    return pd.Series(_labels(codes, texts), index=s.index)


def _labels(codes: np.ndarray, texts) -> pd.api.extensions.ExtensionArray:
    """``texts[code]`` per row (code -1: blank) as a text column, taken in Arrow: a numpy array of
    labels (``np.where``) becomes text one Python str at a time (100k rows: 15 ms a column, here 1 ms)."""
    return text_column(pa.array(list(texts), pa.large_string()).take(pa.array(codes, mask=codes < 0)))


def _rule_names(df: pd.DataFrame) -> pd.Series:
    """规则名称 as people read it: title（clause）, one label per distinct pair (vectorised)."""
    tc, tu = factorize_objects(df["title"].fillna("").to_numpy(dtype=object))
    cc, cu = factorize_objects(df["clause"].fillna("").to_numpy(dtype=object))
    width = max(len(cu), 1)
    pc_, pu = pd.factorize(tc.astype(np.int64) * width + cc)  # one code per (title, clause)
    labels = np.array([fig.rule_label(tu[k // width], cu[k % width]) for k in pu.tolist()] + [None], dtype=object)
    return pd.Series(labels[pc_], index=df.index, dtype=object)


def summary_frame(results: pd.DataFrame) -> pd.DataFrame:
    """合规汇总 from ``ComplianceResult.results`` (Chinese headers, Chinese statuses; rule id last)."""
    r = results
    return pd.DataFrame({
        "工号": r["staff_id"], "姓名": r["name"], "角色": r["role"], "学院": r["college"],
        "规则名称": _rule_names(r),
        "对象类型": _text_map(r["scope"], SCOPE_TEXT),
        "对象": _subject(r),
        "状态": _text_map(r["status"], STATUS_TEXT),
        "应达标周期数": r["required"], "达标周期数": r["met"],
        "达标率": pd.to_numeric(r["rate"], errors="coerce"),
        # joined by the engine (``missed_text``); a frame made otherwise is joined here
        "未达标周期": r["missed_text"] if "missed_text" in r else _joined(r["missed_periods"]),
        "差额": r["shortfalls_text"] if "shortfalls_text" in r else _joined(r["shortfalls"], _fmt_num),
        "实际值": pd.to_numeric(r["value"], errors="coerce"),
        "备注": r["note"].where(r["note"].astype(bool), None) if "note" in r else None,
        "规则": r["rule"],
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


EVIDENCE = "计入的活动记录行"


def details_frame(details: pd.DataFrame) -> pd.DataFrame:
    """合规明细 from ``ComplianceResult.details`` (vectorised: it can be large)."""
    d = details
    required = d["required"].astype(bool)
    met = d["met"].astype(bool)
    state = _labels(np.where(~required, 0, np.where(met, 1, 2)), ("不适用", "达标", "不达标"))
    op = _text_map(d["op"], {">=": "不少于", "<=": "不超过"})
    return pd.DataFrame({
        "工号": d["staff_id"], "姓名": d["name"], "角色": d["role"], "学院": d["college"],
        "规则名称": _rule_names(d),
        "对象类型": _text_map(d["scope"], SCOPE_TEXT),
        "学号": d["student_id"], "班级": d["class"],
        "周期": d["period"].astype(str),
        "周期开始": d["period_start"], "周期结束": d["period_end"],
        "在岗天数": d["active_days"], "日历天数": d["calendar_days"],
        "是否应达标": _labels(np.where(required, 0, 1), ("是", "否")),
        "实际值": pd.to_numeric(d["value"], errors="coerce"),
        "要求": op, "要求值": pd.to_numeric(d["bound"], errors="coerce"),
        "是否达标": state,
        "差额": pd.to_numeric(d["shortfall"], errors="coerce"),
        EVIDENCE: d["evidence"] if "evidence" in d else None,
        "规则": d["rule"],
    }).reset_index(drop=True)


def rule_rates(summary: pd.DataFrame, by: pd.Series | None = None):
    """Per rule: subjects assessed (达标 or 不达标), subjects 达标, 达标率 (report-only and 不适用
    left out), the rules in the order they first appear. With ``by`` (a label per row, e.g. the
    学院): {label: that table}."""
    whole, per = _rule_rates(summary, by)
    return whole if by is None else per


def _rule_rates(summary: pd.DataFrame, by: pd.Series | None) -> tuple[pd.DataFrame, dict]:
    """``rule_rates`` of all rows and, with ``by``, of each label's rows, in one pass: codes and
    counts in numpy (a group-by per 学院 page cost more than the page)."""
    state = summary["状态"]
    kept = ((state == "达标") | (state == "不达标")).to_numpy(dtype=bool, na_value=False)
    met = (state[kept] == "达标").to_numpy(dtype=bool, na_value=False)
    key, labels, shape = fig.combined([summary[c].to_numpy(dtype=object)[kept] for c in ("规则名称", "规则")])
    ok = key >= 0  # a blank name or id: left out

    def table(k: np.ndarray, hit: np.ndarray) -> pd.DataFrame:
        uniq, first, inv, n = np.unique(k, return_index=True, return_inverse=True, return_counts=True)
        met_n = np.bincount(inv.ravel(), weights=hit, minlength=len(uniq)).astype(np.int64)
        order = np.argsort(first, kind="stable")  # rules in the order they first appear
        name, rule = np.unravel_index(uniq[order], shape)
        return pd.DataFrame({"规则名称": pd.Series(labels[0].take(name), dtype=object),
                             "应考核对象数": n[order].astype(np.int64), "达标对象数": met_n[order],
                             "达标率": met_n[order] / n[order],
                             "规则": pd.Series(labels[1].take(rule), dtype=object)})

    key, met = key[ok], met[ok]
    per: dict = {}
    if by is not None:
        for label, at in fig.groups(by.to_numpy(dtype=object)[kept][ok]):
            per[label] = table(key[at], met[at])
    return table(key, met), per


def college_rates(staff: pd.DataFrame) -> pd.DataFrame:
    """Per 学院: staff counted, Σ periods required / met, 合规率 = Σ met ÷ Σ required."""
    s = staff[staff["应达标周期数"] > 0].copy()
    s["学院"] = s["学院"].fillna(fig.NO_COLLEGE)
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


# --------------------------------------------------------------------------- printed pages

# Landscape A4 with page_setup's margins, in pixels at 100 %: what one printed page holds.
PAGE_WIDTH_PX = 1000
PAGE_HEIGHT_PX = 640
ROW_PX = 20  # a default row


# A column width unit prints ~7 px in Excel but ~10.5 px in LibreOffice with CJK fonts, and a chart
# anchored over columns widens with them: plan for the wider.
WIDE = 1.5


def _col_px(chars: float) -> int:
    return int(chars * 7 * WIDE + 5)


def _fixed_page(ws, page: Page, widths: list[float], breaks: list[int], extra_px: int = 0) -> None:
    """Print ``ws`` (a hand-laid sheet) at the scale that fits ``widths`` (+ ``extra_px``, e.g. a
    chart) on one page wide, with a page break before each row of ``breaks``: fit-to-page
    printing would ignore manual breaks, and a break is what keeps a block on its own page. It
    repeats no rows and prints no grid: its tables are boxed (``_table``)."""
    page_setup(ws, replace(page, repeat=0, grid=False), scale=_scale(widths, extra_px))
    if breaks:
        ws.set_h_pagebreaks(sorted(set(breaks)))


def _scale(widths: list[float], extra_px: int = 0) -> int:
    """The print scale (%) at which columns of ``widths`` (+ ``extra_px``) fill one page's width."""
    width = sum(_col_px(w) for w in widths) + extra_px * WIDE
    return max(10, min(100, int(100 * PAGE_WIDTH_PX / max(width, 1))))


def _page_px(widths: list[float], extra_px: int = 0) -> int:
    """How many px of the sheet a printed page holds, top to bottom, at that scale."""
    return int(PAGE_HEIGHT_PX * 100 / _scale(widths, extra_px))


def _chart(wb: Workbook, sheet: str, title: str, spans: list[tuple[int, int]], label: int, val: int, kind: str,
           width: int, page_px: int, names: Iterable[str]) -> tuple[object, int]:
    """A bar chart (rates, 0–100 %) or column chart (counts) over a table's value rows (``spans``,
    ``_table``; ``names``: their labels), ``width`` px wide; with its height (``_chart_height``: a
    printed page holds ``page_px``)."""
    rate = kind == "rate"
    n = sum(b - a + 1 for a, b in spans)
    height = _chart_height(n, page_px)
    names = [str(x) for x in names]
    pt = _label_pt(n, height, width, max(map(text_width, names), default=0))
    chart = wb.add_chart({"type": "bar" if rate else "column"})
    chart.add_series({
        "name": title,
        "categories": _cells(sheet, spans, label),
        # XlsxWriter reads a single range's names from the sheet itself; a union's it cannot, and
        # without them the file would call the names numbers (Excel would number the bars)
        **({"categories_data": names} if len(spans) > 1 else {}),
        "values": _cells(sheet, spans, val),
        "data_labels": {"value": True, "num_format": "0%" if rate else "0", "font": {"size": pt}},
        "fill": {"color": "#5B9BD5"},
    })
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_size({"width": width, "height": height})
    # every bar named: left to itself a reader names every other one once they are close (an
    # office of 30 学院 had half its bars without a name), so the names get smaller instead
    labels = {"interval_unit": 1, "num_font": {"size": pt}}
    if rate:
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_y_axis({"reverse": True, **labels})  # first row on top, as in the table
    else:
        chart.set_x_axis(labels)
        chart.set_y_axis({"min": 0})
    return chart, height


def _chart_height(n: int, page_px: int) -> int:
    # as tall as the bars need, never taller than what a page holds below a heading (a sheet
    # printed smaller to fit its width holds more: an office of 30 学院 needs it)
    return min(max(240, 28 * n + 90), page_px - 3 * ROW_PX)


def _label_pt(n: int, height: int, width: int, longest: float) -> int:
    """Font size of the bars' names and values: 10 pt, smaller when ``n`` bars share ``height`` px
    (a line of text needs ~1.4× its size; 90 px go to the title and the axis), or when the longest
    name (``text_width`` units, two a CJK character) would not fit on one line in the quarter of
    ``width`` a reader leaves the names: a name in two lines is as tall as two bars, and the
    reader then names every other bar again (马克思主义学院（思想政治理论课教学研究部）)."""
    by_rows = (height - 90) / max(n, 1) * 0.75 / 1.4
    by_width = 0.25 * width * 0.75 / max(longest / 2, 1)
    return int(min(10, max(6, min(by_rows, by_width))))


def _cells(sheet: str, spans: list[tuple[int, int]], col: int):
    """A series' cells in column ``col``: one range, or a union of one a page (a table that goes on
    over pages has its header again in between)."""
    if len(spans) == 1:
        (a, b), = spans
        return [sheet, a, col, b, col]
    return "=(" + ",".join(f"{quote_sheetname(sheet)}!{xl_range_abs(a, col, b, col)}" for a, b in spans) + ")"


def _table(ws, st, row: int, df: pd.DataFrame, kinds: Mapping[str, str] | None = None, *,
           room: int | None = None, page_rows: int = 0, breaks: list[int] | None = None
           ) -> tuple[int, list[tuple[int, int]]]:
    """``df`` as a small bordered table at ``row`` (header then values): the row after it and its
    values' (first, last) rows. ``room``: the rows the page holds from ``row`` on; a longer table
    goes on at the top of the next page, after a page break (added to ``breaks``), with its header
    again, ``page_rows`` rows a page — a printed page of numbers without their column names is no
    use (an office of 60 学院 and 系)."""
    kinds = dict(kinds or {})

    def header(at: int) -> None:
        for j, c in enumerate(df.columns):
            ws.write_string(at, j, c, st.header)
    header(row)
    spans: list[tuple[int, int]] = []
    start = i = row + 1
    left = room - 1 if room is not None else len(df)  # rows still to go on this page
    for rec in df.itertuples(index=False):  # small tables: a few dozen rows
        if left <= 0 and i > start:  # on over the next page (a header alone at a page's foot stays)
            spans.append((start, i - 1))
            breaks.append(i)
            header(i)
            start = i = i + 1
            left = max(page_rows, 3) - 1
        for j, (c, v) in enumerate(zip(df.columns, rec)):
            # boxed: the page prints no grid, and a right-aligned 76.0% ran into the next column's text
            if isinstance(v, str) or v is None:
                write_text(ws, i, j, v, st, boxed=True)
            elif isinstance(v, (float, np.floating)) and not np.isfinite(v):
                write_text(ws, i, j, None, st, boxed=True)
            else:
                ws.write_number(i, j, float(v), st.cell(kinds.get(c, "int"), boxed=True))
        i += 1
        left -= 1
    if i > start:
        spans.append((start, i - 1))
    return i, spans


# --------------------------------------------------------------------------- 总览

def _overview_frames(result: ComplianceResult):
    """(per-学院 table with the whole office last, per-学院 Figures, the whole office's Figures)."""
    per, whole = fig.overview(result)
    rows = [*per.values(), whole]
    table = pd.DataFrame({
        "学院": [f.scope for f in rows],
        "应考核人数": [f.assessed for f in rows], "全部达标人数": [f.full for f in rows],
        "全部达标比例": [np.nan if f.full_share is None else f.full_share for f in rows],
        "平均合规率": [np.nan if f.mean_rate is None else f.mean_rate for f in rows],
        "最低合规率": [np.nan if f.min_rate is None else f.min_rate for f in rows],
        "未达标最多的要求": [_fit("；".join(f"{m.name} {m.count} 项" for m in f.missed[:2]) or "—", OVERVIEW_WIDTHS[-1])
                       for f in rows],
    })
    return table, per, whole


OVERVIEW_WIDTHS = [36, 11, 13, 13, 11, 11, 50]


def _fit(text: str, width: float) -> str:
    """``text`` cut to what a cell ``width`` units wide shows (with …): on the hand-laid pages a
    longer text would run past the last column onto a page of its own."""
    if text_width(text) <= width - 1:
        return text
    out, w = "", 0
    for ch in text:
        w += text_width(ch)
        if w > width - 3:
            return out + "…"
        out += ch
    return out
OVERVIEW_KINDS = {"全部达标比例": "percent", "平均合规率": "percent", "最低合规率": "percent", "达标率": "percent",
                  "合规率": "percent"}


def _pages_data(result: ComplianceResult, summary: pd.DataFrame, staff: pd.DataFrame) -> dict:
    """Everything 总览 and 图表 show, as frames and figures (no workbook in it)."""
    whole, per = _rule_rates(summary, summary["学院"].fillna(fig.NO_COLLEGE))
    return {"overview": (*_overview_frames(result), _college_pages(result, summary, per)),
            "charts": [
                ("各规则达标率（达标对象 ÷ 应考核对象）", whole, "达标率", "rate"),
                ("各学院合规率（达标周期 ÷ 应达标周期）", college_rates(staff), "合规率", "rate"),
                ("人员合规率分布（人数）", rate_bands(staff), "人数", "count"),
            ]}


def _overview_sheet(wb: Workbook, ws, result: ComplianceResult, data: tuple, *, office: str,
                    left_out: int, shown: int) -> None:
    """总览 into ``ws`` (added first, filled last) from ``_pages_data``'s overview part."""
    st = styles(wb)
    last = len(OVERVIEW_WIDTHS) - 1
    for j, w in enumerate(OVERVIEW_WIDTHS):
        ws.set_column(j, j, w)
    table, per, whole, pages = data
    breaks: list[int] = []
    page_px = _page_px(OVERVIEW_WIDTHS)
    used = 2 * ROW_PX  # px of the first page above the table: its title and the line under it

    def paragraph(row: int, text: str, fmt=None) -> int:
        nonlocal used
        # CJK text renders wider than two width units a character: leave a line to spare
        lines = math.ceil(text_width(text) * 1.2 / sum(OVERVIEW_WIDTHS)) + 1
        ws.set_row(row, 15 * lines + 4)
        used += (15 * lines + 4) * 4 / 3
        ws.merge_range(row, 0, row, last, "", fmt or st.cell("wrap"))
        if fmt is None:
            write_text(ws, row, 0, text, st, "wrap")
        else:
            ws.write_string(row, 0, text, fmt)
        return row + 1

    ws.write_string(0, 0, f"{office}{result.term}学期导师工作合规总览", st.title)
    ws.write_string(1, 0, f"制度：{result.policy}　学期：{result.term}（{fig.term_span(result)}）　"
                          f"下面一段可直接用于学期工作总结", st.cell("text"))
    row = paragraph(2, fig.paragraph(result, whole, office=office))
    if left_out:
        row = paragraph(row, f"注意：合规明细较多，“合规明细”表只列出不达标的 {shown} 行，另有达标、不适用的 {left_out} 行"
                             "未列出（汇总和人员汇总包含全部结果）。需要全部明细时，运行 mentor-xl compliance 时加 --full。",
                        st.warn)
    row += 1
    head = row
    row, spans = _table(ws, st, head, table, OVERVIEW_KINDS, room=int((page_px - used) // ROW_PX) - 2,
                        page_rows=page_px // ROW_PX - 2, breaks=breaks)
    if spans:  # the chart shows the 学院, not the whole-office row
        a, b = spans[-1]
        spans = spans[:-1] + ([(a, b - 1)] if b > a else [])
    if spans:
        chart, h = _chart(wb, "总览", "各学院导师全部达标比例", spans, 0, 3, "rate", 720, page_px,
                          table.iloc[:-1, 0])
        top = row + 1
        if (top + 2) * ROW_PX + h > PAGE_HEIGHT_PX:  # not below the table: its own page
            breaks.append(top)
        ws.insert_chart(top, 0, chart)
        row = top + h // ROW_PX + 2
    for college, f in per.items():
        breaks.append(row)
        row = _college_page(ws, st, row, result, *pages.get(college, pages[None]), college, f, office, paragraph)
    _fixed_page(ws, Page("总览", office, f"{result.term}学期"), OVERVIEW_WIDTHS, breaks)


def _college_pages(result: ComplianceResult, summary: pd.DataFrame, rates: dict) -> dict:
    """Per 学院 (None: an empty page): its rules' 达标率 (``rates``: ``rule_rates`` of its 合规汇总
    rows, by 学院) and who is not fully met (worst first, ``OVERVIEW_STAFF`` of them, with the
    rules they missed) — computed for all 学院 at once, not once a page."""
    st_ = result.staff
    st_ = st_[(st_["periods_required"] > 0) & (st_["rate"] < 1)].sort_values(["rate", "staff_id"], kind="stable")
    st_college = st_["college"].fillna(fig.NO_COLLEGE)
    shown = st_.groupby(st_college, sort=False).head(OVERVIEW_STAFF)
    missed = summary[(summary["状态"] == "不达标") & summary["工号"].isin(shown["staff_id"])]
    what = missed.groupby("工号", sort=False)["规则名称"].agg(lambda x: "、".join(dict.fromkeys(x)))
    counts = st_college.value_counts()
    out: dict = {None: (rule_rates(summary.iloc[:0]), shown.iloc[:0], 0, what)}
    for c, people in shown.groupby(shown["college"].fillna(fig.NO_COLLEGE), sort=False):
        out[c] = (rates.get(c, out[None][0]), people, int(counts.get(c, 0)), what)
    for c, r in rates.items():
        out.setdefault(c, (r, shown.iloc[:0], 0, what))
    return out


def _college_page(ws, st, row: int, result: ComplianceResult, rates: pd.DataFrame, shown: pd.DataFrame,
                  not_met: int, what: pd.Series, college: str, f: fig.Figures, office: str, paragraph) -> int:
    """One printed page: the 学院's figures, its paragraph, its rules (``rates``: ``rule_rates``
    of its 合规汇总 rows) and who is not fully met (``shown``, the first of ``not_met``; ``what``
    they missed by 工号)."""
    ws.write_string(row, 0, f"{college}　{result.term}学期导师工作合规情况", st.title)
    row = paragraph(row + 1, fig.paragraph(result, f, office=office)) + 1
    # built column by column: a list of columns picked from a frame costs ~1 ms a page (its index looked up)
    rates = pd.DataFrame({"要求": [_fit(t, OVERVIEW_WIDTHS[0]) for t in rates["规则名称"]],
                          **{c: rates[c].to_numpy() for c in ("应考核对象数", "达标对象数", "达标率")}})
    row = _table(ws, st, row, rates, OVERVIEW_KINDS)[0] + 1
    people = pd.DataFrame({"未全部达标的导师": shown["name"].to_numpy(), "工号": shown["staff_id"].to_numpy(),
                           "合规率": pd.to_numeric(shown["rate"]).to_numpy(),
                           "未达标的要求": shown["staff_id"].map(what).to_numpy()})
    if len(people):
        ws.write_string(row, 0, "未全部达标的导师", st.header)
        for j, c in enumerate(["工号", "合规率"], start=1):
            ws.write_string(row, j, c, st.header)
        last = len(OVERVIEW_WIDTHS) - 1
        ws.merge_range(row, 3, row, last, "未达标的要求", st.header)
        for rec in people.itertuples(index=False):
            row += 1
            write_text(ws, row, 0, rec[0], st, boxed=True)
            write_text(ws, row, 1, rec[1], st, "id", boxed=True)
            ws.write_number(row, 2, float(rec[2]), st.cell("percent", boxed=True))
            ws.merge_range(row, 3, row, last, "", st.cell("text", boxed=True))
            write_text(ws, row, 3, _fit(rec[3] or "", sum(OVERVIEW_WIDTHS[3:])), st, boxed=True)
        row += 1
        if not_met > len(shown):
            write_text(ws, row, 0, f"……等 {not_met} 人，全部名单见“人员汇总”表", st)
            row += 1
    return row + 1


# --------------------------------------------------------------------------- charts

def _chart_sheet(wb: Workbook, result: ComplianceResult, tables: list, page: Page) -> None:
    """Each chart beside its table (``_pages_data``'s charts part), each table-and-chart block on a
    printed page of its own."""
    st = styles(wb)
    ws = wb.add_worksheet("图表")
    ws.write_string(0, 0, f"合规情况图表　制度：{result.policy}　学期：{result.term}"
                          f"（{result.term_start:%Y-%m-%d} 至 {result.term_end:%Y-%m-%d}）", st.title)
    widths = [30, 12, 12, 10, 18]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    chart_col, chart_w = len(widths) + 1, 600
    page_px = _page_px(widths + [2], chart_w)
    ws.set_column(len(widths), len(widths), 2)
    row, breaks = 2, []
    for k, (title, df, value_col, kind) in enumerate(tables):
        if k:
            breaks.append(row)
        ws.write_string(row, 0, title, st.title)
        head = row + 1
        page_rows = page_px // ROW_PX - 2
        end, spans = _table(ws, st, head, df, {"达标率": "percent", "合规率": "percent"},
                            room=page_rows - (head if k == 0 else 1), page_rows=page_rows, breaks=breaks)
        n = len(df)
        if n:
            chart, h = _chart(wb, "图表", title, spans, 0, list(df.columns).index(value_col), kind, chart_w, page_px,
                              df.iloc[:, 0])
            ws.insert_chart(row, chart_col, chart)
            row = max(end + 1, row + h // ROW_PX + 2)
        else:
            write_text(ws, head + 1, 0, "（无数据）", st)
            row = head + 3
    _fixed_page(ws, page, widths + [2], breaks, extra_px=chart_w)
