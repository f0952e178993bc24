"""The questions of question sets that reach the LLM, answered one at a time: right, cited, seconds, tokens.

    python scripts/bench_llm_route.py --index INDEX [--reader prose|select] [--llm NAME] SET.jsonl [SET.jsonl …]

INDEX: the index of the corpus the sets are about (eval.run keeps one under .eval-cache/). A question
reaches the LLM when the code alone (records, typed values, decisions, refusals) leaves it open.
Prints one line per question and a summary line; for comparing readers and prompt sizes on an idle
machine. Not a test: these machines are shared and noisy.
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
from rag.answer import Answerer  # noqa: E402
from rag.llm import load_llm  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--reader", choices=["prose", "select"], default="prose")
    ap.add_argument("--llm", default=None)
    ap.add_argument("sets", nargs="+", type=Path)
    args = ap.parse_args()
    index = rag.open_index(args.index)
    by_code = Answerer(index, None)
    answerer = Answerer(index, load_llm(args.llm), reader=args.reader)
    rows = []
    for path in args.sets:
        for q in load_questions(path):
            if by_code.ask(q.question).route != "no llm":
                continue
            t = time.perf_counter()
            answer = answerer.ask(q.question)
            seconds = time.perf_counter() - t
            score = score_one(q, answer.to_dict())
            right = score["exact"] if q.answerable else score["refused"]
            tokens = int(answer.timings.get("tokens_in", 0))
            rows.append((right, bool(score.get("citation_hit")), seconds, tokens))
            print(f"{'✓' if right else '✗'} {seconds:5.1f} s {tokens:4d} tok {answer.route:6s} {q.id}: "
                  f"{' '.join(answer.answer.split())[:120]}", flush=True)
    if not rows:
        print("no question reaches the LLM")
        return
    print(f"llm-route: n={len(rows)} right={sum(r[0] for r in rows)} cited={sum(r[1] for r in rows)} "
          f"p50={statistics.median(r[2] for r in rows):.1f}s max={max(r[2] for r in rows):.1f}s "
          f"tokens_in_p50={statistics.median(r[3] for r in rows):.0f} reader={args.reader}")


if __name__ == "__main__":
    main()
