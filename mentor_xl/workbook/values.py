"""Vectorised readers for cell values, one per column kind of ``schema`` (workbook.md).

Every ``parse_<kind>(raw)`` takes a Series of raw cell values as fastexcel gives them with
``dtypes="string"`` (text; datetime cells as ``2024-09-01 10:30:00``, numbers as ``2`` or
``1.5``, booleans as ``true``/``false``, error cells such as #N/A as null) and returns
``(parsed, bad)``: the parsed Series (types as in ``model``) and a boolean mask of the
values that were not blank but could not be read.

Speed (a log column has up to 1M cells): each distinct value is parsed once (arrow
dictionary encoding), values already in the clean form Excel writes take a fast path of
plain pyarrow kernels, and only the rest go through the regex normalisation. Python runs
per value only on the few values with full-width characters or scientific notation.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl import gcpause

STR = pd.StringDtype("pyarrow")
KINDS = ("id", "idlist", "text", "date", "number", "int", "bool", "term")
_DTYPES = {"id": object, "idlist": object, "text": object, "term": object,
           "date": "datetime64[ns]", "number": "float64", "int": "Int64", "bool": "boolean"}

# (category, message) for a value of each kind that cannot be read; {v} is the raw text.
BAD_VALUE = {
    "id": ("编号格式", "无法识别的编号“{v}”：编号应由字母、数字组成"),
    "idlist": ("编号格式", "无法识别的编号“{v}”：应为一个或多个编号，多个编号用顿号（、）或逗号分隔"),
    "text": ("数据格式", "无法读取的文字“{v}”"),
    "date": ("日期格式", "无法识别的日期“{v}”：请写成 2024-09-01、2024/9/1 或 2024年9月1日"),
    "number": ("数字格式", "无法识别的数字“{v}”：请只填数字，如 2 或 1.5"),
    "int": ("数字格式", "无法识别的整数“{v}”：请只填整数，如 3"),
    "bool": ("数据格式", "无法识别的是/否值“{v}”：请填 是 或 否"),
    "term": ("学期格式", "无法识别的学期“{v}”：请写成 2024-2025-1、2024-2025学年第一学期 或 2024年秋季学期"),
}

# Characters that make a value need the slow path: unusual whitespace (full-width space,
# no-break space), zero-width marks, full-width ASCII (１２３, Ａ), doubled spaces.
# Patterns avoid \s and \d: pandas sends those to Python's re, and RE2's are ASCII-only.
_WS = " \t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE = f"[{_WS}]"
_ZERO_WIDTH = "[\u200b-\u200d\u2060\ufeff]"
_ODD_SPACE = "\t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
_ODD = f"[{_ODD_SPACE}\uff01-\uff5e]|  "
_TO_HALF = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
# Free text keeps its full-width punctuation (，：（）): only letters and digits are folded, and only
# they (with odd whitespace) send a value down the slow path — a column of 谈话内容 like
# “社会实践：就业指导” took it for every value, to change nothing.
_ALNUM = ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B))  # full-width 0-9, A-Z, a-z
_TO_HALF_ALNUM = {i: i - 0xFEE0 for a, b in _ALNUM for i in range(a, b)}
_ODD_ALNUM = "[" + _ODD_SPACE + "".join(f"{chr(a)}-{chr(b - 1)}" for a, b in _ALNUM) + "]|  "

# A number, optionally with a unit office staff type after it (2小时, 1.5h, 3次, 95%).
_UNITS = r"(?:个?小时|学时|课时|h|hr|hrs|hour|hours|次|人次|人|名|个|分|元|%)"
_NUMBER = r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?) ?" + _UNITS + "?$"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER.rstrip("$") + r"\Z")  # for one value; \Z: no newline before the end
_PLAIN_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
_PLAIN_ID = r"^[0-9A-Za-z][0-9A-Za-z_\-()]*$"  # no "+": 1E+9 needs the slow path
_BOOL = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False,
         "true": True, "false": False, "t": True, "f": False, "1": True, "0": False,
         "1.0": True, "0.0": False, "√": True, "×": False, "✓": True, "✔": True,
         "✗": False, "✘": False, "对": True, "错": False, "有": True, "无": False}
_CN_TERM = {"一": "1", "二": "2", "1": "1", "2": "2", "上": "1", "下": "2"}
# Excel serials read as dates: 1927-05-18 .. 2173-10-14 (so a bare year is not a date).
_SERIAL_MIN, _SERIAL_MAX = 10000, 100000
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


# plumbing ------------------------------------------------------------------------------
def empty_series(kind: str) -> pd.Series:
    """An empty column of ``kind`` with the dtype ``model`` promises."""
    return pd.Series([], dtype=_DTYPES[kind])


def _strings(raw: pd.Series) -> pa.Array:
    """The raw cells as an arrow string array (fastexcel gives str or null; callers may give objects)."""
    if isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow":
        return pa.array(raw.array)
    vals = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT
            else v if isinstance(v, str) else _scalar_text(v) for v in raw.tolist()]
    return pa.array(vals, pa.large_string())


def _scalar_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "strftime"):
        return pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


try:  # pandas' own text dtype ("str" in pandas 3): Arrow storage, NaN for a blank
    TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
except TypeError:  # pandas 2
    TEXT = STR


def text_column(arr: pa.Array):
    """Arrow strings as a pandas array of ``TEXT``, with no Python str per cell: the engine's and
    the results' columns of text (``arrow_series`` gives the reader's ``STR``, blank = NA)."""
    return pd.array(arr, dtype=TEXT)


def arrow_series(arr, index=None) -> pd.Series:
    """An arrow string array as a pandas Series of pyarrow strings (no copy to Python objects)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())), index=index)


