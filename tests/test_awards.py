"""Award catalogue checks and budget (issue 3, ustb-2022 三(二)); amounts in exact 元."""
from __future__ import annotations

import pytest

from bookfactory import make_book
from mentor_xl.awards import awards, catalogue
from mentor_xl.packs import PACK_DIR, load_pack, load_pack_file
from mentor_xl.problems import FatalInputError


def people(n_counsellors=0, extra=()):
    rows = [{"工号": f"C{i:02d}", "姓名": f"辅导员{i}", "角色": "辅导员", "学院": "机械学院"} for i in range(1, n_counsellors + 1)]
    return rows + list(extra)


def run(staff, noms, **kw):
    book = make_book("ustb-2022", 人员=staff, 奖项提名=noms)
    return awards(book, load_pack("ustb-2022"), year="2024-2025", **kw)


def entries(out):
    return out.to_json()["awards"]


def test_catalogue_is_pack_data():
    cat = {a.name: a for a in catalogue(load_pack("ustb-2022"))}
    assert cat["十佳辅导员提名"].cap == 5 and cat["十佳辅导员提名"].amount_yuan == 5000
    assert cat["本科生十佳班主任提名奖"].cap == 15  # 原文“超过15”脱字，按不超过15
    assert cat["本科生优秀导师"].cap is None and cat["学院学生工作专项"].recipient == "college"
    assert catalogue(load_pack("bit-2022")) == []


def test_cap_exceeded_by_one():
    # 十佳辅导员提名: cap 5; six nominations 排序 1..6 → the 6th is over-cap; 5 × 5000 = 25000 元
    noms = [{"奖项": "十佳辅导员提名", "工号": f"C{i:02d}", "排序": i} for i in range(1, 7)]
    out = run(people(6), noms)
    st = {e["staff_id"]: (e["status"], e["amount_yuan"]) for e in entries(out)}
    assert st["C06"] == ("over-cap", 0) and all(st[f"C0{i}"] == ("ok", 5000) for i in range(1, 6))
    assert out.to_json()["totals"][6] == {"award": "十佳辅导员提名", "count": 5, "amount_yuan": 25000,
                                          "cap": 5, "unit_yuan": 5000}
    assert out.total_yuan == 25000
    assert "限5名" in [e for e in entries(out) if e["staff_id"] == "C06"][0]["reason"]


def test_tie_in_rank_across_the_cap_flags_the_tied():
    # cap 5, 排序 1,2,3,4,5,5: the two 5s straddle the cap → both over-cap with a reason; 4 stand
    noms = [{"奖项": "十佳辅导员提名", "工号": f"C{i:02d}", "排序": r} for i, r in zip(range(1, 7), (1, 2, 3, 4, 5, 5))]
    out = run(people(6), noms)
    st = {e["staff_id"]: e for e in entries(out)}
    assert [st[f"C0{i}"]["status"] for i in range(1, 7)] == ["ok"] * 4 + ["over-cap"] * 2
    assert "并列第5" in st["C05"]["reason"] and "调整排序" in st["C06"]["reason"]
    assert out.total_yuan == 4 * 5000


def test_same_ladder_higher_award_stands():
    # C01 nominated for 十佳辅导员 (1.00) and 十佳辅导员提名 (0.50): the 提名 is ineligible
    noms = [{"奖项": "十佳辅导员提名", "工号": "C01", "排序": 1}, {"奖项": "十佳辅导员", "工号": "C01", "排序": 1}]
    out = run(people(1), noms)
    e = entries(out)
    assert (e[0]["status"], e[0]["amount_yuan"]) == ("ineligible", 0) and "十佳辅导员" in e[0]["reason"]
    assert (e[1]["status"], e[1]["amount_yuan"]) == ("ok", 10000)
    assert out.total_yuan == 10000


def test_nominee_in_two_ladders_keeps_both():
    # T1 is both 本科生导师 and 班主任: one award per ladder, so 十佳导师 + 十佳班主任 both stand → 20000 元
    t1 = {"工号": "T1", "姓名": "甲", "角色": "本科生导师、班主任", "学院": "数理学院"}
    noms = [{"奖项": "本科生十佳导师", "工号": "T1", "排序": 1}, {"奖项": "十佳班主任", "工号": "T1", "排序": 1}]
    out = run([t1], noms)
    assert [e["status"] for e in entries(out)] == ["ok", "ok"]
    assert entries(out)[1]["award"] == "本科生十佳班主任"  # alias resolved to the catalogue name
    assert out.total_yuan == 20000


def test_role_mismatch_unknown_award_and_unknown_person():
    t1 = {"工号": "T1", "姓名": "甲", "角色": "班主任", "学院": "数理学院"}
    noms = [{"奖项": "本科生十佳导师", "工号": "T1", "排序": 1},        # role mismatch
            {"奖项": "最美导师", "工号": "T1"},                          # not in the catalogue
            {"奖项": "优秀学生工作者", "工号": "X9"},                    # not in 人员
            {"奖项": "优秀学生工作者", "工号": "T1"}]                    # any role: ok
    out = run([t1], noms)
    js = out.to_json()
    e = js["awards"]
    assert len(e) == 3
    assert e[0]["status"] == "ineligible" and "班主任" in e[0]["reason"] and "本科生导师" in e[0]["reason"]
    assert e[1]["status"] == "ineligible" and "X9" in e[1]["reason"]
    assert e[2]["status"] == "ok" and e[2]["amount_yuan"] == 2000
    probs = {(p["row"], p["column"]) for p in js["problems"]}
    assert (3, "奖项") in probs and (4, "工号") in probs


