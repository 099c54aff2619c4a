"""The compliance engine: one engine for every pack (policies.md, shared semantics).

    compliance(book, pack, term) -> ComplianceResult

For each rule: its subjects and their active segments → the periods of the rule's kind
→ active days and *required* per subject × period → the measured value → met / missed,
then status per subject × rule and the compliance rate per staff member.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mentor_xl.engine import measures
from mentor_xl.engine.prepare import Prepared, prepare
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.engine.subjects import subjects
from mentor_xl.packs import Pack, Rule
from mentor_xl.periods import Term, active_days, find_term, periods, timestamp, window
from mentor_xl.problems import Problems
from mentor_xl.workbook.model import OfficeBook

__all__ = ["compliance", "prepare", "Prepared", "ComplianceResult"]

EPS = 1e-9


def compliance(book: OfficeBook, pack: Pack, term: str, *, prepared: Prepared | None = None) -> ComplianceResult:
    """Per-term compliance of every subject with every rule of ``pack``.

    ``prepared`` lets a caller (a yearly assessment) reuse one preparation across terms.
    """
    t = find_term(book.frame("学期"), term)
    prep = prepared or prepare(book, pack)
    problems = Problems()
    problems.extend(book.problems)
    problems.extend(prep.problems)
    frames = [_rule_details(prep, rule, t, problems) for rule in pack.rules]
    details = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else _empty_details()
    details = _with_names(details, prep)
    results = _results(details, pack)
    staff = _staff(results, prep)
    return ComplianceResult(pack.id, t.code, timestamp(t.start), timestamp(t.end), details, results, staff, problems)


def _rule_details(prep: Prepared, rule: Rule, t: Term, problems: Problems) -> pd.DataFrame:
    lo, hi = window(rule.period, t)
    subj, seg = subjects(prep, rule, lo, hi)
    if subj.empty:
        return _empty_details()
    plist = periods(rule.period, t)
    P = len(plist)

    # Active days: every merged segment against every period, summed per subject.
    act = active_days(seg["lo"].to_numpy()[:, None], seg["hi"].to_numpy()[:, None],
                      plist["start"].to_numpy()[None, :], plist["end"].to_numpy()[None, :], prep.holidays)
    active = np.zeros((len(subj), P), dtype=np.int64)
    np.add.at(active, seg["subject"].to_numpy(), act)

    bound = np.full((len(subj), P), np.nan if rule.bound is None else float(rule.bound))
    note = pd.Series([""] * len(subj))
    if rule.measure == "max:students":
        value = np.repeat(measures.max_concurrent(prep, subj, lo, hi).to_numpy()[:, None], P, axis=1)
    else:
        row_window = None
        if rule.measure == "deadline":
            row_window = (t.start - int(prep.pack.setting("deadline_window_days")),
                          t.start + int(prep.pack.setting("deadline_grace_days")))
        rows = measures.rows_in_periods(prep, rule, plist, row_window, subj["staff_id"].unique())
        h, sh = measures.hits(prep, rule, rows, subj)
        if rule.measure == "duties":
            value, bound, note = _duties(prep, rule, t, subj, h, P, problems)
        else:
            vals = measures.values(prep, rule, h, sh)
            value = _grid(vals, len(subj), P)
            if rule.measure == "share:学号":
                size = subj["class"].map(prep.roster.groupby("class").size()).fillna(0).to_numpy()
                for c in subj.loc[size == 0, "class"].unique():
                    problems.add("学生", None, "班级", c, f"班级“{c}”在学生表中没有学生，无法计算覆盖比例（规则 {rule.id}）",
                                 "班级名单", "warning")
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = np.where(size[:, None] > 0, value / size[:, None], np.nan)

    required = 2 * active >= plist["calendar_days"].to_numpy()[None, :]
    required &= ~np.isnan(bound) | rule.report_only
    if rule.maximum is not None:
        ok = value <= bound + EPS
        gap = np.maximum(value - bound, 0)
    else:
        ok = value + EPS >= bound
        gap = np.maximum(bound - value, 0)
    ok = np.where(np.isnan(value), False, ok)
    met = required & ok & ~rule.report_only
    shortfall = np.where(required & ~ok & ~rule.report_only, np.nan_to_num(gap, nan=0.0), 0.0)

    n = len(subj) * P
    rep = lambda a: np.repeat(np.asarray(a), P)  # noqa: E731 — subject columns, one per period
    return pd.DataFrame({
        "staff_id": rep(subj["staff_id"]), "role": rep(subj["role"]), "rule": rule.id,
        "title": rule.title, "clause": rule.clause, "scope": rule.scope,
        "student_id": rep(subj["student_id"]), "class": rep(subj["class"]),
        "period": np.tile(plist["label"].to_numpy(), len(subj)),
        "period_start": pd.to_datetime(np.tile(plist["start"].to_numpy(), len(subj)), unit="D"),
        "period_end": pd.to_datetime(np.tile(plist["end"].to_numpy(), len(subj)), unit="D"),
        "active_days": active.reshape(n), "calendar_days": np.tile(plist["calendar_days"].to_numpy(), len(subj)),
        "required": required.reshape(n), "value": value.reshape(n).astype(float),
        "bound": bound.reshape(n), "op": "<=" if rule.maximum is not None else ">=",
        "met": met.reshape(n), "shortfall": shortfall.reshape(n),
        "report_only": rule.report_only, "note": rep(note),
    })


def _grid(vals: pd.Series, n_subj: int, P: int) -> np.ndarray:
    g = np.zeros((n_subj, P))
    if len(vals):
        idx = vals.index
        g[idx.get_level_values(0).to_numpy(), idx.get_level_values(1).to_numpy()] = vals.to_numpy()
    return g


def _duties(prep: Prepared, rule: Rule, t: Term, subj: pd.DataFrame, h: pd.DataFrame, P: int, problems: Problems):
    """Every duty of the class's year of study logged at least once in the 学年."""
    grade = prep.roster.groupby("class")["grade"].agg(lambda g: g.mode().iloc[0] if g.notna().any() else pd.NA)
    first_year = int(t.year.split("-")[0])
    study_year = subj["class"].map(grade).map(lambda g: first_year - int(g) + 1 if pd.notna(g) else None)
    logged = measures.logged_types(prep, h).groupby("subject")["type"].agg(set)
    value = np.zeros((len(subj), P))
    bound = np.full((len(subj), P), np.nan)
    notes = []
    for i, (c, y) in enumerate(zip(subj["class"], study_year)):  # one iteration per class, not per log row
        duties = rule.duties.get(int(y)) if y is not None else None
        if duties is None:
            problems.add("学生", None, "年级", c, f"无法确定班级“{c}”的年级（学生表“年级”为空或不在 1–4 年级），规则 {rule.id} 不适用",
                         "班级名单", "warning")
            notes.append("年级不明")
            continue
        done = logged.get(i, set()) & set(duties)
        value[i, :] = len(done)
        bound[i, :] = len(duties)
        missing = [d for d in duties if d not in done]
        notes.append(f"{_ZH_YEAR.get(int(y), y)}年级职责" + (f"未记录：{'、'.join(missing)}" if missing else "均已记录"))
    return value, bound, pd.Series(notes)


