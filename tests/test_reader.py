"""The workbook reader: a messy office workbook reads the same as its clean twin, and every
unreadable value is named with its sheet, Excel row and column."""
from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import pandas as pd
import pytest
import python_calamine

from helpers_xlsx import formula_errors_book, write_xlsx
from mentor_xl.problems import FatalInputError
from mentor_xl.workbook.limits import check_workbook_file
from mentor_xl.workbook.reader import read_book
from mentor_xl.workbook.schema import BY_NAME

CLEAN = {
    "设置": [["项目", "值"], ["制度", "bit-2022"], ["学年", "2024-2025"]],
    "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", "2024-09-02", "2025-01-12"],
           ["2024-2025-2", "2025-02-24", "2025-07-06"]],
    "人员": [["工号", "姓名", "角色"], ["T001", "张老师", "学育导师"], ["T002", "李老师", "学育导师"],
           ["T001", "张老师", "学育导师组长"]],
    "活动记录": [["日期", "工号", "活动类型", "学号", "时长", "人次"],
             ["2024-09-10", "T001", "谈心谈话", "2024010001", "1", "1"],
             ["2024-09-10", "T002", "班会", "2024010002、2024010003", "2", "3"],
             ["2024-09-10", "T001", "谈心谈话", "2024010004", "1.5", "1"],
             ["2024-09-10", "T002", "宿舍走访", "", "2", "3"],
             ["2024-09-10", "T001", "谈心谈话", "2024010005", "0.5", "1"],
             ["2024-09-10", "T002", "谈心谈话", "2024010006", "1", "1"]],
    "测评": [["工号", "学期", "满意度"], ["T001", "2024-2025-1", "95"], ["T002", "2024-2025", "88.5"]],
}

# The same data as an office keeps it: alias sheet and column names, a title row and a
# two-row merged header, the office's own 教师编号 mapped in 列映射, dates in five forms,
# full-width digits, units, float ids, a blank row, an extra column, a block starting at B3.
MESSY = {
    "参数": [["项目", "值"], ["制度", "bit-2022"], ["学年", "2024-2025"]],
    "校历": [["学期名称", "开学日期", "截止日期"], ["2024-2025学年第一学期", "2024年9月2日", "2025/1/12"],
           ["2025年春季学期", dt.date(2025, 2, 24), "20250706"]],
    "导师名单": [["职工号", "教师姓名", "岗位"], [" T001 ", "张老师", "学育导师"], ["Ｔ００２", " 李老师", "学育导师"],
             ["T001\u200b", "张老师", "学育导师组长"]],
    "活动记录": [["2024-2025学年导师工作记录"],
             [None],
             ["基本信息", None, None, "参与学生", "工作量", None, "录入人"],
             ["活动日期", "教师编号", "类型", "学生学号", "时长（小时）", "人次", None],
             [45545, "T001", "谈心谈话", 2024010001, "1小时", "１"],                               # row 5: serial
             [dt.datetime(2024, 9, 10, 15, 30), "T002", "班会", "2024010002.0，2024010003 ", "2", "3人", "王"],
             [None, None, None, None, None, None, None],                                            # row 7: blank
             ["2024/9/10", "T001", "谈心谈话", "2024010004.0", "1.5h", 1],
             ["2024.9.10", "T002", "宿舍走访", None, "2 学时", "３"],
             ["2024年9月10日", "T001", "谈心谈话", 2024010005, 0.5, "1"],
             ["20240910", "T002", "谈心谈话", "\u30002024010006", "1", "1"]],
    "列映射": [["表", "原列名", "标准列名"], ["活动记录", "教师编号", "工号"]],
    "满意度测评": [["导师工号", "学期/学年", "测评得分"], ["T001", "2024年秋季学期", "９５"], ["T002", "2024-2025学年", "88.5分"]],
}
MESSY_MERGES = {"活动记录": ["A1:F1", "A3:C3", "E3:F3", "G3:G4"]}


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    d = tmp_path_factory.mktemp("twins")
    clean = read_book(write_xlsx(d / "clean.xlsx", CLEAN))
    messy = read_book(write_xlsx(d / "messy.xlsx", MESSY, start={"满意度测评": "B3"}, merged=MESSY_MERGES))
    return clean, messy


