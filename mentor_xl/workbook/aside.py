"""Load the 活动记录 sheet of a large workbook in a child process while the parent checks the file.

On a 1M-row log the checks of ``limits`` (inflate every part, scan every reference) take about
a third of the native read, and they must come before the parent's native reader touches the
file. The child does not wait for them: it reads the one big sheet at once, alone, under a
memory and a CPU-time limit, killed with its parent, with its output off the terminal, like a
returned workbook (``mail.isolated``), and hands back only data: the sheet's text cells,
dictionary-encoded as the reader would encode them, as Arrow IPC, and its formula errors as
JSON, written into unnamed temporary files the parent opened (nothing is left on disk,
whatever happens to either process), and a byte on a pipe once they are complete. The parent
meanwhile checks the rest of the file and reads the other sheets. That sheet's own part of the
file is checked by whichever is free first: the parent while it waits for the sheet (a big log),
or the child once it has handed the sheet over, while the parent goes on with it; nothing made
from the book is given out before that check passed (``OfficeBook.confirm``). Whatever goes
wrong in the child — the file is refused, the sheet is not where the parent finds it, a crash,
a limit, a timeout — the parent checks and reads the sheet itself, exactly as it would have, so
the child only ever saves time.

POSIX only (the limits need ``resource``); used for files of ``MIN_BYTES`` and more, or whose log
the zip declares to be ``MIN_PART_BYTES`` of XML and more (``big_part``), and never
from a process that is itself under a memory limit (a returned workbook's reader in
``mail.isolated``). On Linux the child is this process forked: it starts in milliseconds with
fastexcel and pyarrow already imported (a new interpreter took ~0.15 s), then drops everything
it inherited but its output files and pipe before it opens the workbook. Elsewhere, or where a fork
cannot be made, it is a new interpreter running ``main``.
"""
from __future__ import annotations

import gc
import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

from mentor_xl.forking import FORK, die_with_parent, fork, readable

try:
    import resource
except ImportError:  # pragma: no cover - Windows: the parent reads everything itself
    resource = None

MIN_BYTES = 8 * 1024 ** 2  # the stored file: about 170k log rows of the office's width (measured: from here it gains)
# A file Excel saved (shared strings) packs a log several times tighter: 200k rows may be 7 MB. Below
# MIN_BYTES the log's XML decides: from MIN_PART_BYTES its check (~6 ms a MB) costs the parent more
# than the child does, beside which it runs. The size the zip declares: a false one costs only time.
MIN_PART_BYTES = 16 * 1024 ** 2
MIN_STORED = 256 * 1024  # under this no log part is looked at: a small book is read at once
MEMORY_BYTES = 4 * 1024 ** 3  # address space of the child: a 1M-row log needs ~0.8 GB
TIMEOUT_S = 600  # wall clock the parent waits at most, and CPU seconds the child may use
# ... and at most this long per MB of the stored file, plus a minute: a 35 MB 1M-row book loads
# in under 4 s here, so a child that hangs (however unlikely) costs minutes, not ten of them
TIMEOUT_PER_MB_S = 4
_ENTRY = "import sys; from mentor_xl.workbook.aside import main; sys.exit(main())"


