"""The 活动记录 sheet of a big workbook loads in a child process while the parent checks the file
(``workbook.aside``): same book, same problems as the parent's own read; any failure of the child
falls back to that read; a file the checks refuse is refused, with the child stopped."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import hostile
from helpers_xlsx import formula_errors_book
from officebook import bit_office_book, ustb_office_book
from orphans import assert_dies_with_its_starter
from mentor_xl.demo import build_demo_book
from mentor_xl.problems import FatalInputError
from mentor_xl.workbook import aside, reader
from mentor_xl.workbook.model import ATTRS
from mentor_xl.workbook.reader import read_book


def _child_does(monkeypatch, code: str) -> None:
    """Make the child run ``code`` instead of loading the sheet, however it is started."""
    monkeypatch.setattr(aside, "_ENTRY", code)  # a new interpreter
    monkeypatch.setattr(aside, "_load", lambda req: exec(code) or 0)  # a fork: the function it inherits


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A demo office workbook with odd cells, plus a log row whose 日期 is a formula error."""
    path = tmp_path_factory.mktemp("aside") / "台账.xlsx"
    build_demo_book(path, "bit-2022", seed=5, messy=True, staff=40, students=200, log_rows=3000)
    return path


@pytest.fixture
def office_books(tmp_path):
    """The office-shaped 台账 of the first-run tests (own sheet and column names, title, 序号,
    footer and 合计 rows, merged 指导关系) and a log with formula errors."""
    return [bit_office_book(tmp_path / "精工书院台账.xlsx"), ustb_office_book(tmp_path / "本科生导师台账.xlsx"),
            formula_errors_book(tmp_path / "err.xlsx")]


def _everything(b) -> tuple:
    frames = {a: getattr(b, a) for a in sorted(set(ATTRS.values())) if getattr(b, a) is not None}
    return frames, [(p.sheet, p.row, p.column, str(p.value), p.message, p.category) for p in b.problems]


def _same(a, b) -> None:
    fa, pa_ = _everything(a)
    fb, pb = _everything(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        pd.testing.assert_frame_equal(fa[k], fb[k])
    assert pa_ == pb


def _children(monkeypatch) -> list:
    """Make every workbook big enough for the child, and record the children started."""
    started = []
    real = aside.start

    def spy(path, sheet, **kw):
        a = real(path, sheet, min_bytes=0, part=kw.get("part"))
        started.append(a)
        return a
    monkeypatch.setattr(aside, "start", spy)
    monkeypatch.setattr(aside, "MIN_BYTES", 0)
    return started


def _results(monkeypatch) -> list:
    """Record what each child's ``result()`` gave (None: the parent read the sheet itself)."""
    used = []
    real = aside.Aside.result
    monkeypatch.setattr(aside.Aside, "result", lambda self, **kw: used.append(r := real(self, **kw)) or r)
    return used


def test_the_child_reads_the_same_book(book, office_books, monkeypatch, how_started):
    books = [book, *office_books]
    errors_book = office_books[-1]
    plain = [read_book(p) for p in books]
    started = _children(monkeypatch)
    used = _results(monkeypatch)
    for p, expected in zip(books, plain):
        _same(read_book(p), expected)
    assert len(started) == len(books) and all(a is not None for a in started)
    assert len(used) == len(books) and all(r is not None for r in used)  # the children's sheets were the ones used
    # and each log's part (工作台账's too: found by its alias) was left out of the parent's check and checked apart
    assert all(a.part is not None and isinstance(a.scanned, int) for a in started)
    assert [(p.row, p.column, p.value) for p in read_book(errors_book).problems if p.category == "公式错误"] == [
        (3, "日期", "#N/A"), (2, "时长", "#DIV/0!")]
    assert all(f.closed for a in started for f in a.files)  # unnamed files: nothing left on disk


@pytest.mark.parametrize("how", ["crash", "memory", "other_sheet"])
def test_a_failing_child_falls_back_to_the_parents_read(book, monkeypatch, how, how_started):
    expected = read_book(book)
    started = _children(monkeypatch)
    used = _results(monkeypatch)
    if how == "crash":
        _child_does(monkeypatch, "import os; os.abort()")
    elif how == "memory":
        # 64 MB of its own: a new interpreter does not even start; a fork cannot take 256 MB more
        monkeypatch.setattr(aside, "MEMORY_BYTES", 64 * 1024 ** 2)
        _child_does(monkeypatch, "bytearray(256 * 1024 ** 2)")
    else:
        real = aside.start
        monkeypatch.setattr(aside, "start", lambda path, sheet, **kw: started.append(real(path, "学生", min_bytes=0))
                            or started[-1])
    _same(read_book(book), expected)
    assert started and started[0] is not None
    assert used == [None] or how == "other_sheet"  # the child gave nothing: the parent read it


def test_a_refused_file_stops_the_child(book, tmp_path, monkeypatch, how_started):
    far = tmp_path / "远.xlsx"
    far.write_bytes(hostile.far_cell(book.read_bytes(), "XFD1048576"))
    started = _children(monkeypatch)
    with pytest.raises(FatalInputError, match="范围过大"):
        read_book(far)
    [child] = started
    assert child.proc.poll() is not None and all(f.closed for f in child.files)


def test_small_files_and_other_formats_read_without_a_child(book, tmp_path):
    assert aside.start(book, "活动记录") is None  # under MIN_BYTES
    assert aside.for_log(tmp_path / "无.xlsx") is None


def test_the_child_finds_the_package_and_the_file_from_any_folder(book, monkeypatch, how_started):
    """The child imports the parent's own copy of the package and opens the file the parent
    was given, relative or not, whatever the working folder."""
    monkeypatch.chdir(book.parent)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    child = aside.start(Path(book.name), "活动记录", min_bytes=0)  # a path relative to here, as typed
    got = child.result()
    assert got is not None and got[0].num_rows > 3000


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "new-interpreter"])
def test_the_child_dies_with_its_parent(book, tmp_path, fork):
    """A parent killed mid-read leaves no child reading on (nor any file: they have no name)."""
    script = f"""
import os, signal, sys
from pathlib import Path
from mentor_xl.workbook import aside
aside.FORK = aside.FORK and {fork!r}
aside._ENTRY = ("from mentor_xl.forking import die_with_parent; die_with_parent(); "
                "import time; time.sleep(60)")
aside._load = lambda req: __import__("time").sleep(60)
child = aside.start(Path({str(book)!r}), "活动记录", min_bytes=0)
print(child.proc.pid, flush=True)
import time; time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""
    assert_dies_with_its_starter(script, "parent")


def test_no_child_from_a_limited_reader_nor_for_a_file_the_check_refuses_by_size(book, monkeypatch):
    import subprocess
    import sys

    script = f"""
