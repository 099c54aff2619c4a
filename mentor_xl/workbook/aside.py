"""Load the 活动记录 sheet of a large workbook in a child process while the parent checks the file.

On a 1M-row log the checks of ``limits`` (inflate every part, scan every reference) take about
a third of the native read, and they must come before the parent's native reader touches the
file. The child does not wait for them: it reads the one big sheet at once, alone, under a
memory and a CPU-time limit, killed with its parent, with its output off the terminal, like a
returned workbook (``mail.isolated``), and hands back only data: the sheet's text cells,
dictionary-encoded as the reader would encode them, as Arrow IPC, and its formula errors as
JSON, written into two unnamed temporary files the parent opened (nothing is left on disk,
whatever happens to either process). The parent meanwhile checks the file and reads the other
sheets; it takes the child's sheet only when its own checks passed. Whatever goes wrong in the
child — the file is refused, the sheet is not where the parent finds it, a crash, a limit, a
timeout — the parent reads the sheet itself, exactly as it would have, so the child only ever
saves time.

POSIX only (the limits need ``resource``); used for files of ``MIN_BYTES`` and more, where the
child's start (~0.2 s) is small beside the read, and never from a process that is itself
under a memory limit (a returned workbook's reader in ``mail.isolated``).
"""
from __future__ import annotations

import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

try:
    import resource
except ImportError:  # pragma: no cover - Windows: the parent reads everything itself
    resource = None

MIN_BYTES = 8 * 1024 ** 2  # the stored file: about 170k log rows of the office's width (measured: from here it gains)
MEMORY_BYTES = 4 * 1024 ** 3  # address space of the child: a 1M-row log needs ~0.8 GB
TIMEOUT_S = 600  # wall clock the parent waits, and CPU seconds the child may use
_ENTRY = "import sys; from mentor_xl.workbook.aside import main; sys.exit(main())"


class Aside:
    """A sheet loading in a child; ``result()`` is (batch, cell errors) or None."""

    def __init__(self, proc: subprocess.Popen, sheet: str, files: tuple):
        self.proc, self.sheet, self.files = proc, sheet, files

    def result(self, timeout: float = TIMEOUT_S):
        """The child's sheet (waiting for it), or None when the parent must read it itself."""
        try:
            code = self._wait(timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            return None
        try:
            if code != 0:
                return None
            import pyarrow as pa

            sheet, errs = self.files
            # mapped, not copied: the batch keeps the mapping alive after the file is closed
            batch = pa.ipc.open_file(pa.py_buffer(mmap.mmap(sheet.fileno(), 0, access=mmap.ACCESS_READ))).get_batch(0)
            errs.seek(0)
            errors = json.loads(errs.read().decode("utf-8"))
            return batch, SimpleNamespace(errors=[SimpleNamespace(position=tuple(p), detail=d) for p, d in errors])
        except Exception:  # a truncated answer: read it here instead
            return None
        finally:
            self._close()

    def _wait(self, timeout: float) -> int:
        """The child's exit code, as soon as it exits (Popen.wait with a timeout polls every
        50 ms; a pidfd wakes at once where Linux has one)."""
        try:
            import select

            fd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            return self.proc.wait(timeout=timeout)
        try:
            if not select.select([fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
        finally:
            os.close(fd)
        return self.proc.wait()

    def cancel(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        self._close()

    def _close(self) -> None:
        for f in self.files:
            f.close()


def start(path: Path, sheet: str, *, min_bytes: int | None = None) -> Aside | None:
    """Start loading ``sheet`` of the workbook at ``path`` in a child; None when not worth it
    or not possible here (the child only ever saves time: no error of its start reaches anyone)."""
    if resource is None or path.stat().st_size < (MIN_BYTES if min_bytes is None else min_bytes):
        return None
    try:
        return _start(path, sheet)
    except Exception:  # noqa: BLE001 — no processes, no temporary files, an embedded Python …
        return None


def _start(path: Path, sheet: str) -> Aside | None:
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        return None  # this process is itself a limited reader: no child of its own
    files = (tempfile.TemporaryFile(), tempfile.TemporaryFile())  # unnamed: nothing to clean up
    request = json.dumps({"path": str(Path(path).resolve()), "sheet": sheet, "fds": [f.fileno() for f in files],
                          "memory": MEMORY_BYTES, "cpu": TIMEOUT_S})
    env = dict(os.environ, MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
    # the child imports this very package, wherever the parent found it (a checkout, a venv)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.Popen([sys.executable, "-c", _ENTRY, request], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                pass_fds=[f.fileno() for f in files], cwd=tempfile.gettempdir(),
                                start_new_session=True)  # its own group: cancel() kills all of it
    except BaseException:
        for f in files:
            f.close()
        raise
    return Aside(proc, sheet, files)


def _die_with_parent() -> None:
    """Linux: the child is killed when the parent dies (it runs in a session of its own)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the CPU limit ends it


def main() -> int:
    """The child: limit itself, load the sheet as text, write it out; any failure is exit 1."""
    req = json.loads(sys.argv[1])
    _die_with_parent()
    if os.getppid() == 1:
        return 1  # the parent is already gone
    try:
        resource.setrlimit(resource.RLIMIT_AS, (req["memory"], req["memory"]))
        resource.setrlimit(resource.RLIMIT_CPU, (req["cpu"], req["cpu"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        return 1  # no limits, no reading
    try:
        import fastexcel
        import pyarrow as pa
        import pyarrow.compute as pc

        sheet = fastexcel.read_excel(req["path"]).load_sheet(req["sheet"], header_row=None, dtypes="string",
                                                            skip_rows=0)
        batch, cell_errors = sheet.to_arrow_with_errors()
        # dictionary-encoded here, as the parent's reader would: a third of the bytes to hand over
        batch = pa.record_batch([pc.dictionary_encode(c) for c in batch.columns], names=batch.schema.names)
        out, errs = req["fds"]
        with os.fdopen(out, "wb") as f, pa.ipc.new_file(f, batch.schema) as w:
            w.write_batch(batch)
        errors = [[list(e.position), e.detail] for e in (getattr(cell_errors, "errors", None) or ())]
        with os.fdopen(errs, "wb") as f:
            f.write(json.dumps(errors, ensure_ascii=False).encode("utf-8"))
    except BaseException:  # noqa: BLE001 — a panic too: the parent reads the sheet itself
        return 1
    return 0
