"""What ``docs`` says before it renders: data problems and the settings a 公文 needs.

Every line is Chinese and names the sheet, row and column (data) or the 设置 item (settings).
A 公文 without a 发文字号 is warned about; with ``strict`` it is refused.
"""
from __future__ import annotations

from mentor_xl.documents.header import merged_settings
from mentor_xl.problems import FatalInputError

SHOWN = 5  # data problems listed one by one; the rest are counted (``mentor-xl check`` lists all)

# 设置 items of a 公文 and what is printed without them
NOTICE_SETTINGS = {
    "发文机关": "落款和版记用制度的发文机关",
    "单位名称": "正文用发文机关的名称",
    "抄送": "版记不写抄送",
    "印发机关": "版记的印发机关用发文机关",
}


def preflight(office, kind, *, settings: dict | None = None, strict: bool = False) -> list[str]:
    """The findings for one ``docs`` run of ``kind``, most important first."""
    out = _data_problems(office)
    if kind.gbt9704:
        out += _notice_settings(office, kind, settings, strict)
    return out


def _data_problems(office) -> list[str]:
    problems = list(office.all_problems())
    if not problems:
        return []
    errors = sum(p.level == "error" for p in problems)
    lines = [f"数据问题：工作簿有 {len(problems)} 个数据问题（错误 {errors} 个），有问题的值未计入，"
             f"公文按其余数据生成。完整清单请运行 mentor-xl check。"]
    for p in problems[:SHOWN]:
        where = p.sheet + (f"第{p.row}行" if p.row else "") + (f"“{p.column}”列" if p.column else "")
        # most messages name their cell already; the others get it in front
        lines.append(f"  {p.message}" if where in p.message.replace("工作表“" + p.sheet + "”", p.sheet)
                     else f"  [{where}] {p.message}")
    if len(problems) > SHOWN:
        lines.append(f"  ……另有 {len(problems) - SHOWN} 个")
    return lines


def _notice_settings(office, kind, settings: dict | None, strict: bool) -> list[str]:
    s = merged_settings(office.book, settings)
    out = []
    if not (s.get("文号") or s.get("发文字号")):
        msg = (f"设置表缺少“文号”：“{kind.title}”的发文字号将空着（红线上方），需手工填写。"
               "请在设置表填写“文号”（如 学工〔2024〕12号，或只写序号 12 并填写“发文字号前缀”）。")
        if strict:
            raise FatalInputError(msg.replace("将空着（红线上方），需手工填写", "不能为空（--strict）"))
        out.append("提示：" + msg)
    for key, fallback in NOTICE_SETTINGS.items():
        if not s.get(key):
            out.append(f"提示：设置表未填写“{key}”，{fallback}。")
    unit, inst = s.get("单位名称", ""), office.pack.institution
    if unit and inst and inst not in unit and unit not in inst:
        out.append(f"提示：设置表“单位名称”为“{unit}”，与制度所属单位“{inst}”不一致，请核对。")
    return out
