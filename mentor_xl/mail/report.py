"""The ingest report: a Chinese summary, a workbook, and reply mails to senders.

The workbook (``write_report``) has
  汇总    the summary lines,
  文件    one row per workbook found: where, sender, recipient, status, rows, reason,
  退回行  one row per rejected row: file, sender, sheet, row, column, value, reason,
  提示    warnings (rows accepted but worth a look) and mail without a workbook,
  未交    recipients of the collection with no return yet (when a manifest was given).
``reply_messages`` builds one reply per recipient that has something to fix. Replies go to
the recipient's own addresses (where the collection was sent, else 人员), never to the
mail's ``From`` (anyone can write any From); their subject is fixed and their body holds no
text from the returned mail or workbook beyond cell references (row, column), and no local
paths: a forged return cannot make the office send its text to anyone.
"""
from __future__ import annotations

from collections import defaultdict
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
import re
from pathlib import Path

import pandas as pd

from mentor_xl.mail.decide import basis_text
from mentor_xl.mail.trust import ROUTINE_CHECKS
from mentor_xl.safe import atomic_write
from mentor_xl.workbook import xlsx as X
from mentor_xl.workbook.schema import BY_NAME

_LOG_COLUMNS = frozenset(BY_NAME["活动记录"].names)
_OWN_WORDS = _LOG_COLUMNS | {"活动记录", "人员", "指导关系", "说明", "设置"}

STATUS_ZH = {"accepted": "已合并", "refused": "拒收", "duplicate": "重复", "superseded": "已被取代",
             "held": "待确认"}
REPLY_SUBJECT = "导师工作记录收集表处理结果（请修改后重新发送）"
# Row problems in a reply: our own words per column, never the cell's value or the file's text.
_COLUMN_HINTS = {
    "日期": "日期无法识别或不在本学期的填报范围内，请填写正确的日期",
    "工号": "请从下拉列表中选择本单位人员的工号",
    "活动类型": "请从下拉列表中选择活动类型",
    "学号": "学号无法识别，请核对",
    "时长": "请填写数字（小时）",
    "人次": "请填写数字",
}
_DEFAULT_HINT = "该单元格的内容无法接收，请按“说明”工作表的要求填写"


def _who(o) -> str:
    return o.recipient or "未识别"


def summary_zh(result) -> str:
    files = result.files
    count = defaultdict(int)
    for o in files:
        count[o.status] += 1
    lines = [f"共找到 {len(files)} 份工作簿：已合并 {count['accepted']} 份，已被取代 {count['superseded']} 份，"
             f"重复 {count['duplicate']} 份，拒收 {count['refused']} 份"
             + (f"，待确认 {count['held']} 份" if count["held"] else "") + "。",
             f"活动记录新增 {result.rows_merged} 行" + (f"，因更正删除 {result.rows_removed} 行" if result.rows_removed else "") + "。"]
    if result.book:
        lines.append(f"已写入：{result.book}")
        if result.report:
            lines.append(f"收件报告：{result.report}")
    elif getattr(result, "dry_run", False):
        lines.append("未写入办公室工作簿（试运行）。")
    else:
        lines.append("没有可合并的回复，办公室工作簿未改动。")
    for o in files:
        if o.status == "accepted":
            extra = []
            if o.rows_rejected:
                extra.append(f"退回 {o.rows_rejected} 行")
            if o.rows_removed:
                extra.append(f"替换了之前的回复：删除 {o.rows_removed} 行")
            if o.rows_unchanged:
                extra.append(f"{o.rows_unchanged} 行与之前相同")
            extra += [c for c in o.checks if c not in ROUTINE_CHECKS]  # capped dates, confirmations
            lines.append(f"  ✔ {o.file}（{_who(o)}，{o.sender or '本地文件'}）：有效 {o.rows_accepted} 行，"
                         f"新增 {o.rows_added} 行" + ("；" + "；".join(extra) if extra else ""))
        else:
            mark = {"refused": "✘", "duplicate": "＝", "superseded": "↺", "held": "⏸"}.get(o.status, "?")
            lines.append(f"  {mark} {o.file}（{_who(o)}）：{STATUS_ZH.get(o.status, o.status)}——{o.reason}")
    rejected = [p for o in files if o.status == "accepted" for p in o.rejected]
    if rejected:
        lines.append(f"退回的行（{len(rejected)} 处问题）：")
        lines += [f"  {p.message}" for p in rejected[:50]]
        if len(rejected) > 50:
            lines.append(f"  ……其余 {len(rejected) - 50} 处见报告工作簿的“退回行”表")
    held = [o for o in files if o.status == "held" and o.confirm_code]
    if held:
        lines.append("待确认的文件未合并。核对无误后，用 --confirm 加确认码重新运行即可合并："
                     + "、".join(o.confirm_code for o in held))
    if result.missing:
        lines.append(f"尚未交回（{len(result.missing)}）：" + "、".join(result.missing))
    for n in result.notes:
        lines.append(f"  提示：{n}")
    return "\n".join(lines)