import resource
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))
from mentor_xl.workbook import aside
print(aside.start(Path({str(book)!r}), "活动记录", min_bytes=0))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "None", out.stderr
    from mentor_xl.workbook import limits
    monkeypatch.setattr(aside, "MIN_BYTES", 0)
    monkeypatch.setattr(limits, "MAX_BYTES", 1000)  # the book is "too big": nothing may open it first
    monkeypatch.setattr(limits, "sheet_names", lambda p: (_ for _ in ()).throw(AssertionError("opened")))
    assert aside.for_log(book) is None


def test_a_child_that_takes_too_long_is_stopped(book, monkeypatch, how_started):
    _child_does(monkeypatch, "import time; time.sleep(60)")
    child = aside.start(book, "活动记录", min_bytes=0)
    assert 60 <= child.timeout <= 60 + aside.TIMEOUT_PER_MB_S * (book.stat().st_size / 1024 ** 2 + 1)  # by size
    assert child.result(timeout=0.3) is None
    assert child.proc.poll() is not None and all(f.closed for f in child.files)


def test_where_no_child_can_start_the_parent_reads_alone(book, monkeypatch):
    """An embedded Python without processes (or any other failure to start one): no child, no error."""
    import subprocess

    import os

    def refuse(*a, **k):
        raise NotImplementedError("no processes here")
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "fork", lambda: (_ for _ in ()).throw(OSError("no fork here")))
    assert aside.start(book, "活动记录", min_bytes=0) is None
    monkeypatch.setattr(aside, "MIN_BYTES", 0)
    _same(read_book(book), read_book(book))


def test_a_forked_child_keeps_none_of_the_parents_files(book, monkeypatch):
    """The fork closes every descriptor it inherited but its output files and pipe: a pipe the parent closes
    ends at once (a child holding its write end would keep the reader waiting)."""
    import os

    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    r, w = os.pipe()
    _child_does(monkeypatch, "import time; time.sleep(5)")
    child = aside.start(book, "活动记录", min_bytes=0)
    try:
        os.close(w)
        os.set_blocking(r, False)
        import select
        assert select.select([r], [], [], 2)[0] and os.read(r, 1) == b""  # EOF: no writer left
    finally:
        os.close(r)
        child.cancel()
    assert child.proc.poll() is not None and all(f.closed for f in child.files)


