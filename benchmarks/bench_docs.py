"""Benchmark: 1,000 整改提醒 notices, sequential (1 process) vs parallel (2 processes).

Also times docxtpl's own way (a fresh DocxTemplate loaded, patched, compiled and saved for
every document) on a sample of the same batch, to show what parsing once per batch saves.

    python benchmarks/bench_docs.py [N] [--pdf M]   # prints a Markdown section for RESULTS.md
    python benchmarks/bench_docs.py --pdf-compare N  # docx → PDF: file by file vs joined batches
"""
from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentor_xl.documents import DocJob, generate, template_path  # noqa: E402
from mentor_xl.documents.kinds import SAMPLES  # noqa: E402

NAMES = ["张三", "李四&王五", "<赵六>", "钱七😀", "欧阳" + "长" * 28]


def jobs(n: int) -> list[DocJob]:
    out = []
    for i in range(n):
        name = f"{NAMES[i % len(NAMES)]}{i}"
        items = [{"序号": j + 1, "规则": "每月导学互动交流", "条款": f"第四条第{j + 1}项",
                  "要求": "每月和负责的每名学生以谈心谈话、下午茶、午餐会等方式进行1次导学互动交流",
                  "未达标情况": f"学生{j}（2024010{i:03d}）：10月、11月各差1次",
                  "对象": f"学生{j}（2024010{i:03d}）", "未达标周期": f"学生{j}（2024010{i:03d}）：10月、11月各差1次"}
                 for j in range(3)]
        out.append(DocJob({**SAMPLES["reminder"], "姓名": name, "工号": f"T{i:04d}", "未达标条数": 3,
                           "未达标项目": items}, f"T{i:04d}-{name}-整改提醒"))
    return out


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def docxtpl_per_document(batch: list[DocJob], out: Path) -> None:
    from docxtpl import DocxTemplate
    src = template_path("reminder").read_bytes()
    for i, j in enumerate(batch):
        tpl = DocxTemplate(io.BytesIO(src))
        tpl.render(j.context, autoescape=True)
        tpl.save(out / f"{i}.docx")


def summary_jobs(n: int) -> list[DocJob]:
    from mentor_xl.documents.charts import MonthlyChart
    from mentor_xl.documents.render import Picture
    out = []
    for i in range(n):
        chart = MonthlyChart(f"导师{i} 各月工作情况", ("9月", "10月", "11月", "12月", "1月"),
                             (i % 7, 5, 3, 4, 1), (2.0, 5.5, 3.0, 4.0, 1.0), (1.0, 0.5, None, 1.0, 0.0))
        out.append(DocJob({**SAMPLES["term-summary"], "姓名": f"导师{i}", "图表": Picture(chart, width_mm=150)},
                          f"T{i:04d}-学期工作总结"))
    return out


def _child_cpu() -> float:
    """CPU seconds used so far by finished child processes (soffice): the machine's work,
    steadier than wall time on a machine shared with other jobs."""
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pdf_compare(n: int = 100, kinds: tuple[str, ...] = ("reminder", "term-summary")) -> list[dict]:
    """docx → PDF for ``n`` documents of each kind, in the same run: today's conversion (one
    LibreOffice process converting file by file, ``to_pdf``) against the batch joined into
    documents of ``pdf.BATCH_CHUNK`` and cut apart (``batch_to_pdf``, what ``docs --pdf`` does).
    Wall seconds and LibreOffice's CPU seconds, per document; pages and bytes to show the
    output is the same documents."""
    from pypdf import PdfReader
    from mentor_xl.documents.pdf import BATCH_CHUNK, batch_to_pdf, to_pdf
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_pdf_"))
    try:
        for kind in kinds:
            batch = jobs(n) if kind == "reminder" else summary_jobs(n)
            paths = generate(kind, batch, tmp / kind, workers=2, progress=False)
            to_pdf(paths[:2], tmp / "warm")  # font caches, first-start profile work
            for way, fn in (("one process, file by file", to_pdf), (f"joined by {BATCH_CHUNK}, cut", batch_to_pdf)):
                out = tmp / f"{kind}-{len(rows)}"
                cpu, t = _child_cpu(), time.perf_counter()
                pdfs = fn(paths, out)
                wall, cpu = time.perf_counter() - t, _child_cpu() - cpu
                rows.append({"kind": kind, "way": way, "n": n, "wall_s": wall, "cpu_s": cpu,
                             "wall_per_doc": wall / n, "cpu_per_doc": cpu / n,
                             "pages": sum(len(PdfReader(str(p)).pages) for p in pdfs),
                             "kb_per_doc": sum(p.stat().st_size for p in pdfs) / n / 1024})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def pdf_markdown(rows: list[dict]) -> str:
    import os as _os
    load = _os.getloadavg()[0] if hasattr(_os, "getloadavg") else float("nan")
    out = [f"### docx → PDF（{rows[0]['n']} 份一批，{os.cpu_count()} 核，测量时负载 {load:.1f}）", "",
           "| 文档 | 方式 | 用时 (s) | 每份 (s) | LibreOffice CPU 每份 (s) | 页数 | 每份 KB |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['kind']} | {r['way']} | {r['wall_s']:.1f} | {r['wall_per_doc']:.3f} | "
                   f"{r['cpu_per_doc']:.3f} | {r['pages']} | {r['kb_per_doc']:.0f} |")
    return "\n".join(out)


