"""The Postgres index at scale, for scripts/bench_index.py --backend postgres: a local PostgreSQL with
pgvector in a temporary folder, the bundled corpus ingested, then grown to each size with synthetic
documents (copies of the real chunks' text, records and locators under new ids, vectors drawn like the
real ones), and measured as an app instance uses it."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHUNKS_PER_DOC = 100
# filters as users set them: one organ, a date range
FILTERS = [{"organ": "Kommunstyrelsen"}, {"date_from": "2025-01-01", "date_to": "2025-12-31"}]
# the peak memory of the process itself (VmHWM: ru_maxrss would keep the parent's peak across exec)
_OPEN = """import json, re, sys, time
t = time.perf_counter()
import rag
index = rag.open_index(sys.argv[1])
index.search("Vem var ordförande?", k=5)
opened = time.perf_counter() - t
t = time.perf_counter()
rag.Answerer(index, None).ask("Vilka reserverade sig mot beslutet om tiggeriförbud?")
print(json.dumps({"chunks": index.size, "open_s": opened, "answer_s": time.perf_counter() - t,
                  "rss_mb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) / 1024}))"""


def grow(conn, n: int, gaussian_like, seed: int) -> float:
    """Synthetic documents until the index holds `n` chunks; the HNSW index is dropped for the bulk load
    and built again (timed), as one would load an archive."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    have = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()[0]
    if have >= n:
        return 0.0
    real_ids = [r[0] for r in conn.execute("SELECT id FROM paragraf_chunks WHERE doc_id NOT LIKE 'syntetisk/%' "
                                           "ORDER BY doc_id, ord")]
    real = np.array([np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v) for (v,) in conn.execute("SELECT embedding FROM paragraf_chunks WHERE doc_id NOT LIKE "
                                                 "'syntetisk/%' ORDER BY doc_id, ord")], dtype=np.float32)
    conn.execute("DROP INDEX IF EXISTS paragraf_chunks_hnsw")
    conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_stage (id text, doc_id text, ord int, src text, "
                 f"embedding vector({real.shape[1]}))")
    conn.execute("TRUNCATE bench_stage")
    start_doc = conn.execute("SELECT count(*) FROM paragraf_documents WHERE doc_id LIKE 'syntetisk/%'").fetchone()[0]
    missing = n - have
    vectors = gaussian_like(real, missing, seed)
    with conn.cursor() as cur, cur.copy("COPY bench_stage FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "text", "int4", "text", "vector"])
        for i in range(missing):
            doc = start_doc + i // CHUNKS_PER_DOC
            copy.write_row((f"s{have + i}", f"syntetisk/{doc:06d}", i % CHUNKS_PER_DOC,
                            real_ids[(have + i) % len(real_ids)], vectors[i]))
    conn.execute("INSERT INTO paragraf_documents (doc_id, sha256, summary, source) "
                 "SELECT DISTINCT s.doc_id, md5(s.doc_id), d.summary, '' FROM bench_stage s, "
                 "(SELECT summary FROM paragraf_documents WHERE doc_id NOT LIKE 'syntetisk/%' LIMIT 1) d")
    conn.execute("INSERT INTO paragraf_chunks (id, doc_id, ord, data, organ_key, date, paragraf, beteckning_key, "
                 "embedding, tsv, n_terms) SELECT s.id, s.doc_id, s.ord, "
                 "c.data || jsonb_build_object('id', s.id, 'doc', s.doc_id), c.organ_key, c.date, c.paragraf, "
                 "c.beteckning_key, s.embedding, c.tsv, c.n_terms FROM bench_stage s JOIN paragraf_chunks c ON c.id = s.src")
    profile_synthetic(conn)
    conn.execute("UPDATE paragraf_documents d SET n_chunks = c.n, n_terms = c.terms FROM (SELECT doc_id, count(*) AS n, "
                 "sum(n_terms) AS terms FROM paragraf_chunks WHERE doc_id LIKE 'syntetisk/%' GROUP BY doc_id) c "
                 "WHERE d.doc_id = c.doc_id")
    conn.execute("TRUNCATE paragraf_terms")
    conn.execute("INSERT INTO paragraf_terms SELECT u.lexeme, count(*) FROM paragraf_chunks c, unnest(c.tsv) u "
                 "GROUP BY u.lexeme")
    conn.commit()
    conn.execute("SET maintenance_work_mem = '4GB'")
    t = time.perf_counter()
    conn.execute("CREATE INDEX paragraf_chunks_hnsw ON paragraf_chunks USING hnsw (embedding vector_cosine_ops)")
    conn.commit()
    build = time.perf_counter() - t
    conn.autocommit = True  # VACUUM runs outside a transaction
    conn.execute("VACUUM ANALYZE paragraf_chunks")
    conn.autocommit = False
    return build


def profile_synthetic(conn) -> None:
    """Each synthetic document's profile and scope text, as an ingest writes them (rag/records/profile.py): made
    once per run of source chunks a document copies, then written under the document's own id and chunk ids."""
    import re

    from rag.normalize import fold, path_words
    from rag.parsing import Chunk
    from rag.records import profile, scope_text

    real = dict(conn.execute("SELECT id, data FROM paragraf_chunks WHERE doc_id NOT LIKE 'syntetisk/%'").fetchall())
    docs: dict[str, list[tuple[str, str]]] = {}
    for doc, _, chunk_id, src in conn.execute("SELECT doc_id, ord, id, src FROM bench_stage ORDER BY doc_id, ord"):
        docs.setdefault(doc, []).append((chunk_id, src))
    made: dict[tuple, tuple[str, str]] = {}
    rows = []
    for doc, chunks in docs.items():
        key = tuple(src for _, src in chunks)
        if key not in made:
            copies = [Chunk(**{**real[src], "id": f"@{j}@", "doc": "@DOC@"}) for j, src in enumerate(key)]
            text = scope_text("@DOC@", copies)
            made_one = profile("@DOC@", copies, [])
            made[key] = (json.dumps({**made_one.to_dict(), "stems": {}}, ensure_ascii=False), json.dumps(made_one.stems),
                         text[len(fold(path_words("@DOC@"))) + 1:])
        shape, stems, rest = made[key]
        ids = [chunk_id for chunk_id, _ in chunks]
        rows.append((re.sub(r"@(\d+)@", lambda m: ids[int(m[1])], shape.replace("@DOC@", doc)), stems,
                     f"{fold(path_words(doc))} {rest}", doc))
    with conn.cursor() as cur:
        cur.executemany("UPDATE paragraf_documents SET profile = %s, stems = %s, scope_text = %s WHERE doc_id = %s", rows)
    conn.execute("INSERT INTO paragraf_stems SELECT key, sum(value::int) FROM paragraf_documents, jsonb_each_text(stems) "
                 "WHERE doc_id IN (SELECT DISTINCT doc_id FROM bench_stage) GROUP BY key "
                 "ON CONFLICT (stem) DO UPDATE SET df = paragraf_stems.df + EXCLUDED.df")


def latency(index, queries: list[str], filters: dict | None, rounds: int = 3) -> tuple[float, float]:
    from rag.asking.retrieve import Filters

    f = Filters(**filters) if filters else None
    times = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            index.search(q, k=5, filters=f)
            times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def hnsw_recall(conn, embedder, queries: list[str], k: int = 10) -> float:
    """Recall@k of pgvector's HNSW (as the index searches: ef_search 256) against an exact scan."""
    from rag.store import postgres

    hits = 0
    for q in queries:
        qv = embedder.query(q)
        approx = postgres.dense(conn, qv, ("TRUE", []), k)
        with conn.transaction():
            conn.execute("SET LOCAL enable_indexscan = off")
            exact = [r[0] for r in conn.execute("SELECT id FROM paragraf_chunks ORDER BY embedding <=> %s LIMIT %s",
                                                (qv, k))]
        hits += len(set(exact) & set(approx))
    return hits / (k * len(queries))


def add_one(url: str, tmp: Path, round_no: int) -> float:
    """A real document, new to the index, added to the full index as an upload is: read, parse, embed
    and write in its own transaction (rag.ingest over one folder would also drop what is not in it)."""
    import rag
    from rag.store import postgres
    from rag.models.embed import load_embedder
    from rag.store.lexical import SwedishAnalyzer
    from rag.models.lexicon import default_lexicon
    from rag.store.prepare import prepare_all

    src = ROOT / "corpus" / "malmo" / "ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt"
    path = tmp / f"ny-{round_no}" / src.name
    path.parent.mkdir()
    shutil.copy(src, path)
    embedder, analyzer = load_embedder(rag.settings().embed_model), SwedishAnalyzer(default_lexicon())
    conn = postgres.connect(url)
    try:
        t = time.perf_counter()
        (doc,) = prepare_all([path], tmp, 50_000_000)
        vectors = embedder.passages([c.search_text for c in doc.chunks])
        postgres.write_document(conn, doc.doc_id, doc.sha256, doc.summary, doc.text, doc.chunks, vectors, doc.facts,
                                analyzer)
        return time.perf_counter() - t
    finally:
        conn.close()


def app_memory(url: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _OPEN, url], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_postgres(sizes: list[int], queries: list[str], gaussian_like) -> None:
    import psycopg

    import rag
    from rag.store import pglocal

    tmp = Path(tempfile.mkdtemp(prefix="paragraf-bench-pg-"))
    print("\n| chunks (Postgres) | HNSW build | search p50 / p95 | with organ filter | with date filter | "
          "HNSW recall@10 vs exact | add one document | another instance sees it | app process: open, first answer, peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        with pglocal.server(tmp / "pg") as url:
            rag.ingest([ROOT / "corpus"], index_dir=url)
            with psycopg.connect(url) as conn:
                for round_no, n in enumerate(sorted(sizes)):
                    build = grow(conn, n, gaussian_like, seed=round_no)
                    index = rag.open_index(url)
                    plain = latency(index, queries, None)
                    organ, dates = (latency(index, queries, f) for f in FILTERS)
                    recall = hnsw_recall(conn, index.embedder, queries)
                    added = add_one(url, tmp, round_no)
                    t = time.perf_counter()
                    assert index.stale()
                    index = index.refreshed()  # as an app instance follows another's upload
                    seen = time.perf_counter() - t
                    app = app_memory(url)
                    total = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()[0]
                    conn.commit()
                    print(f"| {total:,} | {build:.0f} s | {plain[0]:.0f} / {plain[1]:.0f} ms | "
                          f"{organ[0]:.0f} / {organ[1]:.0f} ms | {dates[0]:.0f} / {dates[1]:.0f} ms | {recall:.3f} | "
                          f"{added:.1f} s | {seen:.1f} s | {app['open_s']:.1f} s, {app['answer_s']:.1f} s, {app['rss_mb']:.0f} MB |",
                          flush=True)
                    del index
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
