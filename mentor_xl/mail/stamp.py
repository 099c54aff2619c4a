"""The collection stamp: who a collection workbook was sent to, for which term, by which run.

A returned workbook is recognised by its stamp, never by its file name (people rename,
forward and re-save). The stamp is written twice:

- a hidden sheet ``_收集标记`` (two columns 键/值). XlsxWriter marks it *very hidden*;
  LibreOffice and WPS keep it as *hidden* on re-save (checked: ``soffice --convert-to
  xlsx`` and ``xls``), and calamine reads it from .xlsx, .xlsm, .xls and .ods alike;
- a custom document property ``mentor_xl_stamp`` (JSON), which LibreOffice also keeps,
  as a fallback for an .xlsx whose hidden sheet was deleted.

Version 2 stamps are signed: the 校验 value is an HMAC-SHA256 of the fields under a key only
the office holds (``mail.trust``: a file beside the office workbook, never inside a
collection workbook), so a stamp cannot be edited or made up by whoever holds a collection
workbook. Reading a stamp here checks its shape only; ``trust.verify`` checks the signature.
Version 1 stamps (an unkeyed checksum, which anyone could recompute) are still read, so that
``ingest`` can refuse them with a reason.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

STAMP_SHEET = "_收集标记"
STAMP_PROPERTY = "mentor_xl_stamp"
STAMP_VERSION = 2
LEGACY_VERSION = 1  # unkeyed checksum: recognised, never trusted
BY_VALUES = ("学院", "工号")

# key in the sheet (Chinese, what someone who unhides the sheet sees) -> field name
_FIELDS = (
    ("版本", "version"), ("收集编号", "collection_id"), ("收集方式", "by"),
    ("收集对象", "recipient"), ("学期", "term"), ("制度", "pack"),
    ("内容摘要", "content_hash"), ("生成时间", "created"),
)
_CHECK_KEY = "校验"
# field name -> key in the compact JSON of the custom property
_SHORT = {"version": "v", "collection_id": "c", "by": "b", "recipient": "r", "term": "t",
          "pack": "p", "content_hash": "h", "created": "d"}


class StampError(ValueError):
    """A stamp is present but unreadable or altered; the message is Chinese."""


@dataclass(frozen=True)
class Stamp:
    recipient: str  # a 学院 name or a 工号
    by: str  # "学院" | "工号"
    term: str  # 学期 code, e.g. 2024-2025-1
    pack: str  # policy pack id
    collection_id: str  # random per collection run and recipient
    content_hash: str  # sha256 of what was pre-filled (see collect.content_hash)
    created: str  # ISO timestamp (UTC)
    version: int = STAMP_VERSION
    signature: str = ""  # the 校验 value: HMAC under the office key (version 2), see trust.py

    @classmethod
    def new(cls, recipient: str, by: str, term: str, pack: str, content_hash: str,
            now: datetime | None = None) -> "Stamp":
        if by not in BY_VALUES:
            raise ValueError(f"收集方式只能是 {'、'.join(BY_VALUES)}，不是“{by}”")
        now = now or datetime.now(timezone.utc)
        return cls(recipient=str(recipient), by=by, term=term, pack=pack,
                   collection_id=secrets.token_hex(8), content_hash=content_hash,
                   created=now.replace(microsecond=0).isoformat())

    @property
    def key(self) -> str:
        """The recipient as one string, the unit of superseding: ``学院:计算机学院``."""
        return f"{self.by}:{self.recipient}"

    def payload(self) -> bytes:
        """The signed content: every field, in a fixed order."""
        return "\x1f".join(str(getattr(self, f)) for _, f in _FIELDS).encode("utf-8")

    def legacy_checksum(self) -> str:
        """The version-1 check value (unkeyed: proves nothing about who made the stamp)."""
        return hashlib.sha256(self.payload()).hexdigest()[:16]

    def check_value(self) -> str:
        if self.version == LEGACY_VERSION:
            return self.legacy_checksum()
        if not self.signature:
            raise ValueError("a version-2 stamp must be signed (trust.sign) before it is written")
        return self.signature

    def rows(self) -> list[tuple[str, str]]:
        """The 键/值 rows of the stamp sheet (header not included)."""
        return [(k, str(getattr(self, f))) for k, f in _FIELDS] + [(_CHECK_KEY, self.check_value())]

    def to_json(self) -> str:
        """Compact JSON for the custom property (Excel caps property values at 255 characters)."""
        d = {_SHORT[k]: v for k, v in asdict(self).items() if k in _SHORT}
        d["k"] = self.check_value()
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str) -> "Stamp":
        """Build from sheet rows (Chinese keys) or the JSON property (field names)."""
        by_field = {f: values.get(k, values.get(f)) for k, f in _FIELDS}
        missing = [k for k, f in _FIELDS if _blank(by_field[f])]
        if missing:
            raise StampError(f"{where}的收集标记不完整（缺少 {'、'.join(missing)}），无法确认是哪一份收集表")
        try:
            version = int(float(str(by_field["version"])))
        except ValueError:
            raise StampError(f"{where}的收集标记版本“{by_field['version']}”无法识别") from None
        if version > STAMP_VERSION:
            raise StampError(f"{where}的收集标记版本 {version} 比本程序新，请升级 mentor_xl")
        fields = {f: _text(by_field[f]) for _, f in _FIELDS if f != "version"}
        check = _text(values.get(_CHECK_KEY, values.get("check")))
        stamp = cls(version=version, signature=check if version >= 2 else "", **fields)
        if stamp.by not in BY_VALUES:
            raise StampError(f"{where}的收集标记中收集方式“{stamp.by}”无法识别")
        if not check:
            raise StampError(f"{where}的收集标记不完整（缺少 {_CHECK_KEY}），无法确认是哪一份收集表")
        if version == LEGACY_VERSION and check != stamp.legacy_checksum():
            raise StampError(f"{where}的收集标记被改动过（校验不符），请使用原始收集表重新填写")
        return stamp


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        # A 工号 like 1001 that a spreadsheet program stored as a number.
        return str(int(v))
    return str(v).strip()


# writing ------------------------------------------------------------------------------------
def write_stamp(workbook, stamp: Stamp) -> None:
    """Add the stamp to an open XlsxWriter workbook: very hidden sheet + custom property."""
    ws = workbook.add_worksheet(STAMP_SHEET)
    from mentor_xl.safe import needs_quote

    quoted = workbook.add_format({"quote_prefix": True})  # a 学院 name like "=…" stays text when edited
    ws.write_string(0, 0, "键")
    ws.write_string(0, 1, "值")
    for i, (k, v) in enumerate(stamp.rows(), start=1):
        ws.write_string(i, 0, k)
        ws.write_string(i, 1, v, quoted if needs_quote(v) else None)
    ws.set_column(0, 1, 24)
    ws.protect()
    ws.very_hidden()
    workbook.set_custom_property(STAMP_PROPERTY, stamp.to_json())


# reading ------------------------------------------------------------------------------------
def read_stamp(data: bytes, where: str) -> Stamp | None:
    """The stamp of a workbook given as bytes; None when it has none.

    ``where`` names the file in messages. Raises StampError for a damaged or edited stamp.
    Only call this on bytes that passed the file limits (limits.check_workbook_file).
    """
    import python_calamine as cal

    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # calamine raises several types; the caller reports unreadable files
        wb = None
    if wb is not None:
        names = {m.name.strip(): m.name for m in wb.sheets_metadata}
        actual = names.get(STAMP_SHEET)
        if actual is not None:
            rows = wb.get_sheet_by_name(actual).to_python(skip_empty_area=False)
            values = {_text(r[0]): r[1] for r in rows[1:] if len(r) >= 2 and not _blank(r[0])}
            return Stamp.from_mapping(values, where)
    prop = _custom_property(data)
    if prop is not None:
        try:
            values = json.loads(prop)
        except ValueError:
            raise StampError(f"{where}的收集标记无法读取") from None
        if not isinstance(values, dict):
            raise StampError(f"{where}的收集标记无法读取")
        long = {f: values.get(k) for f, k in _SHORT.items()}
        long["check"] = values.get("k")
        return Stamp.from_mapping(long, where)
    return None


_PROP_RE = re.compile(
    r'<property[^>]*name="' + STAMP_PROPERTY + r'"[^>]*>\s*<vt:lpwstr>(.*?)</vt:lpwstr>', re.S)


def _custom_property(data: bytes) -> str | None:
    """The JSON of the custom property in docProps/custom.xml of an OOXML zip, or None.

    Parsed with a regular expression, not an XML parser: the part is tiny (size checked)
    and no entity or DTD in it is ever expanded.
    """
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            info = z.getinfo("docProps/custom.xml")
            if info.file_size > 1_000_000:
                return None
            xml = z.read(info).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError):
        return None
    m = _PROP_RE.search(xml)
    if not m:
        return None
    from xml.sax.saxutils import unescape
    return unescape(m.group(1), {"&quot;": '"', "&apos;": "'"})
