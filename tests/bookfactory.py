"""Build an OfficeBook directly from small hand-written tables (no Excel in between).

Used by the engine tests so every expected number can be computed by hand from the
rows in the test itself. Rows are dicts with canonical column names; missing columns
are null. ``_row`` is the 1-based Excel row as if the header sat on row 1.
"""
from __future__ import annotations

import re

import pandas as pd

from mentor_xl.workbook.model import ATTRS, OfficeBook
from mentor_xl.workbook.schema import BY_NAME

_SPLIT = re.compile(r"[、,，;；\s]+")


def frame(sheet: str, rows: list[dict]) -> pd.DataFrame:
    spec = BY_NAME[sheet]
    data = {}
    for c in spec.columns:
        vals = [r.get(c.name) for r in rows]
        if c.kind == "date":
            data[c.name] = pd.to_datetime(pd.Series(vals, dtype=object))
        elif c.kind == "number":
            data[c.name] = pd.Series(vals, dtype="float64")
        elif c.kind == "int":
            data[c.name] = pd.Series(vals, dtype="Int64")
        elif c.kind == "bool":
            data[c.name] = pd.Series(vals, dtype="boolean")
        elif c.kind == "idlist":
            data[c.name] = pd.Series([[x for x in _SPLIT.split(v) if x] if isinstance(v, str) else list(v or [])
                                      for v in vals], dtype=object)
        else:
            data[c.name] = pd.Series([None if v is None else str(v) for v in vals], dtype=object)
    data["_row"] = pd.Series(range(2, len(rows) + 2), dtype="int64")
    return pd.DataFrame(data)


def make_book(policy: str, **sheets: list[dict]) -> OfficeBook:
    """make_book("bit-2022", 学期=[...], 人员=[...], 活动记录=[...], ...)."""
    book = OfficeBook(settings={"制度": policy})
    for sheet, rows in sheets.items():
        setattr(book, ATTRS[sheet], frame(sheet, rows))
        book.present.add(sheet)
        book.sheet_names[sheet] = sheet
    return book


def log(*rows: tuple) -> list[dict]:
    """Compact activity rows: (日期, 工号, 活动类型[, 学号[, extra dict]])."""
    out = []
    for r in rows:
        d = {"日期": r[0], "工号": r[1], "活动类型": r[2]}
        if len(r) > 3 and r[3] is not None:
            d["学号"] = r[3]
        if len(r) > 4:
            d.update(r[4])
        out.append(d)
    return out


TERM_1 = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}  # Mon … Sun
NATIONAL_DAY = {"开始日期": "2024-10-01", "结束日期": "2024-10-07", "名称": "国庆节"}


def run(policy: str, term: str = "2024-2025-1", **sheets):
    """Compliance of a hand-built book; returns the JSON dict (the public contract)."""
    from mentor_xl.engine import compliance
    from mentor_xl.packs import load_pack

    sheets.setdefault("学期", [TERM_1])
    book = make_book(policy, **sheets)
    return compliance(book, load_pack(policy), term).to_json()


def pick(out: dict, rule: str, staff: str, student: str | None = None, cls: str | None = None) -> dict:
    hits = [r for r in out["results"] if r["rule"] == rule and r["staff_id"] == staff
            and r["student_id"] == student and r["class"] == cls]
    assert len(hits) == 1, f"{rule} {staff} {student} {cls}: {len(hits)} results"
    return hits[0]


def staff_row(out: dict, staff: str) -> dict:
    return next(s for s in out["staff"] if s["staff_id"] == staff)
