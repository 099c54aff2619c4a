"""No file can crash ``ingest`` or ``check``, no return can wipe, no office workbook is corrupted.

Every hostile file is made here from a genuine filled return (``hostile.py``), so it keeps
its stamp and only its damage decides: a value in XFD1048576, a zip that under-declares an
entry's size, a DTD after 64 KB of padding, an undefined entity, an .xls that makes the
native reader panic, a truncated file. Each is refused with a Chinese reason naming the
user's file, while the genuine 数学学院 return of the same run is merged; nothing reaches
the terminal but the summary. The counts are those of ``MATH`` (2 rows) and ``CS_ROWS``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hostile
from test_hostile_files import CS_ROWS, setup  # noqa: F401 (the collected office and two returns)
from test_ingest import MATH, key, mail, merged_rows
from mentor_xl.mail import ingest
from mentor_xl.mail.simulate import fill_return
from mentor_xl.problems import FatalInputError
from mentor_xl.workbook import limits

D = dt.date
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mentor_xl", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def ingest_cli(setup, name: str, data: bytes) -> tuple[subprocess.CompletedProcess, Path]:
    """``mentor-xl ingest`` in a real process with the hostile file and the genuine return."""
    d = setup["tmp"] / "in"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(data)
    out = setup["tmp"] / "merged.xlsx"
    proc = run_cli("ingest", setup["book"], d, setup["good"], "--out", out, cwd=setup["tmp"])
    return proc, out


def assert_clean(proc: subprocess.CompletedProcess) -> None:
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "panicked" not in text and "RUST_BACKTRACE" not in text, text


@pytest.mark.parametrize("variant,words", [
    ("far_cell", ["范围过大", "XFD1048576"]),
    ("under_declared", ["疑似压缩炸弹"]),
    ("dtd_after_padding", ["DTD"]),
    ("truncated", ["损坏"]),
])
def test_hostile_return_is_refused_and_the_run_goes_on(setup, variant, words):
    data = getattr(hostile, variant)(setup["cs"].read_bytes())
    proc, out = ingest_cli(setup, "回执.xlsx", data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_clean(proc)
    [line] = [ln for ln in proc.stdout.splitlines() if "回执.xlsx" in ln]
    assert "拒收" in line and all(w in line for w in words), line
    assert "in/回执.xlsx" in line and ".tmp" not in line and "0000" not in line  # the user's name, not ours
    assert "已合并 1 份" in proc.stdout
    assert merged_rows(out) == sorted(map(key, MATH))


def test_under_declared_size_is_measured_not_read_from_the_header(setup):
    """The header says 20 KB (CRC matching); the bytes really inflated decide."""
    import zipfile
    from mentor_xl.workbook.limits import check_workbook_file
    path = setup["tmp"] / "小.xlsx"
    path.write_bytes(hostile.under_declared(setup["cs"].read_bytes()))
    with zipfile.ZipFile(path) as z:
        assert z.getinfo(hostile.log_part(setup["cs"].read_bytes())).file_size == 20_000
    with pytest.raises(FatalInputError, match="解压后超过 64 MB（按实际解压的字节计）"):
        check_workbook_file(path, max_uncompressed=64 * 1024 ** 2, max_ratio=10 ** 6)


def test_size_limit_reads_as_people_say_it():
    from mentor_xl.workbook.limits import size_text
    assert [size_text(64 * 1024 ** 2), size_text(2 * 1024 ** 3), size_text(1536 * 1024 ** 2)] == ["64 MB", "2 GB", "1.5 GB"]


@pytest.mark.libreoffice
def test_xls_that_makes_the_reader_panic(setup):
    from mentor_xl.libreoffice import convert
    src = hostile.with_formula(setup["cs"], setup["tmp"] / "公式.xlsx")
    [xls] = convert([src], "xls", setup["tmp"] / "lo")
    data = hostile.panicking_xls(xls.read_bytes())
    proc, out = ingest_cli(setup, "旧格式.xls", data)
    assert proc.returncode == 0 and "已合并 1 份" in proc.stdout
    assert_clean(proc)
    [line] = [ln for ln in proc.stdout.splitlines() if "旧格式.xls" in ln]
    assert "拒收" in line and "无法处理的内容" in line
    assert merged_rows(out) == sorted(map(key, MATH))
    # ``check`` on the same file: a Chinese reason, exit 1, no traceback or panic text
    bad = setup["tmp"] / "办公室.xls"
    bad.write_bytes(data)
    proc = run_cli("check", bad, "--policy", "bit-2022", cwd=setup["tmp"])
    assert proc.returncode == 1 and "无法处理的内容" in proc.stderr + proc.stdout
    assert_clean(proc)


@pytest.mark.parametrize("ref", ["XFD1048576", "XFD5000"])
def test_check_refuses_a_far_cell_before_reading(setup, ref):
    wb = openpyxl.load_workbook(setup["book"])
    wb["活动记录"][ref] = "远处的一个值"
    far = setup["tmp"] / "远.xlsx"
    wb.save(far)
    proc = run_cli("check", far, cwd=setup["tmp"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert_clean(proc)
    assert f"到 {ref} 单元格" in proc.stderr and "“活动记录”范围过大" in proc.stderr


def test_timeout_and_memory_limit_refuse_one_file(setup, monkeypatch):
    """The child's limits: a read over time, or over memory, refuses that file only."""
    from mentor_xl.mail import isolated
    d = setup["tmp"] / "in"
    d.mkdir()
    (d / "回执.xlsx").write_bytes(setup["cs"].read_bytes())
    monkeypatch.setattr(isolated, "TIMEOUT_S", 0.0005)  # no read of a workbook is that fast
    res = ingest(setup["book"], [d], dry_run=True)
    [f] = res.files
    assert f.status == "refused" and "读取超时" in f.reason and "in/回执.xlsx" in f.reason
    monkeypatch.setattr(isolated, "TIMEOUT_S", 120)
    monkeypatch.setattr(isolated, "MEMORY_BYTES", 64 * 1024 ** 2)  # not even the interpreter fits
    [f] = ingest(setup["book"], [d], dry_run=True).files
    assert f.status == "refused" and ("内存超过上限（64 MB）" in f.reason or "读取程序异常终止" in f.reason), f.reason


