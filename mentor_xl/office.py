"""Open an office workbook with its policy pack: the one entry every face (CLI, Excel, mail) uses.

    office = open_office("导师工作.xlsx")            # pack from 设置/制度
    office = open_office(path, policy="hfut-math")   # --policy overrides 设置/制度
    result = office.compliance("2024-2025-1")
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mentor_xl.packs import Pack, PackError, load_pack
from mentor_xl.workbook.settings import apply_settings
from mentor_xl.problems import FatalInputError, Problems
from mentor_xl.workbook.model import OfficeBook


@dataclass
class Office:
    book: OfficeBook
    pack: Pack
    _prepared: object = field(default=None, repr=False)
    _people: object = field(default=None, repr=False)  # engine.prepare_people, when done ahead
    _runs: dict = field(default_factory=dict, repr=False)  # term code -> ComplianceResult
    _frames: dict = field(default_factory=dict, repr=False)  # term code -> engine.rule_frames, done ahead

    @property
    def name(self) -> str:
        """The office's name (设置 单位名称, else 发文机关) for result titles and page headers."""
        s = self.book.settings
        return str(s.get("单位名称") or s.get("发文机关") or "").strip()

    @property
    def problems(self) -> Problems:
        self.confirm()
        return self.book.problems

    def confirm(self) -> None:
        """Wait for the check of the file still running (``open_office(later=True)``); raises
        FatalInputError when the file is refused. Every method that gives something out calls it
        (``compliance`` once its run is computed); code reading ``book`` itself calls it first."""
        self.book.confirm()

    @property
    def prepared(self):
        """The engine's inputs, built once and reused by every term and every command."""
        if self._prepared is None:
            from mentor_xl.engine import prepare
            self._prepared = prepare(self.book, self.pack, people=self._people)
            self._people = None
        return self._prepared

    def term(self, text):
        """The term named in any spelling, resolved against the 学期 sheet (periods.find_term)."""
        from mentor_xl.periods import find_term
        require_terms(self.book, text)  # no 学期 sheet: say which sheet, its columns and the row to add
        return find_term(self.book.frame("学期"), text)

    def year(self, text):
        """The 学年 named in any spelling, with its terms (periods.find_year)."""
        from mentor_xl.periods import find_year
        require_terms(self.book, text)
        return find_year(self.book.frame("学期"), text)

    def compliance(self, term: str, *, confirmed: bool = True):
        """One term's compliance, computed once per Office: assessment, documents and the demo
        all ask for the same terms (the book does not change after it is opened).

        ``confirmed=False`` (``open_office(later=True)``): returned while the file's last check
        may still run; the caller calls ``confirm()`` before it gives anything made from it out
        (the CLI: once the results workbook is complete, before it is put in place)."""
        from mentor_xl.engine import compliance

        try:
            code = self.term(term).code  # every spelling of a term shares one run
            if code not in self._runs:
                self._runs[code] = compliance(self.book, self.pack, code, prepared=self.prepared,
                                              frames=self._frames.pop(code, None))
        except Exception:
            self.confirm()  # a refused file is refused in the check's words, not by an error made from it
            raise
        if confirmed:
            self.confirm()  # computed beside the file's last check; given out only once it passed
        return self._runs[code]

    def assess(self, *, year: str | None = None, term: str | None = None):
        """Assessment tiers; compliance is computed for each term the scheme needs."""
        self.confirm()
        from mentor_xl.assess import assess, required_terms

        require_terms(self.book, year or term)
        terms = required_terms(self.book, self.pack, year=year, term=term)
        return self._with_input_problems(assess(self.book, self.pack, year=year, term=term, prepared=self.prepared,
                                                compliance={t: self.compliance(t) for t in terms}))

    def eligibility(self, *, term: str | None = None):
        self.confirm()
        from mentor_xl.eligibility import eligibility
        if term is not None:
            require_terms(self.book, term)
        return self._with_input_problems(eligibility(self.book, self.pack, term=term, prepared=self.prepared))

    def awards(self, year: str, *, budget_wan: str | None = None):
        self.confirm()
        from mentor_xl.awards import awards
        from mentor_xl.periods import find_year

        terms = self.book.terms
        if terms is not None and len(terms):  # a book without a 学期 sheet still checks its nominations
            year = find_year(terms, year).code
        return self._with_input_problems(awards(self.book, self.pack, year=year, budget_wan=budget_wan))

    def allocate(self, total_yuan: int, *, by: str = "学院"):
        self.confirm()
        from mentor_xl.allocate import allocate
        return allocate(self.book, total_yuan=total_yuan, by=by)

    def _with_input_problems(self, result):
        """The workbook's own problems first, then the step's: every JSON names them all."""
        merged = self.all_problems()
        merged.extend(result.problems)
        result.problems = merged
        return result

    def all_problems(self) -> Problems:
        """Reader problems and the engine's (unknown types, unknown staff …), once each."""
        self.confirm()
        out = Problems()
        out.extend(self.book.problems)
        out.extend(self.prepared.problems)
        return out


