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
    (0, 2, "0.00"), (Fraction(1, 3), 0, "0"), (Fraction(5, 2), 0, "3"),
    (Fraction("0.005"), 2, "0.01"),  # a positive half below one unit rounds up, not to -0.01
    (Fraction("0.004"), 2, "0.00")])
def test_round_half_up_away_from_zero(value, places, expected):
    from decimal import Decimal
    from mentor_xl.money import round_half_up
    assert round_half_up(value, places) == Decimal(expected) and str(round_half_up(value, places)) == expected


def test_round_half_up_defaults_to_two_places():
    from mentor_xl.money import round_half_up
    assert str(round_half_up(Fraction("1.2345"))) == "1.23"


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


# ------------------------------------------------------------------ money messages (exact)
@pytest.mark.parametrize("call, value, message", [
    ("parse_yuan", "abc", "金额“abc”无法识别为数字"),
    ("parse_yuan", "Infinity", "金额“Infinity”无法识别为数字"),
    ("parse_yuan", "12.5", "金额“12.5”不是整数元（精确到元）"),
    ("parse_yuan", 12.5, "金额“12.5”不是整数元（精确到元）"),
    ("parse_yuan", "-5", "金额“-5”不能为负数"),
    ("parse_yuan", -5, "金额“-5”不能为负数"),
    ("parse_yuan", -5.0, "金额“-5.0”不能为负数"),
    ("parse_yuan", True, "金额“True”无法识别为数字"),
    ("wan_to_yuan", "abc", "金额“abc”无法识别为数字"),
    ("wan_to_yuan", "0.00001", "金额“0.00001”不是整数元（精确到元）"),
    ("wan_to_yuan", 0.3, "金额“0.3”（万元）须以文本或定点数给出，不能是浮点数"),
    ("wan_to_yuan", False, "金额“False”无法识别为数字"),
])
def test_money_errors_name_the_amount_as_typed(call, value, message):
    import re
    from mentor_xl import money
    with pytest.raises(money.MoneyError, match=f"^{re.escape(message)}$"):
        getattr(money, call)(value)


def test_money_reads_zero_integers_floats_and_wan_suffixes():
    from mentor_xl.money import format_wan, parse_yuan
    assert parse_yuan("0") == 0 and parse_yuan(0) == 0  # zero is an amount, not a negative one
    assert parse_yuan(5) == 5 and parse_yuan(5.0) == 5 and parse_yuan("5元") == 5
    assert parse_yuan("12万元") == 120000 and parse_yuan("１２万") == 120000
    assert format_wan(12345) == "1.23" and format_wan(12355) == "1.24" and format_wan(12345, 3) == "1.235"


def test_largest_remainder_refusals_say_why():
    with pytest.raises(ValueError, match="^total must be non-negative$"):
        largest_remainder(-1, {"甲": 1})
    with pytest.raises(ValueError, match="^weights must sum to a positive number$"):
        largest_remainder(1, {"甲": 0})


# ------------------------------------------------------------------ headcount and the sheet
def _students(*rows):
    return make_book("bit-2022", 学生=[{"学号": s, "学院": c} for s, c in rows])


def test_headcount_reports_duplicates_and_blank_groups_with_their_rows():
    # rows 2–6: S1 机电, S1 again (row 3: counted once), S2 blank, S3 only spaces, S4 材料 → 1 + 1 student
    book = _students(("S1", "机电学院"), ("S1", "机电学院"), ("S2", None), ("S3", "  "), ("S4", "材料学院"))
    res = allocate(book, total_yuan=100)
    assert [(p["group"], p["amount_yuan"]) for p in res.to_json()["parts"]] == [("机电学院", 50), ("材料学院", 50)]
    blank = "学生的“学院”为空，不计入按学院分配的人数"
    assert res.problems.to_list() == [
        {"sheet": "学生", "row": 3, "column": "学号", "value": "S1", "message": "学号 S1 重复出现，只计一次",
         "category": "重复数据", "level": "warning"},
        {"sheet": "学生", "row": 4, "column": "学院", "value": None, "message": blank, "category": "缺少数据",
         "level": "warning"},
        {"sheet": "学生", "row": 5, "column": "学院", "value": None, "message": blank, "category": "缺少数据",
         "level": "warning"}]


