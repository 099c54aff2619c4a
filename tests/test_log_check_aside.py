"""The check of a large 活动记录's part, left to the child that loads it (``aside``).

The parent's check leaves that one part out (``limits.check_all_but``); the child checks it
(``limits.check_part``) once it has handed the sheet over, while the parent reads, prepares and
computes with it. Nothing made from the book is given out before that verdict: a refused file
is refused in the whole check's words, whether the book is confirmed before ``read_book``
returns (the default) or later (``open_office(later=True)``, the CLI's compliance). No verdict
(a crash, a reaped child) or a total over the budget means the whole check runs in the parent.
"""
from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hostile
from mentor_xl.demo import build_demo_book
from mentor_xl.office import open_office
from mentor_xl.problems import FatalInputError
from mentor_xl.workbook import aside, limits
from mentor_xl.workbook.reader import read_book

TERM = "2024-2025-1"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("logcheck") / "台账.xlsx"
    build_demo_book(path, "bit-2022", seed=5, messy=True, staff=40, students=200, log_rows=3000)
    return path


@pytest.fixture
def children(monkeypatch) -> list:
    """Every workbook big enough for the child; the children started."""
    started = []
    real = aside.start

    def spy(path, sheet, **kw):
        started.append(real(path, sheet, **kw))
        return started[-1]
    monkeypatch.setattr(aside, "start", spy)
    monkeypatch.setattr(aside, "MIN_BYTES", 0)
    return started


def _spy_whole_check(monkeypatch) -> list:
    calls = []
    real = limits.check_workbook_file
    monkeypatch.setattr(limits, "check_workbook_file", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    import mentor_xl.workbook.reader as reader
    monkeypatch.setattr(reader, "check_workbook_file", limits.check_workbook_file)
    return calls


def _refusal(path: Path) -> str:
    with pytest.raises(FatalInputError) as e:
        limits.check_workbook_file(path)
    return str(e.value)


def _far_empty(data: bytes) -> bytes:
    """A far cell without a value: the native reader loads the sheet, the check refuses it."""
    return hostile.add_rows(data, b'<row r="1048576"><c r="XFD1048576"/></row>')


def _squeezed(data: bytes) -> bytes:
    """60 MB of spaces after the rows: over the compression ratio; the native reader stops before."""
    return hostile._edit_log(data, lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + b" " * (60 * 1024 ** 2), 1))


HOSTILE = {"dtd": hostile.dtd_after_padding, "ratio": _squeezed, "far-empty": _far_empty, "far": hostile.far_cell}


def test_the_part_left_out_and_the_rest_add_up_to_the_whole_check(book):
    part = limits.sheet_part(book, "活动记录")
    with zipfile.ZipFile(book) as z:
        total = sum(len(z.read(i)) for i in z.infolist())
        assert part in z.namelist() and part.startswith("xl/worksheets/")
    kind, spent = limits.check_all_but(book, part)
    assert kind == limits.check_workbook_file(book) == "xlsx"
    assert spent + limits.check_part(book, part) == total
    assert limits.within_budget(spent, total - spent)
    assert not limits.within_budget(spent, limits.MAX_UNCOMPRESSED)


def test_sheet_part_only_for_one_plain_existing_part(book, tmp_path):
    assert limits.sheet_part(book, "没有这张表") is None
    data = book.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        wb = z.read("xl/workbook.xml")
    two = tmp_path / "两个.xlsx"  # two sheets of that name: not plainly one part
    two.write_bytes(hostile.rezip(data, replace={"xl/workbook.xml": wb.replace(
        b"</sheets>", b'<sheet name="\xe6\xb4\xbb\xe5\x8a\xa8\xe8\xae\xb0\xe5\xbd\x95" sheetId="99" r:id="rId1"/></sheets>')}))
    assert limits.sheet_part(two, "活动记录") is None
    assert limits.sheet_part(tmp_path / "无.xlsx", "活动记录") is None


