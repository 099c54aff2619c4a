"""Packing workbooks into their zip (workbook/xlsx_package.py): parts deflated in parallel
chunks, big parts at a fast zlib level, shared strings written in one join — and the file's
contents exactly what XlsxWriter's own close() writes."""
import io
from csv import reader
import os
import threading
import zipfile

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
import xlsxwriter

from mentor_xl import libreoffice as lo
from mentor_xl.workbook import xlsx_package as pkg
from mentor_xl.workbook.xlsx import new_workbook

# Strings the shared-string writer must treat as XlsxWriter does: escapes, control
# characters, its _xHHHH_ escape written literally, edge whitespace (ASCII and the
# ideographic space), and plain CJK.
TRICKY = ["学院 & 书院", "a<b>c", "_x0041_", "制表\t符", "换\n行", "响铃\x07", " 前空格", "后空格 ",
          "\u3000全角空格", "<r>", '引号"', "=SUM(A1)", "数学2401", "", "平常文字"]


def fill(wb, rows: int) -> None:
    """The same calls on any workbook: a constant_memory sheet of ``rows`` rows, texts repeated."""
    ws = wb.add_worksheet("数据")
    ws.write_row(0, 0, ["编号", "说明", "数值", "备注"])
    for i in range(1, rows + 1):
        ws.write_string(i, 0, f"S{i:07d}")
        ws.write_string(i, 1, TRICKY[i % len(TRICKY)] or "空")
        ws.write_number(i, 2, i * 0.25)
        ws.write_string(i, 3, f"第{i % 97}组")
    wb.add_worksheet("空表")


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every CRC checks
        return {i.filename: z.read(i) for i in z.infolist()}


def same_as_xlsxwriter(ours, theirs) -> None:
    a, b = parts(ours), parts(theirs)
    assert list(a) == list(b)  # same parts, same order
    for name in a:
        if name != "docProps/core.xml":  # creation time
            assert a[name] == b[name], name


@pytest.mark.parametrize("constant_memory", [True, False])
def test_parts_are_xlsxwriters_byte_for_byte(tmp_path, monkeypatch, constant_memory):
    monkeypatch.setattr(pkg, "CHUNK", 64 << 10)  # a big part in many chunks
    monkeypatch.setattr(pkg, "BIG_PART", 256 << 10)
    # row files here: XlsxWriter's own leaves its empty sheet's behind
    opts = {"constant_memory": constant_memory, "tmpdir": str(tmp_path)}
    ours = pkg.FastWorkbook(str(tmp_path / "ours.xlsx"), opts)
    theirs = xlsxwriter.Workbook(str(tmp_path / "theirs.xlsx"), opts)
    for wb in (ours, theirs):
        fill(wb, 6000)
        wb.close()
    same_as_xlsxwriter(tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx")
    with zipfile.ZipFile(tmp_path / "ours.xlsx") as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 4 * pkg.CHUNK  # deflated as several streams, joined
        assert sheet.compress_type == zipfile.ZIP_DEFLATED
    ws = openpyxl.load_workbook(tmp_path / "ours.xlsx")["数据"]
    assert [c.value for c in ws[2]] == ["S0000001", "a<b>c", 0.25, "第1组"]
    assert ws.cell(9, 2).value == "\u3000全角空格" and ws.cell(7, 2).value == " 前空格"
    assert ws.max_row == 6001


def test_text_shaped_like_rich_markup_stays_text(tmp_path):
    """XlsxWriter writes a shared string "<r>…</r>" as raw XML (its rich-string storage): a
    typed 内容 could inject markup. Here it is escaped text like any other."""
    hostile = "<r><t>伪造</t></r>"
    escaped = "<t>&lt;r&gt;&lt;t&gt;伪造&lt;/t&gt;&lt;/r&gt;</t>".encode()
    for name, constant_memory in (("f.xlsx", False), ("c.xlsx", True)):  # shared, inline
        wb = pkg.FastWorkbook(str(tmp_path / name), {"constant_memory": constant_memory})
        wb.add_worksheet("表").write_string(0, 0, hostile)
        wb.close()
        written = parts(tmp_path / name)
        xml = written["xl/sharedStrings.xml"] if not constant_memory else written["xl/worksheets/sheet1.xml"]
        assert (b"<si>" if not constant_memory else b"<is>") + escaped in xml
        assert openpyxl.load_workbook(tmp_path / name)["表"]["A1"].value == hostile


def test_big_parts_use_the_fast_level_and_small_ones_the_default(tmp_path, monkeypatch):
    monkeypatch.setattr(pkg, "BIG_PART", 256 << 10)
    seen = []
    real = pkg._deflate
    monkeypatch.setattr(pkg, "_deflate", lambda data, level, last: (seen.append((len(data), level)), real(data, level, last))[1])
    wb = pkg.FastWorkbook(str(tmp_path / "f.xlsx"), {"constant_memory": True})
    fill(wb, 6000)
    wb.close()
    levels = {level for n, level in seen}
    assert levels == {pkg.FAST_LEVEL, -1}  # -1: zlib's default, for the small parts
    assert all(level == -1 for n, level in seen if n < 1000)


def test_temporary_files_are_removed(tmp_path):
    left = []
    for name, cls in (("f.xlsx", pkg.FastWorkbook), ("x.xlsx", xlsxwriter.Workbook)):
        tmp = tmp_path / f"tmp-{name}"
        tmp.mkdir()
        wb = cls(str(tmp_path / name), {"constant_memory": True, "tmpdir": str(tmp)})
        fill(wb, 50)
        wb.close()
        left.append(len(os.listdir(tmp)))
    # XlsxWriter itself leaves the empty sheet's row file (a 数据问题 with no problems): one file
    # in the temporary folder per workbook; ours removes it
    assert left[0] == 0 and left[1] <= 1
    assert openpyxl.load_workbook(tmp_path / "f.xlsx")["数据"]["A51"].value == "S0000050"


def test_in_memory_and_a_file_object(tmp_path):
    buf = io.BytesIO()
    wb = pkg.FastWorkbook(buf, {"in_memory": True})
    fill(wb, 30)
    wb.close()
    (tmp_path / "m.xlsx").write_bytes(buf.getvalue())
    theirs = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"in_memory": True})
    fill(theirs, 30)
    theirs.close()
    same_as_xlsxwriter(tmp_path / "m.xlsx", tmp_path / "t.xlsx")


