"""Shared XlsxWriter formatting for every workbook mentor_xl writes.

One look everywhere: Chinese headers in a bold, shaded, wrapped header row that stays
frozen; filters; widths from ``schema.Column.width`` (or measured, CJK counted double);
dates ``yyyy-mm-dd``, rates as %, 万元 to 2 decimals, whole numbers without decimals;
bad rows (不达标 …) in light red through a *conditional format* on the status column,
so the colour follows the row when the office sorts or filters.

Every string goes through ``safe.cell_text`` and ``write_string`` (never a formula; risky
text also gets Excel's quote prefix, see ``mentor_xl.safe``).

Large sheets: frames are written row by row (each row left to right, rows in order), the
order XlsxWriter's ``constant_memory`` mode requires, so a ~1M-row 活动记录 can be
written with ``new_workbook(path, constant_memory=True)`` in bounded memory. Values
are prepared per column with pandas first; the row loop only calls the writer.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from mentor_xl.safe import EXCEL_MAX_CHARS, cell_text, needs_quote, needs_quote_many
from mentor_xl.workbook.xlsx_package import FastWorkbook, TextWorksheet

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
MONEY_FORMAT = "0.00"  # 万元, two decimals (workbook.md)
INT_FORMAT = "0"
TEXT_FORMAT = "@"
CHUNK_ROWS = 20_000  # rows converted at a time by write_frame_sheet (smaller: less memory, not slower)
BAD_FILL = "#FFC7CE"  # Excel's "light red fill"
BAD_FONT = "#9C0006"
HEADER_FILL = "#DDEBF7"
FONT = "等线"  # Excel's default CJK font; WPS/LibreOffice substitute a CJK font


def new_workbook(path, *, constant_memory: bool = False) -> Workbook:
    """An XlsxWriter workbook with safe defaults: no string is ever turned into a formula,
    URL or number behind our back; NaN/inf never reach a cell (we skip them). Packed into
    its file by ``xlsx_package.FastWorkbook`` (parts deflated in parallel)."""
    return FastWorkbook(str(path), {
        "constant_memory": constant_memory,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": DATE_FORMAT,
        "nan_inf_to_errors": True,
    })


class Styles:
    """The formats of one workbook (XlsxWriter formats belong to a workbook), created once."""

    def __init__(self, wb: Workbook):
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
        self.wb = wb
        self.header = wb.add_format({**base, "bold": True, "bg_color": HEADER_FILL, "border": 1,
                                     "text_wrap": True, "align": "center"})
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.warn = wb.add_format({**base, "bold": True, "font_color": BAD_FONT, "bg_color": BAD_FILL,
                                   "text_wrap": True, "valign": "top"})
        self.wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.bad = wb.add_format({"bg_color": BAD_FILL, "font_color": BAD_FONT})  # conditional
        self._cell: dict[tuple[str, bool, bool], Any] = {}
        self._fills: dict[str, Any] = {}
        self._base = base

    def fill(self, colour: str):
        """A conditional-format fill of ``colour`` (e.g. per 考核 tier)."""
        f = self._fills.get(colour)
        if f is None:
            f = self._fills[colour] = self.wb.add_format({"bg_color": colour})
        return f

    _NUM_FORMATS = {"text": None, "id": TEXT_FORMAT, "date": DATE_FORMAT, "datetime": DATETIME_FORMAT,
                    "percent": PERCENT_FORMAT, "money": MONEY_FORMAT, "int": INT_FORMAT,
                    "number": None, "wrap": None}

    def cell(self, kind: str = "text", quoted: bool = False, boxed: bool = False):
        """Format for a data cell of ``kind`` (text, id, date, datetime, percent, money, int,
        number, wrap = wrapped text); ``quoted`` adds Excel's quote prefix (risky text stays text when
        edited); ``boxed`` a thin border (a small table on a hand-laid page, which prints no grid)."""
        key = (kind, quoted, boxed)
        f = self._cell.get(key)
        if f is None:
            props = dict(self._base)
            if boxed:
                props["border"] = 1
            nf = self._NUM_FORMATS[kind]
            if nf:
                props["num_format"] = nf
            if quoted:
                props["quote_prefix"] = True
            if kind == "wrap":
                props.update(text_wrap=True, valign="top")
            f = self._cell[key] = self.wb.add_format(props)
        return f


def styles(wb: Workbook) -> Styles:
    """The workbook's Styles (created on first use, then reused)."""
    st = getattr(wb, "_mentor_xl_styles", None)
    if st is None:
        st = Styles(wb)
        wb._mentor_xl_styles = st
    return st


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A legal Excel sheet name: no []:*?/\\, no leading/trailing ', at most 31 characters."""
    s = _BAD_SHEET_CHARS.sub("_", str(name)).strip().strip("'")
    return (s or "Sheet")[:31]


def text_width(s: Any) -> int:
    """Display width of a value in Excel column units: CJK/full-width characters count 2."""
    t = cell_text(s) or ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in t)


def write_text(ws: Worksheet, row: int, col: int, value: Any, st: Styles, kind: str = "text", *,
               boxed: bool = False) -> None:
    """Write ``value`` as a string cell (never a formula); blank values write nothing (``boxed``:
    a blank cell with the border)."""
    s = cell_text(value)
    if s is None:
        if boxed:
            ws.write_blank(row, col, None, st.cell(kind, boxed=True))
        return
    ws.write_string(row, col, s, st.cell(kind, needs_quote(s), boxed))


