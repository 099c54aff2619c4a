"""Eligibility (任职资格) and pairing priority (issue 3): bit-2022 三 / 五.(七), lctc-2024 四(一) / 四(四)."""
from __future__ import annotations

from datetime import date

import pytest

from bookfactory import make_book
from mentor_xl.eligibility import eligibility, pairing_priority, title_rank
from mentor_xl.packs import load_pack


@pytest.mark.parametrize("title, rank", [
    ("讲师", "中级"), ("副教授", "副高"), ("高级讲师", "副高"), ("高级工程师", "副高"), ("研究员", "正高"),
    ("助教", "初级"), ("工程师", "中级"), ("教授（二级）", "正高"), ("教授 三级", "正高"), ("一级教师", "中级"),
    ("助理研究员", "中级"), ("讲师、高级实验师", "副高"), ("特级大师", None), (None, None)])
def test_title_table(title, rank):
    assert title_rank(load_pack("bit-2022"), title) == rank


def bit(staff, as_of=date(2025, 9, 1)):
    book = make_book("bit-2022", 人员=[{"角色": "学育导师", **s} for s in staff])
    return {r["staff_id"]: r for r in eligibility(book, load_pack("bit-2022"), as_of=as_of).to_json()["results"]}


def test_bit_intermediate_title_or_above():
    r = bit([{"工号": "A", "姓名": "甲", "职称": "讲师"}, {"工号": "B", "姓名": "乙", "职称": "助教"},
             {"工号": "C", "姓名": "丙", "职称": "高级工程师"}, {"工号": "D", "姓名": "丁", "职称": "特级大师"},
             {"工号": "E", "姓名": "戊"}])
    assert r["A"]["status"] == "eligible" and r["A"]["eligible"] is True
    assert r["B"]["status"] == "ineligible" and "助教" in r["B"]["reasons"][0] and "初级" in r["B"]["reasons"][0]
    assert "（三）" in r["B"]["reasons"][0]
    assert r["C"]["status"] == "eligible"
    assert r["D"]["status"] == "unknown" and "对照表" in r["D"]["reasons"][0] and r["D"]["eligible"] is None
    assert r["E"]["status"] == "unknown" and "未填职称" in r["E"]["reasons"][0]


def test_bit_two_year_ban_after_removal():
    # removed 2024-07-01 → may not reapply before 2026-07-01
    s = [{"工号": "A", "姓名": "甲", "职称": "副教授", "撤销日期": "2024-07-01"}]
    r = bit(s, as_of=date(2026, 6, 30))["A"]
    assert r["status"] == "ineligible"
    assert any("2026-07-01" in x and "五.(七)" in x for x in r["reasons"])
    assert bit(s, as_of=date(2026, 7, 1))["A"]["status"] == "eligible"


def test_check_gets_warnings_with_row_and_column():
    book = make_book("bit-2022", 人员=[{"工号": "A", "姓名": "甲", "角色": "学育导师", "职称": "讲师"},
                                       {"工号": "B", "姓名": "乙", "角色": "学育导师", "职称": "助教"}])
    probs = eligibility(book, load_pack("bit-2022"), as_of=date(2025, 9, 1)).as_problems().to_list()
    assert len(probs) == 1
    p = probs[0]
    assert (p["sheet"], p["row"], p["column"], p["value"], p["level"]) == ("人员", 3, "职称", "助教", "warning")
    assert "不符合任职条件" in p["message"]


LCTC_TERM = {"学期": "2025-2026-1", "开始日期": "2025-09-01", "结束日期": "2026-01-18"}


def lctc(staff, **sheets):
    book = make_book("lctc-2024", 学期=[LCTC_TERM], 人员=[{"角色": "班级导师", **s} for s in staff], **sheets)
    res = eligibility(book, load_pack("lctc-2024"), term="2025-2026-1")
    return res, {r["staff_id"]: r for r in res.to_json()["results"]}


