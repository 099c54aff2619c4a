"""Read an office workbook as the office keeps it into an ``OfficeBook`` (workbook.md).

Sheets are found by name or alias, the header row by the most known column names among the
first rows (titles and blank rows above it are skipped, merged header cells handled), columns
by name, alias, the pack's ``[columns]`` section or the office's 列映射 sheet. Values are
parsed column-wise by ``values``; every value that cannot be read becomes a Problem naming
sheet, Excel row, column and value, and the rest of the sheet is still used.

Cell values come from fastexcel (calamine → Arrow), loaded with ``skip_rows=0`` so that row i
of the result is Excel row i + 1 even when the used range starts lower (calamine trims it).
"""
from __future__ import annotations

import functools
import re
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl import gcpause
from mentor_xl.packs import normalise_label
from mentor_xl.problems import FatalInputError, Problems, reading
from mentor_xl.workbook import aside, limits, values
from mentor_xl.workbook.limits import check_workbook_file
from mentor_xl.workbook.merges import from_refs as merges_from_refs, merged_ranges
from mentor_xl.workbook.native import native_read
from mentor_xl.workbook.model import ATTRS, OfficeBook, empty_frame
from mentor_xl.workbook import recognise as rec
from mentor_xl.workbook.schema import BY_NAME, SHEETS, Sheet, find_sheets

HEADER_SCAN_ROWS = 15  # non-blank rows searched for the header
MAX_PROBLEMS_PER_COLUMN = 1000  # beyond this one summary line: a whole bad column is one mistake
_FIRST = ("列映射", "设置")  # read before the others: the mapping applies to every other sheet
_KEY_IDS = ("工号", "学号")  # join keys: a lost leading zero breaks matching (联系电话 is no key)
# Required columns a sheet may lack and still be read: open_office supplies them from the pack
# (a single-role pack needs no 角色 column) or reports them.
SUPPLIABLE = {"人员": ("角色",)}


@gcpause.during
def read_book(path: str | Path, *, policy_pack=None, sheets: Iterable[str] | None = None,
              policy: str | None = None, meanwhile: Callable[[OfficeBook], None] | None = None,
              later: bool = False, child: "aside.Aside | None | str" = "start") -> OfficeBook:
    """Read the workbook at ``path``; never raises on bad data (FatalInputError only for a non-workbook).

    ``policy_pack`` (a ``packs.Pack``) may add column aliases in a ``[columns]`` section
    (``{sheet = {canonical = [aliases]}}``); ``sheets`` limits reading to these canonical
    sheet names (列映射 and 设置 are always read); ``policy`` (a pack id, --policy) names the pack
    whose activity types recognise a 活动类型 column by its values when ``policy_pack`` is not given.
    ``meanwhile(book)`` runs once every other sheet is read while 活动记录 is still loading
    (``read_from``).

    A large 活动记录 is loaded by a child (``aside``); that sheet's part of the file is checked
    by whichever is free first: here while the sheet is awaited, else by the child while the
    book is read and used here. ``later=True`` returns the book before that
    check ends: the caller must call ``book.confirm()`` before it delivers anything made from
    the book (``Office`` does); by default the book is confirmed before it is returned.
    ``child``: that child already started by the caller (``aside.for_log(path)``, the command
    line's, before it imported pandas), or None for none; by default it is started here.
    """
    path = Path(path)
    if child == "start":
        child = aside.for_log(path) if sheets is None or "活动记录" in sheets else None
    try:
        book = _read_checked(path, child, policy_pack=policy_pack, sheets=sheets, policy=policy, meanwhile=meanwhile)
        if not later:
            book.confirm()
        if child is not None:
            if book.pending is None:
                child.cancel()
            else:  # a book dropped unconfirmed leaves no child behind
                weakref.finalize(book, child.cancel)
    except BaseException:  # an interrupt too, wherever it lands: no child, no pipe left
        if child is not None:
            child.cancel()
        raise
    return book


def _read_checked(path: Path, child, *, policy_pack, sheets, policy, meanwhile) -> OfficeBook:
    if child is not None and child.part is not None:
        kind, child.spent = limits.check_all_but(path, child.part)
    else:
        kind = check_workbook_file(path)
    # calamine picks its parser by file name; a misnamed file (an .xlsx saved as .xls, an
    # attachment without extension) is handed over as bytes so the content decides
    suffix = path.suffix.lower()
    by_name = suffix in (".xlsx", ".xlsm", ".xlsb") if kind == "xlsx" else suffix == ".xls"
    import fastexcel  # here, not at import time: the Excel faces read without it

    with native_read(path.name):  # a panic in the native reader: a Chinese reason, no traceback
        try:
            source = str(path) if by_name else path.read_bytes()
            reader = fastexcel.read_excel(source)
            reader.sheet_names  # noqa: B018 — opening errors surface here
        except Exception as e:  # calamine's errors are not a stable type set
            raise FatalInputError(f"无法打开工作簿“{path.name}”：文件已损坏或不是 Excel 格式{_reason(e)}") from e
        # read per sheet, only for the sheets actually read (a big log's XML is streamed once)
        merges = (lambda name: merged_ranges(path, names={name}).get(name)) if kind == "xlsx" else {}
        return read_from(reader, path=path, policy_pack=policy_pack, sheets=sheets, merges=merges, policy=policy,
                         opener=lambda: fastexcel.read_excel(source), child=child, meanwhile=meanwhile)


