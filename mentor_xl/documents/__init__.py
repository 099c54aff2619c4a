"""Official documents: Word templates (docxtpl) in GB/T 9704-2012 layout, rendered in batches.

Public API (the CLI's ``docs`` and ``templates check`` use these):
  docs_for_office(office, kind, out_dir, *, term, year, month, template, pdf, zip_, workers, …)
                                    everything ``mentor-xl docs`` does; returns (paths, n documents)
  KINDS, get_kind(name)             the kinds of documents (id or Chinese title)
  build_contexts(kind, …)           contexts for a kind from the pipeline's results
  generate(kind, contexts, out_dir, *, template, pdf, zip_, workers, progress) -> list[Path]
  lint_template(path, kind) -> list[str]    (empty = ready)
  template_path(kind, template=None) -> Path
"""
from __future__ import annotations

from mentor_xl.documents.batch import generate, template_path
from mentor_xl.documents.job import DocJob
from mentor_xl.documents.kinds import KINDS, DocInputs, Kind, get_kind
from mentor_xl.documents.lint import lint_all, lint_template
from mentor_xl.documents.render import TemplateError
from mentor_xl.documents.wording import has_eligibility


def build_contexts(kind: str, *, book, pack, settings: dict | None = None, compliance=None,
                   assessment: dict | None = None, awards: dict | None = None, term: str | None = None,
                   year: str | None = None, month: str | None = None, date=None,
                   include_all: bool = False, eligibility: dict | None = None, seal: bool = False) -> list[DocJob]:
    """The DocJobs of ``kind``; raises ValueError (Chinese) when an input the kind needs is missing."""
    return get_kind(kind).build(DocInputs(book=book, pack=pack, settings=settings, compliance=compliance,
                                          assessment=assessment, awards=awards, term=term, year=year, month=month,
                                          date=date, include_all=include_all, eligibility=eligibility, seal=seal))


def docs_for_office(office, kind: str, out_dir, *, term: str | None = None, year: str | None = None,
                    month: str | None = None, template=None, pdf: bool = False, zip_: bool = False,
                    workers: int = 2, progress: bool = True, date=None, settings: dict | None = None,
                    budget_wan: str | None = None, include_all: bool = False, seal: bool = False,
                    strict: bool = False, print_: bool = False, notify=None):
    """``mentor-xl docs``: compute what ``kind`` needs from an opened Office, then ``generate``.

    Before anything is rendered, the workbook's data problems and the settings a 公文 needs
    (文号, 发文机关 …) are checked and each finding is passed to ``notify`` (Chinese, one line
    each); ``strict`` refuses a 公文 without a 发文字号 (FatalInputError) instead of warning.
    Returns (paths written, number of documents). Raises FatalInputError (Chinese) for a
    missing --term/--year, TemplateError for a bad template, LibreOfficeError for PDF trouble.
    """
    from mentor_xl.documents.preflight import preflight
    from mentor_xl.problems import FatalInputError
    k = get_kind(kind)
    say = notify or (lambda message: None)
    book, pack = office.book, office.pack
    year = year or (None if term else (book.settings.get("学年") or None))
    compliance = assessment = awards_json = eligibility = None
    if ("compliance" in k.needs or "term" in k.needs) and not term:
        raise FatalInputError(f"生成“{k.title}”需要用 --term 指定学期，如 2024-2025-1")
    for line in preflight(office, k, settings=settings, strict=strict):
        say(line)
    if "compliance" in k.needs:
        compliance = office.compliance(term)
    if "assessment" in k.needs:
        assessment = office.assess(year=None if term else year, term=term).to_json()
    if "awards" in k.needs:
        if not year:
            raise FatalInputError(f"生成“{k.title}”需要用 --year 指定学年，如 2024-2025")
        try:
            awards_json = office.awards(year, budget_wan=budget_wan).to_json()
        except ValueError as e:
            raise FatalInputError(str(e)) from e
    if "eligibility" in k.needs and has_eligibility(pack):
        eligibility = office.eligibility(term=_first_term(book, year, term)).to_json()
    jobs = build_contexts(k.id, book=book, pack=pack, settings=settings, compliance=compliance,
                          assessment=assessment, awards=awards_json, term=term, year=year, month=month,
                          date=date, include_all=include_all, eligibility=eligibility, seal=seal)
    for job in jobs:
        for line in job.meta.get("warnings", ()):
            say(line)
    paths = generate(k.id, jobs, out_dir, template=template, pdf=pdf, zip_=zip_, workers=workers,
                     progress=progress, print_=print_)
    return paths, len(jobs)


def _first_term(book, year: str | None, term: str | None) -> str | None:
    """The term an appointment list is checked for: ``term``, else the first term of ``year``."""
    if term or not year:
        return term
    from mentor_xl.periods import year_terms
    terms = year_terms(book.frame("学期"), year)
    return terms[0] if terms else None


__all__ = ["docs_for_office", "KINDS", "Kind", "DocInputs", "get_kind", "DocJob", "build_contexts", "generate", "lint_template", "lint_all",
           "template_path", "TemplateError"]
