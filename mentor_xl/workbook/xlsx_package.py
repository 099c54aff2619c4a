"""Packing an XlsxWriter workbook into its .xlsx file, faster.

``Workbook.close`` spends most of its time outside the cells: zlib at its default level,
one part after the other, the rows of constant_memory sheets copied from their temporary
file into the sheet's file and read again for the zip, and the shared string table written
one string at a time through XlsxWriter's generic XML writer. For the results workbook of a
200k-row log that was close to a second. ``FastWorkbook`` keeps everything XlsxWriter
decides (which parts, their XML) and changes only how the bytes get into the zip:

- parts are deflated in blocks by a thread pool (zlib releases the GIL), each block an
  independent deflate stream ended by a sync flush, so the blocks of one part concatenate
  into one valid stream (what pigz does); CRCs of blocks are combined (``crc32_combine``);
- rows written by ``xlsx._RowsXml`` (``TextWorksheet.write_row_bytes``) are glued by arrow
  on a thread of their own (``TextWorksheet.later``: its kernels release the GIL) and deflated
  as they come, while Python builds the next rows and sheets, and never touch the disk: at
  close they are spliced between the sheet's head and tail;
- big parts use zlib level ``FAST_LEVEL``: a fifth of the time of the default level for a
  file about a fifth larger; small parts keep the default;
- the shared strings that need no escaping (nearly all) are written in one join; the rest
  go through XlsxWriter's own ``_write_si``, so the part is byte for byte XlsxWriter's —
  except for text shaped like its rich-string markup ``<r>…</r>``, which XlsxWriter would
  paste into the XML unescaped (a typed cell could break the file): mentor_xl writes no
  rich strings, so every string is written as the text it is (shared and inline).

The workbook's contents are unchanged. A part set too large for a zip without ZIP64, or a
target that cannot seek, is packed by the standard library's ZipFile instead.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import struct
import threading
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterator

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

BIG_PART = 1 << 20  # bytes: parts this large are deflated at FAST_LEVEL
FAST_LEVEL = 2  # zlib level for big parts and streamed rows (XlsxWriter uses zlib's default, 6)
CHUNK = 4 << 20  # bytes deflated per task
ZIP32_LIMIT = 0xFFFF0000  # all parts together stay below this: no ZIP64 records needed
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the date Excel and XlsxWriter give parts
_DOS_TIME = 0


def workers() -> int:
    """Threads that deflate (a pool is only used with two cores or more)."""
    return max(1, min(4, os.cpu_count() or 1))


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor | None:
    """The deflate threads, shared by every workbook of the process (None: deflate inline)."""
    global _POOL
    if workers() < 2:
        return None
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(workers(), thread_name_prefix="xlsx-deflate")
        return _POOL


def _forget_pool() -> None:
    global _POOL
    _POOL = None  # a forked child has none of the parent's threads: it makes its own


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _deflate(data, level: int, last: bool) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, as zip stores it
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _deflate_with_crc(data, level: int, last: bool) -> tuple[bytes, int]:
    """``_deflate`` and the block's CRC-32, both off the caller's thread when in the pool."""
    return _deflate(data, level, last), zlib.crc32(data)


_NO_THREADS = False  # set when threads cannot be started (a sandbox, interpreter shutdown)


def _submit(data, level: int, last: bool, fn=None):
    """``fn`` (default ``_deflate``) in the pool (a future), or here and now (its result)."""
    global _NO_THREADS
    fn = fn or _deflate
    pool = None if _NO_THREADS else _pool()
    if pool is not None:
        try:
            return pool.submit(fn, data, level, last)
        except RuntimeError:  # "can't start new thread", "cannot schedule new futures after shutdown"
            _NO_THREADS = True
    return fn(data, level, last)


def _result(job) -> bytes:
    return job.result() if isinstance(job, Future) else job


# One more thread, for the rows of constant_memory sheets (``TextWorksheet.later``): arrow's
# string kernels that glue them release the GIL, so a sheet's rows are joined while Python
# goes on with the next sheet. One thread, so that rows reach each sheet in the order given.
_ROWS: ThreadPoolExecutor | None = None


def _rows_thread() -> ThreadPoolExecutor | None:
    global _ROWS
    if workers() < 2 or _NO_THREADS:
        return None
    with _POOL_LOCK:
        if _ROWS is None:
            _ROWS = ThreadPoolExecutor(1, thread_name_prefix="xlsx-rows")
        return _ROWS


def _forget_rows_thread() -> None:
    global _ROWS
    _ROWS = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_rows_thread)


# --------------------------------------------------------------------------- CRC-32

_CRC_OPS: list[list[int]] = []  # _CRC_OPS[k]: the GF(2) operator "append 2**k zero bytes"


def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, m) for m in mat]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A + B from crc1 = CRC-32 of A, crc2 = CRC-32 of B and len2 = len(B)."""
    if not _CRC_OPS:
        op = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
        for _ in range(3):  # 2, 4, 8 bits: one zero byte
            op = _gf2_square(op)
        _CRC_OPS.append(op)
    k = 0
    while len2:
        while len(_CRC_OPS) <= k:
            _CRC_OPS.append(_gf2_square(_CRC_OPS[-1]))
        if len2 & 1:
            crc1 = _gf2_times(_CRC_OPS[k], crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


# --------------------------------------------------------------------------- rows

class DeflatedRows:
    """Bytes of one sheet's rows, deflated in blocks by the pool as they are added (while the
    caller goes on with the next rows), at most ``PENDING`` bytes waiting at a time. Each
    block's CRC-32 is taken by the thread that deflates it (the zip combines them)."""

    PENDING = 64 << 20

    def __init__(self):
        self.blocks: list = []  # (deflated block, its CRC-32), or futures of them, in order
        self.lengths: list[int] = []  # raw bytes of each block
        self.size = 0
        self._pending: deque[tuple[int, int]] = deque()  # (block, its raw size) not yet done
        self._waiting = 0

    def add(self, data) -> None:
        if not len(data):
            return
        self.size += len(data)
        for i in range(0, len(data), CHUNK):
            block = data[i:i + CHUNK]
            self.blocks.append(_submit(block, FAST_LEVEL, False, _deflate_with_crc))
            self.lengths.append(len(block))
            self._pending.append((len(self.blocks) - 1, len(block)))
            self._waiting += len(block)
        while self._waiting > self.PENDING:  # bounded memory: wait for the oldest
            k, size = self._pending.popleft()
            self.blocks[k] = _result(self.blocks[k])
            self._waiting -= size

    def pieces(self) -> Iterator[tuple[bytes, int, int]]:
        """(deflated block, CRC-32 of its bytes, their length), in order, each freed once given."""
        for k, job in enumerate(self.blocks):
            self.blocks[k] = None
            block, crc = _result(job)
            yield block, crc, self.lengths[k]

    def deflated(self) -> Iterator[bytes]:
        for block, _, _ in self.pieces():
            yield block


class TextWorksheet(Worksheet):
    """A worksheet whose strings are always text (constant_memory inline strings shaped like
    ``<r>…</r>`` too: XlsxWriter pastes them in as rich-text markup; mentor_xl writes no rich
    strings), and whose constant_memory rows can be given as UTF-8 bytes
    (``write_row_bytes``): deflated on the way, spliced into the zip at close."""

    _rows: DeflatedRows | None = None
    _fed = 0  # bytes of the row file already passed to _rows
    splice: tuple[str, int, DeflatedRows] | None = None  # (sheet part file, offset, rows)

    def _xml_rich_inline_string(self, string, attributes=[]) -> None:  # noqa: B006 (XlsxWriter's signature)
        self._xml_inline_string(string, False, attributes)  # "<r>…</r>" has no edge whitespace

    _later: list | None = None  # rows still being made by the rows thread (``later``), in order
    LATER_MAX = 4  # chunks of rows waiting for it at most (a 1M-row 合规明细 written whole has 50)

    def later(self, fn) -> None:
        """Run ``fn()`` (which makes rows and gives them to ``write_row_bytes``) on the rows
        thread, after every ``fn`` given before; here and now where there is no such thread.
        XlsxWriter's own next row of the sheet (``_write_single_row``) and ``close`` wait for it."""
        global _NO_THREADS
        pool = _rows_thread()
        if pool is not None:
            try:
                job = pool.submit(fn)
            except RuntimeError:  # no thread to be had (interpreter shutdown): here
                _NO_THREADS = True
            else:
                if self._later is None:
                    self._later = []
                self._later.append(job)
                while len(self._later) > self.LATER_MAX:  # bounded memory: a chunk's codes wait in each
                    self._later.pop(0).result()
                return
        fn()

    def finish_rows(self, *, raise_errors: bool = True) -> None:
        """Wait for the rows ``later`` is making; the first failure is raised (``raise_errors``)."""
        jobs, self._later = self._later or [], None
        failed = None
        for job in jobs:
            try:
                job.result()
            except BaseException as e:  # noqa: BLE001 — every job is waited for, the first error kept
                failed = failed or e
        if failed is not None and raise_errors:
            raise failed

    def _write_single_row(self, *args) -> None:
        # XlsxWriter's own rows (a cell written after the fast rows, set_row) go after them
        if self._later:
            self.finish_rows()
        super()._write_single_row(*args)

    def can_take_row_bytes(self) -> bool:
        fh = getattr(self, "row_data_fh", None)
        return bool(self.constant_memory and fh is not None and fh is self.fh
                    and hasattr(fh, "buffer") and not self.row_data_fh_closed)

    def write_row_bytes(self, data) -> None:
        """Append ``data`` (the UTF-8 XML of whole rows) to the sheet's rows, after whatever
        XlsxWriter itself wrote to them (e.g. the header row)."""
        if self._rows is None:
            self._rows = DeflatedRows()
        self._feed_row_file()
        self._rows.add(data)

    def _feed_row_file(self) -> None:
        # Rows XlsxWriter wrote to its row file since the last call go first, in order.
        self.row_data_fh.flush()
        end = self.row_data_fh.buffer.tell()
        if end > self._fed:
            with open(self.row_data_filename, "rb") as fh:
                fh.seek(self._fed)
                self._rows.add(fh.read(end - self._fed))
            self._fed = end

    def drop_row_file(self) -> None:
        """Close and remove the sheet's row file in the temporary folder, if it is still there."""
        fh, name = getattr(self, "row_data_fh", None), getattr(self, "row_data_filename", None)
        if fh is not None and not fh.closed:
            fh.close()
        self.row_data_fh_closed = True
        if name:
            try:
                os.unlink(name)
            except OSError:  # already removed (the sheet was written)
                pass

    def _write_optimized_sheet_data(self) -> None:
        out = getattr(self.fh, "buffer", None)
        name = getattr(self.fh, "name", None)
        if self.dim_rowmin is None or out is None or not isinstance(name, str) or self.row_data_fh_closed:
            if self._rows is not None and self.dim_rowmin is not None:
                raise RuntimeError("rows given as bytes cannot be written to this sheet file")
            super()._write_optimized_sheet_data()
            self.drop_row_file()  # XlsxWriter leaves it in the temporary folder when the sheet has no rows
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        if self._rows is None:
            # XlsxWriter's copy of the row file, as bytes (its own decodes and re-encodes)
            self.row_data_fh.flush()
            with open(self.row_data_filename, "rb") as rows:
                shutil.copyfileobj(rows, out, 1 << 20)
        else:
            self._feed_row_file()
            self.splice = (name, out.tell(), self._rows)  # the zip writer puts the rows here
            self._rows = None
        self.drop_row_file()
        self._xml_end_tag("sheetData")


# --------------------------------------------------------------------------- workbook

class FastWorkbook(Workbook):
    """An XlsxWriter ``Workbook`` whose worksheets are ``TextWorksheet`` and whose ``close``
    packs the parts with ``write_zip``."""

    def add_worksheet(self, name=None, worksheet_class=None):
        return super().add_worksheet(name, worksheet_class or TextWorksheet)

    def close(self) -> None:
        """XlsxWriter's ``close``, except that a failure to write the file is the OS's own error
        (disk full, no permission …), as every other write gives it, not XlsxWriter's wrapper."""
        from xlsxwriter.exceptions import FileCreateError

        try:
            for ws in self.worksheets():
                if isinstance(ws, TextWorksheet):
                    ws.finish_rows()
            super().close()
        except FileCreateError as e:
            if e.args and isinstance(e.args[0], OSError):  # XlsxWriter wraps the OSError it caught
                raise e.args[0] from e
            raise

    def discard(self) -> None:
        """Give the workbook up without writing it: the row files XlsxWriter keeps in the temporary
        folder for its constant_memory sheets (removed only when the sheet is written) go too."""
        for ws in self.worksheets():
            if isinstance(ws, TextWorksheet):
                ws.finish_rows(raise_errors=False)  # none still writing to the file about to go
                ws.drop_row_file()

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
        splices = {}
        for ws in self.workbook.worksheets():
            splice = getattr(ws, "splice", None)
            if splice is not None:
                splices[splice[0]] = splice[1:]
                ws.splice = None
        write_zip(self._target, parts, allow_zip64=self._allow_zip64, in_memory=self.in_memory,
                  splices=splices)
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
# XlsxWriter's own writer, which is more than needed and always right.
_SPECIAL = re.compile(r"[&<>_\x00-\x1f]|^\s|\s$")


# A superset of _SPECIAL for RE2, which finds the few candidates among all strings at once:
# every character Python's \s matches is a control character, U+0085 or in Unicode category Z.
_MAYBE_SPECIAL = r"[&<>_\x{00}-\x{1f}]|^[\pZ\x{85}]|[\pZ\x{85}]$"


class _SharedStrings(SharedStrings):
    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        plain = 0  # the run of plain strings starts here
        for i in _candidates(strings):
            if _SPECIAL.search(strings[i]) is None:
                continue  # plain after all: it stays in the run
            self._flush(strings[plain:i])
            self._write_si(strings[i])
            plain = i + 1
        self._flush(strings[plain:])

    def _write_si(self, string: str) -> None:
        if string.startswith("<r>") and string.endswith("</r>"):  # text, not markup (see above)
            self._xml_si_element(self._escape_control_characters(string))
        else:
            super()._write_si(string)

    def _flush(self, plain: list[str]) -> None:
        if plain:
            self.fh.write("<si><t>" + "</t></si><si><t>".join(plain) + "</t></si>")


def _candidates(strings: list[str]):
    """Positions of the strings that may need XlsxWriter's own writer (``_SPECIAL`` decides):
    one RE2 pass in Arrow instead of a Python call per string (80k strings: 24 → 7 ms)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        hits = pc.match_substring_regex(pa.array(strings, pa.large_string()), _MAYBE_SPECIAL)
        return pc.indices_nonzero(hits).to_numpy().tolist()
    except Exception:  # noqa: BLE001 — a string Arrow cannot hold (a lone surrogate): ask of each
        return range(len(strings))


# --------------------------------------------------------------------------- zip

def _source_size(src) -> int:
    """Bytes of a part (at most, for text held in a StringIO: 4 UTF-8 bytes a character)."""
    if isinstance(src, (str, os.PathLike)):
        return os.path.getsize(src)
    data = src.getvalue()
    return len(data) * (4 if isinstance(data, str) else 1)


def _chunks(src, is_binary: bool, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The bytes ``start:end`` of one part, ``CHUNK`` at a time (at least one, maybe empty)."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as fh:
            fh.seek(start)
            left = (os.fstat(fh.fileno()).st_size if end is None else end) - start
            while True:
                data = fh.read(min(CHUNK, left)) if left > 0 else b""
                left -= len(data)
                yield data
                if left <= 0 or not data:
                    return
    data = src.getvalue()
    if not is_binary and isinstance(data, str):
        data = data.encode("utf-8")
    data = data[start:end]
    for i in range(0, max(len(data), 1), CHUNK):
        yield data[i:i + CHUNK]


def _local_header(name: bytes, crc: int = 0, csize: int = 0, usize: int = 0) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE,
                       crc, csize, usize, len(name), 0) + name


def _central_entry(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, 0, zlib.DEFLATED,
                       _DOS_TIME, _DOS_DATE, crc, csize, usize, len(name), 0, 0, 0, 0,
                       0o100600 << 16, offset) + name


def write_zip(target, parts, *, allow_zip64: bool = False, in_memory: bool = False,
              splices: dict | None = None) -> None:
    """Write ``parts`` — XlsxWriter's list of (source, name in the zip, is_binary), a source
    being a temporary file path or, in in_memory mode, a StringIO/BytesIO — as the zip
    ``target`` (a path or a seekable binary file object). ``splices`` maps a source path to
    (byte offset, ``DeflatedRows``) to insert there. Temporary files are removed."""
    splices = splices or {}
    total = sum(_source_size(src) + (splices[src][1].size if src in splices else 0) for src, _, _ in parts)
    own = isinstance(target, (str, os.PathLike))
    try:
        if total >= ZIP32_LIMIT or not (own or (hasattr(target, "seek") and target.seekable())):
            _write_zip_stdlib(target, parts, allow_zip64, splices)
            return
        fh = open(target, "wb") if own else target
        try:
            _write_zip_parallel(fh, parts, splices)
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


def _pieces(src, is_binary: bool, splices: dict) -> Iterator[tuple[object, int, int]]:
    """One part as (deflated block or its future, CRC-32 of its bytes, their length)."""
    if src in splices:
        offset, rows = splices[src]
        head = b"".join(_chunks(src, is_binary, 0, offset))
        yield _submit(head, zlib.Z_DEFAULT_COMPRESSION, False), zlib.crc32(head), len(head)
        yield from rows.pieces()
        tail = b"".join(_chunks(src, is_binary, offset))
        yield _submit(tail, zlib.Z_DEFAULT_COMPRESSION, True), zlib.crc32(tail), len(tail)
        return
    level = FAST_LEVEL if _source_size(src) >= BIG_PART else zlib.Z_DEFAULT_COMPRESSION
    chunks = _chunks(src, is_binary)
    data = next(chunks, b"")
    while True:
        nxt = next(chunks, None)
        last = nxt is None
        yield _submit(data, level, last), zlib.crc32(data), len(data)
        if last:
            return
        data = nxt


def _write_zip_stdlib(target, parts, allow_zip64: bool, splices: dict) -> None:
    # ZipFile's own writing (ZIP64 only when the workbook allows it), parts streamed.
    from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

    with ZipFile(target, "w", compression=ZIP_DEFLATED, allowZip64=allow_zip64) as zf:
        for src, name, is_binary in parts:
            info = ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=allow_zip64) as out:
                if src in splices:
                    offset, rows = splices[src]
                    for data in _chunks(src, is_binary, 0, offset):
                        out.write(data)
                    for block in rows.deflated():
                        out.write(zlib.decompressobj(-15).decompress(block))
                    for data in _chunks(src, is_binary, offset):
                        out.write(data)
                else:
                    for data in _chunks(src, is_binary):
                        out.write(data)


class _Entry:
    __slots__ = ("name", "offset", "crc", "csize", "usize")

    def __init__(self, name: bytes):
        self.name, self.offset, self.crc, self.csize, self.usize = name, 0, 0, 0, 0


def _write_zip_parallel(fh, parts, splices: dict) -> None:
    base = fh.tell()
    entries: list[_Entry] = []
    pending: deque = deque()  # (entry, first block?, last block?, block or future), in file order

    def write_one() -> None:
        entry, first, last, job = pending.popleft()
        data = _result(job)
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

    for src, name, is_binary in parts:
        entry = _Entry(name.encode("utf-8"))
        entries.append(entry)
        pieces = _pieces(src, is_binary, splices)
        piece, first = next(pieces), True
        while piece is not None:
            nxt = next(pieces, None)
            job, crc, size = piece
            if size:
                entry.crc = crc32_combine(entry.crc, crc, size) if entry.usize else crc
                entry.usize += size
            pending.append((entry, first, nxt is None, job))
            while len(pending) > 2 * workers():  # bounded memory: a few blocks in flight
                write_one()
            piece, first = nxt, False
    while pending:
        write_one()
    if any(e.csize >= ZIP32_LIMIT or e.offset >= ZIP32_LIMIT for e in entries):
        raise OSError("结果工作簿超过 4 GB（zip 的上限），无法写出")  # cannot happen below ZIP32_LIMIT in total
    start = fh.tell() - base
    central = b"".join(_central_entry(e.name, e.crc, e.csize, e.usize, e.offset) for e in entries)
    fh.write(central)
    fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0))
