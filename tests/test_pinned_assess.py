"""Pinned behaviour of the assess score scheme (score, quota, yearly rate): each test kills
mutants that survived a mutation run. The reasons are the office's record of why a tier was
given, so they are pinned word for word; every number in them is computed in the comments.
The mutants still alive after these tests are equivalent: docs/mutation.md lists them."""
from __future__ import annotations

from bookfactory import make_book
from mentor_xl.assess import assess
from mentor_xl.packs import load_pack
from test_assess import T1, T2, compliance_result

CAP = "优秀名额 = 向下取整(20人 × 5%) = 1（五.(五)）"


def _bit(mentors: list[tuple], reviews: list[dict], surveys: list[dict]):
    """mentors: (id, (met, req) in term 1, (met, req) in term 2); bit-2022, 学年 2024-2025 of two terms."""
    staff = [{"工号": m[0], "姓名": f"导师{m[0]}", "角色": "学育导师", "学院": "书院"} for m in mentors]
    book = make_book("bit-2022", 学期=[T1, T2], 人员=staff, 组织考核=reviews, 测评=surveys)
    comp = {t: compliance_result(t, [(m[0], "bit.monthly-activity", "met" if m[i][0] == m[i][1] else "missed",
                                      m[i][1], m[i][0]) for m in mentors])
            for i, t in ((1, "2024-2025-1"), (2, "2024-2025-2"))}
    out = assess(book, load_pack("bit-2022"), year="2024-2025", compliance=comp).to_json()
    return out, {r["staff_id"]: r for r in out["results"]}


def _review(sid, score, veto=False, note=None):
    return {"工号": sid, "学年": "2024-2025", "得分": score, "一票否决": veto, "备注": note}


def _fillers(k: int):
    # 50% (2/4 + 2/4), 组织考核 60, 满意度 60: 20 + 18 + 18 = 56 → 不合格; they make up the headcount
    ids = [f"F{i:02d}" for i in range(k)]
    return ([(f, (2, 4), (2, 4)) for f in ids], [_review(f, 60) for f in ids],
            [{"工号": f, "学期": "2024-2025", "满意度": 60} for f in ids])


