"""``ingest``: returned workbooks merged into the office workbook (mentor_xl.mail.ingest).

The corpus is made here: collect → fill as a recipient would (``simulate.fill_return``) →
mail (.eml, duplicates, a later correction), a return re-saved by LibreOffice under
another name. Every count below is hand-computed from the rows in ``CS_V1``, ``CS_V2``
and ``MATH``: nothing valid lost, nothing merged twice.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import os
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from test_collect import TERM, office_book
from mentor_xl.mail import collect, ingest
from mentor_xl.mail.ingest import LEDGER_SHEET
from mentor_xl.mail.simulate import fill_return
from mentor_xl.mail.trust import KEY_FILE, REGISTER_FILE
from mentor_xl.workbook.reader import read_book

D = dt.date
INJECTION = '=HYPERLINK("http://evil.example/","点我")'
A = {"日期": D(2024, 9, 20), "工号": "T001", "活动类型": "导学互动交流", "学号": ["S01", "S02"], "时长": 1,
     "内容": INJECTION}
B = {"日期": D(2024, 10, 8), "工号": "T002", "活动类型": "午餐会", "学号": "S03", "时长": 1.5}
C = {"日期": D(2024, 10, 15), "工号": "T001", "活动类型": "参观实验室", "学号": "S01"}
BAD_STAFF = {"日期": D(2024, 10, 9), "工号": "T003", "活动类型": "午餐会", "学号": "S04"}
BAD_TYPE = {"日期": D(2024, 10, 9), "工号": "T001", "活动类型": "打球"}
BAD_DATE = {"日期": D(2025, 3, 1), "工号": "T001", "活动类型": "午餐会"}
G = {"日期": D(2024, 11, 1), "工号": "T002", "活动类型": "升旗仪式", "学号": "S03"}
CS_V1 = [A, B, C, BAD_STAFF, BAD_TYPE, BAD_DATE]  # 3 valid (rows 2-4), 3 rejected (rows 5-7)
CS_V2 = [A, B, G]  # the correction: C dropped, G added
MATH = [{"日期": D(2024, 9, 25), "工号": "T003", "活动类型": "下午茶", "学号": "S04、S05"},
        {"日期": D(2024, 10, 20), "工号": "T003", "活动类型": "集体聚餐", "人次": 12}]


def mail(path: Path, sender: str, date: str, attachments: list[tuple[str, bytes]],
         subject: str = "回复：导师工作记录收集表") -> Path:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Date"] = sender, "office@example.edu.cn", subject, date
    m["Message-ID"] = f"<{hashlib.md5((sender + date).encode()).hexdigest()}@example.edu.cn>"
    m.set_content("填好了，请查收。")
    for name, data in attachments:
        m.add_attachment(data, maintype="application",
                         subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(m))
    return path


def key(r: dict) -> tuple:
    ids = r.get("学号")
    ids = ids if isinstance(ids, list) else [] if ids is None else [x for x in str(ids).replace("、", " ").split()]
    return (pd.Timestamp(r["日期"]).date(), r["工号"], tuple(sorted(ids)))


def merged_rows(path: Path) -> list[tuple]:
    """The rows of the written office log that came from returns, as (date, 工号, students)."""
    log = read_book(path, sheets=["活动记录"]).frame("活动记录")
    got = log[log["来源"].notna()]
    return sorted((d.date(), s, tuple(sorted(ids))) for d, s, ids in zip(got["日期"], got["工号"], got["学号"]))


@pytest.fixture
def corpus(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "sent")
    files = {f.recipient: f.file for f in res.files}
    ret = tmp_path / "returns"
    cs1 = fill_return(files["计算机学院"], CS_V1, ret / "计算机学院.xlsx").read_bytes()
    cs2 = fill_return(files["计算机学院"], CS_V2, ret / "计算机学院-更正.xlsx").read_bytes()
    math_ = fill_return(files["数学学院"], MATH, ret / "数学.xlsx")
    return {"book": book, "tmp": tmp_path, "cs1": cs1, "cs2": cs2, "math": math_,
            "manifest": res.manifest}


def test_round_trip_merges_every_valid_row_once(corpus):
    tmp = corpus["tmp"]
    inbox = tmp / "inbox"
    mail(inbox / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院收集表.xlsx", corpus["cs1"])])
    mail(inbox / "a-copy.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院收集表.xlsx", corpus["cs1"])])  # the same mail saved twice
    mail(inbox / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("更正版.xlsx", corpus["cs2"])], subject="回复：更正")
    renamed = inbox / "王老师的表(1).xlsx"
    renamed.write_bytes(corpus["math"].read_bytes())

    res = ingest(corpus["book"], [inbox], report=tmp / "报告.xlsx", reply_dir=tmp / "replies",
                 manifest=corpus["manifest"])
    by_file = {f.file: f for f in res.files}
    assert {k: v.status for k, v in by_file.items()} == {
        "inbox/a-copy.eml → 计算机学院收集表.xlsx": "superseded",
        "inbox/a.eml → 计算机学院收集表.xlsx": "duplicate",
        "inbox/b.eml → 更正版.xlsx": "accepted",
        "inbox/王老师的表(1).xlsx": "accepted"}
    v1 = by_file["inbox/a-copy.eml → 计算机学院收集表.xlsx"]
    assert (v1.rows_accepted, v1.rows_rejected) == (3, 3) and "更正版.xlsx" in v1.reason
    v2 = by_file["inbox/b.eml → 更正版.xlsx"]
    assert (v2.rows_accepted, v2.rows_rejected, v2.rows_added, v2.rows_removed) == (3, 0, 3, 0)
    assert v2.sender == "张一 <zhang@example.edu.cn>" and v2.recipient == "计算机学院"
    assert res.rows_merged == 5 and res.rows_removed == 0
    assert res.book == corpus["book"].with_name("office-已合并.xlsx")
    assert merged_rows(res.book) == sorted(map(key, CS_V2 + MATH))
    # the office's own row is untouched, the source is never overwritten
    log = read_book(res.book, sheets=["活动记录"]).frame("活动记录")
    assert log.loc[log["来源"].isna(), "内容"].tolist() == ["办公室录入"]
    assert len(read_book(corpus["book"], sheets=["活动记录"]).frame("活动记录")) == 1
    assert res.missing == []

    js = res.to_json()
    assert set(js) >= {"book", "files", "rows_merged", "problems"}
    assert set(js["files"][0]) >= {"file", "sender", "recipient", "status", "rows_accepted", "rows_rejected", "reason"}
    text = res.summary_zh()
    assert "已合并 2 份" in text and "新增 5 行" in text and "已被取代" in text


def test_rejected_rows_are_named_and_replied(corpus):
    tmp = corpus["tmp"]
    mail(tmp / "in" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院收集表.xlsx", corpus["cs1"])])
    res = ingest(corpus["book"], [tmp / "in"], report=tmp / "报告.xlsx", reply_dir=tmp / "replies")
    [f] = res.files
    assert f.status == "accepted" and (f.rows_accepted, f.rows_rejected, f.rows_added) == (3, 3, 3)
    got = [(p.sheet, p.row, p.column, p.value) for p in f.rejected]
    assert got == [("活动记录", 5, "工号", "T003"), ("活动记录", 6, "活动类型", "打球"),
                   ("活动记录", 7, "日期", "2025-03-01")]
    assert all(p.message.startswith("文件 in/a.eml → 计算机学院收集表.xlsx：") for p in f.rejected)
    assert "2024-07-04 至 2025-01-12" in f.rejected[2].message  # term window incl. 60 days before
    assert merged_rows(res.book) == sorted(map(key, [A, B, C]))

    wb = openpyxl.load_workbook(tmp / "报告.xlsx")
    assert wb.sheetnames[:4] == ["汇总", "文件", "退回行", "提示"]
    rows = list(wb["退回行"].iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[5], r[6]) for r in rows] == [(5, "工号", "T003"), (6, "活动类型", "打球"), (7, "日期", "2025-03-01")]
    # printed to chase the senders: every sheet landscape, one page wide, its title above; long texts
    # wrapped (a rejected row's 原因 is a sentence) and 汇总's long lines in rows as tall as they print
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "收件" in ws.oddHeader.center.text, ws.title
    assert wb["退回行"]["H2"].alignment.wrap_text and wb["退回行"].row_dimensions[2].height > 15
    summary = wb["汇总"]
    from mentor_xl.workbook.xlsx import text_width
    widths = {c.row: text_width(c.value) for (c,) in summary.iter_rows(min_row=2, max_col=1) if c.value}
    assert any(w > 120 for w in widths.values())  # wider than the column's 110: more than one line
    assert all(bool(summary.row_dimensions[r].height) == (w > 100) for r, w in widths.items() if not 90 < w <= 120)
    [reply] = list((tmp / "replies").iterdir())
    m = email.message_from_bytes(reply.read_bytes(), policy=email.policy.default)
    assert m["To"] == "zhang@example.edu.cn" and m["In-Reply-To"]
    body = m.get_body().get_content()
    assert "第 5 行 工号" in body and "第 6 行 活动类型" in body and "第 7 行 日期" in body


@pytest.mark.parametrize("engine", ["stream", "openpyxl"])
def test_second_ingest_adds_nothing_and_correction_supersedes(corpus, engine):
    tmp = corpus["tmp"]
    mail(tmp / "in1" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院收集表.xlsx", corpus["cs1"])])
    (tmp / "in1" / "数学.xlsx").write_bytes(corpus["math"].read_bytes())
    r1 = ingest(corpus["book"], [tmp / "in1"], out=tmp / "step1.xlsx", engine=engine)
    assert r1.rows_merged == 5
    first = merged_rows(tmp / "step1.xlsx")
    assert first == sorted(map(key, [A, B, C] + MATH))

    # the same mail again: nothing added, the log unchanged
    r2 = ingest(tmp / "step1.xlsx", [tmp / "in1"], out=tmp / "step2.xlsx", engine=engine)
    assert [f.status for f in r2.files] == ["duplicate", "duplicate"] and r2.rows_merged == 0
    assert merged_rows(tmp / "step2.xlsx") == first

    # the correction arrives later: C goes, G comes, A and B stay where they are
    mail(tmp / "in2" / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("更正版.xlsx", corpus["cs2"])])
    r3 = ingest(tmp / "step2.xlsx", [tmp / "in1", tmp / "in2"], out=tmp / "step3.xlsx", engine=engine)
    acc = [f for f in r3.files if f.status == "accepted"]
    assert [(f.name, f.rows_added, f.rows_removed, f.rows_unchanged) for f in acc] == [("更正版.xlsx", 1, 1, 2)]
    assert r3.rows_merged == 1 and r3.rows_removed == 1
    assert merged_rows(tmp / "step3.xlsx") == sorted(map(key, CS_V2 + MATH))
    assert "删除 1 行" in r3.summary_zh()

    # an older return arriving after the correction does not undo it
    mail(tmp / "in3" / "old.eml", "张一 <zhang@example.edu.cn>", "Mon, 04 Nov 2024 08:00:00 +0800",
         [("旧版.xlsx", fill_return(tmp / "sent" / "2024-2025-1-计算机学院-导师工作记录收集表.xlsx",
                                   [A], tmp / "old.xlsx").read_bytes())])
    r4 = ingest(tmp / "step3.xlsx", [tmp / "in3"], out=tmp / "step4.xlsx", engine=engine)
    [f] = r4.files
    assert f.status == "superseded" and "早于已合并" in f.reason and r4.rows_merged == 0
    assert merged_rows(tmp / "step4.xlsx") == sorted(map(key, CS_V2 + MATH))
    ledger = list(openpyxl.load_workbook(tmp / "step4.xlsx")[LEDGER_SHEET].iter_rows(min_row=2, values_only=True))
    assert [r[8] for r in ledger] == ["已合并", "已合并", "重复", "重复", "重复", "重复", "已合并", "已被取代"]


def test_formula_text_stays_text(corpus):
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "r.xlsx").write_bytes(corpus["cs1"])
    res = ingest(corpus["book"], [tmp / "in"])
    ws = openpyxl.load_workbook(res.book)["活动记录"]
    header = [c.value for c in ws[1]]
    cells = [ws.cell(r, header.index("内容") + 1) for r in range(2, ws.max_row + 1)]
    [cell] = [c for c in cells if c.value == INJECTION]
    assert cell.data_type == "s" and cell.quotePrefix
    # and a reader sees the text, not a formula result
    log = read_book(res.book, sheets=["活动记录"]).frame("活动记录")
    assert INJECTION in log["内容"].tolist()


def test_everything_else_of_the_office_file_is_kept(corpus):
    """Parts openpyxl would drop (pictures, add-in web extensions) survive a merge."""
    tmp = corpus["tmp"]
    src = corpus["book"].read_bytes()
    extra = {"xl/webextensions/webextension1.xml": b'<we:webextension xmlns:we="x"/>',
             "customXml/item1.xml": b"<office-note>keep me</office-note>"}
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        for name, data in extra.items():
            zout.writestr(name, data)
    corpus["book"].write_bytes(buf.getvalue())
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(corpus["book"], [tmp / "in"])
    with zipfile.ZipFile(res.book) as z, zipfile.ZipFile(corpus["book"]) as orig:
        for name, data in extra.items():
            assert z.read(name) == data
        changed = {n for n in orig.namelist() if z.read(n) != orig.read(n)}
    assert changed <= {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/worksheets/sheet6.xml"}
    assert merged_rows(res.book) == sorted(map(key, MATH))


@pytest.mark.parametrize("engine", ["stream", "openpyxl"])
def test_rows_go_right_after_the_data_not_after_formatted_blanks(corpus, engine):
    """Offices pre-format empty rows (borders down to row 50): new rows fill them from row 3."""
    from openpyxl.styles import Border, Side
    wb = openpyxl.load_workbook(corpus["book"])
    thin = Side(style="thin")
    for row in wb["活动记录"].iter_rows(min_row=3, max_row=50, max_col=10):
        for c in row:
            c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    wb.save(corpus["book"])
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(corpus["book"], [tmp / "in"], engine=engine)
    log = read_book(res.book, sheets=["活动记录"]).frame("活动记录")
    assert log["_row"].tolist() == [2, 3, 4] and log["来源"].notna().tolist() == [False, True, True]


def test_unusual_layout_uses_openpyxl(corpus):
    """Rows without their optional row numbers: the stream editor declines, openpyxl writes."""
    import io
    import re
    import zipfile
    from mentor_xl.mail.xlsxpatch import Unsupported
    tmp = corpus["tmp"]
    buf = io.BytesIO()
    with zipfile.ZipFile(corpus["book"]) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet6.xml":
                data = re.sub(rb'(<row[^>]*?) r="\d+"', rb"\1", data)
            zout.writestr(info, data)
    corpus["book"].write_bytes(buf.getvalue())
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    with pytest.raises(Unsupported):
        ingest(corpus["book"], [tmp / "in"], engine="stream")
    res = ingest(corpus["book"], [tmp / "in"])
    assert res.rows_merged == 2 and merged_rows(res.book) == sorted(map(key, MATH))


@pytest.mark.libreoffice
def test_written_workbook_opens_in_libreoffice(corpus):
    from mentor_xl.libreoffice import convert
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "r.xlsx").write_bytes(corpus["cs1"])
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(corpus["book"], [tmp / "in"], engine="stream")
    [again] = convert([res.book], "xlsx", tmp / "lo")
    assert merged_rows(again) == sorted(map(key, [A, B, C] + MATH))
    log = read_book(again, sheets=["活动记录"]).frame("活动记录")
    assert INJECTION in log["内容"].tolist()


def test_in_place_keeps_a_backup(corpus):
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    before = corpus["book"].read_bytes()
    res = ingest(corpus["book"], [tmp / "in"], in_place=True)
    assert res.book == corpus["book"] and res.rows_merged == 2
    assert (tmp / "office.bak.xlsx").read_bytes() == before
    assert merged_rows(corpus["book"]) == sorted(map(key, MATH))


def test_manifest_lists_who_has_not_returned(corpus):
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(corpus["book"], [tmp / "in"], manifest=corpus["manifest"], dry_run=True)
    assert res.missing == ["计算机学院"] and res.book is None
    assert "尚未交回（1）：计算机学院" in res.summary_zh()


@pytest.mark.libreoffice
def test_returns_resaved_by_libreoffice(corpus):
    from mentor_xl.libreoffice import convert
    tmp = corpus["tmp"]
    src = tmp / "returns" / "计算机学院.xlsx"
    [xls] = convert([src], "xls", tmp / "lo-xls")
    [xlsx] = convert([corpus["math"]], "xlsx", tmp / "lo-xlsx")
    res = ingest(corpus["book"], [xls, xlsx])
    assert [(f.status, f.rows_accepted, f.rows_rejected) for f in res.files] == [("accepted", 3, 3), ("accepted", 2, 0)]
    assert merged_rows(res.book) == sorted(map(key, [A, B, C] + MATH))


# --- the office workbook is never corrupted ------------------------------------------------------
# The writer is held just before it closes the new file's zip (its members written, its
# central directory not yet): the file is half-written there, whatever the machine's speed.
# Polling for the temporary file raced the writer and lost on a fast machine.
KILL_SCRIPT = """
import sys, time, zipfile
from pathlib import Path
from mentor_xl.mail import ingest
_close = zipfile.ZipFile.close
def close(self):
    if self.mode == "w" and str(self.filename).endswith(".tmp.xlsx"):
        Path(sys.argv[3]).write_text(str(self.filename))
        time.sleep(600)
    _close(self)
