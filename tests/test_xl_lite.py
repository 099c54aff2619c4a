"""The Lite workbook's main.py as Pyodide sees it: native packages absent, mentor_xl maybe absent.

Each case runs in a fresh interpreter in which the named modules cannot be imported (as
under Pyodide, where python-calamine, extract-msg and fastexcel have no build), loads
lite/main.py the way Lite does, and presses a button on an in-memory workbook.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mentor_xl.xl import build as Bd

TESTS = Path(__file__).resolve().parent
NATIVE = ["fastexcel", "python_calamine", "extract_msg"]

SCRIPT = r"""
import importlib.abc, importlib.util, json, sys

BLOCKED = set(json.loads(sys.argv[1]))
from test_xl_buttons import bit_book, set_params  # the workbook is built before anything is blocked

book = bit_book()
if "mentor_xl" not in BLOCKED:
    set_params(book, 学期="2024-2025-1")
else:
    book.sheets.add("操作")


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named '{name}'")


# main.py imports mentor_xl afresh, as Lite does, with the blocked modules unavailable
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED | {"mentor_xl"}:
        del sys.modules[name]
sys.meta_path.insert(0, Block())
spec = importlib.util.spec_from_file_location("main", sys.argv[2])
main = importlib.util.module_from_spec(spec)
spec.loader.exec_module(main)
main.compliance(book)
ops = book.sheets["操作"]
print(json.dumps({"status": ops["B2"].value, "message": ops["B3"].value,
                  "sheets": [s.name for s in book.sheets],
                  "loaded": sorted(m for m in BLOCKED if m in sys.modules)}, ensure_ascii=False))
"""


def run_lite(blocked: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(blocked), str(Bd.LITE_MAIN)],
                       capture_output=True, text=True, env=env, cwd=TESTS)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_without_the_native_packages_pyodide_lacks_the_buttons_still_compute():
    out = run_lite(NATIVE)
    assert out["status"] == "完成", out["message"]
    assert {"合规汇总", "人员汇总", "合规明细"} <= set(out["sheets"]) and out["loaded"] == []


@pytest.mark.parametrize("blocked", [["mentor_xl"], ["mentor_xl", "xlwings"], ["pyarrow"]])
def test_when_an_import_fails_the_button_says_so_in_chinese(blocked):
    out = run_lite(NATIVE + blocked)
    assert out["status"] == "出错"
    assert out["message"].startswith("xlwings Lite 无法加载 mentor_xl（")
    assert "离线安装包" in out["message"] and "合规汇总" not in out["sheets"]


def test_every_import_of_main_py_is_inside_the_status_reporting_try():
    import ast

    tree = ast.parse(Bd.LITE_MAIN.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert top == []
    tries = [n for n in tree.body if isinstance(n, ast.Try)]
    assert len(tries) == 2 and all(isinstance(t.body[0], (ast.Import, ast.ImportFrom)) for t in tries)


def test_requirements_have_lites_required_lines_and_never_mentor_xl_by_name():
    lines = [ln for ln in Bd.LITE_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    required = [ln.split("#")[0].strip() for ln in lines if ln.endswith("# required")]
    assert [r.split("==")[0] for r in required] == ["xlwings", "python-dotenv", "pyodide-http", "black"]
    assert lines == [ln for ln in lines if ln.endswith("# required")]  # nothing else until we publish
    assert "mentor_xl" not in Bd.lite_requirements().replace("# mentor_xl", "").split("#")[0]
    published = Bd.lite_requirements("https://files.example.edu.cn/mentor_xl-0.1.0-py3-none-any.whl")
    assert published.splitlines()[-1] == "https://files.example.edu.cn/mentor_xl-0.1.0-py3-none-any.whl"
    with pytest.raises(ValueError):
        Bd.lite_requirements("mentor_xl\nevil")


def test_native_dependencies_are_left_out_under_emscripten():
    from packaging.markers import Marker
    from packaging.requirements import Requirement

    meta = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    deps = {Requirement(d).name: Requirement(d) for d in meta["project"]["dependencies"]}
    pyodide = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32"}
    for name in ("fastexcel", "python-calamine", "extract-msg"):
        marker = deps[name].marker
        assert marker is not None and not marker.evaluate(pyodide), name
        assert marker.evaluate({"platform_system": "Windows"})
    assert Marker("platform_system != 'Emscripten'").evaluate({"platform_system": "Linux"})
    assert Bd.LITE_PYODIDE_VERSION == "0.29.3"