def test_score_reasons_veto_note_missing_data_term_survey_mean_and_a_candidate_within_the_cap():
    mentors, reviews, surveys = _fillers(15)
    mentors += [("A", (4, 4), (3, 4)), ("V", (4, 4), (4, 4)), ("M", (4, 4), (4, 4)), ("E", (4, 4), (4, 4)),
                ("L", (1, 4), (1, 4))]
    reviews += [_review("A", 90), _review("V", 95, True, "师德失范"), _review("E", 100), _review("L", 60)]
    surveys += [{"工号": "A", "学期": "2024-2025-1", "满意度": 90}, {"工号": "A", "学期": "2024-2025-2", "满意度": 85},
                {"工号": "V", "学期": "2024-2025", "满意度": 100}, {"工号": "M", "学期": "2024-2025", "满意度": 80},
                {"工号": "E", "学期": "2024-2025", "满意度": 95}, {"工号": "L", "学期": "2024-2025", "满意度": 50}]
    out, r = _bit(mentors, reviews, surveys)
    # A: 7/8 = 87.5%; 满意度 the mean of the two term rows (90 + 85) / 2 = 87.5 (no 学年 row);
    #    0.4×87.5 + 0.3×90 + 0.3×87.5 = 35 + 27 + 26.25 = 88.25 → 合格 (75 ≤ 88.25 < 90)
    a = r["A"]
    assert (a["score"], a["tier"], a["rate"], a["periods_met"], a["periods_required"], a["rank"]) == (
        88.25, "合格", 0.875, 7, 8, 3)
    assert a["values"] == {"合规率": 87.5, "组织考核": 90.0, "满意度": 87.5}
    assert a["reasons"] == ["得分 88.25 = 合规率 87.50×40% + 组织考核 90×30% + 满意度 87.5×30%",
                            "满意度取 2 个学期测评的平均值 87.50",
                            "得分 88.25 ≥ 合格分数线 75，低于优秀分数线 90 → 合格（五.(五)）"]
    # V: 40 + 28.5 + 30 = 98.50, but 一票否决 → 不合格 whatever the score; still ranked (1, with E)
    v = r["V"]
    assert (v["score"], v["tier"], v["vetoed"], v["rank"]) == (98.5, "不合格", True, 1)
    assert v["reasons"] == ["得分 98.50 = 合规率 100.00×40% + 组织考核 95×30% + 满意度 100×30%",
                            "组织考核一票否决（师德失范） → 不合格（五.(五)）"]
    # M: no 组织考核 row → 待定, no score, not ranked
    m = r["M"]
    assert (m["score"], m["tier"], m["rate"], "rank" in m) == (None, "待定", 1.0, False)
    assert m["values"] == {"合规率": 100.0, "组织考核": None, "满意度": 80.0}
    assert m["reasons"] == ["缺少 2024-2025 学年组织考核得分（组织考核表）", "考核数据不全，结果待定（五.(五)）"]
    # E: 40 + 30 + 28.5 = 98.50 ≥ 90, the only candidate: cap floor(20 × 5%) = 1 → 优秀
    e = r["E"]
    assert (e["score"], e["tier"], e["rank"]) == (98.5, "优秀", 1)
    assert e["reasons"] == ["得分 98.50 = 合规率 100.00×40% + 组织考核 100×30% + 满意度 95×30%",
                            "得分 98.50 ≥ 优秀分数线 90，为优秀候选",
                            f"{CAP}，1人达到优秀分数线，均在名额内 → 优秀"]
    # L: 2/8 = 25% → 10 + 18 + 15 = 43.00 < 60 by 17.00 → 不合格; ranked last of the 19 scored
    lo = r["L"]
    assert (lo["score"], lo["tier"], lo["rank"]) == (43.0, "不合格", 19)
    assert lo["reasons"] == ["得分 43.00 = 合规率 25.00×40% + 组织考核 60×30% + 满意度 50×30%",
                             "得分 43.00 低于基本合格分数线 60（差 17.00 分） → 不合格（五.(五)）"]
    assert r["F00"]["rank"] == 4  # 56.00 after 98.50, 98.50, 88.25
    assert out["quota"] == {"tier": "优秀", "share": "0.05", "assessed": 20, "cap": 1}
    assert out["counts"] == {"不合格": 17, "合格": 1, "待定": 1, "优秀": 1}


def test_a_tie_that_crosses_the_cap_is_pending_and_the_next_candidate_is_out():
    # X and Y: 100%, 组织考核 90, 满意度 90 → 40 + 27 + 27 = 94.00, equal on every tie-break key;
    # Z: 40 + 27 + 24 = 91.00 ≥ 90. Cap 1 (20 assessed): X and Y share the one place → both 待定;
    # Z third by score → 合格.
    mentors, reviews, surveys = _fillers(17)
    mentors += [(s, (4, 4), (4, 4)) for s in "XYZ"]
    reviews += [_review(s, 90) for s in "XYZ"]
    surveys += [{"工号": "X", "学期": "2024-2025", "满意度": 90}, {"工号": "Y", "学期": "2024-2025", "满意度": 90},
                {"工号": "Z", "学期": "2024-2025", "满意度": 80}]
    out, r = _bit(mentors, reviews, surveys)
    assert (r["X"]["tier"], r["Y"]["tier"], r["Z"]["tier"]) == ("待定", "待定", "合格")
    assert r["X"]["reasons"][1:] == [
        "得分 94.00 ≥ 优秀分数线 90，为优秀候选",
        f"{CAP}；得分 94.00 与 Y（导师Y） 并列，合规率、满意度亦相同，2人争剩余1个优秀名额，无法区分 → 待定，留待审定（五.(五)）"]
    assert r["Y"]["reasons"][-1].startswith(f"{CAP}；得分 94.00 与 X（导师X） 并列")
    assert r["Z"]["reasons"][1:] == ["得分 91.00 ≥ 优秀分数线 90，为优秀候选",
                                     f"{CAP}；按得分、合规率、满意度排序第3，优秀名额已满 → 合格"]
    assert (r["X"]["rank"], r["Y"]["rank"], r["Z"]["rank"]) == (1, 1, 3)


