"""The ingest report: a Chinese summary, a workbook, and reply mails to senders.

The workbook (``write_report``) has
  汇总    the summary lines,
  文件    one row per workbook found: where, sender, recipient, status, rows, reason,
  退回行  one row per rejected row: file, sender, sheet, row, column, value, reason,
  提示    warnings (rows accepted but worth a look) and mail without a workbook,
  未交    recipients of the collection with no return yet (when a manifest was given).
``reply_messages`` builds one reply per sender that has something to fix.
"""
from __future__ import annotations

from collections import defaultdict
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

from mentor_xl.safe import atomic_write
from mentor_xl.workbook import xlsx as X

STATUS_ZH = {"accepted": "已合并", "refused": "拒收", "duplicate": "重复", "superseded": "已被取代"}


def _who(o) -> str:
    return o.recipient or "未识别"


def summary_zh(result) -> str:
    files = result.files
    count = defaultdict(int)
    for o in files:
        count[o.status] += 1
    lines = [f"共找到 {len(files)} 份工作簿：已合并 {count['accepted']} 份，已被取代 {count['superseded']} 份，"
             f"重复 {count['duplicate']} 份，拒收 {count['refused']} 份。",
             f"活动记录新增 {result.rows_merged} 行" + (f"，因更正删除 {result.rows_removed} 行" if result.rows_removed else "") + "。"]
    if result.book:
        lines.append(f"已写入：{result.book}")
        if result.report:
            lines.append(f"收件报告：{result.report}")
    else:
        lines.append("未写入办公室工作簿（试运行）。")
    for o in files:
        if o.status == "accepted":
            extra = []
            if o.rows_rejected:
                extra.append(f"退回 {o.rows_rejected} 行")
            if o.rows_removed:
                extra.append(f"替换了之前的回复：删除 {o.rows_removed} 行")
            if o.rows_unchanged:
                extra.append(f"{o.rows_unchanged} 行与之前相同")
            lines.append(f"  ✔ {o.file}（{_who(o)}，{o.sender or '本地文件'}）：有效 {o.rows_accepted} 行，"
                         f"新增 {o.rows_added} 行" + ("；" + "；".join(extra) if extra else ""))
        else:
            mark = {"refused": "✘", "duplicate": "＝", "superseded": "↺"}.get(o.status, "?")
            lines.append(f"  {mark} {o.file}（{_who(o)}）：{STATUS_ZH.get(o.status, o.status)}——{o.reason}")
    rejected = [p for o in files if o.status == "accepted" for p in o.rejected]
    if rejected:
        lines.append(f"退回的行（{len(rejected)} 处问题）：")
        lines += [f"  {p.message}" for p in rejected[:50]]
        if len(rejected) > 50:
            lines.append(f"  ……其余 {len(rejected) - 50} 处见报告工作簿的“退回行”表")
    if result.missing:
        lines.append(f"尚未交回（{len(result.missing)}）：" + "、".join(result.missing))
    for n in result.notes:
        lines.append(f"  提示：{n}")
    return "\n".join(lines)


def write_report(result, path: Path) -> Path:
    """The report workbook (see the module doc), written atomically."""
    files = pd.DataFrame([{
        "文件": o.file, "发件人": o.sender, "邮件日期": _local_time(o.date), "收集对象": o.recipient,
        "学期": o.term, "状态": STATUS_ZH.get(o.status, o.status), "有效行数": o.rows_accepted,
        "退回行数": o.rows_rejected, "新增行数": o.rows_added, "删除行数": o.rows_removed,
        "原因": o.reason} for o in result.files],
        columns=["文件", "发件人", "邮件日期", "收集对象", "学期", "状态", "有效行数", "退回行数",
                 "新增行数", "删除行数", "原因"])
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
        ws.set_column(0, 0, 110)
        ws.write_string(0, 0, "收件汇总报告", st.title)
        for i, line in enumerate(summary_zh(result).splitlines(), start=2):
            X.write_text(ws, i, 0, line, st)
        X.write_frame_sheet(wb, "文件", files, status_col="状态", bad_values=["拒收"],
                            int_cols=["有效行数", "退回行数", "新增行数", "删除行数"],
                            widths={"原因": 60, "文件": 40})
        X.write_frame_sheet(wb, "退回行", rejected, int_cols=["行"], widths={"原因": 80, "文件": 40})
        X.write_frame_sheet(wb, "提示", hints, int_cols=["行"], widths={"说明": 80, "文件": 40})
        if result.missing:
            X.write_frame_sheet(wb, "未交", missing)
        wb.close()

    return atomic_write(path, build, backup=False)


def _local_time(d) -> str | None:
    if d is None:
        return None
    ts = pd.Timestamp(d)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai")
    return ts.strftime("%Y-%m-%d %H:%M")


def reply_messages(result, sender: str | None = None) -> list[EmailMessage]:
    """One reply per sender address with refused files or rejected rows, listing what to fix."""
    by_addr: dict[str, list] = defaultdict(list)
    for o in result.files:
        if o.sender_addr and (o.status == "refused" or (o.status == "accepted" and o.rejected)):
            by_addr[o.sender_addr].append(o)
    out: list[EmailMessage] = []
    for addr, items in by_addr.items():
        msg = EmailMessage()
        if sender:
            msg["From"] = sender
        msg["To"] = addr
        subj = items[0].subject or "导师工作记录收集表"
        msg["Subject"] = f"回复：{subj}（请修改后重新发送）"
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="mentor-xl.local")
        if items[0].message_id:
            msg["In-Reply-To"] = items[0].message_id
            msg["References"] = items[0].message_id
        body = ["您好！", "", "您发来的收集表已收到，处理结果如下："]
        for o in items:
            body.append("")
            if o.status == "refused":
                body.append(f"● {o.name}：未能收取。原因：{o.reason}")
                continue
            state = "已收取" if o.status == "accepted" else STATUS_ZH.get(o.status, o.status)
            body.append(f"● {o.name}（{_who(o)}）：{state} {o.rows_accepted} 行；以下 {o.rows_rejected} 行需要修改：")
            body += [f"  - 第 {p.row} 行 {p.column}：{_tail(p.message)}" for p in o.rejected]
        body += ["", "请在原表格中修改上述内容后，把整份表格再次发送给我们（以最后收到的一份为准，"
                 "已收取的行不会重复计算）。", "", "谢谢！"]
        msg.set_content("\n".join(body), charset="utf-8")
        out.append(msg)
    return out


def _tail(message: str) -> str:
    # Messages start with "文件 X：" for the office's report; the sender knows their file.
    return message.split("：", 1)[1] if message.startswith("文件 ") and "：" in message else message


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
