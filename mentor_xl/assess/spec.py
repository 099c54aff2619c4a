"""The pack's typed [assessment] with this office's ⚙ values read, exact (fractions)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mentor_xl.money import to_fraction
from mentor_xl.packs import Pack, PackError
from mentor_xl.problems import FatalInputError


@dataclass
class _Spec:
    scheme: str
    period: str
    clause: str
    roles: list[str]
    tiers: list[str]
    pass_tier: str | None
    fail_tier: str | None
    components: list[dict]
    thresholds: list[dict]
    quota: dict | None
    vetoes: list[dict]
    parts: list[dict]
    not_counted: dict | None
    subsidy: dict[str, int]
    message: str


def _num_setting(pack: Pack, key: str, where: str, *, share: bool = False) -> Fraction:
    """A ⚙ number, exact. A ``share`` above 1 was written as a percentage (5 or 5% → 0.05)."""
    if key not in pack.settings:
        raise PackError(f"制度文件 {pack.id}：{where} 引用的设置项 “{key}” 未在 [[settings]] 中定义")
    v = pack.setting(key)
    try:
        f = to_fraction(v)
    except ValueError as e:
        raise FatalInputError(f"设置项“{pack.settings[key].label}”的值“{v}”不是数字或分数") from e
    if share and f > 1:
        f /= 100
    if share and not 0 <= f <= 1:
        raise FatalInputError(f"设置项“{pack.settings[key].label}”的值“{v}”不是0到1之间的比例")
    return f


def _label(pack: Pack, key: str) -> str:
    return pack.settings[key].label if key in pack.settings else key


def _spec(pack: Pack) -> _Spec:
    """The pack's typed [assessment] (checked at load) with its ⚙ values read for this office."""
    a = pack.assessment
    if a.scheme == "none":
        return _Spec(scheme="none", period=a.period, clause=a.clause, roles=list(a.roles), tiers=[], pass_tier=None,
                     fail_tier=None, components=[], thresholds=[], quota=None, vetoes=[], parts=[],
                     not_counted=None, subsidy={}, message=a.message)
    w = "assessment"
    components = [{"source": c.source, "label": c.label, "weight": c.weight,
                   "w": _num_setting(pack, c.weight, f"{w}.components")} for c in a.components]
    thresholds = [{"tier": t.tier, "min": t.min, "m": _num_setting(pack, t.min, f"{w}.thresholds")}
                  for t in a.thresholds]
    thresholds.sort(key=lambda t: -t["m"])
    quota = None
    if a.quota is not None:
        q = a.quota
        quota = {"tier": q.tier, "share": q.share, "clause": q.clause, "tie_break": list(q.tie_break),
                 "s": _num_setting(pack, q.share, f"{w}.quota", share=True)}
    vetoes = [{"source": v.source, "tier": v.tier, "label": v.label, "clause": v.clause, "rule": v.rule}
              for v in a.vetoes]
    parts = []
    for p in a.parts:
        q = {"source": p.source, "label": p.label, "clause": p.clause, "no_previous": p.no_previous}
        if p.min is not None:
            q["m"] = _num_setting(pack, p.min, f"{w}.parts", share=p.source == "compliance")
        if p.valid_share is not None:
            q["valid"] = _num_setting(pack, p.valid_share, f"{w}.parts", share=True)
        if p.new_class_share is not None:
            q["new_share"] = _num_setting(pack, p.new_class_share, f"{w}.parts", share=True)
        parts.append(q)
    nc = None
    if a.not_counted is not None:
        nc = {"clause": a.not_counted.clause,
              "share": _num_setting(pack, a.not_counted.min_active_share, f"{w}.not_counted", share=True)}
    subsidy = {}
    for tier, key in a.subsidy.items():
        f = _num_setting(pack, key, f"{w}.subsidy")
        if f.denominator != 1 or f < 0:
            raise FatalInputError(f"设置项“{_label(pack, key)}”须为非负整数元，现为“{pack.setting(key)}”")
        subsidy[tier] = int(f)
    return _Spec(scheme=a.scheme, period=a.period, clause=a.clause, roles=list(a.roles), tiers=list(a.tiers),
                 pass_tier=a.pass_tier, fail_tier=a.fail_tier, components=components, thresholds=thresholds,
                 quota=quota, vetoes=vetoes, parts=parts, not_counted=nc, subsidy=subsidy, message=a.message)