@pytest.mark.parametrize("sheet", ["设置", "学期", "人员", "活动记录", "测评"])
def test_messy_twin_reads_like_the_clean_book(twins, sheet):
    clean, messy = (b.frame(sheet) for b in twins)
    names = BY_NAME[sheet].names
    assert len(clean) > 0
    pd.testing.assert_frame_equal(clean[names], messy[names])


def test_clean_book_has_no_problems(twins):
    clean, _ = twins
    assert [p for p in clean.problems if p.category != "缺少工作表"] == []


def test_messy_twin_reports_only_the_extra_column(twins):
    _, messy = twins
    assert [(p.sheet, p.row, p.column, p.category, p.level) for p in messy.problems] == [
        ("活动记录", 4, "录入人", "未知列", "warning")]
    log = messy.frame("活动记录")
    assert list(log.columns) == BY_NAME["活动记录"].names + ["录入人", "_row"]
    assert log["录入人"].tolist() == [None, "王", None, None, None, None]


def test_excel_row_numbers(twins):
    clean, messy = twins
    assert clean.frame("活动记录")["_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert messy.frame("活动记录")["_row"].tolist() == [5, 6, 8, 9, 10, 11]  # row 7 is blank
    assert messy.frame("测评")["_row"].tolist() == [4, 5]  # header at B3


def test_sheet_names_settings_and_duplicate_staff(twins):
    clean, messy = twins
    assert messy.sheet_names["人员"] == "导师名单" and messy.sheet_names["学期"] == "校历"
    assert messy.present == {"设置", "学期", "人员", "活动记录", "列映射", "测评"}
    assert messy.settings == {"制度": "bit-2022", "学年": "2024-2025"} == clean.settings
    assert messy.policy == "bit-2022"
    assert messy.frame("人员")["工号"].tolist() == ["T001", "T002", "T001"]


def test_offset_block_matches_calamine_start(tmp_path):
    """Data from B3: fastexcel trims the empty rows, the reader still names Excel rows."""
    path = write_xlsx(tmp_path / "b3.xlsx", {"学期": [["学期", "开始日期", "结束日期"],
                                                     ["2024-2025-1", "2024-09-02", "2024-13-01"]]},
                      start={"学期": "B3"})
    book = read_book(path)
    start_row, start_col = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("学期").start
    assert (start_row, start_col) == (2, 1)  # 0-based B3, an independent check of the offset
    assert book.problems.items[0].row == 4 and book.problems.items[0].column == "结束日期"
    assert book.terms.empty  # the only row had a bad required date


def test_bad_values_named_with_row_and_column(tmp_path):
    rows = [["日期", "工号", "活动类型", "学号", "时长", "人次"],
            ["2024-09-10", "T001", "谈心谈话", "2024010001", "1", "1"],      # 2 ok
            ["2024-13-01", "T001", "谈心谈话", "2024010001", "1", "1"],      # 3 bad required date → dropped
            ["2024-09-11", "T001", "谈心谈话", "2024010001", "abc", "1"],    # 4 bad optional → kept, NaN
            ["2024-09-12", None, "谈心谈话", "2024010001", "1", "1"],        # 5 missing 工号 → dropped
            ["2024-09-13", "T001", "班会", "张三、2024010002", "1", "2.5"]]  # 6 bad list part, bad int-less 人次 ok
    book = read_book(write_xlsx(tmp_path / "bad.xlsx", {"活动记录": [["导师工作记录"]] + rows}))
    got = {(p.row, p.column, p.value, p.category) for p in book.problems if p.sheet == "活动记录"}
    assert got == {(4, "日期", "2024-13-01", "日期格式"), (5, "时长", "abc", "数字格式"),
                   (6, "工号", None, "缺少必填值"), (7, "学号", "张三、2024010002", "编号格式")}
    log = book.log
    assert log["_row"].tolist() == [3, 5, 7]
    assert pd.isna(log.loc[1, "时长"]) and log.loc[2, "学号"] == ["2024010002"] and log.loc[2, "人次"] == 2.5
    p = next(p for p in book.problems if p.column == "日期")
    assert "第4行" in p.message and "2024-13-01" in p.message and p.level == "error"


def test_missing_required_column_and_sheet(tmp_path):
    book = read_book(write_xlsx(tmp_path / "m.xlsx", {
        "人员": [["工号", "姓名"], ["T001", "张老师"]],
        "活动记录": [["日期", "工号", "活动类型"], ["2024-09-10", "T001", "班会"]]}))
    cats = {(p.sheet, p.category) for p in book.problems}
    assert ("学期", "缺少工作表") in cats
    # 角色 is supplied (single-role pack) or reported by open_office, which knows the pack (issue 10)
    assert book.recognised["人员"].missing == ["角色"] and book.staff["工号"].tolist() == ["T001"]
    assert len(book.log) == 1 and book.surveys is None and book.frame("测评").empty
    book = read_book(write_xlsx(tmp_path / "n.xlsx", {"人员": [["工号", "角色"], ["T001", "学育导师"]]}))
    assert book.staff is not None and book.staff.empty and list(book.staff.columns) == BY_NAME["人员"].names + ["_row"]
    missing = next(p for p in book.problems if p.category == "缺少列")
    assert missing.column == "姓名" and "人员 | 本单位列名 | 姓名" in missing.message


def test_only_requested_sheets_are_read(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", {"人员": [["工号", "姓名", "角色"], ["T1", "a", "b"]],
                                            "活动记录": [["日期", "工号", "活动类型"], ["2024-09-10", "T1", "班会"]]})
    book = read_book(path, sheets=["活动记录"])
    assert book.staff is None and len(book.log) == 1
    assert not [p for p in book.problems if p.category == "缺少工作表"]  # 学期 not asked for


