"""The 公文 of a batch: 考核结果通知, 表彰决定, 聘任通知 (one document each)."""
from __future__ import annotations

import pandas as pd

from mentor_xl.documents.fmt import score, term_label, text
from mentor_xl.documents.frames import role_sets, span, staff_frame
from mentor_xl.documents.header import doc_date, merged_settings, notice_header, role_names, with_settings
from mentor_xl.documents.job import DocJob
from mentor_xl.documents.titles import width
from mentor_xl.holidays import year_span
from mentor_xl.documents.wording import appointment_years, assessment_spec, award_catalogue, wording
from mentor_xl.packs import Pack

NOTE_INLINE = 6  # a 备注 up to this many characters stays in the table; longer ones go below it


# --- 考核结果通知 -------------------------------------------------------------------------
def deciding_reason(reasons) -> str:
    """The reason that decided the tier: the last one, without its "→ 等次（条款）" tail."""
    if isinstance(reasons, (list, tuple)):
        r = text(reasons[-1]) if reasons else ""
    else:
        r = text(reasons)
    return r.split("→")[0].strip().rstrip("，,") if "→" in r else r


def assessment_notice_contexts(assessment: dict, book, pack: Pack, settings: dict | None = None, *,
                               date=None, seal: bool = False) -> list[DocJob]:
    """One notice with the results table (assess --json: results [{staff_id, score, tier, reasons}])."""
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    period = term_label(assessment.get("year") or assessment.get("term") or s.get("学年", ""))
    spec = assessment_spec(pack)
    roles = role_names(pack, spec.get("roles"))
    res = pd.DataFrame(assessment.get("results") or [],
                       columns=["staff_id", "score", "tier", "reasons", "vetoed", "parts"])
    staff = staff_frame(book)
    res = res.merge(staff[["工号", "姓名", "学院"]], left_on="staff_id", right_on="工号", how="left")
    tiers = list(spec.get("tiers") or assessment.get("tiers") or [])
    order = {t: i for i, t in enumerate(tiers + ["待定", "不计"])}
    res["_o"] = res["tier"].map(order).fillna(len(order))
    res = res.sort_values(["_o", "score", "staff_id"], ascending=[True, False, True], na_position="last")
    by_parts = res["score"].isna().all() and res["parts"].map(lambda p: isinstance(p, list) and bool(p)).any()
    if by_parts:  # a pass/fail scheme (lctc-2024): how many parts passed instead of a score
        shown = res["parts"].map(lambda ps: f"{sum(p.get('status') == 'pass' for p in ps)}/{len(ps)}"
                                 if isinstance(ps, list) and ps else "—")
    else:
        shown = res["score"].map(score)
    # The notice is public: the score's working stays in the results workbook; only an entry
    # that is undecided (待定), not assessed (不计) or vetoed says why, in the deciding reason.
    vetoed = res["vetoed"].eq(True)
    why = [deciding_reason(r) if (t in ("待定", "不计") or v) else ""
           for r, t, v in zip(res["reasons"], res["tier"], vetoed)]
    remarks, notes = [], []
    for w, v in zip(why, vetoed):
        label = "一票否决" if v else ""
        if not w:
            remarks.append(label)
        elif width(w) <= NOTE_INLINE and not v:
            remarks.append(w)
        else:
            notes.append({"编号": len(notes) + 1, "内容": w})
            remarks.append(f"{label}（注{len(notes)}）" if label else f"见注{len(notes)}")
    rows = pd.DataFrame({
        "序号": range(1, len(res) + 1),
        "工号": res["staff_id"].map(text).to_numpy(),
        "姓名": res["姓名"].map(text).to_numpy(),
        "学院": res["学院"].map(text).to_numpy(),
        "得分": shown.to_numpy(),
        "等次": res["tier"].map(text).to_numpy(),
        "备注": remarks,
    })
    counts = res.groupby("tier", sort=False).size()
    counts = counts.reindex(sorted(counts.index, key=lambda t: order.get(t, len(order))))
    remedy = list(wording(pack, "remedy_tiers") or tiers[-1:])
    ctx = notice_header(s, pack, title=["关于公布", period, roles, "考核结果的通知"],
                        attachment=[period, roles, "考核结果名单"], date=d, seal=seal)
    ctx.update({
        "考核期间": period, "角色名称": roles, "考核人数": len(res),
        "等次统计": "、".join(f"{t}{n}人" for t, n in counts.items()) or "无",
        "考核方法": wording(pack, "assess_method"), "结果运用": wording(pack, "assess_use"),
        "整改等次": "、".join(remedy), "整改单位": wording(pack, "remedy_by"),
        "得分列名": "通过部分" if by_parts else "得分",
        "考核结果": rows.to_dict("records"), "表注": notes,
    })
    return [DocJob(with_settings(ctx, s), f"{period}{roles}考核结果通知")]


