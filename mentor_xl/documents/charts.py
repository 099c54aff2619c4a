"""Charts for the term summaries: matplotlib (Agg), never tofu boxes, never a system font required.

With a CJK font on the machine (Noto Sans CJK SC from Debian's ``fonts-noto-cjk``, else another
CJK family) the chart carries its Chinese title, labels and legend. Without one it is drawn with
digits and Latin letters only (months as 9 10 11 …, ``3/2h`` on the bars, ``%`` for the rate) and
its Chinese explanation goes into the document beside it (``caption``), which Word or WPS sets in
the document's own fonts. A font installed after matplotlib built its font cache is still found:
the cache is checked against the font files on disk and new files are added.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

PREFERRED = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
             "Noto Sans CJK JP", "Noto Sans CJK TC")


class ChartFontMissing(RuntimeError):
    """No font with Chinese glyphs is installed (kept for callers that insist on one)."""


def _pick(ttflist) -> str | None:
    names = {f.name for f in ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    for f in ttflist:  # any other CJK family
        if "CJK" in f.name or "Hei" in f.name or "Song" in f.name:
            return f.name
    return None


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, preferring Simplified Chinese faces; None when
    the machine has none. matplotlib's font list is a cache built once: font files that appeared
    since (fonts-noto-cjk installed after the first run) are added before giving up."""
    from matplotlib import font_manager as fm
    found = _pick(fm.fontManager.ttflist)
    if found:
        return found
    known = {f.fname for f in fm.fontManager.ttflist}
    try:
        fresh = [p for p in fm.findSystemFonts() if p not in known]
    except Exception:  # a font directory that cannot be listed: draw without
        fresh = []
    for path in fresh:
        try:
            fm.fontManager.addfont(path)
        except Exception:  # a broken font file is skipped, as matplotlib itself does
            continue
    return _pick(fm.fontManager.ttflist) if fresh else None


@dataclass(frozen=True)
class MonthlyChart:
    """One mentor's months: activities logged (bars) and compliance rate (line, when known)."""
    title: str
    months: tuple[str, ...]          # labels, e.g. "9月"
    activities: tuple[int, ...]
    hours: tuple[float, ...]
    rates: tuple[float | None, ...]  # met ÷ required periods of that month, None when none required

    def png(self, dpi: int = 130) -> bytes:
        return draw_monthly(self, dpi=dpi)

    def caption(self) -> str:
        """The chart explained in Chinese for the document, when the image itself cannot say it
        (no CJK font: digits and Latin only); empty when the chart carries its own labels."""
        if cjk_font():
            return ""
        rate = "，折线为当月达标率（右侧刻度，%）" if any(r is not None for r in self.rates) else ""
        months = "、".join(self.months)
        return (f"图：{self.title}。横轴为月份（{months}），柱高为当月工作次数，柱上数字为“次数/小时数”{rate}。")


def draw_monthly(c: MonthlyChart, *, dpi: int = 130) -> bytes:
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in worker processes

    font = cjk_font()
    latin = font is None  # digits and Latin only: the Chinese goes into the document (caption)
    fam = {"fontfamily": font} if font else {}
    months = [_month_number(m) for m in c.months] if latin else list(c.months)
    fig = Figure(figsize=(6.0, 3.0), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(len(c.months)))
    bars = ax.bar(x, c.activities, color="#4a7ab5", width=0.55, label="n" if latin else "工作次数")
    for xi, n, h in zip(x, c.activities, c.hours):
        if n:
            ax.annotate(f"{n}/{h:g}h" if latin else f"{n}次/{h:g}时", (xi, n), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points", **fam)
    ax.set_xticks(x, months, **fam)
    if not latin:
        ax.set_ylabel("工作次数", **fam)
    top = max(c.activities, default=0)
    ax.set_ylim(0, max(4, math.ceil(top * 1.45)))  # headroom for the legend
    handles = [bars]
    if any(r is not None for r in c.rates):
        ax2 = ax.twinx()
        pts = [(xi, r * 100) for xi, r in zip(x, c.rates) if r is not None]
        (line,) = ax2.plot([p[0] for p in pts], [p[1] for p in pts], color="#c0392b", marker="o",
                           label="%" if latin else "当月达标率")
        ax2.set_ylim(0, 135)
        ax2.set_yticks([0, 20, 40, 60, 80, 100])
        ax2.set_ylabel("%" if latin else "达标率（%）", **fam)
        handles.append(line)
    ax.legend(handles=handles, labels=[h.get_label() for h in handles], prop={**({"family": font} if font else {}),
                                                                              "size": 8},
              loc="upper left", frameon=False, ncol=2)
    if not latin:
        ax.set_title(c.title, fontfamily=font, fontsize=11)
        for lab in ax.get_yticklabels():
            lab.set_fontfamily(font)
    # Fixed margins instead of tight_layout: one draw pass instead of two (charts are per mentor).
    fig.subplots_adjust(left=0.1, right=0.9 if len(handles) > 1 else 0.97, top=0.88, bottom=0.1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _month_number(label: str) -> str:
    """9月 → 9 (digits only: the chart may have no font with 月)."""
    digits = "".join(ch for ch in str(label) if ch.isascii() and ch.isalnum())
    return digits or str(label).encode("ascii", "ignore").decode() or "?"
