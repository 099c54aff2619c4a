"""Periods, windows and active days (policies.md, shared semantics).

Days are handled as integers (days since 1970-01-01) so that every computation over
subjects × periods is a numpy broadcast, never a Python loop over days.

- week: Monday–Sunday; biweek: pairs of weeks counted from the week that holds the
  term's first day; month: calendar month; term: the term's dates; year: the 学年, from
  the first day of its first term to the last day of its last term.
- A period is labelled by the ISO date of its own first day (unclipped).
- A period is *required* for a subject when its active days are at least half of the
  period's calendar days.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentor_xl.problems import FatalInputError

OPEN_START = -(10**7)  # an open 聘任开始/开始日期
OPEN_END = 10**7


def day(ts) -> int:
    """A date-like value as a day number."""
    return int(pd.Timestamp(ts).to_datetime64().astype("datetime64[D]").astype(np.int64))


def days(series: pd.Series, fill: int) -> np.ndarray:
    """A datetime64 Series as day numbers, NaT replaced by ``fill`` (an open end)."""
    arr = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = fill
    return out


def iso(d: int) -> str:
    return str(np.datetime64(int(d), "D"))


def timestamp(d: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(d), "D"))


@dataclass(frozen=True)
class Term:
    code: str
    start: int
    end: int
    year: str  # 学年, e.g. "2024-2025"
    year_start: int
    year_end: int


@dataclass(frozen=True)
class Year:
    code: str  # "2024-2025"
    start: int
    end: int
    terms: tuple[str, ...]  # its term codes, in date order


def _known(terms: pd.DataFrame | None) -> pd.DataFrame:
    if terms is None or "学期" not in getattr(terms, "columns", ()):
        return pd.DataFrame(columns=["学期", "开始日期", "结束日期", "_row"])
    return terms.dropna(subset=["学期", "开始日期", "结束日期"])


def _listing(known: pd.DataFrame) -> str:
    return "、".join(dict.fromkeys(known["学期"].astype(str))) or "（学期表为空）"


def term_code(text) -> str | None:
    """A 学期 code (2024-2025-1) from any spelling the 学期 sheet accepts (2024-2025学年第一学期,
    2024年秋季学期, full-width digits); None when it is not a term."""
    from mentor_xl.workbook.values import parse_term

    code = parse_term(text)
    return code if code is not None and code.count("-") == 2 else None


def year_code(text) -> str | None:
    """A 学年 code (2024-2025) from any spelling (2024-2025学年, 2024—2025, full-width); None otherwise."""
    from mentor_xl.workbook.values import parse_term

    if text is None or (isinstance(text, float) and text != text):
        return None
    code = parse_term(text)
    return code if code is not None and code.count("-") == 1 else None


def period_text(label) -> str:
    """A term or 学年 as a printed page's header says it (2024-2025-1学期, 2024-2025学年); other
    text as it is, none as ""."""
    if label is None:
        return ""
    if (code := term_code(label)) is not None:
        return f"{code}学期"
    if (code := year_code(label)) is not None:
        return f"{code}学年"
    return str(label).strip()


def find_term(terms: pd.DataFrame | None, code) -> Term:
    """THE term resolver: ``code`` in any accepted spelling (or a Term already resolved) against
    the 学期 frame, with its 学年 span. A term the sheet does not list is a FatalInputError
    naming the terms it has — never a fallback to today's date."""
    if isinstance(code, Term):
        return code
    known = _known(terms)
    want = term_code(code) or str(code).strip()
    row = known[known["学期"].astype(str) == want]
    if row.empty:
        raise FatalInputError(f"学期表中没有学期“{code}”。已登记的学期：{_listing(known)}")
    r = row.iloc[0]
    start, end = day(r["开始日期"]), day(r["结束日期"])
    if end < start:
        raise FatalInputError(f"学期“{want}”的结束日期早于开始日期（学期表第 {int(r['_row'])} 行）")
    year = want.rsplit("-", 1)[0]
    same = known[known["学期"].astype(str).str.startswith(year + "-")]
    return Term(want, start, end, year,
                int(days(same["开始日期"], OPEN_START).min()), int(days(same["结束日期"], OPEN_END).max()))


