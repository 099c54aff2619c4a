"""Excel buttons (mentor_xl.xl.buttons) on the in-repo stand-in for the xlwings Book API.

Every button runs on a FakeBook — sheets as xlwings hands them over (numbers as float,
dates as datetime, a title row above a header) — and the tests check what lands in which
sheet. The classic entry point ``main()`` is run the way xlwings runs it, with
``xw.Book.caller()`` returning the book (xlwings' ``set_mock_caller`` needs Excel, so the
test patches ``caller``).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import xlwings as xw

from mentor_xl.workbook.reader import read_book
from mentor_xl.xl import buttons as B
from mentor_xl.xl.book_api import read_xl_book, sheet_rows
from fake_book import FakeBook

D = dt.datetime


def bit_book(fullname="导师工作.xlsx", **extra) -> FakeBook:
    """bit-2022, term 2024-09-02 … 2025-01-12 (Sep–Dec required months; Jan 12 of 31 days is not).

    T1 (学生 S1): talks with S1 and activities in Sep, Oct, Nov — nothing in December (a talk is
    one of the six forms, so it is an activity too). T2 (学生 S2): a talk and an activity in
    September only.
    The 活动记录 has a title row above its header (Excel row 1), so data starts at Excel row 3.
    """
    sheets = {
        "设置": [["项目", "值"], ["制度", "bit-2022"], ["学年", "2024-2025"], ["单位名称", "示例学院"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", D(2024, 9, 2), D(2025, 1, 12)]],
        "人员": [["工号", "姓名", "角色", "学院", "职称"],
                ["T1", "张老师", "学育导师", "数学学院", "副教授"],
                ["T2", "王老师", "学育导师", "物理学院", "讲师"]],
        "学生": [["学号", "姓名", "学院", "班级"],
                [2024010001.0, "李一", "数学学院", "数学2401"],
                [2024010002.0, "李二", "物理学院", "物理2401"]],
        "指导关系": [["工号", "学号"], ["T1", 2024010001.0], ["T2", 2024010002.0]],
        "活动记录": [["2024-2025学年导师工作记录", None, None, None],
                 ["日期", "职工号", "活动类型", "学号"],
                 [D(2024, 9, 10), "T1", "谈心谈话", 2024010001.0],
                 [D(2024, 10, 15), "T1", "下午茶", 2024010001.0],
                 [D(2024, 11, 5), "T1", "导学互动交流", 2024010001.0],
                 [D(2024, 9, 20), "T1", "音乐会", None],
                 ["2024/10/12", "T1", "升旗仪式", None],
                 [D(2024, 11, 12), "T1", "课题组组会", None],
                 [D(2024, 9, 11), "T2", "谈心谈话", 2024010002.0],
                 [D(2024, 9, 21), "T2", "集体聚餐", None],
                 ["2024-13-01", "T2", "集体聚餐", None]],  # Excel row 11: a date that cannot be read
    }
    sheets.update(extra)
    return FakeBook.from_rows(sheets, fullname)


def set_params(book, **values) -> None:
    sheet = B.control_sheet(book)
    rows = sheet_rows(sheet)
    for i, row in enumerate(rows):
        if row and row[0] in values:
            sheet.range(f"B{i + 1}").value = values[row[0]]


def table(book, name) -> pd.DataFrame:
    """A result sheet as a frame: marker title in A1, header in row 2."""
    rows = sheet_rows(book.sheets[name])
    assert isinstance(rows[0][0], str) and rows[0][0].startswith(B.MARKER)
    return pd.DataFrame(rows[2:], columns=rows[1])


def snapshot(book, names):
    return {n: sheet_rows(book.sheets[n]) for n in names}


INPUTS = ["设置", "学期", "人员", "学生", "指导关系", "活动记录"]


def _messy_xlsx(path):
    """An office workbook as offices type it: title row, alias headers, dates in many forms,
    ids that Excel turned into numbers, units and full-width digits, and two bad cells."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("设置")
    ws.write_row(0, 0, ["项目", "值"])
    ws.write_row(1, 0, ["制度", "hfut-math"])
    ws = wb.add_worksheet("学期")
    ws.write_row(0, 0, ["学期", "开始日期", "结束日期"])
    ws.write_string(1, 0, "2024-2025学年第一学期")
    ws.write_datetime(1, 1, dt.datetime(2024, 9, 2), date)
    ws.write_string(1, 2, "2025年1月12日")
    ws = wb.add_worksheet("人员")
    ws.write_row(0, 0, ["教工号", "姓名", "角色"])
    ws.write_row(1, 0, ["T1", "张 老师", "班导师"])
    ws.write_row(2, 0, [1001, "王老师", "班主任"])  # an id Excel stored as a number
    ws = wb.add_worksheet("工作记录")  # an alias of 活动记录
    ws.merge_range(0, 0, 0, 4, "2024-2025学年导师工作记录")
    ws.write_row(1, 0, ["日期", "职工号", "活动类型", "时长(小时)", "人次"])
    rows = [(dt.datetime(2024, 9, 3), "T1", "深入教室", "2小时", None),
            (45545, "T1", "家长联系", None, "３"),  # Excel serial, full-width digit
            ("2024/9/20", 1001, "深入宿舍", 1.5, None),
            ("20241008", "T1 ", "主题班会", None, 2),
            ("2024.10.09", "T1", "深入教室", "约半天", None),  # a bad number
            ("2024-13-01", "T1", "班会", 1, None),  # a bad date
            ("2024-10-10", "T1", "班会", "=NA()", None)]  # a formula showing #N/A
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif isinstance(v, str) and v.startswith("="):
                ws.write_formula(r, c, v, None, "#N/A")
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    return path


