"""A column that numbers the log's rows (序号) is dictionary-encoded without hashing its numbers
(``workbook.numbering``): the result is Arrow's own, whatever else the column holds; the
shortcut is taken only for such a column; the reader reads the same book whether the log's
child took it or not."""
from __future__ import annotations

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentor_xl.packs import load_pack
from mentor_xl.workbook import aside, numbering
from mentor_xl.workbook.reader import read_book
from test_reader_aside import _children, _results, _same


ARROWS = pc.dictionary_encode  # as it is, whatever a test spies on


def _same_as_arrow(values, kind=pa.large_string()) -> pa.DictionaryArray:
    col = pa.array(values, kind)
    ours, arrows = numbering.dictionary_encode(col), ARROWS(col)
    assert ours.type == arrows.type
    assert ours.dictionary.equals(arrows.dictionary)
    assert ours.indices.equals(arrows.indices)
    return ours


# what an office's 序号 column holds besides its numbers: title and header text, footers, gaps,
# a number typed twice or out of place, numbers written another way
ODD = st.one_of(st.none(), st.sampled_from(["", "序号", "合计", "填表人：赵老师", "1.0", "05", " 7", "-0", "x"]),
                st.integers(-20, 400).map(str))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(-3, 5), n=st.integers(0, 300), edits=st.lists(st.tuples(st.integers(0, 299), ODD), max_size=40),
       head=st.lists(ODD, max_size=4), large=st.booleans())
def test_the_same_dictionary_and_codes_as_arrows(monkeypatch, start, n, edits, head, large):
    monkeypatch.setattr(numbering, "MIN_ROWS", 0)  # small columns take the shortcut too (the same for every input)
    values = head + [str(start + i) for i in range(n)]
    for at, v in edits:
        if at < len(values):
            values[at] = v
    _same_as_arrow(values, pa.large_string() if large else pa.string())


def test_only_the_other_cells_are_hashed(monkeypatch):
    hashed = []
    monkeypatch.setattr(numbering.pc, "dictionary_encode", lambda c: hashed.append(len(c)) or ARROWS(c))
    log = ["学育导师工作台账", "序号", *map(str, range(1, 20_001)), "填表人：赵老师", "合计"]
    log[500] = None  # a row left blank
    log[700] = "12"  # a number typed again
    enc = _same_as_arrow(log)
    assert hashed == [6]  # title, header, the blank, the "12", footer and 合计: not the 20,000 numbers
    assert len(enc.dictionary) == 20_002 and enc.dictionary[enc.indices[700].as_py()].as_py() == "12"

    hashed.clear()  # a numbering that starts again for each teacher, and a column of names: Arrow's own
    for col in ([str(i % 40 + 1) for i in range(20_000)], [f"T{i % 300:04d}" for i in range(20_000)]):
        _same_as_arrow(col)
    assert hashed == [20_000, 20_000]


def test_short_columns_are_hashed_as_they_are(monkeypatch):
    hashed = []
    monkeypatch.setattr(numbering.pc, "dictionary_encode", lambda c: hashed.append(len(c)) or ARROWS(c))
    _same_as_arrow([str(i) for i in range(numbering.MIN_ROWS - 1)])
    assert hashed == [numbering.MIN_ROWS - 1]


@pytest.fixture
def office_book(tmp_path):
    """The benchmark's office layout, its log kept per teacher: a title, its own names, 序号 from 1, a
    signature line under the log, 教师工号 and 教师姓名 merged down each teacher's rows."""
    from benchmarks import generate
    from benchmarks.office import office_book

    return office_book(generate.book(3000, staff=40, students=300, cache=tmp_path), grouped=True).path


