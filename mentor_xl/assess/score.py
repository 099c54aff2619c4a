"""The score scheme: weighted components, thresholds, the quota with its tie-break chain, vetoes."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from mentor_xl.money import round_half_up
from mentor_xl.packs import Pack
from mentor_xl.roster import blank as _blank, text as _text
from mentor_xl.assess.inputs import _Surveys, _missed_rule, _missing_problem, _missing_reason, _reviews, staff_rates
from mentor_xl.assess.result import NOT_COUNTED, PENDING
from mentor_xl.assess.spec import _Spec, _label, _spec
from mentor_xl.assess.text import _fmt, _frac, _pct


def _assess_score(book, pack, spec: _Spec, kind, label, terms, compliance, roster, problems):
    rates = staff_rates(pack, compliance, terms)
    needs_review = any(c["source"] == "review" for c in spec.components) or any(
        v["source"] == "review_veto" for v in spec.vetoes)
    reviews = _reviews(book, label, problems) if needs_review else {}
    surveys = _Surveys(book, problems)
    missed = {v["rule"]: _missed_rule(compliance, terms, v["rule"]) for v in spec.vetoes if v["source"] == "rule_missed"}
    clause = spec.clause
    results = []
    for p in roster:
        sid = p["staff_id"]
        r = {**{k: p[k] for k in ("staff_id", "name", "college", "role")}, "score": None, "tier": PENDING,
             "reasons": [], "values": {}, "vetoed": False, "rate": None}
        vals: dict[str, Fraction | None] = {}
        missing = []
        met_req = rates.get(sid)
        if met_req and met_req[1] > 0:
            r["periods_met"], r["periods_required"] = met_req
            r["rate"] = Fraction(*met_req)
            vals["compliance"] = r["rate"] * 100
        else:
            vals["compliance"] = None
        if needs_review:
            rv = reviews.get(sid)
            vals["review"] = None if rv is None else _frac(rv.get("得分"))
        # survey: the 学年 row, else the mean of the year's term rows
        srow = surveys.get(sid, label)
        if srow is not None:
            vals["survey"] = _frac(srow.get("满意度"))
        else:
            trs = [surveys.get(sid, t) for t in terms]
            trs = [x for x in trs if x is not None and not _blank(x.get("满意度"))]
            vals["survey"] = (sum((_frac(x.get("满意度")) for x in trs), Fraction(0)) / len(trs)) if trs else None
            if len(trs) > 1:
                r["reasons"].append(f"满意度取 {len(trs)} 个学期测评的平均值 {_fmt(vals['survey'], 2)}")
        # vetoes first: they decide the tier whatever the score
        for v in spec.vetoes:
            if v["source"] == "review_veto":
                rv = reviews.get(sid)
                if rv is not None and not _blank(rv.get("一票否决")) and bool(rv.get("一票否决")):
                    r["vetoed"] = True
                    r["tier"] = v["tier"]
                    note = _text(rv.get("备注"))
                    r["reasons"].append(f"{v.get('label', '一票否决')}{'（' + note + '）' if note else ''}"
                                        f" → {v['tier']}（{v.get('clause', clause)}）")
            elif v["source"] == "rule_missed":
                rule = pack.rule(v["rule"])
                for t, row in missed[v["rule"]].get(sid, []):
                    r["vetoed"] = True
                    r["tier"] = v["tier"]
                    val, bound = row.get("value"), rule.bound
                    short = sum(row.get("shortfalls") or []) if isinstance(row.get("shortfalls"), list) else None
                    detail = f"实际 {_fmt(val)}，要求不低于 {_fmt(bound)}" if not _blank(val) else "未达标"
                    if short:
                        detail += f"，差 {_fmt(short)}"
                    r["reasons"].append(f"{t} 学期“{rule.title}”未达标（{detail}） → {v['tier']}"
                                        f"（{v.get('clause', rule.clause)}）")
        for c in spec.components:
            if vals.get(c["source"]) is None:
                missing.append(c)
        r["values"] = {c["label"]: (None if vals.get(c["source"]) is None else
                                    round_half_up(vals[c["source"]], 2)) for c in spec.components}
        r["_vals"] = vals
        if missing:
            for c in missing:
                r["reasons"].append(_missing_reason(c["source"], sid, label, met_req, terms))
                _missing_problem(problems, c["source"], p, label)
            if not r["vetoed"]:
                r["reasons"].append(f"考核数据不全，结果待定（{clause}）")
            results.append(r)
            continue
        raw = sum((c["w"] * vals[c["source"]] for c in spec.components), Fraction(0))
        r["score"] = round_half_up(raw, 2)
        parts = " + ".join(f"{c['label']} {_fmt(vals[c['source']], 2) if c['source'] == 'compliance' else _fmt(vals[c['source']])}"
                           f"×{_pct(c['w'])}" for c in spec.components)
        r["reasons"].insert(0, f"得分 {r['score']} = {parts}")
        if not r["vetoed"]:
            r["tier"], why = _tier_by_score(pack, spec, r["score"], skip_quota=False)
            r["_tier_reason"] = len(r["reasons"])
            r["reasons"].append(why)
        results.append(r)
    quota = _apply_quota(pack, spec, results) if spec.quota else None
    # competition ranking by score among scored results
    scored = sorted((r["score"] for r in results if r["score"] is not None), reverse=True)
    for r in results:
        if r["score"] is not None:
            r["rank"] = scored.index(r["score"]) + 1
        r.pop("_vals", None)
        r.pop("_tier_reason", None)
    return results, quota


def _tier_by_score(pack: Pack, spec: _Spec, score: Decimal, *, skip_quota: bool) -> tuple[str, str]:
    s = Fraction(score)
    ths = [t for t in spec.thresholds if not (skip_quota and spec.quota and t["tier"] == spec.quota["tier"])]
    above = None
    for t in ths:
        if s >= t["m"]:
            hi = f"，低于{_label(pack, above['min'])} {_fmt(above['m'])}" if above else ""
            return t["tier"], f"得分 {score} ≥ {_label(pack, t['min'])} {_fmt(t['m'])}{hi} → {t['tier']}（{spec.clause}）"
        above = t
    low = ths[-1] if ths else None
    if low is None:
        return spec.fail_tier, f"得分 {score} → {spec.fail_tier}（{spec.clause}）"
    gap = round_half_up(low["m"] - s, 2)
    return spec.fail_tier, (f"得分 {score} 低于{_label(pack, low['min'])} {_fmt(low['m'])}（差 {gap} 分）"
                            f" → {spec.fail_tier}（{spec.clause}）")


def tier_for_score(pack, score: Decimal, *, rank: int | None, assessed: int | None) -> str:
    """The pack's tier for ``score``: thresholds first, then the quota cap floor(share × assessed)
    for the capped tier (a candidate ranked beyond the cap gets the next tier by score).
    Vetoes need 组织考核 data and are left to ``assess``. Used by the Excel formula MENTOR_TIER.
    """
    spec = _spec(pack)
    if spec.scheme != "score":
        raise ValueError(f"制度 {pack.id} 不按分数评定等级")
    tier, _ = _tier_by_score(pack, spec, score, skip_quota=False)
    q = spec.quota
    if q and tier == q["tier"] and q["s"] > 0:
        if rank is None or assessed is None:
            raise ValueError(f"“{tier}”有名额限制，请给出名次和参评人数")
        cap = (q["s"].numerator * assessed) // q["s"].denominator
        if rank > cap:
            tier, _ = _tier_by_score(pack, spec, score, skip_quota=True)
    return tier


def _apply_quota(pack: Pack, spec: _Spec, results: list[dict]) -> dict:
    q = spec.quota
    tier, share = q["tier"], q["s"]
    qclause = q.get("clause", spec.clause)
    assessed = sum(1 for r in results if r["tier"] != NOT_COUNTED)
    info = {"tier": tier, "share": _fmt(share), "assessed": assessed, "cap": None}
    if share <= 0:
        return info  # ⚙ no cap
    cap = (share.numerator * assessed) // share.denominator
    info["cap"] = cap
    cap_text = f"{tier}名额 = 向下取整({assessed}人 × {_pct(share)}) = {cap}（{qclause}）"
    cands = [r for r in results if r["tier"] == tier and not r["vetoed"]]
    th = next(t for t in spec.thresholds if t["tier"] == tier)
    for r in cands:  # the threshold only makes a candidate; the quota decides
        r["reasons"][r["_tier_reason"]] = (f"得分 {r['score']} ≥ {_label(pack, th['min'])} {_fmt(th['m'])}，"
                                           f"为{tier}候选")
    if len(cands) <= cap:
        for r in cands:
            r["reasons"].append(f"{cap_text}，{len(cands)}人达到{tier}分数线，均在名额内 → {tier}")
        return info
    chain = q.get("tie_break", [])
    labels = {"compliance": "合规率", "review": "组织考核得分", "survey": "满意度"}

    def key(r):
        return (Fraction(r["score"]), *[r["_vals"].get(k) or Fraction(0) for k in chain])

    cands.sort(key=key, reverse=True)
    chain_text = "、".join(labels[k] for k in chain)
    if cap == 0:
        for r in cands:
            r["tier"], why = _tier_by_score(pack, spec, r["score"], skip_quota=True)
            r["reasons"].append(f"{cap_text}，本次无{tier}名额 → {r['tier']}")
        return info
    boundary = key(cands[cap - 1])
    tie_crosses = key(cands[cap]) == boundary
    tied = [r for r in cands if key(r) == boundary]
    above = [r for r in cands if key(r) > boundary]
    for i, r in enumerate(cands):
        k = key(r)
        same_score = [o for o in cands if o is not r and o["score"] == r["score"]]
        split = ""
        if same_score and chain:
            split = f"；与 {'、'.join(o['staff_id'] for o in same_score)} 得分同为 {r['score']}，按{chain_text}依次比较"
        if tie_crosses and k == boundary:
            left = cap - len(above)
            others = "、".join(f"{o['staff_id']}{'（' + o['name'] + '）' if o['name'] else ''}" for o in tied if o is not r)
            r["tier"] = PENDING
            r["reasons"].append(
                f"{cap_text}；得分 {r['score']} 与 {others} 并列，{chain_text}亦相同，"
                f"{len(tied)}人争剩余{left}个{tier}名额，无法区分 → {PENDING}，留待审定（{qclause}）")
        elif k > boundary or (not tie_crosses and i < cap):
            r["reasons"].append(f"{cap_text}；按得分{('、' + chain_text) if chain else ''}排序第{i + 1}，在名额内"
                                f" → {tier}{split}")
        else:
            r["tier"], _ = _tier_by_score(pack, spec, r["score"], skip_quota=True)
            r["reasons"].append(f"{cap_text}；按得分{('、' + chain_text) if chain else ''}排序第{i + 1}，"
                                f"{tier}名额已满 → {r['tier']}{split}")
    return info
