"""The result sheets the Excel buttons write print as the command line's results workbooks do.

Excel's PageSetup is reachable only from inside Excel, so the settings are the workbook's own
macro (``macros/mentor_xl_print.bas``). Here that macro runs in LibreOffice's VBA runtime on
sheets the buttons wrote (the FakeBook, saved), and the Python side that calls it is tested with
``xw.Book.caller()`` patched, as in test_xl_buttons. LibreOffice's VBA ignores PrintTitleRows
and PrintGridlines (no-ops in its PageSetup) and prints header codes as typed, so those three
are checked in the source only.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import xlwings as xw

from fake_book import FakeBook
from mentor_xl import libreoffice as lo
from mentor_xl.xl import build as Bd
from mentor_xl.xl import buttons as B

PRINT_BAS = Bd.MACROS / "mentor_xl_print.bas"
# the office keeps a 合规汇总 of its own (test below): the button's goes to 合规汇总(结果)
RESULT_SHEETS = ("合规汇总(结果)", "人员汇总", "合规明细", "数据问题", "考核结果")
OFFICE_SHEETS = ("合规汇总", "公式表", "抄录")


def _chrw(expr: str) -> str:
    """A VBA string expression of ChrW(&Hxxxx) and "literals" joined by &, evaluated."""
    parts = re.findall(r'ChrW\(&H([0-9A-F]+)\)|"((?:[^"]|"")*)"', expr)
    return "".join(chr(int(h, 16)) if h else lit.replace('""', '"') for h, lit in parts)


def _function(name: str) -> str:
    src = PRINT_BAS.read_text(encoding="ascii")
    (body,) = re.findall(rf"^Public Function {name}\(\) As String\n\s*{name} = (.*?)\n", src, re.M)
    return _chrw(body)


def test_the_macro_finds_the_buttons_marker_and_prints_the_page_numbers_of_the_results():
    from mentor_xl.workbook.xlsx import FOOTER, MARGINS_IN

    assert _function("ResultMarker") == B.MARKER
    assert _function("PageNumbers") == FOOTER  # as every results workbook's page_setup
    src = PRINT_BAS.read_text(encoding="ascii")  # ASCII-only, as every module
    margins = {side.lower(): float(pt) for side, pt in re.findall(r"\.(Left|Right|Top|Bottom)Margin = ([\d.]+)", src)}
    assert margins == {side: round(inches * 72, 2) for side, inches in MARGINS_IN.items()}  # points
    for setting in ('.PrintTitleRows = "$1:$2"', ".PrintGridlines = True", '.CenterHeader = "&A"',
                    ".Orientation = 2", ".PaperSize = 9", ".FitToPagesWide = 1", ".FitToPagesTall = False"):
        assert setting in src, setting
    assert "mentor_xl_print" in Bd.macro_sources()  # built into every .xlsm


def test_every_button_that_writes_sheets_sets_them_up_for_printing_on_windows():
    src = Bd.macro_sources()["mentor_xl_buttons"]
    for b in Bd.macro_buttons():
        body = re.search(rf"^Sub {b.sub}\(\)\n(.*?)^End Sub", src, re.M | re.S).group(1)
        if not b.command:  # 导入公式 writes no sheet
            assert "MentorPrintResults" not in body
            continue
        # after RunPython, which on Windows returns once Python is done; on macOS it returns at once
        assert re.search(r"RunPython .*\n\s*#If Not Mac Then\n\s*MentorPrintResults\n\s*#End If\n$", body), b.sub


class _Recorder:
    def __init__(self, book, fail: bool = False):
        self.book, self.fail, self.calls = book, fail, []

    def __call__(self, name):
        def run():
            # the macro runs on what the button wrote: its sheets are there by then
            self.calls.append((name, [s.name for s in self.book.sheets]))
            if self.fail:
                raise RuntimeError("Excel: PageSetup refused (no printer)")
        return run


@pytest.mark.parametrize("platform,runs", [("darwin", True), ("win32", False), ("linux", False)])
def test_main_runs_the_print_macro_itself_only_on_macos(platform, runs, tmp_path, monkeypatch):
    path = Bd.build_macro_workbook(tmp_path / "导师工作.xlsm", "bit-2022")
    book = FakeBook.from_xlsx(path)
    book.macro = rec = _Recorder(book)
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    monkeypatch.setattr(B.sys, "platform", platform)
    B.main("compliance")
    assert B.control_sheet(book).range(B.STATUS_CELL).value == "完成"
    if runs:
        ((name, sheets),) = rec.calls
        assert name == B.PRINT_MACRO and {"合规汇总", "合规明细", "数据问题"} <= set(sheets)
    else:
        assert rec.calls == []


def test_a_refused_or_missing_print_macro_never_fails_a_button(tmp_path, monkeypatch):
    path = Bd.build_macro_workbook(tmp_path / "导师工作.xlsm", "bit-2022")
    book = FakeBook.from_xlsx(path)
    book.macro = _Recorder(book, fail=True)
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    monkeypatch.setattr(B.sys, "platform", "darwin")
    message = B.main("check")
    assert B.control_sheet(book).range(B.STATUS_CELL).value == "完成" and "出错" not in message
    del book.macro  # xlwings Lite's book has no macros
    B.print_results(book)


def _uno_python() -> str | None:
    """The system python3 that has LibreOffice's UNO bridge (Debian: python3-uno)."""
    for exe in ("/usr/bin/python3", shutil.which("python3")):
        if exe and Path(exe).is_file() and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or _uno_python() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice、python3-uno 或 poppler 未安装")
