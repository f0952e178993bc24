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
from typing import Collection, Protocol

from ..genre import LATER_MEETING, MONTHS, PHRASING, beteckning_key, date_in_words, organ_key, same_organ
from ..normalize import fold, path_words
from ..records import Profile, dnr_named
from .question import Question


LATER_WINDOW = 200  # characters before a date read for the later meeting or justering it names
FOUND_KEPT = 10_000  # patterns whose documents a Scope keeps


@dataclass
class _Document:
    organs: set[str]  # the meeting's organ(s), as the chunks carry them
    dates: set[str]  # meeting dates
    paragrafer: set[str]
    mentioned: list[tuple[str, frozenset[str]]]  # organ keys of every organ the text names
    beteckningar: set[str]  # the committee report's own, as its chunks carry it
    diarienummer: set[str]  # every diarienummer its text names, as keys


class ScopeTexts(Protocol):
    """Where the documents' scope texts are (the index's store)."""

    def scope_matching(self, pattern: str) -> set[str]: ...
    def scope_texts(self, docs: Collection[str]) -> dict[str, str]: ...


class Scope:
    """Built once per index from its documents' profiles; what a question names is looked for in their scope
    texts (records.scope_text), where the store keeps them."""

    def __init__(self, profiles: list[Profile], texts: ScopeTexts) -> None:
        self.texts = texts
        self.docs: dict[str, _Document] = {
            p.doc: _Document(set(p.organs), set(p.dates), set(p.paragrafer), p.mentioned,
                             {beteckning_key(b) for b in p.beteckningar}, set(p.diarienummer)) for p in profiles}
        self._found: dict[str, set[str]] = {}

    def _matching(self, pattern: str) -> set[str]:
        """The documents whose scope text the pattern finds something in (each pattern asked once)."""
        found = self._found.get(pattern)
        if found is None:
            found = self.texts.scope_matching(pattern) & self.docs.keys()
            if len(self._found) > FOUND_KEPT:
                self._found = {}  # a new one: a question in another thread keeps what it has
            self._found[pattern] = found
        return found

    def documents(self, q: Question) -> set[str] | None:
        """The documents that hold everything the question names; None when it names nothing of that kind."""
        if not q.names_scope:
            return None
        docs = {d for d in self._holding(q) if all(self._has_organ(o, self.docs[d]) for o in q.organs)}
        if q.dates or q.months:
            held = {d for d in docs if self._meeting_on(q, self.docs[d])}
            if not q.meeting_date:  # or a date in the text ('träder i kraft den 1 juli 2026')
                held |= docs & self._mentioning_date(q)
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
        named = {d for d in self._holding(q)  # the documents of the organ and place it names
                 if all(self._has_organ(o, self.docs[d]) for o in q.organs)
                 and all(_stem(fold(n)) in path_words(d) for n in self._places(q))}
        for d in q.dates if named and not asked_later else []:
            if any(d in self.docs[doc].dates for doc in named):
                continue
            forms = _date_forms(d)
            texts = self.texts.scope_texts(named & set().union(*(self._matching(re.escape(f)) for f in forms)))
            said = [text[: m.start()] for text in texts.values()
                    for form in forms for m in re.finditer(re.escape(form), text)]
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

    def _holding(self, q: Question) -> set[str]:
        """The documents that hold the §, bilaga, report, persons and names the question names."""
        docs = set(self.docs)
        if q.paragraf:
            docs = {d for d in docs if q.paragraf in self.docs[d].paragrafer} | (
                docs & self._matching(rf"§\s*{q.paragraf}\b"))
        if q.bilaga:
            docs &= self._matching(rf"{PHRASING['bilaga_number']}{q.bilaga}\b")
        if q.beteckning:  # the report itself, or a document that cites it ('bet. 2018/19:FiU1')
            named = q.beteckningar or (q.beteckning,)
            docs = {d for d in docs if any(beteckning_key(b) in self.docs[d].beteckningar for b in named)} | (
                docs & set().union(*(self._matching(re.escape(fold(b))) for b in named)))
        for w in [p.split()[-1] for p in q.persons] + list(q.names):
            docs &= self._matching(rf"\b{re.escape(_stem(fold(w)))}")
        return docs

    @staticmethod
    def _meeting_on(q: Question, doc: _Document) -> bool:
        if any(d in doc.dates for d in q.dates):
            return True
        return any(int(d[5:7]) == month and (year is None or d[:4] == year)
                   for d in doc.dates if re.match(r"\d{4}-\d\d-\d\d$", d) for month, year in q.months)

    def _mentioning_date(self, q: Question) -> set[str]:
        """The documents whose text names a date or month the question names."""
        found: set[str] = set()
        for d in q.dates:
            found |= self._matching(re.escape(d)) | self._matching(re.escape(date_in_words(d)))
        for month, year in q.months:
            word = MONTHS[month - 1]
            found |= (self._matching(re.escape(f"{word} {year}")) | self._matching(re.escape(f"{year}-{month:02d}-"))
                      if year else self._matching(re.escape(word)))
        return found


def _date_forms(iso: str) -> list[str]:
    """How a text writes a date: '2023-06-19', '19 juni 2023', '230619' (as a reference's 'KF 230619 § 5')."""
    return [iso, date_in_words(iso), iso[2:].replace("-", "")]


def _stem(word: str) -> str:
    """Enough of a name to find it inflected ('Losmans' -> 'losma', 'Aranäs' -> 'arana')."""
    return word[:5] if len(word) > 5 else word