_ZH_YEAR = {1: "一", 2: "二", 3: "三", 4: "四"}


def _with_names(details: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    n = prep.names.set_index("staff_id")
    details.insert(1, "name", details["staff_id"].map(n["name"]))
    details.insert(3, "college", details["staff_id"].map(n["college"]))
    return details


def _results(details: pd.DataFrame, pack: Pack) -> pd.DataFrame:
    key = ["staff_id", "rule", "student_id", "class"]
    d = details
    g = d.groupby(key, sort=False, dropna=False)
    req = d["required"]
    missed_mask = req & ~d["met"] & ~d["report_only"]
    out = g.agg(name=("name", "first"), role=("role", "first"), college=("college", "first"),
                title=("title", "first"), clause=("clause", "first"), scope=("scope", "first"),
                report_only=("report_only", "first"), note=("note", "first")).reset_index()
    out["required"] = req.groupby([d[k] for k in key], sort=False, dropna=False).sum().to_numpy()
    out["met"] = d["met"].groupby([d[k] for k in key], sort=False, dropna=False).sum().to_numpy()
    out["value"] = d["value"].where(req, 0.0).groupby([d[k] for k in key], sort=False, dropna=False).sum().to_numpy()
    missed = d[missed_mask].groupby(key, sort=False, dropna=False).agg(
        missed_periods=("period", list), shortfalls=("shortfall", list)).reset_index()
    out = out.merge(missed, on=key, how="left")
    for c in ("missed_periods", "shortfalls"):
        out[c] = out[c].map(lambda v: v if isinstance(v, list) else [])
    out["status"] = np.select(
        [out["report_only"], out["required"] == 0, out["met"] == out["required"]],
        ["report", "n/a", "met"], "missed")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = np.where(out["required"] > 0, out["met"] / out["required"].where(out["required"] > 0, 1), np.nan)
    out.loc[out["report_only"], "rate"] = np.nan
    order = {r.id: i for i, r in enumerate(pack.rules)}
    out = out.sort_values(["staff_id", "rule"], key=lambda s: s.map(order) if s.name == "rule" else s, kind="stable")
    cols = ["staff_id", "name", "role", "college", "rule", "title", "clause", "scope", "student_id", "class",
            "status", "required", "met", "rate", "missed_periods", "shortfalls", "value", "report_only", "note"]
    return out[cols].reset_index(drop=True)


def _staff(results: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    r = results[~results["report_only"]]
    per_rule = r.groupby(["staff_id", "rule"], sort=False).agg(
        any_required=("required", lambda s: (s > 0).any()),
        all_met=("status", lambda s: (s[s != "n/a"] == "met").all()),
        periods_required=("required", "sum"), periods_met=("met", "sum")).reset_index()
    per_rule["counted_met"] = per_rule["any_required"] & per_rule["all_met"]
    s = per_rule.groupby("staff_id", sort=False).agg(
        rules_required=("any_required", "sum"), rules_met=("counted_met", "sum"),
        periods_required=("periods_required", "sum"), periods_met=("periods_met", "sum")).reset_index()
    names = prep.names[prep.names["staff_id"].isin(results["staff_id"])]
    s = names.merge(s, on="staff_id", how="left").fillna(
        {"rules_required": 0, "rules_met": 0, "periods_required": 0, "periods_met": 0})
    for c in ("rules_required", "rules_met", "periods_required", "periods_met"):
        s[c] = s[c].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["rate"] = np.where(s["periods_required"] > 0, s["periods_met"] / s["periods_required"].clip(lower=1), np.nan)
    return s[["staff_id", "name", "role", "college", "rules_required", "rules_met",
              "periods_required", "periods_met", "rate"]].sort_values("staff_id", kind="stable").reset_index(drop=True)


def _empty_details() -> pd.DataFrame:
    return pd.DataFrame(columns=[
        "staff_id", "role", "rule", "title", "clause", "scope", "student_id", "class", "period",
        "period_start", "period_end", "active_days", "calendar_days", "required", "value", "bound",
        "op", "met", "shortfall", "report_only", "note"])
