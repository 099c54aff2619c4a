"""The results workbook in formula mode: live COUNTIFS/SUMIFS for WPS and for people without Python.

Same sheets as the normal results workbook, plus a copy of the 活动记录 the run used. For
every staff-scope rule measured by ``count``, ``sum:时长`` or ``sum:人次`` (not report-only),
each 合规明细 row's 实际值 is a native formula over that 活动记录 sheet:

  count     Σ over the rule's type spellings of COUNTIFS(工号 = row's 工号, 活动类型 = spelling,
            日期 ≥ 周期开始, 日期 ≤ 周期结束)
  sum:时长  the same with SUMIFS over 时长 (blank = 0)
  sum:人次  SUMIFS over 人次 + COUNTIFS of rows whose 人次 is blank (a row counts 1 人次)

A type's spellings are its canonical name, the pack's aliases and every spelling found in
the log (COUNTIFS is case-insensitive, so spellings are de-duplicated case-insensitively).
是否达标 and 差额 of those rows, and 应达标周期数 / 达标周期数 / 状态 / 达标率 / 实际值 of their
合规汇总 rows, are formulas over 合规明细; 人员汇总's 应达标周期数 / 达标周期数 / 合规率 are SUMIFS
over 合规汇总 (仅统计 rows excluded). So adding, changing or deleting log rows in Excel, WPS
or LibreOffice updates the summary without any add-in. Everything else (other measures,
pair and class rules, 未达标周期, 差额 lists, rule counts) stays the value Python computed;
the 公式说明 sheet says so.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from mentor_xl.engine.result import ComplianceResult
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.workbook.results import BAD, details_frame, problems_frame, staff_frame, summary_frame
from mentor_xl.workbook.schema import BY_NAME
from mentor_xl.workbook.xlsx import new_workbook, styles, write_frame_sheet

FORMULA_MEASURES = ("count", "sum:时长", "sum:人次")
LOG_SHEET = "活动记录"
NOTE_SHEET = "公式说明"
EPS = "1E-9"  # the engine's tolerance for sums of hours


def _col(j: int) -> str:
    s, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def formula_rules(pack: Pack) -> list:
    """The rules whose 实际值 becomes a COUNTIFS/SUMIFS formula."""
    return [r for r in pack.rules
            if r.scope == "staff" and r.measure in FORMULA_MEASURES and not r.report_only]


def type_spellings(pack: Pack, log_types: pd.Series) -> dict[str, list[str]]:
    """canonical type → the spellings that count as it (canonical, aliases, seen in the log)."""
    tmap = pack.type_map()
    out: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    observed = [v for v in pd.unique(log_types.dropna()) if isinstance(v, str)]
    for canon, aliases in pack.types.items():
        candidates = [canon, *aliases, *[v for v in observed if tmap.get(normalise_label(v)) == canon]]
        out[canon], seen[canon] = [], set()
        for s in candidates:
            if s.casefold() not in seen[canon]:
                seen[canon].add(s.casefold())
                out[canon].append(s)
    return out


def _criterion(s: str) -> str:
    """A COUNTIFS criterion matching exactly ``s``: "=" makes a leading < > = literal, ~ escapes
    the wildcards * ? ~, and the result is a quoted formula string."""
    s = "=" + s.replace("~", "~~").replace("*", "~*").replace("?", "~?")
    return '"' + s.replace('"', '""') + '"'


class _Log:
    """Column references of the 活动记录 copy."""

    def __init__(self, names: list[str]):
        ref = lambda c: f"'{LOG_SHEET}'!${_col(names.index(c))}:${_col(names.index(c))}"  # noqa: E731
        self.date, self.staff, self.type = ref("日期"), ref("工号"), ref("活动类型")
        self.hours, self.persons = ref("时长"), ref("人次")

    def criteria(self, staff: str, spelling: str, start: str, end: str) -> str:
        return (f'{self.staff},{staff},{self.type},{_criterion(spelling)},'
                f'{self.date},">="&{start},{self.date},"<="&{end}')

    def value(self, measure: str, spellings: list[str], staff: str, start: str, end: str) -> str:
        terms = []
        for s in spellings:
            c = self.criteria(staff, s, start, end)
            if measure == "count":
                terms.append(f"COUNTIFS({c})")
            elif measure == "sum:时长":
                terms.append(f"SUMIFS({self.hours},{c})")
            else:  # sum:人次 — a blank 人次 counts as 1
                terms.append(f'SUMIFS({self.persons},{c})+COUNTIFS({c},{self.persons},"")')
        return "=" + ("+".join(terms) if terms else "0")


def write_formula_results(path: str | Path, result: ComplianceResult, book: OfficeBook, pack: Pack, *,
                          cache_values: bool = True) -> Path:
    """Write the formula-mode results workbook of ``result`` (computed from ``book``) to ``path``.

    ``cache_values`` stores Python's numbers as the formulas' cached results, so a viewer
    that does not recalculate still shows them; False leaves XlsxWriter's 0 (tests use it
    to prove the numbers come from recalculation).
    """
    summary = summary_frame(result.results)
    staff = staff_frame(result.staff)
    details = details_frame(result.details)
    problems = problems_frame(result.problems)
    log_sheet = BY_NAME[LOG_SHEET]
    log = book.frame(LOG_SHEET)[log_sheet.names].copy()
    log["学号"] = log["学号"].map(lambda v: "、".join(v) if isinstance(v, list) and v else None)
    rules = {r.id: r for r in formula_rules(pack)}
    spell = type_spellings(pack, log["活动类型"])
    all_spellings = [s for ss in spell.values() for s in ss]

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        st = styles(wb)
        ws_sum = write_frame_sheet(wb, "合规汇总", summary, percent_cols=("达标率",),
                                   int_cols=("应达标周期数", "达标周期数"), text_cols=("工号", "对象"),
                                   status_col="状态", bad_values=BAD)
        ws_staff = write_frame_sheet(wb, "人员汇总", staff, percent_cols=("合规率",), text_cols=("工号",),
                                     int_cols=("应考核规则数", "达标规则数", "应达标周期数", "达标周期数"))
        ws_det = write_frame_sheet(wb, "合规明细", details, text_cols=("工号", "学号"),
                                   date_cols=("周期开始", "周期结束"), status_col="是否达标", bad_values=BAD)
        write_frame_sheet(wb, LOG_SHEET, log, text_cols=("工号", "学号", "班级", "宿舍"))
        write_frame_sheet(wb, "数据问题", problems, int_cols=("行号",), status_col="级别", bad_values=("错误",),
                          widths={"说明": 60, "值": 20})
        _note_sheet(wb, st, pack, rules)
        lg = _Log(log_sheet.names)

        def cached(v):
            if not cache_values or v is None or (isinstance(v, float) and v != v):
                return 0 if not cache_values else ""
            return v

        # 合规明细: 实际值, 是否达标, 差额
        D = {c: _col(j) for j, c in enumerate(details.columns)}
        num = st.cell("number")
        for i, (rid, sid, op) in enumerate(zip(details["规则"], details["工号"], details["要求"]), start=1):
            rule = rules.get(rid)
            if rule is None:
                continue
            r = i + 1
            types = rule.types if rule.types is not None else tuple(pack.types)
            spellings = [s for t in types for s in spell.get(t, [])] if rule.types is not None else all_spellings
            ws_det.write_formula(i, details.columns.get_loc("实际值"),
                                 lg.value(rule.measure, spellings, f"${D['工号']}{r}", f"${D['周期开始']}{r}",
                                          f"${D['周期结束']}{r}"), num, cached(details.at[i - 1, "实际值"]))
            q, s_ = f"{D['实际值']}{r}", f"{D['要求值']}{r}"
            ok = f"{q}<={s_}+{EPS}" if op == "不超过" else f"{q}+{EPS}>={s_}"
            ws_det.write_formula(i, details.columns.get_loc("是否达标"),
                                 f'=IF({D["是否应达标"]}{r}="否","不适用",IF({ok},"达标","不达标"))', None,
                                 cached(details.at[i - 1, "是否达标"]))
            gap = f"MAX({q}-{s_},0)" if op == "不超过" else f"MAX({s_}-{q},0)"
            ws_det.write_formula(i, details.columns.get_loc("差额"),
                                 f'=IF({D["是否达标"]}{r}="不达标",{gap},0)', num, cached(details.at[i - 1, "差额"]))

        # 合规汇总: periods required / met, status, rate, value — over 合规明细
        S = {c: _col(j) for j, c in enumerate(summary.columns)}
        det = lambda c: f"'合规明细'!${D[c]}:${D[c]}"  # noqa: E731
        pct = st.cell("percent")
        ints = st.cell("int")
        for i, rid in enumerate(summary["规则"], start=1):
            if rid not in rules:
                continue
            r = i + 1
            key = f'{det("工号")},${S["工号"]}{r},{det("规则")},${S["规则"]}{r},{det("是否应达标")},"是"'
            req, met = f"{S['应达标周期数']}{r}", f"{S['达标周期数']}{r}"
            row = summary.iloc[i - 1]
            ws_sum.write_formula(i, summary.columns.get_loc("应达标周期数"), f"=COUNTIFS({key})", ints,
                                 cached(int(row["应达标周期数"])))
            ws_sum.write_formula(i, summary.columns.get_loc("达标周期数"),
                                 f'=COUNTIFS({key},{det("是否达标")},"达标")', ints, cached(int(row["达标周期数"])))
            ws_sum.write_formula(i, summary.columns.get_loc("状态"),
                                 f'=IF({req}=0,"不适用",IF({met}={req},"达标","不达标"))', None, cached(row["状态"]))
            ws_sum.write_formula(i, summary.columns.get_loc("达标率"), f'=IF({req}=0,"",{met}/{req})', pct,
                                 cached(row["达标率"]))
            ws_sum.write_formula(i, summary.columns.get_loc("实际值"), f'=SUMIFS({det("实际值")},{key})', num,
                                 cached(row["实际值"]))

        # 人员汇总: Σ periods over the person's 合规汇总 rows (仅统计 excluded), rate
        P = {c: _col(j) for j, c in enumerate(staff.columns)}
        sm = lambda c: f"'合规汇总'!${S[c]}:${S[c]}"  # noqa: E731
        for i in range(1, len(staff) + 1):
            r = i + 1
            key = f'{sm("工号")},${P["工号"]}{r},{sm("状态")},"<>仅统计"'
            row = staff.iloc[i - 1]
            ws_staff.write_formula(i, staff.columns.get_loc("应达标周期数"),
                                   f"=SUMIFS({sm('应达标周期数')},{key})", ints, cached(int(row["应达标周期数"])))
            ws_staff.write_formula(i, staff.columns.get_loc("达标周期数"),
                                   f"=SUMIFS({sm('达标周期数')},{key})", ints, cached(int(row["达标周期数"])))
            g, h = f"{P['应达标周期数']}{r}", f"{P['达标周期数']}{r}"
            ws_staff.write_formula(i, staff.columns.get_loc("合规率"), f'=IF({g}=0,"",{h}/{g})', pct,
                                   cached(row["合规率"]))
        wb.close()

    return atomic_write(path, build)


def _note_sheet(wb, st, pack: Pack, rules: dict) -> None:
    ws = wb.add_worksheet(NOTE_SHEET)
    ws.set_column(0, 0, 110, st.wrap)
    lines = [
        "公式版结果工作簿",
        f"本工作簿中以下规则的统计是公式（COUNTIFS/SUMIFS），直接统计“{LOG_SHEET}”表："
        + ("、".join(f"{r.title}（{r.id}）" for r in rules.values()) or "（本制度没有可用公式统计的规则）") + "。",
        f"在 Excel、WPS 或 LibreOffice 中修改、增加或删除“{LOG_SHEET}”表的行，合规明细的实际值、是否达标、差额，"
        "合规汇总的应达标周期数、达标周期数、状态、达标率、实际值，以及人员汇总的应达标周期数、达标周期数、合规率会自动更新，"
        "无需安装任何加载项。新增的行请填写日期（日期格式）、工号、活动类型（标准名称或制度中的别名）。",
        "其余内容（按学生、按班级的规则，人数、覆盖比例等统计，未达标周期、差额列表，规则数）是计算时的结果，"
        "修改活动记录后不会变化；需要时请重新运行 mentor-xl。人员、指导关系、学期、假期等其他表的修改也需要重新运行。",
        f"制度：{pack.id}（{pack.name}）。",
    ]
    for i, line in enumerate(lines):
        ws.write_string(i, 0, line, st.title if i == 0 else st.wrap)