zipfile.ZipFile.close = close
ingest(sys.argv[1], [sys.argv[2]], in_place=True)
"""


def test_killed_mid_write_leaves_the_old_file(tmp_path):
    """SIGKILL while the office workbook is being written: the old file is intact."""
    n = 30_000
    big = [["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "地点", "内容"]]
    big += [[D(2024, 9, 2) + dt.timedelta(days=i % 120), "T001", "谈心谈话", "S01", None, None, 1, None, None,
             f"第{i}条"] for i in range(n)]
    book = office_book(tmp_path / "office.xlsx", log_rows=big[1:])
    res = collect(book, TERM, "学院", tmp_path / "sent")
    inbox = tmp_path / "in"
    fill_return(next(f.file for f in res.files if f.recipient == "数学学院"), MATH, inbox / "m.xlsx")
    before = hashlib.sha256(book.read_bytes()).hexdigest()

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    held = tmp_path / "held"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(book), str(inbox), str(held)], env=env)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and not held.exists():
        time.sleep(0.01)
    half = Path(held.read_text()) if held.exists() else None
    try:
        assert half is not None, "the writer never reached the new file's last step"
        assert half.parent == tmp_path and half.name.startswith(".office.")  # the office workbook's own
        assert half.stat().st_size > 0 and not zipfile.is_zipfile(half)  # really half-written
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    assert len(read_book(book, sheets=["活动记录"]).frame("活动记录")) == n + 1
    # a complete run afterwards works and keeps the previous version as the backup
    done = ingest(book, [inbox], in_place=True)
    assert done.rows_merged == 2
    assert hashlib.sha256((tmp_path / "office.bak.xlsx").read_bytes()).hexdigest() == before


def test_demo_round_trip(tmp_path):
    """The demo's round trip on the small office: 2 pairs (数学) and 3 pairs (计算机) × 5 months."""
    from mentor_xl.mail.simulate import demo_round_trip
    book = office_book(tmp_path / "office.xlsx")
    sent, merged = demo_round_trip(book, TERM, tmp_path / "demo")
    assert len(sent.files) == 2
    assert sorted((f.recipient, f.status, f.rows_accepted, f.rows_rejected) for f in merged.files) == [
        ("数学学院", "accepted", 10, 1), ("数学学院", "duplicate", 10, 1),
        ("计算机学院", "accepted", 15, 0), ("计算机学院", "superseded", 14, 0)]
    assert merged.rows_merged == 25 and merged.missing == []
    log = read_book(merged.book, sheets=["活动记录"]).frame("活动记录")
    assert log["来源"].notna().sum() == 25
    assert merged.report.is_file() and len(list((tmp_path / "demo" / "回复").iterdir())) == 1


