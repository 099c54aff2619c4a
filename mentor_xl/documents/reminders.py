"""整改提醒: one per mentor with a missed rule, as one compact table (rule, clause once, what was missed)."""
from __future__ import annotations

import datetime as _dt

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import clause_label, period_label, shortfall_text, term_label, text
from mentor_xl.documents.frames import rule_info, subject_labels
from mentor_xl.documents.header import (issuer, last_working_day, merged_settings, signature, told_date,
                                        with_settings)
from mentor_xl.documents.job import DocJob
from mentor_xl.documents.titles import balanced_title
from mentor_xl.documents.wording import wording
from mentor_xl.packs import Pack


def check_date(result, s: dict, date=None, holidays=None) -> _dt.date:
    """核查日期: the date the office gave, else today but no later than the term's last working day."""
    told = told_date({}, date)  # only --date: 设置's 成文日期 dates the notices
    if told is not None:
        return told
    end = pd.Timestamp(result.term_end).date()
    today = _dt.date.today()
    return today if today <= end else last_working_day(pd.Timestamp(result.term_start), end, holidays)


def _short_period(iso: str, period: str) -> str:
    """Inside one term the year is known: 10月, 9月2日—8日, 本学期."""
    if period == "month":
        return f"{pd.Timestamp(iso).month}月"
    return period_label(iso, period)


def missed_lines(missed: pd.DataFrame) -> pd.Series:
    """Per missed (staff, rule, subject) row: its periods grouped by shortfall, as one line:
    "10月、11月各差1次；12月差2次" (the note of the rule, if any, after it)."""
    if not len(missed):
        return pd.Series(dtype=object)
    ex = missed[["missed_periods", "shortfalls", "period", "measure"]].explode(["missed_periods", "shortfalls"])
    ex = ex.assign(
        p=[_short_period(p, k) if isinstance(p, str) and p else "" for p, k in zip(ex["missed_periods"], ex["period"])],
        sf=[shortfall_text(m, x) for m, x in zip(ex["measure"], ex["shortfalls"])])
    ex["key"] = ex.index
    grouped = ex.groupby(["key", "sf"], sort=False)["p"].agg(lambda ps: [p for p in ps if p])
    parts = [("、".join(ps) + ("各" if len(ps) > 1 and not sf.startswith("未") else "") + sf) if ps else sf
             for (_, sf), ps in grouped.items()]
    lines = pd.Series(parts, index=grouped.index.get_level_values(0)).groupby(level=0, sort=False).agg("；".join)
    lines = lines.reindex(missed.index).fillna("")
    note = missed["note"].map(text)
    return lines.where(note == "", lines + "（" + note + "）")


def reminder_contexts(result, book, pack: Pack, settings: dict | None = None, *, date=None,
                      include_all: bool = False) -> list[DocJob]:
    """One 整改提醒 per mentor with a missed rule: one row per rule (its clause once), the
    subjects with the same misses merged into one line.

    ``include_all`` also makes one for every assessed mentor with nothing missed (it says so).
    """
    s = merged_settings(book, settings)
    holidays = book.frame("假期") if hasattr(book, "frame") else None
    d = check_date(result, s, date, holidays)
    deadline = G.cn_date(G._as_date(s["整改期限"])) if s.get("整改期限") else G.cn_date(d + _dt.timedelta(days=14))
    tlabel = term_label(result.term)
    r = result.results
    missed = r[(r["status"] == "missed") & ~r["report_only"].astype(bool)].copy()
    info = rule_info(pack, missed["rule"])
    missed = missed.join(info, on="rule")
    missed["对象"] = subject_labels(missed, book.frame("学生") if hasattr(book, "frame") else book.students)
    missed["line"] = missed_lines(missed)
    missed = missed.sort_values(["staff_id", "rule", "student_id", "class"], na_position="first")
    # subjects with the same line are merged: "学生甲（S1）、学生乙（S2）：10月差1次"
    per_line = (missed.groupby(["staff_id", "rule", "line"], sort=False)["对象"]
                .agg(lambda x: "、".join(o for o in x if o != "本人")).reset_index())
    per_line["text"] = [f"{who}：{ln}" if who else ln for who, ln in zip(per_line["对象"], per_line["line"])]
    per_rule = per_line.groupby(["staff_id", "rule"], sort=False).agg(
        text=("text", "\n".join), who=("对象", lambda x: "、".join(o for o in x if o))).reset_index()
    per_rule = per_rule.join(info, on="rule")
    units = wording(pack, "clause_units")
    per_rule["条款"] = per_rule["r_clause"].map(lambda c: clause_label(c, units))
    staff = result.staff.set_index("staff_id", drop=False)
    ids = list(pd.unique(per_rule["staff_id"]))
    if include_all:
        assessed = staff[staff["periods_required"] > 0]["staff_id"]
        ids += [x for x in assessed if x not in set(ids)]
    groups = {k: g for k, g in per_rule.groupby("staff_id", sort=False)}
    org = issuer(s, pack)
    jobs = []
    for sid in ids:
        g = groups.get(sid, per_rule.iloc[0:0])
        st = staff.loc[sid] if sid in staff.index else {}
        name = text(st.get("name", "")) if len(st) else ""
        role = text(st.get("role", "")) if len(st) else ""
        rows = pd.DataFrame({"序号": range(1, len(g) + 1), "规则": g["r_title"].map(text).to_numpy(),
                             "条款": g["条款"].to_numpy(), "要求": g["r_text"].map(text).to_numpy(),
                             "未达标情况": g["text"].to_numpy(),
                             # the fields of earlier templates, kept for offices' own copies
                             "对象": g["who"].to_numpy(), "未达标周期": g["text"].to_numpy()})
        ctx = {
            "标题": balanced_title([role or "导师", "工作整改提醒"]), "姓名": name, "工号": text(sid),
            "学院": text(st.get("college", "")) if len(st) else "", "角色": role, "学期名称": tlabel,
            "制度名称": pack.name, "核查日期": G.cn_date(d), "整改期限": deadline,
            "未达标条数": len(g), "未达标项目": rows.to_dict("records"),
            "发文机关": org, "成文日期": G.cn_date(d), **signature(org, d),
        }
        jobs.append(DocJob(with_settings(ctx, s), f"{sid}-{name}-整改提醒", {"staff_id": sid}))
    return jobs
