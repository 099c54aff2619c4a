"""Template contexts for each kind of document, built from the pipeline's results.

Inputs are the contracts of the other stages: ``ComplianceResult`` (engine/result.py),
the ``assess --json`` and ``awards --json`` dicts (workbook.md), the ``OfficeBook`` and the
``Pack``. Each builder returns ``DocJob``s: a context (Chinese keys, the template's
variables) and a file-name stem. Builders compute with pandas over whole frames (group-bys,
merges, explode); the only Python loops are over the documents being made.

Office settings come from the 设置 sheet (``book.settings``; ``settings`` overrides it):
发文机关, 发文机关标志, 单位名称, 主送机关, 发文字号前缀, 文号 (or a whole 发文字号),
成文日期, 整改期限.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.charts import MonthlyChart
from mentor_xl.documents.render import Picture
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.packs.measures import MEASURES
from mentor_xl.problems import FatalInputError
from mentor_xl.roster import person_roles


@dataclass
class DocJob:
    """One document to render: its template context and its file-name stem (made safe later)."""
    context: dict[str, Any]
    name: str
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. staff_id, month: for callers, not the template


# --- small formatters --------------------------------------------------------------------
def text(v: Any) -> str:
    """Cell value as document text: blanks (None/NaN/NA/NaT) → ''."""
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(v, (list, tuple)):
        return "、".join(t for t in (text(x) for x in v) if t)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return str(v).strip()


def number(v: Any, places: int = 2) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.{places}f}".rstrip("0").rstrip(".")


def text_series(s: pd.Series) -> pd.Series:
    """Vectorised ``text`` for a column of text/ids (blanks → '')."""
    return s.astype(object).where(s.notna(), "").astype(str).str.strip()


def number_series(s: pd.Series, places: int = 2) -> pd.Series:
    """Vectorised ``number``: 2.0 → '2', 1.25 → '1.25', NaN → ''."""
    f = pd.to_numeric(s, errors="coerce").round(places)
    out = f.astype(str).str.replace(r"\.0$", "", regex=True)
    return out.where(f.notna(), "")


def percent(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{float(v) * 100:.1f}%"


_CN_NUM = {"1": "一", "2": "二", "3": "三", "4": "四"}


def term_label(code: str) -> str:
    """``2024-2025-1`` → ``2024-2025学年第一学期``; a 学年 ``2024-2025`` → ``2024-2025学年``."""
    m = re.fullmatch(r"(\d{4}-\d{4})-(\d)", str(code))
    if m:
        return f"{m[1]}学年第{_CN_NUM.get(m[2], m[2])}学期"
    m = re.fullmatch(r"\d{4}-\d{4}", str(code))
    return f"{code}学年" if m else str(code)


def period_label(iso: str, period: str) -> str:
    """A period (labelled by its first day) in words: 2024年10月, 2024年9月2日—9月8日 …"""
    d = pd.Timestamp(iso)
    if period == "month":
        return G.cn_month(d)
    if period in ("week", "biweek"):
        # The term names the year; a week reads 10月7日—13日 (spans a month/year end: 12月30日—1月5日).
        end = d + pd.Timedelta(days=6 if period == "week" else 13)
        tail = f"{end.day}日" if end.month == d.month else f"{end.month}月{end.day}日"
        return f"{d.month}月{d.day}日—{tail}"
    return {"term": "本学期", "year": "本学年"}.get(period, G.cn_date(d))


def shortfall_text(measure: str, shortfall: Any) -> str:
    """What a missed period lacks, in the measure's own wording (packs.measures)."""
    m = MEASURES.get(measure)
    return m.shortfall(shortfall) if m is not None else "未达标"


def _width(s: str) -> float:
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in s)


