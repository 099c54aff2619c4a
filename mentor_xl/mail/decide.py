"""Which examined return counts: duplicate, superseded or accepted.

"Latest" is one rule for every container: first the stamp's time (a workbook from a later
collection run beats one from an earlier run), then the mail's Date, else the file's time
(``Candidate.date`` already falls back from the one to the other; ``date_basis`` says which).
Ties keep scan order. The same order is used against what the 收件记录 says was merged
before: an older return arriving late does not undo a correction.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from mentor_xl.mail.ledger import MERGED, fmt_time, merged_digests

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def as_utc(v) -> pd.Timestamp | None:
    """``v`` as a UTC timestamp (a zone-less time is taken as UTC); None when missing or unreadable."""
    if v is None or v == "":
        return None
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def order_key(stamp_time, received) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(stamp time, mail-or-file time), both UTC, missing ones first."""
    lowest = pd.Timestamp(_EPOCH)
    return (as_utc(stamp_time) or lowest, as_utc(received) or lowest)


def basis_text(o) -> str:
    """How a file's place in the order was decided, for the report."""
    parts = []
    if o.stamp_time:
        parts.append(f"收集表生成于 {fmt_time(as_utc(o.stamp_time))}")
    parts.append(f"{o.date_basis or '收件时间'} {fmt_time(o.date)}")
    return "，".join(parts)


def decide(outcomes: list, ledger: pd.DataFrame) -> None:
    """Set duplicate / superseded / accepted on the examined (``pending``) outcomes."""
    merged = merged_digests(ledger)
    first_name: dict[str, str] = {}
    for o in outcomes:
        if o.digest is None:
            continue
        if o.status == "pending" and o.digest in merged:
            o.status = "duplicate"
            o.reason = "这份文件此前已经合并过（见收件记录），未重复合并"
        elif o.status == "pending" and o.digest in first_name:  # the same bytes twice in this run
            o.status = "duplicate"
            o.reason = f"与本次的 {first_name[o.digest]} 完全相同，未重复合并"
        if o.status in ("pending", "refused"):
            first_name.setdefault(o.digest, o.file)

    groups: dict[tuple[str, str], list] = {}
    for o in outcomes:
        if o.status == "pending":
            groups.setdefault((o.recipient_key, o.term), []).append(o)
    before = ledger[ledger["状态"] == MERGED]
    for (key, term), items in groups.items():
        prev = before[(before["来源"] == key) & (before["学期"].astype(str) == term)]
        prev_key = max((order_key(s, r) for s, r in zip(prev["收集表时间"], prev["收件时间"])), default=None)
        items.sort(key=lambda o: order_key(o.stamp_time, o.date))  # stable: scan order breaks ties
        winner = items[-1]
        for o in items[:-1]:
            o.status = "superseded"
            o.reason = f"已被同一收集对象较晚的回复（{winner.file}，{basis_text(winner)}）取代"
        if prev_key is not None and order_key(winner.stamp_time, winner.date) < prev_key:
            winner.status = "superseded"
            winner.reason = (f"早于已合并的同一收集对象的回复（收件时间 {fmt_time(prev_key[1])}），以已合并的为准"
                             f"（本文件：{basis_text(winner)}）")
            for o in items[:-1]:
                o.reason = winner.reason
        else:
            winner.status = "accepted"
