"""Safe writing: text that cannot turn into a formula, and files that are never half-written.

Formula injection (CSV/Excel injection): office data is typed or pasted by many
people and comes back in emailed workbooks; a 内容 cell reading ``=HYPERLINK(…)`` or
``@SUM(…)`` must stay text in everything we write.

Decision (how text is protected):
- In xlsx files every string goes through ``xlsx.write_text`` → XlsxWriter's
  ``write_string``: it is stored as a string, never as a formula, whatever it starts with.
  The stored value is NOT altered (a later ``ingest``/reader reads back exactly what the
  office typed). Risky strings (``needs_quote``) additionally get Excel's own quote
  prefix (the hidden apostrophe, cell style ``quotePrefix``), so that editing the
  cell in Excel/WPS (F2, Enter) keeps it text instead of evaluating it.
- For plain-text targets (CSV, clipboard) ``csv_text`` prefixes a visible ``'``, the
  OWASP recommendation, because CSV has no cell type.
- Risky = starts with ``= + - @``, TAB or CR (after no stripping: a leading space
  already makes Excel treat the cell as text), or their full-width forms ``＝ ＋ － ＠``,
  which WPS and East-Asian Excel turn into formulas when the cell is edited. Plain signed numbers (``-3``, ``+86``,
  ``-0.5``) are not formulas and are left alone: quoting them would only hide numbers.

Atomic write: ``atomic_write`` writes to a temporary file in the target's directory,
fsyncs it, keeps a backup of the old file and swaps with ``os.replace``; a process
killed at any moment leaves either the old file or the new one, never a broken one.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

EXCEL_MAX_CHARS = 32767  # Excel's limit for one cell; longer text is cut (and marked)

_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_FULL_WIDTH = str.maketrans("＝＋－＠０１２３４５６７８９．，％", "=+-@0123456789.,%")
_SIGNED_NUMBER = re.compile(r"[+-]\s*\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?%?")


def needs_quote(text: str) -> bool:
    """True when ``text`` would be read as a formula if typed or pasted into a cell."""
    if not isinstance(text, str):
        return False
    ascii_form = text.translate(_FULL_WIDTH)
    return ascii_form.startswith(_RISKY_START) and _SIGNED_NUMBER.fullmatch(ascii_form) is None


# First characters after which a text can be risky (the ASCII ones and their full-width forms).
_RISKY_FIRST = frozenset(_RISKY_START) | {chr(k) for k, v in _FULL_WIDTH.items() if chr(v) in _RISKY_START}


def needs_quote_many(texts: list[str]) -> list[bool]:
    """``needs_quote`` of every str in ``texts``: only those whose first character can start a
    formula (rare) are looked at more closely — a results sheet has ~100k distinct texts."""
    first = _RISKY_FIRST
    return [t[:1] in first and needs_quote(t) for t in texts]


def cell_text(v: Any) -> str | None:
    """The text to store in a text cell: None for blank (None/NaN/NA/NaT/""), else ``str(v)``.

    Lists/tuples (e.g. several 学号, missed periods) are joined with 、. Text longer than
    Excel's cell limit is cut to fit and ends with …. Pair it with ``needs_quote`` (done
    by ``workbook.xlsx.write_text``) — the value itself is not changed.
    """
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (list, tuple)):
        parts = [cell_text(x) for x in v]
        v = "、".join(p for p in parts if p is not None)
    else:
        try:
            import pandas as pd
            if v is pd.NA or v is pd.NaT:
                return None
        except ImportError:  # pragma: no cover - pandas is a dependency
            pass
    s = v if isinstance(v, str) else str(v)
    if s == "":
        return None
    if len(s) > EXCEL_MAX_CHARS:
        s = s[:EXCEL_MAX_CHARS - 1] + "…"
    return s


def csv_text(v: Any) -> str:
    """Text for a CSV/plain-text cell: risky strings get a visible leading apostrophe."""
    s = cell_text(v)
    if s is None:
        return ""
    return "'" + s if needs_quote(s) else s


# --------------------------------------------------------------------------- files

def name_key(name: str | os.PathLike) -> str:
    """How Windows and macOS compare file names: Unicode NFC, then case-folded."""
    import unicodedata
    return unicodedata.normalize("NFC", str(name)).casefold()


def same_path(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (resolved; NFC + case-folded; same inode)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists() and os.path.samefile(pa, pb):
            return True
    except OSError:
        pass
    return name_key(pa.resolve()) == name_key(pb.resolve())


def refuse_overwriting_inputs(out: str | os.PathLike, inputs, what: str = "输出文件") -> None:
    """FatalInputError when ``out`` is one of ``inputs`` (or the backup of one)."""
    from mentor_xl.problems import FatalInputError
    for i in inputs:
        if i is None:
            continue
        if same_path(out, i) or same_path(out, backup_path(i)):
            raise FatalInputError(f"{what} {Path(out).name} 与输入文件 {Path(i).name} 是同一个文件，"
                                  "为保护原文件已停止。请用 --out 指定另一个文件名")


def write_bytes_replace(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    A symbolic link (or a hard link) planted at ``path`` is replaced, never followed: the
    file it pointed to is left as it was.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def backup_path(path: str | os.PathLike) -> Path:
    """Where ``atomic_write`` keeps the previous version: ``book.xlsx`` → ``book.bak.xlsx``.

    The extension is kept so the backup opens in Excel/WPS with a double click; one
    backup is kept (the previous version), overwritten on the next write.
    """
    p = Path(path)
    return p.with_name(f"{p.stem}.bak{p.suffix}")


def atomic_write(path: str | os.PathLike, writer_fn: Callable[[Path], Any], *,
                 backup: bool = True, before_replace: Callable[[], Any] | None = None) -> Path:
    """Write ``path`` through ``writer_fn(tmp_path)`` so that it is replaced all at once.

    ``writer_fn`` receives a path in the same directory with the same suffix (XlsxWriter
    and docx writers look at it) and must create the complete file there. If it raises,
    the temporary file is removed and ``path`` is untouched. With ``backup`` an existing
    ``path`` is first copied (atomically too) to ``backup_path(path)``. ``before_replace()``
    runs once the file is complete, before anything at ``path`` changes: when it raises, the
    file is removed and ``path`` is untouched, as when the writer raises.
    Returns ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # Some writers refuse to overwrite or append; give them a fresh path.
        tmp.unlink()
        writer_fn(tmp)
        if not tmp.is_file():
            raise RuntimeError(f"写入 {target.name} 失败：没有生成文件")
        _fsync_file(tmp)
        if before_replace is not None:
            before_replace()
        if backup and target.exists():
            bak = backup_path(target)
            fd2, bak_tmp = tempfile.mkstemp(prefix=f".{bak.stem}.", suffix=f".tmp{bak.suffix}",
                                            dir=target.parent)
            os.close(fd2)
            try:
                shutil.copy2(target, bak_tmp)
                _fsync_file(Path(bak_tmp))
                os.replace(bak_tmp, bak)
            except BaseException:
                Path(bak_tmp).unlink(missing_ok=True)
                raise
        try:
            os.replace(tmp, target)
        except PermissionError as e:
            # Windows refuses to replace a workbook that Excel/WPS holds open.
            raise PermissionError(f"无法写入 {target}：文件可能正在 Excel 或 WPS 中打开，请关闭后重试。") from e
        _fsync_dir(target.parent)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename is None:
            e.filename = str(target)  # a writer's OS error names no file: say which one failed
        raise
    return target


def _fsync_file(p: Path) -> None:
    with open(p, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(d: Path) -> None:
    # Makes the rename itself durable; not possible on Windows, where it is not needed.
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
