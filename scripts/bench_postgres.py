"""The Postgres index at scale, for scripts/bench_index.py --backend postgres: a local PostgreSQL with
pgvector in a temporary folder, the bundled corpus ingested, then grown to each size with documents of
copies of the real chunks' text, records and locators under new ids, their vectors either real passages
of the corpus embedded by the product (VectorKind "real", bench_passages.py) or drawn from a Gaussian
fitted to the real ones ("synthetic"), each kind in a database of its own; measured as an app instance
uses it, and the dense search alone against exact search at several ef_search values (CONFIGS)."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rag.store import pg_search, pg_store, postgres  # noqa: E402

CHUNKS_PER_DOC = 100
HELD_OUT = 200  # query vectors never inserted: Gaussian draws, or passages
# the dense search's settings measured (postgres module constants), each a column of the recall table
CONFIGS = [(f"ef_search {ef}", {"HNSW_EF_SEARCH": ef}) for ef in (100, 200, 400, 800, 1000)] + \
    [("ef_search 200, strict_order", {"HNSW_EF_SEARCH": 200, "HNSW_ITERATIVE_SCAN": "strict_order"})]
# filters as users set them: one organ, a date range; and for recall, a small nämnd (about 1 % of the chunks,
# below pg_search.EXACT_SUBSET_LIMIT at a million: searched exactly)
FILTERS = [{"organ": "Kommunstyrelsen"}, {"date_from": "2025-01-01", "date_to": "2025-12-31"}]
SMALL_ORGAN = {"organ": "Nämnden för teknik"}
ACROSS_YEARS = {"date_from": "2024-07-01", "date_to": "2025-06-30"}  # a filter no year's own index holds
# the peak memory of the process itself (VmHWM: ru_maxrss would keep the parent's peak across exec)
_OPEN = """import json, re, sys, time
t = time.perf_counter()
import rag
index = rag.open_index(sys.argv[1])
index.search("Vem var ordförande?", k=5)
opened = time.perf_counter() - t
answerer = rag.Answerer(index, None)
t = time.perf_counter()
answerer.warm()
warmed = time.perf_counter() - t
t = time.perf_counter()
answerer.ask("Vilka reserverade sig mot beslutet om tiggeriförbud?")
print(json.dumps({"chunks": index.size, "open_s": opened, "warm_s": warmed, "answer_s": time.perf_counter() - t,
                  "rss_mb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) / 1024}))"""


@dataclass
class VectorKind:
    """Where the rows beyond the corpus's own chunks get their vectors (and the chunk whose text, records and
    locator they copy), and the held-out vectors that query them: `rows(real, real_ids, start, count)`."""

    name: str
    rows: Callable[[np.ndarray, list[str], int, int], tuple[np.ndarray, list[str]]]
    held_out: Callable[[np.ndarray], np.ndarray]


def in_order(ids: list[str], start: int, count: int) -> list[str]:
    """The corpus's chunks from `start` on, in order and round again: what a grown document's rows copy, so that
    it is a run of consecutive chunks, as a real protocol's §§ are."""
    return [ids[(start + i) % len(ids)] for i in range(count)]


def synthetic_kind(gaussian_like) -> VectorKind:
    def rows(real, real_ids, start, count):
        return gaussian_like(real, count, start), in_order(real_ids, start, count)

    return VectorKind("synthetic", rows, lambda real: gaussian_like(real, HELD_OUT, 999_999))


def _passages(conn, embedder, size: int, cache: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Passages of the corpus's chunks (bench_passages.py), enough to grow to `size` after HELD_OUT, with the
    chunk each starts in and their vectors (kept in `cache` for the next run)."""
    import rag
    from bench_passages import embed, make_passages
    from rag.store import pg_read

    cache.mkdir(exist_ok=True)
    conn.commit()
    chunks = pg_read.chunks_of(conn, [d for (d,) in conn.execute("SELECT doc_id FROM paragraf_documents "
                                                                 "WHERE doc_id NOT LIKE 'syntetisk/%'")])  # the corpus's
    texts, sources = make_passages(chunks, max(0, size - len(chunks)) + HELD_OUT)
    return texts, sources, embed(embedder, texts, cache, batch_size=rag.settings().embed_batch)


def real_kind(conn, embedder, size: int, cache: Path) -> VectorKind:
    """Passages of the corpus's chunks embedded by the product, enough to grow to `size`; the first HELD_OUT
    are queries, never inserted."""
    texts, sources, vectors = _passages(conn, embedder, size, cache)
    pool, pool_ids = vectors[HELD_OUT:], sources[HELD_OUT:]
    return VectorKind("real", lambda real, ids, start, count: (pool[start:start + count], pool_ids[start:start + count]),
                      lambda real: vectors[:HELD_OUT])


def joined_kind(conn, embedder, embedded: int, cache: Path) -> VectorKind:
    """The real passages up to `embedded` chunks, then passages joined from two of them (bench_passages.joined):
    a million rows spread like real text, of which only the first are embedded one by one. Held out, as for
    "real": the first HELD_OUT passages. Each row copies the text, records and locator of the corpus's chunks
    in their order, as the synthetic rows do: a document of consecutive chunks links its §§ into matters as a
    real protocol does (copies of chunks from anywhere gave four times as many matters to link)."""
    from bench_passages import fidelity, joined

    texts, _, vectors = _passages(conn, embedder, embedded, cache)
    held = vectors[:HELD_OUT]
    texts, vectors = texts[HELD_OUT:], vectors[HELD_OUT:]
    print(fidelity(embedder, texts, vectors), flush=True)

    def rows(real, ids, start, count):
        own = min(count, max(0, len(vectors) - start))
        made = joined(vectors, texts, count - own, seed=start)
        return np.concatenate([vectors[start:start + own], made]), in_order(ids, start, count)

    return VectorKind("joined", rows, lambda real: held)


def corpus_vectors(conn) -> tuple[np.ndarray, list[str]]:
    rows = conn.execute("SELECT id, embedding FROM paragraf_chunks WHERE doc_id NOT LIKE 'syntetisk/%' "
                        "ORDER BY doc_id, ord").fetchall()
    conn.commit()
    return np.array([np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v) for _, v in rows],
                    dtype=np.float32), [r[0] for r in rows]


def grow(conn, n: int, kind: VectorKind, index_sql: str, organs_dim: int | None = None) -> float:
    """Documents of CHUNKS_PER_DOC rows until the index holds `n` chunks; the HNSW index is dropped for the bulk
    load and built again (timed), as one would load an archive."""
    have = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()[0]
    if have >= n:
        return 0.0
    real, real_ids = corpus_vectors(conn)
    _drop_hnsw(conn)
    conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_stage (id text, doc_id text, ord int, src text, "
                 f"embedding vector({real.shape[1]}))")
    conn.execute("TRUNCATE bench_stage")
    start_doc = conn.execute("SELECT count(*) FROM paragraf_documents WHERE doc_id LIKE 'syntetisk/%'").fetchone()[0]
    vectors, sources = kind.rows(real, real_ids, have - len(real), n - have)
    with conn.cursor() as cur, cur.copy("COPY bench_stage FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "text", "int4", "text", "vector"])
        for i in range(n - have):
            doc = start_doc + i // CHUNKS_PER_DOC
            copy.write_row((f"s{have + i}", f"syntetisk/{doc:06d}", i % CHUNKS_PER_DOC, sources[i], vectors[i]))
    conn.execute("INSERT INTO paragraf_documents (doc_id, sha256, summary, source) "
                 "SELECT DISTINCT s.doc_id, md5(s.doc_id), d.summary, '' FROM bench_stage s, "
                 "(SELECT summary FROM paragraf_documents WHERE doc_id NOT LIKE 'syntetisk/%' LIMIT 1) d")
    conn.execute("INSERT INTO paragraf_chunks (id, doc_id, ord, data, organ_key, date, paragraf, beteckning_key, "
                 "embedding, tsv, n_terms) SELECT s.id, s.doc_id, s.ord, "
                 "c.data || jsonb_build_object('id', s.id, 'doc', s.doc_id), c.organ_key, c.date, c.paragraf, "
                 "c.beteckning_key, s.embedding, c.tsv, c.n_terms FROM bench_stage s JOIN paragraf_chunks c ON c.id = s.src")
    profile_synthetic(conn)
    conn.execute("UPDATE paragraf_documents d SET n_terms = c.terms FROM (SELECT doc_id, sum(n_terms) AS terms "
                 "FROM paragraf_chunks WHERE doc_id LIKE 'syntetisk/%' GROUP BY doc_id) c WHERE d.doc_id = c.doc_id")
    conn.execute("TRUNCATE paragraf_terms")
    conn.execute("INSERT INTO paragraf_terms SELECT u.lexeme, count(*) FROM paragraf_chunks c, unnest(c.tsv) u "
                 "GROUP BY u.lexeme")
    conn.commit()
    return build_index(conn, index_sql, organs_dim)


def _drop_hnsw(conn) -> None:
    """Every HNSW index, the whole index's and each large organ's, dropped for a bulk load."""
    for (name,) in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'paragraf_chunks' AND "
                                "starts_with(indexname, 'paragraf_chunks_hnsw')").fetchall():
        conn.execute(f"DROP INDEX {name}")


def build_index(conn, index_sql: str, organs_dim: int | None = None) -> float:
    """The HNSW index, and with `organs_dim` (the vectors' dimension) each large organ's
    and year (pg_store.index_large_parts); the seconds they took."""
    _drop_hnsw(conn)
    conn.execute("SET maintenance_work_mem = '4GB'")
    t = time.perf_counter()
    conn.execute(index_sql)
    conn.commit()
    if organs_dim:
        pg_store.index_large_parts(conn, organs_dim)
    build = time.perf_counter() - t
    conn.autocommit = True  # VACUUM runs outside a transaction
    conn.execute("VACUUM ANALYZE paragraf_chunks")
    conn.autocommit = False
    return build


def profile_synthetic(conn) -> None:
    """Each synthetic document's profile, steps and scope text, as an ingest writes them (rag/records/profile.py): made
    once per run of source chunks a document copies, then written under the document's own id and chunk ids."""
    import re

    from rag.normalize import fold, path_words
    from rag.parsing import Chunk
    from rag.records import document_steps, profile, scope_text

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
            made_one = profile("@DOC@", copies)
            made[key] = (json.dumps({**made_one.to_dict(), "stems": {}}, ensure_ascii=False),
                         json.dumps(document_steps("@DOC@", copies, []).to_dict(), ensure_ascii=False),
                         json.dumps(made_one.stems), text[len(fold(path_words("@DOC@"))) + 1:])
        shape, steps, stems, rest = made[key]
        ids = [chunk_id for chunk_id, _ in chunks]
        rows.append(tuple(re.sub(r"@(\d+)@", lambda m: ids[int(m[1])], x.replace("@DOC@", doc)) for x in (shape, steps))
                    + (stems, f"{fold(path_words(doc))} {rest}", doc))
    with conn.cursor() as cur:
        cur.executemany("UPDATE paragraf_documents SET profile = %s, steps = %s, stems = %s, scope_text = %s "
                        "WHERE doc_id = %s", rows)
    conn.execute("INSERT INTO paragraf_stems SELECT key, sum(value::int) FROM paragraf_documents, jsonb_each_text(stems) "
                 "WHERE doc_id IN (SELECT DISTINCT doc_id FROM bench_stage) GROUP BY key "
                 "ON CONFLICT (stem) DO UPDATE SET df = paragraf_stems.df + EXCLUDED.df")


MAIN_HEAD = ("| chunks (Postgres) | vectors | HNSW build | search p50 / p95 | with organ filter | with date filter | "
             "add one document | another instance sees it | app process: open, views made, first answer, peak RSS |\n"
             "|---|---|---|---|---|---|---|---|---|")


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


@dataclass
class Table:
    """Every chunk's id and unit vector, as pgvector stores them."""

    ids: np.ndarray
    matrix: np.ndarray

    def __post_init__(self) -> None:
        self.row = {i: r for r, i in enumerate(self.ids)}


def table_vectors(conn) -> Table:
    with conn.cursor() as cur, cur.copy("COPY (SELECT id, embedding FROM paragraf_chunks) TO STDOUT "
                                        "WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "vector"])
        ids, vecs = zip(*((i, np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v)) for i, v in copy.rows()))
    conn.commit()
    matrix = np.array(vecs, dtype=np.float32)
    return Table(np.array(ids, dtype=object), matrix / np.linalg.norm(matrix, axis=1, keepdims=True))


@dataclass
class Truth:
    """The exact top-k of each query and its k-th similarity: a chunk returned that is as near counts as found
    (the corpus holds identical chunks, and which of them an exact scan returns first is arbitrary)."""

    table: Table
    queries: np.ndarray  # unit vectors
    ids: list[list[str]]
    kth: np.ndarray
    admitted: int  # chunks the filter admits

    def hits(self, i: int, got: list[str]) -> int:
        rows = [self.table.row[g] for g in got]
        return int((self.table.matrix[rows] @ self.queries[i] >= self.kth[i] - 1e-5).sum()) if rows else 0


def exact_top(conn, table: Table, queries: np.ndarray, condition: tuple[str, list], k: int = 10,
              check: int = 3) -> Truth:
    """The exact top-k of each query among the chunks the condition admits, compared in numpy (an exact scan
    in SQL takes about a second a query at 1M); the first `check` queries are compared with pgvector's exact
    scan (the product's dense(), exact) and a disagreement is printed."""
    sql, params = condition
    allowed = {r[0] for r in conn.execute(f"SELECT id FROM paragraf_chunks WHERE {sql}", params)}
    conn.commit()
    mask = np.fromiter((i in allowed for i in table.ids), dtype=bool, count=len(table.ids))
    sub_ids, sub = table.ids[mask], table.matrix[mask]
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    ids, kth = [], []
    for batch in range(0, len(q), 32):
        sims = q[batch:batch + 32] @ sub.T
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        for row, cand in zip(sims, part):
            ids.append(list(sub_ids[cand[np.argsort(-row[cand])]]))
            kth.append(row[cand].min())
    truth = Truth(table, q, ids, np.array(kth), int(mask.sum()))
    for i in range(min(check, len(queries))):
        found = truth.hits(i, pg_search.dense(conn, queries[i], condition, k, exact=True))
        if found < k:
            print(f"  (exact in numpy and in SQL disagree for query {i}: {found}/{k})")
    return truth


def sweep(conn, queries: np.ndarray, condition: tuple[str, list], truth: Truth, settings: dict,
          n: int = 100, k: int = 10, search=None) -> tuple[np.ndarray, float, float, int]:
    """The product's dense() (n candidates, as Retriever.search asks; or `search`, of the same signature)
    under `settings` (postgres module constants): each query's recall@k of its k nearest against `truth`,
    the p50 and p95 in ms, and how many queries got fewer than n rows (the iterative scan stopped early)."""
    search = search or pg_search.dense
    saved = {name: getattr(pg_search, name) for name in settings}
    for name, value in settings.items():
        setattr(pg_search, name, value)
    try:
        hits, times, short = [], [], 0
        for i, qv in enumerate(queries):
            t = time.perf_counter()
            got = search(conn, qv, condition, n)
            times.append(time.perf_counter() - t)
            hits.append(truth.hits(i, got[:k]) / k)
            short += len(got) < min(n, truth.admitted)
    finally:
        for name, value in saved.items():
            setattr(pg_search, name, value)
    times.sort()
    return np.array(hits), statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000, short


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
    path.parent.mkdir(parents=True, exist_ok=True)
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


def bench_postgres(sizes: list[int], queries: list[str], gaussian_like, kinds=("real", "joined", "synthetic"),
                   real_sizes=(10_000, 30_000), configs=CONFIGS, keep: Path | None = None) -> None:
    import psycopg

    import rag
    from bench_passages import CACHE, questions
    from rag.models.embed import load_embedder
    from rag.store import pglocal

    tmp = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="paragraf-bench-pg-"))
    tmp.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(rag.settings().embed_model)
    index_sql = postgres.HNSW_INDEX.format(dim=embedder.dim)  # the product's
    asked = np.array([embedder.query(q) for q in questions(every=3)], dtype=np.float32)
    print(f"\nHNSW index: {index_sql}; recall queries: {len(asked)} eval questions and {HELD_OUT} held-out vectors")
    main, recall = [], []
    try:
        with pglocal.server(tmp / "pg") as url:
            rag.ingest([ROOT / "corpus"], index_dir=url)
            with psycopg.connect(url, autocommit=True) as conn:
                for kind in kinds:
                    conn.execute(f"CREATE DATABASE paragraf_{kind} TEMPLATE paragraf")
            for kind in kinds:
                kurl = url.rsplit("/", 1)[0] + f"/paragraf_{kind}"
                with postgres.connect(kurl) as conn:
                    vk = {"real": lambda: real_kind(conn, embedder, max(real_sizes), CACHE),
                          "joined": lambda: joined_kind(conn, embedder, max(real_sizes), CACHE),
                          "synthetic": lambda: synthetic_kind(gaussian_like)}[kind]()
                    held = vk.held_out(corpus_vectors(conn)[0])
                    for round_no, n in enumerate(sorted(real_sizes if kind == "real" else sizes)):
                        main.append(measure(kurl, conn, vk, n, index_sql, queries, tmp, round_no, embedder.dim))
                        recall += recall_rows(conn, vk.name, asked, held, configs)
    finally:
        if keep:
            print(f"kept: {tmp / 'pg'} (scripts/bench_pg_instance.py; start it with rag.store.pglocal.start)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(["", MAIN_HEAD, *main, "", recall_head(configs), *recall]))


def measure(url: str, conn, kind: VectorKind, n: int, index_sql: str, queries: list[str], tmp: Path,
            round_no: int, dim: int) -> str:
    """Grow to n (the HNSW index and each large organ's built after), then search as an app instance does; for
    synthetic vectors also add a document and follow it from another instance, and open the index in a fresh
    process."""
    import rag

    build = grow(conn, n, kind, index_sql, dim)
    index = rag.open_index(url)
    plain = latency(index, queries, None)
    organ, dates = (latency(index, queries, f) for f in FILTERS)
    total = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()[0]
    conn.commit()
    row = f"| {total:,} | {kind.name} | {build:.0f} s | {plain[0]:.0f} / {plain[1]:.0f} ms | " \
          f"{organ[0]:.0f} / {organ[1]:.0f} ms | {dates[0]:.0f} / {dates[1]:.0f} ms |"
    if kind.name == "synthetic":
        added = add_one(url, tmp, round_no)
        t = time.perf_counter()
        assert index.stale()
        index = index.refreshed()  # as an app instance follows another's upload
        seen = time.perf_counter() - t
        app = app_memory(url)
        row += (f" {added:.1f} s | {seen:.1f} s | {app['open_s']:.1f} s, {app['warm_s']:.1f} s, {app['answer_s']:.1f} s, "
                f"{app['rss_mb']:.0f} MB |")
    else:
        row += " | | |"
    print(row, flush=True)
    return row


def recall_rows(conn, kind: str, asked: np.ndarray, held: np.ndarray, configs) -> list[str]:
    """Recall@10 of the dense search against exact search, per filter and configuration, and its p50 / p95."""
    from rag.store.protocol import Filters

    table = table_vectors(conn)
    total = len(table.ids)
    rows = []
    for label, f in [("none", None), *zip(("organ", "date"), FILTERS), ("small organ", SMALL_ORGAN),
                     ("dates across years", ACROSS_YEARS)]:
        condition = pg_search.where(Filters(**f)) if f else ("TRUE", [])
        both = np.concatenate([asked, held])
        truth = exact_top(conn, table, both, condition)
        cells = []
        for _, settings in configs:
            hits, p50, p95, short = sweep(conn, both, condition, truth, settings)
            ra, rh = hits[:len(asked)].mean(), hits[len(asked):].mean()
            cells.append(f"{ra:.3f} / {rh:.3f} · {p50:.1f} / {p95:.1f} ms" + (f" ({short} short)" if short else ""))
        rows.append(f"| {total:,} | {kind} | {label} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    return rows


def recall_head(configs) -> str:
    return ("| chunks | vectors | filter | " + " | ".join(label for label, _ in configs) + " |\n|---|---|---|" +
            "---|" * len(configs))
