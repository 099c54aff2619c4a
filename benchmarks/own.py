"""A workbook of your own in the benchmark (``python -m benchmarks --book PATH``).

Any book the reader takes — an office's own 台账, a book the benchmark never built — is measured
as the benchmark's own are: the bare read of its log's sheet, the whole file's, the compliance run
and the same as commands. What that needs is found here, before any clock starts: the log's sheet
as the book names it, the pack (its 设置, or ``--policy``) and the term to run (``--term``, or the
term of its 学期 sheet that holds most of the log's dates).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class NotMeasurable(Exception):
    """The book cannot be run as given; the message (Chinese) says why and what to pass."""


@dataclass(frozen=True)
class OwnBook:
    path: Path
    sheet: str  # the log's sheet, as the book names it
    header_row: int | None  # its header's Excel row, as the reader found it (None: not found)
    term: str
    policy: str | None  # None: the book's 设置 names it
    rows: int  # the log's rows read

    @property
    def label(self) -> str:
        return f"{self.path.name}（{self.term}）"


def describe(path: str | Path, policy: str | None = None, term: str | None = None) -> OwnBook:
    """What the benchmark needs to run ``path`` (NotMeasurable when it cannot be run)."""
    from mentor_xl.office import open_office
    from mentor_xl.problems import FatalInputError

    path = Path(path)
    if not path.is_file():
        raise NotMeasurable(f"找不到工作簿：{path}")
    try:
        office = open_office(path, policy)
        sheet = office.book.sheet_names.get("活动记录")
        if sheet is None:
            raise NotMeasurable(f"“{path.name}”中没有找到活动记录表：没有可测的日志")
        log = office.book.frame("活动记录", only=["日期"])
        terms = office.book.frame("学期")
        if not len(terms):
            raise NotMeasurable(f"“{path.name}”没有学期表（学期 | 开始日期 | 结束日期）：合规按学期的起止日期计算，"
                                f"请先加上学期表（mentor-xl check 可查看读到了哪些表）")
        code = term or _busiest_term(terms, log["日期"])
        if code is None:
            raise NotMeasurable(f"“{path.name}”的学期表中没有哪个学期包含活动记录的日期，请用 --term 指定学期")
        code = office.term(code).code
    except FatalInputError as e:
        raise NotMeasurable(f"“{path.name}”：{e}") from e
    found = office.book.recognised.get("活动记录")
    return OwnBook(path, sheet, getattr(found, "header_row", None), code, policy, len(log))


def _busiest_term(terms, dates) -> str | None:
    """The 学期 row whose dates hold most of the log's dates (the first of a tie), each term's
    span as compliance takes it (``periods.find_term``); a row it refuses is passed over."""
    import numpy as np

    from mentor_xl import periods
    from mentor_xl.problems import FatalInputError

    if terms is None or "学期" not in terms.columns or not len(dates):
        return None
    when = np.sort(periods.days(dates, periods.OPEN_END + 1))  # a blank date falls in no term
    best, most = None, 0
    for code in dict.fromkeys(terms["学期"].dropna().astype(str)):
        try:
            t = periods.find_term(terms, code)
        except FatalInputError:  # no dates, or ending before it starts: nothing to count in
            continue
        n = int(when.searchsorted(t.end, "right") - when.searchsorted(t.start, "left"))
        if n > most:
            best, most = t.code, n
    return best
