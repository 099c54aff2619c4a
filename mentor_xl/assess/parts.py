"""The parts scheme: every part must pass (导师业绩, 学生评价, 班级量化); less than the
⚙ active share of the term is 不计."""
from __future__ import annotations

from fractions import Fraction

from mentor_xl import periods
from mentor_xl.packs import normalise_label
from mentor_xl.problems import Problems
from mentor_xl.roster import blank as _blank
from mentor_xl.assess.inputs import (
    _ClassRanks, _Surveys, _active, _class_grades, _missing_problem, _paired_classes, _row,
    _survey_check, staff_rates)
from mentor_xl.assess.result import NOT_COUNTED, PENDING, _PART_STATUS
from mentor_xl.assess.spec import _Spec
from mentor_xl.assess.text import _fmt, _frac, _pct, _rate_text, _share


def _assess_parts(book, pack, spec: _Spec, run: periods.Term, compliance: dict, roster, prep, problems) -> list[dict]:
    term = run.code
    start, end = periods.timestamp(run.start), periods.timestamp(run.end)
    cal = run.end - run.start + 1
    act_days, linked = _active(prep, spec.roles, run) if spec.not_counted else ({}, set())
    rates = staff_rates(pack, compliance, [term])
    if term not in compliance:
        problems.add("学期", None, "学期", term, f"缺少学期 {term} 的合规结果，导师业绩无法评定", "缺少数据", "warning")
    surveys = _Surveys(book, problems)
    ranks = _ClassRanks(book, problems)
    grades = _class_grades(book)
    results = []
    for p in roster:
        sid = p["staff_id"]
        r = {**{k: p[k] for k in ("staff_id", "name", "college", "role")}, "score": None, "tier": PENDING,
             "reasons": [], "parts": {}, "rate": None}
        mr = rates.get(sid)
        if mr and mr[1] > 0:
            r["periods_met"], r["periods_required"] = mr
            r["rate"] = Fraction(*mr)
        nc = spec.not_counted
        if nc:
            act = act_days.get(sid, 0)
            if Fraction(act, cal) < nc["share"]:
                r["tier"] = NOT_COUNTED
                why = "本学期无对接班级（指导关系）" if act == 0 and sid not in linked else f"本学期在岗 {act} 天"
                r["reasons"].append(f"{why}，不足学期 {cal} 天的{_share(nc['share'])}，不计（{nc.get('clause', spec.clause)}）")
                results.append(r)
                continue
        for part in spec.parts:
            src = part["source"]
            if src == "compliance":
                st, why = _part_compliance(part, mr, term)
            elif src == "survey":
                st, why = _part_survey(part, surveys.get(sid, term), p, term, problems)
            else:
                st, why = _part_class(book, part, ranks, grades, sid, p, term, start, end, problems)
            r["parts"][part["label"]] = {"status": st, "reason": why}
            r["reasons"].append(f"{part['label']}{_PART_STATUS[st]}：{why}")
        sts = [v["status"] for v in r["parts"].values()]
        failed = "、".join(k for k, v in r["parts"].items() if v["status"] == "fail")
        if "pending" in sts:
            # policies.md: an invalid survey makes the result 待定 (redo the survey) — even
            # when another part failed; the failed parts stay in the reasons for the committee.
            r["tier"] = PENDING
            pend = "、".join(k for k, v in r["parts"].items() if v["status"] == "pending")
            r["reasons"].append(f"{pend}无法评定，结果待定" + (f"（另有{failed}未通过）" if failed else "")
                                + f"（{spec.clause}）")
        elif "fail" in sts:
            r["tier"] = spec.fail_tier
            r["reasons"].append(f"{failed}未通过，{spec.pass_tier}须三部分均通过 → {spec.fail_tier}（{spec.clause}）"
                                if len(spec.parts) == 3 else f"{failed}未通过 → {spec.fail_tier}（{spec.clause}）")
        else:
            r["tier"] = spec.pass_tier
            r["reasons"].append(f"各部分均通过 → {spec.pass_tier}（{spec.clause}）")
        results.append(r)
    return results


def _part_compliance(part: dict, mr, term: str) -> tuple[str, str]:
    clause = part.get("clause", "")
    if mr is None:
        return "pending", f"缺少 {term} 的合规结果（{clause}）"
    met, req = mr
    if req == 0:
        return "pending", f"{term} 没有应考核的周期，无法计算合规率（{clause}）"
    rate = Fraction(met, req)
    if rate >= part["m"]:
        return "pass", f"合规率 {_rate_text(met, req)}，不低于{_pct(part['m'])}（{clause}）"
    return "fail", (f"合规率 {_rate_text(met, req)}，低于{_pct(part['m'])}"
                    f"（差 {_fmt((part['m'] - rate) * 100, 2)} 个百分点）（{clause}）")


