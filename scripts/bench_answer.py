"""Benchmark answering: the LLM adapter vs raw llama.cpp on the same prompt, and end-to-end latency.

    python scripts/bench_answer.py [--llm qwen2.5-coder-1.5b] [--index index]

Prints Markdown for docs/benchmarks.md. Not a test: these machines are shared and noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import rag  # noqa: E402
from rag.asking.answer import Answerer  # noqa: E402
from rag.asking.passages import Passage  # noqa: E402
from rag.models.llm import load_llm  # noqa: E402
from retrieval_questions import QUESTIONS  # noqa: E402

UNANSWERABLE = [
    "Vad kostar ett busskort för ungdomar i Malmö?",
    "Hur många anställda har Kungsbacka kommun?",
    "Vem vann valet till kommunfullmäktige i Malmö 2022?",
    "När öppnar det nya badhuset i Kungsbacka?",
]


def timed_stream(pieces) -> tuple[float, float, int]:
    """(time to first token, generation tokens per second after it, tokens)."""
    t0 = time.perf_counter()
    first = None
    n = 0
    for _ in pieces:
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    ttft = (first or end) - t0
    return ttft, (n - 1) / (end - first) if first and n > 1 else 0.0, n


def raw_stream(llama, messages, max_tokens):
    for part in llama.create_chat_completion(messages=messages, temperature=0.0, top_p=1.0, top_k=1,
                                             repeat_penalty=1.05, max_tokens=max_tokens, stream=True):
        if part["choices"][0].get("delta", {}).get("content"):
            yield part


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="qwen2.5-coder-1.5b")
    ap.add_argument("--index", default=str(ROOT / "index"))
    ap.add_argument("--skip-e2e", action="store_true", help="only compare the adapter with raw llama.cpp")
    args = ap.parse_args()
    index = rag.open_index(args.index)
    llm = load_llm(args.llm)
    answerer = Answerer(index, llm)
    # a question that makes the model write a few sentences, so tokens/s is measurable
    question = "Sammanfatta vad utredningen om ett nationellt tiggeriförbud kom fram till och vad kommunstyrelsen beslutade."
    hits = index.search(question, k=6).hits
    passages = [Passage(n, h.chunk.id, h.chunk.doc, h.chunk.locator, h.chunk.text, h.chunk.norm) for n, h in enumerate(hits, 1)]
    messages = answerer.prompt(question, passages)
    from llama_cpp import Llama

    raw = Llama(model_path=str(llm.path), n_ctx=llm.n_ctx, n_threads=llm.n_threads, n_batch=512, verbose=False, seed=0)
    rows = []
    for label, make in (("raw llama.cpp", lambda: raw_stream(raw, messages, 200)),
                        ("Paragraf adapter", lambda: llm.stream(messages, 200))):
        cold = timed_stream(make())
        warm = timed_stream(make())
        rows.append((label, cold, warm))
    print("| path | TTFT cold | TTFT prefix cached | generation tok/s | tokens |\n|---|---|---|---|---|")
    for label, cold, warm in rows:
        print(f"| {label} | {cold[0]:.2f} s | {warm[0]:.2f} s | {statistics.mean([cold[1], warm[1]]):.1f} | {cold[2]} |")
    ratio = statistics.mean([rows[1][1][1], rows[1][2][1]]) / statistics.mean([rows[0][1][1], rows[0][2][1]])
    print(f"\nratio Paragraf / raw (generation tokens/s): {ratio:.2f}\n")
    del raw
    if args.skip_e2e:
        return

    latencies, firsts, refused_answerable, refused_unanswerable = [], [], 0, 0
    routes: dict[str, list[float]] = {}
    tokens = []
    for q in [q for q, _, _ in QUESTIONS] + UNANSWERABLE:
        t = time.perf_counter()
        first = None
        for part in answerer.stream(q):
            if first is None:  # the first text the user sees (for a refusal: the refusal)
                first = time.perf_counter() - t
            final = part
        latencies.append(time.perf_counter() - t)
        firsts.append(first or latencies[-1])
        routes.setdefault(final.route, []).append(latencies[-1])
        if "tokens_in" in final.timings:
            tokens.append((final.timings["tokens_in"], final.timings["tokens_out"]))
        if q in UNANSWERABLE:
            refused_unanswerable += final.refused
        else:
            refused_answerable += final.refused
        print(f"- {final.route}{' AVBÖJT' if final.refused else ''} {latencies[-1]:.1f} s: {q} -> "
              f"{' '.join(final.answer.split())[:140]}", file=sys.stderr)
    print("| questions | first text p50 | p50 | p95 | false refusals (answerable) | refusals (unanswerable) |\n"
          "|---|---|---|---|---|---|")
    print(f"| {len(latencies)} | {statistics.median(firsts):.1f} s | {statistics.median(latencies):.1f} s | "
          f"{_p95(latencies):.1f} s | {refused_answerable}/{len(QUESTIONS)} | {refused_unanswerable}/{len(UNANSWERABLE)} |")
    print("\n| answered by | questions | p50 | max |\n|---|---|---|---|")
    for route, secs in sorted(routes.items(), key=lambda x: -len(x[1])):
        print(f"| {route} | {len(secs)} | {statistics.median(secs):.2f} s | {max(secs):.2f} s |")
    if tokens:
        print(f"\nLLM prompts: {len(tokens)}, tokens in p50 {statistics.median(t for t, _ in tokens):.0f}, "
              f"tokens out p50 {statistics.median(o for _, o in tokens):.0f}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


if __name__ == "__main__":
    main()