def true_mask(arr_or_series) -> np.ndarray:
    """A boolean arrow array / Series → numpy bool with null as False."""
    a = arr_or_series
    if isinstance(a, pd.Series):
        a = pa.array(a.array) if not a.dtype == bool else pa.array(a.to_numpy())
    return pc.fill_null(a, False).to_numpy(zero_copy_only=False).astype(bool)


def _by_unique(raw: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Run ``parse`` once per distinct value (a Series of arrow strings), then spread back."""
    enc = pc.dictionary_encode(_strings(raw))
    return _spread(parse, enc.dictionary, enc.indices, raw.index)


def _spread(parse, dictionary: pa.Array, indices: pa.Array, index=None) -> tuple[pd.Series, pd.Series]:
    return _spread_with(parse, dictionary, indices, index)[:2]


def _spread_with(parse, dictionary: pa.Array, indices: pa.Array, index=None
                 ) -> tuple[pd.Series, pd.Series, pd.Series, np.ndarray]:
    """(values, bad) per cell, and the distinct values parsed with the position of each cell's."""
    # the distinct values plus one null, which every blank cell points at
    uniq = pa.concat_arrays([dictionary.cast(pa.large_string()), pa.nulls(1, pa.large_string())])
    parsed, bad = parse(arrow_series(uniq))
    idx = indices.fill_null(len(uniq) - 1).to_numpy(zero_copy_only=False)
    index = index if index is not None else pd.RangeIndex(len(idx))
    if isinstance(parsed.dtype, np.dtype):  # numpy's own gather: pandas' take costs 2–6× as much (1M rows: 0.15 s)
        vals = pd.Series(parsed.to_numpy()[idx], index=index, dtype=parsed.dtype, name=parsed.name, copy=False)
    else:  # an extension dtype (nullable integers, booleans …): its own take
        vals = parsed.take(idx)
        vals.index = index
    return vals, pd.Series(np.asarray(bad, dtype=bool)[idx], index=vals.index), parsed, idx


def _split(u: pd.Series, plain: np.ndarray, fast, slow, dtype) -> tuple[pd.Series, np.ndarray]:
    """Parse the ``plain`` values with ``fast`` and the others with ``slow``; both return (vals, bad).
    A blank is neither: it stays blank and is not bad. (Every column's distinct values end in the
    blank every empty cell points at, which sent each column down the slow path: ~1 ms a column.)"""
    parts = [pd.Series([], dtype=dtype)]
    bad = np.zeros(len(u), dtype=bool)
    odd = ~plain & u.notna().to_numpy()
    for mask, f in ((plain, fast), (odd, slow)):
        if mask.any():
            v, b = f(u[mask])
            parts.append(v.astype(dtype))
            bad[mask] = np.asarray(b, dtype=bool)
    return pd.concat(parts).reindex(u.index), bad


def _normalise(u: pd.Series, sep: str = " ", table=_TO_HALF, odd_re: str = _ODD) -> pd.Series:
    """Trimmed, blank → null; values with odd whitespace or full-width characters fixed
    (``table``: the characters folded, ``odd_re``: what finds them and odd whitespace)."""
    a = pc.utf8_trim_whitespace(_arrow(u))
    odd = pc.fill_null(pc.match_substring_regex(a, odd_re), False)
    if pc.any(odd).as_py():  # only the odd values are fixed, and put back in Arrow (a footer
        t = arrow_series(a.filter(odd))  # in a column of 200,000 distinct 序号 is one value)
        t = t.str.replace(_ZERO_WIDTH, "", regex=True)
        t = t.str.replace(_SPACE + "+", sep, regex=True).str.strip()
        t = t.map(lambda x: x.translate(table), na_action="ignore")
        a = pc.replace_with_mask(a, odd, pa.array(t.astype(object).tolist(), a.type))
    return arrow_series(pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a), u.index)  # blank → null


