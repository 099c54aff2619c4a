"""The policy pack as typed data: one frozen dataclass per section of a pack file.

Built and checked by ``packs.load``; every engine reads its own section from here
(assess → ``Pack.assessment``, eligibility → ``Pack.eligibility``/``pairing``/``tables``,
awards → ``Pack.awards``, documents → ``Pack.documents``, the reader → ``Pack.columns``).
⚙ values are named by their setting key: an office may override them in its 设置 sheet,
so they are read through ``Pack.setting`` when a command runs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from mentor_xl.packs.measures import MEASURES as _MEASURES

SCOPES = ("staff", "pair", "class")
PERIODS = ("week", "biweek", "month", "term", "year")
MEASURES = tuple(_MEASURES)  # the measure types (packs.measures, one Measure each)
# Structural and deadline rules have one period, the term (spec: shared semantics).
TERM_ONLY_MEASURES = tuple(m.id for m in _MEASURES.values() if m.term_only)

SCHEMES = ("score", "parts", "none")
SOURCES = ("compliance", "review", "survey")  # score components and tie-break keys
PART_SOURCES = ("compliance", "survey", "class_rank")
VETO_SOURCES = ("review_veto", "rule_missed")
PREDICATE_KINDS = ("title_at_least", "office_at_least", "honour_at_least", "education_at_least",
                   "number_at_least", "age_below", "not_removed_within", "text_contains")
# Which level table and which [eligibility] order a ranked predicate kind reads.
RANKED_KINDS = {"title_at_least": ("titles", "title_order"), "office_at_least": ("offices", "office_order"),
                "honour_at_least": ("honours", "honour_order"), "education_at_least": ("education", "education_order")}
LEVEL_TABLES = ("titles", "offices", "education", "honours")


class PackError(ValueError):
    """A malformed pack file: the message names the file and the key (every error, one a line)."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or [message]


def frozen_map(d: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(d or {}))


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


# ------------------------------------------------------------------------- [assessment]
@dataclass(frozen=True)
class Component:
    source: str  # one of SOURCES
    label: str
    weight: str  # ⚙ key


@dataclass(frozen=True)
class Threshold:
    tier: str
    min: str  # ⚙ key


@dataclass(frozen=True)
class Quota:
    tier: str
    share: str  # ⚙ key
    clause: str
    tie_break: tuple[str, ...] = ()


@dataclass(frozen=True)
class Veto:
    source: str  # one of VETO_SOURCES
    tier: str
    label: str
    clause: str
    rule: str | None = None  # rule_missed: the rule id


@dataclass(frozen=True)
class Part:
    source: str  # one of PART_SOURCES
    label: str
    clause: str
    min: str | None = None  # ⚙ key
    valid_share: str | None = None  # ⚙ key (survey)
    new_class_share: str | None = None  # ⚙ key (class_rank)
    no_previous: str = "待定"


@dataclass(frozen=True)
class NotCounted:
    min_active_share: str  # ⚙ key
    clause: str


@dataclass(frozen=True)
class Assessment:
    scheme: str = "none"
    period: str = "year"  # "term" or "year"
    clause: str = ""
    roles: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    pass_tier: str | None = None
    fail_tier: str | None = None
    components: tuple[Component, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    quota: Quota | None = None
    vetoes: tuple[Veto, ...] = ()
    parts: tuple[Part, ...] = ()
    not_counted: NotCounted | None = None
    subsidy: Mapping[str, str] = field(default_factory=frozen_map)  # tier -> ⚙ key (whole 元)
    message: str = ""


# ------------------------------------------------------------------------ [eligibility]
@dataclass(frozen=True)
class Predicate:
    name: str
    kind: str  # one of PREDICATE_KINDS
    label: str
    clause: str
    rank: str | None = None  # *_at_least
    column: str | None = None  # number_at_least
    min: str | float | None = None  # number_at_least: ⚙ key or a number
    years: str | float | None = None  # age_below, not_removed_within: ⚙ key or a number
    columns: tuple[str, ...] = ()  # text_contains
    words: tuple[str, ...] = ()  # text_contains


@dataclass(frozen=True)
class Requirement:
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    clause: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return self.any or self.all


@dataclass(frozen=True)
class AfterFail:
    """A tier of last term's assessment that bars appointment this term (lctc-2024 五.5)."""
    tier: str
    label: str
    clause: str


@dataclass(frozen=True)
class Eligibility:
    clause: str
    roles: tuple[str, ...]
    orders: Mapping[str, tuple[str, ...]]  # "title_order" -> levels, low to high
    predicates: Mapping[str, Predicate]
    requirements: tuple[Requirement, ...]
    after_fail: AfterFail | None = None


@dataclass(frozen=True)
class Pairing:
    clause: str
    bottom_share: str  # ⚙ key
    new_teacher_columns: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- [[awards]]
@dataclass(frozen=True)
class Award:
    name: str
    aliases: tuple[str, ...]
    role: str | None  # canonical role; "*" = any role; None for a college award
    recipient: str  # "person" | "college"
    cap: int | None
    amount_yuan: int
    ladder: str | None
    level: int
    clause: str
    note: str = ""


# --------------------------------------------------------------------------- [documents]
@dataclass(frozen=True)
class Documents:
    """The document kinds a policy uses, and open text keys (wording of notices) by name."""
    kinds: tuple[str, ...] = ()
    texts: Mapping[str, Any] = field(default_factory=frozen_map)

    def get(self, key: str, default: Any = None) -> Any:
        return self.texts.get(key, default)


# ---------------------------------------------------------------------------------- Pack
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
    assessment: Assessment = field(default_factory=Assessment)
    eligibility: Eligibility | None = None
    pairing: Pairing | None = None
    awards: tuple[Award, ...] = ()
    documents: Documents = field(default_factory=Documents)
    columns: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=frozen_map)  # sheet -> column -> aliases
    tables: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=frozen_map)  # "titles" -> level -> names
    appointment_years: int | None = None  # 聘期 in years when the policy fixes it (bit-2022: 4)
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


def _alias_map(d: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    m: dict[str, str] = {}
    for canon, aliases in d.items():
        for name in (canon, *aliases):
            m.setdefault(normalise_label(name), canon)
    return m