@pytest.mark.parametrize("waiting", ["parent-checks-while-waiting", "child-checks-after"])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_refused_log_part_is_refused_in_the_whole_checks_words(book, tmp_path, children, how_started, kind,
                                                                 waiting, monkeypatch):
    import mentor_xl.workbook.reader as reader

    if waiting == "child-checks-after":  # the sheet always comes before the parent could check it
        monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
    bad = tmp_path / f"{kind}.xlsx"
    bad.write_bytes(HOSTILE[kind](book.read_bytes()))
    words = _refusal(bad)
    with pytest.raises(FatalInputError) as e:
        read_book(bad)  # confirmed before it returns
    assert str(e.value) == words
    # later: opened, and computed on, while the child checks; given out never
    try:
        office = open_office(bad, later=True)
    except FatalInputError as e:  # refused at once: checked while waiting, or the child could not load it
        assert str(e) == words
        assert kind == "far" or waiting == "parent-checks-while-waiting"
    else:
        assert kind != "far"
        for _ in range(2):  # and every time it is asked again
            with pytest.raises(FatalInputError) as e:
                office.compliance(TERM)
            assert str(e.value) == words
        for ask in (lambda: office.problems, lambda: office.assess(term=TERM), lambda: office.all_problems(),
                    lambda: office.eligibility(term=TERM), lambda: office.awards("2024-2025"),
                    lambda: office.allocate(10_000)):
            with pytest.raises(FatalInputError) as e:
                ask()
            assert str(e.value) == words
    assert all(c is not None and c.proc.poll() is not None and all(f.closed for f in c.files) for c in children)


def test_a_good_book_confirmed_later_is_the_same_book(book, children, how_started, monkeypatch):
    import mentor_xl.workbook.reader as reader

    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)  # the child's verdict, later
    plain = open_office(book).compliance(TERM)
    office = open_office(book, later=True)
    assert office.book.pending is not None  # the child still has the part's check to give
    got = office.compliance(TERM)
    assert office.book.pending is None and office.book.refused is None
    assert got.results.equals(plain.results) and got.details.equals(plain.details)
    [child] = children[1:]
    assert isinstance(child.scanned, int) and child.proc.poll() is not None


def test_no_verdict_or_over_the_budget_means_the_whole_check(book, children, monkeypatch):
    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    import mentor_xl.workbook.reader as reader

    expected = read_book(book)
    calls = _spy_whole_check(monkeypatch)
    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)  # the child's verdict it is
    monkeypatch.setattr(aside, "_scan", lambda req: {})  # the forked child's check gives nothing
    got = read_book(book)
    assert len(calls) == 1 and children[-1].scanned is None
    assert got.log.equals(expected.log)
    monkeypatch.undo()
    monkeypatch.setattr(aside, "MIN_BYTES", 0)
    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
    calls = _spy_whole_check(monkeypatch)
    monkeypatch.setattr(limits, "within_budget", lambda spent, n: False)
    assert read_book(book).log.equals(expected.log)
    assert len(calls) == 1


def test_a_bad_part_before_the_log_is_the_one_named(book, tmp_path):
    """The first bad part in the file's order is the one named, as by the whole check, even when
    it is the part left out."""
    data = hostile.far_cell(book.read_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        log = limits.sheet_part(io.BytesIO(data), "活动记录")
        later = next(n for n in names[names.index(log) + 1:] if n.startswith("xl/worksheets/"))
        xml = z.read(later)
    bad = tmp_path / "两处.xlsx"
    bad.write_bytes(hostile.rezip(data, replace={later: xml.replace(b"?>", b"?><!DOCTYPE x>", 1)}))
    words = _refusal(bad)
    assert "范围过大" in words  # the log's far cell comes first
    with pytest.raises(FatalInputError) as e:
        limits.check_all_but(bad, log)
    assert str(e.value) == words


def test_the_parent_checks_the_part_while_it_waits(book, children, how_started, monkeypatch):
    """The child is slow to hand its sheet over: the parent checks the part meanwhile, takes its
    own verdict, and stops the child's check; the same book."""
    expected = read_book(book)
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)  # as if the sheet were far off
    if how_started:  # forked: the child checks the part after handing the sheet over, slowly
        import time

        monkeypatch.setattr(aside, "_scan", lambda req: time.sleep(30))
    done = []  # what was done to the child, in order, and whether it was reaped then
    for name in ("stop", "cancel"):
        def spy(self, real=getattr(aside.Aside, name), name=name):
            real(self)
            done.append((name, self.proc.returncode is not None))
        monkeypatch.setattr(aside.Aside, name, spy)
    got = read_book(book, later=True)
    assert got.pending is None  # nothing left to wait for
    child = children[-1]
    assert isinstance(child.scanned, int) and child.proc.poll() is not None and all(f.closed for f in child.files)
    assert got.log.equals(expected.log)
    # stopped, not waited for (its memory takes a while to go back), then reaped once the sheet is read
    assert done[0][0] == "stop" and done[-1] == ("cancel", True)
    if how_started:
        assert done[0] == ("stop", False)  # killed in its check, not waited for


def test_a_book_dropped_unconfirmed_leaves_no_child(book, children, monkeypatch):
    import mentor_xl.workbook.reader as reader

    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
    b = read_book(book, later=True)
    [child] = children
    assert b.pending is not None
    del b
    gc.collect()
    assert child.proc.poll() is not None and all(f.closed for f in child.files) and child.ready is None


