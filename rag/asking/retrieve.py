"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank, with structure filters."""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import settings
from ..genre import SECTION_INTENTS
from ..models import EmbeddingModel, load_embedder
from ..normalize import fold, nfc
from ..parsing import Chunk
from ..reading import SourceText
from ..store import Filters, Store, at, check_compatible

RRF_K = 60
CANDIDATES = 100
BM25_WEIGHT = 0.5  # dense cosine and BM25 are min-max scaled over the candidates, then added
STRUCTURE_BONUS = 0.3
# BM25 runs beside the query's embedding and the dense search, and the candidates' passages are read beside
# their scores: on Postgres each is a round trip, and the search takes the longer of each pair, not the sum
_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="paragraf-search")


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


class Retriever:
    """Search over one opened index (a Store); the embedding model loaded once."""

    def __init__(self, store: Store, embedder: EmbeddingModel) -> None:
        self.store = store
        self.embedder = embedder

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk of the index (for tools and tests: a Postgres index reads them all from the database)."""
        return self.store.chunks

    @property
    def size(self) -> int:
        """Chunks in the index."""
        return sum(p.chunks for p in self.store.profiles)

    @property
    def documents(self) -> dict[str, dict]:
        return self.store.documents

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.store.chunk(chunk_id)

    @property
    def organs(self) -> list[str]:
        """The organs the index's chunks name, for a filter menu."""
        return sorted({o for p in self.store.profiles for o in p.organs})

    @property
    def beteckningar(self) -> list[str]:
        """The committee reports in the index, for a filter menu."""
        return sorted({b for p in self.store.profiles for b in p.beteckningar})

    def source(self, doc_id: str) -> SourceText:
        """The document's text as indexed (chunk offsets point into it); ReadError if gone or changed since."""
        return self.store.source(doc_id)

    def vector(self, chunk_id: str) -> np.ndarray | None:
        """The stored passage vector of a chunk (for the answer checks' meaning test)."""
        return self.store.vector(chunk_id)

    def stale(self) -> bool:
        """True once another instance changed the index since this one opened it."""
        return self.store.stale()

    def refreshed(self) -> Retriever:
        """The index as it is now, with this one's embedding model."""
        return Retriever(self.store.refreshed(), self.embedder)

    def reachable(self) -> str | None:
        """None while the index can be read; the Swedish reason while it cannot (for /status)."""
        return self.store.reachable()

    def search(self, query: str, k: int = 5, filters: Filters | None = None, mode: str = "hybrid") -> SearchResult:
        """Best passages first. mode: 'hybrid' (default), 'rrf' (hybrid by rank fusion), 'dense' or 'bm25'."""
        query = nfc(query).strip()
        f = filters or Filters()
        timings: dict[str, float] = {}
        t = time.perf_counter()
        where = self.store.where(f)
        lexical_job = _BESIDE.submit(_timed, self.store.lexical, query, where, CANDIDATES) if mode != "dense" else None
        q = self.embedder.query(query) if mode != "bm25" else None
        dense = self.store.dense(q, where, CANDIDATES) if q is not None else []
        timings["dense_s"] = time.perf_counter() - t
        (lexical, lexical_scores), timings["bm25_s"] = lexical_job.result() if lexical_job else (([], None), 0.0)
        dpos = {i: r + 1 for r, i in enumerate(dense)}
        bpos = {i: r + 1 for r, i in enumerate(lexical)}
        cand = list(dict.fromkeys(dense + lexical))
        if not cand:
            return SearchResult(query, [], timings)
        passages = _BESIDE.submit(self.store.passages, cand)  # the candidates' passages, in one round trip
        if mode == "rrf":
            score = np.array([sum(1.0 / (RRF_K + p[i]) for p in (dpos, bpos) if i in p) for i in cand])
        else:
            score = np.zeros(len(cand), dtype=np.float32)
            ds, bs = self.store.scores(q, lexical_scores, cand)
            if ds is not None:
                score += (ds - ds.min()) / (ds.max() - ds.min() + 1e-9)
            if bs is not None:
                score += BM25_WEIGHT * bs / (bs.max() + 1e-9)
        chunks = {c.id: c for c in passages.result()}
        if mode == "hybrid":
            score += STRUCTURE_BONUS * self._intent(query, [chunks.get(i) for i in cand])
        order = [o for o in np.argsort(-score, kind="stable") if cand[o] in chunks][:k]
        hits = [Hit(chunks[cand[o]], float(score[o]), dpos.get(cand[o]), bpos.get(cand[o])) for o in order]
        return SearchResult(query, hits, timings)

    @staticmethod
    def _intent(query: str, cand: list[Chunk | None]) -> np.ndarray:
        """1 for candidates in a section the question asks about ('reserverade sig' -> Reservation)."""
        fq = fold(query)
        wanted = [s for pattern, sections in SECTION_INTENTS for s in sections if re.search(pattern, fq)]
        if not wanted:
            return np.zeros(len(cand), dtype=np.float32)
        return np.array([c is not None and any(w in (c.section or "") for w in wanted) for c in cand], dtype=np.float32)


def _timed(fn, *args):
    t = time.perf_counter()
    return fn(*args), time.perf_counter() - t


def open_index(index: Path | str | None = None, embed_model: str | None = None) -> Retriever:
    """Open a built index for searching: a folder, or a Postgres URL. The embedding model must be the one
    it was built with."""
    s = settings()
    name = embed_model or s.embed_model
    backend = at(index or s.index)
    store = backend.open(name)
    embedder = load_embedder(name)
    check_compatible(store.manifest, name, embedder.fingerprint, backend.name)
    return Retriever(store, embedder)


def index_exists(index: Path | str) -> bool:
    """Whether a folder holds an index, or a Postgres database one (an unreachable server raises)."""
    return at(index).exists()
