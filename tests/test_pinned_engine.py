"""Pinned behaviour of periods, subjects and measures: each test kills a mutant that survived
a mutation run (the wrong number it would let through is said in the test). Hand-computed.

Mutants of periods.py still alive after these tests are equivalent: the sort ``kind`` or
groupby ``sort=`` flag of merge_segments (the result is re-sorted by key and lo), a default
argument spelled out or dropped (searchsorted "left", astype), and the biweek anchor's sign
(the window of a week/biweek rule starts on the term's first day, so the offset is 0)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bookfactory import log, make_book, pick, run
from mentor_xl.engine import compliance
from mentor_xl.packs import load_pack
from mentor_xl.periods import Holidays, active_days, merge_segments

MENTOR = {"工号": "T1", "姓名": "张老师", "角色": "学育导师"}
LCTC_TERM = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}


def details(policy: str, term: dict, **sheets) -> pd.DataFrame:
    book = make_book(policy, 学期=[term], **sheets)
    return compliance(book, load_pack(policy), term["学期"]).details


# ------------------------------------------------------------------------------- periods
def test_spans_one_day_apart_stay_apart_and_touching_spans_merge():
    seg = pd.DataFrame({"subject": [0, 0, 1, 1], "lo": [1, 7, 1, 6], "hi": [5, 10, 5, 10]})
    out = merge_segments(seg)
    # subject 0: day 6 is a gap → two segments; subject 1: 1–5 and 6–10 touch → one
    assert out.values.tolist() == [[0, 1, 5], [0, 7, 10], [1, 1, 10]]


def test_a_one_day_overlap_is_one_active_day_unless_that_day_is_a_holiday():
    none = Holidays(None)
    one = active_days(np.array([5]), np.array([5]), np.array([5]), np.array([11]), none)
    assert one.tolist() == [1]  # not 0
    hol = Holidays(pd.DataFrame({"开始日期": pd.to_datetime(["1970-01-06"]), "结束日期": pd.to_datetime([None])}))
    assert hol.days.tolist() == [5]
    assert active_days(np.array([5]), np.array([5]), np.array([5]), np.array([11]), hol).tolist() == [0]
    # the period edge: a segment ending the day before the period has no active day
    assert active_days(np.array([0]), np.array([4]), np.array([5]), np.array([11]), none).tolist() == [0]


# ------------------------------------------------------------------------------ subjects
def test_periods_after_a_student_leaves_are_not_required():
    # S1 assigned 2024-09-02 … 2024-10-31: Sep (29 of 30 days) and Oct (31 of 31) are required,
    # Nov and Dec are not (dropping the assignment end would make them required: 4).
    out = run("bit-2022", 人员=[MENTOR], 指导关系=[{"工号": "T1", "学号": "S1", "结束日期": "2024-10-31"}],
              活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1"), ("2024-10-10", "T1", "谈心谈话", "S1")))
    s1 = pick(out, "bit.monthly-talk", "T1", student="S1")
    assert (s1["status"], s1["required"], s1["met"]) == ("met", 2, 2)


def test_a_term_starting_on_a_friday_clips_its_first_week():
    # ustb 辅导员 weekly rules; term Fri 2024-09-06 … Sun 2024-09-29. Week of Mon 09-02 has
    # 3 active days (Fri–Sun) < 3.5 → not required; the next three weeks are. Unclipped: 7 days, 4 weeks.
    term = {"学期": "2024-2025-1", "开始日期": "2024-09-06", "结束日期": "2024-09-29"}
    d = details("ustb-2022", term, 人员=[{"工号": "C1", "姓名": "辅", "角色": "辅导员"}])
    w = d[d["rule"] == "ustb.counselor.dorm-visit"].sort_values("period")
    assert w["period"].tolist() == ["2024-09-02", "2024-09-09", "2024-09-16", "2024-09-23"]
    assert w["active_days"].tolist() == [3, 7, 7, 7]
    assert w["required"].tolist() == [False, True, True, True]


def _cap(ninth: dict) -> dict:
    eight = [{"工号": "T1", "学号": f"S{i}", "结束日期": "2024-10-02"} for i in range(1, 9)]
    out = run("bit-2022", 人员=[MENTOR], 指导关系=eight + [{"工号": "T1", "学号": "S9", **ninth}])
    return pick(out, "bit.ratio-cap", "T1")


def test_the_8_to_1_cap_sees_one_and_two_day_overlaps():
    # S1–S8 end 2024-10-02. S9 from 10-02: one day with 9 students; from 10-01: two days; from 10-03: none.
    one, two, none = _cap({"开始日期": "2024-10-02"}), _cap({"开始日期": "2024-10-01"}), _cap({"开始日期": "2024-10-03"})
    assert (one["status"], one["value"]) == ("missed", 9)
    assert (two["status"], two["value"]) == ("missed", 9)
    assert (none["status"], none["value"]) == ("met", 8)


def test_the_8_to_1_cap_sees_a_one_day_overlap_at_the_term_start():
    # S9 assigned 2024-08-20 … 2024-09-02: one day (the term's first) with nine students
    r = _cap({"开始日期": "2024-08-20", "结束日期": "2024-09-02"})
    assert (r["status"], r["value"]) == ("missed", 9)


# ------------------------------------------------------------------------------ measures
def _lctc_class(rows, students=("A", "B", "C", "D")):
    st = [{"学号": s, "姓名": s, "班级": "机电2401"} for s in students] + [{"学号": "X", "姓名": "X", "班级": "机电2402"}]
    return details("lctc-2024", LCTC_TERM, 人员=[{"工号": "L1", "姓名": "甲", "角色": "班级导师"}],
                   学生=st, 指导关系=[{"工号": "L1", "班级": "机电2401"}], 活动记录=rows)


def test_a_row_naming_its_class_counts_only_the_listed_students_of_that_class():
    # 谈心谈话 naming 机电2401 and listing A, B and X (of 机电2402): A and B count → 2/4 = 0.5 ≥ 0.5, met.
    # in_class inverted would count X only: 1/4.
    d = _lctc_class(log(("2024-09-10", "L1", "谈心谈话", "A、B、X", {"班级": "机电2401"})))
    t = d[d["rule"] == "lctc.talk-coverage"]
    assert (t["value"].tolist(), t["met"].tolist()) == ([0.5], [True])


def test_an_empty_class_coverage_is_not_met():
    # 机电2401 has no student in 学生: coverage is 0 of 0 — not a met period (NaN ≥ 0.5 must not pass)
    d = _lctc_class(log(("2024-09-10", "L1", "谈心谈话", None, {"班级": "机电2401"})), students=())
    t = d[d["rule"] == "lctc.talk-coverage"]
    assert t["met"].tolist() == [False]


def test_distinct_counts_per_staff_and_month_do_not_collide():
    # lctc.paired-students: distinct 学号 per mentor per month (≥ 3). Months Sep–Dec required.
    # L1: 3 students in Sep, 3 in Oct; L2: 3 in Sep, the same student 3 times in Oct.
    rows = [("2024-09-05", "L1", "结对指导", s) for s in ("A", "B", "C")]
    rows += [("2024-10-05", "L1", "结对指导", s) for s in ("D", "E", "F")]
    rows += [("2024-09-06", "L2", "结对指导", s) for s in ("A", "B", "G")]
    rows += [("2024-10-0" + str(i), "L2", "结对指导", "A") for i in (6, 7, 8)]
    staff = [{"工号": "L1", "姓名": "甲", "角色": "班级导师"}, {"工号": "L2", "姓名": "乙", "角色": "班级导师"}]
    d = details("lctc-2024", LCTC_TERM, 人员=staff, 活动记录=log(*rows))
    p = d[d["rule"] == "lctc.paired-students"].set_index(["staff_id", "period"])["value"]
    assert p[("L1", "2024-09-01")] == 3 and p[("L1", "2024-10-01")] == 3 and p[("L1", "2024-11-01")] == 0
    assert p[("L2", "2024-09-01")] == 3 and p[("L2", "2024-10-01")] == 1 and p[("L2", "2024-11-01")] == 0


def test_distinct_dorms_per_staff_and_month_do_not_collide():
    rows = [("2024-09-05", "L1", "宿舍指导", None, {"宿舍": "1号楼101"}),
            ("2024-10-05", "L2", "宿舍指导", None, {"宿舍": "1号楼101"}),
            ("2024-10-06", "L2", "宿舍指导", None, {"宿舍": "2号楼202"})]
    staff = [{"工号": "L1", "姓名": "甲", "角色": "班级导师"}, {"工号": "L2", "姓名": "乙", "角色": "班级导师"}]
    d = details("lctc-2024", LCTC_TERM, 人员=staff, 活动记录=log(*rows))
    p = d[d["rule"] == "lctc.paired-dorm"].set_index(["staff_id", "period"])["value"]
    assert (p[("L1", "2024-09-01")], p[("L1", "2024-10-01")]) == (1, 0)
    assert (p[("L2", "2024-09-01")], p[("L2", "2024-10-01")]) == (0, 2)


def test_an_appointment_of_one_day_in_the_term_is_a_subject():
    # T2 appointed until the term's first day (2024-09-02): one active day in September (of 30) →
    # a subject with nothing required (n/a), not dropped as if the one-day segment were empty
    t2 = {"工号": "T2", "姓名": "王老师", "角色": "学育导师", "聘任结束": "2024-09-02"}
    out = run("bit-2022", 人员=[MENTOR, t2])
    r = pick(out, "bit.monthly-activity", "T2")
    assert (r["status"], r["required"], r["met"]) == ("n/a", 0, 0)


def test_staff_active_days_keeps_one_day_overlaps_and_each_staff_code():
    # staff 3 appointed until the window's first day (day 10), assigned throughout: 1 active day (not 0);
    # staff 1 with no assignment has none; the result is indexed by staff code, not position
    from mentor_xl.periods import staff_active_days
    appt = pd.DataFrame({"staff": [1, 3], "lo": [0, 0], "hi": [100, 10]})
    links = pd.DataFrame({"staff": [3], "lo": [0], "hi": [100]})
    got = staff_active_days(appt, links, 10, 20, Holidays(None))
    assert got.to_dict() == {3: 1}


def test_an_unknown_term_on_an_empty_sheet_says_the_sheet_is_empty():
    import pytest
    from mentor_xl.periods import find_term
    from mentor_xl.problems import FatalInputError
    with pytest.raises(FatalInputError, match="^学期表中没有学期“2024-2025-1”。已登记的学期：（学期表为空）$"):
        find_term(None, "2024-2025-1")


def test_an_unreadable_year_names_the_spelling_and_the_sheet_terms():
    import pytest
    from mentor_xl.periods import find_year
    from mentor_xl.problems import FatalInputError
    terms = make_book("bit-2022", 学期=[LCTC_TERM]).terms
    with pytest.raises(FatalInputError, match="^学年“明年”无法识别，应写作 2024-2025。已登记的学期：2024-2025-1$"):
        find_year(terms, "明年")


def test_a_segment_touching_the_window_by_its_last_or_first_day_overlaps_it():
    # an appointment starting on the 学年's last day (or ending on its first) is one day in it: assessed
    from mentor_xl.periods import overlaps
    assert overlaps(np.array([10, 0, 11]), np.array([20, 5, 30]), 5, 10).tolist() == [True, True, False]
