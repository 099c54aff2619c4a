"""Office-style workbooks as offices really keep them, written cell by cell with openpyxl.

``bit_office_book`` is a bit-2022 台账 as a 书院 keeps it: 导师名单 / 学生名单 / 指导关系 / 活动记录
sheets, each under a merged title row, a 序号 column, its own headers (教师工号, 谈话日期,
谈话方式, 学生学号, 所在书院), no 角色 column, no 设置 sheet, no 学期 sheet unless asked
(``with_terms``), the mentor's 工号 and name merged down over their students in 指导关系, a
学生姓名 column there, a 填表人/审核人 footer under each table, and the traps of ``TRAPS``.
``bit_clean_book`` is its clean twin: canonical sheets and headers, the rows the office book
means (the broken rows left out, the duplicate once, 全体 spelled out, minutes as hours).

``ustb_office_book`` / ``ustb_clean_book``: a ustb-2022 office with a 角色 column but sheet names
no alias knows (教职工信息, 学生信息, 师生对应, 工作台账, 学期设置), found by their headers.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

D = dt.date
TERM = ("2024-2025-1", D(2024, 9, 2), D(2025, 1, 12))

# ---------------------------------------------------------------------------------- bit-2022
BIT_STAFF = [("1001", "张伟", "精工书院", "副教授"), ("1002", "李娜", "精工书院", "讲师"),
             ("1003", "王芳", "睿信书院", "教授")]
BIT_STUDENTS = [("2024010001", "学生甲", "精工书院", "精工2401"), ("2024010002", "学生乙", "精工书院", "精工2401"),
                ("2024010003", "学生丙", "精工书院", "精工2402"), ("2024010004", "学生丁", "精工书院", "精工2402"),
                ("2024010005", "学生戊", "精工书院", "精工2402"), ("2024010006", "学生己", "睿信书院", "睿信2401")]
BIT_PAIRS = [("1001", "2024010001"), ("1001", "2024010002"), ("1001", "2024010003"),
             ("1002", "2024010004"), ("1002", "2024010005"), ("1003", "2024010006")]
NAMES = {s[0]: s[1] for s in BIT_STAFF}
STUDENT_NAMES = {s[0]: s[1] for s in BIT_STUDENTS}

# The 活动记录 as the office typed it: (谈话日期, 教师工号, 教师姓名, 学生学号, 谈话方式, 时长, 地点);
# a 合计 row and the footer follow the data
BIT_LOG = [
    (D(2024, 9, 10), "1001", "张伟", "2024010001、2024010002", "谈心谈话", 1, "办公室"),
    (D(2024, 9, 10), "1001", "张伟", "2024010001、2024010002", "谈心谈话", 1, "办公室"),  # exact duplicate
    (D(2024, 9, 20), "1002", "李娜", "全体", "下午茶", "90分钟", "咖啡厅"),  # 全体, minutes
    (D(2024, 10, 12), None, "王芳", "2024010006", "午餐会", 1, "食堂"),  # blank 工号, unique name
    ("10月15日", "1001", "张伟", "2024010003", "音乐会", 2, "礼堂"),  # date without a year
    (None, "1002", "李娜", "2024010004", "谈心谈话", 1, "办公室"),  # blank date
    (D(2024, 11, 5), "1001", "张伟", "2024010003", "谈心淡话", 1, "办公室"),  # misspelt type
    (D(2024, 11, 20), "1001", "张伟", "2024010001", "参观校史馆", 2, "校史馆"),
    ("2024年12月3日下午", "1002", "李娜", "2024010004", "课题组组会", "1小时30分钟", "实验室"),
    ("2024/10/8", "1001", "张伟", "2024010003", "谈心谈话", "1.5小时", "办公室"),
]
LOG_TITLE_ROWS = 2  # the merged title row and the header row
# Excel rows of the traps in 活动记录 (data starts on row 3)
TRAPS = {"duplicate": (3, 4), "no_year": 7, "blank_date": 8, "misspelt": 9, "all": 5, "minutes": 5,
         "blank_id": 6}

# What the office book means, canonically: (日期, 工号, 活动类型, 学号, 时长, 地点)
BIT_CLEAN_LOG = [
    (D(2024, 9, 10), "1001", "谈心谈话", "2024010001、2024010002", 1, "办公室"),
    (D(2024, 9, 20), "1002", "下午茶", "2024010004、2024010005", 1.5, "咖啡厅"),
    (D(2024, 10, 12), "1003", "午餐会", "2024010006", 1, "食堂"),
    (D(2024, 11, 20), "1001", "参观校史馆", "2024010001", 2, "校史馆"),
    (D(2024, 12, 3), "1002", "课题组组会", "2024010004", 1.5, "实验室"),
    (D(2024, 10, 8), "1001", "谈心谈话", "2024010003", 1.5, "办公室"),
]


def _titled(ws, title: str, header: list[str], rows: list[list], footer: list | None = None,
            totals: list | None = None) -> None:
    """A merged title row over the table, the header, the rows with 序号, a totals row, a footer row."""
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    if totals:
        ws.append(totals)
    if footer:
        ws.append([])
        ws.append(footer)


def _plain(wb: Workbook, sheets: dict[str, list[list]], path) -> Path:
    """Sheets as the tool's own template lays them out: the header in row 1, the rows below."""
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    return _save(wb, path)


def _save(wb: Workbook, path) -> Path:
    del wb[wb.sheetnames[0]]  # the default empty sheet
    path = Path(path)
    wb.save(path)
    return path


