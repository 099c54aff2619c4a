"""Returns that cannot be forged (mentor_xl.mail.trust): each attack of the security review
reproduced against the round trip of test_ingest, then seen refused or held with a reason.

The office workbook and its folder (key, register) are trusted; everything in the inbox is
not. Rows are the hand-made ones of test_ingest: CS_V1 has 3 valid rows, MATH 2.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from test_collect import TERM, office_book
from test_ingest import CS_V2, MATH, key, mail, merged_rows
from mentor_xl.mail import collect, ingest
from mentor_xl.mail.report import REPLY_SUBJECT
from mentor_xl.mail.simulate import fill_return
from mentor_xl.mail.stamp import STAMP_SHEET, Stamp
from mentor_xl.mail.trust import KEY_FILE, REGISTER_FILE, office_key, signature

D = dt.date
NOW = dt.datetime(2024, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
ZHANG = "张一 <zhang@example.edu.cn>"  # T001 of 计算机学院 in 人员
WANG = "王三 <wang@example.edu.cn>"  # T003 of 数学学院
ROWS4 = [{"日期": D(2024, 9, 20 + i), "工号": "T001", "活动类型": "午餐会", "学号": "S01"} for i in range(4)]


@pytest.fixture
def office(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "sent", eml=True)
    files = {f.recipient: f.file for f in res.files}
    return {"book": book, "tmp": tmp_path, "sent": files, "res": res}


def restamp(src: Path, out: Path, **changes) -> Path:
    """Edit the stamp sheet of a workbook as someone holding it could (openpyxl, like Excel)."""
    wb = openpyxl.load_workbook(src)
    ws = wb[STAMP_SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in changes:
            row[1].value = changes[row[0].value]
    wb.save(out)
    return out


def stamp_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {r[0].value: r[1].value for r in wb[STAMP_SHEET].iter_rows(min_row=2)}


def test_restamped_return_cannot_pass_for_another_college(office):
    # 数学学院's filled workbook re-stamped as 计算机学院's: recipient changed, check value made
    # up as the unkeyed scheme allowed (sha256 of the fields) — without the key it cannot match.
    tmp = office["tmp"]
    filled = fill_return(office["sent"]["数学学院"], MATH, tmp / "math.xlsx")
    v = stamp_values(filled)
    forged = Stamp(recipient="计算机学院", by="学院", term=v["学期"], pack=v["制度"],
                   collection_id=v["收集编号"], content_hash=v["内容摘要"], created=v["生成时间"])
    (tmp / "in").mkdir()
    bad = restamp(filled, tmp / "in" / "计算机学院.xlsx", 收集对象="计算机学院", 校验=forged.legacy_checksum())
    res = ingest(office["book"], [bad], now=NOW)
    [o] = res.files
    assert o.status == "refused" and "被改动过" in o.reason and "签名" in o.reason
    assert res.rows_merged == 0 and res.rows_removed == 0


def test_old_unkeyed_stamp_is_refused_with_a_reason(office):
    tmp = office["tmp"]
    filled = fill_return(office["sent"]["计算机学院"], CS_V2, tmp / "cs.xlsx")
    v = stamp_values(filled)
    legacy = Stamp(recipient=v["收集对象"], by="学院", term=v["学期"], pack=v["制度"], version=1,
                   collection_id=v["收集编号"], content_hash=v["内容摘要"], created=v["生成时间"])
    old = restamp(filled, tmp / "old.xlsx", 版本="1", 校验=legacy.legacy_checksum())
    (o,) = ingest(office["book"], [old], now=NOW).files
    assert o.status == "refused" and "旧版" in o.reason and "没有签名" in o.reason


def test_outside_sender_dated_2099_is_held_and_the_genuine_return_merges(office):
    # The attack of the review: a return mailed from an outside address, dated 2099.
    tmp = office["tmp"]
    cs = fill_return(office["sent"]["计算机学院"], CS_V2, tmp / "cs.xlsx").read_bytes()
    inbox = tmp / "inbox"
    mail(inbox / "evil.eml", "学院办公室 <office@evil.example>", "Thu, 01 Jan 2099 08:00:00 +0800",
         [("计算机学院.xlsx", fill_return(office["sent"]["计算机学院"], [CS_V2[0]], tmp / "evil.xlsx").read_bytes())])
    mail(inbox / "real.eml", ZHANG, "Tue, 05 Nov 2024 10:00:00 +0800", [("计算机学院.xlsx", cs)])
    res = ingest(office["book"], [inbox], now=NOW)
    by = {f.file.split("/")[-1].split(" ")[0]: f for f in res.files}
    evil, real = by["evil.eml"], by["real.eml"]
    assert evil.status == "held"
    assert "office@evil.example" in evil.reason and "zhang@example.edu.cn" in evil.reason
    assert f"--confirm {evil.confirm_code}" in evil.reason and len(evil.confirm_code) == 12
    assert any("晚于处理时间" in c for c in evil.checks) and evil.date == NOW
    assert real.status == "accepted" and real.rows_added == 3
    assert "发件人是收集对象的登记邮箱" in real.checks and "收集标记签名有效" in real.checks
    assert merged_rows(res.book) == sorted(map(key, CS_V2))
    js = res.to_json()["files"]
    assert {f["status"] for f in js} == {"held", "accepted"} and all("checks" in f for f in js)
    assert "待确认" in res.summary_zh() and evil.confirm_code in res.summary_zh()

    # Held is not "seen": the office confirms it on the next run and only then it counts.
    again = ingest(res.book, [inbox / "evil.eml"], now=NOW, confirm=[evil.confirm_code])
    (o,) = again.files
    assert o.status == "superseded" or o.status == "accepted"
    assert any("已由办公室确认" in c for c in o.checks)


def test_future_date_is_capped_so_a_later_correction_still_counts(office):
    tmp = office["tmp"]
    inbox = tmp / "in1"
    mail(inbox / "a.eml", ZHANG, "Thu, 01 Jan 2099 08:00:00 +0800",
         [("cs.xlsx", fill_return(office["sent"]["计算机学院"], CS_V2, tmp / "v1.xlsx").read_bytes())])
    first = ingest(office["book"], [inbox], now=NOW)
    (o,) = first.files
    assert o.status == "accepted" and o.date == NOW and any("晚于处理时间" in c for c in o.checks)
    # the correction, sent after the first run: it supersedes (it did not before the cap)
    later = tmp / "in2"
    mail(later / "b.eml", ZHANG, "Thu, 21 Nov 2024 09:00:00 +0800",
         [("cs.xlsx", fill_return(office["sent"]["计算机学院"], CS_V2[:2], tmp / "v2.xlsx").read_bytes())])
    second = ingest(first.book, [later], now=NOW + dt.timedelta(days=2), out=tmp / "second.xlsx")
    (o2,) = second.files
    assert o2.status == "accepted" and o2.rows_removed == 1


def test_collection_id_not_sent_is_refused(office):
    tmp = office["tmp"]
    reg = tmp / REGISTER_FILE
    data = json.loads(reg.read_text(encoding="utf-8"))
    data["collections"] = [e for e in data["collections"] if e["recipient"] != "数学学院"]
    reg.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    filled = fill_return(office["sent"]["数学学院"], MATH, tmp / "m.xlsx")
    (o,) = ingest(office["book"], [filled], now=NOW).files
    assert o.status == "refused" and "不在本单位的发送登记中" in o.reason


def test_missing_key_holds_everything_until_it_is_back(office):
    tmp = office["tmp"]
    keyfile = tmp / KEY_FILE
    saved = keyfile.read_bytes()
    keyfile.unlink()
    filled = fill_return(office["sent"]["数学学院"], MATH, tmp / "m.xlsx")
    first = ingest(office["book"], [filled], now=NOW)
    (o,) = first.files
    assert o.status == "held" and KEY_FILE in o.reason and first.rows_merged == 0
    keyfile.write_bytes(saved)
    (o2,) = ingest(first.book, [filled], now=NOW, out=tmp / "second.xlsx").files
    assert o2.status == "accepted" and o2.rows_added == 2  # not "duplicate": held is not seen


def test_mass_deletion_is_held_until_confirmed(office):
    tmp = office["tmp"]
    cs = office["sent"]["计算机学院"]
    first = ingest(office["book"], [fill_return(cs, ROWS4, tmp / "full.xlsx")], now=NOW, max_deletions=2)
    assert first.rows_merged == 4
    inbox = tmp / "in"
    mail(inbox / "short.eml", ZHANG, "Thu, 21 Nov 2024 09:00:00 +0800",
         [("cs.xlsx", fill_return(cs, ROWS4[:1], tmp / "short.xlsx").read_bytes())])
    later = NOW + dt.timedelta(days=2)
    held = ingest(first.book, [inbox], now=later, max_deletions=2, out=tmp / "2.xlsx")
    (o,) = held.files
    assert o.status == "held" and "删除计算机学院已合并的 3 行" in o.reason and held.rows_removed == 0
    assert len(merged_rows(held.book)) == 4
    ok = ingest(held.book, [inbox], now=later, max_deletions=2, confirm=[o.confirm_code], out=tmp / "3.xlsx")
    (o2,) = ok.files
    assert o2.status == "accepted" and o2.rows_removed == 3 and any("已由办公室确认" in c for c in o2.checks)
    assert len(merged_rows(ok.book)) == 1


def test_the_key_never_travels(office):
    key_hex = office_key(office["book"]).hex()
    tmp = office["tmp"]
    for f in office["res"].files:
        with zipfile.ZipFile(f.file) as z:
            assert all(key_hex.encode() not in z.read(n) and bytes.fromhex(key_hex) not in z.read(n)
                       for n in z.namelist())
        assert key_hex.encode() not in f.eml.read_bytes()
    # and a signature is the office's: the same stamp under another key does not verify
    v = stamp_values(office["sent"]["数学学院"])
    st = Stamp(recipient=v["收集对象"], by="学院", term=v["学期"], pack=v["制度"],
               collection_id=v["收集编号"], content_hash=v["内容摘要"], created=v["生成时间"])
    assert signature(st, bytes.fromhex(key_hex)) == v["校验"]
    assert signature(st, b"\x00" * 32) != v["校验"]
    assert (tmp / KEY_FILE).stat().st_mode & 0o077 == 0


def make_msg_with_id(path: Path, sender: str, message_id: str, attachment: tuple[str, bytes]) -> Path:
    """test_inbox's Outlook .msg, plus PR_INTERNET_MESSAGE_ID (0x1035)."""
    from test_inbox import _cfb, _prop_stream, _utf16

    streams: dict[str, bytes] = {}
    top: list = []

    def string_prop(prefix: str, pid: int, text: str, props: list):
        data = _utf16(text)
        streams[f"{prefix}__substg1.0_{pid:04X}001F"] = data
        props.append(((pid << 16) | 0x001F, 6, struct.pack("<II", len(data), 0)))

    for pid, text in ((0x0037, "回复：收集表"), (0x0C1F, sender), (0x001A, "IPM.Note"),
                      (0x1000, "见附件"), (0x1035, message_id)):
        string_prop("", pid, text, top)
    name, data = attachment
    pre = "__attach_version1.0_#00000000/"
    props: list = []
    string_prop(pre, 0x3707, name, props)
    streams[f"{pre}__substg1.0_37010102"] = data
    props.append((0x37010102, 6, struct.pack("<II", len(data), 0)))
    props.append((0x37050003, 6, struct.pack("<II", 1, 0)))
    streams[f"{pre}__properties_version1.0"] = _prop_stream(props, b"\0" * 8)
    for k in ("0002", "0003", "0004"):
        streams[f"__nameid_version1.0/__substg1.0_{k}0102"] = b""
    streams["__properties_version1.0"] = _prop_stream(top, b"\0" * 8 + struct.pack("<IIII", 0, 0, 1, 1) + b"\0" * 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_cfb(streams))
    return path