def write_header(ws: Worksheet, names: Sequence[str], st: Styles, *, row: int = 0,
                 freeze: bool = True) -> None:
    """The header row (bold, shaded) at ``row``; frozen so it stays visible when scrolling."""
    for j, name in enumerate(names):
        ws.write_string(row, j, cell_text(name) or "", st.header)
    if freeze:
        ws.freeze_panes(row + 1, 0)


def highlight_rows(ws: Worksheet, first_row: int, last_row: int, ncols: int, status_col: int,
                   bad_values: Iterable[str], st: Styles, *, fill: str | None = None) -> None:
    """Rows whose ``status_col`` cell is one of ``bad_values`` in light red (or ``fill``,
    a colour like ``#C6EFCE``); 0-based rows/cols.

    A conditional format (not a static fill) so the highlight follows the data when the
    office sorts or filters, and updates when someone corrects a status.
    """
    bad = [str(v) for v in bad_values]
    if not bad or ncols <= 0:
        return
    last_row = max(last_row, first_row)
    col = xl_col_to_name(status_col)
    tests = ",".join(f'${col}{first_row + 1}="{v.replace(chr(34), chr(34) * 2)}"' for v in bad)
    ws.conditional_format(first_row, 0, last_row, ncols - 1, {
        "type": "formula", "criteria": f"=OR({tests})",
        "format": st.bad if fill is None else st.fill(fill)})


# --------------------------------------------------------------------------- printing

A4 = 9  # Excel's paper code
HEADER_MAX = 255  # Excel refuses longer page headers
# every printed result page, the buttons' sheets included (macros/mentor_xl_print.bas sets the same)
MARGINS_IN = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.6}
FOOTER = "第 &P 页，共 &N 页"


@dataclass(frozen=True)
class Page:
    """How a result sheet prints: landscape A4, one page wide, ``repeat`` top rows on every
    page, the office, the sheet's title and the term in the page header, page numbers below,
    the cells' grid printed (``grid``)."""
    title: str
    office: str = ""
    term: str = ""
    repeat: int = 1  # rows repeated at the top of every printed page (0: none)
    grid: bool = True  # cell borders printed (a table's); a hand-laid page of paragraphs and charts has none


def _header_text(s: str) -> str:
    return str(s or "").replace("&", "&&")  # "&" starts a header code


def page_setup(ws: Worksheet, page: Page, *, scale: int | None = None) -> None:
    """Print settings of ``page`` on ``ws`` (works in constant_memory sheets too).

    Without ``scale`` the sheet is fitted to one page wide, as many pages tall as its rows
    need; fitting ignores manual page breaks, so a hand-laid sheet with breaks gives the
    ``scale`` (percent) that makes it one page wide instead."""
    ws.set_landscape()
    ws.set_paper(A4)
    if scale is None:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(scale)
    ws.set_margins(**MARGINS_IN)
    ws.center_horizontally()
    if page.repeat:
        ws.repeat_rows(0, page.repeat - 1)
    if page.grid:  # on paper a right-aligned number ran into the text of the next column, and a
        ws.hide_gridlines(0)  # cut-off text into the next cell's ("2024-1、1、1"); the grid parts them
    parts = [("&L", page.office), ("&C&B", page.title), ("&R", page.term)]
    header = "".join(code + _header_text(text) for code, text in parts if text)
    while len(header) > HEADER_MAX and parts[0][1]:  # a very long office name is shortened first
        parts[0] = (parts[0][0], parts[0][1][:-1])
        header = "".join(code + _header_text(text) for code, text in parts if text)
    ws.set_header(header[:HEADER_MAX])
    ws.set_footer("&C" + FOOTER)


# --------------------------------------------------------------------------- frames

@dataclass
class SheetSpec:
    """A frame plus how to format it, for ``write_frame_sheet`` (and ``extra_sheets``)."""
    df: pd.DataFrame
    percent_cols: Sequence[str] = ()
    money_cols: Sequence[str] = ()
    int_cols: Sequence[str] = ()
    date_cols: Sequence[str] = ()
    text_cols: Sequence[str] = ()
    wrap_cols: Sequence[str] = ()
    status_col: str | None = None
    bad_values: Sequence[str] = ()
    widths: dict[str, int] = field(default_factory=dict)
    status_colours: dict[str, str] | None = None


# A 说明 column (a sentence or three of why, as 考核结果's and 资格审查's) wrapped in its column:
# printed whole, on the page of the names (``SheetSpec(..., **REASONS)``)
REASONS = {"wrap_cols": ("说明",), "widths": {"说明": 90}}


