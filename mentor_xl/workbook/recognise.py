"""How an office's own sheets and headers are recognised (workbook.md, "as it is").

Beyond names and aliases: a header is matched by its key word when that leaves no doubt
(谈话日期 → 日期, 教师工号 → 工号, 所在书院 → 学院), a 活动类型 column by its values (谈话方式
holding 谈心谈话, 下午茶 …), and a sheet no alias names by the columns it has. Layout that is
not data — a 序号 column, a 填表人/审核人 footer — is told apart here too.

Everything found is recorded (``Recognition``) so ``check`` can show the office what was read
as what, and every doubt becomes a problem with the 列映射 row that settles it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mentor_xl.packs import normalise_label
from mentor_xl.workbook.schema import BY_NAME, Sheet
from mentor_xl.workbook.values import true_mask

# A column that only numbers the rows: layout, never data (奖项提名 reads 序号 as 排序 by alias first).
LAYOUT_HEADERS = frozenset(map(normalise_label, ("序号", "序", "行号", "No.", "No")))
# Footer cells under a table: 填表人：张三, 审核人：, 制表：, 注：…, 负责人签字, 填表日期：
_FOOTER = "^[ \u3000]*(?:填表人|填报人|审核人|审批人|制表人?|复核人|负责人|经办人|签字|签名|盖章|注|说明|备注|填表日期|填报日期|制表日期)[ \u3000]*(?:[:：(（]|$)"
# Columns that repeat a person's name for the reader's eye (学生姓名 in 指导关系): kept, not reported.
NAME_HEADERS = frozenset(map(normalise_label, ("姓名", "学生姓名", "教师姓名", "导师姓名", "辅导员姓名",
                                               "班主任姓名", "导师", "教师", "辅导员", "班主任", "学生")))
STAFF_NAME_HEADERS = frozenset(map(normalise_label, ("姓名", "教师姓名", "导师姓名", "辅导员姓名", "班主任姓名",
                                                     "导师", "教师", "辅导员", "班主任")))
# Those that name no one but a staff member: a bare 姓名 may be a student's (学号 | 姓名 in 指导关系),
# so a sheet without 工号 is read by its names only under one of these
STAFF_ONLY_NAME_HEADERS = STAFF_NAME_HEADERS - {normalise_label("姓名")}
_TYPE_ENDINGS = ("方式", "形式", "类型", "类别", "内容类型")
_DATE_ENDINGS = ("日期", "时间")
TYPE_SHARE = 0.5  # share of a column's distinct values that must be activity types
# Sheets mentor_xl writes itself (results, buttons): never read as input by content.
OUTPUT_SHEETS = frozenset(("合规明细", "合规汇总", "人员汇总", "考核结果", "奖励预算", "奖励汇总", "经费分配",
                           "资格审查", "数据问题", "说明", "操作", "字典", "公式说明", "公文清单", "收件记录",
                           "班级对接", "xlwings.conf"))
OUTPUT_MARKER = "【mentor_xl"


@dataclass
class Recognition:
    """What one canonical sheet was read from: the actual sheet, how it was found, and which
    header each canonical column came from (only those spelled differently)."""
    sheet: str
    actual: str
    how: str  # 名称 / 别名 / 内容
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header as typed
    header_row: int | None = None  # Excel row of the header
    headers: list[str] = field(default_factory=list)  # every header of the sheet, as typed
    missing: list[str] = field(default_factory=list)  # required columns not found (sheet kept)
    supplied: dict[str, str] = field(default_factory=dict)  # canonical -> how it was supplied (角色)
    layout_rows: list[int] = field(default_factory=list)  # Excel rows read as footer / totals, not data

    def line(self) -> str | None:
        """人员 ← 导师名单：工号 ← 教师工号，学院 ← 所在书院 (None when nothing differs)."""
        cols = [f"{c} ← {h}" for c, h in self.columns.items()]
        if not cols and self.actual == self.sheet and not self.supplied:
            return None
        head = f"{self.sheet} ← {self.actual}" + ("（按表头内容识别）" if self.how == "内容" else "")
        return head + ("：" + "，".join(cols) if cols else "")


def map_row(sheet: str, own: str, canonical: str) -> str:
    """The exact 列映射 row that maps ``own`` to ``canonical`` on ``sheet``."""
    return f"{sheet} | {own} | {canonical}"


# columns -------------------------------------------------------------------------------------
@dataclass
class ColumnMatch:
    canon_at: dict[str, int]  # canonical -> grid column
    how: dict[str, str]  # canonical -> header as typed (when not spelled canonically)
    ambiguous: dict[str, list[str]]  # canonical -> the candidate headers (none used)
    layout: set[int]  # grid columns that are layout (序号)
    names: set[int]  # grid columns that repeat a name (kept, not reported)


def match_columns(sheet: Sheet, names: list[str], aliases: dict[str, str], values_of=None,
                  type_labels: frozenset[str] = frozenset()) -> ColumnMatch:
    """Which grid column holds which canonical column.

    ``names``: the header cells; ``aliases``: normalised label -> canonical (schema, pack, 列映射);
    ``values_of(j)``: the column's data cells as an arrow string array, for the content check.
    """
    labels = [normalise_label(n) for n in names]
    canon_at: dict[str, int] = {}
    how: dict[str, str] = {}
    taken: set[int] = set()
    for j, label in enumerate(labels):  # 1. names and aliases
        canon = aliases.get(label)
        if canon is not None and canon not in canon_at:
            canon_at[canon] = j
            taken.add(j)
            if label != normalise_label(canon):
                how[canon] = names[j]
    layout = {j for j, label in enumerate(labels) if j not in taken and label in LAYOUT_HEADERS}
    free = [j for j, label in enumerate(labels) if label and j not in taken and j not in layout]
    ambiguous: dict[str, list[str]] = {}
    for col in sheet.columns:  # 2. key words, 3. content
        if col.name in canon_at:
            continue
        cands = [j for j in free if j not in taken and _keyword(sheet.name, col, labels[j], aliases)]
        if col.name == "活动类型":
            typed = [j for j in free if j not in taken and j not in cands and labels[j].endswith(_TYPE_ENDINGS)]
            cands += typed
            if type_labels and values_of is not None:
                cands = [j for j in cands if _mostly_types(values_of(j), type_labels)]
        if len(cands) == 1:
            canon_at[col.name] = cands[0]
            taken.add(cands[0])
            how[col.name] = names[cands[0]]
        elif len(cands) > 1:
            ambiguous[col.name] = [names[j] for j in cands]
    name_cols = {j for j, label in enumerate(labels) if j not in taken and label in NAME_HEADERS}
    ordered = {c.name: how[c.name] for c in sheet.columns if c.name in how}
    return ColumnMatch(canon_at, ordered, ambiguous, layout, name_cols)


def _keyword(sheet: str, col, label: str, aliases: dict[str, str]) -> bool:
    """``label`` ends in the column's name or one of its aliases (教师工号 → 工号, 所在书院 → 书院)."""
    words = [normalise_label(w) for w in (col.name, *(a for a, c in aliases.items() if c == col.name))]
    if any(len(w) >= 2 and label.endswith(w) and label != w for w in words):
        return True
    return col.name == "日期" and sheet == "活动记录" and label.endswith(_DATE_ENDINGS)


