"""The benchmark runner: every scenario in its own child process, interleaved, ratios per round.

    python -m benchmarks                       # 10k, 100k, 200k, 1M rows; 5 rounds; writes RESULTS.md
    python -m benchmarks --sizes 10k --rounds 1 --no-write   # a quick look

The machine is shared and noisy, so a round runs the floor and every contender on the same
book back to back, and each ratio is taken within a round; the table shows medians over
rounds. Peers that take minutes (LibreOffice, the naive script) run fewer rounds at the
large sizes; the table says how many runs each median has.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import generate
from mentor_xl.packs.load import available

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
OFFICE_LAYOUTS = ("", "grouped", "saved", "notes")  # SIZE, SIZE/grouped, SIZE/saved, SIZE/notes in --office
OTHER_PACKS = ("hfut-math", "lctc-2024", "ustb-2022")  # --packs by default, at 200k


@dataclass
class Plan:
    sizes: list[str]
    rounds: int = 5  # a round on a shared 2-core machine can be 0.4× off: the median of 5 holds better than of 3
    naive_rounds: dict[str, int] = field(default_factory=lambda: {"10k": 3, "100k": 3, "1M": 1})
    countifs_rounds: dict[str, int] = field(default_factory=lambda: {"10k": 3, "100k": 1, "1M": 0})
    countifs_timeout: float = 900.0
    docs: int = 1000  # notices, sequential vs 2 workers
    docxtpl: int = 100  # notices for the bare docxtpl per-document floor
    pdf: int = 100  # notices converted in one soffice
    ingest: int = 200  # returned workbooks merged by one ingest
    charts: int = 100  # 学期工作总结 with a chart each, sequential vs 2 workers
    work: Path | None = None
    staff: int = generate.STAFF
    students: int = generate.STUDENTS
    seed: int = generate.SEED  # another seed: books the benchmark never measured before
    policy: str = generate.POLICY  # the pack the books are built for and run under
    cache: Path | None = None  # where generated books are kept (default benchmarks/.cache)
    # sizes also run as an office keeps the book; "200k/grouped": its log kept per teacher, ids merged down;
    # "200k/saved": the benchmark's book as LibreOffice Calc saves it again; "200k/notes": 谈话内容 as
    # free text, nearly every row its own (``OFFICE_LAYOUTS``)
    office: list[str] = field(default_factory=lambda: ["200k", "200k/grouped", "200k/saved", "200k/notes"])
    # "POLICY:SIZE": the same size built for and run under another pack, whose rules make other results
    # (hfut-math's 200k book gives twice bit-2022's 不达标 合规明细 rows): its floor, then the run
    # (the command line runs OTHER_PACKS at 200k unless told otherwise)
    packs: list[str] = field(default_factory=list)
    # every size (and book of your own) also run as commands, timed from outside: a new interpreter
    # with its imports, as a person at a terminal times them (``scenarios.read_command``)
    commands: bool = True
    # workbooks of your own (``--book``), each with its log's sheet, pack and term (``own.describe``)
    own: list = field(default_factory=list)

    def __post_init__(self):
        if self.policy != generate.POLICY:  # both peers count the bit-2022 rule bit.monthly-activity
            self.naive_rounds, self.countifs_rounds = {}, {}


def child(name: str, limit: float | None = None, **args) -> dict:
    """Run one scenario in a fresh interpreter; its RESULT line as a dict (``error`` on failure)."""
    cmd = [sys.executable, "-m", "benchmarks.scenarios", name, json.dumps(args, ensure_ascii=False)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {limit:g} s", "seconds": limit, "timeout": True}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (p.stderr or p.stdout).strip()[-600:] or f"exit {p.returncode}"}


def run(plan: Plan, log=print) -> dict:
    """Run the plan; returns every measurement (``runs``) and the checks."""
    work = Path(plan.work or tempfile.mkdtemp(prefix="mentor_xl_bench_"))
    cache = Path(plan.cache or generate.CACHE)

    def book(size: str):
        return generate.book(generate.rows_of(size), policy=plan.policy, seed=plan.seed, staff=plan.staff,
                             students=plan.students, cache=cache)
    books = {s: book(s) for s in plan.sizes}
    from benchmarks.office import office_book, saved_book
    offices = {}
    for label in plan.office:
        s, _, how = label.partition("/")
        source = books.get(s) or book(s)
        offices[label] = saved_book(source) if how == "saved" else \
            office_book(source, grouped=how == "grouped", policy=plan.policy, notes=how == "notes")
    packs = {}
    for label in plan.packs:
        policy, _, s = label.partition(":")
        packs[label] = generate.book(generate.rows_of(s), policy=policy, seed=plan.seed, staff=plan.staff,
                                     students=plan.students, cache=cache)
    if plan.ingest:  # built here so that the timed child only merges
        from benchmarks.ingest import returns
        returns(plan.ingest, cache)
    formula = {}
    for s in plan.sizes:
        if plan.countifs_rounds.get(s, 0):
            from benchmarks.countifs import cached_formula_book
            formula[s] = cached_formula_book(books[s], cache)
    runs: list[dict] = []
    checks: dict[str, str] = {}

    def record(r: int, size: str, name: str, res: dict) -> dict:
        res = {"round": r, "size": size, "scenario": name, **res}
        runs.append(res)
        shown = "error: " + res["error"] if "error" in res else f"{res['seconds']:.2f} s, {res.get('rss_mb', 0):.0f} MB"
        log(f"[{datetime.now(timezone.utc):%H:%M:%S}] round {r + 1} {size:>4} {name:<13} {shown}")
        return res

    for r in range(plan.rounds):
        for s in plan.sizes:
            b = books[s]
            d = work / f"{s}-{r}"
            d.mkdir(parents=True, exist_ok=True)
            record(r, s, "read", child("read", book=str(b.path), header_row=b.log_header_row))
            record(r, s, "read_all", child("read_all", book=str(b.path)))
            # the answers this round's checks read: the monthly counts for the naive script and COUNTIFS,
            # every rule's for the office layouts of this size (and their monthly counts, which agree too)
            counted = r < max(plan.naive_rounds.get(s, 0), plan.countifs_rounds.get(s, 0))
            layouts = any(o.partition("/")[0] == s for o in plan.office)
            keep = ["monthly"] * (counted or layouts) + ["answers"] * layouts
            comp = record(r, s, "compliance", child("compliance", book=str(b.path), out=str(d / "结果.xlsx"), keep=keep))
            if plan.commands:
                record(r, s, "read_command", child("read_command", book=str(b.path), header_row=b.log_header_row))
                record(r, s, "command", child("compliance_command", book=str(b.path), out=str(d / "命令.xlsx")))
            if r < plan.naive_rounds.get(s, 0):
                nv = record(r, s, "naive", child("naive", book=str(b.path), header_row=b.log_header_row,
                                                 out=str(d / "naive.xlsx")))
                if "error" not in nv and "error" not in comp:
                    checks[f"naive {s}"] = _check(d / "naive.csv", d / "结果.monthly.csv")
            if r < plan.countifs_rounds.get(s, 0):
                cf = record(r, s, "countifs", child("countifs", limit=plan.countifs_timeout + 120,
                                                    formula_book=str(formula[s]), outdir=str(d / "lo"),
                                                    timeout=plan.countifs_timeout))
                if "error" not in cf and not cf.get("timeout") and "error" not in comp:
                    from benchmarks.countifs import read_counts
                    read_counts(Path(cf["out"])).to_csv(d / "countifs.csv", index=False)
                    checks[f"countifs {s}"] = _check(d / "countifs.csv", d / "结果.monthly.csv")
        for s in plan.office:  # the same rows in the office's own layout: its floor, then the run
            b = offices[s]
            record(r, s, "office_read", child("read", book=str(b.path), header_row=b.log_header_row))
            record(r, s, "office_read_all", child("read_all", book=str(b.path)))
            out = work / f"office-{s.replace('/', '-')}-{r}" / "结果.xlsx"
            of = record(r, s, "office", child("compliance", book=str(b.path), policy=plan.policy, out=str(out),
                                                    keep=["monthly", "answers"]))
            plain = work / f"{s.partition('/')[0]}-{r}" / "结果.answers.csv"  # the benchmark's book, this round
            if "error" not in of and plain.is_file():  # every rule's answers: any pack's books
                checks[f"office {s}"] = _check(plain, out.with_suffix(".answers.csv"), every_rule=True)
        for s in plan.packs:  # another pack's book of the same size: its floor, then the run
            b = packs[s]
            record(r, s, "pack_read", child("read", book=str(b.path), header_row=b.log_header_row))
            record(r, s, "pack_read_all", child("read_all", book=str(b.path)))
            record(r, s, "pack", child("compliance", book=str(b.path),
                                       out=str(work / f"pack-{s.replace(':', '-')}-{r}" / "结果.xlsx")))
        for i, ob in enumerate(plan.own):  # a workbook of your own: as the benchmark's books, and as commands
            d, key = work / f"own-{i}-{r}", ob.label
            where = {"book": str(ob.path), "header_row": ob.header_row, "sheet": ob.sheet}
            how = {"book": str(ob.path), "policy": ob.policy, "term": ob.term}
            record(r, key, "own_read", child("read", **where))
            record(r, key, "own_read_all", child("read_all", book=str(ob.path)))
            record(r, key, "own", child("compliance", **how, out=str(d / "结果.xlsx")))
            if plan.commands:
                record(r, key, "own_read_command", child("read_command", **where))
                record(r, key, "own_command", child("compliance_command", **how, out=str(d / "命令.xlsx")))
        if plan.docs:
            d = work / f"docs-{r}"
            record(r, "docs", "docs_seq", child("docs", n=plan.docs, workers=1, outdir=str(d / "seq")))
            record(r, "docs", "docs_par", child("docs", n=plan.docs, workers=2, outdir=str(d / "par")))
            record(r, "docs", "docs_100", child("docs", n=plan.docxtpl, workers=1, outdir=str(d / "seq100")))
            record(r, "docs", "docxtpl_bare", child("docxtpl_bare", n=plan.docxtpl, outdir=str(d / "bare")))
            if plan.pdf:
                record(r, "docs", "pdf", child("pdf", n=plan.pdf, outdir=str(d / "pdf")))
            if plan.charts:
                record(r, "docs", "charts_seq", child("docs", n=plan.charts, workers=1, kind="term-summary",
                                                      outdir=str(d / "cseq")))
                record(r, "docs", "charts_par", child("docs", n=plan.charts, workers=2, kind="term-summary",
                                                      outdir=str(d / "cpar")))
        if plan.ingest:
            record(r, "ingest", "ingest", child("ingest", n=plan.ingest, cache=str(cache),
                                                outdir=str(work / f"ingest-{r}")))
    return {"runs": runs, "checks": checks, "seed": plan.seed, "policy": plan.policy, "staff": plan.staff,
            "students": plan.students,
            "books": {s: _here(b.path) for s, b in books.items()},
            "office_books": {s: _here(b.path) for s, b in offices.items()},
            "pack_books": {s: _here(b.path) for s, b in packs.items()},
            "own_books": {ob.label: {"path": str(ob.path), "sheet": ob.sheet, "header_row": ob.header_row,
                                     "term": ob.term, "rows": ob.rows, "policy": ob.policy} for ob in plan.own},
            "formula_books": {s: _here(p) for s, p in formula.items()}}


def _here(path) -> str:
    """A book's path relative to the repository when it is in it (the default cache), so that the
    committed RESULTS.json names no machine's folders; elsewhere as given."""
    root = Path(__file__).resolve().parent.parent
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def _check(a: Path, b: Path, every_rule: bool = False) -> str:
    """Whether two runs' answers agree: one bit-2022 rule's monthly counts (``countifs``), or with
    ``every_rule`` every 合规明细 row of every rule (``answers``)."""
    import pandas as pd

    from benchmarks import answers
    from benchmarks.countifs import same_answer

    if every_rule:
        ok, note = answers.same_answers(answers.load(a), answers.load(b))
    else:
        def load(p):
            return pd.read_csv(p, dtype={"staff_id": str, "month": str, "value": float})
        ok, note = same_answer(load(a), load(b))
    return ("一致：" if ok else "不一致：") + note


