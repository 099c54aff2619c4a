"""The rules' results put together by a layout made before the log is read (engine.Layout):
合规汇总 sorted by 工号 and 人员汇总's counts, for every mix of rules (report-only ones, two rules
with one id, staff with no 人员 row, staff whose only results are report-only), give what
sorting and grouping the finished results by 工号 text gave."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_xl.engine import _layout, _staff

STAFF = ["T3", "T1", "T10", "T2", "T01"]  # codes in 人员 order, not in 工号 order


def _grouped(results: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The staff summary as it was computed from the results' 工号 text (the reference)."""
    r = results[~results["report_only"].astype(bool).to_numpy()]
    per_rule = (r.assign(req=r["required"] > 0, miss=r["status"] == "missed")
                .groupby(["staff_id", "rule"], sort=False)
                .agg(req=("req", "max"), miss=("miss", "sum"), pr=("required", "sum"), pm=("met", "sum")))
    per_rule["ok"] = per_rule["req"] & (per_rule["miss"] == 0)
    s = per_rule.groupby(level="staff_id", sort=False).agg(
        rules_required=("req", "sum"), rules_met=("ok", "sum"),
        periods_required=("pr", "sum"), periods_met=("pm", "sum")).reset_index()
    names = names[names["staff_id"].isin(pd.unique(results["staff_id"]))]
    s = names.merge(s, on="staff_id", how="left")
    for c in ("rules_required", "rules_met", "periods_required", "periods_met"):
        s[c] = s[c].fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["rate"] = np.where(s["periods_required"] > 0, s["periods_met"] / s["periods_required"].clip(lower=1), np.nan)
    return s[["staff_id", "name", "role", "college", "rules_required", "rules_met",
              "periods_required", "periods_met", "rate"]].sort_values("staff_id", kind="stable").reset_index(drop=True)


rule = st.tuples(st.sampled_from(["r1", "r2", "r3"]), st.booleans(),  # id (shared ids too), report-only
                 st.lists(st.tuples(st.sampled_from(STAFF + ["T9"]),  # T9: no 人员 row
                                    st.integers(0, 4), st.integers(0, 4), st.sampled_from(["met", "missed", "n/a"])),
                          max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), rule), max_size=4))
def test_layout_sorts_and_counts_as_the_grouped_results(rules):
    names = pd.DataFrame({"staff_id": STAFF, "name": [f"姓名{s}" for s in STAFF], "college": "学院", "role": "导师"})
    pack = SimpleNamespace(rules=[SimpleNamespace(id=r[0] if r else "x", report_only=r[1] if r else False)
                                  for r in rules])
    frames = [None if not r or not r[2] else SimpleNamespace(who=pd.DataFrame({"staff_id": [x[0] for x in r[2]]}))
              for r in rules]
    layout = _layout(SimpleNamespace(names=names), pack, frames)
    rows = [(x[0], r[0], r[1], x[1], min(x[1], x[2]), x[3]) for r in rules if r and r[2] for x in r[2]]
    results = pd.DataFrame(rows, columns=["staff_id", "rule", "report_only", "required", "met", "status"])
    results = results.astype({"staff_id": object, "rule": object, "status": object, "report_only": bool,
                              "required": "int64", "met": "int64"})
    ordered = results.take(layout.order).reset_index(drop=True)
    pd.testing.assert_frame_equal(ordered, results.sort_values("staff_id", kind="stable").reset_index(drop=True))
    want = _grouped(results, names)
    # no result at all: the same empty frame (the reference's merge made its 工号 column object)
    pd.testing.assert_frame_equal(_staff(ordered, layout), want, check_dtype=len(want) > 0)


def test_a_book_without_subjects_gives_every_column_and_no_row():
    """No rule has a subject (no staff yet): 合规明细, 合规汇总 and 人员汇总 are empty frames with
    every column, in the order a run with subjects has them, and the JSON lists nothing."""
    from bookfactory import log, make_book
    from mentor_xl.engine import DETAIL_COLS, RESULT_COLS, compliance
    from mentor_xl.packs import load_pack

    book = make_book("bit-2022", 学期=[{"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}])
    r = compliance(book, load_pack("bit-2022"), "2024-2025-1")
    assert list(r.details.columns) == DETAIL_COLS and list(r.results.columns) == RESULT_COLS
    assert len(r.details) == len(r.results) == len(r.staff) == 0
    assert list(r.staff.columns)[:4] == ["staff_id", "name", "role", "college"]
    assert r.to_json()["results"] == []
    term = [{"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-12"}]
    with_subjects = make_book("bit-2022", 学期=term, 人员=[{"工号": "T1", "姓名": "甲", "角色": "学育导师"}],
                              指导关系=[{"工号": "T1", "学号": "S1"}], 活动记录=log(("2024-09-10", "T1", "谈心谈话", "S1")))
    full = compliance(with_subjects, load_pack("bit-2022"), "2024-2025-1")
    assert len(full.results) and list(full.details.columns) == DETAIL_COLS
    assert list(full.results.columns) == RESULT_COLS and list(full.staff.columns) == list(r.staff.columns)
