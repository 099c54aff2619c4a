"""mentor-xl: the command line, a thin face over the library.

Exit codes (docs/contract.md): 0 success; 1 the input had errors that stopped the command;
2 bad usage. ``--json`` prints UTF-8 JSON (ensure_ascii=False) on stdout instead of
writing a workbook. Messages for office staff are in Chinese.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from mentor_xl.cli_errors import ChineseGroup, leave
from mentor_xl.extras import require
from mentor_xl.packs import available
from mentor_xl.problems import FatalInputError

def _policy_value(ctx, param, value):
    """--policy: a pack id, or a .toml file named here (only the command line may name a file)."""
    if value is None or not str(value).lower().endswith(".toml"):
        return value
    from mentor_xl.packs import PackError, load_pack_file
    try:
        return load_pack_file(value)
    except PackError as e:
        raise click.BadParameter(str(e), param_hint="--policy")


MAX_OFFICE_NAME = 60  # characters of --office kept: a page header has room for a name, not a paragraph
OFFICE = click.option("--office", "unit", default=None, metavar="单位名称",
                      help="单位名称，印在结果工作簿的标题和每页页眉上；默认取“设置”表的单位名称"
                           "（单位自己的台账没有“设置”表时用它）")
POLICY = click.option("--policy", "-p", default=None, callback=_policy_value,
                      help="制度（如 bit-2022，或制度文件 .toml），覆盖“设置”表中的“制度”")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出到标准输出，不写工作簿")
OUT = click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                   help="结果工作簿路径（默认：输入文件旁，按内容命名，如“<名称>-2024-2025-1-合规.xlsx”）")


class ColumnChoice(click.Choice):
    """A choice of canonical column names that also takes the names offices use for them
    (书院/所在书院 → 学院, 职工号 → 工号): the schema's aliases of ``sheet``."""

    def __init__(self, choices, sheet: str = "人员"):
        super().__init__(choices)
        self.sheet = sheet

    def convert(self, value, param, ctx):
        return super().convert(canonical_column(self.sheet, value), param, ctx)


def canonical_column(sheet: str, value):
    """The canonical name of a column of ``sheet`` written as an alias (书院 → 学院); else as given."""
    from mentor_xl.packs import normalise_label
    from mentor_xl.workbook.schema import BY_NAME

    if not isinstance(value, str):
        return value
    label = normalise_label(value)
    for c in BY_NAME[sheet].columns:
        words = [normalise_label(w) for w in (c.name, *c.aliases)]
        if label in words or any(len(w) >= 2 and label.endswith(w) for w in words):
            return c.name
    return value


def _refuse_out(out: Path | None, *inputs: Path) -> None:
    """An output path that names an input (or its backup) stops the command before any work."""
    if out is not None:
        from mentor_xl.safe import refuse_overwriting_inputs
        refuse_overwriting_inputs(out, inputs)


def _log_ahead(command):
    """The command reads the whole BOOK: a big log starts loading in a child before the command
    imports pandas and the reader (``aside.for_log``): 0.1–0.28 s of a 200k-row run; stopped when it ends."""
    @functools.wraps(command)
    def run(**kw):
        from mentor_xl.workbook.aside import for_log

        try:
            child = for_log(kw["book"])
        except Exception:  # noqa: BLE001 — the reader finds it again and says what is wrong, in words
            child = "start"
        try:
            return command(child=child, **kw)
        finally:
            if child not in (None, "start"):
                child.cancel()
    return run


def emit_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


@click.group(cls=ChineseGroup, no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mentor_xl", message="%(prog)s 版本 %(version)s")
@click.option("--debug", is_flag=True, help="出错时显示完整的 Python 错误信息（给维护人员）")
def main(debug: bool):
    """mentor-xl：从本单位的导师工作簿计算合规、考核、奖励，并生成公文。"""


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("mentor-xl-demo"))
@POLICY
@click.option("--seed", default=2024, show_default=True, help="随机种子（相同种子生成相同数据）")
def demo(directory: Path, policy: str | None, seed: int):
    """生成一个示例单位的工作簿（约 40 名教师、400 名学生、一学年活动记录）并运行全部步骤。"""
    from mentor_xl.pipeline import run_demo

    summary = run_demo(directory, policy or "bit-2022", seed=seed)
    click.echo(summary)


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--policy", "-p", required=True, callback=_policy_value,
              help="制度：" + "、".join(available()) + "，或制度文件 .toml")
