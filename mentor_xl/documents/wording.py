"""The fixed text of the documents that depends on the policy: the pack's ``[documents]`` table.

Every document reads pack wording through ``wording(pack, key)`` and nowhere else, so the pack
model can change underneath without touching the builders. A pack that leaves a key out gets
the generic text below.
"""
from __future__ import annotations

from typing import Any

from mentor_xl.packs import Pack

# key -> generic text (what a university-level 学工部 notice says when the pack is silent)
DEFAULTS: dict[str, Any] = {
    "addressee": "各学院",                                   # 主送机关
    "assess_method": "经工作记录核查、学生测评和组织考核",        # how the tiers were decided
    "assess_use": "考核结果记入本人业务档案，作为评优评先、职称评聘和续聘的重要依据。",
    "remedy_tiers": [],                                      # tiers asked to 整改 (empty: the last tier)
    "remedy_by": "所在单位",                                  # who sees to the 整改
    "award_basis": "经个人申报、单位推荐、评审公示",
    "appoint_basis": "经个人申报、单位推荐和审核认定",
    "support_units": "各单位",                                # who supports the appointees
    "unit_recipient": "单位",                                 # what a college-level award honours
    "clause_units": ["条", "款", "项"],                       # 第四条第（一）款第1项
    # what the demo writes into its 设置 sheet, as an office of this policy would
    "example_doc_prefix": "",                                # 发文字号前缀 (机关代字)
    "example_cc": "",                                        # 抄送
    "example_printer": "",                                   # 印发机关
}


def wording(pack: Pack, key: str) -> Any:
    """The pack's wording for ``key`` (its ``[documents]`` table), else the generic text."""
    value = pack.documents.get(key)
    if value is None:
        return DEFAULTS[key]
    return value


def assessment_spec(pack: Pack) -> dict:
    """The pack's ``[assessment]`` table as the notices need it (roles, tiers, scheme, period)."""
    a = pack.assessment
    return {"scheme": a.scheme, "period": a.period, "roles": list(a.roles), "tiers": list(a.tiers)}


def award_catalogue(pack: Pack) -> list[dict]:
    """The pack's ``[[awards]]`` (name, role, recipient …), in catalogue order."""
    from dataclasses import asdict
    return [asdict(a) for a in pack.awards]


def appointment_years(pack: Pack) -> int | None:
    """聘期 in years when the policy fixes it (bit-2022: 4), else None."""
    return pack.appointment_years


def has_eligibility(pack: Pack) -> bool:
    return pack.eligibility is not None
