"""``mentor-xl build-workbooks``: the Excel workbooks with buttons, one pair per pack.

For every pack, from the demo data of that pack:
  workbooks/mentor-<pack>-lite.xlsx  for the free xlwings Lite add-in (Windows, macOS, Excel
      on the web; no local Python): 操作 sheet with buttons (named text-box shapes whose
      hyperlink points at the cell of the script's ``button=`` spec), 说明, the office sheets,
      and ``lite/main.py`` + ``lite/requirements.txt`` embedded in the workbook's web-extension
      parts. openpyxl (and other writers) drop those parts on re-save, so they are added to
      the finished zip as the very last step.
  workbooks/mentor-<pack>.xlsm  for classic xlwings (local Python): the same sheets, form
      buttons calling the parameterless Subs of ``macros/mentor_xl_buttons.bas`` (each one
      ``RunPython``s into ``mentor_xl.xl.buttons``), the xlwings standalone VBA module of the
      installed (pinned) xlwings, and an ``xlwings.conf`` sheet (UDF module; ADD_WORKBOOK_TO_PYTHONPATH off). The VBA
      project is built by pyopenvba (pure Python), its _VBA_PROJECT stream in the 7-byte MS-OVBA
      form xlwings' own template has, and added by XlsxWriter.

Run ``python -m mentor_xl.xl.build [OUT_DIR] [--policy P ...]``.
"""
from __future__ import annotations

import ast
import io
import json
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from mentor_xl.packs import available, load_pack
from mentor_xl.safe import atomic_write
from mentor_xl.workbook.schema import SHEETS
from mentor_xl.workbook.xlsx import new_workbook, styles, write_frame_sheet
from mentor_xl.xl.buttons import BUTTONS, CONTROL_SHEET, PARAM_HEADER_ROW, control_layout

HERE = Path(__file__).parent
LITE_MAIN = HERE / "lite" / "main.py"
LITE_REQUIREMENTS = HERE / "lite" / "requirements.txt"
MACROS = HERE / "macros"
GUIDE_SHEET = "说明"
CONF_SHEET = "xlwings.conf"
UDF_MODULE = "mentor_xl.xl.udfs"

# Demo size of a shipped workbook: enough for every rule to show met and missed, small on disk.
DEMO_STAFF, DEMO_STUDENTS, DEMO_SEED = 12, 80, 2024

# xlwings Lite's web-extension parts, as observed in workbooks saved by Lite (spec/excel.md).
LITE_STORE_ID = "wa200008175"
# python-calamine and the other native dependencies are left out under Emscripten (pyproject
# markers), so mentor_xl itself is pure Python there; pandas and pyarrow come from Pyodide.
LITE_PYODIDE_VERSION = "0.29.3"
LITE_ADDIN_VERSION = "1.0.0.0-35"
WE_DIR = "xl/webextensions"
WE_NS = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP_NS = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
WEBEXTENSION_REL = "http://schemas.microsoft.com/office/2011/relationships/webextension"
TASKPANES_CT = "application/vnd.ms-office.webextensiontaskpanes+xml"
WEBEXTENSION_CT = "application/vnd.ms-office.webextension+xml"

BUTTON_SIZE = {"width": 150, "height": 36}


# ---------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class LiteButton:
    script: str  # function name in main.py
    shape: str   # shape name in brackets of the button spec
    sheet: str
    cell: str


