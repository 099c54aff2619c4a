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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from mentor_xl.problems import Problems

# sheet name -> attribute name
ATTRS = {
    "设置": "settings_frame", "学期": "terms", "假期": "holidays", "人员": "staff",
    "学生": "students", "指导关系": "assignments", "活动记录": "log", "测评": "surveys",
    "组织考核": "reviews", "班级量化": "class_ranks", "奖项提名": "nominations",
    "列映射": "column_map",
}


@dataclass
class OfficeBook:
    path: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)  # 设置: 项目 -> 值 (raw text)
    settings_frame: pd.DataFrame | None = None
    terms: pd.DataFrame | None = None
    holidays: pd.DataFrame | None = None
    staff: pd.DataFrame | None = None
    students: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    log: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    class_ranks: pd.DataFrame | None = None
    nominations: pd.DataFrame | None = None
    column_map: pd.DataFrame | None = None
    present: set[str] = field(default_factory=set)  # canonical names of sheets found
    sheet_names: dict[str, str] = field(default_factory=dict)  # canonical -> actual name
    recognised: dict = field(default_factory=dict)  # canonical -> recognise.Recognition (what check shows)
    problems: Problems = field(default_factory=Problems)
    # a check of the file still running when the book was returned (``read_book(later=True)``)
    pending: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    refused: str | None = field(default=None, repr=False, compare=False)  # that check's refusal

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

    def frame(self, sheet: str) -> pd.DataFrame:
        """The sheet's frame; an empty one with canonical columns when the sheet is absent."""
        df = getattr(self, ATTRS[sheet])
        if df is None:
            from mentor_xl.workbook.schema import BY_NAME
            df = empty_frame(BY_NAME[sheet])
        return df

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
