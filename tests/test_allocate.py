"""Fund allocation by headcount, largest remainder, exact 元 (issue 3); money parsing."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bookfactory import make_book
from mentor_xl.allocate import allocate, largest_remainder
from mentor_xl.money import MoneyError, format_wan, parse_budget_wan, parse_yuan, round_half_up, to_fraction, wan_to_yuan
from mentor_xl.problems import FatalInputError


def test_remainder_tie_goes_to_larger_group():
    # 4 元 over 1, 3, 4 students (8): quotas 0.5, 1.5, 2 → floors 0, 1, 2 (3 元); 1 元 left,
    # remainders 0.5 and 0.5 tie → the larger group (3 students) takes it: 0, 2, 2
    assert largest_remainder(4, {"甲": 1, "乙": 3, "丙": 4}) == {"甲": 0, "乙": 2, "丙": 2}


def test_remainder_tie_of_equal_groups_goes_to_unicode_first_name():
    # 10 元 over three colleges of 1 student: 3 each, 1 left, all tie in remainder and size →
    # 信 (U+4FE1) sorts before 机 (U+673A) and 材 (U+6750)
    assert largest_remainder(10, {"机电学院": 1, "材料学院": 1, "信息学院": 1}) == {
        "信息学院": 4, "机电学院": 3, "材料学院": 3}


def test_largest_remainder_beats_rounding():
    # 100 元 over 1, 1, 1: rounding each third (33.33) gives 99; largest remainder gives 34, 33, 33
    parts = largest_remainder(100, {"A": 1, "B": 1, "C": 1})
    assert sum(parts.values()) == 100 and sorted(parts.values()) == [33, 33, 34]


def test_parts_always_sum_to_total():
    rnd = random.Random(7)
    for _ in range(300):
        groups = {f"G{i}": rnd.randint(1, 5000) for i in range(rnd.randint(1, 12))}
        total = rnd.randint(0, 10_000_000)
        parts = largest_remainder(total, groups)
        assert sum(parts.values()) == total
        w = sum(groups.values())
        for g, a in parts.items():  # every part is its floor or floor + 1 (quota rule)
            assert total * groups[g] // w <= a <= total * groups[g] // w + 1


def students(rows):
    return [{"学号": f"S{i:03d}", "学院": c, "专业": m} for i, (c, m) in enumerate(rows)]


def test_allocate_by_college_from_students_sheet():
    # 100000 元: 机电 3, 信息 2, 材料 2 students (7). 300000/7 = 42857.14, 200000/7 = 28571.43 (×2)
    # floors 42857 + 28571 + 28571 = 99999; 1 left: remainders 1/7 (机电, 300000 mod 7 = 1) and 3/7
    # (信息 and 材料: 200000 mod 7 = 3) → tie between 信息 and 材料, equal size → 信息 (U+4FE1) first
    book = make_book("bit-2022", 学生=students([("机电学院", "a")] * 3 + [("信息学院", "b")] * 2 + [("材料学院", "c")] * 2))
    out = allocate(book, total_yuan=100000)
    js = out.to_json()
    assert js["total_yuan"] == 100000 and js["by"] == "学院"
    got = {p["group"]: (p["students"], p["amount_yuan"]) for p in js["parts"]}
    assert got == {"机电学院": (3, 42857), "信息学院": (2, 28572), "材料学院": (2, 28571)}
    df = out.frames()["经费分配"]
    assert df.iloc[-1]["分配金额(元)"] == 100000 and df.iloc[-1]["学院"] == "合计"
    assert list(df.columns) == ["学院", "学生人数", "占比", "分配金额(元)", "分配金额(万元)", "说明"]


def test_allocate_by_other_column_and_blank_group_reported():
    book = make_book("bit-2022", 学生=students([("机电学院", "自动化"), ("机电学院", "自动化"), ("信息学院", "软件"),
                                                 ("信息学院", None)]))
    out = allocate(book, total_yuan=9, by="专业")
    assert {p["group"]: p["amount_yuan"] for p in out.to_json()["parts"]} == {"自动化": 6, "软件": 3}
    probs = out.to_json()["problems"]
    assert len(probs) == 1 and probs[0]["row"] == 5 and probs[0]["column"] == "专业"


def test_allocate_counts_a_duplicate_student_once():
    book = make_book("bit-2022", 学生=[{"学号": "S1", "学院": "甲"}, {"学号": "S1", "学院": "甲"}, {"学号": "S2", "学院": "乙"}])
    out = allocate(book, total_yuan=10)
    assert {p["group"]: p["amount_yuan"] for p in out.to_json()["parts"]} == {"甲": 5, "乙": 5}
    assert out.to_json()["problems"][0]["row"] == 3


def test_allocate_unknown_column_is_fatal_with_chinese_message():
    book = make_book("bit-2022", 学生=students([("机电学院", "a")]))
    with pytest.raises(FatalInputError, match="没有“书院”列"):
        allocate(book, total_yuan=10, by="书院")


# ---------------------------------------------------------------------------- money
def test_float_money_would_round_wrong_but_yuan_do_not():
    assert 0.1 + 0.2 != 0.3  # why money is never float
    assert wan_to_yuan("0.1") + wan_to_yuan("0.2") == wan_to_yuan("0.3") == 3000
    assert wan_to_yuan("1.00") == 10000 and parse_budget_wan("12.5") == 125000
    assert parse_budget_wan("１２.５万元") == 125000
    # 1.005 万元 = 10050 元 exactly; a float round(1.005, 2) gives 1.0 (binary 1.00499…)
    assert wan_to_yuan("1.005") == 10050 and format_wan(10050) == "1.01"


def test_money_refuses_fractions_of_a_yuan_and_floats():
    with pytest.raises(MoneyError, match="整数元"):
        wan_to_yuan("0.00001")
    with pytest.raises(MoneyError):
        wan_to_yuan(0.3)
    assert parse_yuan("100,000元") == 100000 and parse_yuan("10万") == 100000
    with pytest.raises(MoneyError):
        parse_yuan("12.5")


def test_exact_rounding_helpers():
    assert round_half_up(to_fraction("82.045"), 2) == Decimal("82.05")
    assert round_half_up(to_fraction(2.675), 2) == Decimal("2.68")  # float round(2.675, 2) == 2.67
    assert to_fraction("2/3") * 30 == 20 and to_fraction("80%") == to_fraction(0.8)
