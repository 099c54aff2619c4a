"""``mentor-xl templates check``: find what would break a batch before it starts.

Checks on a .docx template (the office's own or ours), for one kind of document:
- tags broken across or mangled by Word/WPS (``{ {``, full-width braces, unclosed blocks),
  reported by Jinja after docxtpl's clean-up, with the tag;
- variables the kind does not provide (``{{ 职务 }}`` where the context has no 职务), and
  fields of table rows that do not exist (``{{ 行.电话 }}``);
- a trial render of the kind's sample context (and of it with every list empty), every
  rendered XML part parsed, so that a
  ``{%p %}``/``{%tr %}`` tag in the wrong place (which makes Word refuse the file) shows up.
"""
from __future__ import annotations

import re
import zipfile
import io
from pathlib import Path

from jinja2 import meta, nodes

from mentor_xl.documents.kinds import SAMPLES, get_kind, sample
from mentor_xl.documents.render import CompiledTemplate, TemplateError

_MANGLED = [
    (re.compile(r"\{\s+[{%]|[%}]\s+\}"), "标签的花括号之间有空格（如“{ {”），Word/WPS 自动更正可能改坏了标签"),
    (re.compile(r"[｛｝]"), "标签使用了全角花括号“｛｝”，应为半角“{}”"),
    (re.compile(r"\{\{[^}]*[“”‘’][^}]*\}\}"), "标签中有中文引号"),
]


def lint_template(path: str | Path, kind: str) -> list[str]:
    """Chinese messages, one per problem; an empty list means the template is ready."""
    k = get_kind(kind)
    path = Path(path)
    name = path.name
    if not path.is_file():
        return [f"模板文件不存在：{path}"]
    msgs: list[str] = []
    msgs += _mangled(path, name)
    try:
        tpl = CompiledTemplate(path)
    except TemplateError as e:
        return msgs + [str(e)]
    known = SAMPLES[k.id]
    env_globals = set(tpl.env.globals)
    for part, (jt, lines) in tpl.parts.items():
        ast = tpl.env.parse("\n".join(lines))
        for var in sorted(meta.find_undeclared_variables(ast) - set(known) - env_globals):
            msgs.append(f"模板“{name}”：变量“{var}”不是“{k.title}”提供的变量{_where(lines, var)}。"
                        f"可用的变量：{'、'.join(known)}")
        msgs += _loop_fields(ast, known, name, lines)
    if not msgs:
        # Both branches of every {%p if 列表 %}: the sample as it is, and with every list empty.
        full = sample(k.id)
        empty = {key: ([] if isinstance(v, list) else v) for key, v in full.items()}
        for ctx in (full, empty):
            try:
                out = tpl.render(ctx)
            except TemplateError as e:
                return [str(e)]
            msgs += _check_xml(out, name)
            if msgs:
                break
    return msgs


def _mangled(path: Path, name: str) -> list[str]:
    out = []
    with zipfile.ZipFile(path) as z:
        for fn in z.namelist():
            if not re.match(r"word/(document|header\d*|footer\d*)\.xml$", fn):
                continue
            xml = z.read(fn).decode("utf-8")
            for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
                t = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para))
                for pat, why in _MANGLED:
                    if pat.search(t):
                        out.append(f"模板“{name}”：{why}；所在段落：{t[:60]}")
    return out


def _where(lines: list[str], var: str) -> str:
    pat = re.compile(r"\{[{%][^}%]*\b" + re.escape(var) + r"\b[^}%]*[}%]\}")
    for line in lines:
        m = pat.search(line)
        if m:
            return f"（标签 {m.group(0)}）"
    return ""


def _loop_fields(ast, known: dict, name: str, lines: list[str]) -> list[str]:
    out = []
    for loop in ast.find_all(nodes.For):
        if not (isinstance(loop.target, nodes.Name) and isinstance(loop.iter, nodes.Name)):
            continue
        rows = known.get(loop.iter.name)
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            continue
        fields = set(rows[0])
        for body in loop.body:
            for g in body.find_all((nodes.Getattr, nodes.Getitem)):
                if not (isinstance(g.node, nodes.Name) and g.node.name == loop.target.name):
                    continue
                attr = g.attr if isinstance(g, nodes.Getattr) else (
                    g.arg.value if isinstance(g.arg, nodes.Const) else None)
                if attr is not None and attr not in fields:
                    out.append(f"模板“{name}”：表格行“{loop.iter.name}”没有字段“{attr}”"
                               f"{_where(lines, loop.target.name + '.' + str(attr))}。可用的字段：{'、'.join(fields)}")
    return out


def _check_xml(docx: bytes, name: str) -> list[str]:
    from lxml import etree
    out = []
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        for fn in z.namelist():
            if fn.endswith(".xml") or fn.endswith(".rels"):
                try:
                    etree.fromstring(z.read(fn))
                except etree.XMLSyntaxError as e:
                    out.append(f"模板“{name}”：试生成的文档中 {fn} 不是有效的 XML（{e}）。"
                               "多见于 {%p %}、{%tr %} 标签放在了不成对的段落或表格行中。")
    return out


def lint_all(directory: str | Path) -> dict[str, list[str]]:
    """Every kind's template found in ``directory`` → its problems (missing files reported)."""
    from mentor_xl.documents.kinds import KINDS
    d = Path(directory)
    res = {}
    for k in KINDS.values():
        p = d / k.template
        res[k.template] = lint_template(p, k.id) if p.is_file() else [f"缺少模板文件：{p}"]
    return res
