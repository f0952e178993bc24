#!/usr/bin/env bash
# Debian's Tesseract with its Swedish model, for scanned PDF pages (rag/ocr.py); no model download.
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx swe; then
  exit 0
fi
echo "paragraf: installing Debian's tesseract-ocr and tesseract-ocr-swe for scanned PDFs"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "paragraf: need root (or sudo) to apt-get install tesseract-ocr tesseract-ocr-swe" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q tesseract-ocr tesseract-ocr-swe >/dev/null \
  || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q tesseract-ocr tesseract-ocr-swe >/dev/null; }
tesseract --version | head -1
