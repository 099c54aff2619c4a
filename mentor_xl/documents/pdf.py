"""docx → PDF for a whole batch with LibreOffice (mentor_xl.libreoffice), and one combined PDF.

The templates name the fonts offices have (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312, 黑体, 宋体).
On Linux none of them exists and fontconfig would put every one of them in Noto Sans CJK
(a 黑体 look for the whole 公文). For the conversion we give soffice a fontconfig file that
includes the system configuration and maps each family to the closest free face Debian has:
楷体 to AR PL KaitiM GB (fonts-arphic-gkai00mp), so （一） headings look like 楷体; 宋/仿宋
to Noto Serif CJK SC (Debian has no Simplified-Chinese 仿宋: cwTeX's lacks the simplified
characters), 小标宋 to its bold; 黑体 to Noto Sans CJK SC. A face that is not installed falls
through to the next one listed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from mentor_xl.documents import gbt9704 as G
from mentor_xl.libreoffice import LibreOfficeError, LibreOfficeMissing, convert, find_soffice

__all__ = ["to_pdf", "batch_to_pdf", "combine_pdfs", "require_libreoffice", "LibreOfficeError", "LibreOfficeMissing"]

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
KAI = "AR PL KaitiM GB"  # fonts-arphic-gkai00mp; AR PL UKai CN (fonts-arphic-ukai) next
# family the template names -> (Noto family, weight or None)
FONT_MAP = {
    G.XIAOBIAOSONG: (SERIF, "bold"), "方正小标宋_GBK": (SERIF, "bold"), "小标宋": (SERIF, "bold"),
    G.FANGSONG: (SERIF, None), "仿宋": (SERIF, None), "FangSong": (SERIF, None), "方正仿宋_GBK": (SERIF, None),
    G.KAITI: (KAI, None), "楷体": (KAI, None), "KaiTi": (KAI, None), "方正楷体_GBK": (KAI, None),
    G.SONGTI: (SERIF, None), "SimSun": (SERIF, None), "宋体-简": (SERIF, None),
    G.HEITI: (SANS, None), "SimHei": (SANS, None), "方正黑体_GBK": (SANS, None), "微软雅黑": (SANS, None),
}


def fontconfig_xml() -> str:
    rules = []
    for family, (target, weight) in FONT_MAP.items():
        w = (f'<edit name="weight" mode="assign" binding="strong"><const>{weight}</const></edit>'
             if weight else "")
        faces = [target] + (["AR PL UKai CN", SERIF] if target == KAI else [])
        names = "".join(f"<string>{f}</string>" for f in faces)
        rules.append(
            f'<match target="pattern"><test name="family"><string>{family}</string></test>'
            f'<edit name="family" mode="assign" binding="strong">{names}</edit>{w}</match>')
    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            + "\n".join(rules) + "\n</fontconfig>\n")


@contextlib.contextmanager
def _fontconfig() -> Iterator[None]:
    """FONTCONFIG_FILE for the soffice child only while it runs (the parent's env is restored)."""
    if os.name != "posix" or not Path("/etc/fonts/fonts.conf").is_file():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="mentor_xl_fc_") as d:
        conf = Path(d) / "fonts.conf"
        conf.write_text(fontconfig_xml(), encoding="utf-8")
        old = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = str(conf)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("FONTCONFIG_FILE", None)
            else:
                os.environ["FONTCONFIG_FILE"] = old


def require_libreoffice() -> None:
    """Raise LibreOfficeMissing (Chinese message) before a batch starts, not after it."""
    if find_soffice() is None:
        raise LibreOfficeMissing(
            "生成 PDF 需要 LibreOffice，但未找到 soffice。请安装 LibreOffice（Debian/Ubuntu："
            "apt-get install libreoffice-writer fonts-noto-cjk），或用环境变量 MENTOR_XL_SOFFICE "
            "指定 soffice 的路径；不加 --pdf 可以只生成 Word 文档。")


def to_pdf(paths: Iterable[str | os.PathLike], outdir: str | os.PathLike, *,
           timeout: float | None = None) -> list[Path]:
    """Convert every .docx with one soffice process (private profile); PDFs land in ``outdir``."""
    paths = list(paths)
    if not paths:
        return []
    require_libreoffice()
    # ~0.1–0.3 s a document after a ~2 s start: scale the limit with the batch.
    limit = timeout if timeout is not None else max(300.0, 60.0 + 1.0 * len(paths))
    with _fontconfig():
        return convert(paths, "pdf:writer_pdf_Export", outdir, timeout=limit)


