"""Formula-mode results workbook: COUNTIFS/SUMIFS over 活动记录, recalculated by LibreOffice headless.

The workbook is written with XlsxWriter's cached value 0 in every formula cell
(``cache_values=False``), so every number read back after LibreOffice's recalculation
comes from the formulas themselves. Each formula cell must equal what the engine computed;
after an edit of the 活动记录 sheet, the formulas must equal the engine run on the edited log.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import os

import openpyxl
import pandas as pd
import pytest

from bookfactory import TERM_1, log, make_book
from mentor_xl import libreoffice as lo
from mentor_xl.engine import compliance
from mentor_xl.packs import load_pack
from mentor_xl.results import details_frame, staff_frame, summary_frame
from mentor_xl.xl.formulas import formula_rules, type_spellings, write_formula_results


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


HEAD = [{"工号": "H1", "姓名": "周老师", "角色": "班主任"},
        {"工号": "0042", "姓名": "吴老师", "角色": "班主任"}]  # an id that looks like a number
CLASS = [{"工号": "H1", "班级": "数学2401"}, {"工号": "0042", "班级": "数学2402"}]


def hfut_log(*extra):
    """Week of 2 Sep: 深入教室 1.5 h + 家长联系 0.5 h (3 人次) + 家长联系 with 人次 blank (= 1).
    Week of 9 Sep: 深入寝室 (an alias of 深入宿舍) 1 h, and 5 h of 喝茶聊天 — not a type of the pack: counts for nothing."""
    return log(("2024-09-03", "H1", "深入教室", None, {"时长": 1.5}),
               ("2024-09-04", "H1", "家长联系", None, {"时长": 0.5, "人次": 3}),
               ("2024-09-05", "H1", "家长联系"),
               ("2024-09-10", "H1", "深入寝室", None, {"时长": 1.0}),
               ("2024-09-11", "H1", "喝茶聊天", None, {"时长": 5.0}),
               ("2024-09-03", "0042", "深入教室", None, {"时长": 2.5}),
               ("2024-09-12", "42", "深入教室", None, {"时长": 9.0}),  # not 0042: counts for nobody
               *extra)


def recalculated(path, outdir):
    out = lo.recalculate_xlsx(path, outdir)
    return openpyxl.load_workbook(path), openpyxl.load_workbook(out, data_only=True)


def _same(got, exp) -> bool:
    if isinstance(exp, float) and math.isnan(exp):
        exp = None
    if got == "":
        got = None
    if exp is None or isinstance(exp, str):
        return got == exp
    return got is not None and abs(float(got) - float(exp)) < 1e-9


def formula_mismatches(formulas_wb, values_wb, result) -> tuple[int, list]:
    """(number of formula cells, cells whose recalculated value differs from the engine's)."""
    frames = {"合规明细": details_frame(result.details), "合规汇总": summary_frame(result.results),
              "人员汇总": staff_frame(result.staff)}
    n, bad = 0, []
    for name, df in frames.items():
        for row in formulas_wb[name].iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    n += 1
                    got = values_wb[name].cell(c.row, c.column).value
                    exp = df.iloc[c.row - 2, c.column - 1]
                    if not _same(got, exp):
                        bad.append((name, c.coordinate, got, exp))
    return n, bad


def cell(wb, sheet, row_match: dict, column: str):
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for r in ws.iter_rows(min_row=2, values_only=True):
        if all(r[header.index(k)] == v for k, v in row_match.items()):
            return r[header.index(column)]
    raise KeyError(row_match)


def test_type_spellings_are_canonical_aliases_and_log_spellings_without_case_duplicates():
    pack = load_pack("bit-2022")
    sp = type_spellings(pack, pd.Series(["下午茶", "谈心谈话", "Tea", None, "喝茶聊天"]))
    assert sp["导学互动交流"][:2] == ["导学互动交流", "谈心谈话"] and "下午茶" in sp["导学互动交流"]
    assert len(sp["导学互动交流"]) == len({s.casefold() for s in sp["导学互动交流"]})
    assert all("喝茶聊天" not in v for v in sp.values())


def test_formula_rules_are_the_staff_count_and_sum_rules():
    assert [r.id for r in formula_rules(load_pack("bit-2022"))] == ["bit.monthly-activity"]
    hfut = [r.id for r in formula_rules(load_pack("hfut-math"))]
    assert "hfut.weekly-hours" in hfut and "hfut.parent-contact" in hfut
    assert "hfut.term-plan" not in hfut and "hfut.grade-duties" not in hfut  # deadline, class scope


@needs_soffice
def test_hand_computed_hours_and_persons_and_an_edit_of_the_log(tmp_path):
    pack = load_pack("hfut-math")
    book = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    result = compliance(book, pack, "2024-2025-1")
    path = write_formula_results(tmp_path / "公式版.xlsx", result, book, pack, cache_values=False)
    f, v = recalculated(path, tmp_path / "out")

    week1 = {"工号": "H1", "规则": "hfut.weekly-hours", "周期": "2024-09-02"}
    assert cell(v, "合规明细", week1, "实际值") == pytest.approx(2.0)  # 1.5 + 0.5 + blank 0
    assert cell(v, "合规明细", week1, "是否达标") == "达标"
    week2 = {**week1, "周期": "2024-09-09"}
    assert cell(v, "合规明细", week2, "实际值") == pytest.approx(1.0)  # 喝茶聊天 is no type
    assert (cell(v, "合规明细", week2, "是否达标"), cell(v, "合规明细", week2, "差额")) == ("不达标", 1)
    other = {"工号": "0042", "规则": "hfut.weekly-hours", "周期": "2024-09-09"}
    assert cell(v, "合规明细", {**other, "周期": "2024-09-02"}, "实际值") == pytest.approx(2.5)
    assert cell(v, "合规明细", other, "实际值") == 0
    parents = {"工号": "H1", "规则": "hfut.parent-contact"}
    assert cell(v, "合规汇总", parents, "实际值") == 4  # 3 + 1 for the blank 人次
    assert cell(v, "合规汇总", parents, "状态") == "不达标"
    n, bad = formula_mismatches(f, v, result)
    assert n > 100 and bad == []

    # an office edits the log in WPS/Excel, typing below the last row: one more 家长联系 row (人次
    # left blank); 2 h of 走访宿舍 — an alias of 深入宿舍 the log did not use before — with the
    # date typed as text; 1 h of 深入教室 on the week's last day at 18:30 (a date with a time)
    ws = f["活动记录"]
    header = [c.value for c in ws[1]]
    first_empty = next(r for r in range(2, ws.max_row + 2) if ws.cell(r, header.index("日期") + 1).value is None)
    assert first_empty == len(hfut_log()) + 2
    edits = ((dt.datetime(2024, 12, 20), "H1", "家长联系", None), ("2024-12-18", "H1", "走访宿舍", 2),
             (dt.datetime(2024, 12, 22, 18, 30), "H1", "深入教室", 1))
    for k, values in enumerate(edits):
        row = first_empty + k
        c = ws.cell(row, header.index("日期") + 1, values[0])
        if isinstance(values[0], dt.datetime):
            c.number_format = "yyyy-mm-dd hh:mm"
        ws.cell(row, header.index("工号") + 1, values[1])
        ws.cell(row, header.index("活动类型") + 1, values[2])
        ws.cell(row, header.index("时长") + 1, values[3])
    week_dec = {**week1, "周期": "2024-12-16"}
    assert cell(v, "合规明细", week_dec, "是否达标") == "不达标"
    edited = tmp_path / "公式版-已修改.xlsx"
    f.save(edited)
    f2, v2 = recalculated(edited, tmp_path / "out2")
    assert cell(v2, "合规汇总", parents, "实际值") == 5
    assert cell(v2, "合规汇总", parents, "状态") == "达标"
    assert (cell(v2, "合规明细", week_dec, "实际值"), cell(v2, "合规明细", week_dec, "是否达标")) == (3, "达标")
    book2 = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS,
                      活动记录=hfut_log(("2024-12-20", "H1", "家长联系"),
                                     ("2024-12-18", "H1", "走访宿舍", None, {"时长": 2}),
                                     ("2024-12-22", "H1", "深入教室", None, {"时长": 1})))
    n2, bad2 = formula_mismatches(f2, v2, compliance(book2, pack, "2024-2025-1"))
    assert n2 == n and bad2 == []

    # a spelling nobody used before counts once the office adds it to 类型对照
    row = first_empty + len(edits)
    ws.cell(row, header.index("日期") + 1, dt.datetime(2024, 12, 23)).number_format = "yyyy-mm-dd"
    ws.cell(row, header.index("工号") + 1, "H1")
    ws.cell(row, header.index("活动类型") + 1, "电话家访")
    f.save(edited)
    _, v3 = recalculated(edited, tmp_path / "out3")
    assert cell(v3, "合规汇总", parents, "实际值") == 5  # not yet a spelling of any type
    types = f["类型对照"]
    free = next(r for r in range(2, types.max_row + 2) if types.cell(r, 1).value is None)
    types.cell(free, 1, "电话家访")
    types.cell(free, 2, "家长联系")
    f.save(edited)
    _, v4 = recalculated(edited, tmp_path / "out4")
    assert cell(v4, "合规汇总", parents, "实际值") == 6


