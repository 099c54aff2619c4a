"""Award nominations checked against the pack's award catalogue, with an exact budget.

The catalogue is pack data (``[[awards]]``: name, aliases, role or recipient = "college",
cap, amount_wan as text, ladder + level, clause), so any pack can carry one. Checks, in
order (docs/policies.md, ustb-2022 三(二)):
  1. the 奖项 is in the catalogue (else a problem; the row is left out),
  2. a person award names a 工号 of 人员; a college award names a 学院,
  3. the nominee holds the award's role on any of their 人员 rows (else ``ineligible``),
  4. one nomination per person and award (a repeat is ``ineligible``),
  5. caps by 排序: beyond the cap ``over-cap``; a 排序 tie across the cap flags the tied,
  6. then one award per ladder per person among what is still ``ok``: the higher award
     stands, the lower is ``ineligible`` (a person over the 十佳 cap keeps a 提名 in its cap).
Amounts are whole 元 (int) throughout; only ``ok`` entries enter the totals.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mentor_xl.money import MoneyError, format_wan, wan_display, wan_to_yuan
from mentor_xl.packs import Award, Pack, normalise_label
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.periods import year_code
from mentor_xl.roster import blank as _blank, people as _people, text as _text

STATUS_LABELS = {"ok": "有效", "over-cap": "超出名额", "ineligible": "不符合条件"}


def catalogue(pack: Pack) -> list[Award]:
    """The pack's ``[[awards]]`` (checked when the pack is loaded)."""
    return list(pack.awards)


@dataclass
class AwardsResult:
    policy: str
    year: str
    entries: list[dict]  # award, staff_id, name, college, rank, row, amount_yuan, status, reason
    totals: list[dict]  # award, count, amount_yuan, cap, unit_yuan
    total_yuan: int
    budget_yuan: int | None = None
    problems: Problems = field(default_factory=Problems)

    @property
    def balance_yuan(self) -> int | None:
        """Budget minus total: ≥ 0 is headroom (结余), < 0 a shortfall (缺口)."""
        return None if self.budget_yuan is None else self.budget_yuan - self.total_yuan

    def budget_message(self) -> str:
        if self.budget_yuan is None:
            return f"奖励合计 {self.total_yuan} 元（{format_wan(self.total_yuan)} 万元）"
        b = self.balance_yuan
        head = (f"奖励合计 {self.total_yuan} 元（{format_wan(self.total_yuan)} 万元），"
                f"预算 {self.budget_yuan} 元（{format_wan(self.budget_yuan)} 万元），")
        if b < 0:
            return head + f"缺口 {-b} 元（{format_wan(-b)} 万元）"
        return head + f"结余 {b} 元（{format_wan(b)} 万元）"

    def to_json(self) -> dict:
        """``awards --json`` (docs/contract.md): add keys, never rename."""
        b = self.balance_yuan
        return {
            "policy": self.policy, "year": self.year,
            "awards": [{k: e[k] for k in ("award", "staff_id", "name", "college", "rank", "row",
                                          "amount_yuan", "status", "reason")} for e in self.entries],
            "totals": [{"award": t["award"], "count": t["count"], "amount_yuan": t["amount_yuan"],
                        "cap": t["cap"], "unit_yuan": t["unit_yuan"]} for t in self.totals],
            "total_yuan": self.total_yuan,
            "budget_yuan": self.budget_yuan,
            "headroom_yuan": None if b is None else max(b, 0),
            "shortfall_yuan": None if b is None else max(-b, 0),
            "message": self.budget_message(),
            "problems": self.problems.to_list(),
        }

    def frames(self) -> dict[str, pd.DataFrame]:
        """奖励预算 (one row per nomination) and 奖励汇总 (per award, total, budget)."""
        rows = [{
            "奖项": e["award"], "工号": e["staff_id"], "姓名": e["name"], "学院": e["college"],
            "排序": e["rank"], "状态": STATUS_LABELS[e["status"]], "金额(元)": e["amount_yuan"],
            "金额(万元)": wan_display(e["amount_yuan"]), "说明": e["reason"],
        } for e in self.entries]
        cols = ["奖项", "工号", "姓名", "学院", "排序", "状态", "金额(元)", "金额(万元)", "说明"]
        detail = pd.DataFrame(rows, columns=cols)
        detail.attrs["formats"] = {"金额(元)": "#,##0", "金额(万元)": "0.00"}
        detail.attrs["flag_column"] = "状态"
        detail.attrs["flag_values"] = ["超出名额", "不符合条件"]
        srows = [{"项目": t["award"], "名额上限": t["cap"], "标准(万元)": wan_display(t["unit_yuan"]),
                  "人数": t["count"], "金额(元)": t["amount_yuan"], "金额(万元)": wan_display(t["amount_yuan"])}
                 for t in self.totals]
        srows.append({"项目": "合计", "名额上限": None, "标准(万元)": None, "人数": sum(t["count"] for t in self.totals),
                      "金额(元)": self.total_yuan, "金额(万元)": wan_display(self.total_yuan)})
        if self.budget_yuan is not None:
            b = self.balance_yuan
            srows.append({"项目": "预算", "名额上限": None, "标准(万元)": None, "人数": None,
                          "金额(元)": self.budget_yuan, "金额(万元)": wan_display(self.budget_yuan)})
            srows.append({"项目": "缺口" if b < 0 else "结余", "名额上限": None, "标准(万元)": None, "人数": None,
                          "金额(元)": abs(b), "金额(万元)": wan_display(abs(b))})
        summary = pd.DataFrame(srows)
        summary.attrs["formats"] = {"标准(万元)": "0.00", "金额(元)": "#,##0", "金额(万元)": "0.00"}
        return {"奖励预算": detail, "奖励汇总": summary}


    def sheets(self) -> dict:
        """奖励预算 / 奖励汇总 as ``xlsx.SheetSpec``: 万元 two decimals, flagged nominations highlighted."""
        from mentor_xl.workbook.xlsx import SheetSpec
        f = self.frames()
        return {"奖励预算": SheetSpec(f["奖励预算"], money_cols=("金额(万元)",), int_cols=("金额(元)", "排序"),
                                     text_cols=("工号",), status_col="状态", bad_values=("超出名额", "不符合条件"),
                                     wrap_cols=("说明",), widths={"说明": 50}),
                "奖励汇总": SheetSpec(f["奖励汇总"], money_cols=("标准(万元)", "金额(万元)"),
                                     int_cols=("名额上限", "人数", "金额(元)"), status_col="项目", bad_values=("缺口",))}


