"""Everything about one returned workbook short of merging it.

1. refuse what is not safe or not ours, with a Chinese reason naming the user's file: not
   a spreadsheet whatever its name says, password-protected, over the limits, crashing the
   reader (read in a child process, ``isolated``), no or altered stamp, another pack, a term
   or recipient the office book does not know;
2. check each row of its 活动记录 (read with the office reader: same column aliases and
   value parsing; macros are never run): readable values, a 工号 of this recipient, an
   activity type of the pack (the type is kept as the recipient wrote it: its alias is
   valid), a date in the term's window. Bad rows are rejected and named;
3. a return replaces earlier rows only when it can: no readable 活动记录, or no valid row
   at all, refuses the file — it never deletes what an earlier return brought.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from mentor_xl.mail.inbox import Candidate
from mentor_xl.mail.isolated import Refused, read_return
from mentor_xl.mail.ledger import LOG_SHEET
from mentor_xl.mail.recipients import content_hash, recipients
from mentor_xl.mail.stamp import Stamp, StampError
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.periods import find_term, timestamp
from mentor_xl.problems import FatalInputError, Problem, Problems
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.workbook.sniff import SUFFIX, sniff

MAX_RETURN_ROWS = 20_000  # rows in one returned 活动记录 (a collection workbook offers ≤ 5000)
_ASK_RESAVE = "请用 Excel 或 WPS 打开后另存为 .xlsx 重新发送"


@dataclass
class FileOutcome:
    file: str  # where it was found (path, or "mail.eml → attachment.xlsx")
    name: str  # the workbook's file name
    sender: str | None
    sender_addr: str | None
    subject: str | None
    date: datetime | None  # the mail's Date, else the file's time (``date_basis`` says which)
    message_id: str | None = None
    status: str = "refused"  # accepted | refused | duplicate | superseded (pending while examined)
    reason: str | None = None  # Chinese
    recipient: str | None = None  # label for people, e.g. 计算机学院 or 1001
    recipient_key: str | None = None  # stamp.key, e.g. 学院:计算机学院
    term: str | None = None
    collection_id: str | None = None
    stamp_time: str | None = None  # when the collection workbook was made (stamp.created)
    date_basis: str | None = None  # "邮件时间" | "文件时间"
    digest: str | None = None
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_unchanged: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: pd.DataFrame | None = field(default=None, repr=False)  # valid rows
    removed: list[Problem] = field(default_factory=list)  # office rows the merge plan deletes (ledger)
    checks: list[str] = field(default_factory=list)  # trust checks that applied (Chinese), trust.py
    confirm_code: str | None = None  # confirms a held file (trust.py)
    reply_to: list[str] = field(default_factory=list)  # the recipient's own addresses, never From

    def to_json(self) -> dict:
        return {
            "file": self.file, "name": self.name, "sender": self.sender,
            "recipient": self.recipient, "term": self.term, "status": self.status,
            "rows_accepted": self.rows_accepted, "rows_rejected": self.rows_rejected,
            "rows_merged": self.rows_added, "rows_removed": self.rows_removed,
            "reason": self.reason, "date": self.date.isoformat() if self.date else None,
            "date_basis": self.date_basis, "stamp_time": self.stamp_time,
            "collection_id": self.collection_id,
            "rejected": [p.to_dict() for p in self.rejected],
            "checks": list(self.checks), "confirm_code": self.confirm_code,
        }


@dataclass
class Context:
    office: OfficeBook
    pack: Pack
    type_map: dict[str, str]
    terms: pd.DataFrame
    window_days: int
    tmp: Path
    hashes: dict = field(default_factory=dict)  # (by, term) -> {recipient: content hash now}
    trust: object | None = None  # trust.Trust: signatures, register, senders

    def roster_hash(self, stamp: Stamp, t) -> str | None:
        """What collect would pre-fill for the stamp's recipient today (its content hash)."""
        key = (stamp.by, t.code)
        if key not in self.hashes:
            start, end = timestamp(t.start), timestamp(t.end)
            try:
                rs = recipients(self.office, start, end, stamp.by, Problems())
            except FatalInputError:
                rs = []
            self.hashes[key] = {r.key: content_hash(t.code, start, end, list(self.pack.types), r) for r in rs}
        return self.hashes[key].get(stamp.recipient)