def find_year(terms: pd.DataFrame | None, text) -> Year:
    """The 学年 ``text`` (2024-2025, 2024-2025学年 …; a Year already resolved) against the 学期
    frame: from the first day of its first term to the last day of its last term."""
    if isinstance(text, Year):
        return text
    known = _known(terms)
    code = year_code(text)
    if code is None:
        raise FatalInputError(f"学年“{text}”无法识别，应写作 2024-2025。已登记的学期：{_listing(known)}")
    codes = year_terms(known, code)
    if not codes:
        raise FatalInputError(f"学期表中没有 {code} 学年的学期。已登记的学期：{_listing(known)}")
    same = known[known["学期"].astype(str).isin(codes)]
    return Year(code, int(days(same["开始日期"], OPEN_START).min()), int(days(same["结束日期"], OPEN_END).max()),
                tuple(codes))


def year_terms(terms: pd.DataFrame | None, year) -> list[str]:
    """The term codes of a 学年 (any spelling), in date order."""
    code = year_code(year) or str(year)
    known = _known(terms).sort_values(["开始日期", "学期"])
    return list(dict.fromkeys(t for t in known["学期"].astype(str) if t.startswith(f"{code}-")))


def term_before(terms: pd.DataFrame | None, term) -> Term | None:
    """The 学期 sheet's term that starts last before ``term`` starts; None when there is none."""
    t = find_term(terms, term)
    known = _known(terms)
    earlier = known[days(known["开始日期"], OPEN_START) < t.start]
    if earlier.empty:
        return None
    return find_term(terms, str(earlier.sort_values("开始日期")["学期"].iloc[-1]))


def previous_term(term: str, known: list[str]) -> str:
    """The term before ``term``: n-1 in the same 学年, else the last known term of the previous
    学年 (2 when none is known)."""
    y1, y2, n = int(term[:4]), int(term[5:9]), int(term[10:])
    if n > 1:
        return f"{y1}-{y2}-{n - 1}"
    prev = f"{y1 - 1}-{y2 - 1}"
    nums = [int(k[10:]) for k in known if isinstance(k, str) and k.startswith(prev + "-") and k[10:].isdigit()]
    return f"{prev}-{max(nums) if nums else 2}"