def awards(book, pack: Pack, *, year: str, budget_wan: str | None = None,
           budget_yuan: int | None = None) -> AwardsResult:
    """Check the 奖项提名 sheet against ``pack``'s catalogue and total the budget in 元.

    ``budget_wan`` is the CLI's ``--budget`` text in 万元 ("12.5"), read exactly;
    ``budget_yuan`` gives it in 元 instead.
    """
    year = year_code(year) or str(year)
    cat = catalogue(pack)
    if not cat:
        raise FatalInputError(f"制度“{pack.name}”（{pack.id}）没有奖项目录（[[awards]]），无法核对奖励提名与预算")
    if budget_wan is not None:
        try:
            budget_yuan = wan_to_yuan(budget_wan)
        except MoneyError as e:
            raise FatalInputError(f"预算 --budget：{e}") from e
    problems = Problems()
    by_name: dict[str, Award] = {}
    for a in cat:
        for n in (a.name, *a.aliases):
            by_name.setdefault(normalise_label(n), a)
    everyone = _people(book.staff, pack)  # roles from all of a person's rows
    people = {sid: p.record for sid, p in everyone.items()}
    noms = book.nominations
    if noms is None or len(noms) == 0:
        problems.add("奖项提名", None, None, None, "工作簿中没有奖项提名（“奖项提名”表缺失或为空）", "缺少数据", "warning")
        noms = pd.DataFrame(columns=["奖项", "工号", "学院", "排序", "_row"])

    entries: list[dict] = []
    for r in noms.to_dict("records"):
        row = int(r["_row"]) if not _blank(r.get("_row")) else None
        raw_award = _text(r.get("奖项"))
        award = by_name.get(normalise_label(raw_award)) if raw_award else None
        if award is None:
            problems.add("奖项提名", row, "奖项", raw_award,
                         f"奖项“{raw_award}”不在本制度的奖项目录中（可用：{'、'.join(a.name for a in cat)}），该提名未计入",
                         "未知奖项")
            continue
        rank = None if _blank(r.get("排序")) else int(r["排序"])
        sid = _text(r.get("工号"))
        college = _text(r.get("学院"))
        e = {"award": award.name, "staff_id": None, "name": None, "college": college, "rank": rank, "row": row,
             "amount_yuan": 0, "status": "ok", "reason": "", "_award": award}
        entries.append(e)
        if award.recipient == "college":
            if college is None and sid in people:
                college = _text(people[sid].get("学院"))
                e["college"] = college
            if college is None:
                _flag(e, "ineligible", f"“{award.name}”授予学院，提名须填写学院（{award.clause}）")
                problems.add("奖项提名", row, "学院", None, f"“{award.name}”的提名未填写学院", "缺少数据")
            continue
        e["staff_id"] = sid
        if sid is None:
            _flag(e, "ineligible", "提名未填写工号")
            problems.add("奖项提名", row, "工号", None, f"“{award.name}”的提名未填写工号", "缺少数据")
            continue
        person = people.get(sid)
        if person is None:
            _flag(e, "ineligible", f"工号 {sid} 不在人员表中")
            problems.add("奖项提名", row, "工号", sid, f"被提名人工号 {sid} 不在人员表中", "人员不存在")
            continue
        e["name"] = _text(person.get("姓名"))
        if e["college"] is None:
            e["college"] = _text(person.get("学院"))
        if award.role != "*":
            roles = set(everyone[sid].roles)
            if award.role not in roles:
                have = "、".join(sorted(roles)) or "（空）"
                _flag(e, "ineligible", f"角色为“{have}”，与“{award.name}”要求的“{award.role}”不符（{award.clause}）")

    # policies.md: caps first (by 排序), then the ladder among what is still ok, so a person
    # over the 十佳 cap keeps a 提名 within its cap.
    _flag_repeats(entries)
    _flag_caps(entries)
    _flag_ladders(entries)

    totals = []
    for a in cat:
        ok = [e for e in entries if e["_award"] is a and e["status"] == "ok"]
        for e in ok:
            e["amount_yuan"] = a.amount_yuan
        totals.append({"award": a.name, "count": len(ok), "amount_yuan": a.amount_yuan * len(ok),
                       "cap": a.cap, "unit_yuan": a.amount_yuan})
    total = sum(t["amount_yuan"] for t in totals)
    for e in entries:
        del e["_award"]
    return AwardsResult(policy=pack.id, year=year, entries=entries, totals=totals, total_yuan=total,
                        budget_yuan=budget_yuan, problems=problems)