def test_unreadable_later_return_wipes_nothing(setup):
    """An undefined entity makes the 活动记录 unreadable: the later return is refused, the
    rows of the earlier one stay."""
    tmp = setup["tmp"]
    mail(tmp / "in" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院.xlsx", setup["cs"].read_bytes())])
    r1 = ingest(setup["book"], [tmp / "in"], out=tmp / "step1.xlsx")
    assert r1.rows_merged == 2
    mail(tmp / "in2" / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("更正.xlsx", hostile.undefined_entity(setup["cs"].read_bytes()))])
    r2 = ingest(tmp / "step1.xlsx", [tmp / "in2"], out=tmp / "step2.xlsx")
    [f] = r2.files
    assert f.status == "refused" and "活动记录无法读取" in f.reason and "保持不变" in f.reason
    assert r2.rows_removed == 0 and merged_rows(tmp / "step2.xlsx") == sorted(map(key, CS_ROWS))


def test_correction_with_only_rejected_rows_wipes_nothing(setup):
    tmp = setup["tmp"]
    mail(tmp / "in" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院.xlsx", setup["cs"].read_bytes())])
    ingest(setup["book"], [tmp / "in"], out=tmp / "step1.xlsx")
    wrong = [{"日期": D(2024, 10, 9), "工号": "T001", "活动类型": "打球"},
             {"日期": D(2025, 3, 1), "工号": "T002", "活动类型": "午餐会"}]
    bad = fill_return(setup["sent"]["计算机学院"], wrong, tmp / "bad.xlsx")
    mail(tmp / "in2" / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("更正.xlsx", bad.read_bytes())])
    r2 = ingest(tmp / "step1.xlsx", [tmp / "in2"], out=tmp / "step2.xlsx")
    [f] = r2.files
    assert f.status == "refused" and "2 行全部有问题" in f.reason and "打球" in f.reason
    assert merged_rows(tmp / "step2.xlsx") == sorted(map(key, CS_ROWS))


