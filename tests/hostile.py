"""Hostile and odd variants of a genuine returned workbook, made from its bytes.

Each function takes the bytes of a genuine workbook (a filled return, ``simulate.fill_return``,
or a demo book) and returns the bytes of a variant that keeps everything else (a return its
stamp), so that only the damage decides what happens. Used by the tests of hostile files
(test_ingest_isolation.py, test_log_check_aside.py, test_reader_aside.py …) and the corpus test.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from mentor_xl.mail import xlsxpatch


def log_part(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return xlsxpatch.sheet_parts(z)["活动记录"]


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info.filename)))
        for name, body in (add or {}).items():
            zout.writestr(name, body)
    return out.getvalue()


def _edit_log(data: bytes, edit) -> bytes:
    part = log_part(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(part)
    return rezip(data, replace={part: edit(xml)})


def add_rows(data: bytes, rows: bytes, *, first: bytes = b"") -> bytes:
    """The 活动记录 part with raw row XML added: ``rows`` after its last row, ``first`` before its first."""
    return _edit_log(data, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + first, 1)
                     .replace(b"</sheetData>", rows + b"</sheetData>", 1))


def far_cell(data: bytes, ref: str = "XFD1048576") -> bytes:
    """One more cell, far away: the native reader would allocate the whole grid up to it."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return add_rows(data, b'<row r="%d"><c r="%s" t="inlineStr"><is><t>x</t></is></c></row>' % (row, ref.encode()))


def dtd_after_padding(data: bytes, pad: int = 70 * 1024) -> bytes:
    """A DTD with an entity bomb after more than 64 KB of an XML comment."""
    def edit(xml: bytes) -> bytes:
        decl, body = xml.split(b"?>", 1) if xml.startswith(b"<?xml") else (b'<?xml version="1.0"', xml)
        dtd = (b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
               + b"".join(b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10) for i in range(1, 8))
               + b"]>")
        return decl + b"?>" + b"<!--" + b" " * pad + b"-->" + dtd + body.replace(b"<sheetData>", b"<sheetData>", 1)
    return _edit_log(data, edit)


def undefined_entity(data: bytes) -> bytes:
    """A cell text with an entity no DTD defines: XML parsers refuse the whole sheet."""
    return add_rows(data, b'<row r="9000"><c r="J9000" t="inlineStr"><is><t>&undefined;</t></is></c></row>')


def under_declared(data: bytes, real: int = 80 * 1024 ** 2, declared: int = 20_000) -> bytes:
    """The 活动记录 part inflates to ``real`` bytes while its headers claim ``declared``,
    with a CRC that matches the declared part: readers that trust the header are fooled."""
    part = log_part(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(part)
    body = xml.replace(b"</worksheet>", b"") + b" " * (real - len(xml)) + b"</worksheet>"
    out = rezip(data, replace={part: body})
    buf = bytearray(out)
    crc = zlib.crc32(bytes(body[:declared]))
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        info = z.getinfo(part)
    local = info.header_offset
    assert buf[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", buf, local + 14, crc)
    struct.pack_into("<I", buf, local + 22, declared)
    central = buf.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46:central + 46 + name_len]) == part.encode():
            struct.pack_into("<I", buf, central + 16, crc)
            struct.pack_into("<I", buf, central + 24, declared)
            break
        central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def xlsb_header() -> bytes:
    """What an .xlsb looks like from outside (a zip with xl/workbook.bin), with no readable sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"></Types>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00" + b"\x00" * 64)
    return out.getvalue()


def with_formula(path, out):
    """A copy of a return with a formula beside the log (what a recipient may add)."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    wb["活动记录"]["L2"] = "=SUM(G2:G3)*2+LEN(B2)"
    wb.save(out)
    return out


def panicking_xls(xls: bytes) -> bytes:
    """An .xls whose first formula's token length is two bytes short: calamine panics on it
    (the parser indexes past the token stream). The .xls needs a formula (``with_formula``)."""
    buf = bytearray(xls)
    i = 0
    while True:
        i = buf.find(b"\x06\x00", i)
        if i == -1:
            raise ValueError("no FORMULA record found")
        length = struct.unpack_from("<H", buf, i + 2)[0]
        if 24 < length < 200:
            cce = struct.unpack_from("<H", buf, i + 24)[0]
            if cce > 2 and length == 22 + cce:  # a FORMULA record: 22 bytes, then the tokens
                struct.pack_into("<H", buf, i + 24, cce - 2)
                return bytes(buf)
        i += 2