def _extract(s: pd.Series, pattern: str) -> pd.DataFrame:
    """Regex groups as string columns 0, 1, … (null where no match), by pyarrow's RE2 kernel."""
    n = iter(range(100))
    named = re.sub(r"\((?!\?)", lambda _: f"(?P<g{next(n)}>", pattern)
    st = pc.extract_regex(_arrow(s), named)
    valid = st.is_valid()
    return pd.DataFrame({i: arrow_series(pc.if_else(valid, st.field(i), None), s.index)
                         for i in range(st.type.num_fields)}, index=s.index)


def _matches(s: pd.Series, pattern: str) -> np.ndarray:
    return true_mask(pc.match_substring_regex(_arrow(s), pattern))


def _to_float(s: pd.Series) -> pd.Series:
    """Strings already checked by a number regex → float64 (NaN for null)."""
    return pd.Series(pc.cast(_arrow(s), pa.float64()).to_numpy(zero_copy_only=False),
                     index=s.index)


def _to_object(s: pd.Series) -> pd.Series:
    """Arrow strings → object dtype with None for blanks (the model's str columns)."""
    out = np.asarray(_arrow(s).to_numpy(zero_copy_only=False), dtype=object)
    out[s.isna().to_numpy()] = None
    return pd.Series(out, index=s.index, dtype=object)


def _arrow(s: pd.Series) -> pa.Array:
    a = pa.array(s.array)
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


# shared objects -------------------------------------------------------------------------

