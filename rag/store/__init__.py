"""Store: embedding and indexing chunks and records, in a folder (FAISS + BM25) or in PostgreSQL with
pgvector, behind one protocol (protocol.py); one ingest loop over either, and the workers that prepare
files for it."""
from __future__ import annotations

from .ingest import at, ingest
from .lexical import SwedishAnalyzer, synonyms
from .pg_store import DatabaseAway
from .postgres import is_url
from .prepare import prepare
from .protocol import check_compatible, Filters, IndexError_, IndexWriteError, IngestReport, Store

__all__ = ["at", "check_compatible", "DatabaseAway", "Filters", "IndexError_", "IndexWriteError", "ingest",
           "IngestReport", "is_url", "prepare", "Store", "SwedishAnalyzer", "synonyms"]
