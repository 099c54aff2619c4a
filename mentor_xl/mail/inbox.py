"""Find returned workbooks in what the office saved from its mailbox.

Inputs: workbook files (.xlsx/.xlsm/.xls), single messages (.eml, Outlook .msg),
mbox files (Thunderbird, ``mbox`` exports) and Maildir folders; a plain folder is searched
for all of these. Each workbook found becomes a ``Candidate`` carrying its bytes and where it
came from (sender, message date, message id). Nothing is ever written to disk under a name
taken from a message, and nothing here parses a workbook — that is ingest's job, after the
file limits.

Real-world mail from Chinese clients: subjects and attachment names come as RFC 2047
encoded words (``=?GBK?B?…?=``, ``=?gb2312?Q?…?=``), as RFC 2231 parameters
(``filename*=GBK''%C0%EE.xlsx``), as encoded words wrongly put inside quotes, or as raw
8-bit GBK/GB18030 bytes; ``decode_header_text`` reads all of them, with GB2312/GBK read as
GB18030 (their superset) so that rarer characters do not break a name.
"""
from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header
from email.message import Message
from pathlib import Path
from typing import Callable, Iterable, Iterator

from mentor_xl.workbook.limits import size_text
from mentor_xl.workbook.sniff import sniff

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
MESSAGE_SUFFIXES = (".eml", ".msg", ".mbox", ".mbx")
SPREADSHEET_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    "application/vnd.oasis.opendocument.spreadsheet",
)

# Limits on untrusted input (bytes). A returned collection workbook is a few hundred KB.
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_MESSAGE_BYTES = 60 * 1024 * 1024
MAX_ATTACHMENTS = 50  # workbook attachments read from one message
MAX_NAME_CHARS = 120
MAIL_TIME, FILE_TIME = "邮件时间", "文件时间"


@dataclass
class Candidate:
    """One workbook found in the inputs (a file, or an attachment of a message)."""

    name: str  # safe file name for display (no directories, no control characters)
    source: str  # where it was found, for people: "回复.eml → 计算机学院.xlsx"
    data: bytes | None  # the file's bytes; None when refused before reading
    sender: str | None = None  # "姓名 <addr>" of the message, None for a plain file
    sender_addr: str | None = None
    subject: str | None = None
    date: datetime | None = None  # message Date (aware, UTC), else the file's mtime
    date_basis: str | None = None  # which of the two: "邮件时间" | "文件时间"
    message_id: str | None = None
    refused: str | None = None  # Chinese reason when it could not even be taken out

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass
class InboxScan:
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Chinese: messages without a workbook, unreadable mail
    # When set, each candidate goes here as soon as it is found instead of into
    # ``candidates``: memory stays at one message however large the mailbox.
    on_candidate: Callable[[Candidate], None] | None = None

    def add(self, c: Candidate) -> None:
        if self.on_candidate is not None:
            self.on_candidate(c)
        else:
            self.candidates.append(c)


# header decoding --------------------------------------------------------------------------------
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
                    "euc-cn": "gb18030", "hz-gb-2312": "hz", "unknown-8bit": "gb18030"}
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _codec(charset: str | None) -> str:
    cs = (charset or "utf-8").strip().lower()
    cs = cs.split("*", 1)[0]  # RFC 2231 language suffix
    return _CHARSET_ALIASES.get(cs, cs)


def decode_bytes(raw: bytes, charset: str | None = None) -> str:
    """Bytes of a header or name: the declared charset, else UTF-8, else GB18030."""
    tried = []
    for cs in ([_codec(charset)] if charset else []) + ["utf-8", "gb18030"]:
        if cs in tried:
            continue
        tried.append(cs)
        try:
            return raw.decode(cs)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("gb18030", "replace")


