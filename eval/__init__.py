"""Evaluation: gold question sets (EVAL-FORMAT.md) and public Swedish benchmarks."""
