"""Write small test workbooks cell by cell (XlsxWriter), as an office would have typed them.

``write_xlsx(path, {"活动记录": [[header...], [row...]]})`` writes each list of rows from A1;
``start`` moves a sheet's block (``{"活动记录": "B3"}``), ``merged`` merges ranges (the value
stays in the range's first cell, as in Excel). Cell values: str, int, float, bool,
date/datetime (written as real date cells), None (left empty).
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol


def write_xlsx(path: str | Path, sheets: dict[str, list[list]], *, start: dict[str, str] | None = None,
               merged: dict[str, list[str]] | None = None, constant_memory: bool = False) -> Path:
    """Write ``sheets`` (name -> rows) to ``path``; returns the path."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_numbers": False})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        r0, c0 = xl_cell_to_rowcol((start or {}).get(name, "A1"))
        covered: set[tuple[int, int]] = set()
        for rng in (merged or {}).get(name, []):
            (fr, fc), (lr, lc) = (xl_cell_to_rowcol(x) for x in rng.split(":"))
            first = _at(rows, fr - r0, fc - c0)
            ws.merge_range(fr, fc, lr, lc, "")  # blanks the range; the value goes in its first cell
            _write(ws, fr, fc, first, date_fmt, dt_fmt)
            covered |= {(r, c) for r in range(fr, lr + 1) for c in range(fc, lc + 1)}
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if (r0 + i, c0 + j) not in covered:
                    _write(ws, r0 + i, c0 + j, v, date_fmt, dt_fmt)
    wb.close()
    return path


def _at(rows: list[list], i: int, j: int):
    return rows[i][j] if 0 <= i < len(rows) and 0 <= j < len(rows[i]) else None


def _write(ws, r: int, c: int, v, date_fmt, dt_fmt) -> None:
    if v is None:
        return
    if isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, dt_fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
    elif isinstance(v, (int, float)):
        ws.write_number(r, c, v)
    else:
        ws.write_string(r, c, str(v))


def log_rows(n: int, *, seed: int = 0, staff: int = 300, students: int = 6000) -> list[list]:
    """A realistic 活动记录 of ``n`` rows (header first), for timing the reader."""
    rnd = random.Random(seed)
    types = ["谈心谈话", "班会", "宿舍走访", "学业指导", "集体活动"]
    first = dt.date(2024, 9, 1)
    rows: list[list] = [["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "地点", "内容"]]
    for i in range(n):
        s = rnd.randrange(students)
        ids = f"{2024010000 + s}" if rnd.random() < 0.8 else f"{2024010000 + s}、{2024010000 + (s + 1) % students}"
        rows.append([first + dt.timedelta(days=rnd.randrange(300)), f"T{rnd.randrange(staff):04d}",
                     rnd.choice(types), ids, f"计算机{2401 + s % 30}班", f"{s % 400 + 1}#{s % 6 + 1}01",
                     rnd.choice([0.5, 1, 1.5, 2]), rnd.randrange(1, 40), rnd.choice(["办公室", "教室", "宿舍"]),
                     f"第{i}次记录"])
    return rows


def formula_errors_book(path: str | Path) -> Path:
    """A 活动记录 with formula errors as Excel saves them: #DIV/0! in 时长 of row 2 (optional
    column: kept), #N/A in 日期 of row 3 (required column: that row is dropped)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("活动记录")
    ws.write_row(0, 0, ["日期", "工号", "活动类型", "时长"])
    ws.write_row(1, 0, ["2024-09-10", "T1", "班会"])
    ws.write_formula(1, 3, "=1/0", None, "#DIV/0!")
    ws.write_formula(2, 0, "=NA()", None, "#N/A")
    ws.write_row(2, 1, ["T1", "班会", "1"])
    wb.close()
    return Path(path)
