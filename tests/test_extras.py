"""Optional dependencies: a missing extra is a Chinese message naming what to install."""
import pytest

from mentor_xl import extras


def test_missing_extra_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(extras, "find_spec", lambda m: None if m == "docxtpl" else object())
    assert extras.missing("docs") == ["docxtpl"]
    with pytest.raises(extras.MissingExtra, match=r"离线安装包.*pip install -e '\.\[docs\]'"):
        extras.require("docs")


def test_installed_extras_pass():
    # [dev] installs every extra: nothing is missing and require() lets the command run
    assert extras.missing("docs") == [] and extras.missing("excel") == []
    extras.require("docs")
    extras.require("excel")
