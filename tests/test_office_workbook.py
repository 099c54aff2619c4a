"""The office's own workbook, as it is (workbook.md): read with no manual fix, it gives exactly
the compliance of its clean twin, and ``check`` names every trap with its Excel row."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from click.testing import CliRunner

from mentor_xl.cli import main
from mentor_xl.office import open_office
from officebook import (TRAPS, bit_clean_book, bit_office_book, ustb_clean_book, ustb_office_book)


def _compliance(path, term="2024-2025-1", policy=None):
    out = open_office(path, policy).compliance(term).to_json()
    # the Excel rows named as evidence move with the office's layout; everything else must not
    out["results"] = [{k: v for k, v in r.items() if k != "evidence_rows"} for r in out["results"]]
    return out


def test_bit_office_book_gives_the_clean_twins_compliance(tmp_path):
    clean = _compliance(bit_clean_book(tmp_path / "clean.xlsx"))
    office = _compliance(bit_office_book(tmp_path / "台账.xlsx", with_terms=True), "2024-2025学年第一学期", "bit-2022")
    assert [p for p in clean["problems"] if p["level"] == "error"] == []
    assert len(clean["results"]) > 0
    assert office["results"] == clean["results"]
    assert office["staff"] == clean["staff"]
    # evidence names the office's own Excel rows: the first of the duplicate pair, the 全体 row
    raw = open_office(tmp_path / "台账.xlsx", "bit-2022").compliance("2024-2025-1").to_json()["results"]
    ev = {(r["rule"], r["staff_id"], r["student_id"]): r["evidence_rows"] for r in raw}
    assert ev[("bit.monthly-talk", "1001", "2024010001")][:1] == [TRAPS["duplicate"][0]]
    assert ev[("bit.monthly-talk", "1002", "2024010005")] == [TRAPS["all"]]


def test_ustb_office_book_found_by_content_gives_the_clean_twins_compliance(tmp_path):
    clean = _compliance(ustb_clean_book(tmp_path / "clean.xlsx"))
    office = _compliance(ustb_office_book(tmp_path / "台账.xlsx"), "2024年秋季学期", "ustb-2022")
    assert [p for p in clean["problems"] if p["level"] == "error"] == []
    assert len(clean["results"]) > 0
    assert office["results"] == clean["results"]
    assert office["staff"] == clean["staff"]
    assert [p for p in office["problems"] if p["category"] in ("未知列", "缺少列", "缺少工作表")] == []


def _check(path, *args):
    r = CliRunner().invoke(main, ["check", str(path), "--policy", "bit-2022", *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_check_names_every_trap_with_its_excel_row(tmp_path):
    path = bit_office_book(tmp_path / "台账.xlsx", with_terms=True)
    problems = json.loads(_check(path, "--json"))["problems"]
    at = {(p["sheet"], p["row"], p["column"]): p for p in problems}
    assert at[("活动记录", TRAPS["no_year"], "日期")]["value"] == "10月15日"
    assert "没有年份" in at[("活动记录", TRAPS["no_year"], "日期")]["message"]
    assert at[("活动记录", TRAPS["blank_date"], "日期")]["category"] == "缺少必填值"
    assert at[("活动记录", TRAPS["misspelt"], "活动类型")]["value"] == "谈心淡话"
    dup = at[("活动记录", TRAPS["duplicate"][1], None)]
    assert (dup["category"], dup["level"]) == ("疑似重复", "warning")
    assert f"第{TRAPS['duplicate'][0]}行" in dup["message"]
    blank_id = at[("活动记录", TRAPS["blank_id"], "工号")]
    assert (blank_id["level"], blank_id["value"]) == ("warning", "王芳") and "1003" in blank_id["message"]
    # nothing else is an error: layout (title, 序号, footer, merged cells) is not data
    errors = {(p["sheet"], p["row"], p["column"]) for p in problems if p["level"] == "error"}
    assert errors == {("活动记录", TRAPS["no_year"], "日期"), ("活动记录", TRAPS["blank_date"], "日期"),
                      ("活动记录", TRAPS["misspelt"], "活动类型")}, problems
    assert not [p for p in problems if p["category"] == "未知列" and p["column"] in ("序号", "学生姓名")]


def test_check_prints_what_it_recognised(tmp_path):
    out = _check(bit_office_book(tmp_path / "台账.xlsx", with_terms=True))
    assert "人员 ← 导师名单：工号 ← 教师工号，学院 ← 所在书院" in out
    assert "活动记录 ← 活动记录：日期 ← 谈话日期，工号 ← 教师工号，活动类型 ← 谈话方式，学号 ← 学生学号" in out
    assert "角色：制度 bit-2022 只有一个角色，人员表中每人都是“学育导师”" in out
    assert "见结果工作簿" not in out


def test_missing_term_sheet_names_its_columns_and_the_row_to_add(tmp_path):
    path = bit_office_book(tmp_path / "台账.xlsx")
    out = _check(path)
    assert "学期 | 开始日期 | 结束日期" in out
    r = CliRunner().invoke(main, ["compliance", str(path), "--policy", "bit-2022", "--term", "2024-2025学年第一学期"])
    assert r.exit_code == 1
    assert "学期 | 开始日期 | 结束日期" in r.output and "2024-2025-1 |" in r.output
    assert "Traceback" not in r.output


def test_the_office_book_runs_every_step_without_a_fix(tmp_path):
    path = bit_office_book(tmp_path / "台账.xlsx", with_terms=True)
    run = CliRunner().invoke
    for args in (["compliance", "--term", "2024-2025-1"], ["assess", "--year", "2024-2025"],
                 ["collect", "--term", "2024-2025-1", "--by", "书院", "--out", str(tmp_path / "收集")],
                 ["allocate", "--total", "10000", "--by", "书院"]):
        r = run(main, [args[0], str(path), "--policy", "bit-2022", *args[1:]])
        assert r.exit_code == 0, (args, r.output)
    assert (tmp_path / "台账-2024-2025-1-合规.xlsx").exists()
    assert sorted(p.name for p in (tmp_path / "收集").glob("*.xlsx")) == ["收集表-睿信书院.xlsx", "收集表-精工书院.xlsx"] or \
        len(list((tmp_path / "收集").glob("*.xlsx"))) == 2


def test_two_candidates_for_a_column_name_the_mapping_row(tmp_path):
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    path = write_xlsx(tmp_path / "a.xlsx", {"活动记录": [["谈话日期", "录入日期", "教师工号", "活动类型"],
                                                        ["2024-09-10", "2024-09-12", "T1", "谈心谈话"]]})
    book = read_book(path)
    p = next(p for p in book.problems if p.category == "列名不明确")
    assert (p.sheet, p.row, p.column) == ("活动记录", 1, "日期")
    assert "活动记录 | 谈话日期 | 日期" in p.message
    missing = next(p for p in book.problems if p.category == "缺少列")
    assert "此表的列是：谈话日期、录入日期、教师工号、活动类型" in missing.message


def test_a_multi_role_pack_without_a_role_column_is_told_which_roles(tmp_path):
    from helpers_xlsx import write_xlsx
    path = write_xlsx(tmp_path / "a.xlsx", {"人员": [["工号", "姓名"], ["T1", "张老师"]]})
    r = CliRunner().invoke(main, ["check", str(path), "--policy", "ustb-2022", "--json"])
    out = json.loads(r.stdout)
    p = next(p for p in out["problems"] if p["column"] == "角色")
    assert p["category"] == "缺少列" and "本科生导师" in p["message"] and "人员 | 本单位列名 | 角色" in p["message"]
    assert out["problems"][0]["category"] in ("缺少列", "缺少工作表")  # structural problems first


def test_merged_cells_are_filled_when_the_table_starts_off_column_a(tmp_path):
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    rows = [["工号", "学号"], ["T1", "S1"], [None, "S2"], [None, "S3"], ["T2", "S4"]]
    path = write_xlsx(tmp_path / "m.xlsx", {"指导关系": rows}, start={"指导关系": "C3"},
                      merged={"指导关系": ["C4:C6"]})
    pairs = read_book(path).assignments
    assert list(zip(pairs["工号"], pairs["学号"], pairs["_row"])) == [
        ("T1", "S1", 4), ("T1", "S2", 5), ("T1", "S3", 6), ("T2", "S4", 7)]


def test_check_json_prints_even_when_no_pack_is_known(tmp_path):
    path = bit_office_book(tmp_path / "台账.xlsx")  # no 设置 sheet, no --policy
    r = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["policy"] is None and "--policy" in out["error"]
    assert "人员 ← 导师名单：工号 ← 教师工号，学院 ← 所在书院" in out["recognised"]


def test_check_json_answers_for_a_file_that_is_no_workbook(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")  # e.g. a mail body saved with the wrong name
    r = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["problems"] == [] and "不是 Excel 工作簿" in out["error"]


def test_office_shorthand_values():
    import pandas as pd
    from mentor_xl.workbook import values
    hours, bad = values.parse_hours(pd.Series(["90分钟", "1小时30分钟", "45 min", "2小时", "1.5", "半小时", None]))
    assert hours.tolist()[:5] == [1.5, 1.5, 0.75, 2.0, 1.5] and bad.tolist() == [False] * 5 + [True, False]
    ids, bad = values.parse_idlist(pd.Series(["全体", " 所有学生 ", "全部", "S1、全体", "全体同学x"]))
    assert ids.tolist() == [["全体"], ["全体"], ["全体"], ["S1", "全体"], []] and bad.tolist() == [False] * 4 + [True]
    dates, bad = values.parse_date(pd.Series(["2024年10月8日下午", "10月15日"]))
    assert str(dates.iloc[0].date()) == "2024-10-08" and bad.tolist() == [False, True]


def _signed_log(path):
    """Two activities, a totals row, a blank row and the signatures under them (Excel rows 2–3 are data)."""
    from helpers_xlsx import write_xlsx
    return write_xlsx(path, {"活动记录": [
        ["序号", "日期", "工号", "活动类型", "时长"],
        [1, "2024-09-10", "T1", "谈心谈话", 1], [2, "2024-09-11", "T1", "谈心谈话", 2],
        ["合 计", None, None, None, 3], [],
        ["填表人：王老师", None, "审核人：李主任"], ["注：本表一式两份"]]})


def test_footer_and_totals_rows_are_layout(tmp_path):
    from mentor_xl.workbook.reader import read_book
    path = _signed_log(tmp_path / "f.xlsx")
    book = read_book(path)
    assert book.log["_row"].tolist() == [2, 3] and [p for p in book.problems if p.sheet == "活动记录"] == []


def _streams(monkeypatch):
    """The sheets whose XML the reader streams for merged ranges (``merges.merged_ranges``)."""
    from mentor_xl.workbook import reader
    seen = []
    real = reader.merged_ranges

    def spy(path, names=None):
        seen.extend(sorted(names or ()))
        return real(path, names=names)
    monkeypatch.setattr(reader, "merged_ranges", spy)
    return seen


def test_a_footer_is_no_trace_of_a_merge(tmp_path, monkeypatch):
    # An office signs its log at the foot: the blanks beside 填表人 and 合计 are layout, so the
    # log's XML (most of a big file) is not streamed for merged ranges it cannot have.
    from mentor_xl.workbook.reader import read_book
    path = _signed_log(tmp_path / "f.xlsx")
    seen = _streams(monkeypatch)
    book = read_book(path)
    assert seen == [] and book.log["_row"].tolist() == [2, 3]


def test_a_merged_data_row_above_a_footer_is_still_filled(tmp_path, monkeypatch):
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    rows = [["日期", "工号", "活动类型", "学号"],
            ["2024-09-10", "T1", "谈心谈话", "S1"], ["2024-09-11", None, "谈心谈话", "S2"],
            ["2024-09-12", "T2", "谈心谈话", "S3"], ["填表人：王老师"]]
    path = write_xlsx(tmp_path / "m.xlsx", {"活动记录": rows}, merged={"活动记录": ["B2:B3"]})
    seen = _streams(monkeypatch)
    log = read_book(path).log
    assert seen == ["活动记录"]
    assert list(zip(log["工号"], log["_row"])) == [("T1", 2), ("T1", 3), ("T2", 4)]


def test_a_log_kept_by_name_is_read_whole(tmp_path, monkeypatch):
    # 工号 left blank in more rows than the warnings list: every row whose 教师姓名 names exactly one
    # staff member takes that 工号 (the rows past the list were dropped as 缺少必填值 before)
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook import reader
    monkeypatch.setattr(reader, "MAX_PROBLEMS_PER_COLUMN", 2)
    log = [["日期", "工号", "教师姓名", "活动类型"]] + [[f"2024-09-{d:02d}", None, "张伟" if d % 2 else "李娜", "谈心谈话"]
                                                     for d in range(2, 27)] + [["2024-09-27", None, "王芳", "谈心谈话"]]
    path = write_xlsx(tmp_path / "n.xlsx", {
        "人员": [["工号", "姓名", "角色"], ["T1", "张伟", "学育导师"], ["T2", "李娜", "学育导师"],
               ["T3", "王芳", "学育导师"], ["T4", "王芳", "学育导师"]],
        "活动记录": log})
    book = reader.read_book(path)
    assert book.log["工号"].tolist() == ["T2", "T1"] * 12 + ["T2"]  # all 25; 王芳 is two people: skipped
    named = [p for p in book.problems if p.category == "按姓名补工号"]
    assert [p.row for p in named] == [2, 3, None] and "另有 23 行" in named[-1].message and "共 25 行" in named[-1].message
    assert all(p.level == "warning" for p in named)
    assert [p.row for p in book.problems if p.category == "缺少必填值"] == [27]


def test_a_log_without_a_staff_id_column_is_read_by_name(tmp_path):
    # the office keeps its 台账 by 教师姓名 alone: each row takes the one staff member of that name;
    # a name two people bear, a name not in 人员 and a blank name are skipped, each with its reason
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    path = write_xlsx(tmp_path / "n.xlsx", {
        "人员": [["工号", "姓名", "角色"], ["T1", "张伟", "学育导师"], ["T2", "李娜", "学育导师"],
               ["T3", "王芳", "学育导师"], ["T4", "王芳", "学育导师"]],
        "活动记录": [["日期", "教师姓名", "活动类型"], ["2024-09-02", "张伟", "谈心谈话"], ["2024-09-03", "李娜", "谈心谈话"],
                 ["2024-09-04", "王芳", "谈心谈话"], ["2024-09-05", "赵六", "谈心谈话"], ["2024-09-06", None, "谈心谈话"]]})
    book = read_book(path)
    assert list(zip(book.log["工号"], book.log["_row"])) == [("T1", 2), ("T2", 3)]
    log = [p for p in book.problems if p.sheet == "活动记录"]
    assert [(p.row, p.category, p.level) for p in log] == [
        (1, "按姓名补工号", "warning"), (4, "缺少必填值", "error"), (5, "缺少必填值", "error"), (6, "缺少必填值", "error")]
    assert "没有“工号”列" in log[0].message and "教师姓名" in log[0].message
    assert "有 2 人同名" in log[1].message and "不在人员表中" in log[2].message and "未填写" in log[3].message
    assert "工号 ← 教师姓名（按姓名查人员表）" in book.recognised["活动记录"].line()


def test_a_bare_name_column_is_not_taken_for_the_staff(tmp_path):
    # 指导关系 without 工号 whose 姓名 is the student's: still a missing column, not students read as staff
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    path = write_xlsx(tmp_path / "s.xlsx", {
        "人员": [["工号", "姓名", "角色"], ["T1", "张伟", "学育导师"]],
        "指导关系": [["学号", "姓名"], ["S1", "张伟"]]})
    book = read_book(path)
    assert book.assignments.empty
    assert [p.category for p in book.problems if p.sheet == "指导关系"] == ["缺少列"]


@pytest.mark.parametrize("chunk", [7, 61, 4096, 1 << 20])
def test_merged_ranges_are_found_whatever_the_chunks(tmp_path, monkeypatch, chunk):
    # the part is read from its own deflate stream a chunk at a time: a <mergeCell> cut anywhere
    # is found once, and the check of the part finds the same ranges passing over it
    import openpyxl
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook import limits, merges
    rows = [["工号", "学号"]] + [[f"T{i // 3}" if i % 3 == 0 else None, f"S{i}"] for i in range(60)]
    ranges = [f"A{r}:A{r + 2}" for r in range(2, 62, 3)] + ["C1:D1"]
    path = write_xlsx(tmp_path / "m.xlsx", {"指导关系": rows}, merged={"指导关系": ranges})
    want = sorted((c.min_row - 1, c.min_col - 1, c.max_row - 1, c.max_col - 1)
                  for c in openpyxl.load_workbook(path)["指导关系"].merged_cells.ranges)
    monkeypatch.setattr(limits, "CHUNK", chunk)
    got = merges.merged_ranges(path, names={"指导关系"})["指导关系"]
    assert sorted(got.ranges) == want and len(got.ranges) == len(want) and (got.first_col, got.last_col) == (0, 3)
    found: dict = {}
    part = limits.sheet_part(path, "指导关系")
    steps = limits.part_steps(path, part, found=found)
    with pytest.raises(StopIteration):
        while True:
            next(steps)
    seen = merges.from_refs(found["merges"], found["dimension"])
    assert seen.ranges == got.ranges
    # the check reads <dimension> in the part's first chunk (always there in a real file): without
    # it the reader streams the part for its merges as before
    assert (seen.first_col, seen.last_col) == ((0, 3) if found["dimension"] else (None, None))


def test_a_log_grouped_by_teacher_with_merged_ids(tmp_path):
    # 教师工号 and 教师姓名 merged down each teacher's rows, as a 台账 grouped by teacher is kept:
    # every row takes its block's teacher (many ranges in one column, one pass over the column)
    from helpers_xlsx import write_xlsx
    from mentor_xl.workbook.reader import read_book
    rows, ranges, want = [["日期", "工号", "教师姓名", "活动类型"]], [], []
    r = 2
    for t in range(300):
        size = 1 + t % 4
        for k in range(size):
            rows.append([f"2024-09-{2 + k:02d}", f"T{t}" if k == 0 else None, f"师{t}" if k == 0 else None, "谈心谈话"])
            want.append(f"T{t}")
        if size > 1:
            ranges += [f"B{r}:B{r + size - 1}", f"C{r}:C{r + size - 1}"]
        r += size
    path = write_xlsx(tmp_path / "g.xlsx", {"活动记录": rows}, merged={"活动记录": ranges})
    book = read_book(path)
    assert book.log["工号"].tolist() == want
    assert [p for p in book.problems if p.sheet == "活动记录"] == []


def test_the_office_book_kept_by_name_gives_the_clean_twins_compliance(tmp_path):
    # the office's own 台账 (title rows, merged 指导关系, footers) whose 活动记录 has 教师姓名 and no
    # 教师工号: read by name, it gives what its clean twin gives; check shows where 工号 came from
    import openpyxl
    clean = _compliance(bit_clean_book(tmp_path / "clean.xlsx"))
    path = bit_office_book(tmp_path / "台账.xlsx", with_terms=True)
    wb = openpyxl.load_workbook(path)
    ws = wb["活动记录"]
    at = [c.value for c in ws[2]].index("教师工号") + 1
    ws.delete_cols(at)
    wb.save(path)
    office = _compliance(path, "2024-2025学年第一学期", "bit-2022")
    assert office["results"] == clean["results"] and office["staff"] == clean["staff"]
    r = CliRunner().invoke(main, ["check", str(path), "--policy", "bit-2022"])
    assert "工号 ← 教师姓名（按姓名查人员表）" in r.stdout and "Traceback" not in r.stdout


def test_merged_ranges_from_references_as_xlsxwriter_reads_them():
    """The <mergeCell> references the check passed over (b"B2", b"XFD1048576"), corners in any
    order, made into ranges as xlsxwriter's parser reads each: the same ranges, in order, once each."""
    import random

    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    from mentor_xl.workbook.merges import from_refs
    rng = random.Random(7)
    refs = []
    for _ in range(3000):
        r1, r2 = rng.choice([0, 1, 2, 1048575, rng.randint(0, 1048575)]), rng.randint(0, 1048575)
        c1, c2 = rng.choice([0, 25, 26, 701, 702, 16383, rng.randint(0, 16383)]), rng.randint(0, 16383)
        refs.append((xl_rowcol_to_cell(r1, c1).encode(), xl_rowcol_to_cell(r2, c2).encode()))
    refs += refs[:10]  # a range given twice is one range
    expected = []
    for a, b in refs:
        (r1, c1), (r2, c2) = (xl_cell_to_rowcol(x.decode()) for x in (a, b))
        expected.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    assert from_refs(refs, "A1:C9").ranges == list(dict.fromkeys(expected))


