"""Values as document text: blanks, numbers, percentages, terms, periods, shortfalls."""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.packs.measures import MEASURES


def text(v: Any) -> str:
    """Cell value as document text: blanks (None/NaN/NA/NaT) → ''."""
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(v, (list, tuple)):
        return "、".join(t for t in (text(x) for x in v) if t)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return str(v).strip()


def number(v: Any, places: int = 2) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.{places}f}".rstrip("0").rstrip(".")


def text_series(s: pd.Series) -> pd.Series:
    """Vectorised ``text`` for a column of text/ids (blanks → '')."""
    return s.astype(object).where(s.notna(), "").astype(str).str.strip()


def number_series(s: pd.Series, places: int = 2) -> pd.Series:
    """Vectorised ``number``: 2.0 → '2', 1.25 → '1.25', NaN → ''."""
    f = pd.to_numeric(s, errors="coerce").round(places)
    out = f.astype(str).str.replace(r"\.0$", "", regex=True)
    return out.where(f.notna(), "")


def percent(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{float(v) * 100:.1f}%"


_CN_NUM = {"1": "一", "2": "二", "3": "三", "4": "四"}


def term_label(code: str) -> str:
    """``2024-2025-1`` → ``2024-2025学年第一学期``; a 学年 ``2024-2025`` → ``2024-2025学年``."""
    m = re.fullmatch(r"(\d{4}-\d{4})-(\d)", str(code))
    if m:
        return f"{m[1]}学年第{_CN_NUM.get(m[2], m[2])}学期"
    m = re.fullmatch(r"\d{4}-\d{4}", str(code))
    return f"{code}学年" if m else str(code)


def period_label(iso: str, period: str) -> str:
    """A period (labelled by its first day) in words: 2024年10月, 2024年9月2日—9月8日 …"""
    d = pd.Timestamp(iso)
    if period == "month":
        return G.cn_month(d)
    if period in ("week", "biweek"):
        # The term names the year; a week reads 10月7日—13日 (spans a month/year end: 12月30日—1月5日).
        end = d + pd.Timedelta(days=6 if period == "week" else 13)
        tail = f"{end.day}日" if end.month == d.month else f"{end.month}月{end.day}日"
        return f"{d.month}月{d.day}日—{tail}"
    return {"term": "本学期", "year": "本学年"}.get(period, G.cn_date(d))


def shortfall_text(measure: str, shortfall: Any) -> str:
    """What a missed period lacks, in the measure's own wording (packs.measures)."""
    m = MEASURES.get(measure)
    return m.shortfall(shortfall) if m is not None else "未达标"


def score(v: Any) -> str:
    """A score as published: always two decimals (92.46, 90.00); blank when there is none."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{float(v):.2f}"


_CLAUSE = re.compile(r"^(?P<art>[一二三四五六七八九十百]+)[.、．]?\s*(?:[（(](?P<par>[一二三四五六七八九十]+)[）)])?"
                     r"[.、．]?\s*(?P<item>[0-9０-９][0-9０-９.．]*)?[)）]?$")


def clause_label(clause: str, units=("条", "款", "项")) -> str:
    """A pack's clause code in Chinese form: 四 → 第四条, 五.(五) → 第五条第（五）款,
    二(一)2.2) → 第二条第（一）款第2.2项; anything else (工作记录表) is returned as written."""
    c = str(clause or "").strip()
    m = _CLAUSE.match(c)
    if not c or not m:
        return c
    out = f"第{m['art']}{units[0]}"
    if m["par"]:
        out += f"第（{m['par']}）{units[1]}"
    if m["item"]:
        out += f"第{m['item'].rstrip('.．')}{units[2]}"
    return out
