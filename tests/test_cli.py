"""The command line through a real subprocess: exit codes, JSON shape, files written."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers_xlsx import write_xlsx
from mentor_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mentor_xl", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd)


@pytest.fixture
def book(tmp_path):
    """A small bit-2022 workbook written cell by cell, with one bad date and one unknown type."""
    path = tmp_path / "导师.xlsx"
    write_xlsx(path, {
        "设置": [["项目", "值"], ["制度", "bit-2022"], ["学年", "2024-2025"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", "2024-09-02", "2025-01-12"]],
        "假期": [["开始日期", "结束日期", "名称"], ["2024-10-01", "2024-10-07", "国庆节"]],
        "人员": [["工号", "姓名", "角色"], ["T1", "张老师", "学育导师"], ["T2", "李老师", "学育导师"]],
        "指导关系": [["工号", "学号"], ["T1", "S1"], ["T1", "S2"], ["T2", "S3"]],
        "活动记录": [["日期", "工号", "活动类型", "学号"],
                 ["2024-09-10", "T1", "谈心谈话", "S1、S2"],
                 ["2024-13-01", "T1", "谈心谈话", "S1"],          # row 3: bad date
                 ["2024-10-10", "T1", "喝茶聊天", "S1"],          # row 4: unknown type
                 ["2024-11-10", "T2", "午餐会", "S3"]],
    })
    return path


def test_compliance_json_shape_and_problems_with_excel_rows(book):
    r = cli("compliance", book, "--term", "2024-2025-1", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["policy"], out["term"]) == ("bit-2022", "2024-2025-1")
    first = out["results"][0]
    for key in ("staff_id", "role", "rule", "student_id", "class", "status", "required", "met", "rate", "missed_periods"):
        assert key in first
    assert {"staff_id", "rules_required", "rules_met", "rate"} <= set(out["staff"][0])
    where = {(p["sheet"], p["row"], p["column"], p["value"]) for p in out["problems"]}
    assert ("活动记录", 3, "日期", "2024-13-01") in where
    assert ("活动记录", 4, "活动类型", "喝茶聊天") in where
    t1 = next(x for x in out["results"] if x["rule"] == "bit.monthly-talk" and x["student_id"] == "S1")
    assert (t1["required"], t1["met"]) == (4, 1)


def test_compliance_writes_results_beside_the_input(book):
    before = book.read_bytes()
    r = cli("compliance", book, "--term", "2024-2025学年第一学期")
    assert r.returncode == 0, r.stderr
    assert (book.parent / "导师-结果.xlsx").exists()
    assert "结果工作簿" in r.stdout
    assert book.read_bytes() == before  # the input is never touched


def test_unknown_term_is_exit_1_with_a_chinese_message(book):
    r = cli("compliance", book, "--term", "2030-2031-1")
    assert r.returncode == 1
    assert "学期表中没有学期" in r.stderr and "Traceback" not in r.stderr


def test_bad_usage_is_exit_2(book):
    assert cli("compliance", book).returncode == 2  # --term missing
    assert cli("init", book.parent / "x.xlsx", "--policy", "nope-2020").returncode == 2


def test_check_lists_problems_and_writes_nothing(book):
    files = set(book.parent.iterdir())
    r = cli("check", book, "--json")
    assert r.returncode == 0, r.stderr
    assert any(p["row"] == 3 and p["column"] == "日期" for p in json.loads(r.stdout)["problems"])
    r = cli("check", book)
    assert "第3行" in r.stdout and "日期" in r.stdout
    assert set(book.parent.iterdir()) == files


def test_init_then_check_a_blank_book(tmp_path):
    path = tmp_path / "空白.xlsx"
    r = cli("init", path, "--policy", "hfut-math", "--year", "2024-2025")
    assert r.returncode == 0, r.stderr
    r = cli("check", path, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["policy"] == "hfut-math"
    assert cli("init", path, "--policy", "hfut-math").returncode == 1  # exists, no --force


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`mentor-xl ([a-z-]+)", readme))
    assert set(main.commands) <= documented, set(main.commands) - documented
