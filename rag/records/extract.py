"""All records of one parsed document: the kinds' rules over its blocks, then over the whole, once each; the same
statement told twice merged."""
from __future__ import annotations

from ..parsing import Chunk, ParsedDocument
from .fact import Fact
from .kinds import BLOCK_RULES, DOCUMENT_RULES, REPORT_RULES
from .walk import At, Walk, block_sentences


def extract(doc: ParsedDocument, chunks: list[Chunk]) -> list[Fact]:
    """All decision facts of one parsed document."""
    walk = Walk(doc, chunks)
    if doc.betankande is not None:
        for rule in REPORT_RULES:
            rule(walk)
        return _dedupe(walk.facts)
    for bi, b in enumerate(doc.blocks):
        at = At(bi, b, doc.blocks[bi - 1] if bi else None, block_sentences(doc, bi))
        for rule in BLOCK_RULES:
            rule(walk, at)
    for rule in DOCUMENT_RULES:
        rule(walk)
    return _dedupe(walk.facts)


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One record per statement: the same people's särskilt yttrande mentioned twice in a § is merged."""
    out: list[Fact] = []
    by_key: dict[tuple, Fact] = {}
    for f in facts:
        people = tuple(p["name"] for p in f.persons)
        said = people if f.kind == "särskilt yttrande" and people else f.text
        # two votes of a § may end alike ('41 Ja mot 38 Nej'): what was put to the vote tells them apart
        key = (f.kind, f.doc, f.paragraf, f.organ, said, str(f.details.get("voteringsproposition") or ""))
        first = by_key.get(key)
        if first is None:
            by_key[key] = f
            out.append(f)
            continue
        if f.kind == "särskilt yttrande":
            first.bilaga = first.bilaga or f.bilaga
            first.details["bilaga"] = first.details.get("bilaga") or f.details.get("bilaga")
            first.details["gemensamt"] = first.details.get("gemensamt") or f.details.get("gemensamt")
            first.text = f"{first.text} {f.text}"
            first.chunk_ids += [c for c in f.chunk_ids if c not in first.chunk_ids]
    return out
