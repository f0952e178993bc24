"""Store: embedding and indexing chunks and records, in a folder (FAISS + BM25) or in PostgreSQL
with pgvector; the workers that prepare files for either."""
from __future__ import annotations

from .index import check_compatible, FLAT_LIMIT, IndexError_, IndexWriteError, IngestReport, StoredIndex
from .lexical import QUERY_SYNONYMS, STOPWORDS, SwedishAnalyzer, synonyms
from .postgres import DatabaseAway, is_url
from .prepare import prepare

__all__ = ["check_compatible", "DatabaseAway", "FLAT_LIMIT", "IndexError_", "IndexWriteError", "IngestReport", "is_url", "prepare", "QUERY_SYNONYMS", "STOPWORDS", "StoredIndex", "SwedishAnalyzer", "synonyms"]
