"""整改提醒: one per mentor with a missed rule."""
from __future__ import annotations

import datetime as _dt

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import period_label, shortfall_text, term_label, text
from mentor_xl.documents.frames import rule_info, subject_labels
from mentor_xl.documents.header import doc_date, issuer, merged_settings
from mentor_xl.documents.job import DocJob
from mentor_xl.documents.titles import balanced_title
from mentor_xl.packs import Pack


def reminder_contexts(result, book, pack: Pack, settings: dict | None = None, *, date=None,
                      include_all: bool = False) -> list[DocJob]:
    """One 整改提醒 per mentor with a missed rule, listing each rule, subject and missed period.

    ``include_all`` also makes one for every assessed mentor with nothing missed (it says so).
    """
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    deadline = G.cn_date(G._as_date(s["整改期限"])) if s.get("整改期限") else G.cn_date(d + _dt.timedelta(days=14))
    tlabel = term_label(result.term)
    r = result.results
    missed = r[(r["status"] == "missed") & ~r["report_only"].astype(bool)].copy()
    info = rule_info(pack, missed["rule"])
    missed = missed.join(info, on="rule")
    missed["对象"] = subject_labels(missed, book.frame("学生") if hasattr(book, "frame") else book.students)
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
