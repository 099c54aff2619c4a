"""导师工作助手（mentor_xl）— xlwings Lite 脚本。

本文件嵌入在工作簿中，由免费的 xlwings Lite 加载项运行（Windows、macOS、网页版 Excel，
本机无需安装 Python）。“操作”表上的每个按钮对应下面一个 @script；计算全部由 mentor_xl
完成，本文件只负责把按钮接到 mentor_xl.xl.buttons 上。

依赖：requirements.txt 中的 mentor_xl 由 Lite 在运行时从 PyPI 安装。mentor_xl 尚未发布到
PyPI 时无法安装，按钮会在“操作”表的状态栏说明原因，不会改动任何数据。
"""
import xlwings as xw
from xlwings import arg, func, ret, script

try:
    from mentor_xl.xl import buttons, udfs
    IMPORT_ERROR = None
except ImportError as e:  # mentor_xl not installable in this Lite environment (yet)
    buttons = udfs = None
    IMPORT_ERROR = e


def _unavailable(book):
    sheet = book.sheets["操作"]
    sheet["B2"].value = "出错"
    sheet["B3"].value = (f"xlwings Lite 无法加载 mentor_xl（{IMPORT_ERROR}）。"
                         "请确认 mentor_xl 已可从 PyPI 安装，或改用宏工作簿（.xlsm）/命令行 mentor-xl。")


@script(button="[btn_check]操作!E2")
def check(book: xw.Book):
    """检查数据：列出全部数据问题（数据问题表）。"""
    return _unavailable(book) if IMPORT_ERROR else buttons.check(book)


@script(button="[btn_compliance]操作!E5")
def compliance(book: xw.Book):
    """计算合规：按“学期”计算每位导师的合规情况（合规汇总、人员汇总、合规明细）。"""
    return _unavailable(book) if IMPORT_ERROR else buttons.compliance(book)


@script(button="[btn_assess]操作!E8")
def assess(book: xw.Book):
    """考核评定：按“学年”或“学期”评定等级（考核结果）。"""
    return _unavailable(book) if IMPORT_ERROR else buttons.assess(book)


@script(button="[btn_awards]操作!E11")
def awards(book: xw.Book):
    """奖励预算：核对奖项提名并计算预算（奖励预算、奖励汇总）。"""
    return _unavailable(book) if IMPORT_ERROR else buttons.awards(book)


@script(button="[btn_allocate]操作!E14")
def allocate(book: xw.Book):
    """经费分配：按学生人数分配“分配总额”（经费分配）。"""
    return _unavailable(book) if IMPORT_ERROR else buttons.allocate(book)


@func
@arg("score", doc="得分")
@arg("rank", doc="在达到名额等级分数线的人中的名次（1 = 最高）")
@arg("assessed", doc="参加考核的人数")
@arg("policy", doc="制度，如 bit-2022")
@ret(doc="等级")
def mentor_tier(score: float, rank: int, assessed: int, policy: str) -> str:
    """按制度的分数线和名额给出等级。"""
    return "mentor_xl 未能加载" if IMPORT_ERROR else udfs.MENTOR_TIER(score, rank, assessed, policy)


@func
@arg("award", doc="奖项名称")
@arg("policy", doc="制度，如 ustb-2022")
@ret(doc="奖励金额（元）")
def mentor_award(award: str, policy: str):
    """某个奖项的奖励金额（元）。"""
    return "mentor_xl 未能加载" if IMPORT_ERROR else udfs.MENTOR_AWARD(award, policy)


@func
@arg("groups", ndim=1, doc="分组名称（一列）")
@arg("counts", ndim=1, doc="各组人数（一列）")
@ret(doc="各组分配金额（元，一列）")
def mentor_allocate(total_yuan: float, groups, counts):
    """按人数比例、最大余数法分配总额（整数元，合计等于总额）。"""
    if IMPORT_ERROR:
        return [["mentor_xl 未能加载"]]
    return [[v] for v in udfs.MENTOR_ALLOCATE(total_yuan, groups, counts)]
