"""Formulas (UDFs) for the questions people ask in a cell.

Classic xlwings (Windows Excel only): list this module under ``UDF Modules`` in the
workbook's ``xlwings.conf`` sheet and run the ``导入公式`` macro once. Without an Excel
engine (Linux, tests) ``xw.func``/``xw.arg``/``xw.ret`` leave each function a plain
callable, so every formula is tested as Python. xlwings Lite reuses them from
``lite/main.py``.

Every formula takes its data as arguments (values or ranges) and never reads the workbook:
Excel does not let a UDF use the book while it is calculating, and a formula that read other
sheets would have no cell dependencies and go stale. So there is no per-person compliance
formula; a person's rate is looked up in 人员汇总 after 计算合规
(``=VLOOKUP(工号, 人员汇总!A:I, 9, FALSE)``), or is live in the formula-mode workbook.

Return annotations are single types xlwings has converters for (``Any``, ``str``, ``list``):
on Windows xlwings uses them as the result converter. Each formula answers with a value,
or with a Chinese message in the cell when the question cannot be answered: easier to act
on than #VALUE!.

  =MENTOR_TIER(得分, 名次, 参评人数, 制度)  the tier a score gets once the quota is applied
  =MENTOR_AWARD(奖项, 制度)           an award's amount in 元
  =MENTOR_ALLOCATE(总额, 分组, 人数)  a fund split by headcount (one amount per group, 元)
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import xlwings as xw

from mentor_xl.problems import FatalInputError


@xw.func
@xw.arg("score", doc="得分（按两位小数四舍五入后比较）")
@xw.arg("rank", doc="在达到名额等级分数线的人中的名次（1 = 最高）")
@xw.arg("assessed", doc="参加考核的人数（名额 = 向下取整(人数 × 比例)）")
@xw.arg("policy", doc="制度，如 bit-2022")
def MENTOR_TIER(score, rank, assessed, policy) -> str:
    """按制度的分数线和名额，给出某个得分在某名次下的等级（并列无法区分的情况请用“考核评定”按钮）。"""
    from mentor_xl.money import round_half_up
    from mentor_xl.packs import PackError, load_pack

    try:
        pack = load_pack(str(policy).strip())
        from mentor_xl.assess import tier_for_score

        s = round_half_up(Fraction(Decimal(str(score))), 2)
        return tier_for_score(pack, s, rank=None if rank is None else int(rank),
                              assessed=None if assessed is None else int(assessed))
    except (PackError, FatalInputError, ValueError, ArithmeticError) as e:
        return f"无法评定：{e}"


@xw.func
@xw.arg("award", doc="奖项名称（或别名）")
@xw.arg("policy", doc="制度，如 ustb-2022")
def MENTOR_AWARD(award, policy) -> Any:
    """某个奖项每人（或每个学院）的奖励金额，单位元。"""
    from mentor_xl.awards import catalogue
    from mentor_xl.packs import PackError, load_pack, normalise_label

    try:
        pack = load_pack(str(policy).strip())
    except PackError as e:
        return str(e)
    key = normalise_label(str(award or ""))
    for a in catalogue(pack):
        if key in {normalise_label(n) for n in (a.name, *a.aliases)}:
            return a.amount_yuan
    names = "、".join(a.name for a in catalogue(pack)) or "（本制度没有奖项目录）"
    return f"奖项“{award}”不在制度 {pack.id} 的奖项目录中（可用：{names}）"


@xw.func
@xw.arg("total_yuan", doc="分配总额（整数元）")
@xw.arg("groups", ndim=1, doc="分组名称（一列，如各学院）")
@xw.arg("counts", ndim=1, doc="各组学生人数（一列，与分组对应）")
@xw.ret(transpose=True)  # one amount per group, down a column (Excel 365 spills it)
def MENTOR_ALLOCATE(total_yuan, groups, counts) -> list:
    """按人数比例、最大余数法把总额分到各组（整数元，合计等于总额），返回与分组对应的金额。"""
    from mentor_xl.allocate import largest_remainder

    groups = groups if isinstance(groups, list) else [groups]
    counts = counts if isinstance(counts, list) else [counts]
    if len(groups) != len(counts):
        return ["分组与人数的行数不一致"]
    try:
        total = Fraction(Decimal(str(total_yuan)))
        if total.denominator != 1:
            return ["总额须为整数元"]
        weights = {}
        for g, c in zip(groups, counts):
            if g is None:
                continue
            n = Fraction(Decimal(str(c if c is not None else 0)))
            if n.denominator != 1 or n < 0:
                return [f"“{g}”的人数“{c}”不是非负整数"]
            weights[str(g)] = int(n)
        if len(weights) != sum(1 for g in groups if g is not None):
            return ["分组名称有重复"]
        parts = largest_remainder(int(total), weights)
    except (ValueError, ArithmeticError) as e:
        return [f"无法分配：{e}"]
    return [parts[str(g)] if g is not None else None for g in groups]


UDFS = (MENTOR_TIER, MENTOR_AWARD, MENTOR_ALLOCATE)
