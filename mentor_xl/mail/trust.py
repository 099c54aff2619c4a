"""Which returns the office can trust: signed stamps, sent collections, known senders.

Everything that arrives by mail is untrusted; the office workbook's folder is trusted. In it
``collect`` keeps two files beside the office workbook (never inside a collection workbook):

- ``KEY_FILE``: a random 256-bit key, made on the first ``collect``. Every stamp is signed
  with it (HMAC-SHA256 over the stamp's fields), so a stamp cannot be edited (re-stamping
  物理学院's workbook as 计算机学院's) or made up without the key;
- ``REGISTER_FILE``: every collection sent (collection id, recipient, term, addresses).

``ingest`` then applies, per returned workbook (``Trust.admit``):
1. header values that could forge mail headers (CR/LF in Message-ID or From) → refused;
2. a mail Date after the processing time → capped to the processing time (a return dated
   2099 would otherwise supersede every later genuine one);
3. a version-1 stamp (unkeyed) or a wrong signature → refused; no key file → held;
4. a collection id not in the register → refused (no register → held);
5. a mail from an address that is not the recipient's (人员 邮箱, 设置 “<学院>联系邮箱”, or the
   address the collection was sent to) → held until the office confirms it;
and after deciding which return counts (``hold_mass_deletions``):
6. a return that would delete more than ``max_deletions`` of the recipient's merged rows →
   held until the office confirms it.
A held return is not merged and is not remembered as seen: confirmed with its code
(``ingest(confirm=[code])``, CLI ``--confirm``), the next run takes it. Each outcome lists
the checks that applied (``FileOutcome.checks``) for the report and the JSON.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pandas as pd

from mentor_xl.mail.decide import as_utc, decide
from mentor_xl.mail.ledger import MergePlan, plan_merge
from mentor_xl.mail.stamp import LEGACY_VERSION, Stamp
from mentor_xl.problems import FatalInputError

KEY_FILE = "mentor_xl收集密钥-勿外发.key"
REGISTER_FILE = "mentor_xl收集登记.json"
DEFAULT_MAX_DELETIONS = 50
HELD = "held"
HELD_ZH = "待确认"
CODE_LEN = 12  # hex characters of the file's SHA-256 that confirm it
_SIG_LEN = 32  # hex characters of the HMAC kept in the stamp (128 bits; the property is short)
_HEADER_BREAK = re.compile(r"[\r\n\x00]")
SIGNED, REGISTERED, KNOWN_SENDER, LOCAL_FILE = (
    "收集标记签名有效", "收集编号已登记", "发件人是收集对象的登记邮箱", "本地文件（非邮件），未核对发件人")
ROUTINE_CHECKS = frozenset({SIGNED, REGISTERED, KNOWN_SENDER, LOCAL_FILE})  # what every genuine return passes


# the key -----------------------------------------------------------------------------------------
def key_path(book: str | os.PathLike) -> Path:
    return Path(book).resolve().parent / KEY_FILE


def register_path(book: str | os.PathLike) -> Path:
    return Path(book).resolve().parent / REGISTER_FILE


def office_key(book: str | os.PathLike, *, create: bool = False) -> bytes | None:
    """The office's key (beside ``book``); made when ``create`` and there is none yet."""
    path = key_path(book)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        key = secrets.token_bytes(32)
        try:  # O_EXCL: two collects at once never make two keys
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return office_key(book)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        return key
    except (OSError, UnicodeDecodeError):
        raise FatalInputError(f"收集密钥文件 {KEY_FILE} 无法读取，请检查文件权限") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise FatalInputError(f"收集密钥文件 {KEY_FILE} 已损坏（内容不是密钥），请从备份恢复")
    return key


def signature(stamp: Stamp, key: bytes) -> str:
    return hmac.new(key, stamp.payload(), hashlib.sha256).hexdigest()[:_SIG_LEN]


def sign(stamp: Stamp, key: bytes) -> Stamp:
    return replace(stamp, signature=signature(stamp, key))


