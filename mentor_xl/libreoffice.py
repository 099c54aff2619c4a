"""LibreOffice headless, for converting and recalculating office files (spec/excel.md).

One call = one ``soffice`` process converting MANY files (start-up costs ~1 s, each
further file ~0.1 s), with a private, throw-away user profile so that
- a LibreOffice the user has open (or another call running in parallel) is not disturbed,
- formulas are always recalculated on load: with a default profile LibreOffice keeps the
  cached values XlsxWriter writes (0), so COUNTIFS cells would read back as 0.

Used by the tests (open what we write the way an office would), the documents stage
(docx → PDF) and the formula checks (xlsx → xlsx with recalculated values).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

DEFAULT_TIMEOUT = 300.0  # seconds for one soffice run (all files of the call)

# CSV as UTF-8 (76), comma separated (44), double quotes (34), from the first line (1).
CSV_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76,1"

# Always recalculate formulas of OOXML (.xlsx) and ODF files on load (0 = always,
# 1 = never, 2 = prompt). The prompt setting would hang a headless run.
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """A conversion failed; the message (Chinese) names the files and LibreOffice's output."""


class LibreOfficeMissing(LibreOfficeError):
    """soffice is not installed or not on PATH."""


class LibreOfficeTimeout(LibreOfficeError):
    """soffice did not finish in time; its whole process group was killed."""


def find_soffice() -> str | None:
    """Path of the soffice executable, or None. ``MENTOR_XL_SOFFICE`` overrides the search."""
    env = os.environ.get("MENTOR_XL_SOFFICE")
    if env:
        return env if Path(env).is_file() and os.access(env, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    for p in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
              "/opt/libreoffice/program/soffice",
              "/Applications/LibreOffice.app/Contents/MacOS/soffice",
              r"C:\Program Files\LibreOffice\program\soffice.exe"):
        if Path(p).is_file():
            return p
    return None


def _require_soffice() -> str:
    exe = find_soffice()
    if exe is None:
        raise LibreOfficeMissing(
            "未找到 LibreOffice（soffice）。请先安装 LibreOffice（Debian/Ubuntu：apt-get install "
            "libreoffice-calc libreoffice-writer），或用环境变量 MENTOR_XL_SOFFICE 指定 soffice 的路径。")
    return exe


def _extension(to: str) -> str:
    # "csv:Text - txt - csv (StarCalc):44,…" → "csv"; "pdf:writer_pdf_Export" → "pdf"
    return to.split(":", 1)[0].strip().lower()


def convert(paths: Iterable[str | os.PathLike], to: str, outdir: str | os.PathLike, *,
            timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Convert every file in ``paths`` with one soffice process; return the output paths in order.

    ``to`` is soffice's ``--convert-to`` argument (``"pdf"``, ``"xlsx"``, ``CSV_UTF8`` …); the
    output of ``a/b.docx`` is ``outdir/b.<ext>``. Two inputs with the same stem, or an output
    that would overwrite its input, are refused (ValueError) before anything runs.
    Raises LibreOfficeMissing, LibreOfficeTimeout (process group killed), LibreOfficeError.
    """
    srcs = [Path(p).resolve() for p in paths]
    if not srcs:
        return []
    out = Path(outdir).resolve()
    ext = _extension(to)
    missing = [str(p) for p in srcs if not p.is_file()]
    if missing:
        raise FileNotFoundError("要转换的文件不存在：" + "、".join(missing))
    targets = [out / f"{p.stem}.{ext}" for p in srcs]
    if len(set(targets)) != len(targets):
        raise ValueError("同一次转换中有同名文件（不含扩展名相同），输出会互相覆盖：" + "、".join(p.name for p in srcs))
    for s, t in zip(srcs, targets):
        if s == t:
            raise ValueError(f"输出文件与输入文件相同（{s}），请指定另一个输出目录")
    exe = _require_soffice()
    out.mkdir(parents=True, exist_ok=True)
    # Stale outputs would look like success if this run silently failed to write them.
    for t in targets:
        t.unlink(missing_ok=True)

    profile = Path(tempfile.mkdtemp(prefix="mentor_xl_lo_"))
    try:
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
               "--nologo", "--nodefault", "--norestore", "--nolockcheck",
               "--convert-to", to, "--outdir", str(out), *map(str, srcs)]
        env = dict(os.environ)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")  # no display needed
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            so, se = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise LibreOfficeTimeout(
                f"LibreOffice 在 {timeout:g} 秒内未完成转换（{len(srcs)} 个文件），已终止。") from None
        finally:
            # soffice may leave helper processes (oosplash → soffice.bin) in its group.
            _kill_group(proc, quiet=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    failed = [s.name for s, t in zip(srcs, targets) if not t.is_file()]
    if proc.returncode != 0 or failed:
        detail = (se or so or b"").decode("utf-8", "replace").strip()
        raise LibreOfficeError(
            f"LibreOffice 转换为 {ext} 失败（退出码 {proc.returncode}）"
            + (f"，未生成：{'、'.join(failed)}" if failed else "")
            + (f"。LibreOffice 输出：{detail[-1000:]}" if detail else ""))
    return targets


def _kill_group(proc: subprocess.Popen, quiet: bool = False) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if not quiet:
            proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def recalculate_xlsx(path: str | os.PathLike, outdir: str | os.PathLike, *,
                     timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Open ``path`` in LibreOffice, recalculate every formula, save as ``outdir/<name>.xlsx``.

    The copy carries the recalculated values as cached values, so openpyxl
    (``data_only=True``) or calamine read what Excel/WPS would show.
    """
    return convert([path], "xlsx", outdir, timeout=timeout)[0]