@click.option("--year", default=None, help="学年，如 2024-2025（默认：当前学年）")
@click.option("--force", is_flag=True, help="文件已存在时覆盖（会先备份）")
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
    path = write_blank_book(book, pack, year=year, overwrite=force)
    click.echo(f"已生成空白工作簿：{path}（制度 {pack.id}）")


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@POLICY
@AS_JSON
@_log_ahead
def check(book: Path, policy: str | None, as_json: bool, child):
    """检查工作簿并列出全部数据问题（不写任何文件）。"""
    from mentor_xl.office import open_office
    from mentor_xl.pipeline import problems_summary, recognition_lines
    from mentor_xl.problems import structural_first
    from mentor_xl.workbook.reader import read_book

    try:
        wb = read_book(book, policy=policy, child=child)
    except FatalInputError as e:  # not a workbook at all: --json still answers, the message goes to stderr
        if as_json:
            emit_json({"policy": None, "book": str(book), "error": str(e), "problems": [], "recognised": []})
        raise
    try:
        office = open_office(book, policy, book=wb)
    except FatalInputError as e:  # no pack: still show what was read and every problem found
        problems = structural_first(wb.problems)
        if as_json:
            emit_json({"policy": None, "book": str(book), "error": str(e), "problems": problems.to_list(),
                       "recognised": recognition_lines(wb)})
        else:
            click.echo("\n".join(["识别结果：", *("  " + x for x in recognition_lines(wb)), ""]))
            click.echo(problems_summary(None, problems, more="用 --json 可列出全部"))
            click.echo(f"错误：{e}", err=True)
        sys.exit(1)
    problems = office.all_problems()
    try:
        problems.extend(office.eligibility().as_problems())
    except FatalInputError as e:  # a step that cannot run is one more problem, not the end of check
        problems.add(office.book.sheet_names.get("人员", "人员"), None, None, None, f"无法审查任职资格：{e}",
                     "无法审查", "warning")
    problems = structural_first(problems)
    if as_json:
        emit_json({"policy": office.pack.id, "book": str(book), "problems": problems.to_list(),
                   "recognised": recognition_lines(office.book)})
    else:
        lines = recognition_lines(office.book)
        if lines:
            click.echo("\n".join(["识别结果：", *("  " + x for x in lines), ""]))
        click.echo(problems_summary(office.pack, problems, more="用 --json 可列出全部"))


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--term", "-t", required=True, help="学期，如 2024-2025-1 或 2024-2025学年第一学期")
@POLICY
@AS_JSON
@OUT
@click.option("--formulas", is_flag=True,
              help="公式版结果：合规汇总中的次数、时长用 COUNTIFS/SUMIFS 公式，改活动记录后在 Excel/WPS 中自动更新")
@click.option("--full", is_flag=True,
              help="写出全部合规明细（明细很多时默认只列不达标的行，总览表会说明）")
@OFFICE
@_log_ahead
def compliance(book: Path, term: str, policy: str | None, as_json: bool, out: Path | None, formulas: bool,
               full: bool, unit: str | None, child):
    """计算一个学期每位导师对各项规则的合规情况。"""
    from mentor_xl.office import open_office, results_path
    from mentor_xl.pipeline import compliance_summary
    from mentor_xl.results import write_results

    _refuse_out(out, book)
    # the log's last check runs beside the computation and the writing of the results, which are
    # put in place only once it passed; the term's rules are laid out while the log loads
    office = open_office(book, policy, later=True, terms=[term], child=child)
    result = office.compliance(term, confirmed=False)
    if as_json:
        office.confirm()
        emit_json(result.to_json())
        return
    name = _office_name(unit, office)
    if formulas:
        from mentor_xl.xl.formulas import write_formula_results
        office.confirm()
        path = write_formula_results(out or results_path(book, "公式版结果", result.term), result, office.book,
                                     office.pack, office=name)
    else:
        try:
            path = write_results(out or results_path(book, "合规", result.term), result, office=name,
                                 full=full, before_replace=office.confirm)
        except Exception:
            office.confirm()  # a refused file is refused in the check's words, not by an error made from it
            raise
    click.echo(compliance_summary(result))
    click.echo(f"结果工作簿：{path}")


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", "-k", required=True,
              help="公文种类：assess-notice 考核结果通知、award-decision 表彰决定、appointment-notice 聘任通知、"
                   "reminder 整改提醒、work-record 工作记录表、application-form 班级导师申报表、term-summary 学期工作总结")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹")
