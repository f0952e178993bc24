"""SweQUAD-MC (Språkbanken, CC BY 4.0): find the right context, then answer with the product.

    python -m eval.swequad --data ../shared/benchmarks/swequad-mc [--limit N] [--llm NAME] [--out DIR]

Every distinct context of dev.json and test.json becomes one document. For each question:
retrieval recall@1/5 of its gold context (hybrid search), and the product's full answer
(`Answerer.ask`): correct when the correct choice's text is in the answer and no
distractor's is; `distractor_rate` is the share of answers containing a distractor.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from . import ROOT, say
from .benchmark import corpus_of, rank_metrics, ranked_docs
from .report import write_atomic
from .score import contains


def load(data: Path) -> tuple[list[str], list[dict]]:
    files = sorted(data.glob("*.json"))
    if not files:
        raise SystemExit(f"fel: {data}: no .json files (expected dev.json, test.json)")
    contexts: dict[str, int] = {}
    items = []
    for f in files:
        try:
            rows = json.loads(f.read_text(encoding="utf-8"))["data"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SystemExit(f"fel: {f}: not a SweQUAD-MC file ({exc})") from exc
        for i, row in enumerate(rows):
            try:
                context = row["context"].replace("\r\n", "\n").strip()
                correct = sorted({c["text"] for c in row["choices"] if c["type"] == "Correct answer"})
                distractors = [c["text"] for c in row["choices"] if c["type"] != "Correct answer"]
                question = row["question"]
            except (KeyError, TypeError) as exc:
                raise SystemExit(f"fel: {f}: item {i}: missing field {exc}") from exc
            if not correct:
                raise SystemExit(f"fel: {f}: item {i}: no correct choice")
            contexts.setdefault(context, len(contexts))
            items.append({"question": question, "context": contexts[context], "correct": correct,
                          "distractors": distractors})
    return list(contexts), items


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m eval.swequad", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--limit", type=int, help="only the first N questions (answering costs seconds per question)")
    p.add_argument("--llm", default=None, help="registry key, GGUF path or openai:<model> (default: PARAGRAF_LLM)")
    p.add_argument("--embed-model", default=rag.settings().embed_model)
    p.add_argument("--out", type=Path, help="report folder (default: eval-results/swequad-<time>)")
    args = p.parse_args(argv)
    contexts, items = load(args.data)
    if args.limit:
        items = items[: args.limit]
    say(f"SweQUAD-MC: {len(items)} questions over {len(contexts)} contexts")
    retriever = corpus_of("swequad", contexts, args.embed_model)
    answerer = rag.Answerer(retriever, rag.load_llm(args.llm))
    ranks, rows, seconds = [], [], []
    for i, it in enumerate(items, 1):
        order = ranked_docs(retriever, it["question"], "hybrid")
        ranks.append(order.index(it["context"]) + 1 if it["context"] in order else None)
        t = time.perf_counter()
        answer = answerer.ask(it["question"]).to_dict()
        seconds.append(time.perf_counter() - t)
        has_correct = any(contains(answer["answer"], c) for c in it["correct"]) and not answer["refused"]
        has_distractor = any(contains(answer["answer"], d) for d in it["distractors"])
        rows.append({**it, "rank": ranks[-1], "answer": answer["answer"], "refused": answer["refused"],
                     "correct_in_answer": has_correct, "distractor_in_answer": has_distractor,
                     "seconds": round(seconds[-1], 3)})
        say(f"[{i}/{len(items)}] {'✓' if has_correct and not has_distractor else '✗'} rank={ranks[-1]} "
            f"({seconds[-1]:.1f} s) {it['question'][:60]}")
    rm = rank_metrics(ranks)
    n = len(rows)
    result = {
        "recall@1": rm["recall@1"], "recall@5": rm["recall@5"], "mrr": rm["mrr"],
        "answer_accuracy": sum(r["correct_in_answer"] and not r["distractor_in_answer"] for r in rows) / n,
        "correct_in_answer": sum(r["correct_in_answer"] for r in rows) / n,
        "distractor_rate": sum(r["distractor_in_answer"] for r in rows) / n,
        "refused": sum(r["refused"] for r in rows) / n,
        "latency_p50_s": statistics.median(seconds),
    }
    out = args.out or ROOT / "eval-results" / f"swequad-{time.strftime('%Y%m%d-%H%M%S')}"
    write_atomic(out / "report.json", json.dumps(
        {"benchmark": "SweQUAD-MC (dev + test)", "data": str(args.data), "questions": n, "contexts": len(contexts),
         "llm": getattr(answerer.llm, "name", ""), "embedding_model": args.embed_model, "metrics": result,
         "items": rows}, ensure_ascii=False, indent=1))
    write_atomic(out / "summary.md", "| mått | värde |\n|---|---|\n"
                 + "".join(f"| {k} | {v:.3f} |\n" for k, v in result.items()))
    say(f"wrote {out}/report.json, {out}/summary.md")
    print(f"swequad: recall@1={result['recall@1']:.3f} recall@5={result['recall@5']:.3f} "
          f"answer_accuracy={result['answer_accuracy']:.3f} distractor_rate={result['distractor_rate']:.3f}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
