"""LibreOffice headless wrapper: many files in one run, formulas recalculated, clear errors."""
from __future__ import annotations

import csv
import os
import time

import openpyxl
import psutil
import pytest
import xlsxwriter

from mentor_xl import libreoffice as lo



def needs_soffice(fn):
    """LibreOffice test: skipped when soffice is missing, except on CI (CI env var) where it must run."""
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


def _formula_book(path, numbers, label):
    # XlsxWriter caches 0 as the formulas' value: only a real recalculation gives the sums.
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("数据")
    ws.write_string(0, 0, label)
    ws.write_column(1, 0, numbers)
    ws.write_formula(0, 1, f"=SUM(A2:A{len(numbers) + 1})")
    ws.write_formula(0, 2, f'=COUNTIFS(A2:A{len(numbers) + 1},">2")')
    wb.close()
    return path


def test_find_soffice_honours_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_XL_SOFFICE", str(tmp_path / "nope" / "soffice"))
    assert lo.find_soffice() is None


def test_missing_soffice_is_a_chinese_runtime_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_XL_SOFFICE", str(tmp_path / "nope" / "soffice"))
    src = _formula_book(tmp_path / "a.xlsx", [1, 2, 3], "甲")
    with pytest.raises(lo.LibreOfficeMissing) as e:
        lo.convert([src], "xlsx", tmp_path / "out")
    assert isinstance(e.value, RuntimeError)
    assert "未找到 LibreOffice" in str(e.value)


def test_refuses_same_stem_and_in_place_output(tmp_path):
    (tmp_path / "x").mkdir()
    a = _formula_book(tmp_path / "a.xlsx", [1], "甲")
    b = _formula_book(tmp_path / "x" / "a.xlsx", [1], "乙")
    with pytest.raises(ValueError, match="同名"):
        lo.convert([a, b], "pdf", tmp_path / "out")
    with pytest.raises(ValueError, match="输出文件与输入文件相同"):
        lo.recalculate_xlsx(a, tmp_path)
    with pytest.raises(FileNotFoundError):
        lo.convert([tmp_path / "missing.xlsx"], "pdf", tmp_path / "out")
    assert lo.convert([], "pdf", tmp_path / "out") == []


@needs_soffice
def test_recalculates_many_files_in_one_call(tmp_path):
    srcs = [_formula_book(tmp_path / f"b{i}.xlsx", [i, i + 1, i + 2, 10], f"表{i}") for i in range(3)]
    outs = lo.convert(srcs, "xlsx", tmp_path / "out")
    assert outs == [tmp_path / "out" / f"b{i}.xlsx" for i in range(3)]
    for i, out in enumerate(outs):
        ws = openpyxl.load_workbook(out, data_only=True)["数据"]
        assert ws["B1"].value == 3 * i + 3 + 10
        assert ws["C1"].value == sum(1 for v in (i, i + 1, i + 2, 10) if v > 2)
        assert ws["A1"].value == f"表{i}"


@needs_soffice
def test_recalculate_xlsx_and_csv_utf8(tmp_path):
    src = _formula_book(tmp_path / "c.xlsx", [5, 1, 7], "中文标签")
    out = lo.recalculate_xlsx(src, tmp_path / "re")
    assert openpyxl.load_workbook(out, data_only=True).active["B1"].value == 13
    (csv_path,) = lo.convert([src], lo.CSV_UTF8, tmp_path / "csv")
    rows = list(csv.reader(csv_path.open(encoding="utf-8")))
    assert rows[0] == ["中文标签", "13", "2"]


@needs_soffice
def test_timeout_kills_the_process_group(tmp_path):
    src = _formula_book(tmp_path / "d.xlsx", [1], "甲")
    outdir = tmp_path / "slow-out"
    with pytest.raises(lo.LibreOfficeTimeout, match="已终止"):
        lo.convert([src], "xlsx", outdir, timeout=0.2)  # start-up alone takes longer
    time.sleep(0.5)
    left = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(str(outdir) in a for a in (p.info["cmdline"] or [])):
                left.append(p.pid)
        except psutil.Error:
            pass
    assert left == []
    assert not (outdir / "d.xlsx").exists()
