"""The kinds of documents: template, one document per what, file name, context builder, variables.

``SAMPLES`` holds one complete context per kind: the template linter renders it to prove an
office's edited template still produces valid Word XML, and the tests check that each
builder gives exactly these variables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mentor_xl.documents import forms, notices, reminders, summaries


@dataclass(frozen=True)
class DocInputs:
    """Everything a builder may take: the one signature of every kind's builder."""
    book: Any
    pack: Any
    settings: dict | None = None
    compliance: Any = None  # ComplianceResult of the term
    assessment: dict | None = None  # assess --json
    awards: dict | None = None  # awards --json
    term: str | None = None
    year: str | None = None
    month: str | None = None
    date: Any = None
    include_all: bool = False
    eligibility: dict | None = None  # eligibility --json (聘任通知 leaves out the ineligible)
    seal: bool = False  # leave the seal space in the 落款 (GB/T 9704 7.3.5.1)


# What each need is called when it is missing (ValueError, Chinese).
NEED_TEXT = {"assessment": "考核结果（assess）", "awards": "奖励名单（awards）", "compliance": "合规结果（--term）",
             "term": "学期（--term）"}


@dataclass(frozen=True)
class Kind:
    id: str
    title: str       # Chinese name (also accepted on the command line)
    template: str    # file name in templates/
    per: str         # 通知 | 导师 | 导师×月
    filename: str    # str.format pattern over the context (DocJob.name already follows it)
    builder: Callable[[DocInputs], list]  # DocInputs -> [DocJob]
    needs: tuple[str, ...]  # inputs the builder takes besides book/pack/settings ("year|term": either)
    gbt9704: bool    # a 公文 (red header, 发文字号) rather than a form

    @property
    def by_term(self) -> bool:
        """Made for one term (its compliance or its dates) rather than for a 学年."""
        return bool({"compliance", "term"} & set(self.needs))

    def build(self, inputs: DocInputs) -> list:
        """The DocJobs of this kind; ValueError (Chinese) when an input it needs is missing."""
        for need in self.needs:
            if need in NEED_TEXT and getattr(inputs, need) is None:
                raise ValueError(f"生成“{self.title}”需要{NEED_TEXT[need]}")
        return self.builder(inputs)


KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("assess-notice", "考核结果通知", "考核结果通知.docx", "通知", "{考核期间}{角色名称}考核结果通知",
         lambda i: notices.assessment_notice_contexts(i.assessment, i.book, i.pack, i.settings, date=i.date,
                                                      seal=i.seal), ("assessment",), True),
    Kind("award-decision", "表彰决定", "表彰决定.docx", "通知", "{考核期间}表彰决定",
         lambda i: notices.award_decision_contexts(i.awards, i.book, i.pack, i.settings, date=i.date, seal=i.seal),
         ("awards",), True),
    Kind("appointment-notice", "聘任通知", "聘任通知.docx", "通知", "{聘任期间}{角色名称}聘任通知",
         lambda i: notices.appointment_notice_contexts(i.book, i.pack, i.settings, year=i.year, term=i.term,
                                                       date=i.date, eligibility=i.eligibility, seal=i.seal),
         ("year|term", "eligibility"), True),
    Kind("reminder", "整改提醒", "整改提醒.docx", "导师", "{工号}-{姓名}-整改提醒",
         lambda i: reminders.reminder_contexts(i.compliance, i.book, i.pack, i.settings, date=i.date,
                                               include_all=i.include_all), ("compliance",), False),
    Kind("work-record", "工作记录表", "工作记录表.docx", "导师×月", "{工号}-{姓名}-{月份}-工作记录表",
         lambda i: forms.work_record_contexts(i.book, i.pack, i.settings, term=i.term, month=i.month, date=i.date),
         ("term",), False),
    Kind("application-form", "班级导师申报表", "班级导师申报表.docx", "导师", "{工号}-{姓名}-班级导师申报表",
         lambda i: forms.application_form_contexts(i.book, i.pack, i.settings, date=i.date), (), False),
    Kind("term-summary", "学期工作总结", "学期工作总结.docx", "导师", "{工号}-{姓名}-学期工作总结",
         lambda i: summaries.term_summary_contexts(i.compliance, i.book, i.pack, i.settings, date=i.date),
         ("compliance",), False),
)}


def get_kind(name: str) -> Kind:
    """A kind by id (``reminder``) or Chinese title (``整改提醒``)."""
    key = str(name).strip()
    if key in KINDS:
        return KINDS[key]
    for k in KINDS.values():
        if key in (k.title, k.template, k.template.removesuffix(".docx")):
            return k
    listed = "、".join(f"{k.id}（{k.title}）" for k in KINDS.values())
    raise KeyError(f"未知的文档类型“{name}”。可用的类型：{listed}")


_HEADER = {
    "发文机关标志": "示例大学学生工作部文件", "发文字号": "学工〔2024〕12号", "标题": "关于公布示例结果的通知",
    "主送机关": "各学院", "发文机关": "示例大学学生工作部", "单位名称": "示例大学学生工作部",
    "成文日期": "2024年9月1日", "附件名称": "示例名单", "附件标题": "示例名单", "制度名称": "示例大学导师制实施办法",
    "制度文号": "（学工〔2022〕23号）", "用印": False,
    "落款署名": "\u3000" * 15 + "示例大学学生工作部", "落款日期": "\u3000" * 17 + "2024年9月1日",
    "抄送": "校党委办公室，校长办公室", "印发机关": "示例大学学生工作部", "印发日期": "2024年9月1日",
    "设置": {},
}
_SIGNED = {"落款署名": _HEADER["落款署名"], "落款日期": _HEADER["落款日期"], "设置": {}}