def test_the_logs_child_hands_over_the_same_sheet_with_the_shortcut(office_book, monkeypatch):
    """Forked, the child inherits the module as the parent set it: the log's 序号 takes the shortcut."""
    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    pack = load_pack("bit-2022")  # the layout has no 设置: the pack as --policy gives it
    plain = read_book(office_book, policy_pack=pack)
    monkeypatch.setattr(numbering, "MIN_ROWS", 0)
    log = fastexcel.read_excel(str(office_book)).load_sheet("活动记录", header_row=None, dtypes="string").to_arrow()
    assert numbering._offset(log.column(0)) == -1  # its 序号: "1" in the third row, under a title and a header
    # the child marks a file each time it takes the shortcut: its own memory is not the test's
    marks = office_book.parent / "shortcut-taken"
    real = numbering._offset

    def marked(col):
        off = real(col)
        if off is not None:
            with open(marks, "a") as f:
                f.write(f"{off}\n")
        return off
    monkeypatch.setattr(numbering, "_offset", marked)
    started, used = _children(monkeypatch), _results(monkeypatch)
    _same(read_book(office_book, policy_pack=pack), plain)
    assert len(started) == 1 and used[0] is not None  # the child's sheet was the one read
    assert marks.read_text().split() == ["-1"]  # and the child encoded its 序号 by the shortcut, once


def test_the_logs_child_never_imports_pandas(tmp_path):
    """The command line forks the log's child before it imports pandas (``cli._log_ahead``); pyarrow's
    ``pa.array``, ``to_numpy`` and Python scalars given to a kernel import it on first use: 0.15–0.3 s
    the child then spent before the hand-over. Its whole load, the shortcut taken, in a fresh
    interpreter as the command line has it at the fork."""
    import subprocess
    import sys
    import textwrap

    import xlsxwriter

    book = tmp_path / "log.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("活动记录")
    ws.write_row(0, 0, ["学育导师工作台账"])
    ws.write_row(1, 0, ["序号", "日期", "教师工号", "学号", "时长"])
    for i in range(numbering.MIN_ROWS + 2_000):
        ws.write_row(i + 2, 0, [i + 1, f"2024-10-{i % 28 + 1:02d}", f"T{i % 40:04d}", 2024010000 + i % 3000, 1.5])
    ws.write_string(numbering.MIN_ROWS + 2_003, 0, "填表人：赵老师")
    wb.close()
    code = textwrap.dedent(f"""
        import os, sys, tempfile
        from mentor_xl.workbook import aside
        import fastexcel, pyarrow.compute, pyarrow.ipc  # what aside._fork imports before it forks
        from mentor_xl.workbook import limits, numbering
        taken = []
        encode = numbering.dictionary_encode
        numbering.dictionary_encode = lambda c: taken.append(numbering._offset(c)) or encode(c)
        assert "pandas" not in sys.modules, "imported before the child's work"
        files = [tempfile.TemporaryFile() for _ in range(3)]
        r, w = os.pipe()
        aside._load({{"path": {str(book)!r}, "sheet": "活动记录", "part": None,
                     "fds": [f.fileno() for f in files] + [w]}})
        print("pandas" in sys.modules, taken, flush=True)  # os._exit flushes nothing
        os._exit(0)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    imported, taken = out.stdout.split(" ", 1)
    assert "-1" in taken  # the 序号 column took the shortcut (the title row above it: offset -1)
    assert imported == "False"


def test_arrays_cross_by_their_buffers_offsets_and_nulls_kept():
    """``_numpy``/``_arrow`` (pandas-free): sliced arrays read from their offset, nulls where they are."""
    import numpy as np

    ints = pa.array([1, None, 3, None, 5], pa.int32()).slice(1)
    assert numbering._numpy(ints, null=-1).tolist() == [-1, 3, -1, 5]
    flags = pa.array([True, None, False, True, True, False, False, True, True]).slice(2)
    assert numbering._numpy(flags).tolist() == [False, True, True, False, False, True, True]
    assert numbering._numpy(pa.array([], pa.bool_())).tolist() == []
    made = numbering._arrow(np.array([4, 5, 6]), null=np.array([False, True, False]))
    assert made.type == pa.int64() and made.to_pylist() == [4, None, 6]
    assert numbering._arrow(np.array([1, 2], dtype=np.int32)).type == pa.int32()
    assert numbering._arrow(np.array([7], dtype=np.intp)).to_pylist() == [7]
