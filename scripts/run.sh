#!/usr/bin/env bash
# The main job: set up (packages, models), then start the web chat on http://127.0.0.1:7860.
# The app builds the index over ./corpus first if there is none. Arguments go to app.py (e.g. --port 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
# scanned PDFs need Tesseract; without root or sudo the app runs and names the missing package per scan
bash scripts/setup-ocr.sh || echo "paragraf: Tesseract not installed: scanned PDF pages cannot be read" >&2
. .venv/bin/activate
exec python app.py "$@"
