"""The demo office workbook: schema-shaped, rule-driven, deterministic, with known messy cells."""
from datetime import timedelta

import fastexcel
import numpy as np
import pandas as pd
import pytest

from mentor_xl.demo import HANDOVER, build_demo_book, demo_frames
from mentor_xl.packs import available, load_pack, normalise_label
from mentor_xl.workbook import values
from mentor_xl.workbook.schema import BY_NAME, SHEETS

PACKS = available()


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """One messy demo book per pack, read back as text cells (as the reader gets them)."""
    out = {}
    for pid in PACKS:
        info = build_demo_book(tmp_path_factory.mktemp(pid) / "demo.xlsx", pid)
        sheets = read_back(info)
        out[pid] = info, sheets, canonical_log(sheets)
    return out


def read_back(info) -> dict[str, pd.DataFrame]:
    book = fastexcel.read_excel(info.path)
    return {name: book.load_sheet_by_name(name, header_row=info.header_rows[name] - 1, dtypes="string").to_pandas()
            for name in book.sheet_names}


def canonical_log(sheets) -> pd.DataFrame:
    """The 活动记录 with canonical headers and parsed values (bad cells null)."""
    raw = sheets["活动记录"].set_axis(BY_NAME["活动记录"].names, axis=1)
    return pd.DataFrame({c.name: values.parse(c.kind, raw[c.name])[0] for c in BY_NAME["活动记录"].columns})


@pytest.mark.parametrize("pid", PACKS)
def test_sheets_and_headers_follow_the_schema(books, pid):
    info, sheets, _ = books[pid]
    pack = load_pack(pid)
    assert list(sheets) == [s.name for s in SHEETS]
    for sheet in SHEETS:
        headers = list(sheets[sheet.name].columns)
        assert headers == info.headers[sheet.name]
        for header, col in zip(headers, sheet.columns):  # canonical, or an alias the schema knows
            assert header == col.name or header in col.aliases
        assert len(sheets[sheet.name]) == info.rows[sheet.name]
    settings = dict(zip(sheets["设置"]["项目"], sheets["设置"]["值"]))
    assert settings["制度"] == pid and settings["发文机关"] == pack.issuer and settings["学年"] == "2024-2025"
    assert list(sheets["学期"]["学期"]) == ["2024-2025-1", "2024-2025-2"]
    assert "2024-10-01" in set(sheets["假期"]["开始日期"].str[:10])
    assert set(sheets["人员"]["角色"]) == set(pack.roles)
    assert sheets["人员"]["工号"].str.fullmatch(r"T\d{4}").all()
    assert set(sheets["学生"]["年级"].astype(float).astype(int)) == {2021, 2022, 2023, 2024}
    assert sheets["学生"]["学号"].str.fullmatch(r"202[1-4]\d{6}").all()
    assert sheets["学生"]["宿舍"].str.fullmatch(r"\d+号楼\d{3}").all()
    awards = [a.name for a in pack.awards]
    assert set(sheets["奖项提名"]["奖项"]) == set(awards)  # headers only when the pack has none


