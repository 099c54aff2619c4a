"""mentor-xl: the command line, a thin face over the library.

Exit codes (workbook.md): 0 success; 1 the input had errors that stopped the command;
2 bad usage. ``--json`` prints UTF-8 JSON (ensure_ascii=False) on stdout instead of
writing a workbook. Messages for office staff are in Chinese.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from mentor_xl.problems import FatalInputError

POLICY = click.option("--policy", "-p", default=None, help="制度（如 bit-2022），覆盖“设置”表中的“制度”")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出到标准输出，不写工作簿")
OUT = click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                   help="结果工作簿路径（默认：输入文件旁的“<名称>-结果.xlsx”）")


def _fatal_to_exit(fn):
    """FatalInputError → a Chinese message on stderr and exit code 1."""
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except FatalInputError as e:
            click.echo(f"错误：{e}", err=True)
            sys.exit(1)
    return wrapper


def emit_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mentor_xl")
def main():
    """mentor-xl：从本单位的导师工作簿计算合规、考核、奖励，并生成公文。"""


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("mentor-xl-demo"))
@POLICY
@click.option("--seed", default=2024, show_default=True, help="随机种子（相同种子生成相同数据）")
@_fatal_to_exit
def demo(directory: Path, policy: str | None, seed: int):
    """生成一个示例单位的工作簿（约 40 名教师、400 名学生、一学年活动记录）并运行全部步骤。"""
    from mentor_xl.pipeline import run_demo

    summary = run_demo(directory, policy or "bit-2022", seed=seed)
    click.echo(summary)


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--policy", "-p", required=True, help="制度：bit-2022、ustb-2022、lctc-2024、hfut-math")
@click.option("--year", default=None, help="学年，如 2024-2025（默认：当前学年）")
@click.option("--force", is_flag=True, help="文件已存在时覆盖（会先备份）")
@_fatal_to_exit
def init(book: Path, policy: str, year: str | None, force: bool):
    """生成一个空白的单位工作簿：全部工作表、表头、下拉列表、说明表和法定节假日。"""
    from mentor_xl.packs import PackError, load_pack
    from mentor_xl.workbook.blank import write_blank_book

    try:
        pack = load_pack(policy)
    except PackError as e:
        raise click.BadParameter(str(e), param_hint="--policy")
    if book.exists() and not force:
        raise FatalInputError(f"{book} 已存在。如要覆盖请加 --force（原文件会备份）")
    path = write_blank_book(book, pack, year=year)
    click.echo(f"已生成空白工作簿：{path}（制度 {pack.id}）")


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@POLICY
@AS_JSON
@_fatal_to_exit
def check(book: Path, policy: str | None, as_json: bool):
    """检查工作簿并列出全部数据问题（不写任何文件）。"""
    from mentor_xl.office import open_office
    from mentor_xl.pipeline import problems_summary

    office = open_office(book, policy)
    problems = office.all_problems()
    if as_json:
        emit_json({"policy": office.pack.id, "book": str(book), "problems": problems.to_list()})
    else:
        click.echo(problems_summary(office.pack, problems))


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--term", "-t", required=True, help="学期，如 2024-2025-1 或 2024-2025学年第一学期")
@POLICY
@AS_JSON
@OUT
@_fatal_to_exit
def compliance(book: Path, term: str, policy: str | None, as_json: bool, out: Path | None):
    """计算一个学期每位导师对各项规则的合规情况。"""
    from mentor_xl.office import open_office, results_path
    from mentor_xl.pipeline import compliance_summary
    from mentor_xl.workbook.results import write_results

    office = open_office(book, policy)
    result = office.compliance(term)
    if as_json:
        emit_json(result.to_json())
        return
    path = write_results(out or results_path(book), result)
    click.echo(compliance_summary(result))
    click.echo(f"结果工作簿：{path}")


if __name__ == "__main__":  # pragma: no cover
    main()
