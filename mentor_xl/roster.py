"""Who holds which role in 人员: the one place the engine, assess, eligibility, awards and the
documents read it (docs/policies.md "Who holds a role").

A person may have several 人员 rows (one per role) or several roles in one cell: they hold
every role listed on any of their rows. Rows of one 工号 that disagree on anything other
than the role are a data problem naming both Excel rows. Small per-person helpers (the 人员
sheet has thousands of rows at most, not the log's millions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import pandas as pd

from mentor_xl.packs import Pack, normalise_label
from mentor_xl.problems import FatalInputError, Problems

_ROLE_SPLIT = re.compile(r"[、,，;；/／\s\u3000]+")
# Columns that say what a row is about rather than who the person is.
_PER_ROW = ("角色", "_row")


def blank(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) or (
        isinstance(v, str) and not v.strip())


def text(v) -> str | None:
    return None if blank(v) else str(v).strip()


def role_list(cell, role_map: dict[str, str]) -> list[str | None]:
    """The canonical roles in a 角色 cell, in order; None for a name the pack does not know.

    The whole cell is tried first: 班主任/班导师 is one role spelled with a separator.
    """
    if blank(cell):
        return []
    whole = role_map.get(normalise_label(cell))
    if whole:
        return [whole]
    return list(dict.fromkeys(role_map.get(normalise_label(p)) for p in _ROLE_SPLIT.split(str(cell)) if p))


@dataclass(frozen=True)
class Person:
    staff_id: str
    record: dict  # the first 人员 row of this 工号 (name, 学院, dates …)
    roles: tuple[str, ...]  # every known role on any of the person's rows, in sheet order
    rows: tuple[int, ...]  # the Excel rows of the person


def people(staff: pd.DataFrame | None, pack: Pack) -> dict[str, Person]:
    """工号 -> Person, in sheet order, roles gathered from all of the person's rows."""
    if staff is None or len(staff) == 0:
        return {}
    role_map = pack.role_map()
    out: dict[str, dict] = {}
    for r in staff.to_dict("records"):
        sid = text(r.get("工号"))
        if sid is None:
            continue
        p = out.setdefault(sid, {"record": r, "roles": [], "rows": []})
        p["roles"].extend(x for x in role_list(r.get("角色"), role_map) if x)
        if not blank(r.get("_row")):
            p["rows"].append(int(r["_row"]))
    return {sid: Person(sid, p["record"], tuple(dict.fromkeys(p["roles"])), tuple(p["rows"])) for sid, p in out.items()}


def person_roles(staff: pd.DataFrame | None, pack: Pack) -> dict[str, set[str]]:
    """工号 -> the set of canonical roles the person holds (all rows)."""
    return {sid: set(p.roles) for sid, p in people(staff, pack).items()}


def row_conflicts(staff: pd.DataFrame | None, sheet: str = "人员") -> Problems:
    """Rows of one 工号 that disagree on anything but the role: one problem per column, naming
    both Excel rows. A blank cell does not disagree (a second row may leave details out)."""
    problems = Problems()
    if staff is None or len(staff) == 0 or "工号" not in staff.columns:
        return problems
    dup = staff[staff["工号"].notna() & staff["工号"].duplicated(keep=False)]
    if dup.empty:
        return problems
    cols = [c for c in dup.columns if c not in _PER_ROW and c != "工号" and not c.startswith("_")]
    for sid, g in dup.groupby("工号", sort=False):
        first = g.iloc[0]
        for _, other in g.iloc[1:].iterrows():
            for c in cols:
                a, b = first[c], other[c]
                if blank(a) or blank(b) or _same(a, b):
                    continue
                problems.add(sheet, int(other["_row"]), c, _show(b),
                             f"工号 {sid} 的第 {int(first['_row'])} 行与第 {int(other['_row'])} 行“{c}”不一致"
                             f"（“{_show(a)}”与“{_show(b)}”），以第 {int(first['_row'])} 行为准", "数据矛盾")
    return problems


def _same(a, b) -> bool:
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return normalise_label(a) == normalise_label(b) if isinstance(a, str) and isinstance(b, str) else a == b


def _show(v) -> str:
    return v.date().isoformat() if isinstance(v, pd.Timestamp) else str(v)


def people_with_roles(book, pack: Pack, roles: Iterable[str], *, purpose: str) -> Iterator[tuple[str, dict, set[str]]]:
    """(工号, the first 人员 row, their roles among ``roles``) for each person holding one — roles
    from all of the person's rows — in sheet order. An empty 人员 sheet stops the command:
    nothing to ``purpose``."""
    staff = book.staff
    if staff is None or len(staff) == 0:
        raise FatalInputError(f"工作簿中没有“人员”表或人员表为空，无法{purpose}")
    wanted = set(roles)
    for sid, p in people(staff, pack).items():
        mine = set(p.roles) & wanted
        if mine:
            yield sid, p.record, mine
