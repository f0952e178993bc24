"""What an answer is and how it is shown: the answer with its citations, the pieces a stream yields,
the refusal, and the plain-language notes a klarspråk answer gets."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

from ..genre import GLOSSARY, SAY
from .passages import excerpt

REFUSAL = "Det framgår inte av dokumenten."
MODEL_BUSY = "Väntar på språkmodellen: den skriver ett svar i taget."




def explain_terms(text: str) -> str:
    """The glossary's notes for the terms an answer uses (added by code, so they are always there)."""
    low = text.lower()
    notes = [v for k, v in GLOSSARY.items() if k in low]
    return text + ("\n\n" + " ".join(notes) if notes else "")


class Preview(str):
    """A streamed piece that replaces everything streamed before it (the nearest sentence, shown while
    the model reads, gives way to the model's text); plain pieces append."""


@dataclass
class Reply:
    """An answer as written: its text, the passages it cites, what the check removed, the route it took."""
    text: str
    refused: bool
    cited: list[int] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    route: str = ""


@dataclass
class Draft:
    """The model's answer before the citation check, the messages it read, and what stands if it fails."""
    raw: str
    messages: list[dict[str, str]]
    fallback: Reply


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc: str
    locator: str
    quote: str


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[dict]
    facts_used: list[dict]
    timings: dict[str, float]
    models: dict[str, str]
    search_query: str = ""
    removed_sentences: list[str] = field(default_factory=list)
    route: str = ""  # what answered: scope, record, no record, decision, typed, coverage, select, quote, llm
    arende: dict | None = None  # the matter the answer's first cited § is a step of: its steps, cited

    def to_dict(self) -> dict:
        return asdict(self)

    def with_sources(self, link: Callable[[Citation], str] | None = None) -> str:
        """The answer as plain text with its 'Källor' list, each [n] with its document and locator (and a
        link to the passage, when given): what a chat client shows and what 'Kopiera svar' copies."""
        return answer_with_sources(self.to_dict(), link)


def answer_with_sources(answer: dict, link: Callable[[Citation], str] | None = None) -> str:
    """`Answer.with_sources` for an answer already turned into a dict (the chat keeps them so)."""
    if not answer["citations"]:
        return answer["answer"]
    lines = [answer["answer"], "", "Källor:"]
    for c in answer["citations"]:
        where = f"{c['locator']} ({c['doc']})" if c["doc"] not in c["locator"] else c["locator"]
        url = link(Citation(**c)) if link else ""
        lines.append(f"[{c['n']}] {where}" + (f" {url}" if url else ""))
    return "\n".join(lines + matter_lines(answer.get("arende")))


def matter_lines(matter: dict | None) -> list[str]:
    """'Ärendets gång:' and the matter's steps in date order, each with its place (or where it is named)."""
    if not matter:
        return []
    lines = ["", SAY["matter_heading"] + (f" ({matter['dnr'][0]})" if matter["dnr"] else "") + ":"]
    for s in matter["steps"]:
        where = SAY["matter_named"].format(where=s["mentioned_in"]) if s["mentioned_in"] else f" ({s['doc']})"
        lines.append(f"- {s['date']} {s['organ']} § {s['paragraf']}{where}")
    return lines


RETRIEVED_CHARS = 600  # the excerpt of each retrieved passage an answer carries


def finish(question: str, reply, turn, k: int, klarsprak: bool, models: dict[str, str],
           timings: dict[str, float]) -> Answer:
    """The stage's one entry: the answer as the reader and the APIs see it: its text (with the klarspråk notes),
    the passages it cites, the passages retrieved, the records it used."""
    text = explain_terms(reply.text) if klarsprak and not reply.refused else reply.text
    cites = [Citation(p.n, p.chunk_id, p.doc, p.locator, p.text) for p in turn.passages if p.n in reply.cited]
    retrieved = [{"doc": h.chunk.doc, "locator": h.chunk.locator, "id": h.chunk.id, "score": h.score,
                  "text": excerpt(h.chunk.text, RETRIEVED_CHARS)} for h in turn.hits[:k]]
    matter = next((turn.matter_of[c.chunk_id] for c in cites if c.chunk_id in turn.matter_of), None)
    return Answer(question, text, reply.refused, cites, retrieved, [f.to_dict() for f in turn.facts], timings,
                  models, turn.query, reply.removed, reply.route, matter.to_dict() if matter else None)