def test_footer_and_totals_rows_found_among_the_data():
    """Rows whose every filled cell is a footer label, and rows with a 合计/总计/小计 cell; a column
    with neither kind among its values costs one pass over them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from mentor_xl.workbook.recognise import encode, footer_rows
    cols = [pa.array(["T1", "T2", "合计", "填表人：张三", None, "注：按月统计", "T3"]),
            pa.array(["谈心谈话", None, None, None, "审核人：李四", "合计", "填表人"]),
            pa.array(["第1次", "第2次", "共 3 小时", None, None, None, "x"])]
    text = [pc.fill_null(pc.not_equal(c, ""), False).to_numpy(zero_copy_only=False) for c in cols]
    assert footer_rows(encode(cols), text).tolist() == [False, False, True, True, True, True, False]
    assert not footer_rows(encode(cols[2:]), text[2:]).any()
    assert footer_rows([], []).tolist() == [] and np.asarray(footer_rows(encode([pa.array([None, None], pa.string())]),
                                                                          [np.zeros(2, bool)])).tolist() == [False, False]


_LABELS = ["填表人：张三", "审核人", " 注：按月", "合计", "总 计", "小计：", "合计 3 人", "T0001", "谈心谈话", "", "备注",
           "共计", "12", "填表日期：2024-09-01", "说明（续）"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_LABELS), st.text(alphabet="合计总小填表人注：:（ 　T01", max_size=6)),
                min_size=0, max_size=40))
def test_value_marks_tell_footers_and_totals_apart_as_one_pass_each_would(cells):
    """``value_marks`` finds both kinds in one pass over a column's distinct values and tells only
    those apart: the same marks as a pass per kind over every value."""
    import numpy as np
    import pyarrow as pa

    from mentor_xl.workbook import recognise as rec
    col = rec.encode([pa.array(cells, pa.string())])[0]
    foot, total = rec.value_marks(col)
    want_foot = rec._matches(col.dictionary, rec._FOOTER) if len(col.dictionary) else np.zeros(0, bool)
    want_total = rec._matches(col.dictionary, rec._TOTALS) if len(col.dictionary) else np.zeros(0, bool)
    assert (foot is None) == (not want_foot.any()) and (total is None) == (not want_total.any())
    if foot is not None:
        assert foot.tolist() == want_foot.tolist()
    if total is not None:
        assert total.tolist() == want_total.tolist()


def _fill_merged_one_at_a_time(cols, merges, h):
    """The filling of merged ranges one range and one cell at a time, in plain lists: the
    reference ``reader._fill_merged`` (each column's ranges at once) must equal."""
    grid = [c.to_pylist() for c in cols]
    ncols, n = len(grid), len(grid[0])
    off = 0
    if merges.first_col is not None and merges.last_col is not None:
        off = merges.first_col if merges.last_col - merges.first_col + 1 == ncols else max(0, merges.last_col + 1 - ncols)
    source_row: dict = {}  # column -> the row each of its cells takes its value from
    later: dict = {}  # column -> [(first row, last row, value)], the ranges' other columns
    for first, c1, last, c2 in merges.ranges:
        last = min(last, n - 1)
        if first <= h or first > last or (first == last and c1 == c2):
            continue
        for c in range(max(0, c1 - off), min(ncols - 1, c2 - off) + 1):
            if c == c1 - off:
                rows = source_row.setdefault(c, list(range(n)))
                for r in range(first, last + 1):
                    rows[r] = first
            else:
                value = grid[c1 - off][first] if 0 <= c1 - off < ncols else None
                later.setdefault(c, []).append((first, last, value))
    out = [list(g) for g in grid]
    for c, rows in source_row.items():
        out[c] = [grid[c][r] for r in rows]
    for c, fills in later.items():
        for first, last, value in fills:
            for r in range(first, last + 1):
                out[c][r] = value
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.data())
def test_merged_ranges_fill_as_one_range_at_a_time(data):
    """Ranges down one column (a grouped log's 工号 and 姓名), over several columns, off the grid,
    over the title and header, overlapping (no valid file has them: the later wins), cut by the
    grid's end, with the <dimension> or without: each column filled at once as one at a time."""
    import pyarrow as pa

    from mentor_xl.workbook import reader
    from mentor_xl.workbook.merges import SheetMerges

    ncols, n = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 30))
    cols = [pa.array([data.draw(st.sampled_from([None, "", "T1", f"v{j}{i}"])) for i in range(n)], pa.large_string())
            for j in range(ncols)]
    ranges = []
    for _ in range(data.draw(st.integers(0, 12))):
        r1, c1 = data.draw(st.integers(0, n + 2)), data.draw(st.integers(0, ncols + 2))
        ranges.append((r1, c1, r1 + data.draw(st.integers(0, 8)), c1 + data.draw(st.integers(0, 2))))
    first = data.draw(st.one_of(st.none(), st.integers(0, 3)))
    merges = SheetMerges(ranges, first, None if first is None else first + data.draw(st.integers(0, ncols + 1)))
    h = data.draw(st.integers(-1, 3))
    got, want = reader._fill_merged(cols, merges, h), _fill_merged_one_at_a_time(cols, merges, h)
    assert [c.to_pylist() for c in got] == want


