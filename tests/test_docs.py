"""The project's own documentation: complete for every command, and self-contained.

Like sqlite-utils' documentation tests: a command or option that is not written down fails here.
"""
from __future__ import annotations

import re
from pathlib import Path

import click

from mentor_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", cmd


def test_every_command_is_in_the_contract():
    contract = (DOCS / "contract.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+(?: [a-z-]+)?)", contract, re.M))
    missing = {name for name, _ in _commands(main)} - documented
    assert not missing, f"docs/contract.md 的命令表缺少：{sorted(missing)}"


def test_every_option_has_chinese_help():
    for name, cmd in _commands(main):
        for p in cmd.params:
            if isinstance(p, click.Option) and p.name not in ("help",):
                assert p.help and re.search(r"[\u4e00-\u9fff]", p.help), f"{name} {p.opts}: 缺少中文说明"


def test_docs_are_self_contained():
    """Nothing in README or docs/ sends a reader outside the repository."""
    for path in [ROOT / "README.md", *DOCS.glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/spec" not in text, path.name
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not re.match(r"[a-z]+://", target):
                assert (path.parent / target).exists(), f"{path.name}: 链接 {target} 不存在"


def test_policies_page_is_generated_from_the_packs():
    from mentor_xl.packs.describe import page

    assert (DOCS / "policies.md").read_text(encoding="utf-8") == page(), \
        "docs/policies.md 与制度包不一致：运行 python -m mentor_xl.packs.describe > docs/policies.md"
