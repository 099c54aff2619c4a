"""hfut-math 班主任（班导师）: every rule, hand-computed."""
from bookfactory import log, make_book, pick, run
from mentor_xl.engine import compliance
from mentor_xl.packs import load_pack
from mentor_xl.workbook.settings import apply_settings

FOUR_WEEKS = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2024-09-29"}
STAFF = [{"工号": "B1", "姓名": "班主任甲", "角色": "班主任"}]


def hfut(*rows, terms=(FOUR_WEEKS,), **sheets):
    return run("hfut-math", 学期=list(terms), 人员=sheets.pop("人员", STAFF), 活动记录=log(*rows), **sheets)


def test_weekly_hours_sum_any_type():
    out = hfut(("2024-09-03", "B1", "个别交流", None, {"时长": 1.5}), ("2024-09-04", "B1", "深入教室", None, {"时长": 0.5}),
               ("2024-09-10", "B1", "学生活动", None, {"时长": 1.9}),
               ("2024-09-17", "B1", "班会", None, {"时长": 3}), ("2024-09-18", "B1", "喝茶", None, {"时长": 5}))
    r = pick(out, "hfut.weekly-hours", "B1")
    assert (r["required"], r["met"], r["missed_periods"]) == (4, 2, ["2024-09-09", "2024-09-23"])
    assert r["shortfall"] == [0.1, 2]


def test_classroom_visit_every_two_weeks_and_dorm_every_month():
    out = hfut(("2024-09-13", "B1", "深入教室"), ("2024-09-20", "B1", "深入寝室"))
    c = pick(out, "hfut.classroom-visit", "B1")
    assert (c["required"], c["met"], c["missed_periods"]) == (2, 1, ["2024-09-16"])
    assert pick(out, "hfut.dorm-visit", "B1")["status"] == "met"


def test_parent_contact_sums_person_times_blank_is_one():
    out = hfut(("2024-09-03", "B1", "联系家长", None, {"人次": 3}), ("2024-09-04", "B1", "家长联系"),
               ("2024-09-05", "B1", "家长联系", None, {"人次": 1}))
    r = pick(out, "hfut.parent-contact", "B1")
    assert (r["status"], r["value"]) == ("met", 5)


def test_monthly_meeting_and_theme_meetings():
    out = hfut(("2024-09-03", "B1", "主题班会"))
    assert pick(out, "hfut.monthly-meeting", "B1")["status"] == "met"
    t = pick(out, "hfut.theme-meeting", "B1")
    assert (t["status"], t["shortfall"]) == ("missed", [1])


def test_term_plan_deadline_window_and_grace_days():
    staff = [{"工号": f"B{i}", "姓名": f"班主任{i}", "角色": "班导师"} for i in range(1, 5)]
    rows = [("2024-07-04", "B1", "工作计划"),   # exactly 60 days before 2 Sep
            ("2024-07-03", "B2", "工作计划"),   # 61 days before: too early
            ("2024-09-02", "B3", "学期工作计划"),  # on the first day
            ("2024-09-03", "B4", "工作计划")]   # a day late
    out = hfut(*rows, 人员=staff)
    assert [pick(out, "hfut.term-plan", f"B{i}")["status"] for i in range(1, 5)] == ["met", "missed", "met", "missed"]
    pack = apply_settings(load_pack("hfut-math"), {"截止宽限天数": "1"})
    book = make_book("hfut-math", 学期=[FOUR_WEEKS], 人员=staff, 活动记录=log(*rows))
    res = compliance(book, pack, "2024-2025-1").results
    assert res[(res.rule == "hfut.term-plan") & (res.staff_id == "B4")]["status"].item() == "met"


def test_term_hours_and_monthly_record():
    term = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}
    rows = [(f"2024-{m}-10", "B1", "工作记录表", None, {"时长": 7.5}) for m in ("09", "10", "11", "12")]
    out = hfut(*rows, terms=(term,))
    assert pick(out, "hfut.term-hours", "B1")["status"] == "met"
    assert pick(out, "hfut.monthly-record", "B1")["status"] == "met"
    out = hfut(*rows[:3], ("2024-12-10", "B1", "工作记录表", None, {"时长": 7.4}), terms=(term,))
    h = pick(out, "hfut.term-hours", "B1")
    assert (h["status"], h["shortfall"]) == ("missed", [0.1])


