"""The collector is paused while a book is read, a term computed and results written
(``gcpause``), and is back as it was afterwards, whatever happens in between."""
from __future__ import annotations

import gc
import threading

import pytest

from mentor_xl import gcpause


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_on_again_after_even_after_an_error():
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():  # a step inside a step
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with gcpause.paused():
            raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off():
    gc.disable()
    with gcpause.paused():
        pass
    assert not gc.isenabled()


def test_steps_in_two_threads_share_one_pause():
    inside, leave = threading.Event(), threading.Event()

    def other():
        with gcpause.paused():
            inside.set()
            leave.wait(5)
    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    with gcpause.paused():
        pass
    assert not gc.isenabled()  # the other thread's step is still running
    leave.set()
    t.join(5)
    assert gc.isenabled()


def test_the_pipeline_runs_paused(tmp_path, monkeypatch):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.office import open_office
    from mentor_xl.results import write_results
    import mentor_xl.engine as engine

    import mentor_xl.results as results
    from mentor_xl.workbook import reader

    seen = []
    real = engine._rule_details
    monkeypatch.setattr(engine, "_rule_details", lambda *a: seen.append(gc.isenabled()) or real(*a))
    path = tmp_path / "demo.xlsx"
    build_demo_book(path, "bit-2022", staff=10, students=60, log_rows=300)
    # each step on its own: the book read, the results written (not only the compute)
    steps = {}
    for module, name in ((reader, "_read_sheet"), (results, "write_frame_sheet")):
        def spy(*a, _real=getattr(module, name), _name=name, **kw):
            steps.setdefault(_name, []).append(gc.isenabled())
            return _real(*a, **kw)
        monkeypatch.setattr(module, name, spy)
    office = open_office(path)
    write_results(tmp_path / "out.xlsx", office.compliance("2024-2025-1"))
    assert seen and not any(seen) and gc.isenabled()
    assert set(steps) == {"_read_sheet", "write_frame_sheet"} and not any(sum(steps.values(), [])), steps
