"""Writing the folder index: a complete new generation per ingest, switched to by one rename of CURRENT;
embeddings kept on disk slice by slice while they are made, so an interrupted ingest goes on where it
stopped."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..models import EmbeddingModel, default_lexicon
from ..parsing import CHUNKER_VERSION, Chunk
from ..records import Fact
from .folder import FLAT_LIMIT, HNSW_EF_SEARCH, HNSW_M, FolderStore, checksums, exists, load
from .lexical import LexicalIndex, SwedishAnalyzer
from .protocol import ANALYZER_VERSION, FORMAT_VERSION, IndexError_, IndexWriteError, IngestReport, check_compatible

EMBED_SLICE = 128  # chunks per progress step, and per slice kept on disk while embedding
PROGRESS_DIR = ".embedding-progress"  # embeddings done so far by an ingest that has not finished


def write_failed(index_dir: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(f"kunde inte skriva indexet i {index_dir}: {exc.strerror or exc}")


@contextmanager
def _writing(index_dir: Path) -> Iterator[None]:
    """A write that fails (a full disk) leaves no embeddings in progress: they help no one until there is room."""
    try:
        yield
    except OSError as exc:
        shutil.rmtree(index_dir / PROGRESS_DIR, ignore_errors=True)
        raise write_failed(index_dir, exc) from exc


def _embed_resumable(embedder: EmbeddingModel, texts: list[str], index_dir: Path, batch_size: int,
                     step: Callable[[str, int, int], None] | None, show_bar: bool, report: IngestReport) -> np.ndarray:
    """Embeddings in slices, each slice kept on disk as it is done (by model and text), so an ingest
    that is stopped goes on where it stopped; progress with rate and time left."""
    from tqdm import tqdm

    folder = index_dir / PROGRESS_DIR / hashlib.sha256(embedder.fingerprint.encode()).hexdigest()[:12]
    keys = [hashlib.sha256(t.encode()).hexdigest()[:24] for t in texts]
    done: dict[str, np.ndarray] = {}
    for shard in sorted(folder.glob("*.npz")) if folder.exists() else []:
        try:
            with np.load(shard) as z:
                done.update(zip(z["keys"].tolist(), z["vectors"]))
        except (OSError, ValueError, KeyError):
            continue  # a shard cut short by the interruption: its slice is embedded again
    todo = [i for i, k in enumerate(keys) if k not in done]
    report.resumed = len(texts) - len(todo)
    folder.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(todo), unit="stycke", desc="bäddar in", disable=not show_bar or step is not None)
    for start in range(0, len(todo), EMBED_SLICE):
        if step:
            step("bäddar in", start, len(todo))
        part = todo[start:start + EMBED_SLICE]
        vecs = embedder.passages([texts[i] for i in part], batch_size=batch_size)
        done.update(zip((keys[i] for i in part), vecs))
        tmp = folder / f".{start:09d}.{os.getpid()}.npz"
        np.savez(tmp, keys=np.array([keys[i] for i in part]), vectors=vecs)
        os.replace(tmp, folder / f"{time.time_ns()}.npz")
        bar.update(len(part))
    bar.close()
    if step:
        step("bäddar in", len(todo), len(todo))
    return np.stack([done[k] for k in keys]).astype(np.float32)


def build_faiss(vectors: np.ndarray):
    import faiss

    n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
    if n <= FLAT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@contextmanager
def _lock(index_dir: Path) -> Iterator[None]:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / ".lock", "w")
    except OSError as exc:
        raise write_failed(index_dir, exc) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexError_(f"another ingest is writing {index_dir}; wait for it to finish") from exc
        # what a killed ingest left half-written (under the lock: no other ingest is writing it now)
        for partial in index_dir.glob("gen-*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
        yield


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


def write_generation(index_dir: Path, manifest: dict, chunks: list[Chunk], vectors: np.ndarray,
                     lexical: LexicalIndex, facts: list[Fact], previous: Path | None = None) -> Path:
    """Write a complete generation, then switch CURRENT to it in one rename. `previous` (the intact
    generation this one was made from) is kept as the fallback; every other one is removed."""
    import faiss

    gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = gen.with_name(gen.name + ".partial")
    tmp.mkdir(parents=True)
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        with open(tmp / "facts.jsonl", "w", encoding="utf-8") as f:
            for fact in facts:
                f.write(json.dumps(fact.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", vectors.astype(np.float16))
        faiss.write_index(build_faiss(vectors), str(tmp / "dense.faiss"))
        lexical.save(tmp / "bm25")
        manifest = {**manifest, "files": checksums(tmp)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, gen)
        pointer_tmp = index_dir / "CURRENT.tmp"
        pointer_tmp.write_text(gen.name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # the previous generation stays as the fallback should this one be damaged later; older ones go
    keep = {gen.name, previous.name if previous else None}
    for old in index_dir.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return gen


@dataclass
class _Gathered:
    """What the new generation will hold: chunks kept with their vectors, new chunks, facts, documents."""
    chunks: list[Chunk] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    new_chunks: list[Chunk] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)

    def keep(self, old: FolderStore, doc_id: str, rows: list[int], facts: list[Fact]) -> None:
        """A document of the old generation, as it was: no parsing, no embedding."""
        self.chunks.extend(old.chunks[i] for i in rows)
        self.vectors.append(old.vectors[rows])
        self.documents[doc_id] = old.documents[doc_id]
        self.facts.extend(facts)


def _previous(index_dir: Path, embed_model: str, embedder: EmbeddingModel, analyzer: SwedishAnalyzer, root: Path,
              rebuild: bool, say: Callable[[str], None]) -> FolderStore | None:
    """The generation an incremental ingest builds on, or None: rebuilt when asked, when it was built
    over another folder, or when it cannot be read with this model."""
    if rebuild or not exists(index_dir):
        return None
    try:
        old = load(index_dir, embed_model, analyzer)
        if old.warning:
            say(f"obs: {old.warning}")
        check_compatible(old.manifest, embed_model, embedder.fingerprint, index_dir)
        if Path(old.manifest.get("corpus_root", root)) != root:
            say(f"obs: indexet byggdes över {old.manifest.get('corpus_root')}; bygger om över {root}")
            return None
        return old
    except IndexError_ as exc:
        say(f"obs: bygger om indexet ({exc})")
        return None


def _by_document(old: FolderStore | None) -> tuple[dict[str, list[int]], dict[str, list[Fact]]]:
    """The old generation's chunk rows and facts, by document."""
    rows: dict[str, list[int]] = {}
    facts: dict[str, list[Fact]] = {}
    if old:
        for i, c in enumerate(old.chunks):
            rows.setdefault(c.doc, []).append(i)
        for f in old.facts:
            facts.setdefault(f.doc, []).append(f)
    return rows, facts


