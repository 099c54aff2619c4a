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
    assert (book.parent / "导师-2024-2025-1-合规.xlsx").exists()  # named by what it holds (issue 10)
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


@pytest.fixture
def ustb_book(tmp_path):
    path = tmp_path / "北科.xlsx"
    write_xlsx(path, {
        "设置": [["项目", "值"], ["制度", "ustb-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", "2024-09-02", "2025-01-12"]],
        "人员": [["工号", "姓名", "角色", "学院"], ["M1", "导师甲", "本科生导师", "数理学院"],
               ["M2", "导师乙", "本科生导师", "数理学院"], ["F1", "辅导员甲", "辅导员", "材料学院"]],
        "学生": [["学号", "学院"], *[[f"S{i}", "数理学院" if i % 3 else "材料学院"] for i in range(1, 8)]],
        "奖项提名": [["奖项", "工号", "学院", "排序"], ["本科生十佳导师", "M1", None, 1],
                 ["本科生十佳导师提名", "M1", None, 1],   # same ladder: the higher award stands
                 ["本科生优秀导师", "M2", None, 1], ["十佳辅导员", "M2", None, 2],  # role mismatch
                 ["学院学生工作专项", None, "材料学院", 1]],
    })
    return path


def test_awards_json_exact_yuan_and_budget(ustb_book):
    r = cli("awards", ustb_book, "--year", "2024-2025", "--budget", "1.5", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    status = {(a["award"], a["staff_id"] or a["college"]): a["status"] for a in out["awards"]}
    assert status[("本科生十佳导师", "M1")] == "ok"
    assert status[("本科生十佳导师提名", "M1")] == "ineligible"
    assert status[("十佳辅导员", "M2")] == "ineligible"
    assert out["total_yuan"] == 10000 + 2000 + 3000
    assert out["shortfall_yuan"] == 0 and out["headroom_yuan"] == 0


def test_allocate_parts_sum_to_the_total(ustb_book):
    r = cli("allocate", ustb_book, "--total", "100001", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert sum(p["amount_yuan"] for p in out["parts"]) == 100001
    assert {p["group"]: p["students"] for p in out["parts"]} == {"数理学院": 5, "材料学院": 2}


def test_assess_needs_year_or_term_and_ustb_points_to_awards(ustb_book):
    assert cli("assess", ustb_book).returncode == 2
    r = cli("assess", ustb_book, "--year", "2024-2025", "--json")
    assert r.returncode == 0, r.stderr
    assert "awards" in json.loads(r.stdout)["message"]


def test_assess_and_eligibility_write_their_sheets(book):
    r = cli("assess", book, "--year", "2024-2025")
    assert r.returncode == 0, r.stderr
    import openpyxl
    wb = openpyxl.load_workbook(book.parent / "导师-2024-2025-考核.xlsx")  # named by what it holds (issue 10)
    assert wb.sheetnames[:1] == ["考核结果"] and "数据问题" in wb.sheetnames
    r = cli("eligibility", book, "--json")
    assert r.returncode == 0, r.stderr
    assert {x["staff_id"] for x in json.loads(r.stdout)["results"]} == {"T1", "T2"}


def test_docs_and_templates_check(book, tmp_path):
    out = tmp_path / "提醒"
    r = cli("docs", book, "--kind", "整改提醒", "--term", "2024-2025-1", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["T1-张老师-整改提醒.docx", "T2-李老师-整改提醒.docx"]
    assert cli("docs", book, "--kind", "nope", "--out", out).returncode == 2
    r = cli("templates", "check", cwd=ROOT)
    assert r.returncode == 0 and "整改提醒.docx" in r.stdout


def test_collect_then_ingest_round_trip_through_the_cli(book, tmp_path):
    from mentor_xl.mail.simulate import fill_return

    out = tmp_path / "收集"
    r = cli("collect", book, "--term", "2024-2025-1", "--by", "工号", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    sent = sorted(out.glob("*.xlsx"))
    assert len(sent) == 2
    back = tmp_path / "交回"
    back.mkdir()
    fill_return(sent[0], [{"日期": "2024-12-01", "工号": "T1", "活动类型": "谈心谈话", "学号": "S1"},
                          {"日期": "2024-12-02", "工号": "T1", "活动类型": "=HYPERLINK(\"x\")", "学号": "S2"}],
                back / "改了名字的文件.xlsx")
    r = cli("ingest", book, back, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["rows_merged"] == 1 and res["files"][0]["status"] == "accepted"
    assert res["files"][0]["rows_rejected"] == 1
    merged = Path(res["book"])
    assert merged.exists() and merged != book
    again = json.loads(cli("ingest", merged, back, "--json", "--out", tmp_path / "again.xlsx").stdout)
    assert again["rows_merged"] == 0  # the same return twice adds nothing


def test_demo_runs_every_step(tmp_path):
    r = cli("demo", tmp_path / "演示", "--policy", "hfut-math")
    assert r.returncode == 0, r.stderr
    d = tmp_path / "演示"
    made = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()}
    assert "示例单位-hfut-math-2024-2025-1-合规.xlsx" in made
    assert "示例单位-hfut-math-2024-2025-考核.xlsx" in made
    assert sum(p.startswith("公文/工作记录表/") for p in made) > 40
    assert any(p.startswith("邮件往返/") and p.endswith("已合并.xlsx") for p in made)
    for word in ("合规率", "考核", "公文", "收集表", "经费分配"):
        assert word in r.stdout


def test_office_named_on_the_command_line_heads_the_results(tmp_path):
    """An office's own 台账 has no 设置 sheet, so no 单位名称: ``--office`` puts the name on 总览's
    title and every page header (``&`` kept as text in the header), and the summary's paragraph."""
    import openpyxl

    from officebook import bit_office_book

    book = bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True)
    r = cli("compliance", book, "--policy", "bit-2022", "-t", "2024-2025-1", "--office", "  北京理工大学\u3000精工书院 & 睿信书院 ")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "精工书院台账-2024-2025-1-合规.xlsx")
    name = "北京理工大学 精工书院 & 睿信书院"
    assert wb["总览"]["A1"].value.startswith(name + "2024-2025-1学期")
    assert name + "应考核导师" in wb["总览"]["A3"].value  # the paragraph for the term report
    for ws in wb.worksheets:
        assert ws.oddHeader.left.text == name.replace("&", "&&"), ws.title
    # without it the book's own 设置 (none here) leaves the name out rather than guessing one
    r = cli("compliance", book, "--policy", "bit-2022", "-t", "2024-2025-1", "-o", tmp_path / "无名.xlsx")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "无名.xlsx")
    assert wb["总览"]["A1"].value.startswith("2024-2025-1学期") and not wb["总览"].oddHeader.left.text


def test_office_named_on_the_command_line_heads_every_report(tmp_path):
    """``--office`` on assess, eligibility, awards and allocate as on compliance: the office's own
    台账 (no 设置) prints its name above every page of every sheet, 数据问题 included; without it the
    header leaves the name out."""
    import openpyxl

    from officebook import bit_office_book

    book = bit_office_book(tmp_path / "精工书院台账.xlsx", with_terms=True)
    runs = {"考核": ["assess", "-y", "2024-2025"], "资格审查": ["eligibility", "-t", "2024-2025-1"],
            "经费": ["allocate", "--total", "100000"]}
    for what, args in runs.items():
        for unit, name in (("  北京理工大学\u3000精工\x01书院 ", "北京理工大学 精工 书院"), (None, "")):
            out = tmp_path / f"{what}-{bool(unit)}.xlsx"
            r = cli(*args[:1], book, *args[1:], "--policy", "bit-2022", "-o", out,
                    *(["--office", unit] if unit else []))
            assert r.returncode == 0, (what, r.stderr)
            wb = openpyxl.load_workbook(out)
            assert "数据问题" in wb.sheetnames, what
            for ws in wb.worksheets:
                assert (ws.oddHeader.left.text or "") == name, (what, ws.title, ws.oddHeader.left.text)
    # awards (a pack with an award catalogue): --office over the 设置's 单位名称
    from mentor_xl.demo import build_demo_book

    demo = build_demo_book(tmp_path / "示例.xlsx", "ustb-2022").path
    r = cli("awards", demo, "-y", "2024-2025", "-o", tmp_path / "奖励.xlsx", "--office", "北京科技大学学生工作部")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "奖励.xlsx")
    assert {ws.oddHeader.left.text for ws in wb.worksheets} == {"北京科技大学学生工作部"}