def test_reading_through_the_book_api_equals_reading_the_file(tmp_path):
    """Same frames and problems whether the reader gets the file or the open workbook's values."""
    from mentor_xl.workbook.model import ATTRS

    path = _messy_xlsx(tmp_path / "导师工作.xlsx")
    by_file = read_book(path)
    by_api = read_xl_book(FakeBook.from_xlsx(path))
    for attr in ATTRS.values():
        a, b = getattr(by_file, attr), getattr(by_api, attr)
        assert (a is None) == (b is None)
        if a is not None:
            pd.testing.assert_frame_equal(a, b)
    assert by_api.problems.to_list() == by_file.problems.to_list()
    log = by_api.log
    assert log["日期"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-09-03", "2024-09-10", "2024-09-20", "2024-10-08", "2024-10-09", "2024-10-10"]
    assert log["工号"].tolist() == ["T1", "T1", "1001", "T1", "T1", "T1"]
    assert log["时长"].iloc[0] == 2.0 and log["时长"].iloc[2] == 1.5
    assert log["人次"].iloc[1] == 3.0
    bad = {(p["row"], p["column"], p["value"]) for p in by_api.problems.to_list()}
    assert (7, "时长", "约半天") in bad and (8, "日期", "2024-13-01") in bad
    assert (9, "时长", "#N/A") in bad  # an error cell is reported, not read as a blank


def test_compliance_button_writes_the_three_tables_and_leaves_inputs_alone():
    book = bit_book()
    before = snapshot(book, INPUTS)
    set_params(book, 学期="2024-2025-1")
    msg = B.compliance(book)

    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "完成"
    assert ops.range(B.MESSAGE_CELL).value == msg and "2024-2025-1" in msg
    assert snapshot(book, INPUTS) == before
    names = B.sheet_names(book)
    assert names[0] == B.CONTROL_SHEET  # created in front, results after the inputs
    assert names[-4:] == ["合规汇总", "人员汇总", "合规明细", "数据问题"]

    s = table(book, "合规汇总").set_index(["工号", "规则"])
    for rule in ("bit.monthly-activity", "bit.monthly-talk"):
        t1 = s.loc[("T1", rule)]
        assert (t1["状态"], t1["应达标周期数"], t1["达标周期数"], t1["未达标周期"]) == ("不达标", 4, 3, "2024-12-01")
    assert s.loc[("T1", "bit.monthly-talk"), "对象"] == "2024010001"  # the float 学号 read back as an id
    assert s.loc[("T1", "bit.ratio-cap"), "状态"] == "达标"
    t2 = s.loc[("T2", "bit.monthly-activity")]
    assert (t2["状态"], t2["达标周期数"]) == ("不达标", 1)  # the unreadable December row did not count

    staff = table(book, "人员汇总").set_index("工号")
    # T1: talk 3/4 + activity 3/4 + ratio cap 1/1 (six-forms is report-only) = 7/9
    assert staff.loc["T1", "应达标周期数"] == 9 and staff.loc["T1", "达标周期数"] == 7
    assert staff.loc["T1", "合规率"] == pytest.approx(7 / 9)
    details = table(book, "合规明细")
    dec = details[(details["工号"] == "T1") & (details["规则"] == "bit.monthly-activity")
                  & (details["周期"] == "2024-12-01")].iloc[0]
    assert (dec["实际值"], dec["是否达标"], dec["周期开始"]) == (0, "不达标", dt.datetime(2024, 12, 1))

    problems = table(book, "数据问题")
    bad = problems[problems["列"] == "日期"].iloc[0]
    assert (bad["工作表"], bad["行号"], bad["值"]) == ("活动记录", 11, "2024-13-01")


def test_second_run_rewrites_its_own_sheets_and_never_an_office_sheet_of_the_same_name():
    office_sheet = [["工号", "备注"], ["T1", "办公室自己的表"]]
    book = bit_book(合规汇总=office_sheet)
    set_params(book, 学期="2024-2025-1")
    B.compliance(book)
    B.compliance(book)
    names = B.sheet_names(book)
    assert names.count("合规汇总(结果)") == 1 and names.count("人员汇总") == 1
    assert sheet_rows(book.sheets["合规汇总"]) == office_sheet
    assert len(table(book, "合规汇总(结果)")) == len(table(book, "人员汇总")) * 4  # 4 rules per mentor


def test_check_button_lists_every_problem_with_sheet_row_column_and_value():
    book = bit_book()
    book.sheets["活动记录"].range("C6").value = "喝茶聊天"  # Excel row 6: a type bit-2022 does not know
    book.sheets["活动记录"].range("A7").value = '=HYPERLINK("http://x","点我")'  # text typed as a date
    msg = B.check(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    p = table(book, "数据问题")
    got = set(zip(p["工作表"], p["行号"], p["列"], p["值"]))
    assert ("活动记录", 11, "日期", "2024-13-01") in got
    assert ("活动记录", 6, "活动类型", "喝茶聊天") in got
    # echoed office text is written with Excel's text prefix: it cannot run as a formula
    assert ("活动记录", 7, "日期", '\'=HYPERLINK("http://x","点我")') in got
    assert "3 个数据问题" in msg


@pytest.mark.parametrize("term,words", [(None, "学期"), ("2030-2031-1", "2030-2031-1"), ("明年", "无法识别")])
def test_a_button_that_cannot_run_says_why_in_chinese_and_writes_no_result(term, words):
    book = bit_book()
    set_params(book, 学期=term)
    msg = B.compliance(book)
    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "出错"
    assert words in ops.range(B.MESSAGE_CELL).value == msg or words in msg
    if term is not None:  # like the command line: the terms the 学期 sheet lists
        assert "已登记的学期：2024-2025-1" in msg
    assert "合规汇总" not in B.sheet_names(book)


def test_assess_button_lays_out_the_library_assessment():
    from mentor_xl.assess import assess, required_terms
    from mentor_xl.xl.book_api import open_xl_office

    book = bit_book(测评=[["工号", "学期", "满意度"], ["T1", "2024-2025", 95.0], ["T2", "2024-2025", 70.0]],
                    组织考核=[["工号", "学年", "得分"], ["T1", "2024-2025", 90.0], ["T2", "2024-2025", 60.0]])
    set_params(book, 学年="2024-2025")
    B.assess(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    office = open_xl_office(book)
    runs = {t: office.compliance(t) for t in required_terms(office.book, office.pack, year="2024-2025")}
    expected = assess(office.book, office.pack, year="2024-2025", compliance=runs).frames()["考核结果"]
    got = table(book, "考核结果")
    assert list(got.columns) == list(expected.columns)
    assert got["工号"].tolist() == expected["工号"].tolist()
    assert got["等级"].tolist() == expected["等级"].tolist()
    # T1: 40% × 7/9×100 + 30% × 90 + 30% × 95 = 31.11 + 27 + 28.5 = 86.61 → 合格 (75 ≤ score < 90)
    t1 = got.set_index("工号").loc["T1"]
    assert t1["得分"] == pytest.approx(86.61) and t1["等级"] == "合格"


def test_awards_button_totals_in_yuan_against_the_budget():
    people = [["工号", "姓名", "角色"], ["C1", "赵老师", "辅导员"], ["C2", "钱老师", "辅导员"], ["M1", "孙老师", "本科生导师"]]
    book = FakeBook.from_rows({
        "设置": [["项目", "值"], ["制度", "ustb-2022"], ["学年", "2024-2025"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", D(2024, 9, 2), D(2025, 1, 12)]],
        "人员": people,
        "奖项提名": [["奖项", "工号", "排序"], ["十佳辅导员", "C1", 1.0], ["十佳辅导员", "C2", 2.0],
                 ["十佳辅导员", "M1", 3.0]],  # M1 is not a 辅导员: ineligible, 0 元
    })
    set_params(book, **{"奖励预算（万元）": 3.0})
    msg = B.awards(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    detail = table(book, "奖励预算").set_index("工号")
    assert detail.loc["C1", "金额(元)"] == 10000 and detail.loc["M1", "状态"] == "不符合条件"
    summary = table(book, "奖励汇总").set_index("项目")
    assert summary.loc["合计", "金额(元)"] == 20000
    assert summary.loc["结余", "金额(元)"] == 10000
    assert "结余 10000 元" in msg


def test_allocate_button_splits_by_headcount_with_largest_remainder():
    book = FakeBook.from_rows({
        "设置": [["项目", "值"], ["制度", "bit-2022"]],
        "学生": [["学号", "学院"], ["S1", "数学学院"], ["S2", "数学学院"], ["S3", "物理学院"], ["S4", "化学学院"],
               ["S5", "物理学院"], ["S6", "化学学院"], ["S7", "数学学院"]],
    })
    set_params(book, **{"分配总额（元）": 100.0})
    B.allocate(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    parts = table(book, "经费分配").set_index("学院")["分配金额(元)"]
    # 100 × 3/7 = 42.86, 100 × 2/7 = 28.57 (twice): floors 42+28+28 = 98; remainders .86 → 数学 +1,
    # then .57 tie between 化学 and 物理 (same size) → the name first in Unicode order (化 < 物) +1
    assert parts.to_dict() == {"数学学院": 43, "化学学院": 29, "物理学院": 28, "合计": 100}


def test_docs_button_writes_word_files_beside_the_workbook_and_lists_them(tmp_path):
    book = bit_book(fullname=str(tmp_path / "导师工作.xlsx"))
    set_params(book, 学期="2024-2025-1", 文档类型="整改提醒")
    msg = B.docs(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成", msg
    listing = table(book, "公文清单")
    files = [tmp_path / "导师工作-整改提醒" / f for f in listing["文件"]]
    assert len(files) == 2 and all(f.is_file() and f.suffix == ".docx" for f in files)  # T1 and T2 missed a rule


def test_formula_results_button_saves_the_live_formula_workbook_beside_the_workbook(tmp_path):
    import openpyxl

    book = bit_book(fullname=str(tmp_path / "导师工作.xlsx"))
    set_params(book, 学期="2024-2025-1")
    B.formulas(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    out = tmp_path / "导师工作-2024-2025-1-公式版结果.xlsx"
    ws = openpyxl.load_workbook(out)["合规汇总"]
    header = [c.value for c in ws[1]]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("规则")] == "bit.monthly-activity"]
    assert len(rows) == 2 and all(r[header.index("达标周期数")].startswith("=COUNTIFS(") for r in rows)


def test_an_unexpected_error_leaves_a_chinese_message_without_the_english_text(monkeypatch):
    import mentor_xl.xl.book_api as api

    def broken(book):
        raise KeyError("internal detail")
    monkeypatch.setattr(api, "open_xl_office", broken)
    book = bit_book()
    msg = B.check(book)
    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "出错" and ops.range(B.MESSAGE_CELL).value == msg
    assert msg.startswith("检查数据时出错") and "KeyError" in msg and "internal detail" not in msg


def test_docs_button_refuses_where_there_is_no_local_folder():
    book = bit_book(fullname="https://contoso.sharepoint.com/导师工作.xlsx")
    set_params(book, 学期="2024-2025-1")
    B.docs(book)
    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "出错"
    assert "无法保存公文文件" in ops.range(B.MESSAGE_CELL).value


def test_classic_main_uses_the_calling_workbook(monkeypatch):
    book = bit_book()
    set_params(book, 学期="2024-2025-1")
    # xw.Book("x.xlsm").set_mock_caller() needs Excel; on Linux the caller is patched in.
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    B.main("compliance")
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成"
    assert "合规汇总" in B.sheet_names(book)
    with pytest.raises(ValueError):
        B.main("nope")


def test_every_declared_button_has_a_function():
    assert [b.id for b in B.BUTTONS] == list(B.BUTTON_FUNCTIONS)


def test_the_stand_in_and_xlwings_both_have_every_member_of_the_book_api_protocols():
    """The buttons are typed against book_api's protocols: the tests' stand-in satisfies them, and
    so do xlwings' own classes (what classic xlwings and Lite hand to a button)."""
    import typing

    import xlwings as xw

    from mentor_xl.xl import book_api as api

    book = FakeBook.from_rows({"人员": [["工号"], ["T1"]]})
    sheet = book.sheets["人员"]
    assert isinstance(book, api.Book) and isinstance(book.sheets, api.Sheets)
    assert isinstance(sheet, api.Sheet) and isinstance(sheet.range("A1"), api.Range)
    from xlwings.main import Sheets

    for proto, real in ((api.Book, xw.Book), (api.Sheets, Sheets), (api.Sheet, xw.Sheet), (api.Range, xw.Range)):
        members = typing._get_protocol_attrs(proto)  # the names a runtime isinstance() checks
        assert members, proto
        # row/column/name/… are properties on xlwings' classes; sheets/fullname too
        missing = [m for m in members if not hasattr(real, m)]
        assert missing == [], (proto.__name__, missing)


def test_docs_button_appointment_notice_leaves_out_the_ineligible_as_the_cli_does(tmp_path):
    """The button computes what a kind needs through docs_for_office: 聘任通知 gets the eligibility
    review, so 助教 (初级, below bit-2022's 中级及以上, 三) is left out and named in the status."""
    from docx import Document

    staff = [["工号", "姓名", "角色", "学院", "职称", "聘任开始"],
             ["T1", "张老师", "学育导师", "数学学院", "副教授", D(2024, 9, 1)],
             ["T2", "王老师", "学育导师", "物理学院", "助教", D(2024, 9, 1)]]
    book = bit_book(fullname=str(tmp_path / "导师工作.xlsx"), 人员=staff)
    set_params(book, 学年="2024-2025", 文档类型="聘任通知")
    msg = B.docs(book)
    assert book.sheets[B.CONTROL_SHEET].range(B.STATUS_CELL).value == "完成", msg
    assert "见“公文提示”表" in msg
    assert any("王老师" in m and "不符合任职条件" in m for m in table(book, "公文提示")["提示"])
    (path,) = (tmp_path / "导师工作-聘任通知").glob("*.docx")
    text = "\n".join(c.text for t in Document(path).tables for row in t.rows for c in row.cells)
    assert "张老师" in text and "王老师" not in text