def balanced_title(title: str, per_line: float = 19.5) -> str:
    """Break a long 公文 title into lines of similar length (GB/T 9704: 梯形/菱形, not a
    one-character last line); never inside a run of digits/Latin letters such as 2024-2025."""
    total = _width(title)
    if total <= per_line:
        return title
    lines_n = int(-(-total // per_line))
    out, rest = [], title
    for i in range(lines_n - 1):
        target = _width(rest) / (lines_n - i)
        best, best_d = None, None
        for k in range(1, len(rest)):
            if rest[k - 1].isascii() and rest[k].isascii() and (rest[k - 1].isalnum() or rest[k - 1] == "-"):
                continue  # keep 2024-2025, T001 … whole
            w = _width(rest[:k])
            if w > per_line:
                break
            d = abs(w - target) - (2.0 if rest[k - 1] in "年期、，的" else 0.0)  # natural break points
            if best_d is None or d < best_d:
                best, best_d = k, d
        if best is None:
            break
        out.append(rest[:best])
        rest = rest[best:]
    return "\n".join(out + [rest])


# --- settings and the notice header ------------------------------------------------------
def _settings(book, settings: dict | None) -> dict[str, str]:
    merged = dict(getattr(book, "settings", None) or {})
    merged.update({k: v for k, v in (settings or {}).items() if v is not None})
    return {k: text(v) for k, v in merged.items()}


def doc_date(s: dict[str, str], date=None) -> _dt.date:
    if date is not None:
        return G._as_date(date)
    if s.get("成文日期"):
        try:
            return G._as_date(s["成文日期"])
        except ValueError:
            raise FatalInputError(f"设置表“成文日期”的值“{s['成文日期']}”无法识别为日期（如 2024年9月1日）") from None
    return _dt.date.today()


def issuer(s: dict[str, str], pack: Pack) -> str:
    return s.get("发文机关") or s.get("单位名称") or pack.issuer or pack.institution


def notice_header(s: dict[str, str], pack: Pack, *, title: str, attachment: str, date: _dt.date) -> dict:
    """The 公文 parts every notice shares (标志, 字号, 标题, 主送, 落款, 日期, 附件说明)."""
    org = issuer(s, pack)
    return {
        "发文机关标志": s.get("发文机关标志") or f"{org}文件",
        "发文字号": _doc_number(s, date.year),
        "标题": balanced_title(title),
        "主送机关": (s.get("主送机关") or "各学院").rstrip("：:"),
        "发文机关": org,
        "单位名称": s.get("单位名称") or org,
        "成文日期": G.cn_date(date),
        "附件名称": attachment,
        "制度名称": pack.name,
        "制度文号": f"（{pack.document}）" if pack.document else "",
    }


def _doc_number(s: dict[str, str], year: int) -> str:
    try:
        return G.doc_number(s, year)
    except G.DocNumberError as e:
        raise FatalInputError(f"设置表“文号”的值“{s.get('文号') or s.get('发文字号')}”有误：{e}") from None


def role_names(pack: Pack, section: str | None = None) -> str:
    sec = {"assessment": pack.assessment, "eligibility": pack.eligibility}.get(section or "")
    roles = (sec.roles if sec is not None else None) or list(pack.roles)
    return "、".join(roles)


def _staff_frame(book) -> pd.DataFrame:
    df = book.frame("人员") if hasattr(book, "frame") else book.staff
    return df.dropna(subset=["工号"]).drop_duplicates("工号", keep="first").set_index("工号", drop=False).rename_axis(None)


def _role_sets(staff: pd.DataFrame, pack: Pack, book) -> pd.Series:
    """工号 → sorted pack roles the person holds on any of their 人员 rows (the one roster)."""
    held = person_roles(book.frame("人员") if hasattr(book, "frame") else book.staff, pack)
    return pd.Series([sorted(held.get(text(k)) or ()) for k in staff.index], index=staff.index, dtype=object)


def canonical_types(types: pd.Series, pack: Pack) -> pd.Series:
    """活动类型 as the pack names them (aliases such as 下午茶 → 导学互动交流); unknown kept as typed."""
    tmap = pack.type_map()
    u = pd.Series(types.dropna().unique(), dtype=object)
    m = dict(zip(u, u.map(lambda x: tmap.get(normalise_label(x), x))))
    return types.map(m)


# --- 考核结果通知 -------------------------------------------------------------------------
def assessment_notice_contexts(assessment: dict, book, pack: Pack, settings: dict | None = None, *,
                               date=None) -> list[DocJob]:
    """One notice with the results table (assess --json: results [{staff_id, score, tier, reasons}])."""
    s = _settings(book, settings)
    d = doc_date(s, date)
    period = term_label(assessment.get("year") or assessment.get("term") or s.get("学年", ""))
    roles = role_names(pack, "assessment")
    res = pd.DataFrame(assessment.get("results") or [], columns=["staff_id", "score", "tier", "reasons"])
    staff = _staff_frame(book)
    res = res.merge(staff[["工号", "姓名", "学院"]], left_on="staff_id", right_on="工号", how="left")
    tiers = list(pack.assessment.tiers)
    order = {t: i for i, t in enumerate(tiers + ["待定", "不计"])}
    res["_o"] = res["tier"].map(order).fillna(len(order))
    res = res.sort_values(["_o", "score", "staff_id"], ascending=[True, False, True], na_position="last")
    rows = pd.DataFrame({
        "序号": range(1, len(res) + 1),
        "工号": res["staff_id"].map(text).to_numpy(),
        "姓名": res["姓名"].map(text).to_numpy(),
        "学院": res["学院"].map(text).to_numpy(),
        "得分": res["score"].map(number).to_numpy(),
        "等次": res["tier"].map(text).to_numpy(),
        # The notice is public: the score's working stays in the results workbook; only an
        # undecided (待定) or not-assessed (不计) entry says why, in its first reason.
        "备注": [(_first_reason(r) if t in ("待定", "不计") else "") for r, t in zip(res["reasons"], res["tier"])],
    })
    counts = res.groupby("tier", sort=False).size()
    counts = counts.reindex(sorted(counts.index, key=lambda t: order.get(t, len(order))))
    ctx = notice_header(s, pack, title=f"关于公布{period}{roles}考核结果的通知",
                        attachment=f"{period}{roles}考核结果名单", date=d)
    ctx.update({
        "考核期间": period, "角色名称": roles, "考核人数": len(res),
        "等次统计": "、".join(f"{t}{n}人" for t, n in counts.items()) or "无",
        "考核结果": rows.to_dict("records"),
    })
    return [DocJob(ctx, f"{period}{roles}考核结果通知")]


def _first_reason(r) -> str:
    if isinstance(r, (list, tuple)):
        return text(r[0]) if r else ""
    return text(r)


# --- 表彰决定 -----------------------------------------------------------------------------
def award_decision_contexts(awards: dict, book, pack: Pack, settings: dict | None = None, *,
                            date=None) -> list[DocJob]:
    """One decision listing every ``ok`` award (awards --json), amounts in 万元 from whole 元."""
    from mentor_xl.money import format_wan
    s = _settings(book, settings)
    d = doc_date(s, date)
    period = term_label(awards.get("year") or s.get("学年", ""))
    cols = ["award", "staff_id", "college", "amount_yuan", "status", "reason"]
    a = pd.DataFrame(awards.get("awards") or [], columns=cols)
    a = a[a["status"] == "ok"].reset_index(drop=True)
    staff = _staff_frame(book)
    a = a.merge(staff[["工号", "姓名", "学院"]], left_on="staff_id", right_on="工号", how="left")
    totals = awards.get("totals") or []
    order = {t["award"]: i for i, t in enumerate(totals)}
    a["_o"] = a["award"].map(order).fillna(len(order))
    a = a.sort_values(["_o"], kind="stable")
    who = a["姓名"].where(a["staff_id"].notna() & a["姓名"].notna(), a["college"])
    college = a["college"].where(a["college"].notna(), a["学院"]).where(a["staff_id"].notna(), "")
    rows = pd.DataFrame({
        "序号": range(1, len(a) + 1),
        "奖项": a["award"].map(text).to_numpy(),
        "获奖者": who.map(text).to_numpy(),
        "学院": college.map(text).to_numpy(),
        "金额万元": a["amount_yuan"].map(lambda y: format_wan(int(y))).to_numpy(),
    })
    total = int(awards.get("total_yuan") or a["amount_yuan"].sum() or 0)
    stat = "、".join(f"{t['award']}{t['count']}名" for t in totals if t.get("count"))
    ctx = notice_header(s, pack, title=f"关于表彰{period}优秀导师的决定",
                        attachment=f"{period}导师表彰名单", date=d)
    ctx.update({"考核期间": period, "获奖人数": len(a), "奖项统计": stat or "无",
                "合计万元": format_wan(total), "合计元": str(total), "获奖名单": rows.to_dict("records")})
    return [DocJob(ctx, f"{period}导师表彰决定")]


# --- 聘任通知 -----------------------------------------------------------------------------
def _span(terms: pd.DataFrame | None, year: str | None, term: str | None, *, strict: bool = True):
    """(start, end, label) of a 学年 or 学期 resolved against the 学期 sheet (periods); Nones when
    not given. ``strict``: one the sheet does not list stops (an explicit --term/--year)."""
    from mentor_xl.periods import find_term, find_year, timestamp

    if not (year or term):
        return None, None, ""
    try:
        span = find_term(terms, term) if term else find_year(terms, year)
    except FatalInputError:
        if strict and terms is not None and not terms.empty:
            raise
        return None, None, term_label(term or year)
    return timestamp(span.start), timestamp(span.end), term_label(span.code)


def appointment_notice_contexts(book, pack: Pack, settings: dict | None = None, *, year: str | None = None,
                                term: str | None = None, date=None) -> list[DocJob]:
    """One notice listing the staff with one of the pack's roles appointed in the 学年/学期."""
    s = _settings(book, settings)
    d = doc_date(s, date)
    strict = bool(year or term)  # the 设置 学年 is a default, not a request
    year = year or (None if term else s.get("学年"))
    start, end, label = _span(book.frame("学期") if hasattr(book, "frame") else book.terms, year, term, strict=strict)
    staff = _staff_frame(book)
    roles = _role_sets(staff, pack, book)
    keep = roles.map(lambda r: isinstance(r, list) and bool(r))
    if start is not None:
        begins, ends = staff["聘任开始"], staff["聘任结束"]
        keep &= (begins.isna() | (begins <= end)) & (ends.isna() | (ends >= start))
        keep &= staff["撤销日期"].isna() | (staff["撤销日期"] > start)
    else:
        keep &= staff["撤销日期"].isna()
    sel = staff[keep.fillna(False).astype(bool)].sort_values(["学院", "工号"], na_position="last")
    b = sel["聘任开始"].map(lambda v: G.cn_month(v) if pd.notna(v) else "")
    e = sel["聘任结束"].map(lambda v: G.cn_month(v) if pd.notna(v) else "")
    span = (b + "—" + e).where((b != "") | (e != ""), "").str.replace(r"^—|—$", "", regex=True)
    rows = pd.DataFrame({
        "序号": range(1, len(sel) + 1),
        "工号": sel["工号"].map(text).to_numpy(), "姓名": sel["姓名"].map(text).to_numpy(),
        "学院": sel["学院"].map(text).to_numpy(), "职称": sel["职称"].map(text).to_numpy(),
        "角色": roles[sel.index].map("、".join).to_numpy(), "聘期": span.to_numpy(),
    })
    rn = role_names(pack)
    ctx = notice_header(s, pack, title=f"关于聘任{label}{rn}的通知", attachment=f"{label}{rn}名单", date=d)
    ctx.update({"聘任期间": label, "角色名称": rn, "聘任人数": len(rows), "聘任名单": rows.to_dict("records")})
    return [DocJob(ctx, f"{label}{rn}聘任通知")]


# --- 整改提醒 -----------------------------------------------------------------------------
def _rule_info(pack: Pack, rule_ids) -> pd.DataFrame:
    rows = []
    for rid in pd.unique(pd.Series(list(rule_ids), dtype=object)):
        try:
            r = pack.rule(rid)
            rows.append((rid, r.title, r.clause, r.text, r.measure, r.period, r.scope))
        except KeyError:
            rows.append((rid, rid, "", "", "count", "term", "staff"))
    return pd.DataFrame(rows, columns=["rule", "r_title", "r_clause", "r_text", "measure", "period", "r_scope"]
                        ).set_index("rule")


def _subject(df: pd.DataFrame, students: pd.DataFrame | None) -> pd.Series:
    names = (students.drop_duplicates("学号").set_index("学号")["姓名"]
             if students is not None and not students.empty else pd.Series(dtype=object))
    sid = df["student_id"].map(text)
    sname = sid.map(names).map(text)
    pair = "学生" + sname.where(sname != "", "") + "（" + sid + "）"
    cls = "班级" + df["class"].map(text)
    return pd.Series(pd.NA, index=df.index, dtype=object).where(
        sid == "", pair).where((sid != "") | (df["class"].map(text) == ""), cls).fillna("本人")


def reminder_contexts(result, book, pack: Pack, settings: dict | None = None, *, date=None,
                      include_all: bool = False) -> list[DocJob]:
    """One 整改提醒 per mentor with a missed rule, listing each rule, subject and missed period.

    ``include_all`` also makes one for every assessed mentor with nothing missed (it says so).
    """
    s = _settings(book, settings)
    d = doc_date(s, date)
    deadline = G.cn_date(G._as_date(s["整改期限"])) if s.get("整改期限") else G.cn_date(d + _dt.timedelta(days=14))
    tlabel = term_label(result.term)
    r = result.results
    missed = r[(r["status"] == "missed") & ~r["report_only"].astype(bool)].copy()
    info = _rule_info(pack, missed["rule"])
    missed = missed.join(info, on="rule")
    missed["对象"] = _subject(missed, book.frame("学生") if hasattr(book, "frame") else book.students)
    # one line per missed period: "2024年10月：差1次"
    ex = missed[["missed_periods", "shortfalls", "period", "measure", "note"]].explode(
        ["missed_periods", "shortfalls"]) if len(missed) else missed
    if len(ex):
        lab = [period_label(p, k) if isinstance(p, str) and p else "" for p, k in zip(ex["missed_periods"], ex["period"])]
        sf = [shortfall_text(m, x) for m, x in zip(ex["measure"], ex["shortfalls"])]
        ex = ex.assign(line=[f"{a}：{b}" if a else b for a, b in zip(lab, sf)])
        lines = ex.groupby(level=0)["line"].agg("\n".join)
        missed["未达标周期"] = lines.reindex(missed.index).fillna("")
        note = missed["note"].map(text)
        missed["未达标周期"] = missed["未达标周期"].where(note == "", missed["未达标周期"] + "\n" + note).str.strip()
    else:
        missed["未达标周期"] = pd.Series(dtype=object)
    missed["规则"] = missed["r_title"] + missed["r_clause"].map(lambda c: f"（第{c}条）" if c else "")
    missed = missed.sort_values(["staff_id", "rule", "student_id", "class"], na_position="first")
    staff = result.staff.set_index("staff_id", drop=False)
    ids = list(pd.unique(missed["staff_id"]))
    if include_all:
        assessed = staff[staff["periods_required"] > 0]["staff_id"]
        ids += [x for x in assessed if x not in set(ids)]
    groups = {k: g for k, g in missed.groupby("staff_id", sort=False)}
    jobs = []
    for sid in ids:
        g = groups.get(sid, missed.iloc[0:0])
        st = staff.loc[sid] if sid in staff.index else {}
        name = text(st.get("name", "")) if len(st) else ""
        rows = pd.DataFrame({"序号": range(1, len(g) + 1), "规则": g["规则"].to_numpy(),
                             "要求": g["r_text"].map(text).to_numpy(), "对象": g["对象"].to_numpy(),
                             "未达标周期": g["未达标周期"].to_numpy()})
        role = text(st.get("role", "")) if len(st) else ""
        ctx = {
            "标题": balanced_title(f"{role or '导师'}工作整改提醒"), "姓名": name, "工号": text(sid),
            "学院": text(st.get("college", "")) if len(st) else "", "角色": role, "学期名称": tlabel,
            "制度名称": pack.name, "核查日期": G.cn_date(d), "整改期限": deadline,
            "未达标条数": int(g["rule"].nunique()), "未达标项目": rows.to_dict("records"),
            "发文机关": issuer(s, pack), "成文日期": G.cn_date(d),
        }
        jobs.append(DocJob(ctx, f"{sid}-{name}-整改提醒", {"staff_id": sid}))
    return jobs


# --- 学期工作总结 -------------------------------------------------------------------------
STATUS_CN = {"met": "达标", "missed": "未达标", "n/a": "不适用", "report": "仅统计"}


def term_summary_contexts(result, book, pack: Pack, settings: dict | None = None, *, date=None,
                          chart_width_mm: float = 150) -> list[DocJob]:
    """One summary per staff member of the compliance result, with a chart of their months."""
    s = _settings(book, settings)
    d = doc_date(s, date)
    tlabel = term_label(result.term)
    t0, t1 = pd.Timestamp(result.term_start), pd.Timestamp(result.term_end)
    months = pd.period_range(t0, t1, freq="M")
    mlabels = tuple(f"{m.month}月" for m in months)

    log = book.frame("活动记录") if hasattr(book, "frame") else book.log
    log = log[(log["日期"] >= t0) & (log["日期"] <= t1)]
    hours = log["时长"].fillna(0.0) if "时长" in log else pd.Series(0.0, index=log.index)
    lg = pd.DataFrame({"工号": log["工号"], "m": log["日期"].dt.to_period("M"),
                       "类型": canonical_types(log["活动类型"], pack), "h": hours})
    per_month = lg.groupby(["工号", "m"]).agg(n=("h", "size"), h=("h", "sum"))
    per_type = lg.groupby(["工号", "类型"]).agg(n=("h", "size"), h=("h", "sum")).reset_index()

    det = result.details
    det = det[det["required"].astype(bool)]
    dm = pd.DataFrame({"staff_id": det["staff_id"], "m": pd.to_datetime(det["period_start"]).dt.to_period("M"),
                       "met": det["met"].astype(bool)})
    rate_m = dm.groupby(["staff_id", "m"])["met"].agg(["sum", "size"])

    r = result.results.copy()
    r["missed_periods"] = r["missed_periods"].map(lambda v: list(v) if isinstance(v, (list, tuple)) else [])
    agg = r.groupby(["staff_id", "rule"], sort=False).agg(
        title=("title", "first"), clause=("clause", "first"), required=("required", "sum"),
        met=("met", "sum"), statuses=("status", lambda x: set(x)),
        periods=("missed_periods", lambda x: sorted({p for ps in x for p in ps}))).reset_index()
    agg["状态"] = agg["statuses"].map(
        lambda st: "未达标" if "missed" in st else "达标" if "met" in st else "仅统计" if "report" in st else "不适用")
    info = _rule_info(pack, agg["rule"])
    agg = agg.join(info[["period"]], on="rule")
    agg["未达标周期"] = [("、".join(period_label(p, k) for p in ps[:4]) + (f"等{len(ps)}个" if len(ps) > 4 else ""))
                    for ps, k in zip(agg["periods"], agg["period"])]

    by_rule = {k: g for k, g in agg.groupby("staff_id", sort=False)}
    by_type = {k: g.sort_values("n", ascending=False, kind="stable") for k, g in per_type.groupby("工号", sort=False)}
    empty_rule, empty_type = agg.iloc[0:0], per_type.iloc[0:0]
    jobs = []
    for st in result.staff.itertuples(index=False):
        sid = st.staff_id
        a = by_rule.get(sid, empty_rule)
        pm = per_month.loc[sid] if sid in per_month.index.get_level_values(0) else None
        acts = tuple(int(pm["n"].get(m, 0)) if pm is not None else 0 for m in months)
        hrs = tuple(float(pm["h"].get(m, 0.0)) if pm is not None else 0.0 for m in months)
        rm = rate_m.loc[sid] if sid in rate_m.index.get_level_values(0) else None
        rates = tuple((float(rm.loc[m, "sum"]) / float(rm.loc[m, "size"])) if rm is not None and m in rm.index else None
                      for m in months)
        pt = by_type.get(sid, empty_type)
        chart = MonthlyChart(title=f"{text(st.name)} {tlabel}各月工作情况", months=mlabels, activities=acts,
                             hours=hrs, rates=rates)
        ctx = {
            "标题": balanced_title(f"{text(st.role) or '导师'}工作总结"), "姓名": text(st.name), "工号": text(sid),
            "学院": text(st.college), "角色": text(st.role), "学期名称": tlabel,
            "学期起止": f"{G.cn_date(t0)}—{G.cn_date(t1)}",
            "活动总数": int(sum(acts)), "总时长": number(sum(hrs)),
            "应达标规则数": int(st.rules_required), "达标规则数": int(st.rules_met),
            "应达标周期数": int(st.periods_required), "达标周期数": int(st.periods_met),
            "合规率": percent(st.rate),
            "图表": Picture(chart, width_mm=chart_width_mm, descr=chart.title),
            "规则情况": pd.DataFrame({
                "序号": range(1, len(a) + 1),
                "规则": a["title"].map(text).to_numpy(), "条款": a["clause"].map(text).to_numpy(),
                "达标周期": [f"{int(m)}/{int(q)}" if q and st_ != "仅统计" else "—"
                         for m, q, st_ in zip(a["met"], a["required"], a["状态"])],
                "状态": a["状态"].to_numpy(), "未达标周期": a["未达标周期"].to_numpy()}).to_dict("records"),
            "活动统计": pd.DataFrame({"类型": pt["类型"].map(text).to_numpy(), "次数": pt["n"].astype(int).to_numpy(),
                                  "时长": pt["h"].map(number).to_numpy()}).to_dict("records"),
            "发文机关": issuer(s, pack), "成文日期": G.cn_date(d),
        }
        jobs.append(DocJob(ctx, f"{sid}-{text(st.name)}-学期工作总结", {"staff_id": sid}))
    return jobs


# --- 工作记录表 (hfut-math 附件1) ----------------------------------------------------------
def _classes_by_staff(book) -> pd.Series:
    asg = book.frame("指导关系")
    stu = book.frame("学生")
    direct = asg[["工号", "班级"]].dropna()
    via = asg[["工号", "学号"]].dropna().merge(stu[["学号", "班级"]].dropna(), on="学号")[["工号", "班级"]]
    both = pd.concat([direct, via]).drop_duplicates()
    return both.groupby("工号")["班级"].agg(lambda x: "、".join(sorted(map(str, x))))


def _term_hours_minimum(pack: Pack) -> str:
    for r in pack.rules:
        if r.measure == "sum:时长" and r.period == "term" and r.minimum is not None:
            return number(r.minimum)
    return ""


def work_record_contexts(book, pack: Pack, settings: dict | None = None, *, term: str,
                         month: str | None = None, date=None) -> list[DocJob]:
    """One 工作记录表 per mentor (a pack role) per month of ``term`` (or only ``month``, ``2024-10``)."""
    from mentor_xl.periods import find_term, timestamp
    s = _settings(book, settings)
    d = doc_date(s, date)
    t = find_term(book.frame("学期"), term)
    t0, t1 = timestamp(t.start), timestamp(t.end)
    all_months = pd.period_range(t0, t1, freq="M")
    months = list(all_months)
    if month:
        want = pd.Period(str(month).replace("年", "-").replace("月", ""), freq="M")
        months = [m for m in months if m == want]
    staff = _staff_frame(book)
    roles = _role_sets(staff, pack, book)
    staff = staff[roles.map(lambda x: isinstance(x, list) and bool(x))]
    staff = staff[staff["撤销日期"].isna() | (staff["撤销日期"] > t0)].sort_values("工号")

    log = book.frame("活动记录")
    log = log[(log["日期"] >= t0) & (log["日期"] <= t1) & log["工号"].isin(staff.index)]
    stu_names = book.frame("学生").drop_duplicates("学号").set_index("学号")["姓名"]
    exploded = log["学号"].explode().dropna()  # 学号 lists → one row per student, same index
    who = exploded.map(stu_names).fillna(exploded).astype(str).groupby(level=0).agg("、".join)
    names = who.reindex(log.index).fillna("")
    cls = text_series(log["班级"])
    target = cls.where(names == "", (cls + " " + names).str.strip())
    if "宿舍" in log:
        dorm = text_series(log["宿舍"])
        target = target.where(dorm == "", (target + " 宿舍" + dorm).str.strip())
    lg = pd.DataFrame({
        "工号": log["工号"], "m": log["日期"].dt.to_period("M"), "d": log["日期"],
        "日期": log["日期"].dt.month.astype(str) + "月" + log["日期"].dt.day.astype(str) + "日",
        "类型": text_series(canonical_types(log["活动类型"], pack)), "地点": text_series(log["地点"]),
        "对象": target, "h": log["时长"].fillna(0.0), "时长": number_series(log["时长"]),
        "p": log["人次"].fillna(1.0) if "人次" in log else 1.0, "内容": text_series(log["内容"]),
    }).sort_values(["工号", "d"], kind="stable")
    stats = lg.groupby(["工号", "m", "类型"]).agg(次数=("h", "size"), 人次=("p", "sum"), 时长=("h", "sum"))
    month_h = lg.groupby(["工号", "m"])["h"].sum()
    cum = month_h.groupby(level=0).cumsum()
    recs = {k: g[["日期", "类型", "地点", "对象", "时长", "内容"]].to_dict("records")
            for k, g in lg.groupby(["工号", "m"], sort=False)}
    stat_rows = {k: pd.DataFrame({"项目": g.index.get_level_values(2), "次数": g["次数"].astype(int).to_numpy(),
                                  "人次": g["人次"].map(number).to_numpy(), "时长": g["时长"].map(number).to_numpy()}
                                 ).to_dict("records")
                 for k, g in stats.groupby(level=[0, 1], sort=False)}
    # cumulative hours up to each month, every month of the term present (0 when nothing logged)
    grid = pd.MultiIndex.from_product([staff.index, all_months])
    cum = month_h.reindex(grid, fill_value=0.0).groupby(level=0).cumsum() if len(grid) else month_h
    classes = _classes_by_staff(book)
    minimum = _term_hours_minimum(pack)
    unit = s.get("单位名称") or pack.institution
    jobs = []
    for sid, st in staff.iterrows():
        for m in months:
            rows = recs.get((sid, m), [])
            srows = stat_rows.get((sid, m), [])
            done = float(cum.get((sid, m), 0.0))
            ctx = {
                "单位名称": unit, "姓名": text(st["姓名"]), "工号": text(sid),
                "所带班级": text(classes.get(sid, "")), "月份": G.cn_month(m.start_time),
                "记录": rows, "统计": srows, "本月次数": len(rows),
                "本月时长": number(month_h.get((sid, m), 0.0)), "累计时长": number(done),
                "学期要求时长": minimum or "—", "填表日期": G.cn_date(d),
            }
            jobs.append(DocJob(ctx, f"{sid}-{text(st['姓名'])}-{G.cn_month(m.start_time)}-工作记录表",
                               {"staff_id": sid, "month": str(m)}))
    return jobs


# --- 班级导师申报表 (lctc-2024 附件) -------------------------------------------------------
def application_form_contexts(book, pack: Pack, settings: dict | None = None, *, date=None) -> list[DocJob]:
    """One 申报表 per staff member with one of the pack's roles, pre-filled from 人员."""
    s = _settings(book, settings)
    d = doc_date(s, date)
    staff = _staff_frame(book)
    roles = _role_sets(staff, pack, book)
    staff = staff[roles.map(lambda x: isinstance(x, list) and bool(x)) & staff["撤销日期"].isna()].sort_values("工号")

    def col(name: str) -> pd.Series:
        return staff[name].map(text) if name in staff else pd.Series("", index=staff.index)

    birth = staff["出生日期"].map(lambda v: G.cn_month(v) if pd.notna(v) else "")
    title = (col("职称") + "/" + col("职务")).str.strip("/")
    years = staff["班主任年限"].map(lambda v: f"担任班主任{number(v)}年" if pd.notna(v) and v else "")
    honours = col("荣誉").map(lambda h: f"所获荣誉：{h}" if h else "")
    merit = (honours + "\n" + years).str.strip("\n")
    jobs = []
    for sid in staff.index:
        ctx = {
            "姓名": col("姓名")[sid], "性别": col("性别")[sid], "出生年月": birth[sid], "民族": col("民族")[sid],
            "学历": col("学历")[sid], "政治面貌": col("政治面貌")[sid], "专业": col("专业")[sid],
            "职称职务": title[sid], "联系电话": col("联系电话")[sid],
            "学习工作经历": col("学习工作经历")[sid], "工作业绩": merit[sid], "填报年月": G.cn_month(d),
        }
        jobs.append(DocJob(ctx, f"{sid}-{ctx['姓名']}-班级导师申报表", {"staff_id": sid}))
    return jobs
