"""Outputs never replace inputs, never follow planted links, never collide on Windows/macOS,
and every cell the tool writes is guarded against formula injection (safe.py)."""
from __future__ import annotations

import subprocess
import sys
import unicodedata

import openpyxl
import pytest

from helpers_xlsx import write_xlsx
from test_collect import TERM, office_book
from mentor_xl.documents import DocJob, generate
from mentor_xl.documents.kinds import sample
from mentor_xl.mail import collect
from mentor_xl.mail.stamp import STAMP_SHEET, read_stamp
from mentor_xl.safe import name_key, needs_quote, same_path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mentor_xl", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    return write_xlsx(tmp_path / "导师.xlsx", {
        "设置": [["项目", "值"], ["制度", "bit-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], [TERM, "2024-09-02", "2025-01-12"]],
        "人员": [["工号", "姓名", "角色"], ["T1", "张老师", "学育导师"]],
        "指导关系": [["工号", "学号"], ["T1", "S1"]],
        "活动记录": [["日期", "工号", "活动类型", "学号"], ["2024-09-10", "T1", "谈心谈话", "S1"]],
    })


# --- --out equal to an input ---------------------------------------------------------------------
def test_out_equal_to_the_input_is_refused(book):
    before = book.read_bytes()
    nfd = book.with_name(unicodedata.normalize("NFD", "导师.XLSX"))
    for out in (book, book.with_name("导师.XLSX"), nfd, book.with_name("导师.bak.xlsx"),
                book.parent / "sub" / ".." / "导师.xlsx"):
        r = cli("compliance", book, "--term", TERM, "--out", out)
        assert r.returncode == 1 and "同一个文件" in r.stderr and "Traceback" not in r.stderr, (out, r.stderr)
    r = cli("assess", book, "--term", TERM, "--out", book)
    assert r.returncode == 1 and "同一个文件" in r.stderr
    assert book.read_bytes() == before and not book.with_name("导师.bak.xlsx").exists()


def test_ingest_out_or_report_equal_to_an_input_is_refused(book, tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    ret = inbox / "回执.xlsx"
    ret.write_bytes(b"PK\x03\x04 not really")
    for args in (("--out", ret), ("--out", book), ("--report", book), ("--report", ret)):
        r = cli("ingest", book, inbox / "回执.xlsx", *args)
        assert r.returncode == 1 and "同一个文件" in r.stderr, (args, r.stderr)
    assert ret.read_bytes() == b"PK\x03\x04 not really"


def test_same_path_compares_like_windows_and_macos(tmp_path):
    a = tmp_path / "Café.xlsx"
    assert same_path(a, tmp_path / unicodedata.normalize("NFD", "CAFÉ.xlsx"))
    assert not same_path(a, tmp_path / "Cafe.xlsx")


# --- docs never follow a planted link ------------------------------------------------------------
def test_docs_replace_a_planted_symlink_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "张老师-提醒.docx").symlink_to(victim)
    (out / "整改提醒.zip").symlink_to(victim)
    written = generate("reminder", [DocJob(sample("reminder"), "张老师-提醒")], out, zip_=True,
                       workers=1, progress=False)
    assert [p.name for p in written] == ["张老师-提醒.docx", "整改提醒.zip"]
    assert victim.read_text(encoding="utf-8") == "do not touch"
    assert not (out / "张老师-提醒.docx").is_symlink() and not (out / "整改提醒.zip").is_symlink()
    assert (out / "张老师-提醒.docx").read_bytes()[:2] == b"PK"


# --- collect names on case-insensitive, normalising file systems ---------------------------------
def test_collect_names_never_collide_by_case_or_normalisation(tmp_path):
    nfc, nfd = "Café学院", unicodedata.normalize("NFD", "Café学院")
    book = write_xlsx(tmp_path / "office.xlsx", {
        "设置": [["项目", "值"], ["制度", "bit-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], [TERM, "2024-09-02", "2025-01-12"]],
        "人员": [["工号", "姓名", "角色", "学院"], ["T1", "甲", "学育导师", "Physics"],
                 ["T2", "乙", "学育导师", "physics"], ["T3", "丙", "学育导师", nfc],
                 ["T4", "丁", "学育导师", nfd]],
        "指导关系": [["工号", "学号"], ["T1", "S1"]],
        "活动记录": [["日期", "工号", "活动类型", "学号"]],
    })
    res = collect(book, TERM, "学院", tmp_path / "out")
    assert len(res.files) == 4
    assert len({name_key(f.file.name) for f in res.files}) == 4
    for f in res.files:  # each file still carries its own recipient's stamp
        assert read_stamp(f.file.read_bytes(), f.file.name).recipient == f.recipient


# --- the formula guard -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, risky", [
    ("＝HYPERLINK(\"http://x\")", True), ("＠SUM(A1)", True), ("＋cmd|' /C calc'!A0", True),
    ("－1+1", True), ("＋86", False), ("－３", False), ("=1", True), ("-3", False), ("计算机学院", False),
])
def test_full_width_signs_are_formulas_too(text, risky):
    assert needs_quote(text) is risky


def test_every_cell_collect_writes_is_guarded(tmp_path):
    book = office_book(tmp_path / "office.xlsx", settings=[["单位名称", "＝HYPERLINK(\"http://evil\",\"点我\")"]])
    wb = openpyxl.load_workbook(book)
    wb["人员"].cell(2, 2).value = "=cmd|' /C calc'!A0"  # T001's 姓名, typed as text
    wb["人员"].cell(2, 2).data_type = "s"
    wb["人员"].cell(4, 4).value = "@数学学院"  # T003's 学院
    wb.save(book)
    res = collect(book, TERM, "学院", tmp_path / "out")
    files = {f.recipient: f.file for f in res.files}
    cs = openpyxl.load_workbook(files["计算机学院"])
    a1 = cs["说明"]["A1"]
    assert a1.value.startswith("＝HYPERLINK") and a1.quotePrefix
    names = {c.value: c for c in cs["字典"]["C"] if c.value}
    assert names["=cmd|' /C calc'!A0"].quotePrefix and not names["李二"].quotePrefix
    odd = openpyxl.load_workbook(files["@数学学院"])
    stamp_cells = {r[0].value: r[1] for r in odd[STAMP_SHEET].iter_rows(min_row=2)}
    assert stamp_cells["收集对象"].value == "@数学学院" and stamp_cells["收集对象"].quotePrefix
    assert not stamp_cells["学期"].quotePrefix


def test_button_status_message_is_guarded():
    from mentor_xl.xl import buttons as B
    from fake_book import FakeBook

    book = FakeBook.from_rows({"设置": [["项目", "值"]]})
    B.set_status(book, "出错", "=HYPERLINK(\"http://evil\")")
    assert B.control_sheet(book).range(B.MESSAGE_CELL).value == "'=HYPERLINK(\"http://evil\")"
