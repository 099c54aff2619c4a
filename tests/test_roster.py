"""One roster (policies.md "Who holds a role", "Who is assessed", "Active days"): roles from all
of a person's rows, conflicting rows reported, 撤销日期 ends the appointment, only staff
appointed in the term or 学年 are assessed; the awards ladder after the caps; lctc 以下 and 五.5."""
from __future__ import annotations

from datetime import date

from bookfactory import make_book
from mentor_xl.assess import NOT_COUNTED, assess
from mentor_xl.awards import awards
from mentor_xl.eligibility import eligibility
from mentor_xl.office import open_office
from mentor_xl.packs import load_pack
from test_assess import LT1, T1, by_id, compliance_result


# ------------------------------------------------------------------------ who holds a role
def test_a_person_on_two_rows_holds_both_roles_in_awards():
    # U1 is 班主任 on row 2 and 本科生导师 on row 3: nominated 本科生十佳导师, the award is theirs
    staff = [{"工号": "U1", "姓名": "甲", "角色": "班主任", "学院": "数理学院"},
             {"工号": "U1", "姓名": "甲", "角色": "本科生导师", "学院": "数理学院"}]
    book = make_book("ustb-2022", 人员=staff, 奖项提名=[{"奖项": "本科生十佳导师", "工号": "U1", "排序": 1}])
    js = awards(book, load_pack("ustb-2022"), year="2024-2025").to_json()
    assert [(e["staff_id"], e["status"], e["amount_yuan"]) for e in js["awards"]] == [("U1", "ok", 10000)]


def test_rows_of_one_person_that_disagree_are_reported_with_both_rows():
    staff = [{"工号": "U1", "姓名": "甲", "角色": "班主任", "学院": "数理学院"},
             {"工号": "U1", "姓名": "甲", "角色": "本科生导师", "学院": "材料学院"},
             {"工号": "U2", "姓名": "乙", "角色": "辅导员", "学院": "数理学院"},
             {"工号": "U2", "姓名": "乙", "角色": "班主任"}]  # a blank 学院 does not disagree
    office = open_office("x.xlsx", book=make_book("ustb-2022", 学期=[T1], 人员=staff))
    hits = [p for p in office.all_problems() if p.sheet == "人员" and p.category == "数据矛盾"]
    assert [(p.row, p.column, p.value) for p in hits] == [(3, "学院", "材料学院")]
    assert "第 2 行与第 3 行" in hits[0].message and "数理学院" in hits[0].message


def test_several_roles_in_one_cell_in_eligibility_and_awards():
    staff = [{"工号": "U1", "姓名": "甲", "角色": "班主任、本科生导师", "学院": "数理学院"}]
    book = make_book("ustb-2022", 人员=staff, 奖项提名=[{"奖项": "本科生十佳班主任", "工号": "U1", "排序": 1},
                                                    {"奖项": "本科生十佳导师", "工号": "U1", "排序": 1}])
    js = awards(book, load_pack("ustb-2022"), year="2024-2025").to_json()
    assert [e["status"] for e in js["awards"]] == ["ok", "ok"]  # two ladders, one award each


# -------------------------------------------------------------------------- who is assessed
def test_bit_quota_base_is_the_mentors_appointed_in_the_year():
    # 19 mentors appointed (open ends) + M19 whose appointment ended on 2024-06-30, before the 学年
    # (2024-09-02 … 2025-01-12). Base 19: cap floor(5% × 19) = 0, so M00 (score 100) is 合格, and
    # M19 is not listed at all. Before: base 20, cap 1, M00 优秀 and M19 待定.
    staff = [{"工号": f"M{i:02d}", "姓名": f"导师{i}", "角色": "学育导师"} for i in range(19)]
    staff.append({"工号": "M19", "姓名": "前导师", "角色": "学育导师", "聘任开始": "2021-09-01", "聘任结束": "2024-06-30"})
    reviews = [{"工号": f"M{i:02d}", "学年": "2024-2025", "得分": 100} for i in range(19)]
    surveys = [{"工号": f"M{i:02d}", "学期": "2024-2025", "满意度": 100 - i} for i in range(19)]
    book = make_book("bit-2022", 学期=[T1], 人员=staff, 组织考核=reviews, 测评=surveys)
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [(f"M{i:02d}", "bit.monthly-activity", "met", 4, 4)
                                                             for i in range(19)])}
    out = assess(book, load_pack("bit-2022"), year="2024-2025", compliance=comp)
    r = by_id(out)
    assert "M19" not in r and len(r) == 19
    assert (out.to_json()["quota"]["assessed"], out.to_json()["quota"]["cap"]) == (19, 0)
    assert r["M00"]["tier"] == "合格"