def lite_buttons(source: str | None = None) -> list[LiteButton]:
    """The ``@script(button="[shape]Sheet!Cell")`` specs of lite/main.py, in file order."""
    tree = ast.parse(source if source is not None else LITE_MAIN.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for d in node.decorator_list:
            if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "script":
                for kw in d.keywords:
                    if kw.arg == "button":
                        m = re.fullmatch(r"\[([^\]]+)\](.+)!([A-Z]+[0-9]+)", kw.value.value)
                        if not m:
                            raise ValueError(f"lite/main.py: bad button spec {kw.value.value!r}")
                        out.append(LiteButton(node.name, m.group(1), m.group(2), m.group(3)))
    return out


@dataclass(frozen=True)
class MacroButton:
    sub: str      # parameterless Sub in the .bas
    caption: str
    cell: str
    command: str  # the Python that RunPython runs


def macro_sources() -> dict[str, str]:
    """Module name → VBA source of every ``macros/*.bas`` (the name from Attribute VB_Name)."""
    out = {}
    for p in sorted(MACROS.glob("*.bas")):
        text = p.read_text(encoding="utf-8")
        m = re.search(r'^Attribute VB_Name = "([^"]+)"', text, re.M)
        out[m.group(1) if m else p.stem] = text.replace("\r\n", "\n")
    return out


_SUB = re.compile(r"^Sub (\w+)\(\)\s*\n(.*?)^End Sub", re.M | re.S)
_RUNPYTHON = re.compile(r'RunPython "((?:[^"]|"")*)"')
_BUTTON_LINE = re.compile(r"^' button: (\w+) at ([A-Z]+[0-9]+)\s*$", re.M)
_MAIN_CALL = re.compile(r"\bmain\('(\w+)'\)")
# Captions of macro buttons that are not mentor_xl.xl.buttons (VBA source stays ASCII).
EXTRA_CAPTIONS = {"MentorImportFormulas": "导入公式"}


def macro_buttons(sources: dict[str, str] | None = None) -> list[MacroButton]:
    """Buttons declared in the .bas files (``' button: SubName at E2``) with their Python.

    The caption is the mentor_xl button's (``main('<id>')`` in the RunPython command), else
    ``EXTRA_CAPTIONS``.
    """
    sources = sources if sources is not None else macro_sources()
    captions = {b.id: b.caption for b in BUTTONS}
    out = []
    for text in sources.values():
        subs = {m.group(1): m.group(2) for m in _SUB.finditer(text)}
        for m in _BUTTON_LINE.finditer(text):
            sub, cell = m.groups()
            if sub not in subs:
                raise ValueError(f"macros: button {sub!r} has no Sub {sub}()")
            py = _RUNPYTHON.search(subs[sub])
            command = py.group(1).replace('""', '"') if py else ""
            call = _MAIN_CALL.search(command)
            caption = captions.get(call.group(1)) if call else EXTRA_CAPTIONS.get(sub)
            if caption is None:
                raise ValueError(f"macros: button {sub!r} has no caption")
            out.append(MacroButton(sub, caption, cell, command))
    return out


# ---------------------------------------------------------------------------- sheets
def _cell_rc(cell: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", cell)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _control_sheet(wb, pack, year: str, term: str, kind: str):
    st = styles(wb)
    ws = wb.add_worksheet(CONTROL_SHEET)
    rows = control_layout()
    prefill = {"学期": term, "学年": year, "分配总额（元）": 100000}
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if i >= PARAM_HEADER_ROW and j == 1 and row[0] in prefill:
                v = prefill[row[0]]
            if v is None:
                continue
            if i == 0:
                ws.write_string(i, j, str(v), st.title)
            elif i == PARAM_HEADER_ROW - 1 or (j == 0 and i in (1, 2)):
                ws.write_string(i, j, str(v), st.header)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v, st.cell("int"))
            else:
                ws.write_string(i, j, str(v), st.cell("wrap" if j == 2 or i == 2 else "text"))
    ws.set_row(2, 34)  # the status message wraps
    for i in range(PARAM_HEADER_ROW, len(rows)):
        ws.set_row(i, 30)  # room for the wrapped help text
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 2, 48)
    ws.set_column(3, 3, 3)
    ws.set_column(4, 5, 12)
    ws.write_string(len(rows) + 1, 0, f"制度：{pack.id}（{pack.name}）。本表按钮说明见“{GUIDE_SHEET}”表。", st.wrap)
    ws.activate()
    return ws


def _office_sheets(wb, frames: dict[str, pd.DataFrame]) -> None:
    for sheet in SHEETS:
        df = frames.get(sheet.name)
        if df is None:
            df = pd.DataFrame({c: pd.Series(dtype=object) for c in sheet.names})
        ids = [c.name for c in sheet.columns if c.kind in ("id", "idlist", "term")]
        write_frame_sheet(wb, sheet.name, df.reindex(columns=sheet.names), text_cols=ids)


