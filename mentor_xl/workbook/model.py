"""The office workbook in memory: one DataFrame per sheet, canonical columns, parsed values.

This is the contract between the reader (``workbook.reader``) and everything downstream.

Every frame has the sheet's canonical column names (``schema.SHEETS``) — all of them,
missing optional columns filled with nulls — plus ``_row``: the Excel row number
(1-based) the data came from, so later stages can name the row in a problem.
Rows whose required values could not be read are dropped from the frame and reported;
a row with a bad *optional* value is kept with that value null and a problem reported.

Value types after reading:
  id      str (object dtype), None when blank
  idlist  list[str] (object dtype), [] when blank
  text    str (whitespace-normalised), None when blank
  date    datetime64[ns], NaT when blank
  number  float64, NaN when blank
  int     Int64 (nullable)
  bool    boolean (nullable)
  term    str code ``2024-2025-1`` (or a 学年 ``2024-2025`` in 测评), None when blank
Unknown columns are kept after the canonical ones under their own header.

Free text that no rule reads (a column declared ``notes`` in the schema, such as 活动记录's 内容,
and the office's own extra columns) is parsed when a frame is first asked for with it: ``frame``
gives every column, ``frame(sheet, only=...)`` only promises those named (the engine asks so),
and leaves the others unparsed. Either way a value reads the same.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from mentor_xl.problems import Problems

# sheet name -> attribute name
ATTRS = {
    "设置": "settings_frame", "学期": "terms", "假期": "holidays", "人员": "staff",
    "学生": "students", "指导关系": "assignments", "活动记录": "log", "测评": "surveys",
    "组织考核": "reviews", "班级量化": "class_ranks", "奖项提名": "nominations",
    "列映射": "column_map",
}

SHEET_OF = {attr: sheet for sheet, attr in ATTRS.items()}


class _SheetFrame:
    """A sheet's frame as an attribute (``book.log``): whole, its deferred columns parsed on the
    first read; ``OfficeBook.frame(sheet, only=...)`` may take it without them."""

    def __set_name__(self, owner, name: str):
        self.attr, self.sheet = "_" + name, SHEET_OF[name]

    def __get__(self, obj, owner=None):
        if obj is None:
            return None  # the dataclass field's default
        if self.sheet in obj.deferred:
            obj._parse_deferred(self.sheet)
        return obj.__dict__.get(self.attr)

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.attr] = value


@dataclass
class OfficeBook:
    path: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)  # 设置: 项目 -> 值 (raw text)
    settings_frame: pd.DataFrame | None = _SheetFrame()
    terms: pd.DataFrame | None = _SheetFrame()
    holidays: pd.DataFrame | None = _SheetFrame()
    staff: pd.DataFrame | None = _SheetFrame()
    students: pd.DataFrame | None = _SheetFrame()
    assignments: pd.DataFrame | None = _SheetFrame()
    log: pd.DataFrame | None = _SheetFrame()
    surveys: pd.DataFrame | None = _SheetFrame()
    reviews: pd.DataFrame | None = _SheetFrame()
    class_ranks: pd.DataFrame | None = _SheetFrame()
    nominations: pd.DataFrame | None = _SheetFrame()
    column_map: pd.DataFrame | None = _SheetFrame()
    present: set[str] = field(default_factory=set)  # canonical names of sheets found
    sheet_names: dict[str, str] = field(default_factory=dict)  # canonical -> actual name
    recognised: dict = field(default_factory=dict)  # canonical -> recognise.Recognition (what check shows)
    problems: Problems = field(default_factory=Problems)
    # a check of the file still running when the book was returned (``read_book(later=True)``)
    pending: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    refused: str | None = field(default=None, repr=False, compare=False)  # that check's refusal
    # sheet -> {column -> its parse}: the columns not parsed yet (the schema's, then the office's own)
    deferred: dict[str, dict[str, Callable[[], pd.Series]]] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def confirm(self) -> None:
        """Wait for the check of the file still running (a large 活动记录's part, checked by the
        child that loaded it while the book was read): raises FatalInputError, in the whole
        check's words, when the file is refused, and again at every later call. Nothing read
        from the book may be delivered before; without a pending check this does nothing."""
        from mentor_xl.problems import FatalInputError

        if self.refused is not None:
            raise FatalInputError(self.refused)
        pending, self.pending = self.pending, None
        if pending is None:
            return
        try:
            pending()
        except FatalInputError as e:
            self.refused = str(e)
            raise
        except BaseException:
            self.pending = pending  # not decided (an interrupt): asked again next time
            raise

    def frame(self, sheet: str, only: Iterable[str] | None = None) -> pd.DataFrame:
        """The sheet's frame; an empty one with canonical columns when the sheet is absent.
        ``only``: the columns the caller reads; the others may be missing (not parsed yet)."""
        df = self.__dict__.get("_" + ATTRS[sheet])
        if sheet in self.deferred and (only is None or not set(only).isdisjoint(self.deferred[sheet])):
            df = self._parse_deferred(sheet)
        if df is None:
            from mentor_xl.workbook.schema import BY_NAME
            df = empty_frame(BY_NAME[sheet])
        return df

    def _parse_deferred(self, sheet: str) -> pd.DataFrame:
        attr = "_" + ATTRS[sheet]
        with self._lock:  # an Excel function and a button may ask at once: parsed once
            if sheet in self.deferred:
                from mentor_xl.workbook.schema import BY_NAME
                made = {name: f() for name, f in self.deferred[sheet].items()}
                df = self.__dict__[attr]
                canon = BY_NAME[sheet].names  # the frame's order: canonical, the office's own, _row
                order = canon + [name for name in made if name not in canon] + ["_row"]
                self.__dict__[attr] = pd.DataFrame({name: made[name] if name in made else df[name] for name in order},
                                                   copy=False)
                del self.deferred[sheet]
            return self.__dict__[attr]

    def canonical(self, sheet: str) -> pd.DataFrame:
        """The sheet's frame with only its canonical columns and ``_row``: the office's own extra
        columns (学生姓名 beside 学号 …) cannot collide with names a step derives."""
        from mentor_xl.workbook.schema import BY_NAME
        return self.frame(sheet)[[*BY_NAME[sheet].names, "_row"]]

    @property
    def policy(self) -> str | None:
        return (self.settings.get("制度") or "").strip() or None


def empty_frame(sheet) -> pd.DataFrame:
    from mentor_xl.workbook.values import empty_series  # noqa: F401 (kinds live there)
    cols = {c.name: empty_series(c.kind) for c in sheet.columns}
    cols["_row"] = pd.Series([], dtype="int64")
    return pd.DataFrame(cols)
