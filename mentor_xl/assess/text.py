"""Numbers and shares as the Chinese reasons write them (88, 88.5, 2/3, 一半, 80%)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from mentor_xl.money import round_half_up, to_fraction
from mentor_xl.roster import blank as _blank


def _frac(v) -> Fraction | None:
    if _blank(v):
        return None
    return to_fraction(float(v) if not isinstance(v, (int, Fraction, Decimal)) else v)


def _fmt(x, places: int | None = None) -> str:
    """A number for a Chinese reason: 88 → "88", 88.5 → "88.5", Fraction → shortest exact or 2 decimals."""
    if x is None:
        return "—"
    if places is not None:
        return str(round_half_up(Fraction(x) if not isinstance(x, Decimal) else Fraction(x), places))
    f = Fraction(x) if not isinstance(x, Decimal) else Fraction(x)
    if f.denominator == 1:
        return str(f.numerator)
    d = round_half_up(f, 4).normalize()
    return format(d, "f")


def _share(f: Fraction) -> str:
    """A share as the policy writes it: 2/3 stays "2/3", 1/2 is "一半", 0.8 is "80%"."""
    if f == Fraction(1, 2):
        return "一半"
    if (10 ** 6) % f.denominator:
        return f"{f.numerator}/{f.denominator}"
    return _pct(f)


def _pct(f: Fraction) -> str:
    return _fmt(f * 100) + "%"


def _rate_text(met: int, req: int) -> str:
    return f"{_fmt(Fraction(met, req) * 100, 2)}%（{met}/{req}个周期达标）"