# --- 表彰决定 -----------------------------------------------------------------------------
def award_decision_contexts(awards: dict, book, pack: Pack, settings: dict | None = None, *,
                            date=None, seal: bool = False) -> list[DocJob]:
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
    person = a["staff_id"].notna()
    who = a["姓名"].where(person & a["姓名"].notna(), a["college"])
    college = a["college"].where(a["college"].notna(), a["学院"]).where(person, "")
    rows = pd.DataFrame({
        "序号": range(1, len(a) + 1),
        "奖项": a["award"].map(text).to_numpy(),
        "获奖者": who.map(text).to_numpy(),
        "学院": college.map(text).to_numpy(),
        "金额万元": a["amount_yuan"].map(lambda y: format_wan(int(y))).to_numpy(),
    })
    total = int(awards.get("total_yuan") or a["amount_yuan"].sum() or 0)
    stat = "、".join(f"{t['award']}{t['count']}名" for t in totals if t.get("count"))
    people = int(a.loc[person, "staff_id"].nunique())
    units = int(a.loc[~person, "college"].nunique())
    unit_word = wording(pack, "unit_recipient")
    # The title names who is honoured: the roles of the awards given (catalogue order).
    cat = {x.get("name"): x for x in award_catalogue(pack)}
    given = list(pd.unique(a["award"]))
    roles = [r for r in pd.unique(pd.Series([cat.get(g, {}).get("role") for g in given], dtype=object))
             if r and r != "*"]
    honoured = (f"优秀{'、'.join(roles)}" if roles else ("先进个人" if people else "")) + (
        f"{'和' if people else ''}先进{unit_word}" if units else "")
    whom = "、".join(x for x in (f"{people}名同志" if people else "", f"{units}个{unit_word}" if units else "") if x)
    ctx = notice_header(s, pack, title=["关于表彰", period, *_segments(honoured), "的决定"],
                        attachment=[period, *_segments(honoured), "表彰名单"], date=d, seal=seal)
    ctx.update({"考核期间": period, "获奖人数": people, "获奖单位数": units, "表彰对象": whom.replace("、", "和") or "无",
                "受表彰者": honoured or "先进个人", "表彰依据": wording(pack, "award_basis"),
                "奖项统计": stat or "无", "合计万元": format_wan(total), "合计元": str(total),
                "获奖名单": rows.to_dict("records")})
    return [DocJob(with_settings(ctx, s), f"{period}表彰决定")]


def _segments(phrase: str) -> list[str]:
    """A list phrase (A、B和C) as unbreakable title segments, the 、 kept at a line's end."""
    import re
    return [p for p in re.split(r"(?<=、)|(?=和)", phrase) if p]


