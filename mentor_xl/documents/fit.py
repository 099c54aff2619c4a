"""Table columns sized to what was rendered into them, so that IDs, names and tiers stay on one line.

A template fixes the table's total width and a starting width per column; after rendering,
each column gets at least the width of its longest unbreakable text (an ID such as 2024010001,
a short word such as 基本合格 or a name) and, when the table has room, the width of its longest
line; whatever is still missing is shared by the columns that can wrap (学院, 要求, 备注), in
proportion to what they lack. Tables with merged cells (forms) are left as designed.

Widths are estimated from the text: a CJK character is one em of the run's size, an ASCII
character its Times New Roman width (digits 0.5 em, capitals about 0.7), plus the cell
margins and some slack.
"""
from __future__ import annotations

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
SHORT_EM = 7       # a line up to this wide is kept whole when there is room (数学与统计学院)
WORD_EM = 4        # … and up to this wide always (姓名, 等次 基本合格, 10月14日)
DEFAULT_HALF_POINTS = 24  # 小四, the tables' size
CELL_MARGIN = 2 * 57 + 120  # the templates' 1 mm left and right cell margins, and some slack (twips)
ASCII_EM = 0.55  # lower-case letters and other ASCII
JOINERS = "—～"  # a span such as 2024.9—2028.8 is one run


def _char_em(c: str) -> float:
    """Times New Roman advance widths, rounded up a little: digits 0.5, capitals 0.72 …"""
    if ord(c) >= 0x2E80 or c in JOINERS:
        return 1.0
    if c.isdigit():
        return 0.55  # 0.5 in Times New Roman; a CJK face's half-width digits run wider
    if c in ".,:;'|!":
        return 0.28
    if c.isupper():
        return 0.72
    return ASCII_EM


def _em(text: str) -> float:
    return sum(_char_em(c) for c in text)


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


def _unbreakable(line: str, short: float = SHORT_EM) -> float:
    """How much of a line should stay on one line: all of it up to ``short`` (a longer CJK
    phrase wraps after that much), and never less than its longest ASCII run (an ID; a span
    like 2024.9—2028.8 counts as one run)."""
    best, run = 0.0, 0.0
    for c in line:
        if c.isascii() and not c.isspace():
            run += _char_em(c)
        elif c in JOINERS and run:
            run += 1.0
        else:
            best, run = max(best, run), 0.0
    return max(best, run, min(_em(line), short))


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
    hard, nat = [CELL_MARGIN] * n, [CELL_MARGIN] * n
    short = [0] * n  # the width SHORT_EM would be in the column's size
    for r in rows:
        for j, tc in enumerate(r.findall(f"{_W}tc")):
            lines, half = _cell_lines(tc)
            em = half * 10  # twips per em
            short[j] = max(short[j], int(SHORT_EM * em) + CELL_MARGIN)
            for line in lines:
                if "{" in line:  # an unrendered tag (the linter's trial render): no measure
                    continue
                nat[j] = max(nat[j], int(_em(line) * em) + CELL_MARGIN)
                hard[j] = max(hard[j], int(_unbreakable(line, WORD_EM) * em) + CELL_MARGIN)
    # a column of short entries (学院, 职称) keeps them whole when it can; a column of long
    # text (要求, 未达标情况) wraps anyway, and shares the room by how much text it holds
    soft = [a if a <= b else h for a, b, h in zip(nat, short, hard)]
    widths = _share([hard, soft, nat], total)
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


def _share(levels: list[list[int]], total: int) -> list[int]:
    """Column widths summing to ``total`` from increasing needs (IDs and words; short
    phrases; whole lines): the highest level that fits is given to every column, and what
    is left goes toward the next level, in proportion to what each column still lacks."""
    fit = [i for i, lv in enumerate(levels) if sum(lv) <= total]
    if not fit:  # even the IDs do not fit: scale them (some will wrap)
        base = levels[0]
        out = [w * total // sum(base) for w in base]
    elif fit[-1] == len(levels) - 1:  # everything fits on one line: the spare room by need
        base = levels[-1]
        out = [w + (total - sum(base)) * w // sum(base) for w in base]
    else:  # the next level does not fit, so it lacks more than the room left (never 0)
        base, goal = levels[fit[-1]], levels[fit[-1] + 1]
        lack = [g - b for g, b in zip(goal, base)]
        room = total - sum(base)
        out = [b + room * k // sum(lack) for b, k in zip(base, lack)]
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
