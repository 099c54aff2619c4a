"""``ingest``: merge returned collection workbooks into (a copy of) the office workbook.

For every workbook found in the inputs (``inbox.scan_inbox``, as soon as it is found):
1. ``examine``: refuse what is not safe or not ours (each file read in a child process,
   ``isolated``), check every row, keep the valid ones;
2. ``decide``: per recipient and term the latest return counts (the stamp's time, then the
   mail's, else the file's): it is ``accepted``, earlier ones are ``superseded``, a file
   whose rows were merged before is a ``duplicate``;
3. ``ledger.plan_merge``: an accepted correction adds only its new rows and removes only the
   rows it no longer has (each removal named in the report);
4. ``writeback``: the new rows go into the office's own 活动记录 (above a footer, 序号 and
   导师姓名 filled), provenance in extra columns, one line per file in 收件记录. The office
   file is a copy by default; in place only through ``safe.atomic_write`` with a backup; and
   nothing is written when nothing valid arrived.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pandas as pd

from mentor_xl.mail.decide import decide
from mentor_xl.mail.examine import Context, FileOutcome, examine, outcome_for, refuse
from mentor_xl.mail.inbox import Candidate, scan_inbox
from mentor_xl.mail.ledger import LEDGER_SHEET, LOG_SHEET, MERGED, ledger_rows, plan_merge, read_ledger
from mentor_xl.mail.report import summary_zh, write_replies, write_report
from mentor_xl.mail.writeback import write_office
from mentor_xl.mail.trust import DEFAULT_MAX_DELETIONS, HELD, Trust
from mentor_xl.office import open_office
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.safe import same_path

OFFICE_SUFFIXES = (".xlsx", ".xlsm")
__all__ = ["ingest", "IngestResult", "FileOutcome", "LEDGER_SHEET", "LOG_SHEET"]


@dataclass
class IngestResult:
    book: Path | None  # the office workbook written (None: nothing written, dry run)
    source: Path
    files: list[FileOutcome]
    rows_merged: int
    rows_removed: int
    problems: Problems
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # manifest recipients with no return
    report: Path | None = None
    dry_run: bool = False

    def to_json(self) -> dict:
        """The stable JSON shape of ``ingest --json`` (docs/contract.md): add keys, never rename."""
        return {
            "book": str(self.book) if self.book else None,
            "source": str(self.source),
            "files": [f.to_json() for f in self.files],
            "rows_merged": self.rows_merged,
            "rows_removed": self.rows_removed,
            "missing": self.missing,
            "notes": self.notes,
            "problems": self.problems.to_list(),
        }

    def summary_zh(self) -> str:
        return summary_zh(self)


# the command --------------------------------------------------------------------------------------
def default_report(target: Path) -> Path:
    """``办公室-已合并.xlsx`` → ``办公室-已合并-收件报告.xlsx`` beside it."""
    return target.with_name(f"{target.stem}-收件报告.xlsx")


def default_output(book: Path) -> Path:
    """``办公室.xlsx`` → ``办公室-已合并.xlsx`` beside it."""
    return book.with_name(f"{book.stem}-已合并{book.suffix}")


def ingest(book: str | Path, inputs: Iterable[str | Path], *, out: str | Path | None = None,
           in_place: bool = False, policy: str | None = None, manifest: str | Path | None = None,
           report: str | Path | bool | None = True, reply_dir: str | Path | None = None,
           dry_run: bool = False, now: datetime | None = None, engine: str = "auto",
           confirm: Iterable[str] = (), max_deletions: int | None = DEFAULT_MAX_DELETIONS) -> IngestResult:
    """Merge the returned workbooks found in ``inputs`` into the office workbook ``book``.

    Writes ``out`` (default ``<book>-已合并.xlsx``), or ``book`` itself when ``in_place``
    (atomically, the old file kept as ``<book>.bak.xlsx``). ``manifest`` is collect's
    收集清单.json: recipients without a return are listed. ``report`` is where the report
    workbook goes (True: ``default_report(target)`` beside the office workbook written;
    None/False: no report); ``reply_dir`` writes one reply .eml per sender with something
    to fix (From: the 设置 “发件人”). ``dry_run`` examines and decides but writes no office workbook. ``engine``
    chooses how the office workbook is written (``writeback.write_office``). ``confirm``: codes of
    held returns the office has checked; ``max_deletions``: a return deleting more rows is held
    (``trust.Trust``).
    Raises FatalInputError (Chinese) when the office workbook itself cannot be used.
    """
    book = Path(book)
    if book.suffix.lower() not in OFFICE_SUFFIXES:
        raise FatalInputError(f"办公室工作簿 {book.name} 不是 .xlsx/.xlsm 文件，无法写入。请先用 Excel 或 WPS 另存为 .xlsx")
    if not book.is_file():
        raise FatalInputError(f"找不到办公室工作簿 {book}")
    opened = open_office(book, policy)
    office, pack = opened.book, opened.pack
    if LOG_SHEET not in office.present:
        raise FatalInputError(f"办公室工作簿 {book.name} 中没有“活动记录”工作表，无法合并")
    now = now or datetime.now(timezone.utc)
    target = book if in_place else Path(out) if out else default_output(book)
    if not in_place and same_path(target, book):  # NFC + case-folded: Windows/macOS names
        raise FatalInputError("输出文件与办公室工作簿相同；要直接写入原文件请使用“原地写入”选项（会保留备份）")

    problems = Problems()
    outcomes: list[FileOutcome] = []
    with tempfile.TemporaryDirectory(prefix="mentor_xl_ingest_") as tmp:
        ctx = Context(office, pack, pack.type_map(), office.frame("学期"),
                       int(pack.setting("deadline_window_days")), Path(tmp),
                       trust=Trust(book, office, now=now, confirm=confirm, max_deletions=max_deletions))

        def take(c: Candidate) -> None:
            # Examined as soon as found, its bytes dropped after: a mailbox of any size
            # never sits in memory at once.
            try:
                outcomes.append(examine(c, ctx, len(outcomes)))
            except Exception:  # one hostile file must never stop the run
                outcomes.append(refuse(outcome_for(c), f"文件 {c.source} 的内容无法识别，"
                                                       "请另存为 .xlsx 后重新发送"))
            finally:
                c.data = None
                for f in ctx.tmp.iterdir():
                    f.unlink()

        scan = scan_inbox(inputs, on_candidate=take)
    ledger = Trust.ledger_view(read_ledger(book))
    decide(outcomes, ledger)
    plan = ctx.trust.hold_mass_deletions(outcomes, office.frame(LOG_SHEET), ledger, types=ctx.type_map)

    accepted = [o for o in outcomes if o.status == "accepted"]
    if plan is None:  # no deletion limit: not planned yet
        plan = plan_merge(office.frame(LOG_SHEET), accepted, ctx.type_map)
    for o in accepted:
        o.warnings.extend(o.removed)  # each row a correction deletes, named in the report
    rows_merged = sum(o.rows_added for o in accepted)
    rows_removed = sum(o.rows_removed for o in accepted)
    for o in outcomes:
        if o.status == "accepted":  # a duplicate's or a replaced file's rows do not count
            problems.extend(o.rejected)
            problems.extend(o.warnings)
        if o.status == "refused":
            problems.add("收件", None, "文件", o.name, o.reason or "", "拒收文件")
        if o.status == HELD:
            problems.add("收件", None, "文件", o.name, o.reason or "", "待确认文件", "warning")
    missing: list[str] = []
    if manifest:
        missing = _missing(Path(manifest), outcomes, ledger)

    written: Path | None = None
    # In place, a run that merges nothing leaves the office's file byte for byte as it was
    # (its 收件记录 only matters for what was merged); a copy is always written.
    if not dry_run and (accepted or not in_place):
        written = write_office(book, target, office, plan, ledger_rows(outcomes, now),
                               backup=True, pack=pack, engine=engine)
    result = IngestResult(written, book, outcomes, rows_merged, rows_removed, problems,
                          notes=list(scan.notes), missing=missing, dry_run=dry_run)
    if report:
        result.report = write_report(result, default_report(target) if report is True else Path(report))
    if reply_dir:
        write_replies(result, Path(reply_dir), sender=(office.settings.get("发件人") or "").strip() or None)
    for o in outcomes:
        o.rows = None  # the result is kept by callers; the frames are not needed any more
    return result


def _missing(manifest: Path, outcomes: list[FileOutcome], ledger: pd.DataFrame) -> list[str]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise FatalInputError(f"收集清单 {manifest} 无法读取（文件已损坏，或不是 mentor-xl collect 生成的清单）") from None
    by, term = data.get("by"), data.get("term")
    got = {o.recipient_key for o in outcomes if o.status in ("accepted", "superseded", "duplicate") and o.term == term}
    got |= set(ledger.loc[(ledger["状态"] == MERGED) & (ledger["学期"].astype(str) == str(term)), "来源"].dropna())
    return [r["label"] for r in data.get("recipients", []) if f"{by}:{r['recipient']}" not in got]
