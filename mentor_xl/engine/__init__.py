"""The compliance engine: one engine for every pack (docs/policies.md, shared semantics).

    compliance(book, pack, term) -> ComplianceResult

For each rule: its subjects and their active segments → the periods of the rule's kind
→ active days and *required* per subject × period → the measured value → met / missed,
then status per subject × rule and the compliance rate per staff member.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl import gcpause
from mentor_xl.engine import evidence, measures
from mentor_xl.engine.prepare import Prepared, prepare
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.engine.subjects import subjects
from mentor_xl.packs import Pack, Rule
from mentor_xl.packs.measures import MEASURES
from mentor_xl.periods import Term, active_days, find_term, periods, timestamp, window
from mentor_xl.problems import Problems
from mentor_xl.workbook.values import text_column
from mentor_xl.workbook.model import OfficeBook

__all__ = ["compliance", "prepare", "Prepared", "ComplianceResult", "rule_frames", "RuleFrames", "Layout"]

EPS = 1e-9


def _frame(columns: dict, n: int) -> pd.DataFrame:
    """A frame of ``n`` rows whose text columns hold Python str (object dtype), as with pandas 2.

    pandas 3 would convert every text column into Arrow strings: once per rule, again in
    each concat, map and sort. These columns are only repeated, joined and copied, and the
    conversion was a third of the engine's time on a 200k-row log."""
    out = {}
    for k, v in columns.items():
        if isinstance(v, str) or v is None:
            v, fill = np.empty(n, dtype=object), v
            v.fill(fill)  # np.full takes 10× as long with an object
        elif isinstance(v, np.ndarray) and v.dtype.kind == "U":  # np.select / np.where of labels
            v = v.astype(object)
        if isinstance(v, np.ndarray) and v.dtype == object:
            v = pd.Series(v, dtype=object, copy=False)
        out[k] = v
    return pd.DataFrame(out, copy=False)  # a block per column: no 2-D object block to stack


@gcpause.during
def compliance(book: OfficeBook, pack: Pack, term: str, *, prepared: Prepared | None = None,
               frames: "RuleFrames | None" = None) -> ComplianceResult:
    """Per-term compliance of every subject with every rule of ``pack``.

    ``prepared`` lets a caller (a yearly assessment) reuse one preparation across terms;
    ``frames`` (``rule_frames`` of the same book and pack) may be computed ahead, while the log is
    still loading (``office.open_office``); frames of another term or pack are made again.
    """
    t = find_term(book.frame("学期"), term)
    prep = prepared or prepare(book, pack)
    if frames is None or frames.term != t or frames.pack is not pack:
        frames = rule_frames(prep, pack, t)
    problems = Problems()
    problems.extend(book.problems)
    problems.extend(prep.problems)
    parts = [_rule_details(prep, rule, t, fr, problems) for rule, fr in zip(pack.rules, frames.rules) if fr]
    details = pd.concat([d for d, _ in parts], ignore_index=True) if parts else pd.DataFrame(columns=DETAIL_COLS)
    results = pd.concat([r for _, r in parts], ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLS)
    results = results[RESULT_COLS].take(frames.layout.order).reset_index(drop=True)  # by 工号, stably
    staff = _staff(results, frames.layout)
    return ComplianceResult(pack.id, t.code, timestamp(t.start), timestamp(t.end), details, results, staff, problems)


@dataclass
class RuleFrame:
    """A rule's subjects and periods in one term, and every column of its 合规明细 rows that does
    not need 活动记录 (who, which period, active days): the half of a rule computed ahead."""
    lo: int  # the rule's window
    hi: int
    subj: pd.DataFrame  # codes (``subjects``)
    plist: pd.DataFrame  # periods
    active: np.ndarray  # active days, subjects × periods
    who: pd.DataFrame  # staff_id, name, role, college, student_id, class per subject (text)
    details: dict  # the log-free 合规明细 columns, one value per subject × period


