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
  - the quota base ("mentors assessed") is everyone with an assessed role in 人员 who is
    not 不计, including those left 待定 for missing data;
  - score ties at the cap are split by the pack's tie-break chain on exact values (the
    rate as a fraction, not its rounded display); what the chain cannot split is 待定;
  - a yearly 满意度 is the 测评 row of the 学年, else the mean of the year's term rows;
  - parts: an undecidable part (an invalid survey) makes the result 待定 even when another
    part failed, as policies.md says ("an invalid survey makes the result 待定"); the failed
    parts are named in the reasons. An old class without last term's 排名 follows
    the pack's ``no_previous`` (lctc-2024: 待定, the committee decides); a 新生班 cell left
    blank is judged from the class's students' 年级 (= the term's 学年 start year → 新生班).

"Active less than half the term" (不计) is derived from the book, not from compliance:
active days = days of the term inside the appointment (聘任开始–聘任结束, open ends) and
inside at least one of the staff member's 指导关系 rows (open ends), not on a 假期 day;
a staff member with no 指导关系 row in the term has no active day.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from mentor_xl import periods
from mentor_xl.engine.prepare import prepare
from mentor_xl.periods import previous_term  # noqa: F401 (re-exported)
from mentor_xl.roster import blank as _blank, people_with_roles, text as _text
from mentor_xl.money import round_half_up, to_fraction
from mentor_xl.packs import Pack, PackError, normalise_label
from mentor_xl.packs.model import SCHEMES, SOURCES  # noqa: F401 (re-exported)
from mentor_xl.problems import FatalInputError, Problems

PENDING = "待定"
NOT_COUNTED = "不计"
_PART_STATUS = {"pass": "通过", "fail": "未通过", "pending": "待定"}


# ---------------------------------------------------------------------------- terms
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


# ---------------------------------------------------------------------------- spec
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


# ---------------------------------------------------------------------------- result
@dataclass
class AssessResult:
    policy: str
    scheme: str
    year: str | None
    term: str | None
    tiers: list[str]
    results: list[dict]
    quota: dict | None = None
    message: str | None = None
    components: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        """``assess --json`` (workbook.md): add keys, never rename."""
        out: dict = {"policy": self.policy}
        if self.term is not None:
            out["term"] = self.term
        else:
            out["year"] = self.year
        out["scheme"] = self.scheme
        out["tiers"] = list(self.tiers)
        out["results"] = [_json_row(r) for r in self.results]
        if self.quota is not None:
            out["quota"] = dict(self.quota)
        if self.message:
            out["message"] = self.message
        out["counts"] = dict(Counter(r["tier"] for r in self.results))
        out["problems"] = self.problems.to_list()
        return out

    def frames(self) -> dict[str, pd.DataFrame]:
        """The 考核结果 sheet: Chinese headers; ``attrs`` carry number formats and tier colours."""
        if self.scheme == "none":
            df = pd.DataFrame({"说明": [self.message or ""]})
            return {"考核结果": df}
        rows = []
        for r in self.results:
            row = {"工号": r["staff_id"], "姓名": r["name"], "学院": r["college"],
                   "合规率": None if r.get("rate") is None else float(r["rate"])}
            if self.scheme == "score":
                for c in self.components:
                    if c != "合规率":
                        v = r["values"].get(c)
                        row[c] = None if v is None else float(v)
                row["得分"] = None if r["score"] is None else float(r["score"])
                row["名次"] = r.get("rank")
            else:
                for p in self.parts:
                    row[p] = _PART_STATUS.get(r["parts"].get(p, {}).get("status"), "")
            row["等级"] = r["tier"]
            if "subsidy_yuan" in r:
                row["补贴(元)"] = r["subsidy_yuan"]
            row["说明"] = "；".join(r["reasons"])
            rows.append(row)
        df = pd.DataFrame(rows)
        df.attrs["formats"] = {"合规率": "0.00%", "得分": "0.00", "补贴(元)": "#,##0"}
        df.attrs["tier_column"] = "等级"
        df.attrs["tier_colours"] = tier_colours(self.tiers)
        return {"考核结果": df}


    def sheets(self) -> dict:
        """考核结果 as ``xlsx.SheetSpec`` for ``write_results(extra_sheets=…)``: 得分 two decimals,
        合规率 as %, the fail tier highlighted (per-tier fills are in ``df.attrs["tier_colours"]``)."""
        from mentor_xl.workbook.xlsx import SheetSpec
        df = self.frames()["考核结果"]
        fail = [t for t in self.tiers[-1:]] if self.tiers else []
        return {"考核结果": SheetSpec(df, percent_cols=("合规率",), money_cols=("得分",), int_cols=("名次", "补贴(元)"),
                                     text_cols=("工号",), status_col="等级" if "等级" in df.columns else None,
                                     bad_values=fail)}


def tier_colours(tiers: list[str]) -> dict[str, str]:
    """Fill colours by position (best green … worst red), plus 待定 amber and 不计 grey."""
    out = {}
    n = len(tiers)
    for i, t in enumerate(tiers):
        if i == n - 1 and n > 1:
            out[t] = "#FFC7CE"
        elif i == 0:
            out[t] = "#C6EFCE"
        elif i == n - 2:
            out[t] = "#FFEB9C"
        else:
            out[t] = "#E2EFDA"
    out[PENDING] = "#F8CBAD"
    out[NOT_COUNTED] = "#D9D9D9"
    return out


def _json_row(r: dict) -> dict:
    d = {"staff_id": r["staff_id"], "score": None if r["score"] is None else float(r["score"]),
         "tier": r["tier"], "reasons": list(r["reasons"]),
         "name": r["name"], "college": r["college"],
         "rate": None if r.get("rate") is None else round(float(r["rate"]), 4),
         "periods_met": r.get("periods_met"), "periods_required": r.get("periods_required")}
    if r.get("values") is not None:
        d["values"] = {k: (None if v is None else float(v)) for k, v in r["values"].items()}
    if r.get("parts") is not None:
        d["parts"] = [{"part": k, "status": v["status"], "reason": v["reason"]} for k, v in r["parts"].items()]
    for k in ("rank", "subsidy_yuan", "vetoed"):
        if k in r:
            d[k] = r[k]
    return d


# ---------------------------------------------------------------------------- helpers
def _frac(v) -> Fraction | None:
    if _blank(v):
        return None
    return to_fraction(float(v) if not isinstance(v, (int, Fraction, Decimal)) else v)


def _fmt(x, places: int | None = None) -> str:
    """A number for a Chinese reason: 88 → "88", 88.5 → "88.5", Fraction → shortest exact or 2 decimals."""
    if x is None:
        return "—"
    if places is not None:
        return str(round_half_up(Fraction(x) if not isinstance(x, Decimal) else Fraction(x), places))
    f = Fraction(x) if not isinstance(x, Decimal) else Fraction(x)
    if f.denominator == 1:
        return str(f.numerator)
    d = round_half_up(f, 4).normalize()
    return format(d, "f")


def _share(f: Fraction) -> str:
    """A share as the policy writes it: 2/3 stays "2/3", 1/2 is "一半", 0.8 is "80%"."""
    if f == Fraction(1, 2):
        return "一半"
    if (10 ** 6) % f.denominator:
        return f"{f.numerator}/{f.denominator}"
    return _pct(f)


def _pct(f: Fraction) -> str:
    return _fmt(f * 100) + "%"


def _rate_text(met: int, req: int) -> str:
    return f"{_fmt(Fraction(met, req) * 100, 2)}%（{met}/{req}个周期达标）"


def _roster(book, pack: Pack, roles: list[str], run, prep) -> list[dict]:
    """Who is assessed (policies.md): staff holding an assessed role (on any of their 人员 rows)
    whose appointment — ended by 撤销日期 — overlaps the term or 学年 by at least one day."""
    st = prep.staff[prep.staff["role"].isin(roles)]
    hit = st[periods.overlaps(st["lo"].to_numpy(), st["hi"].to_numpy(), run.start, run.end)]
    appointed = {_text(prep.staff_ids[c]) for c in hit["staff"].unique()}
    return [{"staff_id": sid, "name": _text(r.get("姓名")), "college": _text(r.get("学院")),
             "role": "、".join(sorted(mine)), "_row": r.get("_row")}
            for sid, r, mine in people_with_roles(book, pack, roles, purpose="考核") if sid in appointed]


def staff_rates(pack: Pack, compliance: dict, terms: list[str]) -> dict[str, tuple[int, int]]:
    """Σ met and Σ required periods per staff member over ``terms`` (year rules once)."""
    frames = []
    staff_only = []
    for i, t in enumerate(terms):
        cr = compliance.get(t)
        if cr is None:
            continue
        res = cr.results
        need = {"staff_id", "rule", "required", "met", "report_only"}
        if res is not None and need <= set(res.columns):
            df = res.loc[~res["report_only"].astype(bool)].copy()
            df["_t"] = i
            frames.append(df)
            staff_only.append(cr.staff[["staff_id"]].assign(required=0, met=0) if cr.staff is not None else None)
        elif cr.staff is not None:
            staff_only.append(cr.staff[["staff_id", "periods_required", "periods_met"]]
                              .rename(columns={"periods_required": "required", "periods_met": "met"}))
    parts = [s for s in staff_only if s is not None]
    if frames:
        allr = pd.concat(frames, ignore_index=True)
        periods = {r.id: r.period for r in pack.rules}
        is_year = allr["rule"].map(periods).eq("year")
        keys = [c for c in ("staff_id", "rule", "student_id", "class") if c in allr.columns]
        yr = allr.loc[is_year].sort_values("_t").drop_duplicates(keys, keep="last")
        allr = pd.concat([allr.loc[~is_year], yr], ignore_index=True)
        parts.append(allr[["staff_id", "required", "met"]])
    if not parts:
        return {}
    tot = pd.concat(parts, ignore_index=True)
    tot["staff_id"] = tot["staff_id"].astype(str)
    g = tot.groupby("staff_id")[["met", "required"]].sum()
    return {sid: (int(m), int(q)) for sid, m, q in zip(g.index, g["met"], g["required"])}


def _missed_rule(compliance: dict, terms: list[str], rule_id: str) -> dict[str, list[tuple[str, dict]]]:
    """staff_id -> [(term, result row)] where the rule's status is "missed"."""
    out: dict[str, list] = {}
    for t in terms:
        cr = compliance.get(t)
        if cr is None or cr.results is None or len(cr.results) == 0:
            continue
        res = cr.results
        hit = res.loc[(res["rule"] == rule_id) & (res["status"] == "missed")]
        for r in hit.to_dict("records"):
            out.setdefault(str(r["staff_id"]), []).append((t, r))
    return out


class _Surveys:
    """测评 rows by (工号, 学期 or 学年), with the bad ones reported once."""

    def __init__(self, book, problems: Problems):
        df = book.surveys
        self.rows: dict[tuple[str, str], list[dict]] = {}
        if df is None:
            return
        for r in df.to_dict("records"):
            sid, key = _text(r.get("工号")), _text(r.get("学期"))
            if sid is None or key is None:
                continue
            n, m = r.get("参评人数"), r.get("应参评人数")
            if not _blank(n) and not _blank(m) and int(n) > int(m):
                problems.add("测评", _row(r), "参评人数", int(n),
                             f"工号 {sid} {key} 的参评人数 {int(n)} 多于应参评人数 {int(m)}", "数据矛盾")
            s = r.get("满意度")
            if not _blank(s) and not (0 <= float(s) <= 100):
                problems.add("测评", _row(r), "满意度", s, f"工号 {sid} {key} 的满意度 {s} 不在0–100之间", "数据范围",
                             "warning")
            self.rows.setdefault((sid, key), []).append(r)
        for (sid, key), rs in self.rows.items():
            for extra in rs[1:]:
                problems.add("测评", _row(extra), "学期", key,
                             f"工号 {sid} 在 {key} 有多条测评记录，只用第 {_row(rs[0])} 行", "重复数据", "warning")

    def get(self, sid: str, key: str) -> dict | None:
        rs = self.rows.get((sid, key))
        return rs[0] if rs else None


def _row(r: dict) -> int | None:
    v = r.get("_row")
    return None if _blank(v) else int(v)


def _survey_check(r: dict, valid: Fraction | None, clause: str) -> tuple[str, str]:
    """("ok" | "invalid" | "unknown", reason) of a survey row's participation."""
    if valid is None:
        return "ok", ""
    n, m = r.get("参评人数"), r.get("应参评人数")
    if _blank(n) or _blank(m):
        return "unknown", f"测评未填参评人数或应参评人数，无法确认参评比例是否达到{_share(valid)}（{clause}）"
    n, m = int(n), int(m)
    if m <= 0 or n > m:
        return "unknown", f"参评人数 {n}、应参评人数 {m} 有误，无法确认测评有效（{clause}）"
    # exact: n ≥ valid × m  ⇔  n × den ≥ num × m
    need = -(-valid.numerator * m // valid.denominator)
    if n * valid.denominator >= valid.numerator * m:
        return "ok", f"参评 {n}/{m} 人，达到{_share(valid)}（至少 {need} 人），测评有效"
    return "invalid", (f"参评 {n}/{m} 人，不足应参评人数的{_share(valid)}（至少 {need} 人，差 {need - n} 人），"
                       f"测评无效，需重新测评（{clause}）")


# ---------------------------------------------------------------------------- entry point
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


# ---------------------------------------------------------------------------- score scheme
def _reviews(book, year: str, problems: Problems) -> dict[str, dict]:
    df = book.reviews
    out: dict[str, dict] = {}
    if df is None:
        return out
    for r in df.to_dict("records"):
        sid = _text(r.get("工号"))
        if sid is None or periods.year_code(r.get("学年")) != year:
            continue
        if sid in out:
            problems.add("组织考核", _row(r), "工号", sid,
                         f"工号 {sid} 在 {year} 学年有多条组织考核记录，只用第 {_row(out[sid])} 行", "重复数据", "warning")
            continue
        s = r.get("得分")
        if not _blank(s) and not (0 <= float(s) <= 100):
            problems.add("组织考核", _row(r), "得分", s, f"工号 {sid} 的组织考核得分 {s} 不在0–100之间", "数据范围", "warning")
        out[sid] = r
    return out


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


def _missing_reason(source: str, sid: str, label: str, met_req, terms) -> str:
    if source == "compliance":
        if met_req is None:
            return f"缺少 {label} 的合规结果（{'、'.join(terms) or '无学期'}），无法计算合规率"
        return f"{label} 内没有应考核的周期（在岗不足），无法计算合规率"
    if source == "review":
        return f"缺少 {label} 学年组织考核得分（组织考核表）"
    return f"缺少 {label} 的满意度测评（测评表）"


def _missing_problem(problems: Problems, source: str, p: dict, label: str) -> None:
    who = f"工号 {p['staff_id']}（{p['name'] or ''}）"
    if source == "review":
        problems.add("组织考核", None, "得分", p["staff_id"], f"{who}缺少 {label} 学年组织考核得分，考核结果待定", "缺少数据")
    elif source == "survey":
        problems.add("测评", None, "满意度", p["staff_id"], f"{who}缺少 {label} 的满意度测评，考核结果待定", "缺少数据")
    else:
        problems.add("人员", _row(p), "工号", p["staff_id"], f"{who}在 {label} 没有可用的合规结果，考核结果待定",
                     "缺少数据", "warning")


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


# ---------------------------------------------------------------------------- parts scheme
def _assignments(book, sid: str, start, end) -> pd.DataFrame:
    a = book.assignments
    if a is None or len(a) == 0:
        return pd.DataFrame(columns=["工号", "学号", "班级", "开始日期", "结束日期", "_row"])
    a = a.loc[a["工号"].astype(str) == sid]
    s = pd.to_datetime(a["开始日期"])
    e = pd.to_datetime(a["结束日期"])
    return a.loc[(s.isna() | (s <= end)) & (e.isna() | (e >= start))]


def _active(prep, roles, term: periods.Term) -> tuple[dict[str, int], set[str]]:
    """(工号 -> active days in the term, 工号 with an assignment in the term): the one definition
    the engine uses too (periods.staff_active_days)."""
    appt = prep.staff[prep.staff["role"].isin(roles)]
    links = pd.concat([prep.pairs[["staff", "lo", "hi"]], prep.classes[["staff", "lo", "hi"]]], ignore_index=True)
    act = periods.staff_active_days(appt, links, term.start, term.end, prep.holidays)
    linked = links[periods.overlaps(links["lo"].to_numpy(), links["hi"].to_numpy(), term.start, term.end)]
    ids = prep.staff_ids
    return ({_text(ids[c]): int(n) for c, n in act.items()}, {_text(ids[c]) for c in linked["staff"].unique()})


def _assess_parts(book, pack, spec: _Spec, run: periods.Term, compliance: dict, roster, prep, problems) -> list[dict]:
    term = run.code
    start, end = periods.timestamp(run.start), periods.timestamp(run.end)
    cal = run.end - run.start + 1
    act_days, linked = _active(prep, spec.roles, run) if spec.not_counted else ({}, set())
    rates = staff_rates(pack, compliance, [term])
    if term not in compliance:
        problems.add("学期", None, "学期", term, f"缺少学期 {term} 的合规结果，导师业绩无法评定", "缺少数据", "warning")
    surveys = _Surveys(book, problems)
    ranks = _ClassRanks(book, problems)
    grades = _class_grades(book)
    results = []
    for p in roster:
        sid = p["staff_id"]
        r = {**{k: p[k] for k in ("staff_id", "name", "college", "role")}, "score": None, "tier": PENDING,
             "reasons": [], "parts": {}, "rate": None}
        mr = rates.get(sid)
        if mr and mr[1] > 0:
            r["periods_met"], r["periods_required"] = mr
            r["rate"] = Fraction(*mr)
        nc = spec.not_counted
        if nc:
            act = act_days.get(sid, 0)
            if Fraction(act, cal) < nc["share"]:
                r["tier"] = NOT_COUNTED
                why = "本学期无对接班级（指导关系）" if act == 0 and sid not in linked else f"本学期在岗 {act} 天"
                r["reasons"].append(f"{why}，不足学期 {cal} 天的{_share(nc['share'])}，不计（{nc.get('clause', spec.clause)}）")
                results.append(r)
                continue
        for part in spec.parts:
            src = part["source"]
            if src == "compliance":
                st, why = _part_compliance(part, mr, term)
            elif src == "survey":
                st, why = _part_survey(part, surveys.get(sid, term), p, term, problems)
            else:
                st, why = _part_class(book, part, ranks, grades, sid, p, term, start, end, problems)
            r["parts"][part["label"]] = {"status": st, "reason": why}
            r["reasons"].append(f"{part['label']}{_PART_STATUS[st]}：{why}")
        sts = [v["status"] for v in r["parts"].values()]
        failed = "、".join(k for k, v in r["parts"].items() if v["status"] == "fail")
        if "pending" in sts:
            # policies.md: an invalid survey makes the result 待定 (redo the survey) — even
            # when another part failed; the failed parts stay in the reasons for the committee.
            r["tier"] = PENDING
            pend = "、".join(k for k, v in r["parts"].items() if v["status"] == "pending")
            r["reasons"].append(f"{pend}无法评定，结果待定" + (f"（另有{failed}未通过）" if failed else "")
                                + f"（{spec.clause}）")
        elif "fail" in sts:
            r["tier"] = spec.fail_tier
            r["reasons"].append(f"{failed}未通过，{spec.pass_tier}须三部分均通过 → {spec.fail_tier}（{spec.clause}）"
                                if len(spec.parts) == 3 else f"{failed}未通过 → {spec.fail_tier}（{spec.clause}）")
        else:
            r["tier"] = spec.pass_tier
            r["reasons"].append(f"各部分均通过 → {spec.pass_tier}（{spec.clause}）")
        results.append(r)
    return results


def _part_compliance(part: dict, mr, term: str) -> tuple[str, str]:
    clause = part.get("clause", "")
    if mr is None:
        return "pending", f"缺少 {term} 的合规结果（{clause}）"
    met, req = mr
    if req == 0:
        return "pending", f"{term} 没有应考核的周期，无法计算合规率（{clause}）"
    rate = Fraction(met, req)
    if rate >= part["m"]:
        return "pass", f"合规率 {_rate_text(met, req)}，不低于{_pct(part['m'])}（{clause}）"
    return "fail", (f"合规率 {_rate_text(met, req)}，低于{_pct(part['m'])}"
                    f"（差 {_fmt((part['m'] - rate) * 100, 2)} 个百分点）（{clause}）")


def _part_survey(part: dict, row: dict | None, p: dict, term: str, problems: Problems) -> tuple[str, str]:
    clause = part.get("clause", "")
    if row is None or _blank(row.get("满意度")):
        _missing_problem(problems, "survey", p, term)
        return "pending", f"缺少 {term} 的学生评价（测评表），需组织测评（{clause}）"
    state, why = _survey_check(row, part.get("valid"), clause)
    if state != "ok":
        return "pending", why
    s = _frac(row.get("满意度"))
    lead = (why + "；") if why else ""
    if "m" not in part:
        return "pass", lead.rstrip("；")
    if s >= part["m"]:
        return "pass", f"{lead}满意度 {_fmt(s)}，不低于 {_fmt(part['m'])}（{clause}）"
    return "fail", f"{lead}满意度 {_fmt(s)}，低于 {_fmt(part['m'])}（差 {_fmt(part['m'] - s)} 分）（{clause}）"


class _ClassRanks:
    def __init__(self, book, problems: Problems):
        self.rows: dict[tuple[str, str], dict] = {}
        self.terms: list[str] = []
        df = book.class_ranks
        if df is None:
            return
        for r in df.to_dict("records"):
            c, t = _text(r.get("班级")), _text(r.get("学期"))
            if c is None or t is None:
                continue
            key = (normalise_label(c), t)
            n, k = r.get("排名"), r.get("年级班级数")
            if not _blank(n) and not _blank(k) and int(n) > int(k):
                problems.add("班级量化", _row(r), "排名", int(n), f"班级 {c} {t} 的排名 {int(n)} 大于年级班级数 {int(k)}",
                             "数据矛盾")
            if key in self.rows:
                problems.add("班级量化", _row(r), "班级", c,
                             f"班级 {c} 在 {t} 有多条量化记录，只用第 {_row(self.rows[key])} 行", "重复数据", "warning")
                continue
            self.rows[key] = r
            self.terms.append(t)

    def get(self, cls: str, term: str) -> dict | None:
        return self.rows.get((normalise_label(cls), term))


def _paired_classes(book, sid: str, start, end) -> list[str]:
    a = _assignments(book, sid, start, end)
    classes = [c for c in (_text(x) for x in a["班级"]) if c]
    if not classes and len(a):
        st = book.students
        ids = {x for x in (_text(v) for v in a["学号"]) if x}
        if st is not None and ids:
            classes = [c for c in (_text(x) for x in st.loc[st["学号"].astype(str).isin(ids), "班级"]) if c]
    return list(dict.fromkeys(classes))


def _class_grades(book) -> dict[str, int]:
    """normalised 班级 -> the most common 年级 of its students (学生 sheet)."""
    st = book.students
    if st is None or len(st) == 0 or "年级" not in st.columns:
        return {}
    df = st.loc[st["班级"].notna() & st["年级"].notna(), ["班级", "年级"]]
    out: dict[str, Counter] = {}
    for c, y in zip(df["班级"], df["年级"]):
        out.setdefault(normalise_label(c), Counter())[int(y)] += 1
    return {c: cnt.most_common(1)[0][0] for c, cnt in out.items()}


def _is_new_class(grades: dict[str, int], row: dict, cls: str, term: str) -> tuple[bool | None, str]:
    v = row.get("新生班")
    if not _blank(v):
        return bool(v), ""
    grade = grades.get(normalise_label(cls))
    if grade is None:
        return None, ""
    new = grade == int(term[:4])
    return new, f"（未填新生班，按学生年级 {grade} 判断为{'新生班' if new else '老生班'}）"


def _part_class(book, part, ranks: _ClassRanks, grades, sid, p, term, start, end, problems) -> tuple[str, str]:
    clause = part.get("clause", "")
    classes = _paired_classes(book, sid, start, end)
    if not classes:
        return "pending", f"本学期没有对接班级，无法评定班级量化（{clause}）"
    outs = []
    for cls in classes:
        row = ranks.get(cls, term)
        if row is None:
            problems.add("班级量化", None, "排名", cls, f"班级 {cls} 缺少 {term} 的量化排名（工号 {sid} 的对接班级）", "缺少数据")
            outs.append(("pending", f"{cls} 缺少 {term} 的量化排名"))
            continue
        rank = int(row["排名"])
        new, how = _is_new_class(grades, row, cls, term)
        if new is None:
            outs.append(("pending", f"{cls} 未填是否新生班，学生表也无法判断"))
        elif new:
            n = row.get("年级班级数")
            if _blank(n):
                problems.add("班级量化", _row(row), "年级班级数", None, f"新生班 {cls} 未填年级班级数，无法判断是否在前{_share(part['new_share'])}",
                             "缺少数据")
                outs.append(("pending", f"新生班 {cls} 第{rank}名，未填年级班级数{how}"))
                continue
            n = int(n)
            share = part["new_share"]
            limit = share.numerator * n // share.denominator
            if rank <= limit:
                outs.append(("pass", f"新生班 {cls} 同年级 {n} 个班中排第 {rank}，在前{_share(share)}（前 {limit} 名）内{how}"))
            else:
                outs.append(("fail", f"新生班 {cls} 同年级 {n} 个班中排第 {rank}，未进入前{_share(share)}（前 {limit} 名，"
                                     f"差 {rank - limit} 名）{how}"))
        else:
            prev = periods.previous_term(term, ranks.terms)
            prow = ranks.get(cls, prev)
            if prow is None:
                st = part.get("no_previous", PENDING)
                status = "fail" if st in ("fail", "不通过", "未通过") else "pending"
                outs.append((status, f"老生班 {cls} 本学期排第 {rank}，缺少上学期（{prev}）排名，无法判断是否提升{how}"))
                continue
            pr = int(prow["排名"])
            if rank < pr:
                outs.append(("pass", f"老生班 {cls} 排名由上学期第 {pr} 升至第 {rank}{how}"))
            elif rank == pr:
                outs.append(("fail", f"老生班 {cls} 排名与上学期持平（第 {rank}），未提升{how}"))
            else:
                outs.append(("fail", f"老生班 {cls} 排名由上学期第 {pr} 降至第 {rank}，未提升{how}"))
    sts = [s for s, _ in outs]
    status = "fail" if "fail" in sts else "pending" if "pending" in sts else "pass"
    return status, "；".join(w for _, w in outs) + f"（{clause}）"
