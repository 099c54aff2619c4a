"""The results workbook as an office reads and prints it: the 总览 sheet first (per 学院 and for
the whole office, the CLI summary's figures, a paragraph for the term report), and every sheet
printing landscape A4, one page wide, with its header row on every page.

The print checks convert the bit-2022 demo's results with LibreOffice (default settings, as an
office would) and read the PDF back with ``pdftotext -bbox``.
"""
import re
import shutil
import subprocess
from html import unescape

import openpyxl
import pytest

from mentor_xl import libreoffice as lo
from mentor_xl.engine import figures as fig
from mentor_xl.pipeline import compliance_summary
from mentor_xl import results as res
from test_results_workbook import _result, _rows


@pytest.fixture
def book(tmp_path):
    return res.write_results(tmp_path / "导师-结果.xlsx", _result(), office="示例大学 & 学院")


def test_figures_are_the_cli_summary_figures():
    r = _result()
    whole = fig.figures(r)
    # T001 2/3, T002 1 — one fully met; T001's monthly talk is the one rule missed
    assert (whole.assessed, whole.full, whole.short) == (2, 1, 1)
    assert whole.mean_rate == pytest.approx(5 / 6) and whole.min_rate == pytest.approx(2 / 3)
    assert [(m.name, m.count) for m in whole.missed] == [("每月与每名学生导学互动交流（四.1）", 1)]
    info = fig.figures(r, "信息学院")
    assert (info.assessed, info.full, info.mean_rate) == (1, 0, pytest.approx(2 / 3))
    assert fig.colleges(r) == ["信息学院", "数学学院"]
    assert fig.by_college(r) == {c: fig.figures(r, c) for c in fig.colleges(r)}  # split once, same figures
    text = compliance_summary(r)
    assert "应考核 2 人，全部达标 1 人，未全部达标 1 人。" in text and "平均 83.3%，最低 66.7%" in text
    assert "每月与每名学生导学互动交流（bit.monthly-talk）1 项" in text


def test_overview_sheet_first_with_table_paragraph_and_chart(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "总览"
    rows = [r for r in _rows(wb["总览"]) if any(v is not None for v in r)]
    assert rows[0][0] == "示例大学 & 学院2024-2025-1学期导师工作合规总览"
    para = rows[2][0]
    assert para == ("2024-2025-1学期（2024年9月1日—2025年1月15日），示例大学 & 学院应考核导师 2 人，全部达标 1 人（50.0%），"
                    "未全部达标 1 人；合规率平均 83.3%，最低 66.7%。未达标较多的要求：每月与每名学生导学互动交流（四.1） 1 项。")
    table = {r[0]: r[1:7] for r in rows if r[0] in ("信息学院", "数学学院", "全单位")}
    assert table["信息学院"] == [1, 0, 0, pytest.approx(2 / 3), pytest.approx(2 / 3), "每月与每名学生导学互动交流（四.1） 1 项"]
    assert table["数学学院"] == [1, 1, 1, 1, 1, "—"]
    assert table["全单位"] == [2, 1, 0.5, pytest.approx(5 / 6), pytest.approx(2 / 3), "每月与每名学生导学互动交流（四.1） 1 项"]
    # one page per 学院: its title, its paragraph, its rules, who is not fully met
    titles = [r[0] for r in rows if isinstance(r[0], str) and r[0].endswith("学期导师工作合规情况")]
    assert titles == ["信息学院　2024-2025-1学期导师工作合规情况", "数学学院　2024-2025-1学期导师工作合规情况"]
    assert ["张三", "T001", pytest.approx(2 / 3), "每月与每名学生导学互动交流（四.1）"] in [r[:4] for r in rows]
    ws = wb["总览"]
    starts = [i + 1 for i, r in enumerate(_rows(ws)) if r[0] in titles]  # 1-based rows of the titles
    assert [b.id + 1 for b in ws.row_breaks.brk] == starts  # a page break right before each 学院


def test_each_college_page_has_its_own_rules_and_staff(tmp_path, monkeypatch):
    """On an office-shaped 台账 (two 书院, merged cells, title rows): each 学院 page of 总览
    lists that 学院's rules and not fully met staff only (all 学院 are computed in one pass),
    and says how many there are when the page shows fewer than that."""
    from officebook import bit_office_book
    from mentor_xl.office import open_office

    office = open_office(bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True), policy="bit-2022")
    monkeypatch.setattr(res, "OVERVIEW_STAFF", 1)
    wb = openpyxl.load_workbook(res.write_results(tmp_path / "结果.xlsx", office.compliance("2024-2025-1")))
    pages, page = {}, None
    for r in _rows(wb["总览"]):
        if isinstance(r[0], str) and r[0].endswith("学期导师工作合规情况"):
            page = pages[r[0].split("\u3000")[0]] = []
        elif page is not None and r[0] is not None:
            page.append(tuple(r[:3]))
    talk, act, ratio = "每月与每名学生导学互动交流（四.1）", "每月组织和参加学生活动（四）", "生师比不高于8:1（三）"
    for college, rates, people in (
            ("睿信书院", [(talk, 1, 0), (act, 1, 0), (ratio, 1, 1)], [("王芳", "1003", pytest.approx(1 / 3))]),
            ("精工书院", [(talk, 5, 0), (act, 2, 0), (ratio, 2, 2)],
             [("李娜", "1002", pytest.approx(5 / 13)), ("……等 2 人，全部名单见“人员汇总”表", None, None)])):
        rows = pages[college]
        heads = [i for i, r in enumerate(rows) if r[0] in ("要求", "未全部达标的导师")]
        assert rows[heads[0] + 1:heads[1]] == rates, college
        assert rows[heads[1] + 1:] == people, college