SUMMARY_WIDTH = 110  # 汇总's one column of lines


def write_report(result, path: Path) -> Path:
    """The report workbook (see the module doc), written atomically."""
    files = pd.DataFrame([{
        "文件": o.file, "发件人": o.sender, "邮件日期": _local_time(o.date), "时间依据": basis_text(o),
        "收集对象": o.recipient,
        "学期": o.term, "状态": STATUS_ZH.get(o.status, o.status), "有效行数": o.rows_accepted,
        "退回行数": o.rows_rejected, "新增行数": o.rows_added, "删除行数": o.rows_removed,
        "原因": o.reason, "核验": "；".join(o.checks) or None,
        "确认码": o.confirm_code if o.status == "held" else None} for o in result.files],
        columns=["文件", "发件人", "邮件日期", "时间依据", "收集对象", "学期", "状态", "有效行数", "退回行数",
                 "新增行数", "删除行数", "原因", "核验", "确认码"])
    rejected = pd.DataFrame([{
        "文件": o.file, "发件人": o.sender, "收集对象": o.recipient, "工作表": p.sheet, "行": p.row,
        "列": p.column, "值": p.value, "原因": p.message}
        for o in result.files if o.status == "accepted" for p in o.rejected],
        columns=["文件", "发件人", "收集对象", "工作表", "行", "列", "值", "原因"])
    hints = pd.DataFrame(
        [{"文件": o.file, "行": p.row, "列": p.column, "值": p.value, "说明": p.message}
         for o in result.files if o.status == "accepted" for p in o.warnings]
        + [{"文件": None, "行": None, "列": None, "值": None, "说明": n} for n in result.notes],
        columns=["文件", "行", "列", "值", "说明"])
    missing = pd.DataFrame({"收集对象": result.missing})

    def build(tmp: Path) -> None:
        wb = X.new_workbook(tmp)
        st = X.styles(wb)
        ws = wb.add_worksheet("汇总")
        ws.set_column(0, 0, SUMMARY_WIDTH)
        ws.write_string(0, 0, "收件汇总报告", st.title)
        for i, line in enumerate(summary_zh(result).splitlines(), start=2):
            X.write_wrapped(ws, i, line, st, SUMMARY_WIDTH)  # printed whole, not cut at the page's edge
        X.page_setup(ws, X.Page("收件汇总报告", repeat=0, grid=False))
        # the office prints these to chase the late and the rejected: one page wide, long texts wrapped
        tables = {
            "文件": X.write_frame_sheet(wb, "文件", files, status_col="状态", bad_values=["拒收", "待确认"],
                                      int_cols=["有效行数", "退回行数", "新增行数", "删除行数"],
                                      wrap_cols=["文件", "时间依据", "原因", "核验"],
                                      widths={"原因": 40, "文件": 30, "核验": 30, "时间依据": 24}),
            "退回行": X.write_frame_sheet(wb, "退回行", rejected, int_cols=["行"], wrap_cols=["文件", "原因"],
                                       widths={"原因": 60, "文件": 30}),
            "提示": X.write_frame_sheet(wb, "提示", hints, int_cols=["行"], wrap_cols=["文件", "说明"],
                                      widths={"说明": 60, "文件": 30}),
        }
        if result.missing:
            tables["未交"] = X.write_frame_sheet(wb, "未交", missing)
        for title, sheet in tables.items():
            X.page_setup(sheet, X.Page(f"收件报告：{title}"))
        wb.close()

    return atomic_write(path, build, backup=False)