def read_from(source, *, path: str | Path | None = None, policy_pack=None,
              sheets: Iterable[str] | None = None, merges: dict | None = None, policy: str | None = None,
              opener: Callable | None = None, child=None,
              meanwhile: Callable[[OfficeBook], None] | None = None) -> OfficeBook:
    """Read an opened workbook: anything with ``sheet_names`` and fastexcel's
    ``load_sheet(name, header_row=None, dtypes="string")`` — fastexcel's reader, or the Excel
    faces' reader over an open Book's cell values (``xl.book_api.RowsReader``). ``merges``:
    actual sheet name -> ``merges.SheetMerges`` (merged data cells are filled from them), as a
    dict or a function of the name. ``opener`` returns another reader of the same workbook: the
    活动记录 sheet (often most of the file) is then loaded by it in a thread while the rest is read;
    ``child`` (``aside.Aside``): that sheet already loading in a child, used when it is the one found.
    While that sheet loads, the sheets after it are read first and ``meanwhile(book)`` runs (the
    caller's work that needs no log); its problems still come in the order of the sheets."""
    wanted = list(BY_NAME) if sheets is None else list(sheets)
    for s in wanted:
        if s not in BY_NAME:
            raise ValueError(f"unknown sheet {s!r}; expected one of {list(BY_NAME)}")

    book = OfficeBook(path=Path(path) if path else None)
    actual_names = list(source.sheet_names)
    book.sheet_names = find_sheets(actual_names, book.problems)
    pack_columns = policy_pack.columns if policy_pack is not None else {}
    mapping: dict[str, dict[str, str]] = {}  # canonical sheet -> {normalised header: canonical column}
    ctx = _Context(source, merges or {}, book, frozenset())
    log = book.sheet_names.get("活动记录")
    if child is not None and log is not None and child.sheet == log and "活动记录" in wanted:
        ctx.ahead[log] = child
    else:
        if child is not None and child.part is not None:
            # the parent's check left a part to a child whose sheet is not the log found here (the
            # native reader names the sheets otherwise): nobody would check that part, and any
            # sheet read here may be it. The whole check first, before any sheet is read.
            child.cancel()
            check_workbook_file(child.path)
        if opener is not None and log is not None and "活动记录" in wanted:
            ctx.load_ahead(opener, log)
    for name in _FIRST:
        _read_one(ctx, name, pack_columns, mapping)
        if name == "列映射" and book.column_map is not None:
            mapping = _column_map(book.column_map, book.sheet_names["列映射"], book.problems)
    if book.settings_frame is not None:
        f = book.settings_frame.dropna(subset=["项目"])
        book.settings = {k: ("" if v is None else v) for k, v in zip(f["项目"], f["值"])}
    ctx.type_labels = _type_labels(policy_pack, policy or book.policy)
    rest = [s.name for s in SHEETS if s.name not in _FIRST and s.name in wanted]
    _find_by_content(ctx, actual_names, [s for s in rest if s not in book.sheet_names], pack_columns, mapping)
    book.present = set(book.sheet_names)
    # a log still loading is read last: the other sheets and ``meanwhile`` go on beside it
    later = "活动记录" if book.sheet_names.get("活动记录") in ctx.ahead else None
    for name in rest:
        if name == later:
            at, seen = len(book.problems), list(book.recognised)
        else:
            _read_one(ctx, name, pack_columns, mapping)
    if later:
        reading("")
        if meanwhile is not None:
            meanwhile(book)
        n = len(book.problems)
        _read_one(ctx, later, pack_columns, mapping)
        items = book.problems.items  # the log's problems where its sheet stands among the others
        log_problems = items[n:]
        del items[n:]
        items[at:at] = log_problems
        if later in book.recognised and later not in seen:  # and its recognition too (check lists them)
            order = [*seen, later, *(k for k in book.recognised if k not in seen and k != later)]
            book.recognised = {k: book.recognised[k] for k in order}
    reading("")
    return book


class _Context:
    def __init__(self, source, merges, book, type_labels):
        self.source, self.merges, self.book, self.type_labels = source, merges, book, type_labels
        self.staff_names: dict[str, str] | None = None  # unique 姓名 -> 工号, once 人员 is read
        self.shared_names: dict[str, int] = {}  # 姓名 borne by several 工号 -> how many
        self.ahead: dict = {}  # actual sheet name -> its values loading in a thread (Future) or a child (Aside)
        self.checked: dict[str, _CheckedHere] = {}  # actual sheet name -> what the parent's check of its part left

    def load(self, actual: str):
        """(record batch, cell errors) of every cell of ``actual`` as text."""
        ahead = self.ahead.pop(actual, None)
        got = ahead.result() if ahead is not None else None  # None: the child gave up, read it here
        return got if got is not None else _load(self.source, actual)

    def take_checked(self, actual: str):
        """The child's sheet of ``actual`` when the parent's check left its part to that child
        (``_take_checked``; None: ``load`` reads it here). Whatever that check raises is raised:
        a failed check is never an unreadable sheet to go on without (the book would be given out
        with that part unchecked). One failing otherwise than by a refusal (a bug a crafted part
        reaches, an I/O error) lets the whole check decide first, as before the part was checked
        apart: its words, or its error."""
        ahead = self.ahead.get(actual)
        if not isinstance(ahead, aside.Aside) or ahead.part is None:
            return None
        del self.ahead[actual]
        here = _CheckedHere()
        try:
            got = _take_checked(ahead, self.book, here)
            if got is not None:
                self.checked[actual] = here  # its merged cells, should the sheet need them
            else:
                here.close()
            return got
        except FatalInputError:
            raise
        except Exception:  # noqa: BLE001
            ahead.cancel()
            check_workbook_file(ahead.path)
            raise

    def merges_of(self, actual: str):
        """``actual``'s merged ranges: from the parent's check of its part, when it got that far
        (``_CheckedHere``), or streamed."""
        here = self.checked.pop(actual, None)
        got = here.merges() if here is not None else None
        if got is not None:
            return got
        return self.merges(actual) if callable(self.merges) else self.merges.get(actual)

    def done_with(self, actual: str) -> None:
        """``actual`` is read: a check of its part stopped partway is closed, its merges not needed."""
        here = self.checked.pop(actual, None)
        if here is not None:
            here.close()

    def load_ahead(self, opener, actual: str) -> None:
        """Start loading ``actual`` in a thread with a reader of its own (``opener()``): the native
        reader releases the GIL, so the log loads while the other sheets are read and checked."""
        pool = ThreadPoolExecutor(1, thread_name_prefix="mentor-xl-read")
        self.ahead[actual] = pool.submit(lambda: _load(opener(), actual))
        pool.shutdown(wait=False)


