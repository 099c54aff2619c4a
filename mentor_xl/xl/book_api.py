"""Read an open workbook through the xlwings Book/Sheet/Range API into an ``OfficeBook``.

Works with classic xlwings (Excel on Windows/macOS), xlwings Lite (the same API inside
Excel via Pyodide) and anything else that has the subset of that API the buttons use,
written down below as the ``Book`` / ``Sheet`` / ``Range`` protocols (the tests run the
buttons on an in-memory stand-in of them, kept in tests/).

The values of each sheet are turned into exactly what the file reader gets from fastexcel
(``dtypes="string"``: text; dates ``2024-09-01 00:00:00``; whole numbers ``2024010123``;
``true``/``false``), so the reader's own header detection, alias matching, value parsing and
problem reporting run unchanged: one set of rules whichever way the workbook is opened.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol, runtime_checkable

import pyarrow as pa

from mentor_xl.problems import FatalInputError
from mentor_xl.workbook.schema import SHEETS

if TYPE_CHECKING:
    from mentor_xl.workbook.model import OfficeBook


# --------------------------------------------------------------------------- the API subset
@runtime_checkable
class Range(Protocol):
    """The part of ``xlwings.Range`` the buttons use (1-based row/column, like xlwings)."""

    row: int
    column: int
    value: Any  # get: scalar / flat list / list of rows; set: fills the block from the cell

    @property
    def shape(self) -> tuple[int, int]: ...

    @property
    def address(self) -> str: ...

    def options(self, **options: Any) -> "Range": ...


@runtime_checkable
class Sheet(Protocol):
    """The part of ``xlwings.Sheet`` the buttons use."""

    name: str
    book: Any

    @property
    def used_range(self) -> Range: ...

    def range(self, address: str) -> Range: ...

    def __getitem__(self, address: str) -> Range: ...

    def clear(self) -> None: ...


@runtime_checkable
class Sheets(Protocol):
    """The part of ``xlwings.main.Sheets`` the buttons use."""

    def __getitem__(self, key: str | int) -> Sheet: ...

    def __iter__(self) -> Iterator[Sheet]: ...

    def __len__(self) -> int: ...

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet: ...


@runtime_checkable
class Book(Protocol):
    """The part of ``xlwings.Book`` the buttons use (``fullname``: a local path, or a URL on the web)."""

    name: str
    fullname: str
    sheets: Sheets


def cell_text(v: Any) -> str | None:
    """One cell value from xlwings as fastexcel's string dtype renders it (None for blank)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, _dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, _dt.date):
        return v.strftime("%Y-%m-%d 00:00:00")
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return None
        return str(int(f)) if f.is_integer() and abs(f) < 1e16 else repr(f)
    s = str(v)
    return s if s != "" else None


def _values(rng):
    """``rng.value`` with Excel errors as text (#N/A …) so they are reported, not read as blanks.

    Classic xlwings gives errors as None unless ``err_to_str``; an API without that option
    (xlwings Lite hands errors over as text already) is read plainly.
    """
    try:
        return rng.options(err_to_str=True).value
    except (TypeError, AttributeError, ValueError):
        return rng.value


def range_rows(rng) -> list[list]:
    """A range's values as a list of rows, whatever shape xlwings returned them in."""
    v = _values(rng)
    nrows, ncols = rng.shape
    if not isinstance(v, (list, tuple)):
        return [[v]]
    if nrows == 1 and not (v and isinstance(v[0], (list, tuple))):
        return [list(v)]
    if ncols == 1 and not (v and isinstance(v[0], (list, tuple))):
        return [[x] for x in v]
    return [list(r) for r in v]


def sheet_rows(sheet: Sheet) -> list[list]:
    """The sheet's cells from A1 to the end of the used range (row i = Excel row i + 1)."""
    rng = sheet.used_range
    rows = range_rows(rng)
    top, left = int(rng.row) - 1, int(rng.column) - 1
    width = left + max((len(r) for r in rows), default=0)
    pad = [None] * left
    return [[None] * width for _ in range(top)] + [pad + list(r) for r in rows]