def test_every_sheet_prints_landscape_a4_one_page_wide_with_headers(book):
    wb = openpyxl.load_workbook(book)
    for name in wb.sheetnames:
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, name
        assert ws.oddHeader.center.text == "&B" + name and ws.oddHeader.left.text == "示例大学 && 学院", name
        assert ws.oddHeader.right.text == "2024-2025-1学期", name
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, name
        if name in ("总览", "图表"):  # hand-laid pages: a scale that fits the width, manual page breaks
            assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage, name
            assert 10 <= ws.page_setup.scale < 100, name
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, name
            assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, name  # 1 is the default
            assert ws.print_title_rows == "$1:$1", name


def test_large_details_keep_every_unmet_row_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(res, "DETAIL_FULL_ROWS", 3)  # the hand-made result has 7 detail rows, 1 不达标
    wb = openpyxl.load_workbook(res.write_results(tmp_path / "r.xlsx", _result()))
    details = _rows(wb["合规明细"])[1:]
    assert [r[17] for r in details] == ["不达标"]
    texts = [v for r in _rows(wb["总览"]) for v in r if isinstance(v, str)]
    assert any("只列出不达标的 1 行，另有达标、不适用的 6 行未列出" in t and "--full" in t for t in texts)
    assert len(_rows(wb["合规汇总"])) == 5  # the summary is always whole
    full = openpyxl.load_workbook(res.write_results(tmp_path / "f.xlsx", _result(), full=True))
    assert len(_rows(full["合规明细"])) == 8
    assert not any("--full" in v for r in _rows(full["总览"]) for v in r if isinstance(v, str))


# --------------------------------------------------------------------------- the printed PDF

def _pages(pdf) -> list[list[tuple[float, float, str]]]:
    """Per page, its words as (x, y, text), from ``pdftotext -bbox``."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page .*?</page>", html, re.S):
        pages.append([(float(x), float(y), unescape(w)) for x, y, w in
                      re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</word>', page)])
    return pages


def _ruled_lines(pdf, page: int, tmp_path) -> int:
    """Horizontal lines drawn across most of a printed page (a table's grid), seen on its PNG."""
    import numpy as np
    from PIL import Image

    out = tmp_path / f"ruled-{page}"
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-f", str(page), "-l", str(page), "-png", str(pdf), str(out)],
                   check=True)
    px = np.asarray(Image.open(next(tmp_path.glob(f"ruled-{page}-*.png"))).convert("L"))
    dark = (px < 200).mean(axis=1) > 0.6  # a pixel row more than 60 % dark: a line, not text
    return int((dark[1:] & ~dark[:-1]).sum() + dark[0])  # each line once, however thick


