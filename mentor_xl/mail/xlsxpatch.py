"""Merge rows into an .xlsx/.xlsm by editing its sheet XML as a stream.

Why not openpyxl: it loads the whole workbook into Python objects (about 0.3 ms per log
row here: minutes and gigabytes for a 1M-row 活动记录) and silently drops parts it does
not model — images, charts, xlwings Lite web extensions (see spec/excel.md). Here every
part of the office's file is copied byte for byte except three:
- the 活动记录 sheet XML, streamed once: the header row gets the provenance headers,
  rows an accepted correction no longer has are replaced by new rows (same row numbers,
  so nothing else in the sheet moves), the remaining new rows are appended before
  ``</sheetData>``, and the (optional) ``<dimension>`` element is dropped so no stale
  range remains;
- xl/styles.xml: three cell formats appended (date, text "@", text with quote prefix);
- the 收件记录 sheet: appended to, or added (workbook.xml, its rels, [Content_Types]).
New cells are inline strings, numbers, or date serials — a string is never a formula.
Anything unusual (a prefixed main namespace, rows without numbers, no styles part) raises
``Unsupported``; the caller then uses openpyxl.

Only the office's own workbook passes through here, after ``limits.check_workbook_file``
(no DTDs, size and ratio checked) — small parts are parsed with the standard library.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Callable, Iterable
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from mentor_xl.safe import cell_text, needs_quote
from mentor_xl.workbook.merges import sheet_parts as _sheet_parts

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WS_TYPE = REL_NS + "/worksheet"
WS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CHUNK = 4 * 1024 * 1024
HEAD_ROWS = 200  # rows read to find the header (the reader looks at the same)

_ROW_TAG = re.compile(rb"<row[\s>/][^>]*>")
_R_ATTR = re.compile(rb'\sr="(\d+)"')
_CELL_REF = re.compile(rb'<c\b[^>]*?\sr="([A-Z]+)\d+"')
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


class Unsupported(Exception):
    """The file uses a layout this stream editor does not handle; use openpyxl instead."""


# the package -------------------------------------------------------------------------------------
def _q(tag: str, ns: str = MAIN_NS) -> str:
    return f"{{{ns}}}{tag}"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """sheet name → part name (xl/worksheets/sheet1.xml)."""
    try:
        return _sheet_parts(z)
    except ValueError as e:
        raise Unsupported(str(e)) from None


def _shared_strings(z: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings with the wanted indices (read until the largest one)."""
    if not wanted or "xl/sharedStrings.xml" not in z.namelist():
        return {}
    top = max(wanted)
    out: dict[int, str] = {}
    i = 0
    with z.open("xl/sharedStrings.xml") as f:
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag == _q("si"):
                if i in wanted:
                    out[i] = "".join(t.text or "" for t in el.iter(_q("t")))
                i += 1
                el.clear()
                if i > top:
                    break
    return out


def head_rows(z: zipfile.ZipFile, part: str, n: int = HEAD_ROWS) -> list[list[str | None]]:
    """The first ``n`` rows of a sheet as text, row i = Excel row i + 1, column j = column j + 1."""
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    shared: set[int] = set()
    with z.open(part) as f:
        row_no = 0
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag == _q("row"):
                row_no = int(el.get("r") or row_no + 1)
                col_no = 0
                for c in el.findall(_q("c")):
                    ref = c.get("r")
                    col_no = xl_cell_to_rowcol(ref)[1] + 1 if ref else col_no + 1
                    t = c.get("t", "n")
                    if t == "inlineStr":
                        val = "".join(x.text or "" for x in c.iter(_q("t")))
                    else:
                        v = c.find(_q("v"))
                        val = v.text if v is not None else None
                    if val is None:
                        continue
                    if t == "s":
                        shared.add(int(val))
                    cells[(row_no, col_no)] = (t, val)
                el.clear()
                if row_no >= n:
                    break
            elif el.tag.endswith("}sheetData"):
                break
    strings = _shared_strings(z, shared)
    if not cells:
        return []
    nrows = max(r for r, _ in cells)
    ncols = max(c for _, c in cells)
    rows: list[list[str | None]] = [[None] * ncols for _ in range(nrows)]
    for (r, c), (t, val) in cells.items():
        rows[r - 1][c - 1] = strings.get(int(val), "") if t == "s" else val
    return rows