class _CheckedHere:
    """What the parent did with the log's part while it waited for the child: ``found``, the
    part's ``<mergeCell>`` references and ``<dimension>`` once a pass over the part got through
    (the skim for them, or the check); ``skim``, that skim when the sheet came before its end;
    ``steps``, the check itself when it began and stopped partway (None: through, or never
    begun); ``merged``, the merged ranges made from ``found`` while waiting."""

    def __init__(self):
        self.found: dict = {}
        self.skim = None
        self.steps = None
        self.merged = None

    def merges(self):
        """The part's merged ranges: as found while waiting, or read on from where the skim (else the
        check: ``limits.MERGES_ONLY``) stopped, for ``<mergeCell>`` alone (no second pass over what
        is read); None when none of these got through (never begun, over a limit): the reader
        streams the part."""
        if self.merged is None and not self._through():
            try:
                if self.skim is not None:
                    for _ in self.skim:  # to its end
                        pass
                elif self.steps is not None:
                    self.steps.send(limits.MERGES_ONLY)  # runs to the end: StopIteration
            except StopIteration:
                pass
            except Exception:  # noqa: BLE001 — over a limit: streamed as before (the check says why)
                self.found = {}
        self.close()
        return self.merged if self.merged is not None else self.made()

    def _through(self) -> bool:
        return self.found.get("merges") is not None and bool(self.found.get("dimension"))

    def made(self):
        """``found`` as merged ranges (None: not through)."""
        if not self._through():  # where the grid starts: <dimension>
            return None
        return merges_from_refs(self.found["merges"], self.found["dimension"])

    def close(self) -> None:
        for gen in (self.steps, self.skim):
            if gen is not None:
                gen.close()
        self.steps = self.skim = None


def _take_checked(ahead: "aside.Aside", book: OfficeBook, here: _CheckedHere):
    """The child's sheet (None: read it here) once the part the parent's check left to it is
    checked, or ``book.pending`` = its check, still running in the child. ``here``: what the
    parent's own check of the part left."""
    own = _check_while_waiting(ahead, here)
    got = ahead.result()  # None: the child gave up, read it here
    if own is not None:  # checked here before the sheet came: the child's check is not needed
        ahead.stop()  # reaped once the sheet is read (``read_book``)
        ahead.scanned = own
        _part_judged(ahead)
    elif got is not None and got[0].num_rows * max(got[0].num_columns, 1) <= limits.MAX_CELLS:
        book.pending = functools.partial(_part_checked, ahead)  # its check, still running
    else:  # no sheet, or a grid the check would refuse: the whole check first, here. Not the
        # child's verdict: it ran the native reader on the part before it checked it, and the
        # parent's own native reader is about to read that part.
        ahead.cancel()
        ahead.scanned = None
        _part_checked(ahead)
        got = None
    return got


def _check_while_waiting(child: "aside.Aside", here: _CheckedHere) -> int | None:
    """While the child loads the log, its part here, a MB at a time until the child hands its
    sheet over: on a big log the parent is done with the other sheets long before, and its core
    is free. First the part's merged ranges (``here.merged``: an office's log keeps 工号 and 姓名
    merged down each teacher's rows, and reading on for them after the sheet came held up the
    sheet by a pass over the part), then its check (the child's check then is not needed). The
    bytes, or None when the sheet came first. A refused part is refused here, in the whole check's
    words. ``here`` keeps what was found, and the skim or the check where it stopped."""
    skim = limits.part_steps(child.path, child.part, found=here.found, merges_only=True)
    started = False
    try:
        while not child.handed_over():
            next(skim)
            started = True
    except StopIteration:
        here.merged = here.made()
    except FatalInputError:  # over a limit: the check says so, in its words
        here.found = {}
    except BaseException:
        skim.close()
        raise
    else:  # the sheet came first: the reader may read on for the merges from where the skim is
        if started:
            here.skim = skim
        else:
            skim.close()
        return None
    steps = limits.part_steps(child.path, child.part, found=here.found)
    started = False
    try:
        while not child.handed_over():
            next(steps)
            started = True
    except StopIteration as done:
        return done.value  # ``here.found``: the part's merged ranges, not streamed again
    except FatalInputError:
        child.cancel()
        check_workbook_file(child.path)  # the first bad part in the file's order, as always
        raise
    except BaseException:
        steps.close()
        raise
    if started:  # kept, stopped where it is: the reader may read on for the merges
        here.steps = steps
    else:
        steps.close()
    return None


def _part_checked(child: "aside.Aside") -> None:
    """The part the parent's check left to the child (``limits.check_all_but``) passed its check
    there, within the budget of the whole; otherwise (refused, no verdict, over the budget) the
    whole check runs here and refuses the file in its own words."""
    child.verdict()
    _part_judged(child)


def _part_judged(child: "aside.Aside") -> None:
    """``_part_checked`` once ``child.scanned`` says how the part's check went."""
    if isinstance(child.scanned, int) and limits.within_budget(child.spent, child.scanned):
        return
    check_workbook_file(child.path)
    if isinstance(child.scanned, str):  # the whole check passed what the child refused: never taken
        raise FatalInputError(child.scanned)


def _reason(e: Exception) -> str:
    """The native reader's own reason, in brackets, when it is in Chinese; its English reasons
    ("Invalid checksum" …) stay in the traceback, not in what the office reads."""
    text = str(e)
    return f"（{text}）" if _CJK.search(text) else ""


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _load(source, actual: str):
    return source.load_sheet(actual, header_row=None, dtypes="string", skip_rows=0).to_arrow_with_errors()


def _read_one(ctx: _Context, name: str, pack_columns: dict, mapping: dict) -> None:
    sheet = BY_NAME[name]
    book = ctx.book
    actual = book.sheet_names.get(name)
    if actual is None:
        if sheet.required:
            book.problems.add(name, None, None, None, _missing_sheet_message(sheet), "缺少工作表")
        return
    aliases = _aliases(sheet, pack_columns.get(name, {}), mapping.get(name, {}))
    reading(f"工作表“{actual}”")
    how = "内容" if name in book.recognised else "名称" if normalise_label(actual) == normalise_label(name) else "别名"
    try:
        setattr(book, ATTRS[name], _read_sheet(ctx, actual, sheet, aliases, how))
    finally:
        ctx.done_with(actual)
    if name == "人员":
        ctx.staff_names, ctx.shared_names = _unique_names(book.staff)