def write_frame_sheet(workbook: Workbook, name: str, df: pd.DataFrame, *,
                      percent_cols: Sequence[str] = (), money_cols: Sequence[str] = (),
                      int_cols: Sequence[str] = (), date_cols: Sequence[str] = (),
                      text_cols: Sequence[str] = (), wrap_cols: Sequence[str] = (),
                      status_col: str | None = None,
                      bad_values: Sequence[str] = (), widths: dict[str, int] | None = None,
                      status_colours: dict[str, str] | None = None,
                      freeze: bool = True, autofilter: bool = True) -> Worksheet:
    """Add sheet ``name`` holding ``df`` (its column names are the headers, in order).

    Formats come from the dtypes — datetime64 → date, integers → whole numbers, bool →
    是/否 — unless a column is listed: ``percent_cols`` (fractions shown as %),
    ``money_cols`` (万元, 0.00), ``int_cols``, ``date_cols``, ``text_cols`` (ids kept as
    text), ``wrap_cols`` (long text wrapped in its column, printed whole). Lists in cells are
    joined with 、. Rows whose ``status_col`` is one of
    ``bad_values`` are highlighted light red; ``status_colours`` (status value → fill colour,
    default ``df.attrs["tier_colours"]`` when the producer put one there) colours other
    values, e.g. one colour per 考核 tier — bad values keep light red. Header row frozen, filter over the data, widths
    from ``widths`` (header → width) or measured. Works in constant_memory workbooks.
    Raises ValueError (Chinese) when the frame has more rows than an Excel sheet holds.
    """
    n, m = len(df), len(df.columns)
    if n + 1 > EXCEL_MAX_ROWS:
        raise ValueError(f"工作表“{name}”有 {n} 行数据，超过 Excel 单个工作表的上限 {EXCEL_MAX_ROWS - 1} 行")
    if m > EXCEL_MAX_COLS:
        raise ValueError(f"工作表“{name}”有 {m} 列，超过 Excel 的上限 {EXCEL_MAX_COLS} 列")
    st = styles(workbook)
    ws = workbook.add_worksheet(sheet_name(name))
    headers = [str(c) for c in df.columns]
    write_header(ws, headers, st, freeze=freeze)

    forced = {}
    for kind, cols in (("percent", percent_cols), ("money", money_cols), ("int", int_cols),
                       ("date", date_cols), ("id", text_cols), ("wrap", wrap_cols)):
        for c in cols:
            if c in df.columns:
                forced[c] = kind
    plans = [_plan_column(ws, j, df.iloc[:, j], forced.get(c), st) for j, c in enumerate(df.columns)]
    describe: list[Callable[[Any], tuple]] = [p[2] for p in plans]
    widths = dict(widths or {})
    rows_xml = _RowsXml.for_sheet(ws) if n else None
    # Values are converted a chunk of rows at a time, so a 1M-row frame does not need all
    # its cells as Python objects at once; rows still go out strictly in order.
    for start in range(0, max(n, 1), CHUNK_ROWS):
        part = df.iloc[start:start + CHUNK_ROWS]
        # each column as (code per row, -1 for blank; its distinct cell values)
        columns = [convert(part.iloc[:, j]) for j, (_, convert, _) in enumerate(plans)]
        if start == 0:
            for j, c in enumerate(df.columns):
                kind = plans[j][0]
                if str(c) not in widths:
                    widths[str(c)] = _measure(str(c), _values(columns[j], 200), kind)
                ws.set_column(j, j, widths[str(c)],
                              st.cell(kind) if kind in ("id", "date", "datetime", "percent", "money", "int") else None)
        wrapped = [(columns[j], widths[str(c)]) for j, c in enumerate(df.columns) if plans[j][0] == "wrap"]
        heights = _row_heights(wrapped, len(part)) if wrapped else None
        if rows_xml is not None:
            rows_xml.write(start + 1, columns, describe, heights)
            continue
        values = [_values(col) for col in columns]
        for i, row in enumerate(zip(*values), start=start + 1):
            if heights is not None and heights[i - start - 1]:
                ws.set_row(i, float(heights[i - start - 1]))
            for j, v in enumerate(row):
                if v is not None:
                    _emit(ws, i, j, describe[j](v))

    if autofilter and m:
        ws.autofilter(0, 0, max(n, 1), m - 1)
    if status_col is not None and status_col in df.columns:
        k = headers.index(str(status_col))
        # Added first = higher priority in Excel: the bad-row red wins over a tier colour.
        highlight_rows(ws, 1, max(n, 1), m, k, bad_values, st)
        colours = status_colours if status_colours is not None else df.attrs.get("tier_colours") or {}
        for value, colour in colours.items():
            if value not in bad_values:
                highlight_rows(ws, 1, max(n, 1), m, k, [value], st, fill=colour)
    return ws


def write_spec_sheet(workbook: Workbook, name: str, spec: "SheetSpec | pd.DataFrame") -> Worksheet:
    """``write_frame_sheet`` for a SheetSpec (or a bare DataFrame with formats from dtypes)."""
    if isinstance(spec, pd.DataFrame):
        return write_frame_sheet(workbook, name, spec)
    return write_frame_sheet(workbook, name, spec.df, percent_cols=spec.percent_cols,
                             money_cols=spec.money_cols, int_cols=spec.int_cols,
                             date_cols=spec.date_cols, text_cols=spec.text_cols, wrap_cols=spec.wrap_cols,
                             status_col=spec.status_col, bad_values=spec.bad_values,
                             widths=spec.widths, status_colours=spec.status_colours)


def _measure(header: str, values: list, kind: str) -> int:
    w = text_width(header) + 3  # room for the filter arrow
    if kind in ("date",):
        w = max(w, 12)
    elif kind == "datetime":
        w = max(w, 17)
    else:
        try:
            values = list(dict.fromkeys(values[:200]))  # each distinct value measured once
        except TypeError:  # an unhashable cell value: measure them all
            values = values[:200]
        for v in values:
            if v is not None:
                w = max(w, text_width(v) + 2 if isinstance(v, str) else 10)
    return max(6, min(w, 50))


