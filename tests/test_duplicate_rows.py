"""Log rows equal in every cell (疑似重复): ``recognise.duplicate_rows`` against the plain definition.

Rows are hashed on their dictionary codes and only rows that share a hash are compared, so the
test also forces every row into one hash (all collide) to show the exact comparison decides."""
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_xl.workbook import recognise as rec


def plain(cells: list[list], rows: list[int]):
    """Positions in ``rows`` of rows equal to an earlier one of ``rows``, and that earlier row's position."""
    first: dict[tuple, int] = {}
    dup, of = [], []
    for pos, r in enumerate(rows):
        key = tuple(col[r] for col in cells)
        if key in first:
            dup.append(pos)
            of.append(first[key])
        else:
            first[key] = pos
    return dup, of


cells_st = st.integers(1, 4).flatmap(lambda width: st.integers(0, 40).flatmap(lambda n: st.lists(
    st.lists(st.sampled_from(["a", "b", "甲", None, " "]), min_size=n, max_size=n), min_size=width, max_size=width)))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(cells=cells_st, data=st.data())
def test_duplicate_rows_are_the_rows_equal_to_an_earlier_one(cells, data):
    n = len(cells[0])
    rows = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else []
    enc = [pc.dictionary_encode(pa.array(col, pa.string())) for col in cells]
    dup, of = rec.duplicate_rows(enc, np.array(rows, dtype=np.int64))
    # positions in ``rows`` of the duplicates and of their first occurrence
    assert sorted(zip(dup.tolist(), of.tolist())) == sorted(zip(*plain(cells, rows)))


def test_rows_that_share_a_hash_are_compared_cell_by_cell(monkeypatch):
    import pandas as pd

    # every row a candidate, as if all hashes collided: the exact comparison alone decides
    monkeypatch.setattr(pd.Series, "duplicated", lambda self, keep="first": pd.Series(True, index=self.index))
    cells = [["a", "a", "b", "a", None, None], ["x", "y", "x", "x", None, None]]
    enc = [pc.dictionary_encode(pa.array(col, pa.string())) for col in cells]
    dup, of = rec.duplicate_rows(enc, np.arange(6, dtype=np.int64))
    assert sorted(zip(dup.tolist(), of.tolist())) == [(3, 0), (5, 4)]