def _sample_chart():
    from mentor_xl.documents.charts import MonthlyChart
    from mentor_xl.documents.render import Picture
    return Picture(MonthlyChart("示例 各月工作情况", ("9月", "10月"), (3, 5), (4.0, 6.5), (1.0, 0.5)), width_mm=120)


SAMPLES: dict[str, dict] = {
    "assess-notice": {**_HEADER, "考核期间": "2023-2024学年", "角色名称": "学育导师", "考核人数": 1,
                      "等次统计": "优秀1人", "考核方法": "经工作记录核查、学生测评和组织考核",
                      "结果运用": "考核结果记入本人业务档案。", "整改等次": "不合格", "整改单位": "所在单位",
                      "得分列名": "得分",
                      "考核结果": [{"序号": 1, "工号": "T001", "姓名": "张三", "学院": "数学学院",
                               "得分": "91.50", "等次": "优秀", "备注": "见注1"}],
                      "表注": [{"编号": 1, "内容": "示例说明"}]},
    "award-decision": {**_HEADER, "考核期间": "2023-2024学年", "获奖人数": 1, "获奖单位数": 0, "表彰对象": "1名同志",
                       "受表彰者": "优秀导师", "表彰依据": "经个人申报、单位推荐、评审公示", "奖项统计": "十佳导师1名",
                       "合计万元": "1.00", "合计元": "10000",
                       "获奖名单": [{"序号": 1, "奖项": "十佳导师", "获奖者": "张三", "学院": "数学学院", "金额万元": "1.00"}]},
    "appointment-notice": {**_HEADER, "聘任期间": "2024-2025学年", "角色名称": "学育导师", "聘任人数": 1,
                           "角色统计": "", "多角色": True, "聘任依据": "经个人申报、单位推荐和审核认定", "支持单位": "各单位",
                           "聘任名单": [{"序号": 1, "工号": "T001", "姓名": "张三", "学院": "数学学院", "职称": "教授",
                                     "角色": "学育导师", "聘期": "2024.9—2028.8"}]},
    "reminder": {"标题": "学育导师工作整改提醒", "姓名": "张三", "工号": "T001", "学院": "数学学院",
                 "角色": "学育导师", "学期名称": "2024-2025学年第一学期", "制度名称": "示例大学导师制实施办法",
                 "核查日期": "2024年12月1日", "整改期限": "2024年12月15日", "未达标条数": 1,
                 "未达标项目": [{"序号": 1, "规则": "每月导学互动交流", "条款": "第四条第1项",
                            "要求": "每月和负责的每名学生至少1次", "未达标情况": "李四（2024010001）：10月、11月各差1次",
                            "对象": "李四（2024010001）", "未达标周期": "李四（2024010001）：10月、11月各差1次"}],
                 "发文机关": "示例大学学生工作部", "成文日期": "2024年12月1日", **_SIGNED},
    "work-record": {"单位名称": "示例大学数学学院", "姓名": "张三", "工号": "T001", "所带班级": "数学2301",
                    "月份": "2024年10月", "记录": [{"日期": "10月8日", "类型": "深入教室", "地点": "三教101",
                                                 "对象": "数学2301", "时长": "1", "内容": "听课"}],
                    "统计": [{"项目": "深入教室", "次数": 1, "人次": "1", "时长": "1"}], "本月次数": 1, "本月时长": "1",
                    "累计时长": "1", "学期要求时长": "30", "填表日期": "2024年10月31日", "设置": {}},
    "application-form": {"姓名": "张三", "性别": "男", "出生年月": "1980年5月", "民族": "", "学历": "博士研究生",
                         "政治面貌": "中共党员", "专业": "", "职称职务": "教授", "联系电话": "13800000000",
                         "学习工作经历": "", "工作业绩": "所获荣誉：省级优秀教师", "填报年月": "2024年9月", "设置": {}},
    "term-summary": {"标题": "学育导师工作总结", "姓名": "张三", "工号": "T001", "学院": "数学学院",
                     "角色": "学育导师", "学期名称": "2024-2025学年第一学期", "学期起止": "2024年9月2日—2025年1月17日",
                     "活动总数": 8, "总时长": "10.5", "应达标规则数": 2, "达标规则数": 1, "应达标周期数": 10,
                     "达标周期数": 9, "合规率": "90.0%", "图表": None,
                     "规则情况": [{"序号": 1, "规则": "每月导学互动交流", "条款": "第四条第1项", "达标周期": "4/5", "状态": "未达标",
                               "未达标周期": "2024年10月"}],
                     "活动统计": [{"类型": "导学互动交流", "次数": 8, "时长": "10.5"}],
                     "发文机关": "示例大学学生工作部", "成文日期": "2025年1月17日", "设置": {}},
}


def sample(kind_id: str) -> dict:
    ctx = dict(SAMPLES[kind_id])
    if "图表" in ctx:
        ctx["图表"] = _sample_chart()
    return ctx
