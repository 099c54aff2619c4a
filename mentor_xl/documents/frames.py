"""The workbook's sheets as the documents need them: roster, roles, types, rules, subjects."""
from __future__ import annotations

import pandas as pd

from mentor_xl.documents.fmt import number, term_label, text
from mentor_xl.packs import Pack, normalise_label


def staff_frame(book) -> pd.DataFrame:
    df = book.frame("人员") if hasattr(book, "frame") else book.staff
    return df.dropna(subset=["工号"]).drop_duplicates("工号", keep="first").set_index("工号", drop=False).rename_axis(None)


def role_sets(staff: pd.DataFrame, pack: Pack, book=None) -> pd.Series:
    """工号 → sorted list of the pack roles the person holds, read with ``roster.person_roles``
    from every 人员 row of the 工号 (``book``'s full sheet when given), aligned on ``staff``;
    missing for a person with none."""
    from mentor_xl.roster import person_roles, text
    rows = book.frame("人员") if book is not None and hasattr(book, "frame") else staff
    held = {sid: sorted(r) for sid, r in person_roles(rows, pack).items() if r}
    return pd.Series([held.get(text(k)) for k in staff.index], index=staff.index, dtype=object)


def canonical_types(types: pd.Series, pack: Pack) -> pd.Series:
    """活动类型 as the pack names them (aliases such as 下午茶 → 导学互动交流); unknown kept as typed."""
    tmap = pack.type_map()
    u = pd.Series(types.dropna().unique(), dtype=object)
    m = dict(zip(u, u.map(lambda x: tmap.get(normalise_label(x), x))))
    return types.map(m)


def span(terms: pd.DataFrame | None, year: str | None, term: str | None, *, strict: bool = True):
    """(start, end, label) of a 学年 or 学期 resolved against the 学期 sheet (periods, the one term
    resolver); Nones when not given. ``strict``: one the sheet does not list stops (an explicit
    --term/--year); otherwise (the 设置 学年, a default) the label alone is returned."""
    from mentor_xl.periods import find_term, find_year, timestamp
    from mentor_xl.problems import FatalInputError

    if not (year or term):
        return None, None, ""
    try:
        found = find_term(terms, term) if term else find_year(terms, year)
    except FatalInputError:
        if strict and terms is not None and not terms.empty:
            raise
        return None, None, term_label(term or year)
    return timestamp(found.start), timestamp(found.end), term_label(found.code)


def rule_info(pack: Pack, rule_ids) -> pd.DataFrame:
    rows = []
    for rid in pd.unique(pd.Series(list(rule_ids), dtype=object)):
        try:
            r = pack.rule(rid)
            rows.append((rid, r.title, r.clause, r.text, r.measure, r.period, r.scope))
        except KeyError:
            rows.append((rid, rid, "", "", "count", "term", "staff"))
    return pd.DataFrame(rows, columns=["rule", "r_title", "r_clause", "r_text", "measure", "period", "r_scope"]
                        ).set_index("rule")


def subject_labels(df: pd.DataFrame, students: pd.DataFrame | None) -> pd.Series:
    if df.empty:  # nobody missed anything (or nobody is assessed): an empty column, not a str + float error
        return pd.Series([], index=df.index, dtype=object)
    names = (students.drop_duplicates("学号").set_index("学号")["姓名"]
             if students is not None and not students.empty else pd.Series(dtype=object))
    sid = df["student_id"].map(text)
    sname = sid.map(names).map(text)
    pair = "学生" + sname.where(sname != "", "") + "（" + sid + "）"
    cls = "班级" + df["class"].map(text)
    return pd.Series(pd.NA, index=df.index, dtype=object).where(
        sid == "", pair).where((sid != "") | (df["class"].map(text) == ""), cls).fillna("本人")


def classes_by_staff(book) -> pd.Series:
    asg = book.frame("指导关系")
    stu = book.frame("学生")
    direct = asg[["工号", "班级"]].dropna()
    via = asg[["工号", "学号"]].dropna().merge(stu[["学号", "班级"]].dropna(), on="学号")[["工号", "班级"]]
    both = pd.concat([direct, via]).drop_duplicates()
    return both.groupby("工号")["班级"].agg(lambda x: "、".join(sorted(map(str, x))))


def term_hours_minimum(pack: Pack) -> str:
    for r in pack.rules:
        if r.measure == "sum:时长" and r.period == "term" and r.minimum is not None:
            return number(r.minimum)
    return ""