def object_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per cell the code of its object, first seen first; the position where each code first
    appears). ``parse_coded`` gives equal cells one object (each distinct text is parsed once and
    spread), so a column of 200,000 cells holds a few thousand: a function of the value runs over
    them alone (``per_object``, ``factorize_objects``: the engine's codes of the log, the ids
    checked for lost zeros, the results' columns). Objects are told apart by the addresses the
    array holds, read in place: a Python call per cell (``map(id, …)``) cost 24 ms a 200k-row log."""
    return _codes_of(_addresses(values))


def _addresses(values: np.ndarray) -> np.ndarray:
    values = np.ascontiguousarray(values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    try:  # the array's PyObject pointers, read in place
        import ctypes

        at = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
        return np.frombuffer(at, dtype=np.intp).copy()
    except (ImportError, AttributeError, OSError, TypeError, ValueError):  # no ctypes (a browser's Python)
        return np.fromiter(map(id, values), dtype=np.intp, count=len(values))


def _codes_of(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = pd.factorize(keys)[0].astype(np.int64, copy=False)
    # a new code appears exactly where it exceeds every code before it
    first = np.flatnonzero(codes > np.concatenate([[-1], np.maximum.accumulate(codes)[:-1]])) if len(codes) \
        else np.zeros(0, dtype=np.int64)
    return codes, first


_SAMPLE = 1024


def _shared(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``object_codes`` when the cells share their objects; None when a sample of them shows
    cells with an object of their own (text converted per cell: more objects than values), no
    value twice, or they are no objects (numbers): hashed by value as they are."""
    if getattr(values, "dtype", None) != object:
        return None
    keys = _addresses(values)
    if len(keys) > _SAMPLE:
        objects = len(np.unique(keys[:_SAMPLE]))
        # Many objects in the sample may still be shared: 4,000 工号 in a log's random order give
        # ~900 in its first 1,024 cells. Their values say it: as many as the objects when shared.
        if objects == _SAMPLE:
            return None
        if objects > _SAMPLE // 2:
            try:
                if objects > len(set(values[:_SAMPLE].tolist())):
                    return None
            except TypeError:  # unhashable cells (lists): by object is the only way here
                pass
    codes, first = _codes_of(keys)
    return None if len(first) > len(values) // 2 else (codes, first)


def per_object(values: np.ndarray, f) -> np.ndarray:
    """``f(values)`` for ``f`` of each value alone (a lookup), run over each distinct object once."""
    shared = _shared(values)
    if shared is None:
        return np.asarray(f(values))
    codes, first = shared
    return np.asarray(f(values[first]))[codes]


def factorize_objects(values: np.ndarray, **kw) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, **kw)`` (``sort``, ``use_na_sentinel``) of an array, hashing each
    distinct object once: its first cells come in the order their values first appear, so the
    codes are the same."""
    shared = _shared(values)
    if shared is None:
        return pd.factorize(values, **kw)
    codes, first = shared
    small, uniq = pd.factorize(values[first], **kw)
    return small[codes], uniq


# text ----------------------------------------------------------------------------------
def _text_u(u: pd.Series):
    s = _normalise(u, " ", _TO_HALF_ALNUM, _ODD_ALNUM)
    # a date cell in a text column (设置/值, 备注) reads as the date, not "2024-09-01 00:00:00":
    # 19 bytes exactly, so only values of that length are searched (a column of 谈话内容, 200,000
    # distinct texts, took 22 ms to search whole)
    a = _arrow(s)
    at19 = true_mask(pc.equal(pc.binary_length(a), 19))
    if at19.any() and pc.any(pc.match_substring(a.filter(at19), " 00:00:00")).as_py():
        s = s.str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$", r"\1", regex=True)
    return _to_object(s), np.zeros(len(u), dtype=bool)


def parse_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Free text: trimmed, inner whitespace runs made one space, full-width letters/digits half-width."""
    return _by_unique(raw, _text_u)


# id ------------------------------------------------------------------------------------
def _clean_ids(u: pd.Series) -> tuple[pd.Series, np.ndarray]:
    plain = _matches(u, _PLAIN_ID) | u.isna().to_numpy()  # a blank has nothing to clean
    if plain.all():
        return u, np.zeros(len(u), dtype=bool)
    s = u.copy()
    t = _normalise(u[~plain], "").str.replace(" ", "", regex=False)
    t = t.str.replace(r"^([0-9]+)\.0*$", r"\1", regex=True)  # 2024010123.0 → 2024010123
    sci = _matches(t, r"^\+?[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$")
    if sci.any():  # 2.024010123E+9, as Excel shows a long number in a narrow cell
        t = t.copy()
        t[sci] = t[sci].map(_sci_to_int).astype(STR)
    s[~plain] = t
    bad = s.notna().to_numpy() & ~_matches(s, r"^[0-9A-Za-z][0-9A-Za-z_\-.+()]*$")
    return s, bad


def _sci_to_int(x: str) -> str:
    try:
        d = Decimal(x)
    except InvalidOperation:
        return x
    return str(int(d)) if d == d.to_integral_value() else x


def _id_u(u: pd.Series):
    s, bad = _clean_ids(u)
    s = s.copy()
    s[bad] = None
    return _to_object(s), bad


