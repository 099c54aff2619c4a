"""Read a pack file into the typed model (``packs.model``), checking every section at load.

Every error is collected (file and key named) and raised together as one PackError, so
``check`` lists them all and no malformed section reaches a later command.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mentor_xl.money import MoneyError, to_fraction, wan_to_yuan
from mentor_xl.packs.model import (
    LEVEL_TABLES, MEASURES, AfterFail, PART_SOURCES, PERIODS, PREDICATE_KINDS, RANKED_KINDS, SCHEMES, SCOPES, SOURCES,
    TERM_ONLY_MEASURES, VETO_SOURCES, Assessment, Award, Component, Documents, Eligibility, NotCounted, Pack,
    PackError, Pairing, Part, Predicate, Quota, Requirement, Rule, Setting, Threshold, Veto, frozen_map,
)

PACK_DIR = Path(__file__).parent
_MISSING = object()


class _Reader:
    """Typed access to one pack file's TOML that records an error instead of raising."""

    def __init__(self, name: str):
        self.name = name
        self.errors: list[str] = []

    def error(self, where: str, what: str) -> None:
        self.errors.append(f"制度文件 {self.name}：{where} {what}")

    def get(self, d: Any, key: str, typ, where: str, default: Any = _MISSING):
        """d[key] checked against ``typ``; a missing key with no default, or a wrong type, is an error."""
        if not isinstance(d, dict):
            return None if default is _MISSING else default
        if key not in d:
            if default is _MISSING:
                self.error(where, f"缺少键 “{key}”")
                return None
            return default
        v = d[key]
        if typ is float:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif typ is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, typ)
        if not ok:
            self.error(f"{where}.{key}", f"的值 {v!r} 类型不对")
            return None if default is _MISSING else default
        return v

    def strings(self, d: Any, key: str, where: str, default: Any = _MISSING) -> tuple[str, ...] | None:
        v = self.get(d, key, list, where, default)
        if v is None or v is default:
            return v if v is None else tuple(v)
        if not all(isinstance(x, str) for x in v):
            self.error(f"{where}.{key}", "必须是字符串列表")
            return ()
        return tuple(v)

    def table(self, d: Any, key: str, where: str) -> dict:
        v = self.get(d, key, dict, where, {})
        return v if isinstance(v, dict) else {}

    def tables(self, d: Any, key: str, where: str) -> list[dict]:
        v = self.get(d, key, list, where, [])
        out = []
        for i, x in enumerate(v or []):
            if isinstance(x, dict):
                out.append(x)
            else:
                self.error(f"{where}.{key}[{i}]", "必须是表（[[...]]）")
        return out

    def one_of(self, value, allowed, where: str) -> bool:
        if value is not None and value not in allowed:
            self.error(where, f"= “{value}” 不是 {', '.join(allowed)} 之一")
            return False
        return value is not None


def available() -> list[str]:
    return sorted(p.stem for p in PACK_DIR.glob("*.toml") if p.stem != "common")


def load_pack(pack_id: str | Pack) -> Pack:
    """A shipped pack by its id (bit-2022 …). Never a path: a 设置 cell or an Excel formula
    argument names a pack, and must not make the program read a file of its choosing.
    A Pack already loaded (``load_pack_file`` for ``--policy FILE.toml``) is returned as is."""
    if isinstance(pack_id, Pack):
        return pack_id
    pid = str(pack_id).strip()
    if pid not in available():
        raise PackError(f"未知的制度“{pack_id}”。可用的制度：{'、'.join(available())}")
    return parse_pack(PACK_DIR / f"{pid}.toml")


def load_pack_file(path: str | Path) -> Pack:
    """A pack from a .toml file the user named on the command line (``--policy PATH.toml``)."""
    p = Path(path)
    if p.suffix.lower() != ".toml":
        raise PackError(f"制度文件“{path}”须是 .toml 文件")
    if not p.is_file():
        raise PackError(f"找不到制度文件“{path}”")
    return parse_pack(p)


