"""``templates check``: broken tags and unknown variables are found before a batch starts."""
from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from mentor_xl.documents import KINDS, TemplateError, generate, lint_all, lint_template
from mentor_xl.documents.batch import CHECKOUT_TEMPLATES
from mentor_xl.documents.build_templates import build_all
from mentor_xl.documents.kinds import SAMPLES


def office_template(path: Path, *paragraphs: str, table: list[list[str]] | None = None) -> Path:
    """A template as an office would write it in Word: plain paragraphs (and a table)."""
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(t.rows, table):
            for cell, text in zip(row.cells, cells):
                cell.text = text
        doc.add_paragraph("")
    doc.save(path)
    return path


def test_built_templates_are_clean(tmp_path):
    build_all(tmp_path)
    assert lint_all(tmp_path) == {k.template: [] for k in KINDS.values()}


def test_committed_templates_are_clean():
    assert CHECKOUT_TEMPLATES.is_dir(), "templates/ 目录缺失"
    assert lint_all(CHECKOUT_TEMPLATES) == {k.template: [] for k in KINDS.values()}


def test_a_good_office_template_passes(tmp_path):
    p = office_template(tmp_path / "我们的提醒.docx", "{{ 姓名 }}老师：", "您有{{ 未达标条数 }}项未达标。",
                        table=[["规则", "周期"], ["{%tr for 项 in 未达标项目 %}", ""],
                               ["{{ 项.规则 }}", "{{ 项.未达标周期 }}"], ["{%tr endfor %}", ""]])
    assert lint_template(p, "整改提醒") == []


def test_unknown_variable_is_named_with_its_tag(tmp_path):
    p = office_template(tmp_path / "t.docx", "{{ 姓名 }}老师，您的职务：{{ 职务 }}")
    (msg,) = lint_template(p, "reminder")
    assert "t.docx" in msg and "“职务”" in msg and "{{ 职务 }}" in msg and "可用的变量" in msg


def test_unknown_row_field_is_found(tmp_path):
    p = office_template(tmp_path / "t.docx", "名单",
                        table=[["姓名", "电话"], ["{%tr for 行 in 考核结果 %}", ""],
                               ["{{ 行.姓名 }}", "{{ 行.电话 }}"], ["{%tr endfor %}", ""]])
    (msg,) = lint_template(p, "考核结果通知")
    assert "考核结果" in msg and "“电话”" in msg and "{{ 行.电话 }}" in msg


@pytest.mark.parametrize("text, expect", [
    ("{{ 姓名 }", "{{ 姓名 }"),
    ("{% if 姓名 %}没有结束", "{% if 姓名 %}"),
    ("{% for x in 未达标项目 %}{{ x.规则 }}", "{% for x in 未达标项目 %}"),
    ("{%tr for x in 未达标项目 %}", "tr"),
])
def test_broken_tags_are_reported_with_the_tag(tmp_path, text, expect):
    p = office_template(tmp_path / "坏.docx", "开头", text, "结尾")
    msgs = lint_template(p, "reminder")
    assert msgs and "坏.docx" in msgs[0] and expect in msgs[0]


def test_word_autocorrect_damage_is_reported(tmp_path):
    p = office_template(tmp_path / "t.docx", "{ { 姓名 } }老师", "｛｛ 工号 ｝｝")
    msgs = lint_template(p, "reminder")
    assert any("空格" in m for m in msgs) and any("全角" in m for m in msgs)


def test_misplaced_paragraph_tag_breaks_the_xml_and_is_caught(tmp_path):
    # {%p if %} opened inside a table cell and closed outside the table: Word would refuse the file
    doc = Document()
    t = doc.add_table(rows=1, cols=1)
    t.rows[0].cells[0].text = "{%p if 未达标项目 %}"
    doc.add_paragraph("{%p endif %}")
    doc.save(tmp_path / "错位.docx")
    msgs = lint_template(tmp_path / "错位.docx", "reminder")
    assert msgs and "错位.docx" in msgs[0] and "XML" in msgs[0]


def test_missing_file_and_unknown_kind(tmp_path):
    assert "不存在" in lint_template(tmp_path / "无.docx", "reminder")[0]
    with pytest.raises(KeyError, match="未知的文档类型"):
        lint_template(tmp_path / "无.docx", "通告")


def test_generate_refuses_a_broken_office_template_before_rendering(tmp_path):
    p = office_template(tmp_path / "坏.docx", "{{ 姓名 }}：{{ 电话号码 }}")
    out = tmp_path / "out"
    with pytest.raises(TemplateError) as e:
        generate("reminder", [SAMPLES["reminder"]] * 3, out, template=p, progress=False)
    assert "电话号码" in str(e.value)
    assert not out.exists() or not any(out.iterdir())
