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
    for name in ("CellStringTuple", "CellNumberTuple", "CellDatetimeTuple"):
        assert hasattr(xw_ws, name), name
    assert xw_ws.CellStringTuple._fields[:2] == ("string", "format")
    assert xw_ws.CellNumberTuple._fields[:2] == ("number", "format")
    assert xw_ws.CellDatetimeTuple._fields[:2] == ("number", "format")
    W = xw_ws.Worksheet
    for method, params in (("_write_row", ["row", "spans"]), ("_write_cell", ["row", "col", "cell"]),
                           ("_write_single_row", []), ("_check_dimensions", ["row", "col"]),
                           ("_convert_date_time", ["dt_obj"])):
        fn = getattr(W, method, None)
        assert callable(fn), method
        got = list(inspect.signature(fn).parameters)[1:]
        assert got[:len(params)] == params, (method, got)
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
    for attr in ("fh", "previous_row", "row_info", "col_info", "xls_strmax", "constant_memory", "str_table"):
        assert hasattr(ws, attr), attr
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
        assert 'dimension ref="A1:D3"' in sheet and '<c r="A2" s="' in sheet and 't="s"><v>' in sheet
        assert '<si><t xml:space="preserve"> 前后空格 </t></si>' in z.read("xl/sharedStrings.xml").decode()