def combine_pdfs(pdfs: Iterable[str | os.PathLike], target: str | os.PathLike) -> Path:
    """One PDF of the whole batch, in order (``docs --print``), written atomically.

    Each document starts on an odd page so that double-sided printing keeps them apart
    (a blank page is added after a document with an odd page count).
    """
    from pypdf import PdfWriter
    target = Path(target)
    writer = PdfWriter()
    for p in pdfs:
        writer.append(str(p))
        if len(writer.pages) % 2:
            last = writer.pages[-1]
            writer.add_blank_page(width=last.mediabox.width, height=last.mediabox.height)
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(target)
    return target


# --- a batch as ONE document ------------------------------------------------------------------
# LibreOffice spends most of a conversion on per-file work (loading the styles and fonts,
# subsetting the CJK fonts into each PDF). The documents of a batch come from one template,
# so their bodies are joined into one .docx, each in its own section (page numbers restart
# at 1) behind a bookmark; LibreOffice converts it once, writing each bookmark as a named
# destination, and the PDF is cut at those pages into one PDF per document.
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_SECT_AFTER_PGNUM = ("cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter",
                     "docGrid", "printerSettings")
BATCH_CHUNK = 10  # documents joined into one conversion (measured: benchmarks/bench_docs.py)
BATCH_FILTER = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'


def _restart_numbering(sect) -> None:
    """Page numbers of the section start at 1 (w:pgNumType in its schema place)."""
    from lxml import etree
    for old in sect.findall(f"{{{_W}}}pgNumType"):
        sect.remove(old)
    pg = etree.Element(f"{{{_W}}}pgNumType")
    pg.set(f"{{{_W}}}start", "1")
    after = [c for c in sect if etree.QName(c).localname in _SECT_AFTER_PGNUM]
    if after:
        after[0].addprevious(pg)
    else:
        sect.append(pg)


def _part(target: str) -> str:
    """The zip name of a relationship target of word/document.xml (``../customXml/item1.xml``)."""
    import posixpath
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath("word/" + target)


def merge_docx(paths: list[Path]) -> bytes:
    """The documents (rendered from one template) as one .docx: document k in section k,
    behind bookmark ``mxdoc{k}``; each document's own images and relationships carried over."""
    import copy
    import io
    import zipfile
    from lxml import etree
    zips = [zipfile.ZipFile(p) for p in paths]
    base = zips[0]
    names = set(base.namelist())
    base_rels = etree.fromstring(base.read("word/_rels/document.xml.rels"))
    shared = {r.get("Id"): r.get("Target") for r in base_rels}
    extra_parts: dict[str, bytes] = {}
    root = etree.fromstring(base.read("word/document.xml"))
    body = root.find(f"{{{_W}}}body")
    final = body.find(f"{{{_W}}}sectPr")
    for child in list(body):
        body.remove(child)
    for k, z in enumerate(zips):
        doc = etree.fromstring(z.read("word/document.xml"))
        renamed = {}
        for r in etree.fromstring(z.read("word/_rels/document.xml.rels")) if k else ():
            rid, target, external = r.get("Id"), r.get("Target"), r.get("TargetMode") == "External"
            if shared.get(rid) == target and (external or z.read(_part(target)) == base.read(_part(target))):
                continue  # the template's own part (styles, footer …): the same in every document
            new_id = f"{rid}d{k}"
            r2 = copy.deepcopy(r)
            r2.set("Id", new_id)
            if not external:  # this document's own part (a chart): a file of its own
                head, _, tail = target.rpartition("/")
                new_target = f"{head}/d{k}_{tail}" if head else f"d{k}_{tail}"
                extra_parts[_part(new_target)] = z.read(_part(target))
                r2.set("Target", new_target)
            base_rels.append(r2)
            renamed[rid] = new_id
        b = doc.find(f"{{{_W}}}body")
        sect = b.find(f"{{{_W}}}sectPr")
        kids = [c for c in b if c is not sect]
        if renamed:
            for el in b.iter():
                for attr in (f"{{{_R}}}embed", f"{{{_R}}}id", f"{{{_R}}}link"):
                    if el.get(attr) in renamed:
                        el.set(attr, renamed[el.get(attr)])
        first_p = next((c for c in kids if etree.QName(c).localname == "p"), None)
        start = etree.Element(f"{{{_W}}}bookmarkStart")
        start.set(f"{{{_W}}}id", str(90000 + k))
        start.set(f"{{{_W}}}name", f"mxdoc{k}")
        end = etree.Element(f"{{{_W}}}bookmarkEnd")
        end.set(f"{{{_W}}}id", str(90000 + k))
        if first_p is not None:
            ppr = first_p.find(f"{{{_W}}}pPr")
            at = 1 if ppr is not None else 0
            first_p.insert(at, end)
            first_p.insert(at, start)
        else:
            kids[:0] = [start, end]
        for c in kids:
            body.append(c)
        own = copy.deepcopy(sect if sect is not None else final)
        _restart_numbering(own)
        if k < len(zips) - 1:  # a section break: a paragraph that carries the section's properties
            p = etree.SubElement(body, f"{{{_W}}}p")
            ppr = etree.SubElement(p, f"{{{_W}}}pPr")
            ppr.append(own)
        else:
            body.append(own)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in base.infolist():
            if info.filename == "word/document.xml":
                w.writestr(info.filename, etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                                         standalone=True))
            elif info.filename == "word/_rels/document.xml.rels":
                w.writestr(info.filename, etree.tostring(base_rels, xml_declaration=True, encoding="UTF-8",
                                                         standalone=True))
            elif info.filename == "[Content_Types].xml" and extra_parts:
                from mentor_xl.documents.render import _ensure_png
                w.writestr(info.filename, _ensure_png(base.read(info).decode("utf-8")))
            else:
                w.writestr(info, base.read(info))
        for name, data in extra_parts.items():
            if name not in names:
                w.writestr(name, data)
    for z in zips:
        z.close()
    return out.getvalue()


