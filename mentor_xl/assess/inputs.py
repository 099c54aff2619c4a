"""The inputs of an assessment read from the book: rates from compliance, 测评, 组织考核,
班级量化, paired classes and active days (periods.staff_active_days, as the engine)."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pandas as pd

from mentor_xl import periods
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.problems import Problems
from mentor_xl.roster import blank as _blank, text as _text
from mentor_xl.assess.text import _share


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
            _over(problems, "测评", r, "参评人数", "应参评人数", f"工号 {sid} {key}", "多于")
            _percent(problems, "测评", r, "满意度", f"工号 {sid} {key} 的满意度")
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


def _over(problems: Problems, sheet: str, r: dict, col: str, total: str, who: str, verb: str) -> None:
    """A count above its total (参评人数 > 应参评人数, 排名 > 年级班级数): reported, the row kept."""
    n, m = r.get(col), r.get(total)
    if not _blank(n) and not _blank(m) and int(n) > int(m):
        problems.add(sheet, _row(r), col, int(n), f"{who} 的{col} {int(n)} {verb}{total} {int(m)}", "数据矛盾")


def _percent(problems: Problems, sheet: str, r: dict, col: str, what: str) -> None:
    """A 0–100 score outside that range (满意度, 组织考核得分): a warning, the row kept."""
    s = r.get(col)
    if not _blank(s) and not (0 <= float(s) <= 100):
        problems.add(sheet, _row(r), col, s, f"{what} {s} 不在0–100之间", "数据范围", "warning")


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
        _percent(problems, "组织考核", r, "得分", f"工号 {sid} 的组织考核得分")
        out[sid] = r
    return out


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
            _over(problems, "班级量化", r, "排名", "年级班级数", f"班级 {c} {t}", "大于")
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
