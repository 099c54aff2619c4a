"""Every result names the 活动记录 rows that counted (Excel rows; the log's header on row 1).

bit-2022, term 2024-2025-1: months Sep Oct Nov Dec required, Jan not. T1 mentors S1 and S2.
Log rows (Excel row = position + 2):
  2  09-10 谈心谈话 S1、S2      → monthly-talk S1 Sep, S2 Sep
  3  09-20 谈心谈话 S1
  4  09-25 谈心谈话 S1
  5  09-28 谈心谈话 S1           → S1 Sep has rows 2, 3, 4, 5: four, three shown
  6  10-12 谈心谈话 S2           → S2 Oct
  7  12-20 午餐会 S1             → S1 Dec
  8  10-15 音乐会 (no student)   → not the talk rule (no student listed)
monthly-talk: S1 Oct and Nov and S2 Nov, Dec: none counted. monthly-activity (staff, any of the six
forms, talks included): Sep rows 2–5, Oct rows 6 and 8, Nov none, Dec row 7.
"""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bookfactory import NATIONAL_DAY, log, make_book, pick, run

from mentor_xl.engine import compliance
from mentor_xl.packs import load_pack
from mentor_xl.results import EVIDENCE, details_frame

MENTOR = {"工号": "T1", "姓名": "张老师", "角色": "学育导师"}
SHEETS = dict(假期=[NATIONAL_DAY], 人员=[MENTOR], 指导关系=[{"工号": "T1", "学号": "S1"}, {"工号": "T1", "学号": "S2"}],
              活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1、S2"), ("2024-09-20", "T1", "谈心谈话", "S1"),
                         ("2024-09-25", "T1", "谈心谈话", "S1"), ("2024-09-28", "T1", "谈心谈话", "S1"),
                         ("2024-10-12", "T1", "谈心谈话", "S2"), ("2024-12-20", "T1", "午餐会", "S1"),
                         ("2024-10-15", "T1", "音乐会")))


def test_json_names_the_first_rows_and_how_many_counted():
    out = run("bit-2022", **SHEETS)
    s1 = pick(out, "bit.monthly-talk", "T1", student="S1")
    assert (s1["evidence_rows"], s1["evidence_count"]) == ([2, 3, 4, 5, 7], 5)
    s2 = pick(out, "bit.monthly-talk", "T1", student="S2")
    assert (s2["evidence_rows"], s2["evidence_count"]) == ([2, 6], 2)
    act = pick(out, "bit.monthly-activity", "T1")
    assert (act["evidence_rows"], act["evidence_count"]) == ([2, 3, 4, 5, 6], 7)
    cap = pick(out, "bit.ratio-cap", "T1")  # 生师比 comes from 指导关系, not from the log
    assert (cap["evidence_rows"], cap["evidence_count"]) == (None, None)


def test_each_detail_row_names_its_rows_or_none():
    book = make_book("bit-2022", 学期=[{"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}],
                     **SHEETS)
    d = details_frame(compliance(book, load_pack("bit-2022"), "2024-2025-1").details)
    talk = d[d["规则"] == "bit.monthly-talk"].set_index(["学号", "周期"])[EVIDENCE]
    assert talk[("S1", "2024-09-01")] == "2、3、4 等 4 行"
    assert talk[("S2", "2024-09-01")] == "2"
    assert talk[("S2", "2024-10-01")] == "6"
    assert talk[("S1", "2024-12-01")] == "7"
    assert talk[("S1", "2024-10-01")] == "无" and talk[("S2", "2024-11-01")] == "无"
    act = d[d["规则"] == "bit.monthly-activity"].set_index("周期")[EVIDENCE]
    assert (act["2024-09-01"], act["2024-10-01"], act["2024-11-01"], act["2024-12-01"]) == (
        "2、3、4 等 4 行", "6、8", "无", "7")
    cap = d[d["规则"] == "bit.ratio-cap"][EVIDENCE]
    assert len(cap) and cap.isna().all()
    assert list(d.columns)[-2:] == [EVIDENCE, "规则"]  # the rule id last, for filtering
    assert pd.api.types.is_string_dtype(d[EVIDENCE]) and d[EVIDENCE].dtype != object  # text, Arrow-backed


def test_every_row_named_is_the_right_row_in_an_office_layout(tmp_path):
    """The benchmark's office layout kept per teacher (a title row above the header, 教师工号 merged
    down each teacher's rows, its own column names, a signature line under the log): every row a
    合规明细 line names is that teacher's, in that period, and lists that student — read back from
    the office's own file with its merged cells filled as Excel shows them."""
    import re

    import openpyxl

    from benchmarks import generate
    from benchmarks.office import office_book
    from mentor_xl.office import open_office

    book = office_book(generate.book(3000, staff=40, students=400, cache=tmp_path), grouped=True).path
    details = details_frame(open_office(book, "bit-2022").compliance("2024-2025-1").details)
    ws = openpyxl.load_workbook(book)["活动记录"]
    grid = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row}
    for m in ws.merged_cells.ranges:  # as Excel shows a merged range: its first cell's value throughout
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                grid[(r, c)] = grid[(m.min_row, m.min_col)]
    header = {grid[(2, c)]: c for c in range(1, ws.max_column + 1)}
    assert grid[(1, 1)] and header["教师工号"] and header["学生学号"]  # the title row, then the office's header
    named = 0
    for _, d in details[details[EVIDENCE].notna()].iterrows():
        lo, hi = pd.Timestamp(d["周期开始"]), pd.Timestamp(d["周期结束"])
        for row in map(int, re.findall(r"\d+", str(d[EVIDENCE]).split("等")[0])):
            named += 1
            assert str(grid[(row, header["教师工号"])]) == d["工号"], (row, d["工号"])
            assert lo <= pd.Timestamp(grid[(row, header["谈话日期"])]).normalize() <= hi, (row, d["周期"])
            if d["对象类型"] == "学生":
                assert str(d["学号"]) in str(grid[(row, header["学生学号"])]), (row, d["学号"])
    assert named > 1000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(2, 40)), max_size=60))
def test_rows_per_subject_whatever_the_log_order(hits):
    """Per subject, the first rows and the count are those of its distinct rows sorted by row,
    from the pairs sorted by period then row: taken as they are when the log is in date order
    (rows rise with the period, as in the first test's monthly-talk), sorted again when not
    (its monthly-activity: row 8 of October after row 7 of December)."""
    from mentor_xl.engine import evidence

    P, n_subj = 3, 4
    hits = list({(s, r): (s, p, r) for s, p, r in hits}.values())  # a row lies in one period
    subject = np.array([h[0] for h in hits], dtype=np.int64)
    pidx = np.array([h[1] for h in hits], dtype=np.int64)
    rows = np.array([h[2] for h in hits], dtype=np.int64)
    pairs = evidence._unique_sorted(subject * P + pidx, rows)
    got_rows, got_count = evidence.subject_rows(pairs, n_subj, P)
    for s in range(n_subj):
        mine = sorted({r for (t, _, r) in hits if t == s})
        assert got_rows[s] == mine[:evidence.JSON_SHOWN] and got_count[s] == len(mine)
