"""An in-memory stand-in for the xlwings Book/Sheet/Range API: the protocols of
``mentor_xl.xl.book_api`` (the subset the buttons use), for the tests only.

Classic xlwings needs a running Excel and xlwings Lite runs inside Excel, so neither can
drive the adapters on Linux. This fake behaves like both for what ``book_api`` and
``buttons`` touch:

    book.name, book.fullname, book.sheets[name | index], iter(book.sheets), len(book.sheets),
    book.sheets.add(name, before=…, after=…), sheet.name, sheet.book, sheet.clear(),
    sheet.used_range, sheet.range("A1"), sheet["A1:C3"], rng.value (get / set), rng.row,
    rng.column, rng.shape, rng.address, rng.options(err_to_str=True)

Values follow xlwings' conventions: every number is a float, dates are ``datetime``; a
one-cell range reads as a scalar, a one-row or one-column range as a flat list, anything
else as a list of rows; assigning a list of rows to a cell fills the block from that cell.
``FakeBook.from_xlsx`` loads a real workbook through openpyxl, ``save_xlsx`` writes one back.
"""
from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, Iterator

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def col_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    s = ""
    while col:
        col, r = divmod(col - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_address(address: str) -> tuple[int, int, int, int]:
    """"B3" or "B3:D5" (optionally "$B$3") → (row, col, nrows, ncols), 1-based."""
    parts = address.replace("$", "").split(":")
    cells = []
    for p in parts:
        m = _A1.match(p.strip())
        if not m:
            raise ValueError(f"not an A1 address: {address!r}")
        cells.append((int(m.group(2)), _col_number(m.group(1))))
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return min(r1, r2), min(c1, c2), abs(r2 - r1) + 1, abs(c2 - c1) + 1


def _xl_value(v: Any) -> Any:
    """A Python value as xlwings hands it back: numbers as float, dates as datetime."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, _dt.datetime):
        return v
    if isinstance(v, _dt.date):
        return _dt.datetime(v.year, v.month, v.day)
    return v


class FakeRange:
    def __init__(self, sheet: "FakeSheet", row: int, column: int, nrows: int = 1, ncols: int = 1):
        self.sheet, self.row, self.column = sheet, row, column
        self._nrows, self._ncols = nrows, ncols

    @property
    def shape(self) -> tuple[int, int]:
        return self._nrows, self._ncols

    @property
    def address(self) -> str:
        a = f"${col_letter(self.column)}${self.row}"
        if self.shape == (1, 1):
            return a
        return f"{a}:${col_letter(self.column + self._ncols - 1)}${self.row + self._nrows - 1}"

    def options(self, err_to_str: bool = False, **_unused) -> "FakeRange":
        """xlwings' conversion options; error cells are held as their text (#N/A), as with err_to_str."""
        return self

    @property
    def value(self) -> Any:
        cells = self.sheet._cells
        rows = [[cells.get((r, c)) for c in range(self.column, self.column + self._ncols)]
                for r in range(self.row, self.row + self._nrows)]
        if self.shape == (1, 1):
            return rows[0][0]
        if self._nrows == 1:
            return rows[0]
        if self._ncols == 1:
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, (list, tuple)):
            rows = [[data]]
        elif data and all(isinstance(r, (list, tuple)) for r in data):
            rows = [list(r) for r in data]
        else:
            rows = [list(data)]  # a flat list fills a row, as in xlwings
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                self.sheet._set(self.row + i, self.column + j, v)

    def __repr__(self) -> str:
        return f"<FakeRange {self.sheet.name}!{self.address}>"


class FakeSheet:
    def __init__(self, book: "FakeBook", name: str):
        self.book, self.name = book, name
        self._cells: dict[tuple[int, int], Any] = {}

    def _set(self, row: int, col: int, v: Any) -> None:
        v = _xl_value(v)
        if v is None:
            self._cells.pop((row, col), None)
        else:
            self._cells[(row, col)] = v

    def range(self, address: str) -> FakeRange:
        return FakeRange(self, *parse_address(address))

    def __getitem__(self, address: str) -> FakeRange:
        return self.range(address)

    @property
    def used_range(self) -> FakeRange:
        if not self._cells:
            return FakeRange(self, 1, 1)
        rows = [r for r, _ in self._cells]
        cols = [c for _, c in self._cells]
        r0, c0 = min(rows), min(cols)
        return FakeRange(self, r0, c0, max(rows) - r0 + 1, max(cols) - c0 + 1)

    def clear(self) -> None:
        self._cells.clear()

    def delete(self) -> None:
        self.book.sheets._sheets.remove(self)

    def __repr__(self) -> str:
        return f"<FakeSheet {self.name}>"


class FakeSheets:
    def __init__(self, book: "FakeBook"):
        self._book = book
        self._sheets: list[FakeSheet] = []

    def __getitem__(self, key: str | int) -> FakeSheet:
        if isinstance(key, int):
            return self._sheets[key]
        for s in self._sheets:
            if s.name.lower() == str(key).lower():  # Excel sheet names are case-insensitive
                return s
        raise KeyError(key)  # xlwings raises too (a COM error or KeyError)

    def __iter__(self) -> Iterator[FakeSheet]:
        return iter(list(self._sheets))

    def __len__(self) -> int:
        return len(self._sheets)

    def add(self, name: str | None = None, before: FakeSheet | None = None,
            after: FakeSheet | None = None) -> FakeSheet:
        name = name or f"Sheet{len(self._sheets) + 1}"
        if any(s.name.lower() == name.lower() for s in self._sheets):
            raise ValueError(f"Sheet named {name!r} already present in workbook")
        if len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"invalid sheet name {name!r}")
        sheet = FakeSheet(self._book, name)
        if after is not None:
            self._sheets.insert(self._sheets.index(after) + 1, sheet)
        elif before is not None:
            self._sheets.insert(self._sheets.index(before), sheet)
        else:
            self._sheets.insert(0, sheet)  # xlwings adds before the active (first) sheet by default
        return sheet


class FakeBook:
    def __init__(self, fullname: str | Path = "工作簿1.xlsx"):
        self.fullname = str(fullname)
        self.name = Path(self.fullname).name
        self.sheets = FakeSheets(self)

    @classmethod
    def from_xlsx(cls, path: str | Path) -> "FakeBook":
        """The cached values of a real workbook, as Excel would show them to xlwings."""
        import openpyxl

        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        book = cls(Path(path).resolve())
        try:
            for ws in wb.worksheets:
                sheet = FakeSheet(book, ws.title)
                book.sheets._sheets.append(sheet)
                for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    for c, v in enumerate(row, start=1):
                        if v is not None:
                            sheet._set(r, c, v)
        finally:
            wb.close()
        return book

    @classmethod
    def from_rows(cls, sheets: dict[str, list[list]], fullname: str | Path = "工作簿1.xlsx") -> "FakeBook":
        book = cls(fullname)
        for name, rows in sheets.items():
            sheet = FakeSheet(book, name)
            book.sheets._sheets.append(sheet)
            if rows:
                sheet.range("A1").value = rows
        return book

    def save_xlsx(self, path: str | Path) -> Path:
        """Write the sheets' values to an .xlsx (openpyxl), e.g. to look at what a button wrote."""
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for s in self.sheets:
            ws = wb.create_sheet(s.name)
            for (r, c), v in s._cells.items():
                ws.cell(r, c, v)
        wb.save(path)
        return Path(path)

    def __repr__(self) -> str:
        return f"<FakeBook {self.name}>"
