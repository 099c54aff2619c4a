"""lctc-2024 班级导师: every rule, hand-computed. Months Sep–Dec required, January not."""
from bookfactory import NATIONAL_DAY, log, pick, run

STUDENTS = ([{"学号": f"S{i}", "班级": "C1", "宿舍": f"5-30{i}"} for i in range(1, 5)]
            + [{"学号": f"R{i}", "班级": "C2"} for i in range(1, 4)] + [{"学号": "S9", "班级": "C9"}])
STAFF = [{"工号": "D1", "姓名": "导师甲", "角色": "班级导师"}]
CLASSES = [{"工号": "D1", "班级": "C1"}, {"工号": "D1", "班级": "C2"}]


def lctc(*rows):
    return run("lctc-2024", 假期=[NATIONAL_DAY], 学生=STUDENTS, 人员=STAFF, 指导关系=CLASSES, 活动记录=log(*rows))


def test_theme_meeting_three_per_class_per_term():
    out = lctc(*[(d, "D1", "专题教育班会", None, {"班级": "C1"}) for d in ("2024-09-10", "2024-10-10", "2024-11-10")],
               ("2024-09-11", "D1", "专题班会", None, {"班级": "C2"}))
    assert pick(out, "lctc.theme-meeting", "D1", cls="C1")["status"] == "met"
    c2 = pick(out, "lctc.theme-meeting", "D1", cls="C2")
    assert (c2["status"], c2["value"], c2["shortfall"]) == ("missed", 1, [2])


def test_paired_students_are_distinct_per_month():
    out = lctc(("2024-09-05", "D1", "结对指导", "S1、S2"), ("2024-09-25", "D1", "结对指导", "S2、S3"),
               ("2024-10-15", "D1", "结对指导", "S1"), ("2024-10-16", "D1", "结对指导", "S1、S2"),
               *[(f"2024-{m}-03", "D1", "结对指导", "S1 S2 S3") for m in (11, 12)])
    r = pick(out, "lctc.paired-students", "D1")
    assert (r["required"], r["met"], r["missed_periods"], r["shortfall"]) == (4, 3, ["2024-10-01"], [1])


def test_talk_coverage_share_of_the_class_roster_exactly_half_is_met():
    out = lctc(("2024-09-05", "D1", "谈心谈话", "S1、S9", {"班级": "C1"}),  # S9 is not in C1: does not count
               ("2024-12-05", "D1", "谈心", "S2"),                          # blank 班级: S2 is a C1 student
               ("2024-11-05", "D1", "谈话", "R1"))
    c1 = pick(out, "lctc.talk-coverage", "D1", cls="C1")
    assert (c1["status"], c1["value"]) == ("met", 0.5)
    c2 = pick(out, "lctc.talk-coverage", "D1", cls="C2")
    assert (c2["status"], c2["value"], c2["shortfall"]) == ("missed", 0.3333, [0.1667])


def test_paired_dorm_visits_and_class_visits_and_activities_monthly():
    rows = []
    for m in ("09", "10", "11", "12"):
        rows += [(f"2024-{m}-12", "D1", "宿舍指导", None, {"宿舍": "5-301"}),
                 (f"2024-{m}-13", "D1", "入班听课"), (f"2024-{m}-14", "D1", "特色活动")]
        if m != "11":
            rows.append((f"2024-{m}-15", "D1", "推门听课"))
    rows[0] = ("2024-09-12", "D1", "宿舍指导")  # no 宿舍 given: no dorm counted in September
    out = lctc(*rows)
    dorm = pick(out, "lctc.paired-dorm", "D1")
    assert (dorm["met"], dorm["missed_periods"]) == (3, ["2024-09-01"])
    visit = pick(out, "lctc.class-visit", "D1")
    assert (visit["met"], visit["missed_periods"], visit["shortfall"]) == (3, ["2024-11-01"], [1])
    assert pick(out, "lctc.class-activity", "D1")["status"] == "met"


def test_term_summary():
    out = lctc(("2025-01-10", "D1", "学期工作总结"))
    assert pick(out, "lctc.term-summary", "D1")["status"] == "met"
    out = lctc()
    assert pick(out, "lctc.term-summary", "D1")["missed_periods"] == ["2024-09-02"]