def test_result_sheets_of_the_buttons_print_landscape_one_page_wide(tmp_path, monkeypatch):
    """The buttons' 合规 and 考核 sheets, after the macro: A4 landscape, one page wide (their last
    column on the page of their first), centred, the results' margins; the office's sheets as
    they were — among them a 合规汇总 of its own (a merged title above its table), which the
    button wrote beside, as 合规汇总(结果)."""
    path = Bd.build_macro_workbook(tmp_path / "导师工作.xlsm", "bit-2022")
    book = FakeBook.from_xlsx(path)
    own = book.sheets.add("合规汇总", after=book.sheets[len(book.sheets) - 1])
    own.range("A1").value = [["2024年秋季学期导师工作汇总（本院自制）", None, None], ["工号", "姓名", "谈话次数"],
                             ["T0001", "张老师", 3.0]]
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    for button in ("compliance", "assess"):
        B.main(button)
        assert B.control_sheet(book).range(B.STATUS_CELL).value == "完成", button
    saved = book.save_xlsx(tmp_path / "按钮结果.xlsx")
    # two sheets of the office's that the marker test must leave alone: an error in A1 (in Excel
    # CStr of #N/A raises, and under Resume Next an error in an If's condition runs its body;
    # LibreOffice's CStr does not raise, so here it guards the marker test's result only) and the
    # marker's words not first
    import openpyxl

    wb = openpyxl.load_workbook(saved)
    wb["合规汇总"].merge_cells("A1:C1")
    wb.create_sheet("公式表").append(["=NA()", "2024-09-01", "很长的一段文字" * 20])
    wb.create_sheet("抄录").append([f"抄自{B.MARKER}合规汇总", "2024-09-01", "很长的一段文字" * 20])
    wb.save(saved)
    pdf = tmp_path / "按钮结果.pdf"
    done = subprocess.run([_uno_python(), str(Path(__file__).with_name("lo_vba.py")), lo.find_soffice(), str(saved),
                           str(PRINT_BAS), "MentorPrintResults", str(pdf)], capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    pages = json.loads(done.stdout.strip().splitlines()[-1])
    for name, page in pages.items():
        if name in RESULT_SHEETS:
            assert page["landscape"] and abs(page["width"] - 29700) < 20 and abs(page["height"] - 21000) < 20, name
            assert (page["pages_wide"], page["pages_tall"], page["centred"]) == (1, 0, True), name
            assert abs(page["left"] - 1016) < 5 and abs(page["top"] - 1905) < 5, name  # 28.8 pt, 54 pt
        else:  # 操作, 人员, 活动记录 …: not ours, not touched
            assert not page["landscape"] and page["pages_wide"] == 0, name
    assert set(RESULT_SHEETS) | set(OFFICE_SHEETS) <= set(pages)
    for name in OFFICE_SHEETS:  # their columns left as they were: none fitted
        assert len(set(pages[name]["widths"])) == 1, (name, pages[name]["widths"])
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for name in RESULT_SHEETS:
        header = _header_row(book, name)
        lines = [ln for ln in text.splitlines() if ln.split()[:1] == [header[0]] and header[-1] in ln]
        assert lines, (name, header)  # the whole header row on one printed line: one page wide
    # columns fitted: no date or number printed as ### on the results' (landscape) pages; the
    # sheets as the buttons wrote them showed dates so, and the office's (portrait) pages still do
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    wide = {int(n) for n, w, h in re.findall(r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", info) if float(w) > float(h)}
    pages_text = text.split("\f")
    assert len(wide) >= len(RESULT_SHEETS) and not any("###" in pages_text[n - 1] for n in wide)


def _header_row(book, name: str) -> list[str]:
    row = book.sheets[name].range("A2:Z2").value
    return [str(c) for c in row if c not in (None, "")]