def test_headcount_treats_a_nan_cell_as_blank_and_can_group_by_student_id():
    import numpy as np
    book = _students(("S1", "机电学院"), ("S2", "机电学院"), ("S3", "材料学院"))
    book.students.loc[1, "学院"] = np.nan  # a float NaN, as a numeric-typed column would give
    js = allocate(book, total_yuan=10).to_json()
    assert [(p["group"], p["students"]) for p in js["parts"]] == [("机电学院", 1), ("材料学院", 1)]
    by_id = allocate(_students(("S1", "机电学院"), ("S2", "机电学院"), ("S3", "材料学院")), total_yuan=3, by="学号")
    assert [(p["group"], p["amount_yuan"]) for p in by_id.to_json()["parts"]] == [("S1", 1), ("S2", 1), ("S3", 1)]


def test_allocation_refusals_name_the_sheet_and_the_columns():
    from mentor_xl.problems import FatalInputError
    book = _students(("S1", "机电学院"))
    cols = "、".join(c for c in book.students.columns if c != "_row")
    for by in ("籍贯", "_row"):
        with pytest.raises(FatalInputError, match=f"^学生表中没有“{by}”列，可按以下列分配：{cols}$"):
            allocate(book, total_yuan=1, by=by)
    with pytest.raises(FatalInputError, match="^工作簿中没有“学生”表或学生表为空，无法按学生人数分配经费$"):
        allocate(make_book("bit-2022"), total_yuan=1)
    with pytest.raises(FatalInputError, match="^学生表中没有填写“学院”的学生，无法分配$"):
        allocate(_students(("S1", None)), total_yuan=1)


def test_the_allocation_sheet_rows_shares_notes_and_formats():
    # 10 元 over 3 + 2 + 2 students: 4, 3 (2 + 1 extra), 3 (2 + 1 extra); shares 3/7, 2/7, 2/7
    st = ([("A%d" % i, "机电学院") for i in range(3)] + [("B%d" % i, "材料学院") for i in range(2)]
          + [("C%d" % i, "信息学院") for i in range(2)])
    res = allocate(_students(*st), total_yuan=10)
    df = res.frames()["经费分配"]
    assert df["学院"].tolist() == ["机电学院", "信息学院", "材料学院", "合计"]
    assert df["学生人数"].tolist() == [3, 2, 2, 7]
    assert df["占比"].tolist() == [3 / 7, 2 / 7, 2 / 7, 1.0]
    assert df["分配金额(元)"].tolist() == [4, 3, 3, 10]
    assert df["分配金额(万元)"].tolist() == [0.0004, 0.0003, 0.0003, 0.001]
    assert df["说明"].tolist() == ["", "按最大余数法多分1元", "按最大余数法多分1元", "按学生人数比例、最大余数法分配，合计等于总额"]
    assert df.attrs["formats"] == {"占比": "0.00%", "分配金额(元)": "#,##0", "分配金额(万元)": "0.00"}
    assert df.attrs["total_row"] is True
    spec = res.sheets()["经费分配"]
    assert spec.df.equals(df)
    assert (tuple(spec.percent_cols), tuple(spec.money_cols), tuple(spec.int_cols)) == (
        ("占比",), ("分配金额(万元)",), ("学生人数", "分配金额(元)"))


def test_headcount_defaults_to_colleges_and_its_own_problem_list():
    from mentor_xl.allocate import headcount
    assert headcount(_students(("S1", "机电学院"), ("S2", None), ("S3", "机电学院"))) == {"机电学院": 2}


def test_a_blank_year_of_study_is_no_group_of_its_own():
    # by 年级 (an int column): S2's blank 年级 is reported and counted nowhere — not a group "<NA>" given 3 元
    book = make_book("bit-2022", 学生=[{"学号": "S1", "年级": 1}, {"学号": "S2", "年级": None}, {"学号": "S3", "年级": 2}])
    js = allocate(book, total_yuan=10, by="年级").to_json()
    assert [(p["group"], p["amount_yuan"]) for p in js["parts"]] == [("1", 5), ("2", 5)]
    assert [(p["row"], p["column"], p["message"]) for p in js["problems"]] == [
        (3, "年级", "学生的“年级”为空，不计入按年级分配的人数")]