# --------------------------------------------------------------------------- summary
def _values(runs, size, name, key="seconds"):
    return [x[key] for x in runs if x["size"] == size and x["scenario"] == name and "error" not in x
            and not x.get("timeout") and key in x]


def _ratio(runs, size, num, den, num_key="seconds", den_key="seconds", den_size=None):
    """Median over rounds of num/den, both from the same round."""
    by_round = {}
    for x in runs:
        if "error" in x or x.get("timeout"):
            continue
        if x["size"] == size and x["scenario"] == num and num_key in x:
            by_round.setdefault(x["round"], {})["n"] = x[num_key]
        if x["size"] == (den_size or size) and x["scenario"] == den and den_key in x:
            by_round.setdefault(x["round"], {})["d"] = x[den_key]
    rs = [v["n"] / v["d"] for v in by_round.values() if "n" in v and "d" in v and v["d"] > 0]
    return (statistics.median(rs), len(rs)) if rs else (None, 0)


def _med(xs):
    return statistics.median(xs) if xs else None


def _f(x, unit="", digits=2):
    return "—" if x is None else f"{x:.{digits}f}{unit}"


def _e2e_cells(runs, s: str, floor: str, run: str) -> tuple[list[str], dict]:
    """A size's row of a compliance table, in three pieces (size to end-to-end time; its parts and
    the ratios to the floor and to the whole file's bare read, ``floor`` + "_all"; peak RSS), and
    those figures for the targets: ``e2e``, ``e2e_over_read``, ``e2e_over_read_all``, ``rss_mb``."""
    read, e2e = _med(_values(runs, s, floor)), _med(_values(runs, s, run))
    whole = _med(_values(runs, s, f"{floor}_all"))
    parts = " / ".join(_f(_med(_values(runs, s, run, k))) for k in ("read", "compute", "write"))
    ratio, n = _ratio(runs, s, run, floor)
    ratio_all, _ = _ratio(runs, s, run, f"{floor}_all")
    rss = max(_values(runs, s, run, "rss_mb") or [0]) or None
    row = [f"| {s} | {_f(read)} (n={len(_values(runs, s, floor))}) | {_f(whole)} | {_f(e2e)}",
           f"{parts} | {_f(ratio, '×')} (n={n}) | {_f(ratio_all, '×')}", f"{_f(rss, '', 0)} |"]
    return row, {"e2e": e2e, "e2e_over_read": ratio, "e2e_over_read_all": ratio_all, "rss_mb": rss}


