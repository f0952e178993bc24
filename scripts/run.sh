#!/usr/bin/env bash
# The main job: set up, build (or update) the index over the bundled corpus, run a sample search.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
. .venv/bin/activate
python -m rag ingest corpus
python -m rag search "Vem instämde i Sverigedemokraternas särskilda yttrande?" -k 3