@dataclass
class Layout:
    """How the rules' results come together, none of it from the log: the order of 合规汇总 and
    the rows of 人员汇总 with the (staff, rule) groups each result row counts in."""
    order: np.ndarray  # sorts the rules' result rows, one rule after the other, by 工号 (stably)
    staff: pd.DataFrame  # staff_id, name, role, college of those with a result, by 工号
    pair: np.ndarray  # per sorted result row: its (staff member, rule id) group; -1: not counted
    pair_staff: np.ndarray  # per group: its row of ``staff``


@dataclass
class RuleFrames:
    term: Term
    pack: Pack
    rules: list  # a RuleFrame per rule of ``pack``, in its order (None: a rule without subjects)
    layout: Layout


def rule_frames(people, pack: Pack, t: Term) -> RuleFrames:
    """``RuleFrame`` of every rule of ``pack`` in term ``t``, from ``prepare_people`` (or
    ``prepare``) alone."""
    names = _names_of_codes(people)
    rules = [_rule_frame(people, rule, t, names) for rule in pack.rules]
    return RuleFrames(t, pack, rules, _layout(people, pack, rules))


def _layout(people, pack: Pack, rules: list) -> Layout:
    present = [(k, fr) for k, fr in enumerate(rules) if fr]
    ids = np.concatenate([fr.who["staff_id"].to_numpy(dtype=object) for _, fr in present]) if present \
        else np.empty(0, dtype=object)
    order = np.argsort(ids, kind="stable")
    # those with a result (a hash of the distinct 工号: isin of Arrow strings against objects is slow)
    n = people.names
    with_result = pd.Index(pd.unique(ids)).get_indexer(n["staff_id"].to_numpy(dtype=object)) >= 0
    staff = n[with_result]
    staff = staff.iloc[np.argsort(staff["staff_id"].to_numpy(dtype=object), kind="stable")].reset_index(drop=True)
    # one group per (staff member, rule id), report-only rules left out
    rule_code: dict[str, int] = {}
    code = np.array([rule_code.setdefault(pack.rules[k].id, len(rule_code)) for k, _ in present], dtype=np.int64)
    sizes = [len(fr.who) for _, fr in present]
    counted = np.repeat(np.array([not pack.rules[k].report_only for k, _ in present], dtype=bool), sizes)[order]
    at = pd.Index(staff["staff_id"].to_numpy(dtype=object)).get_indexer(ids[order])
    R = max(len(rule_code), 1)
    key = at * R + np.repeat(code, sizes)[order]
    counted &= at >= 0  # a 工号 without a row in names is in no 人员汇总 row
    groups, pair = np.unique(key[counted], return_inverse=True)
    pairs = np.full(len(ids), -1, dtype=np.int64)
    pairs[counted] = pair
    return Layout(order, staff, pairs, groups // R)


def _rule_frame(people, rule: Rule, t: Term, names: tuple) -> RuleFrame | None:
    lo, hi = window(rule.period, t)
    subj, seg = subjects(people, rule, lo, hi)
    if subj.empty:
        return None
    plist = periods(rule.period, t)
    P = len(plist)
    # Active days: every merged segment against every period, summed per subject.
    act = active_days(seg["lo"].to_numpy()[:, None], seg["hi"].to_numpy()[:, None],
                      plist["start"].to_numpy()[None, :], plist["end"].to_numpy()[None, :], people.holidays)
    active = np.zeros((len(subj), P), dtype=np.int64)
    np.add.at(active, seg["subject"].to_numpy(), act)

    name, college = (col[subj["staff"].to_numpy()] for col in names)
    who = _decoded(people, subj)
    who.insert(1, "name", pd.Series(name, dtype=object, copy=False))
    who.insert(3, "college", pd.Series(college, dtype=object, copy=False))
    rep = lambda a: np.repeat(np.asarray(a), P)  # noqa: E731 — subject columns, one per period
    labels = plist["label"].to_numpy()
    details = {
        "staff_id": rep(who["staff_id"]), "name": rep(name), "role": rep(who["role"]), "college": rep(college),
        "rule": rule.id, "title": rule.title, "clause": rule.clause, "scope": rule.scope,
        "student_id": rep(who["student_id"]), "class": rep(who["class"]),
        "period": np.tile(labels, len(subj)),
        "period_start": pd.to_datetime(np.tile(plist["start"].to_numpy(), len(subj)), unit="D"),
        "period_end": pd.to_datetime(np.tile(plist["end"].to_numpy(), len(subj)), unit="D"),
        "active_days": active.reshape(-1), "calendar_days": np.tile(plist["calendar_days"].to_numpy(), len(subj)),
    }
    return RuleFrame(lo, hi, subj, plist, active, who, details)


def _rule_details(prep: Prepared, rule: Rule, t: Term, fr: RuleFrame, problems: Problems) -> pd.DataFrame:
    lo, hi, subj, plist, active = fr.lo, fr.hi, fr.subj, fr.plist, fr.active
    P = len(plist)

    bound = np.full((len(subj), P), np.nan if rule.bound is None else float(rule.bound))
    note = np.full(len(subj), "", dtype=object)
    ev_text, ev_rows, ev_count = evidence.blank(len(subj) * P), [None] * len(subj), np.full(len(subj), -1)  # -1: not from the log
    kind = MEASURES[rule.measure].kind
    if kind == "structural":
        value = np.repeat(measures.max_concurrent(prep, subj, lo, hi)[:, None], P, axis=1)
    else:
        row_window = None
        if kind == "deadline":
            row_window = (t.start - int(prep.pack.setting("deadline_window_days")),
                          t.start + int(prep.pack.setting("deadline_grace_days")))
        idx, pidx = measures.rows_in_periods(prep, rule, plist, row_window, subj)
        h = measures.hits(prep, rule, idx, pidx, subj)
        pairs = evidence.counted(prep, h, P)
        ev_text = evidence.period_texts(pairs, len(subj), P)
        ev_rows, ev_count = evidence.subject_rows(pairs, len(subj), P)
        value = measures.values(prep, rule, h, len(subj), P)
        if kind == "duties":
            value, bound, note = _duties(prep, rule, t, subj, h, P, problems)
        elif kind == "share":
            size = np.bincount(prep.roster["cls"].to_numpy()[prep.roster["cls"].to_numpy() >= 0],
                               minlength=len(prep.class_names) + 1)[subj["cls"].to_numpy()]
            for c in np.unique(subj["cls"].to_numpy()[size == 0]):
                problems.add("学生", None, "班级", prep.class_names[c],
                             f"班级“{prep.class_names[c]}”在学生表中没有学生，无法计算覆盖比例（规则 {rule.id}）",
                             "班级名单", "warning")
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(size[:, None] > 0, value / np.maximum(size, 1)[:, None], np.nan)

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
    details = _frame({
        **fr.details,
        "required": required.reshape(n), "value": value.reshape(n).astype(float),
        "bound": bound.reshape(n), "op": "<=" if rule.maximum is not None else ">=",
        "met": met.reshape(n), "shortfall": shortfall.reshape(n),
        "report_only": rule.report_only, "note": np.repeat(note, P), "evidence": ev_text,
    }, n)
    results = _subject_results(rule, fr.who, plist["label"].to_numpy(), required, met, value, shortfall, note)
    results["evidence_rows"], results["evidence_count"] = ev_rows, ev_count
    return details, results


def _subject_results(rule, who, labels, required, met, value, shortfall, note) -> pd.DataFrame:
    """Status per subject straight from its subjects × periods matrices."""
    n_req = required.sum(axis=1)
    n_met = met.sum(axis=1)
    missed = required & ~met & ~rule.report_only
    rows, cols = np.nonzero(missed)
    at = np.searchsorted(rows, np.arange(len(who) + 1))
    bounds = at.tolist()
    short = np.round(shortfall[rows, cols], 4)
    # per subject a slice of one flat list: np.split would make an array per subject first
    flat_labels, flat_short = list(labels[cols]), list(short)
    missed_periods = [flat_labels[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    shortfalls = [flat_short[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    # and joined as 合规汇总 prints them, in Arrow from the period and amount of each missed period
    shorts, which = np.unique(short, return_inverse=True)
    missed_text = joined_text(at, pa.array(labels, pa.large_string()).take(pa.array(cols)))
    shortfalls_text = joined_text(at, pa.array([number_text(x) for x in shorts.tolist()], pa.large_string())
                                  .take(pa.array(which.reshape(-1))))
    status = np.select([np.full(len(who), rule.report_only), n_req == 0, n_met == n_req],
                       ["report", "n/a", "met"], "missed")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where((n_req > 0) & ~rule.report_only, n_met / np.maximum(n_req, 1), np.nan)
    return _frame({
        **{c: who[c].to_numpy() for c in ("staff_id", "name", "role", "college")}, "rule": rule.id,
        "title": rule.title, "clause": rule.clause, "scope": rule.scope,
        "student_id": who["student_id"].to_numpy(), "class": who["class"].to_numpy(),
        "status": status, "required": n_req, "met": n_met, "rate": rate,
        "missed_periods": missed_periods, "shortfalls": shortfalls,
        "missed_text": missed_text, "shortfalls_text": shortfalls_text,
        "value": np.where(required, np.nan_to_num(value), 0.0).sum(axis=1),
        "report_only": rule.report_only, "note": note,
    }, len(who))


def number_text(v) -> str:
    """A number as 合规汇总 prints it (差额): a whole number without decimals, else 4 significant digits."""
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.4g}"


def joined_text(at: np.ndarray, items: pa.Array, mask: pa.Array | None = None):
    """A text column: entry i is ``items[at[i]:at[i + 1]]`` (text) joined with "、", None where it
    has none or ``mask`` says blank — lists as 合规汇总 prints them (here and ``results``)."""
    lists = pa.LargeListArray.from_arrays(pa.array(np.asarray(at, dtype=np.int64)), items.cast(pa.large_string()),
                                          mask=mask)
    joined = pc.binary_join(lists, pa.scalar("、", pa.large_string()))
    return text_column(pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.large_string()), joined))


def _decoded(prep: Prepared, subj: pd.DataFrame) -> pd.DataFrame:
    """Subjects with their codes turned back into 工号 / 学号 / 班级 text (None where blank)."""
    def text(codes, names):
        return np.where(codes >= 0, np.asarray(names, dtype=object)[np.maximum(codes, 0)], None) if len(names) \
            else np.full(len(codes), None, dtype=object)
    return _frame({"staff_id": prep.staff_ids[subj["staff"].to_numpy()], "role": subj["role"].to_numpy(dtype=object),
                   "student_id": text(subj["student"].to_numpy(), prep.student_ids),
                   "class": text(subj["cls"].to_numpy(), prep.class_names)}, len(subj))


def _duties(prep: Prepared, rule: Rule, t: Term, subj: pd.DataFrame, h, P: int, problems: Problems):
    """Every duty of the class's year of study logged at least once in the 学年."""
    grade = _class_grades(prep.roster)
    first_year = int(t.year.split("-")[0])
    logged = measures.logged_types(prep, h, len(subj))
    code_of = {name: k for k, name in enumerate(prep.type_names)}
    value = np.zeros((len(subj), P))
    bound = np.full((len(subj), P), np.nan)
    notes = []
    for i, c in enumerate(subj["cls"].to_numpy()):  # one iteration per class, not per log row
        g = grade.get(c)
        duties = rule.duties.get(first_year - int(g) + 1) if g is not None and pd.notna(g) else None
        name = prep.class_names[c]
        if duties is None:
            problems.add("学生", None, "年级", name, f"无法确定班级“{name}”的年级（学生表“年级”为空或不在 1–4 年级），"
                         f"规则 {rule.id} 不适用", "班级名单", "warning")
            notes.append("年级不明")
            continue
        done = {d for d in duties if d in code_of and logged[i, code_of[d]]}
        value[i, :], bound[i, :] = len(done), len(duties)
        missing = [d for d in duties if d not in done]
        y = first_year - int(g) + 1
        notes.append(f"{_ZH_YEAR[y]}年级职责" + (f"未记录：{'、'.join(missing)}" if missing else "均已记录"))
    return value, bound, np.array(notes, dtype=object)


def _class_grades(roster: pd.DataFrame) -> dict:
    """class code -> its 年级: the most common among its students, the smallest of a tie (what
    ``Series.mode().iloc[0]`` gives), counted for all classes at once."""
    r = roster.dropna(subset=["cls", "grade"])
    n = r.groupby(["cls", "grade"], sort=False).size().reset_index(name="n")
    n = n.sort_values(["cls", "n", "grade"], ascending=[True, False, True], kind="stable")
    first = n.drop_duplicates("cls")
    return dict(zip(first["cls"].tolist(), first["grade"].tolist()))


_ZH_YEAR = {1: "一", 2: "二", 3: "三", 4: "四"}


def _names_of_codes(people) -> tuple[np.ndarray, np.ndarray]:
    """姓名 and 学院 by staff code (NaN for a code without a row in ``names``): subjects are looked
    up by code, not by 工号 text over every detail row."""
    n = people.names
    at = pd.Index(people.staff_ids, dtype=object).get_indexer(n["staff_id"].to_numpy(dtype=object))
    row = np.full(len(people.staff_ids) + 1, -1, dtype=np.int64)  # code -> its row of names; -1: none
    row[at[at >= 0]] = np.flatnonzero(at >= 0)
    return tuple(np.append(n[col].to_numpy(dtype=object), np.nan)[row] for col in ("name", "college"))


DETAIL_COLS = ["staff_id", "name", "role", "college", "rule", "title", "clause", "scope", "student_id", "class",
               "period", "period_start", "period_end", "active_days", "calendar_days", "required", "value", "bound",
               "op", "met", "shortfall", "report_only", "note", "evidence"]
RESULT_COLS = ["staff_id", "name", "role", "college", "rule", "title", "clause", "scope", "student_id", "class",
               "status", "required", "met", "rate", "missed_periods", "shortfalls", "value", "report_only", "note",
               "evidence_rows", "evidence_count", "missed_text", "shortfalls_text"]


def _staff(results: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Per staff member: rules required/met and Σ met ÷ Σ required periods (report-only excluded);
    ``results`` sorted as ``layout.order`` sorts them."""
    rows = layout.pair >= 0
    g, G = layout.pair[rows], len(layout.pair_staff)
    required = results["required"].to_numpy(dtype=np.int64)[rows]

    def per(values, groups, n):
        return np.bincount(groups, weights=np.asarray(values, dtype=np.float64), minlength=n)

    req = per(required > 0, g, G) > 0  # the rule is required of them in some period
    ok = req & (per(results["status"].to_numpy(dtype=object)[rows] == "missed", g, G) == 0)
    S = len(layout.staff)
    s = layout.staff.copy()
    s["rules_required"] = per(req, layout.pair_staff, S).astype(np.int64)
    s["rules_met"] = per(ok, layout.pair_staff, S).astype(np.int64)
    s["periods_required"] = per(per(required, g, G), layout.pair_staff, S).astype(np.int64)
    s["periods_met"] = per(per(results["met"].to_numpy(dtype=np.int64)[rows], g, G), layout.pair_staff, S).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["rate"] = np.where(s["periods_required"] > 0, s["periods_met"] / s["periods_required"].clip(lower=1), np.nan)
    return s[["staff_id", "name", "role", "college", "rules_required", "rules_met",
              "periods_required", "periods_met", "rate"]]

