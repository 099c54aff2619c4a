"""Finding returned workbooks in files, .eml, .msg, mbox and Maildir (mentor_xl.mail.inbox).

The messages are built here byte by byte the way Chinese mail clients send them: GBK
encoded words, RFC 2231 parameters, encoded words inside quotes, raw 8-bit GBK headers,
attachment names with directories, forwarded messages.
"""
from __future__ import annotations

import base64
import mailbox
import os
import struct
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path


from mentor_xl.mail.inbox import decode_header_text, safe_name, scan_inbox

XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def raw_mail(headers: list[bytes], parts: list[tuple[list[bytes], bytes]]) -> bytes:
    """A multipart/mixed message from raw header lines and (part headers, body) pairs."""
    b = b"BOUNDARY42"
    out = headers + [b"MIME-Version: 1.0", b'Content-Type: multipart/mixed; boundary="' + b + b'"', b""]
    out += [b"--" + b, b"Content-Type: text/plain; charset=GBK", b"", "请查收".encode("gbk")]
    for ph, body in parts:
        out += [b"--" + b] + ph + [b"Content-Transfer-Encoding: base64", b""]
        out += [base64.encodebytes(body).rstrip(b"\n")]
    out += [b"--" + b + b"--", b""]
    return b"\r\n".join(out)


def gbk_word(s: str) -> bytes:
    return b"=?GBK?B?" + base64.b64encode(s.encode("gbk")) + b"?="


def test_decode_header_forms():
    assert decode_header_text(gbk_word("计算机学院回执").decode()) == "计算机学院回执"
    gb = "=?gb2312?Q?" + "".join(f"={b:02X}" for b in "数学".encode("gb2312")) + "?="
    assert decode_header_text(gb) == "数学"
    # GB18030-only character (not in GBK) declared as GBK: read through the superset.
    rare = "䶮"  # in GB18030 (4 bytes), not in GBK
    pct = "".join(f"%{b:02X}" for b in (rare + ".xlsx").encode("gb18030"))
    assert decode_header_text(("gbk", "", pct)) == rare + ".xlsx"
    assert decode_header_text(("gbk", "", "%C0%EE%CB%C4.xlsx")) == "李四.xlsx"
    # raw 8-bit bytes as the parser carries them (surrogate escapes)
    raw = "回执.xlsx".encode("gbk").decode("ascii", "surrogateescape")
    assert decode_header_text(raw) == "回执.xlsx"
    raw_utf8 = "回执.xlsx".encode("utf-8").decode("ascii", "surrogateescape")
    assert decode_header_text(raw_utf8) == "回执.xlsx"


def test_safe_name_drops_paths_and_controls():
    assert safe_name("../../x.xlsx") == "x.xlsx"
    assert safe_name("..\\..\\Windows\\x.xlsx") == "x.xlsx"
    assert safe_name("C:\\Users\\a\\计算机学院.xlsx") == "计算机学院.xlsx"
    assert safe_name("a\x00b\u202e.xlsx") == "ab.xlsx"
    assert safe_name("...") == "附件.xlsx"
    assert safe_name("/etc/") == "附件.xlsx"
    long = "名" * 300 + ".xlsx"
    s = safe_name(long)
    assert s.endswith(".xlsx") and len(s) <= 120


