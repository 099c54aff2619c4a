"""Open an office workbook with its policy pack: the one entry every face (CLI, Excel, mail) uses.

    office = open_office("导师工作.xlsx")            # pack from 设置/制度
    office = open_office(path, policy="hfut-math")   # --policy overrides 设置/制度
    result = office.compliance("2024-2025-1")
"""
from __future__ import annotations

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
    _runs: dict = field(default_factory=dict, repr=False)  # term code -> ComplianceResult

    @property
    def name(self) -> str:
        """The office's name (设置 单位名称, else 发文机关) for result titles and page headers."""
        s = self.book.settings
        return str(s.get("单位名称") or s.get("发文机关") or "").strip()

    @property
    def problems(self) -> Problems:
        return self.book.problems

    @property
    def prepared(self):
        """The engine's inputs, built once and reused by every term and every command."""
        if self._prepared is None:
            from mentor_xl.engine import prepare
            self._prepared = prepare(self.book, self.pack)
        return self._prepared

    def term(self, text):
        """The term named in any spelling, resolved against the 学期 sheet (periods.find_term)."""
        from mentor_xl.periods import find_term
        return find_term(self.book.frame("学期"), text)

    def year(self, text):
        """The 学年 named in any spelling, with its terms (periods.find_year)."""
        from mentor_xl.periods import find_year
        return find_year(self.book.frame("学期"), text)

    def compliance(self, term: str):
        """One term's compliance, computed once per Office: assessment, documents and the demo
        all ask for the same terms (the book does not change after it is opened)."""
        from mentor_xl.engine import compliance

        code = self.term(term).code  # every spelling of a term shares one run
        if code not in self._runs:
            self._runs[code] = compliance(self.book, self.pack, code, prepared=self.prepared)
        return self._runs[code]

    def assess(self, *, year: str | None = None, term: str | None = None):
        """Assessment tiers; compliance is computed for each term the scheme needs."""
        from mentor_xl.assess import assess, required_terms

        terms = required_terms(self.book, self.pack, year=year, term=term)
        return self._with_input_problems(assess(self.book, self.pack, year=year, term=term, prepared=self.prepared,
                                                compliance={t: self.compliance(t) for t in terms}))

    def eligibility(self, *, term: str | None = None):
        from mentor_xl.eligibility import eligibility
        return self._with_input_problems(eligibility(self.book, self.pack, term=term, prepared=self.prepared))

    def awards(self, year: str, *, budget_wan: str | None = None):
        from mentor_xl.awards import awards
        from mentor_xl.periods import find_year

        terms = self.book.terms
        if terms is not None and len(terms):  # a book without a 学期 sheet still checks its nominations
            year = find_year(terms, year).code
        return self._with_input_problems(awards(self.book, self.pack, year=year, budget_wan=budget_wan))

    def allocate(self, total_yuan: int, *, by: str = "学院"):
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
        out = Problems()
        out.extend(self.book.problems)
        out.extend(self.prepared.problems)
        return out


def open_office(path: str | Path, policy: str | Pack | None = None, *, book: OfficeBook | None = None) -> Office:
    """Read the workbook (values via fastexcel), resolve its pack and apply its 设置 overrides.

    ``policy`` is a pack id (as 设置/制度 names one) or a Pack the caller loaded itself
    (the CLI's ``--policy FILE.toml``); a 设置 cell can never name a file."""
    from mentor_xl.workbook.reader import read_book

    path = Path(path)
    if book is None:
        if not path.exists():
            raise FatalInputError(f"找不到工作簿：{path}")
        book = read_book(path)
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
    apply_settings(pack, book.settings, book.problems, rownums)
    return Office(book, pack)


def results_path(book_path: str | Path, suffix: str = "结果") -> Path:
    """``<name>-结果.xlsx`` beside the input: the input itself is never overwritten."""
    p = Path(book_path)
    return p.with_name(f"{p.stem}-{suffix}.xlsx")
