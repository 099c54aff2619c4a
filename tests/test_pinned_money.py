"""Pinned behaviour of money, allocation and the yearly rate: each test kills a mutant that
survived a mutation run. Hand-computed."""
from __future__ import annotations

from fractions import Fraction

import pytest

from bookfactory import make_book
from mentor_xl.allocate import allocate, largest_remainder
from mentor_xl.assess import staff_rates
from mentor_xl.money import to_fraction
from mentor_xl.packs import load_pack
from mentor_xl.workbook.settings import apply_settings
from test_assess import compliance_result


@pytest.mark.parametrize("text, value", [("80％", Fraction(4, 5)), ("５％", Fraction(1, 20)), ("80%", Fraction(4, 5)),
                                         ("２/３", Fraction(2, 3)), ("0.05", Fraction(1, 20))])
def test_shares_with_full_width_percent_and_digits(text, value):
    assert to_fraction(text) == value


def test_a_full_width_percent_in_settings_sets_the_quota():
    from mentor_xl.assess import _spec
    pack = load_pack("bit-2022")
    pack = apply_settings(pack, {pack.settings["assess_excellent_share"].label: "１０％"})
    assert _spec(pack).quota["s"] == Fraction(1, 10)


def test_allocation_with_one_student_and_with_a_zero_total():
    assert largest_remainder(100, {"甲": 1}) == {"甲": 100}
    assert largest_remainder(0, {"甲": 1, "乙": 3}) == {"甲": 0, "乙": 0}
    book = make_book("bit-2022", 学生=[{"学号": "S1", "姓名": "甲", "学院": "机电学院"}])
    js = allocate(book, total_yuan=100).to_json()
    assert js["parts"] == [{"group": "机电学院", "students": 1, "amount_yuan": 100, "floor_yuan": 100, "extra_yuan": 0}]
    two = make_book("bit-2022", 学生=[{"学号": "S1", "学院": "机电学院"}, {"学号": "S2", "学院": "材料学院"}])
    js = allocate(two, total_yuan=0).to_json()
    assert [(p["amount_yuan"], p["floor_yuan"], p["extra_yuan"]) for p in js["parts"]] == [(0, 0, 0), (0, 0, 0)]


def test_allocation_json_floor_and_extra_fields():
    # 10 元 over 3 + 2 + 2 students (7): quotas 30/7, 20/7, 20/7 → floors 4, 2, 2 (8 元), remainders 2, 6, 6;
    # the 2 元 left go to the two remainders of 6 (the 2-student groups): 4, 3, 3
    st = ([{"学号": f"A{i}", "学院": "机电学院"} for i in range(3)] + [{"学号": f"B{i}", "学院": "材料学院"} for i in range(2)]
          + [{"学号": f"C{i}", "学院": "信息学院"} for i in range(2)])
    js = allocate(make_book("bit-2022", 学生=st), total_yuan=10).to_json()
    assert js["students"] == 7 and js["total_yuan"] == 10
    assert [(p["group"], p["amount_yuan"], p["floor_yuan"], p["extra_yuan"]) for p in js["parts"]] == [
        ("机电学院", 4, 4, 0), ("信息学院", 3, 2, 1), ("材料学院", 3, 2, 1)]


def test_a_missing_earlier_term_does_not_drop_the_later_ones_from_the_yearly_rate():
    # only the second term has results: A met 3 of 4 there → (3, 4), not nothing
    comp = {"2024-2025-2": compliance_result("2024-2025-2", [("A", "bit.monthly-activity", "missed", 4, 3)])}
    assert staff_rates(load_pack("bit-2022"), comp, ["2024-2025-1", "2024-2025-2"]) == {"A": (3, 4)}
    comp["2024-2025-1"] = compliance_result("2024-2025-1", [("A", "bit.monthly-activity", "met", 4, 4)])
    assert staff_rates(load_pack("bit-2022"), comp, ["2024-2025-1", "2024-2025-2"]) == {"A": (7, 8)}


@pytest.mark.parametrize("value, places, expected", [
    (Fraction("82.045"), 2, "82.05"), (Fraction("82.044"), 2, "82.04"), (Fraction("88.4"), 2, "88.40"),
    (Fraction("-2.345"), 2, "-2.35"), (Fraction("-2.344"), 2, "-2.34"), (Fraction("-0.5"), 0, "-1"),
    (0, 2, "0.00"), (Fraction(1, 3), 0, "0"), (Fraction(5, 2), 0, "3")])
def test_round_half_up_away_from_zero(value, places, expected):
    from decimal import Decimal
    from mentor_xl.money import round_half_up
    assert round_half_up(value, places) == Decimal(expected) and str(round_half_up(value, places)) == expected


def test_allocation_refuses_a_total_that_is_not_whole_yuan_and_weights_that_sum_to_zero():
    from mentor_xl.problems import FatalInputError
    book = make_book("bit-2022", 学生=[{"学号": "S1", "学院": "机电学院"}])
    for bad in (True, 1.5, -1):
        with pytest.raises(FatalInputError, match="必须是非负整数元"):
            allocate(book, total_yuan=bad)
    with pytest.raises(ValueError):
        largest_remainder(10, {"甲": 0})
    with pytest.raises(ValueError):
        largest_remainder(-1, {"甲": 1})
