"""Packing an XlsxWriter workbook into its .xlsx file, faster.

``Workbook.close`` spends most of its time outside the cells: zlib at its default level,
one part after the other, and the shared string table written one string at a time
through XlsxWriter's generic XML writer. For a results workbook of a 200k-row log that
was close to a second. ``FastWorkbook`` keeps everything XlsxWriter decides (which parts,
their XML) and changes only how the parts get into the zip:

- parts are deflated in chunks by a thread pool (zlib releases the GIL), each chunk an
  independent deflate stream ended by a sync flush, so the chunks of one part concatenate
  into one valid stream (what pigz does), written in order with CRC and sizes;
- parts of ``BIG_PART`` bytes or more use zlib level ``FAST_LEVEL``: a fifth of the time of
  the default level for a file about a third larger; small parts keep the default;
- the shared strings that need no escaping (nearly all) are written in one join; the rest
  go through XlsxWriter's own ``_write_si``, so the part is byte for byte XlsxWriter's —
  except for text shaped like its rich-string markup ``<r>…</r>``, which XlsxWriter would
  paste into the XML unescaped (a typed cell could break the file): mentor_xl writes no
  rich strings, so every shared string is written as the text it is.

The workbook's contents are unchanged. A part set too large for a zip without ZIP64, or a
target that cannot seek, is packed by XlsxWriter's own ZipFile code instead.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import struct
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

BIG_PART = 1 << 20  # bytes: parts this large are deflated at FAST_LEVEL
FAST_LEVEL = 2  # zlib level for big parts (6 is zlib's default, XlsxWriter's choice)
CHUNK = 4 << 20  # bytes deflated per task
ZIP32_LIMIT = 0xFFFF0000  # all parts together stay below this: no ZIP64 records needed
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the date Excel and XlsxWriter give parts
_DOS_TIME = 0


def workers() -> int:
    """Threads that deflate parts (the pool is only used with two cores or more)."""
    return max(1, min(4, os.cpu_count() or 1))


class TextWorksheet(Worksheet):
    """A worksheet whose constant_memory (inline) strings shaped like ``<r>…</r>`` are written
    as text, as ``_SharedStrings`` does for the shared ones (XlsxWriter pastes them in as
    rich-text markup; mentor_xl writes no rich strings)."""

    def _xml_rich_inline_string(self, string, attributes=[]) -> None:  # noqa: B006 (XlsxWriter's signature)
        self._xml_inline_string(string, False, attributes)  # "<r>…</r>" has no edge whitespace

    def _write_optimized_sheet_data(self) -> None:
        # XlsxWriter's copy of the constant_memory rows into the sheet's XML, as bytes: its own
        # decodes and re-encodes every character (tens of MB for a big sheet).
        out = getattr(self.fh, "buffer", None)
        if self.dim_rowmin is None or out is None or self.row_data_fh_closed:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.flush()
        self.fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, out, 1 << 20)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


class FastWorkbook(Workbook):
    """An XlsxWriter ``Workbook`` whose ``close`` packs the parts with ``write_zip``, and whose
    worksheets write every string as text (``TextWorksheet``): no rich strings."""

    def add_worksheet(self, name=None, worksheet_class=None):
        return super().add_worksheet(name, worksheet_class or TextWorksheet)

    def _store_workbook(self) -> None:
        # XlsxWriter opens its ZipFile on ``self.filename`` first; it is handed a scratch buffer
        # and no parts (our packager writes the real file and returns an empty list).
        target = self.filename
        self._mentor_xl_target = target
        self.filename = io.BytesIO()
        try:
            super()._store_workbook()
        finally:
            self.filename = target

    def _get_packager(self):
        return _Packager(getattr(self, "_mentor_xl_target", self.filename), self.allow_zip64)


class _Packager(Packager):
    def __init__(self, target, allow_zip64: bool):
        super().__init__()
        self._target, self._allow_zip64 = target, allow_zip64

    def _create_package(self):
        parts = super()._create_package()
        write_zip(self._target, parts, allow_zip64=self._allow_zip64, in_memory=self.in_memory)
        return []

    def _write_shared_strings_file(self) -> None:
        # XlsxWriter's method with a faster string writer (same XML).
        sst = _SharedStrings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


# Strings XlsxWriter writes other than as <si><t>text</t></si>: with characters to escape
# (& < >, control characters, "_xHHHH_"), leading or trailing whitespace (xml:space), or
# looking like its rich-string markup "<r>…</r>". Anything with "_" or "<" is sent to
# XlsxWriter, which is more than needed and always right.
_SPECIAL = re.compile(r"[&<>_\x00-\x1f]|^\s|\s$")


class _SharedStrings(SharedStrings):
    def _write_sst_strings(self) -> None:
        plain: list[str] = []
        for s in self.string_table.string_array:
            if _SPECIAL.search(s) is None:
                plain.append(s)
                continue
            self._flush(plain)
            self._write_si(s)
        self._flush(plain)

    def _write_si(self, string: str) -> None:
        if string.startswith("<r>") and string.endswith("</r>"):  # text, not markup (see above)
            self._xml_si_element(self._escape_control_characters(string))
        else:
            super()._write_si(string)

    def _flush(self, plain: list[str]) -> None:
        if plain:
            self.fh.write("<si><t>" + "</t></si><si><t>".join(plain) + "</t></si>")
            plain.clear()


# --------------------------------------------------------------------------- zip

def _source_size(src) -> int:
    """Bytes of a part (at most, for text held in a StringIO: 4 UTF-8 bytes a character)."""
    if isinstance(src, (str, os.PathLike)):
        return os.path.getsize(src)
    data = src.getvalue()
    return len(data) * (4 if isinstance(data, str) else 1)


def _chunks(src, is_binary: bool) -> Iterator[bytes]:
    """The bytes of one part, ``CHUNK`` at a time."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as fh:
            while True:
                data = fh.read(CHUNK)
                if not data:
                    return
                yield data
    data = src.getvalue()
    if not is_binary and isinstance(data, str):
        data = data.encode("utf-8")
    for i in range(0, max(len(data), 1), CHUNK):
        yield data[i:i + CHUNK]