def test_roster_changed_since_sending_is_a_warning(corpus):
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    [f] = ingest(corpus["book"], [tmp / "in"], dry_run=True).files
    assert f.warnings == []  # the roster is as it was sent
    wb = openpyxl.load_workbook(corpus["book"])
    wb["指导关系"].cell(6, 2).value = "S01"  # T003 now mentors S01 instead of S05
    wb.save(corpus["book"])
    [f] = ingest(corpus["book"], [tmp / "in"], dry_run=True).files
    assert f.status == "accepted" and f.rows_accepted == 2
    assert [p.message for p in f.warnings] == [
        "文件 in/m.xlsx：发出收集表后，数学学院的人员、指导关系或活动类型有变动；已按本工作簿现在的名单核对"]


def test_blank_form_sent_back_later_wipes_nothing(corpus):
    tmp = corpus["tmp"]
    mail(tmp / "in" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("计算机学院收集表.xlsx", corpus["cs1"])])
    blank = (tmp / "sent" / "2024-2025-1-计算机学院-导师工作记录收集表.xlsx").read_bytes()
    mail(tmp / "in" / "b.eml", "张一 <zhang@example.edu.cn>", "Wed, 06 Nov 2024 10:00:00 +0800",
         [("收集表.xlsx", blank)])
    res = ingest(corpus["book"], [tmp / "in"])
    assert [(f.name, f.status) for f in res.files] == [("计算机学院收集表.xlsx", "accepted"), ("收集表.xlsx", "refused")]
    assert "是空的" in res.files[1].reason
    assert merged_rows(res.book) == sorted(map(key, [A, B, C]))