def test_the_cli_gives_out_nothing_for_a_refused_log(book, tmp_path):
    """Through a real process, with a file big enough for the child: the refusal, exit 1, no
    results workbook."""
    pad = {"xl/media/pad.bin": os.urandom(aside.MIN_BYTES + 1024 ** 2)}  # stored as it is: random bytes
    good, bad = tmp_path / "好.xlsx", tmp_path / "坏.xlsx"
    good.write_bytes(hostile.rezip(book.read_bytes(), add=pad))
    bad.write_bytes(hostile.rezip(_far_empty(book.read_bytes()), add=pad))
    assert bad.stat().st_size > aside.MIN_BYTES
    run = lambda p, *more: subprocess.run([sys.executable, "-m", "mentor_xl", "compliance", str(p), "-t", TERM,  # noqa: E731
                                           *more], capture_output=True, text=True, encoding="utf-8")
    run_json = lambda p: run(p, "--json")  # noqa: E731
    r = run(bad)
    assert r.returncode == 1 and _refusal(bad) in r.stderr and "Traceback" not in r.stderr
    # the results workbook is written beside the check and put in place only once it passed:
    # refused, nothing is left, not even the temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["坏.xlsx", "好.xlsx"]
    r = run_json(bad)
    assert r.returncode == 1 and _refusal(bad) in r.stderr and r.stdout == ""
    r = run(good)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / f"好-{TERM}-合规.xlsx").exists()


def _ambiguous(data: bytes, how: str) -> bytes:
    """The demo book with xl/workbook.xml (or its rels) written so that the regular expressions
    and the native reader may disagree on which part is 活动记录's (sheet7; 人员 is sheet4)."""
    log, staff = "活动记录".encode(), "人员".encode()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        wb, rels = z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")
    tag = b'<sheet name="' + log + b'" sheetId="7" r:id="rId7"/>'
    assert tag in wb
    edits = {
        # a commented-out tag only the regular expressions see; the log under an alias
        "comment": {"xl/workbook.xml": wb.replace(tag, b'<!--<sheet name="' + log + b'" sheetId="99" r:id="rId4"/>-->'
                                                  + tag.replace(log, "谈话记录".encode()))},
        # the native reader takes the last attribute named id (any prefix), the regex the first with a prefix
        "x:id": {"xl/workbook.xml": wb.replace(tag, tag.replace(b'r:id="rId7"', b'x:id="rId4" r:id="rId7"'))},
        "bare id": {"xl/workbook.xml": wb.replace(tag, tag.replace(b'r:id="rId7"', b'r:id="rId4" id="rId7"'))},
        # 人员 read from the log's part too: by its relationship, or by a second one to the same part
        "shared id": {"xl/workbook.xml": wb.replace(b'name="' + staff + b'" sheetId="4" r:id="rId4"',
                                                    b'name="' + staff + b'" sheetId="4" r:id="rId7"')},
        "second relationship": {"xl/_rels/workbook.xml.rels": rels.replace(
            b'Target="worksheets/sheet4.xml"', b'Target="worksheets/Sheet7.xml"')},
    }
    return hostile.rezip(data, replace=edits[how])


AMBIGUOUS = ["comment", "x:id", "bare id", "shared id", "second relationship"]


@pytest.mark.parametrize("how", AMBIGUOUS)
def test_no_part_is_left_out_where_the_native_reader_may_read_another(book, tmp_path, how):
    """The part left to the child must be the one the native reader reads for 活动记录 and for no
    other sheet: else the parent's native reader reads a part nobody has checked yet."""
    odd = tmp_path / "odd.xlsx"
    odd.write_bytes(_ambiguous(book.read_bytes(), how))
    assert limits.sheet_part(odd, "活动记录") is None


