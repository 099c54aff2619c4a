"""The command line's one place for errors: nothing but a Chinese message ever reaches office staff.

- click's own usage messages (missing file, bad choice, missing option …) are translated here,
  once, from the text click builds (exit 2);
- every known error of the library (FatalInputError, PackError, MoneyError, LibreOfficeError,
  ChartFontMissing, a file locked by Excel) is a Chinese message and exit 1;
- anything unexpected is a Chinese message naming the command, the workbook and what was being
  read, and the version, exit 1; the Python traceback only with ``mentor-xl --debug``.
"""
from __future__ import annotations

import errno
import os
import re
import sys
import traceback

import click

from mentor_xl.problems import FatalInputError, reading

# click's message (English) -> Chinese; applied in order, each to what the previous left.
_USAGE_ZH: list[tuple[str, str]] = [
    (r"Invalid value for '([^']+)'(?: / '[^']+')*: ", r"参数 \1 的值无效："),
    (r"Invalid value for ([^:']+): ", r"参数 \1 的值无效："),
    (r"^Invalid value: ", "值无效："),
    (r"Missing argument '([^']+)'(?: / '[^']+')*\.", r"缺少参数 \1（工作簿等文件路径）。"),
    (r"Missing option '([^']+)'(?: / '[^']+')*\.", r"缺少选项 \1。"),
    (r"Missing parameter:? '?([^'.]+)'?\.?", r"缺少参数 \1。"),
    (r" ?Choose from:\s*", " 可选："),
    (r",\n\t", "、"),
    (r"\n\t", ""),
    (r"(?:File|Path) '(.+?)' does not exist\.", r"文件“\1”不存在，请检查路径和文件名。"),
    (r"Directory '(.+?)' does not exist\.", r"文件夹“\1”不存在。"),
    (r"(?:File|Directory|Path) '(.+?)' is a directory\.", r"“\1”是文件夹，这里需要一个文件。"),
    (r"(?:File|Directory|Path) '(.+?)' is a file\.", r"“\1”是文件，这里需要一个文件夹。"),
    (r"(?:File|Directory|Path) '(.+?)' is not readable\.", r"“\1”无法读取（没有权限）。"),
    (r"(?:File|Directory|Path) '(.+?)' is not writable\.", r"“\1”无法写入（没有权限）。"),
    (r"Could not open file '(.+?)': ", r"无法打开文件“\1”："),
    (r"'(.*?)' is not one of (.+)\.$", r"“\1”不是可选的值，可选：\2。"),
    (r"'(.*?)' is not '(.+)'\.$", r"“\1”不是可选的值，只能是 \2。"),
    (r"'(.*?)' is not a valid integer\.", r"“\1”不是整数。"),
    (r"'(.*?)' is not a valid float\.", r"“\1”不是数字。"),
    (r"'(.*?)' is not a valid boolean\..*", r"“\1”不是 是/否 值。"),
    (r"(\S+) is not in the range (.+)\.", r"\1 不在允许的范围 \2 内。"),
    (r"No such option:? '?([^'\s.]+)'?\.?", r"没有选项 \1。"),
    (r" ?Did you mean '?([^'?]+)'?\?", r"是否想用 \1？"),
    (r" ?\(Possible options: (.+)\)", r"（可能是：\1）"),
    (r"No such command '(.+?)'\.", r"没有命令“\1”。"),
    (r"Missing command\.", "缺少命令。"),
    (r"Option '(.+?)' requires an argument\.", r"选项 \1 后面需要一个值。"),
    (r"Option '(.+?)' requires (\d+) arguments\.", r"选项 \1 后面需要 \2 个值。"),
    (r"Option '(.+?)' does not take a value\.", r"选项 \1 不需要值。"),
    (r"Got unexpected extra arguments? \((.+)\)", r"多余的参数：\1"),
    (r"Argument '(.+?)' takes (\d+) values\.", r"参数 \1 需要 \2 个值。"),
    (r"'(.+?)', '", r"“\1”、'"),  # a list of choices: '学院', '工号' → “学院”、“工号”
    (r"'([^']+)'(?=[。、，：]|$)", r"“\1”"),
]


def zh_usage(message: str) -> str:
    """click's English usage message in Chinese (our own Chinese messages pass unchanged)."""
    for pattern, repl in _USAGE_ZH:
        message = re.sub(pattern, repl, message, flags=re.M)
    return message


# click's help-page words (usage line, headings, its own option help) -> Chinese.
_HELP_ZH: tuple[tuple[str, str], ...] = (
    ("Usage: ", "用法："), ("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."),
    ("Options:", "选项："), ("Commands:", "命令："), ("Arguments:", "参数："),
    ("Show this message and exit.", "显示本帮助并退出。"), ("Show the version and exit.", "显示版本并退出。"),
    ("[default: ", "[默认："), ("[required]", "[必填]"),
)


def zh_help(text: str) -> str:
    """click's help page or usage line with its English words in Chinese."""
    for en, zh in _HELP_ZH:
        text = text.replace(en, zh)
    return text


class _ChineseFormatter(click.HelpFormatter):
    def getvalue(self) -> str:
        return zh_help(super().getvalue())


class _ChineseContext(click.Context):
    formatter_class = _ChineseFormatter


class _ChineseCommand(click.Command):
    context_class = _ChineseContext


