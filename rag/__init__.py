"""Paragraf: questions in Swedish over municipal decision documents, answered with checked citations.

A package per stage, on a one-way flow: reading → parsing → records → store → asking, with models,
the genre's vocabulary and text normalisation under all of them (docs/design.md). Public API for the
app and eval:

    import rag
    report = rag.ingest(["corpus"], index_dir="index")
    index = rag.open_index("index")
    for hit in index.search("Vem instämde i SD:s särskilda yttrande?", k=5).hits:
        print(hit.chunk.locator, hit.score)
"""
from __future__ import annotations

from pathlib import Path

from .asking import Answer, Answerer, Filters, Hit, Retriever, SearchResult, open_index
from .config import settings
from .models import load_llm
from .parsing import Chunk
from .reading import ReadError
from .store import IndexError_ as IndexError
from .store import IngestReport
from .store import ingest as _ingest
from .store import is_url as is_index_url

__all__ = ["Answer", "Answerer", "Chunk", "Filters", "Hit", "IndexError", "IngestReport", "ReadError", "Retriever", "is_index_url",
           "SearchResult", "ingest", "load_llm", "open_index", "settings"]


def ingest(paths: list[str | Path], index_dir: str | Path | None = None, root: str | Path | None = None,
           embed_model: str | None = None, rebuild: bool = False, progress=None, show_bar: bool = False,
           step=None) -> IngestReport:
    """Index the files under `paths` into a folder or a Postgres URL (default: PARAGRAF_INDEX_URL, else
    PARAGRAF_INDEX); document ids are paths relative to `root` (default: the single folder given)."""
    s = settings()
    paths = [Path(p) for p in paths]
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else _common_folder(paths)
    return _ingest(paths, index_dir or s.index, Path(root), embed_model or s.embed_model, max_file_mb=s.max_file_mb,
                   rebuild=rebuild, batch_size=s.embed_batch, progress=progress, show_bar=show_bar, step=step)


def _common_folder(paths: list[Path]) -> Path:
    import os

    common = Path(os.path.commonpath([str(p.absolute()) for p in paths]))
    return common if common.is_dir() else common.parent