def test_correction_names_the_rows_it_removed(setup):
    tmp = setup["tmp"]
    mail(tmp / "in" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院.xlsx", setup["cs"].read_bytes())])
    ingest(setup["book"], [tmp / "in"], out=tmp / "step1.xlsx")
    fixed = fill_return(setup["sent"]["计算机学院"], CS_ROWS[:1], tmp / "fixed.xlsx")
    mail(tmp / "in2" / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("更正.xlsx", fixed.read_bytes())])
    r2 = ingest(tmp / "step1.xlsx", [tmp / "in2"], out=tmp / "step2.xlsx", report=tmp / "报告.xlsx")
    [f] = r2.files
    assert (f.status, f.rows_added, f.rows_removed) == ("accepted", 0, 1)
    [w] = [p for p in f.warnings if p.category == "更正删除"]
    assert w.row == 4 and "2024-10-08 T002 午餐会" in w.message and "in2/b.eml → 更正.xlsx" in w.message
    hints = [r[4] for r in openpyxl.load_workbook(tmp / "报告.xlsx")["提示"].iter_rows(min_row=2, values_only=True)]
    assert w.message in hints


def test_refused_file_is_merged_after_the_office_fixes_its_book(setup):
    """The ledger keys what was merged: refused once (its college not in 人员), the same
    bytes are merged after the office adds the person."""
    tmp = setup["tmp"]

    def college(path: Path, old: str, new: str) -> None:
        wb = openpyxl.load_workbook(path)
        for row in wb["人员"].iter_rows(min_row=2):
            if row[3].value == old:
                row[3].value = new
        wb.save(path)

    college(setup["book"], "数学学院", "理学院")
    (tmp / "in").mkdir()
    (tmp / "in" / "数学.xlsx").write_bytes(setup["good"].read_bytes())
    r1 = ingest(setup["book"], [tmp / "in"], out=tmp / "step1.xlsx")
    [f] = r1.files
    assert f.status == "refused" and "不在本工作簿的人员表中" in f.reason
    ledger = list(openpyxl.load_workbook(tmp / "step1.xlsx")["收件记录"].iter_rows(min_row=2, values_only=True))
    assert [r[8] for r in ledger] == ["拒收"]  # seen and recorded, but not merged
    college(tmp / "step1.xlsx", "理学院", "数学学院")
    r2 = ingest(tmp / "step1.xlsx", [tmp / "in"], out=tmp / "step2.xlsx")
    [f] = r2.files
    assert f.status == "accepted" and r2.rows_merged == 2
    assert merged_rows(tmp / "step2.xlsx") == sorted(map(key, MATH))


