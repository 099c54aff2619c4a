"""总览's figures, counted in numpy (``figures.overview``, ``results._rule_rates``), against their
plain definitions: the group-by per 学院 they replace, written out here. Hypothesis draws
results of a few 学院 (blank ones too), rules whose titles or clauses may be blank, ties in the
counts at the top, rates that are missing, and staff with nothing required."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from mentor_xl import results as res
from mentor_xl.engine import figures as fig
from mentor_xl.engine.result import ComplianceResult

COLLEGES = ["信息学院", "数学学院", "化学学院", None]
RULES = [("r.a", "每月交流", "四.1"), ("r.b", "每月活动", "四"), ("r.c", "生师比", None), ("r.d", None, "五")]
STATUS = ["missed", "met", "report", "na"]


# --------------------------------------------------------------------------- the plain definitions

def plain_figures(scope, s, r, top):
    assessed = s[s["periods_required"] > 0]
    rates = pd.to_numeric(assessed["rate"], errors="coerce")
    missed = (r[r["status"] == "missed"].groupby(["rule", "title", "clause"], dropna=False).size()
              .sort_values(ascending=False, kind="stable"))
    return fig.Figures(
        scope=scope, assessed=len(assessed), full=int((rates >= 1).sum()),
        mean_rate=float(rates.mean()) if len(rates) else None, min_rate=float(rates.min()) if len(rates) else None,
        missed=tuple(fig.Missed(rule, title, clause, int(n)) for (rule, title, clause), n in missed.head(top).items()))


def plain_by_college(result, top):
    college = lambda df: df["college"].astype(object).where(df["college"].notna(), fig.NO_COLLEGE)  # noqa: E731
    s, r = result.staff, result.results
    return {c: plain_figures(c, s[college(s) == c], r[college(r) == c], top) for c in fig.colleges(result)}


def plain_rule_rates(summary, by=None):
    keep = summary["状态"].isin(["达标", "不达标"])
    s = summary.loc[keep, ["规则", "规则名称", "状态"]]
    s = s.assign(_met=(s["状态"] == "达标").astype("int64"))
    keys = ["规则名称", "规则"] if by is None else ["_by", "规则名称", "规则"]
    if by is not None:
        s["_by"] = by[keep].to_numpy()
    out = s.groupby(keys, sort=False).agg(应考核对象数=("状态", "size"), 达标对象数=("_met", "sum"))
    out["达标率"] = out["达标对象数"] / out["应考核对象数"]
    out = out.reset_index()
    cols = ["规则名称", "应考核对象数", "达标对象数", "达标率", "规则"]
    if by is None:
        return out[cols]
    return {k: part[cols].reset_index(drop=True) for k, part in out.groupby("_by", sort=False)}


# --------------------------------------------------------------------------- drawn results

@st.composite
def results(draw):
    n_staff = draw(st.integers(0, 12))
    staff = pd.DataFrame({
        "staff_id": [f"T{i:03d}" for i in range(n_staff)],
        "name": [f"导师{i}" for i in range(n_staff)],
        "role": "学育导师",
        "college": pd.Series([draw(st.sampled_from(COLLEGES)) for _ in range(n_staff)], dtype=object),
        "periods_required": [draw(st.integers(0, 3)) for _ in range(n_staff)],
        "rate": [draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2 / 3]), st.just(np.nan))) for _ in range(n_staff)],
    })
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        i = draw(st.integers(0, max(n_staff - 1, 0)))
        rule, title, clause = draw(st.sampled_from(RULES))
        rows.append({"staff_id": f"T{i:03d}", "name": f"导师{i}", "role": "学育导师",
                     "college": staff["college"][i] if n_staff else draw(st.sampled_from(COLLEGES)),
                     "rule": rule, "title": title, "clause": clause, "status": draw(st.sampled_from(STATUS))})
    cols = ["staff_id", "name", "role", "college", "rule", "title", "clause", "status"]
    r = pd.DataFrame(rows, columns=cols).astype(object)
    return ComplianceResult("bit-2022", "2024-2025-1", pd.Timestamp("2024-09-01"), pd.Timestamp("2025-01-15"),
                            pd.DataFrame(), r, staff, [])


def summary_of(r: ComplianceResult) -> pd.DataFrame:
    state = {"missed": "不达标", "met": "达标", "report": "仅报告", "na": "不适用"}
    x = r.results
    return pd.DataFrame({"学院": x["college"], "规则名称": [fig.rule_label(t, c) for t, c in zip(x["title"], x["clause"])],
                         "状态": x["status"].map(state), "规则": x["rule"]})


def same(a, b) -> bool:
    return repr(a) == repr(b)  # nan == nan, as a reader of the figures sees them


@settings(max_examples=300, deadline=None)
@given(results(), st.integers(1, 3))
def test_overview_is_the_group_by_per_college(r, top):
    per, whole = fig.overview(r, top=top)
    assert same(per, plain_by_college(r, top))
    assert same(whole, plain_figures("全单位", r.staff, r.results, top))
    assert same(fig.figures(r, top=top), whole) and same(fig.by_college(r, top=top), per)
    for c in [*COLLEGES[:3], fig.NO_COLLEGE, "没有的学院"]:
        college = lambda df: df["college"].astype(object).where(df["college"].notna(), fig.NO_COLLEGE)  # noqa: E731
        s, x = r.staff, r.results
        assert same(fig.figures(r, c, top=top), plain_figures(c, s[college(s) == c], x[college(x) == c], top))


@settings(max_examples=300, deadline=None)
@given(results())
def test_rule_rates_are_the_group_by(r):
    summary = summary_of(r)
    by = summary["学院"].fillna(fig.NO_COLLEGE)
    pd.testing.assert_frame_equal(res.rule_rates(summary), plain_rule_rates(summary), check_dtype=False)
    got, want = res.rule_rates(summary, by), plain_rule_rates(summary, by)
    assert list(got) == list(want)  # the 学院 in the order they first appear
    for k in want:
        pd.testing.assert_frame_equal(got[k], want[k], check_dtype=False)


def test_a_tie_at_the_top_keeps_the_rule_order():
    """Two rules missed as often: the one whose id sorts first is listed first, and ``top`` cuts
    after it, as the group-by's sorted keys and a stable sort gave."""
    rows = [("T001", "r.b"), ("T001", "r.a"), ("T002", "r.b"), ("T002", "r.a"), ("T002", "r.c")]
    r = pd.DataFrame({"staff_id": [a for a, _ in rows], "college": "信息学院", "rule": [b for _, b in rows],
                      "title": "t", "clause": "c", "status": "missed"}).astype(object)
    s = pd.DataFrame({"staff_id": ["T001", "T002"], "college": "信息学院", "periods_required": [1, 1],
                      "rate": [0.5, 0.0]})
    result = ComplianceResult("bit-2022", "t", pd.Timestamp("2024-09-01"), pd.Timestamp("2025-01-15"),
                              pd.DataFrame(), r, s, [])
    per, whole = fig.overview(result, top=2)
    assert [(m.rule, m.count) for m in whole.missed] == [("r.a", 2), ("r.b", 2)]
    assert per["信息学院"].missed == whole.missed
    assert (whole.assessed, whole.full, whole.mean_rate, whole.min_rate) == (2, 0, pytest.approx(0.25), 0.0)
