"""The Excel buttons: each reads the open workbook, calls the library, writes result sheets.

Every button is ``fn(book)`` over the xlwings Book/Sheet/Range subset that classic xlwings
and xlwings Lite share (``book_api.Book``); ``main(button_id)`` is the classic entry point
(``RunPython "import mentor_xl.xl.buttons as b; b.main('compliance')"``) and takes the
workbook from ``xw.Book.caller()``. Nothing is computed here: the adapters only read
parameters, call the library and lay its tables out on sheets.

Where things land:
  操作 sheet  the buttons, the parameters (项目 | 值 | 说明, read by label) and the status
              cell (B2 状态: 运行中 / 完成 / 出错, B3 说明: the Chinese message)
  result sheets  new sheets after the last one, each with a marker title in A1 and the
              table from row 2; a second run clears and rewrites only sheets carrying the
              marker. The office's input sheets are never written: a result whose name is
              taken by a sheet without the marker goes to "<name>(结果)". In a classic
              .xlsm the workbook's own macro then fits their columns and sets them up
              for printing (``print_results``, macros/mentor_xl_print.bas).
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from mentor_xl.office import results_path
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.safe import cell_text, needs_quote

CONTROL_SHEET = "操作"
STATUS_CELL, MESSAGE_CELL = "B2", "B3"
MARKER = "【mentor_xl 结果】"
PARAM_HEADER_ROW = 5  # 项目 | 值 | 说明; parameters below it

# label, default, help — read by label, so an office may reorder the rows
PARAMS: tuple[tuple[str, Any, str], ...] = (
    ("学期", None, "计算合规、按学期考核、生成公文时使用，如 2024-2025-1"),
    ("学年", None, "按学年考核、奖励预算时使用，如 2024-2025（不填则取学期所在学年）"),
    ("奖励预算（万元）", None, "可不填；填写后显示结余或缺口"),
    ("分配总额（元）", None, "经费分配的总额，整数元"),
    ("分配依据", "学院", "学生表中的列名，如 学院、专业"),
    ("文档类型", "整改提醒", "整改提醒、学期工作总结、考核结果通知、表彰决定、聘任通知、工作记录表、班级导师申报表"),
)


@dataclass(frozen=True)
class Button:
    id: str        # Python name of the function, VBA Sub suffix, Lite script name
    caption: str   # text on the button
    sheets: str    # what it writes (for 说明)
    lite: bool     # offered in the Lite workbook (Lite cannot write files)


BUTTONS: tuple[Button, ...] = (
    Button("check", "检查数据", "数据问题", True),
    Button("compliance", "计算合规", "合规汇总、人员汇总、合规明细、数据问题", True),
    Button("assess", "考核评定", "考核结果", True),
    Button("awards", "奖励预算", "奖励预算、奖励汇总", True),
    Button("allocate", "经费分配", "经费分配", True),
    Button("docs", "生成公文", "公文清单（文件保存在工作簿所在文件夹）", False),
    Button("formulas", "公式版结果", "公式版结果工作簿（文件保存在工作簿所在文件夹，可发给用 WPS 的同事）", False),
)


# ------------------------------------------------------------------------------ sheets
def sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def _find(book, name: str):
    for s in book.sheets:
        if s.name.lower() == name.lower():
            return s
    return None


def control_sheet(book):
    """The 操作 sheet; created (with the parameter table) when the workbook has none."""
    sheet = _find(book, CONTROL_SHEET)
    if sheet is None:
        sheet = book.sheets.add(CONTROL_SHEET, before=book.sheets[0]) if len(book.sheets) else \
            book.sheets.add(CONTROL_SHEET)
        sheet.range("A1").value = control_layout()
    return sheet


def control_layout() -> list[list]:
    """The 操作 sheet's cells from A1 (also written by the build step)."""
    rows: list[list] = [["导师工作助手（mentor_xl）", None, None],
                        ["状态", "就绪", None],
                        ["说明", "填写下方参数后点击右侧按钮；结果写入新的工作表，不会改动原有数据表。", None],
                        [None, None, None],
                        ["项目", "值", "说明"]]
    rows += [[label, default, help_] for label, default, help_ in PARAMS]
    return rows


