"""Merged cell ranges of an .xlsx/.xlsm, read from the package's XML.

fastexcel (calamine) gives values only: a mentor's 工号 merged down over their students'
rows reads as one value and blanks. The ranges are in each sheet part's ``<mergeCells>``,
after the cell data, so the part is streamed (decompressed in chunks, never held whole) and
only ``<mergeCell ref=…>`` and ``<dimension ref=…>`` are picked out: a 1M-row log costs one
decompression pass and no XML parsing.
"""
from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xlsxwriter.utility import xl_cell_to_rowcol

from mentor_xl.workbook import limits

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_RANGES = limits.MAX_MERGES  # a sheet with more merges than this is not an office list: ignore the rest


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
    for a, b in refs[:MAX_RANGES]:  # b"B2", b"B4": capitals then digits (limits.MERGE_REF)
        la, lb = len(a.rstrip(_DIGITS)), len(b.rstrip(_DIGITS))
        # absurd references stay absurd but within int64: the reader fills ranges with numpy
        r1, r2 = (limits.row_number(d.lstrip(b"0")) - 1 for d in (a[la:], b[lb:]))
        c1, c2 = (_column(x) if len(x) <= 4 else _FAR for x in (a[:la], b[:lb]))
        m.ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    m.ranges = list(dict.fromkeys(m.ranges))
    return m


_DIGITS = b"0123456789"
_FAR = 26 ** 5  # a column past any the grid has (four letters at most: calamine reads AAAA)


@functools.lru_cache(maxsize=1024)
def _column(letters: bytes) -> int:
    """Column letters → 0-based number, each distinct one worked out once (a grouped log has
    8,000 merged ranges in two or three columns: xlsxwriter's parser per reference took 30 ms)."""
    return xl_cell_to_rowcol(letters.decode() + "1")[1]


def _scan(z: zipfile.ZipFile, part: str) -> SheetMerges | None:
    try:
        info = z.getinfo(part)
    except KeyError:
        return None
    got = limits.merges_in(part, z, info)  # read for them alone, within the check's limits
    return None if got is None else from_refs(*got)
