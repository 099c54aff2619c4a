"""学期工作总结: one per staff member of a term's compliance result, with a monthly chart."""
from __future__ import annotations

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.charts import MonthlyChart
from mentor_xl.documents.fmt import clause_label, number, percent, period_label, term_label, text
from mentor_xl.documents.frames import canonical_types, rule_info
from mentor_xl.documents.header import issuer, last_working_day, merged_settings, told_date, with_settings
from mentor_xl.documents.job import DocJob
from mentor_xl.documents.render import Picture
from mentor_xl.documents.titles import balanced_title
from mentor_xl.documents.wording import wording
from mentor_xl.packs import Pack


STATUS_CN = {"met": "达标", "missed": "未达标", "n/a": "不适用", "report": "仅统计"}


def term_summary_contexts(result, book, pack: Pack, settings: dict | None = None, *, date=None,
                          chart_width_mm: float = 150) -> list[DocJob]:
    """One summary per staff member of the compliance result, with a chart of their months."""
    s = merged_settings(book, settings)
    # Signed by the mentor at the end of the term (the term's last working day) unless told.
    d = told_date({}, date) or last_working_day(result.term_start, result.term_end,
                                               book.frame("假期") if hasattr(book, "frame") else None)
    units = wording(pack, "clause_units")
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
    info = rule_info(pack, agg["rule"])
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
                "规则": a["title"].map(text).to_numpy(), "条款": a["clause"].map(lambda c: clause_label(text(c), units)).to_numpy(),
                "达标周期": [f"{int(m)}/{int(q)}" if q and st_ != "仅统计" else "—"
                         for m, q, st_ in zip(a["met"], a["required"], a["状态"])],
                "状态": a["状态"].to_numpy(), "未达标周期": a["未达标周期"].to_numpy()}).to_dict("records"),
            "活动统计": pd.DataFrame({"类型": pt["类型"].map(text).to_numpy(), "次数": pt["n"].astype(int).to_numpy(),
                                  "时长": pt["h"].map(number).to_numpy()}).to_dict("records"),
            "发文机关": issuer(s, pack), "成文日期": G.cn_date(d),
        }
        jobs.append(DocJob(with_settings(ctx, s), f"{sid}-{text(st.name)}-学期工作总结", {"staff_id": sid}))
    return jobs