def params(book) -> dict[str, Any]:
    """The parameters of the 操作 sheet: label → value (None when blank)."""
    from mentor_xl.packs import normalise_label
    from mentor_xl.xl.book_api import sheet_rows

    sheet = control_sheet(book)
    known = {normalise_label(label): label for label, _, _ in PARAMS}
    out: dict[str, Any] = {label: None for label, _, _ in PARAMS}
    for row in sheet_rows(sheet)[PARAM_HEADER_ROW:]:
        if len(row) >= 2 and isinstance(row[0], str) and normalise_label(row[0]) in known:
            v = row[1]
            out[known[normalise_label(row[0])]] = None if (v is None or (isinstance(v, str) and not v.strip())) else v
    return out


def set_status(book, status: str, message: str) -> None:
    sheet = control_sheet(book)
    sheet.range(STATUS_CELL).value = status
    sheet.range(MESSAGE_CELL).value = cell_value(message)  # may echo a workbook value: formula guard


def result_sheet(book, name: str):
    """A sheet for results called ``name``: ours (marker in A1) is cleared and reused; a sheet
    of the office's with that name is left alone and ``<name>(结果)`` is used instead."""
    from mentor_xl.xl.book_api import input_sheet_names

    inputs = {n.lower() for n in input_sheet_names(book)}
    for candidate in (name, f"{name}(结果)", f"{name}(结果2)"):
        sheet = _find(book, candidate)
        if sheet is None:
            last = book.sheets[len(book.sheets) - 1]
            return book.sheets.add(candidate, after=last)
        if candidate.lower() in inputs:
            continue
        a1 = sheet.range("A1").value
        if isinstance(a1, str) and a1.startswith(MARKER):
            sheet.clear()
            return sheet
    raise FatalInputError(f"无法写入结果表“{name}”：同名工作表已存在且不是本工具生成的，请改名后重试")


def cell_value(v: Any) -> Any:
    """A pandas/numpy value as a cell value xlwings writes (None for blanks, lists joined)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join(str(x) for x in v) if len(v) else None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (np.bool_, bool)):
        return "是" if bool(v) else "否"
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(float(v)) or math.isinf(float(v)) else float(v)
    if isinstance(v, str):
        # Office text (a 内容 or a bad value echoed in 数据问题) must not become a formula:
        # Excel and Office.js store a value written with a leading apostrophe as text.
        s = cell_text(v)
        return "'" + s if s is not None and needs_quote(s) else s
    return v


def frame_rows(df: pd.DataFrame) -> list[list]:
    """Header + rows of a frame as cell values."""
    rows = [[str(c) for c in df.columns]]
    cols = [df.iloc[:, j].astype(object).tolist() for j in range(len(df.columns))]
    rows += [[cell_value(v) for v in r] for r in zip(*cols)]
    return rows


def write_table(book, name: str, df: pd.DataFrame, title: str) -> Any:
    """Write ``df`` to the result sheet ``name``: marker title in A1, header in row 2."""
    sheet = result_sheet(book, name)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    sheet.range("A1").value = f"{MARKER}{title}（{stamp} 生成；再次运行会覆盖本表）"
    sheet.range("A2").value = frame_rows(df)
    return sheet


def write_problems(book, problems: Problems) -> None:
    from mentor_xl.results import problems_frame

    n = len(problems)
    write_table(book, "数据问题", problems_frame(problems), f"数据问题 {n} 条" if n else "未发现数据问题")


# ------------------------------------------------------------------------------ buttons
def button(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """Status handling for a button: 运行中 → 完成 with the summary, or 出错 with a Chinese message."""

    @functools.wraps(fn)
    def run(book) -> str:
        set_status(book, "运行中", f"正在{_caption(fn.__name__)}……")
        try:
            message = fn(book)
        except FatalInputError as e:
            set_status(book, "出错", str(e))
            return str(e)
        except Exception as e:  # noqa: BLE001 — a button must always leave a readable message
            # the exception's own text is English: only its class name, as a code for the administrator
            message = (f"{_caption(fn.__name__)}时出错（程序内部错误 {type(e).__name__}）。"
                       "请检查数据后重试，或把本消息发给管理员。")
            set_status(book, "出错", message)
            return message
        set_status(book, "完成", message)
        return message

    return run


def _caption(button_id: str) -> str:
    return next((b.caption for b in BUTTONS if b.id == button_id), button_id)


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _term(office, p: dict) -> str:
    """The 学期 of the 操作 sheet, resolved by the Office against the 学期 sheet (as the command
    line does): an unknown term names the terms the sheet lists."""
    from mentor_xl.periods import term_code

    raw = _text(p["学期"])
    if raw is None:
        raise FatalInputError(f"请先在“{CONTROL_SHEET}”表的“学期”一栏填写学期，如 2024-2025-1")
    try:
        return office.term(raw).code
    except FatalInputError as e:
        if term_code(raw) is None:
            raise FatalInputError(f"“{CONTROL_SHEET}”表的学期“{raw}”无法识别，请写成 2024-2025-1。{e}") from e
        raise


@button
def check(book) -> str:
    """检查数据: every data problem of the workbook → 数据问题."""
    from mentor_xl.pipeline import problems_summary
    from mentor_xl.xl.book_api import open_xl_office

    office = open_xl_office(book)
    problems = office.all_problems()
    write_problems(book, problems)
    return problems_summary(office.pack, problems, limit=5)


@button
def compliance(book) -> str:
    """计算合规: one term → 合规汇总, 人员汇总, 合规明细, 数据问题."""
    from mentor_xl.pipeline import compliance_summary
    from mentor_xl.results import details_frame, staff_frame, summary_frame
    from mentor_xl.xl.book_api import open_xl_office

    office = open_xl_office(book)
    result = office.compliance(_term(office, params(book)))
    label = f"{result.term} 学期"
    write_table(book, "合规汇总", summary_frame(result.results), f"{label}合规汇总")
    write_table(book, "人员汇总", staff_frame(result.staff), f"{label}人员合规率")
    write_table(book, "合规明细", details_frame(result.details), f"{label}合规明细")
    write_problems(book, result.problems)
    return compliance_summary(result)


def _write_result(book, result, title) -> None:
    """A step's sheets (``frames()``) as result tables, then its problems — the workbook's own
    included, since the Office methods merge them."""
    for name, df in result.frames().items():
        write_table(book, name, df, title(name))
    write_problems(book, result.problems)


def _assessment(office, p: dict):
    year = _text(p["学年"])
    return office.assess(year=year, term=None if year else _term(office, p))


@button
def assess(book) -> str:
    """考核评定: tiers for the 学年 (or 学期) of the 操作 sheet → 考核结果."""
    from mentor_xl.xl.book_api import open_xl_office

    from mentor_xl.pipeline import assess_summary

    result = _assessment(open_xl_office(book), params(book))
    _write_result(book, result, lambda name: f"{result.year or result.term} 考核结果")
    return assess_summary(result)


def _year(office, p: dict) -> str:
    year = _text(p["学年"]) or _text(office.book.settings.get("学年"))
    if year is None and _text(p["学期"]):
        year = _term(office, p)[:9]
    if year is None:
        raise FatalInputError(f"请先在“{CONTROL_SHEET}”表的“学年”一栏填写学年，如 2024-2025")
    return year


def _awards(office, p: dict):
    return office.awards(_year(office, p), budget_wan=_text(p["奖励预算（万元）"]))


@button
def awards(book) -> str:
    """奖励预算: the nominations checked against the pack's catalogue, totals in 元 → 奖励预算, 奖励汇总."""
    from mentor_xl.xl.book_api import open_xl_office

    result = _awards(open_xl_office(book), params(book))
    _write_result(book, result, lambda name: f"{result.year} 学年{name}")
    return result.budget_message()