def test_a_mentor_removed_before_the_year_is_not_assessed_whatever_their_end_date():
    staff = [{"工号": "A", "姓名": "甲", "角色": "学育导师"},
             {"工号": "B", "姓名": "乙", "角色": "学育导师", "聘任结束": "2027-08-31", "撤销日期": "2024-05-10"},
             {"工号": "C", "姓名": "丙", "角色": "学育导师", "聘任开始": "2024-09-02", "聘任结束": "2024-09-02"}]
    book = make_book("bit-2022", 学期=[T1], 人员=staff)
    out = assess(book, load_pack("bit-2022"), year="2024-2025", compliance={})
    assert sorted(by_id(out)) == ["A", "C"]  # C overlaps by exactly one day: assessed


# ----------------------------------------------------------------------------- active days
def _lctc(staff_extra: dict):
    staff = [{"工号": "L1", "姓名": "导师甲", "角色": "班级导师", **staff_extra}]
    assign = [{"工号": "L1", "班级": "机电2401", "开始日期": "2024-09-02"}]
    ranks = [{"班级": "机电2401", "学期": "2024-2025-1", "排名": 1, "年级班级数": 6, "新生班": True}]
    surveys = [{"工号": "L1", "学期": "2024-2025-1", "满意度": 90, "参评人数": 30, "应参评人数": 30}]
    book = make_book("lctc-2024", 学期=[LT1], 人员=staff, 指导关系=assign, 班级量化=ranks, 测评=surveys)
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("L1", "lctc.class-visit", "missed", 4, 0)], "lctc-2024")}
    return by_id(assess(book, load_pack("lctc-2024"), term="2024-2025-1", compliance=comp))["L1"]


def test_lctc_removal_date_ends_the_appointment_for_not_counted():
    # term 2024-09-02 … 2025-01-12 = 133 days; active 2024-09-02 … 2024-10-15 = 44 days < 66.5 → 不计,
    # the same whether 撤销日期 or 聘任结束 says 2024-10-15 (before: 撤销 gave 不合格 "导师业绩未通过 0/4")
    removed = _lctc({"撤销日期": "2024-10-15"})
    ended = _lctc({"聘任结束": "2024-10-15"})
    assert removed["tier"] == ended["tier"] == NOT_COUNTED
    assert any("在岗 44 天" in x and "133 天" in x for x in removed["reasons"])


# ---------------------------------------------------------------------------------- awards
def test_awards_caps_first_then_the_ladder_among_what_is_still_ok():
    # 十佳导师 cap 10: 11 nominees, U10 ranked 11th is over the cap. U10 is also nominated for 十佳导师提名
    # (cap 15, ranked 1st): the 提名 stands (before: the ladder struck it first, then the cap struck 十佳).
    staff = [{"工号": f"U{i:02d}", "姓名": f"导师{i}", "角色": "本科生导师"} for i in range(11)]
    noms = [{"奖项": "本科生十佳导师", "工号": f"U{i:02d}", "排序": i + 1} for i in range(11)]
    noms.append({"奖项": "本科生十佳导师提名", "工号": "U10", "排序": 1})
    js = awards(make_book("ustb-2022", 人员=staff, 奖项提名=noms), load_pack("ustb-2022"), year="2024-2025").to_json()
    u10 = {e["award"]: e for e in js["awards"] if e["staff_id"] == "U10"}
    assert u10["本科生十佳导师"]["status"] == "over-cap"
    assert (u10["本科生十佳导师提名"]["status"], u10["本科生十佳导师提名"]["amount_yuan"]) == ("ok", 5000)
    assert js["total_yuan"] == 10 * 10000 + 5000


