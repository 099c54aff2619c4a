"""``beside.Beside``: a computation in a forked child, handed back pickled; the same answer as
computing it here, and computed here whenever the child fails. The results workbook computes its
small pages (总览, 图表) that way: the same workbook either way."""
from __future__ import annotations

import os
import signal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mentor_xl import beside
from mentor_xl import results as res
from orphans import assert_dies_with_its_starter
from test_results_workbook import _rows

needs_fork = pytest.mark.skipif(not beside.FORK, reason="no fork here")


def _frames():
    return {"a": pd.DataFrame({"x": [1, 2], "y": ["一", None], "t": pd.to_datetime(["2024-09-01", None])}),
            "s": pd.Series([0.5, np.nan], name="率"), "n": 3}


def _same(a, b):
    pd.testing.assert_frame_equal(a["a"], b["a"])
    pd.testing.assert_series_equal(a["s"], b["s"])
    assert a["n"] == b["n"]


@needs_fork
def test_the_childs_answer_is_the_one_computed_here():
    here = os.getpid()
    job = beside.Beside(lambda: (_frames(), os.getpid()))
    assert job.pid is not None
    got, pid = job.result()
    assert pid != here  # it was computed over there
    _same(got, _frames())
    assert job.file is None  # its file closed


@needs_fork
@pytest.mark.parametrize("how", ["raises", "exits", "killed", "reaped"])
def test_a_failing_child_means_it_is_computed_here(how, monkeypatch):
    here = os.getpid()
    calls = []

    def fn():
        calls.append(os.getpid())
        if os.getpid() != here:
            if how == "raises":
                raise RuntimeError("失败")
            if how == "exits":
                os._exit(3)
            if how in ("killed", "reaped"):
                signal.pause()  # until killed
        return _frames()
    job = beside.Beside(fn)
    if how == "killed":
        os.kill(job.pid, signal.SIGKILL)
    elif how == "reaped":
        os.kill(job.pid, signal.SIGKILL)
        os.waitpid(job.pid, 0)  # a host's SIGCHLD handler got there first
    _same(job.result(), _frames())
    assert calls == [here]  # the parent's own call (the child's calls stay in the child)


def test_without_fork_it_is_computed_here(monkeypatch):
    monkeypatch.setattr(beside, "FORK", False)
    job = beside.Beside(lambda: os.getpid())
    assert job.pid is None and job.result() == os.getpid()


def test_the_results_workbook_is_the_same_with_the_pages_computed_beside(tmp_path, monkeypatch):
    from test_results_workbook import _result, _rows

    forked = res.write_results(tmp_path / "a.xlsx", _result(), office="某学院")
    monkeypatch.setattr(beside, "FORK", False)
    here = res.write_results(tmp_path / "b.xlsx", _result(), office="某学院")
    a, b = openpyxl.load_workbook(forked), openpyxl.load_workbook(here)
    assert a.sheetnames == b.sheetnames and a.sheetnames[0] == "总览" and a.sheetnames[-1] == "图表"
    for name in a.sheetnames:
        assert _rows(a[name]) == _rows(b[name]), name
        assert [c.number_format for r in a[name].iter_rows() for c in r] == \
            [c.number_format for r in b[name].iter_rows() for c in r], name
    assert len(a["总览"]._charts) == len(b["总览"]._charts) and len(a["图表"]._charts) == len(b["图表"]._charts) == 3



def _layout(ws) -> dict:
    """What a reader sees of a sheet beyond its values: formats, merges, row heights, highlighting,
    charts, page breaks and print scale."""
    return {"formats": [c.number_format for r in ws.iter_rows() for c in r],
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "heights": {i: d.height for i, d in ws.row_dimensions.items() if d.height},
            "highlight": [(str(cf.sqref), [r.formula for r in cf.rules]) for cf in ws.conditional_formatting],
            "charts": len(ws._charts), "breaks": [b.id for b in ws.row_breaks.brk], "scale": ws.page_setup.scale}


