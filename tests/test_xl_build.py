"""build-workbooks: the Lite .xlsx and the macro .xlsm of every pack, checked part by part.

Excel is not available here: the tests check what Excel and xlwings Lite read (the zip
parts, the shapes and their hyperlinks, the VBA project through oletools' olevba) and run
the Python side of every button and macro on the built workbook itself.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from oletools.olevba import VBA_Parser

from mentor_xl import libreoffice as lo
from mentor_xl.packs import available
from mentor_xl.workbook.reader import read_book
from mentor_xl.xl import build as Bd
from mentor_xl.xl import buttons as B
from fake_book import FakeBook

REPO = Path(__file__).resolve().parents[1]
PACK = "ustb-2022"  # has an award catalogue, so every button has work to do
COMMITTED = REPO / "workbooks"
NS = {"xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("workbooks")
    lite, xlsm = Bd.workbook_paths(out, PACK)
    return {"lite": Bd.build_lite_workbook(lite, PACK), "xlsm": Bd.build_macro_workbook(xlsm, PACK)}


def shapes(path: Path) -> dict[str, str]:
    """Shape name → internal hyperlink target of the first drawing (the 操作 sheet's)."""
    with zipfile.ZipFile(path) as z:
        drawing = ET.fromstring(z.read("xl/drawings/drawing1.xml"))
        rels = ET.fromstring(z.read("xl/drawings/_rels/drawing1.xml.rels"))
        sheet_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        first_sheet = ET.fromstring(z.read("xl/workbook.xml")).find(
            "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheets")[0].get("name")
    assert "drawing1.xml" in sheet_rels and first_sheet == B.CONTROL_SHEET
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for pr in drawing.iter(f"{{{NS['xdr']}}}cNvPr"):
        link = pr.find("a:hlinkClick", NS)
        out[pr.get("name")] = target[link.get(f"{{{NS['r']}}}id")] if link is not None else None
    return out


def check_lite(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        ct = z.read("[Content_Types].xml").decode()
        root_rels = z.read("_rels/.rels").decode()
    assert {"xl/webextensions/webextension1.xml", "xl/webextensions/taskpanes.xml",
            "xl/webextensions/_rels/taskpanes.xml.rels"} <= names
    assert Bd.TASKPANES_CT in ct and Bd.WEBEXTENSION_CT in ct
    assert Bd.TASKPANES_REL in root_rels
    code = Bd.embedded_lite_code(path)
    # decoded back byte-identical to the sources
    assert code["main.py"].encode("utf-8") == Bd.LITE_MAIN.read_bytes()
    assert code["requirements.txt"].encode("utf-8") == Bd.LITE_REQUIREMENTS.read_bytes()
    assert code["pyodideVersion"] == Bd.LITE_PYODIDE_VERSION
    with zipfile.ZipFile(path) as z:
        we = z.read("xl/webextensions/webextension1.xml").decode()
    assert f'<we:reference id="{Bd.LITE_STORE_ID}"' in we and 'storeType="OMEX"' in we
    # every @script(button="[shape]Sheet!Cell") has its shape, linked to exactly that cell
    found = shapes(path)
    specs = Bd.lite_buttons()
    assert [b.script for b in specs] == [b.id for b in B.BUTTONS if b.lite]
    assert found == {b.shape: f"#{b.sheet}!{b.cell}" for b in specs}


# the _VBA_PROJECT stream of xlwings' own quickstart_standalone.xlsm (MS-OVBA 2.3.4.1, no p-code cache)
XLWINGS_TEMPLATE_VBA_PROJECT = bytes.fromhex("cc61ffff000100")


def vba_project_stream(path: Path) -> bytes:
    """The VBA/_VBA_PROJECT stream of a workbook's VBA project, read through olevba."""
    with zipfile.ZipFile(path) as z:
        data = z.read("xl/vbaProject.bin")
    vp = VBA_Parser(str(path.with_suffix(".bin")), data=data)
    try:
        ((root, _, _),) = vp.find_vba_projects()
        return vp.ole_file.openstream(root + "VBA/_VBA_PROJECT").read()
    finally:
        vp.close()


def test_vba_project_stream_is_the_one_xlwings_own_template_has():
    template = Path(xw.__file__).parent / "quickstart_standalone.xlsm"
    assert vba_project_stream(template) == XLWINGS_TEMPLATE_VBA_PROJECT
    project = Bd.vba_project_bin(Bd.macro_sources())
    vp = VBA_Parser("project.bin", data=project)
    assert {n for _, _, n, _ in vp.extract_all_macros()} >= {"mentor_xl_buttons.bas", "xlwings.bas"}
    ((root, _, _),) = vp.find_vba_projects()
    assert vp.ole_file.openstream(root + "VBA/_VBA_PROJECT").read() == XLWINGS_TEMPLATE_VBA_PROJECT
    vp.close()


def check_xlsm(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        ct = z.read("[Content_Types].xml").decode()
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
        assert "xl/vbaProject.bin" in z.namelist()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in ct
    vp = VBA_Parser(str(path))
    modules = {name: code for _, _, name, code in vp.extract_all_macros()}
    vp.close()
    assert vba_project_stream(path) == XLWINGS_TEMPLATE_VBA_PROJECT
    assert {"mentor_xl_buttons.bas", "mentor_xl_print.bas", "xlwings.bas", "Dictionary.cls"} <= set(modules)
    assert f"'Version: {xw.__version__}" in modules["xlwings.bas"]  # the standalone module of the pinned xlwings
    subs = set(re.findall(r"^(?:Public )?Sub (\w+)\(\)", "\n".join(modules.values()), re.M))
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert macros == [b.sub for b in Bd.macro_buttons()]
    assert set(macros) <= subs  # every button's macro exists in the built project
    assert "ImportPythonUDFs" in subs
    # the VBA source in the project is the .bas kept as text
    src = Bd.macro_sources()["mentor_xl_buttons"]
    assert modules["mentor_xl_buttons.bas"].replace("\r\n", "\n").strip() == src.strip()
    wb = openpyxl.load_workbook(path, read_only=True)
    conf = wb[Bd.CONF_SHEET]
    assert [list(r) for r in conf.iter_rows(values_only=True)] == [["UDF Modules", Bd.UDF_MODULE],
                                                                   ["ADD_WORKBOOK_TO_PYTHONPATH", "False"]]
    assert wb.sheetnames[:2] == [B.CONTROL_SHEET, Bd.GUIDE_SHEET]
    wb.close()


def test_lite_workbook_structure(built):
    check_lite(built["lite"])


def test_macro_workbook_structure(built):
    check_xlsm(built["xlsm"])


def test_office_sheets_of_the_built_workbooks_read_cleanly(built):
    for path in built.values():
        book = read_book(path)
        assert book.policy == PACK
        assert len(book.log) > 0 and len(book.staff) == Bd.DEMO_STAFF
        assert not [p for p in book.problems if p.level == "error"]


def test_openpyxl_resave_drops_the_lite_parts_so_they_are_embedded_last(built, tmp_path):
    copy = tmp_path / "resaved.xlsx"
    wb = openpyxl.load_workbook(built["lite"])
    wb.save(copy)
    assert Bd.embedded_lite_code(copy) == {}
    Bd.embed_lite_code(copy, Bd.LITE_MAIN.read_text(encoding="utf-8"),
                       Bd.LITE_REQUIREMENTS.read_text(encoding="utf-8"))
    assert Bd.embedded_lite_code(copy)["main.py"].encode("utf-8") == Bd.LITE_MAIN.read_bytes()
    openpyxl.load_workbook(copy).close()  # still a valid workbook


@pytest.mark.parametrize("script", [b.script for b in Bd.lite_buttons()])
def test_each_lite_button_runs_on_the_lite_workbook(built, script):
    import importlib.util

    spec = importlib.util.spec_from_file_location("lite_main", Bd.LITE_MAIN)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    book = FakeBook.from_xlsx(built["lite"])
    getattr(main, script)(book)
    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "完成", ops.range(B.MESSAGE_CELL).value


def _python_of(button: Bd.MacroButton, book, monkeypatch):
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    exec(button.command, {})


@pytest.mark.parametrize("button", [b for b in Bd.macro_buttons() if b.command], ids=lambda b: b.sub)
def test_python_side_of_each_macro_runs_on_the_macro_workbook(built, button, tmp_path, monkeypatch):
    path = tmp_path / built["xlsm"].name
    shutil.copy(built["xlsm"], path)  # the docs button writes beside the workbook
    book = FakeBook.from_xlsx(path)
    sheets_before = [s.name for s in book.sheets]
    files_before = set(tmp_path.rglob("*"))
    _python_of(button, book, monkeypatch)
    ops = book.sheets[B.CONTROL_SHEET]
    assert ops.range(B.STATUS_CELL).value == "完成", ops.range(B.MESSAGE_CELL).value
    new_sheets = [s.name for s in book.sheets if s.name not in sheets_before]
    new_files = [p for p in set(tmp_path.rglob("*")) - files_before if p.is_file()]
    assert new_sheets or new_files  # a result sheet, or files saved beside the workbook


def test_every_macro_command_drops_the_current_folder_from_sys_path_first(monkeypatch):
    commands = [b.command for b in Bd.macro_buttons() if b.command]
    assert commands and all(c.startswith("import sys; sys.path[:] = [p for p in sys.path if p]; ") for c in commands)
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    seen = {}
    monkeypatch.setattr(B, "main", lambda button_id: seen.setdefault("path", list(sys.path)))
    exec(commands[0], {})
    assert "" not in seen["path"] and seen["path"]


def test_import_formulas_macro_finds_the_udf_module():
    import importlib

    (imp,) = [b for b in Bd.macro_buttons() if b.sub == "MentorImportFormulas"]
    assert imp.caption == "导入公式" and not imp.command
    mod = importlib.import_module(Bd.UDF_MODULE)
    assert [f.__name__ for f in mod.UDFS] == ["MENTOR_TIER", "MENTOR_AWARD", "MENTOR_ALLOCATE"]


@pytest.mark.parametrize("pack", available())
def test_committed_workbooks_of_every_pack(pack):
    """workbooks/ (built by ``python -m mentor_xl.xl.build``, also in CI) holds both files of each pack."""
    lite, xlsm = Bd.workbook_paths(COMMITTED, pack)
    assert lite.is_file() and xlsm.is_file(), "run: python -m mentor_xl.xl.build workbooks"
    check_lite(lite)
    check_xlsm(xlsm)
    assert read_book(lite).policy == pack


@needs_soffice
def test_libreoffice_opens_both_built_workbooks(built, tmp_path):
    outs = lo.convert([built["lite"], built["xlsm"]], "xlsx", tmp_path)
    for out in outs:
        wb = openpyxl.load_workbook(out, read_only=True)
        assert wb.sheetnames[0] == B.CONTROL_SHEET
        assert next(wb[B.CONTROL_SHEET].iter_rows(values_only=True))[0] == "导师工作助手（mentor_xl）"
        wb.close()