# Excel's error values as they reach Python as text (xlwings ``err_to_str``, Lite), and the
# names fastexcel gives them in its cell-error details.
_ERROR_NAMES = {"#N/A": "NA", "#DIV/0!": "Div0", "#VALUE!": "Value", "#REF!": "Ref", "#NAME?": "Name",
                "#NUM!": "Num", "#NULL!": "Null", "#GETTING_DATA": "GettingData"}


@dataclass
class _CellError:
    position: tuple[int, int]
    detail: str


@dataclass
class _CellErrors:
    errors: list[_CellError] = field(default_factory=list)


class _RowsSheet:
    """What ``reader._read_sheet`` takes from fastexcel's ``load_sheet(...)``: an Arrow batch of
    strings (error cells blank) and the error cells with their positions."""

    def __init__(self, rows: list[list]):
        self._rows = rows

    def to_arrow_with_errors(self) -> tuple[pa.RecordBatch, _CellErrors]:
        width = max((len(r) for r in self._rows), default=0)
        if not self._rows or width == 0:
            raise ValueError("empty sheet")  # fastexcel's message for an empty sheet says "empty"
        errors = _CellErrors()
        cols = []
        for j in range(width):
            texts = []
            for i, r in enumerate(self._rows):
                v = r[j] if j < len(r) else None
                if isinstance(v, str) and v in _ERROR_NAMES:
                    errors.errors.append(_CellError((i, j), f"Error({_ERROR_NAMES[v]})"))
                    v = None
                texts.append(cell_text(v))
            cols.append(pa.array(texts, type=pa.large_string()))
        return pa.record_batch(cols, names=[str(j) for j in range(width)]), errors

    def to_arrow(self) -> pa.RecordBatch:
        return self.to_arrow_with_errors()[0]


class RowsReader:
    """A stand-in for ``fastexcel.ExcelReader`` over sheets given as lists of rows."""

    def __init__(self, sheets: dict[str, list[list]]):
        self._sheets = sheets
        self.sheet_names = list(sheets)

    def load_sheet(self, name: str, **_options) -> _RowsSheet:
        return _RowsSheet(self._sheets[name])


def read_rows_book(sheets: dict[str, list[list]], *, path: str | Path | None = None,
                   policy_pack=None) -> OfficeBook:
    """An ``OfficeBook`` from sheets given as lists of rows (sheet name → rows from A1).

    Same steps as ``reader.read_book`` (列映射 and 设置 first, then every known sheet),
    with the rows in place of the file.
    """
    from mentor_xl.workbook.reader import read_from

    return read_from(RowsReader(sheets), path=path, policy_pack=policy_pack)


def input_sheet_names(book) -> list[str]:
    """Names of the book's sheets that the reader would use as input (by name or alias)."""
    from mentor_xl.packs import normalise_label

    labels = {normalise_label(n) for s in SHEETS for n in (s.name, *s.aliases)}
    return [s.name for s in book.sheets if normalise_label(s.name) in labels]


def read_xl_book(book: Book, *, policy_pack=None) -> OfficeBook:
    """Read an xlwings(-like) Book into an ``OfficeBook`` (only the sheets the reader knows)."""
    wanted = set(input_sheet_names(book))
    sheets = {s.name: sheet_rows(s) for s in book.sheets if s.name in wanted}
    return read_rows_book(sheets, path=_book_path(book), policy_pack=policy_pack)


def open_xl_office(book: Book, policy: str | None = None):
    """``office.open_office`` for an open workbook: the pack from 设置/制度 (or ``policy``)."""
    from mentor_xl.office import open_office

    ob = read_xl_book(book)
    if not ob.present:
        raise FatalInputError("这个工作簿中没有导师工作数据（人员、学生、指导关系、活动记录等工作表），"
                              "请在单位的导师工作簿中使用本按钮")
    return open_office(ob.path or "工作簿", policy, book=ob)


def _book_path(book) -> Path | None:
    name = getattr(book, "fullname", None) or getattr(book, "name", None)
    return Path(str(name)) if name else None
