"""The documents of the four demo offices as an office would print them: checked in the PDF.

For every pack × kind of ``mentor-xl demo`` (notices whole, two of each per-person form) the
batch is converted with LibreOffice in one run and read back with ``pdftotext -bbox``: the
落款 is never alone on its page and its date starts two characters right of the signer, the
版记 closes every notice, the 发文字号 is printed, every 工号 sits on one line, and the fixed
text is the pack's own.
"""
from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from mentor_xl import libreoffice as lo
from mentor_xl.documents import docs_for_office, get_kind
from mentor_xl.documents.gbt9704 import CONDENSE_TWENTIETHS
from mentor_xl.documents.wording import wording
from mentor_xl.office import open_office

pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(lo.find_soffice() is None, reason="LibreOffice (soffice) 未安装")]

PACKS = ["bit-2022", "ustb-2022", "lctc-2024", "hfut-math"]
PER_PERSON = 2  # documents of each per-person kind converted (all of them are rendered)
PITCH = 16 + CONDENSE_TWENTIETHS / 20  # a 三号 character as laid out: 15.75 pt


# --- reading a PDF back ----------------------------------------------------------------------
def pdf_lines(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Per page, the text lines as (y, x of the first word, text without spaces), top to bottom."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        rows = defaultdict(list)
        for x0, y0, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page):
            rows[round(float(y0))].append((float(x0), word.replace("&amp;", "&")))
        lines = []
        for y in sorted(rows):
            words = sorted(rows[y])
            lines.append((float(y), words[0][0], "".join(w for _, w in words)))
        pages.append(lines)
    return pages


def words(pdf: Path) -> set[str]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"<word [^>]*>([^<]*)</word>", html))


def is_page_number(text: str) -> bool:
    return bool(re.fullmatch(r"—\d+—", text))


def signature_at(pages, signer: str, date: str):
    """(page index, signer line, date line) of the 落款: the signer line followed by the date."""
    for i, lines in enumerate(pages):
        for a, b in zip(lines, lines[1:]):
            if a[2] == signer and b[2] == date:
                return i, a, b
    raise AssertionError(f"落款“{signer} / {date}”不在 PDF 中")


# --- the demo batches, converted once -----------------------------------------------------
@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    from mentor_xl.demo import build_demo_book
    from mentor_xl.periods import year_terms
    root = tmp_path_factory.mktemp("demo_pdf")
    batches, to_convert = [], []
    for policy in PACKS:
        book_path = root / f"{policy}.xlsx"
        build_demo_book(book_path, policy)
        office = open_office(book_path)
        year = office.book.settings.get("学年")
        terms = year_terms(office.book.frame("学期"), year)
        per_term = office.pack.assessment.period == "term"
        for kind in map(get_kind, office.pack.documents.kinds):
            by_term = bool({"compliance", "term"} & set(kind.needs)) or ("assessment" in kind.needs and per_term)
            said: list[str] = []
            out = root / policy / kind.id
            extra = {"month": "2024-10"} if kind.id == "work-record" else {}
            paths, _ = docs_for_office(office, kind.id, out, progress=False, workers=1, notify=said.append,
                                       **({"term": terms[0]} if by_term else {"year": year}), **extra)
            picked = paths if kind.gbt9704 else paths[:PER_PERSON]
            batches.append((policy, kind, office, picked, said))
            to_convert += picked
    pdf_dir = root / "pdf"
    from mentor_xl.documents.pdf import to_pdf
    # one LibreOffice run for all of them (names are unique: pack and kind prefixed by folder)
    staged = []
    for p in to_convert:
        q = root / "stage" / f"{p.parent.parent.name}-{p.parent.name}-{p.name}"
        q.parent.mkdir(exist_ok=True)
        q.write_bytes(p.read_bytes())
        staged.append(q)
    to_pdf(staged, pdf_dir)

    def pdf_of(p: Path) -> Path:
        return pdf_dir / f"{p.parent.parent.name}-{p.parent.name}-{p.stem}.pdf"
    return [(policy, kind, office, [(p, pdf_of(p)) for p in picked], said)
            for policy, kind, office, picked, said in batches]


