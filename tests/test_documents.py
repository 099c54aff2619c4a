"""Official documents: GB/T 9704 templates, safe batch rendering, contexts, PDF via LibreOffice."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from mentor_xl import libreoffice as lo
from mentor_xl.documents import KINDS, DocJob, TemplateError, build_contexts, generate, template_path
from mentor_xl.documents import forms, notices, reminders, summaries
from mentor_xl.documents import gbt9704 as G
from mentor_xl.documents import render as R
from mentor_xl.documents.build_templates import build_all
from mentor_xl.documents.kinds import SAMPLES
from mentor_xl.engine.result import ComplianceResult
from mentor_xl.packs import load_pack
from mentor_xl.workbook.model import OfficeBook, empty_frame
from mentor_xl.workbook.schema import BY_NAME

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOSTILE = ["张三&李四", "<王五>", "赵六😀", "欧阳" + "长" * 28]  # the last one is 30 characters


def needs_soffice(fn):
    fn = pytest.mark.libreoffice(fn)
    return pytest.mark.skipif(lo.find_soffice() is None and not os.environ.get("CI"),
                              reason="LibreOffice (soffice) 未安装")(fn)


# --- small hand-built inputs -------------------------------------------------------------
def frame(sheet: str, rows: list[dict]) -> pd.DataFrame:
    base = empty_frame(BY_NAME[sheet])
    if not rows:
        return base
    df = pd.DataFrame(rows)
    df["_row"] = range(2, len(df) + 2)
    for c in base.columns:
        if c not in df:
            df[c] = None
        if str(base[c].dtype).startswith("datetime"):
            df[c] = pd.to_datetime(df[c])
        elif base[c].dtype != object:
            df[c] = df[c].astype(base[c].dtype)
    return df[list(base.columns) + [c for c in df.columns if c not in base.columns]]


def small_book(names=("张三", "李四"), settings=None) -> OfficeBook:
    staff = [{"工号": f"T{i + 1:03d}", "姓名": n, "角色": "学育导师", "学院": "数学学院", "职称": "教授",
              "职务": "副院长" if i == 0 else None, "性别": "男", "出生日期": "1980-05-17", "学历": "博士研究生",
              "政治面貌": "中共党员", "联系电话": "13800000000", "聘任开始": "2024-09-01", "聘任结束": "2028-08-31",
              "班主任年限": 4.0, "荣誉": "省级优秀教师" if i == 0 else None} for i, n in enumerate(names)]
    staff.append({"工号": "T900", "姓名": "撤销者", "角色": "学育导师", "学院": "数学学院", "撤销日期": "2024-06-01"})
    staff.append({"工号": "T901", "姓名": "行政人员", "角色": "秘书", "学院": "数学学院"})
    return OfficeBook(
        settings={"制度": "bit-2022", "发文机关": "示例大学学生工作部", "发文字号前缀": "学工", "文号": "012",
                  "成文日期": "2024年9月1日", "学年": "2024-2025", **(settings or {})},
        staff=frame("人员", staff),
        terms=frame("学期", [{"学期": "2024-2025-1", "开始日期": "2024-09-02", "结束日期": "2025-01-17"},
                            {"学期": "2024-2025-2", "开始日期": "2025-02-24", "结束日期": "2025-07-04"}]),
        students=frame("学生", [{"学号": "S1", "姓名": "学生甲", "班级": "数学2401"},
                               {"学号": "S2", "姓名": "学生乙", "班级": "数学2401"}]),
        assignments=frame("指导关系", [{"工号": "T001", "学号": "S1"}, {"工号": "T001", "班级": "数学2402"}]),
        log=frame("活动记录", [
            {"日期": "2024-09-10", "工号": "T001", "活动类型": "下午茶", "学号": ["S1", "S2"], "时长": 1.5,
             "地点": "图书馆", "内容": "学业规划"},
            {"日期": "2024-09-20", "工号": "T001", "活动类型": "社会实践", "学号": [], "时长": 2.0, "班级": "数学2401"},
            {"日期": "2024-10-08", "工号": "T001", "活动类型": "导学互动交流", "学号": ["S1"], "时长": 1.0},
            {"日期": "2024-10-09", "工号": "T002", "活动类型": "导学互动交流", "学号": ["S2"], "时长": 0.5},
        ]),
    )


def small_result(book) -> ComplianceResult:
    names = book.staff.set_index("工号")["姓名"]
    cols = ["staff_id", "name", "role", "college", "rule", "title", "clause", "scope", "student_id", "class",
            "status", "required", "met", "rate", "missed_periods", "shortfalls", "value", "report_only", "note"]
    rows = [
        ["T001", "张三", "学育导师", "数学学院", "bit.monthly-talk", "每月导学互动交流", "四.1", "pair", "S1", None,
         "missed", 5, 3, 0.6, ["2024-10-01", "2024-11-01"], [1.0, 1.0], 3.0, False, ""],
        ["T001", "张三", "学育导师", "数学学院", "bit.monthly-activity", "每月组织和参加学生活动", "四", "staff", None, None,
         "met", 5, 5, 1.0, [], [], 6.0, False, ""],
        ["T001", "张三", "学育导师", "数学学院", "bit.six-forms", "六个一", "四", "staff", None, None,
         "report", 1, 0, float("nan"), [], [], 2.0, True, ""],
        ["T002", "李四", "学育导师", "数学学院", "bit.monthly-activity", "每月组织和参加学生活动", "四", "staff", None, None,
         "met", 5, 5, 1.0, [], [], 5.0, False, ""],
    ]
    for r in rows:
        r[1] = names[r[0]]
    results = pd.DataFrame(rows, columns=cols)
    det_rows = []
    for sid, met in (("T001", [True, False, True, False, True]), ("T002", [True] * 5)):
        for m, ok in zip(["2024-09-01", "2024-10-01", "2024-11-01", "2024-12-01", "2025-01-01"], met):
            det_rows.append({"staff_id": sid, "rule": "bit.monthly-talk", "period": m,
                             "period_start": pd.Timestamp(m), "required": True, "met": ok})
    details = pd.DataFrame(det_rows)
    staff = pd.DataFrame([
        {"staff_id": "T001", "name": names["T001"], "role": "学育导师", "college": "数学学院", "rules_required": 2,
         "rules_met": 1, "periods_required": 10, "periods_met": 8, "rate": 0.8},
        {"staff_id": "T002", "name": names["T002"], "role": "学育导师", "college": "数学学院", "rules_required": 1,
         "rules_met": 1, "periods_required": 5, "periods_met": 5, "rate": 1.0},
    ])
    return ComplianceResult("bit-2022", "2024-2025-1", pd.Timestamp("2024-09-02"), pd.Timestamp("2025-01-17"),
                            details, results, staff)


@pytest.fixture(scope="module")
def pack():
    return load_pack("bit-2022")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("templates")
    build_all(d)
    return d


def docx_xml(data_or_path, part="word/document.xml") -> str:
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    with zipfile.ZipFile(src) as z:
        return z.read(part).decode("utf-8")


def assess_json(n: int, names=None) -> tuple[dict, OfficeBook]:
    names = list(names or [f"导师{i}" for i in range(n)])
    book = small_book(names)
    tiers = ["优秀", "合格", "基本合格", "不合格", "待定"]
    res = [{"staff_id": f"T{i + 1:03d}", "score": 95 - i * 0.01, "tier": tiers[i % 5],
            "reasons": ["得分 95 ≥ 90"] if i % 5 != 4 else ["并列第 2\n提交考核委员会"]} for i in range(len(names))]
    return {"policy": "bit-2022", "year": "2023-2024", "results": res, "problems": []}, book


# --- GB/T 9704 formatters ----------------------------------------------------------------
def test_doc_number_rules():
    assert G.format_doc_number("学工", 2024, "012") == "学工〔2024〕12号"
    assert G.normalise_doc_number("学工[2024]第012号") == "学工〔2024〕12号"
    assert G.normalise_doc_number("校发（2022）50") == "校发〔2022〕50号"
    assert G.doc_number({"发文字号前缀": "学工", "文号": "０１２"}, 2024) == "学工〔2024〕12号"
    assert G.doc_number({"文号": "学工〔2024〕7号"}, 2030) == "学工〔2024〕7号"
    assert G.doc_number({}, 2024) == ""
    with pytest.raises(G.DocNumberError, match="四位"):
        G.normalise_doc_number("学工〔24〕12号")
    with pytest.raises(G.DocNumberError, match="机关代字"):
        G.doc_number({"文号": "12"}, 2024)


def test_dates_have_no_leading_zeros():
    assert G.cn_date(dt.date(2024, 9, 1)) == "2024年9月1日"
    assert G.cn_date("2024/09/01") == "2024年9月1日"
    assert G.cn_month(pd.Timestamp("2024-10-05")) == "2024年10月"


# --- the templates -----------------------------------------------------------------------
NOTICES = ["考核结果通知.docx", "表彰决定.docx", "聘任通知.docx"]


@pytest.mark.parametrize("name", [k.template for k in KINDS.values()])
def test_template_page_setup_and_fonts(built, name):
    doc = Document(built / name)
    sec = doc.sections[0]
    for got, mm in ((sec.page_width, 210), (sec.page_height, 297), (sec.top_margin, 37),
                    (sec.bottom_margin, 35), (sec.left_margin, 28), (sec.right_margin, 26)):
        assert abs(got - Mm(mm)) < Mm(0.1), (name, got.mm, mm)
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 225 mm / 22 lines
    body = doc.styles["公文正文"]
    rf = body.element.rPr.find(qn("w:rFonts"))
    assert rf.get(qn("w:eastAsia")) == "仿宋_GB2312" and body.font.size.pt == 16
    assert body.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    assert body.element.pPr.find(qn("w:spacing")).get(qn("w:lineRule")) == "exact"
    # 28 characters a line: 16 pt condensed by 0.25 pt → 28 × 15.75 pt fits the 156 mm 版心
    assert int(body.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) * 28 / 20 + 28 * 16 <= 156 / 25.4 * 72
    for style, font, size in (("公文标题", "方正小标宋简体", 22), ("一级标题", "黑体", 16), ("二级标题", "楷体_GB2312", 16),
                              ("页码", "宋体", 14)):
        st = doc.styles[style]
        assert st.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == font
        assert st.font.size.pt == size
    lang = doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    assert doc.settings.element.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"
    # every run that holds text names its East-Asian font itself
    for r in doc.element.body.iter(qn("w:r")):
        if r.find(qn("w:t")) is not None and r.find(qn("w:t")).text:
            assert r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")), name
    # page numbers "— 1 —": odd right, even left, PAGE field
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = sec.footer.paragraphs[0], sec.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0
    for p in (odd, even):
        assert p.text.replace("1", "{n}") == "— {n} —"
        assert " PAGE " in "".join(t.text for t in p._p.iter(qn("w:instrText")))


@pytest.mark.parametrize("name", NOTICES)
def test_notice_has_red_header_and_separator(built, name):
    doc = Document(built / name)
    banner = next(p for p in doc.paragraphs if p.style.name == "发文机关标志")
    assert banner.text == "{{ 发文机关标志 }}"
    assert doc.styles["发文机关标志"].font.color.rgb == (0xFF, 0, 0)
    number = next(p for p in doc.paragraphs if p.style.name == "发文字号")
    bottom = doc.styles["发文字号"].element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000" and number.text == "{{ 发文字号 }}"
    texts = [p.text for p in doc.paragraphs]
    assert "附件：{{ 附件名称 }}" in texts and "{{ 落款日期 }}" in texts
    header_rows = [tr for tr in doc.element.body.iter(qn("w:tr")) if tr.find(".//" + qn("w:tblHeader")) is not None]
    assert len(header_rows) == len(doc.tables) >= 1  # one repeated header row a table (聘任通知: two
    # tables, with and without a 角色 column, one of which is rendered)


# --- rendering ---------------------------------------------------------------------------
def test_assessment_notice_renders_hostile_names(built, pack):
    a, book = assess_json(len(HOSTILE), HOSTILE)
    jobs = notices.assessment_notice_contexts(a, book, pack)
    data = R.CompiledTemplate(built / "考核结果通知.docx").render(jobs[0].context)
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert "学工〔2024〕12号" in texts and "示例大学学生工作部文件" in texts
    assert any(t.strip("\u3000\u2002") == "2024年9月1日" for t in texts)  # the 落款 date, padded
    table = doc.tables[0]
    assert len(table.rows) == 1 + len(HOSTILE)
    assert [r.cells[2].text for r in table.rows[1:]] == HOSTILE
    assert [r.cells[5].text for r in table.rows[1:]] == ["优秀", "合格", "基本合格", "不合格"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert "&amp;" in docx_xml(data) and "&lt;王五&gt;" in docx_xml(data)
    # rendered runs keep the template's fonts, East-Asian slot included
    cell_run = table.rows[1].cells[2].paragraphs[0].runs[0]
    assert cell_run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert "优秀1人、合格1人、基本合格1人、不合格1人" in "".join(texts)


def test_multiline_text_becomes_line_breaks_and_control_chars_are_dropped(built, pack):
    a, book = assess_json(5)
    a["results"][0]["staff_id"] = "T001"
    book.staff.loc[0, "姓名"] = "第一行\n第二行\x07\x0b"
    data = R.CompiledTemplate(built / "考核结果通知.docx").render(notices.assessment_notice_contexts(a, book, pack)[0].context)
    doc = Document(io.BytesIO(data))
    cell = doc.tables[0].rows[1].cells[2]
    assert cell.text == "第一行\n第二行"  # python-docx reads <w:br/> as \n
    assert cell._tc.find(".//" + qn("w:br")) is not None
    # the 待定 row explains itself with its deciding reason, written below the table (two lines)
    undecided = [r for r in doc.tables[0].rows if r.cells[5].text == "待定"][0]
    assert undecided.cells[6].text == "见注1"
    (note,) = [p for p in doc.paragraphs if p.text.startswith("注1：")]
    assert note.text == "注1：并列第 2\n提交考核委员会" and note._p.find(".//" + qn("w:br")) is not None


def test_empty_list_renders_a_sentence_not_an_empty_table(built, pack):
    a, book = assess_json(0)
    data = R.CompiledTemplate(built / "考核结果通知.docx").render(notices.assessment_notice_contexts(a, book, pack)[0].context)
    doc = Document(io.BytesIO(data))
    assert doc.tables == []
    texts = [p.text for p in doc.paragraphs]
    assert "本次考核无结果。" in texts and "本次共考核0人，其中无。考核结果名单见附件。" in texts


def test_two_thousand_rows_in_one_table(built, pack):
    a, book = assess_json(2000)
    ctx = notices.assessment_notice_contexts(a, book, pack)[0].context
    data = R.CompiledTemplate(built / "考核结果通知.docx").render(ctx)
    doc = Document(io.BytesIO(data))
    rows = doc.tables[0].rows
    assert len(rows) == 2001
    assert rows[2000].cells[0].text == "2000" and rows[2000].cells[2].text == "导师1999"
    assert sum(r._tr.trPr.find(qn("w:tblHeader")) is not None for r in rows) == 1


def test_template_errors_name_template_and_tag(tmp_path):
    doc = Document()
    doc.add_paragraph("正文")
    doc.add_paragraph("{% if 姓名 %}未闭合")
    doc.save(tmp_path / "坏模板.docx")
    with pytest.raises(TemplateError) as e:
        R.CompiledTemplate(tmp_path / "坏模板.docx")
    assert "坏模板.docx" in str(e.value) and "{% if 姓名 %}" in str(e.value)
    doc = Document()
    doc.add_paragraph("您好，{{ 职务 }}。")
    doc.save(tmp_path / "缺变量.docx")
    tpl = R.CompiledTemplate(tmp_path / "缺变量.docx")
    with pytest.raises(TemplateError) as e:
        tpl.render({"姓名": "张三"})
    assert "缺变量.docx" in str(e.value) and "职务" in str(e.value) and "{{ 职务 }}" in str(e.value)


def test_picture_is_embedded(built, pack):
    book = small_book()
    jobs = summaries.term_summary_contexts(small_result(book), book, pack)
    data = R.CompiledTemplate(built / "学期工作总结.docx").render(jobs[0].context)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and z.read(media[0])[:8] == b"\x89PNG\r\n\x1a\n"
        assert 'Extension="png"' in z.read("[Content_Types].xml").decode()
        assert media[0].removeprefix("word/") in z.read("word/_rels/document.xml.rels").decode()
    doc = Document(io.BytesIO(data))  # python-docx resolves the image relationship
    assert len(doc.inline_shapes) == 1


# --- file names and batches ---------------------------------------------------------------
def test_safe_unique_file_names():
    names = R.unique_names(["张三/李四", "张三:李四", "CON", "a" * 80, "x*?<>|\"y", "😀" * 40, "Ab", "aB", " . "])
    assert names[0] == "张三_李四.docx" and names[1] == "张三_李四-2.docx"
    assert names[2] == "_CON.docx"
    assert len(names[3]) - 5 == R.MAX_STEM
    assert names[4] == "x______y.docx"
    assert sum(2 if ord(c) > 0xFFFF else 1 for c in names[5][:-5]) <= R.MAX_STEM
    assert names[6].casefold() != names[7].casefold()
    assert names[8] == "文档.docx"
    for n in names:
        assert not re.search(r'[\\/:*?"<>|]', n)


def test_generate_parallel_matches_sequential_and_parses_once(tmp_path, built, pack, monkeypatch):
    compiled = []
    orig = R.CompiledTemplate.__init__

    def counting(self, *a, **kw):
        compiled.append(1)
        orig(self, *a, **kw)

    monkeypatch.setattr(R.CompiledTemplate, "__init__", counting)
    book = small_book(HOSTILE * 5)  # duplicate names → unique files
    jobs = [DocJob({**SAMPLES["reminder"], "姓名": n, "工号": f"T{i}"}, f"{n}-整改提醒")
            for i, n in enumerate(book.staff["姓名"][: len(HOSTILE) * 5])]
    seq = generate("reminder", jobs, tmp_path / "seq", template=None, workers=1, progress=False)
    assert len(compiled) == 1
    par = generate("整改提醒", jobs, tmp_path / "par", workers=2, progress=False, zip_=True)
    assert len(compiled) == 2  # once per batch in the parent; workers inherit it or build their own once
    assert [p.name for p in seq] == [p.name for p in par[:-1]]
    assert len({p.name.casefold() for p in seq}) == len(jobs)
    for a, b in zip(seq, par):
        assert docx_xml(a) == docx_xml(b)
    with zipfile.ZipFile(par[-1]) as z:
        assert sorted(z.namelist()) == sorted(p.name for p in seq)
    assert generate("reminder", [], tmp_path / "none", progress=False) == []


def test_worker_reuses_the_inherited_template(built):
    tpl = R.CompiledTemplate(built / "整改提醒.docx")
    R._WORKER = tpl
    R._init_worker(tpl.data, tpl.name, tpl.digest)
    assert R._WORKER is tpl
    R._init_worker(b"x" * 0 + (built / "聘任通知.docx").read_bytes(), "聘任通知.docx", "other")
    assert R._WORKER is not tpl and R._WORKER.name == "聘任通知.docx"


def test_template_resolution(tmp_path, monkeypatch):
    assert template_path("reminder").name == "整改提醒.docx"
    own = tmp_path / "我们的模板.docx"
    own.write_bytes(template_path("reminder").read_bytes())
    assert template_path("reminder", own) == own
    with pytest.raises(FileNotFoundError, match="找不到模板"):
        template_path("reminder", tmp_path / "无.docx")
    # no checkout templates/: built into the cache
    from mentor_xl.documents import batch
    monkeypatch.setattr(batch, "CHECKOUT_TEMPLATES", tmp_path / "absent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    p = template_path("term-summary")
    assert p.is_file() and str(tmp_path / "cache") in str(p)


def test_missing_libreoffice_is_a_message_before_rendering(tmp_path, monkeypatch):
    monkeypatch.setenv("MENTOR_XL_SOFFICE", str(tmp_path / "no-soffice"))
    with pytest.raises(lo.LibreOfficeMissing, match="LibreOffice"):
        generate("reminder", [SAMPLES["reminder"]], tmp_path / "out", pdf=True, progress=False)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- contexts ----------------------------------------------------------------------------
def test_builders_give_exactly_the_sample_variables(pack):
    book = small_book()
    res = small_result(book)
    a, _ = assess_json(2)
    aw = {"year": "2024-2025", "awards": [], "totals": [], "total_yuan": 0}
    for k in KINDS.values():
        jobs = build_contexts(k.id, book=book, pack=pack, compliance=res, assessment=a, awards=aw,
                              term="2024-2025-1", year="2024-2025", include_all=True)
        assert jobs, k.id
        # every 设置 row rides along (an office's own field needs no code)
        settings = {key for key in book.settings if key.isidentifier()} - set(SAMPLES[k.id])
        assert set(jobs[0].context) - settings == set(SAMPLES[k.id]), k.id
        assert jobs[0].context["设置"]["发文机关"] == "示例大学学生工作部"


def test_reminder_lists_rules_subjects_and_periods(pack):
    book = small_book()
    jobs = reminders.reminder_contexts(small_result(book), book, pack, date="2024-12-01")
    assert [j.name for j in jobs] == ["T001-张三-整改提醒"]
    ctx = jobs[0].context
    assert ctx["未达标条数"] == 1 and ctx["整改期限"] == "2024年12月15日"
    (item,) = ctx["未达标项目"]
    rule = pack.rule("bit.monthly-talk")
    assert item["规则"] == rule.title and item["条款"] == "第四条第1项" and item["要求"] == rule.text
    assert item["对象"] == "学生学生甲（S1）"
    assert item["未达标情况"] == "学生学生甲（S1）：10月、11月各差1次"
    everyone = reminders.reminder_contexts(small_result(book), book, pack, include_all=True)
    assert [j.context["未达标条数"] for j in everyone] == [1, 0]


def test_term_summary_counts_and_chart(pack):
    book = small_book()
    (t1, t2) = summaries.term_summary_contexts(small_result(book), book, pack)
    c = t1.context
    assert c["活动总数"] == 3 and c["总时长"] == "4.5" and c["合规率"] == "80.0%"
    chart = c["图表"].source
    assert chart.months == ("9月", "10月", "11月", "12月", "1月")
    assert chart.activities == (2, 1, 0, 0, 0) and chart.rates == (1.0, 0.0, 1.0, 0.0, 1.0)
    # 下午茶 is an alias of 导学互动交流
    assert {r["类型"]: r["次数"] for r in c["活动统计"]} == {"导学互动交流": 2, "社会实践": 1}
    rules = {r["规则"]: r for r in c["规则情况"]}
    assert rules["每月导学互动交流"]["达标周期"] == "3/5" and rules["每月导学互动交流"]["状态"] == "未达标"
    assert rules["六个一"]["达标周期"] == "—"
    assert t2.context["活动总数"] == 1


def test_work_record_per_mentor_per_month(pack):
    book = small_book()
    jobs = forms.work_record_contexts(book, pack, term="2024-2025-1", date="2024-10-31")
    assert len(jobs) == 2 * 5  # two mentors (not the revoked one, not the secretary) × Sep–Jan
    sep = next(j for j in jobs if j.meta == {"staff_id": "T001", "month": "2024-09"})
    c = sep.context
    assert [r["日期"] for r in c["记录"]] == ["9月10日", "9月20日"]
    assert c["记录"][0]["对象"] == "学生甲、学生乙" and c["记录"][0]["类型"] == "导学互动交流"
    assert c["本月时长"] == "3.5" and c["累计时长"] == "3.5" and c["所带班级"] == "数学2401、数学2402"
    octo = next(j for j in jobs if j.meta == {"staff_id": "T001", "month": "2024-10"}).context
    assert octo["累计时长"] == "4.5" and octo["本月次数"] == 1
    nov = next(j for j in jobs if j.meta == {"staff_id": "T001", "month": "2024-11"}).context
    assert nov["记录"] == [] and nov["累计时长"] == "4.5"
    only = forms.work_record_contexts(book, pack, term="2024-2025-1", month="2024-10")
    assert [j.meta["month"] for j in only] == ["2024-10", "2024-10"]


def test_application_form_prefilled_from_roster(pack):
    book = small_book()
    jobs = forms.application_form_contexts(book, pack, date="2024-09-03")
    assert [j.context["姓名"] for j in jobs] == ["张三", "李四"]
    c = jobs[0].context
    assert c["出生年月"] == "1980年5月" and c["职称职务"] == "教授/副院长" and c["填报年月"] == "2024年9月"
    assert c["工作业绩"] == "所获荣誉：省级优秀教师\n担任班主任4年"
    assert jobs[1].context["职称职务"] == "教授"


def test_appointment_and_award_notices(pack):
    book = small_book()
    (ap,) = notices.appointment_notice_contexts(book, pack, year="2024-2025")
    rows = ap.context["聘任名单"]
    assert [r["姓名"] for r in rows] == ["张三", "李四"] and rows[0]["聘期"] == "2024.9—2028.8"
    assert ap.context["标题"] == "关于聘任2024-2025学年学育导师的通知"
    aw = {"year": "2024-2025", "total_yuan": 12000, "totals": [
        {"award": "十佳导师", "count": 1, "amount_yuan": 10000}, {"award": "学院学生工作专项", "count": 1, "amount_yuan": 2000}],
        "awards": [
            {"award": "十佳导师", "staff_id": "T002", "college": "数学学院", "amount_yuan": 10000, "status": "ok", "reason": ""},
            {"award": "十佳导师", "staff_id": "T001", "college": "数学学院", "amount_yuan": 0, "status": "over-cap", "reason": "超"},
            {"award": "学院学生工作专项", "staff_id": None, "college": "物理学院", "amount_yuan": 2000, "status": "ok",
             "reason": ""}]}
    (dec,) = notices.award_decision_contexts(aw, book, pack)
    c = dec.context
    assert [(r["奖项"], r["获奖者"], r["学院"], r["金额万元"]) for r in c["获奖名单"]] == [
        ("十佳导师", "李四", "数学学院", "1.00"), ("学院学生工作专项", "物理学院", "", "0.20")]
    assert c["合计万元"] == "1.20" and c["合计元"] == "12000"
    assert (c["获奖人数"], c["获奖单位数"], c["表彰对象"]) == (1, 1, "1名同志和1个单位")


# --- LibreOffice: PDF text and a look at the page ------------------------------------------
@needs_soffice
def test_every_kind_to_pdf_with_one_soffice(tmp_path, pack, built):
    book = small_book(HOSTILE)
    res = small_result(book)
    a, _ = assess_json(len(HOSTILE), HOSTILE)
    big, big_book = assess_json(2000)
    aw = {"year": "2024-2025", "total_yuan": 10000, "totals": [{"award": "十佳导师", "count": 1, "amount_yuan": 10000}],
          "awards": [{"award": "十佳导师", "staff_id": "T003", "college": "数学学院", "amount_yuan": 10000,
                      "status": "ok", "reason": ""}]}
    docs = {}
    for k in KINDS.values():
        jobs = build_contexts(k.id, book=book, pack=pack, compliance=res, assessment=a, awards=aw,
                              term="2024-2025-1", year="2024-2025", month="2024-09")
        docs[k.id] = generate(k.id, jobs[:1], tmp_path / "docx", progress=False)[0]
    docs["big"] = generate("assess-notice", [DocJob(notices.assessment_notice_contexts(big, big_book, pack)[0].context,
                                                    "两千行")], tmp_path / "docx", progress=False)[0]
    from mentor_xl.documents.pdf import to_pdf
    pdfs = dict(zip(docs, to_pdf(list(docs.values()), tmp_path / "pdf")))

    def text(k, *pages):
        # reading order (not -layout): a table cell's lines stay together
        args = ["pdftotext", "-raw"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else [])
        return subprocess.run(args + [str(pdfs[k]), "-"], capture_output=True, text=True, check=True).stdout

    def flat(s):
        return re.sub(r"\s+", "", s)

    t = flat(text("assess-notice"))
    for name in HOSTILE[:3]:
        assert name in t
    assert "学工〔2024〕12号" in t and "2024年9月1日" in t and "—1—" in t
    assert "优秀" in t and "基本合格" in t and "不合格" in t
    assert HOSTILE[2] in flat(text("award-decision")) and "1.00" in flat(text("award-decision"))
    assert HOSTILE[0] in flat(text("reminder")) and "学生学生甲（S1）" in flat(text("reminder"))
    assert "学生学生甲（S1）：10月、11月各差1次" in flat(text("reminder"))  # the compact table
    assert HOSTILE[0] in flat(text("term-summary"))
    assert "学生甲、学生乙" in flat(text("work-record")) and HOSTILE[0] in flat(text("work-record"))
    assert "班级导师申报表" in flat(text("application-form")) and "1980年5月" in flat(text("application-form"))
    assert HOSTILE[0] in flat(text("application-form"))
    assert HOSTILE[0] in flat(text("appointment-notice")) and HOSTILE[3] in flat(text("appointment-notice"))
    # 2,000 rows: many pages, and the header row repeats on each page of the table
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdfs["big"])], capture_output=True,
                                                             text=True).stdout)[1])
    assert pages > 30
    # the table's last pages (then the notes of the 400 待定 rows and the 版记)
    whole = subprocess.run(["pdftotext", str(pdfs["big"]), "-"], capture_output=True, text=True, check=True).stdout
    tail = {p: flat(t) for p, t in enumerate(whole.split("\f")[:pages], 1)}
    last = max(p for p, t in tail.items() if "导师1999" in t)
    for p in range(last - 3, last + 1):
        assert "序号工号姓名学院得分等次备注" in tail[p], p
    assert "注400" in tail[pages] and "印发" in tail[pages]

    # the summary's first page as an image: the chart's blue bars are there
    from PIL import Image
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdfs["term-summary"]),
                    str(tmp_path / "page")], check=True)
    import numpy as np
    px = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    assert ((abs(r - 0x4A) < 40) & (abs(g - 0x7A) < 40) & (b > 140)).sum() > 200  # the bars
    assert ((r > 150) & (g < 90) & (b < 90)).sum() > 20  # the compliance-rate line


@needs_soffice
def test_pdf_fonts_are_noto_cjk_serif_and_simplified(tmp_path, built):
    """仿宋/小标宋 come out in Noto Serif CJK (not all in the sans fallback), and the zh-CN
    language the templates carry selects Simplified glyph forms (直, 骨 differ from Japanese)."""
    data = R.CompiledTemplate(built / "整改提醒.docx").render({**SAMPLES["reminder"], "标题": "直骨说化"})
    (tmp_path / "zh.docx").write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(tmp_path / "ja.docx", "w") as zout:
        for i in zin.infolist():
            b = zin.read(i)
            if i.filename in ("word/document.xml", "word/styles.xml"):
                b = b.replace(b'w:eastAsia="zh-CN"', b'w:eastAsia="ja-JP"')
            zout.writestr(i, b)
    from mentor_xl.documents.pdf import to_pdf
    zh, ja = to_pdf([tmp_path / "zh.docx", tmp_path / "ja.docx"], tmp_path / "pdf")
    fonts = subprocess.run(["pdffonts", str(zh)], capture_output=True, text=True).stdout
    assert "NotoSerifCJK" in fonts.replace(" ", "")
    from PIL import Image, ImageChops
    crops = []
    for pdf in (zh, ja):
        subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-x", "150", "-y", "170", "-W", "550",
                        "-H", "90", "-png", str(pdf), str(tmp_path / pdf.stem)], check=True)
        crops.append(Image.open(next(tmp_path.glob(pdf.stem + "*.png"))).convert("L"))
    assert crops[0].getextrema()[0] < 100  # the title is inside the crop
    assert ImageChops.difference(*crops).getbbox() is not None


def test_chart_font_covers_the_labels():
    from matplotlib import font_manager as fm
    from matplotlib.ft2font import FT2Font
    from mentor_xl.documents.charts import cjk_font
    name = cjk_font()
    entry = next(f for f in fm.fontManager.ttflist if f.name == name)
    cmap = FT2Font(entry.fname, face_index=entry.index).get_charmap()
    for ch in "工作次数当月达标率各学期第一月张三":
        assert ord(ch) in cmap, ch


# --- the demo offices: every kind, as `mentor-xl docs` makes them ----------------------------
DEMO_KINDS = {
    "bit-2022": ["reminder", "term-summary", "appointment-notice", "assess-notice"],
    "hfut-math": ["work-record", "assess-notice"],
    "lctc-2024": ["application-form", "assess-notice", "reminder"],
    "ustb-2022": ["award-decision", "appointment-notice"],
}


@pytest.mark.parametrize("policy", list(DEMO_KINDS))
def test_docs_for_every_kind_from_the_demo(tmp_path, policy):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.documents import docs_for_office
    from mentor_xl.office import open_office
    path = tmp_path / f"{policy}.xlsx"
    build_demo_book(path, policy)
    office = open_office(path)
    for kind in DEMO_KINDS[policy]:
        term = None if kind in ("award-decision", "appointment-notice") or (
            kind == "assess-notice" and policy != "lctc-2024") else "2024-2025-1"
        paths, n = docs_for_office(office, kind, tmp_path / kind, term=term, year="2024-2025",
                                   month="2024-10" if kind == "work-record" else None, progress=False)
        assert n >= 1 and len(paths) == n, kind
        doc = Document(paths[0])
        assert doc.sections[0].top_margin == Mm(37) or abs(doc.sections[0].top_margin - Mm(37)) < Mm(0.1)
        body = "".join(p.text for p in doc.paragraphs) + "".join(
            c.text for t in doc.tables for r in t.rows for c in r.cells)
        assert "{{" not in body and "{%" not in body, kind
        if KINDS[kind].gbt9704:
            assert doc.paragraphs[0].text.endswith("文件") and doc.tables and len(doc.tables[0].rows) > 1


def test_docs_for_office_needs_a_term(tmp_path):
    from mentor_xl.documents import docs_for_office
    from mentor_xl.office import open_office
    from mentor_xl.problems import FatalInputError
    from mentor_xl.demo import build_demo_book
    build_demo_book(tmp_path / "b.xlsx", "bit-2022")
    with pytest.raises(FatalInputError, match="--term"):
        docs_for_office(open_office(tmp_path / "b.xlsx"), "整改提醒", tmp_path / "o", progress=False)


@needs_soffice
def test_demo_reminders_to_pdf_and_zip(tmp_path):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.documents import docs_for_office
    from mentor_xl.office import open_office
    build_demo_book(tmp_path / "b.xlsx", "ustb-2022")
    paths, n = docs_for_office(open_office(tmp_path / "b.xlsx"), "reminder", tmp_path / "out",
                               term="2024-2025-1", pdf=True, zip_=True, progress=False)
    docx_, pdf_, zips = paths[:n], paths[n:2 * n], paths[2 * n:]
    assert all(p.suffix == ".pdf" and p.stat().st_size > 1000 for p in pdf_)
    assert [p.stem for p in docx_] == [p.stem for p in pdf_]
    (z,) = zips
    with zipfile.ZipFile(z) as f:
        assert len(f.namelist()) == 2 * n
    name = Document(docx_[0]).paragraphs[3].text.removesuffix("老师：")
    txt = subprocess.run(["pdftotext", "-raw", str(pdf_[0]), "-"], capture_output=True, text=True).stdout
    assert name and name in re.sub(r"\s+", "", txt)


@needs_soffice
def test_gbt9704_grid_22_lines_of_28_characters(tmp_path):
    """A full page of body text: 22 lines, 28 三号 characters a line (26 after the indent)."""
    from mentor_xl.documents.build_templates import new_document, para
    from mentor_xl.documents.pdf import to_pdf
    doc = new_document()
    for _ in range(60):
        para(doc, "国家教育事业发展改革学生工作导师制度实施办法规定要求每月开展" * 3)
    doc.save(tmp_path / "grid.docx")
    (pdf,) = to_pdf([tmp_path / "grid.docx"], tmp_path)
    page = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-raw", str(pdf), "-"],
                          capture_output=True, text=True).stdout
    lines = [ln for ln in page.splitlines() if ln.strip()]
    assert lines[-1] == "— 2 —"
    body = lines[:-1]
    assert len(body) == 22
    assert max(len(ln) for ln in body) == 28 and any(len(ln) == 26 for ln in body)