def guide_rows(pack, kind: str) -> list[str]:
    """The 说明 sheet, one paragraph a row (Chinese, for office staff)."""
    lines = [
        f"导师工作助手 — {pack.name}（制度 {pack.id}）",
        "",
        "一、这个工作簿是什么",
        "“设置”到“列映射”各表是本单位的导师工作数据（本文件附带的是示例数据，可整表替换为本单位的数据）。"
        f"在“{CONTROL_SHEET}”表填写学期、学年等参数后点击按钮，结果写入新的工作表（合规汇总、考核结果等），"
        "不会改动原有数据表。状态栏（B2、B3）显示“运行中 / 完成 / 出错”和说明。",
        "",
        "二、按钮",
    ]
    for b in BUTTONS:
        if kind == "lite" and not b.lite:
            continue
        lines.append(f"  {b.caption}：写入 {b.sheets}")
    lines += ["", "三、公式（在单元格中输入）"]
    lines += [
        "  =MENTOR_TIER(得分, 名次, 参评人数, 制度)：按分数线和名额给出等级",
        "  =MENTOR_AWARD(奖项, 制度)：奖项金额（元）",
        "  =MENTOR_ALLOCATE(总额, 分组区域, 人数区域)：按人数最大余数法分配（一列金额）",
        "  某人某学期的合规率：先点“计算合规”，再用 =VLOOKUP(工号, 人员汇总!A:I, 9, FALSE)。"
        "（公式不读取其他工作表：Excel 计算公式时不允许读取工作簿，读取了也不会随数据更新。）",
    ]
    if kind == "lite":
        lines.append("  （xlwings Lite 中公式名可能带有加载项的前缀，输入 =MENTOR 后从提示中选择。）")
    else:
        lines.append("  公式只能在 Windows 版 Excel 中使用；首次使用前点击“导入公式”按钮。")
    lines += ["", "四、第一次使用前的设置（每台电脑一次）"]
    if kind == "lite":
        lines += [
            "  现在还不能使用：xlwings Lite 在运行时从公共软件源安装 Python 程序，而 mentor_xl 尚未由我们发布；"
            "为安全起见，本工作簿不会按名称安装 mentor_xl（别人可能注册同名程序）。"
            "点击按钮时状态栏会显示“无法加载 mentor_xl”，不会改动任何数据。"
            "请改用宏工作簿（.xlsm，用单位的离线安装包安装）或命令行 mentor-xl。",
            "  发布后：在 Excel 中打开“开始 → 加载项”，搜索并添加免费的 xlwings Lite 加载项"
            "（Microsoft 365 或 Office 2021 及以上的 Windows、macOS 和网页版 Excel；Office 2016 与 WPS 不能使用），"
            "打开更新后的工作簿，在任务窗格中确认代码已加载，然后点击本表的按钮。单位网络须能访问 Lite 的软件源。",
            "  网页版和 xlwings Lite 不能在本机保存文件，因此本工作簿没有“生成公文”和“公式版结果”按钮。",
        ]
    else:
        lines += [
            "  1. 向管理员索取“mentor_xl 离线安装包”（管理员用 mentor-xl kit 生成）。安装包不需要互联网，"
            "不从公共软件源下载，每个文件都按 sha256 校验。请勿从公共软件源按名称安装 mentor_xl。",
            "  2. 安装 Python 3.11、3.12 或 3.13（python.org，64 位；安装时勾选 Add python.exe to PATH）。",
            "  3. Windows：双击安装包中的“安装.bat”。macOS：打开“安装.command”，它会同时运行 xlwings runpython install"
            "（macOS 的 Excel 通过它调用 Python）。",
            "  4. 打开本工作簿，在黄色提示条上点击“启用内容”（启用宏）。如文件来自邮件或网络，"
            "先右键文件 → 属性 → 勾选“解除锁定”。",
            f"  5. “{CONF_SHEET}”表是 xlwings 的设置：A 列名称、B 列值。Python 不在 PATH 中时，"
            "在该表添加一行 Interpreter_Win 和 python.exe 的完整路径（macOS 为 Interpreter_Mac；安装结束时会显示该路径）。"
            "ADD_WORKBOOK_TO_PYTHONPATH 保持 False：工作簿所在文件夹中的 .py 文件不会被执行。",
            "  6. 使用公式前：Excel“文件 → 选项 → 信任中心 → 信任中心设置 → 宏设置”中勾选"
            "“信任对 VBA 工程对象模型的访问”，然后点击“导入公式”按钮。",
            "  7. 本工作簿自带 xlwings 0.37.8 的 VBA 模块，不需要另装 xlwings 加载项（安装包中的 xlwings 版本与之相同）。",
        ]
    lines += [
        "",
        "五、WPS 与没有 Python 的同事",
        "  WPS 不支持 xlwings 按钮。请在宏工作簿（.xlsm）中点击“公式版结果”按钮（或用命令行 mentor-xl）生成“公式版”结果工作簿："
        "其中合规汇总的次数、时长由 COUNTIFS/SUMIFS 公式直接统计活动记录表，"
        "在 WPS、Excel、LibreOffice 中修改活动记录后自动更新，无需任何安装。",
        "",
        "六、已验证与待验证",
        "  在 Linux 上已验证：各按钮和公式的 Python 部分（用与 xlwings 相同的 Book/Sheet/Range 接口）、"
        "工作簿结构（按钮形状与脚本对应、宏存在、嵌入的代码与源文件逐字节一致）、离线安装包装入新的 Python 环境、"
        "公式版结果工作簿在 LibreOffice 中重算后与程序结果完全一致。",
        "  需在真实 Excel 中确认（五分钟检查清单见 docs/excel-checklist.md）：宏按钮能否调用 Python、公式导入、"
        "xlwings Lite 是否识别嵌入的代码和按钮。",
    ]
    return lines