def test_leading_zero_warning(tmp_path):
    rows = [["学号"]] + [[f"00{i:05d}"] for i in range(1, 7)] + [["12345"]]
    book = read_book(write_xlsx(tmp_path / "z.xlsx", {"学生": rows}))
    assert [(p.row, p.value, p.level) for p in book.problems if p.sheet == "学生"] == [(8, "12345", "warning")]
    assert book.students["学号"].iloc[-1] == "12345"


def test_pack_column_aliases(tmp_path):
    class FakePack:  # only the part of a Pack the reader uses: a [columns] section
        columns = {"活动记录": {"活动类型": ["工作项目"]}}
    path = write_xlsx(tmp_path / "p.xlsx", {"活动记录": [["日期", "工号", "工作项目"], ["2024-09-10", "T1", "班会"]]})
    assert read_book(path).log.empty
    assert read_book(path, policy_pack=FakePack()).log["活动类型"].tolist() == ["班会"]


def test_xlsm_is_read_as_data(tmp_path):
    src = write_xlsx(tmp_path / "a.xlsx", {"活动记录": [["日期", "工号", "活动类型"], ["2024-09-10", "T1", "班会"]]})
    book = read_book(shutil.copy(src, tmp_path / "a.xlsm"))
    assert book.log["工号"].tolist() == ["T1"]


# untrusted files -------------------------------------------------------------------------
def test_not_a_workbook_is_refused(tmp_path):
    fake = tmp_path / "网页.xlsx"
    fake.write_text("<html>not excel</html>", encoding="utf-8")
    with pytest.raises(FatalInputError, match="不是 Excel 工作簿"):
        read_book(fake)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(FatalInputError, match="损坏"):
        read_book(broken)
    docx = tmp_path / "文档.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(FatalInputError, match="不是 Excel 工作簿"):
        check_workbook_file(docx)


