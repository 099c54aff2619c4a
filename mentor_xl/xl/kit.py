"""``mentor-xl kit DIR``: the office kit — install the Excel buttons with no internet.

An office receives one folder (on a USB stick or its own file server) and double-clicks
``安装.bat`` (Windows) or ``安装.command`` (macOS). The folder holds:

  workbooks/       the macro workbook (.xlsm) of every pack
  wheelhouse/      the mentor_xl wheel and a wheel of every dependency, for each target
  requirements/    one file per target (``windows-amd64-py3.12.txt`` …): every package pinned
                   with ``==`` and its sha256, so pip installs exactly these files
  install.py       standard library only: picks the target's file, runs
                   ``pip install --no-index --find-links wheelhouse --require-hashes -r …``
                   (``--mirror URL``: the office's own index instead of ``--no-index``, still
                   hash-pinned), then ``xlwings runpython install`` on macOS
  安装.bat / 安装.command / 说明.txt / 检查清单.md (docs/excel-checklist.md)

mentor_xl is never installed by name from a public index: its wheel is built here from the
source tree and pinned by hash like every other file.

Wheels for Windows and macOS are fetched with ``pip download --only-binary=:all:
--platform …``. pip evaluates environment markers for the machine it runs on, not for the
``--platform`` given (so xlwings' ``pywin32; platform_system == "Windows"`` would be left
out), so each target's dependency closure is recomputed from the wheels' own metadata under
that target's marker environment and what is missing is fetched. Packages published only as
source (pure Python, e.g. red-black-tree-mod) are built into wheels once, here, and shared by
every target.

Run ``mentor-xl kit DIR`` or ``python -m mentor_xl.xl.kit DIR``.
"""
from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

HERE = Path(__file__).parent
KIT_FILES = HERE / "kit_files"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
KIT_EXTRAS = ("excel", "docs")  # the .xlsm buttons need xlwings; 生成公文 needs the docs extra


class KitError(Exception):
    """The kit could not be built (message in Chinese, for the person running the command)."""


@dataclass(frozen=True)
class Target:
    """One (operating system, machine, Python) an office may run."""

    os: str                      # windows | macos | linux
    machine: str                 # amd64 | arm64 | x86_64 | aarch64 (lower case, as install.py computes it)
    python: str                  # "3.12"
    platforms: tuple[str, ...]   # pip --platform tags; () = this machine, no cross-download

    @property
    def key(self) -> str:
        """The requirements file's name; install.py computes the same from the running Python."""
        return f"{self.os}-{self.machine}-py{self.python}"

    @property
    def native(self) -> bool:
        return not self.platforms

    def marker_env(self) -> dict[str, str]:
        from packaging.markers import default_environment

        if self.native:
            return dict(default_environment())
        system, sys_platform, os_name = {"windows": ("Windows", "win32", "nt"), "macos": ("Darwin", "darwin", "posix"),
                                         "linux": ("Linux", "linux", "posix")}[self.os]
        return {"implementation_name": "cpython", "implementation_version": f"{self.python}.0",
                "os_name": os_name, "platform_machine": "AMD64" if self.machine == "amd64" else self.machine,
                "platform_python_implementation": "CPython", "platform_release": "", "platform_system": system,
                "platform_version": "", "python_full_version": f"{self.python}.0",
                "python_version": self.python, "sys_platform": sys_platform}

    def pip_args(self) -> list[str]:
        if self.native:
            return ["--only-binary=:all:"]
        abi = "cp" + self.python.replace(".", "")
        args = ["--only-binary=:all:", "--python-version", self.python, "--implementation", "cp", "--abi", abi]
        for p in self.platforms:
            args += ["--platform", p]
        return args


def windows_targets(pythons=SUPPORTED_PYTHONS) -> list[Target]:
    return [Target("windows", "amd64", py, ("win_amd64",)) for py in pythons]


def macos_targets(pythons=SUPPORTED_PYTHONS) -> list[Target]:
    # pip expands a macOS tag to every earlier macOS version and to universal2
    return [t for py in pythons for t in (Target("macos", "arm64", py, ("macosx_14_0_arm64",)),
                                          Target("macos", "x86_64", py, ("macosx_13_0_x86_64",)))]


def this_machine() -> Target:
    """The machine running Python now, with the key install.py computes on it."""
    return Target(_os_name(sys.platform), platform.machine().lower(), f"{sys.version_info[0]}.{sys.version_info[1]}", ())


def _os_name(sys_platform: str) -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys_platform, sys_platform)


