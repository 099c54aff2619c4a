"""Build the Word templates (docxtpl/Jinja tags) in GB/T 9704-2012 layout with python-docx.

The built files are committed in the top-level ``templates/`` folder, where office staff
edit them in Word or WPS; ``python -m mentor_xl.documents.build_templates [DIR]`` rebuilds
them. Template variables are Chinese (``{{ 姓名 }}``) so that office staff can read them.

What python-docx does not do by itself and is done here on the XML:
- East-Asian fonts: ``w:rFonts/@w:eastAsia`` on every style and every run
  (``font.name`` only sets the Latin slots);
- document language zh-CN (``w:lang/@w:eastAsia`` and ``w:themeFontLang``) so LibreOffice
  and Word pick Simplified Chinese glyphs;
- the 22 × 28 grid (``w:docGrid``), fixed 28.95 pt line spacing, two-character first-line
  indents (``w:firstLineChars``), the red separator (a paragraph border), repeated table
  header rows (``w:tblHeader``), odd/even page-number footers ``— 1 —`` with a PAGE field.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from mentor_xl.documents import gbt9704 as G

W = G.mm_twips
CELL_SIDE_TWIPS = 57  # 1 mm
BODY_INDENT = {"firstLineChars": "200", "firstLine": str(2 * 16 * 20)}  # 2 chars at 三号


# --- low-level XML helpers ---------------------------------------------------------------
def _el(tag: str, **attrs) -> OxmlElement:
    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(qn(f"w:{k}"), str(v))
    return e


def _replace(parent, tag: str, **attrs):
    """Set the single child ``tag`` of ``parent`` (schema order kept by python-docx where it can)."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    e = _el(tag, **attrs)
    parent.append(e)
    return e


_TBLPR_ORDER = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
                "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"]


def table_props(t, width_twips: int) -> None:
    """Full-width fixed-layout table; tblPr children in schema order (Word rejects others)."""
    tblpr = t._tbl.tblPr
    _replace(tblpr, "w:tblW", w=width_twips, type="dxa")
    _replace(tblpr, "w:tblLayout", type="fixed")
    # narrow side margins (1 mm): lists have many columns (fit.CELL_MARGIN counts on these)
    mar = _replace(tblpr, "w:tblCellMar")
    mar.append(_el("w:left", w=CELL_SIDE_TWIPS, type="dxa"))
    mar.append(_el("w:right", w=CELL_SIDE_TWIPS, type="dxa"))
    rank = {qn(f"w:{n}"): i for i, n in enumerate(_TBLPR_ORDER)}
    kids = sorted(tblpr, key=lambda e: rank.get(e.tag, len(rank)))
    for e in kids:
        tblpr.remove(e)
        tblpr.append(e)


