"""Periods, labels, active days and the half-active rule (policies.md, shared semantics)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookfactory import frame
from mentor_xl.periods import (Holidays, _merge_segments_pandas, active_days, day, find_term, merge_segments, periods,
                               year_terms)
from mentor_xl.problems import FatalInputError

TERMS = frame("学期", [
    {"学期": "2024-2025-1", "开始日期": "2024-09-04", "结束日期": "2025-01-12"},  # starts on a Wednesday
    {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-06"},
])


def labels(kind, code="2024-2025-1"):
    return list(periods(kind, find_term(TERMS, code))["label"])


def test_week_labels_are_unclipped_mondays():
    w = labels("week")
    assert w[0] == "2024-09-02"  # Monday of the week holding Wed 4 Sep
    assert w[-1] == "2025-01-06"
    assert len(w) == 19


def test_biweek_counts_pairs_from_the_week_of_the_first_day():
    b = labels("biweek")
    assert b[:3] == ["2024-09-02", "2024-09-16", "2024-09-30"]
    p = periods("biweek", find_term(TERMS, "2024-2025-1"))
    assert (p["calendar_days"] == 14).all()


def test_month_and_term_and_year():
    assert labels("month") == ["2024-09-01", "2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01"]
    assert labels("term") == ["2024-09-04"]
    t = find_term(TERMS, "2024-2025-2")
    y = periods("year", t)
    assert list(y["label"]) == ["2024-09-04"]
    assert y["calendar_days"].iloc[0] == day("2025-07-06") - day("2024-09-04") + 1
    assert year_terms(TERMS, "2024-2025") == ["2024-2025-1", "2024-2025-2"]


def test_term_code_spellings_and_unknown_term():
    assert find_term(TERMS, "2024-2025学年第一学期").code == "2024-2025-1"
    assert find_term(TERMS, "2025年春季学期").code == "2024-2025-2"
    with pytest.raises(FatalInputError, match="2023-2024-1"):
        find_term(TERMS, "2023-2024-1")


def test_period_text_is_what_a_printed_page_says():
    from mentor_xl.periods import period_text

    assert period_text("2024-2025-1") == period_text("2024-2025学年第一学期") == "2024-2025-1学期"
    assert period_text("2024-2025") == period_text("2024—2025学年") == "2024-2025学年"
    assert period_text(None) == "" and period_text(" 全年 ") == "全年"


def test_active_days_exclude_holidays_and_clip_to_segment():
    hol = Holidays(frame("假期", [{"开始日期": "2024-10-01", "结束日期": "2024-10-07"},
                                 {"开始日期": "2024-09-17"}]))  # single day, 结束日期 blank
    seg_lo, seg_hi = np.array([day("2024-09-04")]), np.array([day("2025-01-12")])
    p = periods("week", find_term(TERMS, "2024-2025-1"))
    act = active_days(seg_lo[:, None], seg_hi[:, None], p["start"].to_numpy()[None, :], p["end"].to_numpy()[None, :], hol)[0]
    by = dict(zip(p["label"], act))
    assert by["2024-09-02"] == 5   # Wed–Sun
    assert by["2024-09-16"] == 6   # 17 Sep excluded
    assert by["2024-09-30"] == 1   # only Mon 30 Sep: the 国庆 week is not required
    assert by["2024-10-07"] == 6   # 7 Oct excluded


@pytest.mark.parametrize("active,calendar,required", [(7, 14, True), (6, 14, False), (15, 30, True),
                                                       (15, 31, False), (16, 31, True), (4, 7, True), (3, 7, False)])
def test_half_active_rule(active, calendar, required):
    assert (2 * active >= calendar) is required


def test_merge_segments_unions_overlaps_and_touching():
    seg = pd.DataFrame({"subject": [0, 0, 0, 1], "lo": [1, 5, 11, 3], "hi": [6, 10, 12, 4]})
    m = merge_segments(seg)
    assert m.values.tolist() == [[0, 1, 12], [1, 3, 4]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-20, 20), st.integers(-15, 10), st.integers(0, 3)),
                min_size=1, max_size=40))
def test_merge_segments_in_one_pass_is_the_grouped_merge(rows):
    """The numpy pass (one running max over every key, lifted apart) gives what the pandas
    groupby merge gives, segment for segment, other columns from each union's first segment;
    segments that end before they start (callers drop them) included."""
    seg = pd.DataFrame({"subject": [r[0] for r in rows], "lo": [r[1] for r in rows],
                        "hi": [r[1] + r[2] for r in rows], "x": [r[3] for r in rows]})
    pd.testing.assert_frame_equal(merge_segments(seg), _merge_segments_pandas(seg, "subject"))