@needs_soffice
@pytest.mark.parametrize("policy", ["bit-2022", "hfut-math"])
def test_every_formula_cell_of_a_demo_office_equals_the_engine(tmp_path, policy):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office

    build_demo_book(tmp_path / "示例.xlsx", policy, staff=8, students=40)
    office = open_office(tmp_path / "示例.xlsx")
    result = office.compliance("2024-2025-1")
    path = write_formula_results(tmp_path / "公式版.xlsx", result, office.book, office.pack, cache_values=False)
    f, v = recalculated(path, tmp_path / "out")
    n, bad = formula_mismatches(f, v, result)
    assert n > 0 and bad == []
    # the recalculated numbers are not the cached 0s: some formula 实际值 are positive
    ws = v["合规明细"]
    j = [c.value for c in ws[1]].index("实际值") + 1
    formula_rows = [c.row for c in next(f["合规明细"].iter_cols(min_col=j, max_col=j, min_row=2))
                    if isinstance(c.value, str) and c.value.startswith("=")]
    assert formula_rows and any((ws.cell(r, j).value or 0) > 0 for r in formula_rows)


def test_cached_values_let_a_non_recalculating_viewer_show_the_numbers(tmp_path):
    pack = load_pack("hfut-math")
    book = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    result = compliance(book, pack, "2024-2025-1")
    path = write_formula_results(tmp_path / "公式版.xlsx", result, book, pack)
    import fastexcel  # reads cached values, as a viewer without a calculation engine shows them

    df = fastexcel.read_excel(str(path)).load_sheet("合规汇总").to_pandas()
    row = df[(df["规则"] == "hfut.parent-contact") & (df["工号"] == "H1")].iloc[0]
    assert (row["实际值"], row["状态"]) == (4, "不达标")
    ws = openpyxl.load_workbook(path)["合规汇总"]
    header = [c.value for c in ws[1]]
    rule_col = openpyxl.utils.get_column_letter(header.index("规则") + 1)  # the rule id: last column
    r = next(c.row for c in ws[rule_col] if c.value == "hfut.parent-contact")
    assert ws.cell(r, header.index("达标周期数") + 1).value.startswith("=COUNTIFS(")
    assert ws.cell(r, header.index("实际值") + 1).value.startswith("=SUMIFS(")


