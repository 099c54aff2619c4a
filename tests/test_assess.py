"""Assessment tiers (issue 3): every expected tier and number is computed by hand in the comments.

Compliance is given as hand-built ComplianceResult objects (one per term), so each case
states its own periods met / required.
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from bookfactory import make_book
from mentor_xl.assess import (PENDING, NOT_COUNTED, assess, previous_term, required_terms, staff_rates,
                              year_terms)
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.packs import load_pack
from mentor_xl.problems import FatalInputError

T1 = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}
T2 = {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-06"}


def compliance_result(term: str, rows: list[tuple], policy: str = "bit-2022") -> ComplianceResult:
    """rows: (staff_id, rule, status, required, met[, value, shortfalls])."""
    res = []
    for r in rows:
        sid, rule, status, req, met = r[:5]
        res.append({"staff_id": sid, "name": None, "role": None, "college": None, "rule": rule, "title": rule,
                    "clause": "", "scope": "staff", "student_id": None, "class": None, "status": status,
                    "required": req, "met": met, "rate": (met / req if req else float("nan")),
                    "missed_periods": [], "shortfalls": list(r[6]) if len(r) > 6 else [],
                    "value": r[5] if len(r) > 5 else float(met), "report_only": False, "note": ""})
    cols = ["staff_id", "name", "role", "college", "rule", "title", "clause", "scope", "student_id", "class",
            "status", "required", "met", "rate", "missed_periods", "shortfalls", "value", "report_only", "note"]
    results = pd.DataFrame(res, columns=cols)
    g = results.groupby("staff_id")[["required", "met"]].sum()
    staff = pd.DataFrame({"staff_id": g.index, "name": None, "role": None, "college": None,
                          "rules_required": 1, "rules_met": 0, "periods_required": g["required"].values,
                          "periods_met": g["met"].values})
    staff["rate"] = staff["periods_met"] / staff["periods_required"]
    return ComplianceResult(policy=policy, term=term, term_start=pd.Timestamp("2024-09-02"),
                            term_end=pd.Timestamp("2025-01-12"), details=pd.DataFrame(), results=results,
                            staff=staff)


def by_id(out) -> dict:
    return {r["staff_id"]: r for r in out.to_json()["results"]}


# ---------------------------------------------------------------------------- bit-2022
def bit_case(mentors: list[tuple], *, extra_staff=(), surveys_by_term=None):
    """mentors: (id, (met, req), review, survey[, veto]) → book, pack, compliance for 2024-2025 (one term)."""
    staff = [{"工号": m[0], "姓名": f"导师{m[0]}", "角色": "学育导师", "学院": "书院"} for m in mentors]
    staff += list(extra_staff)
    reviews = [{"工号": m[0], "学年": "2024-2025", "得分": m[2], "一票否决": (m[4] if len(m) > 4 else False)}
               for m in mentors if m[2] is not None]
    surveys = [{"工号": m[0], "学期": "2024-2025", "满意度": m[3]} for m in mentors if m[3] is not None]
    book = make_book("bit-2022", 学期=[T1], 人员=staff, 组织考核=reviews, 测评=surveys)
    cr = compliance_result("2024-2025-1", [(m[0], "bit.monthly-activity", "met", m[1][1], m[1][0]) for m in mentors])
    return book, load_pack("bit-2022"), {"2024-2025-1": cr}


def test_bit_score_is_weighted_and_rounded_half_up():
    # 40%×87.5 + 30%×90 + 30%×88 = 35 + 27 + 26.4 = 88.40 → 合格 (75 ≤ 88.40 < 90)
    # B: 40%×100 + 30%×80.15 + 30%×60 = 40 + 24.045 + 18 = 82.045 → half up 82.05 (a float sum gives 82.04)
    book, pack, comp = bit_case([("A", (7, 8), 90, 88), ("B", (4, 4), 80.15, 60)])
    out = assess(book, pack, year="2024-2025", compliance=comp)
    r = by_id(out)
    assert r["A"]["score"] == 88.4 and r["A"]["tier"] == "合格"
    assert r["B"]["score"] == 82.05 and r["B"]["tier"] == "合格"
    assert any("88.40" in x and "合规率 87.50×40%" in x for x in r["A"]["reasons"])
    assert out.results[1]["score"] == Decimal("82.05")
    js = out.to_json()
    assert js["policy"] == "bit-2022" and js["year"] == "2024-2025" and "term" not in js


def test_bit_thresholds_and_fail_reason_with_gap():
    # C: 40%×50 + 30%×60 + 30%×57.33 → 20 + 18 + 17.199 = 55.199 → 55.20 < 60 by 4.80 → 不合格
    # D: 40%×75 + 30%×60 + 30%×60 = 30 + 18 + 18 = 66.00 → 基本合格 (60 ≤ 66 < 75)
    # E: exactly 75 → 合格 (the threshold is inclusive)
    book, pack, comp = bit_case([("C", (1, 2), 60, 57.33), ("D", (3, 4), 60, 60), ("E", (3, 4), 75, 75)])
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))
    assert (r["C"]["score"], r["C"]["tier"]) == (55.2, "不合格")
    assert any("差 4.80 分" in x and "五.(五)" in x for x in r["C"]["reasons"])
    assert (r["D"]["score"], r["D"]["tier"]) == (66.0, "基本合格")
    assert (r["E"]["score"], r["E"]["tier"]) == (75.0, "合格")


@pytest.mark.parametrize("n, cap", [(19, 0), (20, 1), (21, 1), (40, 2)])
def test_bit_excellent_quota_is_floor_five_percent(n, cap):
    # every mentor: rate 100%, 组织考核 100, 满意度 100 − i → score 40 + 30 + 0.3×(100 − i) = 100 − 0.3 i
    # those ≥ 90: i ≤ 33. The cap is floor(5% × n): the top `cap` scores are 优秀, the other ≥ 90 are 合格.
    mentors = [(f"M{i:02d}", (4, 4), 100, 100 - i) for i in range(n)]
    book, pack, comp = bit_case(mentors)
    out = assess(book, pack, year="2024-2025", compliance=comp)
    r = by_id(out)
    excellent = sorted(k for k, v in r.items() if v["tier"] == "优秀")
    assert excellent == [f"M{i:02d}" for i in range(cap)]
    assert out.to_json()["quota"]["cap"] == cap and out.to_json()["quota"]["assessed"] == n
    assert r[f"M{cap:02d}"]["tier"] == "合格"
    assert any("名额已满" in x or "无优秀名额" in x for x in r[f"M{cap:02d}"]["reasons"])
    assert any(f"向下取整({n}人 × 5%) = {cap}" in x for x in r[f"M{cap:02d}"]["reasons"])
    assert not any(v["tier"] == PENDING for v in r.values())


def _fillers(k: int) -> list[tuple]:
    # low scorers: rate 50%, 60, 60 → 20 + 18 + 18 = 56 → 不合格; they only make up the headcount
    return [(f"F{i:02d}", (1, 2), 60, 60) for i in range(k)]


def test_bit_tie_at_cap_split_by_compliance_rate():
    # 20 assessed → cap 1. A: 40×1 + 0.3×90 + 0.3×90 = 94; B: 40×0.85 + 0.3×100 + 0.3×100 = 34 + 60 = 94.
    # Tie on score; the chain's first key (compliance rate 100% > 85%) puts A in.
    book, pack, comp = bit_case([("A", (20, 20), 90, 90), ("B", (17, 20), 100, 100)] + _fillers(18))
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))
    assert (r["A"]["score"], r["B"]["score"]) == (94.0, 94.0)
    assert r["A"]["tier"] == "优秀" and r["B"]["tier"] == "合格"
    assert any("合规率、满意度" in x and "得分同为 94.00" in x for x in r["B"]["reasons"])


def test_bit_tie_at_cap_split_by_satisfaction_when_rates_equal():
    # C: 40 + 0.3×95 + 0.3×85 = 94; D: 40 + 0.3×85 + 0.3×95 = 94; rates equal → 满意度 95 > 85: D in.
    book, pack, comp = bit_case([("C", (4, 4), 95, 85), ("D", (4, 4), 85, 95)] + _fillers(18))
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))
    assert r["D"]["tier"] == "优秀" and r["C"]["tier"] == "合格"


def test_bit_unsplittable_tie_at_cap_is_pending_and_those_above_stay_excellent():
    # 40 assessed → cap 2. G: 40 + 30 + 0.3×90 = 97 → 优秀 (strictly above the tie).
    # E and F: identical (100%, 90, 90 → 94): two people for the one remaining place → both 待定.
    book, pack, comp = bit_case([("G", (4, 4), 100, 90), ("E", (4, 4), 90, 90), ("F", (4, 4), 90, 90)] + _fillers(37))
    out = assess(book, pack, year="2024-2025", compliance=comp)
    r = by_id(out)
    assert r["G"]["tier"] == "优秀"
    assert r["E"]["tier"] == PENDING and r["F"]["tier"] == PENDING
    reason = " ".join(r["E"]["reasons"])
    assert "F" in reason and "剩余1个" in reason and "2人" in reason
    assert out.to_json()["counts"]["优秀"] == 1


def test_bit_tie_below_the_cap_needs_no_split():
    # 40 assessed → cap 2; E and F tie at 94 and both fit → both 优秀
    book, pack, comp = bit_case([("E", (4, 4), 90, 90), ("F", (4, 4), 90, 90)] + _fillers(38))
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))
    assert r["E"]["tier"] == r["F"]["tier"] == "优秀"


def test_bit_veto_is_fail_whatever_the_score():
    # V scores 100 but 组织考核 一票否决 → 不合格; V is no 优秀 candidate, so W (94) takes the one place.
    book, pack, comp = bit_case([("V", (4, 4), 100, 100, True), ("W", (4, 4), 90, 90)] + _fillers(18))
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))
    assert r["V"]["score"] == 100.0 and r["V"]["tier"] == "不合格"
    assert any("一票否决" in x for x in r["V"]["reasons"])
    assert r["W"]["tier"] == "优秀"


def test_bit_missing_review_is_pending_with_problem():
    book, pack, comp = bit_case([("A", (4, 4), None, 90)])
    out = assess(book, pack, year="2024-2025", compliance=comp)
    r = by_id(out)
    assert r["A"]["tier"] == PENDING and r["A"]["score"] is None
    assert any("组织考核" in x for x in r["A"]["reasons"])
    assert any(p["sheet"] == "组织考核" and p["value"] == "A" for p in out.to_json()["problems"])


def test_year_rate_is_sum_over_terms_not_mean():
    # term 1: 3/4 met, term 2: 5/6 met → 8/10 = 80% (the mean of rates would be 79.17%)
    # score = 0.4×80 + 0.3×80 + 0.3×80 = 80.00 → 合格
    book = make_book("bit-2022", 学期=[T1, T2], 人员=[{"工号": "A", "姓名": "甲", "角色": "学育导师"}],
                     组织考核=[{"工号": "A", "学年": "2024-2025学年", "得分": 80}],
                     测评=[{"工号": "A", "学期": "2024-2025", "满意度": 80}])
    pack = load_pack("bit-2022")
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("A", "bit.monthly-activity", "missed", 4, 3)]),
            "2024-2025-2": compliance_result("2024-2025-2", [("A", "bit.monthly-activity", "missed", 6, 5)])}
    assert required_terms(book, pack, year="2024-2025") == ["2024-2025-1", "2024-2025-2"]
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))["A"]
    assert r["rate"] == 0.8 and r["score"] == 80.0 and r["tier"] == "合格"
    assert (r["periods_met"], r["periods_required"]) == (8, 10)


def test_year_rule_counted_once_across_terms():
    # a 学年-period rule appears in both term runs with the same figures: count it once.
    pack = load_pack("hfut-math")
    c1 = compliance_result("2024-2025-1", [("H", "hfut.weekly-hours", "met", 10, 10),
                                           ("H", "hfut.grade-duties", "missed", 1, 0)], "hfut-math")
    c2 = compliance_result("2024-2025-2", [("H", "hfut.weekly-hours", "missed", 10, 8),
                                           ("H", "hfut.grade-duties", "missed", 1, 0)], "hfut-math")
    assert staff_rates(pack, {"a": c1, "b": c2}, ["a", "b"]) == {"H": (18, 21)}


def test_settings_override_changes_weights():
    # office sets 40/30/30 → 50/25/25: 0.5×50 + 0.25×100 + 0.25×100 = 75 → 合格 (with defaults: 20+30+30 = 80)
    book, pack, comp = bit_case([("A", (1, 2), 100, 100)])
    pack.overrides.update({"assess_weight_compliance": 0.5, "assess_weight_review": 0.25, "assess_weight_survey": 0.25})
    assert by_id(assess(book, pack, year="2024-2025", compliance=comp))["A"]["score"] == 75.0


def test_only_staff_with_the_role_are_assessed():
    other = {"工号": "X", "姓名": "外人", "角色": "辅导员"}
    book, pack, comp = bit_case([("A", (4, 4), 90, 90)], extra_staff=[other])
    assert set(by_id(assess(book, pack, year="2024-2025", compliance=comp))) == {"A"}


def test_term_given_to_a_year_scheme_uses_its_year():
    book, pack, comp = bit_case([("A", (4, 4), 90, 90)])
    out = assess(book, pack, term="2024-2025-1", compliance=comp)
    assert out.year == "2024-2025" and by_id(out)["A"]["score"] == 94.0


def test_results_frame_has_chinese_headers():
    book, pack, comp = bit_case([("A", (7, 8), 90, 88)])
    df = assess(book, pack, year="2024-2025", compliance=comp).frames()["考核结果"]
    assert list(df.columns) == ["工号", "姓名", "学院", "合规率", "组织考核", "满意度", "得分", "名次", "等级", "说明"]
    assert df.loc[0, "等级"] == "合格" and df.loc[0, "得分"] == 88.4 and df.loc[0, "合规率"] == 0.875
    assert df.attrs["tier_colours"]["不合格"] == "#FFC7CE"


# ---------------------------------------------------------------------------- lctc-2024
LT1 = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}  # 133 days


def lctc_case(*, rate=(8, 10), survey=(75, 20, 30), rank=None, prev_rank=None, new=True, n_classes=6,
              start="2024-09-02", holidays=()):
    staff = [{"工号": "L1", "姓名": "导师甲", "角色": "班级导师", "学院": "机电系"}]
    assign = [{"工号": "L1", "班级": "机电2401", "开始日期": start}]
    ranks = []
    if rank is not None:
        ranks.append({"班级": "机电2401", "学期": "2024-2025-1", "排名": rank, "年级班级数": n_classes, "新生班": new})
    if prev_rank is not None:
        ranks.append({"班级": "机电2401", "学期": "2023-2024-2", "排名": prev_rank, "年级班级数": n_classes, "新生班": False})
    surveys = []
    if survey is not None:
        surveys.append({"工号": "L1", "学期": "2024-2025-1", "满意度": survey[0], "参评人数": survey[1],
                        "应参评人数": survey[2]})
    book = make_book("lctc-2024", 学期=[LT1], 人员=staff, 指导关系=assign, 班级量化=ranks, 测评=surveys,
                     假期=list(holidays))
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("L1", "lctc.class-visit", "met", rate[1], rate[0])],
                                             "lctc-2024")}
    return assess(book, load_pack("lctc-2024"), term="2024-2025-1", compliance=comp)


def parts_of(out) -> dict:
    r = out.to_json()["results"][0]
    return r, {p["part"]: p["status"] for p in r["parts"]}


def test_lctc_all_three_parts_at_their_boundaries_pass():
    # 导师业绩 8/10 = 0.8 ≥ 0.8; 测评 20 of 30 = exactly 2/3 → valid, 满意度 60 ≥ 60;
    # 新生班 rank 4 of 6: floor(2×6/3) = 4 → within the top 2/3 → 合格
    out = lctc_case(rate=(8, 10), survey=(60, 20, 30), rank=4, n_classes=6)
    r, parts = parts_of(out)
    assert parts == {"导师业绩": "pass", "学生评价": "pass", "班级量化": "pass"}
    assert r["tier"] == "合格" and r["score"] is None
    assert out.to_json()["term"] == "2024-2025-1"


def test_lctc_survey_below_two_thirds_is_pending():
    # 19 of 30: 3×19 = 57 < 2×30 = 60 → invalid → 待定 (redo the survey); at least 20 needed
    out = lctc_case(survey=(95, 19, 30), rank=1)
    r, parts = parts_of(out)
    assert parts["学生评价"] == "pending" and r["tier"] == PENDING
    assert any("2/3" in x and "至少 20 人" in x and "五.3" in x for x in r["reasons"])


def test_lctc_survey_two_thirds_with_non_integer_share():
    # 应参 31: 2/3 × 31 = 20.67 → 20 is too few (3×20 = 60 < 62), 21 is enough (63 ≥ 62)
    assert parts_of(lctc_case(survey=(80, 20, 31), rank=1))[1]["学生评价"] == "pending"
    assert parts_of(lctc_case(survey=(80, 21, 31), rank=1))[1]["学生评价"] == "pass"


def test_lctc_low_satisfaction_fails():
    r, parts = parts_of(lctc_case(survey=(59.5, 30, 30), rank=1))
    assert parts["学生评价"] == "fail" and r["tier"] == "不合格"
    assert any("差 0.5 分" in x for x in r["reasons"])


@pytest.mark.parametrize("rank, status", [(4, "pass"), (5, "fail")])
def test_lctc_new_class_rank_boundary(rank, status):
    # 7 classes in the grade: floor(2×7/3) = floor(4.67) = 4 → rank 4 passes, rank 5 does not
    r, parts = parts_of(lctc_case(rank=rank, n_classes=7))
    assert parts["班级量化"] == status
    assert r["tier"] == ("合格" if status == "pass" else "不合格")
    if status == "fail":
        assert any("前 4 名" in x and "差 1 名" in x for x in r["reasons"])


@pytest.mark.parametrize("rank, prev, status", [(3, 5, "pass"), (5, 5, "fail"), (6, 5, "fail"), (3, None, "pending")])
def test_lctc_old_class_must_improve_on_last_term(rank, prev, status):
    r, parts = parts_of(lctc_case(rank=rank, prev_rank=prev, new=False))
    assert parts["班级量化"] == status
    if prev is None:
        assert r["tier"] == PENDING and any("缺少上学期（2023-2024-2）排名" in x for x in r["reasons"])


def test_lctc_performance_below_rate_fails():
    # 15/19 = 78.95% < 80% → 导师业绩 fails → 不合格, by 1.05 points
    r, parts = parts_of(lctc_case(rate=(15, 19), rank=1))
    assert parts["导师业绩"] == "fail" and r["tier"] == "不合格"
    assert any("78.95%" in x and "差 1.05 个百分点" in x for x in r["reasons"])


def test_lctc_invalid_survey_is_pending_even_when_another_part_fails():
    # policies.md: an invalid survey makes the result 待定 (redo the survey); the failed part
    # is still named in the reasons for the committee.
    r, parts = parts_of(lctc_case(rate=(1, 10), survey=(90, 5, 30), rank=1))
    assert parts == {"导师业绩": "fail", "学生评价": "pending", "班级量化": "pass"}
    assert r["tier"] == "待定"
    assert any("另有导师业绩未通过" in x for x in r["reasons"])


def test_lctc_active_under_half_term_is_not_counted():
    # term 2024-09-02 … 2025-01-12 = 133 days; paired from 2024-11-20: 54 days < 66.5 → 不计
    r, _ = parts_of(lctc_case(start="2024-11-20", rank=1))
    assert r["tier"] == NOT_COUNTED
    assert any("在岗 54 天" in x and "133 天" in x and "六.2" in x for x in r["reasons"])
    # from 2024-10-30: 75 days ≥ 66.5 → counted
    assert parts_of(lctc_case(start="2024-10-30", rank=1))[0]["tier"] == "合格"


def test_lctc_holidays_reduce_active_days():
    # from 2024-10-30: 75 days, less a 9-day holiday inside → 66 < 66.5 → 不计
    hol = [{"开始日期": "2024-12-30", "结束日期": "2025-01-07", "名称": "假"}]
    assert parts_of(lctc_case(start="2024-10-30", rank=1, holidays=hol))[0]["tier"] == NOT_COUNTED


def test_lctc_needs_term_not_year():
    book = make_book("lctc-2024", 学期=[LT1], 人员=[{"工号": "L1", "姓名": "甲", "角色": "班级导师"}])
    with pytest.raises(FatalInputError, match="按学期考核"):
        assess(book, load_pack("lctc-2024"), year="2024-2025", compliance={})


def test_previous_term_codes():
    assert previous_term("2024-2025-2", []) == "2024-2025-1"
    assert previous_term("2024-2025-1", []) == "2023-2024-2"
    assert previous_term("2024-2025-1", ["2023-2024-3"]) == "2023-2024-3"


# ---------------------------------------------------------------------------- hfut-math
def hfut_case(mentors, overrides=None):
    """mentors: (id, [(term, met, req, hours or None)], survey). hours < 30 → the term-hours rule missed."""
    staff = [{"工号": m[0], "姓名": f"师{m[0]}", "角色": "班主任"} for m in mentors]
    surveys = [{"工号": m[0], "学期": "2024-2025", "满意度": m[2]} for m in mentors]
    book = make_book("hfut-math", 学期=[T1, T2], 人员=staff, 测评=surveys)
    comp = {}
    for t in ("2024-2025-1", "2024-2025-2"):
        rows = []
        for m in mentors:
            for (term, met, req, hours) in m[1]:
                if term != t:
                    continue
                rows.append((m[0], "hfut.weekly-hours", "met" if met == req else "missed", req, met))
                if hours is not None:
                    ok = hours >= 30
                    rows.append((m[0], "hfut.term-hours", "met" if ok else "missed", 1, int(ok), float(hours),
                                 [] if ok else [30 - hours]))
        comp[t] = compliance_result(t, rows, "hfut-math")
    pack = load_pack("hfut-math")
    pack.overrides.update(overrides or {})
    return assess(book, pack, year="2024-2025", compliance=comp)


def test_hfut_score_tiers_without_cap():
    # P: term1 hours 40 (1/1) + weekly 9/10, term2 hours 35 (1/1) + 10/10 → 21/22 periods met;
    #    0.6 × 95.4545… + 0.4 × 95 = 57.2727… + 38 = 95.2727… → 95.27 → 优秀
    # Q: same as P: 优秀 too (no cap on 优秀 by default)
    # R: 8/10 + hours ok (9/11), 80 → 0.6×81.8181… + 32 = 81.0909… → 81.09 → 称职
    # S: 5/10 + ok (6/11), 60 → 0.6×54.5454… + 24 = 56.7272… → 56.73 → 不称职 (< 60)
    p = [("2024-2025-1", 9, 10, 40), ("2024-2025-2", 10, 10, 35)]
    out = hfut_case([("P", p, 95), ("Q", p, 95), ("R", [("2024-2025-1", 8, 10, 31)], 80),
                     ("S", [("2024-2025-1", 5, 10, 30)], 60)])
    r = by_id(out)
    assert (r["P"]["score"], r["P"]["tier"]) == (95.27, "优秀")
    assert r["Q"]["tier"] == "优秀"
    assert (r["R"]["score"], r["R"]["tier"]) == (81.09, "称职")
    assert (r["S"]["score"], r["S"]["tier"]) == (56.73, "不称职")
    assert out.to_json()["quota"]["cap"] is None


def test_hfut_thirty_hour_veto():
    # V: term 2 has 29 学时 (< 30): 不称职 whatever the score. Periods: 10/10 + 1/1, 10/10 + 0/1 → 21/22,
    #    0.6×95.4545… + 0.4×100 = 97.27 — still 不称职, and the reason names the term and the 1-hour gap.
    out = hfut_case([("V", [("2024-2025-1", 10, 10, 30), ("2024-2025-2", 10, 10, 29)], 100)])
    r = by_id(out)["V"]
    assert r["score"] == 97.27 and r["tier"] == "不称职"
    assert any("2024-2025-2" in x and "30学时" in x and "差 1" in x for x in r["reasons"])


def test_hfut_subsidy_per_tier_from_settings():
    p = [("2024-2025-1", 10, 10, 40)]
    out = hfut_case([("P", p, 95), ("S", [("2024-2025-1", 1, 10, 30)], 50)],
                    overrides={"subsidy_excellent": 2000, "subsidy_fail": 0})
    r = by_id(out)
    assert r["P"]["subsidy_yuan"] == 2000 and r["S"]["subsidy_yuan"] == 0
    assert "补贴(元)" in out.frames()["考核结果"].columns


def test_hfut_office_cap_applies_when_set():
    # 优秀比例上限 set to 0.5 with 2 assessed → cap 1; P (95.27) beats P2 (0.6×90 + 0.4×100 = 94) → P2 称职
    out = hfut_case([("P", [("2024-2025-1", 21, 22, None)], 95), ("P2", [("2024-2025-1", 9, 10, None)], 100)],
                    overrides={"assess_excellent_share": 0.5})
    r = by_id(out)
    assert r["P"]["tier"] == "优秀" and r["P2"]["score"] == 94.0 and r["P2"]["tier"] == "称职"


# ---------------------------------------------------------------------------- ustb-2022
def test_ustb_has_no_tiers_and_points_to_awards():
    book = make_book("ustb-2022", 学期=[T1], 人员=[{"工号": "U1", "姓名": "甲", "角色": "辅导员"}])
    pack = load_pack("ustb-2022")
    assert required_terms(book, pack, year="2024-2025") == []
    out = assess(book, pack, year="2024-2025", compliance={})
    js = out.to_json()
    assert js["results"] == [] and "awards" in js["message"] and "未规定考核等次" in js["message"]
    assert out.frames()["考核结果"].iloc[0, 0] == js["message"]


def test_year_terms_from_sheet():
    book = make_book("bit-2022", 学期=[T2, T1, {"学期": "2025-2026-1", "开始日期": "2025-09-01", "结束日期": "2026-01-10"}])
    assert year_terms(book, "2024-2025") == ["2024-2025-1", "2024-2025-2"]


def test_results_sheet_written_with_formats(tmp_path):
    import openpyxl

    from mentor_xl.workbook.xlsx import new_workbook, write_spec_sheet

    book, pack, comp = bit_case([("A", (7, 8), 90, 88), ("C", (1, 2), 60, 57.33)])
    out = assess(book, pack, year="2024-2025", compliance=comp)
    path = tmp_path / "考核.xlsx"
    wb = new_workbook(path)
    for name, spec in out.sheets().items():
        write_spec_sheet(wb, name, spec)
    wb.close()
    ws = openpyxl.load_workbook(path)["考核结果"]
    head = [c.value for c in ws[1]]
    score = ws.cell(row=2, column=head.index("得分") + 1)
    assert score.value == 88.4 and score.number_format == "0.00"
    assert ws.cell(row=2, column=head.index("合规率") + 1).number_format.endswith("%")
    assert ws.cell(row=3, column=head.index("等级") + 1).value == "不合格"
    assert ws.conditional_formatting  # the fail tier is highlighted


def test_lctc_blank_new_class_flag_judged_from_students_grade():
    # 新生班 left blank: the class's students entered in 2024 = the term's 学年 → 新生班; rank 4 of 6 passes
    book = make_book("lctc-2024", 学期=[LT1], 人员=[{"工号": "L1", "姓名": "甲", "角色": "班级导师"}],
                     指导关系=[{"工号": "L1", "班级": "机电2401"}],
                     学生=[{"学号": f"S{i}", "班级": "机电2401", "年级": 2024} for i in range(3)],
                     班级量化=[{"班级": "机电2401", "学期": "2024-2025-1", "排名": 4, "年级班级数": 6}],
                     测评=[{"工号": "L1", "学期": "2024-2025-1", "满意度": 80, "参评人数": 30, "应参评人数": 30}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("L1", "lctc.class-visit", "met", 5, 5)], "lctc-2024")}
    r = assess(book, load_pack("lctc-2024"), term="2024-2025-1", compliance=comp).to_json()["results"][0]
    assert r["tier"] == "合格"
    assert any("按学生年级 2024 判断为新生班" in x for x in r["reasons"])


def test_with_the_real_compliance_engine():
    # H1 logs 31 学时 in term 1 (one 31-hour row) and nothing in term 2: term 2 misses the 30-学时 rule
    # by 30 → 不称职 whatever the score; the year rate is Σ met ÷ Σ required of the engine's two runs.
    from mentor_xl.engine import compliance

    book = make_book("hfut-math", 学期=[T1, T2], 人员=[{"工号": "H1", "姓名": "甲", "角色": "班主任"}],
                     活动记录=[{"日期": "2024-09-03", "工号": "H1", "活动类型": "深入教室", "时长": 31}],
                     测评=[{"工号": "H1", "学期": "2024-2025", "满意度": 90}])
    pack = load_pack("hfut-math")
    terms = required_terms(book, pack, year="2024-2025")
    comp = {t: compliance(book, pack, t) for t in terms}
    r = by_id(assess(book, pack, year="2024-2025", compliance=comp))["H1"]
    met = sum(int(c.staff["periods_met"].sum()) for c in comp.values())
    req = sum(int(c.staff["periods_required"].sum()) for c in comp.values())
    assert (r["periods_met"], r["periods_required"]) == (met, req) and req > 0
    assert r["tier"] == "不称职"
    veto = [x for x in r["reasons"] if "30学时" in x]
    assert len(veto) == 1 and "2024-2025-2" in veto[0] and "差 30" in veto[0]


def test_more_participants_than_expected_is_a_problem_and_pending():
    out = lctc_case(survey=(80, 31, 30), rank=1)
    r, parts = parts_of(out)
    assert parts["学生评价"] == "pending" and r["tier"] == PENDING
    probs = out.to_json()["problems"]
    assert any(p["sheet"] == "测评" and p["row"] == 2 and p["column"] == "参评人数" and p["value"] == 31 for p in probs)


def test_json_is_plain_json():
    import json

    book, pack, comp = bit_case([("A", (7, 8), 90, 88), ("B", (4, 4), None, 90)])
    for out in (assess(book, pack, year="2024-2025", compliance=comp), lctc_case(rank=1), lctc_case(start="2024-12-20")):
        text = json.dumps(out.to_json(), ensure_ascii=False)
        assert json.loads(text)["results"][0]["reasons"]


def test_share_written_as_percent_in_settings():
    # the office writes 优秀比例上限 = 5% (the reader gives 5.0) or 10: both are percentages → cap of 40 is 2, then 4
    from mentor_xl.workbook.settings import apply_settings

    mentors = [(f"M{i:02d}", (4, 4), 100, 100 - i) for i in range(40)]
    book, pack, comp = bit_case(mentors)
    apply_settings(pack, {"优秀比例上限": "5%"})
    assert assess(book, pack, year="2024-2025", compliance=comp).to_json()["quota"]["cap"] == 2
    apply_settings(pack, {"优秀比例上限": "10"})
    assert assess(book, pack, year="2024-2025", compliance=comp).to_json()["quota"]["cap"] == 4


def test_a_count_above_its_total_and_a_score_outside_0_100_are_reported():
    book = make_book("lctc-2024", 学期=[LT1], 人员=[{"工号": "L1", "姓名": "甲", "角色": "班级导师"}],
                     指导关系=[{"工号": "L1", "班级": "机电2401"}],
                     班级量化=[{"班级": "机电2401", "学期": "2024-2025-1", "排名": 7, "年级班级数": 6}],
                     测评=[{"工号": "L1", "学期": "2024-2025-1", "满意度": 101, "参评人数": 31, "应参评人数": 30}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("L1", "lctc.class-visit", "met", 5, 5)], "lctc-2024")}
    msgs = {p["message"] for p in assess(book, load_pack("lctc-2024"), term="2024-2025-1",
                                         compliance=comp).to_json()["problems"]}
    assert "工号 L1 2024-2025-1 的参评人数 31 多于应参评人数 30" in msgs
    assert any(m.startswith("工号 L1 2024-2025-1 的满意度 101") and m.endswith("不在0–100之间") for m in msgs)
    assert "班级 机电2401 2024-2025-1 的排名 7 大于年级班级数 6" in msgs