def _guide_sheet(wb, pack, kind: str) -> None:
    st = styles(wb)
    ws = wb.add_worksheet(GUIDE_SHEET)
    ws.set_column(0, 0, 120, st.wrap)
    for i, line in enumerate(guide_rows(pack, kind)):
        if line:
            ws.write_string(i, 0, line, st.title if i == 0 else st.wrap)


# xlwings.conf of the .xlsm. ADD_WORKBOOK_TO_PYTHONPATH off: by default xlwings puts the
# workbook's folder first on sys.path, so a .py planted beside a mailed workbook would
# shadow mentor_xl's imports.
XLWINGS_CONF = (("UDF Modules", UDF_MODULE), ("ADD_WORKBOOK_TO_PYTHONPATH", "False"))


def _conf_sheet(wb) -> None:
    # xlwings reads A1:B<last> of this sheet as key/value (no header row)
    ws = wb.add_worksheet(CONF_SHEET)
    for i, (key, value) in enumerate(XLWINGS_CONF):
        ws.write_string(i, 0, key)
        ws.write_string(i, 1, value)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 30)


def _demo(pack_id: str):
    from mentor_xl.demo import TERMS, YEAR, demo_frames

    data = demo_frames(pack_id, seed=DEMO_SEED, staff=DEMO_STAFF, students=DEMO_STUDENTS)
    return data.frames, YEAR, TERMS[0][0]


# ---------------------------------------------------------------------------- Lite workbook
def lite_requirements(package: str | None = None) -> str:
    """Lite's requirements.txt: the lines Lite marks ``# required``, and mentor_xl only when
    ``package`` names where we published it (a wheel URL we control, or ``mentor_xl==X`` once
    the public name is ours). Until then Lite shows "无法加载 mentor_xl" instead of installing
    whatever someone else registered under that name."""
    text = LITE_REQUIREMENTS.read_text(encoding="utf-8")
    if package:
        if any(c in package for c in "\n\r#"):
            raise ValueError(f"--lite-package: one requirement or URL, got {package!r}")
        text += f"{package.strip()}\n"
    return text


def build_lite_workbook(path: str | Path, pack_id: str, *, lite_package: str | None = None) -> Path:
    pack = load_pack(pack_id)
    frames, year, term = _demo(pack_id)
    buttons = lite_buttons()
    captions = {b.id: b.caption for b in BUTTONS}

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        wb.set_properties({"title": f"导师工作助手（xlwings Lite）— {pack.id}", "author": "mentor_xl",
                           "created": pd.Timestamp("2024-09-01").to_pydatetime()})
        ws = _control_sheet(wb, pack, year, term, "lite")
        for b in buttons:
            r, c = _cell_rc(b.cell)
            ws.insert_textbox(r, c, captions.get(b.script, b.script), {
                **BUTTON_SIZE, "url": f"internal:{b.sheet}!{b.cell}",
                "font": {"bold": True, "size": 12, "color": "white", "name": "等线"},
                "align": {"vertical": "middle", "horizontal": "center"},
                "fill": {"color": "#2F75B5"}, "line": {"none": True},
            })
        _guide_sheet(wb, pack, "lite")
        _office_sheets(wb, frames)
        wb.close()
        _name_shapes(tmp, [b.shape for b in buttons])
        embed_lite_code(tmp, LITE_MAIN.read_text(encoding="utf-8"), lite_requirements(lite_package))

    return atomic_write(path, build, backup=False)