def _sheet_of(words, names) -> str | None:
    """The sheet a page belongs to: its page header's centre (the topmost line) names it."""
    top = min(y for _, y, _ in words)
    line = [w for _, y, w in words if abs(y - top) < 3]
    return next((w for w in line if w in names), None)


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_demo_results_print_one_page_wide_with_headers_on_every_page(tmp_path):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office

    build_demo_book(tmp_path / "示例.xlsx", "bit-2022")
    office = open_office(tmp_path / "示例.xlsx")
    result = office.compliance("2024-2025-1")
    xlsx = res.write_results(tmp_path / "结果.xlsx", result, office=office.name)
    (pdf,) = lo.convert([xlsx], "pdf", tmp_path)
    names = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    pages = _pages(pdf)
    by_sheet: dict[str, list] = {}
    first_page: dict[str, int] = {}
    for number, words in enumerate(pages, start=1):
        sheet = _sheet_of(words, names)
        assert sheet is not None, [w for _, _, w in words[:8]]
        by_sheet.setdefault(sheet, []).append(words)
        first_page.setdefault(sheet, number)
    assert list(by_sheet) == names  # every sheet printed, in order

    # the tables print their cells' grid (a number no longer runs into the next column's text);
    # the hand-laid 总览 prints none, its small tables are boxed: ruled lines across the page, one
    # per row of a table (the office's page: 3 学院 and 全单位 under the header)
    assert _ruled_lines(pdf, first_page["合规汇总"], tmp_path) > 20
    assert _ruled_lines(pdf, first_page["合规明细"], tmp_path) > 20
    assert _ruled_lines(pdf, first_page["总览"], tmp_path) >= 6
    sheets = openpyxl.load_workbook(xlsx)
    assert not sheets["总览"].print_options.gridLines and sheets["合规汇总"].print_options.gridLines

    # data sheets: on every page the header row, with its first and its last column on one line —
    # so the header repeats and no sheet is wider than one page
    last = {"合规汇总": "规则", "人员汇总": "合规率", "合规明细": "规则", "数据问题": "级别"}
    for sheet, last_col in last.items():
        for k, words in enumerate(by_sheet[sheet]):
            heads = [(x, y) for x, y, w in words if w == "工号" or (sheet == "数据问题" and w == "类别")]
            assert heads, (sheet, k)
            x0, y0 = min(heads, key=lambda p: p[1])
            assert any(w == last_col and abs(y - y0) < 8 and x > x0 for x, y, w in words), (sheet, k)
    assert len(by_sheet["合规汇总"]) <= 15

    # 总览: the office's page, then exactly one page per 学院, each titled by its 学院
    colleges = fig.colleges(result)
    overview = by_sheet["总览"]
    assert len(overview) == 1 + len(colleges)
    for college, words in zip(colleges, overview[1:]):
        assert college in [w for _, _, w in words]
    # 图表: three blocks, three pages; no chart cut onto a page of its own
    assert len(by_sheet["图表"]) == 3
    for words in by_sheet["图表"]:
        assert any(w.startswith(("各规则", "各学院", "人员合规率")) for _, _, w in words)


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_problem_messages_print_whole(tmp_path):
    """数据问题 of an office-shaped 台账: every 说明 prints to its last character (wrapped in its
    column, its row as tall as the lines need), not cut at the column's edge."""
    from officebook import bit_office_book
    from mentor_xl.office import open_office

    office = open_office(bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True), policy="bit-2022")
    xlsx = res.write_results(tmp_path / "结果.xlsx", office.compliance("2024-2025-1"), office="精工书院")
    messages = [r[5] for r in _rows(openpyxl.load_workbook(xlsx)["数据问题"])[1:]]
    assert any(res.text_width(m) > 2 * 60 for m in messages)  # some need more than one line
    (pdf,) = lo.convert([xlsx], "pdf", tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # the 级别 cell prints beside a message's first line: without it, each message reads on
    text = "".join(line for line in text.split() if line not in ("提醒", "错误"))
    for m in messages:
        assert re.sub(r"\s+", "", m) in text, m


def test_cli_full_writes_every_detail_row(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mentor_xl.cli import main
    from mentor_xl.demo import build_demo_book

    build_demo_book(tmp_path / "示例.xlsx", "bit-2022")
    monkeypatch.setattr(res, "DETAIL_FULL_ROWS", 10)  # the demo has ~1,500 detail rows
    runner = CliRunner()
    short, full = tmp_path / "short.xlsx", tmp_path / "full.xlsx"
    for out, extra in ((short, []), (full, ["--full"])):
        r = runner.invoke(main, ["compliance", str(tmp_path / "示例.xlsx"), "--term", "2024-2025-1", "-o", str(out), *extra])
        assert r.exit_code == 0, r.output
    s, f = openpyxl.load_workbook(short, read_only=True), openpyxl.load_workbook(full, read_only=True)
    s_rows = list(s["合规明细"].iter_rows(min_row=2, values_only=True))
    f_rows = list(f["合规明细"].iter_rows(min_row=2, values_only=True))
    assert s_rows and {r[17] for r in s_rows} == {"不达标"}
    assert s_rows == [r for r in f_rows if r[17] == "不达标"]
    assert {"达标", "不达标"} <= {r[17] for r in f_rows}
    note = [v for r in s["总览"].iter_rows(values_only=True) for v in r if isinstance(v, str) and "--full" in v]
    assert note and f"另有达标、不适用的 {len(f_rows) - len(s_rows)} 行未列出" in note[0]
    first = next(s["总览"].iter_rows(values_only=True))[0]
    # the office's 单位名称 heads the overview (the demo's is the pack's institution, as a real office's)
    assert first == "北京理工大学2024-2025-1学期导师工作合规总览"


COLLEGES_32 = ["马克思主义学院", "机电学院", "信息与电子学院", "自动化学院", "计算机学院", "材料学院", "化学与化工学院",
               "生命学院", "宇航学院", "光电学院", "数学与统计学院", "物理学院", "管理与经济学院", "人文与社会科学学院",
               "法学院", "外国语学院", "设计与艺术学院", "教育学院", "医学技术学院", "集成电路与电子学院",
               "网络空间安全学院", "前沿交叉科学研究院", "睿信书院", "精工书院", "求是书院", "经管书院", "明德书院",
               "知艺书院", "北京书院", "特立书院", "令闻书院", "时代书院"]


def _university(tmp_path, colleges: list, staff: int):
    """The demo's results with its staff spread over ``colleges`` (None: no 学院 given), printed by
    LibreOffice: (the results workbook, each sheet's pages as their words)."""
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office

    build_demo_book(tmp_path / "示例.xlsx", "bit-2022", staff=staff, students=staff * 10, log_rows=staff * 25)
    wb = openpyxl.load_workbook(tmp_path / "示例.xlsx")
    ws = wb["人员"]
    j = [c.value for c in ws[1]].index("学院")
    for i, row in enumerate(ws.iter_rows(min_row=2)):
        if row[0].value:
            row[j].value = colleges[i % len(colleges)]
    wb.save(tmp_path / "大学.xlsx")
    office = open_office(tmp_path / "大学.xlsx")
    xlsx = res.write_results(tmp_path / "结果.xlsx", office.compliance("2024-2025-1"), office=office.name)
    (pdf,) = lo.convert([xlsx], "pdf", tmp_path)
    names = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    by_sheet: dict[str, list] = {}
    for words in _pages(pdf):
        by_sheet.setdefault(_sheet_of(words, names), []).append([w for _, _, w in words])
    return xlsx, by_sheet


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_an_office_of_32_colleges_names_every_bar(tmp_path):
    """A university's 32 学院 and 书院 (the demo has 3): every bar of the 学院 charts is named —
    left to itself LibreOffice named every other one once the bars were close — each 学院 still
    prints on a page of its own, and the office's chart, with no room under its table, on the next."""
    _, by_sheet = _university(tmp_path, COLLEGES_32, 64)
    overview, charts = by_sheet["总览"], by_sheet["图表"]
    assert len(overview) == 2 + 32
    # the office's table, then its chart on the next page, every bar named (LibreOffice also puts
    # the chart's text, clipped away, on the page before its anchor: only the next one is read)
    assert all(c in overview[0] for c in COLLEGES_32) and "全单位" in overview[0]
    assert "各学院导师全部达标比例" in overview[1] and all(c in overview[1] for c in COLLEGES_32)
    for college, words in zip(sorted(COLLEGES_32), sorted(overview[2:], key=lambda w: next(
            c for c in COLLEGES_32 if any(x.startswith(c) for x in w[:12])))):
        assert any(x.startswith(college) for x in words[:12]), college
    # 图表: the 学院 table and its chart on one page (the page before carries the chart's clipped text)
    college_page = max(charts, key=lambda p: sum(p.count(c) for c in COLLEGES_32))
    assert any(w.startswith("各学院合规率") for w in college_page)
    assert all(college_page.count(c) >= 2 for c in COLLEGES_32)  # in the table and under its bar


LONG = ["马克思主义学院（思想政治理论课教学研究部）", "继续教育学院（网络教育学院、培训学院）"]


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_a_table_longer_than_a_page_has_its_header_on_the_next(tmp_path):
    """60 学院, 书院 and 系, two of them long, and staff without a 学院: 总览's table and 图表's go on
    over a second page with their header again, and the charts over them still plot every unit —
    once, by name, the repeated header left out (a union of the table's pieces)."""
    units = COLLEGES_32 + [f"第{i}系" for i in range(1, 27)] + LONG + [None]
    xlsx, by_sheet = _university(tmp_path, units, 64)
    named = [u for u in units if u] + ["（未填学院）"]
    overview, charts = by_sheet["总览"], by_sheet["图表"]
    assert overview[0].count("应考核人数") == 1 and overview[1].count("应考核人数") == 1  # the header again
    assert "全单位" in overview[1] and "全单位" not in overview[0]
    table_pages = [p for p in charts if "应达标周期数" in p]
    assert len(table_pages) == 2 and all(p.count("应达标周期数") == 1 for p in table_pages)
    # the charts' series: the table's pieces, without the header between them, every name cached
    import zipfile
    with zipfile.ZipFile(xlsx) as z:
        charts_xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    unions = [x for x in charts_xml if "<c:f>(" in x]
    assert len(unions) == 2  # 总览's 学院 chart and 图表's
    for x in unions:
        cats = re.search(r"<c:cat><c:strRef><c:f>\((.*?)\)</c:f><c:strCache><c:ptCount val=\"(\d+)\"/>", x)
        assert cats and int(cats.group(2)) == len(named) and cats.group(1).count(",") == 1, x[:300]
        assert all(f"<c:v>{u}</c:v>" in x for u in named)


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_office_given_on_the_command_line_prints_on_every_page(tmp_path):
    """An office's own 台账 (no 设置: no 单位名称) run with ``--office``: printed by LibreOffice, every
    page's header carries the name, its ``&`` as text (an unescaped one is a header code)."""
    import sys

    from officebook import bit_office_book

    book = bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True)
    r = subprocess.run([sys.executable, "-m", "mentor_xl", "compliance", str(book), "--policy", "bit-2022",
                        "-t", "2024-2025-1", "--office", "北京理工大学 精工书院 & 睿信书院"],
                       capture_output=True, text=True, encoding="utf-8")
    assert r.returncode == 0, r.stderr
    (pdf,) = lo.convert([tmp_path / "精工书院台账-2024-2025-1-合规.xlsx"], "pdf", tmp_path)
    pages = _pages(pdf)
    assert len(pages) > 3
    for words in pages:
        top = min(y for _, y, _ in words)
        line = [w for x, y, w in sorted(words) if abs(y - top) < 3 and x < 300]
        assert line[:4] == ["北京理工大学", "精工书院", "&", "睿信书院"], line


def _reports_print(tmp_path, book, runs: dict, office: str) -> list:
    """Each of ``runs`` (sheet → (command's arguments, period in the page header, a column near
    说明)) run as the command on ``book`` and converted by LibreOffice: every page of its sheet
    under ``office`` and the period, its whole header row on one line, every 说明 whole. The PDFs."""
    import subprocess as sp
    import sys

    import fastexcel

    books = {}
    for sheet, (args, _, _) in runs.items():
        books[sheet] = tmp_path / f"{sheet}.xlsx"
        done = sp.run([sys.executable, "-m", "mentor_xl", args[0], str(book), *args[1:], "-o", str(books[sheet])],
                      capture_output=True, text=True, encoding="utf-8")
        assert done.returncode == 0, done.stderr
    pdfs = lo.convert(list(books.values()), "pdf", tmp_path)
    for (sheet, (_, period, near_name)), xlsx, pdf in zip(runs.items(), books.values(), pdfs):
        pages = _pages(pdf)
        mine = [words for words in pages if _sheet_of(words, [sheet])]
        assert mine and len(mine) <= 4, (sheet, len(pages))
        for k, words in enumerate(mine):
            top = min(y for _, y, _ in words)
            header = [w for _, y, w in words if abs(y - top) < 3]
            assert (not office or office in header) and (not period or period in header), (sheet, k, header)
            heads = [(x, y) for x, y, w in words if w in ("工号", "学院") and y > top + 5]
            x0, y0 = min(heads, key=lambda p: (p[1], p[0]))
            row = [w for x, y, w in words if abs(y - y0) < 8 and x >= x0]
            assert near_name in row and "说明" in row, (sheet, k, row)  # the whole header, on one page
        raw = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                                                text=True, check=True).stdout)
        notes = fastexcel.read_excel(str(xlsx)).load_sheet(sheet, dtypes="string").to_pandas()["说明"].dropna()
        assert len(notes) and all(re.sub(r"\s+", "", v) in raw for v in notes), sheet
    return pdfs


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_assess_eligibility_and_allocate_workbooks_print_as_the_compliance_one(tmp_path):
    """The workbooks of `assess`, `eligibility` and `allocate` (as the command writes them) print
    as 合规's tables do: one page wide with the header row on every page (考核结果's 等级 and 说明 were
    a page away from the names), the office, the sheet and the term or 学年 above each page, the
    cells' grid, and every 说明 whole (it ran on over the next pages, cut)."""
    from mentor_xl.demo import build_demo_book

    book = build_demo_book(tmp_path / "示例.xlsx", "bit-2022").path
    pdfs = _reports_print(tmp_path, book, {
        "考核结果": (["assess", "-y", "2024-2025"], "2024-2025学年", "等级"),
        "资格审查": (["eligibility", "-t", "2024-2025-2"], "2024-2025-2学期", "结论"),
        "经费分配": (["allocate", "--total", "200000"], "", "分配金额(万元)")}, "北京理工大学")
    assert _ruled_lines(pdfs[0], 1, tmp_path) > 10  # 考核结果's first page: its grid


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
@pytest.mark.skipif(lo.find_soffice() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice 或 poppler 未安装")
def test_reports_of_an_office_own_book_print_the_same(tmp_path):
    """An office's own 台账 (工作台账, 学期设置, title and footer rows, 工号 merged down, no 设置): its
    考核 and 资格审查 print the same way, the term spelled as its 学期 sheet spells it, and the office
    named by ``--office`` above every page."""
    from officebook import bit_office_book

    book = bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True)
    unit = ["--office", "北京理工大学精工书院"]
    _reports_print(tmp_path, book, {
        "考核结果": (["assess", "-y", "2024-2025", "--policy", "bit-2022", *unit], "2024-2025学年", "等级"),
        "资格审查": (["eligibility", "-t", "2024-2025学年第一学期", "--policy", "bit-2022", *unit], "2024-2025-1学期",
                 "结论")}, "北京理工大学精工书院")