def test_an_office_books_results_with_later_sheets_are_the_same_with_the_pages_computed_beside(tmp_path,
                                                                                              monkeypatch):
    """On an office-shaped 台账 (two 书院, merged cells, title and footer rows) with 考核结果 and
    奖励预算/奖励汇总 as later stages add them: 总览 and 图表 are the same cell for cell, merge for
    merge, whether their figures came from the child or were computed here."""
    from officebook import bit_office_book, ustb_office_book
    from mentor_xl.office import open_office

    office = open_office(bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True), policy="bit-2022")
    result = office.compliance("2024-2025-1")
    awards = open_office(ustb_office_book(tmp_path / "学工台账.xlsx"), "ustb-2022").awards("2024-2025")
    extra = {**office.assess(term="2024-2025-1").sheets(), **awards.sheets()}
    assert len(extra["考核结果"].df) == 3 and len(extra["奖励汇总"].df)
    pids = []
    real = beside.Beside

    def spy(fn):
        job = real(fn)
        pids.append(job.pid)
        return job
    monkeypatch.setattr(res, "Beside", spy)
    forked = res.write_results(tmp_path / "a.xlsx", result, extra_sheets=extra, office="精工书院")
    assert pids[0] is not None or not beside.FORK  # computed over there
    monkeypatch.setattr(beside, "FORK", False)
    here = res.write_results(tmp_path / "b.xlsx", result, extra_sheets=extra, office="精工书院")
    a, b = openpyxl.load_workbook(forked), openpyxl.load_workbook(here)
    assert a.sheetnames == b.sheetnames == ["总览", "合规汇总", "人员汇总", "合规明细", "考核结果", "奖励预算",
                                            "奖励汇总", "数据问题", "图表"]
    for name in a.sheetnames:
        assert _rows(a[name]) == _rows(b[name]), name
        assert _layout(a[name]) == _layout(b[name]), name
    pages = [r[0] for r in _rows(a["总览"]) if isinstance(r[0], str) and r[0].endswith("学期导师工作合规情况")]
    assert len(pages) == 2 and len(_layout(a["总览"])["breaks"]) >= 2  # one page per 书院, each its own
    assert _layout(a["图表"])["charts"] == 3

class _Finalised:
    """Garbage in a cycle whose finaliser writes to the caller's file (a buffered writer flushed
    twice, a temporary file removed by the wrong process)."""

    def __init__(self, path):
        self.path, self.me = path, self

    def __del__(self):
        with open(self.path, "a") as f:
            f.write(f"{os.getpid()}\n")


@needs_fork
def test_the_child_runs_none_of_the_callers_signal_handlers_or_finalisers(tmp_path):
    import gc
    import time

    here = os.getpid()
    log = tmp_path / "caller.txt"

    def handler(signum, frame):  # a host's handler: it writes to the host's own file
        with open(log, "a") as f:
            f.write(f"handler {os.getpid()}\n")

    def fn():
        if os.getpid() != here:
            gc.collect()  # as the collector may run any time in the child
            os.kill(os.getpid(), signal.SIGTERM)  # as a terminal or a supervisor may send
            time.sleep(0.5)
        return 1

    old = signal.signal(signal.SIGTERM, handler)
    gc.disable()
    try:
        _Finalised(log)
        assert beside.Beside(fn).result() == 1
        gc.collect()  # the caller's own collection finalises it, here
    finally:
        gc.enable()
        signal.signal(signal.SIGTERM, old)
    assert log.read_text() == f"{here}\n"


@needs_fork
def test_a_failed_write_leaves_no_child_behind(tmp_path, monkeypatch):
    from test_results_workbook import _result

    jobs, pids = [], []
    real = beside.Beside

    def spy(fn):
        jobs.append(real(fn))
        pids.append(jobs[-1].pid)
        return jobs[-1]
    monkeypatch.setattr(res, "Beside", spy)

    def fail(*a, **kw):
        raise OSError("磁盘已满")
    monkeypatch.setattr(res, "write_problems_sheet", fail)
    with pytest.raises(OSError):
        res.write_results(tmp_path / "a.xlsx", _result(), office="某学院")
    [job], [pid] = jobs, pids
    assert job.file is None and pid is not None  # its file closed
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped, not a zombie


@needs_fork
@pytest.mark.timeout(60)
def test_a_child_that_hangs_does_not_hang_the_caller(monkeypatch):
    """A fork in a process with threads may leave a lock held for ever in the child: the caller
    waits for it a bounded time, then computes it here."""
    import threading
    import time

    here = os.getpid()

    def fn():
        if os.getpid() != here:
            signal.pause()  # as a child stuck on a lock
        return 7
    monkeypatch.setattr(beside, "MIN_WAIT_S", 1, raising=False)
    job = beside.Beside(fn)
    pid = job.pid
    watchdog = threading.Timer(20, lambda: os.kill(pid, signal.SIGKILL))  # the test's own bound
    watchdog.start()
    try:
        t0 = time.monotonic()
        assert job.result() == 7
        assert time.monotonic() - t0 < 10
    finally:
        watchdog.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


@needs_fork
def test_the_child_dies_with_its_caller():
    """A caller killed while its pages compute leaves no child computing on."""
    script = """
import os, signal, time
from mentor_xl import beside
b = beside.Beside(lambda: time.sleep(60))
print(b.pid, flush=True)
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""
    assert_dies_with_its_starter(script, "caller")
