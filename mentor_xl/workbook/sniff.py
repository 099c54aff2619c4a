"""What a file is, by its content: the one place that looks at magic bytes and containers.

Names lie (an .xlsx that is a PDF, an attachment with no extension, a workbook saved as
.xls by WPS): ``sniff`` looks at the bytes. Kinds:

- spreadsheets: ``xlsx``, ``xlsm``, ``xlsb`` (OOXML zips), ``ods`` (OpenDocument),
  ``xls`` (BIFF in an OLE2 compound file), ``encrypted`` (a password-protected OOXML
  workbook is an OLE2 file with an EncryptedPackage stream);
- mail: ``msg`` (Outlook, OLE2), ``mbox`` ("From " line), ``eml`` (RFC 822 headers);
- ``other``, with a Chinese description of what it is instead.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

SPREADSHEETS = ("xlsx", "xlsm", "xlsb", "ods", "xls")
MAIL = ("msg", "mbox", "eml")
SUFFIX = {"xlsx": ".xlsx", "xlsm": ".xlsm", "xlsb": ".xlsb", "ods": ".ods", "xls": ".xls"}

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC_NAMES = (
    (b"%PDF", "PDF 文档"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包"),
    (b"MZ", "Windows 程序"), (b"\x7fELF", "程序文件"), (b"{\\rtf", "RTF 文档"),
)
_MAIL_HEADER = re.compile(rb"(?i)^(return-path|received|from|to|subject|message-id|date|mime-version"
                          rb"|delivered-to|x-[\w-]+):")
_ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # one of SPREADSHEETS, MAIL, "encrypted", "other"
    desc: str | None = None  # Chinese, for "other": what the content is

    @property
    def spreadsheet(self) -> bool:
        return self.kind in SPREADSHEETS


def sniff(source: bytes | str | Path) -> Sniffed:
    """The kind of a file given as bytes or as a path (only its container is read)."""
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as f:
                head = f.read(8)
        except OSError:
            return Sniffed("other", "无法读取的文件")
        if head.startswith(ZIP_MAGIC):
            return _zip(source)
        if head.startswith(OLE_MAGIC):
            return _ole(source)
        with open(source, "rb") as f:
            return _plain(f.read(4096))
    data = source
    if data.startswith(ZIP_MAGIC):
        return _zip(io.BytesIO(data))
    if data.startswith(OLE_MAGIC):
        return _ole(io.BytesIO(data))
    return _plain(data[:4096])


def _zip(src) -> Sniffed:
    try:
        with zipfile.ZipFile(src) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return Sniffed("other", "损坏的压缩文件（zip 结构无法读取）")
    main = _main_type(src, names)
    if "xl/workbook.bin" in names or main == b"binary":
        return Sniffed("xlsb")
    if "xl/workbook.xml" in names or main is not None:
        return Sniffed("xlsm" if "xl/vbaProject.bin" in names or main == b"macro" else "xlsx")
    if mimetype.startswith(_ODS_TYPE) or ("content.xml" in names and not mimetype):
        return Sniffed("ods")
    if "word/document.xml" in names:
        return Sniffed("other", "Word 文档")
    if "ppt/presentation.xml" in names:
        return Sniffed("other", "PowerPoint 演示文稿")
    if "content.xml" in names:
        return Sniffed("other", "OpenDocument 文档（不是表格）")
    return Sniffed("other", "zip 压缩包（不是 Excel 工作簿）")


_MAIN_TYPE = re.compile(rb"spreadsheetml\.sheet\.main\+xml|ms-excel\.sheet\.(macroEnabled|binary\.macroEnabled)\.main",
                        re.IGNORECASE)


def _main_type(src, names: set[str]) -> bytes | None:
    """A workbook part declared in [Content_Types].xml wherever it lives: b"xml", b"macro",
    b"binary", or None."""
    if "[Content_Types].xml" not in names:
        return None
    if hasattr(src, "seek"):
        src.seek(0)
    try:
        with zipfile.ZipFile(src) as z, z.open("[Content_Types].xml") as f:
            head = f.read(256 * 1024)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return None
    m = _MAIN_TYPE.search(head)
    if m is None:
        return None
    kind = (m.group(1) or b"").lower()
    return b"binary" if kind.startswith(b"binary") else b"macro" if kind else b"xml"


def _ole(src) -> Sniffed:
    import olefile
    try:
        with olefile.OleFileIO(src) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=True)}
    except Exception:  # olefile raises several types on damaged input
        return Sniffed("other", "损坏的 Office 文件")
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return Sniffed("encrypted")
    if "workbook" in streams or "book" in streams:
        return Sniffed("xls")
    if any(s.startswith("__substg1.0_") or s.startswith("__properties_version1.0") for s in streams):
        return Sniffed("msg")
    if "worddocument" in streams:
        return Sniffed("other", "Word 97-2003 文档")
    return Sniffed("other", "Office 复合文件（不是 Excel 工作簿）")


def _plain(head: bytes) -> Sniffed:
    for magic, desc in _MAGIC_NAMES:
        if head.startswith(magic):
            return Sniffed("other", desc)
    if not head:
        return Sniffed("other", "空文件")
    if head.startswith(b"From "):
        return Sniffed("mbox")
    if _MAIL_HEADER.match(head):
        return Sniffed("eml")
    low = head[:512].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<table" in low:
        return Sniffed("other", "网页（HTML）文件")
    if low.startswith(b"<?xml"):
        return Sniffed("other", "XML 文件（可能是 Excel 2003 XML 表格，请另存为 .xlsx）")
    return Sniffed("other", "未知格式")
