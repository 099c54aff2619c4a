"""The pack as a typed model checked at load: every section of every pack, a malformed copy of
each section (the error names the file and the key), pack ids only from cells and formulas."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest

from bookfactory import make_book
from helpers_xlsx import write_xlsx
from mentor_xl.packs import (PACK_DIR, Assessment, Award, Eligibility, PackError, available, load_pack,
                             load_pack_file)


def test_every_section_of_every_pack_is_typed():
    packs = {p: load_pack(p) for p in available()}
    assert sorted(packs) == ["bit-2022", "hfut-math", "lctc-2024", "ustb-2022"]
    assert not hasattr(packs["bit-2022"], "raw") and not hasattr(packs["bit-2022"], "section")
    bit, hfut, lctc, ustb = packs["bit-2022"], packs["hfut-math"], packs["lctc-2024"], packs["ustb-2022"]
    # [assessment]
    assert isinstance(bit.assessment, Assessment)
    assert (bit.assessment.scheme, bit.assessment.period, bit.assessment.roles) == ("score", "year", ("学育导师",))
    assert [c.source for c in bit.assessment.components] == ["compliance", "review", "survey"]
    assert [t.tier for t in bit.assessment.thresholds] == ["优秀", "合格", "基本合格"]
    assert (bit.assessment.quota.tier, bit.assessment.quota.tie_break) == ("优秀", ("compliance", "survey"))
    assert [(v.source, v.tier) for v in bit.assessment.vetoes] == [("review_veto", "不合格")]
    assert hfut.assessment.vetoes[0].rule == "hfut.term-hours"
    assert dict(hfut.assessment.subsidy) == {"优秀": "subsidy_excellent", "称职": "subsidy_pass",
                                             "基本称职": "subsidy_basic", "不称职": "subsidy_fail"}
    assert (lctc.assessment.scheme, lctc.assessment.period, lctc.assessment.pass_tier) == ("parts", "term", "合格")
    assert [p.source for p in lctc.assessment.parts] == ["compliance", "survey", "class_rank"]
    assert lctc.assessment.parts[1].valid_share == "survey_valid_share"
    assert lctc.assessment.not_counted.min_active_share == "assess_min_active_share"
    assert ustb.assessment.scheme == "none" and "三(二)" in ustb.assessment.message
    # [eligibility], [pairing], level tables
    assert isinstance(lctc.eligibility, Eligibility)
    assert lctc.eligibility.predicates["under_age"].years == "cadre_age_limit"
    assert lctc.eligibility.predicates["head_teacher_now"].columns == ("角色", "职务")
    assert [r.names for r in lctc.eligibility.requirements] == [
        ("cadre", "senior_title", "honour"), ("bachelor",), ("head_teacher_years",), ("head_teacher_now",)]
    assert lctc.eligibility.orders["office_order"] == ("中层副职", "中层正职", "院级")
    assert lctc.pairing.bottom_share == "pairing_bottom_share" and "新教师班级" in lctc.pairing.new_teacher_columns
    assert set(lctc.tables) == {"titles", "offices", "education", "honours"}
    assert "讲师" in bit.tables["titles"]["中级"]
    assert hfut.eligibility is None and ustb.eligibility is None and bit.pairing is None
    # [[awards]]
    assert all(isinstance(a, Award) for a in ustb.awards) and len(ustb.awards) == 9
    top = ustb.awards[0]
    assert (top.name, top.cap, top.amount_yuan, top.ladder, top.level) == ("本科生十佳导师", 10, 10000, "本科生导师", 1)
    assert [a.recipient for a in ustb.awards].count("college") == 1
    assert bit.awards == ()
    # [documents], [columns]
    assert ustb.documents.kinds == ("award-decision", "appointment-notice", "reminder", "term-summary")
    assert "application-form" in lctc.documents.kinds
    assert dict(bit.columns) == {}


def _with(tmp_path, pack_id: str, old: str, new: str):
    src = (PACK_DIR / f"{pack_id}.toml").read_text(encoding="utf-8")
    assert old in src, old
    p = tmp_path / f"{pack_id}-bad.toml"
    p.write_text(src.replace(old, new, 1), encoding="utf-8")
    return p


# (pack, text replaced, replacement, the key the error must name)
MALFORMED = [
    ("bit-2022", 'measure = "count"', 'measure = "tally"', "rules[0] (bit.monthly-talk).measure"),
    ("bit-2022", 'scheme = "score"', 'scheme = "points"', "assessment.scheme"),
    ("bit-2022", 'weight = "assess_weight_review"', 'weight = "no_such_weight"', "assessment.components[1].weight"),
    ("bit-2022", 'tier = "合格"\nmin', 'tier = "及格"\nmin', "assessment.thresholds[1].tier"),
    ("bit-2022", 'tie_break = ["compliance", "survey"]', 'tie_break = ["compliance", "luck"]',
     "assessment.quota.tie_break"),
    ("bit-2022", 'source = "review_veto"', 'source = "rumour"', "assessment.vetoes[0].source"),
    ("hfut-math", 'rule = "hfut.term-hours"', 'rule = "hfut.no-such-rule"', "assessment.vetoes[0].rule"),
    ("hfut-math", '"优秀" = "subsidy_excellent"', '"优秀" = "subsidy_nowhere"', "assessment.subsidy.优秀"),
    ("lctc-2024", 'source = "class_rank"', 'source = "class_mood"', "assessment.parts[2].source"),
    ("lctc-2024", 'min_active_share = "assess_min_active_share"', 'min_active_share = "nope"',
     "assessment.not_counted.min_active_share"),
    ("bit-2022", 'kind = "title_at_least", rank = "中级"', 'kind = "title_at_least", rank = "特级"',
     "eligibility.predicates.mid_title.rank"),
    ("bit-2022", 'kind = "not_removed_within"', 'kind = "not_removed_lately"', "eligibility.predicates.not_banned.kind"),
    ("lctc-2024", 'any = ["cadre", "senior_title", "honour"]', 'any = ["cadre", "senior_title", "fame"]',
     "eligibility.requirements[0].any"),
    ("lctc-2024", 'bottom_share = "pairing_bottom_share"', 'bottom_share = 3', "pairing.bottom_share"),
    ("lctc-2024", '"本科" = ["本科", "学士", "大学"]', '"本科" = "本科"', "education.本科"),
    ("ustb-2022", 'amount_wan = "1.00"', 'amount_wan = 1.0', "awards[0] (本科生十佳导师).amount_wan"),
    ("ustb-2022", 'role = "本科生导师"\ncap = 10', 'role = "研究生导师"\ncap = 10', "awards[0] (本科生十佳导师).role"),
    ("ustb-2022", 'cap = 15', 'cap = -1', "awards[1] (本科生十佳导师提名).cap"),
    ("ustb-2022", 'kinds = ["award-decision"', 'kinds = [1, "award-decision"', "documents.kinds"),
    ("bit-2022", '[documents]', '[columns]\n"活动记录" = ["工作内容类别"]\n\n[documents]', "columns.活动记录"),
]


@pytest.mark.parametrize("pack_id,old,new,key", MALFORMED, ids=[m[3] for m in MALFORMED])
def test_a_malformed_section_is_refused_at_load_naming_file_and_key(tmp_path, pack_id, old, new, key):
    path = _with(tmp_path, pack_id, old, new)
    with pytest.raises(PackError) as e:
        load_pack_file(path)
    assert any(path.name in err and key in err for err in e.value.errors), e.value.errors


def test_every_error_of_a_file_is_reported_not_just_the_first(tmp_path):
    src = (PACK_DIR / "bit-2022.toml").read_text(encoding="utf-8")
    src = src.replace('scheme = "score"', 'scheme = "points"').replace('rank = "中级"', 'rank = "特级"')
    src = src.replace('measure = "count"', 'measure = "tally"', 1)
    (tmp_path / "x.toml").write_text(src, encoding="utf-8")
    with pytest.raises(PackError) as e:
        load_pack_file(tmp_path / "x.toml")
    keys = ["rules[0] (bit.monthly-talk).measure", "assessment.scheme", "eligibility.predicates.mid_title.rank"]
    assert all(any(k in err for err in e.value.errors) for k in keys), e.value.errors
    assert len(str(e.value).splitlines()) == len(e.value.errors) >= 3


def test_check_reports_a_malformed_pack_file_as_bad_usage_exit_2(tmp_path):
    path = _with(tmp_path, "bit-2022", 'scheme = "score"', 'scheme = "points"')
    book = write_xlsx(tmp_path / "b.xlsx", {"设置": [["项目", "值"], ["制度", "bit-2022"]],
                                           "人员": [["工号", "姓名", "角色"], ["T1", "甲", "学育导师"]]})
    r = subprocess.run([sys.executable, "-m", "mentor_xl", "check", str(book), "--policy", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "assessment.scheme" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("attack", ["/abs/evil.toml", "../../x", "..\\..\\x", r"\\host\share\p.toml",
                                    "bit-2022.toml", str(PACK_DIR / "bit-2022.toml"), "common", "", "bit-2022/../ustb-2022"])
def test_load_pack_accepts_pack_ids_only(attack):
    with pytest.raises(PackError) as e:
        load_pack(attack)
    assert "可用的制度：bit-2022、hfut-math、lctc-2024、ustb-2022" in str(e.value)


def test_a_settings_cell_naming_a_path_is_a_chinese_error_listing_the_packs(tmp_path):
    from mentor_xl.office import open_office
    from mentor_xl.problems import FatalInputError
    evil = tmp_path / "evil.toml"
    evil.write_text((PACK_DIR / "bit-2022.toml").read_text(encoding="utf-8"), encoding="utf-8")
    book = make_book(str(evil), 人员=[{"工号": "T1", "姓名": "甲", "角色": "学育导师"}])
    with pytest.raises(FatalInputError, match="可用的制度"):
        open_office("工作簿.xlsx", book=book)


def test_the_mentor_tier_formula_refuses_a_path():
    from mentor_xl.xl.udfs import MENTOR_AWARD
    assert "可用的制度" in str(MENTOR_AWARD("本科生十佳导师", "/abs/evil.toml"))


def test_the_command_line_may_name_a_pack_file(tmp_path):
    src = (PACK_DIR / "bit-2022.toml").read_text(encoding="utf-8").replace('id = "bit-2022"', 'id = "bit-local"')
    (tmp_path / "local.toml").write_text(src, encoding="utf-8")
    pack = load_pack_file(tmp_path / "local.toml")
    assert pack.id == "bit-local" and pack.assessment.quota.share == "assess_excellent_share"
    with pytest.raises(PackError, match="须是 .toml"):
        load_pack_file(tmp_path / "local.txt")


def test_assess_reads_the_typed_section_with_office_overrides():
    from mentor_xl.assess import _spec
    from mentor_xl.workbook.settings import apply_settings
    label = load_pack("bit-2022").settings["assess_excellent_share"].label
    pack = apply_settings(load_pack("bit-2022"), {label: "10%"})
    assert _spec(pack).quota["s"] == Fraction(1, 10)


def test_every_document_kind_a_pack_lists_exists():
    from mentor_xl.documents import KINDS
    for pid in available():
        assert set(load_pack(pid).documents.kinds) <= set(KINDS), pid


def test_a_kind_has_one_builder_signature_and_says_what_it_needs():
    from mentor_xl.documents import DocInputs, get_kind
    from bookfactory import make_book
    kind = get_kind("整改提醒")
    with pytest.raises(ValueError, match="生成“整改提醒”需要合规结果（--term）"):
        kind.build(DocInputs(book=make_book("bit-2022"), pack=load_pack("bit-2022")))
    assert kind.by_term and not get_kind("assess-notice").by_term