def _mostly_types(arr: pa.Array | None, type_labels: frozenset[str]) -> bool:
    if arr is None or len(arr) == 0:
        return False
    uniq = pc.unique(pc.drop_null(arr.cast(pa.large_string()))).to_pylist()[:2000]
    vals = [normalise_label(v) for v in uniq if v and str(v).strip()]
    return bool(vals) and sum(v in type_labels for v in vals) >= TYPE_SHARE * len(vals)


# sheets by content ---------------------------------------------------------------------------
def sheet_by_content(heads: dict[str, list[str]], wanted: list[str], alias_maps: dict[str, dict[str, str]]
                     ) -> dict[str, str]:
    """canonical -> actual sheet, for the wanted sheets no name or alias found, by their headers.

    ``heads``: actual sheet -> its header cells (the best header row among its first rows).
    Rules (workbook.md): a date + 工号 + a type → 活动记录; 工号 + 学号 (or 班级) and no date →
    指导关系; 工号 + 姓名 and no 学号 → 人员; 学号 + 姓名 and no 工号 → 学生; any other sheet when
    every required column (two at least) is there.
    """
    found: dict[str, str] = {}
    free = dict(heads)
    order = [s for s in ("活动记录", "指导关系", "人员", "学生") if s in wanted] + \
            [s for s in wanted if s not in ("活动记录", "指导关系", "人员", "学生", "设置", "列映射")]
    for name in order:
        sheet = BY_NAME[name]
        for actual, head in free.items():
            have = _present(sheet, head, alias_maps.get(name, {}))
            labels = [normalise_label(h) for h in head]
            dated = any(h.endswith(_DATE_ENDINGS) for h in labels)
            if name == "活动记录":
                ok = {"日期", "工号", "活动类型"} <= have
            elif name == "指导关系":
                ok = "工号" in have and ({"学号", "班级"} & have) and not ({"日期"} & _present(
                    BY_NAME["活动记录"], head, alias_maps.get("活动记录", {}))) and not any(
                    h.endswith(_TYPE_ENDINGS) for h in labels)
            elif name == "人员":
                ok = {"工号", "姓名"} <= have and not _present(BY_NAME["学生"], head, {}) & {"学号"} and not dated
            elif name == "学生":
                ok = {"学号", "姓名"} <= have and not _present(BY_NAME["人员"], head, {}) & {"工号"}
            else:
                req = {c.name for c in sheet.columns if c.required}
                ok = req <= have and len(have) >= 2
            if ok:
                found[name] = actual
                del free[actual]
                break
    return found