def _manifest(embed_model: str, embedder: EmbeddingModel, root: Path, got: _Gathered, chunks: int,
              report: IngestReport) -> dict:
    return {
        "format": FORMAT_VERSION, "embedding_model": embed_model, "embedding_path": embedder.name,
        "embedding_fingerprint": embedder.fingerprint, "dim": embedder.dim, "normalized": True,
        "chunker_version": CHUNKER_VERSION, "analyzer_version": ANALYZER_VERSION,
        "dense_index": "IndexFlatIP" if chunks <= FLAT_LIMIT else f"IndexHNSWFlat(M={HNSW_M})",
        "corpus_root": str(root), "documents": got.documents, "errors": report.errors,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"), "chunks": chunks, "facts": len(got.facts),
    }


@dataclass
class FolderBackend:
    """An index in a folder of generations."""

    folder: Path
    shared = False

    @property
    def name(self) -> str:
        return str(self.folder)

    def exists(self) -> bool:
        return exists(self.folder)

    def open(self, embed_model: str | None) -> FolderStore:
        return load(self.folder, embed_model)

    @contextmanager
    def writer(self, embed_model: str, embedder: EmbeddingModel, root: Path, rebuild: bool,
               say: Callable[[str], None], batch_size: int, step, show_bar: bool) -> Iterator[FolderWriter]:
        with _lock(self.folder):
            yield FolderWriter(self.folder, embed_model, embedder, root, rebuild, say, batch_size, step, show_bar)


class FolderWriter:
    """One ingest's generation, gathered in memory and written whole by `finish`: a document kept takes its
    chunks, vectors and records from the previous generation, neither parsed nor embedded again."""

    def __init__(self, folder: Path, embed_model: str, embedder: EmbeddingModel, root: Path, rebuild: bool,
                 say: Callable[[str], None], batch_size: int, step, show_bar: bool) -> None:
        self.folder, self.embed_model, self.embedder, self.root, self.say = folder, embed_model, embedder, root, say
        self.batch_size, self.step, self.show_bar = batch_size, step, show_bar
        self.analyzer = SwedishAnalyzer(default_lexicon())
        self.old = _previous(folder, embed_model, embedder, self.analyzer, root, rebuild, say)
        self._rows, self._facts = _by_document(self.old)
        self.documents = {d: info for d, info in (self.old.documents if self.old else {}).items() if d in self._rows}
        self.got = _Gathered()

    def keep(self, doc_id: str) -> None:
        self.got.keep(self.old, doc_id, self._rows.get(doc_id, []), self._facts.get(doc_id, []))

    def write(self, doc) -> str | None:
        self.got.new_chunks.extend(doc.chunks)
        self.got.facts.extend(doc.facts)
        self.got.documents[doc.doc_id] = doc.summary
        return None

    def remove(self, doc_id: str) -> None:
        """Nothing to do: a document not kept is not in the new generation."""

    def finish(self, report: IngestReport) -> None:
        got, old = self.got, self.old
        if not got.documents:
            raise IndexError_("nothing could be read: " + ("; ".join(report.errors) or "no files found"))
        chunks = got.chunks + got.new_chunks
        vectors = self._vectors(report)
        lexical = LexicalIndex(self.analyzer)
        lexical.build([c.search_text for c in chunks])
        if report.added or report.updated or report.removed or old is None or old.warning:
            with _writing(self.folder):  # a failed generation's .partial is removed; the old one is still served
                manifest = _manifest(self.embed_model, self.embedder, self.root, got, len(chunks), report)
                write_generation(self.folder, manifest, chunks, vectors, lexical, got.facts,
                                 previous=old.folder if old else None)
        shutil.rmtree(self.folder / PROGRESS_DIR, ignore_errors=True)  # the generation holds the vectors now
        report.chunks, report.facts = len(chunks), len(got.facts)
        report.count_pages(got.documents)

    def _vectors(self, report: IngestReport) -> np.ndarray:
        """The kept chunks' vectors, then the new chunks' (embedded now)."""
        new = self.got.new_chunks
        if new:
            self.say(f"bäddar in {len(new)} nya stycken med {self.embed_model} …")
            with _writing(self.folder):
                new_vecs = _embed_resumable(self.embedder, [c.search_text for c in new], self.folder,
                                            self.batch_size, self.step, self.show_bar, report)
        else:
            new_vecs = np.zeros((0, self.embedder.dim), dtype=np.float32)
        parts = [v for v in self.got.vectors if len(v)] + [new_vecs]
        return np.concatenate(parts).astype(np.float32) if parts else new_vecs