# --- 聘任通知 -----------------------------------------------------------------------------
def appointment_notice_contexts(book, pack: Pack, settings: dict | None = None, *, year: str | None = None,
                                term: str | None = None, date=None, eligibility: dict | None = None,
                                seal: bool = False) -> list[DocJob]:
    """One notice listing the NEW appointments of the 学年/学期 (聘任开始 inside it) of people with
    one of the pack's roles; a person ``eligibility`` marks not eligible is left out and named
    in ``meta["warnings"]``."""
    s = merged_settings(book, settings)
    d = doc_date(s, date)
    strict = bool(year or term)  # the 设置 学年 is a default, not a request
    year = year or (None if term else s.get("学年"))
    start, end, label = span(book.frame("学期") if hasattr(book, "frame") else book.terms, year, term, strict=strict)
    staff = staff_frame(book)
    roles = role_sets(staff, pack, book)
    keep = roles.notna() & staff["撤销日期"].isna()
    begins = staff["聘任开始"]
    if start is not None:
        # appointed for this period: from the 学年's first day (9月1日) or a month before the
        # term, so an appointment dated just before the first teaching day counts
        lo = pd.Timestamp(year_span(year)[0]) if year and not term else start - pd.Timedelta(days=31)
        keep &= begins.notna() & (begins >= min(lo, start)) & (begins <= end)
    warnings = []
    if eligibility:
        bad = {r["staff_id"]: r for r in eligibility.get("results") or [] if r.get("eligible") is False}
        out = keep & staff["工号"].isin(bad)
        for sid in staff.loc[out.fillna(False).astype(bool), "工号"]:
            r = bad[sid]
            why = "；".join(text(x) for x in (r.get("reasons") or []) if not text(x).startswith("符合")) or text(
                r.get("conclusion"))
            warnings.append(f"聘任通知：人员表中 {sid} {text(r.get('name'))} 本期新聘，但资格审查为不符合任职条件"
                            f"（{why}），未列入聘任名单。")
        keep &= ~staff["工号"].isin(bad)
    sel = staff[keep.fillna(False).astype(bool)].sort_values(["学院", "工号"], na_position="last")
    years = appointment_years(pack)
    b = sel["聘任开始"]
    e = sel["聘任结束"]
    if years:  # the policy fixes the term of office: an open end is start + years
        e = e.where(e.notna(), b + pd.DateOffset(years=years) - pd.Timedelta(days=1))
    terms_text = [(_ym(x) + "—" + _ym(y)) if pd.notna(x) and pd.notna(y) else (f"{_ym(x)}起" if pd.notna(x) else "")
                  for x, y in zip(b, e)]
    role_of = roles[sel.index].map("、".join)
    rows = pd.DataFrame({
        "序号": range(1, len(sel) + 1),
        "工号": sel["工号"].map(text).to_numpy(), "姓名": sel["姓名"].map(text).to_numpy(),
        "学院": sel["学院"].map(text).to_numpy(), "职称": sel["职称"].map(text).to_numpy(),
        "角色": role_of.to_numpy(), "聘期": terms_text,
    })
    rn = role_names(pack)
    per_role = role_of.value_counts()
    stat = ("（其中" + "、".join(f"{r}{int(per_role.get(r, 0))}名" for r in pack.roles if per_role.get(r, 0)) + "）"
            if len(pack.roles) > 1 and len(sel) else "")
    ctx = notice_header(s, pack, title=["关于聘任", label, *_segments(rn), "的通知"],
                        attachment=[label, *_segments(rn), "聘任名单"], date=d, seal=seal)
    ctx.update({"聘任期间": label, "角色名称": rn, "聘任人数": len(rows), "角色统计": stat,
                "多角色": len(pack.roles) > 1, "聘任依据": wording(pack, "appoint_basis"), "支持单位": wording(pack, "support_units"),
                "聘任名单": rows.to_dict("records")})
    return [DocJob(with_settings(ctx, s), f"{label}{rn}聘任通知", {"warnings": warnings})]


def _ym(v) -> str:
    """2024.9: the compact year.month of an appointment list."""
    t = pd.Timestamp(v)
    return f"{t.year}.{t.month}"