def _rezip(src, dst, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, (replace or {}).get(item.filename, zin.read(item.filename)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def test_zip_and_xml_bombs_are_refused(tmp_path):
    src = write_xlsx(tmp_path / "ok.xlsx", {"人员": [["工号", "姓名", "角色"], ["T1", "a", "b"]]})
    assert check_workbook_file(src) == "xlsx"
    bomb = _rezip(src, tmp_path / "bomb.xlsx", add={"xl/media/pad.xml": b"\x00" * (8 * 1024 ** 2)})
    with pytest.raises(FatalInputError, match="压缩比"):
        read_book(bomb)
    with pytest.raises(FatalInputError, match="解压后超过"):
        check_workbook_file(src, max_uncompressed=1000)
    with pytest.raises(FatalInputError, match="条目过多"):
        check_workbook_file(src, max_entries=3)
    with pytest.raises(FatalInputError, match="过大"):
        check_workbook_file(src, max_bytes=100)
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    evil = b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]>' + sheet.split(b"?>", 1)[1]
    with pytest.raises(FatalInputError, match="DTD"):
        read_book(_rezip(src, tmp_path / "dtd.xlsx", replace={"xl/worksheets/sheet1.xml": evil}))


def _soffice_convert(src, fmt: str, outdir):
    import subprocess
    subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=180)
    return outdir / (src.stem + "." + fmt)


@pytest.mark.libreoffice
def test_old_xls_is_read(tmp_path):
    src = write_xlsx(tmp_path / "old.xlsx", {"活动记录": [["日期", "工号", "活动类型"], [None, None, None],
                                                         ["2024-09-10", "T1", "班会"]]}, start={"活动记录": "B2"})
    book = read_book(_soffice_convert(src, "xls", tmp_path / "x"))
    assert book.log["工号"].tolist() == ["T1"] and book.log["_row"].tolist() == [4]


@pytest.mark.libreoffice
def test_word_document_named_xlsx_is_refused(tmp_path):
    txt = tmp_path / "通知.txt"
    txt.write_text("请各学院提交记录", encoding="utf-8")
    fake = shutil.copy(_soffice_convert(txt, "doc", tmp_path / "d"), tmp_path / "通知.xlsx")
    with pytest.raises(FatalInputError, match="其他 Office 文档"):
        read_book(fake)


def test_formula_error_cells_are_named(tmp_path):
    book = read_book(formula_errors_book(tmp_path / "err.xlsx"))  # row 2: bad optional → kept; row 3: bad required → dropped
    assert [(p.row, p.column, p.value, p.category) for p in book.problems if p.sheet == "活动记录"] == [
        (3, "日期", "#N/A", "公式错误"), (2, "时长", "#DIV/0!", "公式错误")]
    assert book.log["_row"].tolist() == [2] and pd.isna(book.log.loc[0, "时长"])


def test_misnamed_workbook_is_read_by_content(tmp_path):
    src = write_xlsx(tmp_path / "a.xlsx", {"活动记录": [["日期", "工号", "活动类型"], ["2024-09-10", "T1", "班会"]]})
    for name in ("a.xls", "附件"):
        assert read_book(shutil.copy(src, tmp_path / name)).log["工号"].tolist() == ["T1"]


def test_empty_sheets_and_odd_extra_headers(tmp_path):
    import xlsxwriter
    path = tmp_path / "e.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("测评")  # left empty
    wb.add_worksheet("人员").write_row(0, 0, ["工号", "姓名", "角色"])  # header only
    ws = wb.add_worksheet("活动记录")
    ws.write_row(0, 0, ["日期", "工号", "活动类型", "备用", "备用", None, None])
    ws.write_row(1, 0, ["2024-09-01", "T1", "班会", "a", "b", "c"])
    wb.close()
    book = read_book(path)
    assert book.surveys.empty and book.staff.empty
    assert list(book.log.columns)[-4:] == ["备用", "备用'", "未命名列", "_row"]  # the empty G column is dropped
    assert book.log.iloc[0][["备用", "备用'", "未命名列"]].tolist() == ["a", "b", "c"]
    assert [(p.sheet, p.category) for p in book.problems] == [("学期", "缺少工作表")] + [("活动记录", "未知列")] * 3


def test_single_vertically_merged_header_above_a_title_like_row(tmp_path):
    rows = [["工号", None, None], [None, "姓名", "角色"], ["T1", "张老师", "学育导师"]]
    book = read_book(write_xlsx(tmp_path / "v.xlsx", {"人员": rows}, merged={"人员": ["A1:A2"]}))
    assert book.staff[["工号", "姓名", "角色", "_row"]].values.tolist() == [["T1", "张老师", "学育导师", 3]]


