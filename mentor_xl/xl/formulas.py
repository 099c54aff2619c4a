"""The results workbook in formula mode: live COUNTIFS/SUMIFS for WPS and for people without Python.

Same sheets as the normal results workbook, plus a copy of the 活动记录 the run used and a
类型对照 table. For every staff-scope rule measured by ``count``, ``sum:时长`` or ``sum:人次``
(not report-only), each 合规明细 row's 实际值 is a native formula over that 活动记录 sheet:

  count     Σ over the rule's (canonical) types of COUNTIFS(工号 = row's 工号, 标准类型 = type,
            日期值 ≥ 周期开始, 日期值 < 周期结束 + 1); a rule of every type has one term,
            标准类型 = "?*" (any non-empty text: the lookup gives "" to a spelling of no type)
  sum:时长  the same with SUMIFS over 时长 (blank = 0)
  sum:人次  SUMIFS over 人次 + COUNTIFS of rows whose 人次 is blank (a row counts 1 人次)

Two helper columns of 活动记录 keep the formulas short and the log forgiving, pre-filled
for the rows there and ``LOG_HEADROOM`` empty rows below them:
  日期值    the 日期 as a date: a real date as it is, text such as 2024-09-03, 2024.9.3,
            2024年9月3日 or 20240903 converted (``date_value_formula``)
  标准类型  the 活动类型 looked up in 类型对照 (spelling → canonical type; canonical names,
            the pack's aliases and every spelling found in the log; room below for new ones)
so a formula has one COUNTIFS per canonical type however many spellings the log has, a new
spelling counts once a row is added to 类型对照, and ``"<"&end+1`` keeps a last-day entry
that has a time of day. Every range is bounded (no whole columns: an edit recalculates only
what depends on it), and every formula is checked against Excel's and WPS's 8,192-character
limit before the workbook is written (LibreOffice has no such limit, so tests could not see
it otherwise).

是否达标 and 差额 of those rows, and 应达标周期数 / 达标周期数 / 状态 / 达标率 / 实际值 of their
合规汇总 rows, are formulas over 合规明细; 人员汇总's 应达标周期数 / 达标周期数 / 合规率 are SUMIFS
over 合规汇总 (仅统计 rows excluded). Everything else (other measures, pair and class rules,
未达标周期, 差额 lists, rule counts) stays the value Python computed; the 公式说明 sheet says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mentor_xl.engine.result import ComplianceResult
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.packs.measures import MEASURES
from mentor_xl.problems import FatalInputError
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.results import (BAD, STAFF_FORMAT, SUMMARY_FORMAT, details_frame, problems_frame, staff_frame,
                               summary_frame)
from mentor_xl.workbook.schema import BY_NAME
from mentor_xl.workbook.report import write_problems_sheet
from mentor_xl.workbook.xlsx import Page, new_workbook, page_setup, styles, write_frame_sheet, write_wrapped

FORMULA_MEASURES = tuple(m.id for m in MEASURES.values() if m.formula)
LOG_SHEET = "活动记录"
TYPE_SHEET = "类型对照"
NOTE_SHEET = "公式说明"
NOTE_WIDTH = 110  # its one column of paragraphs
EPS = "1E-9"  # the engine's tolerance for sums of hours
FORMULA_LIMIT = 8192  # characters of one formula in Excel and WPS
LOG_HEADROOM = 1000   # empty 活动记录 rows below the data that the formulas already cover
TYPE_HEADROOM = 100   # empty 类型对照 rows for spellings an office adds
DATE_VALUE, CANON_TYPE = "日期值", "标准类型"


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


def type_table(pack: Pack, log_types: pd.Series) -> pd.DataFrame:
    """类型对照: one row per spelling (VLOOKUP, like COUNTIFS, ignores case: one row per casefold)."""
    rows, seen = [], set()
    for canon, spellings in type_spellings(pack, log_types).items():
        for s in spellings:
            if s.casefold() not in seen:
                seen.add(s.casefold())
                rows.append((s, canon))
    return pd.DataFrame(rows, columns=["写法", CANON_TYPE])


def _criterion(s: str) -> str:
    """A COUNTIFS criterion matching exactly ``s``: "=" makes a leading < > = literal, ~ escapes
    the wildcards * ? ~, and the result is a quoted formula string."""
    s = "=" + s.replace("~", "~~").replace("*", "~*").replace("?", "~?")
    return '"' + s.replace('"', '""') + '"'


class FormulaTooLong(FatalInputError):
    pass


class _Log:
    """Bounded column references of the 活动记录 copy (rows 2 … last, headroom included)."""

    def __init__(self, names: list[str], last_row: int):
        def ref(c):
            col = _col(names.index(c))
            return f"'{LOG_SHEET}'!${col}$2:${col}${last_row}"

        self.date, self.staff, self.type = ref(DATE_VALUE), ref("工号"), ref(CANON_TYPE)
        self.hours, self.persons = ref("时长"), ref("人次")

    def criteria(self, staff: str, canon: str | None, start: str, end: str) -> str:
        # None = any type of the pack: 标准类型 is non-empty text ("?*"; "" from the lookup fails it)
        kind = '"?*"' if canon is None else _criterion(canon)
        return (f'{self.staff},{staff},{self.type},{kind},'
                f'{self.date},">="&{start},{self.date},"<"&{end}+1')

    def value(self, measure: str, types: list[str | None], staff: str, start: str, end: str) -> str:
        terms = []
        for t in types:
            c = self.criteria(staff, t, start, end)
            if measure == "count":
                terms.append(f"COUNTIFS({c})")
            elif measure == "sum:时长":
                terms.append(f"SUMIFS({self.hours},{c})")
            else:  # sum:人次 — a blank 人次 counts as 1
                terms.append(f'SUMIFS({self.persons},{c})+COUNTIFS({c},{self.persons},"")')
        return "=" + ("+".join(terms) if terms else "0")


def date_value_formula(d: str) -> str:
    """日期值 of the cell ``d``: the date spellings the reader accepts, as far as a formula can.

    A date cell as it is (a time of day kept: the criteria use "<"&end+1); a number like
    20240901 read as yyyymmdd; text through DATEVALUE after 2024.9.1 / 2024/9/1 / 2024年9月1日
    are made 2024-9-1; 8-digit text as yyyymmdd; anything else "" (counted nowhere, as the engine
    reports it as a problem and leaves it out)."""
    # every separator made "-": y-m-d is read the same whatever the computer's date settings
    text = (f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(TRIM({d}),".","-"),"/","-"),'
            f'"年","-"),"月","-"),"日","")')
    digits = f"DATE(LEFT({d},4),MID({d},5,2),MID({d},7,2))"
    number = f"IF({d}>=10000000,DATE(INT({d}/10000),MOD(INT({d}/100),100),MOD(INT({d}),100)),{d})"
    return (f'=IF(ISNUMBER({d}),{number},IF({d}="","",'
            f'IFERROR(DATEVALUE({text}),IF(LEN({d})=8,IFERROR({digits},""),""))))')


def check_length(formula: str, sheet: str, row: int, col: int, what: str) -> str:
    """``formula`` if Excel and WPS accept its length, else a Chinese error naming the cell."""
    if len(formula) > FORMULA_LIMIT:
        raise FormulaTooLong(
            f"公式版结果无法生成：工作表“{sheet}”单元格 {_col(col)}{row + 1}（{what}）的公式有 {len(formula):,} 个字符，"
            f"超过 Excel 和 WPS 的上限 {FORMULA_LIMIT:,} 个字符。请减少该规则计入的活动类型，或改用普通结果工作簿。")
    return formula


@dataclass(frozen=True)
class FormulaCell:
    sheet: str
    row: int      # 0-based, as XlsxWriter counts
    col: int
    formula: str
    fmt: str | None  # "number" | "int" | "percent" | "date" | None
    cached: Any


@dataclass
class FormulaPlan:
    """Every formula of the workbook, worked out (and length-checked) before anything is written."""

    summary: pd.DataFrame
    staff: pd.DataFrame
    details: pd.DataFrame
    log: pd.DataFrame       # with the helper columns (blank: they are formulas)
    types: pd.DataFrame     # 类型对照
    rules: dict
    cells: list[FormulaCell]
    columns: list["FormulaColumn"]  # the 活动记录 helper columns, one formula a row

    @property
    def longest(self) -> FormulaCell | None:
        candidates = [c.longest() for c in self.columns] + self.cells
        return max(candidates, key=lambda c: len(c.formula), default=None)


@dataclass(frozen=True)
class FormulaColumn:
    """A column of formulas from ``first_row`` down (0-based), built from a template at once:
    the log can be long, so no Python object per row."""

    sheet: str
    col: int
    first_row: int
    formulas: pd.Series  # str, one per row
    fmt: str | None

    @classmethod
    def of(cls, sheet: str, col: int, first_row: int, rows: int, template, fmt: str | None, what: str):
        """``template(r)`` is the formula of Excel row r, with r standing for the row number."""
        marker = "\x00"
        parts = template(marker).split(marker)
        numbers = pd.Series(range(first_row + 1, first_row + 1 + rows), dtype="int64").astype(str)
        formulas = pd.Series(parts[0], index=numbers.index)
        for part in parts[1:]:
            formulas = formulas + numbers + part
        column = cls(sheet, col, first_row, formulas, fmt)
        worst = column.longest()
        if worst is not None:
            check_length(worst.formula, sheet, worst.row, col, what)
        return column

    def longest(self) -> FormulaCell | None:
        if self.formulas.empty:
            return None
        k = int(self.formulas.str.len().to_numpy().argmax())
        return FormulaCell(self.sheet, self.first_row + k, self.col, self.formulas.iloc[k], self.fmt, None)


def plan_formulas(result: ComplianceResult, book: OfficeBook, pack: Pack, *, cache_values: bool = True) -> FormulaPlan:
    """Every formula of the formula-mode workbook of ``result``; FormulaTooLong (Chinese) when one
    would exceed Excel's and WPS's limit."""
    summary = summary_frame(result.results)
    staff = staff_frame(result.staff)
    details = details_frame(result.details)
    log_sheet = BY_NAME[LOG_SHEET]
    log = book.frame(LOG_SHEET)[log_sheet.names].copy()
    log["学号"] = log["学号"].map(lambda v: "、".join(v) if isinstance(v, list) and v else None)
    log[DATE_VALUE] = None
    log[CANON_TYPE] = None
    types = type_table(pack, log["活动类型"])
    rules = {r.id: r for r in formula_rules(pack)}
    cells: list[FormulaCell] = []

    def put(sheet, row, col, formula, fmt, cached_value, what):
        cells.append(FormulaCell(sheet, row, col, check_length(formula, sheet, row, col, what), fmt,
                                 _cached(cached_value, cache_values)))

    def put_periods(sheet, row, frame, vals, required, met, rate_col, what):
        """A row's 应达标周期数 and 达标周期数 formulas, then its rate over them in ``rate_col``
        (``vals``: the row of ``frame`` the caller already took)."""
        at = frame.columns.get_loc
        put(sheet, row, at("应达标周期数"), required, "int", int(vals["应达标周期数"]), what)
        put(sheet, row, at("达标周期数"), met, "int", int(vals["达标周期数"]), what)
        g, h = f"{_col(at('应达标周期数'))}{row + 1}", f"{_col(at('达标周期数'))}{row + 1}"
        put(sheet, row, at(rate_col), f'=IF({g}=0,"",{h}/{g})', "percent", vals[rate_col], what)

    # 活动记录 helper columns, for the rows there and the empty rows below them
    L = {c: _col(j) for j, c in enumerate(log.columns)}
    last_log = len(log) + 1 + LOG_HEADROOM
    last_type = len(types) + 1 + TYPE_HEADROOM
    lookup = f"'{TYPE_SHEET}'!$A$2:$B${last_type}"
    n_rows = last_log - 1
    columns = [
        FormulaColumn.of(LOG_SHEET, log.columns.get_loc(DATE_VALUE), 1, n_rows,
                         lambda r: date_value_formula(f"${L['日期']}{r}"), "date", DATE_VALUE),
        FormulaColumn.of(LOG_SHEET, log.columns.get_loc(CANON_TYPE), 1, n_rows,
                         lambda r: f'=IF(${L["活动类型"]}{r}="","",IFERROR(VLOOKUP(${L["活动类型"]}{r},{lookup},2,FALSE),""))',
                         None, CANON_TYPE),
    ]
    lg = _Log(list(log.columns), last_log)

    # 合规明细: 实际值, 是否达标, 差额
    D = {c: _col(j) for j, c in enumerate(details.columns)}
    for i, (rid, op) in enumerate(zip(details["规则"], details["要求"]), start=1):
        rule = rules.get(rid)
        if rule is None:
            continue
        r = i + 1
        kinds = list(rule.types) if rule.types is not None else [None]
        put("合规明细", i, details.columns.get_loc("实际值"),
            lg.value(rule.measure, kinds, f"${D['工号']}{r}", f"${D['周期开始']}{r}", f"${D['周期结束']}{r}"),
            "number", details.at[i - 1, "实际值"], f"规则 {rid}")
        q, s_ = f"{D['实际值']}{r}", f"{D['要求值']}{r}"
        ok = f"{q}<={s_}+{EPS}" if op == "不超过" else f"{q}+{EPS}>={s_}"
        put("合规明细", i, details.columns.get_loc("是否达标"),
            f'=IF({D["是否应达标"]}{r}="否","不适用",IF({ok},"达标","不达标"))', None,
            details.at[i - 1, "是否达标"], f"规则 {rid}")
        gap = f"MAX({q}-{s_},0)" if op == "不超过" else f"MAX({s_}-{q},0)"
        put("合规明细", i, details.columns.get_loc("差额"), f'=IF({D["是否达标"]}{r}="不达标",{gap},0)', "number",
            details.at[i - 1, "差额"], f"规则 {rid}")

    # 合规汇总: periods required / met, status, rate, value — over 合规明细's rows
    S = {c: _col(j) for j, c in enumerate(summary.columns)}
    det = lambda c: f"'合规明细'!${D[c]}$2:${D[c]}${len(details) + 1}"  # noqa: E731
    for i, rid in enumerate(summary["规则"], start=1):
        if rid not in rules:
            continue
        r = i + 1
        key = f'{det("工号")},${S["工号"]}{r},{det("规则")},${S["规则"]}{r},{det("是否应达标")},"是"'
        req, met = f"{S['应达标周期数']}{r}", f"{S['达标周期数']}{r}"
        row = summary.iloc[i - 1]
        what = f"规则 {rid}"
        put_periods("合规汇总", i, summary, row, f"=COUNTIFS({key})",
                    f'=COUNTIFS({key},{det("是否达标")},"达标")', "达标率", what)
        put("合规汇总", i, summary.columns.get_loc("状态"), f'=IF({req}=0,"不适用",IF({met}={req},"达标","不达标"))',
            None, row["状态"], what)
        put("合规汇总", i, summary.columns.get_loc("实际值"), f'=SUMIFS({det("实际值")},{key})', "number",
            row["实际值"], what)

    # 人员汇总: Σ periods over the person's 合规汇总 rows (仅统计 excluded), rate
    P = {c: _col(j) for j, c in enumerate(staff.columns)}
    sm = lambda c: f"'合规汇总'!${S[c]}$2:${S[c]}${len(summary) + 1}"  # noqa: E731
    for i in range(1, len(staff) + 1):
        r = i + 1
        key = f'{sm("工号")},${P["工号"]}{r},{sm("状态")},"<>仅统计"'
        row = staff.iloc[i - 1]
        what = f"工号 {row['工号']}"
        put_periods("人员汇总", i, staff, row, f"=SUMIFS({sm('应达标周期数')},{key})",
                    f"=SUMIFS({sm('达标周期数')},{key})", "合规率", what)
    return FormulaPlan(summary, staff, details, log, types, rules, cells, columns)


def _cached(v, cache_values: bool):
    """The value stored as a formula's cached result ("" for blanks; 0 everywhere when not caching)."""
    if not cache_values:
        return 0
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v


