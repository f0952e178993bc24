"""Lists over §§ and meetings, for the evidence stage: the §§ of a kind of item or about a matter, what a
party did in a matter, the records of a kind along a matter's bodies, several reports' member lists, one list
at two meetings. Each is complete (every § or record in the question's scope, not the best hits') and read
from the records and the §§ as `RecordChooser` holds them."""
from __future__ import annotations

import math
from difflib import SequenceMatcher
from functools import cached_property

from ..genre import (ACROSS, ASKS_ONE, COMPARED, DECISIONS_AND, IN_ALL, ITEMS, MANY_ASKED, MATTER_ASKED, MONTHS,
                     NOT_MATTER, PARTY_ACT_KINDS, PARTY_ACTS, beteckning_key, organ_key, same_organ, stem_match)
from ..normalize import fold, path_words
from ..parsing import Chunk
from ..records import MEMBER_LISTS, Fact, Matter, Step, dnr_key, find_matters, in_bulk, in_order, matters_of
from .from_records import COMPOUND, RecordChooser, date_fits, word_keys, word_match
from .question import Question, parties_in
from .retrieve import Hit

ABOUT_SHARE = 0.45  # of a list question's matter words (weighed by rarity), a § title must hold
MANY_SHARE = 0.8  # … of a question that only opens asking for many things ('Vilka nämnder fick medel för …')
LISTING = {"skickas till"} | MEMBER_LISTS  # records that are lists of names, compared between two meetings
STEP_RECORDS = {"bordläggning", "återremiss"}  # records that are steps of a matter: 'Vid vilka sammanträden bordlades …'
SAME_NAME = 0.9  # two names this alike (difflib ratio, folded) are one name written twice
# a list at two meetings: each meeting's records with the names only it has, and how many both have
Compared = tuple[list[tuple[list[Fact], list[str]]], int]


def _in_title(word: str, title: tuple[set[str], set[str]]) -> bool:
    """The word, or its first part, is a title's word or the last part of one: 'budgetärendena' ~ 'kommunbudget'."""
    return word_match(word, title) or any(t.endswith(word[:k]) for t in title[0]
                                          for k in range(COMPOUND, len(word) + 1))


def names_listed(f: Fact) -> list[str]:
    """The names a list record holds: a sändlista's recipients, a member list's persons."""
    return list(f.details.get("mottagare") or [p["name"] for p in f.persons])


def _bodies_named(q: Question, organs: set[str], by_name: bool = False) -> set[str]:
    """The bodies among `organs` a question names: as organs ('kommunstyrelsen'), by their own names
    ('Kultur & Fritid' for 'Nämnden för Kultur & Fritid'; only these `by_name`), or by their kind in the
    plural ('nämnderna'), every one of the kind unless some of them are named."""
    names = {fold(n) for n in q.names}
    named = {o for o in organs if any(stem_match(w, n) for w in organ_key(o)[1] for n in names)}
    if by_name:
        return named
    named |= {o for o in organs if any(same_organ(n, o) for n in q.organs)}
    of_kind = {o for o in organs if organ_key(o)[0] in q.bodies}
    return named | (set() if named & of_kind else of_kind)