def test_a_whole_bad_column_is_summarised(tmp_path, monkeypatch):
    from mentor_xl.workbook import reader
    monkeypatch.setattr(reader, "MAX_PROBLEMS_PER_COLUMN", 2)
    rows = [["日期", "工号", "活动类型", "时长"]] + [[f"2024-09-1{i}", "T1", "班会", "很久"] for i in range(5)]
    book = read_book(write_xlsx(tmp_path / "c.xlsx", {"活动记录": rows}))
    got = [(p.row, p.column) for p in book.problems if p.sheet == "活动记录"]
    assert got == [(2, "时长"), (3, "时长"), (None, "时长")]
    assert "共 5 行" in book.problems.items[-1].message and len(book.log) == 5



def test_two_columns_for_one_standard_name(tmp_path):
    rows = [["工号", "姓名", "角色", "学院", "单位"], ["T1", "张老师", "学育导师", "数学学院", "理学院"]]
    book = read_book(write_xlsx(tmp_path / "d.xlsx", {"人员": rows}))
    assert book.staff.loc[0, "学院"] == "数学学院" and book.staff.loc[0, "单位"] == "理学院"
    assert [(p.column, p.category) for p in book.problems if p.sheet == "人员"] == [("单位", "重复列")]


def test_the_native_readers_english_reasons_never_reach_the_office(tmp_path, monkeypatch):
    """calamine's reasons are English ("Invalid checksum"): the office reads the Chinese sentence
    alone, for a sheet that cannot be read and for a workbook that cannot be opened."""
    import fastexcel

    import mentor_xl.workbook.reader as reader

    path = tmp_path / "台账.xlsx"
    write_xlsx(path, {"人员": [["工号", "姓名", "角色"], ["T1", "张老师", "学育导师"]],
                      "活动记录": [["日期", "工号", "活动类型", "学号"], ["2024-09-10", "T1", "谈心谈话", "S1"]]})
    real = reader._load

    def broken(source, actual):
        if actual == "活动记录":
            raise RuntimeError("Invalid checksum")
        return real(source, actual)
    monkeypatch.setattr(reader, "_load", broken)
    [p] = [p for p in read_book(path).problems if p.category == "工作表无法读取"]
    assert p.message.startswith("工作表“活动记录”无法读取") and "Invalid" not in p.message
    monkeypatch.setattr(fastexcel, "read_excel", lambda *a, **k: (_ for _ in ()).throw(ValueError("Invalid checksum")))
    with pytest.raises(FatalInputError) as e:
        read_book(path)
    assert "无法打开工作簿" in str(e.value) and "Invalid" not in str(e.value)


@pytest.mark.parametrize("kind", ["id", "idlist", "text", "date", "number", "int", "bool", "term", "hours"])
def test_a_missing_column_is_what_blank_cells_read_as(kind):
    # 班级, 宿舍, 人次 … a sheet lacks: made without a Python None per row (a 200k-row log
    # without them spent 50 ms on it), and the same column as reading that many blank cells
    import pandas.testing as pdt
    from mentor_xl.workbook import values
    from mentor_xl.workbook.reader import _null_column
    for n in (0, 1, 7):
        blank = values.parse(kind, pd.Series([None] * n, dtype=object))[0].reset_index(drop=True)
        pdt.assert_series_equal(_null_column(kind, n), blank)


def test_kept_rows_slice_when_they_follow_one_another_else_take():
    """The rows kept of a sheet (no blank, footer or duplicate rows in between: one slice, no
    copy) give the same column as taking them one by one."""
    import numpy as np
    import pyarrow as pa

    from mentor_xl.workbook.reader import _kept_rows

    col = pa.array(["a", None, "b", "a", "c", "b"]).dictionary_encode()
    for keep in ([1, 2, 3, 4], [0, 2, 5], [], [5]):
        keep = np.array(keep, dtype=np.int64)
        got = _kept_rows(keep)(col)
        assert got.equals(col.take(pa.array(keep, pa.int64()))), keep
        assert got.dictionary.equals(col.dictionary)
