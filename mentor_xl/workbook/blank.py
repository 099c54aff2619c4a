"""``mentor-xl init BOOK --policy P``: a blank office workbook for a policy pack.

Every sheet of ``schema.SHEETS`` with its canonical headers (row 1, frozen, widths and
cell formats from the schema: ids as text so leading zeros stay, dates as dates), plus
- 设置 pre-filled: 制度, 单位名称 (blank), 发文机关, 学年, and one row per ⚙ setting of
  the pack (label, default) with its note in a third column 说明;
- 学期: the two term codes of the 学年 (dates left blank: only the school's 校历 knows
  them, and a guessed date would silently shift every period);
- 假期: the statutory holidays of the 学年 (``mentor_xl.holidays``); when the holiday data
  does not cover (part of) the year, a red note row above the headers says so — the
  reader accepts a title row above the headers (workbook.md);
- dropdowns (data validation, "warning" style so an alias the reader knows can still be
  typed) fed from a hidden 字典 sheet by range reference: inline lists longer than 255
  characters break Excel;
- 说明: what each sheet and column means, accepted date forms, and the pack's rules,
  activity types, roles and ⚙ settings, so the office sees what is checked.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from mentor_xl.holidays import current_year, statutory_holidays, year_span
from mentor_xl.money import format_wan
from mentor_xl.packs import Pack, Rule
from mentor_xl.packs.measures import MEASURES, PERIOD_TEXT
from mentor_xl.safe import atomic_write
from mentor_xl.workbook import schema
from mentor_xl.workbook.xlsx import (EXCEL_MAX_ROWS, Styles, format_schema_columns, new_workbook,
                                     styles, text_width, write_header, write_text)

DICT_SHEET = "字典"
GUIDE_SHEET = "说明"

# Generic value lists (not policy knowledge: the same for every pack).
GENERIC_LISTS: dict[str, tuple[str, ...]] = {
    "是否": ("是", "否"),
    "性别": ("男", "女"),
    "学历": ("博士研究生", "硕士研究生", "大学本科", "大学专科", "其他"),
}

KIND_TEXT = {
    "id": "编号（按文本保存，开头的 0 不会丢；被 Excel 变成 2024010123.0 的也能识别）",
    "idlist": "一个或多个编号，用 、 , ， ; ； 或空格分隔",
    "text": "文字",
    "date": "日期：Excel 日期，或写成 2024-09-01、2024/9/1、2024.9.1、2024年9月1日、20240901",
    "number": "数字（可带单位，如“2小时”；全角数字也可）",
    "int": "整数",
    "bool": "是/否（也可写 Y/N、1/0、√/×）",
    "term": "学期代码，如 2024-2025-1（也可写 2024-2025学年第一学期、2024年秋季学期）",
}
SCOPE_TEXT = {"staff": "导师本人", "pair": "每名指导的学生（导师—学生）", "class": "每个所带班级（导师—班级）"}


def write_blank_book(path: str | Path, pack: Pack, *, year: str | None = None,
                     overwrite: bool = False) -> Path:
    """Write the blank workbook for ``pack`` and 学年 ``year`` (default: the current one).

    Refuses (FileExistsError, Chinese message) to replace an existing file unless
    ``overwrite``; then the old file is kept as ``safe.backup_path(path)``. The write is
    atomic. Raises ValueError for a malformed ``year``.
    """
    path = Path(path)
    year = year or current_year()
    year_span(year)  # validates "2024-2025"
    y1, y2 = year.strip()[:4], str(int(year.strip()[:4]) + 1)
    year = f"{y1}-{y2}"
    if path.exists() and not overwrite:
        raise FileExistsError(f"文件 {path} 已存在。为避免覆盖本单位的数据，请换一个文件名，或确认要覆盖后重试。")
    return atomic_write(path, lambda tmp: _build(tmp, pack, year), backup=True)


def dictionary_lists(pack: Pack, year: str) -> dict[str, list[str]]:
    """The 字典 lists (name → values) the dropdowns use; empty lists are left out."""
    lists: dict[str, list[str]] = {
        "角色": list(pack.roles),
        "活动类型": list(pack.types),
        "学期": [f"{year}-1", f"{year}-2"],
        "学期或学年": [f"{year}-1", f"{year}-2", year],
        **{k: list(v) for k, v in GENERIC_LISTS.items()},
        "奖项": award_names(pack),
    }
    return {k: v for k, v in lists.items() if v}


def award_names(pack: Pack) -> list[str]:
    """The names of the pack's ``[[awards]]``, in catalogue order."""
    return [a.name for a in pack.awards]


