"""README's first command on a fresh machine: no CJK font, no LibreOffice, a new matplotlib cache.

The demo runs in a subprocess whose matplotlib sees no CJK font (its font cache holds none and the
font files on disk are listed without them), whose PATH has no soffice and whose MPLCONFIGDIR is
new. It must exit 0 with every output; charts are drawn in digits and Latin and explained in the
document. A font installed after matplotlib cached its list is found without clearing the cache.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Runs before mentor_xl: the machine's font list as matplotlib would have cached it without CJK
# fonts. HIDE=1 also hides them from the disk scan (not installed); HIDE=0 leaves the disk as it is
# (installed after the cache was built).
PRELUDE = r"""
import os, sys
from matplotlib import font_manager as fm
cjk = lambda p: "cjk" in str(p).lower() or "wqy" in str(p).lower()
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if not cjk(f.fname)]
if os.environ["HIDE"] == "1":
    real = fm.findSystemFonts
    fm.findSystemFonts = lambda *a, **k: [p for p in real(*a, **k) if not cjk(p)]
"""


def _env(tmp_path: Path, hide: bool) -> dict:
    env = dict(os.environ)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    env.update(PATH=str(bin_dir), MPLCONFIGDIR=str(tmp_path / "mpl"), HIDE="1" if hide else "0",
               MPLBACKEND="Agg", FONTCONFIG_FILE=str(_empty_fontconfig(tmp_path)))
    env["MENTOR_XL_SOFFICE"] = str(tmp_path / "bin" / "soffice")  # not there: also hides /usr/bin/soffice
    return env


def _empty_fontconfig(tmp_path: Path) -> Path:
    (tmp_path / "fonts").mkdir(exist_ok=True)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{tmp_path / "fonts"}</dir>'
                    f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>', encoding="utf-8")
    return conf


def test_demo_runs_with_no_cjk_font_and_no_libreoffice(tmp_path):
    out = tmp_path / "demo"
    code = PRELUDE + ("from mentor_xl.documents.charts import cjk_font\n"
                      "assert cjk_font() is None, cjk_font()\n"
                      "from mentor_xl.libreoffice import find_soffice\nassert find_soffice() is None\n"
                      f"from mentor_xl.cli import main\nmain(['demo', {str(out)!r}])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
                       env=_env(tmp_path, hide=True), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "错误" not in r.stderr, r.stderr
    made = {p.name for p in out.iterdir()}
    for name in ("示例单位-bit-2022.xlsx", "示例单位-bit-2022-2024-2025-1-合规.xlsx",
                 "示例单位-bit-2022-2024-2025-2-合规.xlsx", "示例单位-bit-2022-2024-2025-考核.xlsx",
                 "示例单位-bit-2022-学院-经费分配.xlsx", "公文", "邮件往返"):
        assert name in made, (name, sorted(made))
    summaries = sorted((out / "公文").glob("学期工作总结/*.docx"))
    assert summaries, sorted(p.name for p in (out / "公文").iterdir())
    with zipfile.ZipFile(summaries[0]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        images = [n for n in z.namelist() if n.startswith("word/media/")]
    assert images  # the chart is there, drawn without a CJK font …
    assert "横轴为月份" in xml and "柱高为当月工作次数" in xml  # … and explained in the document


def test_chart_without_a_cjk_font_has_only_digits_and_latin(monkeypatch):
    from matplotlib.figure import Figure

    from mentor_xl.documents import charts

    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    texts: list[str] = []
    real = Figure.savefig

    def spy(self, *a, **kw):
        texts.extend(t.get_text() for t in self.findobj(lambda o: hasattr(o, "get_text")) if t.get_text())
        return real(self, *a, **kw)

    monkeypatch.setattr(Figure, "savefig", spy)
    c = charts.MonthlyChart("张三 2024-2025学年第一学期各月工作情况", ("9月", "10月", "11月"), (3, 0, 1),
                            (2.5, 0, 1), (1.0, None, 0.5))
    assert c.png()[:8] == b"\x89PNG\r\n\x1a\n"
    assert texts and all(t.isascii() for t in texts), texts
    assert {"9", "10", "11", "3/2.5h", "1/1h", "%"} <= set(texts)
    assert c.caption().startswith("图：张三 2024-2025学年第一学期各月工作情况。横轴为月份（9月、10月、11月）")


def test_a_font_installed_after_the_cache_was_built_is_used(tmp_path):
    from matplotlib import font_manager as fm
    if not any("cjk" in f.fname.lower() for f in fm.fontManager.ttflist):
        pytest.skip("this machine has no CJK font to install")
    # 1. a process builds matplotlib's cache while the CJK fonts are not installed
    save = PRELUDE + ("import matplotlib\nfrom pathlib import Path\n"
                      "fm.json_dump(fm.fontManager, Path(matplotlib.get_cachedir()) / "
                      "f'fontlist-v{fm.FontManager.__version__}.json')\n")
    r = subprocess.run([sys.executable, "-c", save], capture_output=True, text=True, env=_env(tmp_path, hide=True))
    assert r.returncode == 0, r.stderr
    # 2. the fonts are on disk now; a new process reads the stale cache and still finds them
    use = ("from matplotlib import font_manager as fm\n"
           "assert not any('cjk' in f.fname.lower() for f in fm.fontManager.ttflist), 'cache not stale'\n"
           "from mentor_xl.documents.charts import cjk_font\nprint(cjk_font())\n")
    r = subprocess.run([sys.executable, "-c", use], capture_output=True, text=True, env=_env(tmp_path, hide=False))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Noto Sans CJK SC"
