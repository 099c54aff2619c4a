"""Turn an OfficeBook into the engine's inputs, once per book and pack.

Identifiers (工号, 学号, 班级, 宿舍, 活动类型) become integer codes here, so that every
later step is numpy on int arrays; the code → text arrays turn them back for output.
Everything pack-specific comes from the pack's data: role and type aliases.
Problems found here (unknown roles, unknown activity types, log rows of unknown staff)
are reported with the sheet's Excel row; those rows count for no rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl import gcpause
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.periods import OPEN_END, OPEN_START, Holidays, days, merge_segments
from mentor_xl.problems import Problems
from mentor_xl.roster import role_list, row_conflicts
from mentor_xl.workbook.model import OfficeBook
from mentor_xl.workbook.values import ALL_STUDENTS, factorize_objects, object_codes, per_object

NONE = -1  # the code of a blank


@dataclass
class Prepared:
    pack: Pack
    staff_ids: np.ndarray  # code -> 工号
    student_ids: np.ndarray  # code -> 学号
    class_names: np.ndarray  # code -> 班级
    type_names: np.ndarray  # code -> canonical 活动类型 (the pack's order)
    staff: pd.DataFrame  # staff, role, lo, hi — appointment segments, one row per (person row, role)
    names: pd.DataFrame  # staff_id (text), name, college, role (roles joined with 、)
    pairs: pd.DataFrame  # staff, student, lo, hi — non-overlapping per pair
    classes: pd.DataFrame  # staff, cls, lo, hi — non-overlapping per pair
    roster: pd.DataFrame  # student, cls, grade (one row per student)
    log: pd.DataFrame  # row (Excel), day, staff, type, cls, dorm, hours, persons — codes
    log_students: pd.DataFrame  # idx (position in log, sorted), student
    holidays: Holidays
    problems: Problems

    def type_codes(self, names) -> np.ndarray:
        return np.flatnonzero(np.isin(self.type_names, list(names)))

    @cached_property
    def listed_span(self) -> tuple[np.ndarray, np.ndarray]:
        """Per log position: where its students start in ``log_students`` and how many there are
        (``log_students`` is sorted by position), so every rule finds them without a search."""
        count = np.bincount(self.log_students["idx"].to_numpy(), minlength=len(self.log))
        return np.cumsum(count) - count, count


@dataclass
class People:
    """The half of ``Prepared`` that does not need 活动记录: staff, roster, pairings, and the
    code spaces of 学号 and 班级 as the roster and the pairings fill them (the log's own ids
    are appended after them, in first-seen order, as one factorize of all three would)."""
    staff_ids: np.ndarray
    staff_index: pd.Index
    staff: pd.DataFrame
    names: pd.DataFrame
    student_ids: np.ndarray
    class_names: np.ndarray
    roster: pd.DataFrame
    pairs: pd.DataFrame
    classes: pd.DataFrame
    holidays: Holidays
    problems: Problems


# the 活动记录 columns the engine reads
LOG_COLUMNS = ("日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次", "_row")


@gcpause.during
def prepare(book: OfficeBook, pack: Pack, *, people: People | None = None) -> Prepared:
    """The engine's inputs. ``people`` (``prepare_people`` of the same book and pack) may be
    computed ahead: while the log is still loading (``office.open_office``)."""
    if people is None:
        people = prepare_people(book, pack)
    problems = Problems()
    problems.extend(people.problems)
    lg = book.frame("活动记录", only=LOG_COLUMNS)  # its free text (内容 …) is left unparsed
    type_names = np.array(list(pack.types), dtype=object)
    log, listed, cls_text = _log(book, pack, lg, people.staff_index, type_names, set(people.staff["staff"]), problems)
    student_ids, table = _extend(people.student_ids, listed["names"])
    log_student = table[listed["item"]]
    class_names, log["cls"] = _extend(people.class_names, cls_text)
    log_students = _distinct_pairs(listed["idx"], log_student)
    log_students = _expand_all(book, log, log_students, people.pairs, student_ids, problems)
    return Prepared(pack, people.staff_ids, student_ids, class_names, type_names, people.staff, people.names,
                    people.pairs, people.classes, people.roster, log, log_students, people.holidays, problems)


def _distinct_pairs(idx: np.ndarray, student: np.ndarray) -> pd.DataFrame:
    """``log_students``: each (log position, student) once, by position (stably). A row naming the
    same 学号 twice is the only repeat there can be, so only rows naming two or more are compared
    (a million pairs to compare cost 0.07 s; most rows name one student)."""
    idx, student = np.asarray(idx, dtype=np.int64), np.asarray(student)
    if len(idx) and (idx[1:] < idx[:-1]).any():  # not in position order (never from ``_listed``)
        out = pd.DataFrame({"idx": idx, "student": student}).drop_duplicates()
        return out.sort_values("idx", kind="stable").reset_index(drop=True)
    shared = np.zeros(len(idx), dtype=bool)
    if len(idx) > 1:
        same = idx[1:] == idx[:-1]
        shared[1:] |= same
        shared[:-1] |= same
    at = np.flatnonzero(shared)
    if len(at):
        repeat = pd.DataFrame({"idx": idx[at], "student": student[at]}).duplicated().to_numpy()
        keep = np.ones(len(idx), dtype=bool)
        keep[at[repeat]] = False
        idx, student = idx[keep], student[keep]
    return pd.DataFrame({"idx": idx, "student": student})


def prepare_people(book: OfficeBook, pack: Pack) -> People:
    """Everything of ``prepare`` but the log (人员, 学生, 指导关系, 假期)."""
    problems = Problems()
    person = book.frame("人员")
    staff_ids = pd.unique(person["工号"].dropna().to_numpy(dtype=object))
    staff_index = pd.Index(staff_ids, dtype=object)  # object, as the ids it is matched with: no Arrow conversion
    staff = _staff(book, pack, staff_index, problems)
    people = pd.DataFrame({"staff": staff["staff"], "name": staff.pop("name"), "college": staff.pop("college"),
                           "role": staff["role"]})
    names = people.groupby("staff", sort=True).agg(name=("name", "first"), college=("college", "first"))
    roles = _joined_roles(people)
    names = names.assign(role=roles).reset_index()
    names.insert(0, "staff_id", staff_ids[names.pop("staff").to_numpy()])

    a = book.frame("指导关系")
    st = book.frame("学生")
    # One code space per kind of identifier, shared by the roster, the pairings and (later) the log.
    student_codes, student_ids = pd.factorize(pd.concat([st["学号"], a["学号"]], ignore_index=True),
                                              use_na_sentinel=True)
    n1, n2 = len(st), len(a)
    class_codes, class_names = pd.factorize(pd.concat([st["班级"], a["班级"]], ignore_index=True),
                                            use_na_sentinel=True)
    roster = pd.DataFrame({"student": student_codes[:n1], "cls": class_codes[:n1], "grade": st["年级"].to_numpy()})
    roster = roster[roster["student"] != NONE].drop_duplicates("student", keep="last").reset_index(drop=True)

    lo, hi = days(a["开始日期"], OPEN_START), days(a["结束日期"], OPEN_END)
    a_staff = staff_index.get_indexer(a["工号"])
    a_student, a_class = student_codes[n1:n1 + n2], class_codes[n1:n1 + n2]
    known = a_staff >= 0
    is_pair = known & (a_student != NONE)
    is_class = known & (a_student == NONE) & (a_class != NONE)
    pairs = _union(a_staff[is_pair], a_student[is_pair], lo[is_pair], hi[is_pair], "student")
    classes = _union(a_staff[is_class], a_class[is_class], lo[is_class], hi[is_class], "cls")
    return People(staff_ids, staff_index, staff, names, np.asarray(student_ids, dtype=object),
                  np.asarray(class_names, dtype=object), roster, pairs, classes, Holidays(book.frame("假期")), problems)


def _joined_roles(people: pd.DataFrame) -> pd.Series:
    """Each person's roles in first-seen order, joined with 、 (indexed by staff code, sorted).
    Most people hold one role: only the others are joined, by a Python function per person."""
    d = people.drop_duplicates(["staff", "role"])
    several = d["staff"].duplicated(keep=False).to_numpy()
    one = pd.Series(d["role"].to_numpy(dtype=object)[~several], index=d["staff"].to_numpy()[~several], dtype=object)
    if several.any():
        one = pd.concat([one, d[several].groupby("staff", sort=False)["role"].agg("、".join).astype(object)])
    return one.sort_index(kind="stable").astype(people["role"].dtype)  # the dtype the roles came in


def _extend(known: np.ndarray, values) -> tuple[np.ndarray, np.ndarray]:
    """(``known`` + the new distinct ``values`` in first-seen order, the code of each value;
    NONE for a blank): the codes one factorize of both would give."""
    values = pd.Series(values, dtype=object)
    codes = per_object(values.to_numpy(), pd.Index(known, dtype=object).get_indexer)  # not Arrow strings: 2.5× faster
    new = (codes < 0) & values.notna().to_numpy()
    if new.any():
        more, extra = pd.factorize(values[new], use_na_sentinel=True)
        codes[new] = more + len(known)
        known = np.concatenate([known, np.asarray(extra, dtype=object)])
    return known, codes.astype(np.int32)


def _staff(book: OfficeBook, pack: Pack, staff_index: pd.Index, problems: Problems) -> pd.DataFrame:
    p = book.frame("人员")
    sheet = book.sheet_names.get("人员", "人员")
    problems.extend(row_conflicts(p, sheet))
    role_map = pack.role_map()
    # One row per (person row, role): a cell may name several roles (本科生导师、班主任).
    out = p.assign(_roles=[role_list(c, role_map) for c in p["角色"]]).explode("_roles")
    bad = out["_roles"].isna() & out["工号"].notna()
    # Few rows: unknown roles are rare. (itertuples would rename the _row column.)
    reported = out[bad].drop_duplicates("_row")
    for row, cell in zip(reported["_row"], reported["角色"]):
        problems.add(sheet, int(row), "角色", cell,
                     f"角色“{cell}”中有不属于制度 {pack.id} 的角色（{'、'.join(pack.roles)}），该角色不参与合规计算",
                     "未知角色", "warning")
    out = out[out["_roles"].notna() & out["工号"].notna()]
    end = out["聘任结束"]
    removed = out["撤销日期"]  # removal ends the appointment
    end = end.where(removed.isna() | (end.notna() & (end <= removed)), removed)
    return pd.DataFrame({"staff": staff_index.get_indexer(out["工号"]).astype(np.int32),
                         "role": out["_roles"].to_numpy(), "name": out["姓名"].to_numpy(),
                         "college": out["学院"].to_numpy(),
                         "lo": days(out["聘任开始"], OPEN_START), "hi": days(end, OPEN_END)})


def _expand_all(book: OfficeBook, log: pd.DataFrame, log_students: pd.DataFrame, pairs: pd.DataFrame,
                student_ids: np.ndarray, problems: Problems) -> pd.DataFrame:
    """全体 in a 学号 cell: every student paired with the row's staff member on the row's day."""
    hit = np.flatnonzero(student_ids == ALL_STUDENTS)
    if not len(hit):
        return log_students
    every = log_students["student"].to_numpy() == hit[0]
    if not every.any():
        return log_students
    rows = log_students[every]
    sub = pd.DataFrame({"idx": rows["idx"].to_numpy(), "staff": log["staff"].to_numpy()[rows["idx"].to_numpy()],
                        "day": log["day"].to_numpy()[rows["idx"].to_numpy()]})
    m = sub.merge(pairs, on="staff", how="inner")
    m = m[(m["lo"] <= m["day"]) & (m["day"] <= m["hi"])]
    none = np.setdiff1d(sub["idx"].to_numpy(), m["idx"].to_numpy())
    sheet = book.sheet_names.get("活动记录", "活动记录")
    for r in log["row"].to_numpy()[none][:1000]:
        problems.add(sheet, int(r), "学号", ALL_STUDENTS, f"工作表“{sheet}”第{r}行“学号”为“全体”，但该导师在当天没有"
                     "指导关系中的学生，此行不计入任何学生", "全体学生", "warning")
    added = pd.DataFrame({"idx": m["idx"].to_numpy(), "student": m["student"].to_numpy().astype(np.int32)})
    out = pd.concat([log_students[~every], added], ignore_index=True).drop_duplicates()
    return out.sort_values("idx", kind="stable").reset_index(drop=True)


def _union(staff, other, lo, hi, col: str) -> pd.DataFrame:
    """One set of non-overlapping segments per (staff, student|class): a pairing listed twice,
    or renewed, must not count a student twice."""
    seg = pd.DataFrame({"subject": staff.astype(np.int64) * (1 << 31) + other, "staff": staff.astype(np.int32),
                        col: other.astype(np.int32), "lo": lo, "hi": hi})
    return merge_segments(seg)[["staff", col, "lo", "hi"]]


def _log(book: OfficeBook, pack: Pack, lg: pd.DataFrame, staff_index: pd.Index, type_names: np.ndarray,
         with_role: set, problems: Problems):
    sheet = book.sheet_names.get("活动记录", "活动记录")
    type_map = pack.type_map()
    code_of_type = {t: i for i, t in enumerate(type_names)}
    raw = lg["活动类型"]
    # each distinct spelling is looked up once; a blank cell is code NONE
    codes, uniq = factorize_objects(raw.to_numpy(dtype=object))
    table = np.array([code_of_type.get(type_map.get(normalise_label(u)), NONE) for u in uniq] + [NONE], dtype=np.int64)
    tcode = table[codes]
    unknown = (tcode == NONE) & raw.notna().to_numpy()
    guess = _close_types(uniq[table[:-1] == NONE], type_map) if unknown.any() else {}
    for r, v in zip(lg["_row"].to_numpy()[unknown], raw.to_numpy()[unknown]):
        hint = f"（是否为“{guess[v]}”？）" if guess.get(v) else ""
        problems.add(sheet, int(r), "活动类型", v,
                     f"活动类型“{v}”不是制度 {pack.id} 规定的类型{hint}，该行不计入任何规则。"
                     f"可用类型：{'、'.join(pack.types)}；如是同义写法，请改为标准类型", "未知活动类型")
    scode = per_object(lg["工号"].to_numpy(dtype=object), staff_index.get_indexer)
    has_role = np.isin(scode, np.fromiter(with_role, dtype=np.int64, count=len(with_role)))
    stranger = ~has_role & (tcode != NONE)
    for r, v in zip(lg["_row"].to_numpy()[stranger], lg["工号"].to_numpy()[stranger]):
        problems.add(sheet, int(r), "工号", v, f"工号“{v}”不在人员表中（或其角色不属于本制度），该行不计入任何人",
                     "未知人员", "warning")
    keep = (tcode != NONE) & has_role
    dorm_codes, _ = factorize_objects(lg["宿舍"].to_numpy(dtype=object))
    log = pd.DataFrame({
        "row": lg["_row"].to_numpy()[keep], "day": days(lg["日期"], OPEN_START)[keep],
        "staff": scode[keep].astype(np.int32), "type": tcode[keep].astype(np.int16),
        "dorm": dorm_codes[keep].astype(np.int32),
        "hours": pd.to_numeric(lg["时长"], errors="coerce").to_numpy(dtype=float)[keep],
        "persons": pd.to_numeric(lg["人次"], errors="coerce").to_numpy(dtype=float)[keep],
    }, copy=False)  # every column a fresh array: not copied again into 2-D blocks (1M rows: 0.08 s)
    listed = _listed(lg["学号"].to_numpy(dtype=object)[keep])
    # 班级 as objects beside the frame: in it pandas would make them Arrow strings, only to be
    # turned back into objects for the codes (~0.15 s a 1M-row log)
    return log, listed, lg["班级"].to_numpy(dtype=object)[keep]


def _close_types(unknown, type_map: dict[str, str]) -> dict:
    """An unknown spelling -> the type name it is probably a typo of (谈心淡话 → 谈心谈话), per distinct value."""
    import difflib

    labels = list(type_map)
    out = {}
    for v in list(unknown)[:1000]:
        hit = difflib.get_close_matches(normalise_label(v), labels, n=1, cutoff=0.7)
        out[v] = hit[0] if hit else None
    return out


def _listed(cells: np.ndarray) -> dict[str, np.ndarray]:
    """The 学号 of each kept row: ``idx`` (row position) and ``item`` (code into ``names``, the
    distinct ids in first-seen order) per listed id, in row order.

    The reader gives every equal cell the same list object: each distinct object is turned into
    Arrow once, then spread over its rows by offsets (no Python loop, no string per row).
    """
    n = len(cells)
    same, first = object_codes(cells)
    distinct = cells[first]
    try:  # Arrow would take a str for a list of its characters: only lists go this way
        if not all(c is None or type(c) is list for c in distinct):
            raise TypeError("not lists")
        arr = pa.array(distinct, type=pa.list_(pa.large_string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # a hand-built frame with scalars: let pandas cope
        ex = pd.Series(cells, dtype=object).explode()
        ex = ex[ex.notna()]
        item, names = pd.factorize(ex.to_numpy(dtype=object))
        return {"idx": ex.index.to_numpy(dtype=np.int64), "item": item, "names": np.asarray(names, dtype=object)}
    flat = pc.list_flatten(arr)  # the distinct lists' ids, one after the other
    size = pc.fill_null(pc.list_value_length(arr), 0).to_numpy().astype(np.int64)
    start = np.cumsum(size) - size
    per_row = size[same]
    idx = np.repeat(np.arange(n, dtype=np.int64), per_row)
    pos = np.repeat(start[same] - (np.cumsum(per_row) - per_row), per_row) + np.arange(len(idx), dtype=np.int64)
    # first seen first, as pd.factorize numbers them; a Python str only for each distinct id
    enc = flat.dictionary_encode()
    code = pc.fill_null(enc.indices, NONE).to_numpy(zero_copy_only=False).astype(np.int64)
    names = enc.dictionary.to_numpy(zero_copy_only=False)
    item = code[pos]
    ok = item >= 0  # a blank inside a list names nobody
    return {"idx": idx[ok], "item": item[ok], "names": np.asarray(names, dtype=object)}
