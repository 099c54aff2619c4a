"""Read one untrusted returned workbook in a child process.

A returned workbook is whatever someone attached to a mail. The native reader (calamine)
can abort the whole process on some files (an allocation it cannot make), panic, or spin;
so every candidate is read by this module's ``main`` in its own process:

- forked from a helper process that has the reader imported already (milliseconds a file
  instead of a new interpreter; a new interpreter where there is no fork), so each file has
  a fresh address space;
- under a memory limit (``RLIMIT_AS``, ``MEMORY_BYTES``) and a wall-clock ``TIMEOUT_S``;
- with its stderr captured (nothing of it reaches the user's terminal);
- checked first by ``limits.check_workbook_file`` (real inflated sizes, DTDs, extents);
- returning only data: the stamp's fields and the problems as JSON, the 活动记录 rows as an
  Arrow IPC file — nothing the parent would execute (no pickle), should the child be
  subverted by the file it read.

A crash, a panic, a timeout or the limit refuse that one file with a Chinese reason
(``Refused``); the caller goes on with the others.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mentor_xl.problems import FatalInputError, Problem, Problems
from mentor_xl.workbook.limits import size_text

try:
    import resource  # POSIX: memory limits; elsewhere the time limit alone applies
except ImportError:  # pragma: no cover - Windows
    resource = None

TIMEOUT_S = 120  # a 20,000-row return reads in about 2 s here; a stuck parser is stopped
MEMORY_BYTES = 1536 * 1024 ** 2  # address space of the child: the interpreter with pandas/pyarrow takes ~0.4 GB
MAX_RETURN_UNCOMPRESSED = 64 * 1024 * 1024  # unpacked size of one return (a filled 5000-row return is ~2 MB of XML)
MAX_RETURN_CELLS = 5_000_000  # one sheet's grid of a return: 25,000 rows × 200 columns
LOG_SHEET = "活动记录"
_MARK = "mentor_xl-isolated-v1"
# ``python -m mentor_xl.mail.isolated`` works too; ``-c`` avoids runpy's warning about a
# module the package has already imported.
_ENTRY = "import sys; from mentor_xl.mail.isolated import main; sys.exit(main())"


class Refused(Exception):
    """The file was not read; ``str(e)`` is the Chinese reason (naming the user's file)."""


@dataclass
class ReturnRead:
    """What a returned workbook holds, read in isolation."""

    kind: str  # xlsx, xlsm, xlsb, ods, xls
    stamp: dict | None = None  # the stamp's raw fields (stamp.Stamp.from_mapping checks them)
    stamp_error: str | None = None  # Chinese: a damaged or edited stamp
    log: pd.DataFrame | None = None  # 活动记录 as the office reader reads it (None: not readable)
    log_error: str | None = None  # Chinese: why 活动记录 could not be used
    problems: Problems = field(default_factory=Problems)  # the reader's problems on 活动记录


# the parent ---------------------------------------------------------------------------------------
class _Zygote:
    """A helper process with the reader imported that forks one child per file: each file
    gets a fresh address space, its own limits and stderr, in milliseconds instead of a new
    interpreter. Restarted if it ever dies. POSIX only (``os.fork``)."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def run(self, request: dict, timeout: float) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            env = dict(os.environ, MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
            self.proc = subprocess.Popen([sys.executable, "-c", _ZYGOTE], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                         start_new_session=True)
        try:
            self.proc.stdin.write(json.dumps({"request": request, "timeout": timeout}).encode() + b"\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout + 30)
            if not ready:  # the helper itself is stuck: start afresh
                self.close()
                return None
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:  # the helper itself died: this file counts as a crash, the next gets a new one
            self.close()
            return -1
        answer = json.loads(line)
        return None if answer.get("timeout") else int(answer["code"])

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait()
            except OSError:
                pass
            self.proc = None


_zygote = _Zygote()
atexit.register(_zygote.close)
_ZYGOTE = "from mentor_xl.mail.isolated import zygote_main; zygote_main()"


def zygote_main() -> None:
    """The helper's loop: one JSON request a line in, one JSON answer a line out."""
    import time
    import mentor_xl.mail.stamp  # noqa: F401 — imported once, before any fork
    import mentor_xl.packs  # noqa: F401
    import mentor_xl.workbook.reader  # noqa: F401
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        request, deadline = msg["request"], time.monotonic() + msg["timeout"]
        pid = os.fork()
        if pid == 0:  # the child: limits, stderr to a file, read, exit without cleanup
            code = 1
            try:
                fd = os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                _limit_self(request["memory"])
                _answer(request)
                code = 0
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        status = None
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            else:
                time.sleep(0.005)
        answer = {"timeout": True} if status is None else {"code": os.waitstatus_to_exitcode(status)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _limit_self(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_exec(request: dict, err: Path, timeout: float) -> int | None:
    """The same in a new interpreter (where there is no fork server)."""
    def limit() -> None:  # between fork and exec, POSIX only
        _limit_self(request["memory"])
        os.setsid()  # its own process group: a timeout kills it and anything it started

    env = dict(os.environ, MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
    with open(err, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-c", _ENTRY], stdin=subprocess.PIPE, stdout=sink,
                                stderr=sink, env=env, cwd=str(err.parent),
                                preexec_fn=limit if resource is not None else None)
        try:
            proc.communicate(json.dumps(request).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL) if resource is not None else proc.kill()
            except ProcessLookupError:
                pass
            proc.communicate()
            return None
    return proc.returncode


def read_return(path: Path, *, name: str, where: str, pack_id: str, work: Path,
                timeout: float | None = None) -> ReturnRead:
    """Read ``path`` (a temporary copy of the user's file ``name``) in a child process.

    Raises Refused with a Chinese reason when the file is refused by the limits, crashes
    the reader, or exceeds the memory or time limit.
    """
    out = work / (path.name + ".out")
    err = work / (path.name + ".err")
    timeout = timeout or TIMEOUT_S
    request = {"path": str(path), "name": name, "where": where, "pack": pack_id, "out": str(out), "mark": _MARK,
               "max_uncompressed": MAX_RETURN_UNCOMPRESSED, "max_cells": MAX_RETURN_CELLS,
               "memory": MEMORY_BYTES}
    request["err"] = str(err)
    code = _zygote.run(request, timeout) if resource is not None and hasattr(os, "fork") \
        else _run_exec(request, err, timeout)
    if code is None:
        raise Refused(f"文件“{name}”读取超时（超过 {timeout:g} 秒），可能是异常文件，已拒绝读取。"
                      "请用 Excel 或 WPS 打开后另存为 .xlsx 重新发送")
    result = out.with_suffix(".json")
    if code != 0 or not result.is_file():
        text = err.read_text("utf-8", "replace") if err.is_file() else ""
        if "MemoryError" in text or "memory allocation" in text or "capacity overflow" in text:
            why = f"读取时所需内存超过上限（{size_text(MEMORY_BYTES)}）"
        elif code < 0:
            why = f"读取程序异常终止（信号 {-code}）"
        else:
            why = "读取程序异常终止"
        raise Refused(f"文件“{name}”无法读取：{why}，可能是损坏或异常的文件，已拒绝读取。"
                      "请用 Excel 或 WPS 打开后另存为 .xlsx 重新发送")
    data = json.loads(result.read_text(encoding="utf-8"))
    if data.get("refused"):
        raise Refused(data["refused"])
    read = ReturnRead(kind=data["kind"], stamp=data.get("stamp"), stamp_error=data.get("stamp_error"),
                      log_error=data.get("log_error"))
    read.problems.items.extend(Problem(**p) for p in data.get("problems", []))
    arrow = out.with_suffix(".arrow")
    if arrow.is_file():
        read.log = _from_arrow(arrow)
    return read


def _from_arrow(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    from mentor_xl.workbook.schema import BY_NAME

    with pa.memory_map(str(path)) as src:
        table = pa.ipc.open_file(src).read_all()
    df = table.to_pandas()
    for c in BY_NAME[LOG_SHEET].columns:
        if c.kind == "idlist" and c.name in df:
            df[c.name] = df[c.name].map(lambda v: [] if v is None else [str(x) for x in v])
    return df


# the child ----------------------------------------------------------------------------------------
def _child(request: dict) -> dict:
    from dataclasses import asdict

    from mentor_xl.mail.stamp import StampError, read_stamp
    from mentor_xl.workbook.native import native_read
    from mentor_xl.packs import load_pack
    from mentor_xl.workbook.limits import check_workbook_file
    from mentor_xl.workbook.reader import read_book
    from mentor_xl.workbook.sniff import sniff

    path, name = Path(request["path"]), request["name"]
    try:
        check_workbook_file(path, name=name, max_uncompressed=request["max_uncompressed"],
                            max_cells=request["max_cells"])
    except FatalInputError as e:
        return {"refused": str(e)}
    out: dict = {"kind": sniff(path).kind}
    encrypted = {"refused": f"文件“{name}”设置了打开密码（已加密），无法读取。请取消密码后重新发送"}
    if out["kind"] == "xls" and _xls_encrypted(path):
        return encrypted
    data = path.read_bytes()
    try:
        with native_read(name):
            stamp = read_stamp(data, request["where"])
        out["stamp"] = asdict(stamp) if stamp is not None else None
    except StampError as e:
        out["stamp_error"] = str(e)
    except FatalInputError as e:  # a panic in the native reader
        return {"refused": str(e)}
    if out.get("stamp") is None and not out.get("stamp_error"):
        return out  # not one of ours: the parent refuses it without reading further
    try:
        rb = read_book(path, policy_pack=load_pack(request["pack"]), sheets=[LOG_SHEET])
    except FatalInputError as e:
        if "密码" in str(e) or "password" in str(e).lower():
            return encrypted
        return {"refused": _plain(str(e)).replace(f"“{path.name}”", f"“{name}”")}
    if LOG_SHEET not in rb.present:
        out["log_error"] = "没有找到“活动记录”工作表，请使用收集表原样填写"
        return out
    actual = rb.sheet_names.get(LOG_SHEET, LOG_SHEET)
    problems = []
    for p in rb.problems:
        if p.sheet != actual:
            continue
        if p.category == "工作表无法读取" and p.level == "error":
            out["log_error"] = f"工作表“{actual}”的内容无法解析，文件可能已损坏或被改动"
            return out
        if p.category == "缺少列" and p.level == "error":
            out["log_error"] = p.message
            return out
        problems.append({"sheet": LOG_SHEET, "row": p.row, "column": p.column,
                         "value": None if p.value is None else str(p.value), "message": p.message,
                         "category": p.category, "level": p.level})
    out["problems"] = problems
    _to_arrow(rb.frame(LOG_SHEET), Path(request["out"]).with_suffix(".arrow"))
    return out


def _plain(message: str) -> str:
    """A reason without the native reader's English detail in brackets."""
    import re
    return re.sub(r"（[^（）]*[A-Za-z]{4,}[^（）]*）", "", message)


def _xls_encrypted(path: Path) -> bool:
    """A BIFF .xls with a FILEPASS record (password to open): calamine says so."""
    import python_calamine as cal
    from mentor_xl.workbook.native import native_read
    try:
        with native_read(path.name):
            cal.CalamineWorkbook.from_path(str(path))
    except cal.PasswordError:
        return True
    except Exception:
        return False
    return False


def _to_arrow(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    table = pa.Table.from_pandas(df, preserve_index=False)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)


def _answer(request: dict) -> None:
    result = _child(request)
    Path(request["out"]).with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, default=str),
                                                           encoding="utf-8")


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    if request.get("mark") != _MARK:
        return 2
    _answer(request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
