"""Whole jobs built from the library's steps, and their short Chinese summaries.

The CLI and the Excel buttons both call these, so a job means the same thing
whichever face starts it.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from mentor_xl.packs import Pack
from mentor_xl.problems import Problems


def problems_summary(pack: Pack | None, problems: Problems, limit: int = 30,
                     more: str = "见结果工作簿的“数据问题”表或 --json 输出") -> str:
    """Counts by category and the first ``limit`` problems; ``more`` says where the rest are."""
    who = f"制度 {pack.id}" if pack is not None else "工作簿"
    if not len(problems):
        return f"{who}：未发现数据问题。"
    errors = sum(p.level == "error" for p in problems)
    lines = [f"{who}：发现 {len(problems)} 个数据问题（错误 {errors}，提示 {len(problems) - errors}）。"]
    for cat, n in Counter(p.category for p in problems).most_common():
        lines.append(f"  {cat}：{n}")
    lines.append("")
    for p in list(problems)[:limit]:
        where = f"{p.sheet}" + (f" 第{p.row}行" if p.row else "") + (f"“{p.column}”列" if p.column else "")
        lines.append(f"  [{where}] {p.message}")
    if len(problems) > limit:
        lines.append(f"  ……另有 {len(problems) - limit} 条，{more}")
    return "\n".join(lines)


def recognition_lines(book) -> list[str]:
    """What the reader recognised as what: 人员 ← 导师名单：工号 ← 教师工号，学院 ← 所在书院 …"""
    out = []
    for rec in book.recognised.values():
        line = rec.line()
        if line:
            out.append(line)
        out.extend(f"{col}：{how}" for col, how in rec.supplied.items())
    return out


def compliance_summary(result) -> str:
    """The CLI's summary; its figures are those of the results workbook's 总览 (engine.figures)."""
    from mentor_xl.engine.figures import figures, term_span

    f = figures(result)
    lines = [f"制度 {result.policy}，学期 {result.term}（{term_span(result)}）：",
             f"  应考核 {f.assessed} 人，全部达标 {f.full} 人，未全部达标 {f.short} 人。"]
    if f.assessed:
        lines.append(f"  合规率：平均 {f.mean_rate:.1%}，最低 {f.min_rate:.1%}。")
    for m in f.missed:
        lines.append(f"  不达标最多：{m.title}（{m.rule}）{m.count} 项")
    if len(result.problems):
        lines.append(f"  数据问题 {len(result.problems)} 条，见“数据问题”表。")
    return "\n".join(lines)


def assess_summary(result) -> str:
    j = result.to_json()
    if j.get("message") and not j["results"]:
        return j["message"]
    label = j.get("year") or j.get("term")
    tiers = Counter(r["tier"] for r in j["results"])
    parts = "，".join(f"{t} {n} 人" for t, n in tiers.most_common())
    return f"制度 {j['policy']}，{label} 考核：{parts}。每人的理由见“考核结果”表。"


def run_demo(directory: Path, policy, *, seed: int = 2024) -> str:
    """Build the demo office for ``policy`` in ``directory`` and run every step on it."""
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office, results_path
    from mentor_xl.periods import period_text, year_terms
    from mentor_xl.workbook.report import write_report
    from mentor_xl.results import write_results

    directory.mkdir(parents=True, exist_ok=True)
    pid = getattr(policy, "id", policy)  # a pack id, or a Pack loaded from --policy FILE.toml
    book_path = directory / f"示例单位-{pid}.xlsx"
    build_demo_book(book_path, policy, seed=seed)
    office = open_office(book_path, None if isinstance(policy, str) else policy)
    year = office.book.settings.get("学年") or _first_year(office.book.frame("学期"))
    terms = year_terms(office.book.frame("学期"), year)
    out = [f"示例工作簿：{book_path}", ""]

    def report(what: str, label: str | None, result, summary: str, period: str = "") -> None:
        path = write_report(results_path(book_path, what, label), result.sheets(), result.problems,
                            office=office.name, period=period)
        out.extend([summary, f"  → {path}", ""])

    for term in terms:  # 1. compliance, every term of the 学年
        result = office.compliance(term)
        path = write_results(results_path(book_path, "合规", term), result, office=office.name)
        out.extend([compliance_summary(result), f"  → {path}", ""])
    # 2. assessment: per term or per 学年, as the pack's scheme says
    per_term = office.pack.assessment.period == "term"
    for label in (terms if per_term else [year]):
        result = office.assess(term=label) if per_term else office.assess(year=year)
        if result.to_json()["results"]:
            report("考核", label, result, assess_summary(result), period_text(label))
        else:
            out.extend([assess_summary(result), ""])
    # 3. eligibility, 4. awards (packs with a catalogue), 5. the fund split by college
    if office.pack.eligibility is not None:
        elig = office.eligibility(term=terms[-1])
        bad = sum(r.get("eligible") is False for r in elig.to_json()["results"])
        report("资格审查", terms[-1], elig, f"资格审查：{len(elig.to_json()['results'])} 人，其中不符合任职条件 {bad} 人。",
               period_text(terms[-1]))
    if office.pack.awards:
        aw = office.awards(year, budget_wan="50")
        report("奖励预算", year, aw, "奖励预算：" + aw.budget_message(), period_text(year))
    # 6. documents: the kinds the pack lists (Word; `mentor-xl docs --pdf` adds PDF)
    from mentor_xl.extras import MissingExtra, require
    try:
        require("docs")
        out.extend(_demo_documents(office, directory / "公文", year, terms, per_term))
    except MissingExtra as e:
        out.extend([f"公文：未生成。{e}", ""])
    # 7. the email round trip: collect → recipients fill and mail back → ingest
    from mentor_xl.mail.simulate import demo_round_trip
    sent, merged = demo_round_trip(book_path, terms[0], directory / "邮件往返")
    out.extend([sent.summary_zh(), merged.summary_zh(), f"  → {directory / '邮件往返'}", ""])
    fund = office.allocate(DEMO_FUND_YUAN)
    parts = fund.to_json()["parts"]
    report("经费分配", "学院", fund, f"经费分配：{DEMO_FUND_YUAN} 元按学院学生人数分给 {len(parts)} 个学院，"
                           f"合计 {sum(p['amount_yuan'] for p in parts)} 元。")
    return "\n".join(out).rstrip()


DEMO_FUND_YUAN = 200_000


def _demo_documents(office, out_dir: Path, year: str, terms: list[str], per_term: bool) -> list[str]:
    """The documents the pack lists under [documents], for the first term or the 学年."""
    from mentor_xl.documents import docs_for_office, get_kind

    lines = []
    for kind in map(get_kind, office.pack.documents.kinds):
        by_term = kind.by_term or ("assessment" in kind.needs and per_term)
        said: list[str] = []
        paths, n = docs_for_office(office, kind.id, out_dir / kind.title, progress=False, notify=said.append,
                                   **({"term": terms[0]} if by_term else {"year": year}))
        lines.append(f"  {kind.title}：{n} 份")
        lines.extend(f"    {m}" for m in said if not m.startswith(("数据问题", "  ")))  # data: see check
    return [f"公文（Word）：{out_dir}", *lines, ""]


def _first_year(terms: pd.DataFrame) -> str:
    return str(terms["学期"].dropna().iloc[0]).rsplit("-", 1)[0]
