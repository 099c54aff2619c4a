"""Messy-input twins: the same office data typed the way offices really type it must give
exactly the same compliance as its clean version, and every bad cell is named by row.

Clean: canonical headers in A1, real date cells, numbers as numbers.
Messy: title rows and offsets, alias headers, an office's own header mapped in 列映射, a
merged two-row header, dates as text in five forms and as Excel serials, full-width digits,
units (2小时), IDs turned into numbers, odd list separators, stray spaces, blank rows.
"""
import datetime as dt

import pytest

from helpers_xlsx import write_xlsx
from mentor_xl.office import open_office

D = dt.date
TERMS = [["2024-2025-1", D(2024, 9, 2), D(2025, 1, 12)]]
HOLIDAYS = [[D(2024, 10, 1), D(2024, 10, 7), "国庆节"]]

CASES = {
    "bit-2022": dict(
        staff=[["1001", "张老师", "学育导师"], ["1002", "李老师", "学育导师"]],
        students=[["2024010001", "学生甲", "C1"], ["2024010002", "学生乙", "C1"], ["2024010003", "学生丙", "C2"]],
        pairs=[["1001", "2024010001", None], ["1001", "2024010002", None], ["1002", "2024010003", None]],
        log=[[D(2024, 9, 10), "1001", "谈心谈话", "2024010001、2024010002", None, None, 1.5, None],
             [D(2024, 10, 12), "1001", "下午茶", "2024010001", None, None, 2, None],
             [D(2024, 11, 5), "1002", "午餐会", "2024010003", None, None, None, None],
             [D(2024, 12, 1), "1002", "音乐会", "2024010003", None, None, None, 3]]),
    "hfut-math": dict(
        staff=[["1001", "王老师", "班主任"]],
        students=[["2023010001", "学生甲", "数学2301"]],
        pairs=[["1001", None, "数学2301"]],
        log=[[D(2024, 9, 3), "1001", "深入教室", None, None, None, 2, None],
             [D(2024, 9, 20), "1001", "家长联系", None, None, None, 0.5, 4],
             [D(2024, 10, 9), "1001", "深入宿舍", None, None, None, 1.5, None],
             [D(2024, 11, 9), "1001", "主题班会", None, "数学2301", None, 2, None],
             [D(2024, 7, 20), "1001", "工作计划", None, None, None, 3, None]]),
    "lctc-2024": dict(
        staff=[["1001", "赵老师", "班级导师"]],
        students=[["2024010001", "学生甲", "C1"], ["2024010002", "学生乙", "C1"], ["2024010003", "学生丙", "C1"]],
        pairs=[["1001", None, "C1"]],
        log=[[D(2024, 9, 3), "1001", "结对指导", "2024010001，2024010002；2024010003", None, None, None, None],
             [D(2024, 9, 4), "1001", "宿舍指导", None, None, "5-301", None, None],
             [D(2024, 10, 8), "1001", "谈心谈话", "2024010001 2024010002", "C1", None, None, None],
             [D(2024, 11, 8), "1001", "专题教育班会", None, "C1", None, None, None]]),
    "ustb-2022": dict(
        staff=[["1001", "钱老师", "辅导员"], ["1002", "孙老师", "本科生导师"]],
        students=[["2024010001", "学生甲", "C1"], ["2024010002", "学生乙", "C1"]],
        pairs=[["1001", None, "C1"], ["1002", "2024010001", None]],
        log=[[D(2024, 9, 3), "1001", "深入宿舍", None, None, None, None, None],
             [D(2024, 9, 5), "1001", "宿舍走访", None, None, None, None, None],
             [D(2024, 9, 26), "1001", "主题班会", "2024010002", None, None, None, None],
             [D(2024, 10, 10), "1002", "一对多交流", "2024010001、2024010002", None, None, None, None]]),
}

LOG_HEAD = ["日期", "工号", "活动类型", "学号", "班级", "宿舍", "时长", "人次"]
MESSY_LOG_HEAD = ["活动日期", "职工号", "类型", "学生学号", "班级名称", "寝室", "时长（小时）", "人数"]