def test_three_equal_scores_are_split_by_the_chain_and_each_names_the_others():
    # P: 100% (8/8), 90, 90 → 40 + 27 + 27 = 94; R: 37/40 = 92.5% → 37 + 0.3×95 + 0.3×95 = 94;
    # Q: 17/20 = 85% → 34 + 30 + 30 = 94. Chain 合规率 first: P (100) > R (92.5) > Q (85); cap 1 → P.
    mentors, reviews, surveys = _fillers(17)
    mentors += [("P", (4, 4), (4, 4)), ("R", (20, 20), (17, 20)), ("Q", (9, 10), (8, 10))]
    reviews += [_review("P", 90), _review("R", 95), _review("Q", 100)]
    surveys += [{"工号": s, "学期": "2024-2025", "满意度": v} for s, v in (("P", 90), ("R", 95), ("Q", 100))]
    out, r = _bit(mentors, reviews, surveys)
    assert [r[s]["score"] for s in "PRQ"] == [94.0, 94.0, 94.0]
    assert [r[s]["tier"] for s in "PRQ"] == ["优秀", "合格", "合格"]
    assert r["P"]["reasons"][-1] == f"{CAP}；按得分、合规率、满意度排序第1，在名额内 → 优秀；与 R、Q 得分同为 94.00，按合规率、满意度依次比较"
    assert r["R"]["reasons"][-1] == f"{CAP}；按得分、合规率、满意度排序第2，优秀名额已满 → 合格；与 P、Q 得分同为 94.00，按合规率、满意度依次比较"
    assert r["Q"]["reasons"][-1] == f"{CAP}；按得分、合规率、满意度排序第3，优秀名额已满 → 合格；与 P、R 得分同为 94.00，按合规率、满意度依次比较"


def test_a_missed_rule_veto_names_the_term_the_value_the_bound_and_the_gap():
    # hfut: V's term 2 has 27.5 学时 (< 30, short 2.5): 不称职 whatever the score. Periods 10/10 + 1/1 and
    # 10/10 + 0/1 → 21/22 = 95.4545…%; 0.6×95.4545… + 0.4×100 = 57.2727… + 40 = 97.27.
    # W's term-hours result has no value (blank): the reason says 未达标 without numbers.
    from test_assess import hfut_case
    out = hfut_case([("V", [("2024-2025-1", 10, 10, 30), ("2024-2025-2", 10, 10, 27.5)], 100)])
    v = out.to_json()["results"][0]
    assert (v["score"], v["tier"], v["vetoed"]) == (97.27, "不称职", True)
    assert v["reasons"] == ["得分 97.27 = 合规率 95.45×60% + 满意度 100×40%",
                            "2024-2025-2 学期“每学期工作量不低于30学时”未达标（实际 27.5，要求不低于 30，差 2.5）"
                            " → 不称职（工作记录表）"]
    book = make_book("hfut-math", 学期=[T1, T2], 人员=[{"工号": "W", "姓名": "师W", "角色": "班主任"}],
                     测评=[{"工号": "W", "学期": "2024-2025", "满意度": 100}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("W", "hfut.weekly-hours", "met", 10, 10),
                                                             ("W", "hfut.term-hours", "missed", 1, 0, float("nan"), [])],
                                             "hfut-math")}
    w = assess(book, load_pack("hfut-math"), year="2024-2025", compliance=comp).to_json()["results"][0]
    assert w["reasons"][1:] == ["2024-2025-1 学期“每学期工作量不低于30学时”未达标（未达标） → 不称职（工作记录表）"]


def _bit_variant(**assessment):
    from dataclasses import replace
    pack = load_pack("bit-2022")
    return replace(pack, assessment=replace(pack.assessment, **assessment))


def _one(pack, review: dict | None):
    book = make_book("bit-2022", 学期=[T1], 人员=[{"工号": "A", "姓名": "甲", "角色": "学育导师"}],
                     组织考核=[review] if review else [], 测评=[{"工号": "A", "学期": "2024-2025", "满意度": 90}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("A", "bit.monthly-activity", "met", 4, 4)])}
    return assess(book, pack, year="2024-2025", compliance=comp).to_json()


