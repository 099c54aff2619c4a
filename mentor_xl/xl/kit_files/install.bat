@echo off
chcp 65001 >nul
cd /d "%~dp0"
rem mentor_xl offline install: finds Python 3 (py launcher first), then runs install.py
set "PY="
where py >nul 2>nul && set "PY=py -3"
if not defined PY (
  where python >nul 2>nul && set "PY=python"
)
if not defined PY (
  echo 未找到 Python。请先安装 Python 3.11 或更高版本（安装时勾选 Add python.exe to PATH），再双击本文件。
  pause
  exit /b 1
)
%PY% "%~dp0install.py" %*
pause