class ListChooser:
    """The lists a question asks for over §§ and meetings, from the records and §§ a RecordChooser holds."""

    def __init__(self, records: RecordChooser) -> None:
        self.records = records
        self.retriever = records.retriever
        self._counts: dict[str, int] = {}
        self._titles_of: dict[tuple, tuple[set[str], set[str]]] = {}

    def items(self, q: Question) -> list[Step]:
        """Every § of the kind of item a question lists ('Vilka motioner …'), in its scope: the organs, dates,
        month or year, party (of the title: 'Motion av Stina Svensson (FI)') and places it names. [] when it
        names a § or a report, or no such § is in scope."""
        if not q.item or q.paragraf or q.beteckning or q.answer_type not in {"list", "count"}:
            return []
        if ITEMS[q.item].outcome and q.record:  # 'Vilka ärenden återremitterades': the records of it say more
            return []
        title = ITEMS[q.item].title
        found = [s for s in self.records.paragrafer if s.doc and s.title and title.search(fold(s.title)) and self._in_scope(q, s)]
        return sorted(found, key=in_order)

    def about(self, q: Question) -> list[Step]:
        """The §§ in a list question's scope whose title holds its matter ('Vilka rapporter om ej verkställda
        beslut tog kommunstyrelsen upp under 2025?', 'Hur har frågan om nattåg hanterats?' where no matter
        links them): every one of them, when it asks across meetings, names no record kind and more than
        one § fits; a record kind asked beside the decisions ('Vilka beslut och yrkanden …') is told under each."""
        folded = fold(q.text)
        listing = q.answer_type in {"list", "count"} and (ACROSS.search(folded) or MATTER_ASKED.search(folded))
        many = not listing and MANY_ASKED.match(folded)  # 'Vilka nämnder fick medel för …, och hur mycket …?'
        named = q.item or q.paragraf or q.beteckning or ASKS_ONE.match(folded) or (
            q.record and not DECISIONS_AND.search(folded))  # a record kind, unless asked beside the decisions
        asked = listing or many or q.answer_type == "content" and MATTER_ASKED.search(folded)  # 'Hur har X hanterats?'
        if named or not asked:
            return []
        found = self._titled(q, MANY_SHARE if many else ABOUT_SHARE)  # asked for many: titles that hold nearly all
        return found if len(found) > 1 else []

    def party_acts(self, q: Question) -> list[Fact]:
        """What the party a question names did in the §§ of its matter ('Hur agerade Socialdemokraterna i
        budgetärendena?'): its yrkanden, reservationer, statements and votes there (only those of the kind asked,
        'Hur röstade …', when there are any), in date order; [] unless the question asks so."""
        if len(q.parties) != 1 or q.persons or q.paragraf or q.beteckning or not PARTY_ACTS.search(fold(q.text)):
            return []
        steps = {(s.doc, s.paragraf) for s in self._titled(q)}
        party = q.parties[0]
        acts = [f for f in self.retriever.store.facts_of(PARTY_ACT_KINDS) if (f.doc, f.paragraf) in steps
                and (party in f.parties or any(p.get("party") == party for p in f.persons) or f"({party})" in f.text)]
        asked = [f for f in acts if q.record and f.kind == q.record[0]]  # 'Hur röstade …': the votes, if any
        return sorted(asked or acts, key=in_order)

    def _along_steps(self, q: Question, steps: list[Step]) -> list[Fact]:
        """The records of the kind asked at every step of a matter, of each body the question names among the
        steps' bodies: several by name ('i Kultur & Fritid, Individ & Familjeomsorg och Teknik'), or every one of
        a kind named in the plural ('i nämnderna och i kommunstyrelsen'); [] for bodies named as organs only."""
        if not q.record or not (q.bodies or len(q.names) > 1):
            return []
        held = {(s.doc, s.paragraf) for s in steps if s.doc}
        found = [f for f in self.records.of_kind(q.record)
                 if (f.doc, f.paragraf) in held and (not q.parties or set(q.parties) & set(f.parties))]
        organs = {f.organ or "" for f in found}
        if not q.bodies and len(_bodies_named(q, organs, by_name=True)) < 2:
            return []  # bodies named as organs only ('i kommunstyrelsen och i fullmäktige'): the records that fit
        bodies = _bodies_named(q, organs)
        return sorted((f for f in found if f.organ in bodies), key=in_order)

    def member_lists(self, q: Question) -> list[Fact]:
        """Each named report's list of the members who took part, when a question asks who is on all of them
        ('Vilka ledamöter deltog i besluten både om 2010/11:AU1 och om 2018/19:AU1?'); [] otherwise, or when
        a report has none."""
        if len(q.beteckningar) < 2 or not q.record or q.record[0] not in MEMBER_LISTS or not IN_ALL.search(fold(q.text)):
            return []
        lists = [next((f for f in self.retriever.store.facts_of({q.record[0]})
                       if beteckning_key(b) in beteckning_key(f.locator)), None) for b in q.beteckningar]
        return [f for f in lists if f is not None] if all(lists) else []

    def at_meetings(self, q: Question) -> list[list[Fact]]:
        """For a question that compares a list (recipients, members) at the two meetings it names by date: the
        records of that list at each meeting, of the organs and matter it names; [] unless both have some."""
        if len(q.dates) != 2 or not q.record or q.record[0] not in LISTING or not COMPARED.search(fold(q.text)):
            return []
        listed = self.records.of_kind(q.record)
        found = [[f for f in listed if f.date == d and self.records.fit(q, f) > 0] for d in q.dates]
        return found if all(found) else []

    def _titled(self, q: Question, share: float = ABOUT_SHARE) -> list[Step]:
        """The §§ in the question's scope whose title holds its matter words, the rare ones weighing most."""
        organs = word_keys(" ".join(q.organs))
        matter = [w for w in q.topic if not w.isdigit() and w not in MONTHS and w not in NOT_MATTER
                  and not word_match(w, organs) and not word_match(w, self._path_keys)
                  and word_match(w, self.records.title_keys())]
        if not matter:
            return []
        weight = {w: math.log(len(self.records.paragrafer) / (1 + self._title_count(w))) for w in matter}  # rare: more
        found = [s for s in self.records.paragrafer if s.doc and s.title and self._in_scope(q, s, names=False)
                 and sum(weight[w] for w in matter if _in_title(w, self._step_title(s)))
                 >= share * sum(weight.values())]
        return sorted(found, key=in_order)

    def _title_count(self, word: str) -> int:
        """How many §§ of the index have the word in their title."""
        if word not in self._counts:
            self._counts[word] = sum(1 for s in self.records.paragrafer if _in_title(word, self._step_title(s)))
        return self._counts[word]

    def _step_title(self, s: Step) -> tuple[set[str], set[str]]:
        key = (s.doc, s.paragraf, s.dnr)
        if key not in self._titles_of:
            self._titles_of[key] = word_keys(s.title or "")
        return self._titles_of[key]

    def _in_scope(self, q: Question, s: Step, names: bool = True) -> bool:
        """The § is of the organs, dates and place the question names; with `names` (an item's §) also of the
        party (its title's: 'Motion av Stina Svensson (FI)') and of its other names."""
        if not self.in_time_and_body(q, s):
            return False
        if names and q.parties and not set(q.parties) & set(parties_in(s.title or "")):
            return False
        said = word_keys(f"{path_words(s.doc or '')} {s.title} {s.decision}" if names else path_words(s.doc or ""))
        return all(word_match(w, said) for n in (q.names if names else self._places(q)) for w in word_keys(n)[0])

    @staticmethod
    def in_time_and_body(q: Question, s: Step) -> bool:
        """The § is of the organs, dates, month or year the question names."""
        if q.organs and not any(same_organ(o, s.organ or "") for o in q.organs):
            return False
        return date_fits(q, s.date) and not (q.years and not (q.dates or q.months) and (s.date or "")[:4] not in q.years)

    def _places(self, q: Question) -> list[str]:
        """The names a question gives that a document's path holds: the municipality ('Kungsbacka')."""
        return [n for n in q.names if all(word_match(w, self._path_keys) for w in word_keys(n)[0])]

    @cached_property
    def _path_keys(self) -> tuple[set[str], set[str]]:
        """The words of the documents' paths: the municipalities and bodies ('kungsbacka', 'goteborg')."""
        return word_keys(" ".join({path_words(s.doc or "") for s in self.records.paragrafer}))

    def beside(self, q: Question, items: list[Step]) -> dict[tuple, list[Fact]]:
        """For §§ listed about a matter, when the question asks for a record kind beside the decisions: each
        §'s records of that kind, in order."""
        if not items or not q.record or q.item is not None:
            return {}
        held = {(s.doc, s.paragraf) for s in items}
        out: dict[tuple, list[Fact]] = {}
        for f in self.retriever.store.facts_of({q.record[0]}):
            if (f.doc, f.paragraf) in held:
                out.setdefault((f.doc, f.paragraf), []).append(f)
        return out

    def earlier(self, steps: list[Step]) -> dict[tuple, list[Step]]:
        """For each listed § about a matter, the earlier steps of its matter that only a later § names
        ('Kommunstyrelsen godkände den 17 februari 2026 inbjudan …'), each under the first § after it."""
        told: set[tuple] = set()
        out: dict[tuple, list[Step]] = {}
        for s in steps:
            m = self._matter_of_step.get((s.doc, s.paragraf, dnr_key(s.dnr or "")))
            prior = [x for x in (m.steps if m else []) if x.doc is None and (x.date or "") < (s.date or "")
                     and x.key not in told]
            told |= {x.key for x in prior}
            if prior:
                out[(s.doc, s.paragraf)] = prior
        return out

    def along(self, q: Question, hits: list[Hit]) -> list[Fact]:
        """The records of the kind asked at each step of the matter the best hits are about, of the bodies the
        question names ('Hur utföll omröstningarna om X i nämnderna och i kommunstyrelsen?')."""
        matter = self._matter_of_hits(hits)
        return self._along_steps(q, matter.steps) if matter else []

    def matter_asked(self, q: Question, hits: list[Hit]) -> Matter | None:
        """The matter a question asks the way of ('Hur har ärendet om X behandlats?', 'ärende STK-2024-1374'):
        the one its diarienummer names, else the one the best hits are steps of."""
        if not MATTER_ASKED.search(fold(q.text)) or q.record and q.record[0] not in STEP_RECORDS:
            return None
        if dnr_key(q.text):  # a diarienummer no matter of the documents carries: none of them is meant
            named = find_matters(self.all_matters, q.text)
            return named[0] if named else None
        return self._matter_of_hits(hits)

    def _matter_of_hits(self, hits: list[Hit]) -> Matter | None:
        """The matter the best three hits' §§ are first a step of."""
        return next((m for h in hits[:3] if (m := self.matter_at(h.chunk)) is not None), None)

    def warm(self) -> None:
        self._matter_of_step  # noqa: B018 (made now, not on a question)

    @cached_property
    def all_matters(self) -> list[Matter]:
        """The index's matters of more than one step, read once per index (on the first question that needs them)."""
        return matters_of(self.retriever.store.steps)

    @cached_property
    def _matter_of_step(self) -> dict[tuple, Matter]:
        with in_bulk():
            return {(s.doc, s.paragraf, s.linked_by.dnr): m for m in self.all_matters for s in m.steps if s.doc}

    def matter_at(self, c: Chunk) -> Matter | None:
        """The matter a chunk's § is a step of, when the matter has more than one step."""
        return self._matter_of_step.get((c.doc, c.paragraf, dnr_key(c.dnr or ""))) if c.paragraf else None


def differences(meetings: list[list[Fact]]) -> Compared:
    """Who a list names at only one of two meetings (names alike but for a letter or two are one: an OCR
    'Forskolenimnden' is 'Förskolenämnden'), each meeting's records, and how many both name."""
    named = [list(dict.fromkeys(n for f in fs for n in names_listed(f))) for fs in meetings]

    def among(name: str, others: list[str]) -> bool:
        return any(SequenceMatcher(None, fold(name), fold(o)).ratio() >= SAME_NAME for o in others)

    only = [(fs, [n for n in named[i] if not among(n, named[1 - i])]) for i, fs in enumerate(meetings)]
    return only, sum(1 for n in named[0] if among(n, named[1]))


def on_every_list(lists: list[Fact]) -> list[dict]:
    """The persons of the first member list who are on every other one too (by name), in its order."""
    names = [{p["name"] for p in f.persons} for f in lists[1:]]
    return [p for p in lists[0].persons if all(p["name"] in n for n in names)]
