"""Policy packs: each seed policy as data (one TOML file per pack), read by one engine.

A pack holds roles (with the aliases offices write), activity types (with aliases),
rules (id, clause, role, scope, period, measure, minimum, types) and ⚙ settings
(office-set defaults). ``common.toml`` holds the settings every pack shares.
Nothing in the code branches on a pack id: a new policy is a new TOML file.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACK_DIR = Path(__file__).parent
SCOPES = ("staff", "pair", "class")
PERIODS = ("week", "biweek", "month", "term", "year")
MEASURES = ("count", "sum:时长", "sum:人次", "distinct:学号", "distinct:宿舍",
            "distinct:活动类型", "share:学号", "max:students", "deadline", "duties")
# Structural and deadline rules have one period, the term (spec: shared semantics).
TERM_ONLY_MEASURES = ("max:students", "deadline")


class PackError(ValueError):
    """A malformed pack file: the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    clause: str
    text: str
    roles: tuple[str, ...]
    scope: str
    period: str
    measure: str
    types: tuple[str, ...] | None  # None = any type the pack knows
    minimum: float | None = None
    maximum: float | None = None  # max:students: the cap
    report_only: bool = False
    duties: dict[int, tuple[str, ...]] | None = None  # measure "duties": year of study -> types

    @property
    def bound(self) -> float | None:
        """The number a period is compared with (≥ minimum, or ≤ maximum)."""
        return self.maximum if self.maximum is not None else self.minimum

    @property
    def all_types(self) -> tuple[str, ...] | None:
        if self.duties is not None:
            return tuple(t for ts in self.duties.values() for t in ts)
        return self.types


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    default: Any
    note: str = ""


@dataclass
class Pack:
    id: str
    name: str
    institution: str
    document: str
    issuer: str
    roles: dict[str, tuple[str, ...]]  # canonical role -> aliases
    types: dict[str, tuple[str, ...]]  # canonical type -> aliases
    rules: list[Rule]
    settings: dict[str, Setting]
    raw: dict = field(repr=False, default_factory=dict)  # the whole TOML, for later stages
    path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def setting(self, key: str) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        return self.settings[key].default

    def section(self, name: str) -> dict:
        """A further section of the pack file (e.g. assessment, awards), {} when absent."""
        return self.raw.get(name, {}) or {}

    # alias lookups -------------------------------------------------------------
    def type_map(self) -> dict[str, str]:
        """Every spelling (canonical and alias, normalised) -> canonical type."""
        return _alias_map(self.types)

    def role_map(self) -> dict[str, str]:
        return _alias_map(self.roles)


def normalise_label(s: str) -> str:
    """How labels are compared: no whitespace, full-width brackets made half-width, lower case."""
    s = re.sub(r"[\s\u3000]+", "", str(s))
    return s.translate(_FULLWIDTH).lower()


_FULLWIDTH = str.maketrans("（）［］：，", "()[]:,")


def _alias_map(d: dict[str, tuple[str, ...]]) -> dict[str, str]:
    m: dict[str, str] = {}
    for canon, aliases in d.items():
        for name in (canon, *aliases):
            m.setdefault(normalise_label(name), canon)
    return m


def available() -> list[str]:
    return sorted(p.stem for p in PACK_DIR.glob("*.toml") if p.stem != "common")


def load_pack(pack_id_or_path: str | Path) -> Pack:
    p = Path(pack_id_or_path)
    if p.suffix != ".toml":
        p = PACK_DIR / f"{pack_id_or_path}.toml"
        if not p.exists():
            raise PackError(f"未知的制度“{pack_id_or_path}”。可用的制度：{'、'.join(available())}")
    return parse_pack(p)


