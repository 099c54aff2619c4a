"""Cell value readers: every accepted form of each kind, and what counts as unreadable."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mentor_xl.workbook import values as v

NA = None


def parsed(fn, cells):
    vals, bad = fn(pd.Series(cells, dtype=object))
    out = [None if (not isinstance(x, list) and pd.isna(x)) else x for x in vals.tolist()]
    return out, bad.tolist()


def test_dates_in_every_office_form():
    cells = ["45545", "45545.0", "2024-09-10 14:30:00", "2024-09-10", "2024/9/10", "2024.9.10",
             "2024年9月10日", "20240910", "２０２４-09-10", " 2024 年 9 月 10 日 ", "2024-09-10T08:00",
             "45545.75", "2024年9月10日 下午"]
    vals, bad = parsed(v.parse_date, cells)
    assert vals == [pd.Timestamp("2024-09-10")] * len(cells)
    assert not any(bad)


def test_impossible_and_unreadable_dates_are_bad_blank_is_not():
    vals, bad = parsed(v.parse_date, ["2024-13-01", "2024-02-30", "2023-02-29", "abc", "0024-09-01", None, "  ",
                                      "2024-02-29", "1985.06"])
    assert vals == [None] * 7 + [pd.Timestamp("2024-02-29"), pd.Timestamp("1985-06-01")]
    assert bad == [True] * 5 + [False, False, False, False]
    assert parsed(v.parse_date, ["2024", "2024-09"]) == ([None, pd.Timestamp("2024-09-01")], [True, False])


def test_datetime_objects_read_like_fastexcel_text():
    vals, bad = parsed(v.parse_date, [pd.Timestamp("2024-09-10 09:00"), np.nan])
    assert vals == [pd.Timestamp("2024-09-10"), None] and bad == [False, False]


def test_numbers_with_units_and_full_width_digits():
    vals, bad = parsed(v.parse_number, ["2小时", "３", "1.5h", "2 学时", "1.5H", "1,234", "95%", "-2", "1e3",
                                        "２．５", "3次", None, "abc", "30分钟", "1.2.3"])
    assert vals == [2, 3, 1.5, 2, 1.5, 1234, 95, -2, 1000, 2.5, 3, None, None, None, None]
    assert bad == [False] * 12 + [True, True, True]
    assert v.parse_number(pd.Series(["2"]))[0].dtype == "float64"


def test_ints_reject_fractions():
    vals, bad = v.parse_int(pd.Series(["3", "4.0", "2.5", "５人", None, "1e20"], dtype=object))
    assert vals.dtype == "Int64"
    assert vals.tolist() == [3, 4, pd.NA, 5, pd.NA, pd.NA]
    assert bad.tolist() == [False, False, True, False, False, True]


def test_ids_lose_excel_artefacts_and_odd_spaces():
    vals, bad = parsed(v.parse_id, ["2024010123.0", " 2024010123 ", "2.024010123E+9", "T\u200b001",
                                    "\u3000Ｔ００２", "T 003", "2024010123", "JS-2019.01", None, "1E+9"])
    assert vals == ["2024010123", "2024010123", "2024010123", "T001", "T002", "T003", "2024010123",
                    "JS-2019.01", None, "1000000000"]
    assert not any(bad)


def test_ids_that_are_not_ids_are_bad():
    vals, bad = parsed(v.parse_id, ["张三", "#N/A", "T001"])
    assert vals == [None, None, "T001"] and bad == [True, True, False]


def test_id_lists_split_on_every_separator():
    vals, bad = parsed(v.parse_idlist, ["1、2,3，4;5；6/7 8", "2024010001.0", "、9、", None, "",
                                        "1\u30002", "a、张三"])
    assert vals == [list("12345678"), ["2024010001"], ["9"], [], [], ["1", "2"], ["a"]]
    assert bad == [False] * 6 + [True]


def test_bools():
    vals, bad = parsed(v.parse_bool, ["是", "否", "Y", "n", "1", "0", "√", "×", "true", "FALSE", "也许", None])
    assert vals == [True, False, True, False, True, False, True, False, True, False, None, None]
    assert bad == [False] * 10 + [True, False]


@pytest.mark.parametrize("cell, code", [
    ("2024-2025-1", "2024-2025-1"), ("2024-2025学年第一学期", "2024-2025-1"),
    ("2024-2025学年第二学期", "2024-2025-2"), ("2024年秋季学期", "2024-2025-1"),
    ("2025年春季学期", "2024-2025-2"), ("2024-2025", "2024-2025"), ("2024-2025学年", "2024-2025"),
    ("2024 - 2025 - 2", "2024-2025-2"), ("2024～2025学年度第1学期", "2024-2025-1"),
    ("２０２４-２０２５-１", "2024-2025-1"),
])
def test_terms(cell, code):
    assert v.parse_term(cell) == code
    vals, bad = v.parse_term_series(pd.Series([cell]))
    assert vals.tolist() == [code] and not bad[0]


def test_bad_terms():
    vals, bad = parsed(v.parse_term_series, ["2024-2026-1", "2024-2025-3", "秋季", None])
    assert vals == [None] * 4 and bad == [True, True, True, False]
    assert v.parse_term("xx") is None and v.parse_term(None) is None


def test_text_is_whitespace_normalised():
    vals, bad = parsed(v.parse_text, [" a  b\u3000c ", "计算机２４０１班", None, "  ", "x\n y", "\ufeff谈心谈话"])
    assert vals == ["a b c", "计算机2401班", None, None, "x y", "谈心谈话"] and not any(bad)


def test_scalars():
    assert v.parse_number_scalar("２小时") == 2.0
    assert v.parse_number_scalar("abc") is None and v.parse_number_scalar(None) is None
    assert v.parse_date_scalar("2024年9月1日") == pd.Timestamp("2024-09-01")
    assert v.parse_date_scalar("2024-13-01") is None


def test_empty_series_dtypes_match_parsed_dtypes():
    for kind in v.KINDS:
        empty = v.empty_series(kind)
        assert len(empty) == 0
        assert empty.dtype == v.parse(kind, pd.Series(["1"]))[0].dtype, kind


def test_leading_zero_suspects():
    ids = pd.Series(["0012345", "0012346", "0012347", "0012348", "12349", "T1", None], dtype=object)
    assert v.leading_zero_suspects(ids).tolist() == [False, False, False, False, True, False, False]
    # no common width → nothing to say
    assert not v.leading_zero_suspects(pd.Series(["1", "22", "333", "4444", "55555"])).any()


def test_repeated_values_parse_once_and_keep_their_index():
    raw = pd.Series(["2024/9/1", None, "2024/9/1", "bad"] * 3, index=range(100, 112))
    vals, bad = v.parse_date(raw)
    assert list(vals.index) == list(raw.index) and list(bad.index) == list(raw.index)
    assert vals.iloc[:4].tolist()[0] == pd.Timestamp("2024-09-01") and pd.isna(vals.iloc[1])
    assert bad.tolist() == [False, False, False, True] * 3


def test_date_cells_in_text_columns_read_as_dates():
    vals, _ = parsed(v.parse_text, ["2024-09-01 00:00:00", "2024-09-01 08:30:00"])
    assert vals == ["2024-09-01", "2024-09-01 08:30:00"]
    # only a whole cell of that form is a date: among free text (searched by length first), with
    # the same 19 characters inside a longer text, in full-width digits, with spaces around
    vals, _ = parsed(v.parse_text, ["与学生谈心，约定 2024-09-01 00:00:00 再谈", "2024-09-01 00:00:00x", "谈话内容" * 5,
                                    " 2024-10-02 00:00:00 ", "２０２４-09-01 00:00:00", None])
    assert vals == ["与学生谈心，约定 2024-09-01 00:00:00 再谈", "2024-09-01 00:00:00x", "谈话内容" * 5,
                    "2024-10-02", "2024-09-01", None]


def test_a_blank_never_goes_the_long_way(monkeypatch):
    """Each column's distinct values end in the blank its empty cells point at; a column of values
    in the form Excel writes, with blanks, is read without the slow paths (they cost ~1 ms a column,
    a tenth of a second over a workbook's fixed cost), and reads the same."""
    def refuse(*_):
        raise AssertionError("slow path taken")
    for name in ("_date_slow", "_number_slow", "_idlist_split", "_term_spelled"):
        monkeypatch.setattr(v, name, refuse)
    monkeypatch.setitem(v.UNIQUE, "idlist", v._idlist_u)
    assert parsed(v.parse_date, ["2024-09-01", None, "2024-09-02 10:30:00"]) == (
        [pd.Timestamp("2024-09-01"), None, pd.Timestamp("2024-09-02")], [False] * 3)
    assert parsed(v.parse_int, ["3", None]) == ([3, None], [False, False])
    assert parsed(v.parse_id, ["T001", None]) == (["T001", None], [False, False])
    assert parsed(v.parse_idlist, ["S01", None]) == ([["S01"], []], [False, False])
    assert parsed(v.parse_term_series, ["2024-2025-1", None, "2024-2025"]) == (
        ["2024-2025-1", None, "2024-2025"], [False] * 3)


def test_term_codes_as_written_beside_other_spellings():
    vals, bad = parsed(v.parse_term_series, ["2024-2025-1", "2024年秋季学期", None, "2024-2026-1", "2023-2024",
                                             "0999-1000-1", "2024-2025-2"])
    assert vals == ["2024-2025-1", "2024-2025-1", None, None, "2023-2024", "999-1000-1", "2024-2025-2"]
    assert bad == [False, False, False, True, False, False, False]


def test_a_number_alone_reads_as_in_a_column():
    """设置's values are read one by one; plain ones without building a column (a few ms a workbook)."""
    for x in ["1", "2.5", "-3", "007", "1.", ".5", "１", "2小时", "1,234", "abc", "", " 1", "-0", "٣", "1e3", 5, 2.5]:
        col = v.parse_number(pd.Series([x], dtype=object))[0].iloc[0]
        assert v.parse_number_scalar(x) == (None if pd.isna(col) else float(col)), x


def test_free_text_keeps_full_width_punctuation_without_the_long_way(monkeypatch):
    """谈话内容 like “社会实践：就业指导” keeps its full-width colon and is read without the slow path
    (every such value took it, to change nothing); only full-width letters and digits, and odd
    whitespace, are fixed — and only those values, put back among the others in place."""
    calls = []
    real = pd.core.strings.accessor.StringMethods.replace

    def counted(self, *a, **k):
        calls.append(len(self._data))
        return real(self, *a, **k)
    monkeypatch.setattr(pd.core.strings.accessor.StringMethods, "replace", counted)
    texts = ["社会实践：就业指导", "（学业）规划，交流！", None, "谈心谈话"]
    assert parsed(v.parse_text, texts) == (texts, [False] * 4)
    assert calls == []
    # a column of many distinct values with one footer among them: that one value is fixed
    cells = [str(i) for i in range(1, 2001)] + ["制表人：学工办\u3000\u3000审核人：", "ＡＢ１２：x"]
    vals, bad = parsed(v.parse_text, cells)
    assert vals == [str(i) for i in range(1, 2001)] + ["制表人：学工办 审核人：", "AB12：x"] and not any(bad)
    assert calls and max(calls) == 2  # the two odd values alone


@pytest.mark.parametrize("kind", sorted(v.UNIQUE))
def test_values_spread_over_the_rows_as_pandas_take_spreads_them(kind):
    """``parse_coded`` spreads each distinct value's parse over the rows by numpy's own gather (a
    1M-row log: pandas' take cost 2–6× as much): every kind comes out as ``take`` gives it — the
    same values, blanks, dtype and bad mask — for a column with blanks and repeats."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = {"id": ["T0001", " t0002 ", "2024010123.0", "坏"], "idlist": ["2024001、2024002", "2024003", "x y"],
             "text": ["导学　交流", "2024-09-01 00:00:00", "  "], "date": ["2024-09-01 00:00:00", "2024/9/2", "明天"],
             "number": ["1.5", "２", "三"], "int": ["3", "2.5", "4"], "bool": ["是", "否", "也许"],
             "term": ["2024-2025-1", "2024-2025学年第二学期", "秋"], "hours": ["90分钟", "1.5", "很久"]}[kind]
    column = pc.dictionary_encode(pa.array([cells[i % len(cells)] if i % 5 else None for i in range(40)]))
    got, bad = v.parse_coded(kind, column)
    uniq = pa.concat_arrays([column.dictionary.cast(pa.large_string()), pa.nulls(1, pa.large_string())])
    parsed, parsed_bad = v.UNIQUE[kind](v.arrow_series(uniq))
    idx = column.indices.fill_null(len(uniq) - 1).to_numpy(zero_copy_only=False)
    want = parsed.take(idx).reset_index(drop=True)
    assert got.dtype == want.dtype and isinstance(got.index, pd.RangeIndex)
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert bad.tolist() == np.asarray(parsed_bad, dtype=bool)[idx].tolist()
    assert bad.any() or kind in ("text", "idlist")  # each sample but free text has a value it refuses