def test_formula_length_does_not_grow_with_the_spellings_of_a_messy_log():
    """Spellings go to 类型对照, not into the formulas: 300 spellings of 深入教室 leave them as they were."""
    from mentor_xl.xl.formulas import plan_formulas

    pack = load_pack("hfut-math")
    tidy = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    messy_rows = [("2024-09-03", "H1", "深入" + " " * k + "教室", None, {"时长": 0.5}) for k in range(1, 301)]
    messy = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log(*messy_rows))
    plans = [plan_formulas(compliance(b, pack, "2024-2025-1"), b, pack) for b in (tidy, messy)]
    assert len(plans[1].types) == len(plans[0].types) + 300
    assert len(plans[1].longest.formula) == len(plans[0].longest.formula) < 2000


def test_the_length_limit_is_excel_and_wps_8192_characters():
    from mentor_xl.xl.formulas import FORMULA_LIMIT, FormulaTooLong, check_length

    assert FORMULA_LIMIT == 8192
    ok = "=" + "1+" * 4095 + "1"
    assert len(ok) == 8192 and check_length(ok, "合规明细", 4, 10, "规则 x") == ok
    with pytest.raises(FormulaTooLong, match=r"“合规明细”单元格 K5（规则 x）的公式有 8,193 个字符，超过 Excel 和 WPS 的上限 8,192"):
        check_length(ok + "0", "合规明细", 4, 10, "规则 x")


