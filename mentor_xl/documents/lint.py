"""``mentor-xl templates check``: find what would break a batch before it starts.

Checks on a .docx template (the office's own or ours), for one kind of document:
- tags broken across or mangled by Word/WPS (``{ {``, full-width braces, unclosed blocks),
  reported by Jinja after docxtpl's clean-up, with the tag;
- variables the kind does not provide (``{{ 职务 }}`` where the context has no 职务), and
  fields of table rows that do not exist (``{{ 行.电话 }}``);
- code that reaches into Python's internals (``cycler.__init__.__globals__`` and every other
  attribute starting with ``_``, frames, ``attr('…')`` with such a name, ``{% include %}``…):
  a template received by email is checked here, so it is refused before anything else;
- blocks whose XML does not balance, so that a ``{%p %}``/``{%tr %}`` tag in the wrong place
  (which makes Word refuse the file) shows up.
All of it is read from the parsed template: the linter never renders (never executes) the
template it checks. Rendering happens later, in the sandbox of ``render.make_env``.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from jinja2 import meta, nodes

from mentor_xl.documents.kinds import SAMPLES, get_kind
from mentor_xl.documents.render import CompiledTemplate, TemplateError

_MANGLED = [
    (re.compile(r"\{\s+[{%]|[%}]\s+\}"), "标签的花括号之间有空格（如“{ {”），Word/WPS 自动更正可能改坏了标签"),
    (re.compile(r"[｛｝]"), "标签使用了全角花括号“｛｝”，应为半角“{}”"),
    (re.compile(r"\{\{[^}]*[“”‘’][^}]*\}\}"), "标签中有中文引号"),
]


def lint_template(path: str | Path, kind: str, extra=()) -> list[str]:
    """Chinese messages, one per problem; an empty list means the template is ready.

    ``extra``: more variable names the documents provide, e.g. the office's own 设置 rows
    (联系人, 抄送 …), which every context carries.
    """
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
    known = {**{v: "" for v in extra}, **SAMPLES[k.id]}
    env_globals = set(tpl.env.globals)
    asts = {part: tpl.env.parse("\n".join(lines)) for part, (jt, lines) in tpl.parts.items()}
    unsafe = [m for part, ast in asts.items() for m in _unsafe(ast, name, tpl.parts[part][1])]
    if unsafe:
        return msgs + unsafe  # nothing else about a hostile template matters
    for part, (jt, lines) in tpl.parts.items():
        ast = asts[part]
        for var in sorted(meta.find_undeclared_variables(ast) - set(known) - env_globals):
            msgs.append(f"模板“{name}”：变量“{var}”不是“{k.title}”提供的变量{_where(lines, var)}。"
                        f"可用的变量：{'、'.join(known)}")
        msgs += _loop_fields(ast, known, name, lines)
    if not msgs:
        for part, ast in asts.items():
            msgs += _structure(ast, name, tpl.parts[part][1])
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


# --- code that must not run -----------------------------------------------------------
# Attributes the sandbox refuses even without a leading underscore (internals of functions,
# frames, generators, classes); a template that names one is hostile or broken.
_INTERNALS = frozenset({
    "mro", "func_globals", "func_code", "func_closure", "func_defaults", "im_func", "im_self",
    "im_class", "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await",
    "ag_frame", "ag_code", "ag_await", "f_globals", "f_locals", "f_builtins", "f_back", "f_code",
    "tb_frame", "tb_next", "format_map",
})
_LOADING = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_FORMAT_FIELD_INTERNAL = re.compile(r"\{[^{}]*?(?:\.|\[)_")


def _internal(attr) -> bool:
    return isinstance(attr, str) and (attr.startswith("_") or attr in _INTERNALS)


def _unsafe(ast, name: str, lines: list[str]) -> list[str]:
    """Chinese messages for every construct that reaches outside the template's data."""
    out: list[str] = []

    def flag(node, what: str, needle: str) -> None:
        tag = _tag_at(lines, getattr(node, "lineno", None), needle)
        out.append(f"模板“{name}”：标签 {tag or needle} {what}，可能是恶意代码，"
                   "出于安全原因不能使用此模板（请使用学工部提供的模板或仔细核对来源）")

    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const, *_LOADING)):
        if isinstance(node, nodes.Const):
            # "{0.__class__}".format(x): str.format reaches attributes through its fields
            if isinstance(node.value, str) and _FORMAT_FIELD_INTERNAL.search(node.value):
                flag(node, "的格式字符串访问了内部属性", node.value)
        elif isinstance(node, nodes.Getattr) and _internal(node.attr):
            flag(node, f"访问了内部属性“{node.attr}”", node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and _internal(node.arg.value):
            flag(node, f"访问了内部属性“{node.arg.value}”", str(node.arg.value))
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            arg = node.args[0] if node.args else None
            if not isinstance(arg, nodes.Const):
                flag(node, "用 attr 访问了由表达式拼出的属性名", "attr")
            elif _internal(arg.value):
                flag(node, f"访问了内部属性“{arg.value}”", str(arg.value))
        elif isinstance(node, _LOADING):
            word = type(node).__name__.lower().replace("fromimport", "import")
            flag(node, "引用了其他模板或文件", word)
    return out


def _tag_at(lines: list[str], lineno: int | None, needle: str) -> str:
    """The tag on template line ``lineno`` (or anywhere) that contains ``needle``."""
    candidates = [lines[lineno - 1]] if lineno and 0 < lineno <= len(lines) else []
    for line in candidates + lines:
        for tag in re.findall(r"\{[{%].*?[}%]\}", re.sub(r"<[^>]+>", "", line)):
            if needle in tag:
                return tag
    return ""


# --- XML that stays well-formed whatever the data -----------------------------------------
_XML_TAG = re.compile(r"<(/?)([A-Za-z_][\w:.-]*)[^>]*?(/?)>")
_BLOCK_BODIES = ("body", "else_", "elif_")


def _structure(ast, name: str, lines: list[str]) -> list[str]:
    """Blocks (if/for/…) whose body would leave Word's XML unbalanced, read without rendering.

    A block's body may close elements it did not open (``{{r }}`` closes and reopens its run)
    as long as it reopens them: its net effect on the open elements must be none, so that
    the document is well-formed whether the block renders zero, one or many times.
    """
    out: list[str] = []

    def walk(body: list, top: bool) -> bool:
        stack: list[str] = []
        closed: list[str] = []
        ok = True
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData):
                        for m in _XML_TAG.finditer(child.data):
                            closing, tag, empty = m.groups()
                            if empty:
                                continue
                            if not closing:
                                stack.append(tag)
                            elif stack:
                                if stack.pop() != tag:
                                    ok = False
                            elif top:
                                ok = False
                            else:
                                closed.append(tag)
                    else:
                        _nested(child)
            else:
                _nested(node)
        return ok and stack == closed[::-1]

    def _nested(node) -> None:
        for attr in _BLOCK_BODIES:
            bodies = getattr(node, attr, None)
            if not bodies:
                continue
            if attr == "elif_":
                for branch in bodies:
                    _nested(branch)
                continue
            if not walk(bodies, top=False):
                tag = _block_tag(lines, node)
                out.append(f"模板“{name}”：标签 {tag} 与其结束标签不在同一层段落或表格中，"
                           "生成的文档不是有效的 XML（Word 会拒绝打开）。"
                           "多见于 {%p %}、{%tr %} 标签放在了不成对的段落或表格行中。")

    if not walk(ast.body, top=True) and not out:
        out.append(f"模板“{name}”：文档的 XML 结构不完整（Word 会拒绝打开）")
    return out


def _block_tag(lines: list[str], node) -> str:
    word = {nodes.If: "if", nodes.For: "for"}.get(type(node), type(node).__name__.lower())
    tag = _tag_at(lines, node.lineno, word)
    return tag or f"{{% {word} %}}"


def lint_all(directory: str | Path) -> dict[str, list[str]]:
    """Every kind's template found in ``directory`` → its problems (missing files reported)."""
    from mentor_xl.documents.kinds import KINDS
    d = Path(directory)
    res = {}
    for k in KINDS.values():
        p = d / k.template
        res[k.template] = lint_template(p, k.id) if p.is_file() else [f"缺少模板文件：{p}"]
    return res