def test_organisation_reviews_are_read_for_a_review_component_or_a_review_veto_alone():
    # A pack scoring 组织考核 without a veto: A's review 90 → 40 + 27 + 27 = 94 (not 待定 for a missing review)
    no_veto = _bit_variant(vetoes=())
    assert _one(no_veto, _review("A", 90))["results"][0]["score"] == 94.0
    # A pack with the veto but no 组织考核 component: the veto still applies (not ignored) → 不合格
    veto_only = _bit_variant(components=tuple(c for c in load_pack("bit-2022").assessment.components
                                              if c.source != "review"))
    r = _one(veto_only, _review("A", None, True))["results"][0]
    assert (r["tier"], r["vetoed"]) == ("不合格", True)


def test_a_policy_without_organisation_review_does_not_check_that_sheet():
    # hfut scores no 组织考核: a score of 150 there is not its business (no problem reported)
    book = make_book("hfut-math", 学期=[T1], 人员=[{"工号": "H", "姓名": "师", "角色": "班主任"}],
                     组织考核=[{"工号": "H", "学年": "2024-2025", "得分": 150}],
                     测评=[{"工号": "H", "学期": "2024-2025", "满意度": 90}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("H", "hfut.weekly-hours", "met", 4, 4)], "hfut-math")}
    out = assess(book, load_pack("hfut-math"), year="2024-2025", compliance=comp).to_json()
    assert [p for p in out["problems"] if p["sheet"] == "组织考核"] == []


# ------------------------------------------------------------------------- the yearly rate
def _cr(term: str, rows: list[tuple], staff: list[tuple] | None = None, cols=None):
    """rows: (staff_id, rule, student_id, class, required, met, report_only); staff: (id, required, met)."""
    import pandas as pd
    from mentor_xl.engine.result import ComplianceResult
    res = pd.DataFrame(rows, columns=["staff_id", "rule", "student_id", "class", "required", "met", "report_only"])
    if cols is not None:
        res = None if cols == "none" else res[cols]
    st = pd.DataFrame(staff or [(r[0], 0, 0) for r in rows], columns=["staff_id", "periods_required", "periods_met"])
    return ComplianceResult("hfut-math", term, pd.Timestamp("2024-09-02"), pd.Timestamp("2025-01-12"),
                            pd.DataFrame(), res, st.drop_duplicates("staff_id"))


def _hfut_with_pair_year_rule():
    from dataclasses import replace
    pack = load_pack("hfut-math")
    duties = pack.rule("hfut.grade-duties")
    return replace(pack, rules=[*pack.rules, replace(duties, id="x.pair-year", scope="pair")])


def test_a_year_rule_counts_once_per_staff_subject_from_the_last_term():
    from mentor_xl.assess import staff_rates
    pack = _hfut_with_pair_year_rule()
    G, P = "hfut.grade-duties", "x.pair-year"
    # H: the year rule for classes C1 and C2 and the pair rule for students S1 and S2, in both terms;
    #    term 1 says missed (0/1), term 2 met (1/1): counted once each from term 2 → 4/4, plus weekly 3/4 + 4/4.
    # K: the same year rule for C1: its own 1/1 from term 2 (not merged with H's).
    t1 = [("H", "hfut.weekly-hours", None, None, 4, 3, False), ("H", G, None, "C1", 1, 0, False),
          ("H", G, None, "C2", 1, 0, False), ("H", P, "S1", None, 1, 0, False), ("H", P, "S2", None, 1, 0, False),
          ("K", G, None, "C1", 1, 0, False)]
    t2 = [("H", "hfut.weekly-hours", None, None, 4, 4, False), ("H", G, None, "C1", 1, 1, False),
          ("H", G, None, "C2", 1, 1, False), ("H", P, "S1", None, 1, 1, False), ("H", P, "S2", None, 1, 1, False),
          ("K", G, None, "C1", 1, 1, False)]
    comp = {"2024-2025-1": _cr("2024-2025-1", t1), "2024-2025-2": _cr("2024-2025-2", t2)}
    assert staff_rates(pack, comp, ["2024-2025-1", "2024-2025-2"]) == {"H": (11, 12), "K": (1, 1)}