def test_message_id_with_line_break_is_refused_not_a_crash(office):
    tmp = office["tmp"]
    data = fill_return(office["sent"]["计算机学院"], CS_V2, tmp / "cs.xlsx").read_bytes()
    make_msg_with_id(tmp / "in" / "回复.msg", "zhang@example.edu.cn",
                     "<a@example.edu.cn>\r\nBcc: all@evil.example", ("cs.xlsx", data))
    res = ingest(office["book"], [tmp / "in"], now=NOW, reply_dir=tmp / "replies")
    (o,) = res.files
    assert "\n" in (o.message_id or "")  # the header really carries the line break
    assert o.status == "refused" and "Message-ID" in o.reason and "换行" in o.reason
    assert res.rows_merged == 0 and res.book is not None


def test_genuine_round_trip_still_merges_every_valid_row(office):
    tmp = office["tmp"]
    inbox = tmp / "inbox"
    mail(inbox / "cs.eml", ZHANG, "Tue, 05 Nov 2024 10:00:00 +0800",
         [("cs.xlsx", fill_return(office["sent"]["计算机学院"], CS_V2, tmp / "cs.xlsx").read_bytes())])
    mail(inbox / "math.eml", WANG, "Tue, 05 Nov 2024 11:00:00 +0800",
         [("m.xlsx", fill_return(office["sent"]["数学学院"], MATH, tmp / "m.xlsx").read_bytes())])
    res = ingest(office["book"], [inbox], now=NOW, manifest=office["res"].manifest)
    assert [f.status for f in res.files] == ["accepted", "accepted"]
    assert res.rows_merged == 5 and res.missing == []
    assert merged_rows(res.book) == sorted(map(key, CS_V2 + MATH))