def run(n: int = 1000, charts: int = 100, pdf: int = 0) -> dict:
    batch = jobs(n)
    tmp = Path(tempfile.mkdtemp(prefix="bench_docs_"))
    try:
        generate("reminder", batch[:20], tmp / "warm", workers=1, progress=False)  # imports, font caches
        seq = _time(lambda: generate("reminder", batch, tmp / "seq", workers=1, progress=False))
        par = _time(lambda: generate("reminder", batch, tmp / "par", workers=2, progress=False))
        k = min(n, 100)
        (tmp / "naive").mkdir()
        naive = _time(lambda: docxtpl_per_document(batch[:k], tmp / "naive"))
        size = sum(p.stat().st_size for p in (tmp / "par").iterdir()) / n
        sb = summary_jobs(charts)
        cseq = _time(lambda: generate("term-summary", sb, tmp / "cseq", workers=1, progress=False))
        cpar = _time(lambda: generate("term-summary", sb, tmp / "cpar", workers=2, progress=False))
        pdf_s = None
        if pdf:
            from mentor_xl.documents.pdf import to_pdf
            files = sorted((tmp / "par").iterdir())[:pdf]
            pdf_s = _time(lambda: to_pdf(files, tmp / "pdf"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"n": n, "cpus": os.cpu_count(), "sequential_s": seq, "parallel_s": par,
            "sequential_dps": n / seq, "parallel_dps": n / par, "speedup": seq / par,
            "docxtpl_per_doc_dps": k / naive, "docxtpl_sample": k, "avg_kb": size / 1024,
            "charts": charts, "charts_seq_dps": charts / cseq, "charts_par_dps": charts / cpar,
            "charts_speedup": cseq / cpar, "pdf": pdf, "pdf_dps": (pdf / pdf_s) if pdf_s else None}


def markdown(r: dict) -> str:
    return "\n".join([
        f"### 文档批量生成（{r['n']} 份整改提醒，{r['cpus']} 核）",
        "",
        "| 方式 | 用时 (s) | 份/秒 |",
        "|---|---:|---:|",
        f"| 顺序（1 进程，模板解析一次） | {r['sequential_s']:.2f} | {r['sequential_dps']:.1f} |",
        f"| 并行（2 进程，模板解析一次） | {r['parallel_s']:.2f} | {r['parallel_dps']:.1f} |",
        f"| docxtpl 每份重新加载模板（抽样 {r['docxtpl_sample']} 份） | — | {r['docxtpl_per_doc_dps']:.1f} |",
        f"| 学期工作总结（含 matplotlib 图表，{r['charts']} 份）顺序 | — | {r['charts_seq_dps']:.1f} |",
        f"| 学期工作总结（含 matplotlib 图表，{r['charts']} 份）并行 2 进程 | — | {r['charts_par_dps']:.1f} |",
        *([f"| docx → PDF（一个 LibreOffice 进程转换 {r['pdf']} 份） | — | {r['pdf_dps']:.1f} |"] if r["pdf"] else []),
        "",
        f"通知并行/顺序加速比 {r['speedup']:.2f}×（顺序每份 {1000 * r['sequential_s'] / r['n']:.1f} ms，"
        "进程间传递与写盘占主要时间；共享机器上的数字随负载波动）；"
        f"含图表的总结加速比 {r['charts_speedup']:.2f}×；平均每份通知 {r['avg_kb']:.0f} KB。"
        "模板每批解析一次，未改动的部件每批只压缩一次。",
    ])


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--pdf-compare" in args:  # python benchmarks/bench_docs.py --pdf-compare 100
        print(pdf_markdown(pdf_compare(int(args[args.index("--pdf-compare") + 1]))))
        sys.exit(0)
    m = int(args[args.index("--pdf") + 1]) if "--pdf" in args else 0
    rest = [a for i, a in enumerate(args) if a != "--pdf" and (i == 0 or args[i - 1] != "--pdf")]
    print(markdown(run(int(rest[0]) if rest else 1000, pdf=m)))
