"""Embedding adapter: any sentence-transformers folder or hub id, with query/passage prompts when it has them."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np


def resolve_model_name(name: str) -> str:
    """A registry key ('e5-small') becomes its cache folder; a path or hub id passes through."""
    from .models import registry, resolve

    if name in registry():
        return str(resolve(name, fetch_missing=True))
    return name


class Embedder:
    def __init__(self, name: str, device: str = "cpu") -> None:
        if Path(name).exists():  # a local folder must never trigger a hub look-up
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(name, device=device)
        self.dim = int(self.model.get_embedding_dimension())
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})

    @property
    def fingerprint(self) -> str:
        """Changes when the weights change: hash of the folder's config and weight file sizes, or the hub id."""
        folder = Path(self.name)
        if not folder.is_dir():
            return self.name
        h = hashlib.sha256()
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt"}:
                h.update(p.relative_to(folder).as_posix().encode())
                h.update(str(p.stat().st_size).encode())
                if p.suffix == ".json":
                    h.update(p.read_bytes())
        return h.hexdigest()[:16]

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        kwargs = {"prompt_name": prompt} if prompt in self.prompts else {}
        vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress, **kwargs)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", batch_size, progress)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query", 1, False)[0]


@lru_cache(maxsize=4)
def load_embedder(name: str) -> Embedder:
    """One model per process and name: loading is the slow part."""
    return Embedder(resolve_model_name(name))