def batch_to_pdf(paths: Iterable[str | os.PathLike], outdir: str | os.PathLike, *,
                 timeout: float | None = None, chunk: int = BATCH_CHUNK) -> list[Path]:
    """One PDF per .docx of a batch rendered from ONE template, converted as joined documents.

    ``chunk`` documents are joined into one (the fonts embedded in each cut-out PDF are the
    subset of its chunk: bounded, not the whole batch's); all the joined files go through one
    LibreOffice run. Falls back to ``to_pdf`` (file by file) for a single file, or when a
    joined conversion cannot be cut back into its documents.
    """
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        return to_pdf(paths, outdir, timeout=timeout)
    require_libreoffice()
    from pypdf import PdfReader, PdfWriter
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    limit = timeout if timeout is not None else max(300.0, 60.0 + 0.5 * len(paths))
    groups = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    with tempfile.TemporaryDirectory(prefix="mentor_xl_batch_") as d:
        joined = [Path(d) / f"batch-{g}.docx" for g in range(len(groups))]
        for j, group in zip(joined, groups):
            j.write_bytes(merge_docx(group))
        with _fontconfig():
            pdfs = convert(joined, BATCH_FILTER, d, timeout=limit)
        cuts = []
        for pdf, group in zip(pdfs, groups):
            reader = PdfReader(str(pdf))
            starts = {}
            for name, dest in reader.named_destinations.items():
                key = str(name).lstrip("/")
                if key.startswith("mxdoc") and key[5:].isdigit():
                    starts[int(key[5:])] = reader.get_destination_page_number(dest)
            bounds = [starts.get(k) for k in range(len(group))] + [len(reader.pages)]
            if None in bounds or bounds != sorted(bounds) or len(set(bounds[:-1])) != len(group):
                return to_pdf(paths, outdir, timeout=timeout)  # cannot cut it: convert file by file
            cuts.append((reader, bounds))
        written = []
        for (reader, bounds), group in zip(cuts, groups):
            for k, p in enumerate(group):
                writer = PdfWriter()
                for i in range(bounds[k], bounds[k + 1]):
                    writer.add_page(reader.pages[i])
                target = out / f"{p.stem}.pdf"
                tmp = target.with_name(target.name + ".part")
                with open(tmp, "wb") as f:
                    writer.write(f)
                tmp.replace(target)
                written.append(target)
    return written