@pytest.mark.parametrize("how", AMBIGUOUS)
def test_a_refused_part_behind_an_ambiguous_sheet_list_is_refused(book, tmp_path, children, how_started, how,
                                                                    monkeypatch):
    """Whatever part the regular expressions name, the file the whole check refuses is refused,
    in its words, before the parent's native reader reads anything: here 人员's part (sheet4; for
    the shared ones the log's part) has a far empty cell."""
    data = _ambiguous(book.read_bytes(), how)
    part = "xl/worksheets/sheet7.xml" if how in ("shared id", "second relationship") else "xl/worksheets/sheet4.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(part)
    bad = tmp_path / "odd.xlsx"
    bad.write_bytes(hostile.rezip(data, replace={part: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"/></row></sheetData>', 1)}))
    words = _refusal(bad)
    import mentor_xl.workbook.reader as reader

    loaded = []
    real_load = reader._load
    monkeypatch.setattr(reader, "_load", lambda source, actual: loaded.append(actual) or real_load(source, actual))
    with pytest.raises(FatalInputError) as e:
        read_book(bad)
    assert str(e.value) == words
    assert loaded == []  # not one sheet read natively here


def test_a_child_whose_sheet_the_native_reader_does_not_find_leaves_no_part_unchecked(book, tmp_path, children,
                                                                                       how_started, monkeypatch):
    """The regular expressions name a log (and a part) the native reader does not: the child is
    not used, so nobody would check its part, and the parent reads the sheets natively. The
    part (人员's here, with a far empty cell) is checked before any sheet is read."""
    import mentor_xl.workbook.reader as reader

    data = _ambiguous(book.read_bytes(), "comment")  # the regex's 活动记录 is a comment; the native reader's is 谈话记录
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet4.xml")
    bad = tmp_path / "odd.xlsx"
    bad.write_bytes(hostile.rezip(data, replace={"xl/worksheets/sheet4.xml": xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"/></row></sheetData>', 1)}))
    words = _refusal(bad)
    monkeypatch.setattr(limits, "sheet_part", lambda path, sheet: "xl/worksheets/sheet4.xml")  # any disagreement
    loaded = []
    real_load = reader._load
    monkeypatch.setattr(reader, "_load", lambda source, actual: loaded.append(actual) or real_load(source, actual))
    with pytest.raises(FatalInputError) as e:
        read_book(bad, later=True)
    assert str(e.value) == words and loaded == []
    assert children[-1].part == "xl/worksheets/sheet4.xml" or children[-1].part is None
    assert children[-1].proc.poll() is not None and all(f.closed for f in children[-1].files)


def test_the_parent_reading_the_log_itself_trusts_no_verdict_of_the_child(book, tmp_path, children, monkeypatch):
    """The child ran the native reader on the part before it checked it: a child that hands over
    nothing usable and then a passing verdict (as one the file took over would) does not make
    the parent's own native reader read a part only that child checked."""
    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    import mentor_xl.workbook.reader as reader

    def liar(req):  # runs in the forked child
        out, errs, verdict, ready = req["fds"]
        os.write(out, b"garbage")
        os.write(errs, b"[]")
        os.write(ready, b"1")
        os.write(verdict, b'{"bytes": 1}')
        return 0
    monkeypatch.setattr(aside, "_load", liar)
    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
    bad = tmp_path / "far-empty.xlsx"
    bad.write_bytes(_far_empty(book.read_bytes()))
    words = _refusal(bad)
    with pytest.raises(FatalInputError) as e:
        read_book(bad, later=True)
    assert str(e.value) == words
    assert children[-1].proc.poll() is not None and all(f.closed for f in children[-1].files)


def test_an_error_before_the_check_passed_gives_way_to_the_refusal(book, tmp_path, children, monkeypatch):
    """Opened with later=True, a refused file is refused in the whole check's words even when
    something else goes wrong first (an unknown term, an unknown pack): no message made from
    the book before the check passed."""
    import mentor_xl.workbook.reader as reader

    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)  # the child's verdict, later
    bad = tmp_path / "far-empty.xlsx"
    bad.write_bytes(_far_empty(book.read_bytes()))
    words = _refusal(bad)
    office = open_office(bad, later=True)
    with pytest.raises(FatalInputError) as e:
        office.compliance("2030-2031-1")  # not in 学期
    assert str(e.value) == words
    with pytest.raises(FatalInputError) as e:
        open_office(bad, "没有这个制度", later=True)
    assert str(e.value) == words


def _broken_entry(data: bytes, how: str) -> bytes:
    """The 活动记录 entry's central directory record edited: its compressed size running past
    the end of the file, or flagged as compressed patched data. The native reader (which goes by
    the local header) still reads the sheet."""
    import struct

    out, part = bytearray(data), hostile.log_part(data).encode()
    i = 0
    while True:
        i = out.index(b"PK\x01\x02", i)
        n = struct.unpack("<H", out[i + 28:i + 30])[0]
        if out[i + 46:i + 46 + n] == part:
            break
        i += 4
    if how == "past the end":
        struct.pack_into("<I", out, i + 20, struct.unpack("<I", out[i + 20:i + 24])[0] + 50_000_000)
    else:
        struct.pack_into("<H", out, i + 8, struct.unpack("<H", out[i + 8:i + 10])[0] | 0x20)
    return bytes(out)


@pytest.mark.parametrize("waiting", ["parent-checks-while-waiting", "child-checks-after"])
@pytest.mark.parametrize("how", ["past the end", "patched data"])
def test_a_broken_log_entry_is_refused_in_words_and_gives_nothing_out(book, tmp_path, children, how, waiting,
                                                                     monkeypatch):
    """zipfile raises EOFError / NotImplementedError on such an entry: the whole check refuses
    it in Chinese words, and the part's check (here while waiting, or in the child) in the same
    words; before, the parent's check while waiting turned it into an unreadable 活动记录 and
    the rest of the book was given out."""
    import mentor_xl.workbook.reader as reader

    if waiting == "child-checks-after":
        monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
    else:
        monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(_broken_entry(book.read_bytes(), how))
    words = _refusal(bad)
    assert "已损坏" in words
    with pytest.raises(FatalInputError) as e:
        read_book(bad)
    assert str(e.value) == words


@pytest.mark.parametrize("waiting", ["parent-checks-while-waiting", "child-checks-after"])
def test_a_check_that_fails_unexpectedly_gives_nothing_out(book, tmp_path, children, waiting, monkeypatch):
    """The part's check raising something else than a refusal (a bug a crafted part could reach)
    is never taken for an unreadable 活动记录 sheet to go on without: the whole check decides
    (here it fails too, as it would have before the part was checked apart)."""
    import mentor_xl.workbook.reader as reader

    class Boom(Exception):
        pass

    def boom(*a, **kw):
        raise Boom("扫描出错")
        yield  # noqa: unreachable — a generator, as part_steps is

    if waiting == "child-checks-after":
        monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)
        monkeypatch.setattr(aside, "_scan", lambda req: {})  # no verdict: the whole check here
    else:
        monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)
        monkeypatch.setattr(limits, "part_steps", boom)
    real = limits.check_workbook_file
    monkeypatch.setattr(reader, "check_workbook_file", lambda *a, **kw: boom().__next__() or real(*a, **kw))
    with pytest.raises(Boom):
        read_book(book)
    with pytest.raises(Boom):
        open_office(book, later=True).compliance(TERM)
    assert all(c.proc.poll() is not None and all(f.closed for f in c.files) for c in children)


def test_the_merged_cells_scan_inflates_an_unchecked_part_no_further_than_the_check(book, tmp_path):
    """While the log's part is still being checked by the child, the reader may look for its merged
    cells: that pass stops where the check would refuse the part (a bomb behind valid rows)."""
    from mentor_xl.workbook.merges import merged_ranges

    merge = b'<mergeCells count="1"><mergeCell ref="B2:B4"/></mergeCells>'
    plain = tmp_path / "合并.xlsx"
    plain.write_bytes(hostile._edit_log(book.read_bytes(), lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + merge, 1)))
    assert (1, 1, 3, 1) in merged_ranges(plain, names={"活动记录"})["活动记录"].ranges
    bomb = tmp_path / "炸弹.xlsx"
    bomb.write_bytes(hostile._edit_log(book.read_bytes(), lambda xml: xml.replace(
        b"</sheetData>", b"</sheetData>" + b" " * (60 * 1024 ** 2) + merge, 1)))
    assert "压缩比异常" in _refusal(bomb)
    assert merged_ranges(bomb, names={"活动记录"}) == {}  # stopped before the merges, past the ratio


def test_a_check_that_fails_unexpectedly_on_a_refused_file_gives_the_refusal(book, tmp_path, children, monkeypatch):
    """The part's check raising something else than a refusal while the parent waits: the whole
    check decides, and a file it refuses is refused in its words, not by that error."""
    def boom(*a, **kw):
        raise RuntimeError("扫描出错")
        yield  # noqa: unreachable — a generator, as part_steps is

    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)
    monkeypatch.setattr(limits, "part_steps", boom)
    bad = tmp_path / "far-empty.xlsx"
    bad.write_bytes(_far_empty(book.read_bytes()))
    words = _refusal(bad)
    with pytest.raises(FatalInputError) as e:
        read_book(bad)
    assert str(e.value) == words
    assert children and all(c.proc.poll() is not None and all(f.closed for f in c.files) for c in children)


def test_a_refusal_by_the_child_alone_is_still_a_refusal(book, children, monkeypatch):
    """The child refuses the part and the whole check, run here, passes the file: the child's
    refusal stands (its words), the book is never given out."""
    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    import mentor_xl.workbook.reader as reader

    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)  # the child's verdict it is
    monkeypatch.setattr(aside, "_scan", lambda req: {"refused": "文件“台账.xlsx”已被子进程拒绝"})
    calls = _spy_whole_check(monkeypatch)
    with pytest.raises(FatalInputError, match="已被子进程拒绝"):
        read_book(book)
    assert len(calls) == 1


