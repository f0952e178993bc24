"""The running product behind a chat or a script: one index, one embedding model and one LLM, loaded once.

Re-indexing builds a new index generation and then swaps the answerer in one
assignment, so a question already being answered finishes on the index it began
with and the next one sees the new documents.
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from . import ingest
from .asking import Answer, Answerer
from .parsing import Chunk
from .corpus import Saved, UploadError, remove_document, save_upload
from .feedback import FeedbackLog
from .store import IndexError_, IngestReport
from .models import load_llm
from .normalize import has_control
from .reading import SourceText, walk
from .store import at as index_backend
from .asking import Filters, index_exists, open_index

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
START_WAIT_S = float(os.environ.get("PARAGRAF_START_WAIT", "300"))  # how long a question waits for start-up


def check_date(value: str, label: str) -> str | None:
    """'2025-02-30' is no date; ValueError with a Swedish reason naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    if not _DATE.match(value):
        raise ValueError(f"{label}: skriv datumet som ÅÅÅÅ-MM-DD, inte '{value}'")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{label}: '{value}' är inget datum som finns") from None
    return value


def make_filters(organ: str | None = None, date_from: str | None = None, date_to: str | None = None,
                 doc: str | None = None, beteckning: str | None = None) -> Filters:
    """Filters from form fields; ValueError with a Swedish reason naming the field."""
    values = {"date_from": check_date(date_from, "Från datum"), "date_to": check_date(date_to, "Till datum")}
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        raise ValueError("Från datum ligger efter Till datum")
    named = {"Organ": organ, "Dokument": doc, "Beteckning": beteckning}
    for label, value in named.items():  # a NUL or a line break is no name (and no database takes a NUL)
        if value and has_control(value):
            raise ValueError(f"{label}: får inte innehålla styrtecken")
    return Filters(organ=(organ or "").strip() or None, doc=(doc or "").strip() or None,
                   beteckning=(beteckning or "").strip() or None, **values)


@dataclass
class Status:
    """What is served now: `ready` and `message` describe the index answering questions; `error` is a failed
    start (nothing is served), `last_error` the last staff operation that failed while the old index went on."""
    ready: bool = False
    message: str = "Startar …"
    error: str | None = None
    progress: float | None = None  # 0..1 while building the index
    last_error: str | None = None
    warning: str | None = None  # e.g. a damaged index generation passed over


REFRESH_S = float(os.environ.get("PARAGRAF_REFRESH_S", "2"))


