"""The Postgres index as a Store and a Writer: an app instance keeps the chunks and records without their
vectors and searches in SQL (pg_search.py); an ingest writes each document in its own transaction, so an
interrupted one keeps what it finished and a re-run goes on."""
from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Iterator

import numpy as np

from ..models import EmbeddingModel, default_lexicon
from ..parsing import Chunk
from ..reading import ReadError, SourceText
from ..records import DocumentSteps, Fact, Profile, in_bulk
from . import pg_read, pg_search, postgres
from .folder import FLAT_LIMIT
from .lexical import SwedishAnalyzer
from .protocol import ANALYZER_VERSION, FORMAT_VERSION, Filters, IndexError_, IngestReport, check_compatible


READ_CACHE = 20_000  # chunks an instance keeps of those its questions read (a few MB of passages)


class DatabaseAway(RuntimeError):
    """str() is the Swedish reason: the server does not answer (restarting, stopped, unreachable)."""


def pool(url: str, size: int = 8):
    """Connections for a serving instance: each one checked before use and replaced when the server restarted.
    DatabaseAway when the server does not answer now; the pool reconnects by itself once it is back."""
    from pgvector.psycopg import register_vector
    from psycopg_pool import ConnectionPool

    postgres.connect(url).close()  # the vector extension exists, and a clear reason when the server is away
    connections = ConnectionPool(url, min_size=1, max_size=size, open=False, configure=register_vector,
                                 check=ConnectionPool.check_connection, kwargs={"connect_timeout": 10},
                                 reconnect_timeout=0, name="paragraf")
    connections.open(wait=True, timeout=30)
    return connections