def test_a_staff_member_with_only_report_rules_has_a_rate_of_nothing_not_no_result():
    # R's only result is report-only: (0 met, 0 required) — so assess says 在岗不足, not 缺少合规结果
    from mentor_xl.assess import staff_rates
    comp = {"2024-2025-1": _cr("2024-2025-1", [("R", "hfut.weekly-hours", None, None, 4, 4, True),
                                               ("H", "hfut.weekly-hours", None, None, 4, 2, False)])}
    assert staff_rates(load_pack("hfut-math"), comp, ["2024-2025-1"]) == {"R": (0, 0), "H": (2, 4)}


def test_a_result_without_per_rule_rows_falls_back_to_the_staff_totals():
    # term 1 has no per-rule results (None): its staff totals count (3/4); term 2 has per-rule rows with
    # exactly the needed columns (1/2) — 4/6 together
    from mentor_xl.assess import staff_rates
    need = ["staff_id", "rule", "required", "met", "report_only"]
    t2 = [("A", "hfut.weekly-hours", None, None, 2, 1, False)]
    comp = {"2024-2025-1": _cr("2024-2025-1", [], staff=[("A", 4, 3)], cols="none"),
            "2024-2025-2": _cr("2024-2025-2", t2, staff=[("A", 9, 9)], cols=need)}
    assert staff_rates(load_pack("hfut-math"), comp, ["2024-2025-1", "2024-2025-2"]) == {"A": (4, 6)}


# ------------------------------------------------------------------------- ⚙ shares
def _quota_share(value):
    from mentor_xl.assess import _spec
    from mentor_xl.workbook.settings import apply_settings
    pack = load_pack("bit-2022")
    return _spec(apply_settings(pack, {pack.settings["assess_excellent_share"].label: value})).quota["s"]


def test_a_share_setting_of_1_is_all_and_above_1_is_a_percentage():
    from fractions import Fraction
    import pytest
    from mentor_xl.problems import FatalInputError
    assert _quota_share("1") == 1  # 100%, not 1%
    assert _quota_share("2") == Fraction(1, 50)  # 2 → 2%
    with pytest.raises(FatalInputError, match="^设置项“优秀比例上限”的值“150.0”不是0到1之间的比例$"):
        _quota_share("150")  # 150% is no share
    # a value that bypassed the 设置 sheet's check (a pack override) is still refused by name
    from dataclasses import replace
    from mentor_xl.assess import _spec
    pack = load_pack("bit-2022")
    with pytest.raises(FatalInputError, match="^设置项“优秀比例上限”的值“很多”不是数字或分数$"):
        _spec(replace(pack, overrides={"assess_excellent_share": "很多"}))


def test_a_setting_the_pack_does_not_define_is_named_in_the_error():
    from dataclasses import replace
    import pytest
    from mentor_xl.assess import _spec
    from mentor_xl.packs import PackError
    pack = load_pack("bit-2022")
    pack = replace(pack, settings={k: v for k, v in pack.settings.items() if k != "assess_min_pass"})
    with pytest.raises(PackError, match="^制度文件 bit-2022：assessment.thresholds 引用的设置项 “assess_min_pass” 未在"):
        _spec(pack)


# ------------------------------------------------------------------------- more pins
def test_assess_reports_bad_survey_and_review_rows_and_rates_of_one_period():
    # A: 1/1 period met → rate 100% (a one-period rate is a rate); one 测评 term row only → no "平均值" reason;
    # the 满意度 150 and a second 组织考核 row are reported with their Excel rows.
    staff = [{"工号": "A", "姓名": "甲", "角色": "学育导师"}]
    book = make_book("bit-2022", 学期=[T1], 人员=staff,
                     组织考核=[_review("A", 80), _review("A", 70)],
                     测评=[{"工号": "A", "学期": "2024-2025-1", "满意度": 150}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("A", "bit.monthly-activity", "met", 1, 1)])}
    out = assess(book, load_pack("bit-2022"), year="2024-2025", compliance=comp).to_json()
    a = out["results"][0]
    assert (a["rate"], a["values"]) == (1.0, {"合规率": 100.0, "组织考核": 80.0, "满意度": 150.0})
    assert not any("平均值" in x for x in a["reasons"])
    assert [(p["sheet"], p["row"], p["column"]) for p in out["problems"]] == [("组织考核", 3, "工号"), ("测评", 2, "满意度")]


