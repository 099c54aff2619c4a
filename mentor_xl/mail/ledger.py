"""What ingest keeps in the office workbook: provenance columns, the 收件记录 sheet, row keys,
and the merge plan (which office rows go, which returned rows come).

- Every merged row carries ``PROV_COLUMNS`` in the office's 活动记录 (recipient, term, file,
  time, digest): a later correction from the same recipient and term replaces exactly the
  rows that came from that recipient and term, nothing the office typed itself.
- The 收件记录 sheet has one line per file seen. Only lines with status 已合并 make a later
  file a duplicate: a refused file can be sent again after the office fixed its workbook
  (added the person, the term …) and is then merged.
- Rows are identified by a normalised content key (日期, 工号, 活动类型, sorted 学号, 班级,
  宿舍, 时长, 人次, 内容, plus the recipient and the row's occurrence), so a correction adds only
  its new rows and removes only the rows it no longer has.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

import pandas as pd

from mentor_xl.problems import Problem
from mentor_xl.workbook.schema import BY_NAME

LOG_SHEET = "活动记录"
LOG = BY_NAME[LOG_SHEET]
KEY_COLUMNS = ("日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "内容")
PROV_COLUMNS = ("来源", "来源学期", "来源文件", "收件时间", "来源标识")
LEDGER_SHEET = "收件记录"
# Columns are only ever added at the end: a ledger written by an earlier version stays readable.
LEDGER_COLUMNS = ("处理时间", "收件时间", "来源", "学期", "收集编号", "来源文件", "发件人",
                  "来源标识", "状态", "有效行数", "退回行数", "新增行数", "删除行数", "说明", "收集表时间")
STATUS_ZH = {"accepted": "已合并", "refused": "拒收", "duplicate": "重复", "superseded": "已被取代",
             "held": "待确认"}
MERGED = STATUS_ZH["accepted"]


# row identity -------------------------------------------------------------------------------------
def _norm_text(s: pd.Series) -> pd.Series:
    return (s.astype("string").str.replace(r"[\s\u3000]+", " ", regex=True).str.strip()
            .fillna("").astype(str))


def _norm_number(s: pd.Series) -> pd.Series:
    x = pd.to_numeric(s, errors="coerce").round(4)
    out = x.astype("string").str.replace(r"\.0$", "", regex=True)
    return out.fillna("").astype(str)


def _norm_idlist(s: pd.Series) -> pd.Series:
    ex = s.explode().dropna().astype(str).str.strip()
    joined = ex.sort_values(kind="stable").groupby(level=0, sort=False).agg(",".join)
    return joined.reindex(s.index).fillna("").astype(str)


def row_keys(df: pd.DataFrame, recipient_key: pd.Series | str, types: dict[str, str] | None = None) -> pd.Series:
    """One key per row: recipient + normalised content + occurrence (1st, 2nd identical row…).

    ``types`` maps a type as written (an alias) to the pack's canonical type, so a row merged
    with the recipient's own wording keeps its key."""
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    kind = _norm_text(df["活动类型"])
    if types:
        from mentor_xl.packs import normalise_label
        canon = {v: types.get(normalise_label(v), v) for v in kind.unique() if v}  # once per distinct type
        kind = kind.map(canon).fillna(kind)
    parts = [
        pd.to_datetime(df["日期"], errors="coerce").dt.strftime("%Y-%m-%d").fillna("").astype(str),
        _norm_text(df["工号"]), kind, _norm_idlist(df["学号"]),
        _norm_text(df["班级"]), _norm_text(df["宿舍"]),
        _norm_number(df["时长"]), _norm_number(df["人次"]), _norm_text(df["内容"]),
    ]
    rk = recipient_key if isinstance(recipient_key, pd.Series) else pd.Series(recipient_key, index=df.index)
    base = rk.astype(str)
    for p in parts:
        base = base + "\x1f" + p
    digest = pd.util.hash_pandas_object(base, index=False).astype("uint64").astype(str)
    occurrence = base.groupby(base, sort=False).cumcount().astype(str)
    return digest + "#" + occurrence