def _present(sheet: Sheet, head: list[str], extra: dict[str, str]) -> set[str]:
    aliases = {normalise_label(n): c.name for c in sheet.columns for n in (c.name, *c.aliases)}
    aliases.update(extra)
    m = match_columns(sheet, head, aliases)
    have = set(m.canon_at)
    if sheet.name == "活动记录" and any(normalise_label(h).endswith(_TYPE_ENDINGS) for h in head):
        have.add("活动类型")  # by content when read; the header says enough to recognise the sheet
    return have


def is_output_sheet(name: str, first_cell) -> bool:
    return name in OUTPUT_SHEETS or (isinstance(first_cell, str) and first_cell.startswith(OUTPUT_MARKER))


# layout rows ---------------------------------------------------------------------------------
def encode(cols: list[pa.Array]) -> list[pa.DictionaryArray]:
    """Each column dictionary-encoded once (a column that already is stays as it is): the footer
    and duplicate checks work on the distinct values and the integer codes, not on a million strings."""
    return [c if pa.types.is_dictionary(c.type) else pc.dictionary_encode(c) for c in cols]


_TOTALS = "^[ \u3000]*(?:合[ \u3000]*计|总[ \u3000]*计|小[ \u3000]*计)[ \u3000:：]*$"


_FOOTER_OR_TOTALS = f"(?:{_FOOTER})|(?:{_TOTALS})"


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return true_mask(pc.match_substring_regex(values, pattern))


def value_marks(c: pa.DictionaryArray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per distinct value of ``c``: whether it is a footer label, whether a totals cell (None: no
    value is). One pass over the values for either kind: most columns have neither, and a column
    of 200k distinct texts (谈话内容, an office's 序号 above its 填表人 line) costs ~10 ms a pass;
    only the few values it finds are told apart."""
    if not len(c.dictionary):
        return None, None
    hit = np.flatnonzero(_matches(c.dictionary, _FOOTER_OR_TOTALS))
    if not len(hit):
        return None, None
    found = c.dictionary.take(pa.array(hit))
    foot, total = np.zeros(len(c.dictionary), dtype=bool), np.zeros(len(c.dictionary), dtype=bool)
    foot[hit], total[hit] = _matches(found, _FOOTER), _matches(found, _TOTALS)
    return (foot if foot.any() else None), (total if total.any() else None)


def footer_rows(enc: list[pa.DictionaryArray], has_text: list[np.ndarray], marks: list | None = None) -> np.ndarray:
    """Rows whose every non-blank cell is a footer label (填表人：…, 审核人：…, 注：…), and totals
    rows (a cell that is just 合计 / 总计 / 小计: the numbers beside it are sums, not activities).
    ``marks``: each column's ``value_marks``, when the caller keeps them."""
    n = len(has_text[0]) if has_text else 0
    marks = [value_marks(c) for c in enc] if marks is None else marks
    any_text = np.zeros(n, dtype=bool)
    all_footer = np.ones(n, dtype=bool)
    for c, t, (per_value, _) in zip(enc, has_text, marks):
        if not t.any():
            continue
        if per_value is None:
            all_footer &= ~t
            continue
        idx = pc.fill_null(c.indices, 0).to_numpy(zero_copy_only=False)
        any_text |= t
        all_footer &= ~t | per_value[idx]
    totals = np.zeros(n, dtype=bool)
    for c, (_, per_value) in zip(enc, marks):
        if per_value is not None:
            idx = pc.fill_null(c.indices, 0).to_numpy(zero_copy_only=False)
            valid = pc.is_valid(c.indices).to_numpy(zero_copy_only=False)
            totals |= valid & per_value[idx]
    return (any_text & all_footer) | totals


def duplicate_rows(enc: list[pa.DictionaryArray], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Among the positions ``rows``: (positions in ``rows`` of rows equal in every given column to
    an earlier one, the position of that earlier row).

    Rows are hashed on their dictionary codes and only hash collisions are compared exactly, so a
    1M-row log costs a few vectorised passes.
    """
    import pandas as pd

    empty = np.array([], dtype=np.int64)
    if not enc or not len(rows):
        return empty, empty
    cols = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in enc]
    h = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in cols:  # in place, column by column: no rows × columns copy of the codes
            h *= np.uint64(1_000_003)
            h += col[rows].astype(np.uint64) + np.uint64(1)  # code -1 (blank) → 0
    cand = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    if not len(cand):
        return empty, empty
    at = rows[cand]  # only the rows that share a hash are compared exactly
    sub = pd.DataFrame({k: col[at] for k, col in enumerate(cols)})
    group = sub.groupby(list(sub.columns), sort=False).ngroup().to_numpy()
    first_pos = pd.Series(cand).groupby(group).transform("min").to_numpy()
    dup = cand != first_pos
    return cand[dup], first_pos[dup]