def row_texts(z: zipfile.ZipFile, part: str, wanted: set[int]) -> dict[int, list[str]]:
    """The cell texts of the ``wanted`` rows (Excel numbers), found by a regex pass over the
    sheet (no XML parse of the other rows: the log can have a million)."""
    if not wanted:
        return {}
    snippets: dict[int, bytes] = {}
    with z.open(part) as f:
        buf = b""
        while True:
            chunk = f.read(CHUNK)
            buf += chunk
            pos = 0
            for m in _ROW_TAG.finditer(buf):
                r = _R_ATTR.search(m.group(0))
                if r is None or int(r.group(1)) not in wanted:
                    pos = m.end()
                    continue
                if m.group(0).endswith(b"/>"):
                    pos = m.end()
                    continue
                close = buf.find(b"</row>", m.end())
                if close == -1:
                    pos = m.start()
                    break
                snippets[int(r.group(1))] = buf[m.start():close + 6]
                pos = close + 6
            else:
                pos = max(pos, len(buf) - 4096)
            buf = buf[pos:]
            if not chunk:
                break
    shared: set[int] = set()
    cells: dict[int, list[tuple[str, str]]] = {}
    for n, xml in snippets.items():
        try:
            el = ET.fromstring(xml.replace(b"<row", b'<row xmlns="%s"' % MAIN_NS.encode(), 1))
        except ET.ParseError:
            continue
        vals = []
        for c in el.findall(_q("c")):
            t = c.get("t", "n")
            if t == "inlineStr":
                vals.append(("str", "".join(x.text or "" for x in c.iter(_q("t")))))
            else:
                v = c.find(_q("v"))
                if v is not None and v.text is not None:
                    vals.append((t, v.text))
                    if t == "s":
                        shared.add(int(v.text))
        cells[n] = vals
    strings = _shared_strings(z, shared)
    return {n: [strings.get(int(v), "") if t == "s" else v for t, v in vals] for n, vals in cells.items()}


# cells -------------------------------------------------------------------------------------------
class Styles:
    """Indices of the three cell formats appended to styles.xml."""

    def __init__(self, date: int, text: int, quoted: int):
        self.date, self.text, self.quoted = date, text, quoted


DATE_CODE = b"yyyy-mm-dd"


def _add_date_format(xml: bytes) -> tuple[bytes, int]:
    """Add (or find) the number format yyyy-mm-dd; returns (styles xml, its numFmtId)."""
    m = re.search(rb"<numFmts\b[^>]*>(.*?)</numFmts>", xml, re.S)
    if m:
        for fid, code in re.findall(rb'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', m.group(1)):
            if code == DATE_CODE:
                return xml, int(fid)
        ids = [int(x) for x in re.findall(rb'numFmtId="(\d+)"', m.group(1))]
        fid = max(ids + [163]) + 1
        block = m.group(0)
        block = re.sub(rb'count="\d+"', b'count="%d"' % (len(ids) + 1), block, count=1)
        block = block[: -len(b"</numFmts>")] + b'<numFmt numFmtId="%d" formatCode="%s"/></numFmts>' % (fid, DATE_CODE)
        return xml[: m.start()] + block + xml[m.end():], fid
    root = re.search(rb"<styleSheet\b[^>]*>", xml)
    if not root:
        raise Unsupported("no styleSheet element")
    block = b'<numFmts count="1"><numFmt numFmtId="164" formatCode="%s"/></numFmts>' % DATE_CODE
    return xml[: root.end()] + block + xml[root.end():], 164


