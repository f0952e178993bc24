"""The persisted index: chunks, dense vectors (FAISS), BM25, document summaries and a manifest.

Each ingest writes a complete new generation folder and then atomically
replaces the `CURRENT` pointer, so a crash or kill mid-ingest leaves the
previous index usable. Unchanged files (same sha256) reuse their chunks and
vectors; changed files replace theirs; files that disappeared are dropped.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..parsing import CHUNKER_VERSION, Chunk
from ..models import EmbeddingModel, load_embedder
from ..records import Fact
from .lexical import LexicalIndex, SwedishAnalyzer
from ..models import default_lexicon
from ..normalize import printable
from .prepare import prepare_all
from ..reading import doc_id_of, file_hash, walk

FORMAT_VERSION = 1
ANALYZER_VERSION = "sv-snowball-decompound-fold-prefix6-party-2"
FLAT_LIMIT = 20_000  # above this, HNSW (see docs/benchmarks.md, "Folder index and embedding": recall vs flat)
HNSW_M = 32
HNSW_EF_SEARCH = int(os.environ.get("PARAGRAF_HNSW_EF", "256"))  # measured: docs/benchmarks.md, "Folder index and embedding"
EMBED_SLICE = 128  # chunks per progress step, and per slice kept on disk while embedding
PROGRESS_DIR = ".embedding-progress"  # embeddings done so far by an ingest that has not finished


class IndexError_(RuntimeError):
    """The index is missing, incompatible or unreadable; the message says what to do."""


class IndexWriteError(IndexError_):
    """The index folder cannot be written (read-only, full, not a folder); nothing half-written is left."""


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


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    resumed: int = 0  # of the embedded: taken from an interrupted ingest's slices
    facts: int = 0
    pages: int = 0
    ocr_pages: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        kinds: dict[str, int] = {}
        for e in self.errors:
            kind = e.split(": ", 1)[-1].split(" (")[0].split(";")[0][:60]
            kinds[kind] = kinds.get(kind, 0) + 1
        return [
            f"{len(self.added)} nya, {len(self.updated)} ändrade, {len(self.unchanged)} oförändrade, "
            f"{len(self.removed)} borttagna dokument; {self.chunks} stycken i indexet, "
            f"{self.embedded} nya inbäddningar på {self.seconds:.1f} s"
            + (f" ({self.resumed} från en avbruten körning)" if self.resumed else ""),
            f"{self.pages} sidor, varav {self.ocr_pages} inskannade (OCR); {self.facts} beslutsfakta"
            + (f"; fel: {len(self.errors)} ({', '.join(f'{k}: {n}' for k, n in kinds.items())})" if self.errors else ""),
            *[f"fel: {printable(e)}" for e in self.errors],
        ]


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


@dataclass
class StoredIndex:
    """Everything one generation holds, in memory."""

    folder: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray  # (n, dim) float32, L2-normalised, row i = chunks[i]
    dense: object  # faiss index over `vectors`
    lexical: LexicalIndex
    facts: list[Fact]
    warning: str | None = None  # set when a damaged generation was passed over

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]


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


def _checksums(gen: Path) -> dict[str, dict]:
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
    found = _checksums(gen)
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


def check_compatible(manifest: dict, embedder_name: str | None, fingerprint: str | None, where: Path) -> None:
    problems = []
    if manifest.get("format") != FORMAT_VERSION:
        problems.append(f"index format {manifest.get('format')} (this version reads {FORMAT_VERSION})")
    if manifest.get("chunker_version") != CHUNKER_VERSION:
        problems.append(f"chunker {manifest.get('chunker_version')} (this version: {CHUNKER_VERSION})")
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        problems.append(f"BM25 analyzer {manifest.get('analyzer_version')} (this version: {ANALYZER_VERSION})")
    if embedder_name and manifest.get("embedding_model") != embedder_name:
        problems.append(f"embedding model '{manifest.get('embedding_model')}' (configured: '{embedder_name}')")
    elif fingerprint and manifest.get("embedding_fingerprint") != fingerprint:
        problems.append("embedding model weights changed since the index was built")
    if problems:
        raise IndexError_(
            f"the index in {where} was built with " + "; ".join(problems)
            + ". Re-ingest: `python -m rag ingest --rebuild <corpus>`"
        )


def load(index_dir: Path, embedder_name: str | None = None, lexical_analyzer: SwedishAnalyzer | None = None) -> StoredIndex:
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
                     lexical_analyzer: SwedishAnalyzer | None) -> StoredIndex:
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
    return StoredIndex(gen, manifest, chunks, vectors, dense, lexical, facts)


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


def same_file(path: Path, sha256: str) -> bool:
    try:
        return file_hash(path.read_bytes()) == sha256
    except OSError:
        return False  # reading it again will say why


@dataclass
class Scan:
    """The files an ingest over some folders finds, against what the index holds."""

    files: list[Path]
    todo: list[Path]  # new or changed: to be read
    unchanged: list[str]  # doc ids whose file is the one indexed: never parsed again


def scan(paths: list[Path], root: Path, indexed: dict[str, dict]) -> Scan:
    found = Scan(list(walk([Path(p) for p in paths], root)), [], [])
    queued: set[str] = set()
    for path in found.files:
        doc_id = doc_id_of(path, root)
        if doc_id in queued:
            continue
        queued.add(doc_id)
        prev = indexed.get(doc_id)
        if prev and same_file(path, prev["sha256"]):
            found.unchanged.append(doc_id)
        else:
            found.todo.append(path)
    return found


def kept_out_of_scope(doc_id: str, root: Path, paths: list[Path]) -> bool:
    """A document this ingest did not read stays only if its file exists outside the folders it was given
    (an upload's ingest of one file must not drop the rest)."""
    source = root / doc_id
    scanned = [Path(p).absolute() for p in paths]
    return source.exists() and not any(source == s or source.is_relative_to(s) for s in scanned)


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
        manifest = {**manifest, "files": _checksums(tmp)}
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

    def keep(self, old: StoredIndex, doc_id: str, rows: list[int], facts: list[Fact]) -> None:
        """A document of the old generation, as it was: no parsing, no embedding."""
        self.chunks.extend(old.chunks[i] for i in rows)
        self.vectors.append(old.vectors[rows])
        self.documents[doc_id] = old.documents[doc_id]
        self.facts.extend(facts)


def _previous(index_dir: Path, embed_model: str, embedder: EmbeddingModel, analyzer: SwedishAnalyzer, root: Path,
              rebuild: bool, say: Callable[[str], None]) -> StoredIndex | None:
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


def _read_changed(found: Scan, root: Path, max_file_mb: float, step, show_bar: bool, old_docs: dict,
                  report: IngestReport, got: _Gathered) -> set[str]:
    """Read, parse and extract the new and changed files (in workers); the documents now read."""
    from tqdm import tqdm

    seen: set[str] = set()
    bar = tqdm(total=len(found.todo), unit="fil", desc="läser",
               disable=not show_bar or step is not None or not found.todo)

    def read_step(done: int) -> None:
        bar.update(1)
        if step:
            step("läser", len(found.unchanged) + done, len(found.files))

    for result in prepare_all(found.todo, root, int(max_file_mb * 1_000_000), step=read_step):
        if result.error:
            report.errors.append(result.error)
            continue
        seen.add(result.doc_id)
        got.new_chunks.extend(result.chunks)
        got.facts.extend(result.facts)
        got.documents[result.doc_id] = result.summary
        (report.updated if result.doc_id in old_docs else report.added).append(result.doc_id)
    bar.close()
    return seen


def _by_document(old: StoredIndex | None) -> tuple[dict[str, list[int]], dict[str, list[Fact]]]:
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


def ingest(paths: list[Path], index_dir: Path, root: Path, embed_model: str, max_file_mb: float = 50,
           rebuild: bool = False, batch_size: int = 32, progress: Callable[[str], None] | None = None,
           show_bar: bool = True, step: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Bring the index in line with the files under `paths` (document id = path relative to `root`).

    `step(what, done, total)` is told how far reading ("läser") and embedding ("bäddar in") have come.
    """
    say = progress or (lambda msg: print(msg, file=sys.stderr))
    report = IngestReport()
    t0 = time.perf_counter()
    root = root.absolute()
    with _lock(index_dir):
        embedder: EmbeddingModel = load_embedder(embed_model)
        analyzer = SwedishAnalyzer(default_lexicon())
        old = _previous(index_dir, embed_model, embedder, analyzer, root, rebuild, say)
        old_docs = old.documents if old else {}
        by_doc, old_facts = _by_document(old)
        got = _Gathered()
        found = scan(paths, root, {d: info for d, info in old_docs.items() if d in by_doc})
        for doc_id in found.unchanged:  # unchanged files keep their chunks, vectors and facts without being parsed
            got.keep(old, doc_id, by_doc[doc_id], old_facts.get(doc_id, []))
        report.unchanged.extend(found.unchanged)
        seen = set(found.unchanged) | _read_changed(found, root, max_file_mb, step, show_bar, old_docs, report, got)
        for doc_id in old_docs:  # documents indexed before whose files are gone
            if doc_id in seen:
                continue
            if kept_out_of_scope(doc_id, root, paths):
                got.keep(old, doc_id, by_doc.get(doc_id, []), old_facts.get(doc_id, []))
            else:
                report.removed.append(doc_id)
        if not got.documents:
            raise IndexError_("nothing could be read: " + ("; ".join(report.errors) or "no files found"))
        if got.new_chunks:
            say(f"bäddar in {len(got.new_chunks)} nya stycken med {embed_model} …")
            with _writing(index_dir):
                new_vecs = _embed_resumable(embedder, [c.search_text for c in got.new_chunks], index_dir, batch_size,
                                            step, show_bar, report)
        else:
            new_vecs = np.zeros((0, embedder.dim), dtype=np.float32)
        report.embedded = len(got.new_chunks)
        all_chunks = got.chunks + got.new_chunks
        parts = [v for v in got.vectors if len(v)] + [new_vecs]
        vectors = np.concatenate(parts).astype(np.float32) if parts else new_vecs
        lexical = LexicalIndex(analyzer)
        lexical.build([c.search_text for c in all_chunks])
        if report.added or report.updated or report.removed or old is None or old.warning:
            with _writing(index_dir):  # a failed generation's .partial is removed; the old one is still served
                write_generation(index_dir, _manifest(embed_model, embedder, root, got, len(all_chunks), report),
                                 all_chunks, vectors, lexical, got.facts, previous=old.folder if old else None)
        shutil.rmtree(index_dir / PROGRESS_DIR, ignore_errors=True)  # the generation holds the vectors now
        report.chunks = len(all_chunks)
        report.facts = len(got.facts)
        report.pages = sum(d.get("pages") or 0 for d in got.documents.values())
        report.ocr_pages = sum((d.get("metadata") or {}).get("ocr_pages", 0) for d in got.documents.values())
    report.seconds = time.perf_counter() - t0
    return report