def test_college_award_names_the_college():
    noms = [{"奖项": "学院学生工作专项", "学院": "机械学院"}, {"奖项": "学院学生工作专项", "学院": "机械学院"},
            {"奖项": "学院学生工作专项", "学院": "材料学院"}]
    out = run(people(1), noms)
    e = entries(out)
    assert [(x["staff_id"], x["college"], x["status"]) for x in e] == [
        (None, "机械学院", "ok"), (None, "机械学院", "ineligible"), (None, "材料学院", "ok")]
    assert out.total_yuan == 6000


def test_budget_shortfall_and_headroom_exact():
    noms = [{"奖项": "十佳辅导员", "工号": "C01", "排序": 1}, {"奖项": "十佳辅导员提名", "工号": "C02", "排序": 1}]
    # total 1.00 + 0.50 = 1.5 万元 = 15000 元
    out = run(people(2), noms, budget_wan="1.2")
    js = out.to_json()
    assert (js["total_yuan"], js["budget_yuan"], js["shortfall_yuan"], js["headroom_yuan"]) == (15000, 12000, 3000, 0)
    assert "缺口 3000 元（0.30 万元）" in js["message"]
    js = run(people(2), noms, budget_wan="12.5").to_json()
    assert (js["headroom_yuan"], js["shortfall_yuan"]) == (110000, 0)
    summary = run(people(2), noms, budget_wan="12.5").frames()["奖励汇总"]
    assert summary.iloc[-1]["项目"] == "结余" and summary.iloc[-1]["金额(元)"] == 110000


def test_any_pack_can_carry_a_catalogue_and_float_sums_stay_exact(tmp_path):
    # 0.1 + 0.2 万元 awards against a 0.3 万元 budget: exactly 3000 元, no shortfall (floats give 0.30000000000000004)
    src = (PACK_DIR / "bit-2022.toml").read_text(encoding="utf-8")
    (tmp_path / "bit-awards.toml").write_text(src + '\n[[awards]]\nname = "甲奖"\nrole = "学育导师"\namount_wan = "0.10"\n'
                                              '\n[[awards]]\nname = "乙奖"\nrole = "学育导师"\namount_wan = "0.20"\n',
                                              encoding="utf-8")
    pack = load_pack_file(tmp_path / "bit-awards.toml")
    staff = [{"工号": "A", "姓名": "甲", "角色": "学育导师"}, {"工号": "B", "姓名": "乙", "角色": "学育导师"}]
    book = make_book("bit-2022", 人员=staff, 奖项提名=[{"奖项": "甲奖", "工号": "A"}, {"奖项": "乙奖", "工号": "B"}])
    js = awards(book, pack, year="2024-2025", budget_wan="0.3").to_json()
    assert js["total_yuan"] == 3000 and js["shortfall_yuan"] == 0 and js["headroom_yuan"] == 0


def test_pack_without_catalogue_is_a_clear_error():
    book = make_book("lctc-2024", 人员=[{"工号": "A", "姓名": "甲", "角色": "班级导师"}])
    with pytest.raises(FatalInputError, match="没有奖项目录"):
        awards(book, load_pack("lctc-2024"), year="2024-2025")


def test_frames_have_chinese_headers_and_wan_two_decimals_source():
    out = run(people(1), [{"奖项": "十佳辅导员", "工号": "C01", "排序": 1}])
    df = out.frames()["奖励预算"]
    assert list(df.columns) == ["奖项", "工号", "姓名", "学院", "排序", "状态", "金额(元)", "金额(万元)", "说明"]
    assert df.loc[0, "状态"] == "有效" and df.loc[0, "金额(元)"] == 10000 and df.loc[0, "金额(万元)"] == 1.0


def test_budget_sheets_written_with_wan_two_decimals(tmp_path):
    # the real writer (XlsxWriter) and a real reader (openpyxl): 万元 cells are numbers shown as 0.00
    import openpyxl

    from mentor_xl.workbook.xlsx import new_workbook, write_spec_sheet

    noms = [{"奖项": "十佳辅导员提名", "工号": f"C{i:02d}", "排序": i} for i in range(1, 7)]
    out = run(people(6), noms, budget_wan="2")
    path = tmp_path / "奖励.xlsx"
    wb = new_workbook(path)
    for name, spec in out.sheets().items():
        write_spec_sheet(wb, name, spec)
    wb.close()
    ws = openpyxl.load_workbook(path)["奖励预算"]
    head = [c.value for c in ws[1]]
    wan = ws.cell(row=2, column=head.index("金额(万元)") + 1)
    assert wan.value == 0.5 and wan.number_format == "0.00"
    assert ws.cell(row=7, column=head.index("状态") + 1).value == "超出名额"
    summary = openpyxl.load_workbook(path)["奖励汇总"]
    rows = {r[0].value: r for r in summary.iter_rows(min_row=2)}
    assert rows["合计"][4].value == 25000 and rows["缺口"][4].value == 5000