@click.option("--term", "-t", default=None, help="学期（整改提醒、学期工作总结、工作记录表、按学期考核的通知）")
@click.option("--year", "-y", default=None, help="学年（按学年考核的通知、表彰决定、聘任通知）")
@click.option("--month", default=None, help="工作记录表只生成这个月，如 2024-10")
@click.option("--pdf", is_flag=True, help="同时转换为 PDF（一个 LibreOffice 进程完成整批）")
@click.option("--zip", "zip_", is_flag=True, help="把生成的文件打包为一个 zip")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="使用本单位自己的 Word 模板（先检查再使用）")
@click.option("--date", "date_", default=None, help="成文日期，如 2024-12-20（默认：设置表“成文日期”，再默认今天；"
                                                  "表格默认为所属月份或学期的最后一个工作日）")
@click.option("--seal", is_flag=True, help="加盖印章：成文日期右空四字、署名居中于日期之上，并留出印章位置")
@click.option("--strict", is_flag=True, help="公文缺少发文字号（设置表“文号”）时不生成，而不是只提示")
@click.option("--print", "print_", is_flag=True, help="另生成一个合并的 PDF（整批文档一个文件，便于打印；含 --pdf）")
@click.option("--workers", default=2, show_default=True, help="并行进程数")
@click.option("--no-progress", is_flag=True, help="不显示进度条")
@POLICY
@_log_ahead
def docs(book: Path, kind: str, out_dir: Path, term, year, month, pdf, zip_, template, date_, seal, strict, print_,
         workers, no_progress, policy, child):
    """批量生成公文和表格（Word，可选 PDF），公文按 GB/T 9704-2012 版式。"""
    require("docs")
    from mentor_xl.documents import docs_for_office
    from mentor_xl.libreoffice import LibreOfficeError
    from mentor_xl.office import open_office

    from mentor_xl.documents import get_kind
    try:
        get_kind(kind)  # only an unknown kind is a usage error; a KeyError further in is a bug to report
    except KeyError as e:
        raise click.BadParameter(str(e.args[0] if e.args else e), param_hint="--kind")
    office = open_office(book, policy, child=child)
    try:
        paths, n = docs_for_office(office, kind, out_dir, term=term, year=year, month=month, template=template,
                                   pdf=pdf, zip_=zip_, workers=workers, progress=not no_progress, date=date_,
                                   seal=seal, strict=strict, print_=print_, notify=lambda m: click.echo(m, err=True))
    except LibreOfficeError as e:
        raise FatalInputError(str(e)) from e
    click.echo(f"已生成 {n} 份文档，共 {len(paths)} 个文件，保存在 {out_dir}")


@main.group()
def templates():
    """Word 模板工具。"""


@templates.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path), default=None)
@click.option("--kind", "-k", default=None, help="模板对应的公文种类（检查单个文件时需要）")
def templates_check(path: Path | None, kind: str | None):
    """检查模板：未定义的变量、写错或未闭合的标签、会让 Word 拒绝打开的写法。有问题时退出码为 1。"""
    require("docs")
    from mentor_xl.documents import lint_all, lint_template

    if path is not None and path.is_file():
        if not kind:
            raise click.UsageError("检查单个模板文件时请用 --kind 指明公文种类")
        found = {path.name: lint_template(path, kind)}
    else:
        found = lint_all(path or Path("templates"))
    bad = {k: v for k, v in found.items() if v}
    for name, messages in found.items():
        click.echo(f"{name}：{'未发现问题' if not messages else ''}")
        for m in messages:
            click.echo(f"  - {m}")
    sys.exit(1 if bad else 0)


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--term", "-t", required=True, help="收集哪个学期的活动记录")
@click.option("--by", required=True, type=ColumnChoice(["学院", "工号"]), help="按学院或按人（工号）分发（书院、所在学院等写法也可）")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹")
@click.option("--eml", is_flag=True, help="同时为每位收件人生成一封 .eml 邮件（含附件）")
@click.option("--send", is_flag=True, help="通过 SMTP 发送（服务器见“设置”表或 MENTOR_XL_SMTP_* 环境变量；密码只从环境变量或提示输入）")
@click.option("--deadline", default=None, help="邮件和说明中写明的交回期限，如 2024年12月31日")
@POLICY
@AS_JSON
def collect(book: Path, term: str, by: str, out_dir: Path, eml: bool, send: bool, deadline: str | None,
            policy: str | None, as_json: bool):
    """为每个学院或每位导师生成一份待填的收集工作簿（预填名单、下拉列表、隐藏标记），可生成或发送邮件。"""
    from mentor_xl.mail.collect import collect as run

    result = run(book, term, by, out_dir, policy=policy, eml=eml, send=send, deadline=deadline)
    emit_json(result.to_json()) if as_json else click.echo(result.summary_zh())


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("inbox", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="合并后的工作簿（默认：“<名称>-已合并.xlsx”，原工作簿不动）")
@click.option("--in-place", is_flag=True, help="直接写回原工作簿（原子写入，并保留 .bak.xlsx 备份）")
@click.option("--manifest", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="collect 生成的“收集清单.json”：列出尚未交回的收件人")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="收件报告工作簿路径（默认在合并结果旁）")
@click.option("--replies", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="为每位发件人生成一封回复邮件（.eml），列出需要更正的行")
@click.option("--dry-run", is_flag=True, help="只检查和报告，不写工作簿")
@click.option("--confirm", "confirm", multiple=True, metavar="确认码",
              help="收件报告中“待确认”文件的确认码：核对无误后加上此项重新运行即合并（可重复）")
