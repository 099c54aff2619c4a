"""Fill a collection workbook the way a recipient does: for the demo and the tests.

``fill_return`` opens a collection workbook (as Excel/WPS would: everything kept, the
hidden stamp included), types rows into its 活动记录 below the header and saves it under
another name. Values are typed as people type them: dates as dates, several 学号 joined
with 、, numbers as numbers; a value given as a string is typed as that string.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Mapping

from mentor_xl.workbook.schema import BY_NAME

LOG = BY_NAME["活动记录"]


def fill_return(collection: str | Path, rows: Iterable[Mapping[str, Any]], out: str | Path, *,
                start_row: int | None = None) -> Path:
    """Type ``rows`` (dicts keyed by canonical 活动记录 column) into a copy of ``collection``.

    Rows go after the last filled row (or from Excel row ``start_row``). Returns ``out``.
    """
    import openpyxl

    wb = openpyxl.load_workbook(collection)
    ws = wb["活动记录"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in LOG.names if name in header}
    r = start_row or _next_row(ws, list(col.values()))
    for row in rows:
        for name, value in row.items():
            if name not in col:
                raise KeyError(f"活动记录没有列“{name}”")
            cell = ws.cell(r, col[name])
            if isinstance(value, (list, tuple)):
                value = "、".join(map(str, value))
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                value = dt.datetime(value.year, value.month, value.day)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # what was typed is text, even "=…"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
        r += 1
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _next_row(ws, cols: list[int]) -> int:
    r = ws.max_row
    while r > 1 and all(ws.cell(r, c).value in (None, "") for c in cols):
        r -= 1
    return r + 1


def demo_round_trip(book: str | Path, term: str, out_dir: str | Path, *, by: str = "学院",
                    policy: str | None = None):
    """collect → every recipient fills and mails back → one correction, one duplicate → ingest.

    For ``mentor-xl demo``: writes ``out_dir/收集表`` (workbooks and .eml), ``out_dir/收件箱``
    (the returns as .eml), the merged office workbook, its 收件报告 and ``out_dir/回复``.
    Each recipient logs, for each of its pairings, one activity a month in the term,
    cycling through the pack's activity types; the first return also has a row with an
    activity type the pack does not know, which the report rejects. Returns
    ``(CollectResult, IngestResult)``.
    """
    from email.message import EmailMessage
    from email.utils import format_datetime

    import openpyxl
    import pandas as pd

    from mentor_xl.mail.collect import collect
    from mentor_xl.mail.ingest import ingest
    from mentor_xl.packs import load_pack

    out = Path(out_dir)
    sent = collect(book, term, by, out / "收集表", policy=policy, eml=True)
    pack = load_pack(sent.pack)
    types = list(pack.types)
    inbox = out / "收件箱"
    inbox.mkdir(parents=True, exist_ok=True)
    from mentor_xl.office import open_office
    from mentor_xl.periods import find_term, timestamp
    office = open_office(Path(book), policy).book
    t = find_term(office.frame("学期"), term)
    start, end = timestamp(t.start), timestamp(t.end)
    months = pd.date_range(start.replace(day=1), end, freq="MS") + pd.Timedelta(days=9)
    months = months[(months >= start) & (months <= end)]
    sent_at = pd.Timestamp(end, tz="Asia/Shanghai") + pd.Timedelta(days=1, hours=9)
    for i, f in enumerate(sent.files):
        wb = openpyxl.load_workbook(f.file, read_only=True)
        pairs = [r for r in wb["指导关系"].iter_rows(min_row=2, values_only=True) if r and r[0]]
        staff = [r[0] for r in wb["人员"].iter_rows(min_row=2, values_only=True) if r and r[0]]
        wb.close()
        rows = []
        for k, p in enumerate(pairs or [(s, None, None) for s in staff]):
            for j, day in enumerate(months):
                rows.append({"日期": day.date(), "工号": p[0], "活动类型": types[(k + j) % len(types)],
                             "学号": p[2], "时长": 1, "内容": "谈心谈话、学业指导"})
        if i == 0:
            rows.append({"日期": months[0].date(), "工号": staff[0], "活动类型": "其他活动", "内容": "类型写错的一行"})
        versions = [rows] if i != len(sent.files) - 1 or len(rows) < 2 else [rows[:-1], rows]
        for v, vrows in enumerate(versions):
            filled = fill_return(f.file, vrows, out / "已填写" / f"{f.file.stem}-{v + 1}.xlsx")
            m = EmailMessage()
            m["From"] = (f.emails or [f"{f.recipient}@example.edu.cn"])[0]
            m["To"] = "xgb@example.edu.cn"
            m["Subject"] = f"回复：【请填写】{term} 导师工作记录收集表（{f.label}）" + ("（更正）" if v else "")
            m["Date"] = format_datetime((sent_at + pd.Timedelta(hours=i, minutes=30 * v)).to_pydatetime())
            m.set_content("已填写，请查收。")
            m.add_attachment(filled.read_bytes(), maintype="application",
                             subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             filename=f"{f.label}-已填写.xlsx")
            (inbox / f"{i + 1:03d}-{v + 1}.eml").write_bytes(bytes(m))
    # the same mail saved twice: ingest must not merge it twice
    first = inbox / "001-1.eml"
    (inbox / "001-1-副本.eml").write_bytes(first.read_bytes())
    merged = ingest(book, [inbox], out=out / f"{Path(book).stem}-已合并.xlsx", policy=policy,
                    manifest=sent.manifest, reply_dir=out / "回复")
    return sent, merged
