"""``collect``: one collection workbook per recipient (a 学院, or one staff member by 工号).

Each workbook holds
- 说明: what to fill, the term's dates, the activity types (with the spellings accepted);
- 活动记录: the office's own log header (locked) and empty rows to fill (unlocked), with
  dropdowns for 工号 (this recipient's staff) and 活动类型 (the pack's types), a date
  check within the term's window and number checks for 时长/人次;
- 人员 and 指导关系: the recipient's roster and pairings, pre-filled and locked;
- 字典: the dropdown lists (hidden);
- ``_收集标记``: the stamp (``stamp.Stamp``), so a returned file is recognised whatever
  its name.
Optionally one .eml per recipient (To from 人员's 邮箱) and sending over SMTP.
A manifest ``收集清单.json`` records what was sent, so ``ingest`` can tell who has not
returned yet.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

from mentor_xl.mail import trust
from mentor_xl.mail.recipients import PAIR_COLUMNS, Recipient, content_hash, recipients
from mentor_xl.mail.stamp import Stamp, write_stamp
from mentor_xl.office import open_office, require_terms
from mentor_xl.packs import Pack
from mentor_xl.periods import find_term, timestamp
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.safe import name_key, needs_quote
from mentor_xl.workbook import xlsx as X
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.workbook.schema import BY_NAME

MANIFEST_NAME = "收集清单.json"
LOG = BY_NAME["活动记录"]
# Blank rows offered per staff member, and bounds for one workbook (kept well under
# the ingest row limit so a filled workbook is never refused as too big).
ROWS_PER_STAFF = 60
MIN_ROWS, MAX_ROWS = 200, 5000
ROSTER_COLUMNS = ("工号", "姓名", "角色", "学院", "邮箱")


@dataclass
class CollectedFile:
    recipient: str
    label: str
    file: Path
    collection_id: str
    staff: int
    pairs: int
    emails: list[str] = field(default_factory=list)
    eml: Path | None = None
    sent: bool = False
    send_error: str | None = None


@dataclass
class CollectResult:
    term: str
    by: str
    pack: str
    out_dir: Path
    files: list[CollectedFile]
    manifest: Path | None
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        return {
            "term": self.term, "by": self.by, "policy": self.pack, "out": str(self.out_dir),
            "manifest": str(self.manifest) if self.manifest else None,
            "files": [{"recipient": f.recipient, "label": f.label, "file": str(f.file),
                       "collection_id": f.collection_id, "staff": f.staff, "pairs": f.pairs,
                       "emails": f.emails, "eml": str(f.eml) if f.eml else None,
                       "sent": f.sent, "send_error": f.send_error} for f in self.files],
            "problems": self.problems.to_list(),
        }

    def summary_zh(self) -> str:
        lines = [f"已为 {self.term} 生成 {len(self.files)} 份收集表（按{self.by}），保存在 {self.out_dir}。"]
        emls = sum(1 for f in self.files if f.eml)
        if emls:
            lines.append(f"已生成 {emls} 封待发邮件（.eml）。")
        sent = sum(1 for f in self.files if f.sent)
        failed = [f for f in self.files if f.send_error]
        if sent or failed:
            lines.append(f"已发送 {sent} 封邮件" + (f"，{len(failed)} 封发送失败：" if failed else "。"))
            lines += [f"  {f.label}：{f.send_error}" for f in failed]
        no_mail = [f.label for f in self.files if not f.emails]
        if no_mail and (emls or sent):
            lines.append("以下收集对象没有邮箱，需另行发送：" + "、".join(no_mail))
        if len(self.problems):
            lines.append(f"发现 {len(self.problems)} 个问题：")
            lines += [f"  {p.message}" for p in self.problems]
        return "\n".join(lines)


# the workbook -----------------------------------------------------------------------------------
def _file_stem(term: str, r: Recipient) -> str:
    s = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{term}-{r.label}-导师工作记录收集表")
    return s.strip("._")[:120]


def write_collection_workbook(path: Path, r: Recipient, stamp: Stamp, pack: Pack,
                              term_start: pd.Timestamp, term_end: pd.Timestamp,
                              window_start: pd.Timestamp, office_name: str) -> None:
    """Write one recipient's collection workbook to ``path`` (an .xlsx)."""
    wb = X.new_workbook(path)
    st = X.styles(wb)
    open_fmt = {kind: wb.add_format({"font_name": X.FONT, "locked": False,
                                     **({"num_format": nf} if nf else {})})
                for kind, nf in (("text", None), ("id", X.TEXT_FORMAT), ("date", X.DATE_FORMAT),
                                 ("number", None))}
    types = list(pack.types)
    ids = list(r.staff["工号"].astype(str))
    nrows = max(MIN_ROWS, min(MAX_ROWS, ROWS_PER_STAFF * len(ids)))

    # 说明 first: it is what opens.
    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 100)
    title = f"{office_name}导师工作记录收集表" if office_name else "导师工作记录收集表"
    # 单位名称 comes from the shared workbook's 设置: guarded like any text (safe.py).
    ws.write_string(0, 0, title, st.cell("text", True) if needs_quote(title) else st.title)
    lines = [
        f"收集对象：{r.label}",
        f"学期：{stamp.term}（{term_start.date()} 至 {term_end.date()}）",
        f"请在“活动记录”表中逐行填写本学期开展的导师工作，每次活动一行。日期可填 "
        f"{window_start.date()} 至 {term_end.date()} 之间的日期（含开学前的工作计划）。",
        "工号、活动类型请从下拉列表中选择；多名学生的学号用顿号（、）分隔；时长以小时计。",
        "“人员”和“指导关系”两表是本单位的名单，仅供参考，已锁定，无需修改；如名单有误请在邮件中说明。",
        "填好后请保存（可另存为 .xlsx 或 .xls，文件名可以修改），作为附件回复本邮件。",
        "如需更正，请修改后再次发送整份表格：学工部以最后收到的一份为准，之前的一份会被替换。",
        "请不要删除或改名工作表，不要修改表头。",
        "",
        "活动类型（括号内为也可接受的写法）：",
    ]
    lines += [f"  {t}" + (f"（{'、'.join(a)}）" if a else "") for t, a in pack.types.items()]
    for i, line in enumerate(lines, start=2):
        X.write_text(ws, i, 0, line, st)
    ws.protect()
    ws.activate()

    # 活动记录: the office's own header; only the fill area is unlocked.
    log = wb.add_worksheet("活动记录")
    names = LOG.names
    X.write_header(log, names, st)
    for j, c in enumerate(LOG.columns):
        k = {"id": "id", "idlist": "id", "date": "date", "number": "number"}.get(c.kind, "text")
        log.set_column(j, j, max(c.width, X.text_width(c.name) + 2), open_fmt[k])
    # Column formats unlock the columns; the header keeps its own (locked) format.
    last = nrows
    col = {n: j for j, n in enumerate(names)}
    dict_ws = wb.add_worksheet("字典")
    dict_ws.write_string(0, 0, "活动类型")
    dict_ws.write_string(0, 1, "工号")
    dict_ws.write_string(0, 2, "姓名")
    for i, t in enumerate(types, start=1):
        X.write_text(dict_ws, i, 0, t, st)
    for i, (sid, nm) in enumerate(zip(ids, r.staff["姓名"].astype(str)), start=1):
        X.write_text(dict_ws, i, 1, sid, st)
        X.write_text(dict_ws, i, 2, nm, st)
    wb.define_name("活动类型列表", f"='字典'!$A$2:$A${len(types) + 1}")
    wb.define_name("工号列表", f"='字典'!$B$2:$B${len(ids) + 1}")
    dict_ws.protect()
    dict_ws.hide()

    log.data_validation(1, col["活动类型"], last, col["活动类型"], {
        "validate": "list", "source": "=活动类型列表", "error_type": "warning",
        "error_title": "活动类型", "error_message": "请从下拉列表中选择活动类型"})
    log.data_validation(1, col["工号"], last, col["工号"], {
        "validate": "list", "source": "=工号列表", "error_type": "stop",
        "error_title": "工号", "error_message": "请从下拉列表中选择本单位人员的工号"})
    log.data_validation(1, col["日期"], last, col["日期"], {
        "validate": "date", "criteria": "between",
        "minimum": window_start.to_pydatetime(), "maximum": term_end.to_pydatetime(),
        "error_type": "stop", "error_title": "日期",
        "error_message": f"日期应在 {window_start.date()} 至 {term_end.date()} 之间"})
    for name, hi in (("时长", 24), ("人次", 100000)):
        log.data_validation(1, col[name], last, col[name], {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": hi,
            "error_type": "stop", "error_title": name, "error_message": f"{name}应为 0–{hi} 之间的数字"})
    log.autofilter(0, 0, last, len(names) - 1)
    log.protect("", {"autofilter": True, "sort": True, "format_columns": True,
                     "insert_rows": True, "delete_rows": True, "select_locked_cells": True,
                     "select_unlocked_cells": True})

    # Rosters: pre-filled, locked.
    roster = r.staff.reindex(columns=list(ROSTER_COLUMNS))
    rs = X.write_frame_sheet(wb, "人员", roster, text_cols=["工号"])
    rs.protect("", {"autofilter": True, "sort": True})
    pairs = r.pairs.reindex(columns=list(PAIR_COLUMNS))
    ps = X.write_frame_sheet(wb, "指导关系", pairs, text_cols=["工号", "学号"],
                             date_cols=["开始日期", "结束日期"])
    ps.protect("", {"autofilter": True, "sort": True})

    write_stamp(wb, stamp)
    wb.set_properties({"title": title, "subject": f"{stamp.term} {r.label}", "author": "mentor_xl"})
    wb.close()