def reachable(url: str) -> str | None:
    """None when the server answers within 3 s; the Swedish reason otherwise."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return str(away(url, exc))
    return None


def away(url: str, exc: Exception) -> DatabaseAway:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    return DatabaseAway(f"Databasen svarar inte just nu ({postgres.safe_url(url)}: {first}). Försök igen om en stund.")


class PgStore:
    """Search in a Postgres index: candidates and their scores from SQL, passages and records read per
    question; the instance keeps the documents' profiles. It sees other instances' writes (`stale`) and
    follows them reading only what changed (`refreshed`)."""

    def __init__(self, url: str, analyzer: SwedishAnalyzer | None = None, previous: pg_read.PgContents | None = None,
                 connections=None) -> None:
        self.url = url
        self._pool = connections or pool(url)
        self.analyzer = analyzer or SwedishAnalyzer(default_lexicon())
        with in_bulk():  # a million chunks' profiles
            self.contents: pg_read.PgContents = self._db(pg_read.load, previous)
        self.manifest = self.contents.manifest
        self.warning: str | None = None
        self._read: dict[str, Chunk] = {}  # the chunks this instance has read by id, until READ_CACHE of them
        self._kinds: dict[str, list[tuple[tuple[str, int], Fact]]] = {}  # kind -> its records by (doc, ord)
        self._paragrafer: dict[tuple[str, str], list[Chunk]] = {}  # (doc, §) -> its chunks, as read
        self._stems: dict[str, int] | None = None
        self._steps_lock = threading.Lock()  # two questions at once read the steps once

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    @property
    def revisions(self) -> dict[str, int]:
        return self.contents.revisions

    @property
    def profiles(self) -> list[Profile]:
        return list(self.contents.profiles.values())

    @property
    def steps(self) -> list[DocumentSteps]:
        """Read in one round trip on the first question that needs them; a refreshed instance reads the changed
        documents' only. A document replaced between its profile's reading and its steps' has none until then."""
        have = self.contents.steps
        with self._steps_lock:
            missing = [d for d in self.contents.profiles if d not in have]
            if missing:
                with in_bulk():
                    have.update(self._db(pg_read.steps_of, missing, self.contents.revisions))
        return [have[d] for d in self.contents.profiles if d in have]

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk, read from the database each time: for tools and tests, never on a question's path."""
        return self._db(pg_read.chunks_of, list(self.contents.profiles))

    @property
    def facts(self) -> list[Fact]:
        """Every record, read from the database each time (as `chunks`)."""
        return [f for _, f in self._db(pg_read.facts_where, "TRUE")]

    @property
    def avgdl(self) -> float:
        return self.contents.avgdl

    def _db(self, fn, *args):
        """`fn(connection, *args)` on a checked connection of the pool; once more on a fresh one when the
        server went away under it (a restart); DatabaseAway, with its Swedish reason, when it is away now."""
        import psycopg
        from psycopg_pool import PoolTimeout

        for attempt in (1, 2):
            try:
                with self._pool.connection(timeout=5) as conn:
                    return fn(conn, *args)
            except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
                if attempt == 2:
                    raise away(self.url, exc) from exc
                self._pool.check()  # drop the connections the restart closed

    def refreshed(self) -> PgStore:
        """The index as the database holds it now: only the documents changed since are read; the analyzer
        and connections are this one's."""
        return PgStore(self.url, self.analyzer, self.contents, self._pool)

    def reachable(self) -> str | None:
        """A connection of its own, so that a health check neither waits for the pool nor takes from it."""
        return reachable(self.url)

    def stale(self) -> bool:
        return self._db(postgres.revision) != self.contents.revision

    def where(self, f: Filters) -> tuple[str, list]:
        return pg_search.where(f) if f.active() else ("TRUE", [])

    def dense(self, q: np.ndarray, where: tuple[str, list], n: int) -> list[str]:
        return self._db(pg_search.dense, q, where, n, self.contents.size <= FLAT_LIMIT)

    def lexical(self, query: str, where: tuple[str, list], n: int) -> tuple[list[str], pg_search.Bm25Query | None]:
        """Chunk ids best first, and the question's BM25 terms (for the candidates' scores)."""
        bm = self._db(pg_search.bm25_query, self.analyzer, query, self.contents.size, self.contents.avgdl)
        return self._db(pg_search.lexical, bm, where, n), bm

    def scores(self, q: np.ndarray | None, lexical: pg_search.Bm25Query | None, ids: list[str]):
        got = self._db(pg_search.scores, q, lexical, ids)
        both = np.array([got.get(i, (0.0, 0.0)) for i in ids], dtype=np.float32).reshape(-1, 2)
        return (both[:, 0] if q is not None else None), (both[:, 1] if lexical is not None else None)

    def passages(self, ids: list[str]) -> list[Chunk]:
        """One round trip for the ids not read before by this instance (the hits of a question)."""
        found = {i: c for i in ids if (c := self._read.get(i)) is not None}
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            found.update(self._keep(self._db(pg_read.chunks_by_id, missing)))
        return [found[i] for i in ids if i in found]

    def _keep(self, read: dict[str, Chunk]) -> dict[str, Chunk]:
        """Chunks read, kept for the next questions until READ_CACHE of them (then a new cache: a question
        reading the old one in another thread keeps what it has)."""
        if len(self._read) > READ_CACHE:
            self._read = {}
        self._read.update(read)
        return read

    def chunk(self, chunk_id: str) -> Chunk | None:
        found = self.passages([chunk_id])
        return found[0] if found else None

    def vector(self, chunk_id: str) -> np.ndarray | None:
        return self._db(pg_read.vector, chunk_id)

    def facts_of(self, kinds: Collection[str]) -> list[Fact]:
        """Read from the database once per kind by this instance (a refresh makes a new one)."""
        for kind in set(kinds) - self._kinds.keys():
            self._kinds[kind] = self._db(pg_read.facts_of, kind)
        return [f for _, f in sorted((x for k in set(kinds) for x in self._kinds[k]), key=lambda x: x[0])]

    def stem_counts(self) -> dict[str, int]:
        """Read once by this instance, on the first question that weighs words."""
        if self._stems is None:
            self._stems = self._db(pg_read.stem_counts)
        return self._stems

    def scope_matching(self, pattern: str) -> set[str]:
        return self._db(pg_read.scope_matching, pattern)

    def scope_texts(self, docs: Collection[str]) -> dict[str, str]:
        return self._db(pg_read.scope_texts, list(docs))

    def chunks_where(self, where: tuple[str, list]) -> list[Chunk]:
        found = self._db(pg_read.chunks_where, where)
        self._keep({c.id: c for c in found})
        return found

    def paragraf_chunks(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Chunk]]:
        """Each § read once by this instance (while READ_CACHE chunks are kept)."""
        held = self._paragrafer
        missing = [k for k in dict.fromkeys(keys) if k not in held]
        read: dict[tuple[str, str], list[Chunk]] = {}
        if missing:
            found = self._db(pg_read.paragraf_chunks, missing)
            read = {k: found.get(k, []) for k in missing}
            self._keep({c.id: c for cs in read.values() for c in cs})
            if len(held) > READ_CACHE:
                self._paragrafer = {}
            self._paragrafer.update(read)
        return {k: read[k] if k in read else held[k] for k in keys}

    def source(self, doc_id: str) -> SourceText:
        row = self._db(pg_read.source, doc_id)
        if row is None:
            raise ReadError(doc_id, "finns inte i indexet")
        info = self.documents.get(doc_id, {})
        return SourceText(doc_id, Path(doc_id), row[0], row[1], info.get("format", ""), info.get("encoding", ""))


