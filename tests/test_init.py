"""`mentor-xl init`: the blank office workbook, and the statutory holidays it pre-fills."""
from __future__ import annotations

import csv
import datetime as dt
import os

import openpyxl
import pandas as pd
import pytest

from mentor_xl import libreoffice as lo
from mentor_xl.holidays import current_year, statutory_holidays, year_span
from mentor_xl.packs import load_pack
from mentor_xl.safe import backup_path
from mentor_xl.workbook import schema
from mentor_xl.workbook.blank import award_names, rule_requirement, write_blank_book

D = dt.date


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


# --------------------------------------------------------------------------- holidays

def test_holidays_2024_2025_from_the_state_council_notices():
    h = statutory_holidays("2024-2025")
    assert h.covered and h.message == ""
    assert (h.start, h.end) == (D(2024, 8, 1), D(2025, 7, 31))
    assert [(r.start, r.end, r.name) for r in h.ranges] == [
        (D(2024, 9, 15), D(2024, 9, 17), "中秋节"),
        (D(2024, 10, 1), D(2024, 10, 7), "国庆节"),  # weekend 10-05/06 inside the block included
        (D(2025, 1, 1), D(2025, 1, 1), "元旦"),
        (D(2025, 1, 28), D(2025, 2, 4), "春节"),
        (D(2025, 4, 4), D(2025, 4, 6), "清明节"),
        (D(2025, 5, 1), D(2025, 5, 5), "劳动节"),  # 05-05 is a 调休 day off
        (D(2025, 5, 31), D(2025, 6, 2), "端午节"),
    ]
    # 调休 working Saturdays (2024-10-12, 2025-01-26) are working days: in no range.
    for day in (D(2024, 10, 12), D(2025, 1, 26), D(2025, 2, 8)):
        assert not any(r.start <= day <= r.end for r in h.ranges)


def test_adjacent_holidays_merge_into_one_range_and_plain_weekends_are_not_holidays():
    h = statutory_holidays("2023-2024")
    assert (D(2023, 9, 29), D(2023, 10, 6), "中秋节、国庆节") in [(r.start, r.end, r.name) for r in h.ranges]
    duanwu = [r for r in h.ranges if r.name == "端午节"]
    # 2024-06-08/09 is an ordinary weekend before the Monday off: not listed.
    assert [(r.start, r.end) for r in duanwu] == [(D(2024, 6, 10), D(2024, 6, 10))]


def test_holidays_say_when_the_data_does_not_cover_the_year():
    h = statutory_holidays("2026-2027")
    assert not h.covered
    assert "2027年" in h.message and "2026年" not in h.message
    assert {r.name for r in h.ranges} >= {"国庆节"}
    assert all(r.end.year == 2026 for r in h.ranges)
    later = statutory_holidays("2030-2031")
    assert not later.covered and later.ranges == [] and "2030年、2031年" in later.message


def test_year_forms_and_current_year():
    assert year_span("2024-2025学年") == (D(2024, 8, 1), D(2025, 7, 31))
    assert year_span("2024—2025") == (D(2024, 8, 1), D(2025, 7, 31))
    for bad in ("2024", "2024-2026", "二〇二四"):
        with pytest.raises(ValueError, match="学年"):
            year_span(bad)
    assert current_year(D(2025, 3, 1)) == "2024-2025"
    assert current_year(D(2025, 7, 31)) == "2024-2025"
    assert current_year(D(2025, 8, 1)) == "2025-2026"


# --------------------------------------------------------------------------- the workbook

@pytest.fixture
def bit_book(tmp_path):
    pack = load_pack("bit-2022")
    return write_blank_book(tmp_path / "导师工作簿.xlsx", pack, year="2024-2025"), pack


def _col_dim(ws, idx):
    """The <col> entry covering 1-based column ``idx`` (XlsxWriter merges equal neighbours)."""
    for d in ws.column_dimensions.values():
        if d.min is not None and d.min <= idx <= d.max:
            return d
    raise AssertionError(f"no column format for column {idx} of {ws.title}")


def _dv_list(wb, ws, column_letter):
    """Values of the dropdown on a column, followed through its 字典 range reference."""
    for dv in ws.data_validations.dataValidation:
        if any(str(r).startswith(f"{column_letter}2:") for r in dv.sqref.ranges):
            sheet, rng = dv.formula1.split("!")
            assert sheet.strip("'") == "字典"
            cells = wb["字典"][rng.replace("$", "")]
            return dv, [c[0].value for c in cells]
    return None, None