def test_a_staff_member_with_no_required_period_is_pending_for_lack_of_periods():
    # R's only result is report-only → (0, 0): 待定 because nothing was required, not a division by zero
    book = make_book("bit-2022", 学期=[T1], 人员=[{"工号": "R", "姓名": "乙", "角色": "学育导师"}],
                     组织考核=[_review("R", 80)], 测评=[{"工号": "R", "学期": "2024-2025", "满意度": 90}])
    res = compliance_result("2024-2025-1", [("R", "bit.monthly-activity", "met", 4, 4)])
    res.results["report_only"] = True
    r = assess(book, load_pack("bit-2022"), year="2024-2025", compliance={"2024-2025-1": res}).to_json()["results"][0]
    assert (r["tier"], r["score"]) == ("待定", None)
    assert r["reasons"][0] == "2024-2025 内没有应考核的周期（在岗不足），无法计算合规率"


def test_the_top_tier_without_a_cap_says_only_its_threshold():
    # hfut P: 21/22 periods, 满意度 95 → 95.27 ≥ 90 → 优秀, no cap by default; nothing above 优秀 to name
    from test_assess import hfut_case
    p = [("2024-2025-1", 9, 10, 40), ("2024-2025-2", 10, 10, 35)]
    r = hfut_case([("P", p, 95)]).to_json()["results"][0]
    assert r["reasons"][-1] == "得分 95.27 ≥ 优秀分数线 90 → 优秀（三.2）"


def test_a_capped_tier_with_no_tier_below_it_falls_to_the_fail_tier():
    # a pack whose only threshold is 优秀 (capped): 19 assessed → cap 0 → the candidate gets the fail tier
    from dataclasses import replace
    pack = load_pack("bit-2022")
    pack = replace(pack, assessment=replace(pack.assessment, thresholds=pack.assessment.thresholds[:1]))
    mentors, reviews, surveys = _fillers(18)
    staff = [{"工号": m[0], "姓名": None, "角色": "学育导师"} for m in mentors] + [{"工号": "E", "姓名": None, "角色": "学育导师"}]
    book = make_book("bit-2022", 学期=[T1], 人员=staff, 组织考核=reviews + [_review("E", 100)],
                     测评=surveys + [{"工号": "E", "学期": "2024-2025", "满意度": 100}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [(m[0], "bit.monthly-activity", "missed", 4, 2) for m in mentors]
                                             + [("E", "bit.monthly-activity", "met", 4, 4)])}
    r = {x["staff_id"]: x for x in assess(book, pack, year="2024-2025", compliance=comp).to_json()["results"]}
    assert r["E"]["tier"] == "不合格"
    assert r["E"]["reasons"][-1] == "优秀名额 = 向下取整(19人 × 5%) = 0（五.(五)），本次无优秀名额 → 不合格"


def test_tier_for_score_with_no_cap_and_without_a_rank():
    import pytest
    from decimal import Decimal
    from mentor_xl.assess import tier_for_score
    pack = load_pack("bit-2022")
    with pytest.raises(ValueError, match="^“优秀”有名额限制，请给出名次和参评人数$"):
        tier_for_score(pack, Decimal("95"), rank=None, assessed=20)
    with pytest.raises(ValueError, match="^“优秀”有名额限制，请给出名次和参评人数$"):
        tier_for_score(pack, Decimal("95"), rank=1, assessed=None)
    pack.overrides["assess_excellent_share"] = 0  # ⚙ 0 = no cap: rank 5 of 20 is still 优秀
    assert tier_for_score(pack, Decimal("95"), rank=5, assessed=20) == "优秀"


