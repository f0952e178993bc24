"""The running product behind a chat or a script: one index, one embedding model and one LLM, loaded once.

Re-indexing builds a new index generation and then swaps the answerer in one
assignment, so a question already being answered finishes on the index it began
with and the next one sees the new documents.
"""
from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .answer import Answer, Answerer
from .chunk import Chunk
from .corpus import Saved, UploadError, remove_document, save_upload
from .feedback import FeedbackLog
from .index import IndexError_, IngestReport, exists
from .llm import load_llm
from .read import SourceText
from .retrieve import Filters, open_index

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def make_filters(organ: str | None = None, date_from: str | None = None, date_to: str | None = None,
                 doc: str | None = None) -> Filters:
    """Filters from form fields; ValueError with a Swedish reason naming the field."""
    values = {}
    for field_name, label, value in (("date_from", "Från datum", date_from), ("date_to", "Till datum", date_to)):
        value = (value or "").strip()
        if value and not _DATE.match(value):
            raise ValueError(f"{label}: skriv datumet som ÅÅÅÅ-MM-DD, inte '{value}'")
        values[field_name] = value or None
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        raise ValueError("Från datum ligger efter Till datum")
    return Filters(organ=(organ or "").strip() or None, doc=(doc or "").strip() or None, **values)


@dataclass
class Status:
    ready: bool = False
    message: str = "Startar …"
    error: str | None = None
    progress: float | None = None  # 0..1 while building the index


@dataclass
class Paragraf:
    corpus_dir: Path
    index_dir: Path
    llm_name: str | None = None
    embed_model: str | None = None
    feedback_path: Path | None = None
    max_upload_mb: float = 20.0
    say: Callable[[str], None] = field(default=lambda msg: print(f"paragraf: {msg}", file=sys.stderr, flush=True))

    def __post_init__(self) -> None:
        self.status = Status()
        self.answerer: Answerer | None = None
        self.feedback = FeedbackLog(self.feedback_path or self.index_dir.parent / "feedback" / "feedback.jsonl")
        self._staff_lock = threading.Lock()  # one re-index, upload or removal at a time

    # -- start-up ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Build the index if there is none, then load the models; sets `status` as it goes (never raises)."""
        try:
            if not exists(self.index_dir):
                self.say(f"inget index i {self.index_dir}; bygger det från {self.corpus_dir}")
                self._ingest(rebuild=False)
            try:
                retriever = open_index(self.index_dir, self.embed_model)
            except IndexError_ as exc:  # built by another version or model: rebuild rather than refuse to start
                self.say(f"bygger om indexet: {exc}")
                self._ingest(rebuild=True)
                retriever = open_index(self.index_dir, self.embed_model)
            self._set_status("Laddar språkmodellen …")
            self.answerer = Answerer(retriever, load_llm(self.llm_name))
            n = len(retriever.documents)
            self.status = Status(True, f"Klar: {n} dokument, {len(retriever.chunks)} stycken.")
            self.say(self.status.message)
        except Exception as exc:  # shown on the page; the app keeps serving it
            self.status = Status(False, "Kunde inte starta.", error=f"{type(exc).__name__}: {exc}")
            self.say(f"fel: {self.status.error}")

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.start, name="paragraf-start", daemon=True)
        thread.start()
        return thread

    def _set_status(self, message: str, progress: float | None = None) -> None:
        self.status = Status(False, message, progress=progress)

    def _ingest(self, rebuild: bool) -> IngestReport:
        from . import ingest

        last = [-1]

        def step(what: str, done: int, total: int) -> None:
            noun = "dokument" if what == "läser" else "stycken"
            share = done / total if total else 1.0
            self._set_status(f"Bygger index: {what} {done} av {total} {noun}", share)
            if int(share * 10) != last[0]:  # the terminal gets every tenth
                last[0] = int(share * 10)
                self.say(self.status.message)

        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        report = ingest([self.corpus_dir], index_dir=self.index_dir, root=self.corpus_dir,
                        embed_model=self.embed_model, rebuild=rebuild, progress=self.say, step=step)
        for line in report.lines():
            self.say(line)
        return report

    # -- questions --------------------------------------------------------------------------------------------
    def _answerer(self) -> Answerer:
        if self.answerer is None:
            raise RuntimeError(self.status.error or "Paragraf startar fortfarande; försök igen om en stund.")
        return self.answerer

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        return self._answerer().stream(question, history=history, klarsprak=klarsprak, filters=filters)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
            filters: Filters | None = None) -> Answer:
        return self._answerer().ask(question, history=history, klarsprak=klarsprak, filters=filters)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._answerer().retriever.chunk(chunk_id)

    def source(self, doc_id: str) -> SourceText:
        return self._answerer().retriever.source(doc_id)

    @property
    def organs(self) -> list[str]:
        return self.answerer.retriever.organs if self.answerer else []

    def documents(self) -> dict[str, dict]:
        return self.answerer.retriever.documents if self.answerer else {}

    # -- staff ------------------------------------------------------------------------------------------------
    def reindex(self) -> IngestReport:
        """Bring the index in line with the corpus folder and swap it in."""
        with self._staff_lock:
            answerer = self._answerer()
            report = self._ingest(rebuild=False)
            retriever = open_index(self.index_dir, self.embed_model)
            self.answerer = Answerer(retriever, answerer.llm, k=answerer.k, max_tokens=answerer.max_tokens,
                                     mode=answerer.mode, use_facts=answerer.use_facts, rephrase=answerer.rephrase)
            self.status = Status(True, f"Klar: {len(retriever.documents)} dokument, {len(retriever.chunks)} stycken.")
            return report

    def add_files(self, files: list[tuple[str, bytes]]) -> tuple[list[Saved], list[str]]:
        """Save uploads into the corpus; each refused file gets one Swedish line, the rest are saved."""
        saved, errors = [], []
        with self._staff_lock:
            for name, data in files:
                try:
                    saved.append(save_upload(self.corpus_dir, name, data, int(self.max_upload_mb * 1_000_000)))
                except UploadError as exc:
                    errors.append(str(exc))
        return saved, errors

    def upload(self, files: list[tuple[str, bytes]]) -> list[str]:
        """Save and index uploads; one Swedish line per file. A file the reader refuses is taken out again."""
        saved, lines = self.add_files(files)
        lines = [f"✗ {e}" for e in lines]
        if not saved:
            return lines
        report = self.reindex()
        failed = {e.split(": ", 1)[0]: e for e in report.errors}
        for s in saved:
            if s.doc_id in failed:
                s.path.unlink(missing_ok=True)
                lines.append(f"✗ {failed[s.doc_id]} (filen togs bort igen)")
            else:
                info = self.documents().get(s.doc_id, {})
                lines.append(f"✓ {s.doc_id}: indexerad, {info.get('chunks', 0)} stycken"
                             + (f", {info['organ']} {info.get('date') or ''}".rstrip() if info.get("organ") else ""))
        return lines

    def remove(self, doc_id: str) -> None:
        if doc_id not in self.documents():
            raise UploadError(doc_id, "dokumentet finns inte i indexet")
        with self._staff_lock:
            remove_document(self.corpus_dir, doc_id)