@button
def allocate(book) -> str:
    """经费分配: the 分配总额 split by student headcount (largest remainder) → 经费分配."""
    from mentor_xl.money import MoneyError, parse_yuan
    from mentor_xl.xl.book_api import open_xl_office

    p = params(book)
    raw = _text(p["分配总额（元）"])
    if raw is None:
        raise FatalInputError(f"请先在“{CONTROL_SHEET}”表的“分配总额（元）”一栏填写总额，如 100000")
    try:
        total = parse_yuan(raw)
    except MoneyError as e:
        raise FatalInputError(f"分配总额“{raw}”：{e}") from e
    result = open_xl_office(book).allocate(total, by=_text(p["分配依据"]) or "学院")
    for name, df in result.frames().items():
        write_table(book, name, df, f"按{result.by}学生人数分配 {result.total_yuan} 元")
    if len(result.problems):
        write_problems(book, result.problems)
    return f"已按{result.by}学生人数分配 {result.total_yuan} 元，共 {len(result.parts)} 个{result.by}，合计与总额一致。"


def _local_folder(book, what: str) -> Path:
    """The folder of the workbook on this computer; refused for web/Lite workbooks."""
    name = str(getattr(book, "fullname", "") or "")
    folder = Path(name).parent
    if not name or "://" in name or not folder.is_dir():
        raise FatalInputError(f"这个工作簿不在本机的文件夹中（例如网页版 Excel 或 xlwings Lite），无法保存{what}。"
                              "请在本机用宏工作簿（.xlsm）或命令行 mentor-xl 生成。")
    return folder


