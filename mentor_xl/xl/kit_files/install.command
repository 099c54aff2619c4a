#!/bin/bash
# mentor_xl offline install for macOS: finds python3, then runs install.py
cd "$(dirname "$0")" || exit 1
PY="$(command -v python3)"
if [ -z "$PY" ]; then
  echo "未找到 python3。请先从 python.org 安装 Python 3.11 或更高版本，再双击本文件。"
  read -r -p "按回车键关闭"
  exit 1
fi
"$PY" install.py "$@"
status=$?
read -r -p "按回车键关闭"
exit $status
