"""The index in PostgreSQL with pgvector, shared by many app instances: documents, chunks (every locator
field, the vector, its BM25 terms), decision-fact records and the manifest in tables. The searches over
them are pg_search.py's. Each document is written in one transaction: a crash leaves it old
or new, never half, and nothing else is rewritten. pg_store.py makes these a Store and a Writer.

    python -m rag ingest corpus --index postgresql://user@host/db
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..models import default_lexicon
from ..parsing import CHUNKER_VERSION, Chunk
from ..records import Fact, document_steps, profile, scope_text
from ..genre import beteckning_key
from .protocol import IndexError_
from .lexical import SwedishAnalyzer
from ..normalize import fold

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS paragraf_meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE SEQUENCE IF NOT EXISTS paragraf_revision;
CREATE TABLE IF NOT EXISTS paragraf_documents (
    doc_id text PRIMARY KEY, sha256 text NOT NULL, summary jsonb NOT NULL, source text NOT NULL,
    revision bigint NOT NULL DEFAULT nextval('paragraf_revision'), indexed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS paragraf_terms (lexeme text PRIMARY KEY, df int NOT NULL);
CREATE TABLE IF NOT EXISTS paragraf_facts (
    doc_id text NOT NULL REFERENCES paragraf_documents ON DELETE CASCADE, ord int NOT NULL, data jsonb NOT NULL,
    PRIMARY KEY (doc_id, ord));
"""
_CHUNKS = """
CREATE TABLE IF NOT EXISTS paragraf_chunks (
    id text PRIMARY KEY, doc_id text NOT NULL REFERENCES paragraf_documents ON DELETE CASCADE, ord int NOT NULL,
    data jsonb NOT NULL, organ_key text NOT NULL, date text NOT NULL, paragraf text NOT NULL,
    beteckning_key text NOT NULL, embedding vector({dim}) NOT NULL, tsv tsvector NOT NULL,
    n_terms int NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS paragraf_chunks_doc ON paragraf_chunks (doc_id, ord);
CREATE INDEX IF NOT EXISTS paragraf_chunks_organ_date ON paragraf_chunks (organ_key, date);
CREATE INDEX IF NOT EXISTS paragraf_chunks_tsv ON paragraf_chunks USING gin (tsv);
"""
# The HNSW index compares the vectors in half precision: at 100k chunks it found as many of the exact top-10
# as one over full vectors in about half the time; the candidates it finds are then ordered by the exact
# distance (dense()), so half precision decides only which chunks are candidates. ef_construction 128
# (pgvector's default 64): a better-connected graph, more of the exact top-10 at the same ef_search for 1.5x
# the build time (docs/benchmarks.md, "Postgres index").
HNSW_INDEX = ("CREATE INDEX IF NOT EXISTS paragraf_chunks_hnsw_half ON paragraf_chunks USING hnsw "
              "((embedding::halfvec({dim})) halfvec_cosine_ops) WITH (m = 16, ef_construction = 128)")
