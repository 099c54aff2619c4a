"""A realistic synthetic office workbook for any policy pack (``mentor-xl demo``, benchmarks).

Everything comes from the pack's data: roles become staff, rule scopes become 指导关系 rows
(students for pair rules, classes otherwise), and the 活动记录 is what a diligent mentor
would log for each rule, subject and period, thinned per staff member so the result has
realistic gaps. Generation is vectorised (numpy/pandas); the file is written by XlsxWriter.
``messy=True`` adds the readable oddities offices produce and a few genuinely bad cells,
all listed in ``DemoInfo.injected``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentor_xl.packs import Pack, load_pack, normalise_label
from mentor_xl.workbook.schema import SHEETS

YEAR = "2024-2025"
TERMS = (("2024-2025-1", date(2024, 9, 2), date(2025, 1, 12)), ("2024-2025-2", date(2025, 2, 24), date(2025, 7, 6)))
HOLIDAYS = (("中秋节", date(2024, 9, 15), date(2024, 9, 17)), ("国庆节", date(2024, 10, 1), date(2024, 10, 7)),
            ("元旦", date(2025, 1, 1), None), ("春节", date(2025, 1, 28), date(2025, 2, 4)),
            ("清明节", date(2025, 4, 4), date(2025, 4, 6)), ("劳动节", date(2025, 5, 1), date(2025, 5, 5)),
            ("端午节", date(2025, 5, 31), date(2025, 6, 2)))
PREVIOUS_TERM = "2023-2024-2"
MID_TERM_START, EARLY_END, HANDOVER = date(2024, 10, 15), date(2025, 4, 30), date(2024, 10, 14)
MAJORS = (("数学与统计学院", "数学与应用数学", "数学"), ("物理学院", "应用物理学", "物理"),
          ("计算机学院", "计算机科学与技术", "计科"), ("机械工程学院", "机械设计制造及其自动化", "机械"),
          ("化学与化工学院", "化学", "化学"), ("材料学院", "材料科学与工程", "材料"),
          ("计算机学院", "软件工程", "软件"), ("数学与统计学院", "统计学", "统计"))
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
                "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰飞鹏辉宇浩然涵欣怡思远博文雨轩佳琪萱晨阳鸣嘉天翊诗俊晓东海燕春梅婷")
# Offices appoint mostly senior staff as mentors: most meet every pack's title conditions.
TITLES = (("讲师", .2), ("副教授", .35), ("教授", .15), ("高级讲师", .1), ("高级工程师", .1), ("工程师", .05), ("助教", .05))
POSTS = ((None, .7), ("系主任", .06), ("教研室主任", .1), ("学院党委副书记", .04), ("团委书记", .05), ("学院副院长", .05))
DEGREES = (("博士研究生", .6), ("硕士研究生", .3), ("大学本科", .1))
PARTIES = (("中共党员", .6), ("群众", .3), ("九三学社社员", .05), ("中国民主同盟盟员", .05))
HONOURS = ((None, .88), ("校级优秀班主任", .05), ("省级优秀教师", .03), ("校级优秀导师", .04))
DILIGENCE = (("全勤", .7), ("缺月", .2), ("较差", .1))  # and exactly one 无记录
PLACES = np.array(["学院会议室", "教学楼", "图书馆研讨室", "学生宿舍", "线上", "实验室", "学生活动中心", "食堂"], dtype=object)
TOPICS = ("学业规划", "心理健康", "生活适应", "考研经验交流", "安全教育", "就业指导", "学风建设", "竞赛准备", "专业认知", "诚信教育")
SESSION = 2.0  # hours (or 人次) one row carries for a sum:* rule
MESSY_HEADERS = {"活动记录": {"工号": "职工号", "时长": "时长(小时)"}}  # aliases the schema knows
EPOCH, EXCEL_1970 = date(1970, 1, 1), 25569  # day numbers count from 1970; Excel serial of that day
OPEN = -10**6  # an open start date


@dataclass(frozen=True)
class Injected:
    """A cell written in an office's odd-but-readable form (``bad=False``) or wrongly (``bad=True``)."""
    sheet: str
    row: int  # Excel row, 1-based
    column: str  # canonical column name
    value: str  # the text in the cell
    expected: Any  # what a reader should make of it; None for a bad cell
    bad: bool


@dataclass
class DemoInfo:
    path: Path
    policy: str
    seed: int
    year: str
    terms: dict[str, tuple[date, date]]
    rows: dict[str, int]  # sheet -> data rows
    mid_term_staff: str  # 工号 appointed mid-October; their 指导关系 start then too
    early_end_staff: str  # 工号 whose appointment ends in April
    idle_staff: str  # 工号 with no activity at all
    over_cap_staff: str | None  # 工号 one student above a max:students cap (when the pack has one)
    handover: dict[str, Any] | None  # a student or class that changes mentor mid-term
    diligence: dict[str, str]  # 工号 -> 全勤 / 缺月 / 较差 / 无记录
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet -> Excel row of its header
    headers: dict[str, list[str]] = field(default_factory=dict)  # as written (aliases when messy)
    injected: list[Injected] = field(default_factory=list)

    @property
    def problems(self) -> list[Injected]:
        """The genuinely bad cells: what the reader must report as 数据问题."""
        return [i for i in self.injected if i.bad]


