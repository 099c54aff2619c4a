"""Hostile and broken returns never hurt (mentor_xl.mail.ingest + inbox + limits).

Each case is made here from a genuine filled return: macro-enabled, password-protected,
truncated, zip bomb, XML entity bomb, too many rows, other file types named .xlsx, an
attachment named ../../x.xlsx, a GBK-encoded mail, an edited or missing stamp. In every
run the genuine return next to the hostile one is still merged, and the hostile one is
named with a Chinese reason.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

import msoffcrypto
import openpyxl
import pytest

from test_collect import TERM, office_book
from test_ingest import MATH, key, merged_rows
from mentor_xl.mail import collect, ingest
from mentor_xl.mail.simulate import fill_return

D = dt.date
CS_ROWS = [{"日期": D(2024, 9, 20), "工号": "T001", "活动类型": "导学互动交流", "学号": "S01"},
           {"日期": D(2024, 10, 8), "工号": "T002", "活动类型": "午餐会", "学号": "S03"}]


@pytest.fixture
def setup(tmp_path):
    book = office_book(tmp_path / "office.xlsx")
    res = collect(book, TERM, "学院", tmp_path / "sent")
    files = {f.recipient: f.file for f in res.files}
    cs = fill_return(files["计算机学院"], CS_ROWS, tmp_path / "cs.xlsx")
    good = fill_return(files["数学学院"], MATH, tmp_path / "good" / "数学学院.xlsx")
    return {"book": book, "cs": cs, "good": good, "tmp": tmp_path, "sent": files}


def rezip(src: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", compression) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


def run_with(setup, name: str, data: bytes):
    """Ingest the hostile file next to the genuine 数学学院 return; return the hostile outcome."""
    d = setup["tmp"] / "in"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(data)
    res = ingest(setup["book"], [d, setup["good"]])
    [bad] = [f for f in res.files if f.name == name]
    [good] = [f for f in res.files if f.name == "数学学院.xlsx"]
    assert good.status == "accepted" and good.rows_added == 2
    return bad, res


def test_macro_enabled_return_is_read_as_data(setup):
    data = setup["cs"].read_bytes()
    ct = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").decode()
    ct = ct.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    ct = ct.replace("spreadsheetml.sheet.main+xml", "sheet.macroEnabled.main+xml").replace(
        "application/vnd.openxmlformats-officedocument.sheet.macroEnabled.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    xlsm = rezip(data, replace={"[Content_Types].xml": ct.encode()},
                 add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Sub AutoOpen(): Shell \"calc\"" * 20})
    bad, res = run_with(setup, "回执.xlsm", xlsm)
    assert bad.status == "accepted" and bad.rows_added == 2
    # the macro project never travels into the office workbook
    assert "xl/vbaProject.bin" not in zipfile.ZipFile(res.book).namelist()
    assert merged_rows(res.book) == sorted(map(key, CS_ROWS + MATH))


def test_password_protected_return_is_refused(setup):
    enc = io.BytesIO()
    with open(setup["cs"], "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        office.encrypt("mima123", enc)
    assert enc.getvalue()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    bad, res = run_with(setup, "加密.xlsx", enc.getvalue())
    assert bad.status == "refused" and "密码" in bad.reason and "加密.xlsx" in bad.reason
    [js] = [f for f in res.to_json()["files"] if f["file"].endswith("加密.xlsx")]
    assert js["status"] == "refused" and js["reason"] == bad.reason


def test_corrupt_zip_is_refused(setup):
    data = setup["cs"].read_bytes()
    bad, _ = run_with(setup, "坏文件.xlsx", data[: len(data) // 2])
    assert bad.status == "refused" and "坏文件.xlsx" in bad.reason
    assert "损坏" in bad.reason or "不是 Excel" in bad.reason


def test_zip_bomb_is_refused(setup):
    bomb = rezip(setup["cs"].read_bytes(), add={"xl/media/image1.png": b"\0" * (64 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    bad, _ = run_with(setup, "炸弹.xlsx", bomb)
    assert bad.status == "refused" and "压缩炸弹" in bad.reason


def test_xml_entity_bomb_is_refused(setup):
    data = setup["cs"].read_bytes()
    z = zipfile.ZipFile(io.BytesIO(data))
    sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                      for i in range(1, 10)) + b"]>")
    body = z.read(sheet)
    if body.startswith(b"<?xml"):
        body = body.split(b"?>", 1)[1]
    assert b"<sheetData>" in body
    body = body.replace(b"<sheetData>", b"<sheetData>&lol9;", 1)
    bad, _ = run_with(setup, "实体.xlsx", rezip(data, replace={sheet: lol + body}))
    assert bad.status == "refused" and "DTD" in bad.reason


def test_too_many_rows_is_refused(setup, monkeypatch):
    from mentor_xl.mail import examine
    monkeypatch.setattr(examine, "MAX_RETURN_ROWS", 50)
    rows = [{"日期": D(2024, 9, 3) + dt.timedelta(days=i % 100), "工号": "T001", "活动类型": "午餐会"} for i in range(60)]
    big = fill_return(setup["sent"]["计算机学院"], rows, setup["tmp"] / "big.xlsx")
    bad, res = run_with(setup, "大表.xlsx", big.read_bytes())
    assert bad.status == "refused" and "60 行" in bad.reason and "上限 50 行" in bad.reason
    assert res.rows_merged == 2


def test_huge_sheet_is_refused_before_parsing(setup, monkeypatch):
    """Cheap rows compress well: the unpacked size is checked (by the bytes really inflated,
    in the child process, before the reader opens the file)."""
    from mentor_xl.mail import isolated
    good_size = sum(i.file_size for i in zipfile.ZipFile(setup["good"]).infolist())
    monkeypatch.setattr(isolated, "MAX_RETURN_UNCOMPRESSED", good_size + 20_000)
    rows = [{"日期": D(2024, 9, 3), "工号": "T001", "活动类型": "午餐会", "内容": "同样的内容" * 5}] * 1500
    big = fill_return(setup["sent"]["计算机学院"], rows, setup["tmp"] / "big.xlsx")
    bad, _ = run_with(setup, "大表.xlsx", big.read_bytes())
    assert bad.status == "refused" and "解压后超过" in bad.reason and "按实际解压的字节计" in bad.reason
    assert "大表.xlsx" in bad.reason


def test_huge_file_is_refused_before_reading(setup, monkeypatch):
    import mentor_xl.mail.inbox as inbox
    limit = setup["good"].stat().st_size + 1000
    monkeypatch.setattr(inbox, "MAX_FILE_BYTES", limit)
    bad, _ = run_with(setup, "巨大.xlsx", setup["cs"].read_bytes() + b"\0" * limit)
    assert bad.status == "refused" and "太大" in bad.reason


@pytest.mark.parametrize("payload,kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
    (b"MZ\x90\0\x03\0\0\0\x04\0", "程序"),
    (b"", "空文件"),
])
def test_other_file_types_named_xlsx_are_refused(setup, payload, kind):
    bad, _ = run_with(setup, "回执.xlsx", payload)
    assert bad.status == "refused" and kind in bad.reason and "不是 Excel 工作簿" in bad.reason


def test_word_document_named_xlsx_is_refused(setup):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    bad, _ = run_with(setup, "回执.xlsx", buf.getvalue())
    assert bad.status == "refused" and "Word" in bad.reason


def test_path_in_attachment_name_and_gbk_mail(setup):
    tmp = setup["tmp"]
    data = setup["cs"].read_bytes()
    gbk = base64.b64encode("计算机学院回执.xlsx".encode("gbk")).decode()
    raw = (b"From: =?GBK?B?" + base64.b64encode("张老师".encode("gbk")) + b"?= <zhang@example.edu.cn>\r\n"
           b"Subject: =?GBK?B?" + base64.b64encode("回复：收集表".encode("gbk")) + b"?=\r\n"
           b"Date: Tue, 05 Nov 2024 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
           b"--b1\r\nContent-Type: text/plain; charset=GBK\r\n\r\n" + "见附件".encode("gbk") + b"\r\n"
           b"--b1\r\nContent-Type: application/octet-stream\r\n"
           b'Content-Disposition: attachment; filename="../../x.xlsx"\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data) + b"\r\n"
           b"--b1\r\nContent-Type: application/octet-stream\r\n"
           b'Content-Disposition: attachment; filename="=?GBK?B?' + gbk.encode() + b'?="\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(setup["good"].read_bytes()) + b"\r\n"
           b"--b1--\r\n")
    deep = tmp / "a" / "b" / "inbox"
    deep.mkdir(parents=True)
    (deep / "gbk.eml").write_bytes(raw)
    res = ingest(setup["book"], [deep])
    assert [(f.name, f.status, f.sender, f.recipient) for f in res.files] == [
        ("x.xlsx", "accepted", "张老师 <zhang@example.edu.cn>", "计算机学院"),
        ("计算机学院回执.xlsx", "held", "张老师 <zhang@example.edu.cn>", "数学学院")]
    # 数学学院's return from 计算机学院's address waits for the office (trust.py)
    assert "不是数学学院的登记邮箱" in res.files[1].reason
    assert res.rows_merged == 2
    # nothing was written where the attachment name pointed
    assert not (tmp / "a" / "x.xlsx").exists() and not (deep.parent.parent / "x.xlsx").exists()
    assert not list(tmp.rglob("x.xlsx"))


def test_edited_stamp_is_refused(setup):
    wb = openpyxl.load_workbook(setup["cs"])
    ws = wb["_收集标记"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "收集对象":
            row[1].value = "数学学院"  # someone tries to pass their file off as another college's
    p = setup["tmp"] / "edited.xlsx"
    wb.save(p)
    bad, _ = run_with(setup, "改过.xlsx", p.read_bytes())
    assert bad.status == "refused" and "被改动过" in bad.reason


def test_workbook_without_stamp_is_refused(setup):
    bad, _ = run_with(setup, "办公室.xlsx", setup["book"].read_bytes())
    assert bad.status == "refused" and "没有收集标记" in bad.reason


def test_stamp_of_another_pack_is_refused(setup, tmp_path):
    other = office_book(tmp_path / "other.xlsx")
    wb = openpyxl.load_workbook(other)
    wb["设置"].cell(2, 2).value = "ustb-2022"
    wb.save(other)
    res = collect(other, TERM, "学院", tmp_path / "other-sent")
    f = fill_return(res.files[0].file, [], tmp_path / "o.xlsx")
    bad, _ = run_with(setup, "别的制度.xlsx", f.read_bytes())
    assert bad.status == "refused" and "ustb-2022" in bad.reason and "bit-2022" in bad.reason