def refuse(o: FileOutcome, reason: str) -> FileOutcome:
    o.status, o.reason = "refused", reason
    return o


def outcome_for(c: Candidate) -> FileOutcome:
    return FileOutcome(file=c.source, name=c.name, sender=c.sender, sender_addr=c.sender_addr,
                       subject=c.subject, date=c.date, message_id=c.message_id, date_basis=c.date_basis)


def examine(c: Candidate, ctx: Context, index: int) -> FileOutcome:
    """Everything about one candidate short of merging: refused, or valid rows + rejects."""
    o = outcome_for(c)
    who = f"文件 {c.source}"
    if c.refused or c.data is None:
        return refuse(o, c.refused or f"{who} 无法读取")
    o.digest = hashlib.sha256(c.data).hexdigest()
    kind = sniff(c.data)
    if kind.kind == "encrypted":
        return refuse(o, f"{who} 设置了打开密码（已加密），无法读取。请取消密码后重新发送")
    if not kind.spreadsheet:
        what = {"eml": "一封邮件", "mbox": "一个邮箱文件", "msg": "一封 Outlook 邮件"}.get(kind.kind, kind.desc)
        return refuse(o, f"{who} 不是 Excel 工作簿（内容是{what}），请用 Excel 或 WPS 另存为 .xlsx 后重新发送")
    path = ctx.tmp / f"{index:04d}{SUFFIX[kind.kind]}"
    path.write_bytes(c.data)
    try:
        read = read_return(path, name=c.source, where=who, pack_id=ctx.pack.id, work=ctx.tmp)
    except Refused as e:
        return refuse(o, str(e))
    if read.stamp_error:
        return refuse(o, read.stamp_error)
    if read.stamp is None:
        return refuse(o, f"{who} 不是学工部发出的收集表（没有收集标记），未合并。"
                         "请使用邮件附件中的收集表填写")
    try:
        stamp = Stamp(**read.stamp)
    except (TypeError, StampError):
        return refuse(o, f"{who}的收集标记无法读取")
    o.recipient, o.recipient_key = stamp.recipient, stamp.key
    o.term, o.collection_id, o.stamp_time = stamp.term, stamp.collection_id, stamp.created
    if ctx.trust is not None and ctx.trust.admit(stamp, c, o):
        return o  # refused or held by the office's trust checks (trust.py)
    if stamp.pack != ctx.pack.id:
        return refuse(o, f"{who} 是制度“{stamp.pack}”的收集表，与本工作簿的制度“{ctx.pack.id}”不同")
    try:
        t = find_term(ctx.terms, stamp.term)
    except FatalInputError:
        return refuse(o, f"{who} 是学期 {stamp.term} 的收集表，本工作簿的学期表中没有这个学期")
    staff = ctx.office.frame("人员")
    allowed = staff.loc[staff[stamp.by].astype("string") == stamp.recipient, "工号"].dropna()
    if allowed.empty:
        return refuse(o, f"{who} 的收集对象（{stamp.by} {stamp.recipient}）不在本工作簿的人员表中")
    if read.log_error or read.log is None:
        # Unreadable: as the latest return it must not replace (delete) what came before.
        return refuse(o, f"{who} 的活动记录无法读取（{read.log_error or '无法读取'}），未作处理，"
                         f"之前交回的记录保持不变。{_ASK_RESAVE}")
    log, problems = read.log, read.problems
    rows_seen = len(log) + len({p.row for p in problems if p.level == "error"})
    if rows_seen > MAX_RETURN_ROWS:
        return refuse(o, f"{who} 的活动记录有 {rows_seen} 行，超过单个收集表的上限 {MAX_RETURN_ROWS} 行")
    start, end = timestamp(t.start), timestamp(t.end)
    valid, rejected, warnings = validate_rows(
        log, problems, allowed=set(allowed.astype(str)), type_map=ctx.type_map,
        window=(start - pd.Timedelta(days=ctx.window_days), end), term=t.code,
        students=set(ctx.office.frame("学生")["学号"].dropna().astype(str)), where=who)
    if ctx.roster_hash(stamp, t) != stamp.content_hash:
        warnings.append(Problem(LOG_SHEET, None, None, None,
                                f"{who}：发出收集表后，{stamp.recipient}的人员、指导关系或活动类型有变动；"
                                "已按本工作簿现在的名单核对", "收件", "warning"))
    o.rows = valid
    o.rows_accepted, o.rows_rejected = len(valid), len({p.row for p in rejected})
    o.rejected, o.warnings = rejected, warnings
    if len(valid) == 0 and o.rows_rejected == 0:
        # Most often the untouched attachment sent back by mistake: as the latest return it
        # would wipe the recipient's earlier rows, so it is not taken.
        return refuse(o, f"{who} 的活动记录是空的（没有填写任何一行），未作处理。"
                         "如果之前已交过，以之前的为准")
    if len(valid) == 0:
        first = "；".join(p.message.split("：", 1)[-1] for p in rejected[:3])
        return refuse(o, f"{who} 的活动记录 {o.rows_rejected} 行全部有问题，没有可合并的行，未作处理，"
                         f"之前交回的记录保持不变。请更正后重新发送（{first}{'……' if len(rejected) > 3 else ''}）")
    o.status = "pending"
    return o


