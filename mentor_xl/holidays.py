"""Statutory holidays (法定节假日) of mainland China for a 学年, for the 假期 sheet.

Source: the maintained ``chinesecalendar`` package (State Council notices; it covers
2004–2026 at the time of writing and raises NotImplementedError for later years — a
newer release adds the next year when the notice is published).

What counts as a holiday here (the 假期 sheet excludes these days from active days):
- every day the State Council gives off for a named holiday: the holiday itself, the
  days moved next to it by 调休 (e.g. 2025-05-05), and the weekend days inside the block
  (2024-10-05/06 of 国庆节) — chinesecalendar names all of them;
- NOT ordinary weekends: weekends are normal days in this product (a mentor can meet
  students on a Saturday), so an unnamed weekend next to a holiday (2024-06-08/09
  before 端午节 on 06-10) is not listed;
- NOT the 调休 make-up working days (a Saturday or Sunday declared a working day, e.g.
  2024-10-12): they are working days, and weekends are never excluded anyway, so
  nothing needs listing for them.
Consecutive holiday days form one range; a range spanning two holidays (中秋节 joined
to 国庆节 in 2023) is named with both, joined by 、.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import chinese_calendar

# chinesecalendar's Chinese names are short (中秋, 清明, 端午); notices say 中秋节 …
_FULL_NAME = {"中秋": "中秋节", "清明": "清明节", "端午": "端午节"}
_CHINESE = {h.value: _FULL_NAME.get(h.chinese, h.chinese) for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class HolidayRange:
    start: dt.date
    end: dt.date
    name: str  # Chinese, e.g. 国庆节


@dataclass
class YearHolidays:
    year: str  # 学年 "2024-2025"
    start: dt.date  # first day of the 学年 span looked at (08-01)
    end: dt.date  # last day (07-31)
    ranges: list[HolidayRange] = field(default_factory=list)
    covered: bool = True  # the holiday data covers the whole span
    message: str = ""  # Chinese; non-empty when not (fully) covered


def year_span(year: str) -> tuple[dt.date, dt.date]:
    """``"2024-2025"`` → (2024-08-01, 2025-07-31). Also accepts ``2024-2025学年`` and ``2024—2025``."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-－—–~至到/]\s*(\d{4})\s*(?:学年)?\s*", str(year))
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise ValueError(f"学年“{year}”格式不对，应写成 2024-2025（前后两年相连）")
    y1 = int(m.group(1))
    return dt.date(y1, 8, 1), dt.date(y1 + 1, 7, 31)


def current_year(today: dt.date | None = None) -> str:
    """The 学年 that holds ``today``: from August on it is this year's, before that last year's."""
    today = today or dt.date.today()
    y = today.year if today.month >= 8 else today.year - 1
    return f"{y}-{y + 1}"


def statutory_holidays(year: str) -> YearHolidays:
    """The statutory holiday ranges of 学年 ``year`` (see the module docstring for what counts)."""
    start, end = year_span(year)
    out = YearHolidays(year=f"{start.year}-{end.year}", start=start, end=end)
    days: list[tuple[dt.date, str]] = []
    uncovered: list[int] = []
    d = start
    while d <= end:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            if d.year not in uncovered:
                uncovered.append(d.year)
            d = dt.date(d.year + 1, 1, 1)  # the whole calendar year is missing
            continue
        if on_holiday and name:
            days.append((d, _CHINESE.get(name, name)))
        d += dt.timedelta(days=1)

    for day, name in days:
        last = out.ranges[-1] if out.ranges else None
        if last is not None and day == last.end + dt.timedelta(days=1):
            names = last.name.split("、")
            merged = last.name if name in names else f"{last.name}、{name}"
            out.ranges[-1] = HolidayRange(last.start, day, merged)
        else:
            out.ranges.append(HolidayRange(day, day, name))

    if uncovered:
        out.covered = False
        years = "、".join(f"{y}年" for y in uncovered)
        out.message = (f"节假日数据（chinesecalendar）尚未包含{years}的放假安排，"
                       f"{out.year}学年中这部分的法定节假日没有预填，请按国务院办公厅的放假通知自行填写"
                       f"（或升级 chinesecalendar 后重新生成）。")
    return out