def _unique_names(staff: pd.DataFrame) -> tuple[dict[str, str], dict[str, int]]:
    """姓名 -> 工号 for names that belong to exactly one 工号; 姓名 -> how many, for the others."""
    f = staff.dropna(subset=["工号", "姓名"]).drop_duplicates(["工号", "姓名"])
    counts = f["姓名"].value_counts()
    one = f[f["姓名"].map(counts) == 1]
    return dict(zip(one["姓名"], one["工号"])), {k: int(v) for k, v in counts[counts > 1].items()}


def _missing_sheet_message(sheet: Sheet) -> str:
    head = " | ".join(c.name for c in sheet.columns if c.required) if sheet.name == "学期" else \
        " | ".join(c.name for c in sheet.columns[:6])
    msg = f"工作簿中缺少工作表“{sheet.name}”" + (f"（也可命名为：{'、'.join(sheet.aliases)}）" if sheet.aliases else "")
    msg += f"。请新建工作表“{sheet.name}”，第一行写表头：{head}"
    if sheet.name == "学期":
        msg += "，每个学期一行，如：2024-2025-1 | 2024-09-02 | 2025-01-12（日期按本校校历）"
    return msg


def _type_labels(policy_pack, pack_id: str | None) -> frozenset[str]:
    """Normalised spellings of the pack's activity types (every pack's when the pack is unknown)."""
    from mentor_xl.packs import PackError, available, load_pack

    packs = [p for p in (policy_pack, pack_id) if hasattr(p, "type_map")][:1]  # a Pack given (--policy FILE)
    if not packs and isinstance(pack_id, str) and pack_id:
        try:
            packs = [load_pack(pack_id)]
        except (PackError, OSError, ValueError):
            packs = []
    if not packs:
        for pid in available():
            try:
                packs.append(load_pack(pid))
            except (PackError, OSError, ValueError):
                continue
    return frozenset(k for p in packs for k in p.type_map())


def _find_by_content(ctx: _Context, actual_names: list[str], missing: list[str], pack_columns: dict,
                     mapping: dict) -> None:
    """Sheets no name or alias found, recognised by their headers (recognise.sheet_by_content)."""
    used = set(ctx.book.sheet_names.values())
    heads: dict[str, list[str]] = {}
    if not missing:
        return
    all_aliases = {name: _aliases(BY_NAME[name], pack_columns.get(name, {}), mapping.get(name, {})) for name in missing}
    for actual in actual_names:
        if actual in used or rec.is_output_sheet(actual, None):
            continue
        grid = _head_grid(ctx.source, actual)
        if not grid or rec.is_output_sheet(actual, grid[0][0] if grid[0] else None):
            continue
        best = None
        for name in missing:
            found = _header(grid, all_aliases[name])
            if found and (best is None or sum(map(bool, found[1])) > sum(map(bool, best[1]))):
                best = found
        if best is not None:
            heads[actual] = best[1]
    for name, actual in rec.sheet_by_content(heads, missing, mapping).items():
        ctx.book.sheet_names[name] = actual
        ctx.book.recognised[name] = rec.Recognition(name, actual, "内容")


def _head_grid(source, actual: str) -> list[list]:
    try:
        try:
            sh = source.load_sheet(actual, header_row=None, dtypes="string", skip_rows=0, n_rows=HEADER_SCAN_ROWS * 2)
        except TypeError:
            sh = source.load_sheet(actual, header_row=None, dtypes="string", skip_rows=0)
        batch = sh.to_arrow()
    except Exception:  # an empty or unreadable sheet says nothing about its content
        return []
    cols = [batch.column(j).cast(pa.large_string()) for j in range(batch.num_columns)]
    if not cols:
        return []
    return [list(r.values()) for r in pa.table(cols, names=[str(j) for j in range(len(cols))])
            .slice(0, HEADER_SCAN_ROWS * 2).to_pylist()]


# sheets and headers ----------------------------------------------------------------------
def header_map(rows: list[list], sheet: str, *, pack=None, office: OfficeBook | None = None
               ) -> tuple[int, dict[str, int], list[str]] | None:
    """Where the header of ``sheet`` is among ``rows`` (its first rows as values, row i = Excel
    row i + 1) and which column holds which canonical column, found exactly as ``read_book``
    finds them (schema names and aliases, the pack's ``[columns]``, the office's 列映射).

    Returns (index of the header row in ``rows``, canonical name → 1-based column, the header
    labels) or None when no row looks like the header. For writers that edit a sheet in place.
    """
    office_map: dict[str, str] = {}
    if office is not None and office.column_map is not None and len(office.column_map):
        office_map = _column_map(office.column_map, office.sheet_names.get("列映射", "列映射"),
                                 Problems()).get(sheet, {})
    pack_cols = pack.columns.get(sheet, {}) if pack is not None else {}
    aliases = _aliases(BY_NAME[sheet], pack_cols, office_map)
    found = _header(rows, aliases)
    if found is None:
        return None
    h, names = found
    colmap: dict[str, int] = {}
    for j, label in enumerate(names, start=1):
        canon = aliases.get(normalise_label(label))
        if canon is not None:
            colmap.setdefault(canon, j)
    return h, colmap, names


def _aliases(sheet: Sheet, pack_cols: dict, office_map: dict[str, str]) -> dict[str, str]:
    """normalised header -> canonical column: schema names and aliases, the pack's, the office's."""
    m: dict[str, str] = {}
    for c in sheet.columns:
        for label in (c.name, *c.aliases, *pack_cols.get(c.name, ())):
            m.setdefault(normalise_label(label), c.name)
    m.update(office_map)  # the office's own names win
    return m


def _column_map(frame: pd.DataFrame, actual: str, problems: Problems) -> dict[str, dict[str, str]]:
    sheet_by_label = {normalise_label(n): s.name for s in SHEETS for n in (s.name, *s.aliases)}
    out: dict[str, dict[str, str]] = {}
    for table, own, std, row in zip(frame["表"], frame["原列名"], frame["标准列名"], frame["_row"]):
        target = sheet_by_label.get(normalise_label(table))
        if target is None:
            problems.add(actual, int(row), "表", table, f"列映射第{row}行：没有名为“{table}”的工作表", "列映射", "warning")
            continue
        names = BY_NAME[target].names
        canon = std if std in names else next((n for n in names if normalise_label(n) == normalise_label(std)), None)
        if canon is None:
            problems.add(actual, int(row), "标准列名", std, f"列映射第{row}行：工作表“{target}”没有标准列“{std}”"
                         f"（可用：{'、'.join(names)}）", "列映射", "warning")
            continue
        out.setdefault(target, {})[normalise_label(own)] = canon
    return out