def test_lctc_conditions():
    res, r = lctc([
        # cadre, 本科, 55 on 2025-09-01 → eligible (no 班主任 needed at 50+)
        {"工号": "K1", "姓名": "甲", "职务": "学生工作处副处长", "学历": "大学本科", "出生日期": "1970-03-01"},
        # cadre under 50, not a 班主任 → ineligible (四(一)3)
        {"工号": "K2", "姓名": "乙", "职务": "副处长", "学历": "硕士研究生", "出生日期": "1985-03-01"},
        # the same, also 班主任 → eligible
        {"工号": "K3", "姓名": "丙", "职务": "副处长、班主任", "学历": "硕士研究生", "出生日期": "1985-03-01"},
        # cadre with 大专 → ineligible (干部要有本科以上学历)
        {"工号": "K4", "姓名": "丁", "职务": "系副主任", "学历": "大专", "出生日期": "1970-01-01"},
        # not a cadre, 副教授, 3 years as 班主任 → eligible; 2 years → ineligible; blank → 待定
        {"工号": "T1", "姓名": "戊", "职称": "副教授", "班主任年限": 3},
        {"工号": "T2", "姓名": "己", "职称": "高级讲师", "班主任年限": 2},
        {"工号": "T3", "姓名": "庚", "职称": "副教授"},
        # 讲师 with a provincial honour → eligible; with a city honour → none of the three
        {"工号": "H1", "姓名": "辛", "职称": "讲师", "荣誉": "山东省优秀班主任", "班主任年限": 5},
        {"工号": "H2", "姓名": "壬", "职称": "讲师", "荣誉": "聊城市优秀教师", "班主任年限": 5},
        # 教研室主任 is no cadre: falls to the title test (讲师: fails)
        {"工号": "H3", "姓名": "癸", "职称": "讲师", "职务": "教研室主任", "班主任年限": 5},
    ])
    st = {k: v["status"] for k, v in r.items()}
    assert st == {"K1": "eligible", "K2": "ineligible", "K3": "eligible", "K4": "ineligible", "T1": "eligible",
                  "T2": "ineligible", "T3": "unknown", "H1": "eligible", "H2": "ineligible", "H3": "ineligible"}
    assert res.as_of == date(2025, 9, 1)
    assert any("50岁以下" in x and "40 周岁" in x and "班主任" in x for x in r["K2"]["reasons"])
    assert any("本科以上学历" in x and "大专" in x for x in r["K4"]["reasons"])
    assert any("班主任年限 2" in x and "不少于 3" in x for x in r["T2"]["reasons"])
    assert any("未填班主任年限" in x for x in r["T3"]["reasons"])
    assert any("聊城市优秀教师" in x and "任一条件" in x for x in r["H2"]["reasons"])
    assert all(r[k]["reasons"] for k in r)


def test_lctc_pairing_priority():
    # ranking of 2024-2025-2 (the latest before 2025-2026-1); 6 classes: bottom third = rank > 4
    ranks = [{"班级": c, "学期": "2024-2025-2", "排名": k, "年级班级数": 6} for c, k in
             (("A班", 1), ("B班", 5), ("C班", 6), ("D班", 3), ("E班", 4))]
    ranks[0]["新入职教师班级"] = "是"  # optional column named in the pack
    ranks[3]["新入职教师班级"] = "否"
    ranks.append({"班级": "A班", "学期": "2025-2026-1", "排名": 6, "年级班级数": 6})  # not before the term
    book = make_book("lctc-2024", 学期=[LCTC_TERM], 班级量化=ranks)
    book.class_ranks["新入职教师班级"] = [r.get("新入职教师班级") for r in ranks]
    basis, order = pairing_priority(book, load_pack("lctc-2024"), term="2025-2026-1")
    assert basis == "2024-2025-2"
    # priority: C (6/6, bottom), B (5/6, bottom), A (new teacher), then E (4/6), D (3/6)
    assert [x["class"] for x in order] == ["C班", "B班", "A班", "E班", "D班"]
    assert [x["priority"] for x in order] == ["优先"] * 3 + ["一般"] * 2
    assert order[0]["bottom"] is True and order[3]["bottom"] is False and order[2]["new_teacher"] is True


def test_pack_without_conditions_says_so():
    book = make_book("ustb-2022", 人员=[{"工号": "U", "姓名": "甲", "角色": "辅导员"}])
    js = eligibility(book, load_pack("ustb-2022"), as_of=date(2025, 9, 1)).to_json()
    assert js["results"] == [] and "未规定" in js["message"]


def test_frames():
    res, _ = lctc([{"工号": "T1", "姓名": "戊", "职称": "副教授", "班主任年限": 3}])
    df = res.frames()["资格审查"]
    assert list(df.columns) == ["工号", "姓名", "学院", "角色", "结论", "说明"] and df.loc[0, "结论"] == "符合"


def test_json_is_plain_json():
    import json

    res, _ = lctc([{"工号": "T1", "姓名": "戊", "职称": "副教授", "班主任年限": 3}],
                  班级量化=[{"班级": "A班", "学期": "2024-2025-2", "排名": 6, "年级班级数": 6}])
    js = json.loads(json.dumps(res.to_json(), ensure_ascii=False))
    assert js["results"][0]["eligible"] is True and js["pairing"][0]["class"] == "A班"
