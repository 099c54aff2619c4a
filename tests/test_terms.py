"""One term resolver: every command takes any spelling of a term or 学年 the 学期 sheet accepts,
resolved once against the sheet; an unknown one stops with exit 1 and lists the sheet's terms."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bookfactory import make_book
from helpers_xlsx import write_xlsx
from mentor_xl.office import open_office
from mentor_xl.periods import find_term, find_year, term_before, year_code, year_terms
from mentor_xl.problems import FatalInputError

T1 = {"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}
T2 = {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-06"}
LCTC_STAFF = [{"工号": "L1", "姓名": "导师甲", "角色": "班级导师", "学院": "机电系", "职称": "副教授", "班主任年限": 3}]


def _office(policy: str, **sheets):
    return open_office("工作簿.xlsx", book=make_book(policy, **sheets))


@pytest.mark.parametrize("spelling", ["2024-2025-1", "2024-2025学年第一学期", "2024年秋季学期", "２０２４－２０２５－１",
                                      " 2024-2025学年 第一学期 "])
def test_every_spelling_resolves_to_the_same_term(spelling):
    import pandas as pd
    from bookfactory import frame
    t = find_term(frame("学期", [T1, T2]), spelling)
    assert (t.code, t.year) == ("2024-2025-1", "2024-2025")


def test_years_and_the_term_before():
    from bookfactory import frame
    terms = frame("学期", [T2, T1])
    y = find_year(terms, "2024-2025学年")
    assert (y.code, y.terms) == ("2024-2025", ("2024-2025-1", "2024-2025-2"))
    assert year_code("２０２４－２０２５") == "2024-2025" and year_code("2024-2025-1") is None
    assert year_terms(terms, "2024—2025学年") == ["2024-2025-1", "2024-2025-2"]
    assert term_before(terms, "2025年春季学期").code == "2024-2025-1"
    assert term_before(terms, "2024-2025-1") is None
    with pytest.raises(FatalInputError, match="没有 2025-2026 学年的学期。已登记的学期：2024-2025-2、2024-2025-1"):
        find_year(terms, "2025-2026")


def test_assess_accepts_the_long_spelling_of_a_term():
    # lctc-2024 assesses per term: the spelling used to fail its own regex ("学期…无法识别")
    office = _office("lctc-2024", 学期=[T1], 人员=LCTC_STAFF)
    out = office.assess(term="2024-2025学年第一学期").to_json()
    assert out["term"] == "2024-2025-1" and [r["staff_id"] for r in out["results"]] == ["L1"]


def test_a_year_scheme_accepts_the_year_with_its_suffix():
    office = _office("bit-2022", 学期=[T1, T2], 人员=[{"工号": "A", "姓名": "甲", "角色": "学育导师"}])
    assert office.assess(year="2024-2025学年").to_json()["year"] == "2024-2025"
    assert office.assess(term="2025年春季学期").to_json()["year"] == "2024-2025"


def test_eligibility_uses_the_term_named_in_any_spelling_not_today():
    office = _office("lctc-2024", 学期=[T1, T2], 人员=LCTC_STAFF)
    assert office.eligibility(term="2025年春季学期").as_of == date(2025, 2, 24)
    assert office.eligibility(term="2024-2025学年第一学期").as_of == date(2024, 9, 2)


@pytest.mark.parametrize("call", [lambda o: o.assess(term="2023-2024-1"), lambda o: o.eligibility(term="2025年秋季学期"),
                                  lambda o: o.compliance("2024-2025-3"), lambda o: o.awards("2030-2031学年")])
def test_an_unknown_term_is_an_error_listing_the_terms(call):
    office = _office("lctc-2024", 学期=[T1, T2], 人员=LCTC_STAFF)
    with pytest.raises(FatalInputError) as e:
        call(office)
    assert "已登记的学期：2024-2025-1、2024-2025-2" in str(e.value)


def _xlsx(tmp_path):
    return write_xlsx(tmp_path / "b.xlsx", {
        "设置": [["项目", "值"], ["制度", "lctc-2024"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", "2024-09-02", "2025-01-12"]],
        "人员": [["工号", "姓名", "角色", "职称", "班主任年限"], ["L1", "甲", "班级导师", "副教授", 3]]})


def test_cli_assess_and_eligibility_with_the_long_spelling(tmp_path):
    book = _xlsx(tmp_path)
    r = subprocess.run([sys.executable, "-m", "mentor_xl", "assess", str(book), "--term", "2024-2025学年第一学期",
                        "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["term"] == "2024-2025-1"
    r = subprocess.run([sys.executable, "-m", "mentor_xl", "eligibility", str(book), "--term", "2024年秋季学期",
                        "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["as_of"] == "2024-09-02"


@pytest.mark.parametrize("cmd", [["assess", "--term", "2025-2026-1"], ["eligibility", "--term", "2025-2026学年第一学期"],
                                 ["compliance", "--term", "2023年秋季学期"]])
def test_cli_unknown_term_is_exit_1_with_the_list(tmp_path, cmd):
    book = _xlsx(tmp_path)
    r = subprocess.run([sys.executable, "-m", "mentor_xl", cmd[0], str(book), *cmd[1:], "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "已登记的学期：2024-2025-1" in r.stderr and "Traceback" not in r.stderr


@given(st.one_of(
    st.from_regex(r"[0-9]{4}-[0-9]{4}-[0-9]", fullmatch=True),
    st.builds(lambda y, t, tail: f"{y}-{y + 1}-{t}{tail}", st.integers(0, 9999), st.sampled_from("0123"),
              st.sampled_from(["", " ", "\n", "学期", "x"])),
    st.text(alphabet="0123456789-２０学年第一期 ", max_size=14)))
@example("0999-1000-1")  # a leading zero: the column reads 999-1000-1
@example("２０２４-２０２５-１")
@example("2024-2025-1\n")
@settings(max_examples=300, deadline=None)
def test_a_term_code_read_alone_reads_as_in_a_column(text):
    """parse_term takes a plain code as it is (the CLI's -t); anything else the column's way."""
    from mentor_xl.workbook.values import parse_term, parse_term_series

    assert parse_term(text) == parse_term_series(pd.Series([text], dtype=object))[0].iloc[0]