def parse_pack(path: Path) -> Pack:
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PackError(f"制度文件 {name} 格式错误：{e}") from e
    common = tomllib.loads((PACK_DIR / "common.toml").read_text(encoding="utf-8"))
    rd = _Reader(name)

    pid = rd.get(data, "id", str, "顶层") or path.stem
    roles: dict[str, tuple[str, ...]] = {}
    for r, v in rd.get(data, "roles", dict, "顶层", {}).items():
        roles[r] = rd.strings(v if isinstance(v, dict) else {}, "aliases", f"roles.{r}") or ()
    types: dict[str, tuple[str, ...]] = {}
    for t, a in rd.get(data, "types", dict, "顶层", {}).items():
        if not isinstance(a, list) or not all(isinstance(x, str) for x in a):
            rd.error(f"types.{t}", "必须是字符串列表")
            a = []
        types[t] = tuple(a)

    settings = _settings(rd, common, data, name)
    rules = _rules(rd, data, roles, types)
    pack = Pack(
        id=pid, name=str(data.get("name", pid)), institution=str(data.get("institution", "")),
        document=str(data.get("document", "")), issuer=str(data.get("issuer", "")),
        roles=roles, types=types, rules=rules, settings=settings, path=path,
    )
    pack.tables = frozen_map({t: frozen_map(_levels(rd, data, t)) for t in LEVEL_TABLES if t in data})
    pack.assessment = _assessment(rd, data, pack)
    pack.eligibility = _eligibility(rd, data, pack)  # after [assessment]: after_fail names its tiers
    pack.pairing = _pairing(rd, data, pack)
    pack.awards = _awards(rd, data, pack)
    pack.documents = _documents(rd, data)
    pack.columns = _columns(rd, data)
    years = rd.get(data, "appointment_years", int, "顶层", None)
    if years is not None and years <= 0:
        rd.error("顶层", f"appointment_years = {years} 必须是正整数")
    pack.appointment_years = years if isinstance(years, int) and years > 0 else None
    if rd.errors:
        raise PackError("\n".join(rd.errors), rd.errors)
    return pack


# ------------------------------------------------------------------------------- sections
def _settings(rd: _Reader, common: dict, data: dict, name: str) -> dict[str, Setting]:
    settings: dict[str, Setting] = {}
    for src, items in (("common.toml", common.get("settings", [])), (name, data.get("settings", []))):
        if not isinstance(items, list):
            rd.error("settings", "必须是 [[settings]] 表的列表")
            continue
        for i, s in enumerate(items):
            if not isinstance(s, dict) or not {"key", "label", "default"} <= set(s):
                rd.errors.append(f"制度文件 {src}：settings[{i}] 需要 key、label、default 三个键")
                continue
            settings[s["key"]] = Setting(s["key"], str(s["label"]), s["default"], str(s.get("note", "")))
    return settings


def _rules(rd: _Reader, data: dict, roles: dict, types: dict) -> list[Rule]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(rd.tables(data, "rules", "顶层")):
        rid = rd.get(r, "id", str, f"rules[{i}]")
        if rid is None:
            continue
        where = f"rules[{i}] ({rid})"
        if rid in seen:
            rd.error(where, f"规则 id “{rid}” 重复")
        seen.add(rid)
        scope, period, measure = (rd.get(r, k, str, where) for k in ("scope", "period", "measure"))
        ok = all([rd.one_of(scope, SCOPES, f"{where}.scope"), rd.one_of(period, PERIODS, f"{where}.period"),
                  rd.one_of(measure, MEASURES, f"{where}.measure")])
        if not ok:
            continue
        if measure in TERM_ONLY_MEASURES and period != "term":
            rd.error(f"{where}.period", f"对 {measure} 必须是 term")
        rroles = rd.strings(r, "roles", where) or ()
        for role in rroles:
            if role not in roles:
                rd.error(f"{where}.roles", f"中的角色 “{role}” 未在 [roles] 中定义")
        duties = None
        rtypes: tuple[str, ...] | None
        if measure == "duties":
            raw = rd.get(r, "duties", dict, where) or {}
            try:
                duties = {int(k): tuple(v) for k, v in raw.items()}
            except (ValueError, TypeError):
                rd.error(f"{where}.duties", "的键必须是年级数字 1-4，值是活动类型列表")
                duties = {}
            rtypes = None
        elif r.get("types") == "*":
            rtypes = None
        elif measure == "max:students":
            rtypes = ()
        else:
            rtypes = rd.strings(r, "types", where) or ()
        for t in (rtypes or ()) + tuple(x for v in (duties or {}).values() for x in v):
            if t not in types:
                rd.error(where, f"的活动类型 “{t}” 未在 [types] 中定义")
        report_only = bool(r.get("report_only", False))
        minimum, maximum = r.get("minimum"), r.get("maximum")
        num = (int, float)
        if measure == "max:students":
            if not isinstance(maximum, num) or isinstance(maximum, bool):
                rd.error(where, "缺少键 “maximum”（数字）")
        elif measure != "duties" and not report_only and (not isinstance(minimum, num) or isinstance(minimum, bool)):
            rd.error(where, "缺少键 “minimum”（数字）")
        rules.append(Rule(
            id=rid, title=str(r.get("title", rid)), clause=str(r.get("clause", "")),
            text=str(r.get("text", "")), roles=rroles, scope=scope, period=period,
            measure=measure, types=rtypes, minimum=minimum, maximum=maximum,
            report_only=report_only, duties=duties,
        ))
    return rules


