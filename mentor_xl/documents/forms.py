"""Forms filled per person: 工作记录表 (hfut-math 附件1), 班级导师申报表 (lctc-2024 附件)."""
from __future__ import annotations

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import number, number_series, text, text_series
from mentor_xl.documents.frames import canonical_types, classes_by_staff, role_sets, staff_frame, term_hours_minimum
from mentor_xl.documents.header import doc_date, last_working_day, merged_settings, told_date, with_settings
from mentor_xl.documents.job import DocJob
from mentor_xl.packs import Pack


def work_record_contexts(book, pack: Pack, settings: dict | None = None, *, term: str,
                         month: str | None = None, date=None) -> list[DocJob]:
    """One 工作记录表 per mentor (a pack role) per month of ``term`` (or only ``month``, ``2024-10``)."""
    from mentor_xl.periods import find_term, timestamp
    s = merged_settings(book, settings)
    told = told_date({}, date)  # only --date; else each month's form is dated its last working day
    holidays = book.frame("假期")
    t = find_term(book.frame("学期"), term)
    t0, t1 = timestamp(t.start), timestamp(t.end)
    all_months = pd.period_range(t0, t1, freq="M")
    months = list(all_months)
    if month:
        want = pd.Period(str(month).replace("年", "-").replace("月", ""), freq="M")
        months = [m for m in months if m == want]
    staff = staff_frame(book)
    roles = role_sets(staff, pack, book)
    staff = staff[roles.notna().to_numpy()]
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
    classes = classes_by_staff(book)
    minimum = term_hours_minimum(pack)
    unit = s.get("单位名称") or pack.institution
    dated = {m: told or last_working_day(max(m.start_time, t0), min(m.end_time.normalize(), t1), holidays)
             for m in months}
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
                "学期要求时长": minimum or "—", "填表日期": G.cn_date(dated[m]),
            }
            jobs.append(DocJob(with_settings(ctx, s), f"{sid}-{text(st['姓名'])}-{G.cn_month(m.start_time)}-工作记录表",
                               {"staff_id": sid, "month": str(m)}))
    return jobs


# --- 班级导师申报表 (lctc-2024 附件) -------------------------------------------------------
def application_form_contexts(book, pack: Pack, settings: dict | None = None, *, date=None) -> list[DocJob]:
    """One 申报表 per staff member with one of the pack's roles, pre-filled from 人员."""
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    staff = staff_frame(book)
    roles = role_sets(staff, pack, book)
    staff = staff[(roles.notna() & staff["撤销日期"].isna()).to_numpy()].sort_values("工号")

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
        jobs.append(DocJob(with_settings(ctx, s), f"{sid}-{ctx['姓名']}-班级导师申报表", {"staff_id": sid}))
    return jobs