def _rewrite_zip(path: Path, edit) -> None:
    """Rewrite the zip at ``path``: ``edit(parts)`` changes the dict name → bytes in place."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)


def _name_shapes(path: Path, names: list[str]) -> None:
    """XlsxWriter names text boxes "TextBox <n>" in insertion order; give them the button names."""

    def edit(parts: dict[str, bytes]) -> None:
        drawing = "xl/drawings/drawing1.xml"
        xml = parts[drawing].decode("utf-8")
        found = re.findall(r'name="TextBox (\d+)"', xml)
        if len(found) != len(names):
            raise RuntimeError(f"expected {len(names)} text boxes in {drawing}, found {len(found)}")
        for k, name in enumerate(names, start=1):
            xml = xml.replace(f'name="TextBox {k}"', f'name="{escape(name)}"', 1)
        parts[drawing] = xml.encode("utf-8")

    _rewrite_zip(path, edit)


def lite_property(text: str) -> str:
    """A web-extension property value: the text as a JSON string (XML-escaped when written)."""
    return json.dumps(text, ensure_ascii=False)


def webextension_xml(main_py: str, requirements: str) -> str:
    props = [("main.py", main_py), ("requirements.txt", requirements),
             ("pyodideVersion", LITE_PYODIDE_VERSION), ("addinVersion", LITE_ADDIN_VERSION)]
    items = "".join(f'<we:property name="{escape(k)}" value="{escape(lite_property(v), {chr(34): "&quot;"})}"/>'
                    for k, v in props)
    ext_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "mentor_xl/lite")).upper() + "}"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<we:webextension xmlns:we="{WE_NS}" id="{ext_id}">'
            f'<we:reference id="{LITE_STORE_ID}" version="1.0.0.0" store="zh-CN" storeType="OMEX"/>'
            f'<we:alternateReferences><we:reference id="{LITE_STORE_ID.upper()}" version="1.0.0.0" '
            f'storeType="OMEX"/></we:alternateReferences>'
            f'<we:properties>{items}</we:properties>'
            f'<we:bindings/><we:snapshot xmlns:r="{R_NS}"/></we:webextension>')


def taskpanes_xml() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<wetp:taskpanes xmlns:wetp="{WETP_NS}">'
            '<wetp:taskpane dockstate="right" visibility="1" width="350" row="1">'
            f'<wetp:webextensionref xmlns:r="{R_NS}" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>')


def embed_lite_code(path: str | Path, main_py: str, requirements: str) -> None:
    """Add the Lite web-extension parts (code inside) to the finished .xlsx at ``path``."""

    def edit(parts: dict[str, bytes]) -> None:
        parts[f"{WE_DIR}/webextension1.xml"] = webextension_xml(main_py, requirements).encode("utf-8")
        parts[f"{WE_DIR}/taskpanes.xml"] = taskpanes_xml().encode("utf-8")
        parts[f"{WE_DIR}/_rels/taskpanes.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{WEBEXTENSION_REL}" '
            'Target="webextension1.xml"/></Relationships>').encode("utf-8")
        ct = parts["[Content_Types].xml"].decode("utf-8")
        if "/xl/webextensions/taskpanes.xml" not in ct:
            ct = ct.replace("</Types>",
                            f'<Override PartName="/{WE_DIR}/taskpanes.xml" ContentType="{TASKPANES_CT}"/>'
                            f'<Override PartName="/{WE_DIR}/webextension1.xml" ContentType="{WEBEXTENSION_CT}"/>'
                            "</Types>")
        parts["[Content_Types].xml"] = ct.encode("utf-8")
        rels = parts["_rels/.rels"].decode("utf-8")
        if TASKPANES_REL not in rels:
            ids = [int(x) for x in re.findall(r'Id="rId(\d+)"', rels)]
            rid = f"rId{max(ids, default=0) + 1}"
            rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{TASKPANES_REL}" '
                                f'Target="{WE_DIR}/taskpanes.xml"/></Relationships>')
        parts["_rels/.rels"] = rels.encode("utf-8")

    _rewrite_zip(Path(path), edit)


def embedded_lite_code(path: str | Path) -> dict[str, str]:
    """The web-extension properties of a workbook, decoded (name → text); {} when absent."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as z:
        name = f"{WE_DIR}/webextension1.xml"
        if name not in z.namelist():
            return {}
        root = ET.fromstring(z.read(name))
    return {p.get("name"): json.loads(p.get("value")) for p in root.iter(f"{{{WE_NS}}}property")}


