"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank, with structure filters."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..parsing import Chunk
from ..models import EmbeddingModel, load_embedder
from ..store.index import FLAT_LIMIT, IndexError_, StoredIndex, check_compatible, load
from ..store import SwedishAnalyzer
from ..models import default_lexicon
from ..normalize import fold, nfc
from ..reading import ReadError, SourceText, read_file
from ..genre import beteckning_key
from ..genre import ORGAN_ABBREV

RRF_K = 60
CANDIDATES = 100
BM25_WEIGHT = 0.5  # dense cosine and BM25 are min-max scaled over the candidates, then added
STRUCTURE_BONUS = 0.3
# question words (folded) -> the sections that answer them; the structure parser names these sections
SECTION_INTENTS = [
    (r"sarskil\w* yttrand", ("Särskilt yttrande", "särskilda yttranden")),
    (r"\breserv", ("Reservation",)),
    (r"omrostning|\brost|votering", ("Omröstning", "Propositionsordning", "Beslutsgång")),
    (r"protokollsanteckning", ("Protokollsanteckning",)),
    (r"\bjav", ("Jäv",)),
    (r"justera|ordforande|sekreterare", ("Underskrifter", "Justering", "Beslutande")),
    (r"\byrka|yrkande", ("Förslag till beslut på sammanträdet", "Yrkanden")),
    (r"beslutsunderlag", ("Beslutsunderlag",)),
    (r"skickas", ("Beslutet skickas till",)),
    (r"narvar|ersattare|ledamot", ("Beslutande", "Övriga närvarande", "Ersättare")),
    (r"instam|underte?ckn|skrev under", ("underskrifter",)),
]
EXACT_SUBSET_LIMIT = 200_000


@dataclass
class Filters:
    organ: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc: str | None = None
    paragraf: str | None = None
    beteckning: str | None = None  # a committee report: '2010/11:AU1'
    docs: frozenset[str] | None = None  # the documents a question can be about (see scope.py)

    def active(self) -> bool:
        return any((self.organ, self.date_from, self.date_to, self.doc, self.paragraf, self.beteckning)) \
            or self.docs is not None


@dataclass
class Hit:
    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "doc": c.doc, "locator": c.locator, "text": c.text, "score": round(self.score, 6),
            "id": c.id, "organ": c.organ, "date": c.date, "paragraf": c.paragraf, "title": c.title,
            "dnr": c.dnr, "section": c.section, "bilaga": c.bilaga, "part": c.part,
            "page_start": c.page_start, "page_end": c.page_end, "start": c.start, "end": c.end,
            "dense_rank": self.dense_rank, "bm25_rank": self.bm25_rank,
        }


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    timings: dict[str, float] = field(default_factory=dict)


def _ranks(scores: np.ndarray, n: int, allowed: np.ndarray | None) -> list[int]:
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    n = min(n, int(np.isfinite(scores).sum()) if allowed is not None else len(scores))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(i) for i in top if scores[i] > 0 or allowed is None]