def test_in_place_with_nothing_valid_leaves_the_office_book_byte_identical(setup):
    tmp = setup["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "炸弹.xlsx").write_bytes(hostile.far_cell(setup["cs"].read_bytes()))
    (tmp / "in" / "空.xlsx").write_bytes(setup["sent"]["计算机学院"].read_bytes())
    before = hashlib.sha256(setup["book"].read_bytes()).hexdigest()
    res = ingest(setup["book"], [tmp / "in"], in_place=True)
    assert [f.status for f in res.files] == ["refused", "refused"] and res.book is None
    assert hashlib.sha256(setup["book"].read_bytes()).hexdigest() == before
    assert not (tmp / "office.bak.xlsx").exists()


def test_latest_is_one_rule_for_files_and_mail(setup):
    """Plain files are ordered by their time like mail by its Date; the report says which."""
    tmp = setup["tmp"]
    d = tmp / "in"
    d.mkdir()
    v1 = fill_return(setup["sent"]["计算机学院"], CS_ROWS, d / "b-第一版.xlsx")
    v2 = fill_return(setup["sent"]["计算机学院"], CS_ROWS[:1], d / "a-更正版.xlsx")
    os.utime(v1, (1_730_000_000, 1_730_000_000))  # 2024-10-27
    os.utime(v2, (1_731_000_000, 1_731_000_000))  # 2024-11-07: later, though scanned first
    res = ingest(setup["book"], [d], dry_run=True)
    by = {f.name: f for f in res.files}
    assert by["a-更正版.xlsx"].status == "accepted" and by["b-第一版.xlsx"].status == "superseded"
    assert "文件时间 2024-11-08 01:20" in by["b-第一版.xlsx"].reason
    assert by["a-更正版.xlsx"].to_json()["date_basis"] == "文件时间"


def _log_with(setup, name: str, rows: bytes, *, first: bytes = b"") -> Path:
    """The collected return with raw row XML added to its 活动记录 (``hostile.add_rows``), saved as ``name``."""
    path = setup["tmp"] / name
    path.write_bytes(hostile.add_rows(setup["cs"].read_bytes(), rows, first=first))
    return path


@pytest.mark.parametrize("ref", ["XFD1048576", "AB2000000", "XFD30"])
def test_sheet_scan_finds_far_cells_across_chunks(setup, monkeypatch, ref):
    """The fast pass reads the log in chunks (made small here, so that tags are cut at chunk
    ends): a far cell anywhere is found, and the genuine book still passes."""
    monkeypatch.setattr(limits, "CHUNK", 512)
    assert limits.check_workbook_file(setup["book"]) == "xlsx"  # the genuine book passes
    far = setup["tmp"] / "远.xlsx"
    far.write_bytes(hostile.far_cell(setup["cs"].read_bytes(), ref))
    with pytest.raises(FatalInputError, match=f"到 {ref} 单元格"):
        limits.check_workbook_file(far, max_cells=100_000)


def test_rows_out_of_order_with_a_far_column_are_counted_cell_by_cell(setup):
    """A crafted sheet whose last row tag is small, with one row far down early in the part and
    one far column: the fast pass cannot see every row, so the part is scanned cell by cell."""
    early = b'<row r="900000"><c r="A900000" t="inlineStr"><is><t>x</t></is></c></row>'
    late = b'<row r="3"><c r="AZ3" t="inlineStr"><is><t>y</t></is></c></row>'
    bad = _log_with(setup, "乱序.xlsx", late, first=early)
    with pytest.raises(FatalInputError, match="到 AZ900000 单元格，约 46,800,000 个单元格"):
        limits.check_workbook_file(bad)


def test_a_reference_after_a_line_break_is_still_seen(setup):
    cell = b'<row\nr="30"><c\nr="XFD30" t="inlineStr"><is><t>x</t></is></c></row>'
    bad = _log_with(setup, "换行.xlsx", cell)
    with pytest.raises(FatalInputError, match="到 XFD30 单元格"):
        limits.check_workbook_file(bad, max_cells=100_000)


def test_a_padded_reference_cut_by_a_chunk_end_is_read_whole(setup, monkeypatch):
    """A far reference with hundreds of zeros in front of its row, starting just before a chunk
    ends: the tag it stands in is carried into the next chunk, however long."""
    monkeypatch.setattr(limits, "CHUNK", 512)
    cell = b'<row r="40"><c r="XFD' + b"0" * 3000 + b'1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    bad = _log_with(setup, "补零.xlsx", cell)
    with pytest.raises(FatalInputError, match="到 XFD1048576 单元格"):
        limits.check_workbook_file(bad)


@pytest.mark.parametrize("cell", [
    b'<c r="xfd1048576" t="inlineStr">',   # lower case
    b"<c r='XFD1048576' t=\"inlineStr\">",  # single quotes
    b'<c r = "XFD1048576" t="inlineStr">',  # spaces around =
    b'<c r="AAAA900000" t="inlineStr">',    # four letters: column 18,279
])
def test_references_in_every_form_the_native_reader_accepts(setup, cell):
    row = b'<row r="41">' + cell + b'<is><t>x</t></is></c></row>'
    bad = _log_with(setup, "写法.xlsx", row)
    with pytest.raises(FatalInputError, match="范围过大"):
        limits.check_workbook_file(bad)


def test_text_that_looks_like_a_reference_is_text(setup):
    """A cell whose text holds color="XFD1" or r="XFD1048576" (pasted HTML, a formula written
    out) is data, not a reference: the genuine workbook is not refused."""
    row = (b'<row r="41"><c r="A41" t="inlineStr"><is><t>&lt;td color="XFD1"&gt; r="XFD1048576"</t></is></c>'
           b'<c r="B41" t="inlineStr"><is><t>color="XFD1"</t></is></c></row>')
    ok = _log_with(setup, "文本.xlsx", row)
    assert limits.check_workbook_file(ok) == "xlsx"


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_cells_without_references_are_placed_as_the_reader_places_them(setup, prefix):
    """A cell with no r= goes in the column after the previous one: 16,384 of them in a row
    reach XFD, however plain each one looks (with a namespace prefix too, which calamine reads)."""
    c = b"<" + prefix + b"c"
    row = (b"<" + prefix + b'row r="1048576">' + (c + b"/>") * 16383 + c + b' t="inlineStr"><is><t>x</t></is></'
           + prefix + b"c></" + prefix + b"row>")
    bad = _log_with(setup, "无引用.xlsx", row)
    with pytest.raises(FatalInputError, match="到 XFD1048576 单元格"):
        limits.check_workbook_file(bad)


def test_a_dimension_with_thousands_of_digits_is_refused_in_words(setup):
    """Python refuses to turn over 4,300 digits into a number: the check reads such a row as absurd."""
    import re
    data = hostile._edit_log(setup["cs"].read_bytes(), lambda xml: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C' + b"9" * 5000 + b'"', xml, count=1))
    bad = setup["tmp"] / "维度.xlsx"
    bad.write_bytes(data)
    with pytest.raises(FatalInputError, match="范围过大"):
        limits.check_workbook_file(bad)


def test_naming_the_refused_sheet_reads_only_the_head_of_an_unchecked_workbook_part(setup):
    """A far cell, and xl/workbook.xml stored after the log with 64 MB of padding (not yet checked
    when the log is refused): the sheet is named from the part's first MB, not from all of it."""
    import io
    import tracemalloc
    import zipfile

    data = hostile.far_cell(setup["cs"].read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/workbook.xml":
                zout.writestr(info.filename, zin.read(info.filename))
        wb = zin.read("xl/workbook.xml")
        zout.writestr("xl/workbook.xml", wb.replace(b"</workbook>", b"<!--" + b" " * 64 * 1024 ** 2 + b"--></workbook>"))
    bad = setup["tmp"] / "长目录.xlsx"
    bad.write_bytes(out.getvalue())
    del out, wb
    tracemalloc.start()
    try:
        with pytest.raises(FatalInputError, match="工作表“活动记录”范围过大"):
            limits.check_workbook_file(bad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 ** 2, peak


def test_a_wide_row_of_far_references_is_taken_whole(setup):
    """Over ``_VERIFY`` far references in one chunk (a wide sheet's columns beyond Z) are all
    taken without checking each: the farthest among them still decides."""
    from mentor_xl.workbook.limits import _VERIFY, column_name
    cells = b"".join(b'<c r="%s1048576"/>' % column_name(27 + i).encode() for i in range(_VERIFY + 500))
    bad = _log_with(setup, "宽行.xlsx", b'<row r="1048576">' + cells + b'<c r="XFD1048576" t="inlineStr">'
                    b"<is><t>x</t></is></c></row>")
    with pytest.raises(FatalInputError, match="到 XFD1048576 单元格"):
        limits.check_workbook_file(bad)


def test_a_tag_longer_than_any_writer_makes_is_refused(setup):
    """A start tag still open ``MAX_TAG`` bytes after its "<" at a chunk's end (it would be carried
    from chunk to chunk whole) is refused in words."""
    noise = os.urandom(limits.MAX_TAG * 3 // 2).hex().encode()  # 3 chunks; no compression: no ratio refusal first
    row = b'<row r="41"><c r="A41" x="' + noise + b'" t="inlineStr"><is><t>x</t></is></c></row>'
    bad = _log_with(setup, "长标记.xlsx", row)
    with pytest.raises(FatalInputError, match="超长的 XML 标记"):
        limits.check_workbook_file(bad)


def test_sheet_names_of_a_zip_with_a_name_not_in_utf8_is_nothing_not_an_error(tmp_path):
    """A part name flagged UTF-8 that is not: the early look at the sheet names gives up quietly
    (the check then refuses the file in words)."""
    import io
    import zipfile

    from mentor_xl.workbook.limits import check_workbook_file, sheet_names

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="活动记录" sheetId="1"/></sheets></workbook>')
        z.writestr("xl/é.xml", "x")
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(buf.getvalue().replace("é".encode(), b"\xff\xfe"))
    assert sheet_names(bad) == []
    with pytest.raises(FatalInputError, match="不是 Excel 工作簿"):
        check_workbook_file(bad)


# the tokens a sheet's part is made of, and the ones a crafted part would use to hide a far cell
_TOKENS = [b'<c r="A1">', b'<c r="AB12">', b'<row r="1234567">', b'r="', b'r="ZZ', b'r="0001234567"', b'r="a1234567',
           b'r="aaaa9', b' ', b'<', b'>', b'c', b'<c', b':c', b'<c/>', b'<c>', b'<c\t', b'<c\n r="', b'<x:c ', b' r="',
           b'"', b'=', b'r', b'0', b'1', b'7', b'x', b'<v>1</v>', b'</c>', b'\r', b'\x0b', b'/', b'r="AB', b'1234567']


def _regex_far(buf: bytes) -> list:
    """``_Scan._far`` as the regex alone finds the references (what it did before numpy)."""
    found = limits._FAR_REF.findall(buf)
    if found and len(found) <= limits._VERIFY:
        found = [m.groups() for m in limits._FAR_REF.finditer(buf) if limits._in_tag(buf, m.start())]
    return found


def _scan_far(buf: bytes) -> list:
    taken = []
    scan = limits._Scan.__new__(limits._Scan)
    scan._take = taken.extend
    scan._far(buf)
    return taken


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS) | st.binary(max_size=12), max_size=40))
def test_numpy_search_finds_what_the_regexes_find(parts):
    """The scan narrows down by numpy where its regexes are to look: never a far reference or a
    cell without one that the regex over the whole chunk would have found, nor any other."""
    buf = b"".join(parts)
    assert _scan_far(buf) == _regex_far(buf)
    assert limits._odd_cell(buf) == (limits._ODD_CELL.search(buf) is not None)


def test_numpy_search_leaves_many_to_the_regex():
    """A wide sheet (every cell beyond Z) or a sheet of cells without references: past ``_FEW``
    places the regex takes the whole chunk, with the same answer."""
    wide = b"".join(b'<c r="AB%d"><v>1</v></c>' % i for i in range(limits._FEW + 10))
    assert limits._far_candidates(wide) is None
    assert _scan_far(wide) == _regex_far(wide) and len(_regex_far(wide)) == limits._FEW + 10
    bare = b"<c><v>1</v></c>" * (limits._FEW + 10)
    assert limits._odd_cell(bare)
