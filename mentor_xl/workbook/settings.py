"""The office's 设置 sheet applied to its pack's ⚙ values (项目 by label or key → 值)."""
from __future__ import annotations

from typing import Any

from mentor_xl.packs import Pack, normalise_label
from mentor_xl.workbook.values import parse_number_scalar


def apply_settings(pack: Pack, rows: dict[str, str], problems=None, rownums: dict[str, int] | None = None) -> Pack:
    """Apply the office's 设置 sheet (项目 -> 值) to the pack's ⚙ values.

    A 项目 matches a setting by its label or key. Values are read as numbers when the
    default is a number. Unreadable values are reported and the default kept.
    """
    by_label = {normalise_label(s.label): s for s in pack.settings.values()}
    by_label.update({normalise_label(s.key): s for s in pack.settings.values()})
    for item, value in rows.items():
        s = by_label.get(normalise_label(item))
        if s is None:
            continue
        v = _coerce_like(s.default, value)
        if v is None:
            if problems is not None:
                problems.add("设置", (rownums or {}).get(item), "值", value,
                             f"设置项“{item}”的值“{value}”无法识别，已使用默认值 {s.default}", "设置")
            continue
        pack.overrides[s.key] = v
    return pack


def _coerce_like(default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        t = str(value).strip()
        return True if t in ("是", "true", "True", "1", "Y", "y") else False if t in ("否", "false", "False", "0", "N", "n") else None
    if isinstance(default, (int, float)):
        v = parse_number_scalar(value)
        if v is None:
            return None
        return int(v) if isinstance(default, int) and float(v).is_integer() else v
    return str(value).strip()
