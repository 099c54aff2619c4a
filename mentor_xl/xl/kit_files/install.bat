@echo off
chcp 65001 >nul
cd /d "%~dp0"
rem mentor_xl offline install: a supported Python (py launcher first, newest first), then install.py
set "PY="
for %%V in (3.13 3.12 3.11) do (
  if not defined PY (
    py -%%V -c "" >nul 2>nul && set "PY=py -%%V"
  )
)
if not defined PY (
  where python >nul 2>nul && set "PY=python"
)
if not defined PY (
  echo 未找到 Python。请先安装 Python 3.11、3.12 或 3.13（64 位，安装时勾选 Add python.exe to PATH），再双击本文件。
  pause
  exit /b 1
)
%PY% "%~dp0install.py" %*
pause
