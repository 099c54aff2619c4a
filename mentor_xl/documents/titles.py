"""Long 公文 titles broken into balanced lines (GB/T 9704: 梯形/菱形), never inside a word.

A title is given as its segments (``["关于公布", "2024-2025学年", "本科生导师", "考核结果的通知"]``):
lines break only between segments, so 本科生导师 or 2024-2025 is never cut. A segment wider
than a line is cut at its 、 and, only as a last resort, between two characters. No line is
a single character, and the lines are as even as the segments allow.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

PER_LINE = 19.5  # 二号 (22 pt) characters in the 156 mm 版心, keeping half a character spare


def width(s: str) -> float:
    """Width in full-width characters: CJK 1, ASCII (digits, Latin, -) 0.5."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in s)


def _pieces(segments: Sequence[str], per_line: float) -> list[str]:
    out: list[str] = []
    for seg in segments:
        if not seg:
            continue
        if width(seg) <= per_line:
            out.append(seg)
            continue
        parts = [p + "、" for p in seg.split("、")]
        parts[-1] = parts[-1][:-1]
        for p in parts:
            if width(p) <= per_line:
                out.append(p)
            else:  # one unbreakable run longer than a line: characters (digits kept in pairs)
                out.extend(p)
    return out


def balanced_title(title: str | Sequence[str], per_line: float = PER_LINE) -> str:
    """The title with ``\\n`` between lines; a plain string is one segment per character
    except runs of ASCII (2024-2025, T001), which stay whole."""
    if isinstance(title, str):
        segs, run = [], ""
        for ch in title:
            if ch.isascii():
                run += ch
                continue
            if run:
                segs.append(run)
                run = ""
            segs.append(ch)
        if run:
            segs.append(run)
    else:
        segs = list(title)
    pieces = _pieces(segs, per_line)
    text = "".join(pieces)
    total = width(text)
    if total <= per_line:
        return text
    widths = [width(p) for p in pieces]
    n = len(pieces)
    lines_n = int(-(-total // per_line))

    @lru_cache(maxsize=None)
    def best(i: int, k: int) -> tuple[float, tuple[int, ...]]:
        """Lowest cost of laying pieces[i:] on k lines: (cost, break positions)."""
        if k == 1:
            w = sum(widths[i:])
            if w > per_line or len("".join(pieces[i:])) < 2:
                return float("inf"), ()
            return (w - total / lines_n) ** 2, ()
        result: tuple[float, tuple[int, ...]] = (float("inf"), ())
        w = 0.0
        for j in range(i + 1, n):
            w += widths[j - 1]
            if w > per_line:
                break
            if len("".join(pieces[i:j])) < 2:
                continue
            rest, cuts = best(j, k - 1)
            cost = (w - total / lines_n) ** 2 + rest
            if cost < result[0]:
                result = (cost, (j, *cuts))
        return result

    for k in range(lines_n, lines_n + 3):
        cost, cuts = best(0, k)
        if cost != float("inf"):
            bounds = (0, *cuts, n)
            return "\n".join("".join(pieces[a:b]) for a, b in zip(bounds[:-1], bounds[1:]))
    return text
