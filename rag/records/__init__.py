"""Records: the decision facts a document states (särskilda yttranden, reservationer, votes, jäv,
roles …), a module per kind (kinds/), and the check of what the parser found against what a document
says of itself."""
from __future__ import annotations

from .coverage import check_paths, Coverage, PLANTED_NOTE, summary
from .extract import extract
from .fact import Fact, joined, Kind, names_of, party_list
from .kinds import CONTENT_RECORDS, COUNTED, KINDS, MEMBER_LISTS, sentence
from .matters import dnr_key, dnr_keys, dnr_named, find as find_matters, in_order, Matter, paragrafer, Step
from .profile import (by_document, document_steps, DocumentSteps, in_bulk, matters_of, Profile, profile, profiles, scope_text,
                      stem, stems, steps_of)

__all__ = ["check_paths", "CONTENT_RECORDS", "COUNTED", "Coverage", "dnr_key", "dnr_keys", "dnr_named", "extract", "find_matters", "Fact", "in_order", "joined", "Kind", "KINDS",
           "Matter", "matters_of", "by_document", "document_steps", "DocumentSteps", "in_bulk", "MEMBER_LISTS", "names_of", "paragrafer", "party_list", "PLANTED_NOTE", "Profile", "profile",
           "profiles", "scope_text", "sentence", "stem", "stems", "Step", "steps_of", "summary"]
