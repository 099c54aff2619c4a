"""Turn an OfficeBook into the engine's inputs, once per book and pack.

Everything pack-specific is read from the pack's data: role and type aliases.
Problems found here (unknown roles, unknown activity types, log rows of unknown staff)
are reported with the sheet's Excel row; the rows involved count for no rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentor_xl.packs import Pack, normalise_label
from mentor_xl.periods import OPEN_END, OPEN_START, Holidays, days, merge_segments
from mentor_xl.problems import Problems
from mentor_xl.workbook.model import OfficeBook

_ROLE_SPLIT = re.compile(r"[、,，;；/／\s]+")


@dataclass
class Prepared:
    pack: Pack
    staff: pd.DataFrame  # staff_id, role, name, college, lo, hi (appointment, one row per segment)
    names: pd.DataFrame  # staff_id -> name, college, roles (one row per staff member)
    pairs: pd.DataFrame  # staff_id, student_id, lo, hi (指导关系 with a 学号)
    classes: pd.DataFrame  # staff_id, class, lo, hi (指导关系 with a 班级 and no 学号)
    roster: pd.DataFrame  # student_id, class, dorm, grade
    log: pd.DataFrame  # row (Excel), day, staff_id, type, class, dorm, hours, persons
    log_students: pd.DataFrame  # idx (position in log), student_id — one-to-many exploded
    holidays: Holidays
    problems: Problems


def prepare(book: OfficeBook, pack: Pack) -> Prepared:
    problems = Problems()
    staff = _staff(book, pack, problems)
    names = (staff.groupby("staff_id", sort=False)
             .agg(name=("name", "first"), college=("college", "first"),
                  role=("role", lambda r: "、".join(dict.fromkeys(r))))
             .reset_index())
    pairs, classes = _assignments(book)
    st = book.frame("学生")
    roster = pd.DataFrame({"student_id": st["学号"], "class": st["班级"], "dorm": st["宿舍"],
                           "grade": st["年级"]}).dropna(subset=["student_id"])
    roster = roster.drop_duplicates("student_id", keep="last")
    log, log_students = _log(book, pack, set(names["staff_id"]), problems)
    return Prepared(pack, staff, names, pairs, classes, roster, log, log_students,
                    Holidays(book.frame("假期")), problems)


def _staff(book: OfficeBook, pack: Pack, problems: Problems) -> pd.DataFrame:
    p = book.frame("人员")
    sheet = book.sheet_names.get("人员", "人员")
    role_map = pack.role_map()
    # One row per (person row, role): a cell may name several roles (本科生导师、班主任).
    cell = p["角色"].fillna("").astype(str)
    split = cell.map(lambda s: [x for x in _ROLE_SPLIT.split(s) if x])
    whole = cell.map(lambda s: role_map.get(normalise_label(s)))  # e.g. 班主任（班导师） unsplit
    roles = [[w] if w else [role_map.get(normalise_label(x)) for x in parts]
             for w, parts in zip(whole, split)]
    out = p.assign(_roles=roles).explode("_roles")
    bad = out["_roles"].isna()
    for r in out[bad].itertuples():  # few rows: unknown roles are rare
        problems.add(sheet, int(r._row), "角色", getattr(r, "角色"),
                     f"角色“{getattr(r, '角色')}”不是制度 {pack.id} 的角色（{'、'.join(pack.roles)}），该人员不参与合规计算",
                     "未知角色", "warning")
    out = out[~bad]
    lo = days(out["聘任开始"], OPEN_START)
    end = out["聘任结束"]
    if "撤销日期" in out:  # removal ends the appointment
        end = end.where(out["撤销日期"].isna() | (end.notna() & (end <= out["撤销日期"])), out["撤销日期"])
    hi = days(end, OPEN_END)
    return pd.DataFrame({"staff_id": out["工号"].to_numpy(), "role": out["_roles"].to_numpy(),
                         "name": out["姓名"].to_numpy(), "college": out["学院"].to_numpy(),
                         "lo": lo, "hi": hi})


def _assignments(book: OfficeBook) -> tuple[pd.DataFrame, pd.DataFrame]:
    a = book.frame("指导关系")
    lo, hi = days(a["开始日期"], OPEN_START), days(a["结束日期"], OPEN_END)
    base = pd.DataFrame({"staff_id": a["工号"].to_numpy(), "student_id": a["学号"].to_numpy(),
                         "class": a["班级"].to_numpy(), "lo": lo, "hi": hi})
    has_student = base["student_id"].notna()
    pairs = _union(base[has_student], "student_id")
    classes = _union(base[~has_student & base["class"].notna()], "class")
    return pairs, classes


def _union(links: pd.DataFrame, col: str) -> pd.DataFrame:
    """One set of non-overlapping segments per (staff, student|class): listing a pairing
    twice, or re-pairing, must not count a student twice."""
    key = links["staff_id"].astype(str) + "\x1f" + links[col].astype(str)
    merged = merge_segments(links.assign(subject=key)[["subject", "staff_id", col, "lo", "hi"]])
    return merged[["staff_id", col, "lo", "hi"]]


def _log(book: OfficeBook, pack: Pack, known_staff: set, problems: Problems):
    lg = book.frame("活动记录")
    sheet = book.sheet_names.get("活动记录", "活动记录")
    type_map = pack.type_map()
    raw = lg["活动类型"]
    uniq = {u: type_map.get(normalise_label(u)) for u in raw.dropna().unique()}
    canon = raw.map(uniq)
    unknown = canon.isna() & raw.notna()
    for r, v in zip(lg["_row"][unknown], raw[unknown]):
        problems.add(sheet, int(r), "活动类型", v,
                     f"活动类型“{v}”不是制度 {pack.id} 规定的类型，该行不计入任何规则。"
                     f"可用类型：{'、'.join(pack.types)}；如是同义写法，请改为标准类型",
                     "未知活动类型")
    stranger = ~lg["工号"].isin(known_staff) & canon.notna()
    for r, v in zip(lg["_row"][stranger], lg["工号"][stranger]):
        problems.add(sheet, int(r), "工号", v, f"工号“{v}”不在人员表中（或其角色不属于本制度），该行不计入任何人",
                     "未知人员", "warning")
    keep = canon.notna() & ~stranger
    log = pd.DataFrame({
        "row": lg["_row"].to_numpy(), "day": days(lg["日期"], OPEN_START),
        "staff_id": lg["工号"].to_numpy(), "type": canon.to_numpy(),
        "class": lg["班级"].to_numpy(), "dorm": lg["宿舍"].to_numpy(),
        "hours": pd.to_numeric(lg["时长"], errors="coerce").to_numpy(dtype=float),
        "persons": pd.to_numeric(lg["人次"], errors="coerce").to_numpy(dtype=float),
    })[keep.to_numpy()].reset_index(drop=True)
    students = lg["学号"][keep].reset_index(drop=True)
    ex = students.explode()
    ex = ex[ex.notna()]
    log_students = pd.DataFrame({"idx": ex.index.to_numpy(dtype=np.int64), "student_id": ex.to_numpy()})
    log_students = log_students.drop_duplicates()
    return log, log_students
