"""The measure registry: one Measure per type gives the engine's computation, the wording of a
requirement and of a shortfall, term-only and formula form; packs and faces read it from there."""
from __future__ import annotations

from mentor_xl.documents.fmt import shortfall_text
from mentor_xl.packs import MEASURES as PACK_MEASURES, TERM_ONLY_MEASURES, load_pack
from mentor_xl.packs.measures import MEASURES
from mentor_xl.workbook.blank import rule_requirement
from mentor_xl.xl.formulas import FORMULA_MEASURES


def test_one_registry_feeds_the_pack_checks_and_formula_mode():
    assert PACK_MEASURES == tuple(MEASURES)
    assert TERM_ONLY_MEASURES == ("max:students", "deadline")
    assert FORMULA_MEASURES == ("count", "sum:时长", "sum:人次")


def test_shortfall_wording_per_measure():
    assert [shortfall_text(m, 2) for m in ("count", "sum:时长", "sum:人次", "distinct:学号", "distinct:宿舍",
                                           "distinct:活动类型")] == ["差2次", "差2小时", "差2人次", "差2名学生",
                                                                 "差2个宿舍", "差2种形式"]
    assert shortfall_text("sum:时长", 1.5) == "差1.5小时"
    assert shortfall_text("share:学号", 0.25) == "覆盖率还差25%"
    assert shortfall_text("share:学号", float("nan")) == "覆盖率不足"
    assert shortfall_text("max:students", 1) == "超出上限1名学生"
    assert shortfall_text("deadline", 1) == "未按时完成"
    assert shortfall_text("count", None) == "未达标" and shortfall_text("no-such", 1) == "未达标"


def test_requirement_wording_per_measure():
    bit, lctc = load_pack("bit-2022"), load_pack("lctc-2024")
    assert rule_requirement(bit.rule("bit.ratio-cap"), bit) == "所带学生不超过 8 人"
    assert rule_requirement(lctc.rule("lctc.paired-dorm"), lctc) == "每月不少于 1 个不同宿舍"
    assert rule_requirement(lctc.rule("lctc.class-visit"), lctc) == "每月不少于 2 次"
    assert all(rule_requirement(r, p) for p in (bit, lctc) for r in p.rules)
