"""Opening an office while its 活动记录 still loads (``open_office`` → ``read_book(meanwhile=…)``):
the sheets after the log are read first, the pack is resolved and the engine's log-free half
(``engine.prepare_people``) is computed beside the load. The book, its problems (in the order
of the sheets), the engine's inputs and every result are those of doing it all after the read."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as hst

from officebook import bit_office_book, ustb_clean_book, ustb_office_book
from mentor_xl.demo import build_demo_book
from mentor_xl.engine.prepare import _extend, prepare, prepare_people
from mentor_xl.office import open_office
from mentor_xl.problems import FatalInputError
from mentor_xl.workbook import reader
from mentor_xl.workbook.reader import read_book

PREPARED = ("staff_ids", "student_ids", "class_names", "type_names", "staff", "names", "pairs", "classes",
            "roster", "log", "log_students")


def _bad_cells(path, cells: dict) -> None:
    """Bad values on both sides of the log (sheet → (row, column, value)): problems before and after it."""
    from openpyxl import load_workbook
    wb = load_workbook(path)
    for sheet, (r, c, v) in cells.items():
        wb[sheet].cell(r, c).value = v
    wb.save(path)


def _no_role_book(path):
    """ustb-2022 (three roles) with a 人员 sheet that has no 角色 column: a problem open_office adds."""
    path = ustb_clean_book(path)
    from openpyxl import load_workbook
    wb = load_workbook(path)
    ws = wb["人员"]
    ws.delete_cols(3)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("ahead")
    demo = d / "demo.xlsx"
    build_demo_book(demo, "ustb-2022", seed=7, messy=True, staff=30, students=200, log_rows=2000)
    _bad_cells(demo, {"人员": (2, 2, "not-a-row"), "学生": (3, 5, "五年级"), "测评": (2, 3, "很满意"),
                      "奖项提名": (2, 4, "第一")})
    return [(demo, None), (bit_office_book(d / "精工书院台账.xlsx", with_terms=True), "bit-2022"),
            (ustb_office_book(d / "本科生导师台账.xlsx"), "ustb-2022"), (_no_role_book(d / "无角色.xlsx"), None)]


def _problems(items) -> list:
    return [(p.sheet, p.row, p.column, str(p.value), p.message, p.category, p.level) for p in items]


def _in_order(monkeypatch):
    """Every sheet read in the order of the sheets, the log too (nothing loads ahead)."""
    monkeypatch.setattr(reader._Context, "load_ahead", lambda self, opener, actual: None)


def test_the_log_read_last_keeps_the_problems_in_the_order_of_the_sheets(books, monkeypatch):
    ahead = [read_book(p, policy=pol) for p, pol in books]
    _in_order(monkeypatch)
    for (path, pol), a in zip(books, ahead):
        b = read_book(path, policy=pol)
        assert _problems(a.problems) == _problems(b.problems), path.name
        assert list(a.recognised) == list(b.recognised), path.name  # what `check` lists, in order
        pd.testing.assert_frame_equal(a.log, b.log)
    # the demo has problems on both sides of the log: the order is really tested
    sheets = [p.sheet for p in ahead[0].problems]
    first, last = sheets.index("活动记录"), len(sheets) - sheets[::-1].index("活动记录")
    assert {"学生", "人员"} & set(sheets[:first]) and {"测评", "奖项提名"} <= set(sheets[last:]), sheets


def test_meanwhile_runs_once_with_every_sheet_but_the_log(books, monkeypatch):
    seen = []

    def meanwhile(book):
        seen.append((book.log, book.staff is not None, book.students is not None, book.settings))

    path, _ = books[0]
    book = read_book(path, meanwhile=meanwhile)
    assert len(seen) == 1
    log, staff, students, settings_ = seen[0]
    assert log is None and staff and students and settings_.get("制度") == "ustb-2022"
    assert book.log is not None and len(book.log)

    seen.clear()
    _in_order(monkeypatch)
    read_book(path, meanwhile=meanwhile)
    assert seen == []  # nothing to wait for: nothing runs beside it


def test_an_office_opened_ahead_is_the_office_opened_after(books):
    for path, pol in books:
        ahead = open_office(path, policy=pol)
        after = open_office(path, policy=pol, book=read_book(path, policy=pol))  # no meanwhile on this path
        assert ahead._people is not None and after._people is None, path.name
        assert _problems(ahead.problems) == _problems(after.problems), path.name
        pa_, pb = ahead.prepared, after.prepared
        for f in PREPARED:
            x, y = getattr(pa_, f), getattr(pb, f)
            if isinstance(x, pd.DataFrame):
                pd.testing.assert_frame_equal(x, y)
            else:
                assert list(x) == list(y) and x.dtype == y.dtype, f
        assert _problems(ahead.all_problems()) == _problems(after.all_problems())
        term = ahead.book.terms["学期"].iloc[0]
        ra, rb = ahead.compliance(term), after.compliance(term)
        pd.testing.assert_frame_equal(ra.results, rb.results)
        pd.testing.assert_frame_equal(ra.details, rb.details)
        assert ra.to_json() == rb.to_json()


def test_the_missing_role_column_is_named_once_after_the_readers_problems(books):
    path, _ = books[3]
    office = open_office(path)
    missing = [p for p in office.problems if p.category == "缺少列" and p.column == "角色"]
    assert len(missing) == 1
    assert office.problems.items[-1] is missing[0]


def test_a_book_without_a_policy_stops_with_the_same_words(books, tmp_path, monkeypatch):
    path = bit_office_book(tmp_path / "无制度.xlsx")  # no 设置 sheet, no --policy
    with pytest.raises(FatalInputError) as ahead:
        open_office(path)
    _in_order(monkeypatch)
    with pytest.raises(FatalInputError) as after:
        open_office(path)
    assert str(ahead.value) == str(after.value) and "制度" in str(ahead.value)


def test_a_failure_beside_the_load_leaves_it_to_the_usual_place(books, monkeypatch):
    """prepare_people failing beside the load: prepare computes it again later, where it always did."""
    import sys
    prep_mod = sys.modules["mentor_xl.engine.prepare"]  # the package exports the function of that name
    path, pol = books[0]
    calls = []
    real = prep_mod.prepare_people

    def once_broken(book, pack):
        calls.append(book.log is None)
        if len(calls) == 1:
            raise RuntimeError("beside the load")
        return real(book, pack)
    monkeypatch.setattr(prep_mod, "prepare_people", once_broken)
    office = open_office(path, policy=pol)
    assert office._people is None and office.prepared is not None
    assert calls == [True, False]


def test_people_computed_ahead_gives_the_prepared_of_one_pass(books):
    for path, pol in books:
        office = open_office(path, policy=pol, book=read_book(path, policy=pol))
        whole = prepare(office.book, office.pack)
        split = prepare(office.book, office.pack, people=prepare_people(office.book, office.pack))
        for f in PREPARED:
            x, y = getattr(whole, f), getattr(split, f)
            if isinstance(x, pd.DataFrame):
                pd.testing.assert_frame_equal(x, y)
            else:
                assert list(x) == list(y)


ids = hst.sampled_from(["2024001", "2024002", "00123", "123", "全体", "甲班", "x"])


@settings(max_examples=200, deadline=None)
@given(hst.lists(hst.one_of(ids, hst.none()), max_size=12), hst.lists(hst.one_of(ids, hst.none()), max_size=12))
def test_codes_extended_by_the_log_are_those_of_one_factorize(first, log):
    codes, uniq = pd.factorize(pd.Series(first + log, dtype=object), use_na_sentinel=True)
    known = np.asarray(pd.factorize(pd.Series(first, dtype=object), use_na_sentinel=True)[1], dtype=object)
    names, got = _extend(known, log)
    assert list(names) == list(uniq)
    assert got.tolist() == codes[len(first):].tolist()


def test_the_rules_laid_out_while_the_log_loads_give_the_same_run(books, monkeypatch):
    """open_office(terms=…) (the CLI's compliance passes its term) lays every rule's log-free half
    out beside the load (``engine.rule_frames``) and compliance uses it: the same results, details,
    staff and JSON as a run that lays them out itself after the read."""
    import mentor_xl.engine as engine

    calls = []
    real = engine.rule_frames
    monkeypatch.setattr(engine, "rule_frames", lambda *a: calls.append(a[0].__class__.__name__) or real(*a))
    for path, pol in books:
        term = read_book(path, policy=pol).terms["学期"].iloc[0]
        calls.clear()
        ahead = open_office(path, policy=pol, terms=[term])
        code = ahead.term(term).code
        assert calls == ["People"] and code in ahead._frames, path.name  # laid out beside the load
        after = open_office(path, policy=pol, book=read_book(path, policy=pol))
        ra, rb = ahead.compliance(term), after.compliance(term)
        assert calls == ["People", "Prepared"] and code not in ahead._frames  # used, not made again
        for f in ("results", "details", "staff"):
            pd.testing.assert_frame_equal(getattr(ra, f), getattr(rb, f))
        assert ra.to_json() == rb.to_json()


def test_a_term_the_book_does_not_have_stops_where_it_always_did(books):
    path, pol = books[1]
    office = open_office(path, policy=pol, terms=["2099-2100-1"])  # nothing laid out, nothing said yet
    assert office._frames == {}
    with pytest.raises(FatalInputError, match="2099-2100-1"):
        office.compliance("2099-2100-1")
