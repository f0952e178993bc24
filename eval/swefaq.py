"""SweFAQ (Språkbanken, CC BY 4.0): rank every distinct FAQ answer for each question.

    python -m eval.swefaq --data ../shared/benchmarks/swefaq [--out DIR]

Every distinct candidate answer of the dev and test files becomes one document in the
product's own index; each question is searched with dense, BM25 and hybrid retrieval and
scored by the rank of its correct answer (nDCG@10, MRR, recall@1/5). The last line is the
product's default, hybrid.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import ROOT, say
from .benchmark import corpus_of, rank_metrics, ranked_docs
from .report import write_atomic

MODES = ("dense", "bm25", "hybrid")
# Scandinavian Embedding Benchmark, SweFAQ nDCG@10 (its own split; ours is dev + test)
PUBLISHED = {"multilingual-e5-small": 0.687, "KBLab sentence-bert-swedish-cased": 0.733,
             "multilingual-e5-large-instruct": 0.754, "all-MiniLM-L6-v2": 0.411}


def load(data: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(distinct answers, [(question, its correct answer)]) from every swefaq*.jsonl in `data`."""
    files = sorted(data.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"fel: {data}: no .jsonl files (expected swefaq_dev.jsonl, swefaq_test.jsonl)")
    answers: dict[str, int] = {}
    pairs = []
    for f in files:
        for no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                gold = row["candidate_answers"][row["label"]]
                cands, question = row["candidate_answers"], row["question"]
            except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
                raise SystemExit(f"fel: {f}:{no}: not a SweFAQ row ({exc})") from exc
            for a in cands:
                answers.setdefault(a.strip(), len(answers))
            pairs.append((question, gold.strip()))
    return list(answers), pairs


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m eval.swefaq", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--embed-model", default=rag.settings().embed_model)
    p.add_argument("--out", type=Path, help="report folder (default: eval-results/swefaq-<time>)")
    args = p.parse_args(argv)
    answers, pairs = load(args.data)
    say(f"SweFAQ: {len(pairs)} questions, {len(answers)} distinct answers")
    retriever = corpus_of("swefaq", answers, args.embed_model)
    index_of = {a: i for i, a in enumerate(answers)}
    results = {}
    for mode in MODES:
        t = time.perf_counter()
        ranks = []
        for question, gold in pairs:
            order = ranked_docs(retriever, question, mode)
            target = index_of[gold]
            ranks.append(order.index(target) + 1 if target in order else None)
        results[mode] = {**rank_metrics(ranks), "seconds_per_query": (time.perf_counter() - t) / len(pairs)}
        say(f"{mode}: " + " ".join(f"{k}={v:.3f}" for k, v in results[mode].items()))
    out = args.out or ROOT / "eval-results" / f"swefaq-{time.strftime('%Y%m%d-%H%M%S')}"
    report = {"benchmark": "SweFAQ v2.0 (dev + test)", "data": str(args.data), "questions": len(pairs),
              "documents": len(answers), "embedding_model": args.embed_model, "results": results,
              "published_ndcg@10": PUBLISHED}
    write_atomic(out / "report.json", json.dumps(report, ensure_ascii=False, indent=1))
    lines = ["| retrieval | nDCG@10 | MRR | recall@1 | recall@5 |", "|---|---|---|---|---|"]
    lines += [f"| Paragraf {m} ({args.embed_model}) | {r['ndcg@10']:.3f} | {r['mrr']:.3f} | {r['recall@1']:.3f} | "
              f"{r['recall@5']:.3f} |" for m, r in results.items()]
    lines += [f"| SEB: {name} | {v:.3f} | | | |" for name, v in PUBLISHED.items()]
    write_atomic(out / "summary.md", "\n".join(lines) + "\n")
    say(f"wrote {out}/report.json, {out}/summary.md")
    for mode in MODES[:-1]:
        r = results[mode]
        print(f"swefaq[{mode}]: ndcg@10={r['ndcg@10']:.3f} mrr={r['mrr']:.3f} recall@1={r['recall@1']:.3f} "
              f"recall@5={r['recall@5']:.3f}")
    r = results["hybrid"]
    print(f"swefaq: ndcg@10={r['ndcg@10']:.3f} mrr={r['mrr']:.3f} recall@1={r['recall@1']:.3f} "
          f"recall@5={r['recall@5']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
