"""Optional dependencies, tablib-style: a clear Chinese message naming the extra to install."""
from __future__ import annotations

from importlib.util import find_spec

from mentor_xl.problems import FatalInputError

EXTRAS = {
    "docs": ("docxtpl", "docx", "jinja2", "matplotlib", "pypdf"),  # Word documents, charts, combined PDFs
    "excel": ("xlwings", "pyopenvba"),  # button workbooks, Excel formulas
}
PURPOSE = {"docs": "生成 Word 公文和图表", "excel": "生成带按钮的 Excel 工作簿"}


class MissingExtra(FatalInputError):
    pass


def missing(extra: str) -> list[str]:
    return [m for m in EXTRAS[extra] if find_spec(m) is None]


def require(extra: str) -> None:
    """Raise MissingExtra (exit 1 in the CLI) when an optional dependency of ``extra`` is absent."""
    gone = missing(extra)
    if gone:
        raise MissingExtra(f"{PURPOSE[extra]}需要可选依赖（缺少 {'、'.join(gone)}）。"
                           f"请用单位的离线安装包安装（mentor-xl kit 生成，已含全部可选依赖），"
                           f"或在 mentor_xl 源代码目录运行：pip install -e '.[{extra}]'")
