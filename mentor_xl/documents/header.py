"""Office settings (设置) and the parts every notice shares: 版头, 主送, 落款, 日期, 附件说明.

Office settings come from the 设置 sheet (``book.settings``; ``settings`` overrides it):
发文机关, 发文机关标志, 单位名称, 主送机关, 发文字号前缀, 文号 (or a whole 发文字号),
成文日期, 整改期限, 抄送, 印发机关.
"""
from __future__ import annotations

import datetime as _dt

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import text
from mentor_xl.documents.titles import balanced_title
from mentor_xl.packs import Pack
from mentor_xl.problems import FatalInputError


def merged_settings(book, settings: dict | None) -> dict[str, str]:
    merged = dict(getattr(book, "settings", None) or {})
    merged.update({k: v for k, v in (settings or {}).items() if v is not None})
    return {k: text(v) for k, v in merged.items()}


def doc_date(s: dict[str, str], date=None) -> _dt.date:
    if date is not None:
        return G._as_date(date)
    if s.get("成文日期"):
        try:
            return G._as_date(s["成文日期"])
        except ValueError:
            raise FatalInputError(f"设置表“成文日期”的值“{s['成文日期']}”无法识别为日期（如 2024年9月1日）") from None
    return _dt.date.today()


def issuer(s: dict[str, str], pack: Pack) -> str:
    return s.get("发文机关") or s.get("单位名称") or pack.issuer or pack.institution


def notice_header(s: dict[str, str], pack: Pack, *, title: str, attachment: str, date: _dt.date) -> dict:
    """The 公文 parts every notice shares (标志, 字号, 标题, 主送, 落款, 日期, 附件说明)."""
    org = issuer(s, pack)
    return {
        "发文机关标志": s.get("发文机关标志") or f"{org}文件",
        "发文字号": doc_number_or_fail(s, date.year),
        "标题": balanced_title(title),
        "主送机关": (s.get("主送机关") or "各学院").rstrip("：:"),
        "发文机关": org,
        "单位名称": s.get("单位名称") or org,
        "成文日期": G.cn_date(date),
        "附件名称": attachment,
        "制度名称": pack.name,
        "制度文号": f"（{pack.document}）" if pack.document else "",
    }


def doc_number_or_fail(s: dict[str, str], year: int) -> str:
    try:
        return G.doc_number(s, year)
    except G.DocNumberError as e:
        raise FatalInputError(f"设置表“文号”的值“{s.get('文号') or s.get('发文字号')}”有误：{e}") from None


def role_names(pack: Pack, section: str | None = None) -> str:
    roles = (pack.section(section).get("roles") if section else None) or list(pack.roles)
    return "、".join(roles)
