"""Charts for the term summaries: matplotlib (Agg) with a CJK font, never tofu boxes.

The font is Noto Sans CJK SC from Debian's ``fonts-noto-cjk`` (matplotlib reads the SC
face of the .ttc), else another CJK family the machine has; with none, drawing stops with
a Chinese message instead of a chart full of empty boxes.
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
    """No font with Chinese glyphs is installed."""


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font, preferring Simplified Chinese faces."""
    from matplotlib import font_manager as fm
    names = {f.name for f in fm.fontManager.ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    for f in fm.fontManager.ttflist:  # any other CJK family
        if "CJK" in f.name or "Hei" in f.name or "Song" in f.name:
            return f.name
    raise ChartFontMissing("绘制图表需要中文字体，但未找到。请安装 Noto CJK 字体"
                           "（Debian/Ubuntu：apt-get install fonts-noto-cjk）。")


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


def draw_monthly(c: MonthlyChart, *, dpi: int = 130) -> bytes:
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in worker processes

    font = cjk_font()
    fig = Figure(figsize=(6.0, 3.0), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(len(c.months)))
    bars = ax.bar(x, c.activities, color="#4a7ab5", width=0.55, label="工作次数")
    for xi, n, h in zip(x, c.activities, c.hours):
        if n:
            ax.annotate(f"{n}次/{h:g}时", (xi, n), ha="center", va="bottom", fontsize=8,
                        fontfamily=font, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, c.months, fontfamily=font)
    ax.set_ylabel("工作次数", fontfamily=font)
    top = max(c.activities, default=0)
    ax.set_ylim(0, max(4, math.ceil(top * 1.45)))  # headroom for the legend
    handles = [bars]
    if any(r is not None for r in c.rates):
        ax2 = ax.twinx()
        pts = [(xi, r * 100) for xi, r in zip(x, c.rates) if r is not None]
        (line,) = ax2.plot([p[0] for p in pts], [p[1] for p in pts], color="#c0392b", marker="o",
                           label="当月达标率")
        ax2.set_ylim(0, 135)
        ax2.set_yticks([0, 20, 40, 60, 80, 100])
        ax2.set_ylabel("达标率（%）", fontfamily=font)
        handles.append(line)
    ax.legend(handles=handles, labels=[h.get_label() for h in handles], prop={"family": font, "size": 8},
              loc="upper left", frameon=False, ncol=2)
    ax.set_title(c.title, fontfamily=font, fontsize=11)
    for lab in ax.get_yticklabels():
        lab.set_fontfamily(font)
    # Fixed margins instead of tight_layout: one draw pass instead of two (charts are per mentor).
    fig.subplots_adjust(left=0.1, right=0.9 if len(handles) > 1 else 0.97, top=0.88, bottom=0.1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
