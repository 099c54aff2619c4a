"""Eligibility of mentors (任职资格) and pairing priority, from the pack's data.

``[eligibility]`` names predicates (tests on a 人员 row) and requirements over them:
  predicates  kind = title_at_least | office_at_least | honour_at_least | education_at_least
              | number_at_least | age_below | not_removed_within | text_contains
  requirements  any = [...] or all = [...], optionally only ``when`` predicates hold or
              ``unless`` they hold.
Tables that map what offices write onto ordered levels are pack data too: [titles]
(职称 → 初级/中级/副高/正高), [offices] (职务 → 干部级别), [education], [honours], with the
order in ``[eligibility] *_order``.

``age_below`` reads 以下 as Chinese official usage does: the number itself is included
(50岁以下 includes 50). ``[eligibility.after_fail]`` (lctc-2024 五.5): with ``--term T``, the
term before T is assessed from the same book and whoever had that tier is ineligible for T.

Logic is three-valued: a predicate is True, False or unknown (None: the data is blank or
not in the table). A requirement that is False makes the person ineligible (不符合); one
that is unknown, and none False, leaves it 待定 with the reason.

``[pairing]`` (lctc-2024 四(四)) ranks classes for mentor pairing: classes of newly hired
teachers (an optional yes/no column of 班级量化 named in the pack) and classes in the
bottom share of the ranking come first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import pandas as pd

from mentor_xl.assess.text import _share
from mentor_xl.roster import blank as _blank, people_with_roles, text as _text
from mentor_xl.money import to_fraction
from mentor_xl.packs import Pack, normalise_label
from mentor_xl.packs.model import Predicate
from mentor_xl.periods import find_term, term_code, timestamp
from mentor_xl.problems import FatalInputError, Problems

STATUS_LABELS = {"eligible": "符合", "ineligible": "不符合", "unknown": "待定"}
_SPLIT = re.compile(r"[、,，;；/／]+")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "新入职", "新教师"}


# ---------------------------------------------------------------------------- level tables
def _levels(pack: Pack, table: str) -> dict[str, str]:
    """normalised name -> level, from a pack table {level: [names]}."""
    out = {}
    for level, names in pack.tables.get(table, {}).items():
        for n in (level, *names):
            out.setdefault(normalise_label(n), level)
    return out


def title_rank(pack: Pack, title) -> str | None:
    """The level (初级/中级/副高/正高) of a 职称 as written; several listed → the highest; None if unknown."""
    t = _text(title)
    if t is None:
        return None
    table = _levels(pack, "titles")
    order = list(pack.eligibility.orders.get("title_order", ())) if pack.eligibility else []
    found = []
    for part in _SPLIT.split(t):
        found.append(_title_one(table, part))
    found = [f for f in found if f]
    if not found:
        return None
    return max(found, key=lambda lv: order.index(lv) if lv in order else -1)


def _title_one(table: dict[str, str], text: str) -> str | None:
    s = normalise_label(text)
    if not s:
        return None
    if s in table:
        return table[s]
    s2 = re.sub(r"\(.*?\)|\[.*?\]", "", s)  # 教授(二级), 讲师（高校）
    if s2 in table:
        return table[s2]
    s3 = re.sub(r"[一二三四五六七八九十\d]+级$", "", s2)  # 教授二级; not for 一级教师, matched above
    return table.get(s3)


def _suffix_level(table: dict[str, str], text: str) -> tuple[str | None, bool]:
    """(level, recognised) of one 职务: the longest table name that the text ends with."""
    s = normalise_label(text)
    best = None
    for name, level in table.items():
        if s.endswith(name) and (best is None or len(name) > len(best[0])):
            best = (name, level)
    return (best[1], True) if best else (None, False)


def _keyword_level(pack: Pack, table: str, text: str) -> str | None:
    """The first level (tables list the highest first) with a keyword contained in the text."""
    s = normalise_label(text)
    for level, words in pack.tables.get(table, {}).items():
        if any(normalise_label(w) in s for w in words):
            return level
    return None


# ---------------------------------------------------------------------------- predicates
@dataclass
class _Ctx:
    pack: Pack
    as_of: date
    orders: dict[str, list[str]]


def _order_ok(ctx: _Ctx, order_key: str, have: str | None, need: str) -> bool | None:
    order = ctx.orders.get(order_key) or ()  # the load checked that ``need`` is in it
    if have is None:
        return None
    if have not in order:
        return False  # e.g. 职务 level "无"
    return order.index(have) >= order.index(need)


def _num_setting(pack: Pack, key) -> Fraction:
    if isinstance(key, (int, float)):
        return to_fraction(key)
    try:  # the load checked that the key is a setting
        return to_fraction(pack.setting(key))
    except ValueError as e:
        raise FatalInputError(f"设置项“{pack.settings[key].label}”的值“{pack.setting(key)}”不是数字") from e


def _eval(ctx: _Ctx, pred: Predicate, person: dict) -> tuple[bool | None, str, str]:
    """(value, detail in Chinese, column) of one predicate for one 人员 row."""
    kind = pred.kind
    pack = ctx.pack
    if kind == "title_at_least":
        raw = _text(person.get("职称"))
        if raw is None:
            return None, "未填职称", "职称"
        lv = title_rank(pack, raw)
        if lv is None:
            return None, f"职称“{raw}”不在本制度的职称对照表中，无法判断级别", "职称"
        ok = _order_ok(ctx, "title_order", lv, pred.rank)
        return ok, f"职称“{raw}”属{lv}", "职称"
    if kind == "office_at_least":
        raw = _text(person.get("职务"))
        if raw is None:
            return False, "未担任干部职务（职务为空）", "职务"
        table = _levels(pack, "offices")
        levels, unknown = [], []
        for part in _SPLIT.split(raw):
            if not part.strip():
                continue
            lv, known = _suffix_level(table, part)
            (levels.append(lv) if known else unknown.append(part.strip()))
        order = ctx.orders.get("office_order") or []
        ranked = [lv for lv in levels if lv in order]
        if ranked:
            best = max(ranked, key=order.index)
            return _order_ok(ctx, "office_order", best, pred.rank), f"职务“{raw}”属{best}", "职务"
        if unknown:
            return None, f"职务“{raw}”不在本制度的职务对照表中，无法判断干部级别", "职务"
        return False, f"职务“{raw}”不属干部职务", "职务"
    if kind == "honour_at_least":
        raw = _text(person.get("荣誉"))
        if raw is None:
            return False, "未填育人荣誉", "荣誉"
        order = ctx.orders.get("honour_order") or []
        lvs = [_keyword_level(pack, "honours", h) for h in _SPLIT.split(raw) if h.strip()]
        lvs = [lv for lv in lvs if lv in order]
        if not lvs:
            return False, f"荣誉“{raw}”未达{pred.rank}", "荣誉"
        best = max(lvs, key=order.index)
        return _order_ok(ctx, "honour_order", best, pred.rank), f"荣誉“{raw}”属{best}", "荣誉"
    if kind == "education_at_least":
        raw = _text(person.get("学历"))
        if raw is None:
            return None, "未填学历", "学历"
        lv = _keyword_level(pack, "education", raw)
        if lv is None:
            return None, f"学历“{raw}”无法识别", "学历"
        return _order_ok(ctx, "education_order", lv, pred.rank), f"学历“{raw}”属{lv}", "学历"
    if kind == "number_at_least":
        col = pred.column
        v = person.get(col)
        need = _num_setting(pack, pred.min)
        if _blank(v):
            return None, f"未填{col}", col
        have = to_fraction(float(v))
        return have >= need, f"{col} {_n(have)}（要求不少于 {_n(need)}）", col
    if kind == "age_below":
        b = person.get("出生日期")
        limit = _num_setting(pack, pred.years)
        if _blank(b):
            return None, "未填出生日期，无法判断年龄", "出生日期"
        b = pd.Timestamp(b).date()
        age = ctx.as_of.year - b.year - ((ctx.as_of.month, ctx.as_of.day) < (b.month, b.day))
        # 以下 includes the number itself (docs/policies.md): 50岁以下 includes 50
        return age <= limit, f"截至 {ctx.as_of.isoformat()} 年满 {age} 周岁", "出生日期"
    if kind == "not_removed_within":
        d = person.get("撤销日期")
        years = int(_num_setting(pack, pred.years))
        if _blank(d):
            return True, "无撤销任职资格记录", "撤销日期"
        d = pd.Timestamp(d).date()
        until = _add_years(d, years)
        if ctx.as_of < until:
            return False, (f"于 {d.isoformat()} 被撤销任职资格，{years}年内（{until.isoformat()} 前）"
                           f"不得重新申请"), "撤销日期"
        return True, f"于 {d.isoformat()} 被撤销任职资格，已满{years}年", "撤销日期"
    if kind == "text_contains":
        cols = list(pred.columns)
        words = [normalise_label(w) for w in pred.words]
        for c in cols:
            t = _text(person.get(c))
            if t and any(w in normalise_label(t) for w in words):
                return True, f"{c}“{t}”", c
        shown = "、".join(f"{c}“{_text(person.get(c)) or '空'}”" for c in cols)
        return False, shown, cols[0]
    raise AssertionError(kind)  # the load checked the kind


def _n(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else str(float(f))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _any(vals):
    if any(v is True for v in vals):
        return True
    if all(v is False for v in vals):
        return False
    return None


def _all(vals):
    if any(v is False for v in vals):
        return False
    if all(v is True for v in vals):
        return True
    return None


# ---------------------------------------------------------------------------- result
@dataclass
class EligibilityResult:
    policy: str
    as_of: date
    results: list[dict]  # staff_id, name, college, role, status, reasons, checks, row
    pairing: list[dict] = field(default_factory=list)
    pairing_term: str | None = None
    message: str | None = None
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        out = {"policy": self.policy, "as_of": self.as_of.isoformat(),
               "results": [{"staff_id": r["staff_id"], "name": r["name"], "college": r["college"],
                            "role": r["role"], "eligible": {"eligible": True, "ineligible": False}.get(r["status"]),
                            "status": r["status"], "conclusion": STATUS_LABELS[r["status"]],
                            "reasons": list(r["reasons"]),
                            "checks": [{"condition": c["label"], "value": c["value"], "detail": c["detail"]}
                                       for c in r["checks"]]} for r in self.results],
               "problems": self.problems.to_list()}
        if self.pairing or self.pairing_term:
            out["pairing_term"] = self.pairing_term
            out["pairing"] = [dict(p) for p in self.pairing]
        if self.message:
            out["message"] = self.message
        return out

    def as_problems(self) -> Problems:
        """Ineligible and undecided staff as 人员 warnings, for ``check``."""
        out = Problems()
        for r in self.results:
            if r["status"] == "eligible":
                continue
            bad = [c for c in r["checks"] if c["value"] is not True and c["failing"]]
            col = bad[0]["column"] if bad else None
            val = bad[0]["raw"] if bad else None
            word = "不符合任职条件" if r["status"] == "ineligible" else "任职条件待定"
            out.add("人员", r["row"], col, val,
                    f"工号 {r['staff_id']}（{r['name'] or ''}）{word}：{'；'.join(r['reasons'])}", "任职资格", "warning")
        return out

    def frames(self) -> dict[str, pd.DataFrame]:
        rows = [{"工号": r["staff_id"], "姓名": r["name"], "学院": r["college"], "角色": r["role"],
                 "结论": STATUS_LABELS[r["status"]], "说明": "；".join(r["reasons"])} for r in self.results]
        df = pd.DataFrame(rows, columns=["工号", "姓名", "学院", "角色", "结论", "说明"])
        if self.message and not rows:
            df = pd.DataFrame({"说明": [self.message]})
        df.attrs["tier_column"] = "结论"
        df.attrs["tier_colours"] = {"符合": "#C6EFCE", "不符合": "#FFC7CE", "待定": "#F8CBAD"}
        out = {"资格审查": df}
        if self.pairing:
            p = pd.DataFrame([{"优先顺序": x["order"], "班级": x["class"], "学期": x["term"], "排名": x["rank"],
                               "年级班级数": x["classes_in_grade"], "排名居后": "是" if x["bottom"] else "否",
                               "新入职教师班级": {True: "是", False: "否", None: ""}[x["new_teacher"]],
                               "优先级": x["priority"], "说明": "；".join(x["reasons"])} for x in self.pairing])
            out["对接优先"] = p
        return out


    def sheets(self) -> dict:
        """资格审查 (and 对接优先) as ``xlsx.SheetSpec``: 不符合 highlighted, ids as text."""
        from mentor_xl.workbook.xlsx import REASONS, SheetSpec
        f = self.frames()
        out = {"资格审查": SheetSpec(f["资格审查"], text_cols=("工号",), status_col="结论" if self.results else None,
                                    bad_values=("不符合",), **REASONS)}
        if "对接优先" in f:
            out["对接优先"] = SheetSpec(f["对接优先"], int_cols=("优先顺序", "排名", "年级班级数"))
        return out


# ---------------------------------------------------------------------------- entry point
def eligibility(book, pack: Pack, *, as_of: date | None = None, term: str | None = None,
                prepared=None) -> EligibilityResult:
    """Check every 人员 row with an eligibility role against the pack's conditions.

    The reference date (ages, the ban after removal) is ``as_of``, else the first day of
    ``term`` from the 学期 sheet, else today. With a [pairing] section the result also
    ranks the classes for pairing in ``term`` (from the latest 班级量化 term before it).
    """
    sec = pack.eligibility
    problems = Problems()
    if term is not None:
        t = find_term(book.terms, term)  # any spelling; an unknown term stops here
        term = t.code
        if as_of is None:
            as_of = timestamp(t.start).date()
    if as_of is None:
        as_of = date.today()
    if sec is None:
        msg = f"制度“{pack.name}”未规定可量化的导师任职资格条件，无需资格审查。"
        return EligibilityResult(policy=pack.id, as_of=as_of, results=[], message=msg, problems=problems)
    ctx = _Ctx(pack=pack, as_of=as_of, orders=dict(sec.orders))
    results = [_check_person(ctx, sec.predicates, sec.requirements, sec.clause, person, sid, mine)
               for sid, person, mine in people_with_roles(book, pack, sec.roles, purpose="审查任职资格")]
    if sec.after_fail is not None and term is not None:
        _after_fail(book, pack, find_term(book.terms, term), results, problems, prepared)
    result = EligibilityResult(policy=pack.id, as_of=as_of, results=results, problems=problems)
    if pack.pairing is not None:
        result.pairing_term, result.pairing = pairing_priority(book, pack, term=term, problems=problems)
    return result


def _after_fail(book, pack: Pack, term, results: list[dict], problems: Problems, prepared) -> None:
    """lctc-2024 五.5: a mentor whose assessment of the term before ``term`` was the pack's
    ``after_fail`` tier is not appointed for ``term``."""
    from mentor_xl.assess import assess
    from mentor_xl.engine import compliance
    from mentor_xl.engine.prepare import prepare
    from mentor_xl.periods import term_before

    rule = pack.eligibility.after_fail
    prev = term_before(book.terms, term)
    if prev is None:
        problems.add("学期", None, "学期", term.code, f"学期表中没有 {term.code} 之前的学期，无法核对上学期考核是否"
                     f"{rule.tier}（{rule.clause}）", "缺少数据", "warning")
        return
    prep = prepared if prepared is not None else prepare(book, pack)
    res = assess(book, pack, term=prev.code, prepared=prep,
                 compliance={prev.code: compliance(book, pack, prev.code, prepared=prep)})
    if not res.results:
        problems.add("学期", None, "学期", prev.code, f"上学期 {prev.code} 没有可用的考核数据，无法核对是否"
                     f"{rule.tier}（{rule.clause}）", "缺少数据", "warning")
        return
    failed = {r["staff_id"] for r in res.results if r["tier"] == rule.tier}
    for r in results:
        if r["staff_id"] not in failed:
            continue
        why = f"{prev.code} 学期考核{rule.tier}，{rule.label}（{rule.clause}）"
        if r["status"] == "eligible":
            r["reasons"] = []
        r["status"] = "ineligible"
        r["reasons"].insert(0, why)
        r["checks"].append({"name": "after_fail", "label": rule.label, "value": False, "detail": why,
                            "column": None, "raw": None, "failing": True})


def _check_person(ctx, preds, reqs, clause, person, sid, roles) -> dict:
    vals: dict[str, tuple] = {}

    def val(name):
        if name not in vals:
            vals[name] = _eval(ctx, preds[name], person)
        return vals[name][0]

    def label(name):
        return preds[name].label

    def desc(name):
        v, detail, _ = vals[name]
        return f"{label(name)}（{detail}）"

    status_vals, good, bad, failing = [], [], [], set()
    for q in reqs:
        when = [val(n) for n in q.when]
        unless = [val(n) for n in q.unless]
        applies = _all(when + [None if u is None else not u for u in unless])
        if applies is False:
            continue
        names = q.names
        body = (_any if q.any else _all)([val(n) for n in names])
        cl = (q.clause or preds[names[0]].clause or clause) if names else clause
        cond = ""
        if q.when:
            cond = "作为" + "且".join(desc(n) for n in q.when) + "，"
        elif q.unless:
            cond = "非" + "、".join(desc(n) for n in q.unless) + "人员，"
        if body is True:  # satisfied whether or not it applies
            status_vals.append(True)
            if applies is True:
                shown = [n for n in names if vals[n][0] is True][:1] if q.any else names
                good.append(f"{cond}符合" + "、".join(desc(n) for n in shown) + f"（{cl}）")
            continue
        if body is False and applies is True:
            status_vals.append(False)
            failing.update(n for n in names if vals[n][0] is not True)
            if q.any:
                bad.append(f"{cond}不满足以下任一条件：" + "、".join(desc(n) for n in names) + f"（{cl}）")
            else:
                bad.append(f"{cond}不满足" + "、".join(desc(n) for n in names if vals[n][0] is False) + f"（{cl}）")
            continue
        # unknown: the body, or whether it applies, cannot be decided from the data
        status_vals.append(None)
        unk = [n for n in q.when + q.unless + names if vals.get(n, (True,))[0] is None]
        failing.update(unk)
        bad.append(f"{cond}无法判断是否满足“{'、'.join(label(n) for n in names)}”："
                   + "；".join(vals[n][1] for n in unk) + f"（{cl}）")
    overall = _all(status_vals) if status_vals else True
    status = {True: "eligible", False: "ineligible", None: "unknown"}[overall]
    # an ineligible person's reasons name what fails first, then what is missing
    reasons = good if status == "eligible" else sorted(bad, key=lambda r: "无法判断" in r)
    checks = [{"name": n, "label": label(n), "value": v[0], "detail": v[1], "column": v[2],
               "raw": _text(person.get(v[2])) if v[2] in person else None, "failing": n in failing}
              for n, v in vals.items()]
    return {"staff_id": sid, "name": _text(person.get("姓名")), "college": _text(person.get("学院")),
            "role": "、".join(sorted(roles)), "status": status, "reasons": reasons, "checks": checks,
            "row": None if _blank(person.get("_row")) else int(person["_row"])}


# ---------------------------------------------------------------------------- pairing
def _truthy(v) -> bool | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return v
    return normalise_label(str(v)) in _TRUE


def pairing_priority(book, pack: Pack, *, term: str | None = None,
                     problems: Problems | None = None) -> tuple[str | None, list[dict]]:
    """(ranking term, classes in pairing order) per the pack's [pairing] section.

    Ranking term: the latest 班级量化 term before ``term`` (or the latest of all when no term
    is given). A class is 排名居后 when 排名 > 年级班级数 × (1 − share), exactly. Classes meeting
    both tests come first, then either, then the rest; within a group the worse relative rank
    (排名 ÷ 年级班级数) first, then the class name.
    """
    sec = pack.pairing
    term = (term_code(term) or term) if term is not None else None
    problems = problems if problems is not None else Problems()
    share = _num_setting(pack, sec.bottom_share)
    if share > 1:  # written as a percentage
        share /= 100
    clause = sec.clause
    df = book.class_ranks
    if df is None or len(df) == 0:
        problems.add("班级量化", None, None, None, "没有班级量化排名，无法给出导师对接优先顺序", "缺少数据", "warning")
        return None, []
    terms = sorted({t for t in df["学期"].dropna().astype(str)})
    if term is not None:
        terms = [t for t in terms if t < term]
    if not terms:
        problems.add("班级量化", None, "学期", term, f"没有 {term} 之前的班级量化排名，无法给出导师对接优先顺序",
                     "缺少数据", "warning")
        return None, []
    basis = terms[-1]
    rows = df.loc[df["学期"].astype(str) == basis]
    flag_cols = [c for c in sec.new_teacher_columns if c in df.columns]
    out = []
    seen = set()
    for r in rows.to_dict("records"):
        cls = _text(r.get("班级"))
        if cls is None or normalise_label(cls) in seen:
            continue
        seen.add(normalise_label(cls))
        rank = None if _blank(r.get("排名")) else int(r["排名"])
        n = None if _blank(r.get("年级班级数")) else int(r["年级班级数"])
        bottom = None
        reasons = []
        if rank is not None and n:
            bottom = rank * share.denominator > (share.denominator - share.numerator) * n
            if bottom:
                reasons.append(f"{basis} 排名 {rank}/{n}，居后{_share(share)}（{clause}）")
        else:
            reasons.append(f"{basis} 未填年级班级数，无法判断是否排名居后")
        new = None
        for c in flag_cols:
            t = _truthy(r.get(c))
            if t is not None:
                new = t
                break
        if new:
            reasons.append(f"新入职教师所带班级（{clause}）")
        hits = int(bool(bottom)) + int(bool(new))
        out.append({"class": cls, "term": basis, "rank": rank, "classes_in_grade": n, "bottom": bottom,
                    "new_teacher": new, "priority": {2: "优先", 1: "优先", 0: "一般"}[hits], "_hits": hits,
                    "_rel": Fraction(rank, n) if rank is not None and n else Fraction(-1), "reasons": reasons})
    out.sort(key=lambda x: (-x["_hits"], -x["_rel"], x["class"]))
    for i, x in enumerate(out, 1):
        x["order"] = i
        if not x["reasons"]:
            x["reasons"].append("无优先条件")
        del x["_hits"], x["_rel"]
    return basis, out