def test_clauses_of_a_veto_and_of_the_quota_are_their_own_and_a_veto_without_note():
    # a variant of bit-2022 whose veto and quota cite other clauses than [assessment] (五.(五)), and whose
    # tie-break is 组织考核: the reasons cite 五.(八) for the veto, 五.(六) for the quota
    from dataclasses import replace
    pack = load_pack("bit-2022")
    a = pack.assessment
    pack = replace(pack, assessment=replace(a, vetoes=(replace(a.vetoes[0], clause="五.(八)"),),
                                            quota=replace(a.quota, clause="五.(六)", tie_break=("review",))))
    mentors, reviews, surveys = _fillers(16)
    mentors += [("P", (4, 4), (4, 4)), ("R", (20, 20), (17, 20)), ("Q", (9, 10), (8, 10)), ("V", (4, 4), (4, 4))]
    reviews += [_review("P", 90), _review("R", 95), _review("Q", 100), _review("V", 90, True)]
    surveys += [{"工号": s, "学期": "2024-2025", "满意度": v} for s, v in (("P", 90), ("R", 95), ("Q", 100), ("V", 90))]
    staff = [{"工号": m[0], "姓名": f"导师{m[0]}", "角色": "学育导师"} for m in mentors]
    book = make_book("bit-2022", 学期=[T1, T2], 人员=staff, 组织考核=reviews, 测评=surveys)
    comp = {t: compliance_result(t, [(m[0], "bit.monthly-activity", "met", m[i][1], m[i][0]) for m in mentors])
            for i, t in ((1, "2024-2025-1"), (2, "2024-2025-2"))}
    r = {x["staff_id"]: x for x in assess(book, pack, year="2024-2025", compliance=comp).to_json()["results"]}
    assert r["V"]["reasons"][-1] == "组织考核一票否决 → 不合格（五.(八)）"
    # 组织考核 orders the three 94.00: Q (100), R (95), P (90)
    assert r["Q"]["reasons"][-1] == ("优秀名额 = 向下取整(20人 × 5%) = 1（五.(六)）；按得分、组织考核得分排序第1，在名额内 → 优秀"
                                     "；与 R、P 得分同为 94.00，按组织考核得分依次比较")


def test_a_missed_rule_veto_cites_the_veto_clause_when_it_has_its_own():
    from dataclasses import replace
    from test_assess import T1 as _T1
    pack = load_pack("hfut-math")
    a = pack.assessment
    pack = replace(pack, assessment=replace(a, vetoes=(replace(a.vetoes[0], clause="三.3"),)))
    book = make_book("hfut-math", 学期=[_T1], 人员=[{"工号": "W", "姓名": "师W", "角色": "班主任"}],
                     测评=[{"工号": "W", "学期": "2024-2025", "满意度": 100}])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("W", "hfut.weekly-hours", "met", 10, 10),
                                                             ("W", "hfut.term-hours", "missed", 1, 0, 20.0, [10.0])],
                                             "hfut-math")}
    w = assess(book, pack, year="2024-2025", compliance=comp).to_json()["results"][0]
    assert w["reasons"][-1] == "2024-2025-1 学期“每学期工作量不低于30学时”未达标（实际 20，要求不低于 30，差 10） → 不称职（三.3）"


def test_a_score_policy_without_quota_values_to_two_places_and_no_private_keys():
    # bit without [assessment.quota]: no quota in the JSON; A's rate 2/3 → 合规率 shown 66.67 (two places);
    # the missing 组织考核 of B is a problem naming the 学年
    from dataclasses import replace
    pack = load_pack("bit-2022")
    pack = replace(pack, assessment=replace(pack.assessment, quota=None))
    staff = [{"工号": s, "姓名": f"导师{s}", "角色": "学育导师"} for s in "AB"]
    book = make_book("bit-2022", 学期=[T1], 人员=staff, 组织考核=[_review("A", 90)],
                     测评=[{"工号": s, "学期": "2024-2025", "满意度": 90} for s in "AB"])
    comp = {"2024-2025-1": compliance_result("2024-2025-1", [("A", "bit.monthly-activity", "missed", 3, 2),
                                                             ("B", "bit.monthly-activity", "met", 3, 3)])}
    res = assess(book, pack, year="2024-2025", compliance=comp)
    out = res.to_json()
    assert "quota" not in out
    assert out["results"][0]["values"]["合规率"] == 66.67
    assert [p["message"] for p in out["problems"] if p["sheet"] == "组织考核"] == [
        "工号 B（导师B）缺少 2024-2025 学年组织考核得分，考核结果待定"]
    assert not [k for r in res.results for k in r if k.startswith("_")]
