"""Merged cell ranges of an .xlsx/.xlsm, read from the package's XML.

fastexcel (calamine) gives values only: a mentor's 工号 merged down over their students'
rows reads as one value and blanks. The ranges are in each sheet part's ``<mergeCells>``,
after the cell data, so the part is streamed (decompressed in chunks, never held whole) and
only ``<mergeCell ref=…>`` and ``<dimension ref=…>`` are picked out: a 1M-row log costs one
decompression pass and no XML parsing.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xlsxwriter.utility import xl_cell_to_rowcol

from mentor_xl.problems import FatalInputError
from mentor_xl.workbook import limits

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_RANGES = limits.MAX_MERGES  # a sheet with more merges than this is not an office list: ignore the rest

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')


@dataclass
class SheetMerges:
    """Merged ranges of one sheet, 0-based inclusive (first row, first col, last row, last col)."""
    ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    first_col: int | None = None  # from <dimension>: the column calamine's grid starts at
    last_col: int | None = None


def _q(tag: str, ns: str = MAIN_NS) -> str:
    return f"{{{ns}}}{tag}"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """sheet name → part name (xl/worksheets/sheet1.xml); ValueError when the package has no sheet list."""
    try:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError) as e:
        raise ValueError(str(e)) from None
    targets = {r.get("Id"): r.get("Target") for r in rels.findall(_q("Relationship", PKG_REL_NS))}
    sheets = wb.find(_q("sheets"))
    if sheets is None:
        raise ValueError("no sheets")
    out = {}
    for s in sheets.findall(_q("sheet")):
        t = targets.get(s.get(_q("id", REL_NS)))
        if t:
            out[s.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def merged_ranges(path: str | Path, names=None) -> dict[str, SheetMerges]:
    """sheet name → its merges (only sheets that have some); {} for anything that is not a
    readable xlsx package (the reader then works on values alone)."""
    out: dict[str, SheetMerges] = {}
    try:
        with zipfile.ZipFile(path) as z:
            parts = sheet_parts(z)
            for name, part in parts.items():
                if names is not None and name not in names:
                    continue
                m = _scan(z, part)
                if m is not None and m.ranges:
                    out[name] = m
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, RuntimeError):
        return {}
    return out


def from_refs(refs: list[tuple[bytes, bytes]], dimension: str) -> SheetMerges:
    """The merges of a part from its ``<mergeCell>`` references and ``<dimension ref>``, as its
    check found them passing over it (``limits.part_steps(found=…)``): not streamed again."""
    m = SheetMerges()
    if dimension:
        ends = dimension.split(":")
        try:
            m.first_col, m.last_col = (xl_cell_to_rowcol(e)[1] for e in (ends[0], ends[-1]))
        except (ValueError, AttributeError, TypeError):
            m.first_col = m.last_col = None
    col = _column_numbers()
    for a, b in refs[:MAX_RANGES]:  # b"B2", b"B4": capitals then digits (limits.MERGE_REF)
        la, lb = len(a.rstrip(_DIGITS)), len(b.rstrip(_DIGITS))
        r1, r2, c1, c2 = int(a[la:]) - 1, int(b[lb:]) - 1, col(a[:la]), col(b[:lb])
        m.ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    m.ranges = list(dict.fromkeys(m.ranges))
    return m


_DIGITS = b"0123456789"


def _column_numbers():
    """Column letters (bytes) → 0-based number, each distinct one worked out once (a grouped log
    has 8,000 merged ranges in two or three columns: xlsxwriter's parser per reference took 30 ms)."""
    seen: dict[bytes, int] = {}

    def number(letters: bytes) -> int:
        n = seen.get(letters)
        if n is None:
            n = seen[letters] = xl_cell_to_rowcol(letters.decode() + "1")[1]
        return n
    return number


def _scan(z: zipfile.ZipFile, part: str) -> SheetMerges | None:
    try:
        info = z.getinfo(part)
    except KeyError:
        return None
    # The part may not be checked yet (a big log's part, checked by the child that loaded it):
    # never inflated further than the check allows it (``limits``), which refuses it then. Its
    # own deflate stream, as the check reads it: no CRC pass, no copy of each chunk.
    most = min(limits.MAX_UNCOMPRESSED, limits.ratio_cap(info))
    refs: list[tuple[bytes, bytes]] = []
    dimension = None
    tail = b""  # the end of the last chunk after its last '>': a tag cut in two
    try:
        for chunk in limits.inflate(part, z, info, most):
            if dimension is None:
                d = _DIMENSION.search(tail + chunk[:4096] if tail else chunk)
                if d:
                    dimension = d.group(1) + (b":" + d.group(2) if d.group(2) else b"")
            if len(refs) < MAX_RANGES and (b"mergeCell" in chunk or (tail and b"mergeCell" in tail + chunk[:64])):
                refs += limits.MERGE_REF.findall(tail + chunk)
            # a complete tag was matched above, in this chunk: only what follows the last '>' waits
            cut = chunk.rfind(b">")
            tail = chunk[cut + 1:] if cut >= 0 else (tail + chunk)[-4096:]
    except FatalInputError:  # over the check's limits, or not inflatable: the check says why
        return None
    return from_refs(refs, dimension.decode() if dimension else "")