def test_the_ladder_still_strikes_the_lower_award_when_both_are_within_their_caps():
    staff = [{"工号": "U1", "姓名": "甲", "角色": "本科生导师"}]
    noms = [{"奖项": "本科生十佳导师", "工号": "U1", "排序": 1}, {"奖项": "本科生优秀导师", "工号": "U1", "排序": 1}]
    js = awards(make_book("ustb-2022", 人员=staff, 奖项提名=noms), load_pack("ustb-2022"), year="2024-2025").to_json()
    assert [(e["award"], e["status"]) for e in js["awards"]] == [("本科生十佳导师", "ok"), ("本科生优秀导师", "ineligible")]


# ----------------------------------------------------------------------------- eligibility
LT2 = {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-06"}


def test_lctc_fifty_years_old_is_under_fifty_in_the_policy_sense():
    # 50岁以下 includes 50: a cadre who is exactly 50 on the term's first day must also be a 班主任
    staff = [{"工号": "K1", "姓名": "甲", "角色": "班级导师", "职务": "副处长", "学历": "本科", "出生日期": "1974-09-02"},
             {"工号": "K2", "姓名": "乙", "角色": "班级导师", "职务": "副处长", "学历": "本科", "出生日期": "1973-09-01"}]
    book = make_book("lctc-2024", 学期=[LT1], 人员=staff)
    r = {x["staff_id"]: x for x in eligibility(book, load_pack("lctc-2024"), term="2024-2025-1").to_json()["results"]}
    assert r["K1"]["status"] == "ineligible" and any("年满 50 周岁" in x for x in r["K1"]["reasons"])
    assert r["K2"]["status"] == "eligible"  # 51 on 2024-09-02: no 班主任 needed


def test_lctc_failed_last_term_is_not_appointed_this_term():
    # L1: 2024-2025-1 导师业绩 0/4 (no log) with a valid survey and a top class → 不合格 (五);
    # eligibility for 2024-2025-2 assesses 2024-2025-1 from the same book → L1 ineligible, naming it and 五.5.
    staff = [{"工号": "L1", "姓名": "导师甲", "角色": "班级导师", "职称": "副教授", "班主任年限": 3},
             {"工号": "L2", "姓名": "导师乙", "角色": "班级导师", "职称": "副教授", "班主任年限": 3}]
    assign = [{"工号": "L1", "班级": "机电2401", "开始日期": "2024-09-02"}]
    ranks = [{"班级": "机电2401", "学期": "2024-2025-1", "排名": 1, "年级班级数": 6, "新生班": True}]
    surveys = [{"工号": "L1", "学期": "2024-2025-1", "满意度": 90, "参评人数": 30, "应参评人数": 30}]
    book = make_book("lctc-2024", 学期=[LT1, LT2], 人员=staff, 指导关系=assign, 班级量化=ranks, 测评=surveys)
    pack = load_pack("lctc-2024")
    prev = by_id(open_office("x.xlsx", book=book).assess(term="2024-2025-1"))
    assert prev["L1"]["tier"] == "不合格"
    r = {x["staff_id"]: x for x in eligibility(book, pack, term="2024-2025-2").to_json()["results"]}
    assert r["L1"]["status"] == "ineligible"
    assert r["L1"]["reasons"][0] == "2024-2025-1 学期考核不合格，上学期考核不合格者下学期不再聘任（五.5）"
    assert r["L2"]["status"] == "eligible"  # L2 had no class in 2024-2025-1: 不计, not 不合格


def test_lctc_first_term_in_the_sheet_says_there_is_no_previous_term():
    staff = [{"工号": "L1", "姓名": "导师甲", "角色": "班级导师", "职称": "副教授", "班主任年限": 3}]
    res = eligibility(make_book("lctc-2024", 学期=[LT1], 人员=staff), load_pack("lctc-2024"), term="2024-2025-1")
    assert res.to_json()["results"][0]["status"] == "eligible"
    assert any("没有 2024-2025-1 之前的学期" in p.message and "五.5" in p.message for p in res.problems)
    assert res.as_of == date(2024, 9, 2)