# ---------------------------------------------------------------------------- wheels
@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str      # canonical
    version: str

    @classmethod
    def of(cls, path: Path) -> "Wheel":
        from packaging.utils import canonicalize_name, parse_wheel_filename

        name, version, _, _ = parse_wheel_filename(path.name)
        return cls(path, canonicalize_name(name), str(version))

    def requires(self) -> list:
        """The Requires-Dist of the wheel's METADATA as packaging Requirements."""
        from packaging.requirements import Requirement

        with zipfile.ZipFile(self.path) as z:
            meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            headers = HeaderParser().parsestr(z.read(meta).decode("utf-8"))
        return [Requirement(r) for r in headers.get_all("Requires-Dist") or []]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def closure(root: Wheel, extras: tuple[str, ...], wheels: dict[str, Wheel], env: dict[str, str]):
    """(the wheels the root needs under ``env``, the requirements no wheel in ``wheels`` satisfies)."""
    from packaging.utils import canonicalize_name

    need: dict[str, Wheel] = {root.name: root}
    missing = []
    todo = [(root, tuple(extras))]
    seen = {(root.name, tuple(extras))}
    while todo:
        wheel, wanted = todo.pop()
        for req in wheel.requires():
            if req.marker is not None and not any(req.marker.evaluate({**env, "extra": e}) for e in ("", *wanted)):
                continue
            name = canonicalize_name(req.name)
            dep = wheels.get(name)
            if dep is None or not req.specifier.contains(dep.version, prereleases=True):
                missing.append(req)
                continue
            need[name] = dep
            key = (name, tuple(sorted(req.extras)))
            if key not in seen:
                seen.add(key)
                todo.append((dep, key[1]))
    return need, missing


def _pip(args: list[str], log: Path, *, check: bool = True) -> bool:
    cmd = [sys.executable, "-m", "pip", *args]
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode and check:
        raise KitError(f"pip 运行失败（{' '.join(args[:2])} …），详见 {log}")
    return r.returncode == 0