def _plan_column(ws: Worksheet, j: int, s: pd.Series, forced: str | None, st: Styles):
    """Decide once, from the whole column: (format kind, convert(chunk) → ``Coded`` (code per
    row, -1 for blank; the distinct cell values), describe(value) → the cell to write as
    (type, value, format))."""
    if forced in ("percent", "money", "int") or (forced is None and _is_numeric(s)):
        kind = forced or ("int" if _is_int(s) else "number")
        fmt = st.cell(kind)
        return kind, _numbers, lambda v: (_NUM, v, fmt)
    if forced == "date" or (forced is None and pd.api.types.is_datetime64_any_dtype(s)):
        d = _dates(s)
        ok = d.notna() & (d.dt.year >= 1900)
        kind = "datetime" if ((d[ok] != d[ok].dt.normalize()).any()) else "date"
        fmt = st.cell(kind)
        if forced == "date" and not pd.api.types.is_datetime64_any_dtype(s):
            # Unparseable entries of a forced date column stay visible as text.
            def convert(c: pd.Series) -> Coded:
                dc = _dates(c)
                good = dc.notna() & (dc.dt.year >= 1900)
                return _codes([dv.to_pydatetime() if k else cell_text(o) for dv, k, o in zip(dc, good, c.tolist())])
            return kind, convert, _mixed(st, fmt)

        def convert(c: pd.Series) -> Coded:
            dc = _dates(c)
            good = dc.notna() & (dc.dt.year >= 1900)
            codes, uniq = pd.factorize(dc.where(good))  # few distinct dates: convert each once
            return codes.astype(np.int64), [u.to_pydatetime() for u in uniq]
        return kind, convert, lambda v: (_DATE, v, fmt)
    if forced is None and pd.api.types.is_bool_dtype(s):
        def convert(c: pd.Series) -> Coded:
            return _distinct(c.astype(object), lambda v: "是" if v else "否")
        return "text", convert, _text(st, "text")
    if forced == "id":
        return "id", lambda c: _texts(c, _id_text), _text(st, "id")
    if forced == "wrap" and _all_text(s):  # long text printed whole: wrapped in its column
        return "wrap", lambda c: _texts(c, cell_text, text=True), _text(st, "wrap")
    if _all_text(s):  # so is every chunk of it
        return "text", lambda c: _texts(c, cell_text, text=True), _text(st, "text")
    # Mixed object column (e.g. 数据问题/值): each cell by its own type.
    return "text", lambda c: _codes([_normalise(v) for v in c.tolist()]), _mixed(st, st.cell("date"))


LINE_PT = 15  # one line of 11 pt text
MAX_ROW_PT = 409  # Excel's tallest row (409.5 pt): a taller one makes Excel "repair" the file


def _row_heights(wrapped: list[tuple["Coded", float]], n: int) -> np.ndarray:
    """Per row, the height (points) its wrapped cells need to print whole, 0 for one line: no
    reader sizes rows to wrapped text when it opens the file (LibreOffice prints one line)."""
    lines = np.ones(n, dtype=np.int64)
    for (codes, uniq), width in wrapped:
        # CJK text renders a little wider than two width units a character: room for it alone
        # (digits are the width unit itself: a list of dates measured as CJK wrapped a line early)
        per = np.append(_printed_lines(uniq, width), 1)
        lines = np.maximum(lines, per[codes])  # code -1 (blank) takes the last entry: one line
    return np.where(lines > 1, _height(lines), 0)


def _height(lines):
    """Points for ``lines`` lines of text (an int or an array), at most Excel's tallest row."""
    return np.minimum(lines * LINE_PT + 3, MAX_ROW_PT)


def printed_lines(value, width: float) -> int:
    """The lines ``value`` takes wrapped in a column ``width`` units wide (``_print_width``)."""
    return max(1, math.ceil(_print_width(value) / max(width - 1, 1)))


def _printed_lines(values: list, width: float) -> np.ndarray:
    """``printed_lines`` of many values at once: the characters of all texts looked up by numpy
    (合规汇总's 未达标周期, thousands of distinct texts, took a Python step a character)."""
    if not all(type(v) is str for v in values):
        return np.array([printed_lines(v, width) for v in values], dtype=np.int64)
    lens = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    code = np.frombuffer("".join(values).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = np.zeros(int(code.max(initial=0)) + 1, dtype=bool)  # each character asked once
    seen = np.flatnonzero(np.bincount(code, minlength=len(table)))
    table[seen] = [unicodedata.east_asian_width(chr(c)) in "WF" for c in seen.tolist()]
    run = np.concatenate(([0], np.cumsum(table[code], dtype=np.int64)))
    ends = np.cumsum(lens)
    wide = run[ends] - run[ends - lens]
    printed = (lens - wide) * 1.05 + wide * 2.3  # as _print_width: the same floats
    return np.maximum(1, np.ceil(printed / max(width - 1, 1))).astype(np.int64)


def write_wrapped(ws: Worksheet, row: int, value: Any, st: Styles, width: float) -> None:
    """A paragraph of a hand-laid sheet in column A (``width`` units wide), wrapped, its row as tall
    as its printed lines: no reader sizes a row to wrapped text, LibreOffice showed one line."""
    write_text(ws, row, 0, value, st, "wrap")
    if (lines := printed_lines(value, width)) > 1:
        ws.set_row(row, float(_height(lines)))


def _print_width(value) -> float:
    """``text_width`` as printed: a full-width character 2.3 units, others 1.05 (the unit is a
    digit's width; a capital letter is wider, a space or a hyphen narrower)."""
    t = cell_text(value) or ""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in t)
    return (len(t) - wide) * 1.05 + wide * 2.3


