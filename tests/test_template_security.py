"""Word templates received from outside cannot run code, neither when checked nor when used.

The attacks are the classic Jinja server-side template injections, put into a copy of the
real 整改提醒.docx the way an office would receive it by email. Each payload would create a
marker file if it ran; the marker must never appear.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

from helpers_xlsx import write_xlsx
from mentor_xl.documents import TemplateError, lint_template
from mentor_xl.documents.batch import CHECKOUT_TEMPLATES
from mentor_xl.documents.kinds import sample
from mentor_xl.documents.render import MAX_ITERATIONS, CompiledTemplate


def payloads(marker: Path) -> dict[str, str]:
    cmd = f"touch {marker}"
    return {
        "cycler-globals": f"{{{{ cycler.__init__.__globals__.os.popen('{cmd}').read() }}}}",
        "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "getitem-string": f"{{{{ joiner['__init__']['__globals__']['os'].popen('{cmd}') }}}}",
        "attr-filter": f"{{{{ (namespace|attr('__init__')|attr('__globals__')).os.popen('{cmd}') }}}}",
        "self-context": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
        "set-then-use": f"{{% set g = cycler.__init__.__globals__ %}}{{{{ g.os.popen('{cmd}') }}}}",
        "frame": "{% for x in (1,) %}{{ loop.gi_frame.f_globals }}{% endfor %}",
        "format-field": "{{ '{0.__class__.__mro__}'.format(姓名) }}",
    }


def hostile_copy(tmp_path: Path, text: str) -> Path:
    """The shipped 整改提醒.docx with one paragraph added at the end of its body."""
    doc = Document(str(CHECKOUT_TEMPLATES / "整改提醒.docx"))
    doc.add_paragraph(text)
    path = tmp_path / "整改提醒-同事发来的.docx"
    doc.save(path)
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mentor_xl", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8")


@pytest.mark.parametrize("variant", list(payloads(Path("/x"))))
def test_lint_flags_ssti_without_running_it(tmp_path, variant):
    marker = tmp_path / "ran"
    text = payloads(marker)[variant]
    msgs = lint_template(hostile_copy(tmp_path, text), "reminder")
    assert len(msgs) >= 1 and all("安全" in m and "整改提醒-同事发来的.docx" in m for m in msgs)
    assert "内部属性" in msgs[0] or "attr" in msgs[0]
    assert "{{" in msgs[0] or "{%" in msgs[0]  # the tag is named
    assert not marker.exists()


@pytest.mark.parametrize("variant", list(payloads(Path("/x"))))
def test_sandbox_refuses_ssti_even_without_the_lint(tmp_path, variant):
    # A template that reached the renderer without a check (e.g. dropped into templates/).
    marker = tmp_path / "ran"
    tpl = CompiledTemplate(hostile_copy(tmp_path, payloads(marker)[variant]))
    with pytest.raises(TemplateError) as e:
        tpl.render(sample("reminder"))
    assert "整改提醒-同事发来的.docx" in str(e.value) and "出错" in str(e.value)
    if variant == "cycler-globals":
        assert "内部属性“__init__”" in str(e.value) and "标签：{{ cycler.__init__" in str(e.value)
    assert not marker.exists()


def test_templates_check_command_names_the_tag(tmp_path):
    marker = tmp_path / "ran"
    path = hostile_copy(tmp_path, payloads(marker)["cycler-globals"])
    r = cli("templates", "check", path, "--kind", "整改提醒")
    assert r.returncode == 1
    assert "未发现问题" not in r.stdout
    assert "内部属性“__init__”" in r.stdout and "cycler.__init__.__globals__.os.popen" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr and not marker.exists()


def test_docs_with_a_hostile_template_writes_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = hostile_copy(tmp_path, payloads(marker)["cycler-globals"])
    book = write_xlsx(tmp_path / "导师.xlsx", {
        "设置": [["项目", "值"], ["制度", "bit-2022"]],
        "学期": [["学期", "开始日期", "结束日期"], ["2024-2025-1", "2024-09-02", "2025-01-12"]],
        "人员": [["工号", "姓名", "角色"], ["T1", "张老师", "学育导师"]],
        "指导关系": [["工号", "学号"], ["T1", "S1"]],
        "活动记录": [["日期", "工号", "活动类型", "学号"], ["2024-09-10", "T1", "谈心谈话", "S1"]],
    })
    out = tmp_path / "提醒"
    r = cli("docs", book, "--kind", "整改提醒", "--term", "2024-2025-1", "--out", out,
            "--template", path, "--no-progress")
    assert r.returncode == 1
    assert "模板检查未通过" in r.stderr and "内部属性“__init__”" in r.stderr
    assert "Traceback" not in r.stderr
    assert not marker.exists()
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("text, limit", [
    ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", "循环次数"),
    ("{{ '啊' * 100000000 }}", "运算结果长度"),
    ("{{ 姓名|center(100000000) }}", "参数"),
    ("{{ 姓名.rjust(100000000) }}", "参数"),
    ("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "运行限制"),
])
def test_denial_of_service_is_stopped_with_a_reason(tmp_path, text, limit):
    tpl = CompiledTemplate(hostile_copy(tmp_path, text))
    with pytest.raises(TemplateError) as e:
        tpl.render(sample("reminder"))
    assert limit in str(e.value) and "整改提醒-同事发来的.docx" in str(e.value)
    assert MAX_ITERATIONS == 1_000_000


def test_ordinary_template_features_still_work(tmp_path):
    # Formatting money, loops with loop.index, filters: what an office template really uses.
    text = ("{% for 项 in 未达标项目 %}{{ loop.index }}.{{ 项.规则 }}{% endfor %}"
            "{{ '{:,}'.format(250000) }} {{ '%.1f'|format(12345.67) }} {{ 姓名|length }}")
    data = CompiledTemplate(hostile_copy(tmp_path, text)).render(sample("reminder"))
    import io
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "250,000 12345.7" in xml and "1." + sample("reminder")["未达标项目"][0]["规则"] in xml