def _setting_ref(rd: _Reader, pack: Pack, d: dict, key: str, where: str, *, required: bool = True,
                 number: bool = True, allow_number: bool = False):
    """A ⚙ key named by a section; it must be a [[settings]] entry whose default is a number."""
    v = d.get(key, _MISSING) if isinstance(d, dict) else _MISSING
    if v is _MISSING:
        if required:
            rd.error(where, f"缺少键 “{key}”")
        return None
    if allow_number and isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if not isinstance(v, str):
        rd.error(f"{where}.{key}", f"的值 {v!r} 应为设置项的 key")
        return None
    if v not in pack.settings:
        rd.error(f"{where}.{key}", f"引用的设置项 “{v}” 未在 [[settings]] 中定义")
        return None
    if number:
        try:
            to_fraction(pack.settings[v].default)
        except (ValueError, TypeError):
            rd.error(f"settings ({v})", f"的默认值 {pack.settings[v].default!r} 不是数字或分数")
    return v


def _role_refs(rd: _Reader, pack: Pack, d: dict, where: str) -> tuple[str, ...]:
    roles = rd.strings(d, "roles", where, None)
    if roles is None:
        return tuple(pack.roles)
    for r in roles:
        if r not in pack.roles:
            rd.error(f"{where}.roles", f"中的角色 “{r}” 未在 [roles] 中定义")
    return roles


def _assessment(rd: _Reader, data: dict, pack: Pack) -> Assessment:
    a = rd.table(data, "assessment", "顶层")
    w = "assessment"
    scheme = rd.get(a, "scheme", str, w, "none")
    if not rd.one_of(scheme, SCHEMES, f"{w}.scheme"):
        scheme = "none"
    message = rd.get(a, "message", str, w, "") or (
        f"制度“{pack.name}”未规定考核等次，没有可评定的考核等级。"
        "如该制度有奖项目录，请使用 mentor-xl awards 核对奖励提名与预算。")
    if scheme == "none":
        return Assessment(scheme="none", clause=str(a.get("clause", "")), message=message,
                          roles=_role_refs(rd, pack, a, w))
    period = rd.get(a, "period", str, w, "year")
    rd.one_of(period, ("term", "year"), f"{w}.period")
    clause = str(a.get("clause", ""))
    tiers = rd.strings(a, "tiers", w) or ()
    if not tiers:
        rd.error(f"{w}.tiers", "不能为空")

    def tier_ref(d: dict, key: str, where: str, required: bool = True) -> str | None:
        t = rd.get(d, key, str, where, _MISSING if required else None)
        if t is not None and t not in tiers:
            rd.error(f"{where}.{key}", f"= “{t}” 不在 assessment.tiers 中")
        return t

    comps = []
    for i, c in enumerate(rd.tables(a, "components", w)):
        cw = f"{w}.components[{i}]"
        src = rd.get(c, "source", str, cw)
        rd.one_of(src, SOURCES, f"{cw}.source")
        comps.append(Component(src, str(c.get("label", src)), _setting_ref(rd, pack, c, "weight", cw)))
    ths = []
    for i, t in enumerate(rd.tables(a, "thresholds", w)):
        tw = f"{w}.thresholds[{i}]"
        ths.append(Threshold(tier_ref(t, "tier", tw), _setting_ref(rd, pack, t, "min", tw)))
    quota = None
    if "quota" in a:
        q = rd.table(a, "quota", w)
        qw = f"{w}.quota"
        tb = rd.strings(q, "tie_break", qw, ()) or ()
        for k in tb:
            rd.one_of(k, SOURCES, f"{qw}.tie_break")
        qt = tier_ref(q, "tier", qw)
        if qt is not None and qt not in {t.tier for t in ths}:
            rd.error(f"{qw}.tier", f"“{qt}” 没有对应的 assessment.thresholds")
        quota = Quota(qt, _setting_ref(rd, pack, q, "share", qw), str(q.get("clause", clause)), tb)
    vetoes = []
    for i, v in enumerate(rd.tables(a, "vetoes", w)):
        vw = f"{w}.vetoes[{i}]"
        src = rd.get(v, "source", str, vw)
        rd.one_of(src, VETO_SOURCES, f"{vw}.source")
        rule = None
        if src == "rule_missed":
            rule = rd.get(v, "rule", str, vw)
            if rule is not None and rule not in {r.id for r in pack.rules}:
                rd.error(f"{vw}.rule", f"引用的规则 “{rule}” 未在 [[rules]] 中定义")
        vetoes.append(Veto(src, tier_ref(v, "tier", vw), str(v.get("label", "一票否决")),
                           str(v.get("clause", clause)), rule))
    parts = []
    for i, p in enumerate(rd.tables(a, "parts", w)):
        pw = f"{w}.parts[{i}]"
        src = rd.get(p, "source", str, pw)
        rd.one_of(src, PART_SOURCES, f"{pw}.source")
        parts.append(Part(
            src, str(p.get("label", src)), str(p.get("clause", "")),
            min=_setting_ref(rd, pack, p, "min", pw, required=False),
            valid_share=_setting_ref(rd, pack, p, "valid_share", pw, required=False),
            new_class_share=_setting_ref(rd, pack, p, "new_class_share", pw, required=src == "class_rank"),
            no_previous=str(p.get("no_previous", "待定"))))
    nc = None
    if "not_counted" in a:
        n = rd.table(a, "not_counted", w)
        nc = NotCounted(_setting_ref(rd, pack, n, "min_active_share", f"{w}.not_counted"), str(n.get("clause", clause)))
    subsidy = {}
    for tier, key in rd.table(a, "subsidy", w).items():
        if tier not in tiers:
            rd.error(f"{w}.subsidy", f"的等级 “{tier}” 不在 assessment.tiers 中")
        subsidy[tier] = _setting_ref(rd, pack, {"v": key}, "v", f"{w}.subsidy.{tier}")
    if scheme == "score" and not comps:
        rd.error(f"{w}.components", "score 方案至少需要一个组成部分")
    if scheme == "score" and not ths:
        rd.error(f"{w}.thresholds", "score 方案至少需要一条分数线")
    if scheme == "parts" and not parts:
        rd.error(f"{w}.parts", "parts 方案至少需要一个部分")
    pass_tier = tier_ref(a, "pass_tier", w, required=scheme == "parts")
    fail_tier = tier_ref(a, "fail_tier", w, required=True)
    return Assessment(scheme=scheme, period=period, clause=clause, roles=_role_refs(rd, pack, a, w), tiers=tiers,
                      pass_tier=pass_tier, fail_tier=fail_tier, components=tuple(comps),
                      thresholds=tuple(ths), quota=quota, vetoes=tuple(vetoes), parts=tuple(parts),
                      not_counted=nc, subsidy=frozen_map(subsidy), message=message)