def rule_requirement(rule: Rule, pack: Pack) -> str:
    """The rule's requirement in plain Chinese, e.g. 每月不少于 1 次 (the measure's own wording)."""
    return MEASURES[rule.measure].requirement(rule, pack)


# --------------------------------------------------------------------------- building

def _build(tmp: Path, pack: Pack, year: str) -> None:
    wb = new_workbook(tmp)
    st = styles(wb)
    lists = dictionary_lists(pack, year)
    hol = statutory_holidays(year)
    guide = wb.add_worksheet(GUIDE_SHEET)  # first: what the office sees on opening
    for sheet in schema.SHEETS:
        ws = wb.add_worksheet(sheet.name)
        header_row = 0
        if sheet.name == "假期" and not hol.covered:
            ws.merge_range(0, 0, 0, len(sheet.columns) - 1, "注意：" + hol.message, st.warn)
            ws.set_row(0, 60)
            header_row = 1
        write_header(ws, sheet.names, st, row=header_row)
        format_schema_columns(ws, sheet.columns, st)
        _dropdowns(ws, sheet, lists, header_row)
        fill = _FILLERS.get(sheet.name)
        if fill:
            fill(ws, st, pack=pack, year=year, hol=hol, first=header_row + 1)
    dws = wb.add_worksheet(DICT_SHEET)
    for j, (name, values) in enumerate(lists.items()):
        dws.write_string(0, j, name, st.header)
        for i, v in enumerate(values, start=1):
            write_text(dws, i, j, v, st)
        dws.set_column(j, j, max(10, max(text_width(v) for v in [name, *values]) + 2))
    dws.hide()
    _write_guide(guide, st, pack, year, hol, lists)
    wb.close()


def _list_for(sheet: schema.Sheet, col: schema.Column) -> str | None:
    if col.dropdown:
        return col.dropdown
    if col.kind == "term" and sheet.name != "学期":
        # 测评 may hold a 学年 for yearly surveys (its 学期 column accepts 学年 as header).
        return "学期或学年" if "学年" in col.aliases else "学期"
    return None


def _dropdowns(ws: Worksheet, sheet: schema.Sheet, lists: dict[str, list[str]], header_row: int) -> None:
    names = list(lists)
    for j, col in enumerate(sheet.columns):
        lname = _list_for(sheet, col)
        if lname not in lists:
            continue  # e.g. 奖项 for a pack without awards
        k = names.index(lname)
        letter = xl_col_to_name(k)
        ws.data_validation(header_row + 1, j, EXCEL_MAX_ROWS - 1, j, {
            "validate": "list",
            "source": f"='{DICT_SHEET}'!${letter}$2:${letter}${len(lists[lname]) + 1}",
            "error_type": "warning",
            "error_title": "不在下拉列表中",
            "error_message": f"“{col.name}”建议从下拉列表中选择。若这是本单位的其他写法（别名），"
                             f"程序也能识别，确认无误请点“是”。",
        })


