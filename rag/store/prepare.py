"""Read, parse, chunk and extract the decision facts of files: the CPU-bound part of an ingest, done in
worker processes when there are enough files, so an archive is read on every core. Results come back in
the files' order, so the index is the same whatever the number of workers."""
from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator

from ..parsing import Chunk, chunk_document
from ..records import Fact, extract
from ..models import default_lexicon
from ..normalize import OcrRepair
from ..reading import ReadError, read_file
from ..parsing import parse

MIN_FILES_PER_WORKER = 2  # below this, starting the processes costs more than it saves


@dataclass
class Prepared:
    """One file, ready for embedding; or the one-line reason it is not."""

    doc_id: str
    sha256: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    text: str = ""  # the document's text as read (chunk offsets point into it)
    error: str | None = None


@lru_cache(maxsize=1)
def _repair() -> OcrRepair:
    return OcrRepair(default_lexicon())


def prepare(path: Path, root: Path, max_bytes: int) -> Prepared:
    """Never raises for one file's fault: a parser bug on one odd document must not stop the others."""
    try:
        src = read_file(path, root, max_bytes)
    except ReadError as exc:
        return Prepared(exc.doc_id, error=str(exc))
    try:
        parsed = parse(src, _repair())
        chunks = chunk_document(parsed, src.text)
        facts = extract(parsed, chunks)
    except Exception as exc:
        return Prepared(src.doc_id, error=f"{src.doc_id}: could not be parsed ({type(exc).__name__}: {str(exc)[:80]})")
    if not chunks:
        return Prepared(src.doc_id, error=f"{src.doc_id}: no text to index after parsing")
    summary = parsed.summary()
    summary.update(sha256=src.sha256, format=src.format, encoding=src.encoding, chunks=len(chunks),
                   metadata={k: v for k, v in src.metadata.items()
                             if isinstance(v, (str, int, float, bool)) or v is None})
    return Prepared(src.doc_id, src.sha256, chunks, facts, summary, src.text)


def die_with_parent(parent: int) -> None:
    """A worker ends when the ingest that started it does, even one killed with SIGKILL: the kernel's
    parent-death signal on Linux, and everywhere a watch on the parent's pid once a second."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:  # PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="paragraf-parent-watch").start()


def workers() -> int:
    """PARAGRAF_INGEST_WORKERS, else one per core (at most 8)."""
    value = os.environ.get("PARAGRAF_INGEST_WORKERS")
    return max(1, int(value)) if value else min(os.cpu_count() or 1, 8)


def _main_is_guarded() -> bool:
    """Whether a spawned worker can import the main module safely: a script without
    `if __name__ == "__main__":` would run again in every worker (and wait for what its parent holds)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or getattr(main, "__spec__", None) is not None:  # interactive, -c, or python -m
        return True
    try:
        return "__main__" in Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def prepare_all(paths: list[Path], root: Path, max_bytes: int, n_workers: int | None = None,
                step: Callable[[int], None] | None = None) -> Iterator[Prepared]:
    """`prepare` for every path, in order; `step(done)` after each. Spawned processes (not forked: the
    parent may hold torch's threads); should the pool break (a reader library crashing a process), the
    files not yet done are read here instead."""
    n_workers = min(n_workers or workers(), max(1, len(paths) // MIN_FILES_PER_WORKER))
    done = 0
    if n_workers > 1 and _main_is_guarded():
        try:
            with ProcessPoolExecutor(n_workers, mp_context=get_context("spawn"), initializer=die_with_parent,
                                     initargs=(os.getpid(),)) as pool:
                for result in pool.map(prepare, paths, [root] * len(paths), [max_bytes] * len(paths)):
                    done += 1
                    if step:
                        step(done)
                    yield result
            return
        except BrokenProcessPool:
            pass
    for path in paths[done:]:
        result = prepare(path, root, max_bytes)
        done += 1
        if step:
            step(done)
        yield result
