"""The benchmark book as an office keeps it: the same people and log, laid out the way a
学工办's own 台账 is (as ``tests/officebook.py`` has it in small), so that the speed of a
real office's workbook is measured, not only of one shaped as the tool expects.

- its own sheet names (导师名单, 学生名单, 指导关系, 活动记录, 校历) and column names (教师工号,
  谈话日期, 谈话方式, 所在书院 …), no 设置 sheet (the pack is given, as ``--policy`` gives it) and,
  for a pack of one role, no 角色 column (a pack of several keeps each one's 岗位);
- a merged title row above each table's header, a 序号 column, a 教师姓名 column beside 工号, every
  other column of the log under the office's name for it (谈话内容 …): the same rows, the same answers;
- a signature line under each table (制表人 …);
- ``grouped``: the log kept per teacher — its rows sorted by 工号 and date, 教师工号 and 教师姓名
  merged down each teacher's block, as a 台账 grouped by teacher is laid out;
- ``notes``: 谈话内容 written as a 台账's notes are, a sentence or three of free text per talk
  (with the student's name, what was talked about, what was agreed), nearly every one its own,
  in place of the benchmark's short topic (340 distinct texts): the same rows and answers, and
  twenty-odd MB of text every tool must read.

``saved_book`` is the benchmark book as a spreadsheet program stores it: opened and saved again by
LibreOffice Calc (shared strings, Calc's own row and cell markup, styles), not written by a library.

Built once from the benchmark book of the same size and kept beside it in the cache.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

from benchmarks.generate import POLICY, Book

FORMAT = 4  # bump when the layout built here changes (4: 校历 lists every term of the source's 学期)
NOTES_FORMAT = 5  # bump with it, and when only the notes change (4: a row entered twice keeps its note)
SAVED_FORMAT = 3  # bump when the way the saved book is made changes
HEADER_ROW = 2  # Excel row of each table's header (the title is row 1)


def office_book(source: Book, grouped: bool = False, policy: str = POLICY, notes: bool = False) -> Book:
    """The office-shaped copy of ``source`` (a ``generate.book`` for ``policy``), built once."""
    how = ("-grouped" if grouped else "") + ("-notes" if notes else "")
    path = source.path.with_name(f"{source.path.stem}-office{how}{NOTES_FORMAT if notes else FORMAT}.xlsx")
    if path.is_file():
        return Book(path, source.rows, HEADER_ROW, None)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.xlsx")
    t = time.perf_counter()
    _build(source.path, tmp, grouped, policy, notes)
    os.replace(tmp, path)
    seconds = time.perf_counter() - t
    path.with_suffix(".json").write_text(json.dumps({"rows": source.rows, "source": source.path.name,
                                                     "build_seconds": round(seconds, 1)}, ensure_ascii=False))
    return Book(path, source.rows, HEADER_ROW, seconds)


def saved_book(source: Book) -> Book:
    """``source`` opened and saved again by LibreOffice Calc (its own .xlsx filter), built once:
    the same sheets and values, stored as a spreadsheet program stores them."""
    import tempfile

    from mentor_xl.libreoffice import convert

    path = source.path.with_name(f"{source.path.stem}-saved{SAVED_FORMAT}.xlsx")
    if path.is_file():
        return Book(path, source.rows, source.log_header_row, None)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".saving-") as tmp:
        out = convert([source.path], "xlsx:Calc MS Excel 2007 XML", tmp, timeout=1800)[0]
        os.replace(out, path)
    seconds = time.perf_counter() - t
    path.with_suffix(".json").write_text(json.dumps({"rows": source.rows, "source": source.path.name,
                                                     "saved_by": "LibreOffice Calc",
                                                     "build_seconds": round(seconds, 1)}, ensure_ascii=False))
    return Book(path, source.rows, source.log_header_row, seconds)


# 谈话内容 as a mentor writes it: who, about what, how it went, what comes next (seeded: the same book
# every time). 20 × 12 × 8 × 10 sentences, a name and a count make nearly every row its own.
_ABOUT = ("期中考试成绩", "学业规划", "考研准备", "实习安排", "宿舍关系", "心理状态", "竞赛选题", "选课", "奖学金申请",
          "入党申请", "科研训练", "英语四级", "志愿服务", "社团工作", "毕业设计", "就业意向", "专业分流", "家庭经济困难",
          "作息习惯", "体育锻炼")
_HOW = ("进行了深入交流", "谈心谈话", "进行了沟通", "交换了意见", "做了详细了解", "进行了个别指导", "一起分析了现状",
        "听取了学生的想法", "进行了面对面交流", "通过线上会议交流", "在办公室当面谈话", "结合上次谈话回访")
_NEXT = ("分析了原因，制定了下一步计划。", "学生表示会按计划完成。", "建议其多与任课教师沟通。", "约定下月再谈。",
         "学生状态良好，无需特别关注。", "需持续关注，已记入重点学生名单。", "已与辅导员沟通情况。", "推荐了参考书目和学习方法。")
_MORE = ("", "", "", "", "学生提出希望增加实验室开放时间，已转告学院。", "谈话中了解到其室友情况，一并做了提醒。",
         "学生对本学期课程安排有疑问，已解答。", "布置了阅读任务，下次谈话检查。", "学生近期参加了社会实践，收获较大。",
         "提醒其注意作息，按时参加体育锻炼。")


def _notes(student_names, seed: int = 2024) -> list[str]:
    """One note per row: ``student_names`` (None for a talk with a group) and seeded choices."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(student_names)
    pick = [np.asarray(x, dtype=object)[rng.integers(0, len(x), n)] for x in (_ABOUT, _HOW, _NEXT, _MORE)]
    times = rng.integers(1, 9, n)
    return [f"与{who or '同学们'}就{a}{h}（本学期第{k}次），{nx}{m}"
            for who, a, h, nx, m, k in zip(student_names, *pick, times.tolist())]