def decode_header_text(value) -> str:
    """A header value or parameter as text, whatever mail client produced it."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value) from get_param
        charset, _, text = value
        raw = text.encode("latin-1", "surrogateescape") if isinstance(text, str) else text
        from urllib.parse import unquote_to_bytes
        return decode_header_text(decode_bytes(unquote_to_bytes(raw), charset))
    if isinstance(value, bytes):
        value = decode_bytes(value)
    s = str(value)
    # Raw 8-bit bytes were carried through the parser as surrogate escapes.
    if any("\udc80" <= ch <= "\udcff" for ch in s):
        s = decode_bytes(s.encode("utf-8", "surrogateescape"))
    if _ENCODED_WORD.search(s):
        parts = []
        try:
            for chunk, cs in decode_header(s):
                parts.append(decode_bytes(chunk, cs) if isinstance(chunk, bytes) else chunk)
            s = "".join(parts)
        except Exception:  # malformed encoded word: keep the text as it is
            pass
    return re.sub(r"\s*[\r\n]+\s*", " ", s).replace("\x00", "").strip()


def safe_name(name: str | None, default: str = "附件.xlsx") -> str:
    """A file name safe to show and to use inside our own temporary folder.

    Directories (``../../x.xlsx``, ``C:\\a\\b.xlsx``) are dropped, control and format
    characters removed, leading dots removed (no hidden or ``..`` names), length capped
    keeping the extension.
    """
    s = decode_header_text(name) if name else ""
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")
    s = re.sub(r'[<>:"|?*]', "_", s).strip().lstrip(".").strip()
    if not s:
        return default
    if len(s) > MAX_NAME_CHARS:
        stem, dot, ext = s.rpartition(".")
        ext = ext if dot and len(ext) <= 8 else ""
        s = (stem if dot else s)[: MAX_NAME_CHARS - len(ext) - 1] + ("." + ext if ext else "")
    return s


# messages -------------------------------------------------------------------------------------
def _parse(raw: bytes) -> Message:
    # compat32 keeps header values raw; decode_header_text does the decoding.
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _header(msg: Message, name: str) -> str:
    """A header's text; raw (surrogate-escaped) values are taken before the email package
    turns their 8-bit bytes into U+FFFD."""
    name = name.lower()
    raw = next((v for k, v in msg.raw_items() if k.lower() == name), None)
    return decode_header_text(raw if raw is None or isinstance(raw, str) else str(raw))


def _msg_date(msg: Message) -> datetime | None:
    v = _header(msg, "Date")
    if not v:
        return None
    try:
        d = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if d is None:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _param(part: Message, header: str, param: str):
    """A header parameter; raw 8-bit bytes in the header are decoded first (get_param
    alone would turn them into U+FFFD)."""
    raw = next((v for k, v in part.raw_items() if k.lower() == header), None)
    if raw is None:
        return None
    if not isinstance(raw, str) or any("\udc80" <= ch <= "\udcff" for ch in raw):
        text = decode_header_text(raw if isinstance(raw, str) else str(raw))
        tmp = Message()
        tmp[header] = text
        return tmp.get_param(param, header=header)
    return part.get_param(param, header=header)


def _part_filename(part: Message) -> str | None:
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        v = _param(part, header, param)
        if v:
            return decode_header_text(v)
    return None


def _is_workbook_part(part: Message, fname: str | None) -> bool:
    if fname and Path(fname).suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    ctype = part.get_content_type().lower()
    if ctype in SPREADSHEET_TYPES:
        return True
    if not (fname or ctype.startswith("application/")):
        return False  # the message text, inline pictures
    # a workbook under another name or none ("附件", "数据.dat", application/octet-stream)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return False
    return isinstance(data, bytes) and sniff(data[:MAX_FILE_BYTES]).spreadsheet


def _message_candidates(raw: bytes, origin: str, fallback_date: datetime | None,
                        scan: InboxScan) -> None:
    if len(raw) > MAX_MESSAGE_BYTES:
        scan.add(Candidate(
            name=origin, source=origin, data=None,
            refused=f"邮件 {origin} 太大（{size_text(len(raw))}，上限 {size_text(MAX_MESSAGE_BYTES)}），未读取"))
        return
    try:
        msg = _parse(raw)
    except Exception:  # the email package is lenient; this is truly unreadable input
        scan.notes.append(f"邮件 {origin} 的格式无法解析，已跳过")
        return
    sender_raw = _header(msg, "From")
    _, addr = email.utils.parseaddr(sender_raw)
    sender = sender_raw or None
    subject = _header(msg, "Subject") or None
    date = _msg_date(msg)
    basis = MAIL_TIME if date else FILE_TIME if fallback_date else None
    date = date or fallback_date
    mid = _header(msg, "Message-ID") or None
    found = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        fname = _part_filename(part)
        if not _is_workbook_part(part, fname):
            continue
        found += 1
        name = safe_name(fname)
        source = f"{origin} → {name}"
        common = dict(name=name, source=source, sender=sender, sender_addr=addr or None,
                      subject=subject, date=date, date_basis=basis, message_id=mid)
        if found > MAX_ATTACHMENTS:
            scan.add(Candidate(
                data=None, refused=f"邮件 {origin} 的工作簿附件超过 {MAX_ATTACHMENTS} 个，其余未读取", **common))
            break
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if not isinstance(data, bytes):
            scan.add(Candidate(
                data=None, refused=f"附件 {name}（{origin}）无法解码", **common))
            continue
        scan.add(Candidate(data=data, **common))
    if not found:
        who = f"（发件人 {sender}）" if sender else ""
        scan.notes.append(f"邮件 {origin}{who}没有 Excel 工作簿附件"
                          + (f"，主题“{subject}”" if subject else ""))


def _msg_file_candidates(path: Path, origin: str, scan: InboxScan) -> None:
    """An Outlook .msg file (OLE compound file), read with extract-msg."""
    import extract_msg

    try:
        m = extract_msg.openMsg(str(path))
    except Exception:
        scan.notes.append(f"Outlook 邮件 {origin} 已损坏或格式不支持，无法读取，已跳过")
        return
    try:
        sender_raw = decode_header_text(getattr(m, "sender", None) or "")
        _, addr = email.utils.parseaddr(sender_raw)
        if "@" not in (addr or ""):
            # PR_SENDER_SMTP_ADDRESS, then PR_SENDER_EMAIL_ADDRESS (may be an Exchange DN)
            for stream in ("__substg1.0_5D01", "__substg1.0_0C1F"):
                try:
                    v = (m.getStringStream(stream) or "").strip().strip("\x00")
                except Exception:
                    v = ""
                if "@" in v:
                    addr = v
                    sender_raw = f"{sender_raw} <{v}>" if sender_raw and v not in sender_raw else v
                    break
        subject = decode_header_text(getattr(m, "subject", None) or "") or None
        date = getattr(m, "date", None)
        basis = MAIL_TIME
        if isinstance(date, datetime):
            date = (date if date.tzinfo else date.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        else:
            date, basis = _file_date(path), FILE_TIME
        mid = getattr(m, "messageId", None)
        found = 0
        for att in getattr(m, "attachments", []) or []:
            fname = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or getattr(att, "name", None)
            data = getattr(att, "data", None)
            name = safe_name(str(fname)) if fname else "附件"
            if Path(name).suffix.lower() not in WORKBOOK_SUFFIXES and not (
                    isinstance(data, bytes) and sniff(data).spreadsheet):
                continue
            found += 1
            common = dict(name=name, source=f"{origin} → {name}", sender=sender_raw or None,
                          sender_addr=addr or None, subject=subject, date=date, date_basis=basis,
                          message_id=str(mid) if mid else None)
            if found > MAX_ATTACHMENTS:
                scan.add(Candidate(
                    data=None, refused=f"邮件 {origin} 的工作簿附件超过 {MAX_ATTACHMENTS} 个，其余未读取", **common))
                break
            if not isinstance(data, bytes):
                scan.add(Candidate(data=None, refused=f"附件 {name}（{origin}）无法读取", **common))
                continue
            scan.add(Candidate(data=data, **common))
        if not found:
            scan.notes.append(f"Outlook 邮件 {origin} 没有 Excel 工作簿附件")
    finally:
        try:
            m.close()
        except Exception:
            pass


# files and folders ------------------------------------------------------------------------------
def _file_date(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)


def _kind(path: Path) -> tuple[str, str | None]:
    """("workbook" | "eml" | "msg" | "mbox" | "other", what an "other" is): by the name
    first, by the content (``sniff``) for any other name or none."""
    suf = path.suffix.lower()
    if suf in WORKBOOK_SUFFIXES:
        return "workbook", None
    if suf == ".eml":
        return "eml", None
    if suf == ".msg":
        return "msg", None
    if suf in (".mbox", ".mbx"):
        return "mbox", None
    found = sniff(path)
    if found.spreadsheet or found.kind == "encrypted":
        return "workbook", None
    if found.kind in ("eml", "msg", "mbox"):
        return found.kind, None
    return "other", found.desc


def _is_maildir(p: Path) -> bool:
    return (p / "cur").is_dir() and (p / "new").is_dir()


def _label(path: Path, root: Path | None) -> str:
    if root is None:
        return path.name
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return path.name


def _read_capped(path: Path, cap: int) -> bytes | None:
    if path.stat().st_size > cap:
        return None
    with open(path, "rb") as f:
        return f.read(cap + 1)


def _scan_file(path: Path, root: Path | None, scan: InboxScan) -> None:
    kind, desc = _kind(path)
    label = _label(path, root)
    if kind == "workbook":
        name = safe_name(path.name)
        data = _read_capped(path, MAX_FILE_BYTES)
        if data is None:
            scan.add(Candidate(
                name=name, source=label, data=None, date=_file_date(path), date_basis=FILE_TIME,
                refused=f"文件 {label} 太大（{size_text(path.stat().st_size)}，上限 "
                        f"{size_text(MAX_FILE_BYTES)}），未读取"))
        else:
            scan.add(Candidate(name=name, source=label, data=data, date=_file_date(path), date_basis=FILE_TIME))
    elif kind == "eml":
        raw = _read_capped(path, MAX_MESSAGE_BYTES)
        if raw is None:
            scan.add(Candidate(name=safe_name(path.name), source=label, data=None,
                                             refused=f"邮件 {label} 太大，未读取"))
        else:
            _message_candidates(raw, label, _file_date(path), scan)
    elif kind == "msg":
        if path.stat().st_size > MAX_MESSAGE_BYTES:
            scan.add(Candidate(name=safe_name(path.name), source=label, data=None,
                                             refused=f"邮件 {label} 太大，未读取"))
        else:
            _msg_file_candidates(path, label, scan)
    elif kind == "mbox":
        _scan_mailbox(mailbox.mbox(str(path), create=False), label, _file_date(path), scan)
    else:  # pictures, Word documents …: not returns, but said, so nothing vanishes silently
        scan.notes.append(f"文件 {label} 不是工作簿或邮件（{desc or '未知格式'}），已跳过")


def _scan_mailbox(box: mailbox.Mailbox, label: str, fallback: datetime | None, scan: InboxScan) -> None:
    try:
        keys = sorted(box.keys(), key=str)
        for i, key in enumerate(keys, start=1):
            try:
                raw = box.get_bytes(key)
            except Exception:
                scan.notes.append(f"{label} 中的第 {i} 封邮件无法读取，已跳过")
                continue
            _message_candidates(raw, f"{label} 第{i}封", fallback, scan)
    finally:
        try:
            box.close()
        except Exception:
            pass


def scan_inbox(inputs: Iterable[str | os.PathLike],
               on_candidate: Callable[[Candidate], None] | None = None) -> InboxScan:
    """Every workbook candidate in the given files and folders, in a stable order.

    With ``on_candidate`` each candidate is handed over as soon as it is found (and not
    kept in the result)."""
    scan = InboxScan(on_candidate=on_candidate)
    for p in map(Path, inputs):
        if not p.exists():
            scan.notes.append(f"找不到 {p}，已跳过")
        elif p.is_dir():
            for kind, f in _walk(p):
                if kind == "maildir":
                    _scan_mailbox(mailbox.Maildir(str(f), factory=None, create=False),
                                  _label(f, p) if f != p else p.name, None, scan)
                else:
                    _scan_file(f, p, scan)
        else:
            _scan_file(p, None, scan)
    return scan


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """("file", path) under ``root`` (sorted, symlinks not followed) and ("maildir", path)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        dirnames.sort()
        if _is_maildir(d):
            dirnames[:] = []  # cur/new/tmp are read through the mailbox module
            yield "maildir", d
            continue
        for name in sorted(filenames):
            if name.startswith("~$"):
                continue  # Excel/WPS lock files beside an open workbook
            f = d / name
            if f.is_file() and not f.is_symlink():
                yield "file", f
