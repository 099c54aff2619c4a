"""One benchmark scenario per child process, so each has its own peak RSS.

    python -m benchmarks.scenarios NAME '{"book": "...", ...}'

prints one JSON line: ``seconds`` (wall time of the work, imports done before the clock
starts), ``rss_mb`` (peak resident memory of this process and of any child it waited for,
e.g. soffice) and scenario-specific fields. The runner (``benchmarks.run``) starts these.
"""
from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path

TERM = "2024-2025-1"
# the floors' typed read says "Could not determine dtype … falling back to string" for each mixed
# column, on the runner's terminal: it changes nothing read or timed
logging.getLogger("fastexcel").setLevel(logging.ERROR)


def read(book: str, header_row: int | None, sheet: str = "活动记录", **_) -> dict:
    """The floor: fastexcel (calamine → Arrow) loading the 活动记录 sheet (``sheet``: as a book of
    your own names it), its header at ``header_row`` (None: its cells as they come), nothing else."""
    import fastexcel

    t = time.perf_counter()
    table = fastexcel.read_excel(book).load_sheet(sheet, header_row=_header(header_row)).to_arrow()
    return {"seconds": time.perf_counter() - t, "rows": table.num_rows}


def _header(row: int | None) -> int | None:
    return None if row is None else row - 1  # 1-based row of the header, as the books record it


def read_all(book: str, **_) -> dict:
    """A second floor: fastexcel loading every sheet of the book (the roster too, which the tool
    must read whatever the log's size), each as its cells come, nothing else."""
    import fastexcel

    t = time.perf_counter()
    reader = fastexcel.read_excel(book)
    cells = 0
    for name in reader.sheet_names:
        try:
            table = reader.load_sheet(name, header_row=None).to_arrow()
        except Exception:  # noqa: BLE001 — an empty sheet: nothing to load
            continue
        cells += table.num_rows * table.num_columns
    return {"seconds": time.perf_counter() - t, "cells": cells, "sheets": len(reader.sheet_names)}


def compliance(book: str, out: str, policy: str | None = None, term: str = TERM, keep: tuple = (), **_) -> dict:
    """mentor-xl compliance: read the workbook → compute → write the results workbook (``policy``:
    the pack, as ``--policy`` gives it to a book without a 设置 sheet). ``keep``: the answers the
    runner's same-answer checks read, written beside ``out`` after the clock and after the peak
    memory is taken — "monthly" (``countifs.engine_counts``), "answers" (``answers.engine_answers``)."""
    import mentor_xl.engine  # noqa: F401 — imported before the clock, like fastexcel for ``read``
    import mentor_xl.workbook.reader  # noqa: F401
    from mentor_xl.office import open_office
    from mentor_xl.results import write_results

    t0 = time.perf_counter()
    office = open_office(book, policy, later=True, terms=[term])  # as the CLI's compliance opens it
    t1 = time.perf_counter()
    result = office.compliance(term, confirmed=False)  # as the CLI: confirmed before the file is put in place
    t2 = time.perf_counter()
    write_results(out, result, before_replace=office.confirm)
    t3 = time.perf_counter()
    done = {"seconds": t3 - t0, "read": t1 - t0, "compute": t2 - t1, "write": t3 - t2,
            "details_rows": len(result.details), "results_rows": len(result.results), "rss_mb": rss_mb()}
    if "monthly" in keep:
        from benchmarks.countifs import engine_counts
        engine_counts(result).to_csv(Path(out).with_suffix(".monthly.csv"), index=False)
    if "answers" in keep:
        from benchmarks.answers import engine_answers
        engine_answers(result).to_csv(Path(out).with_suffix(".answers.csv"), index=False)
    return done


# The same two as commands, timed from outside as a person times them: a new interpreter each,
# its start and imports included (``python -m mentor_xl`` starts the log's child before it imports
# pandas and the reader: the command hides part of its imports behind the read).
_READ_COMMAND = ("import sys, fastexcel; h = sys.argv[3]; fastexcel.read_excel(sys.argv[1])"
                 ".load_sheet(sys.argv[2], header_row=None if h == '' else int(h)).to_arrow()")


def _timed(cmd: list[str]) -> dict:
    import subprocess

    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    if p.returncode:
        return {"error": (p.stderr or p.stdout).strip()[-600:] or f"exit {p.returncode}"}
    return {"seconds": seconds}


