"""Evaluation: gold question sets (EVAL-FORMAT.md) and public Swedish benchmarks."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def say(msg: str) -> None:
    """Progress and notes go to stderr; stdout keeps the metrics line last."""
    print(msg, file=sys.stderr, flush=True)
