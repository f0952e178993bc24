"""Parsing: the line view, the structure (organ, date, §§, sections, bilagor, parts), attendance,
votes and Riksdagen's betänkanden; the chunks (passages with their locators)."""
from __future__ import annotations

from .attendance import Attendance
from .betankande import announced
from .lines import Block
from .chunk import Chunk, chunk_document, CHUNKER_VERSION, cut_at_space, locator
from .structure import parse, ParsedDocument
from .votes import (
    counts_in_text,
    every_count_in_text,
    flat_roll_call,
    is_roll_call_header,
    roll_call_in_text,
    roll_call_table,
    tally,
)

__all__ = ["announced", "Attendance", "Block", "Chunk", "chunk_document", "CHUNKER_VERSION", "counts_in_text", "cut_at_space", "every_count_in_text", "flat_roll_call", "is_roll_call_header", "locator", "parse", "ParsedDocument", "roll_call_in_text", "roll_call_table", "tally"]
