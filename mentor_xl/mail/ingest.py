"""``ingest``: merge returned collection workbooks into (a copy of) the office workbook.

For every workbook found in the inputs (``inbox.scan_inbox``):
1. refuse what is not safe or not ours, with a Chinese reason: too big, not a workbook
   whatever its name says, password-protected, over the zip/XML/row limits, no or
   altered stamp, another pack, a term or recipient the office book does not know;
2. read its 活动记录 with the office reader (same column aliases and value parsing as
   the office workbook; macros in .xlsm are never run — only cell values are read) and
   check each row: readable values, a 工号 of this recipient, an activity type of the
   pack, a date in the term's window. Bad rows are rejected and named (sheet, row,
   column, value, reason); the valid rest goes on;
3. per recipient and term, the latest return (message Date, then file time) is the one
   that counts: it is ``accepted``, earlier ones in the same run are ``superseded``, a
   file already ingested (same bytes) is a ``duplicate``. Rows are identified by a
   normalised content key (日期, 工号, 活动类型, sorted 学号, 班级, 宿舍, 时长, 人次, 内容,
   plus the recipient and the row's occurrence), so an accepted correction adds only
   its new rows and removes only the rows it no longer has; unchanged rows stay put;
4. write the office workbook: the new rows appended to its own 活动记录 under its own
   header (text protected from formula injection), provenance in extra columns
   (来源, 来源学期, 来源文件, 收件时间, 来源标识) and one line per file in a 收件记录 sheet,
   which is what makes a second ingest of the same mail add nothing. The office file
   is a copy by default; in place only through ``safe.atomic_write`` with a backup.
"""
from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from mentor_xl.mail.inbox import Candidate, scan_inbox
from mentor_xl.mail.stamp import Stamp, StampError, read_stamp
from mentor_xl.mail.trust import DEFAULT_MAX_DELETIONS, HELD, HELD_ZH, Trust
from mentor_xl.packs import Pack, apply_settings, load_pack, normalise_label
from mentor_xl.periods import find_term, timestamp
from mentor_xl.problems import FatalInputError, Problem, Problems
from mentor_xl.safe import same_path
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.workbook.schema import BY_NAME

