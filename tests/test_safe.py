"""Formula-injection protection and atomic writes that survive a kill -9."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from mentor_xl.safe import (EXCEL_MAX_CHARS, atomic_write, backup_path, cell_text, csv_text,
                            needs_quote, needs_quote_many)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text", ["=1+1", "=HYPERLINK(\"http://x\",\"点我\")", "+A1", "-A1*2",
                                  "@SUM(A1)", "\tx", "\rx", "-", "+", "-1+2", "--1", "=-3"])
def test_risky_text_needs_quote(text):
    assert needs_quote(text)


@pytest.mark.parametrize("text", ["-3", "+86", "-0.5", "- 12", "+8613800000000", "-1,000.50", "-5%",
                                  "谈心谈话", " =1+1", "2024-10-01", "a=b", "1e5", ""])
def test_safe_text_is_left_alone(text):
    assert not needs_quote(text)


def test_needs_quote_many_agrees_with_needs_quote():
    texts = ["=1+1", "＝ＳＵＭ(A1)", "＋1", "－", "＠x", "\tx", "\rx", "-3", "+86", "－0.5", "@", "",
             "数学2401", "a=b", " =x", "张三", "-", "+", "1-2"]
    want = [needs_quote(t) for t in texts]
    assert needs_quote_many(texts) == want
    assert want[:10] == [True, True, False, True, True, True, True, False, False, False]


def test_cell_text_blank_values_and_lists():
    assert cell_text(None) is None
    assert cell_text(float("nan")) is None
    assert cell_text(pd.NA) is None
    assert cell_text(pd.NaT) is None
    assert cell_text("") is None
    assert cell_text("=1+1") == "=1+1"  # the value is never altered for xlsx
    assert cell_text(["2024-10-01", "2024-11-01"]) == "2024-10-01、2024-11-01"
    assert cell_text((1, None, "乙")) == "1、乙"
    assert cell_text(12) == "12"
    long = "长" * (EXCEL_MAX_CHARS + 10)
    cut = cell_text(long)
    assert len(cut) == EXCEL_MAX_CHARS and cut.endswith("…")


def test_csv_text_prefixes_apostrophe_only_when_risky():
    assert csv_text("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_text("-3") == "-3"
    assert csv_text("内容") == "内容"
    assert csv_text(None) == ""


def test_atomic_write_replaces_and_keeps_backup(tmp_path):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    atomic_write(target, lambda p: p.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    assert backup_path(target) == tmp_path / "book.bak.xlsx"
    assert backup_path(target).read_bytes() == b"old"
    atomic_write(target, lambda p: p.write_bytes(b"newer"), backup=False)
    assert backup_path(target).read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.bak.xlsx", "book.xlsx"]


def test_atomic_write_gives_writer_same_dir_and_suffix(tmp_path):
    seen = []
    atomic_write(tmp_path / "a.xlsm", lambda p: (seen.append(p), p.write_text("x")))
    assert seen[0].parent == tmp_path and seen[0].suffix == ".xlsm" and not seen[0].exists()


def test_failed_writer_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")

    def boom(p):
        p.write_bytes(b"half")
        raise RuntimeError("写到一半出错")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]

    with pytest.raises(RuntimeError, match="没有生成文件"):
        atomic_write(target, lambda p: None)
    assert target.read_bytes() == b"old"


def test_kill_9_mid_write_leaves_old_file_intact(tmp_path):
    target = tmp_path / "book.xlsx"
    old = b"PK-old-workbook-content" * 100
    target.write_bytes(old)
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from mentor_xl.safe import atomic_write
        def slow(p):
            with open(p, "wb") as f:
                for i in range(1000):
                    f.write(b"new-content-" * 1000)
                    f.flush()
                    if i == 3:
                        print("WRITING", flush=True)
                    time.sleep(0.05)
        atomic_write({str(target)!r}, slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"WRITING"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    # The half-written data went to a temporary file beside it, never into the workbook.
    temps = [p for p in tmp_path.iterdir() if p.name not in ("book.xlsx",)]
    assert len(temps) == 1 and temps[0].name.startswith(".book.") and temps[0].stat().st_size > 0
    assert not backup_path(target).exists()


def test_a_refusal_before_replace_leaves_the_old_file_and_nothing_else(tmp_path):
    """``before_replace`` (the CLI confirms the log's last check there) runs on the complete file,
    before the backup and the swap: when it raises, the old file is as it was, no backup is made
    and the temporary file is gone; when it passes, the file is put in place."""
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"old")
    seen = []

    def refuse():
        seen.append(sorted(p.read_bytes() for p in tmp_path.iterdir()))
        raise RuntimeError("拒绝")

    with pytest.raises(RuntimeError, match="拒绝"):
        atomic_write(target, lambda tmp: tmp.write_bytes(b"new"), before_replace=refuse)
    assert seen == [[b"new", b"old"]]  # the new file was complete when asked
    assert [p.name for p in tmp_path.iterdir()] == ["结果.xlsx"] and target.read_bytes() == b"old"
    atomic_write(target, lambda tmp: tmp.write_bytes(b"new"), before_replace=lambda: None)
    assert target.read_bytes() == b"new" and backup_path(target).read_bytes() == b"old"
