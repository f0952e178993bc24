"""Benchmark the web app's /ask: what the app adds on top of answering, and many users at once.

    python app.py &                                  # the app to measure (any model)
    python scripts/bench_app.py --url http://127.0.0.1:7860 [--users 10]

Sequential: the client's wall time per question vs the answer's own `timings.total_s` (the
library's time), so the difference is HTTP + gradio queue overhead. Concurrent: `--users`
clients ask at once; with one LLM slot the last one waits for all the others. Prints Markdown
for docs/benchmarks.md. Not a test: these machines are shared and noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_answer import QUESTIONS, UNANSWERABLE  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--users", type=int, default=10)
    args = ap.parse_args()
    questions = [q for q, _, _ in QUESTIONS] + UNANSWERABLE
    client = Client(args.url, verbose=False)
    client.predict(questions[0], api_name="/ask")  # warm-up: first prompt evaluation

    wall, inner = [], []
    for q in questions:
        t = time.perf_counter()
        answer = client.predict(q, api_name="/ask")
        wall.append(time.perf_counter() - t)
        inner.append(answer["timings"]["total_s"])
    overhead = [w - i for w, i in zip(wall, inner)]

    asked = [questions[i % len(questions)] for i in range(args.users)]
    clients = [Client(args.url, verbose=False) for _ in asked]

    def one(pair):
        c, q = pair
        t = time.perf_counter()
        c.predict(q, api_name="/ask")
        return time.perf_counter() - t

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        latencies = list(pool.map(one, zip(clients, asked)))
    total = time.perf_counter() - t0
    model = client.predict(questions[0], api_name="/ask")["models"]["llm"]

    print(f"| /ask ({model}), {len(questions)} questions one at a time | p50 | p95 |")
    print("|---|---|---|")
    print(f"| client wall time | {statistics.median(wall):.2f} s | {pct(wall, 0.95):.2f} s |")
    print(f"| library time (`timings.total_s`) | {statistics.median(inner):.2f} s | {pct(inner, 0.95):.2f} s |")
    print(f"| app overhead (HTTP + queue) | {statistics.median(overhead) * 1000:.0f} ms | "
          f"{pct(overhead, 0.95) * 1000:.0f} ms |")
    print()
    print(f"{args.users} users at once: all answered in {total:.1f} s ({args.users / total:.2f} questions/s); "
          f"latency p50 {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s (queued behind one LLM slot).")


if __name__ == "__main__":
    main()