def test_eml_gbk_headers_and_names(tmp_path):
    data1, data2, data3 = b"PK\x03\x04one", b"PK\x03\x04two", b"PK\x03\x04three"
    msg = raw_mail(
        [b"From: " + gbk_word("张老师") + b" <zhang@example.edu.cn>",
         b"To: office@example.edu.cn",
         b"Subject: " + gbk_word("回复：2024-2025-1 导师工作记录收集表"),
         b"Date: Tue, 05 Nov 2024 10:30:00 +0800",
         b"Message-ID: <a1@example.edu.cn>"],
        [([b"Content-Type: " + XLSX_CT.encode(),
           b"Content-Disposition: attachment; filename*=GBK''" + "".join(
               f"%{b:02X}" for b in "计算机学院.xlsx".encode("gbk")).encode()], data1),
         ([b'Content-Type: application/octet-stream; name="' + gbk_word("数学学院.xlsx") + b'"',
           b'Content-Disposition: attachment; filename="' + gbk_word("数学学院.xlsx") + b'"'], data2),
         ([b"Content-Type: application/vnd.ms-excel",
           b'Content-Disposition: attachment; filename="../../' + "旧表.xls".encode("gbk") + b'"'], data3),
         ([b"Content-Type: image/png", b'Content-Disposition: attachment; filename="sig.png"'], b"\x89PNG")])
    p = tmp_path / "reply.eml"
    p.write_bytes(msg)
    scan = scan_inbox([p])
    names = [c.name for c in scan.candidates]
    assert names == ["计算机学院.xlsx", "数学学院.xlsx", "旧表.xls"]
    assert [c.data for c in scan.candidates] == [data1, data2, data3]
    c = scan.candidates[0]
    assert c.sender == "张老师 <zhang@example.edu.cn>" and c.sender_addr == "zhang@example.edu.cn"
    assert c.subject == "回复：2024-2025-1 导师工作记录收集表"
    assert c.date == datetime(2024, 11, 5, 2, 30, tzinfo=timezone.utc)
    assert c.message_id == "<a1@example.edu.cn>"
    assert c.source == "reply.eml → 计算机学院.xlsx"
    assert scan.notes == []


def test_raw_8bit_gbk_subject(tmp_path):
    msg = raw_mail([b"From: li@example.edu.cn", "Subject: 李老师的回执".encode("gbk"),
                    b"Date: Wed, 06 Nov 2024 08:00:00 +0800"],
                   [([b"Content-Type: " + XLSX_CT.encode(),
                      b'Content-Disposition: attachment; filename="' + "李老师.xlsx".encode("gbk") + b'"'],
                     b"PK\x03\x04x")])
    p = tmp_path / "m.eml"
    p.write_bytes(msg)
    [c] = scan_inbox([p]).candidates
    assert c.subject == "李老师的回执"
    assert c.name == "李老师.xlsx"


def _std_mail(sender: str, subject: str, date: str, attachments: list[tuple[str, bytes]]) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Date"] = sender, "office@example.edu.cn", subject, date
    m.set_content("见附件")
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m


def test_mbox_maildir_forwarded_and_folder(tmp_path):
    mb = mailbox.mbox(str(tmp_path / "Inbox"))
    mb.add(_std_mail("a@x.cn", "一", "Mon, 04 Nov 2024 09:00:00 +0800", [("甲.xlsx", b"PK\x03\x04a")]))
    mb.add(_std_mail("b@x.cn", "二", "Mon, 04 Nov 2024 10:00:00 +0800", [("乙.xlsm", b"PK\x03\x04b"),
                                                                         ("说明.docx", b"PK\x03\x04d")]))
    mb.add(_std_mail("c@x.cn", "无附件", "Mon, 04 Nov 2024 11:00:00 +0800", []))
    mb.flush()
    mb.close()
    md = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    inner = _std_mail("d@x.cn", "原始", "Tue, 05 Nov 2024 09:00:00 +0800", [("丙.xlsx", b"PK\x03\x04c")])
    fwd = EmailMessage()
    fwd["From"], fwd["Subject"], fwd["Date"] = "e@x.cn", "转发：原始", "Tue, 05 Nov 2024 12:00:00 +0800"
    fwd.set_content("转发")
    fwd.add_attachment(inner)  # message/rfc822
    md.add(fwd)
    md.close()

    scan = scan_inbox([tmp_path / "Inbox", tmp_path / "Maildir"])
    got = [(c.name, c.sender_addr, c.data) for c in scan.candidates]
    assert got == [("甲.xlsx", "a@x.cn", b"PK\x03\x04a"), ("乙.xlsm", "b@x.cn", b"PK\x03\x04b"),
                   ("丙.xlsx", "e@x.cn", b"PK\x03\x04c")]
    assert scan.candidates[0].source == "Inbox 第1封 → 甲.xlsx"
    assert any("无附件" in n and "c@x.cn" in n for n in scan.notes)

    # the same things found by handing over the folder that holds them, plus a loose file
    (tmp_path / "loose.xlsx").write_bytes(b"PK\x03\x04loose")
    (tmp_path / "~$loose.xlsx").write_bytes(b"lock")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    scan2 = scan_inbox([tmp_path])
    assert sorted(c.name for c in scan2.candidates) == sorted(["丙.xlsx", "乙.xlsm", "甲.xlsx", "loose.xlsx"])


