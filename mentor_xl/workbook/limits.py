"""Size and content guards for workbooks from outside (emailed returns, uploads, ``check``).

Run before any parser touches the file, so that the native reader never sees a file that
would make it exhaust memory or abort the process. Every figure is measured, never taken
from the file's own headers:

- the file's size (``MAX_BYTES``) and number of zip entries (``MAX_ENTRIES``);
- the bytes each zip entry really inflates to, streamed with a cap (``MAX_UNCOMPRESSED``
  in all; a ratio over ``MAX_RATIO`` for one entry is a bomb). A zip whose header
  under-declares an entry's size (with a CRC that matches the declared part) is caught
  here, because the deflate stream itself is inflated and counted;
- DTD and entity declarations anywhere in any XML part (not only in its first bytes: a DTD
  after 64 KB of padding is still a DTD). Excel never writes one; an entity can expand to
  gigabytes or read local files;
- each worksheet's real extent: the native reader allocates a dense grid from the
  top-left to the bottom-right cell, so one value in XFD1048576 asks for 17 billion cells.
  One pass per part, in C-speed searches only (the check runs on every read of a 1M-row log):
  the ``<dimension>``, the last row tag of each chunk (writers put rows in order) and every
  reference that can make a grid large — a column of two to four letters, a row of seven
  digits — in any case and with zeros in front, as the native reader accepts them. A cell
  written in any other form (no reference, other quotes, spaces around "=") is placed one by
  one as the native reader places it. A tag cut by a chunk's end is read whole with the next
  chunk. When a far column leaves a doubt (a part whose rows were not all seen), the part is
  scanned again cell by cell. A sheet over ``MAX_CELLS`` cells is refused before it is read.

Macros in .xlsm are never run: the reader only reads cell values. .xlsb and .ods content
is not scanned for extents (binary records, repeated-cell counts): returns in those formats
are read in the isolated worker (``mail.isolated``) under a memory limit.
"""
from __future__ import annotations

import itertools
import re
import zipfile
import zlib
from pathlib import Path

from mentor_xl.problems import FatalInputError
from mentor_xl.workbook.sniff import SPREADSHEETS, sniff

MAX_BYTES = 200 * 1024 ** 2  # the file as stored
MAX_UNCOMPRESSED = 2 * 1024 ** 3  # all zip entries unpacked (a 1M-row log is ~0.5 GB of XML)
MAX_RATIO = 200  # unpacked / packed for one entry; real sheets stay well below
RATIO_FLOOR = 1024 ** 2  # entries smaller than this are not ratio-checked
MAX_ENTRIES = 10_000
# Cells of one sheet's grid (rows × columns from A1): a 1M-row log of 16 columns is 16M;
# the native reader needs ~32 bytes a cell, so 40M cells is about 1.3 GB.
MAX_CELLS = 40_000_000
CHUNK = 1024 ** 2
MAX_TAG = CHUNK  # a tag still open this far after its "<" at a chunk's end: no writer makes one, refused
# Rows below this are not all seen by the fast pass (a 7-digit row always is): with columns A–Z
# only, 26 × 999,999 cells stay under MAX_CELLS, so the fast pass decides alone.
_UNSEEN_ROWS = 999_999
_VERIFY = 1000  # far references in one chunk checked one by one (in a tag, after a space) up to this

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_PART = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")  # in xl/workbook.xml
# what reading a part of a damaged zip may raise
_UNREADABLE = (KeyError, OSError, zipfile.BadZipFile, RuntimeError, zlib.error, NotImplementedError, EOFError,
               ValueError)  # a part name that is not UTF-8 as its flag says (UnicodeDecodeError)
