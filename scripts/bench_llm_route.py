"""The questions of question sets that reach the LLM, answered one at a time: right, cited, seconds, tokens.

    python scripts/bench_llm_route.py --index INDEX [--reader prose|select] [--llm NAME]
        [--evidence-tokens N] [--answer-tokens N] SET.jsonl [SET.jsonl …]

INDEX: the index of the corpus the sets are about (eval.run keeps one under .eval-cache/). A question
reaches the LLM when the code alone (records, typed values, decisions, refusals) leaves it open.
Prints one line per question and a summary line: how many right and cited, seconds to the first text
on screen and to the whole answer (p50, p95, max), and the prompt's tokens — all of them, and those
the model evaluates for the question (the system prompt's KV state is kept between questions). For
comparing readers and prompt sizes on an idle machine, or beside an ingest. Not a test: these
machines are shared and noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402
from eval.score import load_questions, score_one  # noqa: E402
from rag.asking.prompt import ANSWER_TOKENS, EVIDENCE_TOKENS, SYSTEM  # noqa: E402
from rag.asking.reply import Answer  # noqa: E402
from rag.asking.answer import Answerer  # noqa: E402
from rag.models.llm import load_llm  # noqa: E402


STEPS = ("retrieval_s", "evidence_s", "prompt_s", "generation_s", "total_s")


def timed(answerer: Answerer, question: str) -> tuple[Answer, float, float]:
    """The answer, seconds to its first text on screen and seconds to the whole answer."""
    t = time.perf_counter()
    first = None
    for part in answerer.stream(question):
        if first is None:
            first = time.perf_counter() - t
        if isinstance(part, Answer):
            return part, first, time.perf_counter() - t
    raise RuntimeError("no answer")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--reader", choices=["prose", "select"], default="prose")
    ap.add_argument("--llm", default=None)
    ap.add_argument("--evidence-tokens", type=int, default=EVIDENCE_TOKENS)
    ap.add_argument("--answer-tokens", type=int, default=ANSWER_TOKENS)
    ap.add_argument("sets", nargs="+", type=Path)
    args = ap.parse_args()
    index = rag.open_index(args.index)
    llm = load_llm(args.llm)
    by_code = Answerer(index, None)
    answerer = Answerer(index, llm, reader=args.reader, evidence_tokens=args.evidence_tokens,
                        max_tokens=args.answer_tokens)
    count = getattr(llm, "count_tokens", None)
    system = count(SYSTEM) if count else 0
    rows, steps = [], []
    for path in args.sets:
        for q in load_questions(path):
            if by_code.ask(q.question).route != "no llm":
                continue
            answer, first, seconds = timed(answerer, q.question)
            score = score_one(q, answer.to_dict())
            right = score["exact"] if q.answerable else score["refused"]
            tokens = int(answer.timings.get("tokens_in", 0))
            out = int(answer.timings.get("tokens_out", 0))
            rows.append((right, bool(score.get("citation_hit")), seconds, tokens, first, out))
            steps.append([answer.timings.get(k, 0.0) for k in STEPS])
            print(f"{'✓' if right else '✗'} {seconds:5.1f} s first {first:4.2f} s {tokens:4d}+{out:3d} tok "
                  f"{answer.route:8s} {q.id}: {' '.join(answer.answer.split())[:110]}", flush=True)
    if not rows:
        print("no question reaches the LLM")
        return
    seconds, firsts = [r[2] for r in rows], [r[4] for r in rows]
    print(f"llm-route: n={len(rows)} right={sum(r[0] for r in rows)} cited={sum(r[1] for r in rows)} "
          f"p50={statistics.median(seconds):.1f}s p95={p95(seconds):.1f}s max={max(seconds):.1f}s "
          f"first_p50={statistics.median(firsts):.2f}s first_max={max(firsts):.2f}s "
          f"tokens_in_p50={statistics.median(r[3] for r in rows):.0f} "
          f"evaluated_p50={statistics.median(r[3] - system for r in rows):.0f} "
          f"tokens_out_p50={statistics.median(r[5] for r in rows):.0f} tokens_out_max={max(r[5] for r in rows)} "
          f"evidence={args.evidence_tokens} answer_max={args.answer_tokens} reader={args.reader}")
    print("p50 per step: " + " ".join(f"{k}={statistics.median(s[i] for s in steps):.2f}s" for i, k in enumerate(STEPS)))


if __name__ == "__main__":
    main()