def _dates(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return d


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _is_int(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s)


# A column chunk as cells: (code per row, -1 for a blank cell; the distinct values to write).
Coded = tuple[np.ndarray, list]


def _values(col: Coded, limit: int | None = None) -> list:
    """The cell values of a ``Coded`` column, None for blank (the first ``limit`` only)."""
    codes, uniq = col
    lookup = [*uniq, None]  # code -1 → the last entry
    return [lookup[k] for k in (codes if limit is None else codes[:limit]).tolist()]


def _distinct(c: pd.Series, each: Callable[[Any], Any] | None) -> Coded:
    """``each`` over the distinct values of ``c`` only (blank: NA, or ``each`` gives None;
    ``each`` None: the values as they are)."""
    if c.dtype == object:  # cells taken from a few shared objects (工号, 姓名 …): each hashed once
        from mentor_xl.workbook.values import factorize_objects  # here: blank books never load the reader's parsers

        codes, uniq = factorize_objects(c.to_numpy())
    else:
        codes, uniq = pd.factorize(c, use_na_sentinel=True)
    vals = uniq.tolist()
    if each is not None:
        vals = [each(u) for u in vals]
    codes = np.asarray(codes, dtype=np.int64)
    if each is None:  # factorize leaves blanks out of its values: nothing to drop
        return codes, vals
    keep = np.fromiter((v is not None for v in vals), dtype=bool, count=len(vals))
    if not keep.all():  # values that make blank cells leave the list
        remap = np.full(len(vals) + 1, -1, dtype=np.int64)  # code -1 stays -1 (the last entry)
        remap[:-1][keep] = np.arange(int(keep.sum()))
        codes = remap[codes]
        vals = [v for v in vals if v is not None]
    return codes, vals


def _numbers(s: pd.Series) -> Coded:
    x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    ok = np.isfinite(x)
    # by bit pattern: 0.0 and -0.0 stay apart (XlsxWriter writes "0" and "-0")
    codes, uniq = pd.factorize(np.where(ok, x, 0.0).view(np.int64))
    codes = np.where(ok, codes, -1).astype(np.int64)
    return codes, np.asarray(uniq, dtype=np.int64).view(np.float64).tolist()


def _all_text(s: pd.Series) -> bool:
    # Columns holding only text (or nothing) are written as text without per-cell dispatch.
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return True
    return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _texts(c: pd.Series, slow: Callable[[Any], str | None], text: bool = False) -> Coded:
    """``slow`` over a column, skipping the call for the usual value: a non-empty str within
    Excel's cell limit, which every text converter returns unchanged. A column of text (``text``:
    known to be) is converted per distinct value; anything else (numbers in an id column …) per
    cell."""
    m = EXCEL_MAX_CHARS
    fast = lambda v: v if type(v) is str and v and len(v) <= m else slow(v)  # noqa: E731
    if not (text or _all_text(c)):
        return _codes([fast(v) for v in c.tolist()])
    codes, vals = _distinct(c, None)
    if "" in vals or max(map(len, vals), default=0) > m:  # the rare values ``slow`` changes
        codes, vals = _distinct(c, fast)
    return codes, vals


def _id_text(v: Any) -> str | None:
    # An id that went through a float column (2024010123.0) is written without ".0".
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return cell_text(v)


def _normalise(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (dt.datetime, dt.date)):
        return v
    return cell_text(v)


def _codes(values: list) -> Coded:
    """``Coded`` from a list of cell values (None = blank)."""
    floats = np.asarray([v for v in values if type(v) is float], dtype=float)
    if (np.signbit(floats) & (floats == 0)).any():  # 0.0 and -0.0 hash alike; XlsxWriter writes "0", "-0"
        seen: dict = {}
        codes = [-1 if v is None else seen.setdefault(
            (v, math.copysign(1.0, v)) if type(v) is float else (v, type(v)), len(seen)) for v in values]
        return np.asarray(codes, dtype=np.int64), [k[0] for k in seen]
    codes, uniq = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), list(uniq)


# A cell to write: (type, value, format); type is one of these.
_STR, _NUM, _DATE = 0, 1, 2


class _TextCell:
    """describe() of a text column: (string, value, plain format or, for risky text, the quoted
    one). ``_RowsXml`` writes such columns without describing each value."""

    def __init__(self, st: Styles, kind: str):
        self.plain, self.quoted = st.cell(kind), st.cell(kind, True)

    def __call__(self, v: str) -> tuple:
        return (_STR, v, self.quoted if needs_quote(v) else self.plain)


def _text(st: Styles, kind: str) -> _TextCell:
    return _TextCell(st, kind)


def _mixed(st: Styles, date_fmt):
    text = _text(st, "text")

    def describe(v: Any) -> tuple:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, float):
            return (_NUM, v, None)
        if isinstance(v, (dt.datetime, dt.date)):
            return (_DATE, v, date_fmt) if v.year >= 1900 else text(v.isoformat())
        return text(cell_text(v))
    return describe


def _emit(ws: Worksheet, r: int, j: int, cell: tuple) -> None:
    t, v, fmt = cell
    if t == _STR:
        ws.write_string(r, j, v, fmt)
    elif t == _NUM:
        ws.write_number(r, j, v, fmt)
    else:
        ws.write_datetime(r, j, v, fmt)


_LSTR = pa.large_string()


class _Col:
    """One column of a chunk for ``_RowsXml``: codes per row and, per distinct value, its cell.
    A text column (``_TextCell``) keeps its strings and which need the quote prefix, and is
    never described value by value."""

    def __init__(self, codes: np.ndarray, uniq: list, desc):
        self.codes, self.stored = codes, None
        if isinstance(desc, _TextCell):
            self.descs, self.values = None, uniq
            self.quoted = needs_quote_many(uniq)
            self.plain, self.quoted_fmt = desc.plain, desc.quoted
            self.fmts = [desc.quoted if q else desc.plain for q in self.quoted]
            self.distinct_fmts = [desc.plain, desc.quoted] if any(self.quoted) else [desc.plain]
            self.text = np.ones(len(uniq), dtype=bool)
        else:
            self.descs = [desc(u) for u in uniq]
            self.fmts = [d[2] for d in self.descs]
            self.distinct_fmts = list({id(f): f for f in self.fmts}.values())
            self.text = np.fromiter((d[0] == _STR for d in self.descs), dtype=bool, count=len(self.descs))