def _flag(e: dict, status: str, reason: str) -> None:
    e["status"] = status
    e["reason"] = reason


def _rank_key(e: dict):
    # Blank 排序 sorts after every number; the Excel row keeps the order stable.
    return (e["rank"] is None, e["rank"] if e["rank"] is not None else 0, e["row"] or 0)


def _who(e: dict) -> tuple:
    return ("college", e["college"]) if e["staff_id"] is None else ("person", e["staff_id"])


def _flag_repeats(entries: list[dict]) -> None:
    seen: dict[tuple, dict] = {}
    for e in sorted((e for e in entries if e["status"] == "ok"), key=_rank_key):
        key = (e["award"], _who(e))
        if key in seen:
            first = seen[key]
            where = f"第{first['row']}行" if first["row"] else "前一条"
            _flag(e, "ineligible", f"同一奖项重复提名（已在{where}提名），只计一次")
        else:
            seen[key] = e


def _flag_ladders(entries: list[dict]) -> None:
    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        a = e["_award"]
        if e["status"] == "ok" and a.ladder and e["staff_id"] is not None:
            groups.setdefault((e["staff_id"], a.ladder), []).append(e)
    for (sid, ladder), es in groups.items():
        if len(es) < 2:
            continue
        best = min(es, key=lambda e: (e["_award"].level, _rank_key(e)))
        for e in es:
            if e is not best:
                _flag(e, "ineligible",
                      f"同一人同一学年在“{ladder}”奖项序列只能获一项奖励：已提名更高奖项“{best['award']}”，"
                      f"本项不予计入（{e['_award'].clause}）")


def _flag_caps(entries: list[dict]) -> None:
    by_award: dict[str, list[dict]] = {}
    for e in entries:
        if e["status"] == "ok" and e["_award"].cap is not None:
            by_award.setdefault(e["award"], []).append(e)
    for name, es in by_award.items():
        cap = es[0]["_award"].cap
        clause = es[0]["_award"].clause
        if len(es) <= cap:
            continue
        es.sort(key=_rank_key)
        n = len(es)
        # The group tied with the last place inside the cap: if it reaches past the cap,
        # 排序 cannot say who is in, and the whole group is flagged.
        boundary = es[cap - 1]["rank"] if cap > 0 else object()
        tied = {id(e) for e in es if cap > 0 and e["rank"] == boundary}
        tie_crosses = cap > 0 and es[cap]["rank"] == boundary
        for i, e in enumerate(es):
            if tie_crosses and id(e) in tied:
                what = "未填排序" if boundary is None else f"排序并列第{boundary}"
                _flag(e, "over-cap",
                      f"“{name}”限{cap}名，共{n}条有效提名；{what}的{len(tied)}人跨越名额线，"
                      f"无法按排序确定名额内人选，请调整排序（{clause}）")
            elif i >= cap:
                pos = "未填排序" if e["rank"] is None else f"排序第{e['rank']}"
                _flag(e, "over-cap", f"“{name}”限{cap}名，共{n}条有效提名，本条{pos}，超出名额（{clause}）")
