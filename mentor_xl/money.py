"""Exact money: amounts are whole 元 (int); 万元 only at the edges, parsed and shown with Decimal.

Floats never carry money: 0.1 + 0.2 万元 is 3000 元 here, not 2999.9999….
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

YUAN_PER_WAN = 10000

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")


class MoneyError(ValueError):
    """An amount that cannot be read as exact money; the message is Chinese, for office staff."""


def _clean(text: object) -> str:
    s = str(text).translate(_FULLWIDTH_DIGITS)
    s = re.sub(r"[\s\u3000,]+", "", s)
    return s


def _decimal(text: str, original: object) -> Decimal:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"金额“{original}”无法识别为数字") from None
    if not d.is_finite():
        raise MoneyError(f"金额“{original}”无法识别为数字")
    return d


def _whole_yuan(d: Decimal, original: object) -> int:
    if d != d.to_integral_value():
        raise MoneyError(f"金额“{original}”不是整数元（精确到元）")
    if d < 0:
        raise MoneyError(f"金额“{original}”不能为负数")
    return int(d)


def wan_to_yuan(amount_wan: object) -> int:
    """An amount in 万元 ("1.00", "12.5", Decimal, int) as exact whole 元.

    Floats are refused: a float 万元 has already lost the exact value.
    """
    if isinstance(amount_wan, float):
        raise MoneyError(f"金额“{amount_wan}”（万元）须以文本或定点数给出，不能是浮点数")
    if isinstance(amount_wan, bool):
        raise MoneyError(f"金额“{amount_wan}”无法识别为数字")
    s = _clean(amount_wan)
    s = re.sub(r"(万元|万)$", "", s)
    return _whole_yuan(_decimal(s, amount_wan) * YUAN_PER_WAN, amount_wan)


def parse_budget_wan(text: object) -> int:
    """A budget as typed on the command line in 万元 ("12.5", "12.5万元", "１２.５") → 元."""
    return wan_to_yuan(text)


def parse_yuan(text: object) -> int:
    """An amount in 元 ("100000", "100,000元", "10万", "10万元") → exact whole 元."""
    if isinstance(text, bool):
        raise MoneyError(f"金额“{text}”无法识别为数字")
    if isinstance(text, int):
        return _whole_yuan(Decimal(text), text)
    if isinstance(text, float):
        if not text.is_integer():
            raise MoneyError(f"金额“{text}”不是整数元（精确到元）")
        return _whole_yuan(Decimal(int(text)), text)
    s = _clean(text)
    if s.endswith("万元") or s.endswith("万"):
        return wan_to_yuan(s)
    s = re.sub(r"元$", "", s)
    return _whole_yuan(_decimal(s, text), text)


def yuan_to_wan(yuan: int) -> Decimal:
    """Exact 万元 value of whole 元 (Decimal, not rounded)."""
    return Decimal(int(yuan)) / YUAN_PER_WAN


def format_wan(yuan: int, places: int = 2) -> str:
    """万元 text for display, rounded half up to ``places`` decimals: 12345 元 → "1.23"."""
    q = Decimal(1).scaleb(-places)
    return str(yuan_to_wan(yuan).quantize(q, rounding=ROUND_HALF_UP))


def wan_display(yuan: int) -> float:
    """万元 as a float for a spreadsheet cell, made from exact 元 at display time only."""
    return float(yuan_to_wan(yuan))


def to_fraction(value: object) -> Fraction:
    """A ⚙ number or share ("2/3", "0.8", "80%", 0.05, 60) as an exact fraction.

    Floats go through their shortest repr, so 0.05 is 1/20, not the binary neighbour.
    """
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是数字")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, (float, Decimal)):
        return Fraction(Decimal(repr(value)) if isinstance(value, float) else value)
    s = _clean(value)
    pct = s.endswith("%") or s.endswith("％")
    s = s.rstrip("%％")
    try:
        f = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"“{value}”不是数字或分数") from None
    return f / 100 if pct else f


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round exactly, half away from zero (the office's 四舍五入), to a Decimal."""
    f = Fraction(value) if not isinstance(value, Fraction) else value
    scale = 10 ** places
    scaled = f * scale
    sign = -1 if scaled < 0 else 1
    n = (abs(scaled) * 2 + 1) // 2  # floor(|x| + 1/2)
    return (Decimal(sign * int(n)) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))
