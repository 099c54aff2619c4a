"""Assessment tiers: one engine driven by the pack's ``[assessment]`` section.

Two mechanisms, named in the pack by ``scheme``:
  score  a weighted score of components (compliance rate×100, 组织考核得分, 满意度), rounded
         to 2 decimals half up, mapped to tiers by ⚙ thresholds; a quota may cap one tier
         (floor(share × assessed)) with a tie-break chain; vetoes force a tier.
  parts  every part must pass (导师业绩 = compliance rate ≥ ⚙, 学生评价 with a validity share,
         班级量化 = 新生班 top share / 老生班 improvement); any failed part fails, an
         undecidable part leaves the result 待定; less than the ⚙ active share → 不计.
  none   the policy has no tiers; the pack's message says what to use instead.
Every result carries its reasons in Chinese (part, amount, clause).

Compliance comes in as per-term ComplianceResult objects (the caller runs the engine for
``required_terms(...)``). A staff member's rate over several terms is Σ met ÷ Σ required
periods over the terms' results, report-only rules excluded; a ``year`` rule appears in
every term's run with the same 学年 span, so it is counted once (from the last term).

Decisions where the policies leave room (each is also said in the result's reasons):
  - who is assessed (policies.md): staff holding an assessed role on any of their 人员
    rows whose appointment (撤销日期 ends it) overlaps the term or 学年 by at least one
    day; the quota base is those not 不计, including those left 待定 for missing data;
  - score ties at the cap are split by the pack's tie-break chain on exact values (the
    rate as a fraction, not its rounded display); what the chain cannot split is 待定;
  - a yearly 满意度 is the 测评 row of the 学年, else the mean of the year's term rows;
  - parts: an undecidable part (an invalid survey) makes the result 待定 even when another
    part failed, as policies.md says ("an invalid survey makes the result 待定"); the failed
    parts are named in the reasons. An old class without last term's 排名 follows
    the pack's ``no_previous`` (lctc-2024: 待定, the committee decides); a 新生班 cell left
    blank is judged from the class's students' 年级 (= the term's 学年 start year → 新生班).

"Active less than half the term" (不计) uses the engine's definition of active days
(periods.staff_active_days): days of the term inside the appointment (聘任开始–聘任结束,
open ends, ended by 撤销日期) and inside at least one of the staff member's 指导关系 rows
(open ends), not on a 假期 day; a staff member with no 指导关系 row has no active day.

Modules: spec (the typed section with ⚙ values), inputs (rates, 测评, 组织考核, 班级量化,
active days), score and parts (the two schemes), result (JSON and sheet), text (wording).
"""
from __future__ import annotations

from mentor_xl import periods
from mentor_xl.assess.inputs import staff_rates  # noqa: F401 (public)
from mentor_xl.assess.parts import _assess_parts
from mentor_xl.assess.result import NOT_COUNTED, PENDING, AssessResult  # noqa: F401 (public)
from mentor_xl.assess.score import _assess_score, tier_for_score  # noqa: F401 (the MENTOR_TIER formula)
from mentor_xl.assess.spec import _Spec, _spec
from mentor_xl.engine.prepare import prepare
from mentor_xl.packs import Pack
from mentor_xl.periods import previous_term  # noqa: F401 (re-exported)
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.roster import people_with_roles, text as _text


def year_terms(book, year) -> list[str]:
    """The terms of the 学期 sheet in the 学年, by start date."""
    return periods.year_terms(book.terms, year)


def required_terms(book, pack: Pack, *, year: str | None = None, term: str | None = None) -> list[str]:
    """The terms whose compliance ``assess`` needs (the caller computes each with the engine)."""
    spec = _spec(pack)
    if spec.scheme == "none":
        return []
    kind, run = _run_period(book, spec, year, term)
    return [run.code] if kind == "term" else list(run.terms)


def _run_period(book, spec: _Spec, year, term) -> tuple[str, periods.Term | periods.Year]:
    """("term", Term) or ("year", Year) of the run, resolved against the 学期 sheet for the pack's period."""
    if spec.period == "term":
        if term is None:
            raise FatalInputError("本制度按学期考核，请用 --term 指定学期，如 2024-2025-1")
        return "term", periods.find_term(book.terms, term)
    if year is None:
        if term is None:
            raise FatalInputError("本制度按学年考核，请用 --year 指定学年，如 2024-2025")
        year = periods.find_term(book.terms, term).year
    return "year", periods.find_year(book.terms, year)


def _roster(book, pack: Pack, roles: list[str], run, prep) -> list[dict]:
    """Who is assessed (policies.md): staff holding an assessed role (on any of their 人员 rows)
    whose appointment — ended by 撤销日期 — overlaps the term or 学年 by at least one day."""
    st = prep.staff[prep.staff["role"].isin(roles)]
    hit = st[periods.overlaps(st["lo"].to_numpy(), st["hi"].to_numpy(), run.start, run.end)]
    appointed = {_text(prep.staff_ids[c]) for c in hit["staff"].unique()}
    return [{"staff_id": sid, "name": _text(r.get("姓名")), "college": _text(r.get("学院")),
             "role": "、".join(sorted(mine)), "_row": r.get("_row")}
            for sid, r, mine in people_with_roles(book, pack, roles, purpose="考核") if sid in appointed]


def assess(book, pack: Pack, *, year: str | None = None, term: str | None = None,
           compliance: dict | None = None, prepared=None) -> "AssessResult":
    """Assessment tiers for ``year`` (学年 schemes) or ``term`` (学期 schemes).

    ``compliance`` maps each term of ``required_terms(book, pack, year=…, term=…)`` to its
    ComplianceResult. A 学年 scheme given only ``term`` assesses that term's 学年. ``prepared``
    is the engine's inputs (``Office.prepared``), built here when not given.
    """
    spec = _spec(pack)
    problems = Problems()
    if spec.scheme == "none":
        problems.add("设置", None, "制度", pack.id, spec.message, "考核", "warning")
        return AssessResult(policy=pack.id, scheme="none", year=periods.year_code(year) if year else None,
                            term=term, tiers=[], results=[], message=spec.message, problems=problems)
    kind, run = _run_period(book, spec, year, term)
    label = run.code
    compliance = compliance or {}
    prep = prepared if prepared is not None else prepare(book, pack)
    roster = _roster(book, pack, spec.roles, run, prep)
    if spec.scheme == "score":
        terms = list(run.terms) if kind == "year" else [label]
        for t in terms:
            if t not in compliance:
                problems.add("学期", None, "学期", t, f"缺少学期 {t} 的合规结果，该学期未计入合规率", "缺少数据", "warning")
        results, quota = _assess_score(book, pack, spec, kind, label, terms, compliance, roster, problems)
    else:
        results, quota = _assess_parts(book, pack, spec, run, compliance, roster, prep, problems), None
    if spec.subsidy:
        for r in results:
            r["subsidy_yuan"] = spec.subsidy.get(r["tier"], 0)
    return AssessResult(policy=pack.id, scheme=spec.scheme, year=label if kind == "year" else None,
                        term=label if kind == "term" else None, tiers=spec.tiers, results=results, quota=quota,
                        components=[c["label"] for c in spec.components], parts=[p["label"] for p in spec.parts],
                        problems=problems)
