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
    """The 学期 row whose dates hold most of the log's dates (the first of a tie)."""
    import pandas as pd

    if terms is None or not {"学期", "开始日期", "结束日期"} <= set(terms.columns) or not len(dates):
        return None
    when = pd.to_datetime(dates, errors="coerce").dropna().sort_values().to_numpy()
    best, most = None, 0
    for code, lo, hi in zip(terms["学期"], terms["开始日期"], terms["结束日期"]):
        if pd.isna(code) or pd.isna(lo) or pd.isna(hi):
            continue
        n = when.searchsorted(pd.Timestamp(hi).to_datetime64(), "right") - \
            when.searchsorted(pd.Timestamp(lo).to_datetime64(), "left")
        if n > most:
            best, most = str(code), int(n)
    return best