def test_any_office_name_gives_a_page_header_excel_accepts(tmp_path):
    """Whatever ``--office`` carries (&, control characters, emoji, XML's own marks, a name of
    hundreds of characters), every sheet's page header is at most Excel's 255 characters, with
    no & but the header's own codes and the name's doubled ones (a lone & would start a code),
    the name (or its start, when cut to fit) on its left; and the workbook reads back."""
    import zipfile
    from html import unescape as xml_text

    import pandas as pd
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as hs

    from mentor_xl.cli import _office_name
    from mentor_xl.problems import Problems
    from mentor_xl.workbook.report import write_report
    from mentor_xl.workbook.xlsx import HEADER_MAX

    class Office:
        name = "设置里的单位"

    names = hs.text(hs.sampled_from("北京理工大学精工书院&<>\"'\x01\x1f\u3000 \t😀=+-@") | hs.characters(), max_size=400)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(names)
    def check(unit):
        name = _office_name(unit, Office())
        assert name and len(name) <= 60 and name.isprintable()
        out = write_report(tmp_path / "报告.xlsx", {"考核结果": pd.DataFrame({"工号": ["T1"], "说明": ["理由"]})},
                           Problems(), office=name, period="2024-2025学年")
        openpyxl.load_workbook(out).close()
        with zipfile.ZipFile(out) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            heads = [xml_text(m) for n in sheets for m in re.findall(r"<oddHeader>(.*?)</oddHeader>", z.read(n).decode())]
        assert len(heads) == len(sheets) == 2
        for head in heads:
            assert len(head) <= HEADER_MAX
            left = re.match(r"&L(.*?)(?=&C|&R|$)", head, re.S).group(1)
            assert "&" not in re.sub(r"&[LCRB&]", "", head), head
            assert name.startswith(left.replace("&&", "&")) and left, (name, head)

    check()