def write_formula_results(path: str | Path, result: ComplianceResult, book: OfficeBook, pack: Pack, *,
                          cache_values: bool = True, office: str = "") -> Path:
    """Write the formula-mode results workbook of ``result`` (computed from ``book``) to ``path``,
    printing as the results workbook does (``office`` above every page).

    ``cache_values`` stores Python's numbers as the formulas' cached results, so a viewer
    that does not recalculate still shows them; False leaves 0 (tests use it to prove the
    numbers come from recalculation). Raises FormulaTooLong before writing anything when a
    formula would exceed Excel's and WPS's limit.
    """
    plan = plan_formulas(result, book, pack, cache_values=cache_values)
    problems = problems_frame(result.problems)

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        st = styles(wb)
        sheets = {
            "合规汇总": write_frame_sheet(wb, "合规汇总", plan.summary, **SUMMARY_FORMAT),
            "人员汇总": write_frame_sheet(wb, "人员汇总", plan.staff, **STAFF_FORMAT),
            "合规明细": write_frame_sheet(wb, "合规明细", plan.details, text_cols=("工号", "学号"),
                                      date_cols=("周期开始", "周期结束"), status_col="是否达标", bad_values=BAD),
            LOG_SHEET: write_frame_sheet(wb, LOG_SHEET, plan.log, text_cols=("工号", "学号", "班级", "宿舍"),
                                         date_cols=(DATE_VALUE,), widths={DATE_VALUE: 12, CANON_TYPE: 14}),
        }
        sheets_too = {TYPE_SHEET: write_frame_sheet(wb, TYPE_SHEET, plan.types, widths={"写法": 24, CANON_TYPE: 24},
                                                    autofilter=False),
                      "数据问题": write_problems_sheet(wb, problems)}
        for title, ws in {**sheets, **sheets_too}.items():
            page_setup(ws, Page(title, office, f"{result.term}学期"))
        page_setup(_note_sheet(wb, st, pack, plan), Page(NOTE_SHEET, office, f"{result.term}学期", repeat=0, grid=False))
        fmts = {"number": st.cell("number"), "int": st.cell("int"), "percent": st.cell("percent"),
                "date": st.cell("date")}
        for column in plan.columns:
            ws, fmt, cached = sheets[column.sheet], fmts.get(column.fmt), "" if cache_values else 0
            for row, formula in enumerate(column.formulas.tolist(), start=column.first_row):
                ws.write_formula(row, column.col, formula, fmt, cached)
        for c in plan.cells:
            sheets[c.sheet].write_formula(c.row, c.col, c.formula, fmts.get(c.fmt), c.cached)
        wb.close()

    return atomic_write(path, build)


