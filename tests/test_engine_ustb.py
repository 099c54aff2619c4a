"""ustb-2022 本科生导师 / 班主任 / 辅导员: every rule, hand-computed."""
from bookfactory import NATIONAL_DAY, log, pick, run, staff_row

SHORT_TERM = {"学期": "2024-2025-1", "开始日期": "2024-09-23", "结束日期": "2024-10-13"}  # 3 weeks
STUDENTS = [{"学号": "S1", "班级": "C1"}, {"学号": "S2", "班级": "C1"}, {"学号": "S3", "班级": "C2"}]


def test_mentor_term_exchange_per_student_one_to_many_counts_each():
    out = run("ustb-2022", 人员=[{"工号": "M1", "姓名": "导师甲", "角色": "本科生导师"}],
              指导关系=[{"工号": "M1", "学号": "S1"}, {"工号": "M1", "学号": "S2"}],
              活动记录=log(("2024-09-10", "M1", "一对多交流", "S1、S2"), ("2024-10-10", "M1", "学业指导", "S1；S2"),
                         ("2024-11-10", "M1", "谈心谈话", "S1"), ("2024-12-10", "M1", "交流指导", "S1"),
                         ("2024-12-11", "M1", "一对一交流", "S2")))
    assert pick(out, "ustb.mentor.term-exchange", "M1", student="S1")["status"] == "met"
    s2 = pick(out, "ustb.mentor.term-exchange", "M1", student="S2")
    assert (s2["status"], s2["value"], s2["shortfall"], s2["missed_periods"]) == ("missed", 3, [1], ["2024-09-02"])


def test_mentor_counselor_sync_once_a_term():
    out = run("ustb-2022", 人员=[{"工号": "M1", "姓名": "甲", "角色": "导师"}, {"工号": "M2", "姓名": "乙", "角色": "本科生导师"}],
              活动记录=log(("2024-11-01", "M1", "与辅导员沟通")))
    assert pick(out, "ustb.mentor.counselor-sync", "M1")["status"] == "met"
    assert pick(out, "ustb.mentor.counselor-sync", "M2")["status"] == "missed"


def test_headteacher_class_meeting_by_class_students_or_sole_class():
    out = run("ustb-2022", 学生=STUDENTS + [{"学号": "S4", "班级": "C3"}],
              人员=[{"工号": "H1", "姓名": "班主任甲", "角色": "班主任"}, {"工号": "H2", "姓名": "班主任乙", "角色": "班主任"}],
              指导关系=[{"工号": "H1", "班级": "C1"}, {"工号": "H1", "班级": "C2"}, {"工号": "H2", "班级": "C3"}],
              活动记录=log(("2024-09-20", "H1", "班会", None, {"班级": "C1"}),
                         ("2024-10-20", "H1", "主题班会", "S1"),          # blank 班级, a C1 student listed
                         ("2024-11-20", "H1", "班会"),                    # blank, no students, two classes: none
                         ("2024-11-21", "H2", "班会"),                    # blank, no students, sole class C3
                         ("2024-11-22", "H2", "主题班会", None, {"班级": "C3"})))
    assert pick(out, "ustb.headteacher.class-meeting", "H1", cls="C1")["status"] == "met"
    c2 = pick(out, "ustb.headteacher.class-meeting", "H1", cls="C2")
    assert (c2["status"], c2["value"], c2["shortfall"]) == ("missed", 0, [2])
    assert pick(out, "ustb.headteacher.class-meeting", "H2", cls="C3")["value"] == 2
    s = staff_row(out, "H1")
    # class-meeting C1 1/1, C2 0/1 (rule missed); theme-education 0/1
    assert (s["rules_required"], s["rules_met"], s["periods_required"], s["periods_met"]) == (2, 0, 3, 1)


def test_headteacher_theme_education_and_counselor_theme_meeting():
    out = run("ustb-2022", 学生=STUDENTS,
              人员=[{"工号": "H1", "姓名": "甲", "角色": "班主任"}, {"工号": "F1", "姓名": "乙", "角色": "辅导员"}],
              指导关系=[{"工号": "H1", "班级": "C1"}, {"工号": "F1", "班级": "C1"}],
              活动记录=log(("2024-10-20", "H1", "主题教育"), ("2024-09-20", "F1", "主题班会", None, {"班级": "C1"}),
                         ("2024-10-21", "F1", "班会", None, {"班级": "C1"})))  # 班会 is not a 主题班会
    assert pick(out, "ustb.headteacher.theme-education", "H1")["status"] == "met"
    f = pick(out, "ustb.counselor.theme-meeting", "F1", cls="C1")
    assert (f["status"], f["value"]) == ("missed", 1)


def test_counselor_weekly_visits_skip_the_holiday_week():
    # Weeks: 23 Sep (7 active), 30 Sep (1 active: not required), 7 Oct (6 active).
    out = run("ustb-2022", 学期=[SHORT_TERM], 假期=[NATIONAL_DAY],
              人员=[{"工号": "F1", "姓名": "辅导员甲", "角色": "专职辅导员"}],
              活动记录=log(("2024-09-23", "F1", "深入宿舍"), ("2024-09-29", "F1", "宿舍走访"),
                         ("2024-10-08", "F1", "宿舍走访"),
                         *[(d, "F1", "听课") for d in ("2024-09-24", "2024-09-25", "2024-09-26",
                                                       "2024-10-02", "2024-10-09", "2024-10-10", "2024-10-11")]))
    dorm = pick(out, "ustb.counselor.dorm-visit", "F1")
    assert (dorm["required"], dorm["met"], dorm["missed_periods"], dorm["shortfall"]) == (2, 1, ["2024-10-07"], [1])
    visit = pick(out, "ustb.counselor.class-visit", "F1")
    assert (visit["status"], visit["required"], visit["met"]) == ("met", 2, 2)


def test_one_person_with_two_roles_gets_both_roles_rules():
    out = run("ustb-2022", 学生=STUDENTS,
              人员=[{"工号": "X1", "姓名": "双肩挑", "角色": "本科生导师、班主任"}],
              指导关系=[{"工号": "X1", "学号": "S3"}, {"工号": "X1", "班级": "C1"}],
              活动记录=log(("2024-10-01", "X1", "与辅导员沟通")))
    rules = {r["rule"] for r in out["results"] if r["staff_id"] == "X1"}
    assert rules == {"ustb.mentor.term-exchange", "ustb.mentor.counselor-sync",
                     "ustb.headteacher.class-meeting", "ustb.headteacher.theme-education"}
    assert staff_row(out, "X1")["role"] == "本科生导师、班主任"