@pytest.mark.parametrize("pid", PACKS)
def test_log_has_rows_for_every_rule(books, pid):
    info, sheets, log = books[pid]
    pack = load_pack(pid)
    tmap = pack.type_map()
    canon = log["活动类型"].map(lambda t: tmap.get(normalise_label(t)) if t else None)
    term_starts = [pd.Timestamp(start) for start, _ in info.terms.values()]
    for rule in pack.rules:
        if rule.measure == "max:students":
            continue
        rows = log[canon.isin(rule.all_types or list(pack.types))]
        assert len(rows), rule.id
        if rule.measure == "duties":
            assert set(rule.all_types) <= set(canon), rule.id
        if rule.scope == "pair":
            assert rows["学号"].map(len).gt(0).any(), rule.id
        if rule.scope == "class":
            assert rows["班级"].notna().any(), rule.id
        if rule.measure == "deadline":
            before = [(rows["日期"] < s) & (rows["日期"] >= s - pd.Timedelta(days=60)) for s in term_starts]
            assert all(b.any() for b in before), rule.id
        column = {"sum:时长": "时长", "sum:人次": "人次", "distinct:宿舍": "宿舍"}.get(rule.measure)
        if column:
            assert rows[column].notna().any(), rule.id
    raw_types = sheets["活动记录"]["活动类型"]
    assert any(t not in pack.types and t in (a for al in pack.types.values() for a in al) for t in raw_types)
    assert log["学号"].map(len).gt(1).any()  # one-to-many sessions
    holidays = sheets["假期"]
    on_holiday = pd.Series(False, index=log.index)
    for s, e in zip(pd.to_datetime(holidays["开始日期"]), pd.to_datetime(holidays["结束日期"].fillna(holidays["开始日期"]))):
        on_holiday |= log["日期"].between(s, e)
    assert on_holiday.any()
    assert {"2024-09", "2025-06"} <= set(log["日期"].dt.strftime("%Y-%m").dropna())  # both terms


@pytest.mark.parametrize("pid", PACKS)
def test_special_staff_and_assignments(books, pid):
    info, sheets, log = books[pid]
    staff = sheets["人员"].set_index("工号")
    assert staff.at[info.mid_term_staff, "聘任开始"][:10] == "2024-10-15"
    assert staff.at[info.early_end_staff, "聘任结束"][:10] == "2025-04-30"
    mid_log = log[log["工号"] == info.mid_term_staff]
    assert len(mid_log) and mid_log["日期"].min() >= pd.Timestamp("2024-10-15")
    early_log = log[log["工号"] == info.early_end_staff]
    assert len(early_log) and early_log["日期"].max() <= pd.Timestamp("2025-04-30")
    assert not (log["工号"] == info.idle_staff).any()
    assert set(info.diligence.values()) == {"全勤", "缺月", "较差", "无记录"}
    asg = sheets["指导关系"]
    assert (asg.loc[asg["工号"] == info.mid_term_staff, "开始日期"].str[:10] == "2024-10-15").all()
    ho = info.handover
    key = "学号" if ho["学号"] else "班级"
    moved = asg[asg[key] == ho[key]]
    assert (moved.loc[moved["工号"] == ho["from"], "结束日期"].str[:10] == str(HANDOVER - timedelta(days=1))).all()
    assert (moved.loc[moved["工号"] == ho["to"], "开始日期"].str[:10] == str(HANDOVER)).all()
    pack = load_pack(pid)
    cap = next((r.maximum for r in pack.rules if r.measure == "max:students"), None)
    pairs = asg[asg["学号"].notna()].groupby("工号").size()
    if cap is not None:  # exactly one mentor above the cap, by one student
        assert info.over_cap_staff and pairs[info.over_cap_staff] == cap + 1
        assert (pairs.drop(info.over_cap_staff) <= cap).all()
    roles_scopes = {r.scope for r in pack.rules}
    assert ("pair" in roles_scopes) == bool(len(pairs))
    if "class" in roles_scopes:
        assert asg.loc[asg["学号"].isna(), "班级"].notna().any()