def parse_id(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers as text: spaces and zero-width marks removed, ``.0`` float artefacts undone."""
    return _by_unique(raw, _id_u)


def leading_zero_suspects(ids: pd.Series, *, min_count: int = 5, share: float = 0.8) -> pd.Series:
    """Ids that probably lost leading zeros: all digits and shorter than the width most ids share.

    Counted over distinct ids: only when at least ``min_count`` of them are all digits and
    ``share`` of those have one width. A warning, not an error: the id is used as written.
    """
    codes, uniq = factorize_objects(ids.to_numpy(dtype=object))
    u = arrow_series(pa.array(np.asarray(uniq, dtype=object), pa.large_string()))
    digits = _matches(u, r"^[0-9]+$")
    lens = pc.utf8_length(_arrow(u)).to_numpy(zero_copy_only=False)
    widths = pd.Series(lens[digits]).value_counts()
    short = np.zeros(len(u) + 1, dtype=bool)  # the extra slot is for blanks (code -1)
    if widths.sum() >= min_count and widths.iloc[0] / widths.sum() >= share:
        short[:-1] = digits & (lens < widths.index[0])
    return pd.Series(short[codes], index=ids.index)


# idlist --------------------------------------------------------------------------------
_LIST_SEP = "[、,，;；/／|｜" + _WS + "]+"


# Office shorthand in a 学号 cell for "every student paired with this staff member on this day";
# kept in the list as ALL_STUDENTS and expanded by the engine, which knows the pairings.
ALL_STUDENTS = "全体"
_ALL_WORDS = "^(?:全体|全部|所有学生|全体学生|全部学生|所有人|全体同学)$"


@gcpause.during  # a million new lists would trigger the cycle collector over and over
def _idlist_u(u: pd.Series):
    # Most cells hold one plain id (no separator, space or mark can be in one): a list of itself
    plain = _matches(u, _PLAIN_ID)
    if not plain.any():
        return _idlist_split(u)
    lists = np.empty(len(u), dtype=object)
    lists[plain] = _one_id(u[plain].to_numpy(dtype=object))  # an array of lists, not a 2-D array
    bad = np.zeros(len(u), dtype=bool)
    blank = u.isna().to_numpy()
    for i in np.flatnonzero(blank).tolist():  # the one blank of the distinct values: no ids
        lists[i] = []
    odd = ~plain & ~blank
    if odd.any():
        rest, rest_bad = _idlist_split(u[odd])
        lists[odd] = rest.to_numpy(dtype=object)
        bad[odd] = rest_bad
    return pd.Series(lists, index=u.index, dtype=object), bad


_one_id = np.frompyfunc(lambda v: [v], 1, 1)


def _idlist_split(u: pd.Series):
    a = pc.replace_substring_regex(_arrow(u), _ZERO_WIDTH, "")
    a = pc.replace_substring_regex(pc.utf8_trim(a, _WS), _ALL_WORDS, ALL_STUDENTS)
    cells = pc.split_pattern_regex(pc.utf8_trim(a, _WS + "、,，;；"), _LIST_SEP)
    parent = pc.list_parent_indices(cells).to_numpy()
    flat_raw = pc.list_flatten(cells)
    ids, bad = _clean_ids(arrow_series(flat_raw))
    every = true_mask(pc.equal(flat_raw, ALL_STUDENTS))
    if every.any():
        ids = ids.copy()
        ids[every] = ALL_STUDENTS
        bad = np.asarray(bad, dtype=bool) & ~every
    keep = ids.notna().to_numpy() & ~bad
    n = len(u)
    bad_cell = np.bincount(parent[bad], minlength=n) > 0
    flat = _arrow(ids[keep]).to_pylist()
    ends = np.cumsum(np.bincount(parent[keep], minlength=n)).tolist()
    lists = [flat[a:b] for a, b in zip([0] + ends[:-1], ends)]
    out = pd.Series(lists, index=u.index, dtype=object)
    return out, bad_cell


def parse_idlist(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """One or more ids per cell, split on 、 , ， ; ； / and whitespace; blank → [].

    A cell with an unreadable part is flagged bad; its readable ids are kept.

    Cells with the same text share one list object: treat the lists as read-only.
    """
    return _by_unique(raw, _idlist_u)


# numbers -------------------------------------------------------------------------------
def _number_slow(u: pd.Series):
    s = _normalise(u).str.lower()
    s = s.str.replace(r"([0-9]),([0-9]{3})", r"\1\2", regex=True)  # 1,234 → 1234
    vals = _to_float(_extract(s, _NUMBER)[0])
    return vals, s.notna().to_numpy() & vals.isna().to_numpy()


def _number_u(u: pd.Series):
    plain = _matches(u, _PLAIN_NUMBER)
    return _split(u, plain, lambda p: (_to_float(p), np.zeros(len(p), bool)), _number_slow, "float64")


def parse_number(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Real numbers; full-width digits, thousands commas and units (2小时, 1.5h, 95%) accepted."""
    return _by_unique(raw, _number_u)


_MINUTES = r"^[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?(?:分钟|min|mins|minutes)$"
_HOURS_MINUTES = r"^([0-9]+) ?(?:个?小时|h) ?([0-9]+) ?(?:分钟|分|min)$"  # 1小时30分钟


def _hours_u(u: pd.Series):
    s = _normalise(u).str.lower()
    minutes = _matches(s, _MINUTES)
    both = _matches(s, _HOURS_MINUTES)
    if not (minutes.any() or both.any()):
        return _number_u(u)
    vals, bad = _number_u(u.where(~minutes & ~both))
    mins = _to_float(_extract(s.where(minutes), r"^\+?([0-9.]+)")[0])
    hm = _extract(s.where(both), _HOURS_MINUTES)
    vals = vals.where(~minutes, mins / 60).where(~both, _to_float(hm[0]) + _to_float(hm[1]) / 60)
    return vals, np.where(minutes | both, False, bad)


def parse_hours(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Durations in hours, read like numbers (2小时, 1.5h); minutes (90分钟, 45min) are divided by 60."""
    return _by_unique(raw, _hours_u)


def _int_u(u: pd.Series):
    vals, bad = _number_u(u)
    wrong = vals.notna() & ((vals != np.floor(vals)) | (vals.abs() >= 1e15))  # fractions, overflow
    return vals.where(~wrong).round().astype("Int64"), (np.asarray(bad, dtype=bool) | wrong.to_numpy(bool))


def parse_int(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (same forms as numbers); 2.5 and absurdly large values are bad."""
    return _by_unique(raw, _int_u)


def parse_number_scalar(value) -> float | None:
    """One value read like a number cell; None when blank or unreadable."""
    if value is None:
        return None
    if isinstance(value, str) and _PLAIN_NUMBER_RE.match(value):  # as the column's fast path reads it
        return float(value)
    v = parse_number(pd.Series([value], dtype=object))[0].iloc[0]
    return None if pd.isna(v) else float(v)


# bool ----------------------------------------------------------------------------------
def _bool_u(u: pd.Series):
    s = _normalise(u, "").str.lower()
    vals = s.astype(object).map(_BOOL)
    return vals.astype("boolean"), s.notna().to_numpy() & vals.isna().to_numpy()


def parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, Y/N, 1/0, √/×, true/false (Excel booleans)."""
    return _by_unique(raw, _bool_u)


# dates ---------------------------------------------------------------------------------
def _from_parts(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from float year/month/day arrays; NaT where missing or impossible (2024-02-30)."""
    # years outside 1900-2199 are typos here, and would overflow datetime64[ns] further out
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d)) & (y >= 1900) & (y < 2200) & (m >= 1) & (m <= 12) & (d >= 1)
    yi, mi, di = (np.where(ok, a, 1).astype("int64") for a in (y, m, d))
    month = ((yi - 1970) * 12 + mi - 1).astype("datetime64[M]")
    first, after = month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]")
    ok &= di <= (after - first).astype("int64")
    return np.where(ok, first + (di - 1), np.datetime64("NaT"))