def _part_survey(part: dict, row: dict | None, p: dict, term: str, problems: Problems) -> tuple[str, str]:
    clause = part.get("clause", "")
    if row is None or _blank(row.get("满意度")):
        _missing_problem(problems, "survey", p, term)
        return "pending", f"缺少 {term} 的学生评价（测评表），需组织测评（{clause}）"
    state, why = _survey_check(row, part.get("valid"), clause)
    if state != "ok":
        return "pending", why
    s = _frac(row.get("满意度"))
    lead = (why + "；") if why else ""
    if "m" not in part:
        return "pass", lead.rstrip("；")
    if s >= part["m"]:
        return "pass", f"{lead}满意度 {_fmt(s)}，不低于 {_fmt(part['m'])}（{clause}）"
    return "fail", f"{lead}满意度 {_fmt(s)}，低于 {_fmt(part['m'])}（差 {_fmt(part['m'] - s)} 分）（{clause}）"


def _is_new_class(grades: dict[str, int], row: dict, cls: str, term: str) -> tuple[bool | None, str]:
    v = row.get("新生班")
    if not _blank(v):
        return bool(v), ""
    grade = grades.get(normalise_label(cls))
    if grade is None:
        return None, ""
    new = grade == int(term[:4])
    return new, f"（未填新生班，按学生年级 {grade} 判断为{'新生班' if new else '老生班'}）"


def _part_class(book, part, ranks: _ClassRanks, grades, sid, p, term, start, end, problems) -> tuple[str, str]:
    clause = part.get("clause", "")
    classes = _paired_classes(book, sid, start, end)
    if not classes:
        return "pending", f"本学期没有对接班级，无法评定班级量化（{clause}）"
    outs = []
    for cls in classes:
        row = ranks.get(cls, term)
        if row is None:
            problems.add("班级量化", None, "排名", cls, f"班级 {cls} 缺少 {term} 的量化排名（工号 {sid} 的对接班级）", "缺少数据")
            outs.append(("pending", f"{cls} 缺少 {term} 的量化排名"))
            continue
        rank = int(row["排名"])
        new, how = _is_new_class(grades, row, cls, term)
        if new is None:
            outs.append(("pending", f"{cls} 未填是否新生班，学生表也无法判断"))
        elif new:
            n = row.get("年级班级数")
            if _blank(n):
                problems.add("班级量化", _row(row), "年级班级数", None, f"新生班 {cls} 未填年级班级数，无法判断是否在前{_share(part['new_share'])}",
                             "缺少数据")
                outs.append(("pending", f"新生班 {cls} 第{rank}名，未填年级班级数{how}"))
                continue
            n = int(n)
            share = part["new_share"]
            limit = share.numerator * n // share.denominator
            if rank <= limit:
                outs.append(("pass", f"新生班 {cls} 同年级 {n} 个班中排第 {rank}，在前{_share(share)}（前 {limit} 名）内{how}"))
            else:
                outs.append(("fail", f"新生班 {cls} 同年级 {n} 个班中排第 {rank}，未进入前{_share(share)}（前 {limit} 名，"
                                     f"差 {rank - limit} 名）{how}"))
        else:
            prev = periods.previous_term(term, ranks.terms)
            prow = ranks.get(cls, prev)
            if prow is None:
                st = part.get("no_previous", PENDING)
                status = "fail" if st in ("fail", "不通过", "未通过") else "pending"
                outs.append((status, f"老生班 {cls} 本学期排第 {rank}，缺少上学期（{prev}）排名，无法判断是否提升{how}"))
                continue
            pr = int(prow["排名"])
            if rank < pr:
                outs.append(("pass", f"老生班 {cls} 排名由上学期第 {pr} 升至第 {rank}{how}"))
            elif rank == pr:
                outs.append(("fail", f"老生班 {cls} 排名与上学期持平（第 {rank}），未提升{how}"))
            else:
                outs.append(("fail", f"老生班 {cls} 排名由上学期第 {pr} 降至第 {rank}，未提升{how}"))
    sts = [s for s, _ in outs]
    status = "fail" if "fail" in sts else "pending" if "pending" in sts else "pass"
    return status, "；".join(w for _, w in outs) + f"（{clause}）"