def patch_styles(xml: bytes) -> tuple[bytes, Styles]:
    xml, date_fmt = _add_date_format(xml)
    m = re.search(rb'<cellXfs\b[^>]*?count="(\d+)"[^>]*>(.*?)</cellXfs>', xml, re.S)
    if not m:
        raise Unsupported("no cellXfs")
    n = len(re.findall(rb"<xf\b", m.group(2)))
    add = (b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' % date_fmt
           + b'<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           + b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>')
    start, end = m.span()
    inner = m.group(0)
    inner = re.sub(rb'count="\d+"', b'count="%d"' % (n + 3), inner, count=1)
    inner = inner[: -len(b"</cellXfs>")] + add + b"</cellXfs>"
    return xml[:start] + inner + xml[end:], Styles(n, n + 1, n + 2)


def _xml_text(s: str) -> bytes:
    return escape(_ILLEGAL_XML.sub("", s)).encode("utf-8")


def cell_xml(col: int, row: int, value, kind: str, st: Styles) -> bytes:
    """One ``<c>`` for a value of a schema kind ("date", "number", "int", "id", "text")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return b""
    try:
        import pandas as pd
        if value is pd.NA or value is pd.NaT:
            return b""
    except ImportError:  # pragma: no cover
        pass
    ref = f"{xl_col_to_name(col - 1)}{row}".encode()
    if kind == "date":
        import pandas as pd
        ts = pd.Timestamp(value)
        serial = (ts.to_pydatetime().replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
        return b'<c r="%s" s="%d"><v>%s</v></c>' % (ref, st.date, _num(serial))
    if kind in ("number", "int") and not isinstance(value, str):
        return b'<c r="%s"><v>%s</v></c>' % (ref, _num(float(value)))
    s = cell_text(value)
    if s is None:
        return b""
    style = st.quoted if needs_quote(s) else st.text if kind == "id" else None
    sattr = b' s="%d"' % style if style is not None else b""
    return b'<c r="%s"%s t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % (ref, sattr, _xml_text(s))



def _num(x: float) -> bytes:
    return (str(int(x)) if float(x).is_integer() else repr(float(x))).encode()


def row_xml(row: int, cells: Iterable[tuple[int, object, str]], st: Styles) -> bytes:
    body = b"".join(cell_xml(c, row, v, k, st) for c, v, k in sorted(cells, key=lambda t: t[0]))
    return b'<row r="%d">%s</row>' % (row, body)


def _insert_cells(row: bytes, new: dict[int, bytes]) -> bytes:
    """Put ``new`` cells (column → <c> xml) into an existing ``<row>`` in column order,
    replacing an (empty, styled) cell already at that column."""
    if row.endswith(b"/>"):
        row = row[:-2] + b"></row>"
    head_end = row.index(b">") + 1
    body = row[head_end:-len(b"</row>")]
    parts: list[tuple[int, bytes]] = []
    pos = 0
    for m in re.finditer(rb"<c\b.*?(?:/>|</c>)", body, re.S):
        ref = _CELL_REF.match(m.group(0))
        if not ref:
            raise Unsupported("cell without reference")
        col = xl_cell_to_rowcol(ref.group(1).decode() + "1")[1] + 1
        parts.append((col, m.group(0)))
        pos = m.end()
    if body[pos:].strip():
        raise Unsupported("unexpected content in the header row")
    merged = dict(parts)
    merged.update(new)
    return row[:head_end] + b"".join(merged[c] for c in sorted(merged)) + b"</row>"


# the sheet stream --------------------------------------------------------------------------------
class _Out:
    """Buffers many small writes into few large ones (zip writes are costly per call)."""

    def __init__(self, write: Callable[[bytes], None]):
        self.write, self.parts, self.size = write, [], 0

    def __call__(self, data: bytes) -> None:
        if data:
            self.parts.append(data)
            self.size += len(data)
            if self.size >= CHUNK:
                self.flush()

    def flush(self) -> None:
        if self.parts:
            self.write(b"".join(self.parts))
            self.parts, self.size = [], 0


def stream_sheet(src, write: Callable[[bytes], None], *, header_row: int | None = None,
                 header_cells: dict[int, bytes] | None = None, rows: dict[int, bytes] | None = None,
                 append: Callable[[int], bytes] | None = None, shift: tuple[int, int] | None = None) -> int:
    """Copy a worksheet XML from ``src`` to ``write`` with the edits; returns the last row.

    ``rows``: Excel row → the ``<row>`` xml that row becomes (b"": emptied). A row the
    sheet has is replaced in place; one it lacks is inserted where it belongs (rows stay in
    ascending order). ``append(last_row)`` gives further rows for the end. ``shift``
    (first row, by): that row and every row below it move down ``by`` rows (a footer block
    under the data, with its merged cells), making room above it; ``rows`` are numbered
    after the move. Unchanged rows cost one regex search each: they are passed on in large
    slices.
    """
    shift_from, shift_by = shift if shift and shift[1] > 0 else (None, 0)
    header_cells = header_cells or {}
    rows = rows or {}
    pending = sorted(rows)  # row numbers not yet written
    k = 0
    out = _Out(write)
    buf = src.read(max(CHUNK, 4096))  # the root element must be in the first read
    if not re.search(rb"<worksheet[\s>]", buf[:4096]):
        raise Unsupported("prefixed or unknown worksheet element")
    eof = False
    pos = emit_from = 0
    first = True
    last = 0

    def emit(data: bytes) -> None:
        nonlocal first
        if first:
            data = _DIMENSION.sub(b"", data, count=1)
            first = False
        out(data)

    def refill(keep_from: int) -> bool:
        nonlocal buf, pos, emit_from, eof
        chunk = b"" if eof else src.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buf = buf[keep_from:] + chunk
        pos -= keep_from
        emit_from -= keep_from
        return True

    while True:
        m = _ROW_TAG.search(buf, pos)
        if m is None:
            end_data = buf.find(b"</sheetData>", pos)
            if end_data != -1:
                emit(buf[emit_from:end_data])
                out(b"".join(rows[n] for n in pending[k:]))
                last = max([last] + pending[k:])
                if append is not None:
                    out(append(last))
                if shift_from is not None:  # the rest (merged cells …) is small: read whole, renumbered
                    rest = buf[end_data:] + src.read()
                    out(_MERGE_REF.sub(lambda mm: _shift_ref(mm, shift_from, shift_by), rest))
                    out.flush()
                    return last
                out(buf[end_data:])
                out.flush()
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        return last
                    write(chunk)
            cut = max(pos, len(buf) - 4096)  # a start tag may straddle the chunk boundary
            emit(buf[emit_from:cut])
            emit_from = cut
            if not refill(cut):
                raise Unsupported("no </sheetData>")
            continue
        tag = m.group(0)
        r = _R_ATTR.search(tag)
        if r is None:
            raise Unsupported("row without number")
        n = int(r.group(1))
        moved = shift_from is not None and n >= shift_from
        eff = n + shift_by if moved else n  # the row's number in the output
        last = max(last, eff)
        if k < len(pending) and pending[k] < eff:  # new rows that belong before this one
            emit(buf[emit_from:m.start()])
            emit_from = m.start()
            while k < len(pending) and pending[k] < eff:
                out(rows[pending[k]])
                k += 1
        if not (moved or (n == header_row and header_cells) or n in rows):
            pos = m.end()
            continue
        if tag.endswith(b"/>"):
            end = m.end()
        else:
            close = buf.find(b"</row>", m.end())
            if close == -1:
                emit(buf[emit_from:m.start()])
                emit_from = m.start()
                pos = m.start()
                if not refill(emit_from):
                    raise Unsupported("truncated row")
                continue
            end = close + len(b"</row>")
        emit(buf[emit_from:m.start()])
        row = buf[m.start():end]
        if moved:
            out(_renumber_row(row, n, eff))
        elif n == header_row and header_cells:
            out(_insert_cells(row, header_cells))
        else:
            out(rows[n])
            k += 1  # pending[k] == n: everything below n was written above
        pos = emit_from = end


_MERGE_REF = re.compile(rb'(<mergeCell\b[^>]*?\bref=")([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?(")')


def _shift_ref(m: re.Match, start: int, by: int) -> bytes:
    def row(v: bytes) -> bytes:
        n = int(v)
        return b"%d" % (n + by if n >= start else n)
    second = b":" + m.group(4) + row(m.group(5)) if m.group(4) else b""
    return m.group(1) + m.group(2) + row(m.group(3)) + second + m.group(6)


def _renumber_row(row: bytes, old: int, new: int) -> bytes:
    """A ``<row>`` moved from Excel row ``old`` to ``new`` (its cells' references too)."""
    row = re.sub(rb'(<row\b[^>]*?\sr=")%d(")' % old, rb"\g<1>%d\g<2>" % new, row, count=1)
    return re.sub(rb'(<c\b[^>]*?\sr="[A-Z]+)%d(")' % old, rb"\g<1>%d\g<2>" % new, row)


def new_sheet_xml(rows: list[bytes], widths: list[int]) -> bytes:
    cols = b"".join(b'<col min="%d" max="%d" width="%d" customWidth="1"/>' % (i, i, w)
                    for i, w in enumerate(widths, start=1))
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="' + MAIN_NS.encode() + b'" xmlns:r="' + REL_NS.encode() + b'">'
            b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            b'<sheetFormatPr defaultRowHeight="15"/><cols>' + cols + b'</cols>'
            b'<sheetData>' + b"".join(rows) + b'</sheetData></worksheet>')