def _deflate(data: bytes, level: int, last: bool) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, as zip stores it
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _local_header(name: bytes, crc: int = 0, csize: int = 0, usize: int = 0) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE,
                       crc, csize, usize, len(name), 0) + name


def _central_entry(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, 0, zlib.DEFLATED,
                       _DOS_TIME, _DOS_DATE, crc, csize, usize, len(name), 0, 0, 0, 0,
                       0o100600 << 16, offset) + name


def write_zip(target, parts, *, allow_zip64: bool = False, in_memory: bool = False) -> None:
    """Write ``parts`` — XlsxWriter's list of (source, name in the zip, is_binary), a source
    being a temporary file path or, in in_memory mode, a StringIO/BytesIO — as the zip
    ``target`` (a path or a seekable binary file object). Temporary files are removed."""
    total = sum(_source_size(src) for src, _, _ in parts)
    own = isinstance(target, (str, os.PathLike))
    try:
        if total >= ZIP32_LIMIT or not (own or (hasattr(target, "seek") and target.seekable())):
            _write_zip_stdlib(target, parts, allow_zip64)
            return
        fh = open(target, "wb") if own else target
        try:
            _write_zip_parallel(fh, parts)
        finally:
            if own:
                fh.close()
    finally:
        if not in_memory:
            for src, _, _ in parts:
                try:
                    os.remove(src)
                except OSError:
                    pass


def _write_zip_stdlib(target, parts, allow_zip64: bool) -> None:
    # What XlsxWriter itself does (ZIP64 only when the workbook allows it), parts streamed.
    from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

    with ZipFile(target, "w", compression=ZIP_DEFLATED, allowZip64=allow_zip64) as zf:
        for src, name, is_binary in parts:
            info = ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=allow_zip64) as out:
                for data in _chunks(src, is_binary):
                    out.write(data)


class _Entry:
    __slots__ = ("name", "offset", "crc", "csize", "usize", "chunks_left")

    def __init__(self, name: bytes):
        self.name, self.offset, self.crc, self.csize, self.usize, self.chunks_left = name, 0, 0, 0, 0, 0


def _write_zip_parallel(fh, parts) -> None:
    base = fh.tell()
    entries: list[_Entry] = []
    pending: deque = deque()  # (entry, first chunk?, last chunk?, future or bytes), in file order
    n = workers()
    pool = ThreadPoolExecutor(n, thread_name_prefix="xlsx-deflate") if n > 1 else None

    def write_one() -> None:
        entry, first, last, job = pending.popleft()
        data = job.result() if pool is not None else job
        if first:
            entry.offset = fh.tell() - base
            fh.write(_local_header(entry.name))
        fh.write(data)
        entry.csize += len(data)
        if last:  # CRC and sizes into the local header written before the data
            end = fh.tell()
            fh.seek(base + entry.offset + 14)
            fh.write(struct.pack("<III", entry.crc, entry.csize, entry.usize))
            fh.seek(end)

    try:
        for src, name, is_binary in parts:
            entry = _Entry(name.encode("utf-8"))
            entries.append(entry)
            level = FAST_LEVEL if _source_size(src) >= BIG_PART else zlib.Z_DEFAULT_COMPRESSION
            chunks = _chunks(src, is_binary)
            data = next(chunks, b"")
            first = True
            while True:
                nxt = next(chunks, None)
                last = nxt is None
                entry.crc = zlib.crc32(data, entry.crc)
                entry.usize += len(data)
                job = pool.submit(_deflate, data, level, last) if pool is not None else _deflate(data, level, last)
                pending.append((entry, first, last, job))
                while len(pending) > 2 * n:  # bounded memory: a few chunks in flight
                    write_one()
                if last:
                    break
                data, first = nxt, False
        while pending:
            write_one()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if any(e.csize >= ZIP32_LIMIT or e.offset >= ZIP32_LIMIT for e in entries):
        raise OSError("zip part too large")  # cannot happen below ZIP32_LIMIT in total
    start = fh.tell() - base
    central = b"".join(_central_entry(e.name, e.crc, e.csize, e.usize, e.offset) for e in entries)
    fh.write(central)
    fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0))