def test_limits_on_sizes(tmp_path, monkeypatch):
    import mentor_xl.mail.inbox as inbox
    monkeypatch.setattr(inbox, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * 200)
    [c] = scan_inbox([big]).candidates
    assert c.data is None and "太大" in c.refused and "big.xlsx" in c.refused
    monkeypatch.setattr(inbox, "MAX_ATTACHMENTS", 2)
    m = _std_mail("a@x.cn", "多", "Mon, 04 Nov 2024 09:00:00 +0800",
                  [(f"{i}.xlsx", b"PK\x03\x04" + bytes([i])) for i in range(4)])
    (tmp_path / "many.eml").write_bytes(bytes(m))
    cands = scan_inbox([tmp_path / "many.eml"]).candidates
    assert [c.data is not None for c in cands] == [True, True, False]
    assert "超过 2 个" in cands[2].refused


def test_missing_input_is_a_note(tmp_path):
    scan = scan_inbox([tmp_path / "nope"])
    assert scan.candidates == [] and "找不到" in scan.notes[0]


# --- Outlook .msg --------------------------------------------------------------------------------
def _cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (v3, 512-byte sectors, 64-byte mini sectors).

    ``streams`` maps "storage/sub/stream" paths to data. Enough to test reading Outlook
    .msg files: siblings are stored as a right-leaning list (a valid, unbalanced tree).
    """
    SEC, MINI, CUTOFF = 512, 64, 4096
    ENDOFCHAIN, FREE, NOSTREAM, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFD
    nodes = [{"name": "Root Entry", "type": 5, "children": [], "data": b""}]
    index = {"": 0}
    for path in sorted(streams):
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key in index:
                continue
            is_stream = depth == len(parts)
            nodes.append({"name": parts[depth - 1], "type": 2 if is_stream else 1, "children": [],
                          "data": streams[path] if is_stream else b""})
            index[key] = len(nodes) - 1
            nodes[index["/".join(parts[:depth - 1])]]["children"].append(index[key])

    fat: list[int] = []
    body = bytearray()

    def chain(data: bytes) -> int:  # regular sectors for data; returns the first sector
        nsec = max(1, -(-len(data) // SEC))
        first = len(fat)
        fat.extend([first + k + 1 for k in range(nsec - 1)] + [ENDOFCHAIN])
        body.extend(data + b"\0" * (nsec * SEC - len(data)))
        return first

    minifat: list[int] = []
    ministream = bytearray()
    starts: dict[int, int] = {}
    for i, n in enumerate(nodes):
        if n["type"] != 2 or not n["data"]:
            continue
        if len(n["data"]) < CUTOFF:
            nmini = -(-len(n["data"]) // MINI)
            first = len(minifat)
            minifat.extend([first + k + 1 for k in range(nmini - 1)] + [ENDOFCHAIN])
            ministream.extend(n["data"] + b"\0" * (nmini * MINI - len(n["data"])))
            starts[i] = first
        else:
            starts[i] = chain(n["data"])
    root_start, root_size = ENDOFCHAIN, 0
    minifat_first, nminifat = ENDOFCHAIN, 0
    if ministream:
        root_start, root_size = chain(bytes(ministream)), len(ministream)
        mf = minifat + [FREE] * (-len(minifat) % 128)
        minifat_first = chain(struct.pack(f"<{len(mf)}I", *mf))
        nminifat = len(mf) // 128

    def order(children):
        return sorted(children, key=lambda j: (len(nodes[j]["name"]), nodes[j]["name"].upper()))
    right_of = {}
    for n in nodes:
        kids = order(n["children"])
        right_of.update(zip(kids, kids[1:]))
    entries = bytearray()
    for i, n in enumerate(nodes):
        name = n["name"].encode("utf-16-le") + b"\0\0"
        kids = order(n["children"])
        if n["type"] == 5:
            start, size = root_start, root_size
        else:
            start, size = starts.get(i, ENDOFCHAIN), len(n["data"])
        e = name.ljust(64, b"\0") + struct.pack("<HBB", len(name), n["type"], 1)
        e += struct.pack("<III", NOSTREAM, right_of.get(i, NOSTREAM), kids[0] if kids else NOSTREAM)
        e += b"\0" * 36 + struct.pack("<IQ", start, size)
        entries += e
    entries += b"\0" * (-len(entries) % SEC)
    dir_first = chain(bytes(entries))

    nfat = 1
    while len(fat) + nfat > nfat * 128:
        nfat += 1
    fat_first = len(fat)
    fat += [FATSECT] * nfat
    fat += [FREE] * (nfat * 128 - len(fat))
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, nfat, dir_first, 0, CUTOFF, minifat_first, nminifat, ENDOFCHAIN, 0)
    header += struct.pack("<109I", *(list(range(fat_first, fat_first + nfat)) + [FREE] * (109 - nfat)))
    assert len(header) == SEC
    return bytes(header) + bytes(body) + struct.pack(f"<{len(fat)}I", *fat)


def _prop_stream(entries: list[tuple[int, int, bytes]], header: bytes) -> bytes:
    out = bytearray(header)
    for tag, flags, value in entries:
        out += struct.pack("<II", tag, flags) + value
    return bytes(out)


def _utf16(s: str) -> bytes:
    return s.encode("utf-16-le")


def make_msg(path: Path, sender: str, subject: str, attachments: list[tuple[str, bytes]]) -> None:
    """An Outlook .msg with unicode string properties and file attachments."""
    streams: dict[str, bytes] = {}
    top = []

    def string_prop(prefix: str, pid: int, s: str, props: list):
        data = _utf16(s)
        streams[f"{prefix}__substg1.0_{pid:04X}001F"] = data
        props.append(((pid << 16) | 0x001F, 6, struct.pack("<II", len(data), 0)))

    string_prop("", 0x0037, subject, top)
    string_prop("", 0x0C1F, sender, top)
    string_prop("", 0x0C1A, sender.split("@")[0], top)
    string_prop("", 0x001A, "IPM.Note", top)
    string_prop("", 0x1000, "见附件", top)
    for i, (name, data) in enumerate(attachments):
        pre = f"__attach_version1.0_#{i:08X}/"
        props: list = []
        string_prop(pre, 0x3707, name, props)
        string_prop(pre, 0x3704, name[:8], props)
        streams[f"{pre}__substg1.0_37010102"] = data
        props.append((0x37010102, 6, struct.pack("<II", len(data), 0)))
        props.append((0x37050003, 6, struct.pack("<II", 1, 0)))  # attach method: by value
        streams[f"{pre}__properties_version1.0"] = _prop_stream(props, b"\0" * 8)
    streams["__nameid_version1.0/__substg1.0_00020102"] = b""
    streams["__nameid_version1.0/__substg1.0_00030102"] = b""
    streams["__nameid_version1.0/__substg1.0_00040102"] = b""
    n = len(attachments)
    header = b"\0" * 8 + struct.pack("<IIII", 0, 0, n, n) + b"\0" * 8
    streams["__properties_version1.0"] = _prop_stream(top, header)
    path.write_bytes(_cfb(streams))


def test_outlook_msg(tmp_path):
    p = tmp_path / "回复.msg"
    make_msg(p, "wang@example.edu.cn", "回复：收集表",
             [("../外语学院.xlsx", b"PK\x03\x04msg"), ("logo.png", b"\x89PNG")])
    scan = scan_inbox([p])
    assert [(c.name, c.data, c.sender_addr, c.subject) for c in scan.candidates] == [
        ("外语学院.xlsx", b"PK\x03\x04msg", "wang@example.edu.cn", "回复：收集表")]
    assert scan.candidates[0].date is not None  # no delivery time in the file: its mtime


def test_unreadable_msg_is_a_note(tmp_path):
    p = tmp_path / "broken.msg"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(600))
    scan = scan_inbox([p])
    assert scan.candidates == [] and "broken.msg" in scan.notes[0]
