"""GB/T 9704-2012 (党政机关公文格式) in numbers, and the formatters its rules need.

Page set-up, fonts and sizes are data here so the template builder and the tests
read the same values (spec/gbt9704.md).
"""
from __future__ import annotations

import datetime as _dt
import re

# --- page -------------------------------------------------------------------------------
MM = 1440 / 25.4  # twips per millimetre
PAGE_W_MM, PAGE_H_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 37, 35
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 28, 26
TEXT_W_MM = PAGE_W_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156: the 版心 width
TEXT_H_MM = PAGE_H_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# 225 mm / 22 lines = 28.97 pt a line; Word stores the pitch in twips.
LINE_PITCH_TWIPS = int(TEXT_H_MM * MM / LINES_PER_PAGE)  # 579
# 28 characters of 三号 (16 pt) need 448 pt but the 版心 is 442 pt wide: GB/T's grid squeezes
# the pitch to 15.79 pt. Word does that with a character grid (linesAndChars + charSpace), but
# LibreOffice then gives each 16 pt character two grid cells (17 a line). A line grid plus
# characters condensed by 0.25 pt (15.75 pt pitch) gives 28 a line in Word, WPS and LibreOffice.
CHAR_PITCH_PT = TEXT_W_MM / 25.4 * 72 / CHARS_PER_LINE  # 15.79
CONDENSE_TWENTIETHS = -5  # w:spacing of a run, in 1/20 pt
# Page number: 7 mm below the 版心; the footer's lower edge sits one 14 pt line (≈ 6 mm) lower.
FOOTER_MM = MARGIN_BOTTOM_MM - 7 - 6

# --- fonts (the names offices' Word/WPS know; LibreOffice substitutes Noto CJK) ----------
XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"
LATIN = "Times New Roman"
RED = "FF0000"

# 字号 → points
SIZE = {"初号": 42, "小初": 36, "一号": 26, "小一": 24, "二号": 22, "小二": 18, "三号": 16,
        "小三": 15, "四号": 14, "小四": 12, "五号": 10.5}


def mm_twips(mm: float) -> int:
    return round(mm * MM)


# --- 发文字号 ----------------------------------------------------------------------------
class DocNumberError(ValueError):
    """A 发文字号 that breaks GB/T 9704 and cannot be repaired without guessing."""


_BRACKETS = "〔［[（(【"
_CLOSE = "〕］]）)】"
_FULL_NUMBER = re.compile(
    rf"^\s*(?P<prefix>[^{re.escape(_BRACKETS)}]*?)\s*[{re.escape(_BRACKETS)}]\s*(?P<year>\d+)\s*"
    rf"[{re.escape(_CLOSE)}]\s*第?\s*(?P<num>\d+)\s*号?\s*$")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def format_doc_number(prefix: str, year: int | str, number: int | str) -> str:
    """``学工〔2024〕12号``: full year in 〔〕, no 第, no leading zeros, ends in 号 (GB/T 9704 7.2.4)."""
    prefix = (prefix or "").strip()
    y = str(year).translate(_DIGITS).strip()
    n = str(number).translate(_DIGITS).strip().removeprefix("第").removesuffix("号").strip()
    if not re.fullmatch(r"\d{4}", y):
        raise DocNumberError(f"发文字号的年份“{year}”应写全四位（如 2024）")
    if not re.fullmatch(r"\d+", n) or int(n) == 0:
        raise DocNumberError(f"发文字号的序号“{number}”应为正整数（如 12）")
    if not prefix:
        raise DocNumberError("发文字号缺少机关代字（设置表“发文字号前缀”，如 学工）")
    return f"{prefix}〔{y}〕{int(n)}号"


def normalise_doc_number(text: str) -> str:
    """Repair a typed 发文字号 (``学工[2024]012号`` → ``学工〔2024〕12号``); DocNumberError if it cannot."""
    m = _FULL_NUMBER.match(str(text).translate(_DIGITS))
    if not m:
        raise DocNumberError(f"发文字号“{text}”无法识别，应写成 机关代字〔年份〕序号号，如 学工〔2024〕12号")
    return format_doc_number(m["prefix"], m["year"], m["num"])


def doc_number(settings: dict, year: int) -> str:
    """The 发文字号 from the 设置 sheet: 文号 is either the whole 字号 or just the serial number.

    Empty string when the office has set no 文号 (the line stays blank for hand filling).
    """
    raw = str(settings.get("文号") or settings.get("发文字号") or "").strip()
    if not raw:
        return ""
    if re.fullmatch(r"第?\s*[0-9０-９]+\s*号?", raw):
        return format_doc_number(str(settings.get("发文字号前缀") or ""), year, raw)
    return normalise_doc_number(raw)


# --- dates -------------------------------------------------------------------------------
def cn_date(d) -> str:
    """``2024年9月1日``: Arabic numerals, full year, no leading zeros (GB/T 9704 7.3.5.1)."""
    d = _as_date(d)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_month(d) -> str:
    d = _as_date(d)
    return f"{d.year}年{d.month}月"


def _as_date(d) -> _dt.date:
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    if hasattr(d, "to_pydatetime"):  # pandas Timestamp
        return d.to_pydatetime().date()
    if isinstance(d, str):
        from mentor_xl.workbook.values import parse_date_scalar
        ts = parse_date_scalar(d)
        if ts is None:
            raise ValueError(f"无法识别的日期“{d}”")
        return ts.date()
    raise TypeError(f"not a date: {d!r}")