def parse_pack(path: Path) -> Pack:
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise PackError(f"制度文件 {name} 格式错误：{e}") from e
    common = tomllib.loads((PACK_DIR / "common.toml").read_text(encoding="utf-8"))

    def need(d: dict, key: str, typ, where: str):
        if key not in d:
            raise PackError(f"制度文件 {name}：{where} 缺少键 “{key}”")
        v = d[key]
        if not isinstance(v, typ):
            raise PackError(f"制度文件 {name}：{where}.{key} 的值 {v!r} 类型不对")
        return v

    pid = need(data, "id", str, "顶层")
    roles = {r: tuple(need(v, "aliases", list, f"roles.{r}")) for r, v in need(data, "roles", dict, "顶层").items()}
    types = {t: tuple(a) for t, a in need(data, "types", dict, "顶层").items()}
    for t, a in types.items():
        if not all(isinstance(x, str) for x in a):
            raise PackError(f"制度文件 {name}：types.{t} 必须是字符串列表")

    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(need(data, "rules", list, "顶层")):
        where = f"rules[{i}]"
        rid = need(r, "id", str, where)
        where = f"rules[{i}] ({rid})"
        if rid in seen:
            raise PackError(f"制度文件 {name}：规则 id “{rid}” 重复")
        seen.add(rid)
        scope, period, measure = (need(r, k, str, where) for k in ("scope", "period", "measure"))
        for key, val, allowed in (("scope", scope, SCOPES), ("period", period, PERIODS), ("measure", measure, MEASURES)):
            if val not in allowed:
                raise PackError(f"制度文件 {name}：{where}.{key} = “{val}” 不是 {', '.join(allowed)} 之一")
        if measure in TERM_ONLY_MEASURES and period != "term":
            raise PackError(f"制度文件 {name}：{where}.period 对 {measure} 必须是 term")
        rroles = tuple(need(r, "roles", list, where))
        for role in rroles:
            if role not in roles:
                raise PackError(f"制度文件 {name}：{where}.roles 中的角色 “{role}” 未在 [roles] 中定义")
        rtypes = r.get("types")
        duties = None
        if measure == "duties":
            raw = need(r, "duties", dict, where)
            try:
                duties = {int(k): tuple(v) for k, v in raw.items()}
            except ValueError as e:
                raise PackError(f"制度文件 {name}：{where}.duties 的键必须是年级数字 1-4") from e
            rtypes_t = None
        elif rtypes == "*":
            rtypes_t = None
        elif measure == "max:students":
            rtypes_t = ()
        else:
            rtypes_t = tuple(need(r, "types", list, where))
        for t in (rtypes_t or ()) + tuple(x for v in (duties or {}).values() for x in v):
            if t not in types:
                raise PackError(f"制度文件 {name}：{where} 的活动类型 “{t}” 未在 [types] 中定义")
        report_only = bool(r.get("report_only", False))
        minimum = r.get("minimum")
        maximum = r.get("maximum")
        if measure == "max:students":
            if not isinstance(maximum, (int, float)):
                raise PackError(f"制度文件 {name}：{where} 缺少键 “maximum”（数字）")
        elif measure != "duties" and not report_only and not isinstance(minimum, (int, float)):
            raise PackError(f"制度文件 {name}：{where} 缺少键 “minimum”（数字）")
        rules.append(Rule(
            id=rid, title=str(r.get("title", rid)), clause=str(r.get("clause", "")),
            text=str(r.get("text", "")), roles=rroles, scope=scope, period=period,
            measure=measure, types=rtypes_t, minimum=minimum, maximum=maximum,
            report_only=report_only, duties=duties,
        ))

    settings: dict[str, Setting] = {}
    for src, items in (("common.toml", common.get("settings", [])), (name, data.get("settings", []))):
        for i, s in enumerate(items):
            where = f"settings[{i}]"
            if "key" not in s or "label" not in s or "default" not in s:
                raise PackError(f"制度文件 {src}：{where} 需要 key、label、default 三个键")
            settings[s["key"]] = Setting(s["key"], s["label"], s["default"], s.get("note", ""))

    return Pack(
        id=pid, name=str(data.get("name", pid)), institution=str(data.get("institution", "")),
        document=str(data.get("document", "")), issuer=str(data.get("issuer", "")),
        roles=roles, types=types, rules=rules, settings=settings, raw=data, path=path,
    )


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
        from mentor_xl.workbook.values import parse_number_scalar
        v = parse_number_scalar(value)
        if v is None:
            return None
        return int(v) if isinstance(default, int) and float(v).is_integer() else v
    return str(value).strip()