def open_office(path: str | Path, policy: str | Pack | None = None, *, book: OfficeBook | None = None,
                later: bool = False, terms: Iterable[str] = (), child="start") -> Office:
    """Read the workbook (values via fastexcel), resolve its pack and apply its 设置 overrides.

    ``policy`` is a pack id (as 设置/制度 names one) or a Pack the caller loaded itself
    (the CLI's ``--policy FILE.toml``); a 设置 cell can never name a file.

    While a large 活动记录 is still loading, the pack is resolved and the engine's log-free
    half (``engine.prepare_people``) is computed beside it, and for ``terms`` (those the caller
    will ask ``compliance`` for: the CLI's --term) the log-free half of every rule
    (``engine.rule_frames``); the result and the problems, in their order, are those of doing it
    after the read.

    ``later=True``: the check of a large 活动记录's part may still be running in the child that
    loaded it (``read_book(later=True)``); the Office's methods wait for it before they give
    anything out, ``compliance`` once its run is computed beside it (the CLI's compliance).
    ``child``: the log already loading (``read_book``'s, from ``aside.for_log``)."""
    from mentor_xl.workbook.reader import read_book

    path = Path(path)
    early: dict = {}

    def meanwhile(read: OfficeBook) -> None:
        from mentor_xl.engine import rule_frames
        from mentor_xl.engine.prepare import prepare_people

        pending = Problems()  # added after the reader's own problems, as below
        try:
            early["office"] = _office(read, policy, pending)
        except Exception:  # noqa: BLE001 — a FatalInputError too: raised again after the read, in order
            return
        early["problems"] = pending
        try:
            office = early["office"]
            office._people = prepare_people(read, office.pack)
            for term in terms:
                t = office.term(term)
                office._frames[t.code] = rule_frames(office._people, office.pack, t)
        except Exception:  # noqa: BLE001 — prepare and compliance raise it again where they always did
            pass

    if book is None:
        if not path.exists():
            raise FatalInputError(f"找不到工作簿：{path}")
        book = read_book(path, policy=policy, meanwhile=meanwhile, later=later, child=child)
    if "office" in early:
        book.problems.extend(early["problems"])
        return early["office"]
    try:
        return _office(book, policy, book.problems)
    except Exception:
        book.confirm()  # later=True: a refused file is refused in the check's words first
        raise


def _office(book: OfficeBook, policy: str | Pack | None, problems: Problems) -> Office:
    """The pack of ``book`` with its 设置 applied and 角色 supplied; their problems go to ``problems``."""
    pack_id = policy or book.policy
    if not pack_id:
        raise FatalInputError("工作簿的“设置”表中没有“制度”一项，请填写（如 bit-2022）或用 --policy 指定")
    if isinstance(pack_id, Pack):
        pack = pack_id
    else:
        try:
            pack = load_pack(pack_id)
        except PackError as e:
            raise FatalInputError(str(e)) from e
    rownums = {}
    sf = book.settings_frame
    if sf is not None and len(sf):
        rownums = dict(zip(sf["项目"].astype(str), sf["_row"].astype(int)))
    apply_settings(pack, book.settings, problems, rownums)
    supply_roles(book, pack, problems)
    return Office(book, pack)


