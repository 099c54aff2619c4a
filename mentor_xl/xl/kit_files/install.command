#!/bin/bash
# mentor_xl offline install for macOS: a supported python3 (newest first), then install.py
cd "$(dirname "$0")" || exit 1
PY=""
for v in 3.13 3.12 3.11; do
  if [ -z "$PY" ] && command -v "python$v" >/dev/null 2>&1; then PY="$(command -v "python$v")"; fi
done
[ -z "$PY" ] && PY="$(command -v python3)"
if [ -z "$PY" ]; then
  echo "未找到 python3。请先从 python.org 安装 Python 3.11、3.12 或 3.13，再双击本文件。"
  read -r -p "按回车键关闭"
  exit 1
fi
"$PY" install.py "$@"
status=$?
read -r -p "按回车键关闭"
exit $status
