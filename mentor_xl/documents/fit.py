"""Table columns sized to what was rendered into them, so that IDs, names and tiers stay on one line.

A template fixes the table's total width and a starting width per column; after rendering,
each column gets at least the width of its longest unbreakable text (an ID such as 2024010001,
a short word such as 基本合格 or a name) and, when the table has room, the width of its longest
line; whatever is still missing is shared by the columns that can wrap (学院, 要求, 备注), in
proportion to what they lack. Tables with merged cells (forms) are left as designed.

Widths are estimated from the text: a CJK character is one em of the run's size, an ASCII
character 0.6 em (digits are 0.5 em in Times New Roman but wider in the CJK faces a viewer may
use for them), plus the cell margins.
"""
from __future__ import annotations

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
SHORT_EM = 7       # a line up to this wide is one word (姓名, 等次, 数学与统计学院): never broken
DEFAULT_HALF_POINTS = 24  # 小四, the tables' size
CELL_MARGIN = 2 * 108 + 120  # Word's default left+right cell margins, and some slack (twips)
ASCII_EM = 0.6


def _em(text: str) -> float:
    return sum(ASCII_EM if ord(c) < 0x2E80 else 1.0 for c in text)


def _cell_lines(tc) -> tuple[list[str], int]:
    """The lines of a cell (paragraphs and <w:br/>) and its font size in half-points."""
    lines, size = [], None
    for p in tc.iter(f"{_W}p"):
        cur = [""]
        for el in p.iter(f"{_W}t", f"{_W}br", f"{_W}sz"):
            if el.tag == f"{_W}t":
                cur[-1] += el.text or ""
            elif el.tag == f"{_W}br":
                cur.append("")
            elif size is None and el.getparent().tag == f"{_W}rPr" and el.getparent().getparent().tag == f"{_W}r":
                size = int(el.get(f"{_W}val") or DEFAULT_HALF_POINTS)
        lines.extend(cur)
    return lines, size or DEFAULT_HALF_POINTS


def _unbreakable(line: str) -> float:
    """The widest part of a line that must not wrap: the whole line if short, else its
    longest ASCII run (an ID, a date like 2024.9—2028.8 counts its digits as one run)."""
    if _em(line) <= SHORT_EM:
        return _em(line)
    best, run = 0.0, 0.0
    for c in line:
        if c.isascii() and not c.isspace():
            run += ASCII_EM
        else:
            best, run = max(best, run), 0.0
    return max(best, run, 1.0)


def fit_table(tbl) -> bool:
    """Resize one table's columns in place; False when the table is left alone."""
    grid = tbl.find(f"{_W}tblGrid")
    if grid is None or tbl.find(f".//{_W}gridSpan") is not None or tbl.find(f".//{_W}vMerge") is not None:
        return False
    cols = grid.findall(f"{_W}gridCol")
    n = len(cols)
    rows = tbl.findall(f"{_W}tr")
    if not n or not rows or any(len(r.findall(f"{_W}tc")) != n for r in rows):
        return False
    total = sum(int(c.get(f"{_W}w") or 0) for c in cols)
    if total <= 0:
        return False
    nat, low = [CELL_MARGIN] * n, [CELL_MARGIN] * n
    for r in rows:
        for j, tc in enumerate(r.findall(f"{_W}tc")):
            lines, half = _cell_lines(tc)
            em = half * 10  # twips per em
            for line in lines:
                if "{" in line:  # an unrendered tag (the linter's trial render): no measure
                    continue
                nat[j] = max(nat[j], int(_em(line) * em) + CELL_MARGIN)
                low[j] = max(low[j], int(_unbreakable(line) * em) + CELL_MARGIN)
    widths = _share(nat, low, total)
    for c, w in zip(cols, widths):
        c.set(f"{_W}w", str(w))
    for r in rows:
        for tc, w in zip(r.findall(f"{_W}tc"), widths):
            tcpr = tc.find(f"{_W}tcPr")
            tcw = tcpr.find(f"{_W}tcW") if tcpr is not None else None
            if tcw is not None:
                tcw.set(f"{_W}w", str(w))
                tcw.set(f"{_W}type", "dxa")
    return True


def _share(nat: list[int], low: list[int], total: int) -> list[int]:
    """Column widths summing to ``total``: everyone's unbreakable minimum first, then the rest
    to the columns whose lines are longer, in proportion to what they lack."""
    if sum(nat) <= total:  # everything fits on one line: spread the spare room evenly by need
        spare = total - sum(nat)
        out = [w + spare * w // sum(nat) for w in nat]
    elif sum(low) >= total:  # even the words do not fit: scale them (some will wrap)
        out = [w * total // sum(low) for w in low]
    else:
        room = total - sum(low)
        lack = [a - b for a, b in zip(nat, low)]
        out = [b + room * k // sum(lack) for b, k in zip(low, lack)]
    out[-1] += total - sum(out)  # rounding
    return out


def fit_tables(xml: str) -> str:
    """The document XML with every simple table's columns fitted to its content."""
    if "<w:tbl>" not in xml and "<w:tbl " not in xml:
        return xml
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return xml  # a broken template's output: the linter reports it, Word would refuse it
    changed = False
    for tbl in root.iter(f"{_W}tbl"):
        changed |= fit_table(tbl)
    if not changed:
        return xml
    return etree.tostring(root, encoding="unicode") if not xml.startswith("<?xml") else (
        xml[:xml.index("?>") + 2] + "\n" + etree.tostring(root, encoding="unicode"))