def clean_book(path, policy, c):
    return write_xlsx(path, {
        "设置": [["项目", "值"], ["制度", policy]],
        "学期": [["学期", "开始日期", "结束日期"], *TERMS],
        "假期": [["开始日期", "结束日期", "名称"], *HOLIDAYS],
        "人员": [["工号", "姓名", "角色"], *c["staff"]],
        "学生": [["学号", "姓名", "班级"], *c["students"]],
        "指导关系": [["工号", "学号", "班级"], *c["pairs"]],
        "活动记录": [LOG_HEAD, *c["log"]],
    })


def _date_text(d: dt.date, i: int):
    forms = [f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}", f"{d.year}年{d.month}月{d.day}日",
             f"{d:%Y%m%d}", (d - D(1899, 12, 30)).days, f" {d.isoformat()} "]
    return forms[i % len(forms)]


def _num_text(v, i):
    if v is None:
        return None
    s = f"{v:g}"
    return [s.translate(str.maketrans("0123456789.", "０１２３４５６７８９．")), f"{s}小时", float(v)][i % 3]


def _id(v):
    """An all-digit ID typed into Excel becomes a number."""
    return int(v) if isinstance(v, str) and v.isdigit() else v


def messy_book(path, policy, c):
    log = [["2024-2025学年 导师工作记录（请勿修改表头）"], [], MESSY_LOG_HEAD]
    for i, (d, staff, typ, ids, cls, dorm, hours, persons) in enumerate(c["log"]):
        if ids and "、" in ids and i % 2:
            ids = ids.replace("、", " ， ")
        log.append([_date_text(d, i), f" {staff}\u3000", f" {typ}", _id(ids) if ids and ids.isdigit() else ids,
                    cls, dorm, _num_text(hours, i), _num_text(persons, i + 1)])
        if i == 1:
            log.append([])  # a blank row in the middle
    bad_row = 1 + len(log) + 1  # the block starts at B2: Excel row of the next list item
    log.append(["2024-13-01", c["log"][0][1], c["log"][0][2], None, None, None, "abc", None])
    head_pairs = [["指导关系（导师—学生/班级）", None, None], ["工号", "学号", "班级"]]
    return write_xlsx(path, {
        "参数": [["设置项", "取值"], ["制度", policy]],
        "校历": [["学期名称", "开学日期", "学期结束日期"],
                 ["2024-2025学年第一学期", "2024年9月2日", "2025.1.12"]],
        "放假安排": [["放假日期", "截止日期", "节日"], *HOLIDAYS],
        "导师名单": [["说明：本表由各学院填写"], ["教师编号", "教师姓名", "岗位", "备用列"],
                     *[[_id(s[0]), s[1], s[2], "x"] for s in c["staff"]]],
        "学生名单": [["学生学号", "学生姓名", "所在班级"], *[[_id(s[0]), s[1], s[2]] for s in c["students"]]],
        "导师分配": head_pairs + [[_id(p[0]), _id(p[1]), p[2]] for p in c["pairs"]],
        "活动": log,
        "列映射": [["表", "原列名", "标准列名"], ["人员", "教师编号", "工号"]],
    }, start={"活动": "B2"}, merged={"导师分配": ["A1:C1"]}), bad_row


@pytest.mark.parametrize("policy", sorted(CASES))
def test_messy_twin_gives_the_same_compliance(tmp_path, policy):
    c = CASES[policy]
    clean = open_office(clean_book(tmp_path / "clean.xlsx", policy, c)).compliance("2024-2025-1").to_json()
    path, bad_row = messy_book(tmp_path / "messy.xlsx", policy, c)
    messy = open_office(path).compliance("2024-2025学年第一学期").to_json()
    assert clean["problems"] == [] or all(p["level"] == "warning" for p in clean["problems"]), clean["problems"]
    # the same results; only the Excel rows named as evidence move with the messy layout
    def same(rs):
        return [{k: v for k, v in r.items() if k != "evidence_rows"} for r in rs]
    assert same(messy["results"]) == same(clean["results"])
    assert messy["staff"] == clean["staff"]
    assert len(clean["results"]) > 0
    where = {(p["sheet"], p["row"], p["column"], str(p["value"])) for p in messy["problems"] if p["level"] == "error"}
    assert ("活动", bad_row, "日期", "2024-13-01") in where
    errors = [p for p in messy["problems"] if p["level"] == "error"]
    assert {(p["row"], p["column"]) for p in errors} <= {(bad_row, "日期"), (bad_row, "时长")}, errors
