"""Pinned behaviour of engine/measures.py: each test kills a mutant that survived a mutation run
(the wrong number it would let through is said in the test). Hand-computed. The mutants of
measures.py still alive after these tests are equivalent: docs/mutation.md lists them.

Some rule shapes the shipped packs do not use (a monthly class rule, a pair rule counting
distinct students) are still valid pack data, so they are pinned on a copy of a shipped pack
with one rule changed."""
from __future__ import annotations

from dataclasses import replace

from bookfactory import TERM_1, log, make_book, pick
from mentor_xl.engine import compliance
from mentor_xl.packs import load_pack

LCTC_TERM = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}
L1 = {"工号": "L1", "姓名": "甲", "角色": "班级导师"}
CLASS_2401 = [{"学号": s, "姓名": s, "班级": "机电2401"} for s in ("A", "B", "C", "D")]
CLASS_2402 = [{"学号": "X", "姓名": "X", "班级": "机电2402"}]


def _run(pack, term: dict, **sheets):
    return compliance(make_book(pack.id, 学期=[term], **sheets), pack, term["学期"])


def _with_rule(policy: str, rule_id: str, **change):
    pack = load_pack(policy)
    return replace(pack, rules=[replace(r, **change) for r in pack.rules if r.id == rule_id])


def _lctc(rows, pack=None):
    pack = pack or load_pack("lctc-2024")
    return _run(pack, LCTC_TERM, 人员=[L1], 学生=CLASS_2401 + CLASS_2402,
                指导关系=[{"工号": "L1", "班级": "机电2401"}], 活动记录=log(*rows))


def test_a_row_naming_another_class_counts_for_nobody_in_coverage():
    # 谈心谈话 naming 机电2401 with A (1 of 4), and one naming 机电2402 (not L1's class) with X:
    # coverage 0.25. Keeping the unmatched (NONE) subject of the second row's student breaks the count.
    r = _lctc([("2024-09-10", "L1", "谈心谈话", "A", {"班级": "机电2401"}),
               ("2024-09-11", "L1", "谈心谈话", "X", {"班级": "机电2402"})]).to_json()
    t = pick(r, "lctc.talk-coverage", "L1", cls="机电2401")
    assert (t["value"], t["status"]) == (0.25, "missed")


def test_a_blank_class_row_listing_another_class_is_not_the_sole_class():
    # 班级 blank: the row listing X (机电2402) counts for 机电2402, not L1's only class; the row
    # listing nobody counts for L1's only class. 1 meeting, not 2 (a listing row taken as "nobody").
    r = _lctc([("2024-09-10", "L1", "专题教育班会", "X"), ("2024-09-11", "L1", "专题教育班会")]).to_json()
    t = pick(r, "lctc.theme-meeting", "L1", cls="机电2401")
    assert (t["value"], t["status"], t["evidence_rows"]) == (1, "missed", [3])


def test_a_monthly_class_rule_keeps_each_row_in_its_own_month():
    # lctc's theme meetings made monthly (a valid pack). Sep: one row naming 机电2401 listing A and B
    # (two student hits, one row); Oct: two rows; Nov: none; Dec: a blank-班级 row listing A.
    # Per month 1, 2, 0, 1, 0 — a wrong radix in the (subject, period, row) key moves rows between months.
    pack = _with_rule("lctc-2024", "lctc.theme-meeting", period="month", minimum=1)
    d = _lctc([("2024-09-10", "L1", "专题教育班会", "A、B", {"班级": "机电2401"}),
               ("2024-10-10", "L1", "专题教育班会", None, {"班级": "机电2401"}),
               ("2024-10-20", "L1", "专题教育班会", None, {"班级": "机电2401"}),
               ("2024-12-10", "L1", "专题教育班会", "A")], pack).details
    d = d.sort_values("period")
    assert d["period"].tolist() == ["2024-09-01", "2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01"]
    assert d["value"].tolist() == [1, 2, 0, 1, 0]
    assert d["evidence"].tolist() == ["2", "3、4", "无", "5", "无"]


def test_a_pair_rule_counting_distinct_students_counts_the_pair_once_per_month():
    # bit's monthly talk counted as distinct 学号 (a valid pack): S1 talked to twice in September
    # and once in October → 1 and 1 (not 2, 1), the other months 0.
    pack = _with_rule("bit-2022", "bit.monthly-talk", measure="distinct:学号")
    d = _run(pack, TERM_1, 人员=[{"工号": "T1", "姓名": "张", "角色": "学育导师"}],
             指导关系=[{"工号": "T1", "学号": "S1"}],
             活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1"), ("2024-09-20", "T1", "谈心谈话", "S1"),
                      ("2024-10-10", "T1", "谈心谈话", "S1"))).details
    assert d.sort_values("period")["value"].tolist() == [1, 1, 0, 0, 0]


def test_a_mentor_without_students_is_within_the_8_to_1_cap():
    # no 指导关系 row: 0 students on every day → value 0, met (not NaN → missed, nor 1)
    pack = load_pack("bit-2022")
    r = _run(pack, TERM_1, 人员=[{"工号": "T1", "姓名": "张", "角色": "学育导师"}]).to_json()
    cap = pick(r, "bit.ratio-cap", "T1")
    assert (cap["status"], cap["value"], cap["required"], cap["met"]) == ("met", 0, 1, 1)


def test_a_deadline_rule_counts_only_its_own_types():
    # hfut 开学前制定工作计划: a 班会 logged 10 days before the term starts is not a plan → missed
    pack = load_pack("hfut-math")
    term = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2024-09-29"}
    staff = [{"工号": "B1", "姓名": "甲", "角色": "班主任"}, {"工号": "B2", "姓名": "乙", "角色": "班主任"}]
    r = _run(pack, term, 人员=staff, 活动记录=log(("2024-08-23", "B1", "班会"), ("2024-08-23", "B2", "工作计划"))).to_json()
    assert (pick(r, "hfut.term-plan", "B1")["status"], pick(r, "hfut.term-plan", "B1")["value"]) == ("missed", 0)
    assert (pick(r, "hfut.term-plan", "B2")["status"], pick(r, "hfut.term-plan", "B2")["value"]) == ("met", 1)
