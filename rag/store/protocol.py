"""What every index offers, whatever holds it: a `Store` the question path searches, a `Writer` one ingest
loop writes through, and a `Backend` that makes both; chosen once, from the index argument (a folder or a
PostgreSQL URL, `store.at`)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Protocol

import numpy as np

from ..normalize import printable
from ..parsing import CHUNKER_VERSION, Chunk
from ..records import DocumentSteps, Fact, Profile
from ..reading import SourceText

FORMAT_VERSION = 1
ANALYZER_VERSION = "sv-snowball-decompound-fold-prefix6-party-2"


class IndexError_(RuntimeError):
    """The index is missing, incompatible or unreadable; the message says what to do."""


class IndexWriteError(IndexError_):
    """The index folder cannot be written (read-only, full, not a folder); nothing half-written is left."""


@dataclass
class Filters:
    organ: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc: str | None = None
    paragraf: str | None = None
    beteckning: str | None = None  # a committee report: '2010/11:AU1'
    docs: frozenset[str] | None = None  # the documents a question can be about (asking/scope.py)

    def active(self) -> bool:
        return any((self.organ, self.date_from, self.date_to, self.doc, self.paragraf, self.beteckning)) \
            or self.docs is not None


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

    def count_pages(self, documents: dict[str, dict]) -> None:
        self.pages = sum(d.get("pages") or 0 for d in documents.values())
        self.ocr_pages = sum((d.get("metadata") or {}).get("ocr_pages", 0) for d in documents.values())


class Store(Protocol):
    """An opened index. Candidates are chunk ids; `where` is the store's own form of a Filters, made once per
    search and handed back to `dense` and `lexical`. A question reads its passages by id (`passages`, one
    round trip), never the whole of `chunks`."""

    manifest: dict
    chunks: list[Chunk]  # every chunk and record: for tools and tests, never on a question's path (docs/design.md)
    facts: list[Fact]
    warning: str | None  # set when a damaged folder generation was passed over

    @property
    def documents(self) -> dict[str, dict]: ...
    def where(self, filters: Filters) -> object: ...
    def dense(self, q: np.ndarray, where: object, n: int) -> list[str]: ...
    def lexical(self, query: str, where: object, n: int) -> tuple[list[str], object]:
        """Chunk ids best first, and what `scores` needs to score any candidate lexically."""
    def scores(self, q: np.ndarray | None, lexical: object, ids: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Dense cosine and lexical score of each candidate."""
    def passages(self, ids: list[str]) -> list[Chunk]:
        """The chunks of these ids in their order; an id the index no longer holds is left out."""
    def chunk(self, chunk_id: str) -> Chunk | None: ...
    def facts_of(self, kinds: Collection[str]) -> list[Fact]:
        """The records of these kinds, in the index's order."""
    @property
    def profiles(self) -> list[Profile]:
        """Each document's profile, in the index's order: what a question's scope is read from (kept from the start)."""
    @property
    def steps(self) -> list[DocumentSteps]:
        """Each document's §§ as steps of matters, in the index's order (read on the first question that needs them)."""
    def stem_counts(self) -> dict[str, int]:
        """How many chunks hold each word stem (records.stems): the evidence's term weights."""
    def scope_matching(self, pattern: str) -> set[str]:
        """The documents whose scope text (records.scope_text) the regular expression finds something in;
        written in the subset Python's `re` and Postgres's regular expressions read alike (`\\b` for a word's edge)."""
    def scope_texts(self, docs: Collection[str]) -> dict[str, str]:
        """The scope text of each of these documents."""
    def chunks_where(self, where: object) -> list[Chunk]:
        """Every chunk a search's `where` allows, in the index's order (a committee report's, a §'s)."""
    def paragraf_chunks(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Chunk]]:
        """Every chunk of each (document, §), in order: its text, bilagor, decision (one round trip)."""
    def vector(self, chunk_id: str) -> np.ndarray | None: ...
    def source(self, doc_id: str) -> SourceText:
        """The document's text as indexed (chunk offsets point into it); ReadError if gone or changed."""
    def stale(self) -> bool:
        """True once another process changed the index since this one was opened."""
    def refreshed(self) -> Store: ...
    def reachable(self) -> str | None:
        """None while the index can be read; the Swedish reason while it cannot."""


class Writer(Protocol):
    """One ingest's changes: documents kept, written and removed; `finish` makes them the index."""

    documents: dict[str, dict]  # what the index holds now, doc id -> summary with sha256

    def keep(self, doc_id: str) -> None: ...
    def write(self, doc) -> str | None:
        """A new or changed document (a prepare.Prepared); the reason it could not be written, or None."""
    def remove(self, doc_id: str) -> None: ...
    def finish(self, report: IngestReport) -> None: ...


class Backend(Protocol):
    """Where an index lives."""

    shared: bool  # other instances may write it: it is never rebuilt by one instance starting

    def exists(self) -> bool: ...
    def open(self, embed_model: str | None) -> Store: ...
    def writer(self, embed_model: str, embedder, root: Path, rebuild: bool, say: Callable[[str], None],
               batch_size: int, step, show_bar: bool) -> AbstractContextManager[Writer]: ...


def check_compatible(manifest: dict, embedder_name: str | None, fingerprint: str | None, where: Path | str) -> None:
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