@pytest.mark.parametrize("pid", PACKS)
def test_injected_cells_are_exactly_the_odd_ones(books, pid):
    info, sheets, _ = books[pid]
    raw = sheets["活动记录"].set_axis(BY_NAME["活动记录"].names, axis=1)
    assert info.header_rows["活动记录"] == 2 and info.headers["活动记录"][1] == "职工号"
    first = info.header_rows["活动记录"] + 1
    for inj in info.injected:
        cell = raw.at[inj.row - first, inj.column]
        assert cell == inj.value
        parsed, bad = values.parse(BY_NAME["活动记录"].column(inj.column).kind, pd.Series([cell]))
        if inj.column == "活动类型":
            assert inj.bad and normalise_label(cell) not in load_pack(pid).type_map()
        elif inj.bad:
            assert bad[0], inj
        else:
            got = parsed[0]
            assert not bad[0] and (got.date() if inj.column == "日期" else got) == (
                [inj.expected] if inj.column == "学号" else inj.expected), inj
    assert 2 <= len(info.problems) <= 3
    assert {i.value for i in info.injected} >= {"2小时", "３", "2024-13-01"}
    # every other cell reads cleanly: the problems are exactly the injected bad cells
    found = set()
    for name in ("日期", "学号", "时长", "人次"):
        bad = values.parse(BY_NAME["活动记录"].column(name).kind, raw[name])[1]
        found |= {(first + i, name) for i in np.flatnonzero(bad.to_numpy())}
    tmap = load_pack(pid).type_map()
    found |= {(first + i, "活动类型") for i, t in enumerate(raw["活动类型"]) if normalise_label(t) not in tmap}
    assert found == {(i.row, i.column) for i in info.problems}


def test_tidy_book_has_no_injections(tmp_path):
    info = build_demo_book(tmp_path / "tidy.xlsx", "bit-2022", messy=False)
    sheets = read_back(info)
    assert info.injected == [] and info.header_rows["活动记录"] == 1
    assert list(sheets["活动记录"].columns) == BY_NAME["活动记录"].names
    for name, col in (("活动记录", "日期"), ("人员", "聘任开始"), ("学期", "开始日期")):  # real date cells
        assert sheets[name][col].dropna().str.fullmatch(r"\d{4}-\d\d-\d\d 00:00:00").all()
    for name in ("日期", "学号", "时长", "人次"):
        assert not values.parse(BY_NAME["活动记录"].column(name).kind, sheets["活动记录"][name])[1].any()


def test_same_seed_same_content(books, tmp_path):
    first, sheets, _ = books["ustb-2022"]
    again = build_demo_book(tmp_path / "again.xlsx", "ustb-2022")
    for name, frame in read_back(again).items():
        pd.testing.assert_frame_equal(frame, sheets[name])
    assert again.path.read_bytes() == first.path.read_bytes()
    assert again.injected == first.injected
    other = demo_frames("ustb-2022", seed=2025).frames["活动记录"]
    assert not other.equals(demo_frames("ustb-2022").frames["活动记录"])


def test_scaled_log_has_exactly_the_rows_asked(tmp_path):
    for rows in (500, 100_000):  # sampled down from the rule-driven log, and extended beyond it
        data = demo_frames("lctc-2024", log_rows=rows)
        log = data.frames["活动记录"]
        assert len(log) == rows == len(data.extra) and log["日期"].is_monotonic_increasing
        assert log["工号"].nunique() == 39  # everyone but the idle staff member
    info = build_demo_book(tmp_path, "hfut-math", log_rows=5_000)  # a directory: the file is named for the pack
    assert info.path.name == "示例-hfut-math.xlsx" and info.rows["活动记录"] == 5_000
    assert fastexcel.read_excel(info.path).load_sheet_by_name("活动记录", header_row=1, use_columns=[0]).height == 5_000


@pytest.mark.parametrize("pid", PACKS)
def test_reader_reports_exactly_the_injected_bad_cells(books, pid):
    from mentor_xl.workbook.reader import read_book

    info = books[pid][0]
    book = read_book(info.path, policy_pack=load_pack(pid))
    errors = {(p.sheet, p.row, p.column) for p in book.problems if p.level == "error"}
    # an unknown 活动类型 is the engine's to report (it needs the pack's types), the rest the reader's
    assert errors == {(i.sheet, i.row, i.column) for i in info.problems if i.column != "活动类型"}
    log = book.log.set_index("_row")
    for inj in info.injected:
        if not inj.bad:
            got = log.at[inj.row, inj.column]
            got = got.date() if inj.column == "日期" else got
            assert got == ([inj.expected] if inj.column == "学号" else inj.expected), inj