def add_sheet(z: zipfile.ZipFile, name: str) -> tuple[str, dict[str, bytes]]:
    """(new part name, patched package parts) for adding sheet ``name`` at the end."""
    names = set(z.namelist())
    k = 1
    while f"xl/worksheets/sheet{k}.xml" in names:
        k += 1
    part = f"xl/worksheets/sheet{k}.xml"
    wb = z.read("xl/workbook.xml")
    if b"</sheets>" not in wb:
        raise Unsupported("workbook.xml layout")
    ids = [int(x) for x in re.findall(rb'<sheet\b[^>]*?sheetId="(\d+)"', wb)]
    rid = b"rIdMentorXl%d" % k
    # The relationships prefix is declared on the element itself: openpyxl and pandas
    # declare it on each <sheet>, not on the root, so a prefix found elsewhere may not be
    # in scope here (the file would not open).
    sheet = b'<sheet xmlns:r="%s" name="%s" sheetId="%d" r:id="%s"/>' % (
        REL_NS.encode(), _xml_text(name), max(ids, default=0) + 1, rid)
    wb = wb.replace(b"</sheets>", sheet + b"</sheets>", 1)
    rels = z.read("xl/_rels/workbook.xml.rels")
    rel = b'<Relationship Id="%s" Type="%s" Target="worksheets/sheet%d.xml"/>' % (rid, WS_TYPE.encode(), k)
    if b"</Relationships>" not in rels:
        raise Unsupported("rels layout")
    rels = rels.replace(b"</Relationships>", rel + b"</Relationships>", 1)
    ct = z.read("[Content_Types].xml")
    if b"</Types>" not in ct:
        raise Unsupported("content types layout")
    ct = ct.replace(b"</Types>", b'<Override PartName="/%s" ContentType="%s"/></Types>' % (
        part.encode(), WS_CONTENT.encode()), 1)
    return part, {"xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": ct}


def rewrite(src: Path, dst: Path, replace_parts: dict[str, bytes],
            stream_parts: dict[str, Callable[[object, Callable[[bytes], None]], None]],
            new_parts: dict[str, bytes]) -> None:
    """Copy the package ``src`` to ``dst``, substituting parts; streamed parts are written
    through ``fn(source_file, write)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
        for info in zin.infolist():
            out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            if info.filename in replace_parts:
                zout.writestr(out, replace_parts[info.filename])
            elif info.filename in stream_parts:
                with zin.open(info) as f, zout.open(out, "w", force_zip64=info.file_size > 1 << 30) as w:
                    stream_parts[info.filename](f, w.write)
            else:
                with zin.open(info) as f, zout.open(out, "w", force_zip64=info.file_size > 1 << 30) as w:
                    shutil.copyfileobj(f, w, CHUNK)
        for name, data in new_parts.items():
            zout.writestr(zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6]), data,
                          compress_type=zipfile.ZIP_DEFLATED)