def bit_office_book(path, *, with_terms: bool = False) -> Path:
    wb = Workbook()
    footer = ["填表人：赵老师", None, None, "审核人：钱主任"]
    _titled(wb.create_sheet("导师名单"), "精工书院 2024-2025学年 学育导师名单",
            ["序号", "教师工号", "姓名", "所在书院", "职称"], [list(s) for s in BIT_STAFF], footer)
    _titled(wb.create_sheet("学生名单"), "学生名单",
            ["序号", "学号", "姓名", "所在书院", "班级"], [list(s) for s in BIT_STUDENTS], footer)

    # 指导关系: the mentor's 工号 and name merged down over the rows of their students
    ws = wb.create_sheet("指导关系")
    _titled(ws, "学育导师指导关系一览", ["序号", "教师工号", "导师姓名", "学生学号", "学生姓名"],
            [[s, NAMES[s], st, STUDENT_NAMES[st]] for s, st in BIT_PAIRS], footer)
    first = 3
    for staff in dict.fromkeys(s for s, _ in BIT_PAIRS):
        n = sum(1 for s, _ in BIT_PAIRS if s == staff)
        if n > 1:
            for col in (2, 3):
                ws.merge_cells(start_row=first, start_column=col, end_row=first + n - 1, end_column=col)
        first += n

    ws = wb.create_sheet("活动记录")
    _titled(ws, "学育导师工作台账（2024-2025学年第一学期）",
            ["序号", "谈话日期", "教师工号", "教师姓名", "学生学号", "谈话方式", "时长", "地点"],
            [list(r) for r in BIT_LOG], footer, totals=["合计", None, None, None, None, None, "共 13 小时"])
    if with_terms:
        ws = wb.create_sheet("校历")
        ws.append(["学期", "开学日期", "结束日期"])
        ws.append(["2024-2025学年第一学期", TERM[1], TERM[2]])
    return _save(wb, path)


def bit_clean_book(path) -> Path:
    wb = Workbook()
    sheets = {
        "设置": [["项目", "值"], ["制度", "bit-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], list(TERM)],
        "人员": [["工号", "姓名", "角色", "学院", "职称"], *[[s[0], s[1], "学育导师", s[2], s[3]] for s in BIT_STAFF]],
        "学生": [["学号", "姓名", "学院", "班级"], *[list(s) for s in BIT_STUDENTS]],
        "指导关系": [["工号", "学号"], *[list(p) for p in BIT_PAIRS]],
        "活动记录": [["日期", "工号", "活动类型", "学号", "时长", "地点"], *[list(r) for r in BIT_CLEAN_LOG]],
    }
    return _plain(wb, sheets, path)


# --------------------------------------------------------------------------------- ustb-2022
USTB_STAFF = [("2001", "钱老师", "辅导员", "冶金学院"), ("2002", "孙老师", "本科生导师", "冶金学院"),
              ("2003", "周老师", "班主任", "材料学院")]
USTB_STUDENTS = [("2024020001", "学生甲", "冶金2401"), ("2024020002", "学生乙", "冶金2401"),
                 ("2024020003", "学生丙", "材料2401")]
USTB_PAIRS = [("2001", None, "冶金2401"), ("2002", "2024020001", None), ("2003", None, "材料2401")]
# (工作日期, 教师工号, 工作形式, 学生学号, 班级)
USTB_LOG = [
    (D(2024, 9, 3), "2001", "深入宿舍", None, None),
    (D(2024, 9, 5), "2001", "宿舍走访", None, None),
    (D(2024, 9, 26), "2001", "主题班会", "2024020002", None),
    (D(2024, 10, 10), "2002", "一对多交流", "2024020001、2024020002", None),
    (D(2024, 10, 16), "2003", "主题班会", None, "材料2401"),
    (D(2024, 11, 7), "2003", "随堂听课", None, "材料2401"),
]


def ustb_office_book(path) -> Path:
    wb = Workbook()
    ws = wb.create_sheet("学期设置")
    for r in (["学期", "开始日期", "结束日期"], ["2024年秋季学期", TERM[1], TERM[2]]):
        ws.append(r)
    _titled(wb.create_sheet("教职工信息"), "2024年教职工信息表", ["序号", "教师工号", "姓名", "岗位", "所在学院"],
            [list(s) for s in USTB_STAFF])
    _titled(wb.create_sheet("学生信息"), "学生信息表", ["序号", "学号", "姓名", "班级"], [list(s) for s in USTB_STUDENTS])
    _titled(wb.create_sheet("师生对应"), "师生对应表", ["序号", "教师工号", "学生学号", "所带班级"],
            [list(p) for p in USTB_PAIRS])
    _titled(wb.create_sheet("工作台账"), "学生工作台账", ["序号", "工作日期", "教师工号", "工作形式", "学生学号", "班级"],
            [list(r) for r in USTB_LOG], ["制表：学工办"])
    return _save(wb, path)


def ustb_clean_book(path) -> Path:
    wb = Workbook()
    sheets = {
        "设置": [["项目", "值"], ["制度", "ustb-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], list(TERM)],
        "人员": [["工号", "姓名", "角色", "学院"], *[list(s) for s in USTB_STAFF]],
        "学生": [["学号", "姓名", "班级"], *[list(s) for s in USTB_STUDENTS]],
        "指导关系": [["工号", "学号", "班级"], *[list(p) for p in USTB_PAIRS]],
        "活动记录": [["日期", "工号", "活动类型", "学号", "班级"], *[list(r) for r in USTB_LOG]],
    }
    return _plain(wb, sheets, path)