@dataclass
class DemoData:
    frames: dict[str, pd.DataFrame]  # sheet -> frame with canonical columns, dates as datetime64
    info: DemoInfo
    extra: np.ndarray  # per 活动记录 row: a random extra row that no rule needs


def _d(x: date) -> int:
    return (x - EPOCH).days


def _dates(days) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]"))


def _pick(rng, choices, n) -> np.ndarray:
    names, p = zip(*choices)
    return np.array(names, dtype=object)[rng.choice(len(names), n, p=np.array(p) / sum(p))]


def _names(rng, n) -> np.ndarray:
    given = np.array(GIVEN, dtype=object)
    second = np.where(rng.random(n) < .6, given[rng.integers(0, len(given), n)], "")
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    return surname + given[rng.integers(0, len(given), n)] + second


def _csr(keys: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Values grouped by key 0..n-1: (offsets, values in key order)."""
    return np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n))]), values[np.argsort(keys, kind="stable")]


def _periods(kind: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """A term's periods of a kind as day numbers, clipped to the term."""
    if kind in ("week", "biweek"):
        step = 7 if kind == "week" else 14
        starts = np.arange(lo - (lo + 3) % 7, hi + 1, step)  # from the Monday (1970-01-01 was a Thursday)
        ends = starts + step - 1
    elif kind == "month":
        m = np.arange(np.datetime64(lo, "D").astype("M8[M]"), np.datetime64(hi, "D").astype("M8[M]") + 1)
        starts, ends = m.astype("M8[D]").astype("int64"), (m + 1).astype("M8[D]").astype("int64") - 1
    else:
        starts, ends = np.array([lo]), np.array([hi])
    return np.maximum(starts, lo), np.minimum(ends, hi)


def _windows(rule) -> tuple[np.ndarray, np.ndarray]:
    """Where a diligent mentor puts the rows of a rule: each period of both terms."""
    if rule.period == "year":
        return np.array([_d(TERMS[0][1])]), np.array([_d(TERMS[-1][2])])
    if rule.measure == "deadline":  # written in the month before the term starts
        return np.array([_d(t[1]) - 30 for t in TERMS]), np.array([_d(t[1]) - 1 for t in TERMS])
    ps = [_periods(rule.period, _d(t[1]), _d(t[2])) for t in TERMS]
    return np.concatenate([p[0] for p in ps]), np.concatenate([p[1] for p in ps])


# ----------------------------------------------------------------------------- people
def _students(rng, n: int) -> pd.DataFrame:
    """Four grades (2021-2024) of classes of about 30, students of a class sharing rooms of four."""
    df = pd.DataFrame({"年级": np.sort(2021 + np.arange(n) % 4)})
    pos = df.groupby("年级").cumcount().to_numpy()
    size = df.groupby("年级")["年级"].transform("size").to_numpy()
    cls = pos * np.maximum(1, np.round(size / 30)).astype(int) // size  # class number in the grade
    major, m = cls % len(MAJORS), np.array(MAJORS, dtype=object)
    seq = df.assign(major=major).groupby(["年级", "major"]).cumcount() + 1
    yy = (df["年级"] % 100).map("{:02d}".format)
    df["学号"] = df["年级"].astype(str) + pd.Series(major + 1).map("{:02d}".format) + seq.map("{:04d}".format)
    df["姓名"], df["学院"], df["专业"] = _names(rng, n), m[major, 0], m[major, 1]
    df["班级"] = m[major, 2] + yy + pd.Series(cls // len(MAJORS) + 1).map("{:02d}".format) + "班"
    room = pd.Series(np.arange(n) // 4)
    df["宿舍"] = ((room // 180 + 1).astype(str) + "号楼"  # 6 floors of 30 rooms a building
                + (room % 180 // 30 + 1).astype(str) + (room % 30 + 1).map("{:02d}".format))
    return df[["学号", "姓名", "学院", "专业", "年级", "班级", "宿舍"]]


def _assign(rng, pack: Pack, roles: np.ndarray, n_students: int, n_classes: int):
    """指导关系 as (staff, student, class) indices, -1 where unused; and the over-cap staff.

    A role with a pair rule mentors students (up to the pack's max:students cap, one
    mentor one above it); any other role takes classes, several when classes outnumber staff.
    """
    rows, over_cap, free = [], None, np.arange(n_students)[::-1]  # mentors take the newest students
    for role in pack.roles:
        s = np.flatnonzero(roles == role)
        if not len(s):
            continue
        if any(r.scope == "pair" and role in r.roles for r in pack.rules):
            caps = [r.maximum for r in pack.rules if r.measure == "max:students" and role in r.roles]
            cap = int(min(caps)) if caps else None
            k = rng.integers(max(1, cap - 3), cap + 1, len(s)) if cap else rng.integers(4, 11, len(s))
            if cap and over_cap is None:
                over_cap, k[0] = s[0], cap + 1
            ends = np.minimum(np.cumsum(k), len(free))
            stu, free = free[:ends[-1]], free[ends[-1]:]
            rows.append(np.column_stack([np.repeat(s, np.diff(ends, prepend=0)), stu, np.full(len(stu), -1)]))
        else:
            n = max(len(s), n_classes)
            rows.append(np.column_stack([s[np.arange(n) % len(s)], np.full(n, -1), np.arange(n) % n_classes]))
    return np.concatenate(rows), over_cap


# ----------------------------------------------------------------------------- the log
def _rule_rows(no: int, rule, pack: Pack, subj: pd.DataFrame, pools, types_ix, free_types, yos, rng):
    """What a diligent mentor logs for one rule: ``minimum``'s worth of rows per subject and period."""
    wlo, whi = _windows(rule)
    si, wi = np.repeat(np.arange(len(subj)), len(wlo)), np.tile(np.arange(len(wlo)), len(subj))
    lo, hi = np.maximum(subj["lo"].to_numpy()[si], wlo[wi]), np.minimum(subj["hi"].to_numpy()[si], whi[wi])
    ok = lo <= hi
    si, wi, lo, hi = si[ok], wi[ok], lo[ok], hi[ok]
    off, pool = pools["dorm" if rule.measure == "distinct:宿舍" else "student"]
    psize = np.diff(off)[subj["pool"].to_numpy()[si]]
    minimum = rule.minimum if rule.minimum is not None else 1
    every = rule.types or (list(pack.types) if rule.measure == "distinct:活动类型" else free_types)
    allowed = np.array([types_ix[t] for t in every])
    if rule.measure == "duties":  # the duties of the class's year of study, one row each
        duty = np.full((max(9, *rule.duties) + 1, max(map(len, rule.duties.values()))), -1)  # by year of study
        for y, ts in rule.duties.items():
            duty[y, :len(ts)] = [types_ix[t] for t in ts]
        k = (duty[yos[subj["cls"].to_numpy()[si]]] >= 0).sum(axis=1)
    elif rule.measure == "share:学号":
        k = np.ceil(minimum * psize).astype(int)
    elif rule.measure == "distinct:活动类型":
        k = np.full(len(si), len(allowed))
    else:
        k = np.full(len(si), math.ceil(minimum / (SESSION if rule.measure.startswith("sum:") else 1)))
    r = np.repeat(np.arange(len(si)), k)
    j = np.arange(len(r)) - np.repeat(np.cumsum(k) - k, k)  # row number within its subject × period
    n = len(r)
    if rule.measure == "duties":
        typ = duty[yos[subj["cls"].to_numpy()[si[r]]], j]
    elif rule.measure == "distinct:活动类型":
        typ = allowed[j % len(allowed)]
    else:  # any of the rule's types counts: vary them
        typ = allowed[rng.integers(0, len(allowed), n)]
    sub = subj.iloc[si[r]]
    student = sub["student"].to_numpy()
    picks = rule.measure in ("distinct:学号", "distinct:宿舍", "share:学号")
    if picks:  # different students (rooms) each row, rotating through the pool period by period
        at = off[sub["pool"].to_numpy()] + (j + wi[r] * k[r]) % np.maximum(psize[r], 1)
        student = np.where(psize[r] > 0, pool[np.minimum(at, len(pool) - 1)], -1)
    # one-to-many sessions merge rows of one staff, rule and period: across the students of a
    # pair rule (same j), or up to four rows of a distinct/share rule within one class
    slot = j if rule.scope == "pair" else (sub["cls"].to_numpy() + 1) * 1000 + j // 4
    return pd.DataFrame({
        "day": lo[r] + (rng.random(n) * (hi - lo + 1)[r]).astype("int64"), "staff": sub["staff"].to_numpy(),
        "type": typ, "student": student, "cls": sub["cls"].to_numpy(), "dorm": rule.measure == "distinct:宿舍",
        "hours": SESSION if rule.measure == "sum:时长" else rng.choice([.5, 1, 1, 1.5, 2], n),
        "count": SESSION if rule.measure == "sum:人次" else np.nan,
        "merge": (rule.scope == "pair" or picks) and rule.measure != "distinct:宿舍",
        "grp": ((no * 1_000_000 + sub["staff"].to_numpy()) * 1000 + wi[r]) * 10**7 + slot,
    })


def _activity(rng, pack: Pack, w: dict, log_rows: int | None) -> pd.DataFrame:
    """The 活动记录 as index-coded rows: rule-driven, thinned, merged, with extras, scaled."""
    types = list(pack.types)
    types_ix = {t: i for i, t in enumerate(types)}
    used = {t for r in pack.rules for t in (r.all_types or ())}
    free_types = [t for t in types if t not in used] or types  # for rules of any type
    parts = []
    for no, rule in enumerate(pack.rules):
        if rule.measure == "max:students":  # structural: nothing to log
            continue
        subj = w["subjects"][rule.scope]
        subj = subj[np.isin(w["roles"][subj["staff"].to_numpy()], rule.roles)].reset_index(drop=True)
        parts.append(_rule_rows(no, rule, pack, subj, w["pools"], types_ix, free_types, w["yos"], rng))
    log = pd.concat(parts, ignore_index=True)

    # diligence: most log everything, some miss a month or two, a few are poor, one logs nothing
    st, dil = log["staff"].to_numpy(), w["diligence"]
    gap = rng.choice([1, 2, 3, 6, 7, 8], (len(dil), 2))  # months from September: Oct–Dec, Mar–May
    gap[rng.random(len(dil)) < .5, 1] = -1
    month = (log["day"].to_numpy().astype("M8[D]").astype("M8[M]") - np.datetime64("2024-09")).astype(int)
    d = dil[st]
    log = log[(d == "全勤") | ((d == "缺月") & (month != gap[st, 0]) & (month != gap[st, 1]))
              | ((d == "较差") & (rng.random(len(log)) < .45))]

    # one-to-many sessions: some groups of rows become one row listing several 学号
    u, inv = np.unique(log["grp"].to_numpy(), return_inverse=True)
    sel = log["merge"].to_numpy() & (log["student"].to_numpy() >= 0) & (rng.random(len(u)) < .15)[inv]
    ids = np.where(log["student"] >= 0, w["sid"][log["student"].clip(lower=0)], None)
    log = log.assign(ids=pd.Series(ids, index=log.index, dtype=object))  # object: no 1M-row arrow conversion
    merged = log[sel].groupby("grp", sort=False).agg(
        day=("day", "min"), ids=("ids", "、".join),
        **{c: (c, "first") for c in ("staff", "type", "student", "cls", "dorm", "hours", "count")})
    log = pd.concat([log[~sel], merged.reset_index(drop=True)], ignore_index=True)

    # random extra rows, a fifth of them on holidays; none for the staff member who logs nothing
    n = max(20, len(log) // 20)
    who = rng.choice(np.flatnonzero(dil != "无记录"), n)
    lo, hi = w["lo"][who], w["hi"][who]
    hol = np.concatenate([np.arange(_d(s), _d(e or s) + 1) for _, s, e in HOLIDAYS])
    day = np.where(rng.random(n) < .2, rng.choice(hol, n), lo + (rng.random(n) * (hi - lo + 1)).astype(int))
    off, pool = w["pools"]["student"]
    size = np.diff(off)[who]
    at = np.minimum(off[who] + (rng.random(n) * np.maximum(size, 1)).astype(int), len(pool) - 1)
    stu = np.where((size > 0) & (rng.random(n) < .5), pool[at], -1)
    ids = np.where(stu >= 0, w["sid"][np.maximum(stu, 0)], None)
    group = (stu >= 0) & (at + 1 < off[who + 1]) & (rng.random(n) < .2)  # a few group sessions
    ids[group] = ids[group] + "、" + w["sid"][pool[at[group] + 1]]
    extra = pd.DataFrame({"day": np.clip(day, lo, hi), "staff": who, "type": rng.integers(0, len(types), n),
                          "student": stu, "ids": pd.Series(ids, dtype=object),
                          "cls": w["first_cls"][who], "dorm": False, "hours": rng.choice([.5, 1, 1.5, 2], n),
                          "count": np.nan, "extra": True})
    log = pd.concat([log.assign(extra=False), extra], ignore_index=True)

    if log_rows is not None:  # scale: sample down, or repeat rows a few days earlier or later
        if log_rows <= len(log):
            log = log.iloc[np.sort(rng.choice(len(log), log_rows, replace=False))]
        else:
            more = log.iloc[rng.integers(0, len(log), log_rows - len(log))]
            st = more["staff"].to_numpy()
            day = np.clip(more["day"].to_numpy() + rng.integers(-3, 4, len(more)), w["lo"][st], w["hi"][st])
            log = pd.concat([log, more.assign(day=day)], ignore_index=True)
    return log.iloc[np.lexsort((log["staff"].to_numpy(), log["day"].to_numpy()))].reset_index(drop=True)


def _log_frame(rng, pack: Pack, log: pd.DataFrame, w: dict) -> pd.DataFrame:
    """Index-coded rows -> the sheet's values, some types written as the pack's aliases."""
    n, tmap = len(log), pack.type_map()
    tnames = np.array(list(pack.types), dtype=object)[log["type"].to_numpy()]
    for t, aliases in pack.types.items():
        ok = [x for x in aliases if tmap.get(normalise_label(x)) == t]
        m = (tnames == t) & (rng.random(n) < .12)
        if ok and m.any():
            tnames[m] = np.array(ok, dtype=object)[rng.integers(0, len(ok), m.sum())]
    # 内容 = type：topic, built once per distinct pair
    codes, uniq = pd.factorize(tnames)
    combo = codes * len(TOPICS) + rng.integers(0, len(TOPICS), n)
    vals, inv = np.unique(combo, return_inverse=True)
    text = np.array([f"{uniq[v // len(TOPICS)]}：{TOPICS[v % len(TOPICS)]}" for v in vals], dtype=object)
    stu, cls = log["student"].to_numpy(), log["cls"].to_numpy()
    text_cols = {  # kept as object arrays: pandas' arrow strings cost seconds at 1M rows
        "工号": w["staff_ids"][log["staff"].to_numpy()], "活动类型": tnames, "学号": log["ids"].to_numpy(),
        "班级": np.where(cls >= 0, w["cls_names"][np.maximum(cls, 0)], None),
        "宿舍": np.where(log["dorm"].to_numpy(dtype=bool), w["rooms"][np.maximum(stu, 0)], None),
        "地点": PLACES[rng.integers(0, len(PLACES), n)], "内容": text[inv]}
    return pd.DataFrame({"日期": _dates(log["day"].to_numpy()), **{k: pd.Series(v, dtype=object) for k, v in text_cols.items()},
                         "时长": log["hours"].to_numpy(dtype=float), "人次": log["count"].to_numpy(dtype=float)})


# ----------------------------------------------------------------------------- all sheets
def _world(rng, pack: Pack, staff: int, students: int) -> dict:
    """Students, staff, appointments and 指导关系 (index-coded), with the special cases."""
    y_hi = _d(TERMS[-1][2])
    stu = _students(rng, students)
    classes = stu.drop_duplicates("班级")[["班级", "年级", "学院"]].reset_index(drop=True)
    cls_of = pd.Series(np.arange(len(classes)), index=classes["班级"])[stu["班级"]].to_numpy()
    roles = np.array(list(pack.roles), dtype=object)[rng.permutation(staff) % len(pack.roles)]  # an even mix
    asg, over_cap = _assign(rng, pack, roles, students, len(classes))
    a = pd.DataFrame(asg, columns=["staff", "student", "cls"]).assign(start=OPEN, end=y_hi + 1)  # open ends
    perm = rng.permutation(staff)
    mid, early, idle = perm[(np.bincount(a["staff"], minlength=staff)[perm] > 0) & (perm != over_cap)][:3]
    special = [x for x in (mid, early, idle, over_cap) if x is not None]
    years = pack.appointment_years or 3  # a policy silent on 聘期: the demo appoints for three years
    first = rng.integers(2025 - years, 2025, staff)  # every appointment covers the 学年
    app_lo = np.array([_d(date(int(y), 9, 1)) for y in first])
    app_hi = np.array([_d(date(int(y) + years, 8, 31)) for y in first])
    app_lo[mid], app_hi[early] = _d(MID_TERM_START), _d(EARLY_END)
    a.loc[a["staff"] == mid, "start"] = _d(MID_TERM_START)
    handover, load = None, np.bincount(a["staff"], minlength=staff).astype(float)
    for i in rng.permutation(len(a)):  # a student or class changes hands; the receiver has least to do
        s, same = a.at[i, "staff"], (a["student"] == a.at[i, "student"]) & (a["cls"] == a.at[i, "cls"])
        free = np.where(roles == roles[s], load, np.inf)
        free[special + [s] + list(a.loc[same, "staff"])] = np.inf
        if s in special or np.isinf(free.min()):
            continue
        a.at[i, "end"] = _d(HANDOVER) - 1
        a.loc[len(a)] = [int(np.argmin(free)), a.at[i, "student"], a.at[i, "cls"], _d(HANDOVER), y_hi + 1]
        handover = (i, len(a) - 1)
        break
    a["lo"], a["hi"] = np.maximum(a["start"], app_lo[a["staff"]]), np.minimum(a["end"], app_hi[a["staff"]])
    dil = _pick(rng, DILIGENCE, staff)
    dil[special], dil[idle] = "全勤", "无记录"
    first_cls = a[a["cls"] >= 0].groupby("staff")["cls"].first().reindex(range(staff), fill_value=-1).to_numpy()
    return {"stu": stu, "classes": classes, "cls_of": cls_of, "roles": roles, "a": a, "app_lo": app_lo,
            "app_hi": app_hi, "mid": mid, "early": early, "idle": idle, "over_cap": over_cap, "handover": handover,
            "diligence": dil, "first_cls": first_cls, "sid": stu["学号"].to_numpy(), "rooms": stu["宿舍"].to_numpy(),
            "lo": np.maximum(app_lo, _d(TERMS[0][1])), "hi": np.minimum(app_hi, y_hi),  # active in the 学年
            "yos": (int(YEAR[:4]) - classes["年级"].to_numpy() + 1).clip(1, 9),  # year of study per class
            "cls_names": classes["班级"].to_numpy(),
            "staff_ids": np.array([f"T{i + 1:0{max(4, len(str(staff)))}d}" for i in range(staff)], dtype=object)}


def _subjects(w: dict) -> None:
    """Who rules are checked for (staff, pair, class) and the student pools they draw on:
    keys < staff are a staff member's students, keys ≥ staff a class's."""
    a, staff, n = w["a"], len(w["roles"]), len(w["sid"])
    by_cls = pd.DataFrame({"cls": w["cls_of"], "student": np.arange(n)})
    mem = pd.concat([a.loc[a["student"] >= 0, ["staff", "student"]],
                     a.loc[a["cls"] >= 0, ["staff", "cls"]].merge(by_cls, on="cls")[["staff", "student"]],
                     by_cls.assign(staff=by_cls["cls"] + staff)[["staff", "student"]]]).drop_duplicates()
    one_per_room = mem.assign(room=w["rooms"][mem["student"]]).drop_duplicates(["staff", "room"])
    keys = staff + len(w["classes"])
    w["pools"] = {"student": _csr(mem["staff"].to_numpy(), mem["student"].to_numpy(), keys),
                  "dorm": _csr(one_per_room["staff"].to_numpy(), one_per_room["student"].to_numpy(), keys)}
    w["n_students"] = np.bincount(mem["staff"][mem["staff"] < staff], minlength=staff)
    w["subjects"] = {
        "staff": pd.DataFrame({"staff": np.arange(staff), "student": -1, "cls": w["first_cls"],
                               "lo": w["app_lo"], "hi": w["app_hi"], "pool": np.arange(staff)}),
        "pair": a[a["student"] >= 0].assign(pool=lambda f: f["staff"]),
        "class": a[a["cls"] >= 0].assign(pool=lambda f: f["cls"] + staff)}


def _office_sheets(rng, pack: Pack, w: dict) -> dict[str, pd.DataFrame]:
    """Every sheet but 活动记录."""
    a, ids, stu, classes = w["a"], w["staff_ids"], w["stu"], w["classes"]
    n, y_hi, off, pool = len(ids), _d(TERMS[-1][2]), *w["pools"]["student"]
    f = {"学生": stu, "列映射": pd.DataFrame(columns=["表", "原列名", "标准列名"])}
    f["设置"] = pd.DataFrame(_office_settings(pack)
                           + [(s.label, _setting(s.default), s.note) for s in pack.settings.values()],
                           columns=["项目", "值", "说明"])
    f["学期"] = pd.DataFrame({"学期": [t[0] for t in TERMS], "开始日期": _dates([_d(t[1]) for t in TERMS]),
                            "结束日期": _dates([_d(t[2]) for t in TERMS])})
    f["假期"] = pd.DataFrame({"开始日期": _dates([_d(h[1]) for h in HOLIDAYS]), "名称": [h[0] for h in HOLIDAYS],
                            "结束日期": _dates([_d(h[2] or h[1]) for h in HOLIDAYS]).where([bool(h[2]) for h in HOLIDAYS])})
    college = np.where(w["first_cls"] >= 0, classes["学院"].to_numpy()[np.maximum(w["first_cls"], 0)],
                       stu["学院"].to_numpy()[pool[np.minimum(off[:n], len(pool) - 1)]])  # of their first student
    f["人员"] = pd.DataFrame({
        "工号": ids, "姓名": _names(rng, n), "角色": w["roles"], "学院": college,
        "职称": _pick(rng, TITLES, n), "职务": _pick(rng, POSTS, n), "性别": np.where(rng.random(n) < .55, "男", "女"),
        "出生日期": _dates(_d(date(1965, 1, 1)) + rng.integers(0, 30 * 365, n)),
        "学历": _pick(rng, DEGREES, n), "政治面貌": _pick(rng, PARTIES, n),
        "联系电话": [f"1{p}{x:09d}" for p, x in zip(rng.choice([3, 5, 8], n), rng.integers(0, 10**9, n))],
        "聘任开始": _dates(w["app_lo"]), "聘任结束": _dates(w["app_hi"]), "班主任年限": rng.integers(0, 13, n).astype(float),
        "荣誉": _pick(rng, HONOURS, n), "撤销日期": pd.NaT, "邮箱": [f"{s.lower()}@example.edu.cn" for s in ids]})
    f["指导关系"] = pd.DataFrame({
        "工号": ids[a["staff"]], "学号": np.where(a["student"] >= 0, w["sid"][a["student"].clip(lower=0)], None),
        "班级": np.where(a["cls"] >= 0, w["cls_names"][a["cls"].clip(lower=0)], None),
        "开始日期": _dates(a["start"]).where(a["start"] > OPEN), "结束日期": _dates(a["end"]).where(a["end"] <= y_hi)})
    sv = pd.DataFrame({"工号": np.repeat(ids, len(TERMS)), "学期": [t[0] for t in TERMS] * n,
                       "应参评人数": np.repeat(w["n_students"], len(TERMS))})
    sv["参评人数"] = np.ceil(sv["应参评人数"] * rng.uniform(.75, 1, len(sv))).astype(int)
    sv.loc[0, "参评人数"] = sv.at[0, "应参评人数"] // 2  # one survey below 2/3 of the class: to be redone
    sv["满意度"] = np.round(rng.uniform(72, 99, len(sv)), 1)
    f["测评"] = sv[["工号", "学期", "满意度", "参评人数", "应参评人数"]]
    f["组织考核"] = rv = pd.DataFrame({"工号": ids, "学年": YEAR, "得分": np.round(rng.uniform(65, 98, n), 1),
                                    "一票否决": "否", "备注": None})
    rv.loc[rng.integers(0, n), ["一票否决", "备注"]] = ["是", "年度内发生师德失范行为"]
    # Ranks for the term before the 学年 too, so an old class's improvement can be judged.
    before = classes[classes["年级"] < int(YEAR[:4])].assign(学期=PREVIOUS_TERM)
    rk = pd.concat([before, *[classes.assign(学期=t[0]) for t in TERMS]], ignore_index=True)
    rk["排名"] = rk.groupby(["学期", "年级"])["班级"].transform(lambda g: rng.permutation(len(g)) + 1)
    rk["年级班级数"] = rk.groupby(["学期", "年级"])["班级"].transform("size")
    rk["新生班"] = np.where(rk["年级"] == rk["学期"].str[:4].astype(int), "是", "否")
    f["班级量化"] = rk[["班级", "学期", "排名", "年级班级数", "新生班"]]
    f["奖项提名"] = _nominations(rng, pack, f["人员"])
    return f


def demo_frames(policy: str = "bit-2022", *, seed: int = 2024, staff: int = 40, students: int = 400,
                log_rows: int | None = None) -> DemoData:
    """Every sheet of the demo workbook as frames (nothing written). Deterministic per seed."""
    if staff < 8 or students < 40:
        raise ValueError("示例数据至少需要 8 名教师和 40 名学生")
    pack, rng = load_pack(policy), np.random.default_rng(seed)
    w = _world(rng, pack, staff, students)
    _subjects(w)
    log = _activity(rng, pack, w, log_rows)
    frames = {"活动记录": _log_frame(rng, pack, log, w), **_office_sheets(rng, pack, w)}
    ids, ho = w["staff_ids"], None
    if w["handover"]:
        f, t = (frames["指导关系"].iloc[i] for i in w["handover"])
        ho = {"from": f["工号"], "to": t["工号"], "date": HANDOVER,
              **{c: None if pd.isna(f[c]) else f[c] for c in ("学号", "班级")}}
    info = DemoInfo(Path(), pack.id, seed, YEAR, {t[0]: (t[1], t[2]) for t in TERMS},
                    {s.name: len(frames[s.name]) for s in SHEETS}, ids[w["mid"]], ids[w["early"]], ids[w["idle"]],
                    None if w["over_cap"] is None else ids[w["over_cap"]], ho, dict(zip(ids, w["diligence"])))
    return DemoData({s.name: frames[s.name][list(s.names)] for s in SHEETS}, info, log["extra"].to_numpy(dtype=bool))


def _office_settings(pack: Pack) -> list[tuple]:
    """What a real office of this policy fills in: its name, the issuing office, the 文号
    (prefix + serial; the year is the notice's), 抄送 and 印发机关 (the 公文's 版记)."""
    # the pack's [documents] example_* values (not through documents.wording: the demo runs
    # without the docs extra, whose package imports Jinja)
    ex = pack.documents
    return [("制度", pack.id, pack.name), ("单位名称", pack.institution, None), ("发文机关", pack.issuer, None),
            ("发文字号前缀", ex.get("example_doc_prefix"), None), ("文号", "12", None),
            ("抄送", ex.get("example_cc"), None), ("印发机关", ex.get("example_printer") or pack.issuer, None),
            ("学年", YEAR, None)]


def _setting(v):
    """A ⚙ default as an office types it: numbers as numbers, 是/否, lists joined by 、."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)):
        return v
    return "、".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)


def _nominations(rng, pack: Pack, people: pd.DataFrame) -> pd.DataFrame:
    """A few nominees per award of the pack: people of the award's role, or colleges."""
    rows, colleges = [], sorted(people["学院"].dropna().unique())
    for aw in pack.awards:
        if aw.recipient == "college":
            picks = [(None, c) for c in rng.permutation(colleges)[:2]]
        else:
            pool = people[people["角色"] == aw.role] if aw.role in pack.roles else people
            picks = [tuple(pool.iloc[i][["工号", "学院"]]) for i in rng.permutation(len(pool))[:rng.integers(1, 4)]]
        rows += [(aw.name, sid, col, n) for n, (sid, col) in enumerate(picks, start=1)]
    return pd.DataFrame(rows, columns=["奖项", "工号", "学院", "排序"])


# ----------------------------------------------------------------------------- the file
def _inject(data: DemoData, pack: Pack, rng) -> dict[tuple[int, str], Injected]:
    """Odd-but-readable cells and three bad ones in the 活动记录, keyed by (frame row, column)."""
    log, used = data.frames["活动记录"], set()

    def row(candidates) -> int:
        left = np.setdiff1d(candidates, list(used))
        i = int(rng.choice(left if len(left) else np.setdiff1d(np.arange(len(log)), list(used))))
        used.add(i)
        return i

    plain, extra = np.flatnonzero(~data.extra), np.flatnonzero(data.extra)  # bad cells only on rows no rule needs
    single = np.flatnonzero(log["学号"].notna().to_numpy() & ~log["学号"].fillna("").str.contains("、").to_numpy())
    odd = next(t for t in ("喝茶聊天", "打扫卫生", "其他事项") if normalise_label(t) not in pack.type_map())
    out = {}
    for i, col, value, bad in (
        (row(plain), "日期", lambda d: f"{d.year}/{d.month}/{d.day}", False),
        (row(plain), "日期", lambda d: f"{d.year}年{d.month}月{d.day}日", False),
        (row(single), "学号", lambda v: f"{v}.0", False),
        (row(np.flatnonzero(log["时长"].to_numpy() == 2)), "时长", lambda v: "2小时", False),
        (row(extra), "人次", lambda v: "３", False),
        (row(extra), "日期", lambda v: "2024-13-01", True),
        (row(extra), "活动类型", lambda v: odd, True),
        (row(extra), "时长", lambda v: "约半天", True),
    ):
        v = log.at[i, col]
        v = v.date() if col == "日期" else v
        text = value(v)
        expected = None if bad else 3.0 if text == "３" else 2.0 if col == "时长" else v
        out[(i, col)] = Injected("活动记录", 0, col, text, expected, bad)
    return out


def _cells(s: pd.Series, kind: str) -> list:
    """A column as the values to write: Excel serials for dates, None for blanks."""
    blank = s.isna().to_numpy()
    if kind == "date":
        s = pd.Series(s.to_numpy().astype("M8[D]").astype("int64") + EXCEL_1970, dtype=float)
    return s.astype(object).where(~blank, None).tolist()


def _write_rows(ws, sheet, df: pd.DataFrame, first: int, cells: dict, date_fmt, chunk: int = 100_000) -> None:
    """Write a frame below its header, a chunk of rows at a time (memory stays flat at 1M rows)."""
    fmts = [date_fmt if c.kind == "date" else None for c in sheet.columns]
    for start in range(0, len(df), chunk):
        part = df.iloc[start:start + chunk]
        cols = [_cells(part[c.name], c.kind) for c in sheet.columns]
        for (i, c), v in cells.items():  # the injected cells, as text
            if start <= i < start + chunk:
                cols[c][i - start] = v
        for r, values in enumerate(zip(*cols), start=first + start):
            for c, v in enumerate(values):
                if v is None:
                    continue
                if type(v) is str:
                    ws.write_string(r, c, v)
                else:
                    ws.write_number(r, c, v, fmts[c])


def build_demo_book(path, policy: str = "bit-2022", *, seed: int = 2024, staff: int = 40, students: int = 400,
                    messy: bool = True, log_rows: int | None = None) -> DemoInfo:
    """Write the demo office workbook of a pack to ``path`` (an .xlsx file, or a directory).

    Same seed, same content. ``log_rows`` makes the 活动记录 exactly that long (benchmarks);
    ``messy`` adds the cells listed in ``DemoInfo.injected``.
    """
    import xlsxwriter

    data = demo_frames(policy, seed=seed, staff=staff, students=students, log_rows=log_rows)
    info, frames = data.info, data.frames
    path = Path(path)
    if path.is_dir() or not path.suffix:
        path = path / f"示例-{info.policy}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    info.path = path
    injected = _inject(data, load_pack(policy), np.random.default_rng(seed + 1)) if messy else {}
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # rows go out in order: flat memory at 1M rows
    wb.set_properties({"title": f"{YEAR}学年学生工作示例数据（{info.policy}）", "author": "mentor_xl",
                       "created": datetime(2024, 9, 1)})  # fixed, so the same seed gives the same file
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    title = wb.add_format({"bold": True, "font_size": 14})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in SHEETS:
        df, ws = frames[sheet.name], wb.add_worksheet(sheet.name)
        headers = [(MESSY_HEADERS.get(sheet.name, {}) if messy else {}).get(c, c) for c in sheet.names]
        for c, col in enumerate(sheet.columns):
            ws.set_column(c, c, col.width + (2 if col.kind == "date" else 0))
        top = 1 if messy and sheet.name == "活动记录" else 0  # offices put a title above the header
        if top:
            ws.merge_range(0, 0, 0, len(headers) - 1, f"{YEAR}学年 导师工作记录（示例）", title)
        ws.write_row(top, 0, headers, head)
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, top + max(len(df), 1), len(headers) - 1)
        cells = {(i, sheet.names.index(col)): inj.value for (i, col), inj in injected.items() if sheet.name == "活动记录"}
        _write_rows(ws, sheet, df, top + 1, cells, date_fmt)
        info.header_rows[sheet.name], info.headers[sheet.name] = top + 1, headers
    wb.close()
    first = info.header_rows["活动记录"] + 1
    info.injected = sorted((Injected(j.sheet, first + i, j.column, j.value, j.expected, j.bad)
                            for (i, _), j in injected.items()), key=lambda j: j.row)
    return info