class Retriever:
    """Search over one stored index; loads the embedding model once."""

    def __init__(self, stored: StoredIndex, embedder: EmbeddingModel) -> None:
        self.stored = stored
        self.embedder = embedder
        chunks = stored.chunks
        self.row = {c.id: i for i, c in enumerate(chunks)}  # chunk id -> row in chunks and vectors

    @cached_property
    def _fields(self) -> dict[str, np.ndarray]:
        """The chunks' filter fields as columns, built on the first filtered search (a store that filters
        in its own queries never needs them)."""
        chunks = self.chunks
        return {"organ": np.array([fold(c.organ or "") for c in chunks], dtype=object),
                "date": np.array([c.date or "" for c in chunks], dtype=object),
                "doc": np.array([c.doc for c in chunks], dtype=object),
                "paragraf": np.array([c.paragraf or "" for c in chunks], dtype=object),
                "beteckning": np.array([beteckning_key(c.beteckning or "") for c in chunks], dtype=object)}

    @property
    def chunks(self) -> list[Chunk]:
        return self.stored.chunks

    @property
    def documents(self) -> dict[str, dict]:
        return self.stored.documents

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.row.get(chunk_id)
        return None if row is None else self.chunks[row]

    @property
    def organs(self) -> list[str]:
        """The organs the index's chunks name, for a filter menu."""
        return sorted({c.organ for c in self.chunks if c.organ})

    @property
    def beteckningar(self) -> list[str]:
        """The committee reports in the index, for a filter menu."""
        return sorted({c.beteckning for c in self.chunks if c.beteckning})

    def source(self, doc_id: str) -> SourceText:
        """The document's text as indexed (chunk offsets point into it); ReadError if gone or changed since."""
        info = self.documents.get(doc_id)
        if info is None:
            raise ReadError(doc_id, "finns inte i indexet")
        root = Path(self.stored.manifest["corpus_root"])
        src = read_file(root / doc_id, root, 1 << 40)
        if src.sha256 != info["sha256"]:
            raise ReadError(doc_id, "filen har ändrats sedan indexet byggdes; indexera om")
        return src

    def _mask(self, f: Filters) -> np.ndarray | None:
        if not f.active():
            return None
        m, col = np.ones(len(self.chunks), dtype=bool), self._fields
        if f.organ:
            m &= col["organ"] == fold(ORGAN_ABBREV.get(f.organ.lower(), f.organ))
        if f.date_from:
            m &= col["date"] >= f.date_from
        if f.date_to:
            m &= (col["date"] <= f.date_to) & (col["date"] != "")
        if f.doc:
            m &= np.array([f.doc in d for d in col["doc"]], dtype=bool)
        if f.paragraf:
            m &= col["paragraf"] == f.paragraf.strip().lstrip("§").strip()
        if f.beteckning:
            m &= col["beteckning"] == beteckning_key(f.beteckning)
        if f.docs is not None:
            m &= np.isin(col["doc"], list(f.docs))
        return m

    def dense_ranking(self, q: np.ndarray, allowed: np.ndarray | None, n: int = CANDIDATES) -> list[int]:
        if allowed is None:
            scores, ids = self.stored.dense.search(q[None, :], min(n, len(self.chunks)))
            return [int(i) for i in ids[0] if i >= 0]
        subset = np.flatnonzero(allowed)
        if len(subset) == 0:
            return []
        if len(subset) <= EXACT_SUBSET_LIMIT:  # exact scores over the filtered chunks
            sims = self.stored.vectors[subset] @ q
            order = np.argsort(-sims)[:n]
            return [int(subset[i]) for i in order]
        import faiss

        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset.astype(np.int64)))
        _, ids = self.stored.dense.search(q[None, :], n, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def vector(self, row: int) -> np.ndarray:
        """The stored passage vector of a row (for the answer checks' meaning test)."""
        return self.stored.vectors[row]

    # what a store does for `search`; the folder store keeps everything in memory
    def _where(self, f: Filters):
        return self._mask(f)

    def _dense(self, q: np.ndarray, where) -> list[int]:
        return self.dense_ranking(q, where)

    def _lexical(self, query: str, where) -> tuple[list[int], np.ndarray]:
        """Rows best first, and every row's score (so that the fusion can score any candidate)."""
        scores = self.stored.lexical.scores(query)
        return _ranks(scores, CANDIDATES, where), scores

    def _scores(self, q: np.ndarray | None, query: str, cand: np.ndarray, lexical) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Dense cosine and lexical score of each candidate row."""
        dense = self.stored.vectors[cand] @ q if q is not None else None
        return dense, (lexical[cand] if lexical is not None else None)

    def search(self, query: str, k: int = 5, filters: Filters | None = None, mode: str = "hybrid") -> SearchResult:
        """Best passages first. mode: 'hybrid' (default), 'rrf' (hybrid by rank fusion), 'dense' or 'bm25'."""
        query = nfc(query).strip()
        f = filters or Filters()
        timings: dict[str, float] = {}
        t = time.perf_counter()
        where = self._where(f)
        q = self.embedder.query(query) if mode != "bm25" else None
        dense = self._dense(q, where) if q is not None else []
        timings["dense_s"] = time.perf_counter() - t
        t = time.perf_counter()
        lexical, lexical_scores = self._lexical(query, where) if mode != "dense" else ([], None)
        timings["bm25_s"] = time.perf_counter() - t
        dpos = {i: r + 1 for r, i in enumerate(dense)}
        bpos = {i: r + 1 for r, i in enumerate(lexical)}
        cand = np.array(list(dict.fromkeys(dense + lexical)), dtype=np.int64)
        if len(cand) == 0:
            return SearchResult(query, [], timings)
        if mode == "rrf":
            score = np.array([sum(1.0 / (RRF_K + p[i]) for p in (dpos, bpos) if i in p) for i in cand])
        else:
            score = np.zeros(len(cand), dtype=np.float32)
            ds, bs = self._scores(q, query, cand, lexical_scores)
            if ds is not None:
                score += (ds - ds.min()) / (ds.max() - ds.min() + 1e-9)
            if bs is not None:
                score += BM25_WEIGHT * bs / (bs.max() + 1e-9)
            if mode == "hybrid":
                score += STRUCTURE_BONUS * self._intent(query, cand)
        order = np.argsort(-score, kind="stable")[:k]
        hits = [Hit(self.chunks[int(cand[o])], float(score[o]), dpos.get(int(cand[o])), bpos.get(int(cand[o])))
                for o in order]
        return SearchResult(query, hits, timings)

    def _intent(self, query: str, cand: np.ndarray) -> np.ndarray:
        """1 for candidates in a section the question asks about ('reserverade sig' -> Reservation)."""
        fq = fold(query)
        wanted = [s for pattern, sections in SECTION_INTENTS for s in sections if re.search(pattern, fq)]
        if not wanted:
            return np.zeros(len(cand), dtype=np.float32)
        return np.array([any(w in (self.chunks[i].section or "") for w in wanted) for i in cand], dtype=np.float32)


class PgRetriever(Retriever):
    """Search in a Postgres index (rag/store/postgres.py): the same fusion, with the candidates and their scores
    from SQL. The instance keeps the chunks without their vectors, and sees other instances' writes
    (`stale`)."""

    def __init__(self, url: str, embedder: EmbeddingModel, analyzer: SwedishAnalyzer | None = None,
                 previous=None, connections=None) -> None:
        from ..store import postgres

        self.url, self._pg = url, postgres
        self._pool = connections or postgres.pool(url)
        self.analyzer = analyzer or SwedishAnalyzer(default_lexicon())
        super().__init__(self._db(postgres.load, previous), embedder)

    def refreshed(self) -> PgRetriever:
        """The index as the database holds it now, for another instance's writes: only the documents changed
        since are read; the embedding model, analyzer and connections are this one's."""
        return PgRetriever(self.url, self.embedder, self.analyzer, self.stored, self._pool)

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
                    raise self._pg.away(self.url, exc) from exc
                self._pool.check()  # drop the connections the restart closed

    def reachable(self) -> str | None:
        """None while the database answers; the Swedish reason while it does not (for /status: a connection
        of its own, so that a health check neither waits for the pool nor takes from it)."""
        return self._pg.reachable(self.url)

    def stale(self) -> bool:
        """True once a document was added, replaced or removed since this instance loaded the index."""
        return self._db(self._pg.revision) != self.stored.revision

    def _where(self, f: Filters):
        return self._pg.where(f) if f.active() else ("TRUE", [])

    def _rows(self, ids: list[str]) -> list[int]:
        return [self.row[i] for i in ids if i in self.row]

    def _dense(self, q: np.ndarray, where) -> list[int]:
        return self._rows(self._db(self._pg.dense, q, where, CANDIDATES, len(self.chunks) <= FLAT_LIMIT))

    def _lexical(self, query: str, where):
        """Rows best first, and the question's BM25 terms (for the candidates' scores)."""
        bm = self._db(self._pg.bm25_query, self.analyzer, query, len(self.chunks), self.stored.avgdl)
        return self._rows(self._db(self._pg.lexical, bm, where, CANDIDATES)), bm

    def _scores(self, q, query, cand, lexical):
        use = lexical is not None
        got = self._db(self._pg.scores, q, lexical if use else None, [self.chunks[i].id for i in cand])
        both = np.array([got.get(self.chunks[i].id, (0.0, 0.0)) for i in cand], dtype=np.float32).reshape(-1, 2)
        return (both[:, 0] if q is not None else None), (both[:, 1] if use else None)

    def vector(self, row: int) -> np.ndarray:
        v = self._db(self._pg.vector, self.chunks[row].id)
        return v if v is not None else np.zeros(self.embedder.dim, dtype=np.float32)

    def source(self, doc_id: str) -> SourceText:
        row = self._db(self._pg.source, doc_id)
        if row is None:
            raise ReadError(doc_id, "finns inte i indexet")
        info = self.documents.get(doc_id, {})
        return SourceText(doc_id, Path(doc_id), row[0], row[1], info.get("format", ""), info.get("encoding", ""))


def open_index(index_dir: Path | str | None = None, embed_model: str | None = None) -> Retriever:
    """Open a built index for searching: a folder, or a Postgres URL. The embedding model must be the one
    it was built with."""
    from ..config import settings
    from ..store import is_url

    s = settings()
    name = embed_model or s.embed_model
    index_dir = index_dir or s.index
    if is_url(index_dir):
        return _open_postgres(str(index_dir), name)
    folder = Path(index_dir)
    stored = load(folder, name)
    embedder = load_embedder(name)
    check_compatible(stored.manifest, name, embedder.fingerprint, folder)
    return Retriever(stored, embedder)


def index_exists(index: Path | str) -> bool:
    """Whether a folder holds an index, or a Postgres database one (an unreachable server raises)."""
    from ..store import index as folder_index
    from ..store import postgres

    if not postgres.is_url(index):
        return folder_index.exists(Path(index))
    conn = postgres.connect(str(index))
    try:
        return bool(postgres.manifest(conn).get("embedding_model"))
    finally:
        conn.close()


def _open_postgres(url: str, name: str) -> PgRetriever:
    from ..store import postgres

    conn = postgres.connect(url)
    try:
        meta = postgres.manifest(conn)
    finally:
        conn.close()
    if not meta.get("embedding_model"):
        raise IndexError_(f"no index in {postgres._safe(url)}; build one with `python -m rag ingest --index URL <corpus>`")
    embedder = load_embedder(name)
    check_compatible({**meta, "documents": {}}, name, embedder.fingerprint, Path(postgres._safe(url)))
    return PgRetriever(url, embedder)
