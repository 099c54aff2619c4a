"""``collect``: one collection workbook per recipient (mentor_xl.mail.collect).

The office workbook is written here cell by cell (helpers_xlsx) from a small, hand-made
roster, so every expectation below can be checked against the rows in this file.
``office_book`` and ``ROWS`` are reused by the ingest and hostile-file tests.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import openpyxl
import pytest

from helpers_xlsx import write_xlsx
from mentor_xl.mail import collect
from mentor_xl.mail.stamp import STAMP_SHEET, read_stamp
from mentor_xl.packs import load_pack
from mentor_xl.problems import FatalInputError

D = dt.date
TERM = "2024-2025-1"

STAFF = [
    ["工号", "姓名", "角色", "学院", "邮箱", "撤销日期"],
    ["T001", "张一", "学育导师", "计算机学院", "zhang@example.edu.cn", None],
    ["T002", "李二", "学育导师", "计算机学院", None, None],
    ["T003", "王三", "学育导师", "数学学院", "wang@example.edu.cn", None],
    ["T004", "赵四", "学育导师", "计算机学院", "zhao@example.edu.cn", D(2024, 6, 1)],  # revoked before the term
]


def office_book(path, *, log_rows: list[list] | None = None, settings: list[list] | None = None):
    """The office workbook: 2 colleges, 3 active mentors, 5 students, one office-typed log row."""
    log = [["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "地点", "内容"],
           [D(2024, 9, 10), "T001", "谈心谈话", "S01", None, None, 1, None, "办公室", "办公室录入"]]
    return write_xlsx(path, {
        "设置": [["项目", "值"], ["制度", "bit-2022"], ["单位名称", "示例大学学生工作部"], *(settings or [])],
        "学期": [["学期", "开始日期", "结束日期"], [TERM, D(2024, 9, 2), D(2025, 1, 12)]],
        "人员": STAFF,
        "学生": [["学号", "姓名", "班级", "宿舍"], ["S01", "甲", "计科1班", "1-101"],
                 ["S02", "乙", "计科1班", "1-101"], ["S03", "丙", "计科2班", "1-102"],
                 ["S04", "丁", "数学1班", "2-201"], ["S05", "戊", "数学1班", "2-201"]],
        "指导关系": [["工号", "学号"], ["T001", "S01"], ["T001", "S02"], ["T002", "S03"],
                     ["T003", "S04"], ["T003", "S05"]],
        "活动记录": log + (log_rows or []),
    })


def test_one_workbook_per_college(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "out")
    assert [(f.recipient, f.staff, f.pairs) for f in res.files] == [("数学学院", 1, 2), ("计算机学院", 2, 3)]
    cs = next(f for f in res.files if f.recipient == "计算机学院")
    assert cs.file.name == "2024-2025-1-计算机学院-导师工作记录收集表.xlsx"

    wb = openpyxl.load_workbook(cs.file)
    assert wb.sheetnames == ["说明", "活动记录", "字典", "人员", "指导关系", STAMP_SHEET]
    assert wb[STAMP_SHEET].sheet_state == "veryHidden" and wb["字典"].sheet_state == "hidden"
    # the roster: this college's staff active in the term (T004 was revoked), locked
    roster = [r for r in wb["人员"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[3]) for r in roster] == [("T001", "张一", "计算机学院"), ("T002", "李二", "计算机学院")]
    assert wb["人员"].protection.sheet
    pairs = [r[:6] for r in wb["指导关系"].iter_rows(min_row=2, values_only=True)]
    assert pairs == [("T001", "张一", "S01", "甲", "计科1班", "1-101"), ("T001", "张一", "S02", "乙", "计科1班", "1-101"),
                     ("T002", "李二", "S03", "丙", "计科2班", "1-102")]
    # the log: office header, locked; fill area unlocked; dropdowns from 字典
    log = wb["活动记录"]
    assert [c.value for c in log[1]] == ["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "地点", "内容"]
    assert log.protection.sheet and log.cell(1, 1).protection.locked
    # Blank cells take their column's format in Excel: the fill columns are unlocked.
    dims = list(log.column_dimensions.values())
    for j in range(1, 11):
        [dim] = [d for d in dims if d.min <= j <= d.max]
        assert not dim.protection.locked, j
    rules = {str(dv.sqref).split(":")[0]: dv for dv in log.data_validations.dataValidation}
    assert rules["B2"].type == "list" and rules["B2"].formula1 == "工号列表"
    assert rules["C2"].type == "list" and rules["C2"].formula1 == "活动类型列表"
    assert rules["A2"].type == "date"
    d = wb["字典"]
    pack = load_pack("bit-2022")
    assert [r[0] for r in d.iter_rows(min_row=2, values_only=True) if r[0]] == list(pack.types)
    assert [r[1] for r in d.iter_rows(min_row=2, values_only=True) if r[1]] == ["T001", "T002"]
    guide = " ".join(str(r[0]) for r in wb["说明"].iter_rows(values_only=True) if r[0])
    assert "计算机学院" in guide and "2024-09-02 至 2025-01-12" in guide and "导学互动交流" in guide

    stamp = read_stamp(cs.file.read_bytes(), cs.file.name)
    assert (stamp.by, stamp.recipient, stamp.term, stamp.pack, stamp.collection_id) == (
        "学院", "计算机学院", TERM, "bit-2022", cs.collection_id)
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert manifest["term"] == TERM and manifest["by"] == "学院"
    assert [r["recipient"] for r in manifest["recipients"]] == ["数学学院", "计算机学院"]
    assert res.to_json()["files"][1]["collection_id"] == cs.collection_id
    assert "2 份收集表" in res.summary_zh()


def test_one_workbook_per_staff_member_with_mail(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "工号", tmp_path / "out", eml=True)
    assert [(f.recipient, f.label, f.emails) for f in res.files] == [
        ("T001", "T001 张一", ["zhang@example.edu.cn"]), ("T002", "T002 李二", []),
        ("T003", "T003 王三", ["wang@example.edu.cn"])]
    assert res.files[1].eml is None
    assert any("T002 李二" in p.message and "没有邮箱" in p.message for p in res.problems)
    m = email.message_from_bytes(res.files[2].eml.read_bytes(), policy=email.policy.default)
    assert m["To"] == "wang@example.edu.cn"
    assert m["Subject"] == "【请填写】2024-2025-1 导师工作记录收集表（T003 王三）"
    assert "2024-09-02 至 2025-01-12" in m.get_body().get_content()
    [att] = list(m.iter_attachments())
    assert att.get_filename() == res.files[2].file.name
    assert att.get_content() == res.files[2].file.read_bytes()
    stamp = read_stamp(att.get_content(), "x")
    assert (stamp.by, stamp.recipient) == ("工号", "T003")


def test_college_contact_from_settings(tmp_path):
    book = office_book(tmp_path / "office.xlsx",
                       settings=[["计算机学院联系邮箱", "sec@cs.example.edu.cn；dean@cs.example.edu.cn"]])
    res = collect(book, TERM, "学院", tmp_path / "out", eml=True)
    cs = next(f for f in res.files if f.recipient == "计算机学院")
    assert cs.emails == ["sec@cs.example.edu.cn", "dean@cs.example.edu.cn"]
    m = email.message_from_bytes(cs.eml.read_bytes(), policy=email.policy.default)
    assert m["To"] == "sec@cs.example.edu.cn, dean@cs.example.edu.cn"
    math_ = next(f for f in res.files if f.recipient == "数学学院")
    assert math_.emails == ["wang@example.edu.cn"]  # no contact set: the college's staff


def test_bad_requests(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    with pytest.raises(FatalInputError, match="2099-2100-1"):
        collect(book, "2099-2100-1", "学院", tmp_path / "out")
    with pytest.raises(FatalInputError, match="--by"):
        collect(book, TERM, "班级", tmp_path / "out")


def test_staff_without_college_is_reported(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["人员"].cell(3, 4).value = None  # T002 loses its 学院
    wb.save(book)
    res = collect(book, TERM, "学院", tmp_path / "out")
    assert [f.staff for f in res.files if f.recipient == "计算机学院"] == [1]
    [p] = [p for p in res.problems if p.column == "学院"]
    assert p.sheet == "人员" and p.row == 3 and "T002" in p.message


@pytest.mark.libreoffice
def test_stamp_survives_libreoffice_resave(tmp_path):
    from mentor_xl.libreoffice import convert
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "out")
    src = res.files[0].file
    for fmt in ("xlsx", "xls"):
        [out] = convert([src], fmt, tmp_path / fmt)
        stamp = read_stamp(out.read_bytes(), out.name)
        assert stamp is not None and stamp.recipient == res.files[0].recipient
        assert stamp.collection_id == res.files[0].collection_id