def _dates(parts: list[pd.Series], index) -> tuple[pd.Series, np.ndarray]:
    dates = _from_parts(*(_to_float(p).to_numpy() for p in parts))
    return pd.Series(dates.astype("datetime64[ns]"), index=index), np.isnat(dates)


def _date_fast(u: pd.Series):
    """2024-09-01 and 2024-09-01 10:30:00 (what fastexcel gives for date cells)."""
    a = _arrow(u)
    parts = [arrow_series(pc.utf8_slice_codeunits(a, i, j), u.index) for i, j in ((0, 4), (5, 7), (8, 10))]
    return _dates(parts, u.index)


def _date_slow(u: pd.Series):
    s = _normalise(u)
    # 2024年9月1日 / 2024/9/1 / 2024.9.1 / 2024-9-1 [time] → y-m-d
    # (a time or 上午/下午 after the day is ignored: 2024年10月8日下午)
    norm = s.str.replace(r"^([0-9]{4}) ?[年/.\-] ?([0-9]{1,2}) ?[月/.\-] ?([0-9]{1,2}) ?(?:[日号].*|[ T].*)?$",
                         r"\1-\2-\3", regex=True)
    norm = norm.str.replace(r"^([0-9]{4})([0-9]{2})([0-9]{2})$", r"\1-\2-\3", regex=True)  # 20240901
    # year and month only (出生年月 1985.06, 2024年9月) → the 1st
    norm = norm.str.replace(r"^([0-9]{4}) ?[年/.\-] ?([0-9]{1,2}) ?月?$", r"\1-\2-1", regex=True)
    ymd = _extract(norm, r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
    dates, _ = _dates([ymd[0], ymd[1], ymd[2]], u.index)
    # Excel serial numbers (a date cell read as a number, or typed as one)
    num = _to_float(s.where(_matches(s, r"^[0-9]+(?:\.[0-9]+)?$"))).to_numpy()
    serial = (num >= _SERIAL_MIN) & (num < _SERIAL_MAX)
    days = np.floor(np.where(serial, num, 0)).astype("int64")
    dates = dates.where(~serial, pd.Series((_EXCEL_EPOCH + days).astype("datetime64[ns]"), index=u.index))
    return dates, s.notna().to_numpy() & dates.isna().to_numpy()


def _date_u(u: pd.Series):
    return _split(u, _matches(u, _PLAIN_DATE), _date_fast, _date_slow, "datetime64[ns]")


def parse_date(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates; time parts ignored. Impossible dates (2024-13-01, 2024-02-30) are bad."""
    return _by_unique(raw, _date_u)


def parse_date_scalar(value) -> pd.Timestamp | None:
    """One value read like a date cell; None when blank or unreadable."""
    if value is None:
        return None
    v = parse_date(pd.Series([value], dtype=object))[0].iloc[0]
    return None if pd.isna(v) else pd.Timestamp(v)


# terms ---------------------------------------------------------------------------------
_PLAIN_TERM_CODE = r"^[1-9][0-9]{3}-[0-9]{4}(?:-[12])?$"  # 2024-2025-1, 2024-2025: kept as written


def _term_u(u: pd.Series):
    """Codes already in the form every step writes (two consecutive years) are kept as they are;
    the other spellings go the long way (three regexes, ~3 ms a column whatever its size)."""
    plain = _matches(u, _PLAIN_TERM_CODE)
    if plain.any():
        a = _arrow(u[plain])
        first, second = (pc.cast(pc.utf8_slice_codeunits(a, i, i + 4), pa.int64()).to_numpy() for i in (0, 5))
        plain[np.flatnonzero(plain)[second - first != 1]] = False  # 2024-2026: the long way says why
    vals, bad = _split(u, plain, lambda p: (_to_object(p), np.zeros(len(p), dtype=bool)), _term_spelled, object)
    return vals.where(vals.notna(), None), bad  # None for a blank, as the long way gives it


def _term_spelled(u: pd.Series):
    s = _normalise(u, "").str.replace(" ", "", regex=False)
    s = s.str.replace("[－—–~～至]", "-", regex=True).str.replace("学年度", "学年", regex=False)
    y1 = pd.Series(np.nan, index=u.index)
    half = pd.Series("", index=u.index, dtype=object)  # "-1"/"-2", or "" for a 学年
    found = np.zeros(len(u), dtype=bool)

    def take(pattern: str, first_year, term):
        m = _extract(s, pattern)
        hit = m.notna().all(axis=1).to_numpy() & ~found
        if hit.any():
            m = m[hit].astype(object)
            y1[hit] = first_year(m).to_numpy(float)
            half[hit] = term(m).to_numpy(object)
            found[hit] = True

    year = lambda c: pd.to_numeric(c)  # noqa: E731
    consecutive = lambda m: year(m[1]).where(year(m[1]) - year(m[0]) == 1) - 1  # noqa: E731
    # 2024-2025-1, 2024-2025学年第一学期, 2024-2025学年-1
    take(r"^([0-9]{4})-([0-9]{4})(?:学年)?(?:-|第)?([12一二上下])(?:学期)?$",
         consecutive, lambda m: "-" + m[2].map(_CN_TERM))
    # 2024年秋季学期 → 2024-2025-1; 2025年春季学期 → 2024-2025-2
    take(r"^([0-9]{4})年?(秋|春)季?(?:学期)?$",
         lambda m: year(m[0]) - (m[1] == "春").astype(int), lambda m: m[1].map({"秋": "-1", "春": "-2"}))
    # 2024-2025 or 2024-2025学年: a school year (yearly surveys)
    take(r"^([0-9]{4})-([0-9]{4})(?:学年)?$", consecutive, lambda m: m[0].map(lambda _: ""))
    ok = y1.notna().to_numpy()
    first = y1.fillna(0).astype(int)
    code = first.astype(str) + "-" + (first + 1).astype(str) + half
    return code.astype(object).where(ok, None), s.notna().to_numpy() & ~ok


def parse_term_series(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """学期 codes ``2024-2025-1`` (or 学年 ``2024-2025``) from every accepted form."""
    return _by_unique(raw, _term_u)


def parse_term(value) -> str | None:
    """One 学期 code from any accepted form; None when blank or unreadable."""
    if value is None:
        return None
    if isinstance(value, str) and (m := _PLAIN_TERM.match(value)) and int(m[2]) == int(m[1]) + 1:
        return value  # already a code (the CLI's -t, every later step's term): no frame for it
    return parse_term_series(pd.Series([value], dtype=object))[0].iloc[0]


_PLAIN_TERM = re.compile(r"([1-9][0-9]{3})-([0-9]{4})-[12]\Z")  # ASCII digits only: full-width ones take the long way


# per distinct value: every kind reads a cell alone, so a column is parsed once per distinct
# text ("hours" is 时长's number form)
UNIQUE = {"id": _id_u, "idlist": _idlist_u, "text": _text_u, "date": _date_u, "number": _number_u,
          "int": _int_u, "bool": _bool_u, "term": _term_u, "hours": _hours_u}


def parse(kind: str, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of ``kind`` (a schema kind); returns (values, bad mask)."""
    return _by_unique(raw, UNIQUE[kind])


def parse_coded(kind: str, column: pa.DictionaryArray) -> tuple[pd.Series, pd.Series]:
    """``parse`` for a dictionary-encoded arrow string column (the reader encodes each column
    once): no string copy, no second encoding. Returns (values, bad mask) on a RangeIndex."""
    return _spread(UNIQUE[kind], column.dictionary, column.indices)


def parse_coded_blank(kind: str, column: pa.DictionaryArray) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """``parse_coded`` and which cells are blank (``is_blank``), told once per distinct value
    (a 200k-row column: 7 → 0.3 ms)."""
    vals, bad, parsed, idx = _spread_with(UNIQUE[kind], column.dictionary, column.indices)
    return vals, bad, is_blank(parsed, kind)[idx]


def is_blank(parsed: pd.Series, kind: str) -> np.ndarray:
    """Parsed values of ``kind`` that are blank: missing, or for ``idlist`` a list of no ids."""
    if kind == "idlist":
        return (parsed.str.len() == 0).to_numpy(bool)
    return parsed.isna().to_numpy(bool)