@dataclass
class Paragraf:
    corpus_dir: Path
    index_dir: Path | str  # a folder, or a Postgres URL shared with other instances
    llm_name: str | None = None
    embed_model: str | None = None
    feedback_path: Path | None = None
    max_upload_mb: float = 20.0
    say: Callable[[str], None] = field(default=lambda msg: print(f"paragraf: {msg}", file=sys.stderr, flush=True))

    def __post_init__(self) -> None:
        self.status = Status()
        self.answerer: Answerer | None = None
        self._started = threading.Event()  # set when start() has ended, ready or not
        beside = self.index_dir.parent if isinstance(self.index_dir, Path) else self.corpus_dir.parent
        self.feedback = FeedbackLog(self.feedback_path or beside / "feedback" / "feedback.jsonl")
        self._checked = 0.0  # when the shared index was last asked whether another instance changed it
        self._staff_lock = threading.Lock()  # one re-index, upload or removal at a time

    # -- start-up ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Build the index if there is none, then load the models; sets `status` as it goes (never raises)."""
        try:
            if not index_exists(self.index_dir):
                self.say(f"inget index i {self.index_dir}; bygger det från {self.corpus_dir}")
                self._ingest(rebuild=False)
            try:
                retriever = open_index(self.index_dir, self.embed_model)
            except IndexError_ as exc:  # built by another version or model: rebuild rather than refuse to start
                if index_backend(self.index_dir).shared:
                    raise  # a shared index is rebuilt by someone who means to, never by one instance starting
                self.say(f"bygger om indexet: {exc}")
                self._ingest(rebuild=True)
                retriever = open_index(self.index_dir, self.embed_model)
            self._set_status("Laddar språkmodellen …")
            self.answerer = Answerer(retriever, load_llm(self.llm_name))
            self._warm(self.answerer)
            self._serving()
            self.say(self.status.message)
        except Exception as exc:  # shown on the page, one line in the log; the app keeps serving the page
            reason = str(exc) if isinstance(exc, (IndexError_, FileNotFoundError)) else f"{type(exc).__name__}: {exc}"
            self.status = Status(False, "Kunde inte starta.", error=reason)
            self.say(f"fel: {reason}")
        finally:
            self._started.set()

    def _serving(self, last_error: str | None = None) -> None:
        """Status from the index actually served (not from the last operation's progress)."""
        retriever = self.answerer.retriever
        warning = retriever.store.warning
        self.status = Status(True, f"Klar: {len(retriever.documents)} dokument, {retriever.size} stycken.",
                             last_error=last_error, warning=warning)
        if warning:
            self.say(f"obs: {warning}")

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.start, name="paragraf-start", daemon=True)
        thread.start()
        return thread

    def _set_status(self, message: str, progress: float | None = None) -> None:
        # while a staff re-index runs, the old index still answers: ready stays true
        self.status = Status(self.answerer is not None, message, progress=progress)

    def _ingest(self, rebuild: bool, paths: list[Path] | None = None) -> IngestReport:

        last = [-1]

        def step(what: str, done: int, total: int) -> None:
            noun = "dokument" if what == "läser" else "stycken"
            share = done / total if total else 1.0
            self._set_status(f"Bygger index: {what} {done} av {total} {noun}", share)
            if int(share * 10) != last[0]:  # the terminal gets every tenth
                last[0] = int(share * 10)
                self.say(self.status.message)

        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        report = ingest(paths or [self.corpus_dir], index_dir=self.index_dir, root=self.corpus_dir,
                        embed_model=self.embed_model, rebuild=rebuild, progress=self.say, step=step)
        for line in report.lines():
            self.say(line)
        return report

    # -- questions --------------------------------------------------------------------------------------------
    def _answerer(self, wait_s: float | None = None) -> Answerer:
        """The answerer; a question asked while the index is being built waits for it (up to `wait_s`)."""
        if self.answerer is None and not self._started.is_set():
            self._started.wait(START_WAIT_S if wait_s is None else wait_s)
        if self.answerer is None:
            if self.status.error:
                raise RuntimeError(f"Paragraf kunde inte starta: {self.status.error}")
            raise RuntimeError("Paragraf startar fortfarande; försök igen om en stund.")
        self._follow_shared_index()
        return self.answerer

    def _follow_shared_index(self) -> None:
        """A shared (Postgres) index that another instance changed is read again, its changed documents only,
        at most every PARAGRAF_REFRESH_S seconds (default 2); the old one answers until the new one is read."""
        retriever = self.answerer.retriever
        now = time.monotonic()
        if now - self._checked < REFRESH_S or not self._staff_lock.acquire(blocking=False):
            return
        try:
            self._checked = now
            if retriever.stale():
                self._swap(retriever.refreshed())
        except Exception as exc:  # the loaded index goes on answering
            self.say(f"obs: kunde inte läsa om det delade indexet: {type(exc).__name__}: {exc}")
        finally:
            self._staff_lock.release()

    def _swap(self, retriever) -> None:
        a = self.answerer
        self.answerer = Answerer(retriever, a.llm, k=a.k, max_tokens=a.max_tokens, mode=a.mode,
                                 use_facts=a.use_facts, rephrase=a.rephrase, reader=a.reader)
        self._warm(self.answerer)
        self._serving()

    def _warm(self, answerer: Answerer) -> threading.Thread:
        """The answerer's corpus-wide views made in the background (Answerer.warm)."""
        def warm() -> None:
            try:
                answerer.warm()
            except Exception as exc:  # a question makes what it needs itself, and says what failed
                self.say(f"obs: kunde inte förbereda indexets översikter: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=warm, name="paragraf-warm", daemon=True)
        thread.start()
        return thread

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

    @property
    def beteckningar(self) -> list[str]:
        return self.answerer.retriever.beteckningar if self.answerer else []

    def documents(self) -> dict[str, dict]:
        return self.answerer.retriever.documents if self.answerer else {}

    def database_away(self) -> str | None:
        """The Swedish reason while a shared index's database does not answer (a restart); None otherwise.
        The connections are replaced by themselves once it is back."""
        return self.answerer.retriever.reachable() if self.answerer else None

    # -- staff ------------------------------------------------------------------------------------------------
    def reindex(self, paths: list[Path] | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder (or only with `paths` in it) and swap it in."""
        with self._staff_lock:
            self._answerer(wait_s=0)
            try:
                report = self._ingest(rebuild=False, paths=paths)
                retriever = open_index(self.index_dir, self.embed_model)
            except Exception as exc:  # the old index goes on answering; status says so, and why
                reason = str(exc) if isinstance(exc, IndexError_) else f"{type(exc).__name__}: {exc}"
                self._serving(last_error=f"Omindexeringen misslyckades: {reason}")
                self.say(f"fel: omindexeringen misslyckades: {reason}")
                raise
            self._swap(retriever)
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
        report = self.reindex([s.path for s in saved])  # only the new files: nothing else is touched
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

    def removable(self) -> list[str]:
        """Indexed documents and the files in the corpus folder the reader refused (so staff can take
        out an unreadable file that blocks nothing but still sits there)."""
        files = {p.relative_to(self.corpus_dir).as_posix() for p in walk([self.corpus_dir], self.corpus_dir)
                 if p.is_file() and not p.is_symlink()}
        return sorted(set(self.documents()) | files)

    def remove(self, doc_id: str) -> None:
        if doc_id not in self.removable():
            raise UploadError(doc_id, "dokumentet finns inte i dokumentmappen")
        with self._staff_lock:
            remove_document(self.corpus_dir, doc_id)
