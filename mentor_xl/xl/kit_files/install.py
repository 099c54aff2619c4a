"""mentor_xl 离线安装（由 安装.bat / 安装.command 调用；只用 Python 标准库）。

用法：python install.py [--mirror 本单位镜像地址] [--check]

从本文件夹的 wheelhouse 安装 mentor_xl 和它的全部依赖：不访问任何公共软件源；
requirements 中每个文件都以版本和 sha256 固定（pip --require-hashes），文件被改动则拒绝安装。
--mirror：本单位自己的 Python 软件源（仍按 sha256 校验），只在本文件夹缺少文件时使用。
"""
import argparse
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)


def target_key():
    """The name of this computer's requirements file (the kit builder writes the same names)."""
    os_name = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    return f"{os_name}-{platform.machine().lower()}-py{sys.version_info[0]}.{sys.version_info[1]}"


def pip_command(requirements, mirror=None):
    cmd = [sys.executable, "-m", "pip", "install", "--require-hashes", "--only-binary=:all:",
           "--find-links", str(HERE / "wheelhouse"), "-r", str(requirements)]
    # never an index the office did not name: pip's own configuration is ignored
    cmd += ["--isolated"]
    cmd += ["--index-url", mirror] if mirror else ["--no-index"]
    return cmd


def main(argv=None):
    ap = argparse.ArgumentParser(description="mentor_xl 离线安装")
    ap.add_argument("--mirror", help="本单位的 Python 软件源地址（可不填）")
    ap.add_argument("--check", action="store_true", help="只显示将要执行的命令")
    a = ap.parse_args(argv)
    if sys.version_info[:2] < MIN_PYTHON:
        print(f"需要 Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} 或更高版本，当前是 {platform.python_version()}。"
              "请先安装新版 Python（python.org），再运行本程序。")
        return 1
    key = target_key()
    req = HERE / "requirements" / f"{key}.txt"
    if not req.is_file():
        have = sorted(p.stem for p in (HERE / "requirements").glob("*.txt"))
        print(f"本安装包没有适用于这台电脑（{key}）的文件。安装包支持：{'、'.join(have) or '（无）'}。"
              "请安装其中一个 Python 版本，或请管理员为这台电脑生成安装包。")
        return 1
    cmd = pip_command(req, a.mirror)
    print("正在安装 mentor_xl（" + key + "）……")
    if a.check:
        print(" ".join(cmd))
        return 0
    if subprocess.run(cmd).returncode:
        print("安装失败：请把上面的英文信息发给管理员。")
        return 1
    if sys.platform == "darwin":
        # RunPython on macOS goes through AppleScriptTask: xlwings installs its script once per user
        print("正在为 Excel 安装 xlwings 的 macOS 组件（xlwings runpython install）……")
        if subprocess.run([sys.executable, "-m", "xlwings.cli", "runpython", "install"]).returncode:
            print("xlwings runpython install 失败：请在“终端”中运行 xlwings runpython install。")
            return 1
    print("安装完成。打开 workbooks 文件夹中本单位制度的 .xlsm 工作簿，点击“启用内容”后即可使用按钮。")
    print("Python 位置（工作簿找不到 Python 时填入 xlwings.conf 表）：" + sys.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
