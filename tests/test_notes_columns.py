"""Free text no rule reads (活动记录's 内容 and 地点, the office's own extra columns) is parsed when
a frame is first asked for with it, not while a compliance run waits: a 台账 of 200,000 talks
has 200,000 distinct notes, and parsing them cost a quarter of a second nobody used."""
from __future__ import annotations

import threading

import pandas as pd
import xlsxwriter

from mentor_xl.office import open_office
from mentor_xl.workbook.reader import read_book

HEADER = ["序号", "日期", "工号", "教师姓名", "活动类型", "学号", "地点", "内容"]
ROWS = [
    [1, "2024-09-10", "T001", "张老师", "谈心谈话", "2024010001", " 办公室 ", "  与学生　谈话，约定  下次  "],
    [2, "不是日期", "T001", "张老师", "谈心谈话", "2024010002", "宿舍", "这一行日期读不出，整行跳过"],
    [3, "2024-09-11", "T002", "李老师", "班会", "", "教室", "第１次班会，ＡＢ两班"],
    [4, "2024-09-12", "T002", "李老师", "谈心谈话", "2024010003", "", "2024-09-01 00:00:00"],
    [5, "2024-09-13", "T001", "张老师", "谈心谈话", "2024010004", "实验室", None],
]


def _book(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("学期")
    ws.write_row(0, 0, ["学期", "开始日期", "结束日期"])
    ws.write_row(1, 0, ["2024-2025-1", "2024-09-02", "2025-01-12"])
    ws = wb.add_worksheet("人员")
    ws.write_row(0, 0, ["工号", "姓名", "角色"])
    ws.write_row(1, 0, ["T001", "张老师", "学育导师"])
    ws.write_row(2, 0, ["T002", "李老师", "学育导师"])
    ws = wb.add_worksheet("活动记录")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(r, j, v)
    ws.write_formula(len(ROWS), 6, "=NA()", None, "#N/A")  # an error in 地点 (row 6): said at once
    wb.close()
    return path


def test_free_text_is_parsed_when_first_asked_for_and_reads_as_ever(tmp_path):
    book = read_book(_book(tmp_path / "台账.xlsx"))
    # said while reading, before anyone asks for the column: the error cell, the unreadable date
    said = {(p.row, p.column, p.category) for p in book.problems if p.sheet == "活动记录"}
    assert (6, "地点", "公式错误") in said and (3, "日期", "日期格式") in said
    assert set(book.deferred["活动记录"]) == {"地点", "内容", "序号", "教师姓名"}

    part = book.frame("活动记录", only=("日期", "工号", "_row"))  # what the engine reads: left unparsed
    assert "内容" not in part.columns and "活动记录" in book.deferred
    assert part["_row"].tolist() == [2, 4, 5, 6]

    whole = book.frame("活动记录")
    assert "活动记录" not in book.deferred
    assert list(whole.columns) == ["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "地点", "内容",
                                   "序号", "教师姓名", "_row"]
    # the rows kept, in order, each value as the text parse makes it: trimmed, runs of spaces one,
    # full-width letters and digits half-width, a date cell its date; blank is None
    assert whole["内容"].tolist() == ["与学生 谈话，约定 下次", "第1次班会，AB两班", "2024-09-01", None]
    assert whole["地点"].tolist()[:3] == ["办公室", "教室", None]
    assert whole["序号"].tolist() == ["1", "3", "4", "5"] and whole["教师姓名"].tolist()[0] == "张老师"
    assert whole["内容"].dtype == object and whole["_row"].tolist() == [2, 4, 5, 6]
    assert book.log is whole  # the attribute is the same whole frame


def test_the_attribute_is_whole_too(tmp_path):
    book = read_book(_book(tmp_path / "台账.xlsx"))
    assert book.log["内容"].tolist()[0] == "与学生 谈话，约定 下次" and not book.deferred
    assert book.frame("活动记录", only=("日期",)) is book.log  # parsed once: the same frame after


def test_a_compliance_run_never_parses_the_notes(tmp_path):
    office = open_office(_book(tmp_path / "台账.xlsx"), "bit-2022")
    result = office.compliance("2024-2025-1")
    assert "活动记录" in office.book.deferred  # nobody read 内容
    assert office.book.log["内容"].notna().sum() == 3  # and it is there when asked for
    eager = open_office(_book(tmp_path / "台账2.xlsx"), "bit-2022")
    assert "内容" in eager.book.log.columns and not eager.book.deferred  # parsed before the run: the same results
    again = eager.compliance("2024-2025-1")
    pd.testing.assert_frame_equal(result.results, again.results)
    pd.testing.assert_frame_equal(result.details, again.details)
    assert result.results.loc[result.results["rule"] == "bit.monthly-activity", "value"].tolist() == [2.0, 1.0]


def test_two_threads_asking_at_once_parse_once(tmp_path):
    book = read_book(_book(tmp_path / "台账.xlsx"))
    parse = book.deferred["活动记录"]
    calls = []

    def counted(f):
        def g():
            calls.append(1)
            return f()
        return g
    book.deferred["活动记录"] = {k: counted(f) for k, f in parse.items()}
    got = []
    threads = [threading.Thread(target=lambda: got.append(book.frame("活动记录"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 4 and all(g is got[0] for g in got)  # four columns, each once
    assert isinstance(got[0], pd.DataFrame) and got[0]["内容"].iloc[0] == "与学生 谈话，约定 下次"


def test_an_office_book_as_kept_leaves_its_own_columns_for_later(tmp_path):
    """The office's own 台账: title row, 序号, 教师姓名, merged names, a totals and a signature line
    under the log. Its 地点 and own columns are left unparsed by the run and read the same after."""
    from officebook import BIT_LOG, bit_office_book

    office = open_office(bit_office_book(tmp_path / "台账.xlsx", with_terms=True), "bit-2022")
    office.compliance("2024-2025-1")
    assert set(office.book.deferred["活动记录"]) == {"地点", "序号", "教师姓名"}
    log = office.book.log
    assert list(log.columns)[-4:] == ["内容", "序号", "教师姓名", "_row"]
    assert "填表人" not in " ".join(log["序号"].dropna()) and "合计" not in log["序号"].tolist()  # no footer, no totals
    # each kept row's 地点 and 教师姓名 are its own: Excel row 3 holds BIT_LOG[0] (title row 1, header row 2)
    assert log["地点"].tolist() == [BIT_LOG[r - 3][-1] for r in log["_row"]]
    assert log["教师姓名"].tolist() == [BIT_LOG[r - 3][2] for r in log["_row"]]
    assert log["序号"].tolist() == [str(r - 2) for r in log["_row"]]