def _cell_text(v) -> str:
    return "" if v is None else str(v).strip()


def _header(rows: list[list], aliases: dict[str, str]) -> tuple[int, list[str]] | None:
    """(index of the header row, its names) among the first rows; None when nothing matches.

    A blank header cell takes the name from the row above when that name is a known column or
    that row is itself header-like (two cells or more): the cell is under a vertical merge. A group label merged across
    columns above the names is never used because the names row has a value there.
    """
    best, best_score = None, 0
    non_blank = [i for i, r in enumerate(rows) if any(_cell_text(v) for v in r)][:HEADER_SCAN_ROWS]
    for i in non_blank:
        names = [_cell_text(v) for v in rows[i]]
        if i > 0:
            above = [_cell_text(v) for v in rows[i - 1]]
            header_like = sum(1 for v in above if v) >= 2
            names = [n or (up if header_like or normalise_label(up) in aliases else "")
                     for n, up in zip(names, above)]
        score = len({aliases[k] for k in map(normalise_label, names) if k in aliases})
        if score > best_score:
            best, best_score = (i, names), score
    return best


# one sheet -----------------------------------------------------------------------------
def _read_sheet(ctx: _Context, actual: str, sheet: Sheet, aliases: dict[str, str], how: str) -> pd.DataFrame:
    problems = ctx.book.problems
    got = ctx.take_checked(actual)  # outside the try: a failed check is no unreadable sheet
    try:
        batch, cell_errors = got if got is not None else ctx.load(actual)
    except FatalInputError:  # a refusal is never an unreadable sheet either
        raise
    except Exception as e:  # an empty or unreadable sheet
        if "empty" not in str(e).lower():
            problems.add(actual, None, None, None, f"工作表“{actual}”无法读取：内容已损坏或格式不受支持{_reason(e)}",
                         "工作表无法读取")
        batch, cell_errors = pa.record_batch([], names=[]), None
    errors = _error_cells(cell_errors)
    cols = [_as_text(batch.column(j)) for j in range(batch.num_columns)]
    head_rows = pa.table(cols, names=[str(j) for j in range(len(cols))]).slice(0, 200).to_pylist() if cols else []
    grid = [list(r.values()) for r in head_rows]
    if not any(_cell_text(v) for r in grid for v in r):
        return empty_frame(sheet)  # an empty sheet (e.g. left from the template): nothing to say
    found = _header(grid, aliases)
    if found is None:
        problems.add(actual, None, None, None, f"工作表“{actual}”找不到表头行：前{HEADER_SCAN_ROWS}行中没有"
                     f"“{'”“'.join(sheet.names[:4])}”等列名。请把表头放在数据上方一行，或在“列映射”表登记"
                     f"本单位的列名（表 | 原列名 | 标准列名，如 {rec.map_row(sheet.name, '本单位列名', sheet.names[0])}）",
                     "缺少列")
        return empty_frame(sheet)
    h, names = found
    match = rec.match_columns(sheet, names, aliases, lambda j: cols[j].slice(h + 1, 5000), ctx.type_labels)
    canon_at = match.canon_at
    texts = [_has_text(c.slice(h + 1)) for c in cols]
    # the rows below the header, each column dictionary-encoded (its distinct texts parsed once),
    # and the footers among them (填表人：…): a footer's blanks are no trace of a merged range
    data = [c.slice(h + 1) for c in cols]
    enc = rec.encode(data)
    marks = [rec.value_marks(c) for c in enc]
    footer = rec.footer_rows(enc, texts, marks)
    if _may_be_merged(texts, [canon_at[c.name] for c in sheet.columns if c.name in canon_at and c.required],
                      footer):
        merges = ctx.merges_of(actual)
        filled = _fill_merged(cols, merges, h)
        if filled is not cols:  # the columns merges filled, again; the others as they were
            for j in [j for j in range(len(cols)) if filled[j] is not cols[j]]:
                texts[j], data[j] = _has_text(filled[j].slice(h + 1)), filled[j].slice(h + 1)
                enc[j] = rec.encode([data[j]])[0]
                marks[j] = rec.value_marks(enc[j])
            cols = filled
            footer = rec.footer_rows(enc, texts, marks)
    recog = rec.Recognition(sheet.name, actual, how, match.how, h + 1, [n for n in names if n])
    ctx.book.recognised[sheet.name] = recog
    for canon, cands in match.ambiguous.items():
        problems.add(actual, h + 1, canon, "、".join(cands),
                     f"工作表“{actual}”有几列都可能是“{canon}”：{'、'.join(cands)}，都没有使用。"
                     f"请在“列映射”表加一行指明是哪一列，如：{rec.map_row(sheet.name, cands[0], canon)}", "列名不明确")
    # which column holds which canonical name; the rest are kept as they are
    extra: list[tuple[str, int, str | None]] = []  # (name in the frame, grid column, canonical it repeats)
    for j, label in enumerate(names):
        if j in canon_at.values():
            continue  # (a 序号 column is kept under its header, never reported: writers number new rows from it)
        if label or texts[j].any():
            canon = aliases.get(normalise_label(label))
            name = label or "未命名列"
            while name in sheet.names or name == "_row" or name in (e[0] for e in extra):
                name += "'"  # two columns with one header: both kept
            extra.append((name, j, canon))
    missing = [c.name for c in sheet.columns if c.required and c.name not in canon_at]
    # a sheet kept by the staff's names alone (教师姓名, no 工号): each row takes the 工号 of the one
    # staff member of that name, as a blank 工号 cell does
    names_give_ids = sheet.name != "人员" and bool(ctx.staff_names)  # once 人员 is read, a 姓名 finds its 工号
    by_name = _staff_name_column(match, names, rec.STAFF_ONLY_NAME_HEADERS) \
        if missing == ["工号"] and names_give_ids else None
    if by_name is not None:
        missing = []
        recog.columns = {"工号": f"{names[by_name]}（按姓名查人员表）", **recog.columns}
        problems.add(actual, h + 1, "工号", names[by_name],
                     f"工作表“{actual}”没有“工号”列：每行按“{names[by_name]}”取人员表中唯一同名者的工号；"
                     "同名或不在人员表中的行无法确定是谁，已跳过（逐行列出）。请核对，最好补上工号一列",
                     "按姓名补工号", "warning")
    if missing and set(missing) <= set(SUPPLIABLE.get(sheet.name, ())):
        recog.missing = missing  # open_office supplies them from the pack, or reports them
    elif missing:
        unused = [label for j, label in enumerate(names) if label and j not in canon_at.values() and j not in match.layout]
        fix = "；".join(rec.map_row(sheet.name, (match.ambiguous.get(m) or unused or ["本单位列名"])[0], m)
                       for m in missing)
        problems.add(actual, h + 1, "、".join(missing), None,
                     f"工作表“{actual}”缺少必需的列：{'、'.join(missing)}（表头在第{h + 1}行），此表的数据无法使用。"
                     f"此表的列是：{'、'.join(n for n in names if n) or '（无）'}。如果其中某列就是所缺的列，请在“列映射”"
                     f"表加一行（表 | 原列名 | 标准列名）：{fix}；否则请补上这一列", "缺少列")
        return empty_frame(sheet)
    for name, j, repeats in extra:
        if repeats:
            problems.add(actual, h + 1, name, None, f"工作表“{actual}”有两列都对应“{repeats}”，只使用了第一列，"
                         f"这一列“{name}”原样保留", "重复列", "warning")
        elif j not in match.names and j not in match.layout:
            problems.add(actual, h + 1, name, None, f"工作表“{actual}”中的列“{name}”不是标准列，已原样保留",
                         "未知列", "warning")

    # data rows: everything below the header that is neither blank nor a footer (填表人：…)
    n = len(data[0]) if data else 0
    blank = np.ones(n, dtype=bool)
    for t in texts:
        blank &= ~t
    recog.layout_rows = (np.flatnonzero(footer) + h + 2).tolist()  # writers put new rows above them
    blank |= footer
    for r, _ in errors:  # a cell showing #N/A is not blank
        if r > h:
            blank[r - h - 1] = False
    keep = np.flatnonzero(~blank)
    if sheet.name == "活动记录":
        keep = _drop_duplicates(problems, actual, enc, keep, h, match.layout)
    rows = keep + h + 2  # Excel row numbers (1-based; row 0 of `data` is Excel row h + 2)
    take = _kept_rows(keep)

    out: dict[str, pd.Series] = {}
    drop = np.zeros(len(keep), dtype=bool)
    who = by_name if by_name is not None else _staff_name_column(match, names, rec.STAFF_NAME_HEADERS)
    later: dict[str, pa.DictionaryArray] = {}  # free text, parsed when asked for (OfficeBook.frame)
    for col in sheet.columns:
        unnamed = np.zeros(len(keep), dtype=bool)  # blank, and said why by _staff_by_name
        if col.name in canon_at and col.notes and col.kind == "text" and not col.required:
            later[col.name] = take(enc[canon_at[col.name]])  # text is never bad: only its error cells are said
            _report_errors(problems, actual, col.name, errors, canon_at[col.name], h, keep, False)
            continue
        if col.name in canon_at:
            coded = take(enc[canon_at[col.name]])  # indices only: the distinct texts are parsed once
            raw = _cell_at(coded)
            parsed, bad, blank = values.parse_coded_blank(_PARSE_AS.get(col.name, col.kind), coded)
            bad = bad.to_numpy(bool, copy=True)
            _report(problems, actual, col.name, col.kind, raw, rows, bad, col.required)
            bad |= _report_errors(problems, actual, col.name, errors, canon_at[col.name], h, keep, col.required)
        elif col.name == "工号" and by_name is not None:  # every 工号 from the names
            raw, parsed, bad = (lambda i: None), _null_column(col.kind, len(keep)), np.zeros(len(keep), dtype=bool)
            blank = np.ones(len(keep), dtype=bool)
        else:
            out[col.name] = _null_column(col.kind, len(keep))
            continue
        if col.name == "工号" and names_give_ids and who is not None:
            parsed, unnamed = _staff_by_name(ctx, problems, actual, parsed, bad, take(enc[who]), names[who],
                                             rows, each_row=by_name is None)
            at = np.flatnonzero(blank)  # of the blanks, those still blank (an id from the name fills one)
            blank[at] = parsed.iloc[at].isna().to_numpy(bool)
        out[col.name] = parsed
        if col.required:
            empty = ~bad & blank
            _report_missing(problems, actual, col.name, rows, empty & ~unnamed)
            drop |= bad | empty
        if col.kind == "id" and col.name in _KEY_IDS:
            _report_short_ids(problems, actual, col.name, parsed, rows, raw)
    for name, j, _ in extra:
        later[name] = take(enc[j])
    out["_row"] = pd.Series(rows, dtype="int64")
    frame = pd.DataFrame(out, copy=False)  # no 2-D block of every object column: stacking cost 0.2 s at 1M rows
    frame = frame[~drop].reset_index(drop=True)
    if later:
        kept = pa.array(np.flatnonzero(~drop))
        ctx.book.deferred[sheet.name] = {name: functools.partial(_text_later, coded, kept)
                                         for name, coded in later.items()}
    return frame