def log_notes(log, student_name: dict) -> list[str]:
    """A note per row of ``log`` (the source's 活动记录, every cell as text). A row the source enters
    twice — a duplicate, which the tool counts once — is copied whole, its note with it, as an
    office's copied entry is: the notes book gives the source book's answers."""
    import numpy as np
    import pandas as pd

    text = np.asarray(_notes([student_name.get(s) for s in log["学号"]]), dtype=object)
    group = log.groupby(list(log.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(log))).groupby(group).transform("min").to_numpy()
    return text[first].tolist()


def _build(src: Path, out: Path, grouped: bool = False, policy: str = POLICY, notes: bool = False) -> None:
    import fastexcel
    import numpy as np
    import xlsxwriter

    from mentor_xl.documents.fmt import term_label
    from mentor_xl.packs import load_pack

    roles = list(load_pack(policy).roles)
    role = roles[0] if len(roles) == 1 else "导师"  # in the tables' titles

    reader = fastexcel.read_excel(str(src))

    def frame(name):
        return reader.load_sheet(name, dtypes="string").to_pandas()

    staff, students, pairs, log = frame("人员"), frame("学生"), frame("指导关系"), frame("活动记录")
    holidays, terms = frame("假期"), frame("学期")
    name_of = dict(zip(staff["工号"], staff["姓名"]))
    student_name = dict(zip(students["学号"], students["姓名"]))
    # merged ranges are written ahead of the rows they cover: not row by row (constant_memory)
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": not grouped})
    title = wb.add_format({"bold": True, "align": "center"})
    date = wb.add_format({"num_format": "yyyy/m/d"})

    def table(name, heading, header, rows, dates=(), numbers=(), blocks=None, merged=()):
        """``blocks``: (first, last) row positions whose ``merged`` columns are merged down."""
        ws = wb.add_worksheet(name)
        ws.merge_range(0, 0, 0, len(header) - 1, heading, title)
        ws.write_row(1, 0, header)
        covered = set()
        for a, b in blocks or ():
            for j in merged:
                ws.merge_range(a + 2, j, b + 2, j, None)
            covered.update(range(a + 3, b + 3))
        r = 2
        for row in rows:
            for j, v in enumerate(row):
                if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                    continue
                if j in merged and r in covered:
                    continue  # inside a teacher's merged block: the first row holds the value
                if j in dates:
                    ws.write_datetime(r, j, dt.datetime.fromisoformat(str(v)), date)
                elif j in numbers:
                    ws.write_number(r, j, float(v))
                else:
                    ws.write_string(r, j, str(v))
            r += 1
        ws.write_string(r + 1, 0, "制表人：学工办　　审核人：　　日期：")

    posts = [staff["角色"]] if len(roles) > 1 else []  # 岗位: several roles, each staff member's own
    table("导师名单", f"2024-2025学年 {role}名单",
          ["序号", "教师工号", "姓名", "所在书院", "职称", "聘任开始日期", "聘任结束日期", "撤销日期", *(["岗位"] if posts else [])],
          ((k + 1, *row) for k, row in enumerate(zip(staff["工号"], staff["姓名"], staff["学院"], staff["职称"],
                                                       staff["聘任开始"], staff["聘任结束"], staff["撤销日期"], *posts))),
          dates=(5, 6, 7), numbers=(0,))
    table("学生名单", "学生名单", ["序号", "学号", "姓名", "所在书院", "年级", "班级", "宿舍"],
          ((k + 1, *row) for k, row in enumerate(zip(students["学号"], students["姓名"], students["学院"],
                                                       students["年级"], students["班级"], students["宿舍"]))),
          numbers=(0, 4))
    table("指导关系", f"{role}指导关系一览", ["序号", "教师工号", "导师姓名", "学生学号", "学生姓名", "班级", "开始日期", "结束日期"],
          ((k + 1, t, name_of.get(t), s, student_name.get(s), c, a, b) for k, (t, s, c, a, b)
           in enumerate(zip(pairs["工号"], pairs["学号"], pairs["班级"], pairs["开始日期"], pairs["结束日期"]))),
          dates=(6, 7), numbers=(0,))
    if notes:
        log["内容"] = log_notes(log, student_name)
    blocks = None
    if grouped:  # per teacher, in date order; each teacher's 工号 and name merged down the block
        log = log.sort_values(["工号", "日期"], kind="stable").reset_index(drop=True)
        t = log["工号"].to_numpy(dtype=object)
        first = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        last = np.r_[first[1:], len(t)] - 1
        blocks = [(a, b) for a, b in zip(first.tolist(), last.tolist()) if b > a]
    table("活动记录", f"{role}工作台账（2024-2025学年第一学期）",
          ["序号", "谈话日期", "教师工号", "教师姓名", "学生学号", "谈话方式", "时长", "地点", "班级", "宿舍", "人次",
           "谈话内容"],
          ((k + 1, d[:10] if d else None, t, name_of.get(t), *rest) for k, (d, t, *rest)
           in enumerate(zip(log["日期"], log["工号"], log["学号"], log["活动类型"], log["时长"], log["地点"], log["班级"],
                            log["宿舍"], log["人次"], log["内容"]))),
          dates=(1,), numbers=(0, 6, 10), blocks=blocks, merged=(2, 3))  # 教师工号, 教师姓名
    ws = wb.add_worksheet("放假安排")
    ws.write_row(0, 0, ["名称", "开始日期", "结束日期"])
    for r, (n, a, b) in enumerate(zip(holidays["名称"], holidays["开始日期"], holidays["结束日期"]), start=1):
        ws.write_string(r, 0, str(n or ""))
        for j, v in ((1, a), (2, b)):
            if isinstance(v, str) and v:
                ws.write_datetime(r, j, dt.datetime.fromisoformat(str(v)), date)
    # every term of the source's 学期, as the office spells them: a 学年 rule (bit.six-forms,
    # hfut.grade-duties) spans the year its terms make, as in the source
    ws = wb.add_worksheet("校历")
    ws.write_row(0, 0, ["学期", "开学日期", "结束日期"])
    for r, (code, a, b) in enumerate(zip(terms["学期"], terms["开始日期"], terms["结束日期"]), start=1):
        ws.write_string(r, 0, term_label(str(code)))
        ws.write_datetime(r, 1, dt.datetime.fromisoformat(str(a)), date)
        ws.write_datetime(r, 2, dt.datetime.fromisoformat(str(b)), date)
    wb.close()
