"""An app instance on an existing Postgres index, as it serves: open, the first answer by code (cold: no view
made before), peak RSS, then search p50 / p95 without a filter, with an organ and with a year; with
--recall, the dense search's recall@10 against exact search for each filter (the eval questions and held-out
vectors as queries: Gaussian draws, or with --held-out passages the passages bench_postgres holds out of a
database grown with real or joined passages). Run it on a database grown by scripts/bench_index.py (or bench_postgres.grow),
and again under other code or server settings, in one sitting, to compare.

    python scripts/bench_pg_instance.py postgresql://…/paragraf
    python scripts/bench_pg_instance.py postgresql://…/paragraf --recall "Kommunstyrelsen" "Nämnden för teknik"
    python scripts/bench_pg_instance.py postgresql://…/paragraf_joined --recall --held-out passages
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

def serve(url: str) -> dict:
    t = time.perf_counter()
    import rag
    from bench_index import QUERIES
    from bench_postgres import FILTERS, latency

    index = rag.open_index(url)
    index.search("Vem var ordförande?", k=5)
    out = {"open_s": round(time.perf_counter() - t, 2)}
    t = time.perf_counter()
    rag.Answerer(index, None).ask("Vilka reserverade sig mot beslutet om tiggeriförbud?")
    out["first_answer_s"] = round(time.perf_counter() - t, 2)
    out["rss_mb"] = int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())[1]) // 1024
    for name, f in [("plain", None), *zip(("organ", "date"), FILTERS)]:
        out[name] = [round(ms) for ms in latency(index, QUERIES, f)]
    return out


def recall(url: str, organs: list[str], held_out: str = "gaussian") -> None:
    import numpy as np

    import rag
    from bench_index import gaussian_like
    from bench_passages import questions
    from bench_passages import CACHE
    from bench_postgres import (ACROSS_YEARS, FILTERS, corpus_vectors, exact_top, real_kind, sweep, synthetic_kind,
                                table_vectors)
    from rag.models.embed import load_embedder
    from rag.store import pg_search, postgres

    conn = postgres.connect(url)
    embedder = load_embedder(rag.settings().embed_model)
    asked = np.array([embedder.query(q) for q in questions(every=3)], dtype=np.float32)
    kind = real_kind(conn, embedder, 0, CACHE) if held_out == "passages" else synthetic_kind(gaussian_like)
    held = kind.held_out(corpus_vectors(conn)[0])
    table, both = table_vectors(conn), np.concatenate([asked, held])
    for label, f in [("none", None), *zip(("organ", "date"), FILTERS), ("dates across years", ACROSS_YEARS),
                     *((o, {"organ": o}) for o in organs)]:
        condition = pg_search.where(rag.Filters(**f)) if f else ("TRUE", [])
        truth = exact_top(conn, table, both, condition)
        hits, p50, p95, short = sweep(conn, both, condition, truth, {})
        print(f"{label}: {truth.admitted:,} chunks admitted, recall@10 {hits[:len(asked)].mean():.3f} / "
              f"{hits[len(asked):].mean():.3f}, dense {p50:.0f} / {p95:.0f} ms" + (f" ({short} short)" if short else ""),
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--recall", nargs="*", metavar="ORGAN", help="also recall@10 per filter, and for these organs")
    ap.add_argument("--held-out", choices=["gaussian", "passages"], default="gaussian",
                    help="the held-out query vectors: Gaussian draws (a synthetic database) or passages (real, joined)")
    args = ap.parse_args()
    print(json.dumps(serve(args.url)), flush=True)
    if args.recall is not None:
        recall(args.url, args.recall, args.held_out)


if __name__ == "__main__":
    main()