def test_macro_enabled_office_workbook_keeps_its_macros(corpus):
    """An office .xlsm (buttons, macros) is merged into an .xlsm with its VBA project untouched."""
    import io
    import zipfile
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # stands in for vbaProject.bin
    src = corpus["book"].read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" '
                                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", vba)
    book = corpus["book"].with_suffix(".xlsm")
    book.write_bytes(buf.getvalue())
    tmp = corpus["tmp"]
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(book, [tmp / "in"])
    assert res.book.name == "office-已合并.xlsm"
    assert zipfile.ZipFile(res.book).read("xl/vbaProject.bin") == vba
    assert merged_rows(res.book) == sorted(map(key, MATH))


@pytest.mark.libreoffice
def test_office_workbook_saved_by_libreoffice(corpus):
    from mentor_xl.libreoffice import convert
    tmp = corpus["tmp"]
    [book] = convert([corpus["book"]], "xlsx", tmp / "lo-office")
    for name in (KEY_FILE, REGISTER_FILE):  # the office's key and register travel with its workbook
        (book.parent / name).write_bytes((tmp / name).read_bytes())
    (tmp / "in").mkdir()
    (tmp / "in" / "m.xlsx").write_bytes(corpus["math"].read_bytes())
    res = ingest(book, [tmp / "in"], engine="stream")
    assert merged_rows(res.book) == sorted(map(key, MATH))
    [again] = convert([res.book], "xlsx", tmp / "lo-again")
    assert merged_rows(again) == sorted(map(key, MATH))