def _utf8(strings: pa.Array) -> memoryview:
    """The UTF-8 bytes of ``strings`` (large_string, no nulls), one after the other, not copied."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64, count=len(strings) + 1, offset=8 * strings.offset)
    return memoryview(strings.buffers()[2])[offsets[0]:offsets[-1]]


def _write_strings(ws: Worksheet, strings: pa.Array) -> None:
    """Append ``strings`` (large_string, no nulls: whole rows of XML) to the rows of the
    constant_memory sheet ``ws``: their UTF-8 bytes go to the sheet's deflater
    (``TextWorksheet.write_row_bytes``) or the row file, with no Python str in between."""
    data = _utf8(strings)
    if isinstance(ws, TextWorksheet) and ws.can_take_row_bytes():
        ws.write_row_bytes(data)
        return
    fh = ws.fh
    buffer = getattr(fh, "buffer", None)
    if buffer is None:  # not a file on disk
        fh.write(str(data, "utf-8"))
        return
    fh.flush()  # what XlsxWriter wrote before goes first
    buffer.write(data)


class _RowsXml:
    """Rows of a constant_memory sheet written as XML, as UTF-8 bytes, to the sheet's deflater
    (``xlsx_package.TextWorksheet``) or straight into XlsxWriter's row file.

    XlsxWriter spends ~30–60 µs a cell in Python (argument checks, one dict per row, the
    element writer); a 合规明细 of 160k rows × 21 columns took minutes. Here the XML of each
    distinct (type, value, format) is made once — by XlsxWriter's own ``_write_cell``, or for
    text columns by arrow's kernels around the shared-string index — and cells and rows are
    joined by arrow, without a Python object per cell. Text goes to the workbook's shared string
    table, as XlsxWriter does outside constant_memory mode (its constant_memory mode writes
    every text inline, which makes the repeated 规则名称/学院/状态 cells three times longer and the
    file slower to write and to zip); strings are numbered in the order XlsxWriter's row-by-row
    writes would number them, so the file is the one its per-cell API writes without
    constant_memory, row spans aside, and with the references (``r="B2"``) of cells that follow
    the row's previous cell left out: optional in the format (ECMA-376), and a cell without one
    goes to the next column (LibreOffice, calamine and openpyxl are tested on it,
    ``tests/test_xlsx_cell_refs.py``). Only for constant_memory sheets, where XlsxWriter itself
    streams rows to that file; ``for_sheet`` returns None (the per-cell path) for anything else.
    """

    def __init__(self, ws: Worksheet, row_tail: str):
        try:
            from xlsxwriter.worksheet import CellDatetimeTuple, CellNumberTuple, CellStringTuple
        except ImportError:  # XlsxWriter 3.2 names them in lower case
            from xlsxwriter.worksheet import cell_datetime_tuple as CellDatetimeTuple  # noqa: N812
            from xlsxwriter.worksheet import cell_number_tuple as CellNumberTuple  # noqa: N812
            from xlsxwriter.worksheet import cell_string_tuple as CellStringTuple  # noqa: N812

        self.ws, self.row_tail = ws, row_tail
        self.tuples = (CellStringTuple, CellNumberTuple, CellDatetimeTuple)
        self.sst = ws.str_table  # the workbook's SharedStringTable
        self.cache: dict[tuple, str] = {}
        self.around: dict[tuple, tuple[str, str]] = {}  # (column, format) -> XML before / after a string index
        self.letters: list[str] = []

    @classmethod
    def for_sheet(cls, ws: Worksheet) -> "_RowsXml | None":
        rows_set = getattr(ws, "row_info", None)  # rows given a height/format (XlsxWriter 3.3)
        if rows_set is None:
            rows_set = getattr(ws, "set_rows", {})  # XlsxWriter 3.2
        if not getattr(ws, "constant_memory", False) or any(r > 0 for r in rows_set) or ws.previous_row != 0:
            return None
        try:
            head = cls._capture(ws, lambda: ws._write_row(1, None))  # '<row r="2" …>'
            ws.str_table.string_table, ws.str_table.unique_count, ws.str_table.count  # noqa: B018
        except (AttributeError, TypeError):  # another XlsxWriter inside: use its public API
            return None
        if not head.startswith('<row r="2"') or not head.endswith(">"):
            return None
        return cls(ws, head[len('<row r="2"'):-1])

    @staticmethod
    def _capture(ws: Worksheet, fn) -> str:
        saved, ws.fh = ws.fh, io.StringIO()
        try:
            fn()
            return ws.fh.getvalue()
        finally:
            ws.fh = saved

    def _text(self, v: str) -> str:
        """``v`` as XlsxWriter stores it: cut to Excel's limit of 32,767 UTF-16 units."""
        m = self.ws.xls_strmax
        if len(v) <= m // 2:  # cannot be over the limit: the usual case, no UTF-16 count
            return v
        try:
            from xlsxwriter.utility import _utf16_len, _utf16_truncate
        except ImportError:  # XlsxWriter 3.2 counts characters
            return v[:m]
        return _utf16_truncate(v, m) if _utf16_len(v) > m else v

    def _cell(self, j: int, cell: tuple) -> str:
        """The XML of ``cell`` in column ``j`` after ``<c r="A2`` (from the closing quote on)."""
        t, v, fmt = cell
        ws = self.ws
        if t == _STR:
            before, after = self._around(j, fmt)
            return before + str(self.sst.string_table[self._text(v)]) + after
        if t == _NUM:
            tup = self.tuples[1](v, fmt)
        else:
            tup = self.tuples[2](ws._convert_date_time(v), fmt)
        return self._probe(j, tup)

    def _around(self, j: int, fmt) -> tuple[str, str]:
        """XlsxWriter's shared-string cell in column ``j`` with ``fmt``: the XML before and after
        the string's index (after ``<c r="A2``)."""
        around = self.around.get((j, fmt))
        if around is None:  # made once, around a probe index
            ws = self.ws
            saved, ws.constant_memory = ws.constant_memory, False
            try:
                probe = self._probe(j, self.tuples[0]("\x5f", fmt))  # "_" is not in the markup
            finally:
                ws.constant_memory = saved
            before, after = probe.split("\x5f")
            around = self.around[(j, fmt)] = (before, after)
        return around

    def _probe(self, j: int, tup) -> str:
        """XlsxWriter's own XML for one cell tuple in column ``j``, after ``<c r="A2``."""
        ws = self.ws
        xml = self._capture(ws, lambda: ws._write_cell(1, j, tup))
        prefix = f'<c r="{xl_col_to_name(j)}2'  # the fragment starts at the closing quote
        if not xml.startswith(prefix):
            raise RuntimeError(f"unexpected cell XML from XlsxWriter: {xml[:80]!r}")
        return xml[len(prefix):]

    def _share_strings(self, cols: list["_Col"]) -> None:
        """Number this chunk's new strings in first-use order (row by row, left to right), as
        XlsxWriter's shared string table would, and count every text cell written."""
        sst, table = self.sst, self.sst.string_table
        texts: list[str] = []
        rows, where = [], []
        for j, col in enumerate(cols):
            text = col.text
            if not text.any():
                continue
            codes = col.codes
            at = np.flatnonzero(codes >= 0)
            sst.count += int(text[codes[at]].sum())
            first_row = np.full(len(text), len(codes), dtype=np.int64)
            np.minimum.at(first_row, codes[at], at)  # first row of each distinct value (no sort)
            uniq = np.flatnonzero((first_row < len(codes)) & text)
            first = first_row[uniq]
            stored = self._stored(col)
            texts += [stored[c] for c in uniq.tolist()]
            rows.append(first)
            where.append(np.full(len(first), j))
        if not texts:
            return
        first_use = map(texts.__getitem__, np.lexsort((np.concatenate(where), np.concatenate(rows))).tolist())
        new = [v for v in dict.fromkeys(first_use) if v not in table]  # by row, then column; each once
        n = sst.unique_count
        table.update(zip(new, range(n, n + len(new))))
        sst.unique_count = n + len(new)

    def _stored(self, col: "_Col") -> list:
        """The text of each distinct value of ``col`` as the table stores it (``_text``); other
        values are never looked up."""
        if col.stored is None:
            if col.descs is None:
                vals = col.values
                short = max(map(len, vals), default=0) <= self.ws.xls_strmax // 2
                col.stored = vals if short else [self._text(v) for v in vals]
            else:
                col.stored = [self._text(d[1]) if d[0] == _STR else None for d in col.descs]
        return col.stored

    def _index_formats(self, cols: list["_Col"]) -> None:
        """Give new formats their XF numbers in the order XlsxWriter's row-by-row writes would
        (first use, row by row, left to right), so the styles part comes out the same."""
        col_info = self.ws.col_info
        first: dict[int, tuple[int, int, object]] = {}
        for j, col in enumerate(cols):
            info = col_info.get(j)
            # XlsxWriter 3.3 keeps a ColumnInfo, 3.2 a list [width, format, …]
            col_fmt = None if info is None else info[1] if isinstance(info, list) else info.column_format
            if all(f is None or f.xf_index is not None for f in (*col.distinct_fmts, col_fmt)):
                continue
            if col.descs is None:  # text: the plain or the quoted format, by the value's flag
                fmts = [col.plain if col.plain is not None else col_fmt,
                        col.quoted_fmt if col.quoted_fmt is not None else col_fmt]
                of_value = np.append(np.asarray(col.quoted, dtype=np.int64), 0)  # blank (-1): unused
            else:
                fmts = [f if f is not None else col_fmt for f in col.fmts]
                of_value = np.append(np.arange(len(fmts), dtype=np.int64), 0)
            new = list({id(f): f for f in fmts if f is not None and f.xf_index is None}.values())
            number = {id(f): k for k, f in enumerate(new)}
            # per row the number of its new format (-1: none, or one already numbered): a few formats
            which = np.array([number.get(id(f), -1) for f in fmts] + [-1])[of_value[col.codes]]
            which[col.codes < 0] = -1
            for k, f in enumerate(new):
                hit = which == k
                i = int(hit.argmax())
                if hit[i] and (id(f) not in first or (i, j) < first[id(f)][:2]):
                    first[id(f)] = (i, j, f)
        for _, _, f in sorted(first.values(), key=lambda x: x[:2]):
            f._get_xf_index()

    def _text_frags(self, j: int, col: "_Col") -> pa.Array:
        """The cell XML (after ``<c r="A2``) of each distinct string of a text column, built by
        arrow's kernels from the strings' indexes in the shared string table."""
        table = self.sst.string_table
        idx = pa.array(list(map(table.__getitem__, self._stored(col))), pa.int64()).cast(_LSTR)
        s = lambda x: pa.scalar(x, _LSTR)  # noqa: E731
        plain = [s(x) for x in self._around(j, col.plain)]
        if not any(col.quoted):
            return pc.binary_join_element_wise(plain[0], idx, plain[1], s(""))
        quoted = [s(x) for x in self._around(j, col.quoted_fmt)]
        q = pa.array(col.quoted, pa.bool_())
        return pc.binary_join_element_wise(pc.if_else(q, quoted[0], plain[0]), idx,
                                           pc.if_else(q, quoted[1], plain[1]), s(""))

    def write(self, first: int, columns: list[Coded], describe: list, heights: np.ndarray | None = None) -> None:
        """Rows ``first``, ``first`` + 1, … (0-based) from per-column ``Coded`` values; ``heights``
        (points per row, 0 for the default) as ``set_row`` would give them."""
        ws, cache = self.ws, self.cache
        if ws.previous_row < first:  # flush the header row XlsxWriter still holds
            ws._write_single_row(first)
        while len(self.letters) < len(columns):
            self.letters.append(xl_col_to_name(len(self.letters)))
        n = len(columns[0][0]) if columns else 0
        cols = [_Col(codes, uniq, desc) for (codes, uniq), desc in zip(columns, describe)]
        self._index_formats(cols)
        self._share_strings(cols)
        # Here, in order: each column's XML per distinct value (numbering strings and formats
        # as they come). The rows themselves are glued by arrow's string kernels
        # (``_join_rows``), on the workbook's rows thread where there is one.
        heads, tails = [], None
        if heights is not None and heights.any():
            tall, at = np.unique(heights, return_inverse=True)  # a few distinct heights
            tails = ([f'"{self.row_tail} ht="{h:g}" customHeight="1">' if h else f'"{self.row_tail}>'
                      for h in tall.tolist()], at.ravel())
        used = []
        filled = np.zeros(n, dtype=bool)
        prev_valid = None  # which rows have a cell in the previous column
        for j, col in enumerate(cols):
            idx = col.codes
            valid = idx >= 0
            if not valid.any():
                prev_valid = valid
                continue
            if col.descs is None:
                table = self._text_frags(j, col)
            else:
                table = []
                for d in col.descs:
                    v = d[1]
                    key = (j, *d, type(v) is float and v == 0 and math.copysign(1.0, v) < 0)  # -0.0 is not 0.0 here
                    f = cache.get(key)
                    if f is None:
                        f = cache[key] = self._cell(j, d)
                    table.append(f)
                table = pa.array(table, _LSTR)
            used.append(j)
            filled |= valid
            # after a blank the cell says where it is: the rows where the previous column is blank
            after_blank = None if j == 0 or prev_valid.all() else ~prev_valid
            heads.append((self.letters[j], table, idx, valid, after_blank))
            prev_valid = valid
        if not used:
            ws.previous_row = first + n
            return
        last = first + int(np.flatnonzero(filled)[-1])
        # the sheet's <dimension>, as XlsxWriter's own writes would set it
        ws._check_dimensions(last, used[0])
        ws._check_dimensions(last, used[-1])
        ws.previous_row = first + n
        rows = lambda: _join_rows(first, n, self.row_tail, tails, heads, filled)  # noqa: E731
        if isinstance(ws, TextWorksheet) and ws.can_take_row_bytes():
            # decided here: the thread never looks at ``ws.fh``, which ``_capture`` swaps meanwhile
            ws.later(lambda: ws.write_row_bytes(_utf8(rows())))
        else:
            _write_strings(ws, rows())