def test_a_formula_over_the_limit_stops_the_workbook_before_it_is_written(tmp_path, monkeypatch):
    from mentor_xl.xl import formulas as F

    pack = load_pack("hfut-math")
    book = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    result = compliance(book, pack, "2024-2025-1")
    longest = F.plan_formulas(result, book, pack).longest
    monkeypatch.setattr(F, "FORMULA_LIMIT", len(longest.formula) - 1)
    cell_ref = f"{F._col(longest.col)}{longest.row + 1}"
    with pytest.raises(F.FormulaTooLong, match=f"公式版结果无法生成：工作表“{longest.sheet}”单元格 {cell_ref}（"):
        F.write_formula_results(tmp_path / "公式版.xlsx", result, book, pack)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("policy", ["bit-2022", "ustb-2022", "lctc-2024", "hfut-math"])
def test_every_demo_formula_workbook_keeps_most_of_the_limit_free(tmp_path, policy):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office
    from mentor_xl.xl.formulas import FORMULA_LIMIT, plan_formulas

    build_demo_book(tmp_path / "示例.xlsx", policy, staff=8, students=40)
    office = open_office(tmp_path / "示例.xlsx")
    plan = plan_formulas(office.compliance("2024-2025-1"), office.book, office.pack)
    assert plan.cells and len(plan.longest.formula) < FORMULA_LIMIT // 2
    # no whole-column reference anywhere: every range is bounded
    formulas = [c.formula for c in plan.cells] + [f for col in plan.columns for f in col.formulas]
    assert len(formulas) > len(plan.cells) and not any(re.search(r"\$[A-Z]+:\$[A-Z]+\b", f) for f in formulas)


@needs_soffice
def test_dates_typed_as_text_in_the_spellings_the_reader_accepts_count_the_same(tmp_path):
    """The office retypes the log's dates as text (and one as the number 20240910): every formula
    still equals the engine on the same dates."""
    pack = load_pack("hfut-math")
    book = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    result = compliance(book, pack, "2024-2025-1")
    path = write_formula_results(tmp_path / "公式版.xlsx", result, book, pack, cache_values=False)
    f = openpyxl.load_workbook(path)
    ws = f["活动记录"]
    j = [c.value for c in ws[1]].index("日期") + 1
    spellings = {"2024-09-03": "2024-09-03", "2024-09-04": "2024.9.4", "2024-09-05": "2024年9月5日",
                 "2024-09-10": 20240910, "2024-09-11": "20240911", "2024-09-12": "2024/9/12"}
    typed = 0
    for r in range(2, len(hfut_log()) + 2):
        v = ws.cell(r, j).value
        key = v.strftime("%Y-%m-%d")
        ws.cell(r, j).value = spellings[key]
        ws.cell(r, j).number_format = "General"
        typed += 1
    assert typed == len(hfut_log())
    f.save(tmp_path / "文字日期.xlsx")
    f2, v2 = recalculated(tmp_path / "文字日期.xlsx", tmp_path / "out")
    n, bad = formula_mismatches(f2, v2, result)
    assert n > 100 and bad == []
    dates = [v2["活动记录"].cell(r, [c.value for c in v2["活动记录"][1]].index("日期值") + 1).value
             for r in range(2, len(hfut_log()) + 2)]
    assert [d.strftime("%Y-%m-%d") for d in dates] == [r[0] for r in hfut_log_dates()]


def hfut_log_dates():
    return [(r["日期"],) for r in hfut_log()]


@needs_soffice
def test_the_formula_workbook_prints_as_the_results_workbook(tmp_path):
    """Every sheet prints landscape, one page wide, under the office's name and the term, and
    公式说明's paragraphs print whole (its rows had the default height: LibreOffice showed and
    printed one line of each)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler 未安装")
    from mentor_xl.xl.formulas import NOTE_SHEET

    pack = load_pack("hfut-math")
    book = make_book("hfut-math", 学期=[TERM_1], 人员=HEAD, 指导关系=CLASS, 活动记录=hfut_log())
    path = write_formula_results(tmp_path / "公式版.xlsx", compliance(book, pack, "2024-2025-1"), book, pack,
                                 office="示例学院")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.oddHeader.left.text == "示例学院" and ws.oddHeader.right.text == "2024-2025-1学期", ws.title
        assert bool(ws.print_options.gridLines) == (ws.title != NOTE_SHEET), ws.title
    note = wb[NOTE_SHEET]
    paragraphs = [c.value for (c,) in note.iter_rows(min_row=2, max_col=1) if c.value]
    (pdf,) = lo.convert([path], "pdf", tmp_path)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert len(paragraphs) >= 5 and all(re.sub(r"\s+", "", p) in text for p in paragraphs)