def _kept_rows(keep: np.ndarray) -> Callable[[pa.Array], pa.Array]:
    """The rows ``keep`` of a column: a slice when they follow one another (a log without blank,
    footer or duplicate rows: no copy of its 200,000 codes a column), else a take."""
    if len(keep) and int(keep[-1]) - int(keep[0]) + 1 == len(keep):
        first, n = int(keep[0]), len(keep)
        return lambda a: a.slice(first, n)
    at = pa.array(keep)
    return lambda a: a.take(at)


def _text_later(coded: pa.DictionaryArray, kept: pa.Array) -> pd.Series:
    """A text column left for later: the rows kept, parsed as the others were."""
    return values.parse_coded("text", coded.take(kept))[0]


_PARSE_AS = {"时长": "hours"}  # read as a number of hours (90分钟 is 1.5)
_NO_YEAR = re.compile(r"^\s*[0-9]{1,2}\s*(?:月\s*[0-9]{1,2}\s*[日号]?|[/.][0-9]{1,2})\s*$")  # 9月10日, 9/10: no year


def _as_text(col: pa.Array) -> pa.Array:
    """A loaded column as arrow strings, or strings dictionary-encoded (``aside``'s): not copied."""
    t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    return col if pa.types.is_string(t) or pa.types.is_large_string(t) else col.cast(pa.large_string())