def test_every_schema_sheet_with_canonical_headers_frozen(bit_book):
    path, _ = bit_book
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", *[s.name for s in schema.SHEETS], "字典"]
    assert wb["字典"].sheet_state == "hidden"
    assert wb.active.title == "说明"
    for sheet in schema.SHEETS:
        ws = wb[sheet.name]
        expected = sheet.names
        assert [c.value for c in ws[1]][:len(expected)] == expected, sheet.name
        assert ws.freeze_panes == "A2", sheet.name
        for j, col in enumerate(sheet.columns):
            dim = _col_dim(ws, j + 1)
            fmt = dim.number_format
            if col.kind in ("id", "idlist"):
                assert fmt == "@", (sheet.name, col.name)  # leading zeros survive typing
            elif col.kind == "date":
                assert fmt == "yyyy-mm-dd", (sheet.name, col.name)
            assert dim.width >= col.width


def test_settings_terms_and_holidays_prefilled(bit_book):
    path, pack = bit_book
    wb = openpyxl.load_workbook(path)
    rows = [[c.value for c in r] for r in wb["设置"].iter_rows(min_row=2)]
    items = {r[0]: r[1] for r in rows}
    assert items["制度"] == "bit-2022"
    assert items["单位名称"] is None
    assert items["发文机关"] == "北京理工大学学生工作部"
    assert items["学年"] == "2024-2025"
    for s in pack.settings.values():
        row = next(r for r in rows if r[0] == s.label)
        assert row[1] == s.default and s.note in row[2]
    assert [[c.value for c in r] for r in wb["学期"].iter_rows(min_row=2)] == [
        ["2024-2025-1", None, None], ["2024-2025-2", None, None]]
    hol = [[c.value for c in r] for r in wb["假期"].iter_rows(min_row=2)]
    assert hol[1] == [dt.datetime(2024, 10, 1), dt.datetime(2024, 10, 7), "国庆节"]
    assert len(hol) == len(statutory_holidays("2024-2025").ranges)
    assert wb["假期"]["A3"].number_format == "yyyy-mm-dd"


def test_dropdowns_come_from_the_hidden_dictionary(bit_book):
    path, pack = bit_book
    wb = openpyxl.load_workbook(path)
    dv, values = _dv_list(wb, wb["人员"], "C")  # 角色
    assert values == list(pack.roles) and dv.type == "list" and dv.errorStyle == "warning"
    assert str(dv.sqref) == "C2:C1048576"
    _, types = _dv_list(wb, wb["活动记录"], "C")
    assert types == list(pack.types)
    assert _dv_list(wb, wb["人员"], "G")[1] == ["男", "女"]
    assert _dv_list(wb, wb["组织考核"], "D")[1] == ["是", "否"]
    assert _dv_list(wb, wb["班级量化"], "B")[1] == ["2024-2025-1", "2024-2025-2"]
    assert _dv_list(wb, wb["测评"], "B")[1] == ["2024-2025-1", "2024-2025-2", "2024-2025"]
    assert _dv_list(wb, wb["学期"], "A") == (None, None)
    assert award_names(pack) == []  # bit-2022 has no awards: no 奖项 dropdown
    assert _dv_list(wb, wb["奖项提名"], "A") == (None, None)


def test_awards_dropdown_when_the_pack_has_awards(tmp_path):
    pack = load_pack("ustb-2022")
    names = award_names(pack)
    assert "本科生十佳导师" in names and len(names) == len(set(names)) >= 3
    wb = openpyxl.load_workbook(write_blank_book(tmp_path / "b.xlsx", pack, year="2024-2025"))
    assert _dv_list(wb, wb["奖项提名"], "A")[1] == names
    assert _dv_list(wb, wb["人员"], "C")[1] == list(pack.roles)
    guide = [[c.value for c in r] for r in wb["说明"].iter_rows()]
    top = next(r for r in guide if r[0] == "本科生十佳导师")
    assert top[1:4] == ["本科生导师", "10", "1.00"]


