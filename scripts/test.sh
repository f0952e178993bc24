#!/usr/bin/env bash
# Set up what the tests need (not the 1.1 GB default LLM; Debian's Chromium for the browser tests and the
# PDF renderings, Debian's Tesseract for the OCR test) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh tests
bash scripts/setup-browser.sh
bash scripts/setup-ocr.sh
. .venv/bin/activate
python -m pytest "$@"