def test_every_pack_and_kind_was_converted(demos):
    kinds = {(policy, kind.id) for policy, kind, *_ in demos}
    assert len(kinds) == 18  # the pack × kind batches the demos make
    for policy, kind, office, docs, said in demos:
        assert docs and all(pdf.is_file() for _, pdf in docs), (policy, kind.id)


def test_no_stranded_signature(demos):
    """The 落款 shares its page with body text above it (GB/T 9704 7.3.5.3)."""
    for policy, kind, office, docs, said in demos:
        if kind.id in ("work-record", "application-form"):
            continue  # forms: signed in their own table rows
        for docx, pdf in docs:
            pages = pdf_lines(pdf)
            if kind.id == "term-summary":
                page = next(i for i, lines in enumerate(pages) if any(t == "本人签名：" for _, _, t in lines))
                texts = [t for _, _, t in pages[page]]
                assert "五、个人小结" in texts, (policy, pdf.name, texts)
                continue
            i, signer, _ = _signature(office, pages)
            above = [t for y, _, t in pages[i] if y < signer[0] and not is_page_number(t)]
            assert len(above) >= 2, (policy, kind.id, pdf.name, above)


def _notices(demos):
    """The 公文 (GB/T 9704) of the demos, one each: (policy, kind, office, docx, pdf, said)."""
    for policy, kind, office, docs, said in demos:
        if kind.gbt9704:
            (docx, pdf), = docs
            yield policy, kind, office, docx, pdf, said


def test_date_starts_two_characters_right_of_the_signer(demos):
    for policy, kind, office, docx, pdf, said in _notices(demos):
        pages = pdf_lines(pdf)
        _, signer, day = _signature(office, pages)
        issuer, date = _issuer_and_date(office, pages)
        assert abs((day[1] - signer[1]) - 2 * PITCH) < 3, (policy, signer, day)
        # whichever line reaches further right ends two characters in from the 版心's edge
        right_edge = (28 + 156) / 25.4 * 72
        end = max(signer[1] + _em_width(issuer), day[1] + _em_width(date))
        assert abs(right_edge - end - 2 * PITCH) < 6, (policy, signer, day)


def _em_width(text: str) -> float:
    return sum(PITCH / 2 if c.isascii() else PITCH for c in text)


