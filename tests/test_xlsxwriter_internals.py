"""What workbook/xlsx.py's fast row writer (``_RowsXml``) relies on inside XlsxWriter.

``_RowsXml`` writes the rows of constant_memory sheets through XlsxWriter's private cell and
row writers (pyproject.toml pins the versions it was checked with). If a new XlsxWriter moves
or changes them, these tests fail here, by name, instead of the fast path silently falling
back to the per-cell API (minutes for a large 合规明细) or writing different bytes.
"""
import inspect
import zipfile

import openpyxl
import pandas as pd
import xlsxwriter
from xlsxwriter import utility
from xlsxwriter import worksheet as xw_ws

from mentor_xl.workbook import xlsx


def test_private_members_used_by_the_row_writer_exist():
    for name, fields in (("CellStringTuple", ("string", "format")), ("CellNumberTuple", ("number", "format")),
                         ("CellDatetimeTuple", ("number", "format"))):
        # XlsxWriter 3.3's names; 3.2 spells them cell_string_tuple …
        tup = getattr(xw_ws, name, None) or getattr(xw_ws, name.replace("Cell", "cell_").replace("Tuple", "_tuple").lower())
        assert tup._fields[:2] == fields, name
    W = xw_ws.Worksheet
    for method, params in (("_write_row", ["row", "spans"]), ("_write_cell", ["row", "col", "cell"]),
                           ("_write_single_row", []), ("_check_dimensions", ["row", "col"]),
                           ("_convert_date_time", ["dt_obj"])):
        fn = getattr(W, method, None)
        assert callable(fn), method
        got = list(inspect.signature(fn).parameters)[1:]
        assert got[:len(params)] == params, (method, got)
    if xlsxwriter.__version__ >= "3.3":  # 3.2 cuts long text by characters, 3.3 by UTF-16 units
        assert callable(utility._utf16_len) and callable(utility._utf16_truncate)
    from xlsxwriter.sharedstrings import SharedStringTable
    sst = SharedStringTable()  # text goes to the workbook's table: its dict and counters are used
    assert (sst.string_table, sst.unique_count, sst.count) == ({}, 0, 0)
    assert sst._get_shared_string_index("a") == 0 and sst.string_table == {"a": 0}
    assert callable(getattr(xlsxwriter.format.Format, "_get_xf_index", None))


def test_fast_path_is_taken_on_a_constant_memory_sheet(tmp_path, monkeypatch):
    """The worksheet state the writer reads and sets (fh, previous_row, row_info, col_info,
    xls_strmax, constant_memory) is still there: ``for_sheet`` engages, rows come out right."""
    taken = []
    real = xlsx._RowsXml.write
    monkeypatch.setattr(xlsx._RowsXml, "write", lambda self, *a: (taken.append(1), real(self, *a))[1])
    wb = xlsx.new_workbook(tmp_path / "f.xlsx", constant_memory=True)
    ws = wb.add_worksheet("s")
    for attr in ("fh", "previous_row", "col_info", "xls_strmax", "constant_memory", "str_table"):
        assert hasattr(ws, attr), attr
    assert hasattr(ws, "row_info") or hasattr(ws, "set_rows")  # 3.3 / 3.2
    wb.close()
    wb = xlsx.new_workbook(tmp_path / "g.xlsx", constant_memory=True)
    df = pd.DataFrame({"工号": ["T1", "T2"], "值": [1.5, None], "日期": pd.to_datetime(["2024-09-02", None]),
                       "说明": ["a & <b>", " 前后空格 "]})
    xlsx.write_frame_sheet(wb, "表", df)
    wb.close()
    assert taken, "the fast row writer was not used: XlsxWriter internals changed"
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(tmp_path / "g.xlsx")["表"].iter_rows()]
    assert rows[1:] == [["T1", 1.5, pd.Timestamp("2024-09-02").to_pydatetime(), "a & <b>"],
                        ["T2", None, None, " 前后空格 "]]
    with zipfile.ZipFile(tmp_path / "g.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert 'dimension ref="A1:D3"' in sheet and '<row r="2"' in sheet and 't="s"><v>' in sheet
        assert '<si><t xml:space="preserve"> 前后空格 </t></si>' in z.read("xl/sharedStrings.xml").decode()


def test_text_over_the_cell_limit_in_utf16_is_cut_where_xlsxwriter_cuts_it(tmp_path):
    """Text within Excel's 32,767 characters but over 32,767 UTF-16 units (an emoji takes two)
    is cut by the fast row writer exactly as XlsxWriter's own write_string cuts it."""
    df = pd.DataFrame({"说明": ["😀" * 20000, "短"], "备注": ["甲", "😀" * 17000 + "尾"]})
    got = []
    for name, constant_memory in (("n.xlsx", False), ("c.xlsx", True)):  # XlsxWriter's cells, the fast rows
        wb = xlsx.new_workbook(tmp_path / name, constant_memory=constant_memory)
        xlsx.write_frame_sheet(wb, "表", df)
        wb.close()
        got.append([[c.value for c in r] for r in openpyxl.load_workbook(tmp_path / name)["表"].iter_rows()])
    assert got[1] == got[0] and got[1][2][0] == "短"
    if xlsxwriter.__version__ >= "3.3":  # 3.2 counts characters: nothing to cut here
        assert len(got[1][1][0]) < 20000

def test_private_members_used_by_the_packager_exist():
    """workbook/xlsx_package.py packs the zip itself, streams constant_memory rows and writes
    the shared strings faster through these XlsxWriter members (checked with 3.2 and 3.3)."""
    from xlsxwriter.packager import Packager
    from xlsxwriter.sharedstrings import SharedStrings
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.xmlwriter import XMLwriter

    assert list(inspect.signature(Workbook.add_worksheet).parameters)[1:] == ["name", "worksheet_class"]
    for cls, names in ((Workbook, ["_store_workbook", "_get_packager"]),
                       (Packager, ["_create_package", "_filename", "_write_shared_strings_file"]),
                       (SharedStrings, ["_write_sst_strings", "_write_si", "_assemble_xml_file"]),
                       (XMLwriter, ["_xml_si_element", "_xml_inline_string", "_xml_rich_inline_string",
                                    "_escape_control_characters", "_set_xml_writer"]),
                       (xw_ws.Worksheet, ["_write_optimized_sheet_data", "_xml_start_tag", "_xml_end_tag"])):
        for name in names:
            assert callable(getattr(cls, name, None)), (cls.__name__, name)
    assert list(inspect.signature(XMLwriter._xml_inline_string).parameters)[1:3] == ["string", "preserve"]
    ws = xw_ws.Worksheet()
    for attr in ("row_data_fh", "row_data_filename", "row_data_fh_closed", "dim_rowmin"):
        assert hasattr(ws, attr), attr
    p = Packager()
    assert (p.in_memory, p.filenames) == (False, [])
