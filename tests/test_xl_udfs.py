"""Formulas (UDFs): the classic ``@xw.func`` ones as plain Python, and the Lite ones of lite/main.py.

Without an Excel engine xlwings' decorators leave the functions plain callables, so each
formula is called the way Excel would call it (numbers as float, a range as a list).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mentor_xl.xl import udfs as U
from test_xl_buttons import bit_book

LITE_MAIN = Path(U.__file__).parent / "lite" / "main.py"


def test_no_formula_reads_the_workbook_every_input_is_an_argument():
    """Excel forbids using the book during calculation: no UDF takes the caller or reads sheets."""
    import inspect

    for f in U.UDFS:
        params = inspect.signature(f).parameters
        assert "caller" not in params, f.__name__
    assert not hasattr(U, "MENTOR_RATE") and not hasattr(U, "MENTOR_MISSED")
    assert "book_api" not in Path(U.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize("score,rank,assessed,tier", [
    (92, 1, 40, "优秀"),        # 优秀 cap = floor(5% × 40) = 2
    (92, 2, 40, "优秀"),
    (92, 3, 40, "合格"),        # beyond the cap: the next tier its score reaches (≥ 75)
    (89.995, 1, 40, "优秀"),    # rounded half up to 90.00 first
    (89.994, 1, 40, "合格"),
    (74.995, None, None, "合格"),
    (60, None, None, "基本合格"),
    (59.99, None, None, "不合格"),
    (95, 1, 19, "合格"),        # floor(5% × 19) = 0: no 优秀 this year
])
def test_tier_for_a_score_given_the_quota(score, rank, assessed, tier):
    assert U.MENTOR_TIER(score, rank, assessed, "bit-2022") == tier


def test_tier_needs_rank_for_a_capped_tier_and_a_scored_policy():
    assert "名次" in U.MENTOR_TIER(95, None, None, "bit-2022")
    assert "不按分数" in U.MENTOR_TIER(80, 1, 10, "ustb-2022")
    assert "无法评定" in U.MENTOR_TIER(80, 1, 10, "no-such-pack")


def test_award_amount_in_yuan():
    assert U.MENTOR_AWARD("十佳辅导员", "ustb-2022") == 10000
    assert U.MENTOR_AWARD("本科生十佳导师提名", "ustb-2022") == 5000
    assert U.MENTOR_AWARD(" 优秀学生工作者 ", "ustb-2022") == 2000
    assert "不在制度 ustb-2022 的奖项目录中" in U.MENTOR_AWARD("最佳导师", "ustb-2022")


def test_allocation_of_a_fund_by_headcount():
    # 100 × 3/7, 2/7, 2/7: floors 42, 28, 28; extra 1s to 数学 (.86) and to 化学 over 物理 (tie .57,
    # same size, 化 sorts before 物)
    assert U.MENTOR_ALLOCATE(100.0, ["数学", "物理", "化学"], [3.0, 2.0, 2.0]) == [43, 28, 29]
    # 10 over three equal groups: 3 each, the extra 1 to the name first in Unicode order
    assert U.MENTOR_ALLOCATE(10.0, ["b", "a", "c"], [1.0, 1.0, 1.0]) == [3, 4, 3]
    assert U.MENTOR_ALLOCATE(100.5, ["a"], [1.0]) == ["总额须为整数元"]
    assert U.MENTOR_ALLOCATE(100.0, ["a", "b"], [1.0]) == ["分组与人数的行数不一致"]
    assert "不是非负整数" in U.MENTOR_ALLOCATE(100.0, ["a", "b"], [1.0, 1.5])[0]


def test_return_annotations_are_types_xlwings_can_convert():
    """On Windows xlwings uses a UDF's return annotation as its converter: a union would fail."""
    import typing

    from xlwings.conversion import accessors

    for f in U.UDFS:
        hint = typing.get_type_hints(f).get("return")
        assert hint in accessors, f.__name__


def _lite_main():
    spec = importlib.util.spec_from_file_location("mentor_xl_lite_main", LITE_MAIN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lite_functions_answer_as_the_classic_ones():
    m = _lite_main()
    assert m.IMPORT_ERROR is None
    assert m.mentor_tier(92.0, 3, 40, "bit-2022") == "合格"
    assert m.mentor_award("十佳辅导员", "ustb-2022") == 10000
    assert m.mentor_allocate(100.0, ["数学", "物理", "化学"], [3.0, 2.0, 2.0]) == [[43], [28], [29]]


def test_lite_scripts_run_the_buttons_on_the_book():
    m = _lite_main()
    book = bit_book()
    from test_xl_buttons import set_params
    set_params(book, 学期="2024-2025-1")
    m.compliance(book)
    assert book.sheets["操作"].range("B2").value == "完成"
    assert "合规汇总" in [s.name for s in book.sheets]


def test_lite_scripts_explain_when_mentor_xl_cannot_be_loaded():
    m = _lite_main()
    m.IMPORT_ERROR = ImportError("No module named 'mentor_xl'")
    book = bit_book()
    from mentor_xl.xl.buttons import control_sheet
    control_sheet(book)
    m.check(book)
    assert book.sheets["操作"].range("B2").value == "出错"
    assert "无法加载 mentor_xl" in book.sheets["操作"].range("B3").value
    assert "No module named" not in book.sheets["操作"].range("B3").value  # the error's English text stays out
    assert m.mentor_tier(90.0, 1, 40, "bit-2022") == "mentor_xl 未能加载"
    m.IMPORT_ERROR = ModuleNotFoundError("No module named 'fastexcel'", name="fastexcel")
    m.check(book)
    assert "缺少模块 fastexcel" in book.sheets["操作"].range("B3").value