# What the 公文 read from 设置 (mentor-xl docs): blank for the office to fill in. Any other
# row an office adds (联系人 …) is available to its templates by the same name.
DOCUMENT_SETTINGS: list[tuple[str, Any, str]] = [
    ("发文机关标志", None, "公文版头的红色标志，如 ××大学学生工作部文件；空着时为“发文机关”加“文件”"),
    ("发文字号前缀", None, "机关代字，如 学工；与“文号”只写序号时合成发文字号 学工〔2024〕12号"),
    ("文号", None, "发文字号：写全（学工〔2024〕12号）或只写序号（12）；空着时公文的发文字号留空并提示"),
    ("主送机关", None, "公文的主送机关，如 各学院；空着时用制度规定的写法"),
    ("抄送", None, "版记的抄送机关，如 校党委办公室，校长办公室；空着时版记不写抄送"),
    ("印发机关", None, "版记的印发机关，如 ××大学学生工作部办公室；空着时用发文机关"),
    ("成文日期", None, "公文的成文日期，如 2024年9月1日；空着时为生成当天（表格按所属月份或学期的最后一个工作日）"),
    ("整改期限", None, "整改提醒的整改期限，如 2024年12月31日；空着时为核查日期后14天"),
]


def _fill_settings(ws: Worksheet, st: Styles, *, pack: Pack, year: str, first: int, **_) -> None:
    ws.set_column(2, 2, 60, st.wrap)  # the 说明 header comes from the schema
    rows: list[tuple[str, Any, str]] = [
        ("制度", pack.id, pack.name + (f"（{pack.document}）" if pack.document else "")),
        ("单位名称", None, "本单位名称，用于公文和汇总表"),
        ("发文机关", pack.issuer, "公文落款的发文机关"),
        ("学年", year, "如 2024-2025"),
        *DOCUMENT_SETTINGS,
    ]
    rows += [(s.label, s.default, s.note + "（⚙ 本单位可修改）") for s in pack.settings.values()]
    for i, (item, value, note) in enumerate(rows, start=first):
        write_text(ws, i, 0, item, st)
        if isinstance(value, bool):
            write_text(ws, i, 1, "是" if value else "否", st)
        elif isinstance(value, (int, float)):
            ws.write_number(i, 1, value)
        else:
            write_text(ws, i, 1, value, st)
        write_text(ws, i, 2, note, st, "wrap")


def _fill_terms(ws: Worksheet, st: Styles, *, year: str, first: int, **_) -> None:
    for i, code in enumerate((f"{year}-1", f"{year}-2"), start=first):
        write_text(ws, i, 0, code, st)
    for j in (1, 2):
        ws.write_comment(first - 1, j, "请按本校校历填写本学期的开始、结束日期（每学期一行）。",
                         {"x_scale": 1.5})


def _fill_holidays(ws: Worksheet, st: Styles, *, hol, first: int, **_) -> None:
    date = st.cell("date")
    for i, r in enumerate(hol.ranges, start=first):
        ws.write_datetime(i, 0, dt.datetime.combine(r.start, dt.time()), date)
        ws.write_datetime(i, 1, dt.datetime.combine(r.end, dt.time()), date)
        write_text(ws, i, 2, r.name, st)


_FILLERS = {"设置": _fill_settings, "学期": _fill_terms, "假期": _fill_holidays}