def test_a_grid_over_the_cell_limit_is_not_taken_from_the_child(book, children, monkeypatch):
    """The child hands over a sheet of more cells than the check allows (``limits.MAX_CELLS``):
    the whole check runs at once, before the book is returned, and the parent reads the sheet
    itself; nothing is left to the child's verdict (``later=True`` leaves nothing pending)."""
    import fastexcel

    import mentor_xl.workbook.reader as reader

    expected = read_book(book)
    sheet = fastexcel.read_excel(str(book)).load_sheet("活动记录", header_row=None, dtypes="string", skip_rows=0)
    monkeypatch.setattr(limits, "MAX_CELLS", sheet.height * sheet.width - 1)  # the log's grid alone is over it
    monkeypatch.setattr(reader, "_check_while_waiting", lambda child, here: None)  # the sheet comes first
    calls = _spy_whole_check(monkeypatch)
    loaded = []
    real_load = reader._load
    monkeypatch.setattr(reader, "_load", lambda source, actual: loaded.append(actual) or real_load(source, actual))
    got = read_book(book, later=True)
    assert got.pending is None and len(calls) == 1 and "活动记录" in loaded
    assert got.log.equals(expected.log)
    assert children and all(c.proc.poll() is not None and all(f.closed for f in c.files) for c in children)


