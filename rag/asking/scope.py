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
from ..genre import LATER_MEETING, MONTHS, PHRASING, beteckning_key, date_in_words, organ_key, organs_in, same_organ
from ..normalize import fold, path_words
from ..records import dnr_keys, dnr_named
from .question import Question


LATER_WINDOW = 200  # characters before a date read for the later meeting or justering it names


@dataclass
class _Document:
    organs: set[str]  # the meeting's organ(s), as the chunks carry them
    dates: set[str]  # meeting dates
    paragrafer: set[str]
    text: str  # folded text of every chunk
    mentioned: list[tuple[str, frozenset[str]]]  # organ keys of every organ the text names
    beteckningar: set[str]  # the committee report's own, as its chunks carry it
    diarienummer: set[str]  # every diarienummer its text names, as keys


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
                                       {beteckning_key(c.beteckning) for c in cs if c.beteckning},
                                       {k for c in cs for k in dnr_keys(f"{c.dnr or ''} {c.text}")})

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

    def absent(self, q: Question) -> str | None:
        """Why no document can answer the question, when what it names is nowhere: a diarienummer no document
        writes in any shape ('diarienummer'); a date that is no meeting of the documents and that they name
        only as a later meeting ('bordläggs till sammanträdet den 19 juni 2023') or not at all ('sammanträde')."""
        key = dnr_named(q.text)
        if key and not any(key in d.diarienummer for d in self.docs.values()):
            return "diarienummer"
        asked_later = any(LATER_MEETING.search(fold(q.text)[: m.start()]) for d in q.dates
                          for m in re.finditer(re.escape(date_in_words(d)), fold(q.text)))
        named = [doc for d, doc in self.docs.items()  # the documents of the organ and place it names
                 if self._holds_names(q, doc) and all(self._has_organ(o, doc) for o in q.organs)
                 and all(_stem(fold(n)) in path_words(d) for n in self._places(q))]
        for d in q.dates if named and not asked_later else []:
            if any(d in doc.dates for doc in named):
                continue
            said = [doc.text[: m.start()] for doc in named
                    for form in _date_forms(d) for m in re.finditer(re.escape(form), doc.text)]
            if all(LATER_MEETING.search(before[-LATER_WINDOW:]) for before in said):
                return "sammanträde"
        return None

    def _places(self, q: Question) -> list[str]:
        """The names a question gives that some document's path holds: the municipality ('Göteborg')."""
        return [n for n in q.names if any(_stem(fold(n)) in path_words(d) for d in self.docs)]

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
        if q.beteckning and not any(beteckning_key(b) in doc.beteckningar or fold(b) in doc.text
                                    for b in q.beteckningar or (q.beteckning,)):
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


def _date_forms(iso: str) -> list[str]:
    """How a text writes a date: '2023-06-19', '19 juni 2023', '230619' (as a reference's 'KF 230619 § 5')."""
    return [iso, date_in_words(iso), iso[2:].replace("-", "")]


def _stem(word: str) -> str:
    """Enough of a name to find it inflected ('Losmans' -> 'losma', 'Aranäs' -> 'arana')."""
    return word[:5] if len(word) > 5 else word
