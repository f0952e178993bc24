"""Which pgvector configuration gives recall@10 >= 0.95 against exact search with the lowest dense p95
(issue 34): one Postgres index grown to --size with --vectors (as scripts/bench_postgres.py grows it), then
its HNSW index rebuilt with other build parameters, over halfvec and over binary quantisation (both with
the candidates re-ranked by the exact distance), each searched at several ef_search values. Unfiltered
searches, the eval questions and held-out vectors as queries; the product's n of 100 candidates.

    python scripts/bench_pg_variants.py --size 100000 --vectors synthetic
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench_index import gaussian_like  # noqa: E402
from bench_passages import CACHE, questions  # noqa: E402
from bench_postgres import (build_index, corpus_vectors, exact_top, grow, real_kind, sweep,  # noqa: E402
                            synthetic_kind, table_vectors)
from rag.store import postgres  # noqa: E402

HNSW = "CREATE INDEX paragraf_chunks_hnsw ON paragraf_chunks USING hnsw ({on}) WITH (m = {m}, ef_construction = {efc})"
VECTOR, HALF, BIT = ("embedding vector_cosine_ops", "(embedding::halfvec(384)) halfvec_cosine_ops",
                     "(binary_quantize(embedding)::bit(384)) bit_hamming_ops")


def reranked(order_by: str, pool: int):
    """A dense search over a quantised index: its `pool` nearest by `order_by` (the query is its %s),
    ordered by the exact distance."""
    def search(conn, q, condition, n):
        sql, params = condition
        with conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(pool, n)}")
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = conn.execute(f"SELECT id FROM (SELECT id, embedding FROM paragraf_chunks WHERE {sql} "
                                f"ORDER BY {order_by} LIMIT %s) c ORDER BY embedding <=> %s LIMIT %s",
                                [*params, q, max(pool, n), q, n]).fetchall()
        return [r[0] for r in rows]
    return search


def variants(efs=(40, 100, 200, 400, 800)):
    """(label, index definition, [(ef label, settings, search)])"""
    plain = [(f"ef {ef}", {"HNSW_EF_SEARCH": ef}, None) for ef in efs]
    half = "embedding::halfvec(384) <=> %s::halfvec(384)"
    bit = "binary_quantize(embedding)::bit(384) <~> binary_quantize(%s::vector)"
    return [("vector, m 16, ef_construction 64 (pgvector's default)", HNSW.format(on=VECTOR, m=16, efc=64), plain),
            ("vector, m 16, ef_construction 128", HNSW.format(on=VECTOR, m=16, efc=128), plain),
            ("vector, m 24, ef_construction 64", HNSW.format(on=VECTOR, m=24, efc=64), plain),
            ("halfvec, m 16, ef_construction 64, exact re-rank", HNSW.format(on=HALF, m=16, efc=64),
             [(f"ef {ef}", {}, reranked(half, ef)) for ef in efs]),
            ("bit (binary_quantize), m 16, ef_construction 64, exact re-rank of the pool",
             HNSW.format(on=BIT, m=16, efc=64),
             [(f"pool {p}", {}, reranked(bit, p)) for p in (400, 800, 1000)])]


def main() -> None:
    import rag
    from rag.models.embed import load_embedder
    from rag.store import pglocal

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--vectors", choices=["real", "synthetic"], default="synthetic")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="paragraf-bench-pg-"))
    embedder = load_embedder(rag.settings().embed_model)
    asked = np.array([embedder.query(q) for q in questions(every=3)], dtype=np.float32)
    print("| index | build | search | recall@10 questions / held-out | dense p50 / p95 |\n|---|---|---|---|---|")
    try:
        with pglocal.server(tmp / "pg") as url:
            rag.ingest([ROOT / "corpus"], index_dir=url)
            with postgres.connect(url) as conn:
                kind = real_kind(conn, embedder, args.size, CACHE) \
                    if args.vectors == "real" else synthetic_kind(gaussian_like)
                held = kind.held_out(corpus_vectors(conn)[0])
                grow(conn, args.size, kind, HNSW.format(on=VECTOR, m=16, efc=64))
                table = table_vectors(conn)
                both = np.concatenate([asked, held])
                truth = exact_top(conn, table, both, ("TRUE", []))
                for label, ddl, searches in variants():
                    build = build_index(conn, ddl)
                    for name, settings, search in searches:
                        hits, p50, p95, _ = sweep(conn, both, ("TRUE", []), truth, settings, search=search)
                        ra, rh = hits[:len(asked)].mean(), hits[len(asked):].mean()
                        print(f"| {label} | {build:.0f} s | {name} | {ra:.3f} / {rh:.3f} | {p50:.1f} / {p95:.1f} ms |",
                              flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
