"""The results workbook: 合规汇总, 人员汇总, 合规明细, extra sheets, 数据问题, 图表."""
from __future__ import annotations

import csv
import errno
import os
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mentor_xl import libreoffice as lo
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.problems import Problems
from mentor_xl.safe import backup_path
from mentor_xl import results as res
from mentor_xl.workbook.xlsx import SheetSpec, new_workbook, write_frame_sheet

TS = pd.Timestamp


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


def _result() -> ComplianceResult:
    """Two mentors of bit-2022 in one term, by hand (columns exactly as engine/result.py says).

    T001 (信息学院) meets the monthly talk with student 2024010001 in Sep and Oct but misses Nov;
    T002 (数学学院) meets everything; T001's report-only six-forms row is 仅统计.
    """
    base = dict(role="学育导师", clause="四.1", title="每月与每名学生导学互动交流", rule="bit.monthly-talk")
    months = [TS("2024-09-01"), TS("2024-10-01"), TS("2024-11-01")]
    details = []
    for sid, name, college, stu, met in (("T001", "张三", "信息学院", "2024010001", [True, True, False]),
                                         ("T002", "李四", "数学学院", "0240100002", [True, True, True])):
        for m, ok in zip(months, met):
            details.append(dict(staff_id=sid, name=name, college=college, scope="pair", student_id=stu,
                                **{"class": None}, period=m.date().isoformat(), period_start=m,
                                period_end=m + pd.offsets.MonthEnd(0), active_days=30, calendar_days=30,
                                required=True, value=1.0 if ok else 0.0, bound=1.0, op=">=", met=ok,
                                shortfall=0.0 if ok else 1.0, **base))
    details.append(dict(staff_id="T002", name="李四", college="数学学院", scope="pair", student_id="0240100002",
                        **{"class": None}, period="2024-12-01", period_start=TS("2024-12-01"),
                        period_end=TS("2024-12-31"), active_days=5, calendar_days=31, required=False,
                        value=0.0, bound=1.0, op=">=", met=False, shortfall=0.0, **base))
    results = pd.DataFrame([
        dict(staff_id="T001", name="张三", role="学育导师", college="信息学院", rule="bit.monthly-talk",
             title="每月与每名学生导学互动交流", clause="四.1", scope="pair", student_id="2024010001",
             **{"class": None}, status="missed", required=3, met=2, rate=2 / 3,
             missed_periods=["2024-11-01"], shortfalls=[1.0], value=2.0, report_only=False, note=""),
        dict(staff_id="T001", name="张三", role="学育导师", college="信息学院", rule="bit.six-forms",
             title="“六个一”导学形式覆盖", clause="四", scope="staff", student_id=None, **{"class": None},
             status="report", required=0, met=0, rate=np.nan, missed_periods=[], shortfalls=[], value=4.0,
             report_only=True, note="=HYPERLINK(\"http://evil\",\"点我\")"),
        dict(staff_id="T002", name="李四", role="学育导师", college="数学学院", rule="bit.monthly-talk",
             title="每月与每名学生导学互动交流", clause="四.1", scope="pair", student_id="0240100002",
             **{"class": None}, status="met", required=3, met=3, rate=1.0, missed_periods=[], shortfalls=[],
             value=3.0, report_only=False, note=""),
        dict(staff_id="T002", name="李四", role="学育导师", college="数学学院", rule="bit.ratio-cap",
             title="生师比不高于8:1", clause="三", scope="staff", student_id=None, **{"class": None},
             status="n/a", required=0, met=0, rate=np.nan, missed_periods=[], shortfalls=[], value=0.0,
             report_only=False, note=""),
    ])
    staff = pd.DataFrame([
        dict(staff_id="T001", name="张三", role="学育导师", college="信息学院", rules_required=1, rules_met=0,
             periods_required=3, periods_met=2, rate=2 / 3),
        dict(staff_id="T002", name="李四", role="学育导师", college="数学学院", rules_required=1, rules_met=1,
             periods_required=3, periods_met=3, rate=1.0),
    ])
    problems = Problems()
    problems.add("活动记录", 17, "日期", "2024-13-01", "日期“2024-13-01”无法识别", "日期格式")
    problems.add("人员", 5, "角色", "=1+1", "未知角色“=1+1”", "未知角色", "warning")
    problems.add("活动记录", 9, "日期", 45000.5, "日期超出学期", "日期格式", "warning")
    problems.add("活动记录", None, "宿舍", None, "缺少列“宿舍”", "缺少列")
    return ComplianceResult("bit-2022", "2024-2025-1", TS("2024-09-01"), TS("2025-01-15"),
                            pd.DataFrame(details), results, staff, problems)