def _levels(rd: _Reader, data: dict, table: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for level, names in rd.table(data, table, "顶层").items():
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            rd.error(f"{table}.{level}", "必须是字符串列表")
            continue
        out[level] = tuple(names)
    return out


def _eligibility(rd: _Reader, data: dict, pack: Pack) -> Eligibility | None:
    if "eligibility" not in data:
        return None
    e = rd.table(data, "eligibility", "顶层")
    w = "eligibility"
    orders = {}
    for k, v in e.items():
        if k.endswith("_order"):
            orders[k] = rd.strings(e, k, w) or ()
    preds = {}
    for name, p in rd.table(e, "predicates", w).items():
        pw = f"{w}.predicates.{name}"
        if not isinstance(p, dict):
            rd.error(pw, "必须是表")
            continue
        kind = rd.get(p, "kind", str, pw)
        if not rd.one_of(kind, PREDICATE_KINDS, f"{pw}.kind"):
            continue
        rank = None
        if kind in RANKED_KINDS:
            table, order_key = RANKED_KINDS[kind]
            rank = rd.get(p, "rank", str, pw)
            if order_key not in orders:
                rd.error(w, f"缺少键 “{order_key}”（{name} 需要）")
            elif rank is not None and rank not in orders[order_key]:
                rd.error(f"{pw}.rank", f"= “{rank}” 不在 [eligibility].{order_key} 中")
            if table not in pack.tables:
                rd.error("顶层", f"缺少对照表 [{table}]（{name} 需要）")
        col = rd.get(p, "column", str, pw) if kind == "number_at_least" else None
        mn = _setting_ref(rd, pack, p, "min", pw, allow_number=True) if kind == "number_at_least" else None
        years = (_setting_ref(rd, pack, p, "years", pw, allow_number=True)
                 if kind in ("age_below", "not_removed_within") else None)
        cols = rd.strings(p, "columns", pw) or () if kind == "text_contains" else ()
        words = rd.strings(p, "words", pw) or () if kind == "text_contains" else ()
        preds[name] = Predicate(name=name, kind=kind, label=str(p.get("label", name)), clause=str(p.get("clause", "")),
                                rank=rank, column=col, min=mn, years=years, columns=cols, words=words)
    reqs = []
    for i, q in enumerate(rd.tables(e, "requirements", w)):
        qw = f"{w}.requirements[{i}]"
        parts = {k: rd.strings(q, k, qw, ()) or () for k in ("any", "all", "when", "unless")}
        if bool(parts["any"]) == bool(parts["all"]):
            rd.error(qw, "须有且只有 any 或 all 之一（非空列表）")
        for k, names in parts.items():
            for n in names:
                if n not in preds:
                    rd.error(f"{qw}.{k}", f"引用了未定义的条件 “{n}”")
        reqs.append(Requirement(**parts, clause=str(q.get("clause", ""))))
    after = None
    if "after_fail" in e:
        f = rd.table(e, "after_fail", w)
        fw = f"{w}.after_fail"
        tier = rd.get(f, "tier", str, fw)
        if pack.assessment.scheme == "none" or pack.assessment.period != "term":
            rd.error(fw, "需要按学期考核的 [assessment]（period = \"term\"）")
        elif tier is not None and tier not in pack.assessment.tiers:
            rd.error(f"{fw}.tier", f"= “{tier}” 不在 assessment.tiers 中")
        after = AfterFail(tier or "", str(f.get("label", tier)), str(f.get("clause", "")))
    return Eligibility(clause=str(e.get("clause", "")), roles=_role_refs(rd, pack, e, w),
                       orders=frozen_map(orders), predicates=frozen_map(preds), requirements=tuple(reqs),
                       after_fail=after)


def _pairing(rd: _Reader, data: dict, pack: Pack) -> Pairing | None:
    if "pairing" not in data:
        return None
    p = rd.table(data, "pairing", "顶层")
    return Pairing(clause=str(p.get("clause", "")), bottom_share=_setting_ref(rd, pack, p, "bottom_share", "pairing"),
                   new_teacher_columns=rd.strings(p, "new_teacher_columns", "pairing", ()) or ())


def _awards(rd: _Reader, data: dict, pack: Pack) -> tuple[Award, ...]:
    out = []
    names: set[str] = set()
    for i, a in enumerate(rd.tables(data, "awards", "顶层")):
        name = rd.get(a, "name", str, f"awards[{i}]")
        if not name:
            continue
        w = f"awards[{i}] ({name})"
        if name in names:
            rd.error(w, f"奖项名称 “{name}” 重复")
        names.add(name)
        recipient = rd.get(a, "recipient", str, w, "person")
        rd.one_of(recipient, ("person", "college"), f"{w}.recipient")
        role = a.get("role")
        if recipient == "person":
            if role is None:
                rd.error(w, "缺少键 “role”")
            elif role != "*" and role not in pack.roles:
                rd.error(f"{w}.role", f"的角色 “{role}” 未在 [roles] 中定义")
        amount = a.get("amount_wan")
        yuan = 0
        if not isinstance(amount, str):
            rd.error(f"{w}.amount_wan", "须写成文本，如 \"1.00\"")
        else:
            try:
                yuan = wan_to_yuan(amount)
            except MoneyError as e:
                rd.error(f"{w}.amount_wan", f"：{e}")
        cap = a.get("cap")
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
            rd.error(f"{w}.cap", "须为非负整数")
            cap = None
        level = rd.get(a, "level", int, w, 1)
        out.append(Award(name=name, aliases=rd.strings(a, "aliases", w, ()) or (),
                         role=role if recipient == "person" else None, recipient=recipient or "person",
                         cap=cap, amount_yuan=yuan, ladder=rd.get(a, "ladder", str, w, None),
                         level=level if isinstance(level, int) else 1, clause=str(a.get("clause", "")),
                         note=str(a.get("note", ""))))
    return tuple(out)


def _documents(rd: _Reader, data: dict) -> Documents:
    d = rd.table(data, "documents", "顶层")
    kinds = rd.strings(d, "kinds", "documents", ()) or ()
    # Kind ids are checked against the document registry by documents/, which packs cannot import.
    return Documents(kinds=kinds, texts=frozen_map({k: v for k, v in d.items() if k != "kinds"}))


def _columns(rd: _Reader, data: dict) -> dict:
    out = {}
    for sheet, cols in rd.table(data, "columns", "顶层").items():
        if not isinstance(cols, dict):
            rd.error(f"columns.{sheet}", "必须是表（列名 = [别名]）")
            continue
        out[sheet] = frozen_map({c: rd.strings(cols, c, f"columns.{sheet}") or () for c in cols})
    return frozen_map(out)