@dataclass
class PgBackend:
    """An index in a PostgreSQL database with pgvector, shared by many app instances."""

    url: str
    shared = True

    @property
    def name(self) -> str:
        return postgres.safe_url(self.url)

    def exists(self) -> bool:
        """Whether the database holds an index (an unreachable server raises)."""
        conn = postgres.connect(self.url)
        try:
            return bool(postgres.manifest(conn).get("embedding_model"))
        finally:
            conn.close()

    def open(self, embed_model: str | None) -> PgStore:
        conn = postgres.connect(self.url)
        try:
            meta = postgres.manifest(conn)
        finally:
            conn.close()
        if not meta.get("embedding_model"):
            raise IndexError_(f"no index in {self.name}; build one with `python -m rag ingest --index URL <corpus>`")
        check_compatible(meta, embed_model, None, self.name)
        return PgStore(self.url)

    @contextmanager
    def writer(self, embed_model: str, embedder: EmbeddingModel, root: Path, rebuild: bool,
               say: Callable[[str], None], batch_size: int, step, show_bar: bool) -> Iterator[PgWriter]:
        conn = postgres.connect(self.url)
        try:
            yield PgWriter(conn, self.name, embed_model, embedder, root, rebuild, batch_size, say)
        finally:
            conn.close()


class PgWriter:
    """Each document embedded and written as it comes, in its own transaction."""

    def __init__(self, conn, name: str, embed_model: str, embedder: EmbeddingModel, root: Path, rebuild: bool,
                 batch_size: int, say: Callable[[str], None]) -> None:
        self.conn, self.embedder, self.batch_size = conn, embedder, batch_size
        self.analyzer = SwedishAnalyzer(default_lexicon())
        _prepare_tables(conn, name, embed_model, embedder, root, rebuild, say)
        self.documents = postgres.documents(conn)
        conn.commit()  # no transaction (and its locks) stays open during the long part

    def keep(self, doc_id: str) -> None:
        """Nothing to do: the database holds it."""

    def write(self, doc) -> str | None:
        import psycopg

        vectors = self.embedder.passages([c.search_text for c in doc.chunks], batch_size=self.batch_size)
        try:
            postgres.write_document(self.conn, doc.doc_id, doc.sha256, doc.summary, doc.text, doc.chunks, vectors,
                                    doc.facts, self.analyzer)
        except psycopg.DatabaseError as exc:  # this document stays as it was; the others go on
            return f"{doc.doc_id}: could not be written ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
        return None

    def remove(self, doc_id: str) -> None:
        postgres.remove_document(self.conn, doc_id)

    def finish(self, report: IngestReport) -> None:
        conn = self.conn
        docs = postgres.documents(conn)
        if not docs:
            raise IndexError_("nothing could be read: " + ("; ".join(report.errors) or "no files found"))
        report.chunks = conn.execute("SELECT count(*) FROM paragraf_chunks").fetchone()[0]
        report.facts = conn.execute("SELECT count(*) FROM paragraf_facts").fetchone()[0]
        conn.commit()
        index_large_parts(conn, self.embedder.dim)
        report.count_pages(docs)


