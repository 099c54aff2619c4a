"""A results workbook of named sheets plus 数据问题: for assess, eligibility, awards, allocate."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from mentor_xl.problems import Problems
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.results import problems_frame
from mentor_xl.workbook.xlsx import SheetSpec, new_workbook, write_frame_sheet, write_spec_sheet


def write_report(path: str | Path, sheets: Mapping[str, pd.DataFrame | SheetSpec], problems: Problems) -> Path:
    """Write ``sheets`` in order, then 数据问题, atomically (the old file kept as a backup)."""
    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        for name, spec in sheets.items():
            write_spec_sheet(wb, name, spec)
        write_frame_sheet(wb, "数据问题", problems_frame(problems), int_cols=("行号",), status_col="级别",
                          bad_values=("错误",), widths={"说明": 60, "值": 20})
        wb.close()

    return atomic_write(Path(path), build, backup=True)
