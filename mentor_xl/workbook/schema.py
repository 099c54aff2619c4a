"""The office workbook's sheets and columns, declared as data (workbook.md).

Every other part derives from this table: the reader (names, aliases, kinds),
validation (required columns), ``init`` (headers, dropdowns, column widths) and the
collection workbooks sent by email. Aliases here are the generic ones; a pack may add
more, and an office adds its own in the 列映射 sheet (表, 原列名, 标准列名).

Column kinds (how values are read):
  id      an identifier: text, float artefacts ``2024010123.0`` removed, spaces stripped
  idlist  one or more ids in a cell, split on 、 , ， ; ； and spaces
  text    free text, whitespace-normalised
  date    Excel serial, datetime cell, 2024/9/1, 2024.9.1, 2024年9月1日, 20240901 …
  number  a real number; full-width digits and units (``2小时``, ``３``) accepted
  int     a whole number (same forms as number)
  bool    是/否, Y/N, 1/0, √/×
  term    a 学期 code or its Chinese forms, normalised to ``2024-2025-1``
"""
from __future__ import annotations

from dataclasses import dataclass

from mentor_xl.packs.model import normalise_label
from mentor_xl.problems import Problems


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    dropdown: str | None = None  # name of a 字典 list for data validation in init/collect
    width: int = 12
    note: str = ""  # shown in the 说明 sheet
    # free text for people that no rule reads (a 台账's 谈话内容: 200,000 distinct texts): parsed
    # when first asked for (``OfficeBook.frame``), not while a compliance run waits for it
    notes: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    required: bool = False  # the command cannot run without it
    note: str = ""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_ID_STAFF = ("职工号", "教工号", "工作证号", "教师工号", "导师工号")
_ID_STUDENT = ("学生学号",)
_START = ("起始日期", "开始时间", "起始时间")
_END = ("截止日期", "结束时间", "截止时间")


def _staff_id(required=True, **kw):
    return Column("工号", "id", required, _ID_STAFF, **kw)


