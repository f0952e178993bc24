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
  python -m pip install -q --no-deps -e .
  rm -f .venv/.deps-*
  touch "$stamp"
fi

# llama-cpp-python has no wheel on PyPI: it is compiled once (~4 min on 2 cores) for the instruction sets this CPU
# has (scripts/llama_build.py: AVX-512, VNNI and AMX where present; ggml's AMX tile config mended) and the
# wheel kept in a folder named by them, so that a wheel never reaches a CPU without its instructions.
read -r llama_key llama_cmake < <(python scripts/llama_build.py)
llama_wheels="${PARAGRAF_WHEELS:-$HOME/.cache/paragraf/wheels}/llama-cpp-python-0.3.36-$llama_key"
if [ "$(cat .venv/.llama-build 2>/dev/null || true)" != "$llama_key" ]; then
  if ! ls "$llama_wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "paragraf: building llama-cpp-python for this CPU ($llama_key; first time only)"
    rm -rf "$llama_wheels.partial"
    llama_src="$(mktemp -d)"
    python -m pip download -q --no-deps --no-binary :all: -d "$llama_src" llama-cpp-python==0.3.36
    tar xzf "$llama_src"/llama_cpp_python-0.3.36.tar.gz -C "$llama_src"
    python scripts/llama_build.py --patch "$llama_src/llama_cpp_python-0.3.36"  # ggml's AMX tile config
    CMAKE_ARGS="$llama_cmake" python -m pip wheel -q --no-deps --no-cache-dir -w "$llama_wheels.partial" \
      "$llama_src/llama_cpp_python-0.3.36"
    rm -rf "$llama_src"
    mv "$llama_wheels.partial" "$llama_wheels"
  fi
  python -m pip install -q --force-reinstall --no-deps "$llama_wheels"/llama_cpp_python-*.whl
  python -m pip install -q "$llama_wheels"/llama_cpp_python-*.whl  # and what it needs (numpy, jinja2 …)
  echo "$llama_key" > .venv/.llama-build
fi

python -m rag fetch --for "$PURPOSE"
