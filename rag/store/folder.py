"""The folder index: generations of files (chunks, vectors, FAISS, BM25, records, a manifest with every
file's checksum) under a CURRENT pointer, read whole into memory and searched there.

Each ingest writes a complete new generation and then switches CURRENT in one rename (folder_write.py), so a
crash or kill mid-ingest leaves the previous index usable; a damaged generation is passed over for the
previous one, with a warning.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Collection

import numpy as np

from ..genre import ORGAN_ABBREV, beteckning_key
from ..models import default_lexicon
from ..normalize import fold
from ..parsing import Chunk
from ..reading import ReadError, SourceText, read_file
from ..records import DocumentSteps, Fact, Profile, by_document, profiles, scope_text, steps_of
from .lexical import LexicalIndex, SwedishAnalyzer
from .protocol import Filters, IndexError_, check_compatible

FLAT_LIMIT = 20_000  # above this, HNSW (see docs/benchmarks.md, "Folder index and embedding": recall vs flat)
HNSW_M = 32
HNSW_EF_SEARCH = int(os.environ.get("PARAGRAF_HNSW_EF", "256"))  # measured: docs/benchmarks.md, "Folder index and embedding"
EXACT_SUBSET_LIMIT = 200_000  # a filtered dense search below this many chunks scores every one of them


@dataclass
class FolderStore:
    """Everything one generation holds, in memory, and the searches over it."""

    folder: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray  # (n, dim) float32, L2-normalised, row i = chunks[i]
    dense_index: object  # faiss index over `vectors`
    lexical_index: LexicalIndex
    facts: list[Fact]
    warning: str | None = None  # set when a damaged generation was passed over

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    @cached_property
    def _fields(self) -> dict[str, np.ndarray]:
        """The chunks' filter fields as columns, built on the first filtered search."""
        chunks = self.chunks
        return {"organ": np.array([fold(c.organ or "") for c in chunks], dtype=object),
                "date": np.array([c.date or "" for c in chunks], dtype=object),
                "doc": np.array([c.doc for c in chunks], dtype=object),
                "paragraf": np.array([c.paragraf or "" for c in chunks], dtype=object),
                "beteckning": np.array([beteckning_key(c.beteckning or "") for c in chunks], dtype=object)}

    def where(self, f: Filters) -> np.ndarray | None:
        """The rows a Filters allows, as a mask; None when it allows every row."""
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

    @cached_property
    def _rows(self) -> dict[str, int]:
        """chunk id -> its row in `chunks` and `vectors`."""
        return {c.id: i for i, c in enumerate(self.chunks)}

    @cached_property
    def _id_order(self) -> np.ndarray:
        """Each row's place among the chunk ids sorted: equal BM25 scores are ordered by id, as on Postgres."""
        order = np.empty(len(self.chunks), dtype=np.int64)
        order[np.argsort(np.array([c.id for c in self.chunks]), kind="stable")] = np.arange(len(self.chunks))
        return order

    def _ids(self, rows) -> list[str]:
        return [self.chunks[int(i)].id for i in rows]

    def dense(self, q: np.ndarray, allowed: np.ndarray | None, n: int) -> list[str]:
        return self._ids(self._dense(q, allowed, n))

    def _dense(self, q: np.ndarray, allowed: np.ndarray | None, n: int) -> list[int]:
        if allowed is None:
            scores, ids = self.dense_index.search(q[None, :], min(n, len(self.chunks)))
            return [int(i) for i in ids[0] if i >= 0]
        subset = np.flatnonzero(allowed)
        if len(subset) == 0:
            return []
        if len(subset) <= EXACT_SUBSET_LIMIT:  # exact scores over the filtered chunks
            sims = self.vectors[subset] @ q
            order = np.argsort(-sims)[:n]
            return [int(subset[i]) for i in order]
        import faiss

        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset.astype(np.int64)))
        _, ids = self.dense_index.search(q[None, :], n, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def lexical(self, query: str, allowed: np.ndarray | None, n: int) -> tuple[list[str], np.ndarray]:
        """Chunk ids best first, and every row's score (so that the fusion can score any candidate)."""
        scores = self.lexical_index.scores(query)
        return self._ids(_ranks(scores, n, allowed, self._id_order)), scores

    def scores(self, q: np.ndarray | None, lexical: np.ndarray | None, ids: list[str]):
        rows = np.array([self._rows[i] for i in ids], dtype=np.int64)
        dense = self.vectors[rows] @ q if q is not None else None
        return dense, (lexical[rows] if lexical is not None else None)

    def passages(self, ids: list[str]) -> list[Chunk]:
        return [self.chunks[self._rows[i]] for i in ids if i in self._rows]

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._rows.get(chunk_id)
        return None if row is None else self.chunks[row]

    def vector(self, chunk_id: str) -> np.ndarray | None:
        row = self._rows.get(chunk_id)
        return None if row is None else self.vectors[row]

    def facts_of(self, kinds: Collection[str]) -> list[Fact]:
        rows = sorted(r for k in set(kinds) for r in self._kinds.get(k, ()))
        return [self.facts[r] for r in rows]

    @cached_property
    def _kinds(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for r, f in enumerate(self.facts):
            out.setdefault(f.kind, []).append(r)
        return out

    @cached_property
    def profiles(self) -> list[Profile]:
        return profiles(self.chunks)

    @cached_property
    def steps(self) -> list[DocumentSteps]:
        return steps_of(self.chunks, self.facts)

    def stem_counts(self) -> dict[str, int]:
        return self._stem_counts

    @cached_property
    def _stem_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.profiles:
            for stem, held in p.stems.items():
                counts[stem] = counts.get(stem, 0) + held
        return counts

    @cached_property
    def _scope_texts(self) -> dict[str, str]:
        return {doc: scope_text(doc, cs) for doc, cs in by_document(self.chunks).items()}

    def scope_matching(self, pattern: str) -> set[str]:
        found = re.compile(pattern)
        return {doc for doc, text in self._scope_texts.items() if found.search(text)}

    def scope_texts(self, docs: Collection[str]) -> dict[str, str]:
        return {d: self._scope_texts[d] for d in docs if d in self._scope_texts}

    def chunks_where(self, allowed: np.ndarray | None) -> list[Chunk]:
        return list(self.chunks) if allowed is None else [self.chunks[i] for i in np.flatnonzero(allowed)]

    def paragraf_chunks(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Chunk]]:
        return {k: self._paragrafer.get(k, []) for k in keys}

    @cached_property
    def _paragrafer(self) -> dict[tuple[str, str], list[Chunk]]:
        out: dict[tuple[str, str], list[Chunk]] = {}
        for c in self.chunks:
            if c.paragraf:
                out.setdefault((c.doc, c.paragraf), []).append(c)
        return out

    def source(self, doc_id: str) -> SourceText:
        info = self.documents.get(doc_id)
        if info is None:
            raise ReadError(doc_id, "finns inte i indexet")
        root = Path(self.manifest["corpus_root"])
        src = read_file(root / doc_id, root, 1 << 40)
        if src.sha256 != info["sha256"]:
            raise ReadError(doc_id, "filen har ändrats sedan indexet byggdes; indexera om")
        return src

    def stale(self) -> bool:
        return False  # the app that serves a folder index is the one that writes it (rag/service.py)

    def refreshed(self) -> FolderStore:
        return self

    def reachable(self) -> str | None:
        return None


def _ranks(scores: np.ndarray, n: int, allowed: np.ndarray | None, tiebreak: np.ndarray) -> list[int]:
    """The n best rows that score above 0 (and are allowed), best first, equal scores in `tiebreak`'s order."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    n = min(n, int((scores > 0).sum()))
    if n <= 0:
        return []
    nth = np.partition(scores, len(scores) - n)[len(scores) - n]
    top = np.flatnonzero(scores >= nth)
    return [int(i) for i in top[np.lexsort((tiebreak[top], -scores[top]))][:n]]


def _current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    try:
        gen = index_dir / pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return gen if gen.name.startswith("gen-") and gen.is_dir() else None


def _generations(index_dir: Path) -> list[Path]:
    """The complete generations, the one CURRENT names first, then the newest."""
    current = _current_generation(index_dir)
    others = sorted((g for g in index_dir.glob("gen-*") if g.is_dir() and not g.name.endswith(".partial")
                     and g != current), key=lambda g: g.name, reverse=True)
    return ([current] if current else []) + others


def checksums(gen: Path) -> dict[str, dict]:
    """sha256 and size of every file of a generation but the manifest, which holds them."""
    out = {}
    for p in sorted(gen.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            digest = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            out[p.relative_to(gen).as_posix()] = {"sha256": digest.hexdigest(), "size": p.stat().st_size}
    return out


def _verify(gen: Path, manifest: dict) -> None:
    expected = manifest.get("files")
    if expected is None:
        return  # written before checksums were recorded; the loaders below still catch damage
    found = checksums(gen)
    for name, want in expected.items():
        got = found.get(name)
        if got is None:
            raise _Damaged(f"{name} is missing")
        if got != want:
            raise _Damaged(f"{name} is damaged ({got['size']} bytes, checksum differs from the manifest)")


class _Damaged(Exception):
    """One generation's files do not hold what its manifest says."""


def exists(index_dir: Path) -> bool:
    return _current_generation(index_dir) is not None


def load(index_dir: Path, embedder_name: str | None = None, lexical_analyzer: SwedishAnalyzer | None = None) -> FolderStore:
    """The CURRENT generation, checked against its manifest's checksums; if it is damaged, the newest
    intact older one (with a warning); otherwise one message that names the fix."""
    generations = _generations(index_dir)
    if not generations:
        raise IndexError_(f"no index in {index_dir}; build one with `python -m rag ingest <corpus>`")
    damage: list[str] = []
    for gen in generations:
        try:
            stored = _load_generation(gen, index_dir, embedder_name, lexical_analyzer)
        except _Damaged as exc:
            damage.append(f"{gen.name}: {exc}")
            continue
        if damage:
            stored.warning = (f"the index in {index_dir} is damaged ({damage[0]}); serving the previous "
                              f"generation {gen.name}. Run `python -m rag ingest <corpus>` to repair it")
        return stored
    raise IndexError_(f"the index in {index_dir} is damaged ({'; '.join(damage)}). "
                      "Rebuild it: `python -m rag ingest <corpus>`")


def _load_generation(gen: Path, index_dir: Path, embedder_name: str | None,
                     lexical_analyzer: SwedishAnalyzer | None) -> FolderStore:
    import faiss

    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or "documents" not in manifest:
            raise ValueError("not an index manifest")
    except (OSError, ValueError) as exc:
        raise _Damaged(f"manifest.json is unreadable ({type(exc).__name__})") from exc
    check_compatible(manifest, embedder_name, None, index_dir)
    _verify(gen, manifest)
    try:
        with open(gen / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [Chunk(**json.loads(line)) for line in f if line.strip()]
        vectors = np.load(gen / "vectors.npy").astype(np.float32)
        dense = faiss.read_index(str(gen / "dense.faiss"))
        analyzer = lexical_analyzer or SwedishAnalyzer(default_lexicon())
        lexical = LexicalIndex.load(gen / "bm25", analyzer)
        facts: list[Fact] = []
        if (gen / "facts.jsonl").exists():
            with open(gen / "facts.jsonl", encoding="utf-8") as f:
                facts = [Fact(**json.loads(line)) for line in f if line.strip()]
    except Exception as exc:  # faiss, numpy, json and bm25s each fail their own way on a damaged file
        raise _Damaged(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}") from exc
    if hasattr(dense, "hnsw"):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    if dense.ntotal != len(chunks) or len(vectors) != len(chunks):
        raise _Damaged(f"{dense.ntotal} vectors for {len(chunks)} chunks")
    return FolderStore(gen, manifest, chunks, vectors, dense, lexical, facts)