def _command_cells(runs, s: str, floor: str, run: str, read: str) -> tuple[str, dict]:
    """A row of a commands table: the floor as a command, the run as a command, the run over each
    floor (the command's and the in-process bare read's) within a round, its peak RSS."""
    ratio, n = _ratio(runs, s, run, floor)
    over_read, _ = _ratio(runs, s, run, read)
    rss = max(_values(runs, s, run, "rss_mb") or [0]) or None
    row = (f"| {s} | {_f(_med(_values(runs, s, floor)))} (n={len(_values(runs, s, floor))}) | "
           f"{_f(_med(_values(runs, s, run)))} | {_f(ratio, '×')} (n={n}) | {_f(over_read, '×')} | {_f(rss, '', 0)} |")
    return row, {"command": _med(_values(runs, s, run)), "command_over_read_command": ratio,
                 "command_over_read": over_read}


def summarise(result: dict, plan: Plan) -> tuple[str, dict]:
    runs, targets = result["runs"], {}
    for x in runs:  # the time to the answer without the results workbook
        if x["scenario"] == "compliance" and "read" in x:
            x["answer"] = x["read"] + x["compute"]
    lines = ["| 行数 | fastexcel 裸读 (s) | 全部工作表裸读 (s) | compliance 端到端 (s) | 其中 读 / 算 / 写 (s) | "
             "端到端 ÷ 裸读 | 端到端 ÷ 全部裸读 | 计算 ÷ 裸读 | 峰值 RSS (MB) |", "|---|---|---|---|---|---|---|---|---|"]
    peers = ["| 行数 | 朴素脚本 (s) | LibreOffice COUNTIFS (s) | COUNTIFS ÷ 端到端 | COUNTIFS ÷ (读+算) | "
             "朴素脚本 ÷ 端到端 |", "|---|---|---|---|---|---|"]
    for s in plan.sizes:
        row, figures = _e2e_cells(runs, s, "read", "compliance")
        e2e = figures["e2e"]
        r_comp, _ = _ratio(runs, s, "compliance", "read", num_key="compute")
        lines.append(f"{row[0]} | {row[1]} | {_f(r_comp, '×')} | {row[2]}")
        nv = _values(runs, s, "naive")
        cf = _values(runs, s, "countifs")
        cf_out = [x for x in runs if x["size"] == s and x["scenario"] == "countifs" and x.get("timeout")]
        r_cf, _ = _ratio(runs, s, "countifs", "compliance")
        r_cfa, _ = _ratio(runs, s, "countifs", "compliance", den_key="answer")
        r_nv, _ = _ratio(runs, s, "naive", "compliance")
        if cf:
            cf_text, cf_r, cfa_r = f"{_f(_med(cf))} (n={len(cf)})", _f(r_cf, "×", 1), _f(r_cfa, "×", 1)
        elif cf_out:  # only a lower bound: LibreOffice was stopped at the limit
            bound = cf_out[0]["seconds"]
            ans = _med(_values(runs, s, "compliance", "answer"))
            cf_text = f"> {bound:.0f}（到时限仍未完成，下限）"
            cf_r = f"> {bound / e2e:.0f}×" if e2e else "—"
            cfa_r = f"> {bound / ans:.0f}×" if ans else "—"
        else:
            cf_text, cf_r, cfa_r = "未运行", "—", "—"
        peers.append(f"| {s} | {_f(_med(nv))} (n={len(nv)}) | {cf_text} | {cf_r} | {cfa_r} | {_f(r_nv, '×', 1)} |")
        targets[s] = {**figures, "compute_over_read": r_comp, "countifs_over_e2e": r_cf, "countifs_over_answer": r_cfa,
                      "countifs_bound_s": cf_out[0]["seconds"] if cf_out and not cf else None}
    if plan.sizes:
        lines += ["", *peers]
    else:  # books of your own alone: no table of generated books
        lines = []
    commands = [s for s in plan.sizes if _values(runs, s, "command")]
    if commands:
        lines += ["", "| 行数 | 命令行：fastexcel 裸读命令 (s) | `mentor-xl compliance` 命令 (s) | 命令 ÷ 裸读命令 | "
                  "命令 ÷ 裸读 | 峰值 RSS (MB) |", "|---|---|---|---|---|---|"]
        for s in commands:
            row, targets[f"command {s}"] = _command_cells(runs, s, "read_command", "command", "read")
            lines.append(row)
    e2e_head = ("fastexcel 裸读 (s) | 全部工作表裸读 (s) | compliance 端到端 (s) | 其中 读 / 算 / 写 (s) | "
                "端到端 ÷ 裸读 | 端到端 ÷ 全部裸读 | 峰值 RSS (MB) |")
    command_head = "fastexcel 裸读命令 (s) | `mentor-xl compliance` 命令 (s) | 命令 ÷ 裸读命令 | 命令 ÷ 裸读 | 峰值 RSS (MB) |"
    # the same rows in other books: (first header, labels, floor and run scenarios, targets' key, extra column)
    own_books = result.get("own_books", {})
    for head, labels, floor, run, key, extra in (
            ("| 行数 | 单位自己的台账：", plan.office, "office_read", "office", "office", None),
            ("| 其他制度：制度:行数 | ", plan.packs, "pack_read", "pack", "pack", None),
            ("| 你的工作簿（学期） | 日志行数 | ", list(own_books), "own_read", "own", "own", "rows")):
        shown = [k for k in labels if _values(runs, k, floor) or _values(runs, k, run)]
        if not shown:
            continue
        lines += ["", head + e2e_head, "|---" * (head.count("|") + e2e_head.count("|") - 1) + "|"]
        for k in shown:
            row, targets[f"{key} {k}"] = _e2e_cells(runs, k, floor, run)
            if extra:  # a column of the book's own after its name
                first, _, rest = row[0].partition(" | ")
                row[0] = f"{first} | {own_books[k][extra]:,} | {rest}"
            lines.append(" | ".join(row))
        if any(_values(runs, k, f"{run}_command") for k in shown):
            lines += ["", f"| {head.split('|')[1].strip()} | {command_head}", "|---" * 6 + "|"]
            for k in shown:
                row, figures = _command_cells(runs, k, f"{floor}_command", f"{run}_command", floor)
                targets[f"{key} {k}"].update(figures)
                lines.append(row)
    if plan.docs:
        seq, par = _med(_values(runs, "docs", "docs_seq")), _med(_values(runs, "docs", "docs_par"))
        speed, n = _ratio(runs, "docs", "docs_seq", "docs_par")
        per, _ = _ratio(runs, "docs", "docs_100", "docxtpl_bare", "per_doc_ms", "per_doc_ms")
        pdf = _med(_values(runs, "docs", "pdf"))
        lines += ["", "| 文档与收件 | 值 |", "|---|---|",
                  f"| {plan.docs} 份整改提醒，单进程 (s) | {_f(seq)} |",
                  f"| {plan.docs} 份整改提醒，2 进程 (s) | {_f(par)} |",
                  f"| 2 核加速比（同轮） | {_f(speed, '×')} (n={n}) |",
                  f"| 每份成本 mentor_xl (ms) | {_f(_med(_values(runs, 'docs', 'docs_100', 'per_doc_ms')), '', 1)} |",
                  f"| 每份成本 docxtpl 裸渲染+保存 (ms) | {_f(_med(_values(runs, 'docs', 'docxtpl_bare', 'per_doc_ms')), '', 1)} |",
                  f"| mentor_xl ÷ docxtpl（同轮） | {_f(per, '×')} |",
                  *([f"| {plan.charts} 份学期工作总结（每份一张 matplotlib 图），单进程 / 2 进程 (s) | "
                     f"{_f(_med(_values(runs, 'docs', 'charts_seq')))} / {_f(_med(_values(runs, 'docs', 'charts_par')))} |",
                     f"| 含图文档 2 核加速比（同轮） | {_f(_ratio(runs, 'docs', 'charts_seq', 'charts_par')[0], '×')} |"]
                    if plan.charts else []),
                  f"| {plan.pdf} 份 docx→PDF，一个 LibreOffice 进程 (s) | {_f(pdf)} |",
                  f"| docx→PDF 每份 (ms) | {_f(_med(_values(runs, 'docs', 'pdf', 'per_doc_ms')), '', 0)} |"]
        targets["docs"] = {"speedup": speed, "per_doc_ratio": per,
                           "charts_speedup": _ratio(runs, "docs", "charts_seq", "charts_par")[0]}
    if plan.ingest:
        ing = _values(runs, "ingest", "ingest")
        if not plan.docs:
            lines += ["", "| 文档与收件 | 值 |", "|---|---|"]
        lines += [f"| 收件合并：{plan.ingest} 份回收工作簿一次 ingest (s) | {_f(_med(ing))} (n={len(ing)}) |",
                  f"| 收件合并每份 (ms) | {_f(_med(_values(runs, 'ingest', 'ingest', 'per_file_ms')), '', 0)} |",
                  f"| 收件合并峰值 RSS (MB) | {_f(max(_values(runs, 'ingest', 'ingest', 'rss_mb') or [0]) or None, '', 0)} |"]
    return "\n".join(lines).strip("\n"), targets


