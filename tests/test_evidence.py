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
import pandas as pd

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
