"""Returned workbooks for the ingest benchmark, built once and cached.

An office of ``n`` staff collects by 工号 (``mail.collect``): one collection workbook each;
every recipient types a month of activities into it (``mail.simulate.fill_return``, the way
Excel/WPS saves it). The benchmark then times ``mail.ingest`` merging all ``n`` returns.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

TERM = "2024-2025-1"


def returns(n: int, cache: Path, *, policy: str = "bit-2022", seed: int = 2024, rows_each: int = 12) -> dict:
    """{"book": office workbook, "inbox": folder of ``n`` returned .xlsx} under ``cache``."""
    from benchmarks.generate import generator_version

    root = Path(cache) / f"ingest-{policy}-s{seed}-{n}x{rows_each}-{generator_version()}"
    done = root / "done.json"
    if done.is_file():
        return json.loads(done.read_text())
    shutil.rmtree(root, ignore_errors=True)
    from mentor_xl.demo import build_demo_book
    from mentor_xl.mail.collect import collect
    from mentor_xl.mail.simulate import fill_return
    from mentor_xl.packs import load_pack

    book = root / "办公室.xlsx"
    build_demo_book(book, policy, seed=seed, staff=max(8, n), students=max(40, n * 10), messy=False)
    sent = collect(book, TERM, "工号", root / "收集表", policy=policy)
    types = list(load_pack(policy).types)
    inbox = root / "收件箱"
    import datetime as dt
    for i, f in enumerate(sent.files[:n]):
        sid = f.recipient
        rows = [{"日期": dt.date(2024, 9 + k % 4, 3 + k), "工号": sid, "活动类型": types[(i + k) % len(types)],
                 "时长": 1, "内容": "谈心谈话、学业指导"} for k in range(rows_each)]
        fill_return(f.file, rows, inbox / f"{f.file.stem}-已填写.xlsx")
    out = {"book": str(book), "inbox": str(inbox), "files": min(n, len(sent.files))}
    done.write_text(json.dumps(out, ensure_ascii=False))
    return out