def test_an_office_shaped_book_through_the_child_gives_the_same_run(tmp_path, children, monkeypatch):
    """The office's own 台账 (its own sheet and column names, title and footer rows, merged cells),
    its log loaded by the child and its part checked apart while the run is computed: the same
    results, staff and problems as read all at once."""
    from officebook import bit_office_book

    path = bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True)
    term = "2024-2025学年第一学期"
    with monkeypatch.context() as m:
        m.setattr(aside, "MIN_BYTES", 10 ** 12)  # too small for a child: read all at once
        plain = open_office(path, "bit-2022").compliance(term).to_json()
    office = open_office(path, "bit-2022", later=True)
    child = children[-1]
    assert child is not None and child.part == limits.sheet_part(path, "活动记录")
    got = office.compliance(term).to_json()
    assert isinstance(child.scanned, int) and office.book.refused is None
    for key in ("results", "staff", "problems"):
        assert got[key] == plain[key], key


def test_the_cli_refuses_in_the_checks_words_when_the_write_fails_first(book, tmp_path, children, monkeypatch):
    """The CLI writes the results beside the log part's check: a write that fails on the way (a
    full disk …) still gives way to the refusal, as every error made from a refused file does."""
    from click.testing import CliRunner

    import mentor_xl.results
    from mentor_xl.cli import main

    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(_far_empty(book.read_bytes()))

    def broken(*a, **kw):
        raise OSError("磁盘已满")
    monkeypatch.setattr(mentor_xl.results, "write_results", broken)
    r = CliRunner().invoke(main, ["compliance", str(bad), "-t", TERM])
    assert r.exit_code == 1 and _refusal(bad) in r.output and "磁盘已满" not in r.output
    assert children and children[0] is not None and children[0].part is not None  # checked apart, in the child
    assert sorted(p.name for p in tmp_path.iterdir()) == ["坏.xlsx"]


def _with_merges(book: Path, tmp_path: Path, count: int = 30) -> Path:
    refs = b"".join(b'<mergeCell ref="B%d:B%d"/>' % (2 + 3 * i, 4 + 3 * i) for i in range(count))
    merge = b'<mergeCells count="%d">' % count + refs + b"</mergeCells>"
    path = tmp_path / "合并.xlsx"
    path.write_bytes(hostile._edit_log(book.read_bytes(), lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + merge, 1)))
    return path


def _spy_merges(monkeypatch) -> tuple[list, list]:
    """Every sheet whose part the reader streams for its merged cells, and every merges it fills
    from; every sheet taken as possibly merged (as a blank 工号 would make it)."""
    import mentor_xl.workbook.reader as reader
    monkeypatch.setattr(reader, "_may_be_merged", lambda *a, **k: True)
    streamed, given = [], []
    real, fill = reader.merged_ranges, reader._fill_merged
    monkeypatch.setattr(reader, "merged_ranges", lambda p, names=None: streamed.extend(names or ()) or real(p, names=names))
    monkeypatch.setattr(reader, "_fill_merged", lambda cols, merges, h: given.append(merges) or fill(cols, merges, h))
    return streamed, given