def machine() -> dict:
    def first(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    import importlib.metadata as md

    versions = {}
    for pkg in ("numpy", "pandas", "pyarrow", "fastexcel", "XlsxWriter", "openpyxl", "docxtpl", "python-docx"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "-"
    try:
        lo = subprocess.run(["soffice", "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        lo = "-"
    mem_kb = first("/proc/meminfo", "MemTotal").split()[0]
    return {"nproc": os.cpu_count(), "cpu": first("/proc/cpuinfo", "model name"),
            "ram_gb": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb.isdigit() else "?",
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions,
            "libreoffice": lo, "load": os.getloadavg()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k,200k,1M",
                    help="comma-separated log sizes: " + ",".join(generate.SIZES) + " or any count (300k, 0.8M)")
    ap.add_argument("--seed", type=int, default=generate.SEED,
                    help="the books' seed (another one: books never measured before)")
    ap.add_argument("--staff", type=int, default=generate.STAFF,
                    help="staff in the books' 人员 (another roster: a smaller college, a larger university)")
    ap.add_argument("--students", type=int, default=generate.STUDENTS, help="students in the books' 学生")
    ap.add_argument("--policy", default=None, choices=available(),
                    help="the pack the books are built for (default bit-2022; the naive script and COUNTIFS count a "
                         "bit-2022 rule: run only for bit-2022); with --book, the pack its books run under (default: "
                         "each book's 设置)")
    ap.add_argument("--book", action="append", default=[], metavar="PATH",
                    help="a workbook of your own (repeatable): measured alone, as the benchmark's books are and as "
                         "commands, and only printed (RESULTS.md is left alone)")
    ap.add_argument("--term", default=None,
                    help="with --book: the term to run (default: the term of its 学期 sheet holding most of its log)")
    ap.add_argument("--no-commands", action="store_true",
                    help="leave out the runs as commands (a new interpreter each, timed from outside)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--naive-rounds", default="10k:3,100k:3,1M:1", help="SIZE:ROUNDS pairs of the naive script (\"\": none)")
    ap.add_argument("--countifs-rounds", default="10k:3,100k:1,1M:0", help="SIZE:ROUNDS pairs of LibreOffice COUNTIFS (\"\": none)")
    ap.add_argument("--countifs-timeout", type=float, default=900.0)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--pdf", type=int, default=100)
    ap.add_argument("--ingest", type=int, default=200)
    ap.add_argument("--charts", type=int, default=100)
    ap.add_argument("--office", default="200k,200k/grouped,200k/saved,200k/notes",
                    help="sizes also run in an office's own layout, SIZE/grouped: its log kept per teacher; "
                         "SIZE/saved: the benchmark's book saved again by LibreOffice Calc; SIZE/notes: its "
                         "谈话内容 free text, nearly every row its own (\"\": none)")
    ap.add_argument("--packs", default=",".join(f"{p}:200k" for p in OTHER_PACKS),
                    help="POLICY:SIZE pairs also run: the same size built for another pack, whose rules make "
                         "other results (\"\": none)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--from-json", type=Path, help="re-render RESULTS.md from a run's RESULTS.json (no run)")
    a = ap.parse_args(argv)
    if a.staff < 1 or a.students < 1:
        ap.error(f"--staff 和 --students 须为正整数（得到 {a.staff} 和 {a.students}）")
    for label in a.office.split(","):
        how = label.partition("/")[2]
        if how not in OFFICE_LAYOUTS:
            ap.error(f"--office 中的“{label}”：斜杠后只能是 {'、'.join(x for x in OFFICE_LAYOUTS if x)}（或不写）")
    packs = [x for x in a.packs.split(",") if x]
    for label in packs:
        if label.partition(":")[0] not in available() or not label.partition(":")[2]:
            ap.error(f"--packs 中的“{label}”：应写作 制度:行数，制度为 {'、'.join(available())} 之一")
    for size in a.sizes.split(",") + [o.partition("/")[0] for o in a.office.split(",")] + \
            [x.partition(":")[2] for x in packs]:
        try:
            if size:
                generate.rows_of(size)
        except ValueError as e:
            ap.error(str(e))

    def pairs(s, flag):
        """'10k:3,1M:1' as {size: rounds}; anything else refused in words, not a traceback."""
        out = {}
        for x in (x for x in s.split(",") if x):
            size, _, n = x.partition(":")
            if not n.isdigit():
                ap.error(f"{flag} 中的“{x}”：应写作 行数:轮数，如 10k:3（不运行写 \"\"）")
            try:
                generate.rows_of(size)
            except ValueError as e:
                ap.error(f"{flag} 中的“{x}”：{e}")
            out[size] = int(n)
        return out
    plan = Plan([s for s in a.sizes.split(",") if s], a.rounds, pairs(a.naive_rounds, "--naive-rounds"), pairs(a.countifs_rounds, "--countifs-rounds"),
                a.countifs_timeout, a.docs, min(100, a.docs), a.pdf, a.ingest, a.charts,
                office=[s for s in a.office.split(",") if s], packs=packs, seed=a.seed,
                policy=a.policy or generate.POLICY, staff=a.staff, students=a.students, commands=not a.no_commands)
    if a.book:  # your books alone: nothing generated, nothing written over RESULTS.md
        from benchmarks.own import NotMeasurable, describe
        try:  # what cannot be run is said at once, in words, before a minute of measuring
            owns = [describe(path, a.policy, a.term) for path in a.book]
        except NotMeasurable as e:
            ap.error(str(e))
        plan = Plan([], a.rounds, {}, {}, docs=0, docxtpl=0, pdf=0, ingest=0, charts=0, office=[], packs=[],
                    commands=not a.no_commands, own=owns)
        a.no_write = True
    if a.from_json:
        saved = json.loads(a.from_json.read_text())
        m0, started = saved.pop("machine"), datetime.fromisoformat(saved.pop("started"))
        seconds = saved.pop("seconds", None)
        result = saved
    else:
        m0 = machine()
        started = datetime.now(timezone.utc)
        t = time.perf_counter()
        result = run(plan)
        m0["load_end"] = os.getloadavg()
        seconds = time.perf_counter() - t
    table, targets = summarise(result, plan)
    text = render(table, targets, result, plan, m0, started, seconds)
    print(table)
    print("\n".join(f"{k}: {v}" for k, v in result["checks"].items()))
    if not a.no_write and not a.from_json:
        for r in result["runs"]:  # a recalculated file's temporary folder says nothing later
            if "out" in r:
                r["out"] = Path(r["out"]).name
        a.out.with_suffix(".json").write_text(json.dumps(
            {"machine": m0, "started": started.isoformat(), "seconds": seconds, **result},
            ensure_ascii=False, indent=1, default=str))
    if not a.no_write:
        old = a.out.read_text(encoding="utf-8") if a.out.is_file() else ""
        if NOTES_MARK in old:  # the hand-written findings below the mark are kept
            text = text.rstrip() + "\n\n" + NOTES_MARK + old.split(NOTES_MARK, 1)[1]
        a.out.write_text(text, encoding="utf-8")
        print(f"written: {a.out}")
    return 0


def render(table, targets, result, plan, m, started, seconds) -> str:
    v = m["versions"]
    staff, students = result.get("staff", generate.STAFF), result.get("students", generate.STUDENTS)
    checks = "\n".join(f"- {k}：{c}" for k, c in result["checks"].items()) or "- （本次未运行同答案检查）"
    return f"""# mentor_xl benchmarks

Run: `python -m benchmarks` — {started:%Y-%m-%d %H:%M} UTC{f", {seconds / 60:.0f} min in all" if seconds else ""}.

Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, {m['platform']}; shared with other
engineers' jobs during the run (load average {m['load'][0]:.1f} at the start, {m['load_end'][0]:.1f} at the end),
so absolute times are noisy and the ratios — taken within one round, same book, back to back — are what count.
Python {m['python']}; numpy {v['numpy']}, pandas {v['pandas']}, pyarrow {v['pyarrow']}, fastexcel {v['fastexcel']},
XlsxWriter {v['XlsxWriter']}, openpyxl {v['openpyxl']}, docxtpl {v['docxtpl']}; {m['libreoffice']}.

Books: `benchmarks/generate.py`, policy {result.get('policy', generate.POLICY)}, seed {result.get('seed', generate.SEED)}, {staff:,} staff, {students:,}
students, 活动记录 of {' / '.join(result.get('books') or plan.sizes) or '—'} rows (rule-driven type mix with aliases, gaps from 缺月/较差/无记录 staff);
term {generate.TERM}. Every figure is a median over rounds (n = runs); each scenario runs in its own process.

- **fastexcel 裸读**: `fastexcel.read_excel(path).load_sheet("活动记录").to_arrow()` — the read floor.
- **全部工作表裸读**: the same for every sheet of the book (`load_sheet(name, header_row=None)`), the roster
  included: what any tool must read whatever the log's size. 端到端 ÷ 全部裸读 shows the fixed work of {staff:,}
  staff and {students:,} students apart from the log's; the floor of the targets is 裸读.
- **compliance 端到端**: `open_office` (read + validate every sheet) → `compliance(term)` → `write_results`
  (results workbook: 合规汇总 / 人员汇总 / 合规明细 / 数据问题 / 图表). 读/算/写 are its parts; 计算 = prepare + rules.
- **峰值 RSS**: the compliance process's maximum resident set from its start to its results workbook written (`VmHWM`; not `ru_maxrss`, which keeps the runner's peak from before `exec`), or a child's it waited for if larger; the answers the checks read are written after it is taken.
- **命令行**: the same two as commands, each a new interpreter timed from outside as a person at a terminal
  times it, its start and imports included: `python -c` importing fastexcel and loading the log's sheet, and
  `python -m mentor_xl compliance BOOK -t TERM -o OUT` (which starts the log's child before it imports pandas).
- **单位自己的台账**: the same book as an office keeps it (`benchmarks/office.py`): its own sheet and
  column names, a merged title row, 序号 and 教师姓名 columns, a signature line under each table, no 角色
  column and no 设置 sheet (the pack given as `--policy` gives it). Its floor reads its own 活动记录 the same way.
  `200k/grouped`: its log kept per teacher, 教师工号 and 教师姓名 merged down each teacher's rows.
  `200k/saved`: the benchmark's own book opened and saved again by LibreOffice Calc, as a book kept in a
  spreadsheet program is stored (shared strings, Calc's row and cell markup), not as a library writes it.
  `200k/notes`: the office's layout with 谈话内容 written as a 台账's notes are, a sentence or three per talk
  (the student's name, the topic, what was agreed), nearly every row its own, in place of the benchmark's
  340 short topics: ~20 MB more text that every tool reads.
  Each gives the benchmark's book's answers, every 合规明细 row of every rule (value, required, met;
  同答案检查 below, `office …`).
- **其他制度**: a book of the same size built for another pack (`--packs POLICY:SIZE`) and run under it: other
  rules, other periods, and another share of 不达标 rows in 合规明细 (hfut-math's gives about twice bit-2022's).
- **朴素脚本**: `benchmarks/naive.py` — pandas `read_excel` (openpyxl) + a Python loop, per-staff monthly counts
  of rule bit.monthly-activity, written with `to_excel`.
- **LibreOffice COUNTIFS**: `benchmarks/countifs.py` — the 活动记录 values plus one COUNTIFS per staff × month
  ({staff:,} × 5) and a 计入 helper column per log row (COUNTIF of the type in a 类型对照 list of the rule's
  types and aliases), recalculated by LibreOffice headless (`mentor_xl.libreoffice.recalculate_xlsx`): time to a
  recalculated file. A run that hit the {plan.countifs_timeout:.0f} s limit gives a lower bound.

{table}

Same answer (the recalculated COUNTIFS numbers and the naive script's, against the engine's
bit.monthly-activity values per staff × month):

{checks}
"""


NOTES_MARK = "<!-- findings: written by hand from the run above; kept when the tables are re-rendered -->"