def build_wheel(source: Path, out: Path, log: Path) -> Wheel:
    """The mentor_xl wheel, built from the source tree (never fetched by name from an index)."""
    if not (source / "pyproject.toml").is_file():
        raise KitError(f"找不到 mentor_xl 的源代码（{source} 中没有 pyproject.toml）：安装包须从源代码目录生成")
    # build from a copy: setuptools leaves build/ and *.egg-info in the tree it builds
    copy = out.parent / "source"
    shutil.copytree(source / "mentor_xl", copy / "mentor_xl", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (source / name).is_file():
            shutil.copy2(source / name, copy / name)
    _pip(["wheel", "--no-deps", "--wheel-dir", str(out), str(copy)], log)
    (found,) = [p for p in out.glob("mentor_xl-*.whl")]
    return Wheel.of(found)


def target_wheels(target: Target, root: Wheel, extras: tuple[str, ...], local: Path, work: Path,
                  log: Path) -> dict[str, Wheel]:
    """Download the wheels ``target`` needs into ``work/<key>``; returns the closure (name → wheel)."""
    d = work / target.key
    d.mkdir(parents=True, exist_ok=True)
    common = ["download", *target.pip_args(), "--find-links", str(local), "--dest", str(d)]
    _pip([*common, f"{root.path}[{','.join(extras)}]"], log)
    env = target.marker_env()
    for _ in range(10):
        wheels = {w.name: w for w in map(Wheel.of, d.glob("*.whl"))}
        need, missing = closure(Wheel.of(d / root.path.name), extras, wheels, env)
        if not missing:
            return need
        wanted = sorted({str(r).split(";")[0].strip() for r in missing})
        if not _pip([*common, *wanted], log, check=False):
            # a dependency only the target needs may exist as source only (pure Python, e.g.
            # win-unicode-console on Windows): build it into a wheel here, then fetch again
            for spec in wanted:
                _pip(["wheel", "--no-deps", "--wheel-dir", str(local), spec], log, check=False)
            _pip([*common, *wanted], log)
    raise KitError(f"{target.key}：依赖始终不完整（{', '.join(sorted(str(r) for r in missing))}）")


def requirements_text(target: Target, need: dict[str, Wheel]) -> str:
    """Every wheel of the target pinned by version and hash (pip's --require-hashes format)."""
    lines = [f"# mentor_xl 安装包：{target.key}。每个文件都以版本和 sha256 固定（pip --require-hashes）。"]
    for name in sorted(need):
        w = need[name]
        lines.append(f"{name}=={w.version} \\\n    --hash=sha256:{sha256(w.path)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- kit
def build_kit(out_dir: str | Path, *, targets: list[Target] | None = None, packs: list[str] | None = None,
              extras: tuple[str, ...] = KIT_EXTRAS, source: str | Path | None = None,
              progress=print) -> Path:
    """Build the office kit into ``out_dir`` (created; must be empty or absent). Returns it.

    ``targets`` defaults to Windows 64-bit and macOS for every supported Python; a test passes
    ``[this_machine()]``. Downloads go through pip's configured index (or its cache).
    """
    from mentor_xl.packs import available
    from mentor_xl.xl.build import build_macro_workbook, workbook_paths

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise KitError(f"目标文件夹 {out} 不是空的：请指定一个新文件夹")
    targets = targets if targets is not None else windows_targets() + macos_targets()
    source = Path(source) if source else HERE.parents[1]
    (out / "workbooks").mkdir(parents=True, exist_ok=True)
    for sub in ("wheelhouse", "requirements"):
        (out / sub).mkdir()
    log = out / "kit-build.log"
    for pack_id in packs or available():
        progress(f"工作簿：{pack_id}")
        build_macro_workbook(workbook_paths(out / "workbooks", pack_id)[1], pack_id)

    with tempfile.TemporaryDirectory(prefix="mentor_xl_kit_") as tmp:
        tmp = Path(tmp)
        root = build_wheel(source, tmp / "dist", log)
        progress(f"mentor_xl 安装文件：{root.path.name}")
        # this machine builds the source-only (pure Python) packages into wheels every target can use
        local = tmp / "local"
        _pip(["wheel", "--wheel-dir", str(local), "--find-links", str(root.path.parent),
              f"{root.path}[{','.join(extras)}]"], log)
        written = []
        for t in targets:
            progress(f"依赖：{t.key}")
            need = target_wheels(t, root, extras, local, tmp / "targets", log)
            for w in need.values():
                dest = out / "wheelhouse" / w.path.name
                if not dest.exists():
                    shutil.copy2(w.path, dest)
            kept = {n: Wheel(out / "wheelhouse" / w.path.name, w.name, w.version) for n, w in need.items()}
            (out / "requirements" / f"{t.key}.txt").write_text(requirements_text(t, kept), encoding="utf-8")
            written.append(t.key)
    _write_scripts(out, root, written)
    checklist = source / "docs" / "excel-checklist.md"
    if checklist.is_file():  # what the office confirms in its own Excel, in five minutes
        shutil.copy2(checklist, out / "检查清单.md")
    return out


def _write_scripts(out: Path, root: Wheel, keys: list[str]) -> None:
    shutil.copy2(KIT_FILES / "install.py", out / "install.py")
    # Windows' cmd reads a .bat in the console code page: CRLF, and UTF-8 after chcp 65001
    bat = (KIT_FILES / "install.bat").read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n")
    (out / "安装.bat").write_bytes(bat.encode("utf-8"))
    command = out / "安装.command"
    command.write_text((KIT_FILES / "install.command").read_text(encoding="utf-8"), encoding="utf-8", newline="\n")
    command.chmod(0o755)
    guide = (KIT_FILES / "说明.txt").read_text(encoding="utf-8")
    guide = guide.replace("{VERSION}", root.version).replace("{TARGETS}", "\n".join(f"  - {k}" for k in keys))
    (out / "说明.txt").write_text(guide, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m mentor_xl.xl.kit",
                                 description="生成单位离线安装包（.xlsm 工作簿 + mentor_xl 及全部依赖的安装文件）")
    ap.add_argument("out_dir")
    ap.add_argument("--python", action="append", choices=SUPPORTED_PYTHONS, help="只为这些 Python 版本准备（可重复）")
    ap.add_argument("--os", action="append", choices=("windows", "macos", "this"),
                    help="只为这些系统准备（可重复；this = 本机）")
    ap.add_argument("--policy", "-p", action="append", help="只放入这些制度的工作簿（可重复）")
    a = ap.parse_args(argv)
    pythons = tuple(a.python or SUPPORTED_PYTHONS)
    oses = a.os or ["windows", "macos"]
    targets = ([t for t in windows_targets(pythons)] if "windows" in oses else []) + \
              ([t for t in macos_targets(pythons)] if "macos" in oses else []) + \
              ([this_machine()] if "this" in oses else [])
    try:
        out = build_kit(a.out_dir, targets=targets, packs=a.policy)
    except KitError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    print(f"安装包已生成：{out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
