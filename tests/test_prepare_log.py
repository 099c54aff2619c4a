"""The engine's preparation of the log, by distinct values (``engine.prepare``): the 学号 lists
spread from each distinct cell, a person's roles joined once — each against the obvious way."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as hst

from mentor_xl.engine.prepare import _distinct_pairs, _joined_roles, _listed
from mentor_xl.workbook.values import factorize_objects, object_codes, per_object

ids = hst.sampled_from(["2024001", "2024002", "00123", "123", "全体", "甲班", "x"])


def _listed_reference(cells) -> tuple[list, list]:
    """(row, id) per listed id in row order, the obvious way."""
    rows, ids = [], []
    for r, cell in enumerate(cells):
        for v in (cell if isinstance(cell, list) else [] if cell is None else [cell]):
            if v is not None:
                rows.append(r)
                ids.append(v)
    return rows, ids


lists = hst.lists(hst.one_of(ids, hst.none()), max_size=4)


@settings(max_examples=300, deadline=None)
@given(hst.lists(hst.tuples(hst.one_of(lists, hst.none()), hst.booleans()), max_size=30))
def test_listed_ids_spread_from_shared_cells_are_those_of_every_row(spec):
    """Cells as the reader makes them (equal cells often one shared list object, blanks None)."""
    made, cells = {}, []
    for cell, shared in spec:
        key = None if cell is None else tuple(cell)
        if cell is not None and shared:
            cell = made.setdefault(key, cell)
        cells.append(cell)
    got = _listed(np.array(cells + [None], dtype=object)[:-1] if cells else np.zeros(0, dtype=object))
    rows, want = _listed_reference(cells)
    assert got["idx"].tolist() == rows
    assert [got["names"][i] for i in got["item"]] == want
    assert list(got["names"]) == list(dict.fromkeys(want))  # first seen first: the codes a factorize gives


def test_listed_ids_of_a_hand_built_frame_with_scalars():
    cells = np.array(["2024001", None, ["2024002", "2024001"], "x"], dtype=object)
    got = _listed(cells)
    rows, want = _listed_reference(list(cells))
    assert got["idx"].tolist() == rows and [got["names"][i] for i in got["item"]] == want


@settings(max_examples=200, deadline=None)
@given(hst.lists(hst.tuples(hst.integers(0, 5), hst.sampled_from(["本科生导师", "班主任", "辅导员"])), max_size=20))
def test_roles_joined_per_person_in_first_seen_order(rows):
    people = pd.DataFrame({"staff": [s for s, _ in rows], "role": [r for _, r in rows]})
    want = {}
    for s, r in rows:
        want.setdefault(s, [])
        if r not in want[s]:
            want[s].append(r)
    got = _joined_roles(people)
    assert got.index.tolist() == sorted(want)
    assert got.tolist() == ["、".join(want[s]) for s in sorted(want)]


@settings(max_examples=300, deadline=None)
@given(hst.lists(hst.lists(hst.integers(0, 4), max_size=4), max_size=40), hst.booleans())
def test_log_students_are_the_distinct_pairs_by_position(rows, shuffled):
    """``log_students`` keeps each (log position, student) once, by position, stably: only rows
    naming two students or more are compared, which must give what a drop of every duplicate
    pair gives — and so must pairs out of position order (never made by the reader)."""

    idx = np.array([i for i, r in enumerate(rows) for _ in r], dtype=np.int64)
    student = np.array([s for r in rows for s in r], dtype=np.int64)
    if shuffled:
        order = np.random.default_rng(len(idx)).permutation(len(idx))
        idx, student = idx[order], student[order]
    want = (pd.DataFrame({"idx": idx, "student": student}).drop_duplicates()
            .sort_values("idx", kind="stable").reset_index(drop=True))
    pd.testing.assert_frame_equal(_distinct_pairs(idx, student), want, check_dtype=False)


# Cells as the reader makes them: mostly one shared object per distinct value, but also equal
# values as distinct objects (a frame built by hand, a value typed twice), blanks None or NaN.
texts = hst.sampled_from(["2024001", "2024002", "谈心谈话", "", "x", "宿舍 A101"])
cell_spec = hst.one_of(hst.tuples(hst.just("shared"), texts), hst.tuples(hst.just("own"), texts),
                       hst.just(("blank", None)), hst.just(("nan", None)))


def _cells(spec) -> np.ndarray:
    shared, cells = {}, []
    for how, v in spec:
        if how == "shared":
            cells.append(shared.setdefault(v, "".join(list(v)) or str(v)))
        elif how == "own":
            cells.append("".join([v[:1], v[1:]]))  # an equal str, its own object (not interned)
        else:
            cells.append(None if how == "blank" else float("nan"))
    out = np.empty(len(cells) * 2, dtype=object)
    out[::2] = cells  # a strided view too: the addresses are read from a contiguous copy
    return out[::2]


@settings(max_examples=300, deadline=None)
@given(hst.lists(cell_spec, max_size=40))
def test_object_codes_per_cell_are_those_of_the_objects_identities(spec):
    cells = _cells(spec)
    codes, first = object_codes(cells)
    want, _ = pd.factorize(np.fromiter(map(id, cells), dtype=np.int64, count=len(cells)))
    assert codes.tolist() == want.tolist()
    assert first.tolist() == [want.tolist().index(k) for k in range(len(set(want.tolist())))]


@settings(max_examples=300, deadline=None)
@given(hst.lists(cell_spec, max_size=40))
def test_factorize_and_lookups_by_object_are_those_of_every_cell(spec):
    """The engine's log codes (活动类型, 宿舍, 工号, 班级) are made per distinct object: the same
    codes, first seen first, and the same lookups as over every cell, shared objects or not."""
    cells = _cells(spec)
    for kw in ({}, {"sort": True}, {"use_na_sentinel": False}, {"sort": True, "use_na_sentinel": False}):
        got, uniq = factorize_objects(cells, **kw)  # as figures.combined asks: sorted, blanks a value
        want, want_uniq = pd.factorize(cells, **kw)
        assert got.tolist() == want.tolist(), kw
        assert pd.Series(list(uniq), dtype=object).equals(pd.Series(list(want_uniq), dtype=object)), kw
    index = pd.Index(["2024002", "谈心谈话", "x"], dtype=object)
    assert per_object(cells, index.get_indexer).tolist() == index.get_indexer(cells).tolist()


def test_long_columns_by_object_shared_or_not_are_those_of_every_cell():
    """Past the sample both ways are taken: shared objects by object, a column of texts made per
    cell by value; the codes are pd.factorize's either way."""
    from mentor_xl.workbook import values

    words = ["本科生导师", "班主任", "辅导员", None]
    shared = np.array([words[i % 4] for i in range(5000)], dtype=object)
    own = np.array(["".join([w[:1], w[1:]]) if w else w for w in shared], dtype=object)
    assert values._shared(shared) is not None and values._shared(own) is None
    for cells in (shared, own, np.concatenate([own[:2000], shared[2000:]])):
        got, uniq = factorize_objects(cells)
        want, want_uniq = pd.factorize(cells, use_na_sentinel=True)
        assert got.tolist() == want.tolist() and list(uniq) == list(want_uniq)
        index = pd.Index(["班主任", "辅导员"], dtype=object)
        assert per_object(cells, index.get_indexer).tolist() == index.get_indexer(cells).tolist()