def _cell_at(coded: pa.DictionaryArray):
    """The raw text of one cell by position, looked up only for the cells reported."""
    return lambda i: coded[int(i)].as_py()


def _may_be_merged(texts: list[np.ndarray], key: list[int], footer: np.ndarray | None = None) -> bool:
    """Whether a required column has a blank cell in a row that has data (``texts``: which cells
    below the header hold text): the only trace a merged range leaves in the values (a clean
    1M-row log has none, so its XML is not streamed). ``footer`` rows (填表人：…, 合计) are not
    data: an office's log signed at its foot is streamed no more than one that is not."""
    if not key or not texts:
        return False
    filled = np.logical_or.reduce(texts)
    if footer is not None:
        filled &= ~footer
    return any((filled & ~texts[j]).any() for j in key)


def _fill_merged(cols: list[pa.Array], merges, h: int) -> list[pa.Array]:
    """Every cell of a merged range below the header holds the range's value (a mentor's 工号
    merged down over their students). ``merges`` uses sheet coordinates; calamine's grid starts
    at the first used column, which the sheet's <dimension> gives."""
    if not merges or not cols or not merges.ranges:
        return cols
    ncols, n = len(cols), len(cols[0])
    off = 0
    if merges.first_col is not None and merges.last_col is not None:
        off = merges.first_col if merges.last_col - merges.first_col + 1 == ncols else max(0, merges.last_col + 1 - ncols)
    r1, c1, r2, c2 = np.array(merges.ranges, dtype=np.int64).reshape(-1, 4).T
    r2 = np.minimum(r2, n - 1)
    # title and header merges are the header finder's business
    ok = (r1 > h) & (r1 <= r2) & ~((r1 == r2) & (c1 == c2))
    r1, r2, src, last = r1[ok], r2[ok], c1[ok] - off, c2[ok] - off  # grid columns
    out = list(cols)
    # each range's first column: its first cell's value down the range (a grouped log: 8,000
    # ranges in two columns, all at once)
    down = (src >= 0) & (src < ncols) & (src <= last)
    for c in np.unique(src[down]).tolist():
        at = down & (src == c)
        out[c] = cols[c].take(pa.array(_down(n, r1[at], r2[at])))
    # its other columns (a range over several columns, rare): that value, or None when the first
    # cell is off the grid; ranges one at a time, in order, as they come
    scalars: dict[int, list] = {}
    for a, b, s, e in zip(*(x[np.minimum(ncols - 1, last) > src].tolist() for x in (r1, r2, src, last))):
        for c in range(max(0, s), min(ncols - 1, e) + 1):
            if c != s:
                scalars.setdefault(c, []).append((a, b, cols[s][a].as_py() if 0 <= s < ncols else None))
    for c, fills in scalars.items():
        vals = out[c].to_pylist()
        for a, b, v in fills:
            vals[a:b + 1] = [v] * (b - a + 1)
        out[c] = pa.array(vals, pa.large_string())
    return out