def test_a_child_reaped_by_someone_else_gives_its_sheet_but_no_verdict(book, monkeypatch):
    """A host program that reaps every child (a SIGCHLD handler calling waitpid(-1)) leaves no
    exit code to trust. The sheet still counts: the child signals on its pipe only once its files
    are complete. Its check of the part does not: no verdict, so the reader checks the whole file
    itself (test_log_check_aside.py). No error either way."""
    import os

    import fastexcel
    from mentor_xl.workbook import limits

    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    child = aside.start(book, "活动记录", min_bytes=0, part=limits.sheet_part(book, "活动记录"))
    os.waitpid(child.proc.pid, 0)  # the host got there first
    got = child.result()
    rows = fastexcel.read_excel(str(book)).load_sheet("活动记录", header_row=None, dtypes="string").height
    assert got is not None and got[0].num_rows == rows
    assert child.verdict() is None
    assert all(f.closed for f in child.files) and child.ready is None
    child.cancel()  # and cancelling it later is harmless


def test_a_parent_with_many_open_files_still_gets_the_childs_sheet(book, monkeypatch, how_started):
    """A process holding more than 1024 files (a server, a desktop program): the wait for the
    child works whatever number its descriptor gets (select() stops at 1024)."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("cannot hold that many files here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        used = _results(monkeypatch)
        _children(monkeypatch)
        got = read_book(book)
        assert used and used[0] is not None and len(got.log) > 1000
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_no_signal_stays_held_in_the_parent(book, monkeypatch):
    """Ctrl-C and the like are held across the fork only: afterwards the parent's mask is as it was."""
    import signal

    if not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", True)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    child = aside.start(book, "活动记录", min_bytes=0)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    assert child.result() is not None


def test_the_log_starts_loading_before_pandas_is_imported(book):
    """The command line starts the log's child before it imports pandas and the reader
    (``aside.for_log``, ``cli._log_ahead``): neither may creep into that path, or the gain is lost."""
    import subprocess
    import sys

    script = f"""
import sys
from pathlib import Path
import mentor_xl.cli
from mentor_xl.workbook import aside
aside.MIN_BYTES = 0
child = aside.for_log(Path({str(book)!r}))
heavy = sorted(m for m in ("pandas", "mentor_xl.workbook.reader", "mentor_xl.office") if m in sys.modules)
print(child is not None and child.result() is not None, child.part is not None, heavy)
child.cancel()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True", "[]"], out.stderr  # loaded, its part checked apart; no pandas
    # and the command line does call it first: the one child of a compliance run starts with none of them loaded
    script = f"""
import sys
from mentor_xl.workbook import aside
aside.MIN_BYTES = 0
seen, real = [], aside.start
aside.start = lambda *a, **k: seen.append(
    sorted(m for m in ("pandas", "mentor_xl.workbook.reader", "mentor_xl.office") if m in sys.modules)) or real(*a, **k)
from mentor_xl.cli import main
try:
    main(["compliance", {str(book)!r}, "-t", "2024-2025-1", "--json"], standalone_mode=False)
finally:
    print("STARTED", seen, file=sys.stderr)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and '"results"' in out.stdout, out.stderr[-2000:]
    assert "STARTED [[]]" in out.stderr, out.stderr[-2000:]


# the demo book, and an office's own 台账 (工作台账, 学期设置, title and footer rows, no 设置)
_COMMANDS = {"compliance": (False, ["compliance", "-t", "2024-2025-1", "--json"]),
             "check": (False, ["check", "--json"]),
             "assess": (False, ["assess", "-t", "2024-2025-1", "--json"]),
             "office-compliance": (True, ["compliance", "-t", "2024-2025-1", "--policy", "ustb-2022", "--json"])}


@pytest.mark.parametrize("case", list(_COMMANDS))
def test_the_command_line_hands_the_child_it_started_to_the_reader(book, tmp_path, monkeypatch, how_started, case):
    """One child per command, started by the command line before its imports and used by the
    reader (not a second one), giving what the command gives without a child; stopped at the end."""
    from click.testing import CliRunner

    from mentor_xl.cli import main

    office, command = _COMMANDS[case]
    path = ustb_office_book(tmp_path / "本科生导师台账.xlsx") if office else book
    args = [command[0], str(path), *command[1:]]
    plain = CliRunner().invoke(main, args)
    started = _children(monkeypatch)
    used = _results(monkeypatch)
    got = CliRunner().invoke(main, args)
    assert got.exit_code == plain.exit_code and got.output == plain.output
    assert len(started) == 1 and started[0] is not None and len(used) == 1 and used[0] is not None
    child = started[0]
    assert child.proc.poll() is not None and all(f.closed for f in child.files) and child.ready is None


def test_a_command_that_fails_stops_the_child_it_started(book, monkeypatch, how_started):
    from click.testing import CliRunner

    from mentor_xl.cli import main

    started = _children(monkeypatch)
    r = CliRunner().invoke(main, ["assess", str(book)])  # neither --year nor --term: a usage error
    assert r.exit_code == 2 and "--year" in r.output
    [child] = started
    assert child.proc.poll() is not None and all(f.closed for f in child.files)
