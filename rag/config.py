"""Settings read from the environment, so every entry point (CLI, app, eval) agrees."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


@dataclass(frozen=True)
class Settings:
    """Paths and limits; each field has an env override named in its comment."""

    # PARAGRAF_INDEX
    index_dir: Path = field(default_factory=lambda: _env_path("PARAGRAF_INDEX", PROJECT_ROOT / "index"))
    # PARAGRAF_CORPUS
    corpus_dir: Path = field(default_factory=lambda: _env_path("PARAGRAF_CORPUS", PROJECT_ROOT / "corpus"))
    # PARAGRAF_MODEL_CACHE
    model_cache: Path = field(
        default_factory=lambda: _env_path("PARAGRAF_MODEL_CACHE", Path.home() / ".cache" / "paragraf" / "models")
    )
    # PARAGRAF_EMBED_MODEL: a sentence-transformers folder or hub id; default: the registry's e5-small
    embed_model: str = field(default_factory=lambda: os.environ.get("PARAGRAF_EMBED_MODEL", "e5-small"))
    # PARAGRAF_MAX_FILE_MB
    max_file_mb: float = field(default_factory=lambda: float(os.environ.get("PARAGRAF_MAX_FILE_MB", "50")))
    # PARAGRAF_EMBED_RUNTIME: 'openvino' (the folder converted once, bf16 where the CPU has it: 4-6x torch's
    # encoding, the same vectors within float noise; see docs/benchmarks.md) or 'torch' (sentence-transformers)
    embed_runtime: str = field(default_factory=lambda: os.environ.get("PARAGRAF_EMBED_RUNTIME", "openvino"))
    # PARAGRAF_OCR_CACHE: scanned PDFs' OCR text, by file sha256
    ocr_cache: Path = field(
        default_factory=lambda: _env_path("PARAGRAF_OCR_CACHE", Path.home() / ".cache" / "paragraf" / "ocr"))
    # PARAGRAF_EMBED_BATCH
    embed_batch: int = field(default_factory=lambda: int(os.environ.get("PARAGRAF_EMBED_BATCH", "32")))

    @property
    def index(self) -> str | Path:
        """PARAGRAF_INDEX_URL (a Postgres index, postgresql://…), else the index folder."""
        return os.environ.get("PARAGRAF_INDEX_URL") or self.index_dir


def settings() -> Settings:
    return Settings()