def font_props(rpr, east: str, size: float | None = None, *, latin: str = G.LATIN,
               bold: bool = False, color: str | None = None, condense: bool | None = None) -> None:
    """Fonts on an rPr: eastAsia explicitly (python-docx's font.name leaves it to the theme)."""
    for old in list(rpr):
        if old.tag in (qn("w:rFonts"), qn("w:b"), qn("w:bCs"), qn("w:color"), qn("w:sz"),
                       qn("w:szCs"), qn("w:lang"), qn("w:spacing")):
            rpr.remove(old)
    # CT_RPr child order: rFonts, b, bCs, …, color, …, sz, szCs, …, lang
    rpr.insert(0, _el("w:rFonts", ascii=latin, hAnsi=latin, eastAsia=east, cs=latin, hint="eastAsia"))
    pos = 1
    if bold:
        rpr.insert(pos, _el("w:b"))
        rpr.insert(pos + 1, _el("w:bCs"))
    if color:
        rpr.append(_el("w:color", val=color))
    if condense is None:
        condense = size == 16
    # 28 三号 characters in the 156 mm 版心 (see gbt9704.CONDENSE_TWENTIETHS); other sizes say 0
    # explicitly so they do not inherit the condensing from the defaults.
    rpr.append(_el("w:spacing", val=G.CONDENSE_TWENTIETHS if condense else 0))
    if size:
        rpr.append(_el("w:sz", val=int(size * 2)))
        rpr.append(_el("w:szCs", val=int(size * 2)))
    rpr.append(_el("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))


def para_props(ppr, *, align: str | None = None, line: int | None = None, line_rule: str = "exact",
               before: int = 0, after: int = 0, indent: dict | None = None,
               snap: bool = True, page_break_before: bool | None = None, keep_next: bool = False,
               keep_lines: bool = False, border_bottom: dict | None = None, border_top: dict | None = None,
               tabs: list[tuple[str, int]] | None = None) -> None:
    for tag in ("w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:pBdr", "w:tabs", "w:overflowPunct",
                "w:snapToGrid", "w:spacing",
                "w:ind", "w:jc"):
        for old in ppr.findall(qn(tag)):
            ppr.remove(old)
    # CT_PPr order: pStyle, keepNext, keepLines, pageBreakBefore, …, pBdr, shd, tabs,
    # suppressAutoHyphens, kinsoku, wordWrap, overflowPunct, topLinePunct, autoSpaceDE,
    # autoSpaceDN, bidi, adjustRightInd, snapToGrid, spacing, ind, …, jc, …, rPr
    items = []
    if keep_next:
        items.append(_el("w:keepNext"))
    if keep_lines:
        items.append(_el("w:keepLines"))
    if page_break_before:
        items.append(_el("w:pageBreakBefore"))
    elif page_break_before is False:  # explicitly off where the style has it on
        items.append(_el("w:pageBreakBefore", val="0"))
    if border_bottom or border_top:
        bdr = _el("w:pBdr")
        if border_top:
            bdr.append(_el("w:top", **border_top))
        if border_bottom:
            bdr.append(_el("w:bottom", **border_bottom))
        items.append(bdr)
    if tabs:
        t = _el("w:tabs")
        for kind, pos in tabs:
            t.append(_el("w:tab", val=kind, pos=pos))
        items.append(t)
    # overflowPunct stated explicitly (Word's own default, 1): without it LibreOffice lays out
    # a "，" that falls just past a full 28-character line of condensed 三号 and then drops it
    # from the PDF; with it the line breaks one character earlier (禁则) and the comma stays.
    items.append(_el("w:overflowPunct", val="1"))
    if not snap:
        items.append(_el("w:snapToGrid", val="0"))
    sp = {"before": before, "after": after}
    if line:
        sp.update(line=line, lineRule=line_rule)
    items.append(_el("w:spacing", **sp))
    items.append(_el("w:ind", **(indent or {"firstLine": "0", "firstLineChars": "0"})))
    if align:
        items.append(_el("w:jc", val=align))
    rpr = ppr.find(qn("w:rPr"))
    pstyle = ppr.find(qn("w:pStyle"))
    at = 1 if pstyle is not None else 0
    for i, e in enumerate(items):
        ppr.insert(at + i, e)
    if rpr is not None:  # rPr must stay last
        ppr.remove(rpr)
        ppr.append(rpr)


# --- styles -----------------------------------------------------------------------------
# name -> (east-asian font, pt, paragraph props, run extras)
BODY_LINE = dict(line=G.LINE_PITCH_TWIPS, line_rule="exact")
STYLES = {
    "公文正文": (G.FANGSONG, 16, dict(align="both", indent=BODY_INDENT, **BODY_LINE), {}),
    # 版头 and titles keep their own exact pitch: snapped to the 28.95 pt grid a 36 pt title
    # line would take two grid lines (57.9 pt).
    "发文机关标志": (G.XIAOBIAOSONG, 28, dict(align="center", line=int(40 * 20), line_rule="exact", snap=False,
                                          before=W(35) - int(40 * 20 - 28 * 20), indent=None), {"color": G.RED}),
    "发文字号": (G.FANGSONG, 16, dict(align="center", indent=None, **BODY_LINE,
                                    border_bottom=dict(val="single", sz=18, space=11, color=G.RED)), {}),
    "公文标题": (G.XIAOBIAOSONG, 22, dict(align="center", indent=None, line=int(36 * 20), line_rule="exact",
                                      snap=False), {}),
    "主送机关": (G.FANGSONG, 16, dict(align="left", indent=None, **BODY_LINE), {}),
    "一级标题": (G.HEITI, 16, dict(align="both", indent=BODY_INDENT, keep_next=True, **BODY_LINE), {}),
    "二级标题": (G.KAITI, 16, dict(align="both", indent=BODY_INDENT, keep_next=True, **BODY_LINE), {}),
    # a long attachment name wraps under its own first character (after 附件：), GB/T 9704 7.3.3
    "附件说明": (G.FANGSONG, 16, dict(align="left", indent={"leftChars": "500", "left": str(5 * 16 * 20),
                                                        "hangingChars": "300", "hanging": str(3 * 16 * 20)},
                                  **BODY_LINE), {}),
    # 落款 lines come padded from the left margin (header.signature: GB/T 9704 7.3.5)
    "落款": (G.FANGSONG, 16, dict(align="left", indent=None, **BODY_LINE), {}),
    "版记": (G.FANGSONG, 14, dict(align="left", indent={"left": "280", "right": "280"}, line=int(14 * 1.6 * 20),
                                line_rule="exact", snap=False, tabs=[("right", W(G.TEXT_W_MM) - 280)]), {}),
    "表注": (G.FANGSONG, 12, dict(align="both", indent=None, line=300, line_rule="auto", snap=False), {}),
    "间隔": (G.FANGSONG, 6, dict(align="left", indent=None, line=120, line_rule="exact", snap=False), {}),
    "附件标识": (G.HEITI, 16, dict(align="left", indent=None, page_break_before=True, **BODY_LINE), {}),
    "表格文字": (G.FANGSONG, 12, dict(align="center", indent=None, line=300, line_rule="auto", snap=False), {}),
    "表格左对齐": (G.FANGSONG, 12, dict(align="left", indent=None, line=300, line_rule="auto", snap=False), {}),
    "表格标题": (G.HEITI, 12, dict(align="center", indent=None, line=300, line_rule="auto", snap=False), {}),
    "图片": (G.FANGSONG, 16, dict(align="center", indent=None, line=240, line_rule="auto", snap=False), {}),
    "页码": (G.SONGTI, 14, dict(indent=None, line=int(16.8 * 20), line_rule="exact", snap=False), {"latin": G.SONGTI}),
    "表单标题": (G.XIAOBIAOSONG, 22, dict(align="center", indent=None, line=int(36 * 20), line_rule="exact",
                                      after=200, snap=False), {}),
    "表单说明": (G.FANGSONG, 12, dict(align="both", indent={"firstLineChars": "200", "firstLine": "480"},
                                  line=360, line_rule="auto", snap=False), {}),
}


def _setup_styles(doc) -> None:
    styles = doc.styles
    # Defaults: 仿宋 三号, zh-CN; themed fonts removed so nothing falls back to a Japanese theme font.
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    font_props(rpr, G.FANGSONG, 16)
    normal = styles["Normal"]
    font_props(normal.element.get_or_add_rPr(), G.FANGSONG, 16)
    para_props(normal.element.get_or_add_pPr(), align="both", **BODY_LINE)
    for name, (east, size, pp, extra) in STYLES.items():
        st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = normal
        st.quick_style = True
        font_props(st.element.get_or_add_rPr(), east, size, **extra)
        para_props(st.element.get_or_add_pPr(), **pp)
    tbl = styles["Table Grid"]
    font_props(tbl.element.get_or_add_rPr(), G.FANGSONG, 12)


def _setup_settings(doc) -> None:
    s = doc.settings.element
    lang = s.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    doc.settings.odd_and_even_pages_header_footer = True
    # Word and WPS open templates for editing: keep their own autosave/rsid noise out.
    for tag in ("w:rsids",):
        for e in s.findall(qn(tag)):
            s.remove(e)


def _setup_page(doc) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = W(G.PAGE_W_MM) * 635, W(G.PAGE_H_MM) * 635  # twips → EMU
    sec.top_margin = W(G.MARGIN_TOP_MM) * 635
    sec.bottom_margin = W(G.MARGIN_BOTTOM_MM) * 635
    sec.left_margin = W(G.MARGIN_LEFT_MM) * 635
    sec.right_margin = W(G.MARGIN_RIGHT_MM) * 635
    sec.header_distance = W(15) * 635
    sec.footer_distance = W(G.FOOTER_MM) * 635
    sectpr = sec._sectPr
    for old in sectpr.findall(qn("w:docGrid")):
        sectpr.remove(old)
    sectpr.append(_el("w:docGrid", type="lines", linePitch=G.LINE_PITCH_TWIPS))
    # Page numbers "— 1 —": odd pages right, even pages left, one character in (GB/T 9704 7.5).
    _page_number(sec.footer, right=True)
    _page_number(sec.even_page_footer, right=False)
    sec.header.is_linked_to_previous = False
    sec.even_page_header.is_linked_to_previous = False


def _page_number(footer, *, right: bool) -> None:
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = "页码"
    ind = {"rightChars": "100", "right": "280"} if right else {"leftChars": "100", "left": "280"}
    para_props(p._p.get_or_add_pPr(), align="right" if right else "left", indent=ind,
               line=int(16.8 * 20), line_rule="exact", snap=False)
    run(p, "— ", G.SONGTI, 14, latin=G.SONGTI)
    r = run(p, "", G.SONGTI, 14, latin=G.SONGTI)
    r._r.append(_el("w:fldChar", fldCharType="begin"))
    r = run(p, "", G.SONGTI, 14, latin=G.SONGTI)
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = " PAGE "
    r._r.append(it)
    r = run(p, "", G.SONGTI, 14, latin=G.SONGTI)
    r._r.append(_el("w:fldChar", fldCharType="separate"))
    run(p, "1", G.SONGTI, 14, latin=G.SONGTI)
    r = run(p, "", G.SONGTI, 14, latin=G.SONGTI)
    r._r.append(_el("w:fldChar", fldCharType="end"))
    run(p, " —", G.SONGTI, 14, latin=G.SONGTI)


def new_document():
    doc = Document()
    _setup_styles(doc)
    _setup_settings(doc)
    _setup_page(doc)
    # The default document starts with no paragraph; python-docx appends before sectPr.
    return doc


# --- content helpers --------------------------------------------------------------------
def run(p, text: str, east: str, size: float | None = None, **kw):
    r = p.add_run(text)
    font_props(r._r.get_or_add_rPr(), east, size, **kw)
    return r


def para(container, text: str = "", style: str = "公文正文", **pp):
    """A paragraph of ``style`` whose runs carry the style's fonts explicitly (w:eastAsia)."""
    p = container.add_paragraph(style=style)
    if pp:
        para_props(p._p.get_or_add_pPr(), **pp)
    east, size, _, extra = STYLES.get(style, (G.FANGSONG, 16, {}, {}))
    if text:
        run(p, text, east, size, **extra)
    return p


def tag(container, text: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}); it is removed on render."""
    return para(container, text, "公文正文", indent=None)


def blank(container, n: int = 1, style: str = "公文正文", **pp):
    for _ in range(n):
        para(container, "", style, **pp)


def red_header(doc) -> None:
    """发文机关标志 (red), two blank lines, 发文字号 with the red separator under it."""
    para(doc, "{{ 发文机关标志 }}", "发文机关标志")
    blank(doc, 2, "主送机关")
    para(doc, "{{ 发文字号 }}", "发文字号")
    blank(doc, 2, "主送机关")
    para(doc, "{{ 标题 }}", "公文标题")
    blank(doc, 1, "主送机关")


KEEP = dict(keep_next=True, keep_lines=True)


def last_body(doc, text: str, style: str = "公文正文"):
    """The last body paragraph: kept whole and on the page of what follows (附件说明, 落款)."""
    p = para(doc, text, style)
    para_props(p._p.get_or_add_pPr(), **KEEP, **_style_pp(style))
    return p


def _style_pp(style: str) -> dict:
    return {k: v for k, v in STYLES[style][2].items() if k not in ("keep_next", "keep_lines")}


def signature(doc, signer: str = "{{ 落款署名 }}", date: str = "{{ 落款日期 }}", *, sealable: bool = False) -> None:
    """One blank line (three on a 公文 with a seal: its space), the signer and the date, all
    kept with the body above (GB/T 9704 7.3.5.3: never a page holding only the 落款)."""
    blank(doc, 1, "公文正文", **KEEP, indent=None)
    if sealable:
        tag(doc, "{%p if 用印 %}")
        blank(doc, 2, "公文正文", **KEEP, indent=None)
        tag(doc, "{%p endif %}")
    para(doc, signer, "落款", **KEEP, **_style_pp("落款"))
    para(doc, date, "落款")


def attachment_note(doc) -> None:
    blank(doc, 1, "公文正文", **KEEP, indent=None)
    para(doc, "附件：{{ 附件名称 }}", "附件说明", **KEEP, **_style_pp("附件说明"))


def colophon(doc) -> None:
    """版记 (GB/T 9704 7.4): 抄送 between a 0.35 mm and a 0.25 mm rule, then 印发机关 and
    印发日期 on one line above a 0.35 mm rule; without 抄送 only the 印发 line, ruled above and below."""
    thick = dict(val="single", sz=8, space=1, color="000000")
    thin = dict(val="single", sz=6, space=1, color="000000")
    pp = _style_pp("版记")
    blank(doc, 1, "主送机关", **KEEP)
    tag(doc, "{%p if 抄送 %}")
    para(doc, "抄送：{{ 抄送 }}", "版记", **KEEP, **{**pp, "border_top": thick, "border_bottom": thin})
    para(doc, "{{ 印发机关 }}\t{{ 印发日期 }}印发", "版记", **{**pp, "border_bottom": thick})
    tag(doc, "{%p else %}")
    para(doc, "{{ 印发机关 }}\t{{ 印发日期 }}印发", "版记", **{**pp, "border_top": thick, "border_bottom": thick})
    tag(doc, "{%p endif %}")


def table(doc, columns: list[tuple[str, float, str]], loop: str, item: str, *,
          empty: str, footer: list[str] | None = None, notes: str | None = None):
    """A results table: header row repeated on every page, one row per item, a sentence when empty.

    ``columns`` = (header, width in mm, field of the item). Rows never split across pages.
    """
    tag(doc, f"{{%p if {loop} %}}")
    para(doc, "", "间隔")  # a little air above and below the table
    t = doc.add_table(rows=0, cols=len(columns))
    t.style = doc.styles["Table Grid"]
    t.alignment = 1  # centred
    table_props(t, W(sum(c[1] for c in columns)))
    widths = [W(c[1]) for c in columns]

    def add_row(cells: list[str], style: str, header: bool = False):
        row = t.add_row()
        trpr = row._tr.get_or_add_trPr()
        trpr.append(_el("w:cantSplit"))
        if header:
            trpr.append(_el("w:tblHeader"))
        for cell, text, w in zip(row.cells, cells, widths):
            cell.width = w * 635
            tcpr = cell._tc.get_or_add_tcPr()
            _replace(tcpr, "w:vAlign", val="center")
            p = cell.paragraphs[0]
            p.style = doc.styles[style]
            east, size, _, extra = STYLES[style]
            if text:
                run(p, text, east, size, **extra)
        return row

    add_row([c[0] for c in columns], "表格标题", header=True)
    add_row([f"{{%tr for {item} in {loop} %}}"] + [""] * (len(columns) - 1), "表格文字")
    add_row([f"{{{{ {item}.{c[2]} }}}}" for c in columns], "表格文字")
    add_row(["{%tr endfor %}"] + [""] * (len(columns) - 1), "表格文字")
    if footer:
        add_row(footer, "表格文字")
    for i, w in enumerate(widths):
        t.columns[i].width = w * 635
    para(doc, "", "间隔")
    if notes:  # long remarks, numbered in the table, written out below it
        tag(doc, f"{{%p for 注 in {notes} %}}")
        para(doc, "注{{ 注.编号 }}：{{ 注.内容 }}", "表注")
        tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, empty)
    tag(doc, "{%p endif %}")
    return t


def attachment_page(doc, columns, loop, item, empty, footer=None, notes: str | None = None) -> None:
    para(doc, "附件", "附件标识")
    blank(doc, 1, "主送机关")
    para(doc, "{{ 附件标题 }}", "公文标题")
    blank(doc, 1, "主送机关")
    table(doc, columns, loop, item, empty=empty, footer=footer, notes=notes)


# --- the templates -----------------------------------------------------------------------
def build_assess_notice(path: Path) -> None:
    doc = new_document()
    red_header(doc)
    para(doc, "{{ 主送机关 }}：", "主送机关")
    para(doc, "根据《{{ 制度名称 }}》{{ 制度文号 }}有关规定，{{ 单位名称 }}组织开展了{{ 考核期间 }}"
              "{{ 角色名称 }}考核工作。{{ 考核方法 }}，现将考核结果通知如下。")
    para(doc, "一、考核结果", "一级标题")
    para(doc, "本次共考核{{ 考核人数 }}人，其中{{ 等次统计 }}。考核结果名单见附件。")
    para(doc, "二、有关要求", "一级标题")
    para(doc, "（一）结果运用", "二级标题")
    para(doc, "{{ 结果运用 }}")
    para(doc, "（二）整改落实", "二级标题")
    last_body(doc, "考核结果为{{ 整改等次 }}的，请{{ 整改单位 }}督促其对照制度要求认真整改。对考核结果有异议的，"
                   "请于通知印发之日起5个工作日内向{{ 发文机关 }}提出。")
    attachment_note(doc)
    signature(doc, sealable=True)
    # widths are a starting point: render.fit_tables sizes the columns to their content
    attachment_page(doc, [("序号", 12, "序号"), ("工号", 22, "工号"), ("姓名", 20, "姓名"),
                          ("学院", 36, "学院"), ("{{ 得分列名 }}", 20, "得分"), ("等次", 22, "等次"),
                          ("备注", 24, "备注")],
                    "考核结果", "行", "本次考核无结果。", notes="表注")
    colophon(doc)
    doc.save(path)


def build_award_decision(path: Path) -> None:
    doc = new_document()
    red_header(doc)
    para(doc, "{{ 主送机关 }}：", "主送机关")
    para(doc, "根据《{{ 制度名称 }}》{{ 制度文号 }}有关规定，{{ 表彰依据 }}，"
              "{{ 单位名称 }}决定对{{ 考核期间 }}表现突出的{{ 表彰对象 }}予以表彰，"
              "其中{{ 奖项统计 }}，共计奖励{{ 合计万元 }}万元（{{ 合计元 }}元）。")
    last_body(doc, "希望受表彰的同志和单位珍惜荣誉、再接再厉，充分发挥示范引领作用。"
                   "广大教职工要以先进为榜样，立德树人，潜心育人，为学生成长成才作出新的更大贡献。")
    attachment_note(doc)
    signature(doc, sealable=True)
    attachment_page(doc, [("序号", 12, "序号"), ("奖项", 46, "奖项"), ("获奖者", 30, "获奖者"),
                          ("学院", 36, "学院"), ("奖励（万元）", 32, "金额万元")],
                    "获奖名单", "行", "本次无获奖名单。",
                    footer=["合计", "", "", "", "{{ 合计万元 }}"])
    colophon(doc)
    doc.save(path)


def build_appointment_notice(path: Path) -> None:
    doc = new_document()
    red_header(doc)
    para(doc, "{{ 主送机关 }}：", "主送机关")
    para(doc, "根据《{{ 制度名称 }}》{{ 制度文号 }}有关规定，{{ 聘任依据 }}，"
              "决定聘任{{ 聘任人数 }}名同志为{{ 聘任期间 }}{{ 角色名称 }}{{ 角色统计 }}，名单见附件。")
    last_body(doc, "受聘{{ 角色名称 }}要认真履行工作职责，按要求开展工作并如实记录，"
                   "{{ 支持单位 }}要为其开展工作提供必要支持。")
    attachment_note(doc)
    signature(doc, sealable=True)
    para(doc, "附件", "附件标识")
    blank(doc, 1, "主送机关")
    para(doc, "{{ 附件标题 }}", "公文标题")
    blank(doc, 1, "主送机关")
    # a 角色 column only where the policy has several roles (the title names a single one)
    tag(doc, "{%p if 多角色 %}")
    table(doc, [("序号", 12, "序号"), ("工号", 22, "工号"), ("姓名", 20, "姓名"), ("学院", 34, "学院"),
                ("职称", 22, "职称"), ("角色", 22, "角色"), ("聘期", 24, "聘期")],
          "聘任名单", "行", empty="本次无聘任名单。")
    tag(doc, "{%p else %}")
    table(doc, [("序号", 12, "序号"), ("工号", 24, "工号"), ("姓名", 24, "姓名"), ("学院", 40, "学院"),
                ("职称", 26, "职称"), ("聘期", 30, "聘期")],
          "聘任名单", "行", empty="本次无聘任名单。")
    tag(doc, "{%p endif %}")
    colophon(doc)
    doc.save(path)


def build_reminder(path: Path) -> None:
    doc = new_document()
    blank(doc, 1, "主送机关")
    para(doc, "{{ 标题 }}", "公文标题")
    blank(doc, 1, "主送机关")
    para(doc, "{{ 姓名 }}老师：", "主送机关")
    para(doc, "根据《{{ 制度名称 }}》和{{ 学期名称 }}工作记录核查，截至{{ 核查日期 }}，"
              "您（工号{{ 工号 }}，{{ 学院 }}，{{ 角色 }}）有{{ 未达标条数 }}项工作未达到要求，具体如下：")
    table(doc, [("序号", 12, "序号"), ("规则", 30, "规则"), ("条款", 24, "条款"), ("要求", 40, "要求"),
                ("未达标情况", 50, "未达标情况")],
          "未达标项目", "项", empty="经核查，您各项工作均已达到要求。")
    last_body(doc, "请对照以上项目，于{{ 整改期限 }}前完成整改，并在工作记录中如实登记。"
                   "如记录有误，请携相关材料与{{ 发文机关 }}联系核实。")
    signature(doc)
    doc.save(path)


def build_work_record(path: Path) -> None:
    doc = new_document()
    # two lines, each whole: the unit's name, then the form's (never 班导|师 split)
    para(doc, "{{ 单位名称 }}", "表单标题", after=0, align="center", indent=None, line=int(36 * 20),
         line_rule="exact", snap=False)
    para(doc, "本科生班主任（班导师）工作记录表", "表单标题")
    para(doc, "班主任（班导师）：{{ 姓名 }}　　工号：{{ 工号 }}　　所带班级：{{ 所带班级 }}　　月份：{{ 月份 }}",
         "表格左对齐", after=120)
    para(doc, "本科生班主任（班导师）的主要工作职责是指导学生学习和课外学术科技活动，对学生进行思想政治、生活、"
              "心理健康、就业和日常行为辅导，协助专职辅导员开展学生思想政治教育和学生事务管理工作。"
              "要求班主任（班导师）每学期相关工作量不低于30学时，主要包括每两周至少深入教室1次，"
              "每个月至少深入学生宿舍1次，参加班（团）会至少两次，参加学生活动和与学生个别交流。", "表单说明")
    para(doc, "一、本月工作记录", "表格标题", align="left", before=120, after=60)
    table(doc, [("日期", 24, "日期"), ("工作类型", 26, "类型"), ("地点", 24, "地点"),
                ("学生 / 班级", 30, "对象"), ("小时", 14, "时长"), ("内容", 38, "内容")],
          "记录", "行", empty="本月无工作记录。")
    para(doc, "二、本月工作统计", "表格标题", align="left", before=120, after=60)
    table(doc, [("项目", 60, "项目"), ("次数", 40, "次数"), ("人次", 26, "人次"), ("时长（小时）", 30, "时长")],
          "统计", "行", empty="本月无工作记录。",
          footer=["合计", "{{ 本月次数 }}", "", "{{ 本月时长 }}"])
    para(doc, "本学期截至本月累计工作时长：{{ 累计时长 }}小时（要求不低于{{ 学期要求时长 }}学时）。",
         "表格左对齐", before=120, **KEEP)
    para(doc, "备注：1.本表由任职班主任（班导师）填写；2.本表将作为班主任（班导师）年终考核暨工作量计算的"
              "最主要依据之一，望各位班主任（班导师）本着实事求是的原则认真填写；3.本表每月填写一份。",
         "表单说明", indent=None, before=120, line=360, line_rule="auto", snap=False, **KEEP)
    para(doc, "班主任（班导师）签字：　　　　　　　　填表日期：{{ 填表日期 }}", "表格左对齐", before=240)
    doc.save(path)


def build_application_form(path: Path) -> None:
    doc = new_document()
    para(doc, "附件", "附件标识", page_break_before=False, align="left", indent=None, **BODY_LINE)
    para(doc, "班级导师申报表", "表单标题")
    para(doc, "填报日期：{{ 填报年月 }}", "表格左对齐", after=120)
    widths = [24, 28, 22, 28, 24, 30]
    t = doc.add_table(rows=0, cols=6)
    t.style = doc.styles["Table Grid"]
    t.alignment = 1
    table_props(t, W(sum(widths)))
    rows = [
        ["姓名", "{{ 姓名 }}", "性别", "{{ 性别 }}", "出生年月", "{{ 出生年月 }}"],
        ["民族", "{{ 民族 }}", "学历", "{{ 学历 }}", "政治面貌", "{{ 政治面貌 }}"],
        ["专业", "{{ 专业 }}", "职称(务)", "{{ 职称职务 }}", "联系电话", "{{ 联系电话 }}"],
    ]
    big = [("学习工作经历", "{{ 学习工作经历 }}", 45), ("学术专长与工作业绩", "{{ 工作业绩 }}", 55),
           ("学生工作处审核", "\n\n（盖章）　　年　　月　　日", 30)]
    for cells in rows:
        row = t.add_row()
        row._tr.get_or_add_trPr().append(_el("w:trHeight", val=W(11), hRule="atLeast"))
        for i, (cell, text) in enumerate(zip(row.cells, cells)):
            cell.width = W(widths[i]) * 635
            _replace(cell._tc.get_or_add_tcPr(), "w:vAlign", val="center")
            p = cell.paragraphs[0]
            p.style = doc.styles["表格标题" if i % 2 == 0 else "表格文字"]
            east, size, _, extra = STYLES[p.style.name]
            run(p, text, east, size, **extra)
    for label, value, h in big:
        row = t.add_row()
        row._tr.get_or_add_trPr().append(_el("w:trHeight", val=W(h), hRule="atLeast"))
        merged = row.cells[1].merge(row.cells[5])
        row.cells[0].width = W(widths[0]) * 635
        _replace(row.cells[0]._tc.get_or_add_tcPr(), "w:vAlign", val="center")
        p = row.cells[0].paragraphs[0]
        p.style = doc.styles["表格标题"]
        run(p, label, G.HEITI, 12)
        p = merged.paragraphs[0]
        p.style = doc.styles["表格左对齐"]
        if value.startswith("\n"):
            para_props(p._p.get_or_add_pPr(), align="right", indent=None, line=300, line_rule="auto", snap=False)
        run(p, value, G.FANGSONG, 12)
    for i, w in enumerate(widths):
        t.columns[i].width = W(w) * 635
    para(doc, "注：本表依据人员名单预填，空白项请申报人本人填写。", "表单说明", indent=None, before=120)
    doc.save(path)


def build_term_summary(path: Path) -> None:
    doc = new_document()
    blank(doc, 1, "主送机关")
    para(doc, "{{ 标题 }}", "公文标题")
    para(doc, "（{{ 学期名称 }}　{{ 姓名 }}）", "二级标题", align="center", indent=None, **BODY_LINE)
    blank(doc, 1, "主送机关")
    para(doc, "一、基本情况", "一级标题")
    para(doc, "{{ 姓名 }}（工号{{ 工号 }}，{{ 学院 }}），{{ 角色 }}。{{ 学期名称 }}"
              "（{{ 学期起止 }}）共登记工作{{ 活动总数 }}次，累计{{ 总时长 }}小时；"
              "应考核规则{{ 应达标规则数 }}项，达标{{ 达标规则数 }}项；应考核周期{{ 应达标周期数 }}个，"
              "达标{{ 达标周期数 }}个，合规率{{ 合规率 }}。")
    para(doc, "二、各月工作情况", "一级标题")
    para(doc, "{{ 图表 }}", "图片")
    para(doc, "三、各项规则完成情况", "一级标题")
    table(doc, [("序号", 14, "序号"), ("规则", 42, "规则"), ("条款", 18, "条款"),
                ("达标周期", 24, "达标周期"), ("状态", 18, "状态"), ("未达标周期", 40, "未达标周期")],
          "规则情况", "行", empty="本学期没有需要考核的规则。")
    para(doc, "四、工作类型统计", "一级标题")
    table(doc, [("工作类型", 60, "类型"), ("次数", 40, "次数"), ("时长（小时）", 56, "时长")],
          "活动统计", "行", empty="本学期无工作记录。")
    para(doc, "五、个人小结", "一级标题")
    para(doc, "（由本人填写）", **KEEP, **_style_pp("公文正文"))
    blank(doc, 3, "公文正文", **KEEP, indent=None)  # room to write, kept with the signature
    # the person who wrote the 小结 signs it (by hand, on the printed copy)
    signature(doc, signer="\u3000" * 16 + "本人签名：", date="\u3000" * 16 + "{{ 成文日期 }}")
    doc.save(path)


BUILDERS = {
    "考核结果通知.docx": build_assess_notice,
    "表彰决定.docx": build_award_decision,
    "聘任通知.docx": build_appointment_notice,
    "整改提醒.docx": build_reminder,
    "工作记录表.docx": build_work_record,
    "班级导师申报表.docx": build_application_form,
    "学期工作总结.docx": build_term_summary,
}


def build(filename: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / filename
    tmp = path.with_suffix(".tmp.docx")
    BUILDERS[filename](tmp)
    tmp.replace(path)  # a concurrent reader never sees a half-written template
    return path


def build_all(out_dir: Path) -> list[Path]:
    return [build(name, out_dir) for name in BUILDERS]


def guide() -> str:
    """模板说明.md: the variables of each template, for office staff editing them in Word/WPS."""
    from mentor_xl.documents.kinds import KINDS, SAMPLES
    out = ["# 公文模板说明", "",
           "本目录的 Word 模板可在 Word 或 WPS 中直接修改文字、字体和版式；`{{ 变量 }}` 处在生成时填入数据。",
           "修改后请运行 `mentor-xl templates check` 检查，也可用 `mentor-xl docs … --template 文件` 使用本单位自己的模板。",
           "", "表格按行重复：`{%tr for 行 in 列表 %}` 与 `{%tr endfor %}` 各占一行，中间一行写 `{{ 行.字段 }}`；",
           "列表为空时，`{%p if 列表 %}` … `{%p else %}` 之间的表格换成后面的一句话。", ""]
    for k in KINDS.values():
        per = {"通知": "每次一份", "导师": "每位导师一份", "导师×月": "每位导师每月一份"}.get(k.per, k.per)
        out += [f"## {k.title}（{k.template}，{per}，--kind {k.id}）", ""]
        for key, v in SAMPLES[k.id].items():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                out.append(f"- `{key}`：表格行，字段 " + "、".join(f"`{f}`" for f in v[0]))
            elif key == "图表":
                out.append(f"- `{key}`：各月工作情况图（自动绘制，请单独占一段）")
            else:
                out.append(f"- `{key}`" + (f"：如 {v}" if v not in (None, "") else ""))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "templates"
    for p in build_all(target):
        print(p)
    (target / "模板说明.md").write_text(guide(), encoding="utf-8")
