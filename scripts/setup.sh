#!/usr/bin/env bash
# Set up Paragraf in ./.venv: Python packages, then the models for PURPOSE ("run" or "tests").
# Idempotent: a second run only checks stamps and hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
PURPOSE="${1:-run}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "paragraf: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate

stamp=".venv/.deps-$(cat requirements.txt pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "paragraf: installing Python packages (first time: several minutes)"
  python -m pip install -q --upgrade pip
  # The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
  python -m pip install -q torch==2.13.0
  python -m pip install -q -r requirements.txt
  # llama-cpp-python has no wheel on PyPI: pip compiles it once (6-17 min) and caches the wheel.
  if ! python -c "import llama_cpp" >/dev/null 2>&1; then
    echo "paragraf: building llama-cpp-python (first time only, pip caches the wheel)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" python -m pip install -q llama-cpp-python==0.3.36
  fi
  python -m pip install -q --no-deps -e .
  rm -f .venv/.deps-*
  touch "$stamp"
fi

python -m rag fetch --for "$PURPOSE"