def _write_guide(ws: Worksheet, st: Styles, pack: Pack, year: str, hol, lists: dict[str, list[str]]) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # printable: one page wide
    widths = (14, 16, 8, 40, 30, 50, 30, 24, 30)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w, st.wrap)
    row = 0
    ws.write_string(row, 0, f"《{pack.name}》工作簿填写说明", st.title)
    row += 1
    source = "　".join(x for x in (pack.institution, pack.document) if x)
    write_text(ws, row, 0, f"制度编号：{pack.id}　{source}　发文机关：{pack.issuer}　学年：{year}", st)
    row += 2

    def section(title: str) -> None:
        nonlocal row
        ws.write_string(row, 0, title, st.title)
        row += 1

    def table(headers: list[str], rows: list[list[Any]]) -> None:
        nonlocal row
        for j, h in enumerate(headers):
            ws.write_string(row, j, h, st.header)
        row += 1
        for r in rows:
            for j, v in enumerate(r):
                write_text(ws, row, j, v, st, "wrap")
            row += 1
        row += 1

    section("一、填写方法")
    lines = [
        "每张工作表第一行是标准列名。本单位已有的表格可以直接使用：列名不同时，用下面“也可识别的列名”，"
        "或在“列映射”表登记（表、原列名、标准列名）；多出来的列会保留并提示，不会报错。",
        "日期可以是 Excel 日期，也可写成 2024-09-01、2024/9/1、2024.9.1、2024年9月1日 或 20240901。",
        "工号、学号等编号列已设为文本格式，开头的 0 不会丢失。",
        "带下拉列表的列（" + "、".join(k for k in lists if k != "学期或学年") + "）可以从列表中选择，"
        "列表内容在隐藏的“字典”表中；本单位的其他写法（别名）也能识别。",
        "“活动记录”的学号一格可填多名学生，用顿号、逗号、分号或空格分隔；一次活动覆盖其中每名学生。",
        "“设置”表中标有 ⚙ 的参数是制度未规定、由本单位设定的值，可直接修改“值”一列。",
        "“学期”表已写好本学年两个学期的代码，请按本校校历填写开始日期和结束日期。",
        "“假期”表预填了国家法定节假日（含调休放假的日子，不含普通周末；调休上班日不是假期）。"
        "这些日子不计入在岗天数，可按本校实际增删。",
    ]
    if not hol.covered:
        lines.append("注意：" + hol.message)
    for i, line in enumerate(lines, start=1):
        write_text(ws, row, 0, f"{i}.", st)
        ws.merge_range(row, 1, row, 6, line, st.warn if line.startswith("注意") else st.wrap)
        ws.set_row(row, 18 * max(1, (text_width(line) // 150) + 1))
        row += 1
    row += 1

    section("二、各工作表和列")
    rows: list[list[Any]] = []
    for sheet in schema.SHEETS:
        rows.append([sheet.name, "（整张表）", "必需" if sheet.required else "可选", "",
                     "、".join(sheet.aliases), sheet.note])
        for c in sheet.columns:
            lname = _list_for(sheet, c)
            note = c.note
            if lname in lists:
                note = (note + "；" if note else "") + "可从下拉列表选择"
            rows.append([sheet.name, c.name, "必填" if c.required else "", KIND_TEXT.get(c.kind, c.kind),
                         "、".join(c.aliases), note])
    table(["工作表", "列名", "必填", "填写格式", "也可识别的列名/表名", "说明"], rows)

    section("三、考核规则（本制度检查的内容）")
    table(["规则编号", "条款", "名称", "制度原文", "适用角色", "考核对象", "周期", "达标要求", "计入的活动类型"],
          [[r.id, r.clause, r.title, r.text, "、".join(r.roles), SCOPE_TEXT[r.scope],
            PERIOD_TEXT[r.period], rule_requirement(r, pack),
            "、".join(r.all_types) if r.all_types else ("（不按活动类型）" if r.measure == "max:students" else "全部活动类型")]
           for r in pack.rules])

    section("四、活动类型")
    table(["活动类型", "也可写作"], [[t, "、".join(a)] for t, a in pack.types.items()])

    section("五、角色")
    table(["角色", "也可写作"], [[t, "、".join(a)] for t, a in pack.roles.items()])

    section("六、可由本单位设定的参数（⚙，在“设置”表修改）")
    table(["项目", "默认值", "说明"],
          [[s.label, _num(s.default) if not isinstance(s.default, bool) else ("是" if s.default else "否"), s.note]
           for s in pack.settings.values()])

    if pack.awards:
        section("七、奖项（“奖项提名”表）")
        table(["奖项", "适用角色", "名额上限", "奖励（万元）", "条款", "说明"],
              [[a.name, "学院" if a.recipient == "college" else ("不限" if a.role == "*" else a.role),
                "不限" if a.cap is None else a.cap, format_wan(a.amount_yuan), a.clause, a.note]
               for a in pack.awards])
    ws.activate()


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