@click.option("--max-deletions", default=None, type=click.IntRange(min=0),
              help="一份回复删除已合并的行超过此数时暂不合并，等待确认（默认 50）")
@POLICY
@AS_JSON
def ingest(book: Path, inbox: tuple[Path, ...], out: Path | None, in_place: bool, manifest: Path | None,
           report_path: Path | None, replies: Path | None, dry_run: bool, confirm: tuple[str, ...],
           max_deletions: int | None, policy: str | None, as_json: bool):
    """合并交回的工作簿（文件、.eml/.msg 邮件、mbox、Maildir）：逐行校验，同一份只合并一次，后交的更正覆盖先交的。"""
    from mentor_xl.mail.ingest import ingest as run
    from mentor_xl.mail.trust import DEFAULT_MAX_DELETIONS

    if max_deletions is None:
        max_deletions = DEFAULT_MAX_DELETIONS
    if out and in_place:
        raise click.UsageError("--out 与 --in-place 只能选一个")
    _refuse_out(out, book, *inbox)
    _refuse_out(report_path, book, *inbox, *([out] if out else []))
    result = run(book, list(inbox), out=out, in_place=in_place, policy=policy, manifest=manifest,
                 report=report_path or True, reply_dir=replies, dry_run=dry_run, confirm=confirm,
                 max_deletions=max_deletions)
    emit_json(result.to_json()) if as_json else click.echo(result.summary_zh())


@main.command("build-workbooks")
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("workbooks"))
@click.option("--policy", "-p", "policies", multiple=True, help="只生成这些制度的工作簿（可重复）")
def build_workbooks(out_dir: Path, policies: tuple[str, ...]):
    """生成带按钮的工作簿：xlwings Lite 版（.xlsx）和本机 Python 版（.xlsm），每个制度各一个。"""
    require("excel")
    from mentor_xl.xl.build import build_workbooks as build

    for path in build(out_dir, list(policies) or None):
        click.echo(f"已生成：{path}")


@main.command("kit")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--python", "pythons", multiple=True, type=click.Choice(["3.11", "3.12", "3.13"]),
              help="只为这些 Python 版本准备（可重复；默认 3.11–3.13）")
@click.option("--os", "oses", multiple=True, type=click.Choice(["windows", "macos", "this"]),
              help="只为这些系统准备（可重复；默认 windows 和 macos；this = 本机）")
@click.option("--policy", "-p", "policies", multiple=True, help="只放入这些制度的工作簿（可重复）")
def kit(out_dir: Path, pythons: tuple[str, ...], oses: tuple[str, ...], policies: tuple[str, ...]):
    """生成单位离线安装包：各制度的 .xlsm、mentor_xl 及全部依赖的安装文件（按 sha256 固定）、安装.bat / 安装.command。"""
    require("excel")
    from mentor_xl.xl.kit import main as kit_main

    args = [str(out_dir)] + [f"--python={p}" for p in pythons] + [f"--os={o}" for o in oses] + \
        [f"--policy={p}" for p in policies]
    raise SystemExit(kit_main(args))


def _office_name(unit: str | None, office) -> str:
    """--office, its spaces made one, control characters dropped and cut to a page header's room;
    else the book's 单位名称."""
    words = "".join(ch if ch.isprintable() else " " for ch in (unit or "")).split()
    return " ".join(words)[:MAX_OFFICE_NAME] or office.name


