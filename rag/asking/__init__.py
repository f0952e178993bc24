"""Asking: the question understood, the scope, retrieval, evidence, the answer's routes and the
check of every citation."""
from __future__ import annotations

from .answer import Answerer
from .cite import cited_spans
from .question import check_question, MAX_QUESTION
from .reply import Answer, answer_with_sources, Citation, Preview, REFUSAL
from .retrieve import Filters, Hit, index_exists, open_index, Retriever, SearchResult

__all__ = ["Answer", "answer_with_sources", "Answerer", "check_question", "Citation", "cited_spans", "Filters", "Hit", "index_exists", "MAX_QUESTION", "open_index", "Preview", "REFUSAL", "Retriever", "SearchResult"]