def test_a_merged_range_past_any_sheet_is_read_as_reaching_the_end(tmp_path):
    """A <mergeCell> reference no writer makes (a row of 23 digits, a column of nine letters) runs
    to the sheet's end, as a range down to its last row would: no error, the rest of the book read."""
    import zipfile

    from mentor_xl.workbook.merges import from_refs

    m = from_refs([(b"C6", b"C99999999999999999999999"), (b"A2", b"ABCDEFGHI2"), (b"B3", b"B0005")], "A1:E20")
    assert m.ranges[2] == (2, 1, 4, 1) and m.ranges[0][2] >= 10 ** 11 and m.ranges[1][3] >= 26 ** 4
    src = bit_office_book(tmp_path / "台账.xlsx", with_terms=True)
    bad = tmp_path / "坏合并.xlsx"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as b:
        found = 0
        for info in a.infolist():
            data = a.read(info.filename)
            if b'<mergeCell ref="C6:C7"' in data:  # 指导关系: a mentor's 工号 merged down
                data = data.replace(b'<mergeCell ref="C6:C7"', b'<mergeCell ref="C6:C99999999999999999999999"')
                found += 1
            b.writestr(info, data)
    assert found == 1
    r = CliRunner().invoke(main, ["compliance", str(bad), "-t", "2024-2025-1", "--policy", "bit-2022",
                                  "-o", str(tmp_path / "out.xlsx")])
    assert r.exit_code == 0, r.output
    assert "意外错误" not in r.output and "Error" not in r.output and (tmp_path / "out.xlsx").is_file()
