"""The shipped packs as a readable page: ``python -m mentor_xl.packs.describe > docs/policies.md``.

Written from the pack data itself, so the documentation of the rules cannot drift from what the
engine checks (a test compares docs/policies.md with this output).
"""
from __future__ import annotations

from mentor_xl.packs import Pack, available, load_pack
from mentor_xl.packs.measures import MEASURES, PERIOD_TEXT, num_text

SCOPE_TEXT = {"staff": "本人", "pair": "每名学生", "class": "每个班级"}
SOURCE_TEXT = {"compliance": "合规率", "review": "组织考核得分", "survey": "满意度"}

INTRO = """\
# 制度包：四份制度文件中的每一条规则

本页由制度包数据生成（`python -m mentor_xl.packs.describe > docs/policies.md`），与程序实际检查的
内容一致。规则 id 是稳定的：结果工作簿、JSON 和公文都用它指称规则。标 ⚙ 的数值是制度未规定、
由本单位设定的默认值，可在工作簿“设置”表中按名称修改。

共同的计算口径：

- **周期**：周 = 周一至周日；两周 = 从学期第一天所在的周起每两周；月 = 自然月；学期 = 学期表的
  起止日期；学年 = 从第一学期第一天到最后一学期最后一天。周期以其第一天的日期标记（不截断）。
- **在岗天数**：某天同时在学期内、在聘期内（撤销日期当天起不再在聘，无论聘任结束日期）、在指导
  关系期内，且不是“假期”表列出的日子。
- **应考核周期**：在岗天数不少于该周期日历天数的一半，否则该周期记为“不适用”。学期、学年规则同样适用。
- **计入**：一条活动记录只计入其工号本人；活动类型（按别名归并后）属于规则的类型、日期在周期内才计入。
  按学生的规则要求记录的学号列表含该生（一对多的活动对每名学生都计入）；按班级的规则要求班级一致，
  班级为空时按所列学生所在班级，或在未列学生且本人当学期只带一个班时计入该班。假期中的记录照常计入。
- **状态**：每个应考核周期都达到要求为“达标”，有一个未达到为“未达标”，没有应考核周期为“不适用”。
  个人合规率 = 达标周期数 ÷ 应考核周期数（全部规则合计，仅统计的规则除外）。
- **考核得分**先四舍五入到两位小数，再定等次、名额和并列；金额一律按整数元计算。
"""


def _bound(rule) -> str:
    if rule.report_only:
        return "仅统计"
    if rule.measure == "max:students":
        return f"≤ {num_text(rule.maximum)}"
    if rule.measure == "duties":
        return "每项 ≥ 1"
    return f"≥ {num_text(rule.minimum)}"


def _types(pack: Pack, rule) -> str:
    if rule.duties:
        return "；".join(f"{y}年级：{'、'.join(ts)}" for y, ts in sorted(rule.duties.items()))
    if rule.types is None:
        return "任意类型"
    return "、".join(rule.types) or "—"


def _cell(text) -> str:
    return str(text).replace("|", "｜").replace("\n", " ")


def describe(pack: Pack) -> str:
    out = [f"## `{pack.id}` — {pack.institution} {pack.document}", "", f"{pack.name}。", ""]
    roles = "；".join(f"{r}（别名：{'、'.join(a)}）" if a else r for r, a in pack.roles.items())
    out += [f"**角色**：{roles}", ""]
    out += ["**活动类型**（括号内为别名）：", ""]
    out += [f"- {t}" + (f"（{'、'.join(a)}）" if a else "") for t, a in pack.types.items()]
    out += ["", "| 规则 id | 内容 | 条款 | 角色 | 对象 | 周期 | 计量 | 要求 | 活动类型 |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in pack.rules:
        m = MEASURES[r.measure]
        out.append("| " + " | ".join(_cell(x) for x in (
            f"`{r.id}`", r.title, r.clause, "、".join(r.roles), SCOPE_TEXT[r.scope],
            PERIOD_TEXT[r.period], f"`{m.id}`", _bound(r), _types(pack, r))) + " |")
    a = pack.assessment
    if a.scheme != "none":
        period = "每学期" if a.period == "term" else "每学年"
        out += ["", f"**考核**（{period}，{a.clause}）：等次 {' / '.join(a.tiers)}。"]
        if a.quota:
            out.append(f"名额：{a.quota.tier}不超过参评人数的 ⚙ 比例（{a.quota.clause}），"
                       f"并列依次比较：{'、'.join(SOURCE_TEXT[k] for k in a.quota.tie_break) or '无'}；仍无法区分的列为“待定”。")
    elif a.message:
        out += ["", f"**考核**：{a.message}"]
    if pack.awards:
        out += ["", "**奖项**：", "", "| 奖项 | 角色 | 名额上限 | 金额（元） | 条款 |", "|---|---|---|---|---|"]
        for w in pack.awards:
            role = "学院" if w.recipient == "college" else ("不限" if w.role == "*" else w.role)
            out.append("| " + " | ".join(_cell(x) for x in (
                w.name, role, "不限" if w.cap is None else w.cap, f"{w.amount_yuan:,}", w.clause)) + " |")
    own = [s for s in pack.settings.values()]
    if own:
        out += ["", "**可由本单位设定的参数（⚙，“设置”表）**：", "", "| 名称 | 默认值 | 说明 |", "|---|---|---|"]
        for s in own:
            out.append("| " + " | ".join(_cell(x) for x in (s.label, s.default, s.note or "")) + " |")
    return "\n".join(out) + "\n"


def page() -> str:
    return INTRO + "\n" + "\n".join(describe(load_pack(p)) for p in available())


if __name__ == "__main__":
    import sys
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(page())