def _rows(ws):
    return [[c.value for c in r] for r in ws.iter_rows()]


@pytest.fixture
def book(tmp_path):
    extra = {"奖励预算": SheetSpec(pd.DataFrame({"奖项": ["本科生十佳导师"], "人数": [2], "金额（万元）": [2.0],
                                               "状态": ["超出名额"]}),
                                 money_cols=("金额（万元）",), status_col="状态", bad_values=("超出名额",)),
             "考核结果": pd.DataFrame({"工号": ["T001"], "得分": [88.5]})}
    return res.write_results(tmp_path / "导师-结果.xlsx", _result(), extra_sheets=extra)


def test_sheets_in_order_with_frozen_filtered_headers(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["总览", "合规汇总", "人员汇总", "合规明细", "奖励预算", "考核结果", "数据问题", "图表"]
    for name in wb.sheetnames[1:-1]:
        assert wb[name].freeze_panes == "A2", name
    assert wb["合规汇总"].auto_filter.ref == "A1:P5"
    # rules by their Chinese name with the clause where people read; the id only in the last column
    assert [c.value for c in wb["合规汇总"][1]] == [
        "工号", "姓名", "角色", "学院", "规则名称", "对象类型", "对象", "状态",
        "应达标周期数", "达标周期数", "达标率", "未达标周期", "差额", "实际值", "备注", "规则"]
    assert [c.value for c in wb["人员汇总"][1]] == [
        "工号", "姓名", "角色", "学院", "应考核规则数", "达标规则数", "应达标周期数", "达标周期数", "合规率"]
    assert [c.value for c in wb["数据问题"][1]] == ["类别", "工作表", "行号", "列", "值", "说明", "级别"]


def test_summary_values_statuses_and_formats(book):
    ws = openpyxl.load_workbook(book)["合规汇总"]
    rows = _rows(ws)[1:]
    assert [r[7] for r in rows] == ["不达标", "仅统计", "达标", "不适用"]
    first = rows[0]
    assert first[:8] == ["T001", "张三", "学育导师", "信息学院", "每月与每名学生导学互动交流（四.1）", "学生",
                         "2024010001", "不达标"]
    assert first[8:14] == [3, 2, pytest.approx(2 / 3), "2024-11-01", "1", 2]
    assert first[15] == "bit.monthly-talk"
    assert ws["K2"].number_format == "0.0%"
    assert ws["I2"].number_format == "0"
    assert rows[1][6] is None and rows[1][10] is None  # staff rule: no 对象; report-only: no rate
    assert rows[2][6] == "0240100002" and ws["G4"].data_type == "s"  # leading zero kept
    # formula injection: stored as a string, with Excel's quote prefix
    note = ws["O3"]
    assert note.value == '=HYPERLINK("http://evil","点我")' and note.data_type == "s"
    assert note.quotePrefix is True
    assert not ws["E2"].quotePrefix


def test_missed_rows_highlighted_by_conditional_format(book):
    wb = openpyxl.load_workbook(book)
    for sheet, col in (("合规汇总", "H"), ("合规明细", "R")):
        cf = wb[sheet].conditional_formatting
        (rng,) = list(cf)
        (rule,) = rng.rules
        assert rule.type == "expression" and rule.formula == [f'OR(${col}2="不达标")']
        assert str(rng.sqref).startswith("A2:")
        assert rule.dxf.fill.fgColor.rgb.endswith("FFC7CE") or rule.dxf.fill.bgColor.rgb.endswith("FFC7CE")
    assert list(wb["人员汇总"].conditional_formatting) == []


def test_staff_and_details(book):
    wb = openpyxl.load_workbook(book)
    st = _rows(wb["人员汇总"])
    assert st[1] == ["T001", "张三", "学育导师", "信息学院", 1, 0, 3, 2, pytest.approx(2 / 3)]
    assert wb["人员汇总"]["I2"].number_format == "0.0%"
    d = wb["合规明细"]
    head = [c.value for c in d[1]]
    rows = _rows(d)[1:]
    assert len(rows) == 7
    nov = rows[2]
    rec = dict(zip(head, nov))
    assert rec["周期"] == "2024-11-01" and rec["是否达标"] == "不达标" and rec["差额"] == 1
    assert rec["周期开始"] == pd.Timestamp("2024-11-01").to_pydatetime()
    assert rec["周期结束"] == pd.Timestamp("2024-11-30").to_pydatetime()
    assert d.cell(4, head.index("周期开始") + 1).number_format == "yyyy-mm-dd"
    last = dict(zip(head, rows[-1]))
    assert last["是否应达标"] == "否" and last["是否达标"] == "不适用" and last["在岗天数"] == 5


def test_problems_grouped_by_category(book):
    ws = openpyxl.load_workbook(book)["数据问题"]
    rows = _rows(ws)[1:]
    assert [(r[0], r[2]) for r in rows] == [("日期格式", 9), ("日期格式", 17), ("未知角色", 5), ("缺少列", None)]
    assert rows[0][4] == 45000.5 and rows[1][4] == "2024-13-01"
    assert rows[2][4] == "=1+1" and ws["E4"].data_type == "s" and ws["E4"].quotePrefix
    assert [r[6] for r in rows] == ["提醒", "错误", "提醒", "错误"]


def test_extra_sheets_share_the_formatting(book):
    wb = openpyxl.load_workbook(book)
    ws = wb["奖励预算"]
    assert ws["C2"].value == 2 and ws["C2"].number_format == "0.00"
    (rng,) = list(ws.conditional_formatting)
    assert rng.rules[0].formula == ['OR($D2="超出名额")']
    assert _rows(wb["考核结果"]) == [["工号", "得分"], ["T001", 88.5]]


def test_chart_sheet_tables_and_charts(book):
    ws = openpyxl.load_workbook(book)["图表"]
    rows = [r for r in _rows(ws) if any(v is not None for v in r)]
    # per rule: only 达标/不达标 subjects count (report-only and n/a rows are left out)
    assert ["每月与每名学生导学互动交流（四.1）", 2, 1, 0.5, "bit.monthly-talk"] in [r[:5] for r in rows]
    assert ["信息学院", 1, 3, 2, pytest.approx(2 / 3)] in [r[:5] for r in rows]
    assert ["数学学院", 1, 3, 3, 1] in [r[:5] for r in rows]
    bands = {r[0]: r[1] for r in rows if r[0] in ("60%以下", "60%–80%", "80%–100%", "100%")}
    assert bands == {"60%以下": 0, "60%–80%": 1, "80%–100%": 0, "100%": 1}
    with zipfile.ZipFile(book) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 4  # three here, one on 总览


def test_rewrite_is_atomic_with_backup(tmp_path):
    p = res.write_results(tmp_path / "r.xlsx", _result())
    first = p.read_bytes()
    res.write_results(p, _result())
    assert backup_path(p).read_bytes() == first
    assert openpyxl.load_workbook(p).sheetnames[-2:] == ["数据问题", "图表"]


def test_constant_memory_mode_gives_the_same_cells(tmp_path, monkeypatch):
    def result():
        r = _result()
        r.problems.add("活动记录", 12, "活动类型", "谈心淡话", "活动类型“谈心淡话”不是本制度规定的类型，该行不计入任何规则。"
                       "可用类型：导学互动交流、社会实践、艺术文化熏陶、校史校情学习、学术科研活动、集体团建", "未知活动类型")
        return r
    monkeypatch.setattr(res, "CONSTANT_MEMORY_CELLS", 10 ** 9)  # XlsxWriter's ordinary mode
    normal = res.write_results(tmp_path / "a.xlsx", result())
    with zipfile.ZipFile(normal) as z:
        assert b" spans=" in z.read("xl/worksheets/sheet2.xml")
    monkeypatch.setattr(res, "CONSTANT_MEMORY_CELLS", 0)
    big = res.write_results(tmp_path / "b.xlsx", result())
    a, b = openpyxl.load_workbook(normal), openpyxl.load_workbook(big)
    with zipfile.ZipFile(big) as z:
        assert b" spans=" not in z.read("xl/worksheets/sheet2.xml")  # rows without spans: constant_memory was on
    for name in a.sheetnames:
        assert _rows(a[name]) == _rows(b[name]), name
    # and the same row heights where 数据问题 wraps a long 说明 (both set one, set the same)
    tall = lambda ws: {r: d.height for r, d in ws.row_dimensions.items() if d.height}  # noqa: E731
    assert tall(a["数据问题"]) == tall(b["数据问题"]) and tall(b["数据问题"])


def test_frame_sheet_dtypes_ids_and_limits(tmp_path):
    df = pd.DataFrame({"学号": [2024010123.0, np.nan], "是否": pd.array([True, None], dtype="boolean"),
                       "人数": pd.array([3, None], dtype="Int64"), "比例": [0.25, np.inf],
                       "列表": [["a", "b"], []], "时间": [TS("2024-09-01 08:30"), pd.NaT]})
    wb = new_workbook(tmp_path / "f.xlsx")
    write_frame_sheet(wb, "数据/检查?", df, text_cols=("学号",), percent_cols=("比例",))
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "f.xlsx")["数据_检查_"]
    assert _rows(ws) == [["学号", "是否", "人数", "比例", "列表", "时间"],
                         ["2024010123", "是", 3, 0.25, "a、b", pd.Timestamp("2024-09-01 08:30").to_pydatetime()]]
    assert ws.auto_filter.ref == "A1:F3"  # the all-blank second row wrote no cell (NaN, NA, inf, [], NaT)
    assert ws["C2"].number_format == "0" and ws["D2"].number_format == "0.0%"
    assert ws["F2"].number_format == "yyyy-mm-dd hh:mm"
    too_many = pd.DataFrame({"a": np.zeros(1_048_576, dtype=np.int8)})
    wb = new_workbook(tmp_path / "g.xlsx")
    with pytest.raises(ValueError, match="超过 Excel 单个工作表的上限"):
        write_frame_sheet(wb, "大表", too_many)
    wb.close()