def _down(n: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Row positions 0..n-1, each row of a range first..last pointing at its first row."""
    ix = np.arange(n)
    order = np.argsort(first, kind="stable")
    f, l = first[order], last[order]
    if len(f) > 1 and (f[1:] <= l[:-1]).any():  # overlapping (no valid file has them): in order, the later wins
        for a, b in zip(first.tolist(), last.tolist()):
            ix[a:b + 1] = a
        return ix
    lengths = l - f + 1
    starts = np.repeat(f, lengths)
    ix[starts + np.arange(len(starts)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = starts
    return ix


def _drop_duplicates(problems: Problems, actual: str, enc: list, keep: np.ndarray, h: int,
                     layout: set[int]) -> np.ndarray:
    """Log rows equal in every cell except 序号 count once; each repeat is a warning naming both rows."""
    dup, first = rec.duplicate_rows([c for j, c in enumerate(enc) if j not in layout], keep)
    if not len(dup):
        return keep
    for d, f in list(zip(dup, first))[:MAX_PROBLEMS_PER_COLUMN]:
        r, r0 = int(keep[d]) + h + 2, int(keep[f]) + h + 2
        problems.add(actual, r, None, None, f"工作表“{actual}”第{r}行与第{r0}行完全相同（疑似重复录入），只计一次；"
                     "如确是两次活动，请改正日期或内容", "疑似重复", "warning")
    _summary(problems, actual, None, "疑似重复", len(dup))
    mask = np.ones(len(keep), dtype=bool)
    mask[dup] = False
    return keep[mask]


def _staff_name_column(match, names, headers: frozenset) -> int | None:
    """The first grid column holding a staff member's name (its header in ``headers``), or None."""
    return next((j for j in sorted(match.names) if rec.normalise_label(names[j]) in headers), None)


def _staff_by_name(ctx: _Context, problems: Problems, actual: str, ids: pd.Series, bad: np.ndarray,
                   coded: pa.DictionaryArray, label: str, rows: np.ndarray, *,
                   each_row: bool = True) -> tuple[pd.Series, np.ndarray]:
    """A blank 工号 whose row names exactly one staff member in ``coded`` (the column headed
    ``label``: 教师姓名 …) takes that 工号, with a warning for ``each_row`` (a sheet without 工号
    has one warning of its own). Returns the ids and the rows left blank whose name was said to
    fit no one or several, each with its reason."""
    unnamed = np.zeros(len(ids), dtype=bool)
    blank_at = np.flatnonzero(ids.isna().to_numpy() & ~bad)
    if not len(blank_at):
        return ids, unnamed
    who = values.parse_coded("text", coded)[0].to_numpy(dtype=object)[blank_at]
    found = pd.Series(who, dtype=object).map(ctx.staff_names)  # NaN: no name, or not exactly one staff member
    hit = found.notna().to_numpy()
    at, sids, named = blank_at[hit], found.to_numpy(dtype=object)[hit], who[hit]
    if len(at):
        ids = ids.copy()
        ids.iloc[at] = sids  # every such row: a log kept by name alone is read whole
    for i, name, sid in zip(at[:MAX_PROBLEMS_PER_COLUMN if each_row else 0].tolist(), named, sids):
        problems.add(actual, int(rows[i]), "工号", name, f"工作表“{actual}”第{rows[i]}行“工号”为空，按“{label}”"
                     f"“{name}”取人员表中唯一同名者的工号 {sid}；请核对并补填", "按姓名补工号", "warning")
    if each_row and len(at) > MAX_PROBLEMS_PER_COLUMN:
        problems.add(actual, None, "工号", None, f"工作表“{actual}”另有 {len(at) - MAX_PROBLEMS_PER_COLUMN} 行“工号”为空、"
                     f"已按“{label}”取唯一同名者的工号（共 {len(at)} 行），未逐一列出；请核对并补填",
                     "按姓名补工号", "warning")
    # a name that fits no one or several: the row is skipped, and the reason is its name
    left = ~hit & pd.notna(who)
    miss_at, miss_who = blank_at[left], who[left]
    unnamed[miss_at] = True
    for i, name in zip(miss_at[:MAX_PROBLEMS_PER_COLUMN].tolist(), miss_who):
        n = ctx.shared_names.get(name)
        why = f"在人员表中有 {n} 人同名，无法确定是谁" if n else "不在人员表中，无法确定工号"
        problems.add(actual, int(rows[i]), "工号", name, f"工作表“{actual}”第{rows[i]}行“工号”为空，“{label}”“{name}”"
                     f"{why}，此行已跳过；请填写工号", "缺少必填值")
    _summary(problems, actual, "工号", "缺少必填值", len(miss_at))
    return ids, unnamed


def _has_text(arr: pa.Array) -> np.ndarray:
    """Cells that are neither empty nor only whitespace (no trimmed copy: 5× faster on a 1M-row log)."""
    if pa.types.is_dictionary(arr.type):  # once per distinct text
        per_value = _has_text(arr.dictionary)
        idx = arr.indices.fill_null(len(per_value)).to_numpy(zero_copy_only=False)
        return np.append(per_value, False)[idx]
    return values.true_mask(pc.and_(pc.greater(pc.binary_length(arr), 0), pc.invert(pc.utf8_is_space(arr))))


def _error_cells(cell_errors) -> dict[tuple[int, int], str]:
    """(row, column) in the loaded grid -> the error Excel shows (#N/A, #DIV/0! …) for formula errors."""
    out = {}
    for e in getattr(cell_errors, "errors", None) or ():
        m = re.search(r"Error\((\w+)\)", e.detail)
        if m:
            out[tuple(e.position)] = _EXCEL_ERRORS.get(m.group(1), "#" + m.group(1).upper())
    return out


_EXCEL_ERRORS = {"NA": "#N/A", "Div0": "#DIV/0!", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
                 "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA"}


def _report_errors(problems: Problems, sheet: str, column: str, errors: dict, j: int, h: int,
                   keep: np.ndarray, required: bool) -> np.ndarray:
    """Report formula-error cells of grid column ``j``; returns their mask over the kept rows."""
    mask = np.zeros(len(keep), dtype=bool)
    for (r, c), code in errors.items():
        pos = np.searchsorted(keep, r - h - 1)
        if c == j and r > h and pos < len(keep) and keep[pos] == r - h - 1:
            mask[pos] = True
            problems.add(sheet, r + 1, column, code, f"工作表“{sheet}”第{r + 1}行“{column}”列：单元格是错误值 {code}"
                         f"（公式出错），{'此行已跳过' if required else '已按空值处理'}", "公式错误")
    return mask


def _null_column(kind: str, n: int) -> pd.Series:
    # a column the sheet lacks, as reading ``n`` blank cells gives it: no Python None per row
    blank = pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.large_string()))
    return values.parse_coded(kind, blank)[0]


def _report(problems: Problems, sheet: str, column: str, kind: str, raw: Callable[[int], object],
            rows: np.ndarray, bad: np.ndarray, required: bool) -> None:
    category, template = values.BAD_VALUE[kind]
    what = "此行已跳过" if required else "已按空值处理"
    idx = np.flatnonzero(bad)
    for i in idx[:MAX_PROBLEMS_PER_COLUMN]:
        v = raw(i)
        said = template.format(v=v)
        if kind == "date" and _NO_YEAR.match(str(v)):
            said = f"日期“{v}”没有年份，请写出年份，如 2024年{str(v).strip()}"
        problems.add(sheet, int(rows[i]), column, v,
                     f"工作表“{sheet}”第{rows[i]}行“{column}”列：{said}；{what}", category)
    _summary(problems, sheet, column, category, len(idx))


def _report_missing(problems: Problems, sheet: str, column: str, rows: np.ndarray, empty: np.ndarray) -> None:
    idx = np.flatnonzero(empty)
    for i in idx[:MAX_PROBLEMS_PER_COLUMN]:
        problems.add(sheet, int(rows[i]), column, None,
                     f"工作表“{sheet}”第{rows[i]}行：“{column}”为必填项，未填写，此行已跳过", "缺少必填值")
    _summary(problems, sheet, column, "缺少必填值", len(idx))


def _summary(problems: Problems, sheet: str, column: str, category: str, count: int) -> None:
    if count > MAX_PROBLEMS_PER_COLUMN:
        problems.add(sheet, None, column, None, f"工作表“{sheet}”“{column}”列另有 {count - MAX_PROBLEMS_PER_COLUMN} "
                     f"行同样的问题（共 {count} 行），未逐一列出", category)


def _report_short_ids(problems: Problems, sheet: str, column: str, ids: pd.Series,
                      rows: np.ndarray, raw: Callable[[int], object]) -> None:
    short = np.flatnonzero(values.leading_zero_suspects(ids).to_numpy(bool))
    for i in short[:MAX_PROBLEMS_PER_COLUMN]:
        problems.add(sheet, int(rows[i]), column, raw(i),
                     f"工作表“{sheet}”第{rows[i]}行“{column}”列：编号“{ids.iloc[i]}”比同列其他编号短，"
                     "可能被 Excel 去掉了开头的 0，请把该列设为文本格式后重新填写", "编号格式", "warning")
    _summary(problems, sheet, column, "编号格式", len(short))
