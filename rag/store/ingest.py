"""One ingest loop for every backend: the files under some folders brought in line with the index. Unchanged
files (same sha256) are kept without being read; new and changed ones are read, parsed and extracted in
workers and written; documents whose files are gone are removed."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..models import load_embedder
from ..reading import doc_id_of, file_hash, walk
from .folder_write import FolderBackend
from .pg_store import PgBackend
from .postgres import is_url
from .prepare import prepare_all
from .protocol import Backend, IngestReport, Writer


def at(index: str | Path) -> Backend:
    """The backend an index argument names: a PostgreSQL URL, or else a folder."""
    return PgBackend(str(index)) if is_url(index) else FolderBackend(Path(index))


def ingest(paths: list[Path], index: str | Path, root: Path, embed_model: str, max_file_mb: float = 50,
           rebuild: bool = False, batch_size: int = 32, progress: Callable[[str], None] | None = None,
           show_bar: bool = True, step: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Bring the index in line with the files under `paths` (document id = path relative to `root`).

    `step(what, done, total)` is told how far reading ("läser") and embedding ("bäddar in") have come.
    """
    say = progress or (lambda msg: print(msg, file=sys.stderr))
    report, t0, root = IngestReport(), time.perf_counter(), root.absolute()
    embedder = load_embedder(embed_model)
    with at(index).writer(embed_model, embedder, root, rebuild, say, batch_size, step, show_bar) as writer:
        found = scan(paths, root, writer.documents)
        for doc_id in found.unchanged:  # kept with their chunks, vectors and records, never parsed again
            writer.keep(doc_id)
        report.unchanged.extend(found.unchanged)
        seen = set(found.unchanged) | _write_changed(writer, found, root, max_file_mb, report, step, show_bar)
        for doc_id in writer.documents:  # documents indexed before whose files are gone
            if doc_id in seen:
                continue
            if kept_out_of_scope(doc_id, root, paths):
                writer.keep(doc_id)
            else:
                writer.remove(doc_id)
                report.removed.append(doc_id)
        writer.finish(report)
    report.seconds = time.perf_counter() - t0
    return report


def _write_changed(writer: Writer, found: Scan, root: Path, max_file_mb: float, report: IngestReport, step,
                   show_bar: bool) -> set[str]:
    """Read, parse and extract the new and changed files (in workers) and write each; the doc ids that read
    (one whose write failed stays as it was, so it is not removed either)."""
    from tqdm import tqdm

    seen: set[str] = set()
    bar = tqdm(total=len(found.todo), unit="fil", desc="läser",
               disable=not show_bar or step is not None or not found.todo)
    for n, doc in enumerate(prepare_all(found.todo, root, int(max_file_mb * 1_000_000)), 1):
        bar.update(1)
        if step:
            step("läser", len(found.unchanged) + n, len(found.files))
        if doc.error:  # a file indexed before that no longer reads goes
            report.errors.append(doc.error)
            continue
        seen.add(doc.doc_id)
        failed = writer.write(doc)
        if failed:
            report.errors.append(failed)
            continue
        report.embedded += len(doc.chunks)
        (report.updated if doc.doc_id in writer.documents else report.added).append(doc.doc_id)
    bar.close()
    return seen


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


def same_file(path: Path, sha256: str) -> bool:
    try:
        return file_hash(path.read_bytes()) == sha256
    except OSError:
        return False  # reading it again will say why


def kept_out_of_scope(doc_id: str, root: Path, paths: list[Path]) -> bool:
    """A document this ingest did not read stays only if its file exists outside the folders it was given
    (an upload's ingest of one file must not drop the rest)."""
    source = root / doc_id
    scanned = [Path(p).absolute() for p in paths]
    return source.exists() and not any(source == s or source.is_relative_to(s) for s in scanned)
