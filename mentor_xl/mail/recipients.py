"""Who a collection goes to: staff active in the term, grouped by 学院 or 工号, with the
pairings pre-filled for them, and a digest of that content (carried in the stamp, so ingest
can tell when the roster changed after the workbook was sent).

Used by ``collect`` (what to send) and ``ingest`` (what a return may contain).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import pandas as pd

from mentor_xl.mail.stamp import BY_VALUES
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.workbook.model import OfficeBook

PAIR_COLUMNS = ("工号", "导师姓名", "学号", "学生姓名", "班级", "宿舍", "开始日期", "结束日期")


@dataclass
class Recipient:
    key: str  # 学院 name or 工号
    label: str  # for people: the 学院, or "工号 姓名"
    staff: pd.DataFrame
    pairs: pd.DataFrame
    emails: list[str]



# recipients -------------------------------------------------------------------------------------
def _overlaps(start: pd.Series, end: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
    return (start.isna() | (start <= hi)) & (end.isna() | (end >= lo))


def recipients(book: OfficeBook, term_start: pd.Timestamp, term_end: pd.Timestamp, by: str,
               problems: Problems) -> list[Recipient]:
    """The recipients of a collection: staff active in the term, grouped by 学院 or 工号."""
    if by not in BY_VALUES:
        raise FatalInputError(f"--by 只能是 {'、'.join(BY_VALUES)}，不是“{by}”")
    staff = book.frame("人员").copy()
    active = _overlaps(staff["聘任开始"], staff["聘任结束"], term_start, term_end)
    active &= staff["撤销日期"].isna() | (staff["撤销日期"] > term_start)
    staff = staff[active & staff["工号"].notna()].drop_duplicates("工号")
    if by == "学院":
        blank = staff[staff["学院"].isna()]
        for row, sid in zip(blank["_row"], blank["工号"]):
            problems.add("人员", int(row), "学院", None,
                         f"人员表第 {int(row)} 行（工号 {sid}）没有填学院，未放入任何学院的收集表", "收集")
        staff = staff[staff["学院"].notna()]
    if staff.empty:
        raise FatalInputError(f"人员表中没有在 {term_start.date()}–{term_end.date()} 期间在岗的人员，无法生成收集表")

    pairs = book.canonical("指导关系")  # the office's own columns (学生姓名) cannot collide with ours
    pairs = pairs[pairs["工号"].isin(staff["工号"])
                  & _overlaps(pairs["开始日期"], pairs["结束日期"], term_start, term_end)]
    students = book.frame("学生")[["学号", "姓名", "班级", "宿舍"]].drop_duplicates("学号")
    by_id = pairs[pairs["学号"].notna()].merge(students, on="学号", how="left", suffixes=("", "_学生"))
    by_id["班级"] = by_id["班级"].fillna(by_id["班级_学生"])
    by_id = by_id.rename(columns={"姓名": "学生姓名"})
    class_only = pairs[pairs["学号"].isna() & pairs["班级"].notna()].assign(学生姓名=None, 宿舍=None)
    names = staff.set_index("工号")["姓名"]
    cols = list(PAIR_COLUMNS)
    allp = pd.concat([by_id.assign(导师姓名=by_id["工号"].map(names)).reindex(columns=cols),
                      class_only.assign(导师姓名=class_only["工号"].map(names)).reindex(columns=cols)],
                     ignore_index=True).sort_values(["工号", "班级", "学号"], na_position="last")

    settings = book.settings
    out: list[Recipient] = []
    keys = sorted(staff["学院"].unique()) if by == "学院" else list(staff.sort_values("工号")["工号"])
    for key in keys:
        sel = staff[staff[by] == key]
        emails = [e.strip() for e in sel["邮箱"].dropna().astype(str) if "@" in e]
        if by == "学院":
            # A college contact set in 设置 (项目 "<学院>联系邮箱") takes precedence over
            # writing to every staff member of the college.
            contact = (settings.get(f"{key}联系邮箱") or "").strip()
            if contact:
                emails = [e.strip() for e in re.split(r"[;；,，\s]+", contact) if "@" in e]
            label = str(key)
        else:
            label = f"{key} {sel['姓名'].iloc[0]}"
        out.append(Recipient(str(key), label, sel.reset_index(drop=True),
                             allp[allp["工号"].isin(sel["工号"])].reset_index(drop=True),
                             list(dict.fromkeys(emails))))
    return out


def content_hash(term: str, start, end, types: list[str], r: Recipient) -> str:
    """A digest of what was pre-filled for the recipient (roster, pairings, term, types)."""
    payload = {
        "term": term, "start": str(start.date()), "end": str(end.date()), "types": types,
        "staff": r.staff.reindex(columns=["工号", "姓名", "角色", "学院"]).astype(str).values.tolist(),
        "pairs": r.pairs.reindex(columns=["工号", "学号", "班级"]).astype(str).values.tolist(),
    }
    # 128 bits are plenty to tell two rosters apart, and keep the stamp property short.
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:32]