def _note_sheet(wb, st, pack: Pack, plan: FormulaPlan):
    ws = wb.add_worksheet(NOTE_SHEET)
    ws.set_column(0, 0, NOTE_WIDTH, st.wrap)
    rules = plan.rules
    last_log = len(plan.log) + 1 + LOG_HEADROOM
    last_type = len(plan.types) + 1 + TYPE_HEADROOM
    longest = plan.longest
    lines = [
        "公式版结果工作簿",
        f"本工作簿中以下规则的统计是公式（COUNTIFS/SUMIFS），直接统计“{LOG_SHEET}”表："
        + ("、".join(f"{r.title}（{r.id}）" for r in rules.values()) or "（本制度没有可用公式统计的规则）") + "。",
        f"在 Excel、WPS 或 LibreOffice 中修改、增加或删除“{LOG_SHEET}”表的行，合规明细的实际值、是否达标、差额，"
        "合规汇总的应达标周期数、达标周期数、状态、达标率、实际值，以及人员汇总的应达标周期数、达标周期数、合规率会自动更新，"
        "无需安装任何加载项。",
        f"新增的活动记录请紧接着已有的行填写（公式统计到第 {last_log} 行；更多的行请重新运行 mentor-xl 生成）："
        f"日期（日期格式，写成文字如 2024-09-03 也可以，由“{DATE_VALUE}”列换算）、工号、活动类型。"
        f"“{DATE_VALUE}”“{CANON_TYPE}”两列是公式，请勿改动。",
        f"活动类型的写法由“{TYPE_SHEET}”表换算成标准类型（不区分大小写）；"
        f"“{CANON_TYPE}”为空的记录不计入任何规则。遇到新的写法，在“{TYPE_SHEET}”表的空行"
        f"（到第 {last_type} 行）填写写法和标准类型即可计入。",
        "其余内容（按学生、按班级的规则，人数、覆盖比例等统计，未达标周期、差额列表，规则数）是计算时的结果，"
        "修改活动记录后不会变化；需要时请重新运行 mentor-xl。人员、指导关系、学期、假期等其他表的修改也需要重新运行。",
        (f"最长的公式 {len(longest.formula):,} 个字符（{longest.sheet}!{_col(longest.col)}{longest.row + 1}），"
         f"Excel 和 WPS 的上限为 {FORMULA_LIMIT:,}。" if longest else ""),
        f"制度：{pack.id}（{pack.name}）。",
    ]
    ws.write_string(0, 0, lines[0], st.title)
    for i, line in enumerate(lines[1:], start=1):
        write_wrapped(ws, i, line, st, NOTE_WIDTH)
    return ws
