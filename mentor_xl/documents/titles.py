"""Long 公文 titles broken into balanced lines (GB/T 9704: 梯形/菱形)."""
from __future__ import annotations


def _width(s: str) -> float:
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in s)


def balanced_title(title: str, per_line: float = 19.5) -> str:
    """Break a long 公文 title into lines of similar length (GB/T 9704: 梯形/菱形, not a
    one-character last line); never inside a run of digits/Latin letters such as 2024-2025."""
    total = _width(title)
    if total <= per_line:
        return title
    lines_n = int(-(-total // per_line))
    out, rest = [], title
    for i in range(lines_n - 1):
        target = _width(rest) / (lines_n - i)
        best, best_d = None, None
        for k in range(1, len(rest)):
            if rest[k - 1].isascii() and rest[k].isascii() and (rest[k - 1].isalnum() or rest[k - 1] == "-"):
                continue  # keep 2024-2025, T001 … whole
            w = _width(rest[:k])
            if w > per_line:
                break
            d = abs(w - target) - (2.0 if rest[k - 1] in "年期、，的" else 0.0)  # natural break points
            if best_d is None or d < best_d:
                best, best_d = k, d
        if best is None:
            break
        out.append(rest[:best])
        rest = rest[best:]
    return "\n".join(out + [rest])