def index_large_parts(conn, dim: int) -> list[str]:
    """An HNSW index of its own (a partial index, which the planner takes for a search filtered to it) for each
    organ and each year with more than EXACT_SUBSET_LIMIT chunks: one organ's or one year's graph finds more of
    a filtered search's exact top-10 than the whole index's graph with a filter (Kommunstyrelsen at a million
    synthetic chunks: 0.957 / 0.978 instead of 0.883 / 0.857, docs/benchmarks.md). Made by the writer after an
    ingest, once per part; chunks written later enter it as they enter the whole index. The parts' index names."""
    import psycopg
    from psycopg import sql

    organs = [k for (k,) in conn.execute("SELECT organ_key FROM paragraf_chunks WHERE organ_key IS NOT NULL "
                                         "GROUP BY organ_key HAVING count(*) > %s ORDER BY 1", [pg_search.EXACT_SUBSET_LIMIT])]
    years = [y for (y,) in conn.execute("SELECT left(date, 4) FROM paragraf_chunks WHERE date ~ '^[0-9]{4}-' "
                                        "GROUP BY 1 HAVING count(*) > %s ORDER BY 1", [pg_search.EXACT_SUBSET_LIMIT])]
    conn.commit()
    parts = [("organ_" + hashlib.md5(k.encode()).hexdigest()[:12], sql.SQL("organ_key = {}").format(sql.Literal(k)))
             for k in organs]
    parts += [(f"year_{y}", sql.SQL("date >= {} AND date <= {}").format(*map(sql.Literal, pg_search.year_bounds(y))))
              for y in years]
    for name, condition in parts:
        try:
            with conn.transaction():
                conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
                conn.execute(sql.SQL(postgres.HNSW_INDEX.format(dim=dim).replace("hnsw_half", f"hnsw_{name}"))
                             + sql.SQL(" WHERE ") + condition)
        except (psycopg.errors.DuplicateTable, psycopg.errors.UniqueViolation):
            pass  # another writer, ending at the same time, made it
    return [f"paragraf_chunks_hnsw_{name}" for name, _ in parts]


def _prepare_tables(conn, name: str, embed_model: str, embedder: EmbeddingModel, root: Path, rebuild: bool,
                    say: Callable[[str], None]) -> None:
    """Tables there and migrated, the manifest this ingest's; another embedding model is refused."""
    if rebuild:
        postgres.drop_all(conn)
    old = postgres.manifest(conn)
    if old.get("embedding_model"):
        try:
            check_compatible({**old, "documents": {}}, embed_model, embedder.fingerprint, name)
        except IndexError_ as exc:
            raise IndexError_(str(exc).replace("python -m rag ingest --rebuild",
                                               f"python -m rag ingest --index {name} --rebuild")) from exc
    version = postgres.schema_version(old)
    if old and version < postgres.SCHEMA_VERSION:
        chunks = f"{postgres.chunk_estimate(conn):,}".replace(",", " ")
        say(f"Indexet i {name} uppgraderas från schema {version} till {postgres.SCHEMA_VERSION} ({chunks} stycken; "
            "vid en miljon tar det en stund, och instanserna kan inte söka under tiden) …")
    postgres.migrate(conn, embedder.dim)
    _profile_older(conn)
    with conn.transaction():
        postgres.set_manifest(conn, {**postgres.manifest_for(embed_model, embedder, ANALYZER_VERSION, FORMAT_VERSION),
                                     "corpus_root": str(root)})


def _profile_older(conn) -> None:
    """Documents written before profiles were (schema 1), or without their steps, get them, one transaction each:
    instances read profiles, steps and scope texts, not passages."""
    older = conn.execute("SELECT doc_id FROM paragraf_documents WHERE profile IS NULL OR steps IS NULL").fetchall()
    conn.commit()
    for (doc_id,) in older:
        chunks = pg_read.chunks_of(conn, [doc_id])
        facts = [f for _, f in pg_read.facts_where(conn, "doc_id = %s", doc_id)]
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (postgres.WRITE_LOCK,))
            postgres.write_profile(conn, doc_id, chunks, facts)
            postgres.count_terms(conn, doc_id)
