"""Calls into the native (Rust) workbook reader, made safe for people at a terminal.

calamine, under fastexcel and python-calamine, panics on some malformed files (a truncated
.xls formula token, a damaged record): pyo3 turns the panic into ``PanicException``, which
derives from ``BaseException`` and so escapes every ``except Exception``; and Rust's panic
hook prints ``thread … panicked at …`` straight to file descriptor 2. ``native_read`` turns
the panic into a ``FatalInputError`` with a Chinese reason and keeps fd 2 off the terminal
while the native code runs (what it printed is dropped; Python's own errors are unaffected).
Out-of-memory aborts cannot be caught in-process: the sheet extent check of ``limits`` runs
first, and untrusted returns are read in a separate process (``mail.isolated``).
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager

from mentor_xl.problems import FatalInputError


def is_panic(e: BaseException) -> bool:
    return type(e).__name__ == "PanicException"


def panic_reason(name: str) -> str:
    return (f"无法读取工作簿“{name}”：文件中有读取程序无法处理的内容（文件可能已损坏或被改动），"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再试")


@contextmanager
def native_read(name: str):
    """``with native_read(file name): <fastexcel/calamine calls>``."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded interpreters)
        saved = None
    sink = None
    if saved is not None:
        sink = tempfile.TemporaryFile()
        os.dup2(sink.fileno(), 2)
    try:
        yield
    except BaseException as e:
        if is_panic(e):
            raise FatalInputError(panic_reason(name)) from None
        raise
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
            sink.close()