def read_command(book: str, header_row: int | None, sheet: str = "活动记录", **_) -> dict:
    """The floor as a command: ``python -c`` importing fastexcel and loading the log's sheet."""
    h = _header(header_row)
    return _timed([sys.executable, "-c", _READ_COMMAND, book, sheet, "" if h is None else str(h)])


def compliance_command(book: str, out: str, policy: str | None = None, term: str = TERM, **_) -> dict:
    """``python -m mentor_xl compliance BOOK -t TERM -o OUT``, as an office runs it."""
    return _timed([sys.executable, "-m", "mentor_xl", "compliance", book, "-t", term, "-o", out,
                   *(["--policy", policy] if policy else [])])


def naive(book: str, header_row: int, out: str, **_) -> dict:
    from benchmarks.naive import monthly_counts

    t = time.perf_counter()
    df = monthly_counts(Path(book), header_row, Path(out))
    seconds = time.perf_counter() - t
    df.to_csv(Path(out).with_suffix(".csv"), index=False)
    return {"seconds": seconds}


def countifs(formula_book: str, outdir: str, timeout: float, **_) -> dict:
    """LibreOffice headless recalculating the COUNTIFS workbook: time to a recalculated file."""
    from mentor_xl.libreoffice import LibreOfficeTimeout, recalculate_xlsx

    t = time.perf_counter()
    try:
        out = recalculate_xlsx(formula_book, outdir, timeout=timeout)
    except LibreOfficeTimeout:
        return {"seconds": time.perf_counter() - t, "timeout": True}
    return {"seconds": time.perf_counter() - t, "timeout": False, "out": str(out)}


def docs(n: int, workers: int, outdir: str, kind: str = "reminder", **_) -> dict:
    """``n`` documents with ``workers`` processes: 整改提醒 (``reminder``) or 学期工作总结 with a
    chart each (``term-summary``), the batches of ``benchmarks/bench_docs.py``."""
    from mentor_xl.documents.batch import generate
    from benchmarks.documents import chart_contexts, contexts

    jobs = chart_contexts(n) if kind == "term-summary" else contexts(n)
    t = time.perf_counter()
    generate(kind, jobs, outdir, workers=workers, progress=False)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "per_doc_ms": seconds / n * 1000}


def docxtpl_bare(n: int, outdir: str, **_) -> dict:
    """The floor for one document: docxtpl's own render + save, a fresh template each time
    (``bench_docs.docxtpl_per_document``)."""
    from benchmarks.documents import contexts, docxtpl_per_document

    jobs = contexts(n)
    Path(outdir).mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    docxtpl_per_document(jobs, Path(outdir))
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "per_doc_ms": seconds / n * 1000}


def pdf(n: int, outdir: str, **_) -> dict:
    """docx → PDF for ``n`` notices in one LibreOffice process."""
    from mentor_xl.documents.batch import generate
    from mentor_xl.documents.pdf import to_pdf
    from benchmarks.documents import contexts

    paths = generate(KIND, contexts(n), outdir, workers=2, progress=False)
    t = time.perf_counter()
    to_pdf(paths, outdir)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "per_doc_ms": seconds / n * 1000}


from benchmarks.documents import KIND  # noqa: E402


def ingest(n: int, cache: str, outdir: str, **_) -> dict:
    """``mail.ingest`` merging ``n`` returned workbooks into the office workbook (report included)."""
    from benchmarks.ingest import returns
    from mentor_xl.mail.ingest import ingest as run_ingest

    src = returns(n, Path(cache))
    Path(outdir).mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    res = run_ingest(src["book"], [src["inbox"]], out=Path(outdir) / "已合并.xlsx", report=True)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "per_file_ms": seconds / n * 1000, "files": len(res.files),
            "rows_merged": res.rows_merged}


def peak_rss_kb() -> int:
    """This process's peak resident set since it began to run this program. Linux keeps in
    ``ru_maxrss`` the peak of the process image before ``exec`` too: the runner's, when it had just
    built a 1M-row book (~400 MB), was every scenario's; ``VmHWM`` starts again at ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_mb() -> float:
    """The peak so far of this process or of any child it waited for, in MB."""
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(peak_rss_kb(), child_kb) / 1024  # Linux: kilobytes


SCENARIOS = {f.__name__: f for f in (read, read_all, compliance, read_command, compliance_command, naive, countifs, docs,
                                     docxtpl_bare, pdf, ingest)}


def main(argv: list[str]) -> None:
    name, args = argv[0], json.loads(argv[1])
    out = SCENARIOS[name](**args)
    out.setdefault("rss_mb", rss_mb())  # unless the scenario took it before work of its own that is not measured
    print("RESULT " + json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