def test_shared_objects_are_hashed_once_each(monkeypatch):
    """The point of it: of 5,000 cells sharing four objects, only those four values are hashed
    (besides the objects' addresses, which are integers)."""
    shared = np.array([["本科生导师", "班主任", "辅导员", None][i % 4] for i in range(5000)], dtype=object)
    hashed = _object_factorizes(monkeypatch)
    factorize_objects(shared)
    assert hashed == [4]


def _object_factorizes(monkeypatch) -> list[int]:
    """The lengths of the object arrays pd.factorize is given from now on (values hashed)."""
    hashed, real = [], pd.factorize

    def spy(values, *a, **k):
        if getattr(values, "dtype", None) == object:
            hashed.append(len(values))
        return real(values, *a, **k)

    monkeypatch.setattr(pd, "factorize", spy)
    return hashed


def test_objects_told_apart_without_ctypes(monkeypatch):
    """Where ctypes cannot read the array (a browser's Python), ``id`` tells the objects apart."""
    import builtins

    real = builtins.__import__
    tried = []

    def no_ctypes(name, *a, **k):
        if name == "ctypes":
            tried.append(name)
            raise ImportError(name)
        return real(name, *a, **k)

    cells = np.array(["a", None, "b", "a"] * 3, dtype=object)
    want = object_codes(cells)
    monkeypatch.setattr(builtins, "__import__", no_ctypes)
    got = object_codes(cells)
    assert tried  # the fallback was the way taken
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_many_values_sharing_their_objects_are_hashed_by_object(monkeypatch):
    """A log's 4,000 工号 in random order show ~900 objects in the sample's 1,024 cells: still
    shared (as many objects as values there), so hashed once per object. The same texts made
    per cell are hashed by value. The codes are pd.factorize's either way."""
    from mentor_xl.workbook import values

    rng = np.random.default_rng(7)
    ids = np.array([f"T{i:04d}" for i in range(4000)], dtype=object)
    shared = ids[rng.integers(0, 4000, 50_000)]
    own = np.array(["".join(["T", s[1:]]) for s in shared], dtype=object)  # equal texts, a new object each
    assert len(np.unique(values._addresses(shared[:values._SAMPLE]))) > values._SAMPLE // 2
    assert values._shared(shared) is not None and values._shared(own) is None
    real = pd.factorize
    hashed = _object_factorizes(monkeypatch)
    for cells in (shared, own):
        hashed.clear()
        got, uniq = factorize_objects(cells)
        want, want_uniq = real(cells)
        assert got.tolist() == want.tolist() and list(uniq) == list(want_uniq)
        assert hashed == ([len(want_uniq)] if cells is shared else [len(cells)])


def test_blank_cells_told_per_distinct_value_are_those_of_every_cell():
    """``parse_coded_blank``: which cells are blank, told once per distinct value, as the parsed
    cells say it one by one (idlist: no ids; other kinds: missing)."""
    import pyarrow as pa

    from mentor_xl.workbook import values

    texts = ["2024001", " ", None, "2024001、2024002", "全体", "", "abc", "2024-09-01", "1.5"]
    column = pa.array([texts[i % len(texts)] for i in range(200)], pa.large_string()).dictionary_encode()
    for kind in ("id", "idlist", "text", "date", "number", "hours"):
        parsed, bad, blank = values.parse_coded_blank(kind, column)
        assert blank.tolist() == values.is_blank(parsed, kind).tolist(), kind
        want, want_bad = values.parse_coded(kind, column)
        assert parsed.equals(want) and bad.equals(want_bad)
    assert values.parse_coded_blank("idlist", column)[2].sum() > 0