def _local_time(d) -> str | None:
    if d is None:
        return None
    ts = pd.Timestamp(d)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai")
    return ts.strftime("%Y-%m-%d %H:%M")


_MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>")


def reply_messages(result, sender: str | None = None) -> list[EmailMessage]:
    """One reply per recipient with refused files or rejected rows, listing what to fix.

    Only returns whose stamp was verified have a recipient to answer (``o.reply_to``, set by
    trust.py); a file that could not be verified gets no reply, whatever its From says.
    """
    by_recipient: dict[str, list] = defaultdict(list)
    for o in result.files:
        if o.reply_to and (o.status == "refused" or (o.status == "accepted" and o.rejected)):
            by_recipient[o.recipient_key or o.recipient].append(o)
    out: list[EmailMessage] = []
    for items in by_recipient.values():
        msg = EmailMessage()
        if sender:
            msg["From"] = sender
        msg["To"] = ", ".join(items[0].reply_to)
        msg["Subject"] = REPLY_SUBJECT
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="mentor-xl.local")
        mid = items[0].message_id
        if mid and _MESSAGE_ID.fullmatch(mid.strip()):
            msg["In-Reply-To"] = msg["References"] = mid.strip()
        body = ["您好！", "", f"{_who(items[0])}交回的 {items[0].term or ''} 导师工作记录收集表已收到，处理结果如下："]
        for o in items:
            body.append("")
            when = _local_time(o.date) or "时间不明"
            if o.status == "refused":
                body.append(f"● {when} 收到的表格：未能收取。原因：{_public_reason(o)}")
                continue
            body.append(f"● {when} 收到的表格：已收取 {o.rows_accepted} 行；以下 {o.rows_rejected} 行需要修改：")
            body += [f"  - {_cell_ref(p)}：{_COLUMN_HINTS.get(p.column, _DEFAULT_HINT)}" for p in o.rejected]
        body += ["", "请在原表格中修改上述内容后，把整份表格再次发送给我们（以最后收到的一份为准，"
                 "已收取的行不会重复计算）。", "", "谢谢！"]
        msg.set_content("\n".join(body), charset="utf-8")
        out.append(msg)
    return out


def _cell_ref(p) -> str:
    column = p.column if p.column in _LOG_COLUMNS else None
    where = f"第 {p.row} 行" if p.row else "表格"
    return f"{where} {column}" if column else where


def _public_reason(o) -> str:
    """A refusal reason fit for the recipient: no local paths, file names or quoted file text."""
    text = o.reason or ""
    for own in (f"文件 {o.file}", o.file, o.name):
        if own:
            text = text.replace(own, "您发来的表格")
    # Quoted values may come from the file (sheet names, headers): keep only our own words.
    return re.sub(r"“([^”]*)”", lambda m: m.group(0) if m.group(1) in _OWN_WORDS else "“…”", text)


def write_replies(result, out_dir: Path, sender: str | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, m in enumerate(reply_messages(result, sender), start=1):
        to = str(m["To"]).split("@", 1)[0]
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in to)[:40]
        p = out_dir / f"回复-{i:03d}-{safe}.eml"
        p.write_bytes(bytes(m))
        paths.append(p)
    return paths