def test_printed_lines_of_many_texts_are_those_of_each():
    """The rows' heights measure all distinct texts of a chunk at once (numpy over their
    characters): the same lines as measuring each text alone, whatever the characters —
    full-width, emoji beyond the BMP, a lone surrogate, empty text — and the column's width."""
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    from mentor_xl.workbook.xlsx import _printed_lines, printed_lines

    chars = hs.sampled_from("0a-、月年每（）ｱ \U0001F600\ud800")
    texts = hs.lists(hs.text(chars | hs.characters(), max_size=80), max_size=25)

    @settings(max_examples=300, deadline=None)
    @given(texts, hs.sampled_from([0.5, 1, 2, 10, 30, 52, 90.5]))
    def same(values, width):
        assert _printed_lines(values, width).tolist() == [printed_lines(v, width) for v in values]

    same()
    assert _printed_lines([None, 3.0, "每" * 30], 10).tolist() == [1, 1, 8]  # not all text: each alone; 69 ÷ 9


def test_wrapped_rows_are_as_tall_as_their_printed_lines(tmp_path, book):
    """A wrapped cell's row is as tall as the lines it prints in (LibreOffice prints one line of a
    row without a height): a digit is the width unit, a full-width character a little over two.
    合规汇总's 未达标周期 holds a term's four missed months on one line (a fifth wraps)."""
    months = [f"2024-{m:02d}-01" for m in range(8, 13)]
    df = pd.DataFrame({"未达标周期": ["、".join(months[:4]), "、".join(months), "每" * 24, "每" * 20, "每" * 5000]})
    wb = new_workbook(tmp_path / "w.xlsx")
    write_frame_sheet(wb, "汇总", df, wrap_cols=("未达标周期",), widths={"未达标周期": 52})
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["汇总"]
    heights = [ws.row_dimensions[r].height for r in range(2, 6)]
    assert heights[0] is None and heights[3] is None  # one line in 51: 49 printed units; 20 CJK, 46
    assert heights[1] > 15 and heights[1] == heights[2]  # two lines: 62 printed units; 24 CJK, 55
    assert ws["A2"].alignment.wrap_text
    assert 400 < ws.row_dimensions[6].height <= 409.5  # Excel's tallest row, not 5,000 characters' 230 lines
    summary = openpyxl.load_workbook(book)["合规汇总"]
    col = [c.value for c in summary[1]].index("未达标周期") + 1
    letter = openpyxl.utils.get_column_letter(col)
    assert round(summary.column_dimensions[letter].width) == 53  # 52 and XlsxWriter's padding
    assert summary.cell(2, col).alignment.wrap_text


