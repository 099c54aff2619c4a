"""The 公文 of a batch: 考核结果通知, 表彰决定, 聘任通知 (one document each)."""
from __future__ import annotations

import pandas as pd

from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents.fmt import number, term_label, text
from mentor_xl.documents.frames import role_sets, span, staff_frame
from mentor_xl.documents.header import doc_date, merged_settings, notice_header, role_names
from mentor_xl.documents.job import DocJob
from mentor_xl.packs import Pack


# --- 考核结果通知 -------------------------------------------------------------------------
def assessment_notice_contexts(assessment: dict, book, pack: Pack, settings: dict | None = None, *,
                               date=None) -> list[DocJob]:
    """One notice with the results table (assess --json: results [{staff_id, score, tier, reasons}])."""
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    period = term_label(assessment.get("year") or assessment.get("term") or s.get("学年", ""))
    roles = role_names(pack, "assessment")
    res = pd.DataFrame(assessment.get("results") or [], columns=["staff_id", "score", "tier", "reasons"])
    staff = staff_frame(book)
    res = res.merge(staff[["工号", "姓名", "学院"]], left_on="staff_id", right_on="工号", how="left")
    tiers = list(pack.section("assessment").get("tiers") or [])
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
        "备注": [(first_reason(r) if t in ("待定", "不计") else "") for r, t in zip(res["reasons"], res["tier"])],
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


def first_reason(r) -> str:
    if isinstance(r, (list, tuple)):
        return text(r[0]) if r else ""
    return text(r)


# --- 表彰决定 -----------------------------------------------------------------------------
def award_decision_contexts(awards: dict, book, pack: Pack, settings: dict | None = None, *,
                            date=None) -> list[DocJob]:
    """One decision listing every ``ok`` award (awards --json), amounts in 万元 from whole 元."""
    from mentor_xl.money import format_wan
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    period = term_label(awards.get("year") or s.get("学年", ""))
    cols = ["award", "staff_id", "college", "amount_yuan", "status", "reason"]
    a = pd.DataFrame(awards.get("awards") or [], columns=cols)
    a = a[a["status"] == "ok"].reset_index(drop=True)
    staff = staff_frame(book)
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



def appointment_notice_contexts(book, pack: Pack, settings: dict | None = None, *, year: str | None = None,
                                term: str | None = None, date=None) -> list[DocJob]:
    """One notice listing the staff with one of the pack's roles appointed in the 学年/学期."""
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    year = year or (None if term else s.get("学年"))
    start, end, label = span(book.frame("学期") if hasattr(book, "frame") else book.terms, year, term)
    staff = staff_frame(book)
    roles = role_sets(staff, pack)
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
    terms_text = (b + "—" + e).where((b != "") | (e != ""), "").str.replace(r"^—|—$", "", regex=True)
    rows = pd.DataFrame({
        "序号": range(1, len(sel) + 1),
        "工号": sel["工号"].map(text).to_numpy(), "姓名": sel["姓名"].map(text).to_numpy(),
        "学院": sel["学院"].map(text).to_numpy(), "职称": sel["职称"].map(text).to_numpy(),
        "角色": roles[sel.index].map("、".join).to_numpy(), "聘期": terms_text.to_numpy(),
    })
    rn = role_names(pack)
    ctx = notice_header(s, pack, title=f"关于聘任{label}{rn}的通知", attachment=f"{label}{rn}名单", date=d)
    ctx.update({"聘任期间": label, "角色名称": rn, "聘任人数": len(rows), "聘任名单": rows.to_dict("records")})
    return [DocJob(ctx, f"{label}{rn}聘任通知")]
