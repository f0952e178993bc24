#!/usr/bin/env bash
# Set up what the tests need (not the 1.1 GB default LLM) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh tests
. .venv/bin/activate
python -m pytest "$@"