def periods(kind: str, term: Term) -> pd.DataFrame:
    """The periods of ``kind`` that overlap the rule's window, with their calendar days.

    Columns: label (ISO first day), start, end (inclusive day numbers), calendar_days.
    The window is the term, except for ``year`` (the 学年 span).
    """
    lo, hi = window(kind, term)
    if kind in ("term", "year"):
        starts = np.array([lo])
        ends = np.array([hi])
    elif kind in ("week", "biweek"):
        # 1970-01-01 was a Thursday: Monday of day d is d - (d + 3) % 7.
        step = 7 if kind == "week" else 14
        anchor = term.start - (term.start + 3) % 7
        first = anchor + ((lo - anchor) // step) * step
        starts = np.arange(first, hi + 1, step)
        ends = starts + step - 1
    elif kind == "month":
        m0 = np.datetime64(int(lo), "D").astype("datetime64[M]")
        m1 = np.datetime64(int(hi), "D").astype("datetime64[M]")
        months = np.arange(m0, m1 + 1)
        starts = months.astype("datetime64[D]").astype(np.int64)
        ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    else:
        raise ValueError(kind)
    return pd.DataFrame({
        "label": [iso(s) for s in starts], "start": starts.astype(np.int64),
        "end": ends.astype(np.int64), "calendar_days": (ends - starts + 1).astype(np.int64),
    })


def window(kind: str, term: Term) -> tuple[int, int]:
    return (term.year_start, term.year_end) if kind == "year" else (term.start, term.end)


class Holidays:
    """Excluded days (假期 sheet) with O(log n) counting over any day range."""

    def __init__(self, frame: pd.DataFrame | None):
        ds: list[np.ndarray] = []
        if frame is not None and len(frame):
            f = frame.dropna(subset=["开始日期"])
            s = days(f["开始日期"], OPEN_START)
            e = days(f["结束日期"].fillna(f["开始日期"]), OPEN_END)
            ds = [np.arange(a, b + 1) for a, b in zip(s, e) if b >= a and b - a < 400]
        self.days = np.unique(np.concatenate(ds)) if ds else np.array([], dtype=np.int64)

    def count(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Excluded days in [lo, hi] (inclusive), elementwise; 0 where hi < lo."""
        n = np.searchsorted(self.days, hi, "right") - np.searchsorted(self.days, lo, "left")
        return np.where(hi >= lo, n, 0)


def active_days(seg_lo: np.ndarray, seg_hi: np.ndarray, p_start: np.ndarray, p_end: np.ndarray,
                holidays: Holidays) -> np.ndarray:
    """Active days of each (segment, period) pair: the overlap less the excluded days in it.

    Segments are already clipped to the rule's window, appointment and assignment and must
    not overlap within one subject (see ``merge_segments``).
    """
    lo = np.maximum(seg_lo, p_start)
    hi = np.minimum(seg_hi, p_end)
    return np.where(hi >= lo, hi - lo + 1 - holidays.count(lo, hi), 0)


def merge_segments(seg: pd.DataFrame, key: str = "subject") -> pd.DataFrame:
    """Union overlapping or touching [lo, hi] segments per key (vectorised): ``key``, ``lo``,
    ``hi`` and the other columns as the first segment of each union has them."""
    if seg.empty:
        return seg
    k, lo, hi = (seg[c].to_numpy() for c in (key, "lo", "hi"))
    if not all(a.dtype.kind in "iu" for a in (k, lo, hi)):
        return _merge_segments_pandas(seg, key)
    order = np.lexsort((lo, k))  # stable, as sort_values(kind="stable")
    k, lo, hi = k[order], lo[order], hi[order]
    first = np.concatenate([[True], k[1:] != k[:-1]])
    # the running max of hi within each key, in one pass: each key's values lifted above the last's
    base = int(hi.min())
    lift = (np.cumsum(first) - 1) * (int(hi.max()) - base + 1)
    reach = np.maximum.accumulate(hi - base + lift) - lift + base
    new = first.copy()
    new[1:] |= lo[1:] > reach[:-1] + 1
    starts = np.flatnonzero(new)
    out = pd.DataFrame({key: k[starts], "lo": np.minimum.reduceat(lo, starts), "hi": np.maximum.reduceat(hi, starts)})
    rest = [c for c in seg.columns if c not in (key, "lo", "hi")]
    for c in rest:
        out[c] = seg[c].to_numpy()[order[starts]]
    return out


def _merge_segments_pandas(seg: pd.DataFrame, key: str) -> pd.DataFrame:
    seg = seg.sort_values([key, "lo"], kind="stable").reset_index(drop=True)
    reach = seg.groupby(key, sort=False)["hi"].cummax()
    prev_reach = reach.groupby(seg[key], sort=False).shift()
    new = prev_reach.isna() | (seg["lo"] > prev_reach + 1)
    grp = new.cumsum()
    out = seg.groupby(grp, sort=False).agg({key: "first", "lo": "min", "hi": "max"})
    rest = [c for c in seg.columns if c not in (key, "lo", "hi")]
    if rest:
        out = out.join(seg.groupby(grp, sort=False)[rest].first())
    return out.reset_index(drop=True)


def intersect_segments(appointments: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Appointment segments × assignment segments of the same staff member, intersected
    (rows that do not overlap keep hi < lo; callers drop them after clipping to a window)."""
    m = appointments.merge(links, on="staff", suffixes=("", "_a"))
    return m.assign(lo=np.maximum(m["lo"], m["lo_a"]), hi=np.minimum(m["hi"], m["hi_a"])).drop(columns=["lo_a", "hi_a"])


def staff_active_days(appointments: pd.DataFrame, links: pd.DataFrame, lo: int, hi: int,
                      holidays: Holidays) -> pd.Series:
    """Active days of each staff member in [lo, hi] (policies.md "Active days"): inside an
    appointment (a 撤销日期 already ends it), inside one of their assignments, not excluded.

    appointments, links: staff, lo, hi (day numbers, open ends as OPEN_START/OPEN_END).
    The same building blocks as the engine's subjects (intersect, clip, merge, count).
    """
    seg = intersect_segments(appointments[["staff", "lo", "hi"]], links[["staff", "lo", "hi"]])
    seg = pd.DataFrame({"subject": seg["staff"].to_numpy(), "lo": np.maximum(seg["lo"].to_numpy(), lo),
                        "hi": np.minimum(seg["hi"].to_numpy(), hi)})
    seg = merge_segments(seg[seg["hi"] >= seg["lo"]])
    if seg.empty:
        return pd.Series(dtype=np.int64)
    n = active_days(seg["lo"].to_numpy(), seg["hi"].to_numpy(), np.int64(lo), np.int64(hi), holidays)
    return pd.Series(n, index=seg["subject"].to_numpy()).groupby(level=0).sum()


def overlaps(lo: np.ndarray, hi: np.ndarray, start: int, end: int) -> np.ndarray:
    """Segments that share at least one day with [start, end]."""
    return (np.asarray(hi) >= start) & (np.asarray(lo) <= end)