def supply_roles(book: OfficeBook, pack: Pack, problems: Problems | None = None) -> None:
    """人员 without a 角色 column: with a single-role pack everyone holds that role; otherwise the
    column is reported (with the 列映射 row for a column the office calls otherwise)."""
    from mentor_xl.workbook.recognise import map_row

    rec = book.recognised.get("人员")
    if rec is None or "角色" not in rec.missing or book.staff is None:
        return
    if len(pack.roles) == 1:
        role = next(iter(pack.roles))
        book.staff["角色"] = book.staff["角色"].where(book.staff["角色"].notna(), role)
        rec.supplied["角色"] = f"制度 {pack.id} 只有一个角色，人员表中每人都是“{role}”"
        rec.missing.remove("角色")
        return
    actual = book.sheet_names.get("人员", "人员")
    problems = book.problems if problems is None else problems
    problems.add(actual, rec.header_row, "角色", None,
                 f"工作表“{actual}”缺少必需的列：角色（表头在第{rec.header_row}行）。制度 {pack.id} 有"
                 f"{len(pack.roles)}个角色（{'、'.join(pack.roles)}），需写明每人的角色。此表的列是："
                 f"{'、'.join(rec.headers)}。如果其中某列就是角色，请在“列映射”表加一行（表 | 原列名 | 标准列名）："
                 f"{map_row('人员', '本单位列名', '角色')}；否则请加一列“角色”", "缺少列")


def require_terms(book: OfficeBook, asked: str | None) -> None:
    """A book without a 学期 sheet cannot place a term: say which sheet, its three columns, and
    the row(s) to add for the term or 学年 asked for."""
    if asked is None or "学期" in book.present or (book.terms is not None and len(book.terms)):
        return  # the sheet is there (a hand-built book may not list it in ``present``)
    from mentor_xl.workbook.values import parse_term

    code = parse_term(asked) or str(asked).strip()
    parts = code.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):  # a 学年: both terms
        rows = [_term_row(f"{code}-1"), _term_row(f"{code}-2")]
    elif len(parts) == 3 and all(p.isdigit() for p in parts):
        rows = [_term_row(code)]
    else:
        rows = [_term_row("2024-2025-1")]
    raise FatalInputError(
        f"工作簿中没有“学期”工作表，无法确定“{asked}”的起止日期。请新建工作表“学期”，第一行写表头："
        f"学期 | 开始日期 | 结束日期，再加上：" + "；".join(rows) + "（日期请按本校校历改正；也可用 mentor-xl init 生成的空白工作簿中的“学期”表）")


def _term_row(code: str) -> str:
    y1, y2, half = code.split("-")
    start, end = (f"{y1}-09-01", f"{y2}-01-15") if half == "1" else (f"{y2}-02-20", f"{y2}-07-10")
    return f"{code} | {start} | {end}"


def results_path(book_path: str | Path, what: str = "结果", label: str | None = None) -> Path:
    """The results workbook beside the input, named by what it holds: ``<name>-<label>-<what>.xlsx``
    (``导师-2024-2025-1-合规.xlsx``, ``导师-2024-2025-考核.xlsx``), so a run for another term or
    学年 never replaces this one's. The one naming rule of the CLI, the demo and the buttons;
    the input itself is never overwritten."""
    p = Path(book_path)
    parts = [p.stem, *([_file_label(label)] if label else []), what]
    return p.with_name("-".join(parts) + ".xlsx")


def _file_label(label: str) -> str:
    """A term/学年 in its code form when it is one (2024-2025学年第一学期 → 2024-2025-1), file-safe."""
    import re

    from mentor_xl.workbook.values import parse_term
    code = parse_term(label) or str(label).strip()
    return re.sub(r'[\\/:*?"<>|\s]+', "_", code)