def _join_rows(first: int, n: int, row_tail: str, tails, heads: list, filled: np.ndarray) -> pa.Array:
    """The XML of rows ``first`` … ``first + n - 1`` (those ``filled``), one string a row, made
    by arrow's kernels with no Python string per cell: '<row r="2" …>', then per column
    '<c …>…</c>' (``heads``: its letter, XML per distinct value, code per row, which rows have a
    cell, which follow a blank), '</row>'. ``tails``: the row's attributes per height, or None."""
    s = lambda x: pa.scalar(x, _LSTR)  # noqa: E731
    nums = pc.cast(pa.array(np.arange(first + 1, first + n + 1, dtype=np.int64)), _LSTR)
    tail = s(f'"{row_tail}>') if tails is None else pa.array(tails[0], _LSTR).take(pa.array(tails[1]))
    pieces = [s('<row r="'), nums, tail]
    for letter, table, idx, valid, after_blank in heads:
        take = pa.array(idx) if valid.all() else pa.array(idx, mask=~valid)  # null where blank
        # No reference where the cell is in the column after the row's previous cell, where
        # every reader puts it: a third less XML, and rows that repeat deflate 3× faster.
        # A fragment starts after '<c r="A2' (``_RowsXml._cell``): '<c' + the fragment less its
        # first character, the reference's closing quote
        follows = pc.binary_join_element_wise(s("<c"), pc.utf8_slice_codeunits(table, 1), s("")).take(take)
        if after_blank is None:
            pieces.append(follows)
        else:
            placed = pc.binary_join_element_wise(s(f'<c r="{letter}'), nums, table.take(take), s(""))
            pieces.append(pc.if_else(pa.array(after_blank), placed, follows))
    pieces.append(s("</row>"))
    # a blank is null, replaced by "" in the row
    rows = pc.binary_join_element_wise(*pieces, s(""), null_handling="replace", null_replacement="")
    if not filled.all():  # XlsxWriter writes no <row> for a row without cells
        rows = rows.filter(pa.array(filled))
    return rows


# --------------------------------------------------------------------------- schema sheets

def format_schema_columns(ws: Worksheet, columns, st: Styles, *, first_col: int = 0) -> None:
    """Column widths and cell formats for a schema sheet (``schema.Column`` list), so that
    what the office types later is kept right: ids as text ('@', leading zeros stay), dates
    as dates, whole numbers without decimals."""
    for j, c in enumerate(columns, start=first_col):
        kind = {"id": "id", "idlist": "id", "date": "date", "int": "int"}.get(c.kind)
        ws.set_column(j, j, max(c.width, text_width(c.name) + 2), st.cell(kind) if kind else None)
