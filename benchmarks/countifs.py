"""The status quo: the office's per-staff monthly counts as native COUNTIFS formulas.

For the rule ``bit.monthly-activity`` (每月组织和参加学生活动不少于1次: rows of the six
activity types per staff member per month) an office keeps a sheet with one formula per
staff member × month of the term:

    =SUMPRODUCT(COUNTIFS(活动记录!$B$2:$B$N,$A3, 活动记录!$A$2:$A$N,">="&C$1,
                         活动记录!$A$2:$A$N,"<="&C$2, 活动记录!$D$2:$D$N,{"导学互动交流","谈心谈话",…}))

(every canonical type name and alias of the pack in the array constant, as an office that
accepts 下午茶 for 导学互动交流 must write it). ``formula_book`` writes that workbook — the
活动记录 values plus the formula sheet — once per source book; ``recalculate`` has LibreOffice
headless recalculate it (the time to a recalculated file) and reads the numbers back.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

SHEET = "月度统计"
RULE = "bit.monthly-activity"
LOG_COLUMNS = ("日期", "工号", "学号", "活动类型", "时长", "人次")  # what the formulas need, and a little more


def months(term_start: pd.Timestamp, term_end: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The calendar months that overlap the term, whole (the engine's monthly periods)."""
    out, m = [], term_start.to_period("M")
    while m.start_time <= term_end:
        out.append((m.start_time, m.end_time.normalize()))
        m += 1
    return out


def type_names(pack) -> list[str]:
    """Every spelling of the rule's types that the pack accepts: canonical names, then aliases."""
    rule = next(r for r in pack.rules if r.id == RULE)
    names = []
    for t in rule.types:
        names += [t, *pack.types.get(t, ())]
    return list(dict.fromkeys(names))


def _log_values(book_path: Path, header_row: int) -> pd.DataFrame:
    import fastexcel

    r = fastexcel.read_excel(str(book_path))
    df = r.load_sheet("活动记录", header_row=header_row - 1, use_columns=list(LOG_COLUMNS)).to_pandas()
    return df[list(LOG_COLUMNS)]


def formula_book(book_path: Path, header_row: int, out: Path, *, policy: str = "bit-2022",
                 term: str = "2024-2025-1", helper: bool = True) -> dict:
    """Write the COUNTIFS workbook for ``book_path`` to ``out``; returns its layout."""
    import xlsxwriter

    from mentor_xl.packs import load_pack

    pack = load_pack(policy)
    fx = __import__("fastexcel").read_excel(str(book_path))
    terms = fx.load_sheet("学期").to_pandas()
    t = terms[terms["学期"] == term].iloc[0]
    ms = months(pd.Timestamp(t["开始日期"]), pd.Timestamp(t["结束日期"]))
    staff = fx.load_sheet("人员", use_columns=["工号"]).to_pandas()["工号"].dropna().astype(str).tolist()
    log = _log_values(book_path, header_row)
    n = len(log)
    tmp = out.with_name(out.stem + f".{os.getpid()}.tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("活动记录")
    names = type_names(pack)
    ws.write_row(0, 0, LOG_COLUMNS + (("计入",) if helper else ()))
    epoch = np.datetime64("1899-12-30", "D")
    serial = ((log["日期"].to_numpy().astype("datetime64[D]") - epoch).astype("int64")).astype(float)
    cols = [serial] + [log[c].astype(object).where(log[c].notna(), None).tolist() for c in LOG_COLUMNS[1:]]
    for i, row in enumerate(zip(*cols), start=1):
        for j, v in enumerate(row):
            if v is None or (j == 0 and v != v):
                continue
            if j == 0:
                ws.write_number(i, 0, v, datef)
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, float(v))
        if helper:  # 计入 = 1 when the row's type is one the rule counts (a lookup in 类型对照)
            ws.write_formula(i, len(LOG_COLUMNS), f"=COUNTIF(类型对照!$A$1:$A${len(names)},D{i + 1})", None, 0)
    last = n + 1
    f = wb.add_worksheet(SHEET)
    for r, label in enumerate(("月份开始", "月份结束", "工号")):  # row by row: constant_memory
        f.write_string(r, 0, label)
        for k, (a, b) in enumerate(ms):
            if r < 2:
                f.write_datetime(r, 2 + k, (a if r == 0 else b).to_pydatetime(), datef)
            else:
                f.write_string(r, 2 + k, a.strftime("%Y-%m"))
    arr = "{" + ",".join(f'"{x}"' for x in names) + "}"
    for i, sid in enumerate(staff, start=3):
        f.write_string(i, 0, sid)
        for k in range(len(ms)):
            c = chr(ord("C") + k)
            common = (f'活动记录!$B$2:$B${last},$A{i + 1},活动记录!$A$2:$A${last},">="&{c}$1,'
                      f'活动记录!$A$2:$A${last},"<="&{c}$2')
            f.write_formula(i, 2 + k, f'=COUNTIFS({common},活动记录!$G$2:$G${last},">0")' if helper
                            else f'=SUMPRODUCT(COUNTIFS({common},活动记录!$D$2:$D${last},{arr}))', None, 0)
    tw = wb.add_worksheet("类型对照")
    for i, x in enumerate(names):
        tw.write_string(i, 0, x)
    wb.close()
    os.replace(tmp, out)
    return {"staff": len(staff), "months": len(ms), "formulas": len(staff) * len(ms) + (n if helper else 0),
            "rows": n, "helper": helper}


def cached_formula_book(book, cache: Path) -> Path:
    """The COUNTIFS workbook of a benchmark ``generate.Book``, built once."""
    import hashlib

    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]  # a fix here makes a new book
    out = cache / f"{book.path.stem}-countifs-{version}.xlsx"
    if not out.is_file():
        formula_book(book.path, book.log_header_row, out)
    return out


def read_counts(recalculated: Path) -> pd.DataFrame:
    """staff_id, month (YYYY-MM), value — the numbers LibreOffice computed."""
    import fastexcel

    df = fastexcel.read_excel(str(recalculated)).load_sheet(SHEET, header_row=2).to_pandas()
    df = df[[c for c in df.columns if c == "工号" or str(c)[:2] in ("19", "20")]]
    df = df.rename(columns={"工号": "staff_id"}).melt(id_vars="staff_id", var_name="month", value_name="value")
    return df.astype({"staff_id": str, "month": str, "value": float})


def engine_counts(result) -> pd.DataFrame:
    """The same numbers from a ComplianceResult: staff_id, month, value."""
    d = result.details[result.details["rule"] == RULE]
    return pd.DataFrame({"staff_id": d["staff_id"].astype(str).to_numpy(),
                         "month": pd.to_datetime(d["period_start"]).dt.strftime("%Y-%m").to_numpy(),
                         "value": d["value"].astype(float).to_numpy()})


def same_answer(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    """Do two (staff_id, month, value) tables agree on every staff member × month both have?"""
    from benchmarks.answers import compare

    return compare(a, b, ["staff_id", "month"], ["value"], "工号×月", "数值")
