"""bit-2022 学育导师: every rule, hand-computed. Term 2024-09-02 … 2025-01-12, 国庆 1–7 Oct.

Months: Sep (29 active of 30) Oct (24 of 31) Nov Dec required; Jan (12 of 31) is not.
"""
from bookfactory import NATIONAL_DAY, log, pick, run, staff_row

MENTOR = {"工号": "T1", "姓名": "张老师", "角色": "学育导师"}


def pairs(staff, *students, **extra):
    return [{"工号": staff, "学号": s, **extra} for s in students]


def test_monthly_talk_one_to_many_counts_for_every_listed_student():
    out = run("bit-2022", 假期=[NATIONAL_DAY], 人员=[MENTOR], 指导关系=pairs("T1", "S1", "S2"),
              活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1、S2"),      # alias, one-to-many
                         ("2024-10-03", "T1", "下午茶", "S1 S2"),           # on a holiday: still counts
                         ("2024-11-05", "T1", "导学互动交流", "S1"),
                         ("2024-12-20", "T1", "午餐会", "S1,S2"),
                         ("2025-01-05", "T1", "导学互动交流", "S2")))     # January is not required
    s1 = pick(out, "bit.monthly-talk", "T1", student="S1")
    assert (s1["status"], s1["required"], s1["met"], s1["missed_periods"]) == ("met", 4, 4, [])
    s2 = pick(out, "bit.monthly-talk", "T1", student="S2")
    assert (s2["status"], s2["required"], s2["met"], s2["rate"]) == ("missed", 4, 3, 0.75)
    assert s2["missed_periods"] == ["2024-11-01"] and s2["shortfall"] == [1]


def test_mid_term_assignment_and_appointment_make_early_months_not_required():
    out = run("bit-2022", 假期=[NATIONAL_DAY],
              人员=[MENTOR, {"工号": "T2", "姓名": "王老师", "角色": "学育导师", "聘任开始": "2024-10-17"}],
              指导关系=pairs("T1", "S1", 开始日期="2024-11-16") + pairs("T2", "S2"),
              活动记录=log(("2024-12-01", "T1", "谈心谈话", "S1"), ("2024-11-20", "T2", "谈心谈话", "S2"),
                         ("2024-12-02", "T2", "谈心谈话", "S2")))
    # S1 assigned 16 Nov: November has 15 of 30 active days — exactly half, required.
    s1 = pick(out, "bit.monthly-talk", "T1", student="S1")
    assert (s1["required"], s1["met"], s1["missed_periods"]) == (2, 1, ["2024-11-01"])
    # T2 appointed 17 Oct: October has 15 of 31 active days — under half, not required.
    t2 = pick(out, "bit.monthly-talk", "T2", student="S2")
    assert (t2["status"], t2["required"], t2["met"]) == ("met", 2, 2)


def test_monthly_activity_any_of_the_six_forms_by_alias():
    out = run("bit-2022", 假期=[NATIONAL_DAY], 人员=[MENTOR], 指导关系=pairs("T1", "S1"),
              活动记录=log(("2024-09-20", "T1", "音乐会"), ("2024-10-12", "T1", "升旗仪式"),
                         ("2024-11-12", "T1", "课题组组会"), ("2024-12-12", "T1", "班会")))  # 班会 is not a bit type
    r = pick(out, "bit.monthly-activity", "T1")
    assert (r["status"], r["required"], r["met"], r["missed_periods"]) == ("missed", 4, 3, ["2024-12-01"])
    bad = [p for p in out["problems"] if p["column"] == "活动类型"]
    assert [(p["row"], p["value"]) for p in bad] == [(5, "班会")]


def test_ratio_cap_counts_students_assigned_at_the_same_time():
    nine = [f"S{i}" for i in range(1, 10)]
    out = run("bit-2022", 人员=[MENTOR, {"工号": "T2", "姓名": "赵老师", "角色": "学育导师"}],
              指导关系=pairs("T1", *nine)
              + pairs("T2", *nine[:8]) + [{"工号": "T2", "学号": "S9", "开始日期": "2024-11-01"}])
    t1 = pick(out, "bit.ratio-cap", "T1")
    assert (t1["status"], t1["value"], t1["shortfall"]) == ("missed", 9, [1])
    t2 = pick(out, "bit.ratio-cap", "T2")
    assert (t2["status"], t2["value"]) == ("missed", 9)  # S9 joins while S1–S8 stay


def test_ratio_cap_replacement_is_not_an_overlap():
    eight = [f"S{i}" for i in range(2, 9)]
    out = run("bit-2022", 人员=[MENTOR],
              指导关系=pairs("T1", *eight) + [{"工号": "T1", "学号": "S1", "结束日期": "2024-10-31"},
                                             {"工号": "T1", "学号": "S9", "开始日期": "2024-11-01"}])
    r = pick(out, "bit.ratio-cap", "T1")
    assert (r["status"], r["value"], r["required"]) == ("met", 8, 1)


def test_six_forms_is_report_only_and_outside_the_rate():
    out = run("bit-2022", 假期=[NATIONAL_DAY], 人员=[MENTOR], 指导关系=pairs("T1", "S1"),
              活动记录=log(*[(f"2024-{m:02d}-15", "T1", t, "S1") for m, t in
                           ((9, "谈心谈话"), (10, "观影"), (11, "午餐会"), (12, "集体聚餐"))]))
    six = pick(out, "bit.six-forms", "T1")
    assert six["status"] == "report" and six["report_only"] and six["value"] == 3
    s = staff_row(out, "T1")
    # monthly-talk 2/4 (观影 and 集体聚餐 are not talks), monthly-activity 4/4, ratio-cap 1/1;
    # six-forms excluded
    assert (s["rules_required"], s["rules_met"], s["periods_required"], s["periods_met"], s["rate"]) == (3, 2, 9, 7, 0.7778)


def test_staff_rate_is_met_periods_over_required_periods():
    out = run("bit-2022", 假期=[NATIONAL_DAY], 人员=[MENTOR], 指导关系=pairs("T1", "S1", "S2"),
              活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1、S2"), ("2024-10-10", "T1", "谈心谈话", "S1")))
    s = staff_row(out, "T1")
    # talk S1 2/4, talk S2 1/4, activity 2/4, ratio 1/1 → 6/13
    assert (s["periods_required"], s["periods_met"], s["rate"]) == (13, 6, round(6 / 13, 4))
    assert (s["rules_required"], s["rules_met"]) == (3, 1)


def test_a_row_counts_only_for_the_staff_member_in_its_id():
    out = run("bit-2022", 人员=[MENTOR, {"工号": "T2", "姓名": "钱老师", "角色": "学育导师"}],
              指导关系=pairs("T1", "S1") + pairs("T2", "S1"),
              活动记录=log(("2024-09-10", "T2", "谈心谈话", "S1"), ("2024-09-11", "T9", "谈心谈话", "S1")))
    assert pick(out, "bit.monthly-talk", "T1", student="S1")["met"] == 0
    assert pick(out, "bit.monthly-talk", "T2", student="S1")["met"] == 1
    assert any(p["value"] == "T9" and p["row"] == 3 for p in out["problems"])