def _issuer_and_date(office, pages) -> tuple[str, str]:
    """The 发文机关 of the office's settings and the first dated line of the document."""
    date = next(t for _, _, t in _all(pages) if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", t))
    return office.book.settings.get("发文机关"), date


def _signature(office, pages):
    """(page index, signer line, date line) of the document's 落款."""
    return signature_at(pages, *_issuer_and_date(office, pages))


def _all(pages):
    return [line for lines in pages for line in lines]


def test_notices_have_number_colophon_and_the_packs_wording(demos):
    for policy, kind, office, docx, pdf, said in _notices(demos):
        pages = pdf_lines(pdf)
        first = [t for _, _, t in pages[0]]
        pack = office.pack
        prefix = pack.documents.get("example_doc_prefix")
        assert any(re.fullmatch(rf"{re.escape(prefix)}〔\d{{4}}〕12号", t) for t in first), (policy, first[:5])
        assert f"{wording(pack, 'addressee')}：" in "".join(first), (policy, first)
        last = [t for _, _, t in pages[-1]]
        assert any(t.startswith("抄送：") for t in last) and any(t.endswith("印发") for t in last), (policy, last)
        text = "".join(t for _, _, t in _all(pages))
        assert "《" + pack.name + "》" in text.replace("\n", "")
        if kind.id == "assess-notice":
            assert wording(pack, "assess_method") in text, policy
            assert "考核结果为" + "、".join(wording(pack, "remedy_tiers")) + "的" in text, policy
        assert not said or not any("文号" in m for m in said)  # the demo's 设置 has a 文号


def test_hfut_notice_says_nothing_of_an_organisational_review(demos):
    (pdf,) = [pdf for policy, kind, _, docs, _ in demos if policy == "hfut-math" and kind.id == "assess-notice"
              for _, pdf in docs]
    text = "".join(t for _, _, t in _all(pdf_lines(pdf)))
    assert "组织考核" not in text and "未达到合格" not in text
    assert "考核结果为基本称职、不称职的" in text


def test_ids_and_tiers_are_never_broken(demos):
    """Every 工号 of a table and every 等次 (基本合格 …) is one word of the PDF: not wrapped."""
    from docx import Document
    for policy, kind, office, docs, said in demos:
        if kind.id not in ("assess-notice", "appointment-notice", "reminder", "award-decision"):
            continue
        for docx, pdf in docs:
            w = words(pdf)
            cells = {c.text for t in Document(docx).tables for r in t.rows for c in r.cells}
            ids = {c for c in cells if re.fullmatch(r"T\d{4}", c)}
            tiers = {c for c in cells if c in pack_tiers(office) + ["待定", "不计"]}
            assert ids or kind.id in ("reminder", "award-decision"), (policy, kind.id)
            for token in ids | tiers:
                assert token in w, (policy, pdf.name, token)


def pack_tiers(office) -> list[str]:
    return list(office.pack.assessment.tiers)


def test_kai_face_for_second_level_headings(demos):
    """（一） headings are set in a real 楷体 (AR PL KaitiM GB) where Debian has it."""
    installed = subprocess.run(["fc-list", ":family=AR PL KaitiM GB"], capture_output=True, text=True).stdout
    if not installed.strip():
        pytest.skip("fonts-arphic-gkai00mp 未安装")
    (pdf,) = [pdf for policy, kind, _, docs, _ in demos if policy == "bit-2022" and kind.id == "assess-notice"
              for _, pdf in docs]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Kai" in fonts or "gkai" in fonts.lower(), fonts


def test_reminders_are_compact(demos):
    for policy, kind, office, docs, said in demos:
        if kind.id == "reminder":
            for _, pdf in docs:
                assert len(pdf_lines(pdf)) <= 2, (policy, pdf.name)


def test_forms_are_dated_in_their_period(demos):
    (docs,) = [docs for policy, kind, *_rest in demos if policy == "hfut-math" and kind.id == "work-record"
               for docs in [_rest[1]]]
    for _, pdf in docs:
        text = "".join(t for _, _, t in _all(pdf_lines(pdf)))
        assert "填表日期：2024年10月31日" in text  # October 2024's last working day (a Thursday)


# --- the batch conversion and --print -------------------------------------------------------
def test_joined_conversion_gives_the_same_documents(tmp_path, demos):
    """``docs --pdf`` joins a batch into one document per chunk and cuts the PDF apart: the
    same pages and text as converting each file alone, each summary with its own chart."""
    from pypdf import PdfReader
    from mentor_xl.documents.pdf import batch_to_pdf, to_pdf
    (docx_files,) = [[d for d, _ in docs] for policy, kind, _, docs, _ in demos
                     if policy == "bit-2022" and kind.id == "term-summary"]
    (reminders,) = [[d for d, _ in docs] for policy, kind, _, docs, _ in demos
                    if policy == "hfut-math" and kind.id == "reminder"]
    files = docx_files + reminders[:1]
    joined = batch_to_pdf(docx_files, tmp_path / "joined", chunk=1) + batch_to_pdf(files, tmp_path / "j2")
    alone = to_pdf(files, tmp_path / "alone")
    cut = batch_to_pdf(files, tmp_path / "cut", chunk=2)
    assert [p.name for p in cut] == [p.name for p in alone] and len(joined) == 2 + 3
    for a, b in zip(alone, cut):
        assert len(PdfReader(str(a)).pages) == len(PdfReader(str(b)).pages)
        ta = subprocess.run(["pdftotext", str(a), "-"], capture_output=True, text=True).stdout
        tb = subprocess.run(["pdftotext", str(b), "-"], capture_output=True, text=True).stdout
        assert ta == tb, a.name
    images = [[line.split()[2] for line in subprocess.run(["pdfimages", "-list", str(p)], capture_output=True,
                                                            text=True).stdout.splitlines()[2:]].count("image")
              for p in cut[:2]]
    assert images == [1, 1]  # each summary carries its own chart, not its neighbour's


def test_print_writes_one_combined_pdf(tmp_path, demos):
    from pypdf import PdfReader
    (office,) = [office for policy, kind, office, *_ in demos if policy == "lctc-2024" and kind.id == "reminder"]
    paths, n = docs_for_office(office, "reminder", tmp_path, term="2024-2025-1", progress=False, workers=1,
                               print_=True)
    combined = tmp_path / "整改提醒-打印.pdf"
    assert paths[-1] == combined and combined.is_file()
    pdfs = [p for p in paths if p.suffix == ".pdf" and p != combined]
    assert len(pdfs) == n
    pages = [len(PdfReader(str(p)).pages) for p in pdfs]
    # each document starts on an odd page for double-sided printing
    assert len(PdfReader(str(combined)).pages) == sum(k + k % 2 for k in pages)


def test_title_lines_keep_their_own_pitch(demos):
    """The 36 pt title pitch is not snapped to the 28.95 pt grid (which made it 57.9 pt)."""
    (pdf,) = [pdf for policy, kind, _, docs, _ in demos if policy == "ustb-2022" and kind.id == "award-decision"
              for _, pdf in docs]
    first = pdf_lines(pdf)[0]
    title = [y for y, _, t in first if t.startswith("关于表彰") or t.endswith("的决定")]
    assert len(title) == 2 and abs((title[1] - title[0]) - 36) < 1.5, first[:6]


def test_no_punctuation_is_lost(demos):
    """Every full-width comma of the Word body is in the PDF (LibreOffice dropped a "，" that
    fell at the end of a full line of bit's 聘任通知)."""
    from docx import Document
    for policy, kind, office, docx, pdf, said in _notices(demos):
        body = "".join(p.text for p in Document(docx).paragraphs)
        cells = "".join(c.text for t in Document(docx).tables for r in t.rows for c in r.cells)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert text.count("，") == (body + cells).count("，"), (policy, kind.id)
        assert text.count("。") == (body + cells).count("。"), (policy, kind.id)


def test_signature_never_stranded_whatever_the_body_length(tmp_path):
    """An office's notice whose body grows a line at a time: wherever the page ends, the last
    body paragraph, 附件说明 and 落款 move together and the 落款 never stands alone."""
    from mentor_xl.documents import generate
    from mentor_xl.documents.notices import appointment_notice_contexts
    from mentor_xl.documents.pdf import batch_to_pdf
    from mentor_xl.packs import load_pack
    from tests.test_documents import small_book
    pack = load_pack("bit-2022")
    jobs = []
    for n in range(0, 40, 2):  # 主送机关 from one line to ~40: the 落款 crosses a page end
        to = "、".join(f"第{i}学院" for i in range(1, 1 + 5 * n)) or "各学院"
        (job,) = appointment_notice_contexts(small_book(settings={"主送机关": to}), pack, year="2024-2025",
                                             date="2024-09-03")
        job.name = f"notice-{n:02d}"
        jobs.append(job)
    paths = generate("appointment-notice", jobs, tmp_path / "docx", progress=False, workers=1)
    on_page = set()
    for pdf in batch_to_pdf(paths, tmp_path / "pdf"):
        pages = pdf_lines(pdf)
        i, signer, _ = signature_at(pages, "示例大学学生工作部", "2024年9月3日")
        on_page.add(i)
        above = [t for y, _, t in pages[i] if y < signer[0] and not is_page_number(t)]
        assert any(t.startswith("附件：") for t in above), (pdf.name, above)
        assert any(t.endswith("必要支持。") for t in above), (pdf.name, above)  # the last body line
    assert len(on_page) >= 2, on_page  # the sweep did cross a page end