def test_grade_duties_of_the_class_year_of_study_over_the_year():
    terms = ({"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"},
             {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-06"})
    students = [{"学号": "A1", "班级": "数学2301", "年级": 2023}, {"学号": "A2", "班级": "数学2401", "年级": 2024}]
    out = hfut(("2024-10-10", "B1", "学习困难学生帮助与指导", None, {"班级": "数学2301"}),
               ("2025-04-10", "B1", "第二课堂活动指导", None, {"班级": "数学2301"}),   # spring term: same 学年
               *[("2024-09-20", "B1", t, None, {"班级": "数学2401"}) for t in ("专业思想教育", "适应性教育", "学业生涯教育")],
               terms=terms, 学生=students, 指导关系=[{"工号": "B1", "班级": "数学2301"}, {"工号": "B1", "班级": "数学2401"}])
    y2 = pick(out, "hfut.grade-duties", "B1", cls="数学2301")
    assert (y2["status"], y2["value"], y2["shortfall"], y2["missed_periods"]) == ("missed", 2, [1], ["2024-09-02"])
    assert "创新创业意识培育" in y2["note"]
    assert pick(out, "hfut.grade-duties", "B1", cls="数学2401")["status"] == "met"


def test_grade_of_a_class_is_its_most_common_and_the_earlier_of_a_tie():
    """A class's 年级 is the one most of its students have (a repeater in 数学2301 does not make
    it a 2024 class); a tie takes the earlier year, as a class of mixed intake is the older one."""
    terms = ({"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"},)
    students = [{"学号": "A1", "班级": "数学2301", "年级": 2023}, {"学号": "A2", "班级": "数学2301", "年级": 2023},
                {"学号": "A3", "班级": "数学2301", "年级": 2024},
                {"学号": "C1", "班级": "混合班", "年级": 2024}, {"学号": "C2", "班级": "混合班", "年级": 2023},
                {"学号": "D1", "班级": "未填班", "年级": None}]
    out = hfut(*[("2024-10-10", "B1", t, None, {"班级": "数学2301"}) for t in ("学习困难帮扶", "创新创业意识培育")],
               ("2024-10-11", "B1", "专业思想教育", None, {"班级": "混合班"}),
               terms=terms, 学生=students,
               指导关系=[{"工号": "B1", "班级": c} for c in ("数学2301", "混合班", "未填班")])
    y2 = pick(out, "hfut.grade-duties", "B1", cls="数学2301")
    assert (y2["value"], y2["status"]) == (2, "missed") and y2["note"] == "二年级职责未记录：第二课堂活动指导"
    mixed = pick(out, "hfut.grade-duties", "B1", cls="混合班")   # 2023 and 2024 once each: 二年级
    assert mixed["value"] == 0 and mixed["note"].startswith("二年级职责未记录：学习困难帮扶")
    unknown = pick(out, "hfut.grade-duties", "B1", cls="未填班")
    assert unknown["note"] == "年级不明" and unknown["status"] == "n/a"


def test_role_cells_one_role_with_a_separator_and_an_unknown_role():
    out = hfut(("2024-09-03", "B1", "主题班会"), ("2024-09-04", "B2", "主题班会"),
               人员=[{"工号": "B1", "姓名": "甲", "角色": "班主任/班导师"},      # one role, spelled with /
                     {"工号": "B2", "姓名": "乙", "角色": "班导师、教务员"},     # one known, one not
                     {"工号": "B3", "姓名": "丙", "角色": "教务员"}])
    assert pick(out, "hfut.monthly-meeting", "B1")["status"] == "met"
    assert pick(out, "hfut.monthly-meeting", "B2")["status"] == "met"
    assert not any(r["staff_id"] == "B3" for r in out["results"])
    unknown = [(p["row"], p["value"]) for p in out["problems"] if p["category"] == "未知角色"]
    assert unknown == [(3, "班导师、教务员"), (4, "教务员")]
