"""Size and content guards for workbooks from outside (emailed returns, uploads).

Run before any parser touches the file: a zip bomb, an XML entity bomb or a file that
is not a workbook at all (an .exe or a web page renamed .xlsx) is refused with a Chinese
reason instead of exhausting memory. Macros in .xlsm are never run: the reader only
reads cell values.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from mentor_xl.problems import FatalInputError

MAX_BYTES = 200 * 1024 ** 2  # the file as stored
MAX_UNCOMPRESSED = 2 * 1024 ** 3  # all zip entries unpacked (a 1M-row log is ~0.5 GB of XML)
MAX_RATIO = 200  # unpacked / packed for one entry; real sheets stay well below
RATIO_FLOOR = 1024 ** 2  # entries smaller than this are not ratio-checked
MAX_ENTRIES = 10_000
HEAD_BYTES = 64 * 1024  # a DTD can only appear before the root element

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_PART = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)


def check_workbook_file(path: str | Path, *, max_bytes: int = MAX_BYTES,
                        max_uncompressed: int = MAX_UNCOMPRESSED, max_ratio: float = MAX_RATIO,
                        max_entries: int = MAX_ENTRIES) -> str:
    """Refuse a file that is not a safe workbook; return its format, "xlsx" (also xlsm/xlsb) or "xls".

    Raises FatalInputError with a Chinese reason naming the file.
    """
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise FatalInputError(f"找不到工作簿文件：{p}")
    size = p.stat().st_size
    if size == 0:
        raise FatalInputError(f"文件“{name}”是空文件，不是 Excel 工作簿")
    if size > max_bytes:
        raise FatalInputError(f"文件“{name}”过大（{size / 1024 ** 2:.0f} MB，上限 {max_bytes / 1024 ** 2:.0f} MB），已拒绝读取")
    with p.open("rb") as f:
        magic = f.read(8)
    if magic.startswith(_OLE_MAGIC):
        return _check_ole(p)
    if not magic.startswith(_ZIP_MAGIC):
        raise FatalInputError(f"文件“{name}”不是 Excel 工作簿（内容既不是 .xlsx 也不是 .xls 格式），"
                              "请在 Excel 或 WPS 中另存为 .xlsx 后再提交")
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
            _check_zip(name, infos, max_uncompressed, max_ratio, max_entries)
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
                raise FatalInputError(f"文件“{name}”是压缩包或其他 Office 文档，不是 Excel 工作簿")
            for info in infos:
                if _XML_PART.search(info.filename) or info.filename == "[Content_Types].xml":
                    _check_xml_head(name, z, info)
    except zipfile.BadZipFile as e:
        raise FatalInputError(f"文件“{name}”已损坏，无法作为 Excel 工作簿打开（{e}）") from e
    return "xlsx"


def _check_zip(name: str, infos, max_uncompressed: int, max_ratio: float, max_entries: int) -> None:
    if len(infos) > max_entries:
        raise FatalInputError(f"文件“{name}”内部条目过多（{len(infos)} 个），疑似恶意文件，已拒绝读取")
    total = 0
    for i in infos:
        total += i.file_size
        if total > max_uncompressed:
            raise FatalInputError(f"文件“{name}”解压后超过 {max_uncompressed / 1024 ** 3:.1f} GB，"
                                  "疑似压缩炸弹，已拒绝读取")
        if i.file_size > RATIO_FLOOR and i.file_size > max_ratio * max(i.compress_size, 1):
            raise FatalInputError(f"文件“{name}”中的“{i.filename}”压缩比异常"
                                  f"（{i.file_size / max(i.compress_size, 1):.0f} 倍），疑似压缩炸弹，已拒绝读取")


def _check_xml_head(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    with z.open(info) as f:
        head = f.read(HEAD_BYTES)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 parts would hide the markup from a byte search
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if _DTD.search(head):
        raise FatalInputError(f"文件“{name}”中的“{info.filename}”含有 DTD/实体声明，"
                              "正常的 Excel 文件不会有，疑似恶意文件，已拒绝读取")


def _check_ole(p: Path) -> str:
    """An OLE2 container: an old .xls, or an .xlsx protected by a password (encrypted package)."""
    try:
        import olefile
    except ImportError:  # without it the OLE file goes to calamine, which reports what it is not
        return "xls"
    try:
        with olefile.OleFileIO(str(p)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
    except OSError as e:
        raise FatalInputError(f"文件“{p.name}”已损坏，无法作为 Excel 工作簿打开（{e}）") from e
    if "EncryptedPackage" in streams:
        raise FatalInputError(f"工作簿“{p.name}”设有打开密码，无法读取。请在 Excel 中取消密码后再提交")
    if "Workbook" not in streams and "Book" not in streams:
        raise FatalInputError(f"文件“{p.name}”是其他 Office 文档（如 Word），不是 Excel 工作簿")
    return "xls"
