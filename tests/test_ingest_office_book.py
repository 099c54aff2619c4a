"""The office workbook ``ingest`` writes opens everywhere and keeps the office's own layout.

- whatever produced the office workbook (XlsxWriter, openpyxl, pandas, LibreOffice), the
  merged book is re-opened by openpyxl, by fastexcel (every sheet) and by LibreOffice, and
  its namespaces are declared where they are used;
- new rows go above a 填表人/审核人/注 footer (which moves down with its merged cells),
  序号 continues, 导师姓名 comes from 人员, the activity type stays as the recipient wrote it.
Expected values are counted from ``MATH`` (2 rows of 王三, T003, 数学学院).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pandas as pd
import pytest

from test_collect import TERM, office_book
from test_ingest import MATH, key, merged_rows
from mentor_xl.mail import collect, ingest
from mentor_xl.mail.simulate import fill_return
from mentor_xl.workbook.reader import read_book


@pytest.fixture
def returns(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "sent")
    math_ = next(f.file for f in res.files if f.recipient == "数学学院")
    inbox = tmp_path / "in"
    fill_return(math_, MATH, inbox / "数学.xlsx")
    return {"book": book, "inbox": inbox, "tmp": tmp_path}


def resave_openpyxl(src: Path, dst: Path) -> Path:
    openpyxl.load_workbook(src).save(dst)
    return dst


def resave_pandas(src: Path, dst: Path) -> Path:
    sheets = pd.read_excel(src, sheet_name=None, dtype=str, engine="openpyxl")
    with pd.ExcelWriter(dst, engine="openpyxl") as w:
        for name, df in sheets.items():
            df.to_excel(w, sheet_name=name, index=False)
    return dst


def resave_libreoffice(src: Path, dst: Path) -> Path:
    from mentor_xl.libreoffice import convert
    [out] = convert([src], "xlsx", dst.parent / "lo-src")
    return out.rename(dst)


def assert_opens_everywhere(path: Path, tmp: Path) -> None:
    # every prefixed attribute of workbook.xml is in scope where it is used
    with zipfile.ZipFile(path) as z:
        ET.fromstring(z.read("xl/workbook.xml"))  # an undeclared prefix is a parse error
        for name in z.namelist():
            if name.endswith(".xml") and name.startswith("xl/worksheets/"):
                ET.fromstring(z.read(name))
    wb = openpyxl.load_workbook(path)
    assert "收件记录" in wb.sheetnames
    import fastexcel
    reader = fastexcel.read_excel(str(path))
    for name in reader.sheet_names:
        reader.load_sheet(name, header_row=None).to_arrow()


PRODUCERS = {"xlsxwriter": None, "openpyxl": resave_openpyxl, "pandas": resave_pandas,
             "libreoffice": resave_libreoffice}


@pytest.mark.parametrize("producer", list(PRODUCERS))
@pytest.mark.parametrize("engine", ["stream", "openpyxl"])
def test_merged_book_opens_everywhere(returns, producer, engine):
    if producer == "libreoffice":
        pytest.importorskip("mentor_xl.libreoffice")
    src = returns["book"]
    if PRODUCERS[producer]:
        src = PRODUCERS[producer](src, returns["tmp"] / f"由{producer}保存.xlsx")
    out = returns["tmp"] / f"merged-{producer}-{engine}.xlsx"
    res = ingest(src, [returns["inbox"]], out=out, engine=engine)
    assert res.rows_merged == 2
    assert_opens_everywhere(out, returns["tmp"])
    assert merged_rows(out) == sorted(map(key, MATH))


@pytest.mark.libreoffice
@pytest.mark.parametrize("producer", ["openpyxl", "pandas"])
def test_merged_book_opens_in_libreoffice(returns, producer):
    """The r:id case: an office book last saved by openpyxl/pandas, merged in place."""
    from mentor_xl.libreoffice import convert
    book = PRODUCERS[producer](returns["book"], returns["tmp"] / "办公室.xlsx")
    res = ingest(book, [returns["inbox"]], in_place=True, engine="stream")
    assert res.book == book
    [again] = convert([book], "xlsx", returns["tmp"] / "lo")
    assert merged_rows(again) == sorted(map(key, MATH))
    assert "收件记录" in openpyxl.load_workbook(again).sheetnames


def office_with_footer(path: Path) -> Path:
    """活动记录 as offices keep it: 序号, 导师姓名, two rows, a blank row, a footer block."""
    wb = openpyxl.load_workbook(path)
    del wb["活动记录"]
    ws = wb.create_sheet("活动记录")
    ws.append(["序号", "日期", "工号", "导师姓名", "活动类型", "学号", "时长", "内容"])
    ws.append([1, "2024-09-10", "T001", "张一", "谈心谈话", "S01", 1, "办公室录入"])
    ws.append([2, "2024-09-12", "T002", "李二", "午餐会", "S03", 1, "办公室录入"])
    ws.append([])
    ws["A5"], ws["E5"] = "填表人：王老师", "审核人：李主任"
    ws.merge_cells("A5:C5")
    ws["A6"] = "注：每月5日前报送"
    ws.merge_cells("A6:H6")
    wb.save(path)
    return path


@pytest.mark.parametrize("engine", ["stream", "openpyxl"])
def test_rows_go_above_the_footer_numbered_and_named(returns, engine):
    book = office_with_footer(returns["book"])
    out = returns["tmp"] / f"merged-{engine}.xlsx"
    res = ingest(book, [returns["inbox"]], out=out, engine=engine)
    assert res.rows_merged == 2
    ws = openpyxl.load_workbook(out)["活动记录"]
    rows = [[c.value for c in r][:8] for r in ws.iter_rows(min_row=1, max_row=7)]
    assert [r[0] for r in rows] == ["序号", 1, 2, 3, 4, "填表人：王老师", "注：每月5日前报送"]
    assert [r[2] for r in rows[3:5]] == ["T003", "T003"]
    assert [r[3] for r in rows[3:5]] == ["王三", "王三"]  # 导师姓名 from 人员
    assert [r[4] for r in rows[3:5]] == ["下午茶", "集体聚餐"]  # as written: aliases of the pack
    assert rows[5][4] == "审核人：李主任"
    assert sorted(map(str, ws.merged_cells.ranges)) == ["A6:C6", "A7:H7"]
    assert_opens_everywhere(out, returns["tmp"])
    # the office reader sees the office's two rows and the two new ones, the footer is no row
    log = read_book(out, sheets=["活动记录"]).frame("活动记录")
    assert log["_row"].tolist() == [2, 3, 4, 5]
    # a second ingest of the same return adds nothing (types compared through the pack)
    again = ingest(out, [returns["inbox"]], out=returns["tmp"] / f"again-{engine}.xlsx", engine=engine)
    assert [f.status for f in again.files] == ["duplicate"] and again.rows_merged == 0


def test_correction_written_as_aliases_replaces_only_what_changed(returns):
    """A later return re-using the same aliases keeps the rows it still has."""
    tmp = returns["tmp"]
    r1 = ingest(returns["book"], [returns["inbox"]], out=tmp / "s1.xlsx")
    assert r1.rows_merged == 2
    sent = next((tmp / "sent").glob("*数学学院*.xlsx"))
    newer = fill_return(sent, MATH[:1], tmp / "in2" / "数学-更正.xlsx")
    import os
    os.utime(newer, (2_000_000_000, 2_000_000_000))
    r2 = ingest(tmp / "s1.xlsx", [tmp / "in2"], out=tmp / "s2.xlsx")
    [f] = r2.files
    assert (f.status, f.rows_added, f.rows_removed, f.rows_unchanged) == ("accepted", 0, 1, 1)
    assert merged_rows(tmp / "s2.xlsx") == sorted(map(key, MATH[:1]))


def test_every_other_workbook_of_the_round_trip_opens_everywhere(returns):
    """The collection workbooks and the report workbook: namespaces declared, openpyxl and
    fastexcel open every sheet."""
    tmp = returns["tmp"]
    res = ingest(returns["book"], [returns["inbox"]], out=tmp / "m.xlsx", report=tmp / "报告.xlsx")
    assert res.report == tmp / "报告.xlsx"
    for path in [res.report, *sorted((tmp / "sent").glob("*.xlsx"))]:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    ET.fromstring(z.read(name))
        openpyxl.load_workbook(path)
        import fastexcel
        reader = fastexcel.read_excel(str(path))
        for name in reader.sheet_names:
            reader.load_sheet(name, header_row=None).to_arrow()


def office_by_name(path: Path) -> Path:
    """活动记录 kept by 导师姓名 alone: no 工号 column."""
    wb = openpyxl.load_workbook(path)
    del wb["活动记录"]
    ws = wb.create_sheet("活动记录")
    ws.append(["序号", "日期", "导师姓名", "活动类型", "学号", "时长", "内容"])
    ws.append([1, "2024-09-10", "张一", "谈心谈话", "S01", 1, "办公室录入"])
    ws.append([2, "2024-09-12", "李二", "午餐会", "S03", 1, "办公室录入"])
    wb.save(path)
    return path


@pytest.mark.parametrize("engine", ["stream", "openpyxl"])
def test_a_log_kept_by_name_takes_returns(returns, engine):
    # the office's rows keep their names; the new rows bring their 工号 in a column added at the end
    book = office_by_name(returns["book"])
    before = read_book(book, sheets=["人员", "活动记录"]).frame("活动记录")
    assert before["工号"].tolist() == ["T001", "T002"]  # read by name
    out = returns["tmp"] / f"merged-{engine}.xlsx"
    res = ingest(book, [returns["inbox"]], out=out, engine=engine)
    assert res.rows_merged == 2
    ws = openpyxl.load_workbook(out)["活动记录"]
    head = [c.value for c in ws[1]]
    assert head[:7] == ["序号", "日期", "导师姓名", "活动类型", "学号", "时长", "内容"] and "工号" in head[7:]
    at = head.index("工号")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=5)]
    assert [r[2] for r in rows] == ["张一", "李二", "王三", "王三"]  # 导师姓名 of the new rows from 人员
    assert [r[at] for r in rows] == [None, None, "T003", "T003"]
    log = read_book(out, sheets=["人员", "活动记录"]).frame("活动记录")
    assert log["工号"].tolist() == ["T001", "T002", "T003", "T003"] and log["_row"].tolist() == [2, 3, 4, 5]