def _report(book: Path, out: Path | None, what: str, label: str | None, result, as_json: bool, summary: str,
            office: str = "", period: str = "") -> None:
    """--json → the result's JSON; otherwise its sheets and 数据问题 into a workbook beside the input,
    ``office`` (单位名称) and ``period`` (2024-2025学年) above every printed page."""
    from mentor_xl.office import results_path
    from mentor_xl.workbook.report import write_report

    if as_json:
        emit_json(result.to_json())
        return
    _refuse_out(out, book)
    path = write_report(out or results_path(book, what, label), result.sheets(), result.problems,
                        office=office, period=period)
    click.echo(summary)
    click.echo(f"结果工作簿：{path}")


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", "-y", default=None, help="学年，如 2024-2025（按学年考核的制度）")
@click.option("--term", "-t", default=None, help="学期，如 2024-2025-2（按学期考核的制度）")
@POLICY
@AS_JSON
@OUT
@OFFICE
@_log_ahead
def assess(book: Path, year: str | None, term: str | None, policy: str | None, as_json: bool, out: Path | None,
           unit: str | None, child):
    """按制度评定考核等次（配额、并列处理、一票否决、待定、不计），每条结果附中文理由。"""
    from mentor_xl.office import open_office
    from mentor_xl.periods import period_text
    from mentor_xl.pipeline import assess_summary

    if (year is None) == (term is None):
        raise click.UsageError("请给出 --year 或 --term 之一")
    office = open_office(book, policy, child=child)
    result = office.assess(year=year, term=term)
    _report(book, out, "考核", year or term, result, as_json, assess_summary(result), _office_name(unit, office),
            period_text(year or term))


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--term", "-t", default=None, help="按哪个学期审查（默认：今天）")
@POLICY
@AS_JSON
@OUT
@OFFICE
@_log_ahead
def eligibility(book: Path, term: str | None, policy: str | None, as_json: bool, out: Path | None,
                unit: str | None, child):
    """导师任职资格审查（职称、学历、任职年限、撤销后两年内不得申请等），以及班级对接优先顺序。"""
    from mentor_xl.office import open_office
    from mentor_xl.periods import period_text

    office = open_office(book, policy, child=child)
    result = office.eligibility(term=term)
    bad = [r for r in result.to_json().get("results", []) if r.get("eligible") is False]
    _report(book, out, "资格审查", term, result, as_json, f"资格审查：{len(bad)} 人不符合条件，详见“资格审查”表。",
            _office_name(unit, office), period_text(term) or f"截至 {result.as_of.isoformat()}")


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", "-y", required=True, help="评选的学年，如 2024-2025")
@click.option("--budget", default=None, help="预算（万元），如 25 或 12.5")
@POLICY
@AS_JSON
@OUT
@OFFICE
@_log_ahead
def awards(book: Path, year: str, budget: str | None, policy: str | None, as_json: bool, out: Path | None,
           unit: str | None, child):
    """核对奖项提名（名额、角色、同一系列只取最高奖），按元精确计算奖励总额与预算差额。"""
    from mentor_xl.money import MoneyError
    from mentor_xl.office import open_office
    from mentor_xl.periods import period_text

    office = open_office(book, policy, child=child)
    try:
        result = office.awards(year, budget_wan=budget)
    except MoneyError as e:
        raise click.BadParameter(str(e), param_hint="--budget")
    _report(book, out, "奖励预算", year, result, as_json, result.budget_message(), _office_name(unit, office),
            period_text(year))


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--total", required=True, help="经费总额（元），如 100000 或 “10万”")
@click.option("--by", default="学院", show_default=True, help="按学生表的哪一列分配")
@POLICY
@AS_JSON
@OUT
@OFFICE
@_log_ahead
def allocate(book: Path, total: str, by: str, policy: str | None, as_json: bool, out: Path | None,
             unit: str | None, child):
    """按学生人数用最大余额法分配经费（各部分之和恰等于总额，单位：元）。"""
    from mentor_xl.money import MoneyError, parse_yuan
    from mentor_xl.office import open_office

    try:
        total_yuan = parse_yuan(total)
    except MoneyError as e:
        raise click.BadParameter(str(e), param_hint="--total")
    by = canonical_column("学生", by)
    office = open_office(book, policy, child=child)
    result = office.allocate(total_yuan, by=by)
    parts = result.to_json()["parts"]
    _report(book, out, "经费分配", by, result, as_json,
            f"经费 {total_yuan} 元按{by}人数分配给 {len(parts)} 个单位，合计 {sum(p['amount_yuan'] for p in parts)} 元。",
            _office_name(unit, office))


def run() -> None:
    """The command line's entry (``mentor-xl``, ``python -m mentor_xl``): ``main``, then out at
    once (``cli_errors.leave``: the process does not free its objects one by one on the way)."""
    try:
        main()
    except SystemExit as e:
        leave(e.code)
    leave(0)


if __name__ == "__main__":  # pragma: no cover
    run()
