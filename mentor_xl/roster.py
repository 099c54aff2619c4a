"""Who holds which role in 人员: the one place assess, eligibility and awards read it.

Small per-person helpers (the 人员 sheet has thousands of rows at most, not the log's millions).
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

import pandas as pd

from mentor_xl.packs import Pack, normalise_label
from mentor_xl.problems import FatalInputError

_ROLE_SPLIT = re.compile(r"[、,，;；/／\s\u3000]+")


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


def staff_roles(cell, role_map: dict[str, str]) -> set[str]:
    """The canonical roles in a 人员.角色 cell (several may be listed: 班主任、辅导员)."""
    if blank(cell):
        return set()
    return {role_map.get(normalise_label(part), part) for part in _ROLE_SPLIT.split(str(cell)) if part}


def people_with_roles(book, pack: Pack, roles: Iterable[str], *, purpose: str) -> Iterator[tuple[str, dict, set[str]]]:
    """(工号, the 人员 row, their roles among ``roles``) for each person holding one, first row
    per 工号, in sheet order. An empty 人员 sheet stops the command: nothing to ``purpose``."""
    staff = book.staff
    if staff is None or len(staff) == 0:
        raise FatalInputError(f"工作簿中没有“人员”表或人员表为空，无法{purpose}")
    role_map, wanted, seen = pack.role_map(), set(roles), set()
    for person in staff.to_dict("records"):
        sid = text(person.get("工号"))
        mine = staff_roles(person.get("角色"), role_map) & wanted
        if sid is None or sid in seen or not mine:
            continue
        seen.add(sid)
        yield sid, person, mine