def test_the_log_part_checked_here_gives_its_merged_cells(book, tmp_path, children, monkeypatch):
    """The parent, done before the child, checks the log's part itself: that pass has read every
    <mergeCell>, so the part is not streamed again for them; the log read is the same either way."""
    import pandas as pd

    path = _with_merges(book, tmp_path, 1)  # <mergeCell ref="B2:B4"/>
    streamed, given = _spy_merges(monkeypatch)
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: True)  # the child first: its check
    first = read_book(path).log
    assert "活动记录" in streamed
    streamed.clear()
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)  # the parent's check goes through
    second = read_book(path).log
    assert "活动记录" not in streamed and len(children) == 2
    pd.testing.assert_frame_equal(first, second)
    logs = [m for m in given if m is not None and (1, 1, 3, 1) in m.ranges]
    assert len(logs) == 2 and logs[0] == logs[1]  # the same ranges, and where the grid starts


def test_a_tightly_packed_log_is_loaded_aside_by_its_xml(book, tmp_path, monkeypatch):
    """A file Excel saved packs its log several times tighter than the stored size says: under
    MIN_BYTES, the log's XML as the zip declares it decides whether the child loads it."""
    started = []
    real = aside.start
    monkeypatch.setattr(aside, "start", lambda *a, **kw: started.append(real(*a, **kw)) or started[-1])
    monkeypatch.setattr(aside, "MIN_BYTES", 10 ** 12)
    monkeypatch.setattr(aside, "MIN_STORED", 0)
    part = limits.sheet_part(book, "活动记录")
    with zipfile.ZipFile(book) as z:
        xml = z.getinfo(part).file_size
    monkeypatch.setattr(aside, "MIN_PART_BYTES", xml + 1)  # one byte short: read here
    small = read_book(book)
    assert started == []
    monkeypatch.setattr(aside, "MIN_PART_BYTES", xml)  # as big as the threshold: aside
    big = read_book(book)
    assert len(started) == 1 and started[0] is not None and started[0].proc.poll() is not None
    assert small.log.equals(big.log) and [p.message for p in small.problems] == [p.message for p in big.problems]


def test_a_check_given_up_partway_reads_on_for_the_merges_alone(book, tmp_path, monkeypatch):
    """``send(MERGES_ONLY)`` after any number of steps: the same merged ranges and <dimension> as
    the whole check finds, and no verdict (the child's check still decides)."""
    path = _with_merges(book, tmp_path)
    part = limits.sheet_part(path, "活动记录")
    monkeypatch.setattr(limits, "CHUNK", 4096)  # many steps
    whole: dict = {}
    steps = limits.part_steps(path, part, found=whole)
    n = 0
    try:
        while True:
            next(steps)
            n += 1
    except StopIteration as done:
        assert done.value > 0 and len(whole["merges"]) >= 30  # ours, and the messy book's own
    for k in (1, 2, n // 2, n - 1, n):
        found: dict = {}
        steps = limits.part_steps(path, part, found=found)
        for _ in range(k):
            next(steps)
        with pytest.raises(StopIteration) as done:
            steps.send(limits.MERGES_ONLY)
        assert done.value.value is None and found == whole, k


def test_a_check_given_up_when_the_sheet_came_gives_the_merges_without_a_second_pass(book, tmp_path, children,
                                                                                       monkeypatch):
    """The child hands the log over while the parent's check of its part is halfway: the reader
    reads on from there for the merged cells (the part is not streamed again from its start), and
    the log is the one read with the merges streamed."""
    import pandas as pd

    path = _with_merges(book, tmp_path)
    monkeypatch.setattr(limits, "CHUNK", 16 * 1024)
    streamed, given = _spy_merges(monkeypatch)
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: True)  # the child first: no check here
    first = read_book(path).log
    assert "活动记录" in streamed
    streamed.clear()
    waits = iter(range(10 ** 6))
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: next(waits) >= 5)  # after five steps
    got = read_book(path, later=True)
    assert "活动记录" not in streamed and got.pending is not None  # read on for the merges; the child decides
    got.confirm()
    pd.testing.assert_frame_equal(first, got.log)
    logs = [m for m in given if m is not None and (1, 1, 3, 1) in m.ranges]
    assert len(logs) == 2 and logs[0] == logs[1] and len(logs[0].ranges) >= 30  # the same ranges either way