class NoSeek(io.RawIOBase):
    """A write-only stream (a pipe, a socket): no seeking back to the local headers."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def test_a_target_that_cannot_seek_gets_xlsxwriters_zip(tmp_path):
    out = NoSeek()
    wb = pkg.FastWorkbook(out, {"in_memory": True})
    fill(wb, 30)
    wb.close()
    (tmp_path / "n.xlsx").write_bytes(bytes(out.data))
    assert openpyxl.load_workbook(tmp_path / "n.xlsx")["数据"]["B3"].value == "_x0041_"


def test_new_workbook_packs_with_the_fast_packager(tmp_path):
    wb = new_workbook(tmp_path / "f.xlsx", constant_memory=True)
    assert isinstance(wb, pkg.FastWorkbook)
    fill(wb, 10)
    wb.close()
    assert openpyxl.load_workbook(tmp_path / "f.xlsx")["数据"]["C11"].value == 2.5


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


@needs_soffice
def test_libreoffice_reads_the_chunked_zip(tmp_path, monkeypatch):
    monkeypatch.setattr(pkg, "CHUNK", 64 << 10)
    monkeypatch.setattr(pkg, "BIG_PART", 256 << 10)
    wb = pkg.FastWorkbook(str(tmp_path / "f.xlsx"), {"constant_memory": True})
    fill(wb, 6000)
    wb.close()
    [csv] = lo.convert([tmp_path / "f.xlsx"], "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo")
    with open(csv, encoding="utf-8", newline="") as fh:
        rows = list(reader(fh))
    assert len(rows) == 6001 and rows[0] == ["编号", "说明", "数值", "备注"]
    assert rows[2] == ["S0000002", "_x0041_", "0.5", "第2组"]
    assert rows[4] == ["S0000004", "换\n行", "1", "第4组"]
    assert rows[6000] == ["S0006000", "学院 & 书院", "1500", "第83组"]


def test_crc32_combine_is_the_crc_of_the_joined_bytes():
    import zlib
    a, b = "学工部".encode() * 1000, bytes(range(256)) * 3001
    for x, y in ((a, b), (b, a), (a, b""), (b"", b), (b"x", b"y")):
        assert pkg.crc32_combine(zlib.crc32(x), zlib.crc32(y), len(y)) == zlib.crc32(x + y)


def frame(n: int):
    import pandas as pd
    return pd.DataFrame({
        "工号": [f"T{i % 37:04d}" for i in range(n)],
        "学号": [f"2024{i:06d}" if i % 5 else None for i in range(n)],
        "说明": [TRICKY[i % len(TRICKY)] or None for i in range(n)],
        "值": [i / 4 if i % 7 else None for i in range(n)],
        "日期": pd.to_datetime(["2024-09-01", None, "2024-10-31"] * (n // 3) + ["2024-12-01"] * (n % 3)),
        "状态": ["达标", "不达标"] * (n // 2) + ["达标"] * (n % 2),
    })


@pytest.mark.parametrize("stdlib", [False, True])
def test_rows_deflated_on_the_way_are_spliced_into_the_sheet(tmp_path, monkeypatch, stdlib):
    """Rows of the fast row writer go to a deflater while the sheet is written and are put
    between the sheet's head and tail at close: the parts are those of XlsxWriter's own
    workbook given the same rows (header row and a late per-cell row keep their places)."""
    from mentor_xl.workbook import xlsx

    monkeypatch.setattr(pkg, "CHUNK", 16 << 10)  # rows in many blocks
    monkeypatch.setattr(pkg.DeflatedRows, "PENDING", 48 << 10)  # a few blocks waited for as rows come
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 700)  # and many writes
    if stdlib:
        monkeypatch.setattr(pkg, "ZIP32_LIMIT", 0)  # as if ZIP64 were needed: ZipFile writes
    df = frame(5000)
    spliced = []
    real = pkg.write_zip
    monkeypatch.setattr(pkg, "write_zip", lambda *a, **k: (spliced.append(len(k["splices"])), real(*a, **k))[1])
    for name, cls in (("ours.xlsx", pkg.FastWorkbook), ("theirs.xlsx", xlsxwriter.Workbook)):
        wb = cls(str(tmp_path / name), {"constant_memory": True, "strings_to_numbers": False})
        ws = xlsx.write_frame_sheet(wb, "明细", df, text_cols=("工号", "学号"), status_col="状态", bad_values=("不达标",))
        ws.write_string(5003, 0, "尾注：以上为全部明细")
        xlsx.write_frame_sheet(wb, "第二表", df.head(50))
        wb.close()
    assert spliced == [2]  # both sheets' rows went through the deflater
    same_as_xlsxwriter(tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "ours.xlsx")["明细"]
    assert [c.value for c in ws[3]] == ["T0001", "2024000001", "a<b>c", 0.25, None, "不达标"]
    assert ws["A5004"].value == "尾注：以上为全部明细" and ws.max_row == 5004


@needs_soffice
def test_libreoffice_reads_spliced_rows(tmp_path, monkeypatch):
    from mentor_xl.workbook import xlsx

    monkeypatch.setattr(pkg, "CHUNK", 16 << 10)
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 700)
    wb = xlsx.new_workbook(tmp_path / "s.xlsx", constant_memory=True)
    xlsx.write_frame_sheet(wb, "明细", frame(3000), text_cols=("工号", "学号"))
    wb.close()
    [csv] = lo.convert([tmp_path / "s.xlsx"], "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo")
    with open(csv, encoding="utf-8", newline="") as fh:
        rows = list(reader(fh))
    assert len(rows) == 3001 and rows[0] == ["工号", "学号", "说明", "值", "日期", "状态"]
    assert rows[2] == ["T0001", "2024000001", "a<b>c", "0.25", "", "不达标"]
    assert rows[3000] == ["T0002", "2024002999", "平常文字", "749.75", "2024-10-31", "不达标"]


def test_without_threads_parts_are_deflated_inline(tmp_path, monkeypatch):
    """Where no thread can start (a sandboxed Python), the same file is written without them."""
    class NoThreads:
        def submit(self, *a, **k):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(pkg, "_pool", lambda: NoThreads())
    monkeypatch.setattr(pkg, "_NO_THREADS", False)
    monkeypatch.setattr(pkg, "CHUNK", 16 << 10)
    from mentor_xl.workbook import xlsx

    for name, cls in (("ours.xlsx", pkg.FastWorkbook), ("theirs.xlsx", xlsxwriter.Workbook)):
        wb = cls(str(tmp_path / name), {"constant_memory": True, "strings_to_numbers": False})
        xlsx.write_frame_sheet(wb, "明细", frame(800), text_cols=("工号", "学号"))
        wb.close()
    assert pkg._NO_THREADS
    same_as_xlsxwriter(tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx")


_WHITE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(list(_WHITE) + list("ab学_&<>\x01\x1f") + ["_x0041_", "<r>", "</r>"]),
                         max_size=6).map("".join), max_size=30))
@example(["<r></r>", "<r>x</r>", " <r>x</r>", "\u3000", "a\u2029"])  # markup kept as text; edge spaces
def test_shared_strings_found_in_one_pass_are_those_asked_one_by_one(texts):
    """The candidates found in one RE2 pass (every whitespace character Python knows, at either
    end; markup, escapes, control characters anywhere) leave the table exactly as asking every
    string gives it, and as XlsxWriter writes it but for rich-text markup ("<r>…</r>" stays text
    here); a string Arrow cannot hold (a lone surrogate) has every string asked."""
    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    for extra in ([], ["\ud800"]):
        table = SharedStringTable()
        for t in [*dict.fromkeys(texts), *extra]:
            table._get_shared_string_index(t)
        table._sort_string_data()  # the table in index order, as close() makes it
        outs = []
        for every in (False, True):
            sst = pkg._SharedStrings()
            sst.string_table = table
            sst.fh = io.StringIO()
            if every:
                with pytest.MonkeyPatch.context() as m:
                    m.setattr(pkg, "_candidates", lambda strings: range(len(strings)))
                    sst._write_sst_strings()
            else:
                sst._write_sst_strings()
            outs.append(sst.fh.getvalue())
        assert outs[0] == outs[1] and outs[0].count("<si>") == len(table.string_array)
        if not any(t.startswith("<r>") and t.endswith("</r>") for t in table.string_array):
            theirs = SharedStrings()
            theirs.string_table = table
            theirs.fh = io.StringIO()
            theirs._write_sst_strings()
            assert outs[0] == theirs.fh.getvalue()


def test_rows_made_on_the_rows_thread_keep_their_places(tmp_path, monkeypatch):
    """The rows thread glues the fast rows while Python goes on: rows XlsxWriter writes itself
    after them (two late rows, the second of which makes XlsxWriter flush the first) still come
    after them, however slow the thread, and rows given while a cell's XML is being caught (the
    sheet's file swapped for a moment) still go to the sheet. Same file as XlsxWriter's."""
    import time

    from mentor_xl.workbook import xlsx

    real = xlsx._join_rows
    threads = set()

    def slow(*a):
        threads.add(threading.current_thread().name.split("_")[0])
        time.sleep(0.05)  # the main thread is far ahead when these rows come
        return real(*a)

    def capture(ws, fn):  # XlsxWriter's XML of one cell, caught while the thread writes rows
        saved, ws.fh = ws.fh, io.StringIO()
        try:
            time.sleep(0.002)
            fn()
            return ws.fh.getvalue()
        finally:
            ws.fh = saved

    monkeypatch.setattr(xlsx, "_join_rows", slow)
    monkeypatch.setattr(xlsx._RowsXml, "_capture", staticmethod(capture))
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 300)
    monkeypatch.setattr(pkg.TextWorksheet, "LATER_MAX", 2)  # and the main thread waits for the oldest
    monkeypatch.setattr(pkg, "workers", lambda: 2)  # a thread for the rows on a machine of any size
    monkeypatch.setattr(pkg, "_NO_THREADS", False)
    df = frame(1000)
    for name, cls in (("ours.xlsx", pkg.FastWorkbook), ("theirs.xlsx", xlsxwriter.Workbook)):
        wb = cls(str(tmp_path / name), {"constant_memory": True, "strings_to_numbers": False})
        ws = xlsx.write_frame_sheet(wb, "明细", df, text_cols=("工号", "学号"))
        ws.write_string(1001, 0, "尾注一")
        ws.write_string(1002, 0, "尾注二")
        xlsx.write_frame_sheet(wb, "第二表", df.head(40))
        wb.close()
        if name == "ours.xlsx":
            assert threads == {"xlsx-rows"}  # every chunk's rows made on the rows thread
    same_as_xlsxwriter(tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "ours.xlsx")["明细"]
    assert ws["A1002"].value == "尾注一" and ws["A1003"].value == "尾注二" and ws.max_row == 1003


def test_a_failure_on_the_rows_thread_is_raised_at_close(tmp_path, monkeypatch):
    """An error while the rows are glued is the workbook's error (at close), and a workbook
    given up after it leaves no row file behind."""
    from mentor_xl.workbook import xlsx

    def broken(*a):
        raise MemoryError("rows")

    monkeypatch.setattr(xlsx, "_join_rows", broken)
    monkeypatch.setattr(pkg, "workers", lambda: 2)
    monkeypatch.setattr(pkg, "_NO_THREADS", False)
    wb = xlsx.new_workbook(tmp_path / "x.xlsx", constant_memory=True)
    ws = xlsx.write_frame_sheet(wb, "明细", frame(500), text_cols=("工号", "学号"))
    row_file = ws.row_data_filename
    with pytest.raises(MemoryError, match="rows"):
        wb.close()
    wb.discard()
    assert not os.path.exists(row_file) and not (tmp_path / "x.xlsx").exists()
