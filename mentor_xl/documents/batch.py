"""``generate``: one batch of documents of one kind, as .docx (and PDF, and a zip).

Template resolution for a kind: ``template=PATH`` (an office's own, linted first), else the
top-level ``templates/`` folder of a source checkout (where offices edit them), else the
template built from ``build_templates.py`` into a per-user cache (a plain install has no
``templates/`` folder).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from mentor_xl.documents.job import DocJob
from mentor_xl.documents.kinds import Kind, get_kind
from mentor_xl.documents.render import CompiledTemplate, TemplateError, render_batch, unique_names, zip_files

CHECKOUT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if os.name == "nt" else None) or Path.home() / ".cache"
    src = (Path(__file__).parent / "build_templates.py").read_bytes() + (Path(__file__).parent / "gbt9704.py").read_bytes()
    return Path(base) / "mentor_xl" / "templates" / hashlib.sha256(src).hexdigest()[:12]


def template_path(kind: str | Kind, template: str | os.PathLike | None = None) -> Path:
    k = kind if isinstance(kind, Kind) else get_kind(kind)
    if template is not None:
        p = Path(template)
        if not p.is_file():
            raise FileNotFoundError(f"找不到模板文件：{p}")
        return p
    p = CHECKOUT_TEMPLATES / k.template
    if p.is_file() and (CHECKOUT_TEMPLATES.parent / "pyproject.toml").is_file():
        return p
    cached = _cache_dir() / k.template
    if not cached.is_file():
        from mentor_xl.documents.build_templates import build
        build(k.template, cached.parent)
    return cached


def _jobs(k: Kind, contexts: Iterable[DocJob | dict]) -> list[DocJob]:
    out = []
    for i, c in enumerate(contexts, 1):
        if isinstance(c, DocJob):
            out.append(c)
        else:
            try:
                name = k.filename.format(**c)
            except (KeyError, IndexError, ValueError):
                name = f"{k.title}-{i}"
            out.append(DocJob(c, name))
    return out


def generate(kind: str, contexts: Iterable[DocJob | dict], out_dir: str | os.PathLike, *,
             template: str | os.PathLike | None = None, pdf: bool = False, zip_: bool = False,
             workers: int = 2, progress: bool = True, print_: bool = False) -> list[Path]:
    """Render one document per context into ``out_dir``; returns the files written.

    Order of the result: the .docx files (in context order), then the PDFs (``pdf``), then the
    zip of all of them (``zip_``, named after the kind). ``print_`` (implies ``pdf``) also writes
    one combined PDF of the whole batch, ``<kind>-打印.pdf``, to print in one go; it is left
    out of the zip. An office template (``template``) is linted first, accepting every variable
    the contexts carry (an office's own 设置 rows), and refused with every problem listed
    (TemplateError). ``pdf`` needs
    LibreOffice: checked before anything is rendered (LibreOfficeMissing, Chinese message).
    """
    k = get_kind(kind)
    path = template_path(k, template)
    pdf = pdf or print_
    jobs = _jobs(k, contexts)
    if template is not None:
        from mentor_xl.documents.lint import lint_template
        problems = lint_template(path, k.id, extra=set(jobs[0].context) if jobs else ())
        if problems:
            raise TemplateError("模板检查未通过：\n" + "\n".join(problems), template=path.name)
    if pdf:
        from mentor_xl.documents.pdf import require_libreoffice
        require_libreoffice()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    compiled = CompiledTemplate(path)  # parsed once for the whole batch
    names = unique_names([j.name for j in jobs])
    paths = [out / n for n in names]
    render_batch(compiled, [(j.context, p) for j, p in zip(jobs, paths)], workers=workers,
                 progress=progress, desc=k.title)
    written = list(paths)
    combined = None
    if pdf and paths:
        from mentor_xl.documents.pdf import batch_to_pdf, combine_pdfs
        pdfs = batch_to_pdf(paths, out)  # the batch converted as one document, then cut
        written += pdfs
        if print_:
            combined = combine_pdfs(pdfs, out / f"{k.title}-打印.pdf")
    if zip_ and written:
        written.append(zip_files(list(written), out / f"{k.title}.zip"))
    if combined is not None:
        written.append(combined)
    return written