def validate_rows(log: pd.DataFrame, problems: Problems, *, allowed: set[str],
                  type_map: dict[str, str], window: tuple[pd.Timestamp, pd.Timestamp], term: str,
                  students: set[str], where: str) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Split a returned 活动记录 into valid rows and rejected ones (with reasons).

    A row is rejected when the reader found an unreadable value in it (error level), its
    工号 is not one of ``allowed``, its 活动类型 is not a type of the pack (after
    aliases), or its date is outside ``window``. Unknown 学号 are a warning only.
    The valid rows keep the activity type as written (an alias of a pack type is valid).
    """
    rejected: list[Problem] = []
    warnings: list[Problem] = []
    for p in problems:
        if p.sheet != LOG_SHEET:
            continue
        msg = f"{where}：{p.message}"
        target = rejected if p.level == "error" else warnings
        target.append(Problem(LOG_SHEET, p.row, p.column, p.value, msg, "退回行" if p.level == "error" else p.category, p.level))
    bad_rows = {p.row for p in rejected}
    df = log[~log["_row"].isin(bad_rows)].copy()

    def reject(mask: pd.Series, column: str, reason: str) -> None:
        for r, v in zip(df.loc[mask, "_row"], df.loc[mask, column]):
            shown = v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v
            rejected.append(Problem(LOG_SHEET, int(r), column, shown,
                                    f"{where}：活动记录第 {int(r)} 行 {column}“{'' if shown is None else shown}”{reason}",
                                    "退回行"))

    ids = df["工号"].astype("string")
    bad_id = ~ids.isin(list(allowed)).fillna(False).astype(bool)
    reject(bad_id, "工号", "不是本收集表名单中的人员，请从下拉列表中选择")
    codes, uniq = pd.factorize(df["活动类型"].astype("string"))
    known = np.array([type_map.get(normalise_label(u)) for u in uniq] + [None], dtype=object)
    canon = pd.Series(known[codes], index=df.index, dtype=object)  # code -1 (blank) → None
    bad_type = canon.isna() & ~bad_id
    reject(bad_type, "活动类型", "不是本制度的活动类型，请从下拉列表中选择")
    lo, hi = window
    bad_date = ((df["日期"] < lo) | (df["日期"] > hi)).fillna(False) & ~bad_id & ~bad_type
    reject(bad_date, "日期", f"不在 {term} 的填报范围（{lo.date()} 至 {hi.date()}）内")
    ok = ~(bad_id | bad_type | bad_date)
    df = df[ok].copy()
    df["活动类型"] = df["活动类型"].astype("string").str.strip().astype(object)
    if students:
        exploded = df[["_row", "学号"]].explode("学号").dropna(subset=["学号"])
        unknown = exploded[~exploded["学号"].astype(str).isin(students)]
        for r, sid in zip(unknown["_row"], unknown["学号"]):
            warnings.append(Problem(LOG_SHEET, int(r), "学号", sid,
                                    f"{where}：活动记录第 {int(r)} 行的学号 {sid} 不在学生名单中（已接收，请核对）",
                                    "收件", "warning"))
    rejected.sort(key=lambda p: (p.row or 0, p.column or ""))
    return df.reset_index(drop=True), rejected, warnings
