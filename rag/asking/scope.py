"""Which documents a question can be about: what it names must be there, together.

"Vem var ordförande i tekniska nämnden i Jönköping 2023?" over a corpus without
that nämnd's protocols must be refused, not answered with another nämnd's
ordförande. The organs, meeting dates, §§, bilagor, persons and proper names a
question states select the documents that hold all of them; none left means the
documents cannot answer it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..parsing import Chunk
from ..genre import MONTHS, PHRASING, beteckning_key, date_in_words, organ_key, organs_in, same_organ
from ..normalize import fold, path_words
from .question import Question


@dataclass
class _Document:
    organs: set[str]  # the meeting's organ(s), as the chunks carry them
    dates: set[str]  # meeting dates
    paragrafer: set[str]
    text: str  # folded text of every chunk
    mentioned: list[tuple[str, frozenset[str]]]  # organ keys of every organ the text names
    beteckningar: set[str]  # the committee report's own, as its chunks carry it


class Scope:
    """Built once per index."""

    def __init__(self, chunks: list[Chunk]) -> None:
        parts: dict[str, list[Chunk]] = {}
        for c in chunks:
            parts.setdefault(c.doc, []).append(c)
        self.docs: dict[str, _Document] = {}
        for doc, cs in parts.items():
            # the locator holds title and section; the path often names the body ('goteborg/ks-…', 'kungsbacka/')
            text = fold(" ".join([path_words(doc)] + [f"{c.locator} {c.title or ''} {c.norm}" for c in cs]))
            self.docs[doc] = _Document({c.organ for c in cs if c.organ}, {c.date for c in cs if c.date},
                                       {c.paragraf for c in cs if c.paragraf}, text,
                                       list({organ_key(p) for p in organs_in(text)}),
                                       {beteckning_key(c.beteckning) for c in cs if c.beteckning})

    def documents(self, q: Question) -> set[str] | None:
        """The documents that hold everything the question names; None when it names nothing of that kind."""
        if not q.names_scope:
            return None
        docs = {d for d, info in self.docs.items() if self._holds_names(q, info)}
        docs = {d for d in docs if all(self._has_organ(o, self.docs[d]) for o in q.organs)}
        if q.dates or q.months:
            held = {d for d in docs if self._meeting_on(q, self.docs[d])}
            if not q.meeting_date:  # or a date in the text ('träder i kraft den 1 juli 2026')
                held |= {d for d in docs if self._mentions_date(q, self.docs[d].text)}
            docs = held
        return docs

    @staticmethod
    def _has_organ(named: str, doc: _Document) -> bool:
        if any(same_organ(named, o) for o in doc.organs):
            return True
        kind, words = organ_key(named)
        return any(k == kind and all(any(w[:5] == o[:5] for o in ow) for w in words) for k, ow in doc.mentioned)

    @staticmethod
    def _holds_names(q: Question, doc: _Document) -> bool:
        if q.paragraf and q.paragraf not in doc.paragrafer and not re.search(rf"§\s*{q.paragraf}\b", doc.text):
            return False
        if q.bilaga and not re.search(rf"{PHRASING['bilaga_number']}{q.bilaga}\b", doc.text):
            return False
        # the report itself, or a document that cites it ('bet. 2018/19:FiU1')
        if q.beteckning and beteckning_key(q.beteckning) not in doc.beteckningar and fold(q.beteckning) not in doc.text:
            return False
        words = [p.split()[-1] for p in q.persons] + list(q.names)
        return all(re.search(rf"\b{re.escape(_stem(fold(w)))}", doc.text) for w in words)

    @staticmethod
    def _meeting_on(q: Question, doc: _Document) -> bool:
        if any(d in doc.dates for d in q.dates):
            return True
        return any(int(d[5:7]) == month and (year is None or d[:4] == year)
                   for d in doc.dates if re.match(r"\d{4}-\d\d-\d\d$", d) for month, year in q.months)

    @staticmethod
    def _mentions_date(q: Question, text: str) -> bool:
        for d in q.dates:
            words = date_in_words(d)
            if d in text or words in text:
                return True
        for month, year in q.months:
            word = MONTHS[month - 1]
            if (f"{word} {year}" in text or f"{year}-{month:02d}-" in text) if year else word in text:
                return True
        return False


def _stem(word: str) -> str:
    """Enough of a name to find it inflected ('Losmans' -> 'losma', 'Aranäs' -> 'arana')."""
    return word[:5] if len(word) > 5 else word