# Schema 3: a database of an earlier version gets the half-precision index (of its column's own dimension,
# with memory to build it in), then loses its full-precision one; instances refuse it until then.
_HALF_INDEX = f"""
DO $$
DECLARE dim int := (SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass('paragraf_chunks')
                    AND attname = 'embedding');
BEGIN
    IF dim IS NOT NULL THEN
        PERFORM set_config('maintenance_work_mem', '1GB', true);
        EXECUTE format('{HNSW_INDEX.format(dim="%s")}', dim);
        DROP INDEX IF EXISTS paragraf_chunks_hnsw;
    END IF;
END $$;
"""
# Numbered schema changes: a database at version v runs MIGRATIONS[v:] in order, once, under the lock, each
# SQL or a function of the connection. A change is a new entry, never an edit of an old one; one that touches
# paragraf_chunks says IF EXISTS (that table waits for the embedding's dimension, _CHUNKS).
MIGRATIONS: list[str | Callable] = [
    _SCHEMA,
    # 2: a question reads the records of a kind, and an instance keeps each document's profile and reads its
    # scope text by a regular expression (trigrams find the documents), not the passages
    "CREATE INDEX IF NOT EXISTS paragraf_facts_kind ON paragraf_facts ((data->>'kind'));"
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
    "ALTER TABLE paragraf_documents ADD COLUMN IF NOT EXISTS profile jsonb, ADD COLUMN IF NOT EXISTS scope_text text,"
    " ADD COLUMN IF NOT EXISTS stems jsonb, ADD COLUMN IF NOT EXISTS n_terms bigint;"
    "CREATE TABLE IF NOT EXISTS paragraf_stems (stem text PRIMARY KEY, df int NOT NULL);"
    "CREATE INDEX IF NOT EXISTS paragraf_documents_scope ON paragraf_documents USING gin (scope_text gin_trgm_ops);",
    # 3: the HNSW index over half-precision vectors
    _HALF_INDEX,
    # 4: a document's steps and titles apart from its profile: an instance opens reading profiles only
    "ALTER TABLE paragraf_documents ADD COLUMN IF NOT EXISTS steps jsonb;"
    "UPDATE paragraf_documents SET steps = jsonb_build_object('doc', doc_id, 'titles', profile->'titles', "
    "'steps', profile->'steps', 'mentions', profile->'mentions', 'references', profile->'references'), "
    "profile = profile - 'titles' - 'steps' - 'mentions' - 'references' WHERE profile ? 'steps';",
    # 5: BM25 over the product's own terms, not Postgres's 'swedish' lexemes (a Python step: reanalyse)
    lambda conn: reanalyse(conn),
]
SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 0x5041_5241  # advisory lock keys: schema changes ('PARA'), document writes ('PARW')
WRITE_LOCK = 0x5041_5257


def is_url(index: str | Path | None) -> bool:
    return isinstance(index, str) and index.startswith(("postgresql://", "postgres://"))


def connect(url: str):
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise IndexError_(f"PostgreSQL svarar inte ({safe_url(url)}): {str(exc).strip().splitlines()[0][:160]}") from exc
    _create_vector_extension(conn)
    register_vector(conn)
    return conn