@needs_soffice
def test_libreoffice_reads_the_results(book, tmp_path):
    (xlsx,) = lo.convert([book], "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(xlsx)
    assert wb["合规汇总"]["H2"].value == "不达标"
    assert wb["合规汇总"]["O3"].value == '=HYPERLINK("http://evil","点我")'  # still text, not a formula
    assert wb["人员汇总"]["I3"].value == 1
    (c,) = lo.convert([book], lo.CSV_UTF8, tmp_path / "csv")  # first sheet: 总览
    rows = list(csv.reader(c.open(encoding="utf-8")))
    assert rows[0][0] == "2024-2025-1学期导师工作合规总览"
    assert "应考核导师 2 人，全部达标 1 人（50.0%）" in rows[2][0]


def test_empty_result_still_writes_every_sheet(tmp_path):
    r = _result()
    r.details, r.results, r.staff = r.details.iloc[:0], r.results.iloc[:0], r.staff.iloc[:0]
    r.problems = Problems()
    wb = openpyxl.load_workbook(res.write_results(tmp_path / "e.xlsx", r))
    assert wb.sheetnames == ["总览", "合规汇总", "人员汇总", "合规明细", "数据问题", "图表"]
    assert wb["合规汇总"]["A1"].value == "工号" and wb["合规汇总"].max_row == 1
    texts = [c.value for row in wb["图表"].iter_rows() for c in row if c.value is not None]
    assert texts.count("（无数据）") == 2


@pytest.mark.parametrize("constant_memory", [False, True])
def test_frame_written_in_chunks_keeps_every_row_in_order(tmp_path, monkeypatch, constant_memory):
    from mentor_xl.workbook import xlsx
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 2)
    df = pd.DataFrame({"日期": pd.date_range("2024-09-02", periods=5), "工号": [f"T{i:03d}" for i in range(5)],
                       "时长": [1.5, np.nan, 2.0, 0.5, 3.0], "内容": ["谈话", "=1+1", None, "+A1", "-2"]})
    wb = new_workbook(tmp_path / "c.xlsx", constant_memory=constant_memory)
    write_frame_sheet(wb, "活动记录", df)
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx")["活动记录"]
    rows = _rows(ws)[1:]
    assert [r[1] for r in rows] == ["T000", "T001", "T002", "T003", "T004"]
    assert [r[2] for r in rows] == [1.5, None, 2.0, 0.5, 3.0]
    assert [r[3] for r in rows] == ["谈话", "=1+1", None, "+A1", "-2"]
    assert [ws.cell(i, 4).quotePrefix for i in (2, 3, 5, 6)] == [False, True, True, False]
    assert rows[4][0] == pd.Timestamp("2024-09-06").to_pydatetime() and ws["A6"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("constant_memory", [False, True])
def test_empty_text_is_a_blank_cell_and_overlong_text_is_cut_and_marked(tmp_path, constant_memory):
    """Text columns are converted per distinct value; the few values that are not kept as they
    are still are: "" writes no cell, text over Excel's limit is cut and ends with "…"."""
    from mentor_xl.safe import EXCEL_MAX_CHARS

    df = pd.DataFrame({"工号": ["T1", "", "T3"], "内容": ["", "长" * (EXCEL_MAX_CHARS + 10), "谈话"]})
    wb = new_workbook(tmp_path / "t.xlsx", constant_memory=constant_memory)
    write_frame_sheet(wb, "表", df, text_cols=("工号",))
    wb.close()
    rows = _rows(openpyxl.load_workbook(tmp_path / "t.xlsx")["表"])[1:]
    assert [r[0] for r in rows] == ["T1", None, "T3"] and [rows[0][1], rows[2][1]] == [None, "谈话"]
    assert len(rows[1][1]) == EXCEL_MAX_CHARS and rows[1][1].endswith("…")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        assert b'r="A3"' not in z.read("xl/worksheets/sheet1.xml")  # no cell at all, not an empty text

def test_status_colours_per_value_and_bad_rows_first(tmp_path):
    df = pd.DataFrame({"工号": ["T1", "T2", "T3"], "等级": ["优秀", "合格", "不合格"]})
    df.attrs["tier_colours"] = {"优秀": "#C6EFCE", "合格": "#FFEB9C", "不合格": "#000000"}
    wb = new_workbook(tmp_path / "t.xlsx")
    write_frame_sheet(wb, "考核结果", df, status_col="等级", bad_values=("不合格",))
    write_frame_sheet(wb, "另一种", df, status_col="等级", status_colours={"合格": "#DDEBF7"})
    wb.close()
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    rules = sorted((r.priority, r.formula[0], r.dxf.fill.bgColor.rgb)
                   for cf in wb["考核结果"].conditional_formatting for r in cf.rules)
    assert [(f, c[-6:]) for _, f, c in rules] == [
        ('OR($B2="不合格")', "FFC7CE"), ('OR($B2="优秀")', "C6EFCE"), ('OR($B2="合格")', "FFEB9C")]
    other = [(r.formula[0], r.dxf.fill.bgColor.rgb[-6:]) for cf in wb["另一种"].conditional_formatting for r in cf.rules]
    assert other == [('OR($B2="合格")', "DDEBF7")]


def test_list_cells_joined_by_arrow_as_one_by_one():
    """合规汇总's 未达标周期 and 差额 are joined by arrow's list kernels; the text is the one the
    cell-by-cell join gives, blanks and odd cells included."""
    import numpy as np

    from mentor_xl.results import _fmt_num, _join, _joined

    periods = pd.Series([["2024-09-01", "2024-11-01"], [], None, np.nan, ["第3周"]], dtype=object)
    gaps = pd.Series([[1.0, 2.25], [], None, [3], [np.float64(0.123456)]], dtype=object)
    mixed = pd.Series([["a", 1], ("b",), None], dtype=object)  # not one item type: cell by cell
    assert _joined(periods).tolist()[:1] + _joined(periods).tolist()[4:] == ["2024-09-01、2024-11-01", "第3周"]
    assert _joined(gaps, _fmt_num).tolist()[0] == "1、2.25" and _joined(gaps, _fmt_num).tolist()[4] == "0.1235"
    for cells, fmt in ((periods, None), (gaps, _fmt_num), (mixed, None), (pd.Series([], dtype=object), None)):
        want = [_join(v, fmt or str) for v in cells]
        got = _joined(cells, fmt).tolist()
        assert [None if pd.isna(x) else x for x in got] == [None if x is None or pd.isna(x) else x for x in want]


@pytest.mark.parametrize("pack", ["bit-2022", "hfut-math", "lctc-2024", "ustb-2022"])
def test_engine_joins_missed_periods_and_shortfalls_as_the_summary_would(tmp_path, pack):
    """The engine joins each result's missed periods and shortfalls in Arrow (``missed_text``,
    ``shortfalls_text``) for 合规汇总: the texts are those of joining each cell's lists, and a
    result without them (made otherwise) gets the same 合规汇总."""
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office

    build_demo_book(tmp_path / "示例.xlsx", pack)
    office = open_office(tmp_path / "示例.xlsx")
    r = office.compliance(office.book.frame("学期")["学期"].iloc[0]).results
    assert (r["missed_periods"].map(len) > 0).any() and (r["missed_periods"].map(len) > 1).any()
    for text, lists, fmt in (("missed_text", "missed_periods", str), ("shortfalls_text", "shortfalls", res._fmt_num)):
        want = [res._join(v, fmt) for v in r[lists]]
        assert [None if pd.isna(x) else x for x in r[text]] == want
    without = res.summary_frame(r.drop(columns=["missed_text", "shortfalls_text"]))
    pd.testing.assert_frame_equal(res.summary_frame(r), without, check_dtype=False)


@pytest.mark.parametrize("fail_at", ["数据问题", "close"])
def test_a_workbook_given_up_leaves_no_row_file_and_the_old_file(tmp_path, monkeypatch, fail_at):
    """A results workbook that fails on the way (a sheet that cannot be written, a full disk at the
    zip): the file already there stays, and XlsxWriter's row files of its constant_memory sheets —
    kept in the temporary folder until each sheet is written — are gone."""
    import tempfile

    from mentor_xl.workbook import xlsx_package

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where XlsxWriter makes its row files
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"the office's previous results")
    def boom(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    if fail_at == "close":
        monkeypatch.setattr(xlsx_package, "_write_zip_parallel", boom)
    else:
        monkeypatch.setattr(res, "write_problems_sheet", boom)
    with pytest.raises(OSError) as e:  # the OS's error itself, not XlsxWriter's FileCreateError around it
        res.write_results(target, _result())
    assert type(e.value) is OSError and e.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"the office's previous results"
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp", "结果.xlsx"]
