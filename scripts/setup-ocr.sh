#!/usr/bin/env bash
# Debian's Tesseract with its Swedish model, for scanned PDF pages (rag/reading/ocr.py); no model download.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx swe; then
  exit 0
fi
bash scripts/apt-install.sh "scanned PDFs" tesseract-ocr tesseract-ocr-swe
tesseract --version | head -1
