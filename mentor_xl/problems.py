"""Data problems: every bad value is named (sheet, Excel row, column, value) in Chinese.

Like pandera's lazy validation: readers and the engine *collect* problems and keep
going with the valid rest; nothing raises on bad data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # Excel row number (1-based, as the office sees it)
    column: str | None
    value: Any
    message: str
    category: str = "数据格式"  # groups the 数据问题 sheet, e.g. 缺少列, 日期格式, 未知活动类型
    level: str = "error"  # "error": the value was not used; "warning": used, but look at it

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"] = _jsonable(self.value)
        return d


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, bool)):
        return v
    if isinstance(v, float):
        return None if v != v else (int(v) if v.is_integer() else v)
    return str(v)


@dataclass
class Problems:
    """An append-only list of problems with helpers for the common shapes."""

    items: list[Problem] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, column: str | None, value: Any,
            message: str, category: str = "数据格式", level: str = "error") -> None:
        self.items.append(Problem(sheet, row, column, value, message, category, level))

    def extend(self, other) -> None:
        self.items.extend(other.items if isinstance(other, Problems) else other)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_list(self) -> list[dict]:
        return [p.to_dict() for p in self.items]


class FatalInputError(Exception):
    """Input so broken that the command cannot run (missing 活动记录 sheet, unknown term …).

    The CLI turns it into exit code 1 with the Chinese message.
    """


# What the reader is reading now (a sheet, a file): named in the message of an unexpected error.
_READING: list[str] = [""]


def reading(what: str | None = None) -> str:
    """Set (when given) and return what is being read now, e.g. 工作表“活动记录”."""
    if what is not None:
        _READING[0] = what
    return _READING[0]


STRUCTURAL = ("制度文件", "缺少工作表", "缺少列", "列名不明确", "工作表无法读取")  # what stops a sheet: shown first


def structural_first(problems: "Problems") -> "Problems":
    """The same problems, those that stop a whole sheet (a missing sheet or column) first."""
    sheets: dict[str, int] = {}
    for p in problems:
        sheets.setdefault(p.sheet, len(sheets))
    out = Problems()
    out.extend([p for p in problems if p.category in STRUCTURAL])
    # the rest sheet by sheet (in the order first met), by Excel row within a sheet
    out.extend(sorted((p for p in problems if p.category not in STRUCTURAL),
                      key=lambda p: (sheets[p.sheet], p.row is not None, p.row or 0)))
    return out
