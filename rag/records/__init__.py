"""Records: the decision facts a document states (särskilda yttranden, reservationer, votes, jäv,
roles …), and the check of what the parser found against what a document says of itself."""
from __future__ import annotations

from .coverage import check_paths, Coverage, PLANTED_NOTE, summary
from .facts import extract, Fact

__all__ = ["check_paths", "Coverage", "extract", "Fact", "PLANTED_NOTE", "summary"]
