"""A document walked block by block for its records: each block's sentences (mended across page breaks and
layouts), the records added so far, and the chunks a span of text lies in."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..parsing import Block, Chunk, ParsedDocument, locator
from ..genre import RECORDS
from .fact import Fact, parties_in, people_in, sentences_of


class Walk:
    """The document, its chunks, its members (for names written without a party) and the records added."""

    def __init__(self, doc: ParsedDocument, chunks: list[Chunk]) -> None:
        self.doc = doc
        self.chunks = chunks
        self.facts: list[Fact] = []
        att = doc.attendance
        self.members = {p.name: p.party for p in att.beslutande + att.ersattare}

    def people(self, text: str) -> list[dict]:
        return people_in(text, self.members)

    def chunk_ids(self, start: int, end: int) -> list[str]:
        return [c.id for c in self.chunks if c.start < end and c.end > start]

    def add(self, kind: str, block, text: str, persons=None, parties=None, details=None, bilaga=None,
            span: tuple[int, int] | None = None) -> Fact:
        persons = persons if persons is not None else self.people(text)
        start, end = span or (block.start, block.end)
        fact = Fact(
            kind=kind, doc=self.doc.doc_id, organ=block.organ, date=block.date, paragraf=block.paragraf,
            title=block.title, bilaga=bilaga if bilaga is not None else block.bilaga,
            locator=locator(self.doc.doc_id, block.organ, block.date, block.paragraf, bilaga or block.bilaga,
                            block.part, block.section, block.page_start, block.page_end, block.beteckning),
            text=text, persons=persons, parties=parties if parties is not None else parties_in(text, persons),
            details=details or {}, chunk_ids=self.chunk_ids(start, end),
        )
        self.facts.append(fact)
        return fact


@dataclass
class At:
    """One block as the record rules read it."""

    bi: int
    block: Block
    prev: Block | None
    sentences: list[str]

    @property
    def section(self) -> str:
        return self.block.section or ""

    @property
    def in_body(self) -> bool:
        """In a §'s own text: not in a bilaga, not in its list of underlag."""
        return not self.block.bilaga and not self.section.startswith("Beslutsunderlag")


def bilaga_blocks(doc: ParsedDocument, paragraf: str | None, bilaga: str) -> list:
    return [b for b in doc.blocks if b.bilaga == bilaga and (paragraf is None or b.paragraf == paragraf)]


def place(b) -> tuple | None:
    return (b.paragraf, b.organ, b.part, b.bilaga, b.section) if b is not None else None


def block_sentences(doc: ParsedDocument, bi: int) -> list[str]:
    """A block's sentences; the last one completed from the next block when a page break cut it, the first
    one led by the previous block's line that ends in a colon (a layout may set them apart)."""
    b = doc.blocks[bi]
    sentences = sentences_of(b.norm)
    prev = doc.blocks[bi - 1] if bi > 0 else None
    if sentences and prev is not None and place(prev) == place(b):
        before = sentences_of(prev.norm)
        if before and before[-1].endswith(":") and not any(p.search(before[-1]) for p in RECORDS.values()):
            sentences[0] = f"{before[-1]} {sentences[0]}"  # 'På förslag av Karin Pleijel (MP):' ⏎ 'Ärendet bordläggs …
    nxt = doc.blocks[bi + 1] if bi + 1 < len(doc.blocks) else None
    if sentences:
        sentences[-1] = _BULLETS_AT_END.sub("", sentences[-1])  # 'följande paragrafer: • •': the items come next
    if sentences and nxt is not None and place(nxt) == place(b) and sentences[-1].endswith(":"):
        sentences[-1] += " " + excerpt_of(nxt.norm)  # '… anmäler jäv under följande paragrafer:' ⏎ the list
    elif sentences and nxt is not None and place(nxt) == place(b) and not sentences[-1].endswith((".", "!", "?", ":", "”", '"')):
        following = sentences_of(nxt.norm)
        if following and following[0][:1].islower():
            sentences[-1] += " " + following[0]
    return sentences


_BULLETS_AT_END = re.compile(r"(?<=:)(?:\s*[•\uf0b7*–-])+\s*$")
_LIST_CHARS = 300  # of a list that a line ending in a colon announces


def excerpt_of(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _LIST_CHARS else flat[:flat.rfind(" ", 0, _LIST_CHARS)] + " …"


def run_on(doc: ParsedDocument, bi: int) -> str:
    """A block's text, continued into the next block of the same place when its sentence runs on."""
    b = doc.blocks[bi]
    text = " ".join(b.norm.split())
    nxt = doc.blocks[bi + 1] if bi + 1 < len(doc.blocks) else None
    if nxt is not None and not text.endswith((".", "!", "?", ":")) and place(nxt) == place(b):
        text += " " + " ".join(nxt.norm.split())
    return text
