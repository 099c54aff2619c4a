"""Office settings (设置) and the parts every notice shares: 版头, 主送, 落款, 日期, 附件说明.

Office settings come from the 设置 sheet (``book.settings``; ``settings`` overrides it):
发文机关, 发文机关标志, 单位名称, 主送机关, 发文字号前缀, 文号 (or a whole 发文字号),
成文日期, 整改期限, 抄送, 印发机关.
"""
from __future__ import annotations

import datetime as _dt

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import text
from mentor_xl.documents.titles import balanced_title, width
from mentor_xl.documents.wording import wording
from mentor_xl.packs import Pack
from mentor_xl.problems import FatalInputError


def merged_settings(book, settings: dict | None) -> dict[str, str]:
    """Every 设置 row (the office's own ones too) with ``settings`` on top, as text."""
    merged = dict(getattr(book, "settings", None) or {})
    merged.update({k: v for k, v in (settings or {}).items() if v is not None})
    return {str(k): text(v) for k, v in merged.items()}


def with_settings(ctx: dict, s: dict[str, str]) -> dict:
    """The context plus every 设置 row: ``{{ 联系人 }}`` works in an office's template without
    code (rows whose name is not a template name stay reachable as ``{{ 设置["考核权重-合规率"] }}``).
    What the document computes wins over a 设置 row of the same name."""
    rows = {k: v for k, v in s.items() if k.isidentifier() and k not in ctx}
    return {**rows, "设置": dict(s), **ctx}


def doc_date(s: dict[str, str], date=None) -> _dt.date:
    """成文日期: ``--date``, else 设置's 成文日期, else today."""
    told = told_date(s, date)
    return told if told is not None else _dt.date.today()


def told_date(s: dict[str, str], date=None) -> _dt.date | None:
    """The date the office gave (``--date`` or 设置's 成文日期), or None."""
    if date is not None:
        try:
            return G._as_date(date)
        except (TypeError, ValueError):
            raise FatalInputError(f"日期“{date}”无法识别（如 2024年9月1日 或 2024-09-01）") from None
    if s.get("成文日期"):
        try:
            return G._as_date(s["成文日期"])
        except ValueError:
            raise FatalInputError(f"设置表“成文日期”的值“{s['成文日期']}”无法识别为日期（如 2024年9月1日）") from None
    return None


def last_working_day(start, end, holidays=None) -> _dt.date:
    """The last day in [start, end] that is neither a weekend nor in the 假期 sheet."""
    import pandas as pd
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    ok = days.day_of_week < 5
    if holidays is not None and len(holidays):
        h = holidays.dropna(subset=["开始日期"])
        for a, b in zip(h["开始日期"], h["结束日期"].fillna(h["开始日期"])):  # a few ranges a year
            ok &= ~((days >= a) & (days <= b))
    picked = days[ok]
    return (picked[-1] if len(picked) else days[-1]).date()


def issuer(s: dict[str, str], pack: Pack) -> str:
    return s.get("发文机关") or s.get("单位名称") or pack.issuer or pack.institution


def signature(org: str, date: _dt.date, *, seal: bool = False) -> dict[str, str]:
    """署名 and 成文日期 lines, padded with spaces from the left margin (GB/T 9704 7.3.5).

    Without a seal the signer is right-indented two characters and the date starts two
    characters right of the signer's first character; a date longer than that is itself
    right-indented two characters and the signer moves left to keep the two-character step.
    With a seal the date is right-indented four characters and the signer centred over it.
    Widths count a CJK character as 1 and a digit as 1/2 (Times New Roman digits).
    """
    day = G.cn_date(date)
    ws, wd, line = width(org), width(day), G.CHARS_PER_LINE
    if seal:
        date_start = line - 4 - wd
        sign_start = date_start + (wd - ws) / 2
    elif ws - wd >= 2:
        sign_start = line - 2 - ws
        date_start = sign_start + 2
    else:
        date_start = line - 2 - wd
        sign_start = date_start - 2
    return {"落款署名": _pad(max(sign_start, 0)) + org, "落款日期": _pad(max(date_start, 0)) + day}


def _pad(chars: float) -> str:
    """Full-width spaces, plus an en space (half a character) for a half."""
    whole = int(chars)
    return "\u3000" * whole + ("\u2002" if chars - whole >= 0.5 else "")


def colophon(s: dict[str, str], org: str, date: _dt.date) -> dict[str, str]:
    """版记: 抄送 (may be empty: the line is left out), 印发机关 and 印发日期 (GB/T 9704 7.4)."""
    cc = s.get("抄送", "").strip().rstrip("。.")
    return {"抄送": cc, "印发机关": s.get("印发机关") or org, "印发日期": G.cn_date(date)}


ATTACHMENT_LINE = G.CHARS_PER_LINE - 2 - 3  # indent and 附件：


def notice_header(s: dict[str, str], pack: Pack, *, title, attachment, date: _dt.date,
                  seal: bool = False) -> dict:
    """The 公文 parts every notice shares: 版头, 标题, 主送, 附件说明, 落款, 版记.

    ``title`` and ``attachment`` are lists of segments (never broken inside one).
    """
    org = issuer(s, pack)
    att = "".join(attachment)
    return {
        "发文机关标志": s.get("发文机关标志") or f"{org}文件",
        "发文字号": doc_number_or_fail(s, date.year),
        "标题": balanced_title(title),
        "主送机关": (s.get("主送机关") or wording(pack, "addressee")).rstrip("：:"),
        "发文机关": org,
        "单位名称": s.get("单位名称") or org,
        "成文日期": G.cn_date(date),
        # 附件说明 wraps under the name's first character: 23 characters a line after 附件：
        "附件名称": balanced_title(attachment, per_line=ATTACHMENT_LINE) if width(att) > ATTACHMENT_LINE else att,
        "附件标题": balanced_title(attachment),
        "制度名称": pack.name,
        "制度文号": f"（{pack.document}）" if pack.document else "",
        "用印": bool(seal),
        **signature(org, date, seal=seal),
        **colophon(s, org, date),
    }


def doc_number_or_fail(s: dict[str, str], year: int) -> str:
    try:
        return G.doc_number(s, year)
    except G.DocNumberError as e:
        raise FatalInputError(f"设置表“文号”的值“{s.get('文号') or s.get('发文字号')}”有误：{e}") from None


def role_names(pack: Pack, roles=None) -> str:
    return "、".join(roles or list(pack.roles))