def show_usage_error(e: click.ClickException) -> None:
    ctx = getattr(e, "ctx", None)
    if ctx is not None and isinstance(e, click.UsageError):
        click.echo(zh_help(ctx.get_usage()), err=True)
        click.echo(f"运行“{ctx.command_path} -h”查看帮助。\n", err=True)
    click.echo(f"错误：{zh_usage(e.format_message())}", err=True)


# the OS's reasons office staff meet when a file cannot be written, in their words (others: the OS's)
_OS_REASONS = {getattr(errno, name, None): why for name, why in (  # getattr: not every OS names them all
    ("ENOSPC", "磁盘空间已满，请清理磁盘或换一个保存位置后重试"),
    ("EDQUOT", "超出了磁盘配额，请清理后重试"),
    ("EROFS", "保存位置是只读的（如光盘、只读的网络盘），请换一个位置"),
    ("EIO", "磁盘或网络盘读写出错，请检查后重试"),
    ("ENAMETOOLONG", "文件名或路径过长，请缩短后重试"),
    ("EBUSY", "文件正被其他程序占用，请关闭后重试"))}
_OS_REASONS.pop(None, None)


def _known() -> tuple[type, ...]:
    """Errors that carry a message written for office staff."""
    from mentor_xl.packs import PackError
    out: list[type] = [FatalInputError, PackError]
    for mod, name in (("mentor_xl.money", "MoneyError"), ("mentor_xl.libreoffice", "LibreOfficeError"),
                      ("mentor_xl.documents.charts", "ChartFontMissing")):
        try:
            out.append(getattr(__import__(mod, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(out)


def _what(argv: list[str]) -> tuple[str, str | None]:
    """(the command, the workbook it was given) from the command line."""
    words = [a for a in argv if not a.startswith("-")]
    command = " ".join(words[:2]) if words[:1] == ["templates"] else (words[0] if words else "")
    book = next((w for w in words[1:] if re.search(r"\.(xlsx|xlsm|xls|xlsb|ods)$", w, re.I)), None)
    return command, book


def version() -> str:
    try:
        from importlib.metadata import version as v
        return v("mentor_xl")
    except Exception:  # not installed (run from a checkout)
        return "（未安装）"


def run_guarded(invoke, argv: list[str], *, standalone: bool):
    """Run ``invoke()`` (click's main, non-standalone); every error → Chinese message and exit code."""
    debug = "--debug" in argv or os.environ.get("MENTOR_XL_DEBUG") == "1"
    try:
        rv = invoke()
        code = rv if isinstance(rv, int) else 0
    except click.ClickException as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `mentor-xl` alone: the help, not an error
            click.echo(e.format_message())
            code = 0
        else:
            show_usage_error(e)
            code = e.exit_code
    except click.Abort:
        click.echo("已取消。", err=True)
        code = 1
    except _known() as e:
        click.echo(f"错误：{e}", err=True)
        code = 1
    except PermissionError as e:
        click.echo(f"错误：无法写入或读取“{e.filename or ''}”：没有权限，或文件正在 Excel/WPS 中打开。"
                   "请关闭该文件后重试。", err=True)
        code = 1
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        click.echo(f"错误：找不到文件或文件夹“{e.filename or ''}”。", err=True)
        code = 1
    except OSError as e:
        why = _OS_REASONS.get(e.errno) or f"系统提示“{e.strerror or e}”"  # the OS's own words, marked as such
        name = getattr(e, "filename", None)
        click.echo(f"错误：读写文件{f'“{name}”' if name else ''}失败：{why}", err=True)
        code = 1
    except KeyboardInterrupt:
        click.echo("\n已中断。", err=True)
        code = 130
    except MemoryError:
        click.echo("错误：内存不足，工作簿太大。请关闭其他程序后重试，或把工作簿按学期拆分。", err=True)
        code = 1
    except Exception as e:  # noqa: BLE001 — the one place that turns any failure into a message
        command, book = _what(argv)
        where = f"处理工作簿“{book}”" if book else "运行"
        now = reading()
        click.echo(f"错误：mentor-xl {command} {where}时出现意外错误"
                   + (f"（正在读取：{now}）" if now else "")
                   + f"：{type(e).__name__}：{e}。\n这不是您的操作问题。请把这段信息连同工作簿发给维护人员"
                     f"（mentor_xl 版本 {version()}）；加 --debug（mentor-xl --debug {command} …）可显示详细位置。",
                   err=True)
        if debug:
            traceback.print_exc()
        code = 1
    if standalone:
        sys.exit(code)
    return code


class ChineseGroup(click.Group):
    """click.Group whose ``main`` never lets an error out untranslated (see ``run_guarded``) and whose
    help pages, its subcommands' and subgroups' too, are in Chinese."""

    context_class = _ChineseContext
    command_class = _ChineseCommand
    group_class = type  # subgroups are ChineseGroups too

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        return run_guarded(lambda: super(ChineseGroup, self).main(argv, prog_name, complete_var,
                                                                  standalone_mode=False, **extra),
                           argv, standalone=standalone_mode)


def leave(code) -> None:
    """End the process with ``code`` (a SystemExit's: None, a number, or words said on stderr)
    as the interpreter would, less its last step: freeing every object one by one. After a 200k-row
    run that step alone took ~0.17 s of the command's time, with nothing left to do. Threads
    still running are waited for, ``atexit`` functions and finalizers run, and the output is
    flushed, as at any exit; then ``os._exit``. Only the command line's own process ends this
    way (``cli.run``): ``main`` called from Python or a test returns or raises as usual."""
    import atexit
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)  # the interpreter's own first step at exit
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more to say
            code = code or 120  # as the interpreter says it
    os._exit(code)