SHEETS: tuple[Sheet, ...] = (
    Sheet("设置", (
        Column("项目", "text", True, ("设置项", "名称", "参数"), width=18),
        Column("值", "text", True, ("取值", "内容", "参数值"), width=30),
        Column("说明", "text", False, ("备注",), width=60),
    ), aliases=("参数", "配置"), note="制度、单位名称、发文机关、学年，以及制度中可由本单位设定的参数（⚙）"),
    Sheet("学期", (
        Column("学期", "term", True, ("学期代码", "学期名称")),
        Column("开始日期", "date", True, ("开学日期",) + _START),
        Column("结束日期", "date", True, ("学期结束日期",) + _END),
    ), aliases=("学期安排", "校历"), required=True, note="学期代码如 2024-2025-1，也可写 2024-2025学年第一学期、2024年秋季学期"),
    Sheet("假期", (
        Column("开始日期", "date", True, _START + ("放假日期",)),
        Column("结束日期", "date", False, _END),
        Column("名称", "text", False, ("假期名称", "节日")),
    ), aliases=("节假日", "放假安排"), note="这些日期不计入在岗天数；结束日期为空表示只放一天"),
    Sheet("人员", (
        _staff_id(),
        Column("姓名", "text", True, ("教师姓名", "导师姓名")),
        Column("角色", "text", True, ("岗位", "导师类型", "类别"), dropdown="角色"),
        Column("学院", "text", False, ("书院", "系部", "单位", "所在单位", "部门", "所在书院", "所在学院", "院系")),
        Column("职称", "text", False, ("专业技术职称", "职称(务)", "职称（务）")),
        Column("职务", "text", False, ("行政职务",)),
        Column("性别", "text", False, (), dropdown="性别", width=6),
        Column("出生日期", "date", False, ("出生年月",)),
        Column("学历", "text", False, ("最高学历",), dropdown="学历"),
        Column("政治面貌", "text", False, ()),
        Column("联系电话", "id", False, ("电话", "手机", "手机号")),
        Column("聘任开始", "date", False, ("聘任开始日期", "聘期开始", "任职开始")),
        Column("聘任结束", "date", False, ("聘任结束日期", "聘期结束", "任职结束")),
        Column("班主任年限", "number", False, ("担任班主任年限", "班主任工作年限")),
        Column("荣誉", "text", False, ("所获荣誉", "育人荣誉")),
        Column("撤销日期", "date", False, ("撤消日期", "解聘日期", "撤销资格日期")),
        Column("邮箱", "text", False, ("电子邮箱", "Email", "email", "E-mail")),
    ), aliases=("导师", "教师", "人员名单", "导师名单", "教师名单", "教职工名单", "导师信息", "教师信息"), required=True),
    Sheet("学生", (
        Column("学号", "id", True, _ID_STUDENT),
        Column("姓名", "text", False, ("学生姓名",)),
        Column("学院", "text", False, ("书院", "系部", "单位", "所在书院", "所在学院", "院系")),
        Column("专业", "text", False, ()),
        Column("年级", "int", False, ("入学年份", "入学年级"), width=8),
        Column("班级", "text", False, ("班级名称", "所在班级")),
        Column("宿舍", "text", False, ("寝室", "宿舍号", "寝室号")),
    ), aliases=("学生名单", "学生信息", "学生花名册", "花名册")),
    Sheet("指导关系", (
        _staff_id(),
        Column("学号", "id", False, _ID_STUDENT),
        Column("班级", "text", False, ("班级名称", "所带班级")),
        Column("开始日期", "date", False, _START),
        Column("结束日期", "date", False, _END),
    ), aliases=("师生关系", "分配", "导师分配", "结对关系", "结对名单", "指导名单", "师生对应")),
    Sheet("活动记录", (
        Column("日期", "date", True, ("活动日期", "时间", "活动时间")),
        _staff_id(),
        Column("活动类型", "text", True, ("类型", "活动形式", "形式", "工作类型"), dropdown="活动类型", width=16),
        Column("学号", "idlist", False, _ID_STUDENT + ("学生学号(多个用顿号分隔)", "参与学生"), width=24),
        Column("班级", "text", False, ("班级名称",)),
        Column("宿舍", "text", False, ("寝室", "宿舍号")),
        Column("时长", "number", False, ("时长(小时)", "时长（小时）", "学时", "小时数", "时长(h)"), width=8),
        Column("人次", "number", False, ("人数",), width=8),
        Column("地点", "text", False, ("活动地点",), notes=True),
        Column("内容", "text", False, ("活动内容", "主题", "备注"), width=30, notes=True),
    ), aliases=("活动", "工作记录", "活动日志", "记录", "台账", "工作台账", "活动台账", "记录表", "谈话记录", "工作日志"),
        required=True),
    Sheet("测评", (
        _staff_id(),
        Column("学期", "term", True, ("学年", "学期/学年")),
        Column("满意度", "number", True, ("满意度得分", "测评得分", "学生评价")),
        Column("参评人数", "int", False, ("实际参评人数",)),
        Column("应参评人数", "int", False, ("应参评人数(全班人数)", "班级人数")),
    ), aliases=("满意度测评", "学生测评")),
    Sheet("组织考核", (
        _staff_id(),
        Column("学年", "text", True, ()),
        Column("得分", "number", True, ("组织考核得分", "考核得分")),
        Column("一票否决", "bool", False, ("是否一票否决",), dropdown="是否", width=8),
        Column("备注", "text", False, ("说明",)),
    ), aliases=("组织考核得分",)),
    Sheet("班级量化", (
        Column("班级", "text", True, ("班级名称",)),
        Column("学期", "term", True, ()),
        Column("排名", "int", True, ("量化排名", "名次")),
        Column("年级班级数", "int", False, ("同年级班级数", "班级总数")),
        Column("新生班", "bool", False, ("是否新生班",), dropdown="是否", width=8),
    ), aliases=("班级量化排名",)),
    Sheet("奖项提名", (
        Column("奖项", "text", True, ("奖项名称", "拟推荐奖项"), dropdown="奖项", width=20),
        _staff_id(required=False),
        Column("学院", "text", False, ("单位", "推荐单位")),
        Column("排序", "int", False, ("推荐排序", "序号", "排名")),
    ), aliases=("提名", "评优提名")),
    Sheet("列映射", (
        Column("表", "text", True, ("工作表", "表名")),
        Column("原列名", "text", True, ("本单位列名",)),
        Column("标准列名", "text", True, ("对应标准列名",)),
    ), aliases=("列名映射",), note="本单位列名与标准列名不同时在此登记，例如 表=活动记录，原列名=教师编号，标准列名=工号"),
)

BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}


def find_sheets(actual_names: list[str], problems: Problems) -> dict[str, str]:
    """canonical sheet name -> actual sheet name; an exact name wins over an alias."""
    found: dict[str, str] = {}
    for sheet in SHEETS:
        labels = [normalise_label(n) for n in (sheet.name, *sheet.aliases)]
        hits = [a for a in actual_names if normalise_label(a) in labels]
        if not hits:
            continue
        hits.sort(key=lambda a: labels.index(normalise_label(a)))
        found[sheet.name] = hits[0]
        if len(hits) > 1:
            problems.add(hits[1], None, None, None,
                         f"工作表“{'”“'.join(hits)}”都对应“{sheet.name}”，只读取了“{hits[0]}”",
                         "重复工作表", "warning")
    return found
