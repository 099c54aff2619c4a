"""A results workbook of named sheets plus 数据问题 (for assess, eligibility, awards, allocate),
and the 数据问题 table every results workbook ends with."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from mentor_xl.problems import Problems
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.xlsx import Page, SheetSpec, new_workbook, page_setup, write_frame_sheet, write_spec_sheet


LEVEL_TEXT = {"error": "错误", "warning": "提醒"}


def problems_frame(problems: Problems) -> pd.DataFrame:
    """数据问题: 类别, 工作表, 行号, 列, 值, 说明, 级别 — grouped by category (first seen first),
    then by sheet and row; the original order is kept within equal keys."""
    cols = ["类别", "工作表", "行号", "列", "值", "说明", "级别"]
    items = list(problems)
    if not items:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    df = pd.DataFrame({
        "类别": [p.category for p in items], "工作表": [p.sheet for p in items],
        "行号": pd.array([p.row for p in items], dtype="Int64"),
        "列": [p.column for p in items], "值": [p.value for p in items],
        "说明": [p.message for p in items],
        "级别": [LEVEL_TEXT.get(p.level, p.level) for p in items],
    })
    order = {c: i for i, c in enumerate(dict.fromkeys(df["类别"]))}
    df["_cat"] = df["类别"].map(order)
    df = df.sort_values(["_cat", "工作表", "行号"], kind="stable", na_position="first")
    return df.drop(columns="_cat").reset_index(drop=True)


def write_problems_sheet(wb, problems: pd.DataFrame):
    """The 数据问题 sheet of every results workbook (``problems_frame``): errors red, 说明 wrapped
    so that a long message prints whole."""
    return write_frame_sheet(wb, "数据问题", problems, int_cols=("行号",), status_col="级别", bad_values=("错误",),
                             wrap_cols=("说明",), widths={"说明": 60, "值": 20})


def write_report(path: str | Path, sheets: Mapping[str, pd.DataFrame | SheetSpec], problems: Problems, *,
                 office: str = "", period: str = "") -> Path:
    """Write ``sheets`` in order, then 数据问题, atomically (the old file kept as a backup). Each
    prints as the compliance workbook's tables do (``xlsx.Page``): landscape A4, one page wide,
    its header row on every page, ``office``, the sheet and ``period`` (2024-2025学年) above."""
    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        for name, spec in sheets.items():
            page_setup(write_spec_sheet(wb, name, spec), Page(name, office, period))
        page_setup(write_problems_sheet(wb, problems_frame(problems)), Page("数据问题", office, period))
        wb.close()

    return atomic_write(Path(path), build, backup=True)
