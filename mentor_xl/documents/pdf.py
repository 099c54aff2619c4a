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

__all__ = ["to_pdf", "combine_pdfs", "require_libreoffice", "LibreOfficeError", "LibreOfficeMissing"]

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