# <mergeCell ref="B2:B4">: read in passing by the check, and by ``merges`` when it streams a part
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
MAX_MERGES = 100_000  # a sheet with more merges than this is not an office list: the rest are ignored
MERGES_ONLY = "merges only"  # sent to ``part_steps``: read on for <mergeCell> alone, no verdict
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
_ROW_TAG = re.compile(rb'<row\b[^>]*?\sr\s*=\s*["\']0*(\d*)["\']')
# References that can make a grid large, in the form every writer uses (r="…" right after the
# tag name): a column of two to four letters in either case (calamine reads AAAA), or a row of
# seven digits and more (zeros in front count for nothing). Row tags match too (no letters).
# "r=" is the literal the search runs on; where a match stands is checked afterwards.
_FAR_REF = re.compile(rb'r="([A-Za-z]{2,4}|[A-Za-z]?(?=0*[1-9]\d{6}))0*(\d*)')
# A cell in any other form — no reference (calamine puts it in the column after the previous
# cell), or r written with other quotes or spaces — is placed one by one as calamine places it.
# "c" is the literal the search runs on; the look-behind admits a namespace prefix (<x:c …>),
# which calamine reads as a cell too.
_ODD_CELL = re.compile(rb'c(?=[\s/>])(?<=[<:]c)(?! r=")')
_ROW_OR_CELL = re.compile(rb'<(?:\w+:)?(row|c)(?=[\s/>])[^>]*>')
# A reference in any form (a tag's own in ``_positions``; every one in the cell-by-cell pass).
_ANY_REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]{0,4})0*(\d*)["\']')


def size_text(n: float) -> str:
    """64 MB, 2 GB, 512 KB: a limit as people say it."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{int(n)} 字节"


def column_number(letters: bytes | str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in (letters.decode() if isinstance(letters, bytes) else letters).upper():
        n = n * 26 + ord(ch) - 64
    return n


def row_number(digits: bytes) -> int:
    """A row reference's digits (zeros in front already dropped); absurd lengths stay absurd."""
    return int(digits) if 0 < len(digits) <= 12 else (10 ** 12 if digits else 0)


def column_name(n: int) -> str:
    """1 → A, 16384 → XFD."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def check_workbook_file(path: str | Path, *, max_bytes: int = MAX_BYTES,
                        max_uncompressed: int = MAX_UNCOMPRESSED, max_ratio: float = MAX_RATIO,
                        max_entries: int = MAX_ENTRIES, max_cells: int = MAX_CELLS,
                        name: str | None = None) -> str:
    """Refuse a file that is not a safe workbook; return its format: "xlsx" (also
    xlsm/xlsb), "ods" or "xls".

    Raises FatalInputError with a Chinese reason naming the file (``name``, default the
    path's file name: callers reading a temporary copy pass the user's name).
    """
    return _check_file(path, max_bytes, max_uncompressed, max_ratio, max_entries, max_cells, name)[0]


def check_all_but(path: str | Path, part: str) -> tuple[str, int]:
    """``check_workbook_file`` (default limits) without the scan of one worksheet ``part``, which
    another process scans meanwhile with ``check_part`` (``aside``: the child loading that sheet).
    Returns the file's format and the bytes the other parts inflate to: with the part's own
    bytes they must stay within ``MAX_UNCOMPRESSED`` (``within_budget``). The caller takes
    nothing of ``part`` until its scan has passed. A refusal is the whole check's, word for word
    (the first bad part in the file's order, ``part`` included)."""
    try:
        return _check_file(path, MAX_BYTES, MAX_UNCOMPRESSED, MAX_RATIO, MAX_ENTRIES, MAX_CELLS, None, skip=part)
    except FatalInputError:
        check_workbook_file(path)  # the very refusal the whole check gives (it may be ``part``'s)
        raise


def _check_file(path: str | Path, max_bytes: int, max_uncompressed: int, max_ratio: float, max_entries: int,
                max_cells: int, name: str | None, skip: str | None = None) -> tuple[str, int]:
    p = Path(path)
    name = name or p.name
    if not p.is_file():
        raise FatalInputError(f"找不到工作簿文件：{p}")
    size = p.stat().st_size
    if size == 0:
        raise FatalInputError(f"文件“{name}”是空文件，不是 Excel 工作簿")
    if size > max_bytes:
        raise FatalInputError(f"文件“{name}”过大（{size_text(size)}，上限 {size_text(max_bytes)}），已拒绝读取")
    kind = sniff(p)
    if kind.kind == "encrypted":
        raise FatalInputError(f"工作簿“{name}”设有打开密码，无法读取。请在 Excel 中取消密码后再提交")
    if kind.kind not in SPREADSHEETS:
        desc = kind.desc or "未知格式"
        if "文档" in desc or "演示文稿" in desc:
            raise FatalInputError(f"文件“{name}”是其他 Office 文档（{desc}），不是 Excel 工作簿")
        raise FatalInputError(f"文件“{name}”不是 Excel 工作簿（内容是{desc}），请在 Excel 或 WPS 中另存为 .xlsx 后再提交")
    if kind.kind == "xls":
        return "xls", 0
    try:
        with zipfile.ZipFile(p) as z:
            total = _check_zip(name, z, max_uncompressed, max_ratio, max_entries, max_cells, skip)
    except zipfile.BadZipFile as e:
        raise _damaged(name) from e
    except _BROKEN as e:
        raise _broken(name) from e
    return ("ods" if kind.kind == "ods" else "xlsx"), total


def within_budget(spent: int, part_bytes: int) -> bool:
    """Whether the parts ``check_all_but`` scanned and the part it left stay within the budget."""
    return spent + part_bytes <= MAX_UNCOMPRESSED


def check_part(path: str | Path, part: str, *, name: str | None = None) -> int:
    """The check of one part alone, as ``check_workbook_file`` makes it (inflated and counted,
    compression ratio, DTDs, a worksheet's extent; default limits): the bytes it inflates to."""
    return _to_the_end(part_steps(path, part, name=name))


def _to_the_end(steps) -> int:
    """A part's check (``_part_steps``) run through: its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def part_steps(path: str | Path, part: str, *, name: str | None = None, found: dict | None = None,
               merges_only: bool = False):
    """``check_part`` a chunk at a time: a generator that yields after each MB and returns the
    bytes (``StopIteration.value``), for a caller that checks while it waits for something else.
    ``found`` (a worksheet part): given, once the check is through, what the reader would stream
    the part again for — ``merges``, its (first, last) cell references of each ``<mergeCell>``
    (bytes), and ``dimension``, its ``<dimension ref>``.

    ``send(MERGES_ONLY)`` instead of ``next``: the check is given up where it stands and the rest
    of the part is read for its merged ranges alone, within the same limits of size and ratio,
    to the end (``StopIteration``, value None: no verdict). ``found`` then has them, unless the
    part is no worksheet in UTF-8. ``merges_only``: the part read that way from its start, a MB
    a step (no verdict; ``found`` as with ``MERGES_ONLY``)."""
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as z:
            info = z.getinfo(part)
            return (yield from _part_steps(name or p.name, z, info, _declared_sheets(z), MAX_UNCOMPRESSED,
                                           MAX_RATIO, MAX_CELLS, found, merges_only))
    except zipfile.BadZipFile as e:
        raise _damaged(name or p.name) from e
    except _BROKEN as e:
        raise _broken(name or p.name) from e


# what zipfile raises, besides BadZipFile, on an entry whose record does not hold: data running
# past the end of the file (EOFError), flags it does not read (compressed patched data …), a
# name not in the encoding its flag says
_BROKEN = (EOFError, NotImplementedError, UnicodeDecodeError)


def _damaged(name: str) -> FatalInputError:
    """zipfile's own reason is English: the user gets it in words, the traceback keeps it."""
    return FatalInputError(f"文件“{name}”已损坏（不是完整的压缩包），无法作为 Excel 工作簿打开")


def _broken(name: str) -> FatalInputError:
    return FatalInputError(f"文件“{name}”已损坏（压缩包中的条目记录与内容不符），无法作为 Excel 工作簿打开")


def _check_zip(name: str, z: zipfile.ZipFile, max_uncompressed: int, max_ratio: float,
               max_entries: int, max_cells: int, skip: str | None = None) -> int:
    infos = z.infolist()
    if len(infos) > max_entries:
        raise FatalInputError(f"文件“{name}”内部条目过多（{len(infos)} 个），疑似恶意文件，已拒绝读取")
    total = 0
    sheets = _declared_sheets(z)
    if skip is not None and sum(i.filename == skip for i in infos) != 1:
        skip = None  # two entries of that name (or none): which one a reader takes is its own affair
    for info in infos:
        if info.filename == skip:
            continue
        total += _to_the_end(_part_steps(name, z, info, sheets, max_uncompressed - total, max_ratio, max_cells))
    return total


def ratio_cap(info: zipfile.ZipInfo, max_ratio: float = MAX_RATIO) -> float:
    """The most bytes ``info``'s entry may inflate to before its compression ratio is refused."""
    return max(RATIO_FLOOR, max_ratio * max(info.compress_size, 1))


def _part_steps(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo, sheets: set[str], budget: int,
                max_ratio: float, max_cells: int, found: dict | None = None, merges_only: bool = False):
    xml = bool(_XML_PART.search(info.filename)) or info.filename == "[Content_Types].xml"
    sheet = bool(_SHEET_PART.match(info.filename)) or info.filename in sheets
    scan = _Scan(name, info, xml, sheet, z)
    most = ratio_cap(info, max_ratio)
    n = 0
    skim = merges_only
    if skim and (found is None or not sheet):
        return None
    for chunk in inflate(name, z, info, budget):
        n += len(chunk)
        if n > most:
            raise FatalInputError(f"文件“{name}”中的“{info.filename}”压缩比异常（超过 {max_ratio:.0f} 倍），"
                                  "疑似压缩炸弹，已拒绝读取")
        if skim:
            scan.skim(chunk)
            if merges_only:  # a step each MB, as the check's (after ``MERGES_ONLY``: to the end)
                if scan.utf16:
                    return None
                yield
            continue
        scan.feed(chunk)
        if (yield) == MERGES_ONLY:
            if found is None or not sheet or scan.utf16:
                return None
            skim = True
    if skim:
        found.update(merges=scan.merges, dimension=scan.dim_ref)
        return None
    scan.done(n, max_cells)
    if found is not None:
        found.update(merges=scan.merges, dimension=scan.dim_ref)
    return n


_WS_OVERRIDE = re.compile(rb'<Override\b[^>]*?PartName="/?([^"]+)"[^>]*?ContentType="[^"]*worksheet\+xml"')


def merges_in(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[list, str] | None:
    """A worksheet part's ``<mergeCell>`` references and ``<dimension ref>``, read for those alone
    (``_Scan.skim``) and never inflated further than the check allows (the part may not be checked
    yet: a big log's, checked by the child that loaded it). None: over the limits, not inflatable,
    or in UTF-16 (the check says why, or finds nothing to merge)."""
    scan = _Scan(name, info, True, True, z)
    try:
        for chunk in inflate(name, z, info, min(MAX_UNCOMPRESSED, ratio_cap(info))):
            scan.skim(chunk)
    except FatalInputError:
        return None
    return None if scan.utf16 else (scan.merges, scan.dim_ref)


def _declared_sheets(z: zipfile.ZipFile) -> set[str]:
    """Worksheet parts wherever the package puts them ([Content_Types].xml overrides)."""
    try:
        with z.open("[Content_Types].xml") as f:
            head = f.read(1024 ** 2)
    except _UNREADABLE:
        return set()
    return {m.group(1).decode("utf-8", "replace") for m in _WS_OVERRIDE.finditer(head)}


def inflate(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int):
    """The entry's real content in chunks, inflated from its own deflate stream (the
    sizes and CRC in its header are not trusted), stopped as soon as ``budget`` is spent."""
    if info.flag_bits & 0x1:
        raise FatalInputError(f"文件“{name}”中的“{info.filename}”已加密，无法读取")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FatalInputError(f"文件“{name}”使用了 Excel 不使用的压缩方式，无法读取")
    raw = zipfile.ZipInfo(info.filename)
    for attr in ("header_offset", "flag_bits", "compress_size", "extract_version", "create_version"):
        setattr(raw, attr, getattr(info, attr))
    raw.compress_type = zipfile.ZIP_STORED  # the stored bytes: the deflate stream as it is
    raw.file_size = info.compress_size
    raw.CRC = None
    over = FatalInputError(f"文件“{name}”解压后超过 {size_text(budget if budget > 0 else 0)}"
                           "（按实际解压的字节计），疑似压缩炸弹，已拒绝读取")
    with z.open(raw) as f:
        if info.compress_type == zipfile.ZIP_STORED:
            while chunk := f.read(CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise over
                yield chunk
            return
        d = zlib.decompressobj(-15)
        while True:
            data = d.unconsumed_tail or f.read(CHUNK)
            if not data:
                break
            try:
                chunk = d.decompress(data, CHUNK)
            except zlib.error:
                raise FatalInputError(f"文件“{name}”中的“{info.filename}”已损坏，无法解压（压缩数据不完整或有误）") from None
            budget -= len(chunk)
            if budget < 0:
                raise over
            if chunk:
                yield chunk
            if d.eof:
                break


class _Scan:
    """DTDs in an XML part; the grid extent of a worksheet part. Fed chunk by chunk."""

    def __init__(self, name: str, info: zipfile.ZipInfo, xml: bool, sheet: bool, z: zipfile.ZipFile):
        self.name, self.info, self.part, self.xml, self.sheet, self.zip = name, info, info.filename, xml, sheet, z
        self.tail = b""
        self.first = True
        self.utf16 = False
        self.utf16_chunks: list[bytes] = []
        self.max_row = self.max_col = 0
        self.dim_cells, self.dim_ref = 0, ""
        self.merges: list[tuple[bytes, bytes]] = []  # <mergeCell ref="B2:B4">, passed over on the way

    def _begin(self, chunk: bytes) -> None:
        self.first = False
        # UTF-16 parts would hide the markup from a byte search: decoded at the end
        self.utf16 = chunk[:2] in (b"\xff\xfe", b"\xfe\xff")
        if self.sheet:
            self._dimension(chunk)  # <dimension> comes before the data

    def _dimension(self, buf: bytes) -> None:
        m = _DIMENSION.search(buf)
        if m:
            rows = max(row_number(m.group(2) or b"1"), row_number(m.group(4) or b"1"))
            cols = max(column_number(m.group(1) or b"A"), column_number(m.group(3) or b"A"))
            self.dim_cells = rows * cols
            self.dim_ref = m.group(0).split(b'ref="')[1].rstrip(b'"').decode()

    def feed(self, chunk: bytes) -> None:
        if not self.xml:
            return
        if self.first:
            self._begin(chunk)
        if self.utf16:
            self.utf16_chunks.append(chunk)  # capped by the inflate budget
            return
        buf = self.tail + chunk
        if b"!" in buf and b"<!" in buf and _DTD.search(buf):  # memchr for the rare "!" first
            self._dtd()
        self.tail = self._open_tag(buf)
        if self.sheet:  # the open tag is read whole with the next chunk, not here
            end = len(buf) - len(self.tail)
            self._extent(buf, end)
            if b"mergeCell" in buf and len(self.merges) < MAX_MERGES:  # after the rows: found in passing
                self.merges += MERGE_REF.findall(buf, 0, end)[:MAX_MERGES - len(self.merges)]

    def skim(self, chunk: bytes) -> None:
        """``feed`` for the ``<dimension>`` and the ``<mergeCell>`` references alone (``MERGES_ONLY``,
        ``merges_in``); nothing in a UTF-16 part."""
        if self.first:
            self._begin(chunk)
        if self.utf16:
            return
        if not self.dim_ref:  # not in the first chunk (a small one): at the head of a later one
            self._dimension(self.tail + chunk[:4096])
        tail = self.tail  # the open tag the last chunk ended in: the chunk is copied only for merges
        if len(self.merges) < MAX_MERGES and (b"mergeCell" in chunk or (tail and b"mergeCell" in tail + chunk[:64])):
            buf = tail + chunk
            self.tail = self._open_tag(buf)
            self.merges += MERGE_REF.findall(buf, 0, len(buf) - len(self.tail))[:MAX_MERGES - len(self.merges)]
        elif tail and b">" not in chunk:  # that tag goes on through this chunk
            self.tail = self._open_tag(tail + chunk)
        else:
            self.tail = self._open_tag(chunk)

    def _open_tag(self, buf: bytes) -> bytes:
        """The tag the chunk ends in, to be read whole with the next chunk (a reference or a DTD
        is never cut in two, however long a crafted one is)."""
        lt = buf.rfind(b"<")
        if lt == -1 or buf.rfind(b">") > lt:
            return b""
        if len(buf) - lt > MAX_TAG:
            raise FatalInputError(f"文件“{self.name}”中的“{self.part}”含有超长的 XML 标记（超过 {size_text(MAX_TAG)}），"
                                  "正常的 Excel 文件不会有，疑似恶意文件，已拒绝读取")
        return buf[lt:]

    def _extent(self, buf: bytes, end: int) -> None:
        buf = buf[:end] if end < len(buf) else buf
        # rows come in order: the last row tag of a chunk is its largest
        while (last := buf.rfind(b"<row", 0, end)) != -1:
            m = _ROW_TAG.match(buf, last)  # not <rowBreaks>, not a tag cut by the chunk's end
            if m:
                self.max_row = max(self.max_row, row_number(m.group(1)))
                break
            end = last
        self._far(buf)
        if _odd_cell(buf):
            self._positions(buf)

    def _positions(self, buf: bytes) -> None:
        """Where every cell of the chunk lands, as calamine places it (a cell with no reference
        goes after the previous one). A row begun in an earlier chunk continues from the farthest
        column seen so far (an upper bound)."""
        row, col = self.max_row, max(self.max_col, 26)
        for m in _ROW_OR_CELL.finditer(buf):
            tag = m.group(0)
            ref = _ANY_REF.search(tag)
            if m.group(1) == b"row":
                row = row_number(ref.group(2)) if ref and ref.group(2) else row + 1
                col = 0
            elif ref and ref.group(1):
                col = column_number(ref.group(1))
                row = max(row, row_number(ref.group(2)))
            else:
                col += 1
            self.max_col = max(self.max_col, col)
            self.max_row = max(self.max_row, row)

    def _far(self, buf: bytes) -> None:
        at = _far_candidates(buf)
        if at is None:  # many: a wide sheet's columns beyond Z, found by the regex alone
            found = _FAR_REF.findall(buf)
            matches = None
        else:
            matches = [m for m in map(_FAR_REF.match, itertools.repeat(buf), at) if m is not None]
            found = [m.groups() for m in matches]
        if not found:
            return
        if len(found) <= _VERIFY:  # few: keep those that are attributes of a tag (not cell text)
            found = [m.groups() for m in (matches if matches is not None else _FAR_REF.finditer(buf))
                     if _in_tag(buf, m.start())]
            if not found:
                return
        self._take(found)  # many (a wide sheet's columns beyond Z) are all taken, unchecked

    def _take(self, refs: list[tuple[bytes, bytes]]) -> None:
        """The farthest column and row among (letters, digits) references, each distinct value once."""
        letters, digits = zip(*refs)
        cols = set(letters) - {b""}
        if cols:
            self.max_col = max(self.max_col, max(map(column_number, cols)))
        self.max_row = max(self.max_row, max(map(row_number, set(digits))))

    def _exact(self) -> None:
        """Every row tag and cell reference of the part, inflated again (only for a part with
        far columns whose rows the fast pass could not all see)."""
        tail = b""
        for chunk in inflate(self.name, self.zip, self.info, MAX_UNCOMPRESSED):
            buf = tail + chunk
            refs = _ANY_REF.findall(buf)
            if refs:
                self._take(refs)
            rows = _ROW_TAG.findall(buf)
            if rows:
                self.max_row = max(self.max_row, max(map(row_number, set(rows))))
            tail = self._open_tag(buf)

    def done(self, size: int, max_cells: int) -> None:
        if self.utf16:
            text = b"".join(self.utf16_chunks).decode("utf-16", errors="ignore").encode("utf-8")
            self.utf16_chunks = []
            if _DTD.search(text):
                self._dtd()
            return
        if not self.sheet:
            return
        cells = self.max_row * max(self.max_col, 1)
        if cells <= max_cells and max(self.max_row, _UNSEEN_ROWS) * max(self.max_col, 26) > max_cells:
            self._exact()  # a far column, rows not all seen: count them all
            cells = self.max_row * max(self.max_col, 1)
        far = f"{column_name(max(self.max_col, 1))}{max(self.max_row, 1)}"
        if self.dim_cells > cells:
            cells, far = self.dim_cells, f"{self.dim_ref}（工作表声明的范围）"
        if cells > max_cells:
            raise FatalInputError(
                f"文件“{self.name}”中的工作表“{_sheet_name(self.zip, self.part)}”范围过大（到 {far} 单元格，约 {cells:,} 个单元格，"
                f"上限 {max_cells:,}），读取会耗尽内存，已拒绝读取。请删除远处的单元格后另存")

    def _dtd(self) -> None:
        raise FatalInputError(f"文件“{self.name}”中的“{self.part}”含有 DTD/实体声明，"
                              "正常的 Excel 文件不会有，疑似恶意文件，已拒绝读取")


def sheet_names(path: str | Path) -> list[str]:
    """The workbook's sheet names by regular expressions over the first MB of xl/workbook.xml,
    for use before the file is checked (no XML parser, a bounded read); [] when unreadable."""
    try:
        with zipfile.ZipFile(path) as z:
            wb = _head_text(z, "xl/workbook.xml")
    except _UNREADABLE:
        return []
    return [n for tag in _SHEET_TAG.finditer(wb) if (n := _attr(tag.group(0), "name")) is not None]


def sheet_part(path: str | Path, sheet: str) -> str | None:
    """The part (xl/worksheets/sheet7.xml) of the sheet named ``sheet``, by bounded regular
    expressions; None when it is not plainly one existing part that the native reader reads for
    that sheet and for no other. The part is left out of the parent's check (``check_all_but``):
    a part the native reader could also read for another sheet would be read here unchecked.
    So any doubt is None (the whole check then runs first): a part list longer than a MB; a
    comment, CDATA or character reference (seen by one reader and not the other); attributes in
    other quotes or with spaces around "="; a tag with two names or two ids (calamine takes an
    id of any prefix, the last); a relationship named by two sheets or twice in the rels; a
    second relationship or zip entry reaching the part by another case or slash; a workbook
    that ``_rels/.rels`` puts elsewhere (newer calamine follows it)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if not all(_only(names, p) for p in ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
                return None
            top, wb, rels = (_whole_text(z, p) for p in ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
    except _UNREADABLE:
        return None
    texts = (top, wb, rels)
    if any(t is None or _ODD_XML.search(t) or any(_ODD_ATTR.search(tag) for tag in re.findall(r"<[^>]*>", t))
           for t in texts):
        return None
    docs = [r for r in _REL_TAG.findall(top) if (_attr(r, "Type") or "").endswith("/relationships/officeDocument")]
    if top.count("/relationships/officeDocument\"") != 1 or len(docs) != 1 or \
            _attr(docs[0], "Target") not in ("xl/workbook.xml", "/xl/workbook.xml"):
        return None
    if len(re.findall(r"<[\w.:-]*sheet[\s/>]", wb)) != len(_SHEET_TAG.findall(wb)):
        return None  # a sheet tag the regular expression would miss (<a.b:sheet …>)
    tags = [t.group(0) for t in _SHEET_TAG.finditer(wb) if _attr(t.group(0), "name") == sheet]
    if len(tags) != 1 or not re.match(r"<(?:[\w.-]+:)?sheet[\s/>]", tags[0]) or tags[0].count('name="') != 1:
        return None
    ids = re.findall(r'(?:^|[\s:])id="([^"]*)"', tags[0])
    if len(ids) != 1 or not ids[0] or wb.count(f'"{ids[0]}"') != 1 or rels.count(f'"{ids[0]}"') != 1:
        return None
    found = [r for r in _REL_TAG.findall(rels) if re.search(r'(?:^|[\s:])Id="' + re.escape(ids[0]) + '"', r)]
    if len(found) != 1 or found[0].count('Target="') != 1 or not (t := _attr(found[0], "Target")):
        return None
    part = t[1:] if t.startswith("/") else "xl/" + t
    if part not in names or not _SHEET_PART.match(part) or not _only(names, part):
        return None
    base = part.rsplit("/", 1)[-1].lower()
    return part if rels.replace("\\", "/").lower().count(base) == 1 else None


_REL_TAG = re.compile(r"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_ODD_XML = re.compile(r"<!|&#|<\?(?!xml\s)")  # comments, CDATA, DTDs, character references, processing instructions
_ODD_ATTR = re.compile(r"\s=|=\s|='")  # an attribute the regular expressions would not read as the XML parser does


def _only(names: list[str], part: str) -> bool:
    """Whether ``part`` is one zip entry, however a reader that ignores case and slashes looks it up."""
    key = part.lower()
    return sum(n.replace("\\", "/").lower() == key for n in names) == 1


def _whole_text(z: zipfile.ZipFile, part: str) -> str | None:
    """A part as text when it is at most a MB (a bounded read; the part may not be checked yet)."""
    with z.open(part) as f:
        data = f.read(1024 ** 2 + 1)
    return data.decode("utf-8", "replace") if len(data) <= 1024 ** 2 else None


def _head_text(z: zipfile.ZipFile, part: str) -> str:
    """The first MB of a part as text: a bounded read, for a part not yet checked (a bomb)."""
    with z.open(part) as f:
        return f.read(1024 ** 2).decode("utf-8", "replace")


def _attr(tag: str, name: str) -> str | None:
    """An attribute's value in a tag, its entities replaced."""
    m = re.search(r'\b' + name + r'="([^"]*)"', tag)
    if m is None:
        return None
    return _unescape(m.group(1))


def _unescape(text: str) -> str:
    """``xml.sax.saxutils.unescape`` with &quot; and &apos;, without importing it (it imports
    urllib.request, ssl and email: 25 ms before the log's child could start)."""
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


# The two searches every chunk of every sheet goes through, by numpy over the chunk's bytes: a
# regex stops at each of a sheet's r=" and c (~5 ms a MB, 0.4 s of a 200k-row log's part), numpy
# compares the bytes two at a time (~1.5 ms a MB). They only narrow down where to look: the
# regexes above still decide at each place found.
_FEW = 1000  # more places than this (a wide sheet beyond Z): the regex alone, in one C call
_PAD = 8  # zeros after a chunk, so that the bytes after a place near its end can be read


def _bytes(buf: bytes):
    """numpy, the chunk's bytes with ``_PAD`` zeros after them."""
    import numpy as np  # here: the command line starts the log's child before numpy is imported

    return np, np.frombuffer(buf + bytes(_PAD), dtype=np.uint8)


def _pairs(np, buf: bytes, pair: bytes):
    """Where the two bytes ``pair`` stand in ``buf`` (unordered): compared as one 16-bit word at
    even offsets, then at odd ones."""
    word = int.from_bytes(pair, "little")
    n = len(buf)
    even = np.flatnonzero(np.frombuffer(buf, "<u2", count=n // 2) == word) * 2
    odd = np.flatnonzero(np.frombuffer(buf, "<u2", count=(n - 1) // 2, offset=1) == word) * 2 + 1
    return np.concatenate([even, odd])


def _far_candidates(buf: bytes):
    """Where ``_FAR_REF`` may match in ``buf`` (the places of its r="), in order: each r=" followed
    by two letters, or by a digit six places after one letter or none (a match has seven digits
    there); None when there are more than ``_FEW``."""
    if len(buf) < 3:
        return []
    np, b = _bytes(buf)
    eq = _pairs(np, buf, b'="')
    r = eq[eq >= 1]
    r = r[b[r - 1] == 0x72] - 1  # r="
    at = r + 3
    # in uint8, "- lo < n" is "lo <= x < lo + n": below lo wraps round to 255 and under
    letter0 = (b[at] | 0x20) - 0x61 < 26
    letter1 = (b[at + 1] | 0x20) - 0x61 < 26
    digit6 = b[at + letter0 + 6] - 0x30 < 10  # [A-Za-z]? is tried both ways; a letter is never a digit
    places = r[(letter0 & letter1) | digit6]
    return None if len(places) > _FEW else np.sort(places).tolist()


def _odd_cell(buf: bytes) -> bool:
    """``_ODD_CELL.search(buf)``: a "c" after "<" or ":" and before a space, "/" or ">", that is
    not followed by ' r="'."""
    if len(buf) < 3:
        return _ODD_CELL.search(buf) is not None
    np, b = _bytes(buf)
    c = np.concatenate([_pairs(np, buf, b"<c"), _pairs(np, buf, b":c")]) + 1
    nxt = b[c + 1]
    c = c[(c + 1 < len(buf)) & ((nxt == 0x20) | (nxt - 0x09 < 5) | (nxt == 0x2F) | (nxt == 0x3E))]  # [\s/>]
    odd = c[~((b[c + 1] == 0x20) & (b[c + 2] == 0x72) & (b[c + 3] == 0x3D) & (b[c + 4] == 0x22))]  # ' r="'
    if len(odd) > _FEW:  # a sheet of odd cells: the regex, in one C call
        return _ODD_CELL.search(buf) is not None
    return any(_ODD_CELL.match(buf, p) for p in np.sort(odd).tolist())


def _in_tag(buf: bytes, pos: int) -> bool:
    """Whether ``pos`` is an attribute inside a tag (after a space, after the last "<"), not
    cell text; with neither "<" nor ">" before it in the buffer it counts as one."""
    if pos == 0 or buf[pos - 1:pos] not in (b" ", b"\t", b"\r", b"\n"):
        return False
    lt, gt = buf.rfind(b"<", 0, pos), buf.rfind(b">", 0, pos)
    return lt > gt or lt == gt == -1


def _sheet_name(z: zipfile.ZipFile, part: str) -> str:
    """The name people see for a worksheet part (regular expressions only: no XML parser
    runs on a file that is being refused; bounded reads: the parts named may not be checked yet)."""
    try:
        wb = _head_text(z, "xl/workbook.xml")
        rels = _head_text(z, "xl/_rels/workbook.xml.rels")
    except _UNREADABLE:
        return part
    target = part.removeprefix("xl/")
    rid = None
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        t = re.search(r'Target="/?(?:xl/)?([^"]+)"', rel.group(0))
        i = re.search(r'\bId="([^"]+)"', rel.group(0))
        if t and i and t.group(1) == target:
            rid = i.group(1)
            break
    for tag in _SHEET_TAG.finditer(wb):
        if rid and re.search(r':id="' + re.escape(rid) + '"', tag.group(0)):
            name = _attr(tag.group(0), "name")
            if name is not None:
                return name
    return part