def test_stream_editor_with_tiny_chunks(corpus, monkeypatch):
    """Rows, tags and </sheetData> cut at every possible place by the chunk boundaries."""
    from mentor_xl.mail import xlsxpatch
    tmp = corpus["tmp"]
    mail(tmp / "in1" / "a.eml", "张一 <zhang@example.edu.cn>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("v1.xlsx", corpus["cs1"])])
    mail(tmp / "in2" / "b.eml", "张一 <zhang@example.edu.cn>", "Thu, 07 Nov 2024 16:00:00 +0800",
         [("v2.xlsx", corpus["cs2"])])
    expected = {}
    for chunk in (1 << 22, 7, 61):
        monkeypatch.setattr(xlsxpatch, "CHUNK", chunk)
        ingest(corpus["book"], [tmp / "in1"], out=tmp / f"s1-{chunk}.xlsx", engine="stream")
        res = ingest(tmp / f"s1-{chunk}.xlsx", [tmp / "in2"], out=tmp / f"s2-{chunk}.xlsx", engine="stream")
        assert (res.rows_merged, res.rows_removed) == (1, 1)
        assert merged_rows(tmp / f"s2-{chunk}.xlsx") == sorted(map(key, CS_V2))
        with zipfile.ZipFile(tmp / f"s2-{chunk}.xlsx") as z:
            expected[chunk] = z.read("xl/worksheets/sheet6.xml")
    assert expected[7] == expected[61] == expected[1 << 22]  # the same bytes whatever the chunking


def test_a_file_that_breaks_the_examination_is_refused_in_words(corpus, monkeypatch):
    """An unexpected failure on one return refuses that file with a Chinese reason (no Python class
    name: the reason reaches the report and the reply) and the run goes on."""
    ingest_mod = sys.modules["mentor_xl.mail.ingest"]  # the package exports the function of that name

    def broken(c, ctx, n):
        raise KeyError("internal detail")
    monkeypatch.setattr(ingest_mod, "examine", broken)
    tmp = corpus["tmp"]
    res = ingest(corpus["book"], [corpus["math"]], report=tmp / "报告.xlsx", dry_run=True)
    [f] = res.files
    assert f.status == "refused" and "内容无法识别" in f.reason, f.reason
    assert "KeyError" not in f.reason and "internal detail" not in f.reason
