"""导师工作助手（mentor_xl）— xlwings Lite 脚本。

本文件嵌入在工作簿中，由免费的 xlwings Lite 加载项运行（Windows、macOS、网页版 Excel，
本机无需安装 Python）。“操作”表上的每个按钮对应下面一个 @script；计算全部由 mentor_xl
完成，本文件只负责把按钮接到 mentor_xl.xl.buttons 上。

依赖：mentor_xl 尚未由我们发布到公共软件源，所以 requirements.txt 只有 Lite 必需的几行，
不按名称安装 mentor_xl（同名的程序可能是别人注册的）。在此之前按钮会在“操作”表的状态栏
说明“无法加载 mentor_xl”，不会改动任何数据。所有导入都在下面的 try 中，任何一个失败都
只会得到这条中文说明。
"""
try:
    import xlwings as xw
    from xlwings import arg, func, ret, script
except ImportError as e:  # outside Lite, or its runtime is incomplete: plain functions, status only
    XLWINGS_ERROR = e

    class xw:  # noqa: N801 — stands in for the module in the annotations below
        Book = object

    def script(*_a, **_k):
        return lambda fn: fn

    def func(fn):
        return fn

    def arg(*_a, **_k):
        return lambda fn: fn

    ret = arg
else:
    XLWINGS_ERROR = None

try:
    # book_api brings pandas and pyarrow, which the buttons need from Pyodide: fail here, not mid-click
    from mentor_xl.xl import book_api, buttons, udfs  # noqa: F401
    IMPORT_ERROR = XLWINGS_ERROR
except Exception as e:  # noqa: BLE001 — not installable in Lite (yet), or broken: say so in the sheet
    buttons = udfs = None
    IMPORT_ERROR = XLWINGS_ERROR or e


def _unavailable(book):
    sheet = book.sheets["操作"]
    sheet["B2"].value = "出错"
    missing = getattr(IMPORT_ERROR, "name", None)  # the module that failed; the error's text is English
    why = f"缺少模块 {missing}" if missing else f"导入出错 {type(IMPORT_ERROR).__name__}"
    sheet["B3"].value = (f"xlwings Lite 无法加载 mentor_xl（{why}）。"
                         "mentor_xl 尚未发布到公共软件源，Lite 版暂不能计算；"
                         "请改用宏工作簿（.xlsm，用单位的离线安装包安装）或命令行 mentor-xl。")


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