# the register of what was sent -------------------------------------------------------------------
def read_register(book: str | os.PathLike) -> dict[str, dict] | None:
    """collection id → what was sent; None when there is no register."""
    path = register_path(book)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(e["collection_id"]): e for e in data.get("collections", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise FatalInputError(f"收集登记文件 {REGISTER_FILE} 无法读取，请从备份恢复") from None


def register_collections(book: str | os.PathLike, entries: Iterable[dict]) -> Path:
    """Add the collections just sent to the register beside ``book`` (written atomically)."""
    from mentor_xl.safe import atomic_write

    known = read_register(book) or {}
    for e in entries:
        known[str(e["collection_id"])] = e
    text = json.dumps({"collections": list(known.values())}, ensure_ascii=False, indent=1)
    return atomic_write(register_path(book), lambda tmp: tmp.write_text(text, encoding="utf-8"),
                        backup=False)


def confirm_code(digest: str | None) -> str | None:
    return digest[:CODE_LEN] if digest else None


def _addresses(text) -> list[str]:
    return [a.strip().casefold() for a in re.split(r"[;；,，\s]+", str(text or "")) if "@" in a]


def header_safe(value: str | None) -> bool:
    return value is None or not _HEADER_BREAK.search(str(value))


# the checks ----------------------------------------------------------------------------------------
class Trust:
    """The office's trust decisions for one ingest run (see the module doc)."""

    def __init__(self, book: str | os.PathLike, office, *, now: datetime,
                 confirm: Iterable[str] = (), max_deletions: int | None = DEFAULT_MAX_DELETIONS):
        self.key = office_key(book)
        self.register = read_register(book)
        self.office = office
        self.now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        self.confirmed = {c.strip().lower() for c in confirm if c and c.strip()}
        self.max_deletions = max_deletions

    # one candidate, right after its stamp was read
    def admit(self, stamp: Stamp, c, o) -> bool:
        """Check ``stamp`` of candidate ``c``; True when ``o`` was refused or held (stop there)."""
        o.confirm_code = confirm_code(o.digest)
        if not (header_safe(c.message_id) and header_safe(c.sender) and header_safe(c.sender_addr)):
            return _stop(o, "refused", f"文件 {c.source} 所在邮件的邮件头（Message-ID 或发件人）含有换行符，"
                                       "可能是伪造的邮件，未合并")
        if o.date is not None and as_utc(o.date) > as_utc(self.now):
            o.checks.append(f"邮件日期 {o.date:%Y-%m-%d %H:%M} 晚于处理时间，已按处理时间计")
            o.date = self.now
        if stamp.version == LEGACY_VERSION:
            return _stop(o, "refused", f"文件 {c.source} 的收集标记是旧版（没有签名，无法确认来源），未合并。"
                                       "请向对方重新发送新生成的收集表")
        if self.key is None:
            return _stop(o, HELD, f"找不到收集密钥文件 {KEY_FILE}（应在办公室工作簿所在文件夹，由 collect 生成），"
                                  "无法核验收集标记。请把该文件放回后重新运行")
        if not hmac.compare_digest(stamp.signature, signature(stamp, self.key)):
            return _stop(o, "refused", f"文件 {c.source} 的收集标记被改动过（校验不符，签名不是本单位的），"
                                       "请使用原始收集表重新填写")
        o.checks.append(SIGNED)
        if self.register is None:
            return _stop(o, HELD, f"找不到收集登记文件 {REGISTER_FILE}（应在办公室工作簿所在文件夹，由 collect 生成），"
                                  "无法核对收集编号。请把该文件放回后重新运行")
        sent = self.register.get(stamp.collection_id)
        if sent is None or sent.get("recipient") != stamp.recipient or sent.get("term") != stamp.term:
            return _stop(o, "refused", f"文件 {c.source} 的收集编号 {stamp.collection_id} 不在本单位的发送登记中，未合并")
        o.checks.append(REGISTERED)
        expected = self.addresses(stamp, sent)
        # Replies go where the collection went; the roster only when it went nowhere.
        o.reply_to = [a.casefold() for a in sent.get("emails", []) if "@" in str(a)] or expected
        if c.sender_addr is None:
            o.checks.append(LOCAL_FILE)
        elif c.sender_addr.strip().casefold() in expected:
            o.checks.append(KNOWN_SENDER)
        elif o.confirm_code in self.confirmed:
            o.checks.append(f"发件人 {c.sender_addr} 不是收集对象的登记邮箱，已由办公室确认")
        else:
            known = "、".join(expected) or "（人员表中没有邮箱）"
            return _stop(o, HELD, f"发件人 {c.sender_addr} 不是{stamp.recipient}的登记邮箱（{known}），"
                                  f"暂不合并。核对无误后用 --confirm {o.confirm_code} 重新运行")
        return False

    def addresses(self, stamp: Stamp, sent: dict | None = None) -> list[str]:
        """The recipient's own addresses: what it was sent to, its staff's 邮箱, the 设置 contact."""
        out = [a.casefold() for a in (sent or {}).get("emails", []) if "@" in str(a)]
        staff = self.office.frame("人员")
        if stamp.by in staff.columns and "邮箱" in staff.columns:
            mine = staff.loc[staff[stamp.by].astype("string") == stamp.recipient, "邮箱"].dropna()
            out += [a for v in mine for a in _addresses(v)]
        if stamp.by == "学院":
            out += _addresses(self.office.settings.get(f"{stamp.recipient}联系邮箱"))
        return list(dict.fromkeys(out))

    # after decide(): which accepted return would delete too much
    def hold_mass_deletions(self, outcomes: list, office_log: pd.DataFrame, ledger: pd.DataFrame,
                            types: dict[str, str] | None = None) -> MergePlan | None:
        """Hold each accepted return that deletes more than ``max_deletions`` rows, unconfirmed.

        Returns it superseded are decided again without it, so a held forgery cannot push out
        a genuine return of the same run. Returns the merge plan of the returns still accepted
        (None when there is no limit).
        """
        if self.max_deletions is None:
            return None
        while True:
            accepted = [o for o in outcomes if o.status == "accepted"]
            plan = plan_merge(office_log, accepted, types)  # sets rows_removed on each
            big = [o for o in accepted if o.rows_removed > self.max_deletions
                   and o.confirm_code not in self.confirmed]
            for o in accepted:
                if o.rows_removed > self.max_deletions and o not in big:
                    o.checks.append(f"删除 {o.rows_removed} 行，已由办公室确认")
            if not big:
                return plan
            keys = set()
            for o in big:
                _stop(o, HELD, f"这份回复会删除{o.recipient}已合并的 {o.rows_removed} 行（超过 {self.max_deletions} 行），"
                               f"暂不合并。核对无误后用 --confirm {o.confirm_code} 重新运行")
                o.rows_added = o.rows_removed = o.rows_unchanged = 0
                keys.add((o.recipient_key, o.term))
            again = [o for o in outcomes if o.status == "superseded" and (o.recipient_key, o.term) in keys]
            for o in again:
                o.status, o.reason = "pending", None
            decide(again, ledger)

    @staticmethod
    def ledger_view(ledger: pd.DataFrame) -> pd.DataFrame:
        """The ledger as ``decide`` should see it.

        Without held files: a held file is not "seen", so it can be confirmed later. With every
        收件时间 capped at its 处理时间: a return merged before dates were capped (dated 2099)
        must not make every genuine return look older than it.
        """
        if "状态" not in ledger.columns:
            return ledger
        view = ledger[ledger["状态"].astype("string") != HELD_ZH].reset_index(drop=True)
        if {"收件时间", "处理时间"} <= set(view.columns) and len(view):
            got = view["收件时间"].map(as_utc)
            done = view["处理时间"].map(_local_or_none)
            late = [g is not None and d is not None and g > d for g, d in zip(got, done)]
            if any(late):
                view = view.copy()
                view.loc[late, "收件时间"] = [d.isoformat() for d, x in zip(done, late) if x]
        return view


def _local_or_none(v) -> pd.Timestamp | None:
    """处理时间 is written as local time (Asia/Shanghai) without a zone."""
    try:
        ts = pd.Timestamp(v) if v not in (None, "") else None
    except (ValueError, TypeError):
        return None
    if ts is None or ts is pd.NaT:
        return None
    return (ts.tz_localize("Asia/Shanghai") if ts.tzinfo is None else ts).tz_convert("UTC")


def _stop(o, status: str, reason: str) -> bool:
    o.status, o.reason = status, reason
    return True
