"""The 活动记录 rows behind each result: so an office answers "I did talk to that student in
October" by looking up rows, not by filtering the log by hand.

From a rule's hits (subject, period, log position) — the rows that counted — vectorised:
  per subject × period  the text of 合规明细's evidence column: the first Excel rows and
                        "等 k 行" when there are more ("无" when none counted)
  per subject           the first Excel rows and how many counted over the term (JSON)
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl.engine.measures import Hits
from mentor_xl.engine.prepare import Prepared
from mentor_xl.workbook.values import text_column

SHOWN = 3  # Excel rows written out in a 合规明细 cell
JSON_SHOWN = 5  # Excel rows listed per result in --json
NONE_TEXT = "无"


def _unique_sorted(key: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (key, row) pairs sorted by key then row (a row counts once per key)."""
    if not len(key):
        return key.astype(np.int64), rows.astype(np.int64)
    m = np.int64(int(rows.max()) + 1)
    u = np.sort(key.astype(np.int64) * m + rows.astype(np.int64))  # a plain sort: np.unique hashes, slower here
    u = u[np.concatenate([[True], u[1:] != u[:-1]])]
    return u // m, u % m


def _firsts(key: np.ndarray, rows: np.ndarray, K: int, shown: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count per key, keys of the first ``shown`` rows of each key, those rows), from sorted pairs."""
    count = np.bincount(key, minlength=K)
    start = np.cumsum(count) - count
    pos = np.arange(len(key)) - start[key]
    first = pos < shown
    return count, key[first], rows[first]


def counted(prep: Prepared, h: Hits, P: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows that counted as distinct (subject × period, Excel row) pairs, sorted: what both
    ``period_texts`` and ``subject_rows`` read."""
    return _unique_sorted(h.subject * P + h.pidx, prep.log["row"].to_numpy()[h.idx])


def period_texts(pairs: tuple[np.ndarray, np.ndarray], n_subj: int, P: int):
    """Per subject × period (flattened subject-major, as 合规明细), the Excel rows that counted
    (``pairs``: ``counted``)."""
    K = n_subj * P
    key, rows = pairs
    count, fkey, frows = _firsts(key, rows, K, SHOWN)
    # the shown rows of each key joined with "、" by Arrow (list per key from offsets): no loop over keys
    offsets = np.concatenate([[0], np.cumsum(np.minimum(count, SHOWN))]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(frows.astype(np.int64)).cast(pa.large_string()))
    s = lambda x: pa.scalar(x, pa.large_string())  # noqa: E731
    joined = pc.binary_join(lists, s("、"))
    n = pa.array(count)
    more = pc.if_else(pc.greater(n, SHOWN), pc.binary_join_element_wise(s(" 等 "), pc.cast(n, pa.large_string()),
                                                                        s(" 行"), s("")), s(""))
    text = pc.if_else(pc.equal(n, 0), s(NONE_TEXT), pc.binary_join_element_wise(joined, more, s("")))
    return text_column(text)  # no Python str for each of 200k texts, most of which no sheet shows


def blank(n: int):
    """The evidence column of a rule that does not count log rows: ``n`` blanks."""
    return text_column(pa.nulls(n, pa.large_string()))


def subject_rows(pairs: tuple[np.ndarray, np.ndarray], n_subj: int, P: int) -> tuple[list[list[int]], np.ndarray]:
    """Per subject: its first ``JSON_SHOWN`` Excel rows (all periods of the term) and how many
    counted (``pairs``: ``counted``)."""
    key, rows = pairs
    key = key // P
    # a row lies in one period: sorted by period then row, the pairs are most often sorted by
    # row too (a log kept in date order), and distinct; else sorted again (a 200k log: 10 ms)
    if len(key) > 1 and not ((key[1:] != key[:-1]) | (rows[1:] > rows[:-1])).all():
        key, rows = _unique_sorted(key, rows)
    count, _, frows = _firsts(key, rows, n_subj, JSON_SHOWN)
    bounds = np.concatenate([[0], np.cumsum(np.minimum(count, JSON_SHOWN))]).tolist()
    flat = frows.tolist()
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])], count