# mail -------------------------------------------------------------------------------------------
def collection_message(f: CollectedFile, sender: str | None, term: str, office_name: str,
                       term_start, term_end, deadline: str | None = None) -> EmailMessage:
    """The mail that carries one collection workbook (Chinese subject and body)."""
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = ", ".join(f.emails)
    who = office_name or "学生工作部"
    msg["Subject"] = f"【请填写】{term} 导师工作记录收集表（{f.label}）"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="mentor-xl.local")
    body = [
        f"{f.label}：",
        "",
        f"您好！附件是 {term}（{term_start.date()} 至 {term_end.date()}）的导师工作记录收集表，"
        "请在“活动记录”表中逐行填写本学期开展的导师工作。",
        "填好后请直接回复本邮件并附上表格，文件名可以修改。如需更正，请修改后再次发送整份表格，以最后一份为准。",
    ]
    if deadline:
        body.append(f"请于 {deadline} 前回复。")
    body += ["", "填写说明见表格中的“说明”工作表。", "", who]
    msg.set_content("\n".join(body), charset="utf-8")
    msg.add_attachment(f.file.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename=f.file.name)
    return msg


# the command ------------------------------------------------------------------------------------
def collect(book: str | Path | OfficeBook, term: str, by: str, out_dir: str | Path, *,
            policy: str | None = None, eml: bool = False, send: bool = False,
            smtp_config=None, deadline: str | None = None,
            now: datetime | None = None) -> CollectResult:
    """Write one collection workbook per recipient into ``out_dir``.

    ``book`` is the office workbook (path, or an OfficeBook already read). ``by`` is
    "学院" or "工号". ``eml`` also writes ``out_dir/邮件/<name>.eml`` per recipient with an
    email address; ``send`` sends them over SMTP (``smtp_config`` an ``smtp.SmtpConfig``,
    else read from the workbook's 设置 and the environment). Raises FatalInputError
    (Chinese) when the term or the staff list cannot be used.
    """
    if isinstance(book, OfficeBook) and book.path is None:
        raise FatalInputError("无法确定办公室工作簿所在的文件夹，收集密钥无处保存")
    office = open_office(book.path, policy, book=book) if isinstance(book, OfficeBook) \
        else open_office(Path(book), policy)
    ob, pack = office.book, office.pack
    problems = Problems()
    require_terms(ob, term)
    t = find_term(ob.frame("学期"), term)
    start, end = timestamp(t.start), timestamp(t.end)
    window_start = start - pd.Timedelta(days=int(pack.setting("deadline_window_days")))
    recips = recipients(ob, start, end, by, problems)

    config = None
    if eml or send:
        from mentor_xl.mail import smtp as smtp_mod
        config = smtp_config or smtp_mod.config_from(ob.settings, need_password=send)
        if send and config is None:  # before anything is written
            raise FatalInputError("没有 SMTP 设置：请在设置表填写 SMTP服务器（或设置环境变量 MENTOR_XL_SMTP_HOST）")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    office_name = (ob.settings.get("单位名称") or "").strip()
    now = now or datetime.now(timezone.utc)
    book_path = ob.path if isinstance(book, OfficeBook) else Path(book)
    key = trust.office_key(book_path, create=True)  # beside the office workbook, never in a return
    files: list[CollectedFile] = []
    used: set[str] = set()
    for r in recips:
        stamp = trust.sign(Stamp.new(r.key, by, t.code, pack.id,
                                     content_hash(t.code, start, end, list(pack.types), r), now), key)
        stem = unicodedata.normalize("NFC", _file_stem(t.code, r))
        while name_key(stem) in used:  # Windows and macOS: names equal but for case/normalisation
            stem += "_"
        used.add(name_key(stem))
        path = out / f"{stem}.xlsx"
        from mentor_xl.safe import atomic_write
        atomic_write(path, lambda tmp, r=r, stamp=stamp: write_collection_workbook(
            tmp, r, stamp, pack, start, end, window_start, office_name), backup=False)
        files.append(CollectedFile(r.key, r.label, path, stamp.collection_id, len(r.staff),
                                   len(r.pairs), r.emails))

    if eml or send:
        sender = config.sender if config else (ob.settings.get("发件人") or None)
        mail_dir = out / "邮件"
        mail_dir.mkdir(exist_ok=True)
        outgoing = []
        for f in files:
            if not f.emails:
                problems.add("人员", None, "邮箱", f.recipient,
                             f"收集对象 {f.label} 在人员表中没有邮箱，未生成邮件", "收集", "warning")
                continue
            msg = collection_message(f, sender, t.code, office_name, start, end, deadline)
            f.eml = mail_dir / f"{f.file.stem}.eml"
            f.eml.write_bytes(bytes(msg))
            outgoing.append((f, msg))
        if send:
            results = smtp_mod.send_messages([m for _, m in outgoing], config)
            for (f, _), res in zip(outgoing, results):
                f.sent, f.send_error = res.ok, res.error

    trust.register_collections(book_path, [
        {"collection_id": f.collection_id, "recipient": f.recipient, "by": by, "term": t.code,
         "policy": pack.id, "created": now.isoformat(), "file": f.file.name, "emails": f.emails}
        for f in files])
    manifest = out / MANIFEST_NAME
    manifest.write_text(json.dumps({
        "term": t.code, "by": by, "policy": pack.id, "created": now.isoformat(),
        "recipients": [{"recipient": f.recipient, "label": f.label, "file": f.file.name,
                        "collection_id": f.collection_id, "emails": f.emails} for f in files],
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    return CollectResult(t.code, by, pack.id, out, files, manifest, problems)