class _Forked:
    """The little of ``subprocess.Popen`` that ``Aside`` uses, for a forked child."""

    def __init__(self, pid: int):
        self.pid, self.args, self.returncode = pid, ["fork"], None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else (a host's SIGCHLD handler): unknown
                pid, status = self.pid, 1 << 8
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if timeout is not None:  # only reached without a pidfd: poll, as Popen.wait does
                import time
                end = time.monotonic() + timeout
                while self.poll() is None:
                    if time.monotonic() > end:
                        raise subprocess.TimeoutExpired(self.args, timeout)
                    time.sleep(0.02)
                return self.returncode
            try:
                self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            except ChildProcessError:  # as in poll(): no answer to trust, the parent reads it
                self.returncode = 1
        return self.returncode


class Aside:
    """A sheet loading in a child; ``result()`` is (batch, cell errors) or None.

    ``part``: the sheet's zip part. The parent's check then leaves it out
    (``limits.check_all_but``, which gives ``spent``) and the child checks it with
    ``limits.check_part`` once it has handed the sheet over, while the parent goes on with it;
    ``verdict()`` waits for that check: the bytes the part inflates to, the refusal's words, or
    None when the child gave none. Nothing may come of the sheet until then (``reader``, which
    also checks the part itself while it has nothing else to do but wait: ``handed_over``)."""

    def __init__(self, proc: subprocess.Popen, sheet: str, files: tuple, timeout: float = TIMEOUT_S,
                 part: str | None = None, path: Path | None = None, ready: int | None = None):
        self.proc, self.sheet, self.files, self.timeout, self.part = proc, sheet, files, timeout, part
        self.path, self.ready = path, ready  # ready: read end of the pipe the child signals on
        self.scanned: int | str | None = None
        self.spent = 0  # bytes the parent's check inflated without the part (set by the reader)

    def result(self, timeout: float | None = None):
        """The child's sheet (waiting for it), or None when the parent must read it itself."""
        try:
            ready = self._wait_ready(self.timeout if timeout is None else timeout)
        except Exception:  # noqa: BLE001 — over its time, or no way to wait for it: read it here
            self.cancel()
            return None
        try:
            if not ready:
                return None
            import pyarrow as pa

            sheet, errs = self.files[:2]
            # mapped, not copied: the batch keeps the mapping alive after the file is closed
            batch = pa.ipc.open_file(pa.py_buffer(mmap.mmap(sheet.fileno(), 0, access=mmap.ACCESS_READ))).get_batch(0)
            errs.seek(0)
            errors = json.loads(errs.read().decode("utf-8"))
            return batch, SimpleNamespace(errors=[SimpleNamespace(position=tuple(p), detail=d) for p, d in errors])
        except Exception:  # a truncated answer: read it here instead
            return None
        finally:
            if self.part is None or not ready:
                self.cancel()  # no verdict to wait for: the child is done with
            else:
                for f in self.files[:2]:
                    f.close()

    def verdict(self, timeout: float | None = None) -> int | str | None:
        """The child's check of ``part`` (waiting for it): its bytes, the refusal's words, or None."""
        try:
            if self.part is not None and not self.files[2].closed and \
                    self._wait(self.timeout if timeout is None else timeout) == 0:
                f = self.files[2]
                f.seek(0)
                got = json.loads(f.read().decode("utf-8") or "null")
                if isinstance(got, dict):
                    v = got.get("refused", got.get("bytes"))
                    self.scanned = v if isinstance(v, (int, str)) and not isinstance(v, bool) else None
        except Exception:  # noqa: BLE001 — over its time, a truncated answer: no verdict
            self.scanned = None
        finally:
            self.cancel()
        return self.scanned

    def handed_over(self) -> bool:
        """Whether the child has handed its sheet over (or ended): ``result()`` would not wait."""
        if self.ready is None:
            return self.proc.poll() is not None
        return readable(self.ready, 0)

    def _wait_ready(self, timeout: float) -> bool:
        """Whether the child handed its sheet over (it writes one byte to the pipe once its files
        are complete; a child that ends without doing so closes the pipe)."""
        if self.ready is None:  # its pipe already closed (cancelled): its exit says it
            return self._wait(timeout) == 0
        if not readable(self.ready, timeout):
            raise subprocess.TimeoutExpired(self.proc.args, timeout)
        return os.read(self.ready, 1) == b"1"

    def _wait(self, timeout: float) -> int:
        """The child's exit code, as soon as it exits (Popen.wait with a timeout polls every
        50 ms; a pidfd wakes at once where Linux has one)."""
        try:
            fd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            return self.proc.wait(timeout=timeout)
        try:
            if not readable(fd, timeout):
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
        finally:
            os.close(fd)
        return self.proc.wait()

    def cancel(self) -> None:
        """Stop the child (if it still runs), wait until it is gone, and close its files; never raises."""
        try:
            if self.proc.poll() is None:
                self._kill()
                self.proc.wait()
        except (OSError, subprocess.SubprocessError):  # already reaped by someone else
            pass
        self._close()

    def stop(self) -> None:
        """``cancel`` without the wait: the child is killed and its files closed, and a later
        ``cancel`` reaps it (the reader's, once the sheet is read). A child that has handed over a
        whole log takes ~25 ms to give its memory back, which the reader need not wait for."""
        try:
            if self.proc.poll() is None:
                self._kill()
        except (OSError, subprocess.SubprocessError):
            pass
        self._close()

    def _kill(self) -> None:
        for kill in (os.killpg, os.kill):  # its group; the child alone if it has no group yet
            try:
                kill(self.proc.pid, signal.SIGKILL)
                return
            except (ProcessLookupError, PermissionError):
                pass

    def _close(self) -> None:
        for f in self.files:
            f.close()
        if self.ready is not None:
            ready, self.ready = self.ready, None
            os.close(ready)


def big_part(path: Path, part: str | None) -> bool:
    """Whether the zip declares ``part`` (the log's XML) to inflate to ``MIN_PART_BYTES`` or more."""
    if part is None:
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return z.getinfo(part).file_size >= MIN_PART_BYTES
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
        return False


def for_log(path: Path) -> Aside | None:
    """A big .xlsx: its 活动记录 sheet starts loading in a child at once; None for any other file.

    Needs neither pandas nor the reader (it finds the sheet by name), so the command line calls
    it before it imports them: the child reads while they load."""
    from mentor_xl.problems import Problems
    from mentor_xl.workbook import limits
    from mentor_xl.workbook.schema import find_sheets
    from mentor_xl.workbook.sniff import sniff

    path = Path(path)
    try:
        if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
            return None
        size = path.stat().st_size
        if not min(MIN_STORED, MIN_BYTES) <= size <= limits.MAX_BYTES or sniff(path).kind != "xlsx":
            return None  # the check refuses what is too big before anything opens it
    except OSError:
        return None  # unreadable: the check says so, in words
    log = find_sheets(limits.sheet_names(path), Problems()).get("活动记录")
    if not log:
        return None
    # the child also checks the log's part, beside its load: the parent's check leaves it out
    part = limits.sheet_part(path, log)
    if size < MIN_BYTES and not big_part(path, part):
        return None  # a small log: read in a thread here, the whole file checked first
    return start(path, log, part=part, min_bytes=0)


def start(path: Path, sheet: str, *, min_bytes: int | None = None, part: str | None = None) -> Aside | None:
    """Start loading ``sheet`` of the workbook at ``path`` in a child (and scanning its zip
    ``part``, when given); None when not worth it or not possible here (the child only ever
    saves time: no error of its start reaches anyone)."""
    if resource is None or path.stat().st_size < (MIN_BYTES if min_bytes is None else min_bytes):
        return None
    try:
        return _start(path, sheet, part)
    except Exception:  # noqa: BLE001 — no processes, no temporary files, an embedded Python …
        return None


def _start(path: Path, sheet: str, part: str | None = None) -> Aside | None:
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        return None  # this process is itself a limited reader: no child of its own
    timeout = min(TIMEOUT_S, 60 + TIMEOUT_PER_MB_S * path.stat().st_size / 1024 ** 2)
    # unnamed: nothing to clean up. The sheet (Arrow IPC), its cell errors, the part's verdict.
    files = (tempfile.TemporaryFile(), tempfile.TemporaryFile(), tempfile.TemporaryFile())
    ready, signal_end = os.pipe()  # the child writes b"1" once the sheet is handed over
    request = {"path": str(Path(path).resolve()), "sheet": sheet, "fds": [*(f.fileno() for f in files), signal_end],
               "memory": MEMORY_BYTES, "cpu": TIMEOUT_S, "ppid": os.getpid(), "part": part,
               "name": Path(path).name}
    try:
        proc = _fork(request) if FORK else None
        proc = proc or _spawn(request)
    except BaseException:
        for f in files:
            f.close()
        os.close(ready)
        raise
    finally:
        os.close(signal_end)  # the child's end: closed here, so its exit closes the pipe
    return Aside(proc, sheet, files, timeout, part, path, ready)  # nothing that can fail after the fork


def _fork(request: dict) -> _Forked | None:
    """This process forked into the child (None: no fork here, a new interpreter instead)."""
    try:
        import fastexcel  # noqa: F401 — imported once here, not in every child
        import pyarrow.compute  # noqa: F401
        import pyarrow.ipc  # noqa: F401

        from mentor_xl.workbook import limits, numbering  # noqa: F401

        request = dict(request, memory=_address_space() + request["memory"])  # what it inherits, plus its own
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    pid = fork(lambda mask: _child(request, mask))  # Ctrl-C held until the child has its own session
    return None if pid is None else _Forked(pid)


def _child(request: dict, mask) -> None:
    """The forked child: never returns into the parent's code, whatever happens."""
    code = 1
    try:
        gc.disable()  # no finaliser of an inherited object may close a file number reused below
        os.setsid()  # its own group, off the terminal: cancel() kills all of it
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = sorted({0, 1, 2, *request["fds"]})
        for lo, hi in zip(keep, [*keep[1:], os.sysconf("SC_OPEN_MAX")]):
            os.closerange(lo + 1, hi)  # the parent's other files and sockets are not the child's
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = run(request)
    finally:
        os._exit(code)


def _address_space() -> int:
    """Bytes of address space this process has mapped (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _spawn(request: dict) -> subprocess.Popen:
    env = dict(os.environ, MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
    # the child imports this very package, wherever the parent found it (a checkout, a venv)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen([sys.executable, "-c", _ENTRY, json.dumps(request)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            pass_fds=request["fds"], cwd=tempfile.gettempdir(),
                            start_new_session=True)  # its own group: cancel() kills all of it


def main() -> int:
    """The child as a new interpreter: ``run`` the request given on its command line."""
    return run(json.loads(sys.argv[1]))


def run(req: dict) -> int:
    """The child: limit itself, load the sheet as text, write it out, signal on the pipe, then
    check the sheet's part when asked (``_scan``); any failure is exit 1."""
    die_with_parent()
    if os.getppid() != req.get("ppid", os.getppid()) or os.getppid() == 1:
        return 1  # the parent is already gone
    try:
        resource.setrlimit(resource.RLIMIT_AS, (req["memory"], req["memory"]))
        resource.setrlimit(resource.RLIMIT_CPU, (req["cpu"], req["cpu"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        return 1  # no limits, no reading
    try:
        return _load(req)
    except BaseException:  # noqa: BLE001 — a panic too: the parent reads the sheet itself
        return 1


def _load(req: dict) -> int:
    import fastexcel
    import pyarrow as pa

    out, errs, verdict, ready = req["fds"]
    sheet = fastexcel.read_excel(req["path"]).load_sheet(req["sheet"], header_row=None, dtypes="string",
                                                        skip_rows=0)
    batch, cell_errors = sheet.to_arrow_with_errors()
    # dictionary-encoded here, as the parent's reader would: a third of the bytes to hand over;
    # by two threads (Arrow's kernel leaves the GIL): the parent waits for it (200k: hand-over
    # 0.76 → 0.72 s), and a 序号 numbering the rows is not hashed (``numbering``: 67 → 27 ms here)
    from concurrent.futures import ThreadPoolExecutor

    from mentor_xl.workbook.numbering import dictionary_encode
    with ThreadPoolExecutor(2) as pool:
        batch = pa.record_batch(list(pool.map(dictionary_encode, batch.columns)), names=batch.schema.names)
    with os.fdopen(out, "wb") as f, pa.ipc.new_file(f, batch.schema) as w:
        w.write_batch(batch)
    errors = [[list(e.position), e.detail] for e in (getattr(cell_errors, "errors", None) or ())]
    with os.fdopen(errs, "wb") as f:
        f.write(json.dumps(errors, ensure_ascii=False).encode("utf-8"))
    os.write(ready, b"1")  # handed over: the parent goes on with it while the part is checked here
    os.close(ready)
    del batch, sheet  # after: freeing the native reader's cells takes 0.08 s at 1M rows
    if req.get("part"):
        with os.fdopen(verdict, "wb") as f:
            f.write(json.dumps(_scan(req), ensure_ascii=False).encode("utf-8"))
    return 0


def _scan(req: dict) -> dict:
    """The parent's check of the sheet's part, made here (``limits.check_part``)."""
    from mentor_xl.problems import FatalInputError
    from mentor_xl.workbook import limits

    try:
        return {"bytes": limits.check_part(req["path"], req["part"], name=req.get("name"))}
    except FatalInputError as e:
        return {"refused": str(e)}
    except Exception:  # noqa: BLE001 — no verdict: the parent checks the part itself
        return {}
