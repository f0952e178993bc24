"""Shared by the public benchmarks: texts written as a corpus folder, indexed by the product's own ingest."""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

from . import ROOT, say
from .report import write_atomic


def corpus_of(name: str, texts: list[str], embed_model: str):
    """Write each text as one document (d00001.txt …) and return an open index over them, built once."""
    import rag

    key = hashlib.sha256("\x00".join(texts).encode() + embed_model.encode()).hexdigest()[:10]
    base = ROOT / ".eval-cache" / f"{name}-{key}"
    docs = base / "docs"
    for i, t in enumerate(texts):
        path = docs / f"d{i:05d}.txt"
        if not path.exists():
            write_atomic(path, t.strip() + "\n")
    report = rag.ingest([docs], index_dir=base / "index", root=docs, embed_model=embed_model, progress=say)
    if report.errors:
        say(f"obs: {len(report.errors)} texts could not be indexed, e.g. {report.errors[0]}")
    return rag.open_index(base / "index", embed_model)


def doc_number(doc: str) -> int:
    return int(Path(doc).stem[1:])


def ranked_docs(retriever, query: str, mode: str, depth: int = 100) -> list[int]:
    """Document numbers best first (a document's rank is that of its best chunk)."""
    seen: list[int] = []
    for hit in retriever.search(query, k=depth, mode=mode).hits:
        n = doc_number(hit.chunk.doc)
        if n not in seen:
            seen.append(n)
    return seen


def rank_metrics(ranks: list[int | None]) -> dict[str, float]:
    """One relevant document per query; `ranks` are 1-based, None when not retrieved."""
    n = len(ranks)
    return {
        "ndcg@10": sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "recall@1": sum(1 for r in ranks if r and r <= 1) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "recall@10": sum(1 for r in ranks if r and r <= 10) / n,
    }