# the 收件记录 sheet --------------------------------------------------------------------------------
def read_ledger(path: Path) -> pd.DataFrame:
    """The 收件记录 sheet of the office workbook (empty frame when absent)."""
    import python_calamine as cal

    from mentor_xl.workbook.native import native_read
    empty = pd.DataFrame(columns=list(LEDGER_COLUMNS))
    try:
        with native_read(path.name):
            wb = cal.CalamineWorkbook.from_path(str(path))
            names = {m.name.strip(): m.name for m in wb.sheets_metadata}
            if LEDGER_SHEET not in names:
                return empty
            rows = wb.get_sheet_by_name(names[LEDGER_SHEET]).to_python(skip_empty_area=False)
    except Exception:
        return empty
    if not rows:
        return empty
    header = [str(h).strip() for h in rows[0]]
    df = pd.DataFrame(rows[1:], columns=header).reindex(columns=list(LEDGER_COLUMNS))
    return df.astype(object).where(df.notna(), None)


def merged_digests(ledger: pd.DataFrame) -> set[str]:
    """Digests of the files whose rows are in the office workbook (status 已合并)."""
    return set(ledger.loc[ledger["状态"] == MERGED, "来源标识"].dropna().astype(str))


def ledger_rows(outcomes: Sequence, now: datetime) -> list[list]:
    """One 收件记录 line per file seen in this run."""
    rows = []
    for o in outcomes:
        rows.append([fmt_time(now), o.date.isoformat() if o.date else None, o.recipient_key, o.term,
                     o.collection_id, o.name, o.sender, o.digest, STATUS_ZH.get(o.status, o.status),
                     o.rows_accepted, o.rows_rejected, o.rows_added, o.rows_removed, o.reason, o.stamp_time])
    return rows


def fmt_time(d) -> str:
    """A time as the office reads it: Beijing time, to the minute."""
    if d is None:
        return "时间不明"
    ts = pd.Timestamp(d)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai")
    return ts.strftime("%Y-%m-%d %H:%M")


# the merge plan -----------------------------------------------------------------------------------
@dataclass
class MergePlan:
    remove_rows: list[int]  # Excel rows of the office 活动记录 to clear/reuse
    add: pd.DataFrame  # rows + provenance columns, in order


def plan_merge(office_log: pd.DataFrame, accepted: Sequence, types: dict[str, str] | None = None) -> MergePlan:
    """Which office rows go and which returned rows come, per accepted file. Each removed
    row is named in the file's warnings (Excel row, what it was, why it goes)."""
    log = office_log
    for c in PROV_COLUMNS:
        if c not in log.columns:
            log = log.assign(**{c: None})
    removes: list[int] = []
    adds: list[pd.DataFrame] = []
    for o in accepted:
        rows = o.rows if o.rows is not None else pd.DataFrame(columns=LOG.names + ["_row"])
        mask = (log["来源"].astype("string") == o.recipient_key) & (log["来源学期"].astype("string") == o.term)
        mine = log[mask.fillna(False).astype(bool)]
        old_keys = row_keys(mine, o.recipient_key, types)
        new_keys = row_keys(rows, o.recipient_key, types)
        gone = mine[~old_keys.isin(set(new_keys))]
        fresh = rows[~new_keys.isin(set(old_keys))]
        o.rows_removed, o.rows_added = len(gone), len(fresh)
        o.rows_unchanged = len(rows) - len(fresh)
        removes += gone["_row"].astype(int).tolist()
        o.removed = _removed(gone, o)  # replaced, not added to: the plan may be made more than once
        if len(fresh):
            adds.append(fresh.assign(**{
                "来源": o.recipient_key, "来源学期": o.term, "来源文件": o.name,
                "收件时间": fmt_time(o.date), "来源标识": o.digest[:16] if o.digest else None}))
    add = pd.concat(adds, ignore_index=True) if adds else pd.DataFrame(columns=LOG.names + list(PROV_COLUMNS))
    return MergePlan(sorted(removes), add)


def _removed(gone: pd.DataFrame, o) -> list[Problem]:
    out = []
    for r, d, sid, kind, src in zip(gone["_row"], gone["日期"], gone["工号"], gone["活动类型"], gone["来源文件"]):
        day = pd.Timestamp(d).strftime("%Y-%m-%d") if pd.notna(d) else ""
        out.append(Problem(LOG_SHEET, int(r), None, None,
                           f"办公室工作簿活动记录第 {int(r)} 行（{day} {sid} {kind}，来自 {src or '之前的回复'}）已删除："
                           f"同一收集对象较晚的回复 {o.file} 中没有这一行", "更正删除", "warning"))
    return out