def test_guide_explains_sheets_columns_and_rules(bit_book):
    path, pack = bit_book
    ws = openpyxl.load_workbook(path)["说明"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    text = "\n".join(" ".join(str(v) for v in r if v is not None) for r in rows)
    assert pack.name in text and "2024年9月1日" in text and "20240901" in text
    by_rule = {r[0]: r for r in rows if r and r[0] in {x.id for x in pack.rules}}
    assert set(by_rule) == {r.id for r in pack.rules}
    talk = by_rule["bit.monthly-talk"]
    assert talk[1] == "四.1" and talk[6] == "每月" and talk[7] == "每月不少于 1 次"
    assert by_rule["bit.ratio-cap"][7] == "所带学生不超过 8 人"
    assert by_rule["bit.six-forms"][7].startswith("仅统计")
    col_rows = [r for r in rows if r[0] == "活动记录" and r[1] == "日期"]
    assert col_rows and "2024/9/1" in col_rows[0][3] and col_rows[0][2] == "必填"


def test_rule_requirement_texts_for_other_measures():
    hfut = load_pack("hfut-math")
    assert rule_requirement(hfut.rule("hfut.weekly-hours"), hfut) == "每周不少于 2 小时"
    assert rule_requirement(hfut.rule("hfut.parent-contact"), hfut) == "每学期不少于 5 人次"
    assert rule_requirement(hfut.rule("hfut.term-plan"), hfut) == "在开学日前完成（开学前 60 天内至开学日）"
    hfut.overrides["deadline_grace_days"] = 3
    assert rule_requirement(hfut.rule("hfut.term-plan"), hfut) == "在开学日前完成（开学前 60 天内至开学日，宽限 3 天）"
    lctc = load_pack("lctc-2024")
    assert rule_requirement(lctc.rule("lctc.talk-coverage"), lctc) == "每学期谈到的学生不少于班级学生的 50%"
    assert rule_requirement(lctc.rule("lctc.paired-students"), lctc) == "每月不少于 3 名不同学生"


def test_uncovered_year_gets_a_visible_note(tmp_path):
    wb = openpyxl.load_workbook(write_blank_book(tmp_path / "b.xlsx", load_pack("bit-2022"), year="2026-2027"))
    ws = wb["假期"]
    assert ws["A1"].value.startswith("注意：") and "2027年" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["开始日期", "结束日期", "名称"]
    assert ws.freeze_panes == "A3"
    assert ws["C4"].value == "国庆节"
    guide = "\n".join(str(c.value) for r in wb["说明"].iter_rows() for c in r if c.value)
    assert "2027年" in guide


def test_existing_file_is_not_overwritten_unless_asked(tmp_path, bit_book):
    path, pack = bit_book
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="已存在"):
        write_blank_book(path, pack, year="2025-2026")
    assert path.read_bytes() == before
    write_blank_book(path, pack, year="2025-2026", overwrite=True)
    assert backup_path(path).read_bytes() == before
    assert openpyxl.load_workbook(path)["学期"]["A2"].value == "2025-2026-1"
    with pytest.raises(ValueError, match="学年"):
        write_blank_book(tmp_path / "x.xlsx", pack, year="2025")


@needs_soffice
def test_libreoffice_opens_the_blank_book(bit_book, tmp_path):
    path, _ = bit_book
    (xlsx,) = lo.convert([path], "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(xlsx)
    assert wb["设置"]["B2"].value == "bit-2022"
    assert wb["假期"]["C3"].value == "国庆节"
    assert [c.value for c in wb["活动记录"][1]][:3] == ["日期", "工号", "活动类型"]
    (c,) = lo.convert([path], lo.CSV_UTF8, tmp_path / "csv")
    first = list(csv.reader(c.open(encoding="utf-8")))  # the first sheet: 说明
    assert first[0][0] == "《北京理工大学学育导师工作补充细则》工作簿填写说明"


@pytest.mark.parametrize("year", ["2024-2025", "2026-2027"])
def test_the_reader_reads_the_blank_book_back(tmp_path, year):
    from mentor_xl.workbook.reader import read_book
    pack = load_pack("ustb-2022")
    book = read_book(write_blank_book(tmp_path / "b.xlsx", pack, year=year))
    assert book.present == {s.name for s in schema.SHEETS}
    assert book.settings["制度"] == "ustb-2022" and book.settings["学年"] == year
    expected = [(pd.Timestamp(r.start), pd.Timestamp(r.end), r.name) for r in statutory_holidays(year).ranges]
    assert list(zip(book.holidays["开始日期"], book.holidays["结束日期"], book.holidays["名称"])) == expected
    # Only what the office still has to fill in (单位名称, term dates) — and the 说明 note
    # column of 设置 — is reported; every other sheet reads clean.
    assert {p.sheet for p in book.problems} <= {"设置", "学期"}
