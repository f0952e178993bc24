"""The refusal trade-off of typed answers: for each relevance threshold, how many answerable amount,
date, count and duration questions get the sentence that states the answer, and how many
unanswerable ones are refused.

    python scripts/typed_curve.py --index INDEX eval/sets/dev.jsonl eval/sets/genre-dev.jsonl

INDEX: the index of the corpus the sets are about (eval.run keeps one under .eval-cache/).
Prints a Markdown table for docs/benchmarks.md. Uses no LLM: typed answers do not.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402
from rag.asking.passages import Passage  # noqa: E402
from rag.asking.evidence import TYPED, rank, supported_value, term_weights  # noqa: E402
from rag.asking.question import analyze  # noqa: E402
from rag.asking.retrieve import Filters  # noqa: E402
from rag.asking.scope import Scope  # noqa: E402

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("sets", nargs="+", type=Path)
    args = ap.parse_args()
    index = rag.open_index(args.index)
    scope, weights = Scope(index.store.profiles, index.store), term_weights(index.store.stem_counts(), index.size)
    rows = []  # (valued evidence best first, gold facts, answerable)
    for path in args.sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            q = analyze(item["question"])
            if q.answer_type not in TYPED:
                continue
            docs = scope.documents(q)
            evidence = []
            if docs is None or docs:
                hits = index.search(q.text, k=args.k, filters=Filters(docs=frozenset(docs)) if docs else None).hits
                passages = [Passage(n, h.chunk.id, h.chunk.doc, h.chunk.locator, h.chunk.text, h.chunk.norm,
                                    h.chunk.title or "") for n, h in enumerate(hits, 1)]
                evidence = rank(q, passages, weights)
            rows.append((q, evidence, item.get("facts", []), item.get("answerable", True)))
    answerable = sum(1 for *_, a in rows if a)
    print("| relevance ≥ | answerable: the stating sentence | false refusals | unanswerable refused |\n|---|---|---|---|")
    for t in THRESHOLDS:
        right = refused = kept_out = 0
        for q, evidence, gold, ok in rows:
            pick = supported_value(q, evidence, t)
            if not ok:
                kept_out += pick is None
            elif pick is None:
                refused += 1
            elif all(any(a.lower() in pick.text.lower() for a in alts) for alts in gold):
                right += 1
        print(f"| {t} | {right}/{answerable} | {refused}/{answerable} | {kept_out}/{len(rows) - answerable} |")


if __name__ == "__main__":
    main()