LOG_SHEET = "活动记录"
LOG = BY_NAME[LOG_SHEET]
KEY_COLUMNS = ("日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "内容")
PROV_COLUMNS = ("来源", "来源学期", "来源文件", "收件时间", "来源标识")
LEDGER_SHEET = "收件记录"
LEDGER_COLUMNS = ("处理时间", "收件时间", "来源", "学期", "收集编号", "来源文件", "发件人",
                  "来源标识", "状态", "有效行数", "退回行数", "新增行数", "删除行数", "说明")
MAX_RETURN_ROWS = 20_000  # rows in one returned 活动记录 (a collection workbook offers ≤ 5000)
# Unpacked size of one returned workbook: a filled 5000-row return is ~2 MB of XML. Far below
# the office workbook's own limit, so a return with a million cheap rows is refused before
# any parser spends time and memory on it.
MAX_RETURN_UNCOMPRESSED = 64 * 1024 * 1024
OFFICE_SUFFIXES = (".xlsx", ".xlsm")

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC_NAMES = (
    (b"%PDF", "PDF 文档"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包"),
    (b"MZ", "Windows 程序"), (b"\x7fELF", "程序文件"), (b"{\\rtf", "RTF 文档"),
)


# results ----------------------------------------------------------------------------------------
@dataclass
class FileOutcome:
    file: str  # where it was found (path, or "mail.eml → attachment.xlsx")
    name: str  # the workbook's file name
    sender: str | None
    sender_addr: str | None
    subject: str | None
    date: datetime | None
    message_id: str | None = None
    status: str = "refused"  # accepted | refused | duplicate | superseded
    reason: str | None = None  # Chinese
    recipient: str | None = None  # label for people, e.g. 计算机学院 or 1001
    recipient_key: str | None = None  # stamp.key, e.g. 学院:计算机学院
    term: str | None = None
    collection_id: str | None = None
    digest: str | None = None
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_unchanged: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: pd.DataFrame | None = field(default=None, repr=False)  # valid rows, canonical
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
            "collection_id": self.collection_id,
            "rejected": [p.to_dict() for p in self.rejected],
            "checks": list(self.checks), "confirm_code": self.confirm_code,
        }


@dataclass
class IngestResult:
    book: Path | None  # the office workbook written (None: nothing written, dry run)
    source: Path
    files: list[FileOutcome]
    rows_merged: int
    rows_removed: int
    problems: Problems
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # manifest recipients with no return
    report: Path | None = None

    def to_json(self) -> dict:
        """The stable JSON shape of ``ingest --json`` (workbook.md): add keys, never rename."""
        return {
            "book": str(self.book) if self.book else None,
            "source": str(self.source),
            "files": [f.to_json() for f in self.files],
            "rows_merged": self.rows_merged,
            "rows_removed": self.rows_removed,
            "missing": self.missing,
            "notes": self.notes,
            "problems": self.problems.to_list(),
        }

    def summary_zh(self) -> str:
        from mentor_xl.mail.report import summary_zh
        return summary_zh(self)


# reading one candidate ----------------------------------------------------------------------------
def _content_kind(data: bytes) -> tuple[str, str | None]:
    """("xlsx"|"xlsm"|"xls"|"encrypted"|"other", description of other content)."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "other", "损坏的压缩文件（zip 结构无法读取）"
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            if "word/document.xml" in names:
                return "other", "Word 文档"
            if "content.xml" in names:
                return "other", "OpenDocument 文档"
            return "other", "zip 压缩包（不是 Excel 工作簿）"
        return ("xlsm" if "xl/vbaProject.bin" in names else "xlsx"), None
    if data.startswith(CFB_MAGIC):
        import olefile
        try:
            ole = olefile.OleFileIO(io.BytesIO(data))
            streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=False)}
            ole.close()
        except Exception:
            return "other", "损坏的 Office 文件"
        if "encryptioninfo" in streams or "encryptedpackage" in streams:
            return "encrypted", None
        if "workbook" in streams or "book" in streams:
            return "xls", None
        if "worddocument" in streams:
            return "other", "Word 97-2003 文档"
        return "other", "Office 复合文件（不是 Excel 工作簿）"
    for magic, desc in _MAGIC_NAMES:
        if data.startswith(magic):
            return "other", desc
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<table" in head:
        return "other", "网页（HTML）文件"
    if head.startswith(b"<?xml"):
        return "other", "XML 文件（可能是 Excel 2003 XML 表格，请另存为 .xlsx）"
    if not data:
        return "other", "空文件"
    return "other", "未知格式"


def _xls_encrypted(path: Path) -> bool:
    """A BIFF .xls with a FILEPASS record (password to open): calamine says so."""
    import python_calamine as cal
    try:
        cal.CalamineWorkbook.from_path(str(path))
    except cal.PasswordError:
        return True
    except Exception:
        return False
    return False


def _check_limits(path: Path) -> None:
    from mentor_xl.workbook.limits import check_workbook_file
    check_workbook_file(path, max_uncompressed=MAX_RETURN_UNCOMPRESSED)


def _read_log(path: Path, pack: Pack) -> tuple[pd.DataFrame, Problems]:
    """The returned 活动记录 through the office reader; its problems, named as 活动记录."""
    from mentor_xl.workbook.reader import read_book
    rb = read_book(path, policy_pack=pack, sheets=[LOG_SHEET])
    if LOG_SHEET not in rb.present:
        raise FatalInputError("没有找到“活动记录”工作表，请使用收集表原样填写")
    actual = rb.sheet_names.get(LOG_SHEET, LOG_SHEET)
    mine = Problems()
    for p in rb.problems:
        if p.sheet != actual:
            continue
        if p.category == "缺少列" and p.level == "error":
            raise FatalInputError(p.message)
        mine.items.append(Problem(LOG_SHEET, p.row, p.column, p.value, p.message, p.category, p.level))
    return rb.frame(LOG_SHEET), mine


@dataclass
class _Context:
    office: OfficeBook
    pack: Pack
    type_map: dict[str, str]
    terms: pd.DataFrame
    window_days: int
    tmp: Path
    hashes: dict = field(default_factory=dict)
    trust: Trust | None = None  # (by, term) -> {recipient: content hash now}

    def roster_hash(self, stamp: Stamp, t) -> str | None:
        """What collect would pre-fill for the stamp's recipient today (its content hash)."""
        key = (stamp.by, t.code)
        if key not in self.hashes:
            from mentor_xl.mail.collect import content_hash, recipients
            start, end = timestamp(t.start), timestamp(t.end)
            try:
                rs = recipients(self.office, start, end, stamp.by, Problems())
            except FatalInputError:
                rs = []
            self.hashes[key] = {r.key: content_hash(t.code, start, end, list(self.pack.types), r) for r in rs}
        return self.hashes[key].get(stamp.recipient)


def _refuse(o: FileOutcome, reason: str) -> FileOutcome:
    o.status, o.reason = "refused", reason
    return o


def examine(c: Candidate, ctx: _Context, index: int) -> FileOutcome:
    """Everything about one candidate short of merging: refused, or valid rows + rejects."""
    o = FileOutcome(file=c.source, name=c.name, sender=c.sender, sender_addr=c.sender_addr,
                    subject=c.subject, date=c.date, message_id=c.message_id)
    who = f"文件 {c.source}"
    if c.refused or c.data is None:
        return _refuse(o, c.refused or f"{who} 无法读取")
    o.digest = hashlib.sha256(c.data).hexdigest()
    kind, desc = _content_kind(c.data)
    if kind == "encrypted":
        return _refuse(o, f"{who} 设置了打开密码（已加密），无法读取。请取消密码后重新发送")
    if kind == "other":
        return _refuse(o, f"{who} 不是 Excel 工作簿（内容是{desc}），"
                          "请用 Excel 或 WPS 另存为 .xlsx 后重新发送")
    path = ctx.tmp / f"{index:04d}.{kind}"
    path.write_bytes(c.data)
    if kind == "xls" and _xls_encrypted(path):
        return _refuse(o, f"{who} 设置了打开密码（已加密），无法读取。请取消密码后重新发送")
    try:
        _check_limits(path)
    except FatalInputError as e:
        return _refuse(o, f"{who}：{e}")
    try:
        stamp = read_stamp(c.data, who)
    except StampError as e:
        return _refuse(o, str(e))
    if stamp is None:
        return _refuse(o, f"{who} 不是学工部发出的收集表（没有收集标记），未合并。"
                          "请使用邮件附件中的收集表填写")
    o.recipient, o.recipient_key = stamp.recipient, stamp.key
    o.term, o.collection_id = stamp.term, stamp.collection_id
    if ctx.trust is not None and ctx.trust.admit(stamp, c, o):
        return o
    if stamp.pack != ctx.pack.id:
        return _refuse(o, f"{who} 是制度“{stamp.pack}”的收集表，与本工作簿的制度“{ctx.pack.id}”不同")
    try:
        t = find_term(ctx.terms, stamp.term)
    except FatalInputError:
        return _refuse(o, f"{who} 是学期 {stamp.term} 的收集表，本工作簿的学期表中没有这个学期")
    staff = ctx.office.frame("人员")
    allowed = staff.loc[staff[stamp.by].astype("string") == stamp.recipient, "工号"].dropna()
    if allowed.empty:
        return _refuse(o, f"{who} 的收集对象（{stamp.by} {stamp.recipient}）不在本工作簿的人员表中")
    try:
        log, problems = _read_log(path, ctx.pack)
    except FatalInputError as e:
        return _refuse(o, f"{who}：{e}")
    except Exception as e:  # a reader crash on hostile input must not stop the other files
        return _refuse(o, f"{who} 无法读取（{type(e).__name__}），请用 Excel 或 WPS 打开后另存为 .xlsx 重新发送")
    rows_seen = len(log) + len({p.row for p in problems if p.sheet == LOG_SHEET and p.level == "error"})
    if rows_seen > MAX_RETURN_ROWS:
        return _refuse(o, f"{who} 的活动记录有 {rows_seen} 行，超过单个收集表的上限 {MAX_RETURN_ROWS} 行")
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
        return _refuse(o, f"{who} 的活动记录是空的（没有填写任何一行），未作处理。"
                          "如果之前已交过，以之前的为准")
    o.status = "pending"
    return o


def validate_rows(log: pd.DataFrame, problems: Problems, *, allowed: set[str],
                  type_map: dict[str, str], window: tuple[pd.Timestamp, pd.Timestamp], term: str,
                  students: set[str], where: str) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Split a returned 活动记录 into valid rows and rejected ones (with reasons).

    A row is rejected when the reader found an unreadable value in it (error level), its
    工号 is not one of ``allowed``, its 活动类型 is not a type of the pack (after
    aliases), or its date is outside ``window``. Unknown 学号 are a warning only.
    The valid rows carry the canonical activity type.
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
    df["活动类型"] = canon[ok].astype(object)
    if students:
        exploded = df[["_row", "学号"]].explode("学号").dropna(subset=["学号"])
        unknown = exploded[~exploded["学号"].astype(str).isin(students)]
        for r, sid in zip(unknown["_row"], unknown["学号"]):
            warnings.append(Problem(LOG_SHEET, int(r), "学号", sid,
                                    f"{where}：活动记录第 {int(r)} 行的学号 {sid} 不在学生名单中（已接收，请核对）",
                                    "收件", "warning"))
    rejected.sort(key=lambda p: (p.row or 0, p.column or ""))
    return df.reset_index(drop=True), rejected, warnings


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


def row_keys(df: pd.DataFrame, recipient_key: pd.Series | str) -> pd.Series:
    """One key per row: recipient + normalised content + occurrence (1st, 2nd identical row…)."""
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    parts = [
        pd.to_datetime(df["日期"], errors="coerce").dt.strftime("%Y-%m-%d").fillna("").astype(str),
        _norm_text(df["工号"]), _norm_text(df["活动类型"]), _norm_idlist(df["学号"]),
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


# the ledger ---------------------------------------------------------------------------------------
def read_ledger(path: Path) -> pd.DataFrame:
    """The 收件记录 sheet of the office workbook (empty frame when absent)."""
    import python_calamine as cal
    try:
        wb = cal.CalamineWorkbook.from_path(str(path))
        names = {m.name.strip(): m.name for m in wb.sheets_metadata}
        if LEDGER_SHEET not in names:
            return pd.DataFrame(columns=list(LEDGER_COLUMNS))
        rows = wb.get_sheet_by_name(names[LEDGER_SHEET]).to_python(skip_empty_area=False)
    except Exception:
        return pd.DataFrame(columns=list(LEDGER_COLUMNS))
    if not rows:
        return pd.DataFrame(columns=list(LEDGER_COLUMNS))
    header = [str(h).strip() for h in rows[0]]
    df = pd.DataFrame(rows[1:], columns=header).reindex(columns=list(LEDGER_COLUMNS))
    return df.astype(object).where(df.notna(), None)


def _as_utc(v) -> pd.Timestamp | None:
    if v is None or v == "":
        return None
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


# deciding -----------------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def decide(outcomes: list[FileOutcome], ledger: pd.DataFrame) -> None:
    """Set duplicate / superseded / accepted on the examined (``pending``) outcomes."""
    seen = set(ledger["来源标识"].dropna().astype(str))
    first_name: dict[str, str] = {}
    for o in outcomes:
        if o.digest is None:
            continue
        if o.status == "pending" and o.digest in seen:
            o.status = "duplicate"
            o.reason = (f"与本次的 {first_name[o.digest]} 完全相同，未重复合并" if o.digest in first_name
                        else "这份文件此前已经收取过（见收件记录），未重复合并")
        if o.status in ("pending", "refused"):
            seen.add(o.digest)
            first_name.setdefault(o.digest, o.file)

    groups: dict[tuple[str, str], list[FileOutcome]] = {}
    for o in outcomes:
        if o.status == "pending":
            groups.setdefault((o.recipient_key, o.term), []).append(o)
    accepted = ledger[ledger["状态"] == "已合并"]
    for (key, term), items in groups.items():
        prev = accepted[(accepted["来源"] == key) & (accepted["学期"].astype(str) == term)]
        prev_time = max((t for t in map(_as_utc, prev["收件时间"]) if t is not None), default=None)
        items.sort(key=lambda o: o.date or _EPOCH)  # stable: scan order breaks ties
        winner = items[-1]
        for o in items[:-1]:
            o.status = "superseded"
            o.reason = f"已被同一收集对象较晚的回复（{winner.file}，{_fmt(winner.date)}）取代"
        if prev_time is not None and winner.date is not None and pd.Timestamp(winner.date) < prev_time:
            winner.status = "superseded"
            winner.reason = f"早于已合并的同一收集对象的回复（收件时间 {_fmt(prev_time)}），以已合并的为准"
            for o in items[:-1]:
                o.reason = winner.reason
        else:
            winner.status = "accepted"


def _fmt(d) -> str:
    if d is None:
        return "时间不明"
    ts = pd.Timestamp(d)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai")
    return ts.strftime("%Y-%m-%d %H:%M")


# merging ------------------------------------------------------------------------------------------
@dataclass
class MergePlan:
    remove_rows: list[int]  # Excel rows of the office 活动记录 to clear/reuse
    add: pd.DataFrame  # canonical rows + provenance columns, in order


def plan_merge(office_log: pd.DataFrame, accepted: Sequence[FileOutcome]) -> MergePlan:
    """Which office rows go and which returned rows come, per accepted file."""
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
        old_keys = row_keys(mine, o.recipient_key)
        new_keys = row_keys(rows, o.recipient_key)
        gone = mine.loc[~old_keys.isin(set(new_keys)), "_row"].astype(int).tolist()
        fresh = rows[~new_keys.isin(set(old_keys))]
        o.rows_removed, o.rows_added = len(gone), len(fresh)
        o.rows_unchanged = len(rows) - len(fresh)
        removes += gone
        if len(fresh):
            adds.append(fresh.assign(**{
                "来源": o.recipient_key, "来源学期": o.term, "来源文件": o.name,
                "收件时间": _fmt(o.date), "来源标识": o.digest[:16] if o.digest else None}))
    add = pd.concat(adds, ignore_index=True) if adds else pd.DataFrame(columns=LOG.names + list(PROV_COLUMNS))
    return MergePlan(sorted(removes), add)


# the command --------------------------------------------------------------------------------------
def default_report(target: Path) -> Path:
    """``办公室-已合并.xlsx`` → ``办公室-已合并-收件报告.xlsx`` beside it."""
    return target.with_name(f"{target.stem}-收件报告.xlsx")


def default_output(book: Path) -> Path:
    """``办公室.xlsx`` → ``办公室-已合并.xlsx`` beside it."""
    return book.with_name(f"{book.stem}-已合并{book.suffix}")


def read_office(book: Path, policy: str | None = None) -> tuple[OfficeBook, Pack]:
    """The office workbook read with its pack's column aliases, and the pack with its ⚙ values."""
    from mentor_xl.workbook.reader import read_book

    head = read_book(book, sheets=[])  # 设置 (and 列映射) only: which pack?
    pack_id = policy or head.policy
    if not pack_id:
        raise FatalInputError("设置表中没有填写“制度”，请用 --policy 指定制度")
    pack = load_pack(pack_id)
    office = read_book(book, policy_pack=pack, sheets=["学期", "人员", "学生", "指导关系", LOG_SHEET])
    return office, apply_settings(pack, office.settings)


def ingest(book: str | Path, inputs: Iterable[str | Path], *, out: str | Path | None = None,
           in_place: bool = False, policy: str | None = None, manifest: str | Path | None = None,
           report: str | Path | bool | None = True, reply_dir: str | Path | None = None,
           dry_run: bool = False, now: datetime | None = None, engine: str = "auto",
           confirm: Iterable[str] = (), max_deletions: int | None = DEFAULT_MAX_DELETIONS) -> IngestResult:
    """Merge the returned workbooks found in ``inputs`` into the office workbook ``book``.

    Writes ``out`` (default ``<book>-已合并.xlsx``), or ``book`` itself when ``in_place``
    (atomically, the old file kept as ``<book>.bak.xlsx``). ``manifest`` is collect's
    收集清单.json: recipients without a return are listed. ``report`` is where the report
    workbook goes (True: ``default_report(target)`` beside the office workbook written;
    None/False: no report); ``reply_dir`` writes one reply .eml per sender with something
    to fix (From: the 设置 “发件人”). ``dry_run`` examines and decides but writes no office workbook. ``engine``
    chooses how the office workbook is written (``writeback.write_office``). ``confirm``: codes of
    held returns the office has checked; ``max_deletions``: a return deleting more rows is held
    (``trust.Trust``).
    Raises FatalInputError (Chinese) when the office workbook itself cannot be used.
    """
    book = Path(book)
    if book.suffix.lower() not in OFFICE_SUFFIXES:
        raise FatalInputError(f"办公室工作簿 {book.name} 不是 .xlsx/.xlsm 文件，无法写入。请先用 Excel 或 WPS 另存为 .xlsx")
    if not book.is_file():
        raise FatalInputError(f"找不到办公室工作簿 {book}")
    office, pack = read_office(book, policy)
    if LOG_SHEET not in office.present:
        raise FatalInputError(f"办公室工作簿 {book.name} 中没有“活动记录”工作表，无法合并")
    now = now or datetime.now(timezone.utc)
    target = book if in_place else Path(out) if out else default_output(book)
    if not in_place and same_path(target, book):  # NFC + case-folded: Windows/macOS names
        raise FatalInputError("输出文件与办公室工作簿相同；要直接写入原文件请使用“原地写入”选项（会保留备份）")

    problems = Problems()
    outcomes: list[FileOutcome] = []
    with tempfile.TemporaryDirectory(prefix="mentor_xl_ingest_") as tmp:
        ctx = _Context(office, pack, pack.type_map(), office.frame("学期"),
                       int(pack.setting("deadline_window_days")), Path(tmp),
                       trust=Trust(book, office, now=now, confirm=confirm, max_deletions=max_deletions))

        def take(c: Candidate) -> None:
            # Examined as soon as found, its bytes dropped after: a mailbox of any size
            # never sits in memory at once.
            try:
                outcomes.append(examine(c, ctx, len(outcomes)))
            except Exception as e:  # one hostile file must never stop the run
                o = FileOutcome(c.source, c.name, c.sender, c.sender_addr, c.subject, c.date, c.message_id)
                outcomes.append(_refuse(o, f"文件 {c.source} 无法处理（{type(e).__name__}），请另存为 .xlsx 后重新发送"))
            finally:
                c.data = None
                for f in ctx.tmp.iterdir():
                    f.unlink()

        scan = scan_inbox(inputs, on_candidate=take)
    ledger = Trust.ledger_view(read_ledger(book))
    decide(outcomes, ledger)
    ctx.trust.hold_mass_deletions(outcomes, office.frame(LOG_SHEET), ledger)

    accepted = [o for o in outcomes if o.status == "accepted"]
    plan = plan_merge(office.frame(LOG_SHEET), accepted)
    rows_merged = sum(o.rows_added for o in accepted)
    rows_removed = sum(o.rows_removed for o in accepted)
    for o in outcomes:
        if o.status == "accepted":  # a duplicate's or a replaced file's rows do not count
            problems.extend(o.rejected)
            problems.extend(o.warnings)
        if o.status == "refused":
            problems.add("收件", None, "文件", o.name, o.reason or "", "拒收文件")
        if o.status == HELD:
            problems.add("收件", None, "文件", o.name, o.reason or "", "待确认文件", "warning")
    missing: list[str] = []
    if manifest:
        missing = _missing(Path(manifest), outcomes, ledger)

    written: Path | None = None
    if not dry_run:
        from mentor_xl.mail.writeback import write_office
        written = write_office(book, target, office, plan, _ledger_rows(outcomes, now),
                               backup=True, pack=pack, engine=engine)
    result = IngestResult(written, book, outcomes, rows_merged, rows_removed, problems,
                          notes=list(scan.notes), missing=missing)
    if report:
        from mentor_xl.mail.report import write_report
        result.report = write_report(result, default_report(target) if report is True else Path(report))
    if reply_dir:
        from mentor_xl.mail.report import write_replies
        write_replies(result, Path(reply_dir), sender=(office.settings.get("发件人") or "").strip() or None)
    for o in outcomes:
        o.rows = None  # the result is kept by callers; the frames are not needed any more
    return result


def _ledger_rows(outcomes: list[FileOutcome], now: datetime) -> list[list]:
    status_zh = {"accepted": "已合并", "refused": "拒收", "duplicate": "重复", "superseded": "已被取代", HELD: HELD_ZH}
    rows = []
    for o in outcomes:
        rows.append([_fmt(now), o.date.isoformat() if o.date else None, o.recipient_key, o.term,
                     o.collection_id, o.name, o.sender, o.digest, status_zh.get(o.status, o.status),
                     o.rows_accepted, o.rows_rejected, o.rows_added, o.rows_removed, o.reason])
    return rows


def _missing(manifest: Path, outcomes: list[FileOutcome], ledger: pd.DataFrame) -> list[str]:
    import json
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise FatalInputError(f"收集清单 {manifest} 无法读取（{type(e).__name__}）") from None
    by, term = data.get("by"), data.get("term")
    got = {o.recipient_key for o in outcomes if o.status in ("accepted", "superseded", "duplicate") and o.term == term}
    got |= set(ledger.loc[(ledger["状态"] == "已合并") & (ledger["学期"].astype(str) == str(term)), "来源"].dropna())
    return [r["label"] for r in data.get("recipients", []) if f"{by}:{r['recipient']}" not in got]