def test_the_merged_cells_are_found_first_while_the_parent_waits(book, tmp_path, children, monkeypatch):
    """The parent waits for the child: it first reads the log's part for its <mergeCell> alone and
    makes the merged ranges there and then, and only then checks the part. When the sheet comes
    during the check, the reader takes those ranges with no further pass over the part, and the
    child's check decides; the log is the one read with the merges streamed."""
    import pandas as pd
    import mentor_xl.workbook.reader as reader

    path = _with_merges(book, tmp_path)
    monkeypatch.setattr(limits, "CHUNK", 16 * 1024)
    part = limits.sheet_part(path, "活动记录")
    skim_steps = sum(1 for _ in limits.part_steps(path, part, found={}, merges_only=True))
    assert skim_steps > 5
    streamed, given = _spy_merges(monkeypatch)
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: True)
    first = read_book(path).log
    assert "活动记录" in streamed
    streamed.clear()
    made, passes = [], []
    real_made, real_steps = reader._CheckedHere.made, limits.part_steps
    monkeypatch.setattr(reader._CheckedHere, "made", lambda self: made.append(1) or real_made(self))
    monkeypatch.setattr(limits, "part_steps", lambda *a, **k: passes.append(k.get("merges_only", False))
                        or real_steps(*a, **k))
    waits = iter(range(10 ** 6))
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: next(waits) >= skim_steps + 3)  # 3 MB into the check
    got = read_book(path, later=True)
    assert passes == [True, False]  # the skim, then the check
    assert made == [1]  # the ranges were made while waiting, not after the sheet came
    assert "活动记录" not in streamed and got.pending is not None  # the child's check decides
    got.confirm()
    pd.testing.assert_frame_equal(first, got.log)
    logs = [m for m in given if m is not None and (1, 1, 3, 1) in m.ranges]
    assert len(logs) == 2 and logs[0] == logs[1] and len(logs[0].ranges) >= 30


def test_a_skim_stopped_when_the_sheet_came_reads_on_from_there(book, tmp_path, children, monkeypatch):
    """The sheet comes while the parent is still reading the part for its merged cells: the reader
    reads on from there (not from the start: the part is not streamed), the check is left to the
    child, and the ranges are the whole part's."""
    import pandas as pd

    path = _with_merges(book, tmp_path)
    monkeypatch.setattr(limits, "CHUNK", 16 * 1024)
    streamed, given = _spy_merges(monkeypatch)
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: True)
    first = read_book(path).log
    streamed.clear()
    waits = iter(range(10 ** 6))
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: next(waits) >= 2)  # two steps into the skim
    got = read_book(path, later=True)
    assert "活动记录" not in streamed and got.pending is not None
    got.confirm()
    pd.testing.assert_frame_equal(first, got.log)
    logs = [m for m in given if m is not None and (1, 1, 3, 1) in m.ranges]
    assert len(logs) == 2 and logs[0] == logs[1] and len(logs[0].ranges) >= 30


@pytest.mark.parametrize("kind", ["ratio", "dtd"])
def test_a_hostile_part_met_by_the_skim_is_refused_by_the_check(book, tmp_path, children, kind, monkeypatch):
    """The first pass while waiting only looks for merged cells; a part over the ratio (which it
    meets too) or with a DTD (which it does not look for) is still refused in the whole check's
    words, and nothing is given out."""
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(HOSTILE[kind](book.read_bytes()))
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: False)  # the parent's passes go through
    with pytest.raises(FatalInputError) as e:
        read_book(path)
    assert str(e.value) == _refusal(path)


def test_an_office_log_kept_per_teacher_through_the_child_gives_the_same_run(tmp_path, children, monkeypatch):
    """An office's log kept per teacher (its own names, a title row, 序号, a signature line, 教师工号
    and 教师姓名 merged down each teacher's rows), loaded by the child while the parent reads its
    merged cells and then checks the part: the same results as the book read all at once, and the
    merged ranges made while waiting, not after the sheet came."""
    import mentor_xl.workbook.reader as reader
    from benchmarks.generate import book
    from benchmarks.office import office_book

    src = book(3000, staff=40, students=300, cache=tmp_path / "cache")
    path = office_book(src, grouped=True).path
    with monkeypatch.context() as m:
        m.setattr(aside, "MIN_BYTES", 10 ** 12)  # too small for a child: read all at once
        plain = open_office(path, "bit-2022").compliance(TERM).to_json()
    monkeypatch.setattr(limits, "CHUNK", 16 * 1024)
    part = limits.sheet_part(path, "活动记录")
    skim_steps = sum(1 for _ in limits.part_steps(path, part, found={}, merges_only=True))
    made = []
    real_made = reader._CheckedHere.made
    monkeypatch.setattr(reader._CheckedHere, "made", lambda self: made.append(1) or real_made(self))
    waits = iter(range(10 ** 6))
    monkeypatch.setattr(aside.Aside, "handed_over", lambda self: next(waits) >= skim_steps + 2)
    office = open_office(path, "bit-2022", later=True)
    assert made == [1] and children  # made in the wait, once
    got = office.compliance(TERM).to_json()
    for key in ("results", "staff", "problems"):
        assert got[key] == plain[key], key