# ---------------------------------------------------------------------------- macro workbook
def vba_project_bin(sources: dict[str, str]) -> bytes:
    """A vbaProject.bin (pyopenvba) holding ``sources`` plus the xlwings standalone modules."""
    import xlwings
    from pyopenvba import ExcelFile
    from pyopenvba.vba import VBAModuleKind

    xw_dir = Path(xlwings.__file__).parent
    with tempfile.TemporaryDirectory(prefix="mentor_xl_vba_") as d:
        p = Path(d) / "project.xlsm"
        with ExcelFile.create_new(p) as f:
            proj = f.vba_project()
            proj.delete_module("Module1")  # the template's empty module
            for name, src in sources.items():
                proj.add_module(name, src)
            # standalone xlwings: RunPython without the add-in (pinned to this xlwings version)
            proj.add_module("xlwings", (xw_dir / "xlwings.bas").read_text(encoding="utf-8"))
            proj.add_module("Dictionary", (xw_dir / "addin" / "Dictionary.cls").read_text(encoding="utf-8"),
                            kind=VBAModuleKind.other)
            f.save()
        with zipfile.ZipFile(p) as z:
            return with_minimal_vba_project_stream(z.read("xl/vbaProject.bin"))


# MS-OVBA 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF (no p-code cache: the host compiles from
# source), Reserved2 0x00, Reserved3 0x0001 — the 7 bytes xlwings' own standalone template has.
VBA_PROJECT_STREAM = bytes.fromhex("cc61ffff000100")


def with_minimal_vba_project_stream(project: bytes) -> bytes:
    """``project`` with its VBA/_VBA_PROJECT stream replaced by the 7-byte MS-OVBA form."""
    from pyopenvba.cfb import CFB

    cfb = CFB.from_bytes(project)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


def build_macro_workbook(path: str | Path, pack_id: str) -> Path:
    pack = load_pack(pack_id)
    frames, year, term = _demo(pack_id)
    sources = macro_sources()
    project = vba_project_bin(sources)

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        wb.set_properties({"title": f"导师工作助手（宏）— {pack.id}", "author": "mentor_xl",
                           "created": pd.Timestamp("2024-09-01").to_pydatetime()})
        wb.add_vba_project(io.BytesIO(project), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        ws = _control_sheet(wb, pack, year, term, "xlsm")
        for b in macro_buttons(sources):
            ws.insert_button(b.cell, {"macro": b.sub, "caption": b.caption, **BUTTON_SIZE})
        _guide_sheet(wb, pack, "xlsm")
        _office_sheets(wb, frames)
        _conf_sheet(wb)
        wb.close()

    return atomic_write(path, build, backup=False)


# ---------------------------------------------------------------------------- all
def workbook_paths(out_dir: str | Path, pack_id: str) -> tuple[Path, Path]:
    out = Path(out_dir)
    return out / f"mentor-{pack_id}-lite.xlsx", out / f"mentor-{pack_id}.xlsm"


def build_workbooks(out_dir: str | Path = "workbooks", packs: list[str] | None = None, *,
                    lite_package: str | None = None) -> list[Path]:
    """Build the Lite .xlsx and the .xlsm of every pack (or ``packs``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for pack_id in packs or available():
        lite, xlsm = workbook_paths(out, pack_id)
        written.append(build_lite_workbook(lite, pack_id, lite_package=lite_package))
        written.append(build_macro_workbook(xlsm, pack_id))
    return written


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m mentor_xl.xl.build", description="生成带按钮的 Excel 工作簿")
    ap.add_argument("out_dir", nargs="?", default="workbooks")
    ap.add_argument("--policy", "-p", action="append", help="只生成这些制度（可重复）")
    ap.add_argument("--lite-package", help="Lite 版安装 mentor_xl 的位置（我们发布后才填写：自有服务器上的 wheel 地址）")
    a = ap.parse_args(argv)
    for p in build_workbooks(a.out_dir, a.policy, lite_package=a.lite_package):
        print(p)


if __name__ == "__main__":  # pragma: no cover
    main()