@pytest.mark.parametrize("code, rc, err", [(0, 0, ""), (None, 0, ""), (2, 2, ""), ("错误：说明", 1, "错误：说明")])
def test_the_command_line_leaves_as_the_interpreter_would_less_the_freeing(tmp_path, code, rc, err):
    """``cli.run`` ends the process with ``cli_errors.leave``: a thread still working is waited
    for, atexit functions run, the output is flushed, the exit code is SystemExit's (words go to
    stderr, code 1); only the objects are not freed one by one."""
    done = tmp_path / "done.txt"
    script = f"""
import atexit, threading, time, sys
from mentor_xl.cli_errors import leave
def work():
    time.sleep(0.3)
    open({str(done)!r}, "a").write("thread ")
threading.Thread(target=work).start()
atexit.register(lambda: open({str(done)!r}, "a").write("atexit"))
sys.stdout.write("unflushed")
leave({code!r})
print("never")
"""
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert (p.returncode, p.stdout, p.stderr.strip()) == (rc, "unflushed", err)
    assert done.read_text() == "thread atexit"


def test_python_m_and_the_script_go_through_run():
    """Both ways the command line starts end with ``leave`` (``cli.run``), not Python's teardown."""
    assert (ROOT / "mentor_xl" / "__main__.py").read_text().strip().splitlines()[-1] == "run()"
    assert 'mentor-xl = "mentor_xl.cli:run"' in (ROOT / "pyproject.toml").read_text()