@button
def docs(book) -> str:
    """生成公文: Word documents of the 文档类型 into a folder beside the workbook → 公文清单."""
    from mentor_xl.documents import docs_for_office, get_kind
    from mentor_xl.xl.book_api import open_xl_office

    folder = _local_folder(book, "公文文件")
    p = params(book)
    try:
        kind = get_kind(_text(p["文档类型"]) or "整改提醒")
    except KeyError as e:
        raise FatalInputError(str(e.args[0])) from e
    office = open_xl_office(book)
    # What the kind needs (compliance, assessment, awards, eligibility …) is worked out in one
    # place, docs_for_office, exactly as for the command line.
    by_term = kind.by_term or ("assessment" in kind.needs and office.pack.assessment.period == "term") or (
        "year|term" in kind.needs and _text(p["学期"]) is not None)
    when = {"term": _term(office, p)} if by_term else {"year": _year(office, p)}
    said: list[str] = []
    out = folder / f"{Path(book.name).stem}-{kind.title}"
    try:
        paths, n = docs_for_office(office, kind.id, out, progress=False, workers=1, notify=said.append,
                                   budget_wan=_text(p["奖励预算（万元）"]), **when)
    except ValueError as e:
        raise FatalInputError(str(e)) from e
    if not n:
        return f"没有需要生成的“{kind.title}”。"
    listing = pd.DataFrame({"文件": [p.name for p in paths], "位置": [str(p.parent) for p in paths]})
    write_table(book, "公文清单", listing, f"{kind.title} {len(paths)} 份")
    warn = ""
    if said:  # data problems, missing settings, people left out: what the secretary must read
        write_table(book, "公文提示", pd.DataFrame({"提示": said}), f"{kind.title}：生成前的检查")
        warn = f"。有 {len(said)} 条提示，见“公文提示”表"
    return f"已生成“{kind.title}” {len(paths)} 份，保存在：{out}{warn}"


@button
def formulas(book) -> str:
    """公式版结果: the term's results workbook with live COUNTIFS/SUMIFS, saved beside the workbook."""
    from mentor_xl.xl.book_api import open_xl_office
    from mentor_xl.xl.formulas import write_formula_results

    folder = _local_folder(book, "结果工作簿")
    office = open_xl_office(book)
    term = _term(office, params(book))
    result = office.compliance(term)
    out = write_formula_results(results_path(folder / Path(book.name).name, "公式版结果", term), result,
                                office.book, office.pack, office=office.name)
    return (f"已生成公式版结果工作簿：{out}。其中合规汇总的次数、时长由公式统计活动记录表，"
            "可发给使用 WPS 或没有 Python 的同事，修改活动记录后自动更新。")


BUTTON_FUNCTIONS: dict[str, Callable[[Any], str]] = {
    "check": check, "compliance": compliance, "assess": assess,
    "awards": awards, "allocate": allocate, "docs": docs, "formulas": formulas,
}


def main(button_id: str) -> str:
    """Classic xlwings entry point (RunPython): the button ``button_id`` on the calling workbook.

    To run a button from Python against a workbook open in Excel (Windows/macOS), xlwings'
    pattern is ``xw.Book("导师工作.xlsm").set_mock_caller(); main("compliance")``; without
    Excel (Linux, tests) patch ``xw.Book.caller`` to return any ``book_api.Book``.
    """
    import xlwings as xw

    if button_id not in BUTTON_FUNCTIONS:
        raise ValueError(f"unknown button {button_id!r}; expected one of {list(BUTTON_FUNCTIONS)}")
    book = xw.Book.caller()
    message = BUTTON_FUNCTIONS[button_id](book)
    if sys.platform == "darwin":
        print_results(book)
    return message


PRINT_MACRO = "MentorPrintResults"  # macros/mentor_xl_print.bas


def print_results(book) -> None:
    """Set the result sheets up for printing (A4 landscape, one page wide, title and header rows
    on every page) by the workbook's own macro: Excel's PageSetup is reachable only from inside
    Excel. On Windows the button's Sub runs it once RunPython returns; on macOS RunPython returns
    at once, so ``main`` runs it here when the sheets are written. A book without the macro (an
    older .xlsm, xlwings Lite) or an Excel that refuses it (no printer) prints its sheets as they
    are: a button never fails for its print settings."""
    run = getattr(book, "macro", None)
    if run is None:
        return
    try:
        run(PRINT_MACRO)()
    except Exception:  # noqa: BLE001 — see above: the results are written, the print setup is a bonus
        pass