def test_replies_go_to_the_recipient_never_to_from_and_repeat_no_attacker_text(office):
    tmp = office["tmp"]
    lure = "点击 http://evil.example/login 重新登录"
    rows = CS_V2 + [{"日期": D(2024, 10, 9), "工号": "T001", "活动类型": lure, "内容": lure}]
    inbox = tmp / "收件箱-私密文件夹"
    mail(inbox / "x.eml", "计算机学院 <evil@evil.example>", "Tue, 05 Nov 2024 10:00:00 +0800",
         [("cs.xlsx", fill_return(office["sent"]["计算机学院"], rows, tmp / "cs.xlsx").read_bytes())],
         subject=f"回复：{lure}")
    blank = fill_return(office["sent"]["数学学院"], [], tmp / "blank.xlsx")  # refused: nothing filled
    (inbox / "数学学院.xlsx").write_bytes(blank.read_bytes())
    first = ingest(office["book"], [inbox], now=NOW, reply_dir=tmp / "r1")
    held = next(f for f in first.files if f.status == "held")
    only = list((tmp / "r1").iterdir())
    # the held mail gets no reply at all; the refused blank form is answered at 数学学院's address
    assert len(only) == 1
    m = email.message_from_bytes(only[0].read_bytes(), policy=email.policy.default)
    assert m["To"] == "wang@example.edu.cn" and m["Subject"] == REPLY_SUBJECT
    body = m.get_body().get_content()
    assert "活动记录是空的" in body and "收件箱-私密文件夹" not in body and str(tmp) not in body

    again = ingest(office["book"], [inbox / "x.eml"], now=NOW, confirm=[held.confirm_code],
                   reply_dir=tmp / "r2", out=tmp / "2.xlsx")
    (o,) = again.files
    assert o.status == "accepted" and o.rows_rejected == 1
    [reply] = list((tmp / "r2").iterdir())
    raw = reply.read_bytes()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m["To"] == "zhang@example.edu.cn" and m["Subject"] == REPLY_SUBJECT
    body = m.get_body().get_content()
    assert "第 5 行 活动类型" in body
    text = raw.decode("utf-8", "replace") + body
    assert "evil" not in text and "http" not in text and "重新登录" not in text
    assert "收件箱-私密文件夹" not in text and "cs.xlsx" not in text


def test_a_ledger_poisoned_before_the_fix_is_read_with_capped_dates(office):
    # A return merged by an older version with Date 2099 must not outrank genuine ones forever.
    from mentor_xl.mail.trust import Trust
    import pandas as pd

    ledger = pd.DataFrame({"处理时间": ["2024-11-10 09:00", "2024-11-10 09:00"],
                           "收件时间": ["2099-01-01T00:00:00+00:00", "2024-11-05T02:00:00+00:00"],
                           "状态": ["已合并", "待确认"], "来源标识": ["a", "b"]})
    view = Trust.ledger_view(ledger)
    assert list(view["来源标识"]) == ["a"]  # held files are not "seen"
    assert view["收件时间"][0] == "2024-11-10T01:00:00+00:00"