def _create_vector_extension(conn) -> None:
    """CREATE EXTENSION IF NOT EXISTS is not safe when two processes run it at once (both see it missing, one
    fails on the catalogue's unique key), so it runs under the schema lock, and only when it is missing."""
    with conn.transaction():
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
            return
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def migrate(conn, dim: int | None) -> None:
    """Bring the tables to SCHEMA_VERSION (under an advisory lock: two instances may start at once)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        version = schema_version(manifest(conn))
        for number, step in enumerate(MIGRATIONS[version:], version + 1):
            conn.execute(step) if isinstance(step, str) else step(conn)
            set_manifest(conn, {"schema_version": number})
        if dim:
            conn.execute(_CHUNKS.format(dim=int(dim)))
            conn.execute(HNSW_INDEX.format(dim=int(dim)))


def schema_version(meta: dict) -> int:
    """The database's schema version; one newer than this code is refused, not misread."""
    version = int(meta.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise IndexError_(f"the Postgres index has schema version {version}, this Paragraf knows up to "
                          f"{SCHEMA_VERSION}: update Paragraf on this machine")
    return version


def chunk_estimate(conn) -> int:
    """The chunks in the index, as the planner's statistics count them (no scan of a million rows), or counted
    while the table has none."""
    row = conn.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass('paragraf_chunks')").fetchone()
    if row and row[0] < 0:
        row = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()
    conn.commit()
    return int(row[0]) if row else 0


def manifest(conn) -> dict:
    if not conn.execute("SELECT to_regclass('paragraf_meta')").fetchone()[0]:
        return {}
    return {k: v for k, v in conn.execute("SELECT key, value FROM paragraf_meta").fetchall()}


def set_manifest(conn, values: dict) -> None:
    for key, value in values.items():
        conn.execute("INSERT INTO paragraf_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                     (key, json.dumps(value, ensure_ascii=False)))


def drop_all(conn) -> None:
    """For a rebuild with another model: the tables go, the database stays."""
    with conn.transaction():
        conn.execute("DROP TABLE IF EXISTS paragraf_chunks, paragraf_facts, paragraf_terms, paragraf_documents, "
                     "paragraf_meta CASCADE")


def documents(conn) -> dict[str, dict]:
    """doc id -> its summary with sha256 (as the folder manifest's 'documents')."""
    if not conn.execute("SELECT to_regclass('paragraf_documents')").fetchone()[0]:
        return {}
    return {d: {**summary, "sha256": sha} for d, sha, summary in
            conn.execute("SELECT doc_id, sha256, summary FROM paragraf_documents").fetchall()}


def revision(conn) -> tuple[int, int]:
    """Changes whenever a document is added, replaced or removed: (latest revision, documents)."""
    row = conn.execute("SELECT coalesce(max(revision), 0), count(*) FROM paragraf_documents").fetchone()
    conn.commit()
    return int(row[0]), int(row[1])


def write_document(conn, doc_id: str, sha256: str, summary: dict, source: str, chunks: list[Chunk],
                   vectors: np.ndarray, facts: list[Fact], analyzer: SwedishAnalyzer) -> None:
    """Replace one document, its chunks and facts, in one transaction. Writers take turns (one advisory
    lock): the shared document frequencies would otherwise deadlock two ingests; readers never wait."""
    rows = [(c.id, doc_id, i, json.dumps(c.to_dict(), ensure_ascii=False), fold(c.organ or ""), c.date or "",
             c.paragraf or "", beteckning_key(c.beteckning or ""), vectors[i], *bm25_terms(analyzer, c))
            for i, c in enumerate(chunks)]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        _delete(conn, doc_id)
        conn.execute("INSERT INTO paragraf_documents (doc_id, sha256, summary, source) VALUES (%s, %s, %s, %s)",
                     (doc_id, sha256, json.dumps(summary, ensure_ascii=False), source))
        write_profile(conn, doc_id, chunks, facts)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO paragraf_chunks (id, doc_id, ord, data, organ_key, date, paragraf, "
                            "beteckning_key, embedding, tsv, n_terms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
                            "%s::tsvector, %s)", rows)
            cur.executemany("INSERT INTO paragraf_facts (doc_id, ord, data) VALUES (%s, %s, %s)",
                            [(doc_id, i, json.dumps(f.to_dict(), ensure_ascii=False)) for i, f in enumerate(facts)])
        count_terms(conn, doc_id)
        # document frequencies for BM25, in lexeme order so that two ingests lock rows in the same order
        conn.execute("INSERT INTO paragraf_terms SELECT u.lexeme, count(*) FROM paragraf_chunks c, unnest(c.tsv) u "
                     "WHERE c.doc_id = %s GROUP BY u.lexeme ORDER BY u.lexeme "
                     "ON CONFLICT (lexeme) DO UPDATE SET df = paragraf_terms.df + EXCLUDED.df", (doc_id,))


def bm25_terms(analyzer: SwedishAnalyzer, chunk: Chunk) -> tuple[str, int]:
    """A chunk's BM25 terms as the folder index counts them (the product's analyzer): a tsvector literal with one
    position per occurrence (its term frequency; Postgres keeps up to 256), and the chunk's length in terms (1 for
    none, as bm25s counts an empty chunk)."""
    counts: dict[str, int] = {}
    terms = analyzer(chunk.search_text)
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    literal = " ".join(f"{quoted(t)}:{','.join(map(str, range(1, min(n, 256) + 1)))}" for t, n in counts.items())
    return literal, max(len(terms), 1)


def quoted(term: str) -> str:
    """A term as a tsvector's or a tsquery's literal lexeme."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def reanalyse(conn, batch: int = 200) -> None:
    """Every chunk's BM25 terms made again by the product's analyzer (schema 5; they were Postgres's 'swedish'
    lexemes of an expanded text, which ranked a few passages otherwise than the folder index), the lengths and
    document frequencies counted anew, in the migration's transaction. The terms are staged first and the
    chunks' indexes made again after one UPDATE: updating a million rows under their HNSW indexes would insert
    every vector again, one at a time."""
    if not conn.execute("SELECT to_regclass('paragraf_chunks')").fetchone()[0]:
        return
    analyzer = SwedishAnalyzer(default_lexicon())
    conn.execute("CREATE TEMP TABLE paragraf_reanalysed (id text, tsv tsvector, n_terms int) ON COMMIT DROP")
    docs = [d for (d,) in conn.execute("SELECT doc_id FROM paragraf_documents ORDER BY doc_id").fetchall()]
    for start in range(0, len(docs), batch):
        rows = conn.execute("SELECT id, data FROM paragraf_chunks WHERE doc_id = ANY(%s)",
                            (docs[start:start + batch],)).fetchall()
        with conn.cursor() as cur, cur.copy("COPY paragraf_reanalysed FROM STDIN") as copy:
            for chunk_id, data in rows:
                copy.write_row((chunk_id, *bm25_terms(analyzer, Chunk(**data))))
    indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'paragraf_chunks' "
                           "AND indexname <> 'paragraf_chunks_pkey'").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("UPDATE paragraf_chunks c SET tsv = r.tsv, n_terms = r.n_terms FROM paragraf_reanalysed r "
                 "WHERE c.id = r.id")
    conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute("UPDATE paragraf_documents d SET n_terms = c.n FROM (SELECT doc_id, sum(n_terms) AS n FROM "
                 "paragraf_chunks GROUP BY doc_id) c WHERE d.doc_id = c.doc_id")
    conn.execute("TRUNCATE paragraf_terms")
    conn.execute("INSERT INTO paragraf_terms SELECT u.lexeme, count(*) FROM paragraf_chunks c, unnest(c.tsv) u GROUP BY 1")


def count_terms(conn, doc_id: str) -> None:
    """The document's words (BM25's lengths) kept on its row: an instance opens without reading a chunk row."""
    conn.execute("UPDATE paragraf_documents SET n_terms = (SELECT coalesce(sum(n_terms), 0) FROM paragraf_chunks "
                 "WHERE doc_id = %s) WHERE doc_id = %s", (doc_id, doc_id))


def write_profile(conn, doc_id: str, chunks: list[Chunk], facts: list[Fact]) -> None:
    """The document's profile (without its word stems: instances read profiles, and the stems are counted over
    all documents in paragraf_stems), its steps, its scope text, and its stems added to the counts, in stem order."""
    made = profile(doc_id, chunks)
    conn.execute("UPDATE paragraf_documents SET profile = %s, steps = %s, stems = %s, scope_text = %s WHERE doc_id = %s",
                 (json.dumps({**made.to_dict(), "stems": {}}, ensure_ascii=False),
                  json.dumps(document_steps(doc_id, chunks, facts).to_dict(), ensure_ascii=False), json.dumps(made.stems),
                  scope_text(doc_id, chunks), doc_id))
    conn.execute("INSERT INTO paragraf_stems SELECT key, value::int FROM paragraf_documents, jsonb_each_text(stems) "
                 "WHERE doc_id = %s ORDER BY key ON CONFLICT (stem) DO UPDATE SET df = paragraf_stems.df + EXCLUDED.df",
                 (doc_id,))


def _delete(conn, doc_id: str) -> None:
    conn.execute("UPDATE paragraf_stems s SET df = s.df - o.n FROM (SELECT key, value::int AS n FROM paragraf_documents, "
                 "jsonb_each_text(stems) WHERE doc_id = %s ORDER BY key) o WHERE s.stem = o.key", (doc_id,))
    conn.execute("UPDATE paragraf_terms t SET df = t.df - s.n FROM (SELECT u.lexeme, count(*) AS n FROM paragraf_chunks c, "
                 "unnest(c.tsv) u WHERE c.doc_id = %s GROUP BY u.lexeme ORDER BY u.lexeme) s WHERE t.lexeme = s.lexeme",
                 (doc_id,))
    conn.execute("DELETE FROM paragraf_documents WHERE doc_id = %s", (doc_id,))


def remove_document(conn, doc_id: str) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        _delete(conn, doc_id)


def manifest_for(embed_model: str, embedder, analyzer_version: str, fmt: int) -> dict:
    return {"format": fmt, "embedding_model": embed_model, "embedding_path": embedder.name,
            "embedding_fingerprint": embedder.fingerprint, "dim": embedder.dim, "normalized": True,
            "chunker_version": CHUNKER_VERSION, "analyzer_version": analyzer_version,
            "dense_index": "pgvector HNSW (cosine)", "lexical_index": "BM25 over the product's analyzer's terms (tsvector)",
            "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
