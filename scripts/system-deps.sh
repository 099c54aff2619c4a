#!/usr/bin/env bash
# Debian packages the tests need: LibreOffice headless (recalculate and convert Excel/Word
# output), CJK fonts (PDFs and charts without tofu; AR PL KaitiM GB as 楷体), poppler (pdftotext/pdftoppm),
# python3-uno (a VBA macro run in LibreOffice).
# Skips the install when everything is already there.
set -euo pipefail
need=()
command -v soffice >/dev/null || need+=(libreoffice-calc libreoffice-writer)
command -v pdftotext >/dev/null || need+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
# a real 楷体 for （一） headings in PDFs (Debian has no Simplified-Chinese 仿宋: Noto Serif stands in)
fc-list 2>/dev/null | grep -qi "KaitiM GB" || need+=(fonts-arphic-gkai00mp)
# LibreOffice's UNO bridge for the system python3: the test that runs the buttons' print macro in
# LibreOffice's VBA runtime (tests/lo_vba.py)
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || need+=(python3-uno)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
